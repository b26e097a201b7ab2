"""A five-grid county written out by hand: the literal fixture for domain and callback rules.

Two townships, one village each, five grids::

    township A 330824101 东岭镇 Dongling Town    village 330824101001   grids G1 G2 G3
    township B 330824102 西溪乡 Xixi Township    village 330824102001   grids G4 G5

over three days, 2020-02-01 (D1) to 2020-02-03 (D3). The geography is shapely boxes near
118.4E 29.1N written to a real GeoPackage (so ``Region.fingerprint`` and ``load_region`` work as
in production); the store's tables are written row by row below and become a ``Snapshot`` with
the columns and dtypes ``gridwatch.snapshot.read_snapshot`` gives (times are naive local time).
Tests hold expectations computed by hand from these rows; the comments beside the rows say what
each one is there to exercise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point, box

from gridwatch.geo.layers import Region, load_region
from gridwatch.settings import Settings
from gridwatch.snapshot import TABLES, Snapshot

A, B = "330824101", "330824102"
VA, VB = "330824101001", "330824102001"
G1, G2, G3 = "33082410100101", "33082410100102", "33082410100103"
G4, G5 = "33082410200101", "33082410200102"
GRIDS = (G1, G2, G3, G4, G5)
"""In code order: the order of the grids layer's ``k`` and of the hideout's ``c`` string."""
D1, D2, D3 = date(2020, 2, 1), date(2020, 2, 2), date(2020, 2, 3)


def at(text: str) -> datetime:
    """``"02-01 08:00"`` → 2020-02-01 08:00 (naive local time, as in a snapshot)."""
    return datetime.strptime(f"2020-{text}", "%Y-%m-%d %H:%M")


# --- the region -------------------------------------------------------------------------------

W, S, E, N = 118.40, 29.10, 118.50, 29.15
MID = 118.45  # A is the western half, B the eastern half


def strips(west: float, east: float, n: int) -> list:
    step = (east - west) / n
    return [box(west + i * step, S, west + (i + 1) * step, N) for i in range(n)]


def region_layers() -> dict[str, gpd.GeoDataFrame]:
    def layer(rows: list[dict], geometry: list) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(rows, geometry=geometry, crs="EPSG:4326")

    # fmt: off
    return {
        "county": layer([{"code": "330824", "name_zh": "开化县", "name_en": "Kaihua County"}],
                        [box(W, S, E, N)]),
        "neighbours": layer([{"code": "330822", "name_zh": "常山县", "name_en": "Changshan County",
                              "province_zh": "浙江省", "province_en": "Zhejiang"}],
                            [box(W - 0.1, S, W, N)]),
        "townships": layer([
            {"code": A, "name_zh": "东岭镇", "name_en": "Dongling Town", "kind": "town",
             "seat_lon": 118.425, "seat_lat": 29.125, "area_km2": 24.3},
            {"code": B, "name_zh": "西溪乡", "name_en": "Xixi Township", "kind": "township",
             "seat_lon": 118.475, "seat_lat": 29.125, "area_km2": 24.3},
        ], [box(W, S, MID, N), box(MID, S, E, N)]),
        "villages": layer([
            {"code": VA, "name_zh": "东岭村", "name_en": "Dongling Village", "township_code": A},
            {"code": VB, "name_zh": "西溪村", "name_en": "Xixi Village", "township_code": B},
        ], [box(W, S, MID, N), box(MID, S, E, N)]),
        "grids": layer([
            {"code": G1, "name_zh": "东岭村第1网格", "name_en": "Dongling Village Grid 1",
             "village_code": VA, "township_code": A, "population": 500, "households": 180},
            {"code": G2, "name_zh": "东岭村第2网格", "name_en": "Dongling Village Grid 2",
             "village_code": VA, "township_code": A, "population": 320, "households": 120},
            {"code": G3, "name_zh": "东岭村第3网格", "name_en": "Dongling Village Grid 3",
             "village_code": VA, "township_code": A, "population": 410, "households": 150},
            {"code": G4, "name_zh": "西溪村第1网格", "name_en": "Xixi Village Grid 1",
             "village_code": VB, "township_code": B, "population": 260, "households": 95},
            {"code": G5, "name_zh": "西溪村第2网格", "name_en": "Xixi Village Grid 2",
             "village_code": VB, "township_code": B, "population": 380, "households": 140},
        ], [*strips(W, MID, 3), *strips(MID, E, 2)]),
        "checkpoints": layer([
            {"code": "CP01", "name_zh": "东岭卡口", "name_en": "Dongling Checkpoint",
             "township_code": A, "kind": "town_entrance", "capacity": 30},
            {"code": "CP02", "name_zh": "西溪卡口", "name_en": "Xixi Checkpoint",
             "township_code": B, "kind": "county_border", "capacity": 60},
        ], [Point(118.41, 29.12), Point(118.49, 29.13)]),
        "quarantine_sites": layer([
            {"code": "QS01", "name_zh": "东岭宾馆", "name_en": "Dongling Hotel",
             "township_code": A, "capacity": 40},
        ], [Point(118.43, 29.14)]),
    }
    # fmt: on


def write_region(folder: Path) -> Region:
    """The region written to ``folder/literal.gpkg`` and read back as production reads it."""
    path = folder / "literal.gpkg"
    for name, gdf in region_layers().items():
        gdf.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    return load_region(path)


# --- the store's tables -----------------------------------------------------------------------

# fmt: off
RISK = [  # id, grid_code, colour, observed_at, recorded_at, source, note
    (1,  G1, "yellow", "02-01 08:00", "02-01 08:10", "initial-marking", None),
    (2,  G2, "green",  "02-01 08:00", "02-01 08:10", "initial-marking", None),
    (3,  G4, "blue",   "02-01 09:00", "02-01 09:10", "initial-marking", None),
    (4,  G5, "green",  "02-01 10:00", "02-01 10:10", "initial-marking", None),
    (5,  G1, "red",    "02-02 09:00", "02-02 09:05", "township-review", None),
    (6,  G2, "blue",   "02-02 11:00", "02-02 11:05", "township-review", None),
    (7,  G1, "red",    "02-02 15:00", "02-02 15:05", "township-review", "confirmed"),  # same
    (8,  G5, "yellow", "02-03 00:00", "02-03 00:05", "township-review", None),  # D3's first instant
    (9,  G4, "blue",   "02-03 09:00", "02-03 09:05", "township-review", None),  # same colour
    (10, G1, "orange", "02-03 10:00", "02-03 10:05", "township-review", None),
    (11, G2, "red",    "02-02 07:00", "02-03 12:00", "late-sync", None),  # older, arrives late
]  # G3 is never assessed

LEVELS = [  # id, township_code, level, effective_at, source, note
    (1, A, 2, "02-01 09:00", "county-centre", "order 1"),
    (2, A, 1, "02-02 12:00", "county-centre", "order 2"),
    (3, B, 2, "02-03 00:00", "county-centre", "order 3"),  # B has no level before: 3
]

DIRECTIVES = [  # id, kind, number, title_zh, title_en, issued_at
    (1, "order",  1, "关于启动一级响应的命令", "Order on the level-1 response", "02-01 08:30"),
    (2, "notice", 1, "关于暂停聚集活动的通告", "Notice on suspending gatherings", "02-02 09:30"),
]

TASKS = [  # id, code, title_zh, title_en, scope, issued_at, due_at
    (1, "T0001", "排查返乡人员", "Screen returnees",     "grids", "02-01 10:00", "02-02 10:00"),
    (2, "T0002", "核查发热人员", "Check fever reports",  "grids", "02-02 14:00", "02-03 08:00"),
    (3, "T0003", "张贴通告",     "Post the notice",      "grids", "02-03 09:00", "02-04 09:00"),
]

ASSIGNMENTS = [  # id, task_id, grid, township, issued_at, due_at, handed_off_at (by the
    # township), acknowledged_at, completed_at (by the grid). 1 on time, 2 late, 3 handed off
    # and never acknowledged, 4 done at the due time, 5 handed off and acked on D3, 6 due D4
    (1, 1, G1, A, "02-01 10:00", "02-02 10:00", "02-01 10:15", "02-01 10:30", "02-01 18:00"),
    (2, 1, G2, A, "02-01 10:00", "02-02 10:00", "02-01 10:15", "02-01 11:00", "02-02 12:00"),
    (3, 1, G4, B, "02-01 10:00", "02-02 10:00", "02-01 10:40", None, None),
    (4, 2, G1, A, "02-02 14:00", "02-03 08:00", "02-02 14:10", "02-02 14:20", "02-03 08:00"),
    (5, 2, G5, B, "02-02 14:00", "02-03 08:00", "02-03 08:30", "02-03 09:00", None),
    (6, 3, G3, A, "02-03 09:00", "02-04 09:00", "02-03 09:10", "02-03 09:30", None),
]

LEADS = [  # id, code, grid, township, category, reported_at, closed_at
    (1, "L0001", G1, A, "returnee",  "02-01 09:00", "02-01 09:25"),  # 25 min
    (2, "L0002", G4, B, "fever",     "02-01 22:00", "02-02 01:00"),  # 180 min, over midnight
    (3, "L0003", G2, A, "gathering", "02-02 10:00", None),           # still open
    (4, "L0004", G5, B, "other",     "02-02 20:00", "02-03 08:00"),  # 720 min
    (5, "L0005", G1, A, "fever",     "02-03 07:00", "02-03 07:45"),  # 45 min
]

CHECKPOINT_COUNTS = [  # id, checkpoint_code, hour_start, vehicles, people, qr, flagged
    (1, "CP01", "02-01 08:00", 10, 20, 0, 1),
    (2, "CP01", "02-02 08:00", 12, 25, 5, 0),
    (3, "CP01", "02-02 23:00",  3,  4, 1, 1),  # the last hour of D2
    (4, "CP02", "02-02 09:00", 30, 60, 10, 2),
    (5, "CP02", "02-03 00:00",  7,  9, 2, 0),  # the first hour of D3
]

RINGS = [  # id, grid, day, arrivals_high_risk, central_quarantine, screened, home_isolation, closed
    (1, G1, D1, 2, 0, 30, 3, 0),
    (2, G4, D1, 1, 0, 12, 1, 0),
    (3, G1, D2, 0, 1, 28, 4, 0),
    (4, G2, D2, 1, 0, 20, 2, 1),
    (5, G4, D2, 0, 0, 11, 1, 0),
]

PROXY = [  # id, grid_code, requested_at, items, delivered_at, household_ref, purged_at
    (1, G1, "02-02 10:00", "蔬菜", "02-02 15:00", f"H{G1}001", None),  # L0001's household
    (2, G4, "02-02 11:00", "药品", None, f"H{G4}002", None),  # L0002's household
]

INSPECTION_TEAMS = [  # id, code, name_zh, name_en
    (1, "IT01", "第1纠察队", "Inspection team 1"),
]

INSPECTION_CASES = [  # id, team_id, township, opened_at, people, publicised, summary_zh, en,
    #                   kind, people_names
    (1, 1, B, "02-02 16:00", 2, True, "聚集性活动劝阻不力", "Gathering not stopped",
     "gathering", '["王建国", "李芳"]'),
]
# fmt: on


def table(name: str, rows: list[tuple], columns: list[str] | None = None) -> pd.DataFrame:
    """``rows`` as the snapshot holds table ``name``: the model's columns and dtypes."""
    model, times = TABLES[name]
    columns = columns or [c.name for c in model.__table__.columns]
    df = pd.DataFrame.from_records(rows, columns=columns)
    for col in times:
        moments = df[col].map(lambda v: at(v) if isinstance(v, str) else None)
        df[col] = pd.to_datetime(moments).astype("datetime64[us]")
    return df


