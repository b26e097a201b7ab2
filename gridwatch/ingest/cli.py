"""Ingest commands: ``token create|revoke|list``, ``import-boundaries`` and
``boundaries list|activate``."""

from __future__ import annotations

import sys
from pathlib import Path

from gridwatch.auth.policy import COUNTY, ROLES, Scope
from gridwatch.auth.tokens import create_token, list_tokens, revoke_token
from gridwatch.cli import cli_actor, open_source
from gridwatch.geo.datum import DATUMS, WGS84
from gridwatch.i18n import t
from gridwatch.ingest.boundaries import import_boundaries, parse_mapping
from gridwatch.ingest.boundary_files import LAYER_ALIASES, files_from_paths
from gridwatch.ingest.boundary_versions import (
    activate_version,
    create_region,
    list_versions,
    region_names,
    stage,
    stale_scopes,
    store_codes,
)
from gridwatch.ingest.errors import LocalisedError
from gridwatch.service import DataSource


def _source(args) -> DataSource:
    return open_source(args)


def token_create(args) -> int:
    """Create a token and print it once; only its digest is stored."""
    try:
        scope = Scope.of(args.township or (), args.village or (), args.county) \
            if (args.township or args.village or args.county) else COUNTY
        token_id, token = create_token(_source(args).writer, args.name, args.role, scope)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(token)
    print(f"token {token_id} ({args.name}) created; it is shown only this once. Send it as "
          "'Authorization: Bearer <token>'.", file=sys.stderr)
    return 0


def token_revoke(args) -> int:
    count = revoke_token(_source(args).writer, args.token)
    if not count:
        print(f"error: no live token with id or name {args.token!r}", file=sys.stderr)
        return 1
    print(f"revoked {count} token(s)")
    return 0


def token_list(args) -> int:
    for row in list_tokens(_source(args).engine):
        state = f"revoked {row['revoked_at']:%Y-%m-%d %H:%M}" if row["revoked_at"] else "live"
        used = f"{row['last_used_at']:%Y-%m-%d %H:%M}" if row["last_used_at"] else "never"
        print(f"{row['id']:>4}  {row['prefix']}…  {row['name']:<24} {row['role']:<9} "
              f"{row['scope']:<20} {state:<24} last used {used}")
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("token", help="create, revoke and list API tokens")
    tokens = p.add_subparsers(dest="token_command", required=True)
    create = tokens.add_parser("create", help="create a token and print it once")
    create.add_argument("--name", required=True, help="who or what will use the token")
    create.add_argument("--role", choices=ROLES, default="operator",
                        help="what it may do (default: operator)")
    create.add_argument("--county", action="store_true", help="scope: the whole county "
                        "(the default)")
    create.add_argument("--township", nargs="+", metavar="CODE", help="scope: these townships")
    create.add_argument("--village", nargs="+", metavar="CODE", help="scope: these villages")
    create.set_defaults(func=token_create)
    revoke = tokens.add_parser("revoke", help="revoke a token by id or name")
    revoke.add_argument("token", help="the token's id or name")
    revoke.set_defaults(func=token_revoke)
    listing = tokens.add_parser("list", help="list tokens (never their secret)")
    listing.set_defaults(func=token_list)
    for parser in (create, revoke, listing):
        parser.add_argument("--database-url")
    add_boundary_commands(sub)


# --- boundaries ---------------------------------------------------------------------------------

def _cli_actor() -> str:
    return cli_actor()


def _layer_files(specs: list[str]) -> tuple[list[str], dict[str, str]]:
    """``LAYER=FILE`` pairs (or bare files named after their layer) to paths and a mapping."""
    paths, names = [], {}
    for spec in specs:
        layer, sep, path = spec.partition("=")
        if sep and layer in LAYER_ALIASES:
            names[Path(path).name] = layer
            paths.append(path)
        else:
            paths.append(spec)
    return paths, names


def print_report(report, lang: str = "en") -> None:
    for issue in report.issues:
        where = f"[{issue.layer}] " if issue.layer else ""
        print(f"{issue.level.upper():<8} {where}{issue.message(lang)}")
    if report.counts:
        print(t("boundary.counts", lang, **{k: report.counts.get(k, 0) for k in (
            "townships", "villages", "grids", "checkpoints", "population")}))
    warnings = len(report.warnings)
    print(t("boundary.report_ok", lang, warnings=warnings) if report.ok else
          t("boundary.report_errors", lang, errors=len(report.errors), warnings=warnings))


