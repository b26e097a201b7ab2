"""The command centre's own output, side by side: the register of orders and notices (with one
opened beside the list) and the article's headline figures, both up to the day's instant
(``gridwatch.directives``, ``gridwatch.metrics.headline_figures``)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from dash import dcc, html

from gridwatch.directives import Context
from gridwatch.i18n import t
from layouts.card import register_grid
from layouts.ids import ID
from layouts.leads import moment_text
from layouts.tasks import new_token

COLUMNS = {"label": 130, "kind": 96, "title": None, "issued": 110}
"""The register's columns: a fixed width in pixels, or None for the one that takes the rest."""


def card(lang: str, can_write: bool = False) -> html.Div:
    """The register and the figures; their contents come with the other panels. For a role
    that may write, the form that issues an order or a notice (``issue_form``)."""
    columns = [{"field": c, "headerName": t(f"directives.col.{c}", lang), "sortable": True,
                "resizable": True, "filter": c == "kind",
                **({"width": w} if w else {"flex": 1, "minWidth": 180, "tooltipField": c})}
               for c, w in COLUMNS.items()]
    return html.Div(className="gw-command-row", children=[
        html.Div(className="gw-card gw-directives", children=[
            html.Div(className="gw-card-head", children=[
                html.H3(t("directives.title", lang)),
                html.Span(id=ID.DIRECTIVE_COUNT, className="gw-muted gw-lead-as-of"),
            ]),
            dcc.Input(id=ID.DIRECTIVE_SEARCH, type="search", debounce=False,
                      placeholder=t("directives.search", lang), className="gw-search"),
            dcc.Store(id=ID.DIRECTIVE_CHOSEN),
            html.Div(className="gw-directives-body", children=[
                register_grid(ID.DIRECTIVE_TABLE, columns, t("directives.none", lang), "ref",
                              {"gw-directive-today": "params.data.today"},
                              "gw-directive-grid"),
                html.Div(id=ID.DIRECTIVE_DETAIL, className="gw-directive-detail",
                         children=html.P(t("directives.pick", lang), className="gw-muted")),
            ]),
            *([issue_form(lang)] if can_write else []),
        ]),
        html.Div(className="gw-card gw-figures", children=[
            html.Div(className="gw-card-head", children=[html.H3(t("figures.title", lang))]),
            html.Div(id=ID.FIGURES),
        ]),
    ])


def issue_form(lang: str) -> html.Details:
    """County staff issue an order (指挥部令) or a notice (通告), numbered next of its kind and
    stamped now (``callbacks.command.issue_directive``; the server checks the right)."""
    return html.Details(className="gw-publish gw-issue", children=[
        html.Summary(t("directives.issue.title", lang)),
        dcc.Store(id=ID.ISSUE_TOKEN, data=new_token()),
        html.Div(className="gw-publish-form", children=[
            html.Label(t("directives.issue.kind", lang), htmlFor=ID.ISSUE_KIND),
            dcc.RadioItems(id=ID.ISSUE_KIND, className="gw-chips", inline=True, value="notice",
                           options=[{"label": t(f"directives.kind.{k}", lang), "value": k}
                                    for k in ("order", "notice")]),
            html.Label(t("directives.issue.title_zh", lang), htmlFor=ID.ISSUE_TITLE_ZH),
            dcc.Input(id=ID.ISSUE_TITLE_ZH, type="text", maxLength=500, className="gw-input"),
            html.Label(t("directives.issue.title_en", lang), htmlFor=ID.ISSUE_TITLE_EN),
            dcc.Input(id=ID.ISSUE_TITLE_EN, type="text", maxLength=500, className="gw-input",
                      placeholder=t("directives.issue.title_en_hint", lang)),
            html.Button(t("directives.issue.button", lang), id=ID.ISSUE_BUTTON,
                        className="gw-btn gw-btn-primary"),
            html.Small(t("directives.issue.hint", lang), className="gw-muted gw-form-hint"),
            html.Div(id=ID.ISSUE_RESULT, className="gw-task-result", role="status"),
        ]),
    ])


