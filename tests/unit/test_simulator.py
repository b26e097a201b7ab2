"""The demo history reproduces the article and evolves believably."""

from datetime import date

import pandas as pd

from gridwatch.filters import Filters
from gridwatch.metrics import colour_matrix, compute_kpis, headline_figures

ARTICLE = {
    "townships": 15, "villages": 266, "grids": 747,
    "orders": 17, "notices": 18,
    "tasks": 320, "tasks_completed": 320,  # 320 special tasks, all completed
    "inspection_teams": 31,
    "failure_cases": 42, "failure_people": 69,  # 42 cases of failure involving 69 people
    "publicised_cases": 18, "publicised_people": 33,
}


def test_the_articles_headline_figures_come_from_the_data(snap):
    """The newspaper article's figures, written here as literals: they are what the demo must
    reproduce, not whatever the simulator happens to produce."""
    figures = headline_figures(snap)
    assert {k: figures[k] for k in ARTICLE} == ARTICLE
    assert figures["grid_response_rate"] == 1.0  # 100% grid response
    assert figures["platform_events"] > 10_000  # "more than 10,000 events on the platform"
    assert 6_200 <= figures["proxy_home_visits"] < 6_300  # "6,200+ home visits"


def test_the_period_is_23_january_to_29_february_2020(snap):
    assert snap.first_day == date(2020, 1, 23)
    assert snap.last_day == date(2020, 2, 29)


def test_colours_peak_early_and_relax_towards_green(snap):
    matrix = colour_matrix(snap)
    per_day = pd.DataFrame({i: (matrix == i).sum() for i in range(5)})
    early = per_day.loc[date(2020, 1, 27):date(2020, 2, 5)]
    assert early[0].max() >= 5, "some grids turn red around the Spring Festival arrivals"
    assert early[1].max() >= 15
    last = per_day.loc[date(2020, 2, 29)]
    assert last[0] == 0 and last[1] <= 2
    assert last[4] / last.sum() > 0.9, "by late February the county is mostly green"


def test_red_grids_cluster_around_arrivals(snap, region):
    """A grid that ever turned red had arrivals from high-risk areas in it or next to it."""
    rings = snap.rings.groupby("grid_code")["arrivals_high_risk"].sum()
    red = set(snap.risk.loc[snap.risk["colour"] == "red", "grid_code"])
    assert red
    metric = region.grids.set_index("code").to_crs("EPSG:32650")
    for code in red:
        near = metric[metric.intersects(metric.loc[code, "geometry"].buffer(50))].index
        assert rings.reindex(near).fillna(0).sum() > 0, code


def test_no_lead_is_a_confirmed_or_suspected_case(snap):
    outcomes = snap.leads["outcome"].dropna()
    assert not outcomes.str.contains("确诊|疑似").any()
    assert (snap.leads["category"] == "fever").sum() > 20


def test_the_articles_25_minute_lead(snap):
    lead = snap.leads[snap.leads["summary_zh"].str.contains("一家四口从重庆返村")].iloc[0]
    assert lead["township_code"] == "330824107"  # Yanglin Town
    assert (lead["closed_at"] - lead["reported_at"]).total_seconds() == 25 * 60


def test_control_levels_change_a_few_times(snap):
    dates = snap.levels["effective_at"].dt.date.unique()
    assert 3 <= len(dates) <= 6
    assert set(snap.levels["level"]) == {1, 2, 3}


def test_on_the_last_day_every_task_is_done_and_a_few_leads_are_open(snap):
    k = compute_kpis(snap, Filters(as_of=date(2020, 2, 29)))
    assert k.tasks_issued == 320 and k.tasks_completed == 320 and k.tasks_overdue == 0
    assert k.response_rate == 1.0
    assert 1 <= k.open_leads <= 10


def test_qr_registration_starts_with_the_health_code(snap):
    counts = snap.checkpoint_counts
    before = counts[counts["hour_start"] < pd.Timestamp("2020-02-11")]
    after = counts[counts["hour_start"] >= pd.Timestamp("2020-02-20")]
    assert before["qr_registrations"].sum() == 0
    assert after["qr_registrations"].sum() > 0.5 * after["people"].sum()
