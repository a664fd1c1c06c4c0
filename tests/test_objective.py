from __future__ import annotations

import itertools

import numpy as np
import pytest

from archgym.indicators import adrs_relative, hypervolume, non_dominated_sort
from archgym.objective import (
    Constrained,
    Maximize,
    Minimize,
    ObjectiveError,
    Pareto,
    Target,
    WeightedSum,
    objective_from_dict,
)
from archgym.simulator import Metric

METRICS = [
    Metric("latency_ns", "ns", "min"),
    Metric("power_mw", "mW", "min"),
    Metric("bandwidth_gbps", "GB/s", "max"),
]


def test_target_meet_and_match():
    meet = Target({"latency_ns": 100, "bandwidth_gbps": 10}).bind(METRICS)
    ok = meet({"latency_ns": 90, "bandwidth_gbps": 12, "power_mw": 1})
    assert ok.reward == 0 and ok.feasible
    bad = meet({"latency_ns": 150, "bandwidth_gbps": 5, "power_mw": 1})
    assert bad.reward == pytest.approx(-(0.5 + 0.5)) and not bad.feasible
    match = Target({"latency_ns": 100}, style="match").bind(METRICS)
    assert match({"latency_ns": 80}).reward == pytest.approx(-0.2)
    assert match({"latency_ns": 120}).reward == pytest.approx(-0.2)


def test_min_max_weighted_constrained():
    m = {"latency_ns": 50.0, "power_mw": 200.0, "bandwidth_gbps": 8.0}
    assert Minimize("latency_ns").bind(METRICS)(m).reward == -50
    assert Maximize("bandwidth_gbps").bind(METRICS)(m).reward == 8
    ws = WeightedSum({"latency_ns": 1.0, "bandwidth_gbps": 2.0}, {"latency_ns": 10}).bind(METRICS)
    assert ws(m).reward == pytest.approx(-(5 - 16))
    c = Constrained(Minimize("latency_ns"), {"power_mw": 100}, penalty=10).bind(METRICS)
    s = c(m)
    assert not s.feasible and s.reward == pytest.approx(-50 - 10 * 1.0)


def test_objectives_round_trip_and_refuse_unknown_metrics():
    for obj in [
        Minimize("latency_ns"),
        Target({"power_mw": 5}, "match", 0.1),
        Constrained(Maximize("bandwidth_gbps"), {"power_mw": 3}),
        Pareto(["latency_ns", "power_mw"]),
        WeightedSum({"latency_ns": 1}),
    ]:
        assert objective_from_dict(obj.to_dict()).to_dict() == obj.to_dict()
    with pytest.raises(ObjectiveError, match="uses metric 'energy_pj'.*reports"):
        Minimize("energy_pj").bind(METRICS)
    with pytest.raises(ObjectiveError, match="unknown objective type 'best'"):
        objective_from_dict({"type": "best"})
    with pytest.raises(ObjectiveError, match="lacks field 'targets'"):
        objective_from_dict({"type": "target"})


def _brute_hv(points, ref, grid=60):
    # Monte-Carlo-free check on a fine lattice of cell centres.
    ref = np.asarray(ref, float)
    axes = [np.linspace(0, r, grid, endpoint=False) + r / grid / 2 for r in ref]
    cells = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, len(ref))
    dominated = (np.asarray(points)[None, :, :] <= cells[:, None, :]).all(-1).any(-1)
    return dominated.mean() * np.prod(ref)


@pytest.mark.parametrize("dims", [2, 3])
def test_hypervolume_matches_lattice_count(dims):
    rng = np.random.default_rng(dims)
    pts = rng.integers(1, 10, size=(12, dims)).astype(float)
    ref = [10.0] * dims
    assert hypervolume(pts, ref) == pytest.approx(
        _brute_hv(pts, ref, grid=10 if dims == 3 else 20), rel=1e-9
    )


def test_non_dominated_sort_and_adrs():
    pts = np.array([[1, 4], [2, 2], [4, 1], [3, 3], [5, 5]])
    fronts = non_dominated_sort(pts)
    assert sorted(fronts[0].tolist()) == [0, 1, 2]
    assert fronts[1].tolist() == [3] and fronts[2].tolist() == [4]
    for i, j in itertools.permutations(range(len(pts)), 2):
        if i in fronts[0] and j in fronts[0]:
            assert not ((pts[i] <= pts[j]).all() and (pts[i] < pts[j]).any())
    assert adrs_relative(pts[fronts[0]], pts[fronts[0]]) == 0
    assert adrs_relative([[1, 1]], [[2, 1]]) == pytest.approx(1.0)
