"""The register of orders and notices and the article's figures, answered with the other
panels (``callbacks/panels.py``) up to the filters' day; one directive opened beside the
register (``gridwatch.directives``). Orders, notices and county totals are public: every role
that may view sees them.

County staff issue an order or a notice from the register (``issue_directive``), numbered next
of its kind and stamped now, through the API's ``directives`` write path (only a county-wide
writer may, checked on the server; idempotent; audited)."""

from __future__ import annotations

from datetime import UTC, datetime

from dash import Dash, Input, Output, State, html, no_update

from callbacks import bind, pick_and_search, view_moved_to
from callbacks.tasks import _key, refused_text, result_div
from gridwatch import directives, timeutil
from gridwatch.auth.policy import Principal
from gridwatch.filters import Filters
from gridwatch.i18n import t
from gridwatch.ingest.batches import submit
from gridwatch.ingest.errors import IngestError
from gridwatch.ingest.fields import Reference
from gridwatch.ingest.scope import Places
from gridwatch.metrics import headline_figures
from gridwatch.service import DataSource
from layouts import command as panel
from layouts.ids import ID
from layouts.leads import moment_text
from layouts.tasks import new_token


def command_panels(source: DataSource, filters: dict, lang: str,
                   now: datetime | None = None) -> dict:
    """The register's rows and count and the figures, at the filters' day's instant."""
    day = Filters.from_dict(filters).as_of
    snap = source.snapshot()
    instant = timeutil.instant_in(day, source.settings.timezone, now)
    table = directives.register(snap, instant)
    kinds = table["kind"].value_counts()
    return {"directive_rows": panel.rows(table, day, lang),
            "directive_count": t("directives.count", lang, orders=int(kinds.get("order", 0)),
                                 notices=int(kinds.get("notice", 0)),
                                 at=moment_text(instant)),
            "figures": panel.figures(headline_figures(snap, instant), instant, lang)}


def show_directive(source: DataSource, chosen: dict | None, filters: dict,
                   version: str | None, lang: str, now: datetime | None = None) -> dict:
    """The opened directive (or, while one is open, the filters' day or the data change) →
    it with the special tasks and level changes of its day."""
    code = chosen.get("code") if isinstance(chosen, dict) else None
    if not isinstance(code, str) or len(code) > 32:
        return {"detail": [html.P(t("directives.pick", lang), className="gw-muted")]}
    day = Filters.from_dict(filters).as_of
    snap = source.snapshot()
    instant = timeutil.instant_in(day, source.settings.timezone, now)
    found = directives.context(snap, code, instant)
    return {"detail": panel.detail(found, instant, snap.region.names("townships", lang), lang)}


def issue_directive(source: DataSource, clicks: int | None, kind: str | None,
                    title_zh: str | None, title_en: str | None, filters: dict | None,
                    token: str | None, lang: str, who: Principal,
                    now: datetime | None = None) -> dict:
    """Issue → an order or a notice with the next number of its kind, issued now (the English
    title is the Chinese one when not given), in one write under the form's idempotency key;
    the view moves to today, where the register shows it. The answer says what was issued, or
    exactly why nothing was (a title missing, a writer who is not county-wide)."""
    unchanged = {"result": no_update, "token": no_update, "day": no_update, "max_day": no_update,
                 "title_zh": no_update, "title_en": no_update}
    if not clicks:
        return unchanged
    title_zh = title_zh.strip() if isinstance(title_zh, str) else ""
    title_en = title_en.strip() if isinstance(title_en, str) else ""
    problems = [t(key, lang) for key, missing in (
        ("directives.issue.need_kind", kind not in directives.KINDS),
        ("directives.issue.need_title", not title_zh)) if missing]
    if problems:
        return {**unchanged, "result": result_div(" ".join(problems), False)}
    snap = source.snapshot()
    number = directives.next_number(snap.directives, kind)
    moment = now or datetime.now(UTC).replace(tzinfo=None)
    item = {"kind": kind, "number": number, "title_zh": title_zh,
            "title_en": title_en or title_zh, "issued_at": moment.replace(tzinfo=UTC).isoformat()}
    try:
        submit(source.writer, Reference.from_region(snap.region), "directives",
               {"items": [item]}, who, _key("directive", token), Places.of(snap.region))
    except IngestError as exc:
        return {**unchanged, "result": refused_text(exc, lang), "token": new_token()}
    local = timeutil.utc_to_local(moment, source.settings.timezone)
    return {"result": result_div(t("directives.issue.done", lang,
                                   label=panel.label(kind, number, lang),
                                   at=local.strftime("%H:%M"), day=local.date().isoformat()),
                                 True),
            "token": new_token(), "title_zh": "", "title_en": "",
            **view_moved_to(moment, source.settings.timezone, filters)}


def register(app: Dash, source: DataSource) -> None:
    pick_and_search(app, ID.DIRECTIVE_TABLE, ID.DIRECTIVE_CHOSEN, ID.DIRECTIVE_SEARCH)
    bind(app, source, show_directive, output={"detail": Output(ID.DIRECTIVE_DETAIL, "children")},
         inputs={"chosen": Input(ID.DIRECTIVE_CHOSEN, "data"),
                 "filters": Input(ID.FILTERS, "data"), "version": Input(ID.VERSION, "data"),
                 "lang": State(ID.LANG, "data")}, prevent_initial_call=True)
    bind(app, source, issue_directive,
         output={"result": Output(ID.ISSUE_RESULT, "children"),
                 "token": Output(ID.ISSUE_TOKEN, "data"),
                 "max_day": Output(ID.DATE, "max_date_allowed", allow_duplicate=True),
                 "day": Output(ID.DATE, "date", allow_duplicate=True),
                 "title_zh": Output(ID.ISSUE_TITLE_ZH, "value"),
                 "title_en": Output(ID.ISSUE_TITLE_EN, "value")},
         inputs={"clicks": Input(ID.ISSUE_BUTTON, "n_clicks"),
                 "kind": State(ID.ISSUE_KIND, "value"),
                 "title_zh": State(ID.ISSUE_TITLE_ZH, "value"),
                 "title_en": State(ID.ISSUE_TITLE_EN, "value"),
                 "filters": State(ID.FILTERS, "data"), "token": State(ID.ISSUE_TOKEN, "data"),
                 "lang": State(ID.LANG, "data")},
         prevent_initial_call=True)
