"""``python -m gridwatch purge ...`` and ``python -m gridwatch subject-access ...``.

``purge --before YYYY-MM-DD`` anonymises the household-level records older than the start of
that day in the county's time zone; without ``--before`` the cutoff comes from the retention
setting (``GRIDWATCH_RETENTION_DAYS``). ``subject-access REF`` writes everything held about one
household as JSON. See ``gridwatch.privacy``.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime

from gridwatch.cli import cli_actor, open_source
from gridwatch.privacy import day_cutoff, purge, retention_cutoff, subject_access
from gridwatch.store.writes import now_utc
from gridwatch.timeutil import utc_to_local


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _day(text: str):
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None


def run_purge(args) -> int:
    day = None
    if args.before is not None:
        day = _day(args.before)
        if day is None:
            return _fail(f"--before {args.before!r} is not a date (YYYY-MM-DD, e.g. 2020-02-01)")
    source = open_source(args)
    settings = source.settings
    tz = settings.timezone
    now = now_utc()
    if day is not None:
        before = day_cutoff(day, tz)
        if before > now:
            return _fail(f"--before {day.isoformat()} is in the future: that would anonymise "
                         "records still being worked on")
    else:
        before = retention_cutoff(settings, now)
        if before is None:
            return _fail("no retention period is set (retention_days is 0: records are kept "
                         "until purged by hand); give --before YYYY-MM-DD or set "
                         "GRIDWATCH_RETENTION_DAYS")
    # A dry run only reads: the read engine, so it never holds the write lock.
    engine = source.engine if args.dry_run else source.writer
    result = purge(engine, before, cli_actor(), dry_run=args.dry_run)
    local = utc_to_local(before, tz)
    when = f"before {local:%Y-%m-%d %H:%M} ({tz})"
    verb = "would anonymise" if args.dry_run else "anonymised"
    print(f"{verb} {result.leads} leads and {result.proxy_requests} red-proxy requests {when}")
    if result.lead_codes:
        codes = result.lead_codes
        shown = ", ".join(codes[:10]) + (f", ... ({len(codes) - 10} more)"
                                         if len(codes) > 10 else "")
        print(f"  leads: {shown}")
    if result.audit_entries:
        print(f"  audit entries with copies of their texts: {result.audit_entries}")
    print(f"  already anonymised earlier (left as they were): {result.already_purged_leads} "
          f"leads, {result.already_purged_proxy_requests} red-proxy requests")
    if args.dry_run:
        print("dry run: nothing was changed")
    elif not result.changed:
        print("nothing new to anonymise")
    return 0


def run_subject_access(args) -> int:
    ref = (args.household_ref or "").strip()
    if not ref:
        return _fail("give a household reference (e.g. H33082400100101012)")
    if len(ref) > 32:
        return _fail(f"{ref[:40]!r}... is not a household reference (at most 32 characters)")
    source = open_source(args)
    answer = subject_access(source.writer, ref, actor=cli_actor(), tz=source.settings.timezone)
    text = json.dumps(answer, ensure_ascii=False, indent=2) + "\n"
    if args.output:
        try:
            # Household-level data: readable by its owner only.
            fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
        except OSError as exc:
            return _fail(f"cannot write {args.output}: {exc.strerror or exc}")
    else:
        sys.stdout.write(text)
    summary = (f"household {ref}: {len(answer['leads'])} leads, "
               f"{len(answer['proxy_requests'])} red-proxy requests, "
               f"{len(answer['audit'])} audit entries")
    if args.output:
        summary += f", written to {args.output}"
    print(summary, file=sys.stderr)
    if "note" in answer:
        print(f"note: {answer['note']}", file=sys.stderr)
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("purge", help="anonymise household-level records older than a date "
                       "(or the retention period)")
    p.add_argument("--before", metavar="YYYY-MM-DD",
                   help="anonymise records from before the start of this day (county time); "
                   "default: the retention setting")
    p.add_argument("--dry-run", action="store_true", help="count, change nothing")
    p.add_argument("--database-url")
    p.set_defaults(func=run_purge)
    p = sub.add_parser("subject-access", help="everything held about one household, as JSON")
    p.add_argument("household_ref", metavar="HOUSEHOLD_REF")
    p.add_argument("--output", metavar="FILE", help="write the JSON here (default: stdout)")
    p.add_argument("--database-url")
    p.set_defaults(func=run_subject_access)
