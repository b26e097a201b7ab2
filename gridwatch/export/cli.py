"""``python -m gridwatch export``: the same files as the web's export, for scheduled use;
``python -m gridwatch daily-pack``: the kept daily briefing (``gridwatch.export.kept``)."""

from __future__ import annotations

import sys
from pathlib import Path

from gridwatch.cli import open_source
from gridwatch.export import ExportOptionError, request_from_params, run_export
from gridwatch.export.options import KINDS, ORIENTATIONS, PAPERS_MM, TABLES
from gridwatch.i18n import t


def export(args) -> int:
    """Write one export to ``--output`` (default: its own file name in the current folder)."""
    source = open_source(args)
    settings = source.settings
    snap = source.snapshot()
    params = {"level": args.level, "township": args.township, "colour": args.colour,
              "date": args.date, "lang": args.lang, "paper": args.paper,
              "orientation": args.orientation, "title": args.title, "bbox": args.bbox,
              "since": args.since, "table": args.table, "unit": args.unit,
              "issue": args.issue}
    try:
        request = request_from_params(args.format, {k: v for k, v in params.items() if v},
                                      snap.region.townships["code"], snap.first_day,
                                      snap.last_day, settings.default_language)
    except ExportOptionError as err:
        print(t("export.error.option", args.lang or settings.default_language,
                param=err.param, value=err.value), file=sys.stderr)
        return 2
    result = run_export(source, request, snap=snap)
    output = Path(args.output) if args.output else Path(result.filename)
    if output.is_dir():
        output = output / result.filename
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(result.content)
    print(f"{output}\texport-id={result.record.export_id}\t"
          f"data-version={result.record.data_version}\t{len(result.content)} bytes")
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser(
        "export", help="write a map, the briefing pack or the grid data to a file",
        description="Defaults: the whole county on the latest day, A4 landscape, Chinese.")
    p.add_argument("--format", required=True, choices=KINDS)
    p.add_argument("--output", help="file (or folder) to write; default: the export's name")
    p.add_argument("--level", help="township control levels, e.g. 1,2")
    p.add_argument("--township", help="township codes, comma-separated")
    p.add_argument("--colour", help="risk colours, e.g. red,orange")
    p.add_argument("--date", help="as-of day YYYY-MM-DD (default: the latest day)")
    p.add_argument("--lang", choices=("zh", "en"))
    p.add_argument("--paper", choices=tuple(PAPERS_MM), default="A4")
    p.add_argument("--orientation", choices=ORIENTATIONS, default="landscape")
    p.add_argument("--title", help="map title (default: the standard title)")
    p.add_argument("--bbox", help="map extent west,south,east,north in degrees "
                                  "(default: the whole county)")
    p.add_argument("--since", help="briefing pack: compare with this day (default: the day "
                                   "before)")
    p.add_argument("--table", choices=TABLES, default="grids",
                   help="CSV: the grids (default) or one chart's data")
    p.add_argument("--unit", help="briefing pack: the issuing unit printed in the header "
                                  "(at most 40 characters)")
    p.add_argument("--issue", help="briefing pack: the issue number (第 X 期), 1 to 9999")
    p.add_argument("--database-url")
    p.set_defaults(func=export)
    p = sub.add_parser(
        "daily-pack", help="make and keep the briefing pack of the day before, once a day at "
                           "GRIDWATCH_DAILY_PACK_AT (or now, --once)",
        description="Keeps one pack per day in the store (a second run keeps the first); the "
                    "analyst view's export card lists them for download.")
    p.add_argument("--once", action="store_true",
                   help="make the pack of the day before now (if not kept yet), then exit "
                        "(for cron or a systemd timer)")
    p.add_argument("--day", help="with --once: the day YYYY-MM-DD to make the pack of "
                                 "(default: the day before, in the county's time zone)")
    p.add_argument("--database-url")
    p.set_defaults(func=daily_pack)


def daily_pack(args) -> int:
    """Keep the pack of the day before: now (``--once``), or every day at
    ``GRIDWATCH_DAILY_PACK_AT`` until stopped. Exit 0 when kept (made now or before), 1 when
    the day is not in the store's history, 2 for a bad option or no schedule set."""
    import time as clock
    from datetime import date, timedelta

    from gridwatch.export import kept

    source = open_source(args)
    settings = source.settings
    at = kept.parse_at(settings.daily_pack_at)
    if args.day and not args.once:
        print("error: --day goes with --once", file=sys.stderr)
        return 2
    if args.once:
        try:
            day = (date.fromisoformat(args.day) if args.day
                   else kept.local_now(settings.timezone).date() - timedelta(days=1))
        except ValueError:
            print(f"error: --day {args.day!r} is not a day YYYY-MM-DD", file=sys.stderr)
            return 2
        return _keep_one(source, day)
    if at is None:
        print("error: no schedule: set GRIDWATCH_DAILY_PACK_AT=HH:MM (e.g. 07:30), or run "
              "with --once from cron", file=sys.stderr)
        return 2
    print(f"daily pack at {at.strftime('%H:%M')} ({settings.timezone}) for the day before",
          flush=True)
    while True:
        now = kept.local_now(settings.timezone)
        day = kept.due_day(at, now)
        if day is not None and kept.find(source.engine, day) is None:
            _keep_one(source, day)
        # wake at the next scheduled time, but at least once a minute (clock changes)
        clock.sleep(min(60.0, max(1.0, kept.seconds_until(at, kept.local_now(
            settings.timezone)))))


def _keep_one(source, day) -> int:
    from gridwatch.export import kept

    try:
        found, made = kept.keep(source, day, actor=_actor())
    except kept.NotInHistory as err:
        span = (f"{err.first.isoformat()} to {err.last.isoformat()}" if err.first
                else "no days")
        print(f"no pack for {day.isoformat()}: the store's history holds {span}",
              file=sys.stderr, flush=True)
        return 1
    print(f"{'kept' if made else 'already kept'}\t{found.day.isoformat()}\t"
          f"export-id={found.export_id}\tdata-version={found.data_version}\t"
          f"{found.size} bytes", flush=True)
    return 0


def _actor() -> str:
    from gridwatch.cli import cli_actor

    return cli_actor()