def import_boundaries_command(args) -> int:
    """Check boundary files; stage them as a version unless ``--dry-run``; activate if asked.
    With ``--new-region``, a region of its own, activated at once (``create_region``)."""
    new_region = bool(getattr(args, "new_region", False))
    if getattr(args, "replace_history", False) and not new_region:
        print("error: --replace-history goes with --new-region", file=sys.stderr)
        return 2
    # A new region's store must not be seeded with the demo's history on the way in.
    source = open_source(args, seed=not new_region)
    paths, names = _layer_files([args.file, *(args.layer_files or [])])
    county = {"name_zh": getattr(args, "name_zh", None) or "",
              "name_en": getattr(args, "name_en", None) or ""}
    try:
        mapping = parse_mapping(args.map)
        active = source.region()
        imported = import_boundaries(files_from_paths(paths), active,
                                     store_codes(source.engine), names, mapping,
                                     new_region=new_region, names=county,
                                     datum=getattr(args, "datum", None) or WGS84)
    except LocalisedError as exc:
        print(f"error: {exc.message(args.lang)}", file=sys.stderr)
        return 2
    except OSError as exc:
        print("error: " + t("boundary.unreadable", args.lang, name=exc.filename or "?",
                            reason=exc.strerror or str(exc)), file=sys.stderr)
        return 2
    except Exception as exc:  # an input no check foresaw: still a message, never a traceback
        print("error: " + t("boundary.failed_cli", args.lang, kind=type(exc).__name__,
                            detail=str(exc)[:200]), file=sys.stderr)
        return 3
    print_report(imported.report, args.lang)
    if not imported.report.ok:
        return 1
    if args.dry_run:
        print("dry run: nothing stored")
        return 0
    if new_region:
        try:
            row = create_region(source.writer, source.settings, imported, _cli_actor(),
                                replace_history=args.replace_history,
                                archive=Path(args.archive) if args.archive else None,
                                current=region_names(active))
        except LocalisedError as exc:
            print(f"error: {exc.message(args.lang)}", file=sys.stderr)
            return 1
        if row["archive"] is not None:
            cleared = ", ".join(f"{t} {n:,}" for t, n in sorted(row["cleared"].items()))
            print(f"the old history was archived into {row['archive']} (python -m gridwatch "
                  f"restore reads it) and emptied: {cleared}")
        named = region_names(imported.layers)
        print(f"new region {named['name_zh']} / {named['name_en']} ({named['code']}): "
              f"boundary version {row['id']} {row['status']} ({row['file_name']})")
        for held in stale_scopes(source.engine, imported.layers):
            print(f"warning: {held['kind']} {held['name']}'s scope {held['scope']} names "
                  f"places the new region lacks ({', '.join(held['lost'][:5])}): it acts "
                  "nowhere until it is given a scope of the new region", file=sys.stderr)
        return 0
    row = stage(source.writer, source.settings, imported, _cli_actor(), activate=args.activate)
    print(f"boundary version {row['id']} {row['status']} ({row['file_name']})")
    return 0


def boundaries_list(args) -> int:
    source = _source(args)
    rows = list_versions(source.engine)
    if not rows:
        print(f"no boundary versions; using {source.settings.geo_path}")
    for row in rows:
        mark = "*" if row["status"] == "active" else " "
        print(f"{mark}{row['id']:>4}  {row['status']:<8} {row['created_at']:%Y-%m-%d %H:%M}  "
              f"{row['created_by']:<20} {row['counts'].get('grids', 0):>5} grids  "
              f"{row['source']}")
    return 0


def boundaries_activate(args) -> int:
    source = _source(args)
    try:
        row = activate_version(source.writer, source.settings, args.id, _cli_actor())
    except LocalisedError as exc:
        print(f"error: {exc.message(args.lang)}", file=sys.stderr)
        return 1
    print(f"boundary version {row['id']} is active")
    return 0


def add_boundary_commands(sub) -> None:
    p = sub.add_parser("import-boundaries",
                       help="check boundary files and keep them as a new boundary version")
    p.add_argument("file", help="a GeoPackage, zipped Shapefile or GeoJSON file")
    p.add_argument("--layer-files", nargs="+", metavar="[LAYER=]FILE",
                   help="more files, one layer each (e.g. grids=wangge.geojson)")
    p.add_argument("--map", action="append", metavar="[LAYER.]FIELD=COLUMN",
                   help="read FIELD (code, name_zh, name_en, township_code, village_code, "
                        "population, households, kind, capacity...) from the files' COLUMN: "
                        "code=ADCODE for every layer that has that column, grids.code=WGBM "
                        "for one layer; repeatable")
    p.add_argument("--activate", action="store_true", help="activate the new version at once")
    p.add_argument("--new-region", action="store_true",
                   help="a region of its own, anywhere (not a new version of the region in "
                        "force): activated at once; needs a store without history, or "
                        "--replace-history")
    p.add_argument("--replace-history", action="store_true",
                   help="with --new-region: archive the store into a backup file (--archive) "
                        "and empty its history first")
    p.add_argument("--archive", metavar="FILE",
                   help="where --replace-history archives the old history (default: beside "
                        "a SQLite store, <db>.archive-<time>-<code>.sqlite)")
    p.add_argument("--name-zh", help="the county's Chinese name (wins over the county layer's)")
    p.add_argument("--name-en", help="the county's English name (wins over the county layer's)")
    p.add_argument("--datum", choices=DATUMS, default=WGS84,
                   help="the files' datum: wgs84 (also CGCS2000, the default) or gcj02 (the "
                        "offset datum of Amap/AutoNavi and DataV boundary sets, converted to "
                        "WGS84 on import)")
    p.add_argument("--dry-run", action="store_true", help="check and report; store nothing")
    p.add_argument("--lang", choices=("en", "zh"), default="en")
    p.add_argument("--database-url")
    p.set_defaults(func=import_boundaries_command)
    p = sub.add_parser("boundaries", help="list boundary versions or activate one")
    versions = p.add_subparsers(dest="boundaries_command", required=True)
    listing = versions.add_parser("list", help="list boundary versions (* = active)")
    listing.set_defaults(func=boundaries_list)
    activate = versions.add_parser("activate", help="make a boundary version the active one")
    activate.add_argument("id", type=int)
    activate.add_argument("--lang", choices=("en", "zh"), default="en")
    activate.set_defaults(func=boundaries_activate)
    for parser in (listing, activate):
        parser.add_argument("--database-url")
