"""A deterministic simulator of the county's 2020 epidemic response, for the demo store.

It reproduces the article's headline figures exactly from the data (see ``ARTICLE_FIGURES``):
17 orders, 18 notices, 320 special tasks all completed with every assignment acknowledged,
more than 10,000 platform events, 6,200+ red-proxy home visits, 31 inspection teams and 42 failure
cases involving 69 people (18 cases and 33 people publicised). The county had no confirmed or
suspected case: leads are returnees, fevers that turn out benign, and gatherings.

Colours follow the people arriving from high-risk areas: a grid warms up while it has recent
arrivals, people in isolation or fever leads, and a little from its neighbours; it relaxes towards
green as isolation periods end and the review thresholds loosen in late February.

Leads about a household (returnees, fevers) and red-proxy requests carry the household's register
number (``household_ref``: ``H`` + grid code + three digits). The numbers come from their own
random stream, derived from the same seed (``_Households``), so adding them changed no other
simulated value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Engine, insert

from gridwatch.geo.crs import region_crs
from gridwatch.geo.layers import Region
from gridwatch.store import models as m
from gridwatch.store.db import sqlite_checkpoint
from gridwatch.store.writes import write
from gridwatch.timeutil import local_to_utc

START = date(2020, 1, 23)
END = date(2020, 2, 29)
DAYS = [START + timedelta(days=i) for i in range((END - START).days + 1)]
DEFAULT_SEED = 20200123
TZ = "Asia/Shanghai"

ARTICLE_FIGURES = {
    "townships": 15,
    "villages": 266,
    "grids": 747,
    "orders": 17,
    "notices": 18,
    "tasks": 320,
    "inspection_teams": 31,
    "failure_cases": 42,
    "failure_people": 69,
    "publicised_cases": 18,
    "publicised_people": 33,
}

REFERENCE = {"population": 357_684, "grids": ARTICLE_FIGURES["grids"],
             "townships": ARTICLE_FIGURES["townships"]}
"""The size of the county the simulator's totals were set for (the demo region: Kaihua's 747
grids, 15 townships and their 357,684 people). Another region's totals are scaled by its own
size against these (``Scale``); the demo's scale is exactly one, so its history is the
article's."""

ORIGINS = [("湖北", "Hubei"), ("武汉", "Wuhan"), ("温州", "Wenzhou"), ("重庆", "Chongqing"),
           ("河南信阳", "Xinyang, Henan"), ("安徽阜阳", "Fuyang, Anhui")]

ORDERS = [
    ("关于启动重大突发公共卫生事件一级响应的命令", "Order on launching the level-1 public health emergency response"),
    ("关于实行网格工作制的命令", "Order on the grid work system"),
    ("关于设立交通卡口全面查控的命令", "Order on checkpoints and full vehicle inspection"),
    ("关于全面排查湖北返开人员的命令", "Order on screening all arrivals from Hubei"),
    ("关于暂停聚集性活动的命令", "Order suspending gatherings"),
    ("关于实行居家隔离医学观察的命令", "Order on home isolation under medical observation"),
    ("关于设立集中隔离点的命令", "Order on centralised quarantine sites"),
    ("关于实行村庄（小区）封闭管理的命令", "Order on closed management of villages and compounds"),
    ("关于省界卡口二十四小时值守的命令", "Order on 24-hour staffing of provincial-border checkpoints"),
    ("关于落实红色代办制的命令", "Order on the red proxy service"),
    ("关于加强发热病人管理的命令", "Order on managing people with fever"),
    ("关于推行二维码自主登记的命令", "Order on QR-code self-registration"),
    ("关于企业复工防疫管理的命令", "Order on epidemic control for reopening businesses"),
    ("关于调整乡镇管控等级的命令", "Order adjusting township control levels"),
    ("关于有序恢复交通的命令", "Order on restoring traffic step by step"),
    ("关于调整卡口设置的命令", "Order adjusting checkpoint deployment"),
    ("关于常态化防控工作的命令", "Order on routine prevention and control"),
]
NOTICES = [
    ("致全县人民的一封信", "Letter to all residents of the county"),
    ("关于取消春节期间集体活动的通告", "Notice cancelling collective Spring Festival events"),
    ("关于公共场所佩戴口罩的通告", "Notice on wearing masks in public places"),
    ("关于暂停农村集市的通告", "Notice suspending rural markets"),
    ("关于暂停公共交通的通告", "Notice suspending public transport"),
    ("关于返开人员主动登记的通告", "Notice on self-registration of people returning to the county"),
    ("关于关闭娱乐场所的通告", "Notice closing entertainment venues"),
    ("关于红白喜事一律从简的通告", "Notice on keeping weddings and funerals minimal"),
    ("关于延迟复工的通告", "Notice on the delayed return to work"),
    ("关于延迟开学的通告", "Notice on the delayed school term"),
    ("关于小区出入管理的通告", "Notice on entry to residential compounds"),
    ("关于药店实名登记购买退烧药的通告", "Notice on registered purchase of fever medicine"),
    ("关于健康码使用的通告", "Notice on using the health code"),
    ("关于农业生产有序开展的通告", "Notice on resuming farm work in order"),
    ("关于企业复工申报的通告", "Notice on business reopening applications"),
    ("关于恢复部分公共交通的通告", "Notice on resuming some public transport"),
    ("关于调整部分管控措施的通告", "Notice adjusting some control measures"),
    ("关于做好春耕备耕的通告", "Notice on preparing for spring ploughing"),
]

