"""The grid table: the filtered grids with their figures (its rows are bound with the other
panels, ``callbacks.panels``)."""

from __future__ import annotations

import hashlib

import numpy as np
import orjson
import pandas as pd
from dash import Dash, Input, Output, no_update

from callbacks import bind
from gridwatch import style, visibility
from gridwatch.auth.audit import audit_personal_read
from gridwatch.auth.policy import Principal, allows
from gridwatch.disclosure import PERSONAL_COUNTS
from gridwatch.filters import Filters
from gridwatch.i18n import t
from gridwatch.metrics import TASK_STATES, grid_figures, kept_grids
from gridwatch.service import DataSource
from gridwatch.snapshot import Snapshot
from gridwatch.store.models import COLOURS
from layouts.ids import ID
from web.auth import client_address

FIGURES = ("population", "households", "home_isolation", "arrivals_total", "open_tasks",
           "overdue_tasks", "leads_total", "open_leads")


def table_rows(snap: Snapshot, filters: Filters, palette: dict[str, str], lang: str,
               who: Principal, threshold: int) -> list[dict]:
    """Rows for the table in ``lang``: names localised, colour and level as words, and the
    household-level counts suppressed where ``who`` may not see them."""
    return shown_rows(snap, filters, palette, lang, who, threshold)[0]


def shown_rows(snap: Snapshot, filters: Filters, palette: dict[str, str], lang: str,
               who: Principal, threshold: int) -> tuple[list[dict], str]:
    """``table_rows`` and a digest of them, once per snapshot, day, filter, language and
    audience (role and scope: what suppression depends on).

    Every grid's row on the day is worded once per snapshot and language (raw figures, shared
    by every caller); the filter picks rows, and suppression is applied to the rows picked
    (the rows whose totals the page shows). The digest changes only when the rows do, so a
    page that already shows them is not sent them again (``update_table``)."""
    key = ("shown_rows", filters, lang, tuple(palette.items()), threshold,
           visibility.everywhere(who) or (who.role, who.scope))
    return snap.memo(key, lambda: _shown_rows(snap, filters, palette, lang, who, threshold),
                     as_of=filters.as_of)


def _shown_rows(snap: Snapshot, filters: Filters, palette: dict[str, str], lang: str,
                who: Principal, threshold: int) -> tuple[list[dict], str]:
    day = filters.as_of
    figures = grid_figures(snap, day)
    worded = snap.memo(("table_rows", day, lang, tuple(palette.items())),
                       lambda: _worded_rows(figures, palette, lang), as_of=day)
    keep = np.flatnonzero(kept_grids(snap, filters, on="figures").to_numpy())
    if visibility.everywhere(who):
        rows = [worded[i] for i in keep]
    else:
        shaped = visibility.grid_rows(figures.iloc[keep].drop(columns=list(TASK_STATES)), who,
                                      threshold).table
        personal = [c for c in PERSONAL_COUNTS if c in FIGURES]
        values = zip(*(shaped[c].tolist() for c in personal), strict=True)
        rows = [{**worded[i], **dict(zip(personal, v, strict=True))}
                for i, v in zip(keep, values, strict=True)]
    digest = hashlib.blake2b(orjson.dumps(rows, option=orjson.OPT_SERIALIZE_NUMPY),
                             digest_size=12).hexdigest()
    return rows, digest


def _worded_rows(figures: pd.DataFrame, palette: dict[str, str], lang: str) -> list[dict]:
    """Every grid's row of ``figures`` (``grid_figures``, same order), unsuppressed."""
    colours = figures["colour"].where(figures["colour"].isin(COLOURS), None)
    frame = pd.DataFrame({
        "code": figures["code"], "name": figures[f"name_{lang}"],
        "village": figures[f"village_{lang}"], "township": figures[f"township_{lang}"],
        "township_code": figures["township_code"], "level": figures["level"],
        # object dtype first: a day without a single mark would map to floats (NaN)
        "colour": colours.map({c: t(f"colour.{c}", lang) for c in COLOURS}).astype(object)
        .fillna(t("colour.none", lang)),
        "colour_hex": colours.map(palette).astype(object).fillna(style.UNMARKED),
        "since": figures["since"].fillna(""),
        **{k: figures[k] for k in FIGURES},
    })
    return frame.to_dict("records")


def update_table(source: DataSource, filters: dict, version: str | None, lang: str,
                 who: Principal, shown: str | None = None) -> dict:
    """Filters or data change → the table's rows, their count and digest (a read of
    household-level data, audited, when ``who`` may see some of it). ``shown``: the digest of
    the rows the page holds; rows equal to them are not sent again."""
    parsed = Filters.from_dict(filters)
    rows, digest = shown_rows(source.snapshot(), parsed, source.settings.palette, lang, who,
                              source.settings.suppress_below)
    if digest == shown:
        return {"rows": no_update, "count": no_update, "digest": no_update}
    if rows and allows(who, "personal"):
        audit_personal_read(source.writer, who, "grid_table", parsed.to_query() or "all",
                            client_address(), {"rows": len(rows)})
    return {"rows": rows, "count": t("table.count", lang, n=len(rows)), "digest": digest}


CSV_EXPORT_PARAMS = {
    "fileName": "grids.csv",
    # assets/csv-safe.js: the server's formula rule (gridwatch.export.tables.neutralise) in JS
    "processCellCallback": {"function": "csvSafeCell(params)"},
}
"""How the grid table writes its CSV in the browser: every text cell that a spreadsheet would
run as a formula gets a leading single quote, as in the server's CSV files."""


def export_table(source: DataSource, clicks: int | None) -> dict:
    """The CSV button → the table downloads what it shows, formula-safe: the export parameters
    travel with every export, so the file is safe whatever the layout set."""
    return {"csv": True, "params": CSV_EXPORT_PARAMS}


def register(app: Dash, source: DataSource) -> None:
    bind(app, source, export_table, output={"csv": Output(ID.GRID_TABLE, "exportDataAsCsv"),
                                            "params": Output(ID.GRID_TABLE, "csvExportParams")},
         inputs={"clicks": Input(ID.GRID_CSV, "n_clicks")}, prevent_initial_call=True)
