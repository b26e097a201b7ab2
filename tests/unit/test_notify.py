"""Alerts that reach people (gridwatch.notify): channels from the settings, what is open at an
instant, queued once per channel and alert, delivered to a local DingTalk/WeCom-style receiver
and a local SMTP server with retries and audit lines; never a lead's text."""

from __future__ import annotations

import json
import socketserver
import threading
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import func, select

from gridwatch import notify
from gridwatch.checkpoints import Health
from gridwatch.leads import Sla
from gridwatch.metrics import grid_status
from gridwatch.store import models as m
from gridwatch.timeutil import cutoff, local_to_utc

DAY = date(2020, 2, 10)


def test_channels_are_read_from_the_settings_with_a_clear_error_for_each_mistake():
    found = notify.channels(json.dumps([
        {"name": "county", "kind": "dingtalk", "url": "http://127.0.0.1:1/robot/send",
         "secret": "SEC"},
        {"name": "town", "kind": "wecom", "url": "https://x/cgi", "townships": ["330824101"]},
        {"name": "mail", "kind": "email", "to": ["duty@example.org"]}]))
    assert [(c.name, c.kind) for c in found] == [("county", "dingtalk"), ("town", "wecom"),
                                                 ("mail", "email")]
    assert found[1].covers("330824101") and not found[1].covers("330824102")
    assert found[0].covers("330824102")
    assert notify.channels("") == []
    for text, says in (("{", "is not JSON"), ('{"a": 1}', "JSON list"),
                       ('[{"name": "a", "kind": "sms", "url": "http://x"}]', ".kind must be"),
                       ('[{"name": "a", "kind": "wecom", "url": "ftp://x"}]', ".url must be"),
                       ('[{"name": "a", "kind": "email", "to": ["nobody"]}]', ".to must"),
                       ('[{"name": "a", "kind": "email", "to": ["a@b"], "cc": 1}]', "'cc'"),
                       ('[{"name": "a", "kind": "wecom", "url": "http://x"},'
                        ' {"name": "a", "kind": "wecom", "url": "http://y"}]', "unique")):
        with pytest.raises(notify.ChannelError, match=says):
            notify.channels(text)


def test_dingtalk_messages_are_signed_as_its_robots_expect():
    channel = notify.Channel("c", "dingtalk", "http://h/robot/send?access_token=T", "SEC")
    url = notify.signed_url(channel, now_ms=1580000000000)
    query = parse_qs(urlparse(url).query)
    assert query["access_token"] == ["T"] and query["timestamp"] == ["1580000000000"]
    import base64
    import hashlib
    import hmac
    expected = base64.b64encode(hmac.new(b"SEC", b"1580000000000\nSEC",
                                         hashlib.sha256).digest()).decode()
    assert query["sign"] == [expected]
    assert notify.webhook_payload(channel, "T", "B")["markdown"]["title"] == "T"
    wecom = notify.Channel("w", "wecom", "http://h")
    assert notify.signed_url(wecom) == "http://h"
    assert notify.webhook_payload(wecom, "T", "B") == {
        "msgtype": "markdown", "markdown": {"content": "**T**\nB"}}


def test_what_is_open_names_places_and_clocks_never_a_leads_text(snap):
    instant = cutoff(DAY)
    found = notify.alerts_at(snap, instant, Sla(), Health())
    status = grid_status(snap, DAY)
    red = [a for a in found if a.kind == "red_grid"]
    assert len(red) == int((status["colour"] == "red").sum()) > 0
    assert len({a.key for a in found}) == len(found)
    texts = set(snap.leads["summary_zh"]) | set(snap.leads["summary_en"])
    assert not any(text in a.body for a in found for text in texts)
    end = notify.alerts_at(snap, cutoff(date(2020, 2, 29)), Sla(), Health())
    quiet = [a for a in end if a.kind == "checkpoint" and a.key.startswith("checkpoint:CP09:")]
    assert quiet and "CP09" not in quiet[0].title  # named, not coded


class Receiver:
    """A local group-robot endpoint: records each post; answers ``errcode`` ``fail`` while set."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict]] = []
        self.fail = False
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.posts.append((self.path, body))
                reply = {"errcode": 310000, "errmsg": "sign not match"} if receiver.fail \
                    else {"errcode": 0, "errmsg": "ok"}
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Mailbox(socketserver.ThreadingTCPServer):
    """A local SMTP server, just enough of RFC 5321 for smtplib: keeps every message."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self) -> None:
        self.messages: list[str] = []
        box = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                say = self.wfile.write
                say(b"220 localhost\r\n")
                while line := self.rfile.readline():
                    verb = line[:4].upper()
                    if verb in (b"HELO", b"EHLO"):
                        say(b"250 localhost\r\n")
                    elif verb == b"DATA":
                        say(b"354 go on\r\n")
                        lines = []
                        while (part := self.rfile.readline()) not in (b".\r\n", b""):
                            lines.append(part.decode())
                        box.messages.append("".join(lines))
                        say(b"250 queued\r\n")
                    elif verb == b"QUIT":
                        say(b"221 bye\r\n")
                        return
                    else:
                        say(b"250 ok\r\n")

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


