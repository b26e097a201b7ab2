"""Personal data has an end: the retention purge and subject access (no Flask, no Dash).

Household-level records are a lead's texts (``summary_zh``, ``summary_en``, ``outcome``) and the
household it concerns (``household_ref``), and a red-proxy request's ``items`` and household.
``purge`` anonymises those of records older than a cutoff: the texts become a fixed placeholder,
the outcome and the household become null and ``purged_at`` says when. Everything the figures
need stays (codes, grid, township, category, every timestamp), so counts, KPIs and the wall are
the same after a purge as before it. Copies of the texts in the audit log (the ``before`` and
``after`` of a purged lead's own entries) are blanked the same way, in the same transaction.

``subject_access`` gathers everything held about one household, for a subject-access request;
it is audited as a read of household-level data.

All instants are naive UTC, as the store keeps them.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, func, or_, select, update
from sqlalchemy.orm import Session

from gridwatch.snapshot import HISTORY_KEY
from gridwatch.store import models as m
from gridwatch.store.writes import dumps, now_utc, write
from gridwatch.timeutil import start_of_day_utc, utc_to_local

PLACEHOLDER_ZH = "[已按保留期限删除]"
"""What a purged Chinese text (lead summary, proxy items) reads."""
PLACEHOLDER_EN = "[removed under the retention period]"
"""What a purged English text reads."""

LEAD_TEXTS = {"summary_zh": PLACEHOLDER_ZH, "summary_en": PLACEHOLDER_EN}
"""A purged lead's texts and what they become; ``outcome`` and ``household_ref`` become null."""
LEAD_CLEARED = ("outcome", "household_ref")
PROXY_TEXTS = {"items": PLACEHOLDER_ZH}
PROXY_CLEARED = ("household_ref",)

ACTION = "privacy.purge"
READ_ACTION = "read.personal"
"""How a subject-access lookup is audited (as ``gridwatch.auth.audit.audit_personal_read``)."""
CHUNK = 500  # codes per IN (...) query: far below any database's parameter limit


@dataclass(frozen=True)
class PurgeResult:
    """What a purge anonymised (or, on a dry run, would have).

    ``leads`` and ``proxy_requests`` count the records anonymised by this run; the
    ``already_*`` counts are records older than the cutoff that an earlier purge anonymised
    (left untouched). ``audit_entries`` counts audit rows whose copies of the texts were blanked.
    """

    before: datetime
    leads: int
    proxy_requests: int
    already_purged_leads: int
    already_purged_proxy_requests: int
    audit_entries: int
    dry_run: bool = False
    lead_codes: tuple[str, ...] = ()
    """The codes of the leads anonymised by this run (or that would be)."""

    @property
    def changed(self) -> bool:
        """Whether this run anonymised anything (always False on a dry run)."""
        return not self.dry_run and bool(self.leads or self.proxy_requests)

    def as_dict(self) -> dict:
        out = asdict(self)
        out["before"] = _iso(self.before)
        out["lead_codes"] = list(self.lead_codes)
        return out


def retention_cutoff(settings, now: datetime | None = None) -> datetime | None:
    """The purge cutoff the retention setting gives: naive UTC, or None to keep everything.

    With ``retention_days`` N > 0 it is the start of the local day (``settings.timezone``)
    N days before ``now``'s: a record is kept for at least N whole days. ``retention_days`` 0
    means records are kept until purged by hand, and gives None.

    Parameters
    ----------
    settings : Settings
        Its ``retention_days`` and ``timezone``.
    now : datetime, optional
        Naive UTC (or aware); default the current time.
    """
    days = int(settings.retention_days)
    if days <= 0:
        return None
    now = now_utc() if now is None else _naive_utc(now)
    today = utc_to_local(now, settings.timezone).date()
    return start_of_day_utc(today - timedelta(days=days), settings.timezone)


def day_cutoff(day: date, tz: str) -> datetime:
    """The start of ``day`` in ``tz`` as naive UTC (what ``purge --before DAY`` purges before)."""
    return start_of_day_utc(day, tz)