TASK_TEMPLATES = [
    ("排查自{o}返开人员", "Screen arrivals from {oe}"),
    ("核查居家隔离人员体温及健康状况", "Check temperature and health of people in home isolation"),
    ("入户张贴并宣传通告", "Post and explain the latest notice door to door"),
    ("劝阻并登记聚集性活动", "Stop and record gatherings"),
    ("排查发热人员并登记就医情况", "Find people with fever and record medical visits"),
    ("落实小区出入口登记值守", "Staff and log compound entrances"),
    ("核对卡口登记人员去向", "Verify the destinations of people logged at checkpoints"),
    ("汇总红色代办需求清单", "Collect red proxy shopping lists"),
    ("开展出租房屋及流动人口排查", "Screen rented housing and migrant residents"),
    ("复核网格户籍与实住人口", "Reconcile registered and resident population"),
]
LATE_TASK_TEMPLATES = [
    ("企业复工防疫条件核查", "Check epidemic-control readiness of reopening businesses"),
    ("推广健康码申领", "Help residents apply for the health code"),
    ("春耕生产人员流动登记", "Register farm workers moving for spring ploughing"),
]

PROXY_ITEMS = ["蔬菜", "大米", "食用油", "药品", "奶粉", "日用品", "肉蛋", "水果", "煤气罐"]


@dataclass
class DemoData:
    """The simulated history: one list of row dicts per table (ids assigned on insert)."""

    control_levels: list[dict] = field(default_factory=list)
    risk_assessments: list[dict] = field(default_factory=list)
    directives: list[dict] = field(default_factory=list)
    tasks: list[dict] = field(default_factory=list)
    assignments: list[dict] = field(default_factory=list)
    checkpoint_counts: list[dict] = field(default_factory=list)
    leads: list[dict] = field(default_factory=list)
    ring_counts: list[dict] = field(default_factory=list)
    proxy_requests: list[dict] = field(default_factory=list)
    inspection_teams: list[dict] = field(default_factory=list)
    inspection_cases: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Scale:
    """How large a region is against the demo's (``REFERENCE``): ``people`` by population
    (arrivals, leads, red-proxy visits, villages with many arrivals), ``grids`` by grid count
    (special tasks), ``townships`` by township count (inspection teams and cases). Each is
    exactly 1.0 for the demo region."""

    people: float = 1.0
    grids: float = 1.0
    townships: float = 1.0

    @classmethod
    def of(cls, region: Region) -> Scale:
        population = float(region.grids["population"].sum())
        return cls(people=population / REFERENCE["population"],
                   grids=len(region.grids) / REFERENCE["grids"],
                   townships=len(region.townships) / REFERENCE["townships"])

    def count(self, n: int, by: str = "people", least: int = 1) -> int:
        """``n`` (the demo's total) scaled by ``by``, at least ``least``."""
        factor = getattr(self, by)
        return n if factor == 1.0 else max(least, round(n * factor))


def origins(region: Region) -> list[tuple[str, str]]:
    """Where arriving households come from: the demo's high-risk areas (``ORIGINS``) for the
    demo region; another region's own neighbours when it has any (their ``name_zh`` and
    ``name_en``), else the same high-risk areas."""
    from gridwatch.export import is_synthetic

    neighbours = region.neighbours
    if is_synthetic(region) or len(neighbours) == 0:
        return list(ORIGINS)
    frame = neighbours.sort_values("code")
    zh = frame["name_zh"].fillna("").astype(str).tolist()
    en = frame["name_en"].fillna("").astype(str).tolist() if "name_en" in frame else zh
    found = [(a or b, b or a) for a, b in zip(zh, en, strict=True) if a or b]
    return found or list(ORIGINS)


def _utc(day: date, hours: float) -> datetime:
    """Local day + fractional hours, as naive UTC, to the second."""
    moment = datetime.combine(day, time()) + timedelta(seconds=round(hours * 3600))
    return local_to_utc(moment, TZ)


def simulate(region: Region, seed: int = DEFAULT_SEED) -> DemoData:
    """Simulate the period 2020-01-23 to 2020-02-29 for ``region``.

    Any region: the same rules and the same 38-day scenario (the Spring Festival, the
    lockdown, the return to work from 17 February), its totals scaled to the region's size
    (``Scale``), arrivals from its neighbours (``origins``), shapes measured in its own UTM
    zone (``gridwatch.geo.crs.region_crs``). The demo region gives the article's figures.

    Parameters
    ----------
    region : Region
        The county's geography (grids with population, townships, checkpoints).
    seed : int
        The same seed and region always give the same history.
    """
    rng = np.random.default_rng(seed)
    out = DemoData()
    grids = region.grids.sort_values("code").reset_index(drop=True)
    townships = region.townships.sort_values("code").reset_index(drop=True)
    n_grids, n_days = len(grids), len(DAYS)
    scale, places = Scale.of(region), origins(region)
    metric = region_crs(region)

    levels = _control_levels(region, townships, out, metric)
    arrivals, home_iso, central, households = _arrivals(rng, grids, n_days, scale)
    register = _Households(seed, grids)
    arrived = [register.new(g) for g, _d, _p, _c in households]
    fever = _leads(rng, grids, arrivals, households, out, register, arrived, scale, places)
    _risk(rng, grids, arrivals, home_iso, central, fever, out, metric)
    _directives(rng, out)
    _tasks(rng, grids, townships, levels, out, scale, places)
    _hand_offs(seed, out)
    _checkpoints(rng, region, out)
    _rings(rng, grids, arrivals, home_iso, central, out, _seats(townships))
    _proxy(rng, grids, home_iso, households, out, arrived, scale)
    _inspection(rng, townships, out, seed, scale)
    assert len(out.risk_assessments) > 0 and n_grids == len(grids)
    return out


