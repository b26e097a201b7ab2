"""Boundary versions: stage an import as a region GeoPackage, activate it, switch back.

Each version is a row in ``boundary_versions`` holding its complete region GeoPackage
(``content``, with its sha256), so every host of a deployment sees the same versions; a
version's content is written once and never changed, and each process materialises the
active one into a cache file named after its hash (``gridwatch.store.regions``). Staging and
activating are writes on the one write path (``gridwatch.store.writes.write``): staging is
audited but shows nothing new, so it leaves the data version alone; activation retires the
active version, activates another and is audited as a visible change, which bumps the data
version (the dashboard reloads on its next poll). With no active version the settings' region
file is used.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import uuid
from pathlib import Path

import geopandas as gpd
import pyogrio
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridwatch.geo.layers import LAYERS
from gridwatch.ingest.boundaries import BoundaryImport
from gridwatch.ingest.boundary_files import BoundaryError
from gridwatch.settings import Settings
from gridwatch.store import models as m
from gridwatch.store.writes import Write, write

log = logging.getLogger(__name__)

ENTITY = "boundary_version"


def store_codes(engine: Engine) -> dict[str, set[str]]:
    """Grid, checkpoint and township codes the store's records refer to."""
    grids: set[str] = set()
    with engine.connect() as conn:
        for column in (m.RiskAssessment.grid_code, m.TaskAssignment.grid_code,
                       m.RingCount.grid_code, m.Lead.grid_code, m.ProxyRequest.grid_code):
            grids |= set(conn.execute(select(column).distinct()).scalars())
        checkpoints = set(conn.execute(select(m.CheckpointCount.checkpoint_code).distinct())
                          .scalars())
        townships = set(conn.execute(select(m.ControlLevelChange.township_code).distinct())
                        .scalars())
    return {"grids": grids, "checkpoints": checkpoints, "townships": townships}


def write_region(layers: dict[str, gpd.GeoDataFrame], path: Path, source: str) -> None:
    """Write a complete region GeoPackage (every layer of ``LAYERS``), atomically."""
    tmp = path.with_name(f".tmp-{path.name}")
    tmp.unlink(missing_ok=True)
    try:
        for name in LAYERS:
            pyogrio.write_dataframe(layers[name], tmp, layer=name, driver="GPKG",
                                    layer_options={"DESCRIPTION": f"Imported from {source}"[:250]})
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def region_bytes(layers: dict[str, gpd.GeoDataFrame], source: str) -> bytes:
    """A complete region GeoPackage (every layer of ``LAYERS``) as bytes."""
    with tempfile.TemporaryDirectory(prefix="gridwatch-stage-") as folder:
        path = Path(folder) / "region.gpkg"
        write_region(layers, path, source)
        return path.read_bytes()


def _describe(row: m.BoundaryVersion) -> dict:
    report = json.loads(row.report)
    return {"id": row.id, "status": row.status, "created_at": row.created_at,
            "created_by": row.created_by, "source": row.source_name, "sha256": row.sha256,
            "file_name": row.file_name, "activated_at": row.activated_at,
            "counts": report.get("counts", {}),
            "warnings": sum(1 for i in report.get("issues", []) if i["level"] == "warning")}


def stage(engine: Engine, settings: Settings, imported: BoundaryImport, actor: str,
          activate: bool = False) -> dict:
    """Keep an import as a new version (and activate it if asked); return the version.

    An import with the same content as an existing version reuses that version.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store's write engine (``DataSource.writer``).
    settings : Settings
        The deployment's settings (unused since versions live in the store; kept for callers).
    imported : BoundaryImport
        A checked import without errors.
    actor : str
        Who stages it, for the audit log.
    activate : bool, default False
        Also make it the active version, in the same transaction.

    Raises
    ------
    BoundaryError
        When the import has errors.
    """
    if imported.layers is None or not imported.report.ok:
        raise BoundaryError("not_valid", n=len(imported.report.errors))
    with Session(engine) as s:
        existing = s.scalars(select(m.BoundaryVersion)
                             .where(m.BoundaryVersion.sha256 == imported.sha256)).first()
        existing_id = existing.id if existing is not None else None
    if existing_id is not None:
        return activate_version(engine, settings, existing_id, actor) if activate else \
            version(engine, existing_id)
    source = ", ".join(imported.sources)
    content = region_bytes(imported.layers, source)
    file_name = f"{imported.sha256[:12]}-{uuid.uuid4().hex[:8]}.gpkg"
    with write(engine, actor) as w:
        row = m.BoundaryVersion(created_at=w.ctx.now, created_by=actor[:96],
                                source_name=source, sha256=imported.sha256,
                                file_name=file_name, status="staged",
                                report=json.dumps(imported.report.to_dict(),
                                                  ensure_ascii=False),
                                content=content,
                                content_sha256=hashlib.sha256(content).hexdigest())
        w.session.add(row)
        w.session.flush()
        # A staged version is not shown: audited, but the data version stays.
        w.audit([{"action": "boundary.stage", "entity": ENTITY, "entity_key": row.id,
                  "before": None, "after": {"source": source, "sha256": imported.sha256,
                                            "counts": imported.report.counts}}],
                visible=False)
        if activate:
            _switch(w, row)
        version_id = row.id
    return version(engine, version_id)


def _switch(w: Write, row: m.BoundaryVersion) -> None:
    current = w.session.scalars(select(m.BoundaryVersion)
                                .where(m.BoundaryVersion.status == "active")).all()
    for old in current:
        old.status = "retired"
    row.status = "active"
    row.activated_at = w.ctx.now
    w.audit([{"action": "boundary.activate", "entity": ENTITY, "entity_key": row.id,
              "before": {"active": [old.id for old in current] or None},
              "after": {"active": row.id}}])


def activate_version(engine: Engine, settings: Settings, version_id: int, actor: str) -> dict:
    """Make ``version_id`` the active version (retiring the current one) in one transaction.

    Activating the version that is already active changes nothing.

    Raises
    ------
    BoundaryError
        When there is no such version or it has no content (a legacy file that was lost).
    """
    with write(engine, actor) as w:
        row = w.session.get(m.BoundaryVersion, version_id)
        if row is None:
            raise BoundaryError("no_version", id=version_id)
        has_content = w.session.scalar(select(m.BoundaryVersion.content.is_not(None))
                                       .where(m.BoundaryVersion.id == version_id))
        if not has_content:
            raise BoundaryError("version_file_missing", id=version_id, name=row.file_name)
        if row.status != "active":
            _switch(w, row)
    return version(engine, version_id)


def version(engine: Engine, version_id: int) -> dict:
    """One version's row as a dict (see ``list_versions``)."""
    with Session(engine) as s:
        row = s.get(m.BoundaryVersion, version_id)
        if row is None:
            raise BoundaryError("no_version", id=version_id)
        return _describe(row)


def list_versions(engine: Engine) -> list[dict]:
    """Every version, newest first: id, status, who and when, source, counts."""
    with Session(engine) as s:
        rows = s.scalars(select(m.BoundaryVersion).order_by(m.BoundaryVersion.id.desc())).all()
        return [_describe(r) for r in rows]