def purge(engine: Engine, before: datetime, actor: str, *, dry_run: bool = False,
          address: str | None = None) -> PurgeResult:
    """Anonymise the household-level records older than ``before``, as one write.

    Leads reported before ``before``: ``summary_zh``/``summary_en`` become the placeholders,
    ``outcome`` and ``household_ref`` null, ``purged_at`` now. Red-proxy requests made before it:
    ``items`` the placeholder, ``household_ref`` null, ``purged_at`` now. Records already purged
    are left as they are and counted apart, so a second run with the same cutoff changes
    nothing. One summary audit entry (``privacy.purge``) records the run; when something was
    anonymised the data version is bumped once, so dashboards reload.

    Parameters
    ----------
    engine : Engine
        The store's write engine (``DataSource.writer``); on a dry run any engine.
    before : datetime
        The cutoff, naive UTC (an aware time is converted).
    actor : str
        Who purges, for the audit log (``gridwatch.cli.cli_actor()``).
    dry_run : bool
        Count what would be anonymised; change nothing and write no audit entry.
    address : str, optional
        Where the request came from, for the audit log.
    """
    before = _naive_utc(before)
    if dry_run:
        with Session(engine) as session:
            found = _find(session, before)
            audit = _audit_rows(session, found["codes"])
        return _result(before, found, sum(1 for row in audit if _scrubbed(row) is not None),
                       dry_run=True)
    with write(engine, actor, address=address) as w:
        s = w.session
        found = _find(s, before)
        now = w.ctx.now
        if found["codes"]:
            s.execute(update(m.Lead)
                      .where(m.Lead.reported_at < before, m.Lead.purged_at.is_(None))
                      .values(**LEAD_TEXTS, **dict.fromkeys(LEAD_CLEARED), purged_at=now)
                      .execution_options(synchronize_session=False))
        if found["proxy"]:
            s.execute(update(m.ProxyRequest)
                      .where(m.ProxyRequest.requested_at < before,
                             m.ProxyRequest.purged_at.is_(None))
                      .values(**PROXY_TEXTS, **dict.fromkeys(PROXY_CLEARED), purged_at=now)
                      .execution_options(synchronize_session=False))
            # red-proxy requests are otherwise only ever added: servers read them whole now
            s.merge(m.StoreMeta(key=HISTORY_KEY, value=uuid.uuid4().hex))
        scrubbed = 0
        for row in _audit_rows(s, found["codes"]):
            new = _scrubbed(row)
            if new is not None:
                s.execute(update(m.AuditEntry).where(m.AuditEntry.id == row.id)
                          .values(before=new[0], after=new[1])
                          .execution_options(synchronize_session=False))
                scrubbed += 1
        result = _result(before, found, scrubbed, dry_run=False)
        w.audit([{"action": ACTION, "entity": "privacy", "entity_key": _iso(before),
                  "before": None,
                  "after": {"before": _iso(before), "leads": result.leads,
                            "proxy_requests": result.proxy_requests,
                            "already_purged_leads": result.already_purged_leads,
                            "already_purged_proxy_requests":
                                result.already_purged_proxy_requests,
                            "audit_entries": scrubbed}}],
                visible=result.changed)
    return result


def _find(s: Session, before: datetime) -> dict:
    lead, proxy = m.Lead, m.ProxyRequest
    codes = s.scalars(select(lead.code).where(lead.reported_at < before,
                                              lead.purged_at.is_(None))
                      .order_by(lead.reported_at, lead.id)).all()
    done_leads = s.scalar(select(func.count()).select_from(lead).where(
        lead.reported_at < before, lead.purged_at.is_not(None)))
    new_proxy = s.scalar(select(func.count()).select_from(proxy).where(
        proxy.requested_at < before, proxy.purged_at.is_(None)))
    done_proxy = s.scalar(select(func.count()).select_from(proxy).where(
        proxy.requested_at < before, proxy.purged_at.is_not(None)))
    return {"codes": tuple(codes), "done_leads": int(done_leads or 0),
            "proxy": int(new_proxy or 0), "done_proxy": int(done_proxy or 0)}


def _result(before: datetime, found: dict, scrubbed: int, *, dry_run: bool) -> PurgeResult:
    return PurgeResult(before=before, leads=len(found["codes"]), proxy_requests=found["proxy"],
                       already_purged_leads=found["done_leads"],
                       already_purged_proxy_requests=found["done_proxy"],
                       audit_entries=scrubbed, dry_run=dry_run, lead_codes=found["codes"])


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(values), CHUNK):
        yield values[i:i + CHUNK]


def _audit_rows(s: Session, codes: Sequence[str]) -> list:
    """The audit rows of the leads ``codes`` (their reports and stage changes)."""
    a = m.AuditEntry
    rows = []
    for part in _chunks(codes):
        rows.extend(s.execute(select(a.id, a.before, a.after).where(
            a.entity == "lead", a.entity_key.in_(part)).order_by(a.id)).all())
    return rows


def _scrubbed(row) -> tuple[str | None, str | None] | None:
    """A lead's audit row with its copies of the texts blanked, or None when it has none."""
    changed = False
    out = []
    for text in (row.before, row.after):
        value = _loads(text)
        if isinstance(value, dict):
            new = dict(value)
            for name, placeholder in LEAD_TEXTS.items():
                if new.get(name) not in (None, placeholder):
                    new[name] = placeholder
            for name in LEAD_CLEARED:
                if new.get(name) is not None:
                    new[name] = None
            if new != value:
                changed = True
                out.append(dumps(new))
                continue
        out.append(text)
    return (out[0], out[1]) if changed else None


