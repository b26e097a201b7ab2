"""Briefing exports: print maps, the briefing pack and data downloads.

``run_export(source, request)`` produces any export as bytes with its file name and type;
the web route, the command line and the benchmarks all go through it. No Dash here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import pyogrio

from gridwatch.checkpoints import Health
from gridwatch.export.ids import ExportLog, ExportRecord, export_id
from gridwatch.export.options import (
    EXTENSIONS,
    KINDS,
    MAP_KINDS,
    MIME_TYPES,
    ExportOptionError,
    ExportRequest,
    request_from_params,
)
from gridwatch.export.render import Stamp
from gridwatch.geo.layers import Region
from gridwatch.service import DataSource
from gridwatch.snapshot import Snapshot

__all__ = [
    "KINDS", "ExportOptionError", "ExportRequest", "ExportResult", "ForeignExport", "StaleExport",
    "UnknownExport", "export_id", "replay", "request_from_params", "run_export",
]


@dataclass(frozen=True)
class ExportResult:
    """A produced file: its bytes, a file name, a MIME type and the export's record."""

    content: bytes
    filename: str
    mimetype: str
    record: ExportRecord


class UnknownExport(LookupError):
    """No export with this ID was ever made here."""


class ForeignExport(PermissionError):
    """The export was drawn for another view (another role or scope) than the caller's."""


class StaleExport(LookupError):
    """The export was made from another data version; it cannot be reproduced."""

    def __init__(self, record: ExportRecord) -> None:
        super().__init__(record.export_id)
        self.record = record


def is_synthetic(region: Region) -> bool:
    """Whether the region's grid and township boundaries are synthetic (the demo region).

    The region generator marks synthetic layers in their GeoPackage layer description.
    """
    return _synthetic(region.path, region.path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _synthetic(path: Path, _mtime: int) -> bool:
    for layer in ("grids", "townships"):
        meta = pyogrio.read_info(path, layer=layer).get("layer_metadata") or {}
        if "SYNTHETIC" in str(meta.get("DESCRIPTION", "")).upper():
            return True
    return False


def filename_for(request: ExportRequest, eid: str) -> str:
    """``gridwatch-<what>_<as-of>_<export id>.<ext>``."""
    what = {"pack": "briefing", "csv": request.table}.get(request.kind, "grids")
    if request.kind in MAP_KINDS:
        what = "map"
    return f"gridwatch-{what}_{request.as_of.isoformat()}_{eid}.{EXTENSIONS[request.kind]}"


def run_export(source: DataSource, request: ExportRequest, log: ExportLog | None = None,
               snap: Snapshot | None = None) -> ExportResult:
    """Produce the file for ``request`` from ``snap`` (default: ``source``'s current data).

    The file is stamped with the version of the data it was drawn from. The export is
    recorded in the store's export log the first time (``log``, default: ``source``'s); later
    calls with the same request on the same data version, on any host, reuse its generation
    time and give the same bytes.
    """
    from gridwatch.export import pack, render, tables

    snap = snap or source.snapshot()
    version, region = snap.version, snap.region
    log = log or ExportLog(source.engine)
    record = log.record(request, version, source.settings.timezone)
    stamp = Stamp(export_id=record.export_id, data_version=version,
                  generated=record.generated, synthetic=is_synthetic(region))
    palette = source.settings.palette
    checks = Health.of(source.settings)
    if request.kind in MAP_KINDS:
        content = render.render_map(snap, request, palette, stamp, checks)
    elif request.kind == "pack":
        content = pack.render_pack(snap, request, palette, stamp, checks)
    else:
        content = tables.render_data(snap, request, stamp)
    return ExportResult(content=content, filename=filename_for(request, record.export_id),
                        mimetype=MIME_TYPES[request.kind], record=record)


def replay(source: DataSource, eid: str, view: str,
           log: ExportLog | None = None) -> ExportResult:
    """Produce the export ``eid`` again, byte for byte, for a caller whose view
    (``gridwatch.visibility.view_of``) is ``view``.

    Raises
    ------
    UnknownExport
        No export with this ID is in the log.
    ForeignExport
        It was drawn for another view: giving it would show what the caller may not see.
    StaleExport
        The data changed since: the export cannot be reproduced.
    """
    log = log or ExportLog(source.engine)
    record = log.find(eid)
    if record is None:
        raise UnknownExport(eid)
    if record.request.get("view", "full") != view:
        raise ForeignExport(eid)
    snap = source.snapshot()
    if record.data_version != snap.version:
        raise StaleExport(record)
    request = request_from_params(record.request["kind"], _params(record.query),
                                  snap.region.townships["code"], snap.first_day, snap.last_day)
    return run_export(source, replace(request, view=view), log, snap)


def _params(query: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(query.lstrip("?")))
