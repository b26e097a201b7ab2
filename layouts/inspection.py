"""The inspection card (``gridwatch.inspection``): the teams' findings up to the day's instant in
the filters' townships, as figures, by kind and by township, and the cases themselves; the
names of the people involved only where the caller may see them."""

from __future__ import annotations

import pandas as pd
from dash import html

from gridwatch.i18n import t
from layouts.card import scroll_list, timed_card
from layouts.ids import ID


def card(lang: str) -> html.Div:
    return timed_card("gw-inspection", t("inspection.title", lang), ID.INSPECTION_AS_OF,
                      t("inspection.names_note", lang), html.Div(id=ID.INSPECTION))


def children(s: dict, towns: pd.DataFrame, found: pd.DataFrame, shown: pd.Series,
             names: dict[str, str], lang: str) -> list:
    """The figures, the kinds and townships, and the case list (``shown``: per case, whether
    its people's names may be shown)."""
    tiles = html.Div(className="gw-figure-grid", children=[
        html.Div(className="gw-figure-tile", **{"data-inspection": key}, children=[
            html.Div(t(f"inspection.{key}", lang), className="gw-figure-label"),
            html.B(value, className="gw-figure-value")])
        for key, value in (("teams", str(s["teams"])), ("cases", str(s["cases"])),
                           ("people", str(s["people"])),
                           ("publicised", t("inspection.publicised_value", lang,
                                            cases=s["publicised_cases"],
                                            people=s["publicised_people"])))])
    if found.empty:
        return [tiles, html.P(t("inspection.none", lang), className="gw-muted")]
    most = max(s["kinds"].values()) or 1
    kinds = html.Div(className="gw-inspection-kinds", children=[
        html.H5(t("inspection.by_kind", lang)),
        *[html.Div(className="gw-bar-row", **{"data-kind": k}, children=[
            html.Span(t(f"inspection.kind.{k}", lang), className="gw-bar-label"),
            html.Span(className="gw-bar", style={"width": f"{60 * n / most:.0f}%"}),
            html.B(str(n))]) for k, n in s["kinds"].items() if n],
        html.H5(t("inspection.by_township", lang)),
        html.Table(className="gw-alert-table", children=[
            html.Thead(html.Tr([html.Th(t("inspection.col.township", lang)),
                                *[html.Th(t(f"inspection.col.{c}", lang), className="gw-num")
                                  for c in ("cases", "people", "publicised")]])),
            html.Tbody([html.Tr([html.Td(names.get(r["code"], r["code"])),
                                 html.Td(str(r["cases"]), className="gw-num"),
                                 html.Td(str(r["people"]), className="gw-num"),
                                 html.Td(str(r["publicised"]), className="gw-num")])
                        for _, r in towns.iterrows()])]),
    ])
    sep = "、" if lang == "zh" else ", "
    rows = [html.Tr(**{"data-case": str(r["id"])}, children=[
        html.Td(r["opened_at"].strftime("%m-%d")),
        html.Td(names.get(r["township_code"], r["township_code"])),
        html.Td(t(f"inspection.kind.{r['kind']}", lang)),
        html.Td(r[f"team_{lang}"] if isinstance(r[f"team_{lang}"], str) else ""),
        html.Td(str(r["people_involved"]), className="gw-num"),
        html.Td(t("inspection.yes" if r["publicised"] else "inspection.no", lang)),
        html.Td(sep.join(r["names"]) if shown.loc[i] else t("inspection.names_hidden", lang),
                className="gw-inspection-names" if shown.loc[i] else "gw-muted"),
    ]) for i, r in found.iterrows()]
    head = html.Tr([html.Th(t(f"inspection.col.{c}", lang)) for c in
                    ("opened", "township", "kind", "team", "people", "publicised", "names")])
    return [tiles, html.Div(className="gw-inspection-body", children=[
        kinds,
        scroll_list(t("inspection.cases", lang), "gw-inspection-cases", children=html.Table(
            className="gw-alert-table", children=[html.Thead(head), html.Tbody(rows)])),
    ])]
