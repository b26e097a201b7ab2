"""Data downloads and the tables of the briefing pack.

CSV files are written for spreadsheets: UTF-8 with a byte-order mark (so Excel reads Chinese),
and every text cell that a spreadsheet would run as a formula (starting with ``=``, ``+``,
``-``, ``@``, tab or carriage return) is prefixed with a single quote. Numbers stay numbers.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from datetime import UTC, date

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from gridwatch.empty import no_history
from gridwatch.export.options import ExportRequest
from gridwatch.export.render import Stamp
from gridwatch.filters import Filters
from gridwatch.geo.layers import Region
from gridwatch.i18n import county_name, t
from gridwatch.metrics import (
    assignment_overdue,
    checkpoint_series,
    colour_composition,
    cutoff,
    grid_status,
    grid_table,
    issued_by,
    select_grids,
    task_completion_by_township,
)
from gridwatch.snapshot import Snapshot
from gridwatch.store.models import COLOUR_RANK
from gridwatch.visibility import view_rows

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""Leading characters that make a spreadsheet treat a text cell as a formula. The one rule for
every CSV a user can download: the server's files (``safe_csv``), the charts' data
(``callbacks.charts``) and the grid table's export in the browser (``assets/csv-safe.js``
mirrors this list; a test keeps them the same)."""

_GDAL_LOCK = threading.Lock()  # OGR_CURRENT_DATE is process-wide GDAL configuration


def neutralise(value):
    """``value`` made inert for spreadsheets: text starting with a formula character gets a
    leading single quote; anything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_csv(table: pd.DataFrame, index: bool = False) -> bytes:
    """``table`` as CSV bytes (UTF-8 with BOM), text cells neutralised, numbers untouched.

    Parameters
    ----------
    table : DataFrame
    index : bool
        Write the index as the first column (chart tables are indexed by day or township).
    """
    out = table.reset_index() if index else table.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


# --- the filtered grids ----------------------------------------------------------------------

def grids_frame(snap: Snapshot, filters: Filters, lang: str, view: str) -> pd.DataFrame:
    """The filtered grids with their figures (the grid table) as ``view`` may see them, plus
    the colour in words."""
    table = view_rows(grid_table(snap, filters), view)
    labels = table["colour"].map(lambda c: t(f"colour.{c}", lang) if isinstance(c, str)
                                 else t("colour.none", lang))
    table.insert(table.columns.get_loc("colour") + 1, "colour_label", labels)
    return table


def grids_geoframe(snap: Snapshot, filters: Filters, lang: str,
                   view: str) -> gpd.GeoDataFrame:
    """The filtered grids with their figures and boundaries (EPSG:4326)."""
    table = grids_frame(snap, filters, lang, view)
    geometry = snap.region.grids.set_index("code").loc[table["code"], "geometry"].to_numpy()
    return gpd.GeoDataFrame(table, geometry=geometry, crs=snap.region.grids.crs)


def chart_frame(snap: Snapshot, filters: Filters, which: str,
                lang: str) -> pd.DataFrame:
    """The data behind one chart of the analyst view, indexed as the chart is."""
    if which == "tasks":
        table = task_completion_by_township(snap, filters)
        names = snap.region.names("townships", lang)
        table.insert(0, "township", [names[c] for c in table.index])
        return table.rename_axis("township_code")
    if which == "checkpoints":
        return checkpoint_series(snap, filters)
    return colour_composition(snap, filters)


def export_properties(request: ExportRequest, stamp: Stamp) -> dict:
    """What every data file says about itself."""
    return {"export_id": stamp.export_id, "data_version": stamp.data_version,
            "generated_at": stamp.generated.isoformat(),
            "filters": request.filters.to_dict(), "lang": request.lang}


def no_data_note(snap: Snapshot, lang: str) -> str | None:
    """The "no data yet" note of an empty region (``gridwatch.empty.no_history``), with its
    name, in ``lang``; None when the region has history."""
    if not no_history(snap):
        return None
    return t("nodata.export_note", lang, county=county_name(snap.region, lang))


def render_data(snap: Snapshot, request: ExportRequest, stamp: Stamp) -> bytes:
    """The CSV, GeoJSON or GeoPackage bytes for ``request``. Of an empty region a CSV's first
    line is the "no data yet" note (one cell, before the header), and a GeoJSON's or
    GeoPackage's properties carry it as ``note``."""
    note = no_data_note(snap, request.lang)
    if request.kind == "csv":
        if request.table == "grids":
            body = safe_csv(grids_frame(snap, request.filters, request.lang, request.view))
        else:
            body = safe_csv(chart_frame(snap, request.filters, request.table,
                                        request.lang), index=True)
        if note is None:
            return body
        head = pd.DataFrame({neutralise(note): []}).to_csv(index=False, lineterminator="\r\n")
        return "\ufeff".encode() + head.encode("utf-8") + body[len("\ufeff".encode()):]
    gdf = grids_geoframe(snap, request.filters, request.lang, request.view)
    properties = export_properties(request, stamp) | ({"note": note} if note else {})
    if request.kind == "geojson":
        data = json.loads(gdf.to_json(drop_id=True, to_wgs84=False))
        data["gridwatch"] = properties  # an RFC 7946 foreign member
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return _gpkg_bytes(gdf, properties, stamp)