# --- subject access ------------------------------------------------------------------------------

def subject_access(engine: Engine, household_ref: str, actor: str = "system",
                   tz: str | None = None, address: str | None = None) -> dict:
    """Everything the store holds about one household, as JSON-able data.

    Its leads (every field), its red-proxy requests, and the audit entries about it: those of
    its leads (by code), those whose ``before``/``after`` name its register number, and the
    recorded reads of its data (earlier subject-access lookups among them). The lookup is itself
    audited, in the same transaction, as a read of household-level data (``read.personal`` on
    ``household``/``household_ref``, as ``gridwatch.auth.audit.audit_personal_read`` records
    them; not visible to readers, so no dashboard reloads). A household with no lead or request
    held (unknown, or purged) gives empty lists and a ``note``.

    Parameters
    ----------
    engine : Engine
        The store (its write engine, ``DataSource.writer``: the read is audited).
    household_ref : str
        The household's register number (e.g. ``H33082400100101012``).
    actor : str
        Who asks, for the audit log (``gridwatch.cli.cli_actor()``).
    tz : str, optional
        Give times in this zone with its offset; default UTC (``...Z``).
    address : str, optional
        Where the request came from, for the audit log.

    Raises
    ------
    ValueError
        ``household_ref`` is blank.
    """
    ref = (household_ref or "").strip()
    if not ref:
        raise ValueError("a household reference is needed")
    lead, proxy, a = m.Lead, m.ProxyRequest, m.AuditEntry
    with write(engine, actor, address=address) as w:
        s = w.session
        leads = s.scalars(select(lead).where(lead.household_ref == ref)
                          .order_by(lead.reported_at, lead.id)).all()
        proxies = s.scalars(select(proxy).where(proxy.household_ref == ref)
                            .order_by(proxy.requested_at, proxy.id)).all()
        codes = [r.code for r in leads]
        pattern = "%" + _like_escape(ref) + "%"
        named = re.compile(rf"(?<![0-9A-Za-z]){re.escape(ref)}(?![0-9A-Za-z])")
        candidates = s.scalars(select(a).where(or_(
            a.before.like(pattern, escape="\\"), a.after.like(pattern, escape="\\"),
            and_(a.entity == "household", a.entity_key == ref)))).all()
        entries = {e.id: e for e in candidates
                   if (e.entity == "household" and e.entity_key == ref)
                   or named.search(e.before or "") or named.search(e.after or "")}
        for part in _chunks(codes):
            entries.update({e.id: e for e in s.scalars(
                select(a).where(a.entity == "lead", a.entity_key.in_(part)))})
        answer = {
            "household_ref": ref,
            "generated_at": _time(w.ctx.now, tz),
            "time_zone": tz or "UTC",
            "leads": [_row(r, tz) for r in leads],
            "proxy_requests": [_row(r, tz) for r in proxies],
            "audit": [_audit(entries[i], tz) for i in sorted(entries)],
        }
        if not (answer["leads"] or answer["proxy_requests"]):
            answer["note"] = (f"no lead or red-proxy request is held about household {ref}: "
                              "an unknown reference, or its records were purged"
                              + ("; the audit entries naming it are listed"
                                 if answer["audit"] else ""))
        w.audit([{"action": READ_ACTION, "entity": "household", "entity_key": ref,
                  "before": None,
                  "after": {"purpose": "subject-access", "leads": len(answer["leads"]),
                            "proxy_requests": len(answer["proxy_requests"]),
                            "audit": len(answer["audit"])}}], visible=False)
    return answer


def _row(record, tz: str | None) -> dict:
    return {c.name: _plain(getattr(record, c.name), tz) for c in record.__table__.columns}


def _audit(entry: m.AuditEntry, tz: str | None) -> dict:
    out = _row(entry, tz)
    out["before"], out["after"] = _loads(entry.before), _loads(entry.after)
    return out


def _plain(value, tz: str | None):
    if isinstance(value, datetime):
        return _time(value, tz)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _time(moment: datetime | None, tz: str | None) -> str | None:
    """Naive UTC as ISO 8601: in ``tz`` with its offset, or UTC with ``Z``."""
    if moment is None:
        return None
    if tz is None:
        return _iso(moment)
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).isoformat()


def _iso(moment: datetime) -> str:
    return moment.isoformat() + "Z"


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _loads(text: str | None):
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
