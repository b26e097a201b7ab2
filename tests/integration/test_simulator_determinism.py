"""The demo history is a function of its seed: simulated three times over."""

from __future__ import annotations

from gridwatch.simulate import simulate


def test_same_seed_same_history_other_seed_other_history(region):
    a, b, c = simulate(region, seed=7), simulate(region, seed=7), simulate(region, seed=8)
    assert a.risk_assessments == b.risk_assessments
    assert a.checkpoint_counts == b.checkpoint_counts
    assert a.leads == b.leads
    assert a.risk_assessments != c.risk_assessments
