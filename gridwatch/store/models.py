"""The operational store's tables.

History is append-only: every table records what was observed or done and when. The current state
(a grid's colour, a township's control level) is derived from history by ``gridwatch.metrics``.
All timestamps are stored as naive UTC.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

COLOURS = ("red", "orange", "yellow", "blue", "green")
"""Risk colours from highest to lowest risk."""
COLOUR_RANK = {colour: rank for rank, colour in enumerate(COLOURS)}
"""A colour's rank: 0 for red (highest risk) to 4 for green."""
LEAD_STAGES = ("reported", "acknowledged", "escalated", "dispatched", "closed")
"""A lead's stages in order; each but the first is a ``<stage>_at`` column of ``leads``."""

CONTROL_LEVELS = (1, 2, 3)
"""Township control levels; level 1 is the strictest."""
DEFAULT_CONTROL_LEVEL = 3
"""A township's level before any level was ever set for it."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class StoreMeta(Base):
    """Key/value facts about the store; ``version`` is bumped by every write."""

    __tablename__ = "store_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class RiskAssessment(Base):
    __tablename__ = "risk_assessments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(32), index=True)
    colour: Mapped[str] = mapped_column(String(8))
    observed_at: Mapped[datetime] = mapped_column(DateTime)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    source: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        UniqueConstraint("grid_code", "observed_at", "source", name="uq_risk_natural"),
        Index("ix_risk_observed", "observed_at"),
    )


class ControlLevelChange(Base):
    __tablename__ = "control_level_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    township_code: Mapped[str] = mapped_column(String(16), index=True)
    level: Mapped[int] = mapped_column(Integer)
    effective_at: Mapped[datetime] = mapped_column(DateTime)
    source: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (UniqueConstraint("township_code", "effective_at", name="uq_level_natural"),)


class Directive(Base):
    """Orders (指挥部令) and notices (通告) published by the county command centre."""

    __tablename__ = "directives"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # order | notice
    number: Mapped[int] = mapped_column(Integer)
    title_zh: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (UniqueConstraint("kind", "number", name="uq_directive_number"),)


class Task(Base):
    """A special task (专项任务) published by the county centre."""

    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    title_zh: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(String(16))  # county | township | grids
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    due_at: Mapped[datetime] = mapped_column(DateTime)


class TaskAssignment(Base):
    """One task as it reached one grid: issued by the county, handed off (交办) by the grid's
    township, acknowledged and completed by the grid."""

    __tablename__ = "task_assignments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    grid_code: Mapped[str] = mapped_column(String(32), index=True)
    township_code: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    due_at: Mapped[datetime] = mapped_column(DateTime)
    handed_off_at: Mapped[datetime | None] = mapped_column(DateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    __table_args__ = (UniqueConstraint("task_id", "grid_code", name="uq_assignment_grid"),)


class CheckpointCount(Base):
    """What one checkpoint inspected in one hour."""

    __tablename__ = "checkpoint_counts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checkpoint_code: Mapped[str] = mapped_column(String(16))
    hour_start: Mapped[datetime] = mapped_column(DateTime)
    vehicles: Mapped[int] = mapped_column(Integer)
    people: Mapped[int] = mapped_column(Integer)
    qr_registrations: Mapped[int] = mapped_column(Integer)
    flagged: Mapped[int] = mapped_column(Integer)
    __table_args__ = (
        UniqueConstraint("checkpoint_code", "hour_start", name="uq_checkpoint_hour"),
        Index("ix_checkpoint_hour", "hour_start"),
    )


class Lead(Base):
    """A lead (线索) reported by a grid worker, with its escalation timeline."""

    __tablename__ = "leads"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    grid_code: Mapped[str] = mapped_column(String(32), index=True)
    township_code: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))  # returnee | fever | gathering | other
    summary_zh: Mapped[str] = mapped_column(Text)
    summary_en: Mapped[str] = mapped_column(Text)
    reported_at: Mapped[datetime] = mapped_column(DateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str | None] = mapped_column(Text)
    household_ref: Mapped[str | None] = mapped_column(String(32), index=True)
    """The household register number a lead concerns, when known (subject-access requests)."""
    purged_at: Mapped[datetime | None] = mapped_column(DateTime)
    """When its text was anonymised under the retention rule (``python -m gridwatch purge``)."""


class RingCount(Base):
    """Daily per-grid counts of the six rings of control."""

    __tablename__ = "ring_counts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    arrivals_high_risk: Mapped[int] = mapped_column(Integer)
    central_quarantine: Mapped[int] = mapped_column(Integer)
    screened_households: Mapped[int] = mapped_column(Integer)
    home_isolation: Mapped[int] = mapped_column(Integer)
    closed_compounds: Mapped[int] = mapped_column(Integer)
    __table_args__ = (
        UniqueConstraint("grid_code", "day", name="uq_ring_grid_day"),
        Index("ix_ring_day", "day"),
    )


class ProxyRequest(Base):
    """A red-proxy (红色代办) request from an isolated household and its delivery visit."""

    __tablename__ = "proxy_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(32), index=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    items: Mapped[str] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    household_ref: Mapped[str | None] = mapped_column(String(32), index=True)
    purged_at: Mapped[datetime | None] = mapped_column(DateTime)


class InspectionTeam(Base):
    __tablename__ = "inspection_teams"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)


class InspectionCase(Base):
    """A case of failure to carry out orders, handled by an inspection team."""

    __tablename__ = "inspection_cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("inspection_teams.id"))
    township_code: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    people_involved: Mapped[int] = mapped_column(Integer)
    publicised: Mapped[bool] = mapped_column(Boolean)
    summary_zh: Mapped[str] = mapped_column(Text)
    summary_en: Mapped[str] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(String(32))  # one of INSPECTION_KINDS, or none
    people_names: Mapped[str | None] = mapped_column(Text)
    """The people involved, a JSON array of names: household-level data (only roles with the
    right to the case's township see them)."""


INSPECTION_KINDS = ("checkpoint_absent", "isolation", "screening", "gathering", "reporting")
"""What an inspection case found: checkpoint staff absent, home isolation not enforced,
door-to-door screening not done, a gathering not stopped, reports late or missing."""


# --- ingest: tokens, idempotency keys, audit -----------------------------------------------------

class Notification(Base):
    """One alert for one outbound channel (``gridwatch.notify``): queued once per channel and
    alert key, then delivered with a bounded number of attempts."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(32))
    township_code: Mapped[str | None] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (UniqueConstraint("channel", "key", name="uq_notification_channel_key"),)


class ApiToken(Base):
    """A bearer token for the write API; only its SHA-256 digest is kept."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    role: Mapped[str] = mapped_column(String(16), default="operator", server_default="operator")
    scope: Mapped[str] = mapped_column(Text, default="county", server_default="county")
    """``county``, ``township:CODE,CODE`` or ``village:CODE,...`` (see ``gridwatch.auth``)."""


class IdempotencyKey(Base):
    """A write request already answered: a replay with the same key gets the same answer."""

    __tablename__ = "idempotency_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(96))
    key: Mapped[str] = mapped_column(String(128))
    endpoint: Mapped[str] = mapped_column(String(64))
    request_digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (UniqueConstraint("actor", "key", name="uq_idempotency_actor_key"),)


class AuditEntry(Base):
    """Who changed what, when, with the state before and after (JSON)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(96))
    action: Mapped[str] = mapped_column(String(48))
    entity: Mapped[str] = mapped_column(String(32))
    entity_key: Mapped[str] = mapped_column(String(96))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))
    """Where the request came from (the client's address), when there was a request."""
    __table_args__ = (
        Index("ix_audit_entity", "entity", "entity_key"),
        Index("ix_audit_at", "at"),
    )


# --- boundary versions ---------------------------------------------------------------------------

class BoundaryVersion(Base):
    """One imported set of boundaries: a complete region GeoPackage, kept in ``content``.

    ``status`` is staged, active or retired; at most one version is active, and when none is the
    region file from the settings is used. ``sha256`` identifies the imported source files (an
    import of the same files reuses the version); ``content_sha256`` is the hash of the
    GeoPackage bytes in ``content``, which each process materialises once into a cache file
    named after it (``gridwatch.store.regions``). ``content`` is deferred: listing versions
    never reads it. ``file_name`` is a label kept from when versions were files.
    """

    __tablename__ = "boundary_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(96))
    source_name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(8), index=True)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime)
    report: Mapped[str] = mapped_column(Text)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    content_sha256: Mapped[str | None] = mapped_column(String(64))


