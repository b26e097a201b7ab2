"""``python -m gridwatch simulate`` on a region that is not the demo (issue 13): six of the
demo's townships moved 4° east (UTM zone 51, about 390 km) and renamed, with three of the
demo's neighbours moved with them, imported as a new region. Its history follows the Kaihua
rules with totals scaled to its size, arrivals from its neighbours, the same seed the same
history; a store with history is refused with nothing changed; the demo stays the article's.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gridwatch.__main__ import main
from gridwatch.geo.crs import region_crs
from gridwatch.geo.layers import METRIC_CRS
from gridwatch.ingest.boundary_versions import history_rows
from gridwatch.simulate import ARTICLE_FIGURES, ORIGINS, Scale, origins, simulate
from gridwatch.store import models as m
from gridwatch.store.db import data_version
from tests.conftest import dispose, source_for
from tests.unit.test_new_region import moved, write_gpkg

SHIFT = 4.0
NAME_ZH, NAME_EN = "西岭县", "Xiling County"


@pytest.fixture(scope="module")
def smaller(region, stores, tmp_path_factory):
    """A store holding only the new region (no history): six townships of the demo, its
    villages, grids and checkpoints, three neighbours; moved and renamed."""
    towns = sorted(region.townships["code"])[:6]
    layers = {name: moved(region, name, SHIFT) for name in (
        "townships", "villages", "grids", "checkpoints", "neighbours")}
    layers["townships"] = layers["townships"][layers["townships"]["code"].isin(towns)]
    for name in ("villages", "grids", "checkpoints"):
        layers[name] = layers[name][layers[name]["township_code"].isin(towns)]
    layers["neighbours"] = layers["neighbours"].sort_values("code").iloc[:3]
    path = write_gpkg(tmp_path_factory.mktemp("xiling") / "xiling.gpkg", layers)
    source = source_for(stores.empty("xiling"))
    source.prepare(seed=False)
    assert main(["import-boundaries", str(path), "--new-region", "--name-zh", NAME_ZH,
                 "--name-en", NAME_EN, "--database-url", source.settings.database_url]) == 0
    yield source
    dispose(source)


@pytest.fixture(scope="module")
def demo(region):
    return simulate(region)


def share(part, whole) -> float:
    return len(part) / len(whole)


def test_the_demo_is_the_article_s_at_scale_one_in_its_own_zone(region, demo):
    assert Scale.of(region) == Scale()
    assert origins(region) == list(ORIGINS)
    assert region_crs(region) == METRIC_CRS  # UTM 50N is Kaihua's own zone
    assert len(demo.directives) == ARTICLE_FIGURES["orders"] + ARTICLE_FIGURES["notices"]
    assert len(demo.tasks) == ARTICLE_FIGURES["tasks"]
    assert len(demo.inspection_teams) == ARTICLE_FIGURES["inspection_teams"]
    assert len(demo.inspection_cases) == ARTICLE_FIGURES["failure_cases"]
    assert sum(c["people_involved"] for c in demo.inspection_cases) == \
        ARTICLE_FIGURES["failure_people"]


def test_simulate_seeds_a_history_scaled_to_the_region(smaller, region, demo, capsys):
    url = smaller.settings.database_url
    with smaller.engine.connect() as conn:
        assert history_rows(conn) == {}
    assert main(["simulate", "--database-url", url, "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert f"{NAME_ZH} / {NAME_EN}, seed 7" in out and "2020-01-23 to 2020-02-29" in out
    here = smaller.region()
    assert region_crs(here) == "EPSG:32651"  # measured in its own zone
    scale = Scale.of(here)
    assert 0.2 < scale.people < 0.9 and 0.2 < scale.grids < 0.9  # smaller than the demo
    data = simulate(here, 7)
    # the same totals as were written, and believable against the demo's, scaled
    with smaller.engine.connect() as conn:
        written = history_rows(conn)
        grid_codes = set(conn.execute(select(m.RingCount.grid_code).distinct()).scalars())
        checkpoints = set(conn.execute(select(m.CheckpointCount.checkpoint_code).distinct())
                          .scalars())
        people = conn.execute(select(func.sum(m.RingCount.arrivals_high_risk))).scalar()
    assert written["tasks"] == len(data.tasks) and written["leads"] == len(data.leads)
    assert written["proxy_requests"] == len(data.proxy_requests)
    assert grid_codes == set(here.grids["code"])
    assert checkpoints <= set(here.checkpoints["code"])
    assert abs(share(data.tasks, demo.tasks) - scale.grids) < 0.02
    assert abs(share(data.proxy_requests, demo.proxy_requests) - scale.people) < 0.03
    assert abs(share(data.inspection_teams, demo.inspection_teams) - scale.townships) < 0.05
    assert abs(share(data.leads, demo.leads) - scale.people) < 0.15
    demo_people = sum(r["arrivals_high_risk"] for r in demo.ring_counts)
    assert abs(people / demo_people - scale.people) < 0.2
    assert len(data.directives) == len(demo.directives)  # the county's orders and notices
    # every task done, every assignment acknowledged, as in the demo
    assert all(a["completed_at"] is not None and a["acknowledged_at"] is not None
               for a in data.assignments)
    # some grids warm up, most stay calm
    colours = {r["colour"] for r in data.risk_assessments}
    assert {"red", "green"} <= colours


def test_arrivals_come_from_the_region_s_neighbours(smaller, region):
    here = smaller.region()
    given = sorted(region.neighbours.sort_values("code")["name_en"].iloc[:3])
    assert sorted(en for _zh, en in origins(here)) == given
    data = simulate(here, 7)
    returnees = [lead["summary_en"] for lead in data.leads if lead["category"] == "returnee"
                 and "back from" in lead["summary_en"]]
    assert returnees
    for summary in returnees:
        assert any(f"back from {name}" in summary for name in given), summary
    assert not any(en in " ".join(returnees) for _zh, en in ORIGINS)


def test_the_same_seed_gives_the_same_history_and_another_seed_another(smaller):
    here = smaller.region()
    assert simulate(here, 7) == simulate(here, 7)
    assert simulate(here, 8).risk_assessments != simulate(here, 7).risk_assessments


def test_simulate_refuses_a_store_with_history_and_changes_nothing(smaller, capsys):
    url = smaller.settings.database_url
    with smaller.engine.connect() as conn:
        seeded = bool(history_rows(conn))
    if not seeded:  # run alone: seed it first
        assert main(["simulate", "--database-url", url]) == 0
    before = data_version(smaller.engine)
    with smaller.engine.connect() as conn:
        rows = history_rows(conn)
    capsys.readouterr()
    assert main(["simulate", "--database-url", url, "--seed", "9"]) == 1
    err = capsys.readouterr().err
    assert "already holds a history" in err and "nothing was changed" in err
    assert NAME_EN in err
    assert data_version(smaller.engine) == before
    with smaller.engine.connect() as conn:
        assert history_rows(conn) == rows
