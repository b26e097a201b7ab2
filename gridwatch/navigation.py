"""Moving through the county's tree: county › township › village › grid.

Search by name or code, the breadcrumb of where the view stands, the bounds a selection is
zoomed to, and why a filter keeps no grid at all. No Dash: the analyst view's callbacks
(``callbacks/filters.py``, ``callbacks/map.py``) call these.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from gridwatch.filters import Filters
from gridwatch.geo.layers import Region
from gridwatch.i18n import t
from gridwatch.metrics import select_grids

KINDS = ("township", "village", "grid")
"""What a search finds, and the tree's levels below the county, top down."""

LAYER_OF = {"township": "townships", "village": "villages", "grid": "grids"}

MAX_QUERY = 64
"""A longer search text is cut to this many characters (no name or code is longer)."""


@dataclass(frozen=True)
class Place:
    """One township, village or grid: what a search result or a breadcrumb crumb points at."""

    kind: str  # "county", "township", "village" or "grid"
    code: str
    label: str


def _fold(text: str) -> str:
    """Text as the search compares it: NFKC (full-width letters and digits as ASCII), case
    folded, without spaces."""
    return "".join(unicodedata.normalize("NFKC", str(text)).casefold().split())


def _index(region: Region) -> pd.DataFrame:
    """Every township, village and grid with its codes and both names, folded for search,
    built once per region."""
    found = region.__dict__.get("_navigation_index")
    if found is not None:
        return found
    frames = []
    for rank, kind in enumerate(KINDS):
        layer = pd.DataFrame(region.layer(LAYER_OF[kind]).drop(columns="geometry"))
        frame = pd.DataFrame({"kind": kind, "rank": rank, "code": layer["code"].astype(str),
                              "name_zh": layer["name_zh"].astype(str),
                              "name_en": layer["name_en"].astype(str)})
        frames.append(frame)
    index = pd.concat(frames, ignore_index=True)
    index["f_code"] = index["code"].map(_fold)
    index["f_zh"] = index["name_zh"].map(_fold)
    index["f_en"] = index["name_en"].map(_fold)
    region.__dict__["_navigation_index"] = index  # the Region is frozen: cache beside it
    return index


def search(region: Region, text: str | None, lang: str, limit: int = 12) -> list[Place]:
    """The townships, villages and grids whose code or Chinese or English name holds
    ``text`` (case, width and spaces ignored), best first: an exact code or name, then a
    code or name that starts with it, then one that holds it; townships before villages
    before grids at each step, then by code. Nothing for an empty text.

    Each result's label names it in ``lang`` with its code, and for a village or grid where
    it lies (``place_label``).
    """
    query = _fold((text or "")[:MAX_QUERY])
    if not query:
        return []
    index = _index(region)
    fields = (index["f_code"], index["f_zh"], index["f_en"])
    exact = pd.concat([f == query for f in fields], axis=1).any(axis=1)
    starts = pd.concat([f.str.startswith(query) for f in fields], axis=1).any(axis=1)
    holds = pd.concat([f.str.contains(query, regex=False) for f in fields], axis=1).any(axis=1)
    hits = index[holds].assign(step=(~exact[holds]).astype(int) + (~starts[holds]).astype(int))
    hits = hits.sort_values(["step", "rank", "code"]).head(limit)
    return [Place(kind, code, place_label(region, kind, code, lang))
            for kind, code in zip(hits["kind"], hits["code"], strict=True)]


def find(region: Region, kind: str, code: str | None) -> bool:
    """Whether ``code`` is a ``kind`` (township, village or grid) of the region."""
    if kind not in LAYER_OF or not isinstance(code, str):
        return False
    return code in region.names(LAYER_OF[kind], "zh")


def place_label(region: Region, kind: str, code: str, lang: str) -> str:
    """A place's name in ``lang`` with its code; a village's or grid's with where it lies
    ("鼎湖社区第1网格 · 33082400100101 · 鼎湖社区，芹阳办事处")."""
    name = region.names(LAYER_OF[kind], lang).get(code, code)
    path = [p.label for p in parents(region, kind, code, lang)]
    if lang == "en":  # "in Dinghu Community, Qinyang Subdistrict"; 属芹阳办事处，鼎湖社区
        path.reverse()
    where = f" · {t('nav.within', lang, path=t('nav.path_join', lang).join(path))}" \
        if path else ""
    return f"{name} · {code}{where}"


