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

A store holds one region's history. The region in force is named in ``store_meta``
(``REGION_KEY``: an id, its code and names, since when; absent: the settings' region) and
every version records the id of the region it belongs to (``report["region"]``; absent: the
settings' region). An import that replaces the boundaries is a version of the region in force;
``create_region`` (``import-boundaries --new-region``) starts a region of its own, only on a
store without history, or, asked to replace it, after archiving the whole store into a backup
file (``gridwatch.store.backup``) and emptying the history tables (``HISTORY_TABLES``) in the
transaction that activates it. A version of another region is never activated.
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
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from gridwatch.geo.layers import LAYERS
from gridwatch.ingest.boundaries import BoundaryImport
from gridwatch.ingest.boundary_files import BoundaryError
from gridwatch.settings import Settings
from gridwatch.store import models as m
from gridwatch.store.writes import Write, now_utc, write

log = logging.getLogger(__name__)

ENTITY = "boundary_version"

REGION_KEY = "region"
"""The ``store_meta`` key naming the region in force (JSON: id, code, names, since, version);
absent: the settings' region file, the store's first region."""

HISTORY_TABLES = (m.TaskAssignment, m.Task, m.RiskAssessment, m.ControlLevelChange,
                  m.Directive, m.CheckpointCount, m.Lead, m.RingCount, m.ProxyRequest,
                  m.InspectionCase, m.InspectionTeam, m.Notification, m.IdempotencyKey,
                  m.ExportEntry, m.KeptBriefing)
"""Tables holding one region's history (in an order that deletes children first): a new
region needs them empty, or archived and emptied (``create_region``). Users, kiosks, tokens,
boundary versions and the audit log stay."""


def history_rows(conn_or_session) -> dict[str, int]:
    """The rows each history table holds, for the tables that hold any."""
    out = {}
    for model in HISTORY_TABLES:
        n = conn_or_session.execute(select(func.count()).select_from(model)).scalar() or 0
        if n:
            out[model.__tablename__] = int(n)
    return out


def current_region(conn_or_session) -> dict:
    """The region in force as ``store_meta`` names it (``{}``: the settings' region)."""
    value = conn_or_session.execute(select(m.StoreMeta.value)
                                    .where(m.StoreMeta.key == REGION_KEY)).scalar()
    return json.loads(value) if value else {}


def _lineage(row: m.BoundaryVersion) -> str:
    """The id of the region a version belongs to ("": the settings' region)."""
    return str(json.loads(row.report).get("region", ""))


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
            "counts": report.get("counts", {}), "region": report.get("region", ""),
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
        region_id = current_region(s).get("id", "")
        existing = [r for r in s.scalars(select(m.BoundaryVersion).where(
            m.BoundaryVersion.sha256 == imported.sha256)) if _lineage(r) == region_id]
        existing_id = existing[0].id if existing else None
    if existing_id is not None:
        return activate_version(engine, settings, existing_id, actor) if activate else \
            version(engine, existing_id)
    source = ", ".join(imported.sources)
    content = region_bytes(imported.layers, source)
    with write(engine, actor) as w:
        if current_region(w.session).get("id", "") != region_id:  # a new region meanwhile
            raise BoundaryError("region_changed")
        row = _version_row(w, imported, source, content, region_id)
        # A staged version is not shown: audited, but the data version stays.
        w.audit([{"action": "boundary.stage", "entity": ENTITY, "entity_key": row.id,
                  "before": None, "after": {"source": source, "sha256": imported.sha256,
                                            "counts": imported.report.counts}}],
                visible=False)
        if activate:
            _switch(w, row)
        version_id = row.id
    return version(engine, version_id)


def _version_row(w: Write, imported: BoundaryImport, source: str, content: bytes,
                 region_id: str) -> m.BoundaryVersion:
    report = imported.report.to_dict()
    if region_id:
        report["region"] = region_id
    row = m.BoundaryVersion(created_at=w.ctx.now, created_by=w.ctx.actor, source_name=source,
                            sha256=imported.sha256,
                            file_name=f"{imported.sha256[:12]}-{uuid.uuid4().hex[:8]}.gpkg",
                            status="staged", report=json.dumps(report, ensure_ascii=False),
                            content=content,
                            content_sha256=hashlib.sha256(content).hexdigest())
    w.session.add(row)
    w.session.flush()
    return row


def region_names(layers_or_region) -> dict:
    """The county's code and names (``name_zh``, ``name_en``) from a region or its layers."""
    county = layers_or_region["county"] if isinstance(layers_or_region, dict) \
        else layers_or_region.county
    row = county.iloc[0]
    return {"code": str(row.get("code", "")), "name_zh": str(row.get("name_zh", "")),
            "name_en": str(row.get("name_en", ""))}


def default_archive(settings: Settings, old: dict) -> Path:
    """Where ``create_region`` archives the old history when not told: beside a SQLite
    store (``<db>.archive-<UTC time>-<region code>.sqlite``), else in the working folder
    (``gridwatch-archive-<UTC time>-<region code>.pgdump``)."""
    stamp = now_utc().strftime("%Y%m%dT%H%M%SZ")
    code = "".join(c for c in str(old.get("code") or "region") if c.isalnum())[:24] or "region"
    url = settings.database_url
    if url.startswith("sqlite"):
        from gridwatch.store.backup import _sqlite_path

        db = _sqlite_path(url)
        return db.with_name(f"{db.name}.archive-{stamp}-{code}.sqlite")
    return Path.cwd() / f"gridwatch-archive-{stamp}-{code}.pgdump"


def create_region(engine: Engine, settings: Settings, imported: BoundaryImport, actor: str,
                  replace_history: bool = False, archive: Path | None = None,
                  current: dict | None = None) -> dict:
    """Make ``imported`` (``import_boundaries(..., new_region=True)``) the region in force:
    a version of a region of its own, activated, named in ``store_meta``.

    A store holds one region's history: with history rows (``HISTORY_TABLES``) this is
    refused unless ``replace_history``; then the whole store is first backed up into
    ``archive`` (default ``default_archive``; ``python -m gridwatch restore`` reads it) and,
    in the one write that activates the new region, the history tables are emptied, provided
    nothing was written since the backup (else refused: run it again). Readers then read
    every table whole (the history mark is renewed).

    Parameters
    ----------
    current : dict, optional
        The old region's code and names, for the audit and the archive's name.

    Returns
    -------
    dict
        The version (``version``), with ``archive`` (the path, or None) and ``cleared``
        (rows per table emptied).

    Raises
    ------
    BoundaryError
        When the import has errors, when the store holds history and ``replace_history`` is
        not given, when the archive cannot be written or the store changed meanwhile.
    """
    if imported.layers is None or not imported.report.ok:
        raise BoundaryError("not_valid", n=len(imported.report.errors))
    with Session(engine) as s:
        rows = history_rows(s)
        old = current_region(s) or dict(current or {})
    if rows and not replace_history:
        raise BoundaryError("history_in_store", rows=_rows_text(rows))
    archived, archived_version = None, None
    if rows:
        from gridwatch.store.backup import BackupError, backup

        target = Path(archive) if archive is not None else default_archive(settings, old)
        try:
            done = backup(settings.database_url, target)
        except BackupError as exc:
            raise BoundaryError("archive_failed", path=str(target), reason=str(exc)) from None
        archived, archived_version = done.path, done.version
    source = ", ".join(imported.sources)
    content = region_bytes(imported.layers, source)
    region_id = uuid.uuid4().hex
    names = region_names(imported.layers)
    with write(engine, actor) as w:
        s = w.session
        now_rows = history_rows(s)
        if rows:
            at = s.execute(select(m.StoreMeta.value)
                           .where(m.StoreMeta.key == "version")).scalar()
            if int(at or 0) != int(archived_version or 0):
                raise BoundaryError("history_moved", path=str(archived))
        elif now_rows:
            raise BoundaryError("history_in_store", rows=_rows_text(now_rows))
        for model in HISTORY_TABLES:
            s.execute(delete(model).execution_options(synchronize_session=False))
        if rows:
            from gridwatch.snapshot import HISTORY_KEY

            s.merge(m.StoreMeta(key=HISTORY_KEY, value=uuid.uuid4().hex))
        row = _version_row(w, imported, source, content, region_id)
        w.audit([{"action": "boundary.stage", "entity": ENTITY, "entity_key": row.id,
                  "before": None, "after": {"source": source, "sha256": imported.sha256,
                                            "counts": imported.report.counts,
                                            "region": region_id}}], visible=False)
        _switch(w, row)
        meta = {"id": region_id, **names, "since": w.ctx.now.isoformat(timespec="seconds"),
                "version": row.id}
        s.merge(m.StoreMeta(key=REGION_KEY, value=json.dumps(meta, ensure_ascii=False)))
        w.audit([{"action": "region.create", "entity": "region", "entity_key": region_id,
                  "before": {"region": old or None, "history_rows": rows or None,
                             "archive": str(archived) if archived else None},
                  "after": meta}])
        version_id = row.id
    answer = version(engine, version_id)
    return {**answer, "archive": archived, "cleared": rows}


def stale_scopes(engine: Engine, layers: dict[str, gpd.GeoDataFrame]) -> list[dict]:
    """Accounts and live API tokens whose township or village scope names places the
    region ``layers`` lacks (after a new region: they can act nowhere until rescoped)."""
    from gridwatch.auth.policy import Scope

    known = {"township": set(layers["townships"]["code"].astype(str)),
             "village": set(layers["villages"]["code"].astype(str))}
    out = []
    with Session(engine) as s:
        holders = [("user", r.name, r.scope) for r in s.scalars(
            select(m.User).where(m.User.disabled_at.is_(None)))]
        holders += [("token", r.name, r.scope) for r in s.scalars(
            select(m.ApiToken).where(m.ApiToken.revoked_at.is_(None)))]
    for kind, name, text in holders:
        try:
            scope = Scope.parse(text)
        except ValueError:
            continue
        lost = sorted(scope.codes - known.get(scope.kind, set()))
        if lost:
            out.append({"kind": kind, "name": name, "scope": str(scope), "lost": lost})
    return out


def _rows_text(rows: dict[str, int]) -> str:
    return ", ".join(f"{table} {n:,}" for table, n in sorted(rows.items()))


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
        if _lineage(row) != current_region(w.session).get("id", ""):
            raise BoundaryError("version_other_region", id=version_id)
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