# --- township control levels -------------------------------------------------------------------

def _seats(townships: gpd.GeoDataFrame) -> list[str]:
    """The county town: the subdistricts (``kind``), or without any the most populous
    township's code."""
    if "kind" in townships and (townships["kind"] == "subdistrict").any():
        return townships.loc[townships["kind"] == "subdistrict", "code"].tolist()
    return [str(townships.sort_values("code").iloc[0]["code"])] if "population" not in \
        townships else [str(townships.loc[townships["population"].idxmax(), "code"])]


def _other_provinces(region: Region) -> gpd.GeoDataFrame:
    """The neighbours in another province: by the province of their division code (its
    first two digits) against the county's; neighbours without a six-digit code count as
    another province's (a border is a border)."""
    neighbours = region.neighbours
    own = str(region.county.iloc[0]["code"])[:2] if len(region.county) else ""
    codes = neighbours["code"].astype(str) if "code" in neighbours else None
    if codes is None or not own.isdigit():
        return neighbours
    return neighbours[~(codes.str.fullmatch(r"\d{6}") & (codes.str[:2] == own))]


def _control_levels(region: Region, townships: gpd.GeoDataFrame, out: DemoData,
                    crs: str) -> dict:
    """Border townships (those touching a neighbour in another province) and the county town
    start at level 1; levels relax in late February."""
    metric = townships.to_crs(crs)
    other_provinces = _other_provinces(region)
    border = set()
    if len(other_provinces):
        foreign = other_provinces.to_crs(crs).buffer(300).union_all()
        border = set(metric.loc[metric.intersects(foreign), "code"])
    seat = _seats(townships)
    level1 = border | set(seat)
    touching_l1 = set(metric.loc[metric.buffer(200).intersects(
        metric[metric["code"].isin(level1)].union_all()), "code"]) - level1
    initial = {c: 1 if c in level1 else 2 if c in touching_l1 else 3 for c in townships["code"]}
    schedule = [(date(2020, 1, 24), 9.0, initial, "县防疫指挥部令第1号")]
    # Late January: the two level-2 townships nearest the county town tighten.
    by_area = sorted((c for c, lv in initial.items() if lv == 2))
    tighten = {c: 1 for c in by_area[:2]}
    schedule.append((date(2020, 1, 29), 10.0, tighten, "管控升级"))
    relax1 = {c: 2 for c, lv in initial.items() if lv == 1 and c not in seat} | {
        c: 2 for c in tighten}
    schedule.append((date(2020, 2, 14), 10.0, relax1, "指挥部令第14号 调整管控等级"))
    relax2 = {c: 3 for c in initial if c not in border} | {c: 2 for c in border}
    schedule.append((date(2020, 2, 24), 10.0, relax2, "指挥部令第14号 调整管控等级"))
    current: dict[str, list[tuple[date, int]]] = {c: [] for c in initial}
    for day, hour, changes, note in schedule:
        for code, level in sorted(changes.items()):
            if current[code] and current[code][-1][1] == level:
                continue
            current[code].append((day, level))
            out.control_levels.append({
                "township_code": code, "level": level, "effective_at": _utc(day, hour),
                "source": "county-centre", "note": note,
            })
    return current


# --- arrivals from high-risk areas -------------------------------------------------------------

def _arrivals(rng, grids: pd.DataFrame, n_days: int, scale: Scale = Scale()):
    """Households arriving from high-risk areas, clustered in a few villages (people from one
    village tend to work in the same city), peaking around the Spring Festival (25 January)."""
    n_grids = len(grids)
    weight = grids["population"].to_numpy(float)
    villages = grids["village_code"].unique()
    hot_villages = set(rng.choice(villages, size=min(scale.count(14), len(villages)),
                                  replace=False))
    weight = weight * np.where(grids["village_code"].isin(hot_villages), 9.0, 1.0)
    weight /= weight.sum()
    day_weight = np.array([
        9 if i <= 1 else 14 if i <= 5 else 8 if i <= 9 else 3 if i <= 16 else 0.6
        for i in range(n_days)
    ])
    day_weight = day_weight / day_weight.sum()
    arrivals = np.zeros((n_grids, n_days), int)
    home_iso = np.zeros((n_grids, n_days), int)
    central = np.zeros((n_grids, n_days), int)
    households = []  # (grid index, day index, people, central?)
    for _ in range(scale.count(470)):
        g = int(rng.choice(n_grids, p=weight))
        d = int(rng.choice(n_days, p=day_weight))
        people = int(rng.choice([1, 2, 3, 4, 5], p=[0.22, 0.3, 0.24, 0.17, 0.07]))
        is_central = bool(rng.random() < 0.12)
        households.append((g, d, people, is_central))
        arrivals[g, d] += people
        target = central if is_central else home_iso
        target[g, d:d + 14] += people
    return arrivals, home_iso, central, households


