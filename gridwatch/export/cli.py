"""``python -m gridwatch export``: the same files as the web's export, for scheduled use."""

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
              "since": args.since, "table": args.table}
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
    p.add_argument("--database-url")
    p.set_defaults(func=export)
