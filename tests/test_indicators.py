from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

from archgym import indicators
from archgym.indicators import (
    adrs_contest,
    adrs_relative,
    bootstrap_ci,
    crowding_distance,
    hypervolume,
    iqm,
    non_dominated_sort,
    pareto_front,
)


def _inclusion_exclusion_hv(points: np.ndarray, ref: np.ndarray) -> float:
    """Union of the boxes [p, ref] by inclusion-exclusion over every subset (tiny sets only)."""
    total = 0.0
    for k in range(1, len(points) + 1):
        for subset in itertools.combinations(points, k):
            corner = np.max(subset, axis=0)  # the intersection of boxes [p, ref] is [max p, ref]
            total += (-1) ** (k + 1) * np.prod(np.clip(ref - corner, 0, None))
    return float(total)


def test_hypervolume_2d_by_hand():
    # Boxes to (5, 5): (1,4) -> 4, (2,2) -> 9, (4,1) -> 4; pairwise overlaps 3 + 3 + 1, triple 1.
    # 4 + 9 + 4 - 7 + 1 = 11; (3,3) is dominated and (6,0) lies outside the box, adding nothing.
    pts = [[1, 4], [2, 2], [4, 1], [3, 3], [6, 0]]
    assert hypervolume(pts, [5, 5]) == pytest.approx(11.0)
    assert hypervolume(np.empty((0, 2)), [5, 5]) == 0.0


@pytest.mark.parametrize("dims", [4, 5])
def test_hypervolume_any_dimension_matches_inclusion_exclusion(dims):
    rng = np.random.default_rng(dims)
    pts = rng.integers(0, 10, size=(7, dims)).astype(float)
    ref = np.full(dims, 10.0)
    assert hypervolume(pts, ref) == pytest.approx(_inclusion_exclusion_hv(pts, ref), rel=1e-12)


def test_hypervolume_4d_by_hand():
    # Boxes to (2,2,2,2): 2*1*1*1 + 1*2*1*1 - overlap 1*1*1*1 = 3; (1,1,1,1) lies inside both.
    assert hypervolume([[0, 1, 1, 1], [1, 0, 1, 1], [1, 1, 1, 1]], [2, 2, 2, 2]) == pytest.approx(
        3.0
    )


def test_hypervolume_refuses_mismatched_reference():
    with pytest.raises(ValueError, match="points has 3 objectives per point; expected 2"):
        hypervolume([[1, 2, 3]], [5, 5])


def test_sort_ties_and_duplicates():
    pts = np.array([[1, 4], [2, 2], [2, 2], [4, 1], [3, 3], [3, 3], [5, 5], [1, 4]])
    fronts = non_dominated_sort(pts)
    # Duplicates do not dominate each other, so both copies share a front.
    assert [f.tolist() for f in fronts] == [[0, 1, 2, 3, 7], [4, 5], [6]]
    assert non_dominated_sort(np.empty((0, 3))) == []
    # A point equal in one objective and better in the other dominates: (1, 4) beats (1, 5).
    assert [f.tolist() for f in non_dominated_sort([[1, 5], [1, 4]])] == [[1], [0]]
    assert pareto_front(pts).tolist() == [[1, 4], [2, 2], [4, 1]]


def test_sort_agrees_with_pairwise_dominance_in_4d():
    rng = np.random.default_rng(1)
    pts = rng.integers(0, 4, size=(40, 4)).astype(float)
    fronts = non_dominated_sort(pts)
    assert sorted(np.concatenate(fronts).tolist()) == list(range(len(pts)))
    rank = np.empty(len(pts), int)
    for r, front in enumerate(fronts):
        rank[front] = r
    for i, j in itertools.permutations(range(len(pts)), 2):
        if (pts[i] <= pts[j]).all() and (pts[i] < pts[j]).any():
            assert rank[i] < rank[j]
        if rank[j] > 0:  # every later-front point is dominated by some point of the previous front
            prev = pts[fronts[rank[j] - 1]]
            assert ((prev <= pts[j]).all(1) & (prev < pts[j]).any(1)).any()


