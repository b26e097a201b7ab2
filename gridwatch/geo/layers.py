"""Reading the region's layers and preparing them for the browser.

Geometry is read once per process (cached by file path and modification time) and handed to the
browser once, as gzip-compressed GeoJSON with a content hash for caching.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd

from gridwatch.geo.crs import region_crs

LAYERS = (
    "county",
    "neighbours",
    "townships",
    "villages",
    "grids",
    "checkpoints",
    "quarantine_sites",
)
"""The layers every region file holds, in drawing order."""

METRIC_CRS = "EPSG:32650"
"""UTM zone 50N, the demo region's own zone: only a default for callers that draw without a
region. Work on a region is done in its own zone (``gridwatch.geo.crs.region_crs``)."""


@dataclass(frozen=True, eq=False)
class Region:
    """The geography of one county: every layer as a GeoDataFrame in EPSG:4326."""

    path: Path
    county: gpd.GeoDataFrame
    neighbours: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    checkpoints: gpd.GeoDataFrame
    quarantine_sites: gpd.GeoDataFrame

    def layer(self, name: str) -> gpd.GeoDataFrame:
        if name not in LAYERS:
            raise KeyError(f"unknown layer {name!r}; expected one of {', '.join(LAYERS)}")
        return getattr(self, name)

    @cached_property
    def grid_table(self) -> pd.DataFrame:
        """Grids with their village and township names, without geometry."""
        grids = pd.DataFrame(self.grids.drop(columns="geometry"))
        villages = pd.DataFrame(self.villages.drop(columns="geometry"))[
            ["code", "name_zh", "name_en"]
        ].rename(columns={"code": "village_code", "name_zh": "village_zh", "name_en": "village_en"})
        townships = pd.DataFrame(self.townships.drop(columns="geometry"))[
            ["code", "name_zh", "name_en"]
        ].rename(
            columns={"code": "township_code", "name_zh": "township_zh", "name_en": "township_en"}
        )
        return grids.merge(villages, on="village_code").merge(townships, on="township_code")

    @cached_property
    def bounds(self) -> list[list[float]]:
        """The county's bounds as Leaflet expects them: [[south, west], [north, east]]."""
        minx, miny, maxx, maxy = self.county.total_bounds
        return [[float(miny), float(minx)], [float(maxy), float(maxx)]]

    @cached_property
    def fingerprint(self) -> str:
        """A short hash of the region file: changes when the geography changes."""
        return hashlib.sha256(self.path.read_bytes()).hexdigest()[:12]

    def names(self, layer: str, lang: str) -> dict[str, str]:
        """``{code: name}`` of a layer's features in ``lang`` (``zh`` or ``en``), a copy of
        the one built per layer and language (every panel asks for them)."""
        found = self._names.get((layer, lang))
        if found is None:  # two threads may both build it: the same dict either way
            frame = self.layer(layer)
            found = self._names[(layer, lang)] = dict(zip(frame["code"], frame[f"name_{lang}"],
                                                         strict=True))
        return dict(found)

    @cached_property
    def _names(self) -> dict[tuple[str, str], dict[str, str]]:
        return {}

    def township_bounds(self, code: str) -> list[list[float]]:
        row = self.townships[self.townships["code"] == code]
        minx, miny, maxx, maxy = row.total_bounds
        return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def load_region(path: Path | str) -> Region:
    """Read a region GeoPackage (cached per path and modification time).

    Parameters
    ----------
    path : Path or str
        A GeoPackage holding every layer in ``LAYERS``.
    """
    path = Path(path)
    return _load_region(path.resolve(), path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _load_region(path: Path, _mtime: int) -> Region:
    layers = {}
    for name in LAYERS:
        gdf = gpd.read_file(path, layer=name, engine="pyogrio")
        if gdf.crs is None or gdf.crs.to_epsg() != 4326:
            gdf = gdf.to_crs(4326) if gdf.crs is not None else gdf.set_crs(4326)
        layers[name] = gdf
    return Region(path=path, **layers)


@dataclass(frozen=True)
class EncodedLayer:
    """A layer encoded for the browser: gzip bytes and a content hash for the URL/ETag."""

    gzipped: bytes
    digest: str
    raw_size: int


BROWSER_LAYERS = (*LAYERS, "township_labels", "village_labels", "grid_points")
"""Layers the browser can ask for: the region's layers plus township and village label points
and one point per grid (where a red or orange grid's hotspot mark is drawn)."""


def browser_frame(region: Region, name: str) -> gpd.GeoDataFrame:
    """The features the browser gets for layer ``name``.

    Grids carry their village and township names and ``k``, their position in code order: the
    map's style function looks up a grid's colour by ``k`` in a compact string sent with each
    recolour. ``township_labels`` holds one point per township, where its name is drawn (and
    ``village_labels`` one per village, with its township's code);
    ``grid_points`` one point per grid inside it (its representative point), with ``k``.
    """
    if name == "grids":
        table = region.grid_table.sort_values("code").reset_index(drop=True)
        geometry = region.grids.set_index("code").loc[table["code"], "geometry"].to_numpy()
        columns = [
            "code",
            "name_zh",
            "name_en",
            "village_zh",
            "village_en",
            "township_code",
            "township_zh",
            "township_en",
        ]
        return gpd.GeoDataFrame(
            table[columns].assign(k=range(len(table))), geometry=geometry, crs=region.grids.crs
        )
    if name == "grid_points":
        table = region.grid_table.sort_values("code").reset_index(drop=True)
        shapes = region.grids.set_index("code").loc[table["code"], "geometry"]
        points = gpd.GeoSeries(shapes.to_numpy(), crs=region.grids.crs).to_crs(
            region_crs(region))
        return gpd.GeoDataFrame(
            table[["code"]].assign(k=range(len(table))),
            geometry=points.representative_point().to_crs(4326).to_numpy(), crs=4326)
    if name == "village_labels":
        villages = region.villages.sort_values("code").reset_index(drop=True)
        points = villages.to_crs(region_crs(region)).representative_point().to_crs(4326)
        return gpd.GeoDataFrame(
            villages[["code", "name_zh", "name_en", "township_code"]], geometry=points.values,
            crs=4326)
    if name == "township_labels":
        towns = region.townships.sort_values("code").reset_index(drop=True)
        points = towns.to_crs(region_crs(region)).representative_point().to_crs(4326)
        return gpd.GeoDataFrame(
            towns[["code", "name_zh", "name_en"]], geometry=points.values, crs=4326
        )
    if name not in BROWSER_LAYERS:
        raise KeyError(f"unknown layer {name!r}")
    return region.layer(name).sort_values("code").reset_index(drop=True)


def encode_layer(region: Region, name: str, precision: int = 5) -> EncodedLayer:
    """Encode one layer as compact, gzip-compressed GeoJSON.

    Coordinates are rounded to ``precision`` decimals (5 decimals ≈ 1 m), which keeps the files
    small without visible change at any zoom a county map is used at.
    """
    return _encode_layer(region, name, precision)


@lru_cache(maxsize=32)
def _encode_layer(region: Region, name: str, precision: int) -> EncodedLayer:
    gdf = browser_frame(region, name)
    text = gdf.to_json(drop_id=True, to_wgs84=False)
    data = json.loads(text)
    for feature in data["features"]:
        feature["geometry"] = _round_geometry(feature["geometry"], precision)
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    # mtime=0 keeps the bytes (and so the digest) stable across runs.
    gz = gzip.compress(raw, compresslevel=9, mtime=0)
    return EncodedLayer(gzipped=gz, digest=hashlib.sha256(raw).hexdigest()[:16], raw_size=len(raw))


def _round_geometry(geometry: dict, precision: int) -> dict:
    def rnd(coords):
        if isinstance(coords[0], (int, float)):
            return [round(c, precision) for c in coords]
        return [rnd(c) for c in coords]

    return {"type": geometry["type"], "coordinates": rnd(geometry["coordinates"])}
