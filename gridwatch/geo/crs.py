"""Metric coordinate systems chosen by where a region lies.

Areas, distances and print maps are computed in a projection that fits the region: the UTM
zone of its centre's longitude (WGS 84 / UTM, ``utm_epsg``), as the demo region's UTM zone 50N
is for Kaihua; the CGCS2000 3-degree Gauss-Kruger zone of that longitude (``gk3_epsg``) is
the one Chinese surveying offices use, named here for reports. A county spans well under one
zone's width, so either keeps scale errors below 0.1 %.
"""

from __future__ import annotations

from functools import lru_cache

import shapely
from pyproj import CRS


def utm_epsg(lon: float, lat: float) -> int:
    """The EPSG code of the WGS 84 / UTM zone holding ``lon``, north or south of the
    equator by ``lat``."""
    zone = int((lon + 180) // 6) % 60 + 1
    return (32600 if lat >= 0 else 32700) + zone


def gk3_epsg(lon: float) -> int | None:
    """The EPSG code of the CGCS2000 / 3-degree Gauss-Kruger CM system (75°E to 135°E)
    nearest ``lon``; None outside China's range."""
    cm = round(lon / 3) * 3
    return 4534 + (cm - 75) // 3 if 75 <= cm <= 135 else None


def utm_crs(geometry: shapely.Geometry) -> CRS:
    """The UTM zone CRS holding the centre of a lon/lat ``geometry`` (for areas in m²)."""
    c = geometry.centroid
    return CRS.from_epsg(utm_epsg(c.x, c.y))


def region_epsg(region) -> int:
    """The UTM zone of ``region``'s county centre (``Region``: its county layer in lon/lat)."""
    return _region_epsg(region)


@lru_cache(maxsize=8)
def _region_epsg(region) -> int:  # a Region is hashed by identity: one per region file
    c = shapely.union_all(region.county.geometry.to_numpy()).centroid
    return utm_epsg(c.x, c.y)


def region_crs(region) -> str:
    """``region``'s metric CRS as ``"EPSG:<code>"`` (``region_epsg``)."""
    return f"EPSG:{region_epsg(region)}"


def zone_of(epsg: int) -> tuple[int, str]:
    """A UTM EPSG code's zone number and hemisphere (``"north"`` or ``"south"``)."""
    return epsg % 100, "north" if epsg < 32700 else "south"