def test_adrs_relative_by_hand():
    ref = [[1, 4], [2, 2], [4, 1]]
    approx = [[2, 4], [2, 3]]
    # (1,4): best is (2,4): excess (1/1, 0) -> 1.  (2,2): (2,3) gives (0, 1/2) -> 0.5.
    # (4,1): (2,3) gives (0, 2/1) -> 2, (2,4) gives 3 -> 2.  Mean (1 + 0.5 + 2) / 3.
    assert adrs_relative(ref, approx) == pytest.approx(3.5 / 3)
    assert adrs_relative(ref, ref) == 0.0
    assert adrs_relative([[0, 1]], [[0.5, 1]]) == pytest.approx(
        0.5
    )  # zero reference value: divide by 1


def test_adrs_contest_by_hand():
    ref = [[0, 10], [5, 5], [10, 0]]  # range 10 per objective -> normalised (0,1), (.5,.5), (1,0)
    approx = [[0, 10], [10, 5]]  # normalised (0,1), (1,.5)
    # nearest distances: 0; min(|(.5,-.5)|, |(.5,0)|) = .5; |(0,.5)| = .5  -> mean 1/3
    assert adrs_contest(ref, approx) == pytest.approx(1 / 3)
    # Given bounds rescale: span 20 halves every distance.
    assert adrs_contest(ref, approx, bounds=([0, 0], [20, 20])) == pytest.approx(1 / 6)
    # A found point better than the reference still counts as distance (Euclidean, not one-sided):
    # normalised reference (0,1), (1,0); found (-1,1), (1,0) -> distances 1 and 0.
    assert adrs_contest([[0, 10], [10, 0]], [[-10, 10], [10, 0]]) == pytest.approx(0.5)
    assert adrs_contest(ref, ref) == 0.0


def test_adrs_scores_the_found_pareto_set():
    ref = [[0, 10], [5, 5], [10, 0]]  # normalised (0,1), (.5,.5), (1,0)
    found = [[0, 10], [6, 6], [10, 2]]  # normalised (0,1), (.6,.6), (1,.2): all non-dominated
    # distances 0, |(.1,.1)|, .2
    assert adrs_contest(ref, found) == pytest.approx((0.0 + np.hypot(0.1, 0.1) + 0.2) / 3)
    # Adding (4,4) and (5,5): (4,4) dominates (5,5) and (6,6), so the found Pareto set is
    # (0,1), (.4,.4), (1,.2). (5,5) sits on the reference point but is dominated, so it does not
    # count: (.5,.5) is |(.1,.1)| from (.4,.4), not 0 (which would give (0 + 0 + .2) / 3).
    assert adrs_contest(ref, [*found, [4, 4], [5, 5]]) == pytest.approx(
        (0.0 + np.hypot(0.1, 0.1) + 0.2) / 3
    )
    # The relative form needs no such filter: its distance only grows for a dominated point.
    assert adrs_relative(ref, [*found, [7, 7]]) == adrs_relative(ref, found)


def test_adrs_refuses_bad_input():
    with pytest.raises(ValueError, match="non-empty"):
        adrs_relative([[1, 2]], np.empty((0, 2)))
    with pytest.raises(ValueError, match=r"objectives \[0\].*pass bounds"):
        adrs_contest([[1, 2], [1, 1]], [[1, 1]])
    with pytest.raises(ValueError, match="approx_front has 3 objectives per point; expected 2"):
        adrs_contest([[1, 2], [2, 1]], [[1, 1, 1]])


def test_iqm():
    assert iqm([1, 2, 3, 4, 5, 6, 7, 100]) == pytest.approx(4.5)  # mean of 3, 4, 5, 6
    assert iqm(np.arange(12.0).reshape(3, 4), axis=1).tolist() == pytest.approx([1.5, 5.5, 9.5])


def test_bootstrap_ci_covers_a_normal_mean():
    rng = np.random.default_rng(0)
    trials, hits = 200, 0
    for i in range(trials):
        ci = bootstrap_ci(rng.normal(3.0, 2.0, size=40), confidence=0.9, seed=i, n_resamples=999)
        assert ci.low < ci.estimate < ci.high
        hits += ci.low <= 3.0 <= ci.high
    # Nominal 90%; the percentile interval undercovers slightly at n = 40. Seeded, so exact each run.
    assert 0.83 <= hits / trials <= 0.96


