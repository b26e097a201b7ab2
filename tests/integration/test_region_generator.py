"""The demo region is regenerated from its sources (``make geo``): byte for byte on one machine,
and the same as the committed file up to the last bits of a coordinate."""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from gridwatch.geo.generate import DEFAULT_SOURCE, generate_region
from gridwatch.geo.layers import LAYERS

GPKG = Path(__file__).resolve().parents[2] / "data" / "geo" / "kaihua.gpkg"
TOLERANCE = 1e-9
"""Degrees (about 0.1 mm). The projections' trigonometry may differ in the last bit between
CPUs (the C library picks its code by CPU features), so a file generated on another machine
can differ from the committed one in a few coordinates' last bits and in nothing else."""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_generator_is_deterministic_and_matches_the_committed_file(tmp_path):
    first, second = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    generate_region(DEFAULT_SOURCE, first)
    generate_region(DEFAULT_SOURCE, second)
    assert sha256(first) == sha256(second)
    if sha256(first) == sha256(GPKG):
        return
    for name in LAYERS:
        made = gpd.read_file(first, layer=name)
        kept = gpd.read_file(GPKG, layer=name)
        stale = f"data/geo/kaihua.gpkg is stale ({name}): run `make geo`"
        assert made.drop(columns="geometry").equals(kept.drop(columns="geometry")), stale
        a = shapely.get_coordinates(made.geometry.to_numpy())
        b = shapely.get_coordinates(kept.geometry.to_numpy())
        assert a.shape == b.shape, stale
        assert float(np.abs(a - b).max(initial=0.0)) < TOLERANCE, stale
        assert [g.geom_type for g in made.geometry] == [g.geom_type for g in kept.geometry]