def label(kind: str, number: int, lang: str) -> str:
    """指挥部令第17号 / Order No. 17 (the wall ticker's wording)."""
    return t(f"wall.ticker.{kind}", lang, ref=number)


def rows(table: pd.DataFrame, day, lang: str) -> list[dict]:
    """The register's rows (``gridwatch.directives.register``), worded."""
    return [{"ref": r["ref"], "label": label(r["kind"], r["number"], lang),
             "kind": t(f"directives.kind.{r['kind']}", lang),
             "title": r[f"title_{lang}"], "issued": r["issued_at"].strftime("%m-%d %H:%M"),
             "today": r["issued_at"].date() == day}
            for _, r in table.iterrows()]


def detail(found: Context | None, instant: datetime, towns: dict[str, str], lang: str) -> list:
    """One directive with what came with it on its day."""
    if found is None:
        return [html.P(t("directives.gone", lang), className="gw-muted")]
    d = found.directive
    other = "en" if lang == "zh" else "zh"
    parts = [
        html.H4(label(d["kind"], d["number"], lang), **{"data-directive": d["ref"]}),
        html.P(d[f"title_{lang}"], className="gw-directive-title"),
        html.P(d[f"title_{other}"], className="gw-muted", lang=other),
        html.P(t("directives.issued", lang, at=moment_text(d["issued_at"].to_pydatetime()),
                 days=found.days_in_force), className="gw-muted"),
    ]
    if found.tasks.empty and found.levels.empty:
        parts.append(html.P(t("directives.nothing_same_day", lang), className="gw-muted"))
    if not found.tasks.empty:
        parts += [html.H5(t("directives.same_day_tasks", lang, n=len(found.tasks))),
                  html.Ul(className="gw-directive-list", children=[
                      html.Li([html.B(task["code"]), " ", task[f"title_{lang}"], html.Span(
                          " · " + _scope(task["scope"], lang),
                          className="gw-muted")])
                      for _, task in found.tasks.iterrows()])]
    if not found.levels.empty:
        parts += [html.H5(t("directives.same_day_levels", lang,
                            n=found.levels["township_code"].nunique())),
                  html.Ul(className="gw-directive-list", children=[
                      html.Li(towns.get(c["township_code"], c["township_code"]) + " → "
                              + t(f"level.{int(c['level'])}", lang))
                      for _, c in found.levels.iterrows()])]
    return parts


def _scope(scope: str, lang: str) -> str:
    return t(f"directives.task_scope.{scope}", lang)


def figures(f: dict, instant: datetime, lang: str) -> list:
    """The article's figures as tiles (``headline_figures`` at ``instant``)."""
    def tile(key: str, value: str, note: str | None = None) -> html.Div:
        return html.Div(className="gw-figure-tile", **{"data-figure": key}, children=[
            html.Div(t(f"figures.{key}", lang), className="gw-figure-label"),
            html.B(value, className="gw-figure-value"),
            *([html.Div(note, className="gw-muted gw-figure-note")] if note else [])])

    return [
        html.P(t("figures.as_of", lang, at=moment_text(instant)), className="gw-muted"),
        html.Div(className="gw-figure-grid", children=[
            tile("directives", f"{f['orders']}"), tile("notices", f"{f['notices']}"),
            tile("tasks", f"{f['tasks']:,}",
                 t("figures.tasks_note", lang, done=f"{f['tasks_completed']:,}")),
            tile("response", f"{f['grid_response_rate']:.0%}"),
            tile("events", f"{f['platform_events']:,}", t("figures.events_note", lang)),
            tile("proxy", f"{f['proxy_home_visits']:,}"),
            tile("teams", f"{f['inspection_teams']}"),
            tile("cases", t("figures.cases_value", lang, cases=f["failure_cases"],
                            people=f["failure_people"]),
                 t("figures.cases_note", lang, cases=f["publicised_cases"],
                   people=f["publicised_people"])),
        ]),
        html.P(t("figures.geography", lang, townships=f["townships"], villages=f["villages"],
                 grids=f["grids"]), className="gw-muted"),
    ]