def test_bootstrap_ci_is_seeded_and_handles_constant_samples():
    x = np.random.default_rng(3).exponential(size=25)
    assert bootstrap_ci(x, statistic=iqm, seed=7) == bootstrap_ci(x, statistic=iqm, seed=7)
    assert bootstrap_ci([2.0] * 5) == (2.0, 2.0, 2.0)
    with pytest.raises(ValueError, match="at least 2 samples"):
        bootstrap_ci([1.0])
    with pytest.raises(ValueError, match="confidence must be between 0 and 1"):
        bootstrap_ci(x, confidence=95)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("non_dominated_sort", "non_dominated_sort"),
        ("pareto_front", "pareto_front"),
        ("hypervolume", "hypervolume"),
        ("adrs", "adrs_relative"),
    ],
)
def test_old_objective_names_warn_and_forward(old, new):
    import archgym.objective

    with pytest.warns(DeprecationWarning, match=f"archgym.indicators.{new}"):
        moved = getattr(archgym.objective, old)
    assert moved is getattr(indicators, new)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from archgym.objective import Pareto  # noqa: F401  the objectives themselves do not warn
    with pytest.raises(AttributeError, match="has no attribute 'adrs_contest'"):
        archgym.objective.adrs_contest  # noqa: B018


def test_indicators_is_a_core_module():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(indicators))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not {m for m in imported if m.startswith("archgym")}


def test_stratified_bootstrap_covers_the_true_iqm_of_known_distributions() -> None:
    from archgym.indicators import stratified_bootstrap_ci

    # Five tasks, each N(mu_t, 1) with mu symmetric about 0: the pooled IQM's true value is 0.
    rng = np.random.default_rng(0)
    mus = [-1.0, -0.5, 0.0, 0.5, 1.0]
    covered, widths = 0, []
    for rep in range(40):
        groups = [rng.normal(mu, 1.0, 40) for mu in mus]
        ci = stratified_bootstrap_ci(groups, seed=rep, n_resamples=1000)
        covered += ci.low <= 0.0 <= ci.high
        widths.append(ci.high - ci.low)
    assert covered >= 34  # nominal 95 %: at least 85 % of 40 intervals cover the truth
    # with 4x the runs per task the interval is about half as wide (sqrt-n scaling)
    big = stratified_bootstrap_ci(
        [rng.normal(mu, 1.0, 160) for mu in mus], seed=0, n_resamples=1000
    )
    assert 0.35 < (big.high - big.low) / np.mean(widths) < 0.7


def test_stratified_bootstrap_keeps_each_stratum_and_handles_constant_groups() -> None:
    from archgym.indicators import stratified_bootstrap_ci

    # strata [0, 0, 0] and [1, 1, 1]: every resample keeps three of each, so the mean is exactly 0.5
    ci = stratified_bootstrap_ci([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], statistic=np.mean)
    assert ci == (0.5, 0.5, 0.5)
    # one varying stratum: the interval lies within what resampling it can reach
    ci = stratified_bootstrap_ci([[0.0, 0.0], [1.0, 3.0]], statistic=np.mean, seed=1)
    assert 0.25 <= ci.low <= ci.estimate == 1.0 <= ci.high <= 0.75 + 0.0 + 1.0
    with pytest.raises(ValueError, match="at least one group"):
        stratified_bootstrap_ci([])


def test_crowding_distance_by_hand() -> None:
    # Three objectives; spans 4, 8 and 2. Middle points: (gap in each objective) / span, summed.
    pts = np.array([[0, 8, 1], [1, 6, 2], [3, 2, 0], [4, 0, 2]], dtype=float)
    dist = crowding_distance(pts)
    # point 1: f0 neighbours 0 and 2 (3/4); f1 neighbours 2 and 0 (6/8); f2 sorted stably is
    # points 2, 0, 1, 3, so its neighbours are 0 and 3 (1/2).
    assert dist[1] == 3 / 4 + 6 / 8 + 1 / 2
    # point 2 holds f2's minimum: a boundary, infinite.
    assert dist[2] == np.inf
    assert dist[0] == dist[3] == np.inf
    two_objective = crowding_distance([[0, 4], [1, 2], [3, 1], [4, 0]])
    assert two_objective[1:3].tolist() == [3 / 4 + 3 / 4, 3 / 4 + 2 / 4]
    assert crowding_distance([[1, 2], [2, 1]]).tolist() == [np.inf, np.inf]
    flat = crowding_distance([[1, 5], [1, 3], [1, 1]])  # no span in f0: it adds nothing
    assert flat.tolist() == [np.inf, 1.0, np.inf]
