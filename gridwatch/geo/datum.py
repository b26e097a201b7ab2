"""GCJ-02 ⇄ WGS84 for geometries and GeoDataFrames.

GCJ-02 (the "Mars" datum of AutoNavi/Amap, Tencent and the DataV boundary sets derived from
them) is WGS84 with a deliberate, smoothly varying offset of a few hundred metres, applied only
inside a rough box around China (``in_china``); outside it a GCJ-02 coordinate *is* WGS84, and
is left unchanged here.

The arithmetic is the pinned ``prcoords`` library's (``requirements.txt``; CC0 / public
domain): ``prcoords.wgs_gcj`` forward, and ``prcoords.gcj_wgs_bored`` backward (the iterative
inverse, to about a millimetre, where the one-step ``gcj_wgs`` is off by up to ~2 m). The
library works on one point at a time; this module calls it once per *distinct* coordinate of
a geometry array (shared edges between neighbouring polygons are converted once), through
``shapely.transform``, so the ~50,000 vertices of the demo region take well under a second.

``prcoords.gcj_wgs_bored`` skips its own China check for the refining steps, so the box is
applied here first (the box is the library's own ``sanity_in_china_p``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from importlib.metadata import version

import geopandas as gpd
import numpy as np
import prcoords
import shapely

WGS84 = "wgs84"
GCJ02 = "gcj02"
DATUMS = (WGS84, GCJ02)
"""The datums an import may be given in (``import_boundaries(datum=...)``,
``import-boundaries --datum``)."""

LIBRARY = f"prcoords {version('prcoords')}"
"""The library that converts, for provenance notes."""


def in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Where GCJ-02 applies (the library's box: lon 72.004–137.8347, lat 0.8293–55.8271)."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _pointwise(fn: Callable[[float, float], tuple[float, float]]) -> Callable:
    """A coordinate-array function (``shapely.transform``'s shape: (n, 2) lon/lat) that calls
    ``fn(lat, lon) -> (lat, lon)`` once per distinct coordinate inside China."""
    def convert(xy: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy, float)
        out = xy.copy()
        if not len(xy):
            return out
        inside = in_china(xy[:, 0], xy[:, 1]) & np.isfinite(xy).all(axis=1)
        if not inside.any():
            return out
        unique, back = np.unique(xy[inside, :2], axis=0, return_inverse=True)
        done = np.empty_like(unique)
        with warnings.catch_warnings():  # the library warns about points outside its box
            warnings.simplefilter("ignore")
            for i, (lon, lat) in enumerate(unique):
                la, lo = fn(lat, lon)
                done[i] = lo, la
        out[np.flatnonzero(inside), :2] = done[back.reshape(-1)]
        return out
    return convert


def _to_gcj(lat: float, lon: float) -> tuple[float, float]:
    c = prcoords.wgs_gcj((lat, lon), False)
    return c.lat, c.lon


def _to_wgs(lat: float, lon: float) -> tuple[float, float]:
    c = prcoords.gcj_wgs_bored((lat, lon), False)
    return c.lat, c.lon


wgs84_to_gcj02_xy = _pointwise(_to_gcj)
"""lon/lat coordinates (n, 2) from WGS84 to GCJ-02."""

gcj02_to_wgs84_xy = _pointwise(_to_wgs)
"""lon/lat coordinates (n, 2) from GCJ-02 to WGS84."""


def gcj02_to_wgs84(geoms):
    """Shapely geometry (or array of them), lon/lat GCJ-02 → WGS84."""
    return shapely.transform(geoms, gcj02_to_wgs84_xy)


def wgs84_to_gcj02(geoms):
    """Shapely geometry (or array of them), lon/lat WGS84 → GCJ-02."""
    return shapely.transform(geoms, wgs84_to_gcj02_xy)


def _frame(frame: gpd.GeoDataFrame, convert: Callable) -> gpd.GeoDataFrame:
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        raise ValueError(f"GCJ-02 is a lon/lat datum: reproject to EPSG:4326 first "
                         f"(the frame is {frame.crs})")
    out = frame.copy()
    out[frame.geometry.name] = gpd.GeoSeries(convert(frame.geometry.to_numpy()),
                                             index=frame.index, crs=frame.crs)
    return out


def frame_gcj02_to_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy of an EPSG:4326 ``frame`` whose coordinates were GCJ-02, in WGS84."""
    return _frame(frame, gcj02_to_wgs84)


def frame_wgs84_to_gcj02(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy of an EPSG:4326 ``frame`` in GCJ-02 (as a GCJ-02 file of it would hold)."""
    return _frame(frame, wgs84_to_gcj02)