# --- household register numbers ----------------------------------------------------------------

HOUSEHOLD_STREAM = 0x4852  # "HR": the spawn key of the household-number stream
"""The household numbers' random stream is ``SeedSequence(seed, spawn_key=(HOUSEHOLD_STREAM,))``:
independent of the main stream (``default_rng(seed)``), so drawing them changes nothing else."""


class _Households:
    """Register numbers of the grids' households: ``H`` + grid code + a three-digit number
    from 1 to the grid's household count, each household numbered once."""

    def __init__(self, seed: int, grids: pd.DataFrame) -> None:
        sequence = np.random.SeedSequence(seed, spawn_key=(HOUSEHOLD_STREAM,))
        self._rng = np.random.default_rng(sequence)
        self._codes = grids["code"].to_numpy()
        self._sizes = np.clip(grids["households"].to_numpy(int), 1, 999)
        self._used: dict[int, set[int]] = {}

    def new(self, g: int) -> str:
        """A household of grid ``g`` not numbered before."""
        used = self._used.setdefault(g, set())
        size = int(self._sizes[g])
        while True:
            number = int(self._rng.integers(1, size + 1))
            if number not in used or len(used) >= size:
                break
        used.add(number)
        return f"H{self._codes[g]}{number:03d}"


# --- leads -------------------------------------------------------------------------------------

def _leads(rng, grids, arrivals, households, out: DemoData, register: _Households,
           arrived: list[str], scale: Scale = Scale(),
           places: list[tuple[str, str]] = ORIGINS) -> np.ndarray:
    """Leads reported by grid workers; returns fever leads per grid and day.

    Returnee and fever leads concern a household: an arriving household's leads carry its
    number (``arrived``, one per entry of ``households``), a resident's a new one.
    """
    n_grids, n_days = arrivals.shape
    fever = np.zeros((n_grids, n_days), int)
    rows = []

    def add(g, d, hour, category, zh, en, timeline, household=None):
        reported = _utc(DAYS[d], hour)
        if household is None and category in ("returnee", "fever"):
            household = register.new(g)
        row = {"grid_code": grids.at[g, "code"], "township_code": grids.at[g, "township_code"],
               "category": category, "summary_zh": zh, "summary_en": en,
               "reported_at": reported, "acknowledged_at": None, "escalated_at": None,
               "dispatched_at": None, "closed_at": None, "outcome": None,
               "household_ref": household}
        t = reported
        for stage, minutes in timeline:
            if minutes is None:  # a stage this lead skipped
                continue
            t = t + timedelta(minutes=float(minutes))
            row[f"{stage}_at"] = t
        if row["closed_at"] is not None:
            row["outcome"] = {"fever": "排除，普通感冒发热", "returnee": "已登记并落实居家隔离",
                              "gathering": "已劝散并登记", "other": "已处置"}[category]
        if category == "fever":
            fever[g, d] += 1
        rows.append(row)

    # The article's example: 27 January, evening, Yanglin Town; closed in 25 minutes.
    yanglin = np.flatnonzero((grids["township_code"] == "330824107").to_numpy())
    g0 = int(yanglin[0]) if len(yanglin) else 0
    if len(yanglin):
        zh0 = "王家边网格：汪某某一家四口从重庆返村，小孩高烧咳嗽，请指挥部协助核查"
        en0 = ("Wangjiabian grid: a family of four back from Chongqing; the child has a high "
               "fever and cough; command centre asked to verify")
    else:  # another region: the same report from its first grid, from its first origin
        zh0 = (f"{grids.at[g0, 'name_zh']}：一家四口从{places[0][0]}返村，小孩高烧咳嗽，"
               "请指挥部协助核查")
        en0 = (f"{grids.at[g0, 'name_en']}: a family of four back from {places[0][1]}; the "
               "child has a high fever and cough; command centre asked to verify")
    add(g0, 4, 20.6, "fever", zh0, en0,
        [("acknowledged", 2), ("escalated", 3), ("dispatched", 4), ("closed", 16)])

    for (g, d, people, _central), household in zip(households, arrived, strict=True):
        if rng.random() < 0.42:
            o_zh, o_en = places[int(rng.integers(len(places)))]
            add(g, d, float(rng.uniform(8, 22)), "returnee",
                f"{people}人自{o_zh}返村，需登记核查", f"{people} people back from {o_en}; "
                "registration and checks needed",
                [("acknowledged", rng.uniform(1, 9)),
                 ("escalated", rng.uniform(3, 15) if rng.random() < 0.3 else None),
                 ("dispatched", rng.uniform(5, 30)), ("closed", rng.uniform(30, 240))]
                if rng.random() < 0.3 else
                [("acknowledged", rng.uniform(1, 9)), ("closed", rng.uniform(30, 300))],
                household)
        if rng.random() < 0.16:
            fd = min(d + int(rng.integers(1, 10)), n_days - 1)
            add(g, fd, float(rng.uniform(6, 23)), "fever",
                "居家隔离人员发热，需送医排查", "Person in home isolation has a fever; "
                "needs a hospital check",
                [("acknowledged", rng.uniform(1, 6)), ("escalated", rng.uniform(2, 10)),
                 ("dispatched", rng.uniform(2, 10)), ("closed", rng.uniform(15, 120))],
                household)
    pop = grids["population"].to_numpy(float)
    pop = pop / pop.sum()
    for _ in range(scale.count(46, least=0)):
        g = int(rng.choice(n_grids, p=pop))
        d = int(rng.integers(0, n_days))
        add(g, d, float(rng.uniform(7, 23)), "fever", "村民发热咳嗽，需送医排查",
            "Resident with fever and cough; needs a hospital check",
            [("acknowledged", rng.uniform(1, 6)), ("escalated", rng.uniform(2, 10)),
             ("dispatched", rng.uniform(2, 10)), ("closed", rng.uniform(15, 150))])
    for _ in range(scale.count(52, least=0)):
        g = int(rng.choice(n_grids, p=pop))
        d = int(rng.choice(np.arange(0, 14)))
        kind = ["聚餐", "打牌", "喜宴", "庙会"][int(rng.integers(4))]
        kind_en = {"聚餐": "a group meal", "打牌": "a card game", "喜宴": "a wedding banquet",
                   "庙会": "a temple fair"}[kind]
        add(g, d, float(rng.uniform(10, 21)), "gathering", f"发现群众{kind}聚集",
            f"People gathering for {kind_en}",
            [("acknowledged", rng.uniform(1, 8)),
             *([("escalated", rng.uniform(3, 12))] if rng.random() < 0.25 else []),
             ("closed", rng.uniform(20, 90))])
    for _ in range(scale.count(34, least=0)):
        g = int(rng.choice(n_grids, p=pop))
        d = int(rng.integers(0, n_days))
        add(g, d, float(rng.uniform(8, 20)), "other", "外来车辆停放可疑，需核查",
            "Unfamiliar vehicle parked; needs checking",
            [("acknowledged", rng.uniform(1, 15)), ("closed", rng.uniform(30, 600))])
    # The last afternoon: a few leads are still open when the period ends.
    for i in range(5):
        g = int(rng.choice(n_grids, p=pop))
        stages = [("acknowledged", 4), ("escalated", 12)][: i % 3]
        add(g, n_days - 1, 16.0 + i * 1.3, ["fever", "returnee", "other"][i % 3],
            ["村民发热，待核查", "返村人员待登记", "可疑车辆待核查"][i % 3],
            ["Resident with fever, to be checked", "Returnee to be registered",
             "Unfamiliar vehicle to be checked"][i % 3],
            stages)
    rows.sort(key=lambda r: r["reported_at"])
    for i, row in enumerate(rows, start=1):
        row["code"] = f"L{i:04d}"
    out.leads = rows
    return fever


