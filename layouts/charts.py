"""Plotly figures built from the metrics' tables, as plain figure dicts.

A figure is the JSON plotly.js draws (``{"data": [...], "layout": {...}}``), built directly:
plotly's figure objects validate every property on every update and carry a whole template,
which cost more than the figures' data on every filter change. Days are ISO dates on date
axes labelled ``MM-DD`` (the same in both languages); every axis has a title in the page's
language; the top margin leaves room for plotly's toolbar, so it never covers a bar.
"""

from __future__ import annotations

import pandas as pd

from gridwatch.i18n import t
from gridwatch.metrics import TASK_STATES
from gridwatch.store.models import COLOURS
from gridwatch.style import TASK_COLOURS

FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
GRID = "#eceff1"
MUTED = "#78909c"


def _axis(title: str, **extra) -> dict:
    return {"title": {"text": title, "font": {"size": 12, "color": MUTED}}, "gridcolor": GRID,
            "automargin": True, **extra}


def _day_axis(lang: str) -> dict:
    return _axis(t("chart.axis.day", lang), type="date", tickformat="%m-%d",
                 hoverformat="%Y-%m-%d")


def _figure(data: list[dict], lang: str, empty: bool, **layout) -> dict:
    """A figure with the house layout; ``layout`` entries replace the defaults."""
    base = {
        "margin": {"l": 56, "r": 16, "t": 28, "b": 44}, "autosize": True,
        "font": {"family": FONT, "size": 13}, "legend": {"orientation": "h", "y": -0.22},
        "plot_bgcolor": "#ffffff", "paper_bgcolor": "#ffffff", "hovermode": "x unified",
        "separators": ".,",
    }
    base.update(layout)
    if empty:
        base["annotations"] = [{"text": t("chart.empty", lang), "showarrow": False,
                                "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
                                "font": {"size": 15, "color": MUTED}}]
    return {"data": data, "layout": base}


def _days(index) -> list[str]:
    return [d.isoformat() for d in index]


def task_completion(table: pd.DataFrame, names: dict[str, str], lang: str) -> dict:
    """Stacked horizontal bars per township; each bar carries its township code."""
    labels = [names.get(code, code) for code in table.index]
    codes = list(table.index)
    data = [{"type": "bar", "orientation": "h", "y": labels,
             "x": table[state].tolist() if state in table else [],
             "name": t(f"chart.tasks.{state}", lang), "marker": {"color": TASK_COLOURS[state]},
             "customdata": codes, "hovertemplate": "%{y}: %{x}<extra>%{fullData.name}</extra>"}
            for state in TASK_STATES]
    return _figure(data, lang, table.empty, barmode="stack", hovermode="closest",
                   margin={"l": 96, "r": 16, "t": 28, "b": 44},
                   # The unit is in the card's title; a title here would sit on the legend.
                   xaxis={"gridcolor": GRID, "rangemode": "tozero", "automargin": True},
                   # Every township named (plotly would skip every other one).
                   yaxis={"autorange": "reversed", "automargin": True, "dtick": 1,
                          "tickfont": {"size": 12}})


def checkpoint_throughput(series: pd.DataFrame, lang: str) -> dict:
    """Vehicles, people and QR registrations per day on the left axis; flagged people (far
    fewer) on a right axis of their own, with its own ticks."""
    x = _days(series.index)

    def line(column: str, key: str, colour: str, width: float, dash: str = "solid",
             **extra) -> dict:
        return {"type": "scatter", "x": x, "y": series[column].tolist(), "name": t(key, lang),
                "mode": "lines", "line": {"color": colour, "width": width, "dash": dash},
                **extra}

    data = [line("vehicles", "chart.checkpoints.vehicles", "#37474f", 2.5),
            line("people", "chart.checkpoints.people", "#1e88e5", 2.5),
            line("qr_registrations", "chart.checkpoints.qr", "#8e24aa", 1.5, dash="dot"),
            line("flagged", "chart.checkpoints.flagged", "#e53935", 1.5,
                 mode="lines+markers", marker={"size": 4}, yaxis="y2")]
    empty = series.empty or int(series.to_numpy().sum()) == 0
    return _figure(data, lang, empty, margin={"l": 64, "r": 64, "t": 28, "b": 44},
                   xaxis=_day_axis(lang),
                   yaxis=_axis(t("chart.axis.inspected", lang), rangemode="tozero"),
                   yaxis2=_axis(t("chart.axis.flagged", lang), overlaying="y", side="right",
                                showgrid=False, rangemode="tozero", tickmode="auto",
                                nticks=6))


def colour_composition(table: pd.DataFrame, palette: dict[str, str], lang: str) -> dict:
    """Grids per colour per day, stacked (green at the bottom, red on top)."""
    x = _days(table.index)
    data = [{"type": "scatter", "x": x, "y": table[colour].tolist(),
             "name": t(f"colour.{colour}", lang), "stackgroup": "grids", "mode": "lines",
             "line": {"width": 0.5, "color": palette[colour]}, "fillcolor": palette[colour]}
            for colour in reversed(COLOURS) if colour in table]
    empty = table.empty or int(table.to_numpy().sum()) == 0
    return _figure(data, lang, empty, xaxis=_day_axis(lang),
                   yaxis=_axis(t("chart.axis.grids", lang), rangemode="tozero"))
