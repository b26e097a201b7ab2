"""The grid table: the filtered grids with their figures."""

from __future__ import annotations

from dash import Dash, Input, Output, State

from callbacks import bind
from gridwatch import style, visibility
from gridwatch.auth.audit import audit_personal_read
from gridwatch.auth.policy import Principal, allows
from gridwatch.filters import Filters
from gridwatch.i18n import t
from gridwatch.metrics import grid_table
from gridwatch.service import DataSource
from gridwatch.snapshot import Snapshot
from layouts.ids import ID
from web.auth import client_address

FIGURES = ("population", "households", "home_isolation", "arrivals_total", "open_tasks",
           "overdue_tasks", "leads_total", "open_leads")


def table_rows(snap: Snapshot, filters: Filters, palette: dict[str, str], lang: str,
               who: Principal, threshold: int) -> list[dict]:
    """Rows for the table in ``lang``: names localised, colour and level as words, and the
    household-level counts suppressed where ``who`` may not see them."""
    rows = []
    shaped = visibility.grid_rows(grid_table(snap, filters), who, threshold).table
    for rec in shaped.to_dict("records"):
        colour = rec["colour"] if isinstance(rec["colour"], str) else None  # NaN: never assessed
        rows.append({
            "code": rec["code"], "name": rec[f"name_{lang}"], "village": rec[f"village_{lang}"],
            "township": rec[f"township_{lang}"], "township_code": rec["township_code"],
            "level": rec["level"],
            "colour": t(f"colour.{colour}", lang) if colour else t("colour.none", lang),
            "colour_hex": palette.get(colour, style.UNMARKED),
            "since": rec["since"] if isinstance(rec["since"], str) else "",
            **{k: rec[k] for k in FIGURES},
        })
    return rows


def update_table(source: DataSource, filters: dict, version: str | None, lang: str,
                 who: Principal) -> dict:
    """Filters or data change → the table's rows and their count (a read of household-level
    data, audited, when ``who`` may see some of it)."""
    parsed = Filters.from_dict(filters)
    rows = table_rows(source.snapshot(), parsed, source.settings.palette, lang, who,
                      source.settings.suppress_below)
    if rows and allows(who, "personal"):
        audit_personal_read(source.writer, who, "grid_table", parsed.to_query() or "all",
                            client_address(), {"rows": len(rows)})
    return {"rows": rows, "count": t("table.count", lang, n=len(rows))}


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
    bind(app, source, update_table,
         output={"rows": Output(ID.GRID_TABLE, "rowData"),
                 "count": Output(ID.GRID_TABLE_COUNT, "children")},
         inputs={"filters": Input(ID.FILTERS, "data"), "version": Input(ID.VERSION, "data"),
                 "lang": State(ID.LANG, "data")})
    bind(app, source, export_table, output={"csv": Output(ID.GRID_TABLE, "exportDataAsCsv"),
                                            "params": Output(ID.GRID_TABLE, "csvExportParams")},
         inputs={"clicks": Input(ID.GRID_CSV, "n_clicks")}, prevent_initial_call=True)