def parents(region: Region, kind: str, code: str, lang: str) -> list[Place]:
    """The township (and, for a grid, the village) a village or grid lies in, top down."""
    if kind == "grid":
        row = region.grids.loc[region.grids["code"] == code]
        if row.empty:
            return []
        village, township = str(row["village_code"].iloc[0]), str(row["township_code"].iloc[0])
        return [Place("township", township, region.names("townships", lang).get(township, "")),
                Place("village", village, region.names("villages", lang).get(village, ""))]
    if kind == "village":
        row = region.villages.loc[region.villages["code"] == code]
        if row.empty:
            return []
        township = str(row["township_code"].iloc[0])
        return [Place("township", township, region.names("townships", lang).get(township, ""))]
    return []


def breadcrumb(region: Region, lang: str, townships: Iterable[str] = (),
               village: str | None = None, grid: str | None = None) -> list[Place]:
    """Where the view stands, from the county down: the county, then the open grid's
    township, village and the grid; or the chosen village's township and the village; or the
    one chosen township. Several chosen townships (or none) stand at the county."""
    county = Place("county", "", str(region.county[f"name_{lang}"].iloc[0]))
    if find(region, "grid", grid):
        return [county, *parents(region, "grid", grid, lang),
                Place("grid", grid, region.names("grids", lang)[grid])]
    if find(region, "village", village):
        return [county, *parents(region, "village", village, lang),
                Place("village", village, region.names("villages", lang)[village])]
    towns = [c for c in townships if find(region, "township", c)]
    if len(towns) == 1:
        return [county, Place("township", towns[0], region.names("townships", lang)[towns[0]])]
    return [county]


Bounds = list[list[float]]


def _bounds_of(frame) -> Bounds | None:
    if frame.empty:
        return None
    minx, miny, maxx, maxy = frame.total_bounds
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def place_bounds(region: Region, kind: str, code: str) -> Bounds | None:
    """A township's, village's or grid's bounds ([[south, west], [north, east]]), or None
    when the region has no such place."""
    if kind == "county":
        return region.bounds
    if not find(region, kind, code):
        return None
    layer = region.layer(LAYER_OF[kind])
    return _bounds_of(layer.loc[layer["code"] == code])


def grids_bounds(region: Region, codes: Iterable[str]) -> Bounds | None:
    """The bounds of the grids ``codes`` (None when there are none)."""
    chosen = set(codes)
    return _bounds_of(region.grids.loc[region.grids["code"].isin(chosen)])


def _either(items: list[str], lang: str) -> str:
    return t("nav.or_join", lang).join(items)


def why_empty(status: pd.DataFrame, filters: Filters, township_names: dict[str, str],
              lang: str) -> str | None:
    """Why ``filters`` keep no grid of ``status`` (``metrics.grid_status`` on the filters'
    day), naming the filters that exclude everything; None when they keep some.

    The level and township filters are checked first: when together they keep no township
    the sentence says so ("no township is under level 1 on ..."); otherwise it is the colour
    filter that excludes the rest ("no township under level 1 has orange grids on ...").
    """
    if select_grids(status, filters).any():
        return None
    day = filters.as_of.isoformat() if filters.as_of else ""
    levels = _either([t(f"level.{v}", lang) for v in filters.levels], lang)
    towns = t("nav.list_join", lang).join(township_names.get(c, c) for c in filters.townships)
    colours = _either([t(f"colour.{c}", lang) if lang == "zh" else t(f"colour.{c}", lang).lower()
                       for c in filters.colours], lang)
    places = select_grids(status, Filters(levels=filters.levels, townships=filters.townships,
                                          as_of=filters.as_of))
    if not places.any():
        if filters.townships and filters.levels:
            return t("nav.empty.towns_levels", lang, towns=towns, levels=levels, day=day)
        if filters.levels:
            return t("nav.empty.levels", lang, levels=levels, day=day)
        return t("nav.empty.no_grids", lang, towns=towns)
    if filters.townships and filters.levels:
        return t("nav.empty.towns_levels_colours", lang, towns=towns, levels=levels,
                 colours=colours, day=day)
    if filters.townships:
        return t("nav.empty.towns_colours", lang, towns=towns, colours=colours, day=day)
    if filters.levels:
        return t("nav.empty.levels_colours", lang, levels=levels, colours=colours, day=day)
    return t("nav.empty.colours", lang, colours=colours, day=day)