# --- risk colours ------------------------------------------------------------------------------

def _neighbour_matrix(grids: gpd.GeoDataFrame, crs: str) -> np.ndarray:
    """Dense adjacency (grids sharing a border, in the metric ``crs``); 747 x 747 is small
    enough."""
    metric = grids.to_crs(crs)[["geometry"]]
    pairs = gpd.sjoin(metric, metric, predicate="intersects", how="inner")
    left = pairs.index.to_numpy()
    right = pairs["index_right"].to_numpy()
    matrix = np.zeros((len(grids), len(grids)))
    matrix[left, right] = 1.0
    np.fill_diagonal(matrix, 0.0)
    return matrix


def _risk(rng, grids, arrivals, home_iso, central, fever, out: DemoData, crs: str) -> None:
    n_grids, n_days = arrivals.shape
    adjacency = _neighbour_matrix(grids, crs)
    recent_arrivals = sum(np.roll(arrivals, k, axis=1) * (np.arange(n_days) >= k)
                          for k in range(3))
    recent_fever = sum(np.roll(fever, k, axis=1) * (np.arange(n_days) >= k) for k in range(3))
    own = 1.2 * recent_arrivals + 0.45 * home_iso + 0.6 * central + 5.0 * recent_fever
    score = own + 0.2 * (adjacency @ own)
    noise = rng.gamma(2.0, 0.35, size=score.shape)
    score = score + noise
    # Review thresholds loosen from mid-February as the county settles.
    relax = np.array([1.0 if d < date(2020, 2, 12) else
                      1.0 + 0.09 * (d - date(2020, 2, 12)).days for d in DAYS])
    thresholds = np.array([14.0, 8.0, 4.0, 1.6])  # red, orange, yellow, blue
    colour_index = np.full(score.shape, 4)
    for level in range(3, -1, -1):
        colour_index[score >= thresholds[level] * relax] = level
    # Before the first review the county starts blue along the provincial border, green elsewhere.
    previous = None
    for d in range(n_days):
        hour0 = 18.0 if d == 0 else 8.0
        for g in range(n_grids):
            c = int(colour_index[g, d])
            if previous is not None and previous[g] == c:
                continue
            out.risk_assessments.append({
                "grid_code": grids.at[g, "code"], "colour": m.COLOURS[c],
                "observed_at": _utc(DAYS[d], hour0 + float(rng.uniform(0, 1.5))),
                "recorded_at": _utc(DAYS[d], hour0 + 1.6),
                "source": "township-review" if d else "initial-marking",
                "note": None,
            })
        previous = colour_index[:, d].copy()


# --- directives, tasks -------------------------------------------------------------------------

