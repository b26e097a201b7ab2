"""The "no data yet" state of an empty region (``gridwatch.empty.no_history``): a card that
says no records have arrived for the region and how to send them, and chart figures that say
so instead of drawing an axis around nothing."""

from __future__ import annotations

from dash import html

from gridwatch.i18n import county_name, t


def card(region, lang: str, wall: bool = False) -> html.Div:
    """The message, in the page's language, naming ``region``."""
    return html.Div(className="gw-nodata wall-nodata" if wall else "gw-nodata", role="status",
                    **{"data-nodata": "1"}, children=[
                        html.Strong(t("nodata.title", lang), className="gw-nodata-title"),
                        html.P(t("nodata.body", lang, county=county_name(region, lang))),
                        html.P(t("nodata.how", lang), className="gw-nodata-how"),
                    ])


def line(lang: str) -> html.P:
    """One muted line in a panel of figure tiles."""
    return html.P(t("nodata.chart", lang), className="gw-muted gw-nodata-line",
                  **{"data-nodata": "1"})


def figure(lang: str, dark: bool = False) -> dict:
    """An empty chart: no axes, only the "no data yet" text in the middle."""
    colour = "#b0bec5" if dark else "#78909c"
    hidden = {"visible": False}
    return {"data": [], "layout": {
        "xaxis": hidden, "yaxis": hidden, "autosize": True,
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "paper_bgcolor": "rgba(0,0,0,0)" if dark else "#ffffff",
        "plot_bgcolor": "rgba(0,0,0,0)" if dark else "#ffffff",
        "annotations": [{"text": t("nodata.chart", lang), "showarrow": False, "xref": "paper",
                         "yref": "paper", "x": 0.5, "y": 0.5,
                         "font": {"size": 22 if dark else 15, "color": colour}}]}}