def _gpkg_bytes(gdf: gpd.GeoDataFrame, properties: dict, stamp: Stamp) -> bytes:
    # GDAL stamps GeoPackage contents with the current time unless told otherwise; the
    # export's generation time keeps the file the same on every repeat.
    meta = {k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else str(v)
            for k, v in properties.items()}
    when = stamp.generated.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    fd, path = tempfile.mkstemp(suffix=".gpkg")
    os.close(fd)
    os.unlink(path)
    try:
        with _GDAL_LOCK:
            old = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
            pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": when})
            try:
                pyogrio.write_dataframe(gdf, path, layer="grids", driver="GPKG",
                                        layer_metadata=meta,
                                        layer_options={"DESCRIPTION": f"gridwatch export "
                                                       f"{stamp.export_id}"})
            finally:
                pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": old})
        with open(path, "rb") as fh:
            return fh.read()
    finally:
        if os.path.exists(path):
            os.unlink(path)


# --- tables for the briefing pack ------------------------------------------------------------

def red_orange_grids(snap: Snapshot, filters: Filters, view: str) -> pd.DataFrame:
    """The filtered grids marked red or orange, most urgent first, as ``view`` may see them
    (suppression decided over all the filtered grids, as the grid table shows them)."""
    table = view_rows(grid_table(snap, filters), view)
    return table[table["colour"].isin(["red", "orange"])].reset_index(drop=True)


def overdue_tasks(snap: Snapshot, filters: Filters) -> pd.DataFrame:
    """Tasks with an assignment to a filtered grid that is past due and not completed at the
    end of the as-of day: code, titles, issued, due, grids overdue and townships involved."""
    status = grid_status(snap, filters.as_of)
    grids = set(status.index[select_grids(status, filters)])
    end = cutoff(filters.as_of)
    a = issued_by(snap.assignments, end)
    a = a[a["grid_code"].isin(grids)]
    late = a[assignment_overdue(a, end)]
    columns = ["code", "title_zh", "title_en", "issued_at", "due_at", "grids_overdue",
               "townships"]
    if late.empty:
        return pd.DataFrame(columns=columns)
    per_task = late.groupby("task_id").agg(
        grids_overdue=("grid_code", "nunique"),
        townships=("township_code", lambda s: tuple(sorted(set(s)))),
        due_at=("due_at", "min"))
    tasks = snap.tasks.set_index("id").loc[per_task.index]
    out = pd.DataFrame({
        "code": tasks["code"], "title_zh": tasks["title_zh"], "title_en": tasks["title_en"],
        "issued_at": tasks["issued_at"], "due_at": per_task["due_at"],
        "grids_overdue": per_task["grids_overdue"], "townships": per_task["townships"],
    })
    return out.sort_values(["due_at", "code"]).reset_index(drop=True)[columns]


def colour_changes(snap: Snapshot, filters: Filters,
                   since: date) -> pd.DataFrame:
    """Grids whose colour at the end of the as-of day differs from the end of ``since``.

    Grids are those the level and township filters keep; with a colour filter, a change
    counts when the colour before or after is one of the chosen colours. ``direction`` is
    ``"up"`` (towards red, higher risk) or ``"down"``.
    """
    now = grid_status(snap, filters.as_of)
    before = grid_status(snap, since)["colour"]
    spatial = select_grids(now, Filters(levels=filters.levels, townships=filters.townships))
    after_rank = now["colour"].map(COLOUR_RANK)
    before_rank = before.map(COLOUR_RANK)
    changed = spatial & after_rank.notna() & before_rank.notna() & (after_rank != before_rank)
    if filters.colours:
        changed &= now["colour"].isin(filters.colours) | before.isin(filters.colours)
    out = pd.DataFrame({
        "code": now.index[changed], "township_code": now.loc[changed, "township_code"],
        "before": before[changed], "after": now.loc[changed, "colour"],
        "direction": np.where(after_rank[changed] < before_rank[changed], "up", "down"),
    }).reset_index(drop=True)
    info = snap.region.grid_table.set_index("code")
    for col in ("name_zh", "name_en", "township_zh", "township_en"):
        out[col] = info.loc[out["code"], col].to_numpy() if len(out) else []
    order = out["direction"].map({"up": 0, "down": 1})
    return out.assign(_o=order).sort_values(["_o", "township_code", "code"]) \
        .drop(columns="_o").reset_index(drop=True)


def changes_by_township(changes: pd.DataFrame, region: Region, lang: str) -> pd.DataFrame:
    """Per township with any change: grids up, grids down (and a total row)."""
    names = region.names("townships", lang)
    counts = pd.crosstab(changes["township_code"], changes["direction"]) if len(changes) \
        else pd.DataFrame()
    counts = counts.reindex(columns=["up", "down"]).fillna(0).astype(int)
    counts.insert(0, "township", [names.get(c, c) for c in counts.index])
    return counts.sort_index()