def _spread_days(rng, count: int, early_bias: float) -> list[int]:
    """``count`` days: every day once and the rest drawn, earlier ones likelier; fewer than
    there are days: that many drawn (without repeats)."""
    w = np.array([early_bias ** -(i / len(DAYS)) for i in range(len(DAYS))])
    if count < len(DAYS):
        return sorted(rng.choice(len(DAYS), size=count, replace=False, p=w / w.sum()).tolist())
    days = rng.choice(len(DAYS), size=count - len(DAYS), p=w / w.sum())
    return sorted([*range(len(DAYS)), *days.tolist()])


def _directives(rng, out: DemoData) -> None:
    for kind, items in (("order", ORDERS), ("notice", NOTICES)):
        offsets = np.sort(rng.choice(np.arange(1, len(DAYS)), size=len(items) - 1, replace=False))
        days = [0, *offsets.tolist()]
        for number, ((zh, en), d) in enumerate(zip(items, sorted(days), strict=True), start=1):
            out.directives.append({
                "kind": kind, "number": number, "title_zh": zh, "title_en": en,
                "issued_at": _utc(DAYS[d], float(rng.uniform(9, 21))),
            })


def _tasks(rng, grids, townships, levels, out: DemoData, scale: Scale = Scale(),
           places: list[tuple[str, str]] = ORIGINS) -> None:
    """320 special tasks (scaled by grids); each reaches its grids, is acknowledged and
    completed by the end."""
    task_days = _spread_days(rng, scale.count(320, by="grids", least=2), early_bias=3.0)
    town_codes = townships["code"].tolist()
    grid_codes = grids["code"].to_numpy()
    grid_town = grids["township_code"].to_numpy()
    end = _utc(END, 23.5)
    county_wide = {int(np.searchsorted(task_days, 1)), int(np.searchsorted(task_days, 18))}
    for i, d in enumerate(task_days):
        late = d >= 20
        templates = TASK_TEMPLATES + (LATE_TASK_TEMPLATES if late else [])
        zh, en = templates[int(rng.integers(len(templates)))]
        o_zh, o_en = places[int(rng.integers(len(places)))]
        zh, en = zh.format(o=o_zh), en.format(oe=o_en)
        issued = _utc(DAYS[d], float(rng.uniform(8, 17)))
        if i in county_wide:
            scope, targets, hours = "county", np.arange(len(grids)), 72
        elif rng.random() < 0.1:
            town = town_codes[int(rng.integers(len(town_codes)))]
            scope, targets, hours = "township", np.flatnonzero(grid_town == town), 36
            zh, en = f"{zh}（全镇）", f"{en} (whole township)"
        else:
            n = min(int(rng.integers(1, 9)), len(grids))
            scope, targets, hours = "grids", rng.choice(len(grids), size=n, replace=False), 24
        due = issued + timedelta(hours=hours)
        out.tasks.append({"code": f"T{i + 1:04d}", "title_zh": zh, "title_en": en,
                          "scope": scope, "issued_at": issued, "due_at": due})
        for g in sorted(int(t) for t in targets):
            ack = issued + timedelta(minutes=float(rng.uniform(3, 90)))
            if rng.random() < 0.07:  # completed late
                done = due + timedelta(hours=float(rng.uniform(1, 30)))
            else:
                done = issued + timedelta(hours=float(rng.uniform(0.1, 0.95)) * hours)
            done = min(max(done, ack + timedelta(minutes=10)), end)
            out.assignments.append({
                "task_index": i, "grid_code": grid_codes[g], "township_code": grid_town[g],
                "issued_at": issued, "due_at": due, "acknowledged_at": ack, "completed_at": done,
            })


HAND_OFF_STREAM = 0x4A42  # "JB" (交办): the spawn key of the townships' hand-off times