# --- exports -------------------------------------------------------------------------------------

class ExportEntry(Base):
    """One export ever produced (``gridwatch.export.ids.ExportLog``): the first record of an
    ID wins, so the same request on the same data gives the same file on every host.

    Not data: recording an export leaves the data version alone.
    """

    __tablename__ = "export_records"
    export_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    data_version: Mapped[str] = mapped_column(String(64))
    generated_at: Mapped[str] = mapped_column(String(40))
    """ISO 8601 with the county's UTC offset, to the second (as the file is stamped)."""
    request: Mapped[str] = mapped_column(Text)
    """The canonical request (JSON)."""
    query: Mapped[str] = mapped_column(Text)
    """The /export query string that asks for this export again."""
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class KeptBriefing(Base):
    """A daily briefing pack kept for download (``gridwatch.export.kept``): the pack of one
    day, made once by the schedule (``python -m gridwatch daily-pack``) and kept in the store
    so every host lists and serves the same file. One row per day: a second run for the same
    day keeps the first.

    Not data: keeping a briefing leaves the data version alone. ``content`` is deferred:
    listing the kept briefings never reads it.
    """

    __tablename__ = "kept_briefings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    """The day the pack is of (its as-of day)."""
    lang: Mapped[str] = mapped_column(String(8))
    export_id: Mapped[str] = mapped_column(String(32))
    data_version: Mapped[str] = mapped_column(String(64))
    view: Mapped[str] = mapped_column(String(160))
    """The export view it was drawn for (``gridwatch.visibility.view_of``)."""
    filename: Mapped[str] = mapped_column(String(160))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(96))
    __table_args__ = (UniqueConstraint("day", name="uq_kept_briefing_day"),)


# --- trust: accounts, sessions, kiosks, failed logins --------------------------------------------

class User(Base):
    """A person who logs in; only an argon2 hash of the password is kept."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(Text)
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)


class Kiosk(Base):
    """A wall display's standing read-only access; only the digest of its secret is kept."""

    __tablename__ = "kiosks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime)


class LoginSession(Base):
    """A browser's session: a user's (idle and absolute lifetime) or a kiosk's (until revoked).

    ``digest`` is the SHA-256 of the cookie's random value; the cookie itself is never stored.
    """

    __tablename__ = "login_sessions"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosks.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    address: Mapped[str] = mapped_column(String(64))


class LoginFailure(Base):
    """One failed login, by the name tried (known or not); counted for the lockout."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime)
    address: Mapped[str] = mapped_column(String(64))
    __table_args__ = (Index("ix_login_failures_name_at", "name", "at"),)
