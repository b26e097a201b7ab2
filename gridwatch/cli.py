"""Store commands: create/migrate and seed the store, seed a simulated history for any region
(``simulate``), and print the article's figures."""

from __future__ import annotations

import json
import sys

from gridwatch.metrics import headline_figures
from gridwatch.service import DataSource, StoreNotReady, is_embedded_default
from gridwatch.settings import Settings
from gridwatch.store.db import data_version, safe_url


def open_source(args, seed: bool = True) -> DataSource:
    """The store of ``--database-url`` (or the settings), ready. Every command starts here.

    The embedded default store (SQLite under ``instance/``) is initialised as ``make run``
    does: migrated, seeded when empty and seeding is on, and given a first ``admin`` (its
    password printed once). Any other store must have been prepared by ``init-store``: if its
    schema is missing or behind, the command ends (exit 2) with a message naming it.
    ``seed=False`` never seeds the demo history (a store about to take a new region).
    """
    overrides = {} if seed else {"seed_demo": False}
    source = DataSource(Settings.from_env_or_exit(
        database_url=getattr(args, "database_url", None), **overrides))
    try:
        source.open()
    except StoreNotReady as exc:
        print(f"gridwatch: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    return source


def cli_actor() -> str:
    """Who runs a command, for the audit log: ``cli:<login name>``."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name (e.g. a container without /etc/passwd entry)
        return "cli"


def init_store(args) -> int:
    """The deploy step: migrate the store, seed the demo history when asked (``--seed-demo``)
    or when it is the embedded default store, empty and seeding is on, and create the first
    admin (its password printed once). Never overwrites; safe to run twice and concurrently
    (one process migrates, the others wait for it and find the store ready)."""
    settings = Settings.from_env_or_exit(database_url=args.database_url)
    source = DataSource(settings)
    seed = bool(args.seed_demo) or (is_embedded_default(settings) and settings.seed_demo)
    source.prepare(seed=seed)
    done = source.prepared
    steps = ["migrated the schema" if done.migrated else "schema already current"]
    if done.seeded:
        steps.append("seeded the demo history")
    if done.password is not None:
        steps.append("created the first admin (password above, shown once)")
    print(f"store ready at {safe_url(settings.database_url)}: {'; '.join(steps)} "
          f"(data version {data_version(source.engine)})", flush=True)
    return 0


def figures(args) -> int:
    source = open_source(args)
    print(json.dumps(headline_figures(source.snapshot()), ensure_ascii=False, indent=2))
    return 0


def simulate(args) -> int:
    """Seed a simulated history for the store's active region, whatever region it is, into
    an empty history only (``gridwatch.simulate``: the Kaihua rules, the 2020-01-23 to
    2020-02-29 scenario, totals scaled to the region's size, arrivals from its neighbours).
    A store that holds any history is refused, nothing changed (exit 1)."""
    from gridwatch.i18n import county_name
    from gridwatch.ingest.boundary_versions import history_rows
    from gridwatch.simulate import DAYS, DEFAULT_SEED, Scale, origins, seed_store

    source = open_source(args, seed=False)
    seed = DEFAULT_SEED if args.seed is None else args.seed
    region = source.region()
    name = f"{county_name(region, 'zh')} / {county_name(region, 'en')}"
    with source.engine.connect() as conn:
        held = history_rows(conn)
    if held:
        listed = ", ".join(f"{table} {n:,}" for table, n in sorted(held.items()))
        print(f"error: the store already holds a history for {name} ({listed}): simulate "
              "seeds only an empty history; nothing was changed. Use a store without history "
              "(init-store, then import-boundaries --new-region)", file=sys.stderr, flush=True)
        return 1
    data = seed_store(source.writer, region, seed)
    scale = Scale.of(region)
    counts = {
        "risk marks": len(data.risk_assessments), "level changes": len(data.control_levels),
        "orders and notices": len(data.directives), "special tasks": len(data.tasks),
        "task assignments": len(data.assignments),
        "checkpoint counts": len(data.checkpoint_counts), "leads": len(data.leads),
        "ring counts": len(data.ring_counts), "red-proxy visits": len(data.proxy_requests),
        "inspection teams": len(data.inspection_teams),
        "inspection cases": len(data.inspection_cases)}
    print(f"simulated {DAYS[0].isoformat()} to {DAYS[-1].isoformat()} ({len(DAYS)} days) for "
          f"{name}, seed {seed}: {len(region.townships)} townships, {len(region.grids)} grids, "
          f"population {int(region.grids['population'].sum()):,} (scale {scale.people:.3f} "
          f"of the demo's by population, {scale.grids:.3f} by grids)", flush=True)
    print("arrivals from: " + ", ".join(en for _zh, en in origins(region)), flush=True)
    print("seeded: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()), flush=True)
    print(f"store at {safe_url(source.settings.database_url)}: data version "
          f"{data_version(source.engine)}", flush=True)
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("init-store", help="the deploy step: create/migrate the store, create "
                       "the first admin; seed the demo when asked (or embedded default, empty)")
    p.add_argument("--database-url")
    p.add_argument("--seed-demo", action="store_true",
                   help="seed the simulated demo history if the store is empty (always done "
                        "on the embedded default store unless GRIDWATCH_SEED_DEMO=false)")
    p.set_defaults(func=init_store)
    p = sub.add_parser("simulate", help="seed a simulated demo history for the store's "
                       "region (any region; only into an empty history)")
    p.add_argument("--database-url")
    p.add_argument("--seed", type=int, help="the random seed (default: the demo's, "
                   "20200123); the same seed and region give the same history")
    p.set_defaults(func=simulate)
    p = sub.add_parser("figures", help="print the headline figures computed from the store")
    p.add_argument("--database-url")
    p.set_defaults(func=figures)
    p = sub.add_parser("notify", help="push red grids, overdue leads and checkpoint alerts to "
                       "the channels of GRIDWATCH_NOTIFY_CHANNELS (DingTalk, WeCom, e-mail)")
    p.add_argument("--database-url")
    p.add_argument("--once", action="store_true", help="one cycle, then exit (for cron)")
    p.add_argument("--interval", type=float, default=60.0, help="seconds between cycles")
    p.set_defaults(func=notify)


def notify(args) -> int:
    """Queue and deliver outbound alerts: one cycle (``--once``) or one every ``--interval``
    seconds until stopped."""
    import time

    from gridwatch import notify as outbound

    source = open_source(args)
    try:
        outbound.channels(source.settings.notify_channels)
    except outbound.ChannelError as exc:
        print(f"error: {exc}")
        return 2
    while True:
        print(json.dumps(outbound.cycle(source)), flush=True)
        if args.once:
            return 0
        time.sleep(args.interval)