@pytest.mark.stores  # the queue's unique key and the audit lines, on PostgreSQL too
def test_alerts_are_queued_once_delivered_retried_and_audited(fresh_source):
    robot, mailbox = Receiver(), Mailbox()
    snap = fresh_source.snapshot()
    first_red = grid_status(snap, DAY)
    town = str(first_red[first_red["colour"] == "red"]["township_code"].iloc[0])
    config = json.dumps([
        {"name": "county", "kind": "dingtalk", "url": f"{robot.url}/robot/send?access_token=T",
         "secret": "SEC"},
        {"name": "township", "kind": "wecom", "url": f"{robot.url}/cgi-bin/webhook/send",
         "townships": [town]},
        {"name": "duty", "kind": "email", "to": ["duty@example.org"], "townships": [town]}])
    fresh_source.settings = fresh_source.settings.model_copy(update={
        "notify_channels": config, "smtp_host": "127.0.0.1",
        "smtp_port": mailbox.server_address[1]})
    now = local_to_utc(cutoff(DAY) - timedelta(minutes=1), fresh_source.settings.timezone)
    version = fresh_source.snapshot().version
    try:
        robot.fail = True
        first = notify.cycle(fresh_source, now=now)
        everywhere = first["open"]
        assert first["queued"] > everywhere  # the county's channel gets all, the others some
        assert first["sent"] == len(mailbox.messages) > 0  # mail went; the robot refused
        assert first["failed"] == first["queued"] - first["sent"]
        assert fresh_source.snapshot().version == version  # the screens see nothing new
        # the same cycle again: nothing new to queue, and the failures wait their turn
        again = notify.cycle(fresh_source, now=now)
        assert (again["queued"], again["sent"], again["failed"]) == (0, 0, 0)
        robot.fail = False
        later = notify.cycle(fresh_source, now=now + timedelta(minutes=2))
        assert later["sent"] == first["failed"] and later["failed"] == 0
    finally:
        robot.close()
        mailbox.shutdown()
        mailbox.server_close()
    paths = {path.split("?")[0] for path, _ in robot.posts}
    assert paths == {"/robot/send", "/cgi-bin/webhook/send"}
    signed = [p for p, _ in robot.posts if p.startswith("/robot/send")]
    assert all("timestamp=" in p and "sign=" in p for p in signed)
    bodies = [b for _, b in robot.posts]
    assert all(b["msgtype"] == "markdown" for b in bodies)
    assert any("红色网格" in b["markdown"].get("title", "") for b in bodies)
    with fresh_source.engine.connect() as conn:
        unsent = conn.scalar(select(func.count()).select_from(m.Notification)
                             .where(m.Notification.sent_at.is_(None)))
        actions = dict(conn.execute(select(m.AuditEntry.action, func.count())
                                    .where(m.AuditEntry.action.like("notify.%"))
                                    .group_by(m.AuditEntry.action)).all())
    assert unsent == 0
    assert actions["notify.failed"] == first["failed"]
    assert actions["notify.sent"] == first["sent"] + later["sent"]
    assert "Subject:" in mailbox.messages[0]


def test_the_command_refuses_a_bad_channel_list_and_runs_one_cycle(fresh_source, monkeypatch,
                                                                    capsys):
    from gridwatch.__main__ import main

    url = fresh_source.settings.database_url
    monkeypatch.setenv("GRIDWATCH_NOTIFY_CHANNELS", '[{"name": "x", "kind": "sms"}]')
    assert main(["notify", "--once", "--database-url", url]) == 2
    assert "GRIDWATCH_NOTIFY_CHANNELS[0].kind must be one of" in capsys.readouterr().out
    monkeypatch.setenv("GRIDWATCH_NOTIFY_CHANNELS", "")
    assert main(["notify", "--once", "--database-url", url]) == 0
    cycle = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert cycle["queued"] == 0 and cycle["sent"] == 0  # no channel: nothing queued


def test_two_workers_send_a_due_alert_once(fresh_source):
    found = [notify.Alert("red:g:1", "red_grid", None, "T", "B")]
    channel = [notify.Channel("c", "wecom", "http://127.0.0.1:9/none")]
    now = datetime(2026, 12, 3, 8, 0)
    assert notify.queue(fresh_source.writer, found, channel, now) == 1
    assert notify.queue(fresh_source.writer, found, channel, now) == 0
    sent = []
    # the first worker claims the row; a second one arriving while it sends finds it taken
    assert notify._claim(fresh_source.writer, 1, now) is True
    assert notify._claim(fresh_source.writer, 1, now) is False
    assert notify.deliver(fresh_source.writer, channel,
                          lambda c, t, b: sent.append(t), now) == (0, 0)
    later = now + notify.LEASE  # a worker that died: the lease runs out, the row is retried
    assert notify.deliver(fresh_source.writer, channel,
                          lambda c, t, b: sent.append(t), later) == (1, 0)
    assert sent == ["T"]
