"""Alerts that reach people: red grids, overdue leads and checkpoint alerts pushed to outbound
channels (a DingTalk or WeCom group robot's webhook, the channels the article's county issued
its orders on, or e-mail through a configured SMTP server), per scope, with retries and an
audit line. No Dash here.

One cycle (``python -m gridwatch notify``, a loop or ``--once`` from cron):

1. ``alerts_at`` lists what is open at now: each red grid (keyed by the mark that made it red),
   each lead past a service level (keyed by the lead and its stage), each open checkpoint alert
   (keyed by the checkpoint, kind and opening). A message names the grid, township, lead kind,
   stage and clock, or the checkpoint; never a lead's text or a person.
2. ``queue`` stores one row per alert and channel whose townships cover it, once: the unique
   (channel, key) makes a second cycle, or a second worker, a no-op.
3. ``deliver`` sends every row not yet sent whose next attempt is due, each claimed first by an
   atomic update (several workers send a row once); a failure is retried after 1, 2, 4 …
   minutes, at most ``MAX_ATTEMPTS`` times; every send and failure is audited.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import Engine, insert, select, update

from gridwatch import checkpoints as health
from gridwatch import leads as lead_rules
from gridwatch import timeutil
from gridwatch.i18n import duration, t
from gridwatch.metrics import grid_status
from gridwatch.snapshot import Snapshot
from gridwatch.store import models as m
from gridwatch.store.writes import write

KINDS = ("dingtalk", "wecom", "email")
MAX_ATTEMPTS = 5
TIMEOUT = 10


class ChannelError(ValueError):
    """``GRIDWATCH_NOTIFY_CHANNELS`` cannot be used; the message says which entry and why."""


@dataclass(frozen=True)
class Channel:
    name: str
    kind: str
    url: str = ""
    secret: str = ""
    to: tuple[str, ...] = ()
    townships: frozenset[str] = field(default_factory=frozenset)

    def covers(self, township: str | None) -> bool:
        return not self.townships or township in self.townships


def channels(text: str) -> list[Channel]:
    """The channels of ``GRIDWATCH_NOTIFY_CHANNELS`` (a JSON list; empty: none)."""
    if not text.strip():
        return []
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ChannelError(f"GRIDWATCH_NOTIFY_CHANNELS is not JSON: {exc.msg} "
                           f"(line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(raw, list):
        raise ChannelError("GRIDWATCH_NOTIFY_CHANNELS must be a JSON list of channels")
    found, names = [], set()
    for i, item in enumerate(raw):
        where = f"GRIDWATCH_NOTIFY_CHANNELS[{i}]"
        if not isinstance(item, dict):
            raise ChannelError(f"{where} must be an object")
        unknown = sorted(set(item) - {"name", "kind", "url", "secret", "to", "townships"})
        if unknown:
            raise ChannelError(f"{where}: unknown field {unknown[0]!r}")
        name, kind = item.get("name"), item.get("kind")
        if not isinstance(name, str) or not 1 <= len(name) <= 64 or name in names:
            raise ChannelError(f"{where}.name must be a unique text of 1 to 64 characters")
        if kind not in KINDS:
            raise ChannelError(f"{where}.kind must be one of {', '.join(KINDS)}")
        url, to = item.get("url", ""), item.get("to", [])
        if kind != "email" and not (isinstance(url, str)
                                    and url.startswith(("http://", "https://"))):
            raise ChannelError(f"{where}.url must be an http(s) address")
        if kind == "email" and not (isinstance(to, list) and to
                                    and all(isinstance(a, str) and "@" in a for a in to)):
            raise ChannelError(f"{where}.to must list e-mail addresses")
        towns = item.get("townships", [])
        if not isinstance(towns, list) or not all(isinstance(c, str) for c in towns):
            raise ChannelError(f"{where}.townships must be a list of township codes")
        names.add(name)
        found.append(Channel(name, kind, url if kind != "email" else "",
                             str(item.get("secret") or ""), tuple(to) if kind == "email"
                             else (), frozenset(towns)))
    return found


@dataclass(frozen=True)
class Alert:
    key: str
    kind: str  # red_grid | lead_overdue | checkpoint
    township: str | None
    title: str
    body: str


def alerts_at(snap: Snapshot, instant: datetime, sla: lead_rules.Sla,
              checks: health.Health, lang: str = "zh") -> list[Alert]:
    """What is open at ``instant`` (local): red grids, overdue leads, checkpoint alerts."""
    region = snap.region
    day = (instant - timedelta(microseconds=1)).date()
    towns = region.names("townships", lang)
    grids = region.grid_table.set_index("code")
    found = []
    status = grid_status(snap, day)
    for code, row in status[status["colour"] == "red"].iterrows():
        town = str(row["township_code"])
        since = row["since"]
        found.append(Alert(
            f"red:{code}:{since:%Y%m%dT%H%M%S}", "red_grid", town,
            t("notify.red.title", lang, grid=grids.at[code, f"name_{lang}"]),
            t("notify.red.body", lang, grid=grids.at[code, f"name_{lang}"],
              township=towns.get(town, town), since=f"{since:%m-%d %H:%M}")))
    clocks = lead_rules.clocks(snap.leads, instant, sla)
    late = snap.leads.loc[clocks.index[clocks["overdue"]]]
    for idx, lead in late.iterrows():
        stage = clocks.at[idx, "stage"]
        town = str(lead["township_code"])
        found.append(Alert(
            f"lead:{lead['code']}:{stage}", "lead_overdue", town,
            t("notify.lead.title", lang, code=lead["code"]),
            t("notify.lead.body", lang, code=lead["code"],
              kind=t(f"lead.category.{lead['category']}", lang),
              township=towns.get(town, town), stage=t(f"leads.stage.{stage}", lang),
              clock=duration(float(clocks.at[idx, "minutes"]), lang))))
    points = region.checkpoints.set_index("code")
    for a in health.on_snapshot(snap, day, instant, checks):
        if not a.open or a.checkpoint not in points.index:
            continue
        town = str(points.at[a.checkpoint, "township_code"])
        name = points.at[a.checkpoint, f"name_{lang}"]
        found.append(Alert(
            f"checkpoint:{a.checkpoint}:{a.kind}:{a.opened_at:%Y%m%dT%H%M}", "checkpoint", town,
            t("notify.checkpoint.title", lang, kind=t(f"checkpoint.alert.{a.kind}", lang),
              name=name),
            t("notify.checkpoint.body", lang, name=name, township=towns.get(town, town),
              detail=health.detail(a, instant, lang))))
    return found


def queue(engine: Engine, found: list[Alert], chosen: list[Channel],
          now: datetime | None = None) -> int:
    """Store each alert once per channel that covers its township; return how many are new.
    Queuing shows nothing new on the screens (the data version stays)."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    t_ = m.Notification
    with write(engine, "notify") as w:
        stored = {(c, k) for c, k in w.session.execute(select(t_.channel, t_.key))}
        rows = [{"channel": c.name, "key": a.key, "kind": a.kind, "township_code": a.township,
                 "title": a.title, "body": a.body, "created_at": now, "attempts": 0,
                 "next_at": now} for a in found for c in chosen
                if c.covers(a.township) and (c.name, a.key) not in stored]
        if rows:
            w.session.execute(insert(t_), rows)
            w.audit([{"action": "notify.queue", "entity": "notification",
                      "entity_key": f"{r['channel']}/{r['key']}", "before": None,
                      "after": {"kind": r["kind"], "township": r["township_code"]}}
                     for r in rows], visible=False)
    return len(rows)