def lead_rows() -> list[tuple]:
    """Leads with their summaries; acknowledged a minute after the report, never escalated."""
    out = []
    for id_, code, grid, town, category, reported, closed in LEADS:
        acked = (at(reported) + timedelta(minutes=1)).strftime("%m-%d %H:%M")
        out.append((id_, code, grid, town, category, f"线索{id_}", f"lead {id_}", reported,
                    acked, None, None, closed, "已处置" if closed else None,
                    f"H{grid}{id_:03d}" if category in ("returnee", "fever") else None, None))
    return out


def tables() -> dict[str, pd.DataFrame]:
    frames = {
        "risk": table("risk", RISK), "levels": table("levels", LEVELS),
        "directives": table("directives", DIRECTIVES), "tasks": table("tasks", TASKS),
        "assignments": table("assignments", ASSIGNMENTS),
        "checkpoint_counts": table("checkpoint_counts", CHECKPOINT_COUNTS),
        "leads": table("leads", lead_rows()), "rings": table("rings", RINGS),
        "proxy": table("proxy", PROXY), "inspection_teams": table("inspection_teams",
                                                                   INSPECTION_TEAMS),
        "inspection_cases": table("inspection_cases", INSPECTION_CASES),
    }
    frames["risk"]["note"] = frames["risk"]["note"].astype(object)  # as SQLite gives it
    # The store hands risk marks over in time order (``read_snapshot``), so does the fixture.
    frames["risk"] = frames["risk"].sort_values(["observed_at", "id"], kind="stable")
    return frames


def build_snapshot(region: Region, store_version: int = 1) -> Snapshot:
    return Snapshot(store_version=store_version, region=region,
                    updated_at=datetime(2020, 2, 3, 12, 0), **tables())


@dataclass
class FakeSource:
    """What callbacks need of a data source: ``snapshot()``, ``settings`` and ``region()``."""

    snap: Snapshot
    settings: Settings = field(default_factory=Settings)

    def snapshot(self) -> Snapshot:
        return self.snap

    def region(self) -> Region:
        return self.snap.region


def fake_source(folder: Path) -> FakeSource:
    region = write_region(folder)
    return FakeSource(build_snapshot(region),
                      Settings(database_url=f"sqlite:///{folder / 'unused.sqlite'}",
                               geo_path=region.path, seed_demo=False))
