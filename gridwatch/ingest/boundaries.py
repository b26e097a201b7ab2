"""Boundary import: raw layers in, a complete, checked region out, with a validation report.

The steps, in order:

1. **Coordinates.** Every coordinate must be finite. A declared CRS is used as it is; an
   undeclared one is inferred from the magnitudes (lon/lat degrees, or metres in one of the
   projections used in China: CGCS2000 Gauss-Kruger 3°/6° with or without zone prefix, UTM,
   Web Mercator), and the report says what was assumed. Features must fall inside the expected
   area (the active county buffered by 50 km; the neighbours, context around the county, need
   only reach into it); if they do not, the refusal says whether the axes look swapped or which
   CRS would have put them in place. Files in GCJ-02 (``datum="gcj02"``, ``--datum gcj02``)
   are then converted to WGS84 (``gridwatch.geo.datum``); files taken as WGS84 that lie on the
   county's outline only once read as GCJ-02 are warned about (``looks_gcj02``).
2. **Columns.** Each layer's columns are matched to the canonical ones (``code``, ``name_zh``,
   ``name_en``, ``township_code``, ``village_code``, ``population``, ``households``, ``kind``)
   through aliases, including Chinese names and the 10-character names a DBF truncates to.
3. **Repairs.** Invalid polygons are made valid; each repair is reported by feature code. The
   features of one code in a polygon layer (a village split into parts) are dissolved into one,
   with a note; in a point layer a repeated code is an error per row.
4. **Checks.** Unique codes; every village in exactly one township and every grid in exactly one
   village (by code *and* by geometry); overlaps between siblings and gaps in their parent above
   ``SLIVER_M2``; store records that refer to codes the new boundaries lack.

Errors block activation; warnings and notes do not. Messages are catalogue keys with parameters
(``boundary.<key>`` in ``gridwatch.i18n``), so the report can be shown in either language.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

from gridwatch.geo.crs import utm_crs
from gridwatch.geo.datum import (
    DATUMS,
    GCJ02,
    LIBRARY,
    WGS84,
    frame_gcj02_to_wgs84,
    gcj02_to_wgs84,
    gcj02_to_wgs84_xy,
)
from gridwatch.geo.layers import LAYERS, Region
from gridwatch.ingest.boundary_files import (
    BoundaryError,
    RawLayer,
    layer_for,
    read_boundary_files,
)
from gridwatch.ingest.errors import render
from gridwatch.names import english_name

REQUIRED_LAYERS = ("townships", "villages", "grids", "checkpoints")
"""Layers an import must supply; the others are derived or carried over."""

CARRIED_LAYERS = ("neighbours", "quarantine_sites")
"""Layers taken from the active region when the import does not supply them."""

CONTEXT_LAYERS = ("neighbours",)
"""Layers drawn around the county for context: they need only touch the expected area (a
neighbouring county reaches far beyond it), not lie within it."""

POLYGON_LAYERS = ("county", "neighbours", "townships", "villages", "grids")

EXPECTED_BUFFER_KM = 50.0
"""How far outside the active county an import's features may lie."""

SLIVER_M2 = 1000.0
"""Overlaps and gaps smaller than this (m²) are digitising noise, not problems."""

NEST_SHARE = 0.99
"""The share of a feature's area that must lie in its one parent."""

MAX_LISTED = 200
"""At most this many issues of one kind are kept; the rest are counted in one finding."""


@dataclass(frozen=True)
class Column:
    """A canonical column: whether it is required, its type and the names it may go by."""

    name: str
    required: bool
    kind: str  # code | text | int | float
    aliases: tuple[str, ...] = ()


_ALIASES = {
    "code": ("code", "id", "gid", "dm", "bm", "编码", "代码"),
    "name_zh": ("name_zh", "name", "name_cn", "zh_name", "mc", "名称", "中文名称"),
    "name_en": ("name_en", "en_name", "ename", "name_pinyin", "英文名称"),
    "township_code": ("township_code", "town_code", "xzdm", "乡镇代码", "乡镇编码"),
    "village_code": ("village_code", "cun_code", "cundm", "村代码", "村编码", "村社代码"),
    "population": ("population", "pop", "人口", "人口数"),
    "households": ("households", "hh", "户数"),
    "kind": ("kind", "type", "类型"),
    "province_zh": ("province_zh", "province", "省"),
    "province_en": ("province_en",),
    "capacity": ("capacity", "rooms", "房间数", "容量", "通行能力", "people_per_hour"),
}


def _col(name: str, required: bool, kind: str = "text") -> Column:
    return Column(name, required, kind, _ALIASES.get(name, (name,)))


COLUMNS: dict[str, tuple[Column, ...]] = {
    "county": (_col("code", False, "code"), _col("name_zh", False), _col("name_en", False)),
    "neighbours": (_col("code", True, "code"), _col("name_zh", True), _col("name_en", False),
                   _col("province_zh", False), _col("province_en", False)),
    "townships": (_col("code", True, "code"), _col("name_zh", True), _col("name_en", False),
                  _col("kind", False), _col("seat_lon", False, "float"),
                  _col("seat_lat", False, "float")),
    "villages": (_col("code", True, "code"), _col("name_zh", True), _col("name_en", False),
                 _col("township_code", True, "code")),
    "grids": (_col("code", True, "code"), _col("name_zh", True), _col("name_en", False),
              _col("village_code", True, "code"), _col("township_code", False, "code"),
              _col("population", False, "int"), _col("households", False, "int")),
    "checkpoints": (_col("code", True, "code"), _col("name_zh", True), _col("name_en", False),
                    _col("township_code", False, "code"), _col("kind", False),
                    _col("capacity", False, "int")),
    "quarantine_sites": (_col("code", True, "code"), _col("name_zh", True),
                         _col("name_en", False), _col("township_code", False, "code"),
                         _col("capacity", False, "int")),
}
"""The columns of every layer the importer understands."""


# --- the report ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Issue:
    """One finding: ``level`` is error, warning or info; ``key`` names the message."""

    level: str
    key: str
    params: dict = field(default_factory=dict)
    layer: str | None = None
    codes: tuple[str, ...] = ()

    def message(self, lang: str) -> str:
        """The finding in ``lang``; a message that names ``{layer}`` gets the issue's own layer
        unless its values give one (so does a report stored before they did)."""
        params = self.params if self.layer is None or "layer" in self.params \
            else {"layer": self.layer, **self.params}
        return render(f"boundary.{self.key}", params, lang)

    def to_dict(self) -> dict:
        return {**asdict(self), "codes": list(self.codes)}


@dataclass
class Report:
    """Everything found while importing: issues, feature counts and the CRS of each layer."""

    issues: list[Issue] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    _seen: dict = field(default_factory=dict, repr=False, compare=False)
    _more: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "warning"]

    @property
    def ok(self) -> bool:
        """True when nothing blocks activation."""
        return not self.errors

    def add(self, level: str, key: str, layer: str | None = None, codes=(), **params) -> None:
        """Record a finding about ``layer``; that layer is also the message's ``{layer}``
        (``Issue.message``), so ``params`` cannot, and need not, give it.

        At most ``MAX_LISTED`` findings of one kind (key and layer) are kept; the rest are
        counted in one ``more_of_kind`` finding right after them, whose count grows."""
        kind = (key, layer)
        same = self._seen.get(kind, 0) + 1
        self._seen[kind] = same
        if same <= MAX_LISTED:
            self.issues.append(Issue(level, key, params, layer, tuple(str(c) for c in codes)))
            return
        more = Issue(level, "more_of_kind", {"n": same - MAX_LISTED, "total": same}, layer)
        if kind in self._more:
            self.issues[self._more[kind]] = more
        else:
            self._more[kind] = len(self.issues)
            self.issues.append(more)

    def flagged_codes(self) -> set[str]:
        """Codes of features with an error or warning (drawn highlighted on the preview)."""
        return {c for i in self.issues if i.level != "info" for c in i.codes}

    def to_dict(self) -> dict:
        return {"ok": self.ok, "counts": self.counts,
                "issues": [i.to_dict() for i in self.issues]}

    @classmethod
    def from_dict(cls, data: dict) -> Report:
        issues = [Issue(i["level"], i["key"], i["params"], i.get("layer"), tuple(i["codes"]))
                  for i in data.get("issues", [])]
        return cls(issues, dict(data.get("counts", {})))