def _hand_offs(seed: int, out: DemoData) -> None:
    """Each township hands each task down to its grids (交办) at one moment between the county's
    publication and the first acknowledgement of one of its grids (30–90% of the way), drawn
    from its own random stream so that nothing else changes."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(HAND_OFF_STREAM,)))
    first_ack: dict[tuple[int, str], datetime] = {}
    for a in out.assignments:
        key = (a["task_index"], a["township_code"])
        first_ack[key] = min(first_ack.get(key, a["acknowledged_at"]), a["acknowledged_at"])
    moments = {}
    for key in sorted(first_ack):
        issued = out.tasks[key[0]]["issued_at"]
        moments[key] = issued + (first_ack[key] - issued) * float(rng.uniform(0.3, 0.9))
    for a in out.assignments:
        a["handed_off_at"] = moments[(a["task_index"], a["township_code"])]


# --- checkpoints -------------------------------------------------------------------------------

BASE_VEHICLES = {"provincial_border": 820, "county_border": 640, "expressway_exit": 1300,
                 "town_entrance": 360}
HOUR_PROFILE = np.array([0.2, 0.12, 0.08, 0.08, 0.12, 0.3, 0.7, 1.2, 1.5, 1.5, 1.4, 1.3,
                         1.2, 1.2, 1.3, 1.4, 1.5, 1.6, 1.4, 1.1, 0.9, 0.7, 0.5, 0.3])
HOUR_PROFILE = HOUR_PROFILE / HOUR_PROFILE.sum()


def _traffic_factor(day: date) -> float:
    """Spring Festival travel, then lockdown, then the return to work from 17 February."""
    i = (day - START).days
    if i <= 1:
        return 1.0 - 0.15 * i
    if i <= 7:
        return 0.85 - 0.1 * (i - 1)
    if day < date(2020, 2, 17):
        return 0.25
    return min(0.25 + 0.035 * (day - date(2020, 2, 17)).days, 0.7)


OUTAGES = (
    (6, date(2020, 1, 28), 2, 4),
    (15, date(2020, 2, 5), 14, 1),
    (2, date(2020, 2, 12), 9, 5),
    (23, date(2020, 2, 20), 20, 2),
    (13, date(2020, 2, 29), 11, 1),
    (8, date(2020, 2, 29), 19, 5),
)
"""Hours a checkpoint sent no count (its staff away, the link down): (index among the
checkpoints by code, modulo their number; day; first hour; hours). A silence of three hours or
more shows as a quiet checkpoint, a shorter one as missed reports; the last day ends with one
of each still open (``gridwatch.checkpoints``). Dropped after the counts are drawn, so the
random stream and every other count stay as they were."""


def _checkpoints(rng, region: Region, out: DemoData) -> None:
    checkpoints = region.checkpoints.sort_values("code")
    codes = list(checkpoints["code"])
    silent = {(codes[i % len(codes)], day, hour)
              for i, day, first, hours in OUTAGES for hour in range(first, first + hours)
              } if codes else set()
    for _, cp in checkpoints.iterrows():
        base = BASE_VEHICLES.get(cp["kind"], 500) * float(rng.uniform(0.7, 1.3))
        for day in DAYS:
            vehicles_day = base * _traffic_factor(day)
            flag_rate = 0.02 if day < date(2020, 2, 3) else 0.006 if day < date(2020, 2, 17) \
                else 0.0015
            qr_share = 0.0 if day < date(2020, 2, 11) else min(
                0.35 + 0.06 * (day - date(2020, 2, 11)).days, 0.9)
            expected = rng.poisson(vehicles_day * HOUR_PROFILE)
            for hour in range(24):
                vehicles = int(expected[hour])
                people = int(rng.binomial(vehicles * 3, 0.6)) if vehicles else 0
                row = {
                    "checkpoint_code": cp["code"], "hour_start": _utc(day, hour),
                    "vehicles": vehicles, "people": people,
                    "qr_registrations": int(rng.binomial(people, qr_share)) if people else 0,
                    "flagged": int(rng.binomial(people, flag_rate)) if people else 0,
                }
                if (cp["code"], day, hour) not in silent:
                    out.checkpoint_counts.append(row)


# --- six rings ---------------------------------------------------------------------------------

def _rings(rng, grids, arrivals, home_iso, central, out: DemoData,
           seats: list[str] = ("330824001",)) -> None:
    n_grids = arrivals.shape[0]
    households = grids["households"].to_numpy()
    urban = grids["township_code"].isin(list(seats)).to_numpy() | (
        grids["population"].to_numpy() > np.quantile(grids["population"], 0.9))
    compounds = np.where(urban, rng.integers(1, 4, size=n_grids), 0)
    for d, day in enumerate(DAYS):
        if 1 <= d <= 4:  # the first door-to-door sweep covers every household in four days
            share = np.full(n_grids, 0.25)
        else:
            share = np.full(n_grids, 0.06 if day < date(2020, 2, 17) else 0.02)
        screened = rng.binomial(households, share) + 3 * arrivals[:, d]
        closed = compounds if date(2020, 2, 4) <= day <= date(2020, 2, 22) else 0 * compounds
        for g in range(n_grids):
            out.ring_counts.append({
                "grid_code": grids.at[g, "code"], "day": day,
                "arrivals_high_risk": int(arrivals[g, d]),
                "central_quarantine": int(central[g, d]),
                "screened_households": int(min(screened[g], households[g])),
                "home_isolation": int(home_iso[g, d]),
                "closed_compounds": int(closed[g]),
            })


# --- red proxy ---------------------------------------------------------------------------------

def _proxy(rng, grids, home_iso, households, out: DemoData, arrived: list[str],
           scale: Scale = Scale()) -> None:
    """6,200+ home visits (scaled by population): isolated households order goods; party
    members deliver."""
    slots = [(g, d) for g, d0, _p, is_central in households if not is_central
             for d in range(d0, min(d0 + 14, len(DAYS)))]
    slot_households = [ref for (_g, d0, _p, is_central), ref in zip(households, arrived,
                                                                     strict=True)
                       if not is_central for _d in range(d0, min(d0 + 14, len(DAYS)))]
    low = scale.count(6200)
    target = int(rng.integers(low, max(scale.count(6300), low + 1)))
    if not slots:  # no household in home isolation: nobody to deliver to
        return
    picks = rng.choice(len(slots), size=target, replace=target > len(slots))
    for k in sorted(picks.tolist()):
        g, d = slots[k]
        requested = _utc(DAYS[d], float(rng.uniform(7, 10)))
        n_items = int(rng.integers(1, 4))
        items = "、".join(rng.choice(PROXY_ITEMS, size=n_items, replace=False).tolist())
        out.proxy_requests.append({
            "grid_code": grids.at[g, "code"], "requested_at": requested, "items": items,
            "delivered_at": requested + timedelta(hours=float(rng.uniform(1.5, 6))),
            "household_ref": slot_households[k],
        })


# --- inspection --------------------------------------------------------------------------------

NAMES_STREAM = 0x4E4D  # "NM": the spawn key of the inspected people's names
SURNAMES = "汪余方程徐王李张刘陈杨黄吴周郑叶姜邵毛胡"
GIVEN = "建国华明军伟芳丽红英平志强林海金根水松文斌春兰"


def _names(seed: int, sizes: list[int]) -> list[list[str]]:
    """Made-up names for the people of each case (``sizes``: how many each), from their own
    random stream (drawing them changes nothing else): a surname and one or two given
    characters."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(NAMES_STREAM,)))

    def one() -> str:
        given = rng.integers(len(GIVEN), size=int(rng.integers(1, 3)))
        return SURNAMES[int(rng.integers(len(SURNAMES)))] + "".join(GIVEN[int(i)] for i in given)

    return [[one() for _ in range(n)] for n in sizes]