Sender = Callable[[Channel, str, str], None]


def deliver(engine: Engine, chosen: list[Channel], send: Sender,
            now: datetime | None = None) -> tuple[int, int]:
    """Send every due, unsent row of a configured channel; return (sent, failed)."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    by_name = {c.name: c for c in chosen}
    t_ = m.Notification
    with engine.connect() as conn:
        due = conn.execute(select(t_).where(t_.sent_at.is_(None), t_.attempts < MAX_ATTEMPTS,
                                            t_.next_at <= now).order_by(t_.id)).all()
    sent = failed = 0
    for row in due:
        channel = by_name.get(row.channel)
        if channel is None:
            continue  # a channel no longer configured: its rows wait
        if not _claim(engine, row.id, now):
            continue  # another worker took it first
        error = None
        try:
            send(channel, row.title, row.body)
        except Exception as exc:  # any failure of the far end is retried, never raised
            error = f"{type(exc).__name__}: {exc}"[:500]
        attempts = row.attempts + 1
        with write(engine, "notify") as w:
            values = ({"sent_at": now, "attempts": attempts, "last_error": None} if error is None
                      else {"attempts": attempts, "last_error": error,
                            "next_at": now + timedelta(minutes=2 ** (attempts - 1))})
            w.session.execute(update(t_).where(t_.id == row.id).values(**values))
            w.audit([{"action": "notify.sent" if error is None else "notify.failed",
                      "entity": "notification", "entity_key": f"{row.channel}/{row.key}",
                      "before": None, "after": {"attempt": attempts, "error": error}}],
                    visible=False)
        sent, failed = (sent + 1, failed) if error is None else (sent, failed + 1)
    return sent, failed


LEASE = timedelta(minutes=5)
"""How long a worker holds a row it is sending before another may try it."""


def _claim(engine: Engine, row_id: int, now: datetime) -> bool:
    """Take one due row for this worker (an atomic update: of two workers that read it, one
    wins), so that several ``notify`` processes send each alert once."""
    t_ = m.Notification
    with write(engine, "notify") as w:
        taken = w.session.execute(update(t_).where(
            t_.id == row_id, t_.sent_at.is_(None), t_.next_at <= now).values(
            next_at=now + LEASE)).rowcount
    return taken == 1


# --- the channels' formats ---------------------------------------------------------------------

def webhook_payload(channel: Channel, title: str, body: str) -> dict:
    """A DingTalk or WeCom group robot's markdown message."""
    if channel.kind == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": title,
                                                   "text": f"#### {title}\n\n{body}"}}
    return {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{body}"}}


def signed_url(channel: Channel, now_ms: int | None = None) -> str:
    """DingTalk's signed address (``timestamp`` and ``sign`` added) when a secret is set."""
    if channel.kind != "dingtalk" or not channel.secret:
        return channel.url
    stamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(channel.secret.encode(), f"{stamp}\n{channel.secret}".encode(),
                      hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    joiner = "&" if "?" in channel.url else "?"
    return f"{channel.url}{joiner}timestamp={stamp}&sign={sign}"


class Transport:
    """Sends for real: webhooks over HTTP(S), e-mail through the configured SMTP server."""

    def __init__(self, settings) -> None:
        self.settings = settings

    def __call__(self, channel: Channel, title: str, body: str) -> None:
        if channel.kind == "email":
            self._mail(channel, title, body)
            return
        data = json.dumps(webhook_payload(channel, title, body), ensure_ascii=False).encode()
        request = urllib.request.Request(signed_url(channel), data=data, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            reply = json.loads(answer.read() or b"{}")
        # both robots answer 200 with {"errcode": 0, ...}; anything else is a failure
        if isinstance(reply, dict) and reply.get("errcode", 0) != 0:
            raise RuntimeError(f"errcode {reply.get('errcode')}: {reply.get('errmsg')}")

    def _mail(self, channel: Channel, title: str, body: str) -> None:
        s = self.settings
        if not s.smtp_host:
            raise RuntimeError("GRIDWATCH_SMTP_HOST is not set")
        message = EmailMessage()
        message["Subject"], message["From"] = title, s.smtp_from
        message["To"] = ", ".join(channel.to)
        message.set_content(body)
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=TIMEOUT) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password)
            smtp.send_message(message)


def cycle(source, send: Sender | None = None, now: datetime | None = None) -> dict:
    """One cycle over ``source`` (a ``DataSource``): what is open now, queued and delivered."""
    settings = source.settings
    chosen = channels(settings.notify_channels)
    now = now or datetime.now(UTC).replace(tzinfo=None)
    instant = timeutil.utc_to_local(now, settings.timezone)
    found = alerts_at(source.snapshot(), instant, lead_rules.Sla.of(settings),
                      health.Health.of(settings), settings.default_language)
    queued = queue(source.writer, found, chosen, now)
    sent, failed = deliver(source.writer, chosen, send or Transport(settings), now)
    return {"open": len(found), "queued": queued, "sent": sent, "failed": failed}