@dataclass
class BoundaryImport:
    """The result of an import: the complete region layers (EPSG:4326) and the report.

    ``layers`` is None when the report has errors that stopped the checks early (missing
    columns or layers).
    """

    layers: dict[str, gpd.GeoDataFrame] | None
    report: Report
    sources: list[str]
    sha256: str
    columns: list[dict] = field(default_factory=list)
    """Each layer read: which of its file's columns holds each field (``column_plan``), for
    the mapping step on ``/data``."""

    def preview(self, layer: str) -> dict | None:
        """One layer as GeoJSON for a preview map (5 decimals ≈ 1 m), with a ``flagged``
        property on the features the report names; None when the checks stopped early."""
        if self.layers is None:
            return None
        frame = self.layers[layer][["code", "name_zh", "name_en", "geometry"]].copy()
        frame["flagged"] = frame["code"].isin(self.report.flagged_codes())
        frame["geometry"] = shapely.transform(frame.geometry.to_numpy(),
                                              lambda xy: np.round(xy, 5))
        return json.loads(frame.to_json(drop_id=True, to_wgs84=False))


# --- coordinates --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExpectedArea:
    """Where an import's features may lie: the active county buffered by ``buffer_km``."""

    name_zh: str
    name_en: str
    county: shapely.Geometry
    area: shapely.Geometry
    buffer_km: float
    whole: bool = True
    """Whether every coordinate must lie in ``area`` (False: at least one, for context)."""

    new_region: bool = False
    """Whether this is the area of a new region's first layer: anywhere in ``PLAUSIBLE``."""

    @classmethod
    def from_region(cls, region: Region, buffer_km: float = EXPECTED_BUFFER_KM) -> ExpectedArea:
        """The expected area of an import that replaces ``region``'s boundaries."""
        row = region.county.iloc[0]
        return cls.around(shapely.union_all(region.county.geometry.to_numpy()),
                          str(row.get("name_zh", "")), str(row.get("name_en", "")), buffer_km)

    @classmethod
    def around(cls, county: shapely.Geometry, name_zh: str, name_en: str,
               buffer_km: float = EXPECTED_BUFFER_KM) -> ExpectedArea:
        """The county ``county`` (lon/lat) buffered by ``buffer_km``."""
        metric = utm_crs(county)
        buffered = gpd.GeoSeries([county], crs=4326).to_crs(metric).buffer(buffer_km * 1000)
        return cls(name_zh, name_en, county, buffered.to_crs(4326).iloc[0], buffer_km)

    @classmethod
    def anywhere(cls) -> ExpectedArea:
        """Where a new region's first layer may lie: anywhere in ``PLAUSIBLE``."""
        return cls("中国", "China", PLAUSIBLE, PLAUSIBLE, 0.0, new_region=True)

    def contains(self, x: np.ndarray, y: np.ndarray) -> bool:
        """Whether the coordinates lie in the area: all of them, or for context (``whole``
        False) at least one."""
        shapely.prepare(self.area)
        inside = shapely.contains_xy(self.area, x, y)
        return bool(len(x)) and bool(inside.all() if self.whole else inside.any())

    def for_layer(self, layer: str) -> ExpectedArea:
        """The area as it applies to ``layer``: context layers need only touch it."""
        return replace(self, whole=False) if layer in CONTEXT_LAYERS else self

    def distance_km(self, x: float, y: float) -> float:
        """Great-circle distance (km) from the county's centre to lon/lat ``x, y``."""
        c = self.county.centroid
        lon1, lat1, lon2, lat2 = map(math.radians, (c.x, c.y, x, y))
        h = (math.sin((lat2 - lat1) / 2) ** 2
             + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
        return 6371.0 * 2 * math.asin(min(1.0, math.sqrt(h)))

    def gaps_km(self, lon: np.ndarray, lat: np.ndarray) -> tuple[float, float]:
        """Edge to edge: how far (km) the nearest and the farthest of the lon/lat points lie
        outside the county's outline (0 for a point inside it), measured in an azimuthal
        equidistant projection centred on the county (true to a few per cent at 1,000 km)."""
        c = self.county.centroid
        local = CRS.from_proj4(f"+proj=aeqd +lat_0={c.y} +lon_0={c.x} +datum=WGS84 +units=m")
        to_local = Transformer.from_crs(4326, local, always_xy=True)
        county = shapely.transform(self.county, lambda xy: np.column_stack(
            to_local.transform(xy[:, 0], xy[:, 1])))
        x, y = to_local.transform(np.asarray(lon, float), np.asarray(lat, float))
        points = shapely.points(np.column_stack([x, y]))
        ok = ~shapely.is_missing(points) & np.isfinite(x) & np.isfinite(y)
        if not ok.any():
            return math.nan, math.nan
        shapely.prepare(county)
        far = shapely.distance(county, points[ok]) / 1000
        return float(far.min()), float(far.max())


PLAUSIBLE = shapely.box(73.0, 3.0, 135.5, 54.0)
"""Where a county's coordinates plausibly lie (China and its seas, in lon/lat): coordinates
outside it suggest a wrong CRS rather than a county elsewhere."""


def plausible(lon: np.ndarray, lat: np.ndarray) -> bool:
    """Whether lon/lat points all lie where a county plausibly is (``PLAUSIBLE``)."""
    minx, miny, maxx, maxy = PLAUSIBLE.bounds
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    return bool(len(lon)) and bool(((lon >= minx) & (lon <= maxx) & (lat >= miny)
                                    & (lat <= maxy)).all())




def _is_lonlat(x: np.ndarray, y: np.ndarray) -> bool:
    return bool((np.abs(x) <= 180).all() and (np.abs(y) <= 90).all())


def projected_candidates(x: np.ndarray) -> list[int]:
    """EPSG codes whose eastings could produce ``x`` (metres): Gauss-Kruger with a zone prefix
    when the prefix is there, else UTM north zones and Gauss-Kruger central-meridian systems
    for China (73°–135°E); Web Mercator always."""
    out = []
    zones = set((x // 1_000_000).astype(int).tolist())
    if len(zones) == 1:
        zone = zones.pop()
        if 13 <= zone <= 23:
            out.append(4491 + zone - 13)  # CGCS2000 / Gauss-Kruger zone 13..23 (6°)
        elif 25 <= zone <= 45:
            out.append(4513 + zone - 25)  # CGCS2000 / 3-degree Gauss-Kruger zone 25..45
    if (np.abs(x - 500_000) < 500_000).all():
        out += [4534 + i for i in range(21)]  # 3-degree Gauss-Kruger CM 75E..135E
        out += [4502 + i for i in range(11)]  # Gauss-Kruger CM 75E..135E (6°)
        out += [32643 + i for i in range(11)]  # UTM 43N..53N
    out.append(3857)
    return out


def _sample(xy: np.ndarray, n: int = 2000) -> np.ndarray:
    step = max(1, len(xy) // n)
    return xy[::step]


@lru_cache(maxsize=64)
def _transformer(crs) -> Transformer:
    return Transformer.from_crs(crs, 4326, always_xy=True)


def _to_lonlat(epsg_or_crs, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    transformer = _transformer(epsg_or_crs)
    with np.errstate(all="ignore"):
        lon, lat = transformer.transform(xy[:, 0], xy[:, 1])
    return np.asarray(lon), np.asarray(lat)


def _fits(epsg: int, xy: np.ndarray,
          expected: ExpectedArea) -> tuple[np.ndarray, np.ndarray] | None:
    lon, lat = _to_lonlat(epsg, xy)
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        return None
    return (lon, lat) if expected.contains(lon, lat) else None


def _crs_label(crs) -> str:
    crs = CRS.from_user_input(crs)
    epsg = crs.to_epsg()
    return f"{crs.name} (EPSG:{epsg})" if epsg else crs.name


def _where(expected: ExpectedArea, lon: np.ndarray, lat: np.ndarray) -> dict:
    """Where the points are: their mean lon/lat and, edge to edge, how far the nearest and
    the farthest lie outside the county (``ExpectedArea.gaps_km``)."""
    x, y = float(np.nanmean(lon)), float(np.nanmean(lat))
    if not (math.isfinite(x) and math.isfinite(y)):
        return {"lon": "?", "lat": "?", "km": "?", "far": "?"}
    near, far = expected.gaps_km(lon, lat)
    if not math.isfinite(near):
        return {"lon": f"{x:.3f}", "lat": f"{y:.3f}", "km": "?", "far": "?"}
    return {"lon": f"{x:.3f}", "lat": f"{y:.3f}", "km": f"{near:,.0f}", "far": f"{far:,.0f}"}


def _outside(raw: RawLayer, xy: np.ndarray, expected: ExpectedArea,
             declared: CRS | None) -> BoundaryError:
    """The refusal for features outside the expected area, with the most likely cause."""
    sample = _sample(xy)
    common = {"layer": raw.name, "file": raw.source, "county_en": expected.name_en,
              "county_zh": expected.name_zh, "buffer": f"{expected.buffer_km:.0f}"}
    swapped = sample[:, ::-1]
    if _is_lonlat(swapped[:, 0], swapped[:, 1]) and expected.contains(swapped[:, 0],
                                                                       swapped[:, 1]):
        return BoundaryError("outside_swapped", **common)
    lonlat = None
    if _is_lonlat(sample[:, 0], sample[:, 1]):
        if declared is not None and not declared.is_geographic \
                and expected.contains(sample[:, 0], sample[:, 1]):
            return BoundaryError("outside_wrong_crs", crs=_crs_label(declared),
                                 fit=_crs_label(4326), **common)
        lonlat = (sample[:, 0], sample[:, 1]) if declared is None or declared.is_geographic \
            else _to_lonlat(declared, sample)
    else:
        fit = next((e for e in projected_candidates(sample[:, 0])
                    if _fits(e, sample, expected) is not None), None)
        if fit is not None and (declared is None or declared.to_epsg() != fit):
            return BoundaryError("outside_wrong_crs", fit=_crs_label(fit), crs=_crs_label(
                declared) if declared is not None else "", **common)
        if declared is not None:
            lonlat = _to_lonlat(declared, sample)
    crs = _crs_label(declared) if declared is not None else ""
    if lonlat is None:
        return BoundaryError("outside_area", crs=crs, lon="?", lat="?", km="?", far="?",
                             **common)
    where = _where(expected, *lonlat)
    # Coordinates that land where a county plausibly is are a county elsewhere, not a
    # wrong CRS: the refusal says so and names --new-region.
    key = "outside_far" if plausible(*lonlat) and where["km"] != "?" else "outside_area"
    return BoundaryError(key, crs=crs, **where, **common)


def to_wgs84(raw: RawLayer, expected: ExpectedArea, report: Report) -> gpd.GeoDataFrame:
    """``raw``'s features in EPSG:4326, after deciding and checking their CRS.

    Raises
    ------
    BoundaryError
        For non-finite coordinates, coordinates out of range for their CRS, or features
        outside the expected area.
    """
    expected = expected.for_layer(raw.name)
    gdf = raw.frame
    geoms = gdf.geometry.to_numpy()
    xy = shapely.get_coordinates(geoms)
    if not np.isfinite(xy).all():
        bad = ~np.isfinite(shapely.get_coordinates(geoms, return_index=True)[0]).all(axis=1)
        idx = shapely.get_coordinates(geoms, return_index=True)[1][bad]
        code = _first_code(gdf, int(idx[0])) if len(idx) else "?"
        raise BoundaryError("non_finite", layer=raw.name, file=raw.source, code=code)
    if len(xy) == 0:
        raise BoundaryError("no_coordinates", layer=raw.name, file=raw.source)
    declared = CRS.from_user_input(gdf.crs) if raw.crs_declared and gdf.crs is not None else None
    if declared is not None:
        if declared.is_geographic and not _is_lonlat(xy[:, 0], xy[:, 1]):
            swapped = _sample(xy)[:, ::-1]
            if _is_lonlat(swapped[:, 0], swapped[:, 1]) and expected.contains(swapped[:, 0],
                                                                               swapped[:, 1]):
                raise _outside(raw, xy, expected, declared)
            raise BoundaryError("geographic_out_of_range", layer=raw.name, file=raw.source,
                                crs=_crs_label(declared))
        lon, lat = _to_lonlat(declared, xy)
        if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
            raise BoundaryError("projection_failed", layer=raw.name, file=raw.source,
                                crs=_crs_label(declared))
        if not expected.contains(lon, lat):
            raise _outside(raw, xy, expected, declared)
        report.add("info", "crs_declared", raw.name, crs=_crs_label(declared), file=raw.source)
        return gdf.to_crs(4326)
    if _is_lonlat(xy[:, 0], xy[:, 1]):
        if not expected.contains(xy[:, 0], xy[:, 1]):
            raise _outside(raw, xy, expected, None)
        report.add("warning", "crs_assumed_lonlat", raw.name, file=raw.source)
        return gdf.set_crs(4326, allow_override=True)
    if np.abs(xy).max() < 1000:  # beyond ±180/±90 yet far too small for projected metres
        x, y = xy[~((np.abs(xy[:, 0]) <= 180) & (np.abs(xy[:, 1]) <= 90))][0]
        raise BoundaryError("lonlat_out_of_range", layer=raw.name, file=raw.source,
                            x=f"{x:g}", y=f"{y:g}")
    sample = _sample(xy)
    fits = []
    for epsg in projected_candidates(sample[:, 0]):
        lonlat = _fits(epsg, sample, expected)
        if lonlat is not None:
            fits.append((epsg, _overlap_score(lonlat, expected)))
    if not fits:
        raise _outside(raw, xy, expected, None)
    best = max(fits, key=lambda f: f[1])[0]
    others = [e for e, _ in fits if e != best and not _same_result(e, best, sample)]
    if expected.new_region and others:  # no county to match against: it cannot be told
        raise BoundaryError("crs_ambiguous", layer=raw.name, file=raw.source,
                            crs=_crs_label(best),
                            others=", ".join(f"EPSG:{e}" for e in others[:6]))
    gdf = gdf.set_crs(best, allow_override=True).to_crs(4326)
    lon, lat = _to_lonlat(best, xy)
    if not expected.contains(lon, lat):
        raise _outside(raw, xy, expected, None)
    report.add("warning", "crs_assumed_projected", raw.name, crs=_crs_label(best),
               file=raw.source, others=", ".join(f"EPSG:{e}" for e in others[:4]) or "—")
    return gdf


def in_datum(raw: RawLayer, expected: ExpectedArea, report: Report,
             datum: str = WGS84) -> gpd.GeoDataFrame:
    """``raw``'s features in EPSG:4326 WGS84 (``to_wgs84``), converted from GCJ-02 when the
    files are in that datum, with a note that says so and by how much they moved."""
    wgs = to_wgs84(raw, expected, report)
    if datum != GCJ02:
        return wgs
    out = frame_gcj02_to_wgs84(wgs)
    before = _sample(shapely.get_coordinates(wgs.geometry.to_numpy()), 500)
    after = shapely.get_coordinates(gcj02_to_wgs84(shapely.points(before)))
    shift = float(np.median(_metres_apart(before, after))) if len(before) else 0.0
    report.add("info", "datum_converted", raw.name, file=raw.source, library=LIBRARY,
               shift=f"{shift:,.0f}")
    return out


def seats_from_gcj02(towns: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy of the townships (canonical columns) whose seats, lon/lat columns of a GCJ-02
    file like its geometry, are converted to WGS84; seats not given stay empty."""
    lon, lat = towns["seat_lon"].to_numpy(float), towns["seat_lat"].to_numpy(float)
    given = np.isfinite(lon) & np.isfinite(lat)
    out = towns.copy()
    if given.any():
        xy = gcj02_to_wgs84_xy(np.column_stack([lon[given], lat[given]]))
        lon, lat = lon.copy(), lat.copy()
        lon[given], lat[given] = xy[:, 0], xy[:, 1]
        out["seat_lon"], out["seat_lat"] = lon, lat
    return out


def _metres_apart(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle distance (m) between lon/lat rows of ``a`` and ``b``."""
    lon1, lat1, lon2, lat2 = (np.radians(v) for v in (a[:, 0], a[:, 1], b[:, 0], b[:, 1]))
    h = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 6371000.0 * 2 * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


GCJ_NEAR_M = 2000.0
"""Only a layer's vertices this close to the reference outline are compared with it (GCJ-02
moves a point by well under a kilometre)."""

GCJ_MATCH_M = 50.0
"""A vertex this close to the reference outline lies on it."""

GCJ_MIN_MATCHES = 20
"""At least this many vertices must lie on the outline once read as GCJ-02."""

GCJ_SAMPLE = 5000
"""At most this many of a layer's vertices are compared."""


def looks_gcj02(raw: RawLayer, wgs: gpd.GeoDataFrame, outline: shapely.Geometry,
                metric: CRS, report: Report) -> bool:
    """Warn (``looks_gcj02``) when a layer taken as WGS84 lies on ``outline`` (the county of
    the region in force, or a new region's own outline) much better once read as GCJ-02: its
    vertices near the outline are counted on it (within ``GCJ_MATCH_M``) as given and as
    converted from GCJ-02. Point layers are not compared. True when it warned."""
    if raw.name not in POLYGON_LAYERS or outline is None or shapely.is_empty(outline):
        return False
    xy = np.unique(shapely.get_coordinates(wgs.geometry.to_numpy()), axis=0)
    if len(xy) > GCJ_SAMPLE:
        xy = xy[np.linspace(0, len(xy) - 1, GCJ_SAMPLE).astype(int)]
    to_metric = Transformer.from_crs(4326, metric, always_xy=True)
    edge = shapely.transform(shapely.boundary(shapely.make_valid(outline)), lambda c: (
        np.column_stack(to_metric.transform(c[:, 0], c[:, 1]))))
    shapely.prepare(edge)

    def gaps(lonlat: np.ndarray) -> np.ndarray:
        x, y = to_metric.transform(lonlat[:, 0], lonlat[:, 1])
        return shapely.distance(edge, shapely.points(np.column_stack([x, y])))

    given = gaps(xy)
    near = np.isfinite(given) & (given <= GCJ_NEAR_M)
    if near.sum() < GCJ_MIN_MATCHES:
        return False
    moved = shapely.get_coordinates(gcj02_to_wgs84(shapely.points(xy[near])))
    as_given = int((given[near] <= GCJ_MATCH_M).sum())
    as_gcj = int((gaps(moved) <= GCJ_MATCH_M).sum())
    if as_gcj < GCJ_MIN_MATCHES or as_gcj < 3 * max(as_given, 1):
        return False
    shift = float(np.median(_metres_apart(xy[near], moved)))
    report.add("warning", "looks_gcj02", raw.name, file=raw.source, matched=f"{as_gcj:,}",
               given=f"{as_given:,}", near=f"{int(near.sum()):,}", shift=f"{shift:,.0f}")
    return True


def _overlap_score(lonlat: tuple[np.ndarray, np.ndarray], expected: ExpectedArea) -> float:
    """How well a candidate's extent matches the active county's (intersection over union)."""
    box = shapely.box(lonlat[0].min(), lonlat[1].min(), lonlat[0].max(), lonlat[1].max())
    county = shapely.envelope(expected.county)
    union = shapely.union(box, county).area
    return shapely.intersection(box, county).area / union if union else 0.0


def _same_result(a: int, b: int, xy: np.ndarray) -> bool:
    la, pa = _to_lonlat(a, xy)
    lb, pb = _to_lonlat(b, xy)
    return bool(np.allclose(la, lb, atol=1e-6) and np.allclose(pa, pb, atol=1e-6))


def _first_code(gdf: gpd.GeoDataFrame, index: int) -> str:
    for name in ("code", "CODE", "id"):
        if name in gdf.columns:
            return str(gdf.iloc[index][name])
    return f"#{index + 1}"


# --- columns ------------------------------------------------------------------------------------

ColumnMap = dict[str | None, dict[str, str]]
"""A column mapping: layer (None: every layer) → canonical field → the file's column."""


def parse_mapping(specs: list[str] | tuple[str, ...] | None) -> ColumnMap:
    """``--map`` values (``FIELD=COLUMN`` or ``LAYER.FIELD=COLUMN``) as a column mapping.

    ``code=ADCODE`` applies to every layer that has a ``code`` field and a column ``ADCODE``;
    ``grids.code=WGBM`` to the grids alone (and wins over the first there). A layer may be
    named by any of its names (``grids``, ``网格``...).

    Raises
    ------
    BoundaryError
        For a value that is not of that form, an unknown layer, a field that is not one of the
        layer's (or any layer's) canonical columns, or a field mapped twice differently.
    """
    mapping: ColumnMap = {}
    every = sorted({c.name for columns in COLUMNS.values() for c in columns})
    for spec in specs or ():
        target, sep, column = spec.partition("=")
        target, column = target.strip(), column.strip()
        if not sep or not target or not column:
            raise BoundaryError("map_bad", spec=spec)
        prefix, dot, name = target.rpartition(".")
        layer = None
        if dot:
            layer = layer_for(prefix)
            if layer is None or layer not in COLUMNS:
                raise BoundaryError("map_unknown_layer", spec=spec, name=prefix,
                                    layers=", ".join(COLUMNS))
            fields = [c.name for c in COLUMNS[layer]]
            if name not in fields:
                raise BoundaryError("map_unknown_layer_field", spec=spec, field=name,
                                    layer_name=layer, fields=", ".join(fields))
        elif name not in every:
            raise BoundaryError("map_unknown_field", spec=spec, field=name,
                                fields=", ".join(every))
        given = mapping.setdefault(layer, {})
        if given.get(name, column) != column:
            raise BoundaryError("map_twice", field=target, first=given[name], second=column)
        given[name] = column
    return mapping


def _find_column(gdf: gpd.GeoDataFrame, name: str) -> str | None:
    """The file's column called ``name``: exactly, else ignoring case and spaces around."""
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    if name in columns:
        return name
    key = name.strip().lower()
    return next((c for c in columns if str(c).strip().lower() == key), None)


def _match_columns(layer: str, gdf: gpd.GeoDataFrame,
                   mapped: dict[str, str] | None = None) -> dict[str, str | None]:
    """Canonical field → the file's column: ``mapped`` first (fields → columns found), then
    aliases among the columns no field was mapped to."""
    mapped = mapped or {}
    taken = set(mapped.values())
    present = {str(c).strip().lower(): c for c in gdf.columns
               if c != gdf.geometry.name and c not in taken}
    found: dict[str, str | None] = {}
    for column in COLUMNS[layer]:
        if column.name in mapped:
            found[column.name] = mapped[column.name]
            continue
        names = list(column.aliases) + [a[:10] for a in column.aliases]
        found[column.name] = next((present[n] for n in names if n in present), None)
    return found


def _mapped_columns(layer: str, gdf: gpd.GeoDataFrame, mapping: ColumnMap, report: Report,
                    source: str) -> dict[str, str] | None:
    """The fields ``mapping`` gives this layer, resolved to its columns; None (with an error
    naming the column) when a column mapped for this layer by name is not in the file. A
    mapping for every layer applies where the column is there."""
    fields = {c.name for c in COLUMNS[layer]}
    out: dict[str, str] = {}
    ok = True
    present = ", ".join(str(c) for c in gdf.columns if c != gdf.geometry.name) or "—"
    for scope in (None, layer):
        for name, column in mapping.get(scope, {}).items():
            if name not in fields:
                continue
            found = _find_column(gdf, column)
            if found is not None:
                out[name] = found
            elif scope is not None:
                report.add("error", "mapped_column_missing", layer, file=source, field=name,
                           column=column, present=present)
                ok = False
    return out if ok else None


def _code(value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    text = str(value).strip()
    return "" if text.lower() in ("nan", "none", "<na>") else text


FROM_GEOMETRY = {("grids", "village_code"): "villages"}
"""Required columns that, when a file lacks them, are found from the geometry instead: a
grid's village is the village it overlaps most."""


def normalise_columns(layer: str, gdf: gpd.GeoDataFrame, report: Report,
                      source: str, mapping: ColumnMap | None = None,
                      lacking: dict[tuple[str, str], str] | None = None,
                      ) -> gpd.GeoDataFrame | None:
    """The layer with its canonical columns, or None when a required column is missing.

    Columns are found through ``mapping`` (``parse_mapping``) first, then by their aliases.
    Missing required columns, mapped columns the file lacks, empty codes and bad numbers are
    reported as errors; optional columns that are absent get a default (names in English fall
    back to Chinese, population and households to 0, with a warning). A required column of
    ``FROM_GEOMETRY`` that is absent is left empty and recorded in ``lacking`` ((layer, column)
    → file), to be found from the geometry (``_complete``).
    """
    mapped = _mapped_columns(layer, gdf, mapping or {}, report, source)
    if mapped is None:
        return None
    if mapped:
        report.add("info", "columns_mapped", layer, file=source,
                   pairs=", ".join(f"{k} ← {v}" for k, v in mapped.items()))
    found = _match_columns(layer, gdf, mapped)
    present = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    missing = [c for c in COLUMNS[layer] if c.required and found[c.name] is None
               and (layer, c.name) not in FROM_GEOMETRY]
    for column in missing:
        report.add("error", "missing_column", layer, column=column.name, file=source,
                   aliases=", ".join(column.aliases[:6]), present=", ".join(present) or "—")
    if missing:
        return None
    out = {}
    for column in COLUMNS[layer]:
        src = found[column.name]
        if src is None and (layer, column.name) in FROM_GEOMETRY and lacking is not None:
            lacking[(layer, column.name)] = source
        if src is None:
            if column.kind == "float":
                out[column.name] = [math.nan] * len(gdf)
            elif column.kind == "int":
                out[column.name] = [0] * len(gdf)
                if layer == "grids":
                    report.add("warning", "column_defaulted", layer, column=column.name, value=0)
                elif layer == "checkpoints":
                    report.add("info", "checkpoint_capacity_missing", layer)
            else:
                out[column.name] = [""] * len(gdf)
            continue
        values = gdf[src].tolist()
        if column.kind == "code":
            out[column.name] = [_code(v) for v in values]
        elif column.kind == "int":
            out[column.name] = _integers(layer, column.name, values, gdf, found, report)
        elif column.kind == "float":
            out[column.name] = [_float(v) for v in values]
        else:
            out[column.name] = ["" if v is None or (isinstance(v, float) and math.isnan(v))
                                else str(v).strip() for v in values]
    _english_names(layer, out, report, source)
    frame = gpd.GeoDataFrame(out, geometry=gdf.geometry.to_numpy(), crs=gdf.crs)
    frame[ROW] = np.arange(1, len(frame) + 1)
    column = str(found["code"] or "code")
    for i in np.flatnonzero((frame["code"] == "").to_numpy()):
        report.add("error", "code_empty", layer, file=source, row=int(i) + 1, column=column)
    return frame


ENGLISH_OF = {"name_en": "name_zh", "province_en": "province_zh"}
"""English fields, and the Chinese field an English name is made from when a file lacks it."""


def _english_names(layer: str, out: dict[str, list], report: Report, source: str) -> None:
    """Fill the English names a file lacks (no column, or empty cells) from the Chinese ones,
    in pinyin with the kind of place in English (``gridwatch.names.english_name``: 马金镇 →
    Majin Town), so that the English UI never shows a Chinese name; one note per field."""
    for en, zh in ENGLISH_OF.items():
        if en not in out or zh not in out:
            continue
        values, made = list(out[en]), []
        for i, (given, chinese) in enumerate(zip(values, out[zh], strict=True)):
            if not given and chinese:
                values[i] = english_name(chinese)
                made.append(i)
        out[en] = values
        if made:
            first = made[0]
            report.add("info", "names_pinyin", layer, file=source, n=len(made), field=en,
                       example=f"{out[zh][first]} → {values[first]}")


ROW = "_row"
"""A working column: each feature's row in its file (from 1), for findings; dropped by
``one_per_code``."""


def one_per_code(layer: str, frame: gpd.GeoDataFrame, report: Report,
                 source: str) -> gpd.GeoDataFrame:
    """One feature per code.

    Point layers (checkpoints, quarantine sites): every row that repeats an earlier row's code
    is an error naming both rows. Polygon layers: the features of one code (a village split
    over several parts) are dissolved into one, with a note; their text fields must agree
    (empty ones aside), else each disagreeing row is an error; whole numbers that differ
    (population, households) are summed, numbers that agree kept. ``frame`` is in EPSG:4326.
    """
    codes = frame["code"]
    repeated = codes.duplicated(keep=False).to_numpy() & (codes != "").to_numpy()
    if not repeated.any():
        return frame.drop(columns=ROW)
    if layer not in POLYGON_LAYERS:
        first: dict[str, int] = {}
        for code, row in zip(codes, frame[ROW], strict=True):
            if code in first:
                report.add("error", "code_repeated", layer, codes=[code], file=source,
                           row=int(row), code=code, first=first[code])
            elif code:
                first[code] = int(row)
        return frame.drop(columns=ROW)
    kinds = {c.name: c.kind for c in COLUMNS[layer]}
    keep = np.ones(len(frame), dtype=bool)
    geoms = frame.geometry.to_numpy().copy()
    values = {name: frame[name].to_numpy().copy() for name in kinds if name != "code"}
    for code, where in frame.groupby("code", sort=False).indices.items():
        if len(where) < 2 or not code:
            continue
        head, rest = where[0], where[1:]
        rows = frame[ROW].to_numpy()[where]
        summed = []
        for name, kind in kinds.items():
            if name == "code":
                continue
            column = values[name][where]
            if kind == "int":
                if len(set(column.tolist())) > 1:
                    values[name][head] = int(sum(column))
                    summed.append(name)
            elif kind == "float":
                finite = [v for v in column if math.isfinite(v)]
                values[name][head] = finite[0] if finite else math.nan
            else:
                given = [(r, v) for r, v in zip(rows, column, strict=True) if v != ""]
                for r, v in given[1:]:
                    if v != given[0][1]:
                        report.add("error", "code_parts_differ", layer, codes=[code],
                                   file=source, row=int(r), code=code, field=name, value=v,
                                   first=int(given[0][0]), other=given[0][1])
                if given:
                    values[name][head] = given[0][1]
        geoms[head] = shapely.union_all(geoms[where])
        keep[rest] = False
        listed = ", ".join(str(r) for r in rows)
        if summed:
            report.add("info", "code_dissolved_summed", layer, codes=[code], file=source,
                       code=code, n=len(where), rows=listed, summed=", ".join(summed))
        else:
            report.add("info", "code_dissolved", layer, codes=[code], file=source, code=code,
                       n=len(where), rows=listed)
    out = frame.copy()
    for name, column in values.items():
        out[name] = column
    out["geometry"] = geoms
    return out[keep].drop(columns=ROW).reset_index(drop=True)


def _float(value) -> float:
    """A number, or NaN for an empty or unreadable value (then derived, not refused)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) else math.nan


def _integers(layer, column, values, gdf, found, report) -> list[int]:
    out = []
    code_col = found.get("code")
    for i, v in enumerate(values):
        try:
            number = float(v) if v is not None and v != "" else 0.0
        except (TypeError, ValueError):
            number = float("nan")
        if not math.isfinite(number) or number < 0 or not number.is_integer():
            code = _code(gdf.iloc[i][code_col]) if code_col else f"#{i + 1}"
            report.add("error", "bad_number", layer, codes=[code], code=code, column=column,
                       value=str(v)[:20])
            out.append(0)
        else:
            out.append(int(number))
    return out


# --- geometry -----------------------------------------------------------------------------------

def repair(layer: str, gdf: gpd.GeoDataFrame, report: Report, metric: CRS) -> gpd.GeoDataFrame:
    """Make invalid polygons valid (reporting each) and check every layer's geometry type."""
    geoms = gdf.geometry.to_numpy().copy()
    polygonal = layer in POLYGON_LAYERS
    keep = np.ones(len(geoms), dtype=bool)
    for i, geom in enumerate(geoms):
        code = gdf["code"].iloc[i]
        if geom is None or geom.is_empty:
            report.add("error", "empty_geometry", layer, codes=[code], code=code)
            keep[i] = False
            continue
        kind = geom.geom_type
        if not polygonal:
            if kind == "MultiPoint" and len(geom.geoms) == 1:
                geoms[i] = geom.geoms[0]
            elif kind != "Point":
                report.add("error", "wrong_geometry", layer, codes=[code], code=code, kind=kind,
                           expected="Point")
                keep[i] = False
            continue
        if kind not in ("Polygon", "MultiPolygon"):
            report.add("error", "wrong_geometry", layer, codes=[code], code=code, kind=kind,
                       expected="Polygon")
            keep[i] = False
            continue
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            fixed = shapely.make_valid(geom, method="structure", keep_collapsed=False)
            parts = [p for p in shapely.get_parts(fixed)
                     if p.geom_type in ("Polygon", "MultiPolygon") and not p.is_empty]
            fixed = shapely.union_all(parts) if parts else None
            if fixed is None or fixed.is_empty:
                report.add("error", "unrepairable", layer, codes=[code], code=code,
                           reason=reason)
                keep[i] = False
                continue
            before, after = gpd.GeoSeries([geom, fixed], crs=4326).to_crs(metric).area
            report.add("warning", "repaired", layer, codes=[code], code=code, reason=reason,
                       change=abs(after - before))
            geoms[i] = fixed
    out = gdf.copy()
    out["geometry"] = geoms
    return out[keep].reset_index(drop=True)


def _areas(geoms: np.ndarray) -> np.ndarray:
    return shapely.area(geoms)


def check_nesting(children: gpd.GeoDataFrame, parents: gpd.GeoDataFrame, key: str,
                  child_layer: str, parent_layer: str, report: Report) -> None:
    """Every child in exactly one parent, and in the one its ``key`` column names.

    Both frames are in a metric CRS.
    """
    parent_codes = parents["code"].to_numpy()
    known = set(parent_codes.tolist())
    cg = children.geometry.to_numpy()
    pg = parents.geometry.to_numpy()
    ci, pi = shapely.STRtree(pg).query(cg, predicate="intersects")
    inter = _areas(shapely.intersection(cg[ci], pg[pi]))
    child_area = _areas(cg)
    best: dict[int, tuple[float, int]] = {}
    shares: dict[int, list[tuple[str, float]]] = {}
    for c, p, a in zip(ci.tolist(), pi.tolist(), inter.tolist(), strict=True):
        if a <= 0:
            continue
        shares.setdefault(c, []).append((parent_codes[p], a))
        if c not in best or a > best[c][0]:
            best[c] = (a, p)
    for c, row in enumerate(children.itertuples()):
        said = getattr(row, key)
        if not said and c not in best:
            report.add("error", "outside_parents", child_layer, codes=[row.code], code=row.code,
                       parent_layer=parent_layer)
            continue
        if said not in known:
            report.add("error", "unknown_parent", child_layer, codes=[row.code], code=row.code,
                       parent_layer=parent_layer, parent=said or "—")
            continue
        if c not in best:
            report.add("error", "outside_parents", child_layer, codes=[row.code], code=row.code,
                       parent_layer=parent_layer)
            continue
        area, p = best[c]
        outside = child_area[c] - area
        if outside > max(SLIVER_M2, (1 - NEST_SHARE) * child_area[c]):
            parts = sorted(shares[c], key=lambda s: -s[1])
            listed = ", ".join(f"{code} {a / child_area[c]:.0%}" for code, a in parts[:4])
            report.add("error", "straddles", child_layer, codes=[row.code], code=row.code,
                       parent_layer=parent_layer, parts=listed,
                       outside=outside / 1e6)
        elif parent_codes[p] != said:
            report.add("error", "wrong_parent", child_layer, codes=[row.code], code=row.code,
                       parent_layer=parent_layer, said=said, found=parent_codes[p])


def check_overlaps(frame: gpd.GeoDataFrame, layer: str, report: Report) -> None:
    """Report pairs of features of one layer (metric CRS) overlapping by more than a sliver."""
    geoms = frame.geometry.to_numpy()
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    if not len(a):
        return
    areas = _areas(shapely.intersection(geoms[a], geoms[b]))
    codes = frame["code"].to_numpy()
    for i, j, area in zip(a.tolist(), b.tolist(), areas.tolist(), strict=True):
        if area > SLIVER_M2:
            report.add("error", "overlap", layer, codes=[codes[i], codes[j]], a=codes[i],
                       b=codes[j], area=area)


def check_gaps(children: gpd.GeoDataFrame, parents: gpd.GeoDataFrame, key: str | None,
               child_layer: str, parent_layer: str, report: Report, metric: CRS) -> None:
    """Report parts of each parent (metric CRS) that no child covers, above a sliver."""
    for prow in parents.itertuples():
        kids = children if key is None else children[children[key] == prow.code]
        covered = shapely.union_all(kids.geometry.to_numpy()) if len(kids) else None
        gap = prow.geometry if covered is None else shapely.difference(prow.geometry, covered)
        for part in shapely.get_parts(gap):
            if part.geom_type == "Polygon" and part.area > SLIVER_M2:
                at = gpd.GeoSeries([part.representative_point()], crs=metric).to_crs(4326)[0]
                report.add("warning", "gap", child_layer, codes=[prow.code], parent=prow.code,
                           parent_layer=parent_layer, area=part.area,
                           lon=f"{at.x:.4f}", lat=f"{at.y:.4f}")


def _holes_as_parent(county: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A county dissolved from its townships: its holes are the townships' gaps."""
    geom = county.geometry.iloc[0]
    shells = shapely.union_all([shapely.Polygon(p.exterior) for p in shapely.get_parts(geom)])
    return gpd.GeoDataFrame({"code": county["code"]}, geometry=[shells], crs=county.crs)


# --- the whole import ---------------------------------------------------------------------------

def import_boundaries(files: list[tuple[str, bytes]], active: Region,
                      store_codes: dict[str, set[str]] | None = None,
                      layer_names: dict[str, str] | None = None,
                      mapping: ColumnMap | None = None, new_region: bool = False,
                      names: dict[str, str] | None = None, datum: str = WGS84,
                      ) -> BoundaryImport:
    """Read, reproject, repair and check boundary files against the active region, or (with
    ``new_region``) as a region of their own, anywhere.

    Parameters
    ----------
    files : list of (str, bytes)
        The uploaded files (see ``read_boundary_files``).
    active : Region
        The region in use: it sets the expected area and supplies the county's name and the
        layers the import does not (neighbours, quarantine sites).
    store_codes : dict of str to set of str, optional
        Grid, checkpoint and township codes the store's records refer to (keys ``grids``,
        ``checkpoints``, ``townships``); codes missing from the new boundaries are warned about.
    layer_names : dict of str to str, optional
        File name → layer, for files whose name does not say their layer.
    mapping : ColumnMap, optional
        Which of the files' columns hold which field (``parse_mapping``), before aliases.
    new_region : bool, default False
        A region of its own (``--new-region``): no nearness to ``active`` is asked; the
        county outline (or the townships) places it, and the other layers must lie within
        ``EXPECTED_BUFFER_KM`` of it. Nothing is taken from ``active``: neighbours and
        quarantine sites not given are left empty, and the county's name must come from the
        county layer or ``names``.
    names : dict, optional
        ``name_zh`` and/or ``name_en`` of the county (``--name-zh``, ``--name-en``): they win
        over the county layer's.
    datum : {"wgs84", "gcj02"}, default "wgs84"
        The files' datum (``--datum``). ``"wgs84"`` (WGS84 or CGCS2000, which differ by
        centimetres) is taken as it is; with it, layers that match the region in force (or,
        for a new region, its county outline) much better once read as GCJ-02 are warned about
        (``looks_gcj02``). ``"gcj02"``: every layer is converted from GCJ-02 to WGS84 after
        reprojection to lon/lat (``gridwatch.geo.datum``), with a note per layer.

    Returns
    -------
    BoundaryImport
        The complete layers (when the checks could run) and the report.

    Raises
    ------
    BoundaryError
        For hostile or unreadable files and coordinates that cannot be placed: the import is
        refused as a whole.
    """
    names = {k: v.strip() for k, v in (names or {}).items() if v and v.strip()}
    if datum not in DATUMS:
        raise BoundaryError("datum_unknown", datum=str(datum), datums=", ".join(DATUMS))
    digest = hashlib.sha256()
    for name, data in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    if datum != WGS84:  # the same files read in another datum are other boundaries
        digest.update(f"datum={datum}".encode())
    if names or new_region:  # a different region from the same files
        digest.update(json.dumps({"names": names, "new_region": new_region},
                                 sort_keys=True).encode())
    raw_layers = read_boundary_files(files, layer_names)
    report = Report()
    sources = [name for name, _ in files]
    by_name = {r.name: r for r in raw_layers}
    missing = [n for n in REQUIRED_LAYERS if n not in by_name]
    for name in missing:
        report.add("error", "missing_layer", name, layer_name=name,
                   found=", ".join(sorted(by_name)) or "—")
    converted: dict[str, gpd.GeoDataFrame] = {}
    if new_region:
        expected = _new_region_area(by_name, names, report, converted, datum)
    else:
        expected = ExpectedArea.from_region(active)
    metric = utm_crs(expected.county)
    layers: dict[str, gpd.GeoDataFrame] = {}
    lacking: dict[tuple[str, str], str] = {}
    for raw in raw_layers:
        wgs = converted[raw.name] if raw.name in converted \
            else in_datum(raw, expected, report, datum)
        if datum == WGS84 and not (new_region and raw.name in converted):
            looks_gcj02(raw, wgs, expected.county, metric, report)
        frame = normalise_columns(raw.name, wgs, report, raw.source, mapping, lacking)
        if frame is not None and datum == GCJ02 and raw.name == "townships":
            frame = seats_from_gcj02(frame)
        if frame is not None:
            layers[raw.name] = one_per_code(raw.name, repair(raw.name, frame, report, metric),
                                            report, raw.source)
    unused = _unused_mapping(mapping or {}, raw_layers, report)
    plan = column_plan(raw_layers, mapping or {})
    if missing or unused or any(n not in layers for n in by_name):
        return BoundaryImport(None, report, sources, digest.hexdigest(), plan)
    complete = _complete(layers, active, report, metric, lacking, new_region, names)
    _check(complete, report, metric, {} if new_region else store_codes or {})
    report.counts = {name: len(complete[name]) for name in LAYERS}
    report.counts["population"] = int(complete["grids"]["population"].sum())
    return BoundaryImport(complete, report, sources, digest.hexdigest(), plan)


MAX_SAMPLE_CHARS = 40
"""The longest example value ``column_plan`` gives of a column."""


def column_plan(raw_layers: list[RawLayer], mapping: ColumnMap) -> list[dict]:
    """Which column of its file holds each field of every layer read: the mapping first, then
    the aliases (as ``normalise_columns`` reads them).

    Returns
    -------
    list of dict
        One per layer, in reading order: ``layer``, ``file``, ``columns`` (the file's
        columns, each with its first non-empty value as ``sample``) and ``fields`` (each
        canonical field with ``required``, ``column``, the file's column or None, ``auto``,
        the column its aliases alone would find, and ``derived``, True when a missing
        column is found from the geometry instead).
    """
    out = []
    for raw in raw_layers:
        frame = raw.frame
        mapped = {}
        for scope in (None, raw.name):
            for name, column in mapping.get(scope, {}).items():
                found = _find_column(frame, column)
                if found is not None and name in {c.name for c in COLUMNS[raw.name]}:
                    mapped[name] = found
        found = _match_columns(raw.name, frame, mapped)
        auto = _match_columns(raw.name, frame) if mapped else found
        columns = []
        for column in (c for c in frame.columns if c != frame.geometry.name):
            values = frame[column].dropna().astype(str).str.strip()
            values = values[values != ""]
            sample = values.iloc[0][:MAX_SAMPLE_CHARS] if len(values) else ""
            columns.append({"name": str(column), "sample": sample})
        out.append({"layer": raw.name, "file": raw.source, "columns": columns,
                    "fields": [{"field": c.name, "required": c.required,
                                "column": None if found[c.name] is None else str(found[c.name]),
                                "auto": None if auto[c.name] is None else str(auto[c.name]),
                                "derived": (raw.name, c.name) in FROM_GEOMETRY}
                               for c in COLUMNS[raw.name]]})
    return out


def _unused_mapping(mapping: ColumnMap, raw_layers: list[RawLayer], report: Report) -> bool:
    """Report (as errors) mappings for every layer whose column no layer with that field has;
    True when there were any."""
    unused = False
    for name, column in mapping.get(None, {}).items():
        having = [r for r in raw_layers if name in {c.name for c in COLUMNS[r.name]}]
        if not any(_find_column(r.frame, column) is not None for r in having):
            report.add("error", "mapped_column_nowhere", None, field=name, column=column,
                       layers=", ".join(r.source for r in having) or "—")
            unused = True
    return unused


def _new_region_area(by_name: dict[str, RawLayer], names: dict[str, str], report: Report,
                     converted: dict[str, gpd.GeoDataFrame],
                     datum: str = WGS84) -> ExpectedArea:
    """Where a new region's layers must lie: within ``EXPECTED_BUFFER_KM`` of its county
    outline, or of its townships when no outline is given; that layer is placed first,
    anywhere plausible (``ExpectedArea.anywhere``), in WGS84 (from ``datum``), and kept in
    ``converted``."""
    anchor = by_name.get("county") or by_name.get("townships")
    if anchor is None:  # the missing layer is reported already
        return ExpectedArea.anywhere()
    wgs = in_datum(anchor, ExpectedArea.anywhere(), report, datum)
    converted[anchor.name] = wgs
    label = {c: names.get(c, "") for c in ("name_zh", "name_en")}
    if anchor.name == "county" and len(anchor.frame):  # for messages: the layer's names
        for column, found in _match_columns("county", anchor.frame).items():
            if column in label and not label[column] and found is not None:
                label[column] = _code(anchor.frame[found].iloc[0])
    name_zh, name_en = label["name_zh"], label["name_en"]
    outline = shapely.union_all(shapely.make_valid(wgs.geometry.to_numpy()))
    return ExpectedArea.around(outline, name_zh or name_en, name_en or name_zh)


def _region_code(towns: gpd.GeoDataFrame) -> str:
    """A new region's code when no county layer gives one: the first six digits the
    townships' codes share (the county's division code in China's scheme), else empty."""
    codes = [c for c in towns["code"].astype(str) if c]
    prefix = codes[0] if codes else ""
    for code in codes[1:]:
        while not code.startswith(prefix):
            prefix = prefix[:-1]
    return prefix[:6] if len(prefix) >= 6 else prefix


def _empty_like(active: Region, name: str) -> gpd.GeoDataFrame:
    """A layer with no features and the columns ``active``'s has (a new region's context
    layer that no file gives)."""
    return active.layer(name).iloc[0:0].copy()


def _complete(layers: dict[str, gpd.GeoDataFrame], active: Region, report: Report,
              metric: CRS, lacking: dict[tuple[str, str], str] | None = None,
              new_region: bool = False, names: dict[str, str] | None = None,
              ) -> dict[str, gpd.GeoDataFrame]:
    """Fill in the layers an import may leave out, and the derived columns (``lacking``: the
    columns of ``FROM_GEOMETRY`` the files lack, to be found from the geometry). A new region
    takes nothing from ``active`` but its layers' columns; ``names`` name the county."""
    names = names or {}
    out = dict(layers)
    if ("grids", "village_code") in (lacking or {}):
        out["grids"] = _parent_by_overlap(out["grids"], out["villages"], "village_code",
                                          "grids", lacking[("grids", "village_code")], report,
                                          metric)
    towns = out["townships"]
    if "county" not in out:
        if new_region:
            code, zh, en = _region_code(towns), names.get("name_zh", ""), \
                names.get("name_en", "")
        else:
            row = active.county.iloc[0]
            code, zh, en = str(row["code"]), str(row["name_zh"]), str(row["name_en"])
        dissolved = shapely.union_all(towns.geometry.to_numpy())
        out["county"] = gpd.GeoDataFrame(
            {"code": [code], "name_zh": [zh or en], "name_en": [en or zh]},
            geometry=[dissolved], crs=4326)
        report.add("info", "county_dissolved", "county", name_en=en or zh or "—",
                   name_zh=zh or en or "—")
    county = out["county"].iloc[:1].copy()  # one outline: the region's
    if len(out["county"]) > 1:
        county["geometry"] = [shapely.union_all(out["county"].geometry.to_numpy())]
    for column in ("name_zh", "name_en"):
        if names.get(column):
            county[column] = [names[column]]
    zh, en = str(county["name_zh"].iloc[0]).strip(), str(county["name_en"].iloc[0]).strip()
    county["name_zh"], county["name_en"] = [zh or en], [en or zh]
    if new_region and not (zh or en):
        report.add("error", "region_unnamed", "county")
    if new_region and not str(county["code"].iloc[0]):
        county["code"] = [_region_code(towns)]
    out["county"] = county
    for name in CARRIED_LAYERS:
        if name in out:
            continue
        if new_region:  # never another region's: left empty
            out[name] = _empty_like(active, name)
            report.add("info", "context_empty", name, layer_name=name)
        else:
            out[name] = active.layer(name).copy()
            report.add("info", "carried_over", name, layer_name=name, n=len(out[name]))
    kinds = {"街道": "subdistrict", "办事处": "subdistrict", "镇": "town", "乡": "township"}
    towns = towns.copy()
    towns["kind"] = [kinds.get(k, k) or _kind_from_name(n)
                     for k, n in zip(towns["kind"], towns["name_zh"], strict=True)]
    seats = towns.geometry.representative_point()
    lon, lat = towns["seat_lon"].to_numpy(float), towns["seat_lat"].to_numpy(float)
    given = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90) \
        & ((lon != 0) | (lat != 0))  # a seat the file gives (in lon/lat) is kept
    towns["seat_lon"] = np.where(given, lon, seats.x.round(6))
    towns["seat_lat"] = np.where(given, lat, seats.y.round(6))
    towns["area_km2"] = (towns.to_crs(metric).area / 1e6).round(3)
    out["townships"] = towns
    villages = out["villages"].set_index("code")["township_code"]
    grids = out["grids"].copy()
    derived = grids["village_code"].map(villages).fillna("")
    given = grids["township_code"]
    for row, town in zip(grids.itertuples(), derived, strict=True):
        if row.township_code and town and row.township_code != town:
            report.add("error", "parent_mismatch", "grids", codes=[row.code], code=row.code,
                       said=row.township_code, village=row.village_code, found=town)
    grids["township_code"] = [g or d for g, d in zip(given, derived, strict=True)]
    out["grids"] = grids
    out["checkpoints"] = _place_points(out["checkpoints"], towns, "checkpoints", report, metric)
    if "quarantine_sites" in layers:
        out["quarantine_sites"] = _place_points(out["quarantine_sites"], towns,
                                                "quarantine_sites", report, metric)
    elif len(out["quarantine_sites"]):
        codes = set(towns["code"])
        stale = out["quarantine_sites"][~out["quarantine_sites"]["township_code"].isin(codes)]
        if len(stale):
            out["quarantine_sites"] = _place_points(
                out["quarantine_sites"].assign(township_code=""), towns, "quarantine_sites",
                report, metric)
    return {name: out[name].reset_index(drop=True) for name in LAYERS}


def _parent_by_overlap(children: gpd.GeoDataFrame, parents: gpd.GeoDataFrame, key: str,
                       layer: str, source: str, report: Report,
                       metric: CRS) -> gpd.GeoDataFrame:
    """``children`` with ``key`` set to the code of the parent each overlaps most (empty for
    one that overlaps none: the nesting check then says it lies in no parent), with a note."""
    cg = children.to_crs(metric).geometry.to_numpy()
    pg = parents.to_crs(metric).geometry.to_numpy()
    ci, pi = shapely.STRtree(pg).query(cg, predicate="intersects")
    area = _areas(shapely.intersection(cg[ci], pg[pi]))
    best = np.full(len(cg), -1)
    most = np.zeros(len(cg))
    for c, p, a in zip(ci.tolist(), pi.tolist(), area.tolist(), strict=True):
        if a > most[c]:
            best[c], most[c] = p, a
    codes = parents["code"].to_numpy()
    out = children.copy()
    out[key] = [codes[p] if p >= 0 else "" for p in best]
    report.add("info", "parent_from_geometry", layer, file=source, column=key,
               n=int((best >= 0).sum()), total=len(cg))
    return out


def _kind_from_name(name_zh: str) -> str:
    if name_zh.endswith(("街道", "办事处")):
        return "subdistrict"
    return "town" if name_zh.endswith("镇") else "township"


def _place_points(points: gpd.GeoDataFrame, towns: gpd.GeoDataFrame, layer: str,
                  report: Report, metric: CRS) -> gpd.GeoDataFrame:
    """Fill a point layer's missing ``township_code`` from the township it lies in."""
    points = points.copy()
    pm = points.to_crs(metric).geometry.to_numpy()
    tm = towns.to_crs(metric).geometry.to_numpy()
    codes = towns["code"].to_numpy()
    known = set(codes.tolist())
    filled = []
    for i, row in enumerate(points.itertuples()):
        inside = np.flatnonzero(shapely.contains(tm, pm[i]))
        found = codes[inside[0]] if len(inside) else codes[int(np.argmin(shapely.distance(
            tm, pm[i])))]
        if not len(inside):
            report.add("warning", "point_outside", layer, codes=[row.code], code=row.code,
                       township=found)
        said = row.township_code
        if said and said not in known:
            report.add("error", "unknown_parent", layer, codes=[row.code], code=row.code,
                       parent_layer="townships", parent=said)
        elif said and len(inside) and said != found:
            report.add("warning", "point_wrong_township", layer, codes=[row.code],
                       code=row.code, said=said, found=found)
        filled.append(said or found)
    points["township_code"] = filled
    return points


def _check(layers: dict[str, gpd.GeoDataFrame], report: Report, metric: CRS,
           store_codes: dict[str, set[str]]) -> None:
    m = {name: layers[name].to_crs(metric) for name in ("county", "townships", "villages",
                                                        "grids")}
    check_nesting(m["villages"], m["townships"], "township_code", "villages", "townships",
                  report)
    check_nesting(m["grids"], m["villages"], "village_code", "grids", "villages", report)
    for name in ("townships", "villages", "grids"):
        check_overlaps(m[name], name, report)
    county_dissolved = any(i.key == "county_dissolved" for i in report.issues)
    county = _holes_as_parent(m["county"]) if county_dissolved else m["county"]
    check_gaps(m["townships"], county, None, "townships", "county", report, metric)
    check_gaps(m["villages"], m["townships"], "township_code", "villages", "townships", report,
               metric)
    check_gaps(m["grids"], m["villages"], "village_code", "grids", "villages", report, metric)
    for name, key in (("grids", "store_grids_missing"), ("checkpoints",
                                                         "store_checkpoints_missing"),
                      ("townships", "store_townships_missing")):
        lost = sorted(set(store_codes.get(name, ())) - set(layers[name]["code"]))
        if lost:
            report.add("warning", key, name, n=len(lost), sample=", ".join(lost[:5]))