def _inspection(rng, townships, out: DemoData, seed: int = DEFAULT_SEED,
                scale: Scale = Scale()) -> None:
    """31 teams; 42 cases involving 69 people, of which 18 cases (33 people) were publicised
    (each scaled by townships for another region). Each case has its kind and the (made-up)
    names of its people."""
    n_teams = scale.count(31, by="townships")
    out.inspection_teams = [
        {"code": f"IT{i:02d}", "name_zh": f"第{i}纠察队", "name_en": f"Inspection team {i}"}
        for i in range(1, n_teams + 1)
    ]
    n = {k: scale.count(v, by="townships", least=0) for k, v in
         {"pub2": 15, "pub1": 3, "other2": 12, "other1": 12}.items()}
    # the demo: 18 publicised (15 of two people, 3 of one): 33; 24 others: 36
    people = [2] * n["pub2"] + [1] * n["pub1"] + [2] * n["other2"] + [1] * n["other1"]
    publicised = [True] * (n["pub2"] + n["pub1"]) + [False] * (n["other2"] + n["other1"])
    n_cases = len(people)
    order = rng.permutation(n_cases)
    towns = townships["code"].tolist()
    days = np.sort(rng.choice(np.arange(2, len(DAYS)), size=n_cases))
    reasons = [("卡口值守人员脱岗", "Checkpoint staff absent from post"),
               ("居家隔离管控不到位", "Home isolation not enforced"),
               ("未按要求开展入户排查", "Door-to-door screening not done as ordered"),
               ("聚集性活动劝阻不力", "Gathering not stopped"),
               ("信息上报迟报漏报", "Late or missing reports")]
    names = _names(seed, [people[k] for k in order])
    for n, k in enumerate(order):
        reason = int(rng.integers(len(reasons)))
        zh, en = reasons[reason]
        out.inspection_cases.append({
            "team_index": int(rng.integers(n_teams)),
            "township_code": towns[int(rng.integers(len(towns)))],
            "opened_at": _utc(DAYS[int(days[n])], float(rng.uniform(9, 18))),
            "people_involved": people[k], "publicised": publicised[k],
            "summary_zh": zh, "summary_en": en, "kind": m.INSPECTION_KINDS[reason],
            "people_names": json.dumps(names[n], ensure_ascii=False),
        })


# --- writing -----------------------------------------------------------------------------------

def seed_store(engine: Engine, region: Region, seed: int = DEFAULT_SEED) -> DemoData:
    """Write the simulated history into an empty, migrated store as one write.

    It goes through the one write path like every other write (lock, one audit row, one
    version bump); the rows themselves are bulk inserts, not batches of the write API, because
    they are generated, not submitted: there is nothing to validate or deduplicate.
    """
    data = simulate(region, seed)
    with write(engine, "seed") as w:
        session = w.session
        session.execute(insert(m.ControlLevelChange), data.control_levels)
        session.execute(insert(m.RiskAssessment), data.risk_assessments)
        session.execute(insert(m.Directive), data.directives)
        task_ids = []
        for task in data.tasks:
            task_ids.append(session.execute(insert(m.Task).values(**task)).inserted_primary_key[0])
        session.execute(insert(m.TaskAssignment), [
            {**{k: v for k, v in a.items() if k != "task_index"},
             "task_id": task_ids[a["task_index"]]} for a in data.assignments])
        session.execute(insert(m.CheckpointCount), data.checkpoint_counts)
        session.execute(insert(m.Lead), data.leads)
        session.execute(insert(m.RingCount), data.ring_counts)
        session.execute(insert(m.ProxyRequest), data.proxy_requests)
        team_ids = [session.execute(insert(m.InspectionTeam).values(**t)).inserted_primary_key[0]
                    for t in data.inspection_teams]
        session.execute(insert(m.InspectionCase), [
            {**{k: v for k, v in c.items() if k != "team_index"},
             "team_id": team_ids[c["team_index"]]} for c in data.inspection_cases])
        w.audit([{"action": "store.seed", "entity": "store", "entity_key": "demo",
                  "before": None, "after": {"seed": seed, "risk_assessments":
                                            len(data.risk_assessments),
                                            "checkpoint_counts": len(data.checkpoint_counts),
                                            "leads": len(data.leads)}}])
    sqlite_checkpoint(engine)
    return data
