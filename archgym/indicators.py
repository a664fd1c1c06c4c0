"""Multi-objective indicators and robust run statistics.

Every objective is *minimised* here: flip the sign of a "higher is better" metric first
(:meth:`archgym.objective.Pareto.vector` gives "higher is better" vectors, so pass its
negation). Dominance, ranking and hypervolume come from `moocore
<https://multi-objective.github.io/moocore/python/>`_ (exact hypervolume in any number of
objectives, sub-quadratic non-dominated filtering); confidence intervals come from
:func:`scipy.stats.bootstrap`.

Example:
    >>> from archgym.indicators import adrs_contest, hypervolume, pareto_front
    >>> points = [[1.0, 4.0], [2.0, 2.0], [4.0, 1.0], [3.0, 3.0]]
    >>> pareto_front(points).tolist()
    [[1.0, 4.0], [2.0, 2.0], [4.0, 1.0]]
    >>> hypervolume(points, reference=[5.0, 5.0])
    11.0
    >>> adrs_contest([[1.0, 4.0], [4.0, 1.0]], [[1.0, 4.0]])
    0.7071067811865476
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, NamedTuple

import moocore
import numpy as np
import scipy.stats
from scipy.spatial import KDTree

Points = Sequence[Sequence[float]] | np.ndarray


def _as_points(points: Points, name: str, *, columns: int | None = None) -> np.ndarray:
    """``points`` as a float (n, m) array; an empty input keeps ``columns`` (or 0) columns."""
    pts = np.asarray(points, dtype=float)
    if pts.size == 0:
        return pts.reshape(
            0, columns if columns is not None else (pts.shape[-1] if pts.ndim == 2 else 0)
        )
    if pts.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of points (one row per point, one column per "
            f"objective), got shape {pts.shape}"
        )
    if columns is not None and pts.shape[1] != columns:
        raise ValueError(f"{name} has {pts.shape[1]} objectives per point; expected {columns}")
    return pts


def non_dominated_sort(points: Points) -> list[np.ndarray]:
    """Fronts of row indices, best first, every objective minimised (Deb's non-dominated sort).

    A point is dominated when another is no worse in every objective and better in one, so
    duplicates share a front. Indices within a front are ascending.

    Example:
        >>> [f.tolist() for f in non_dominated_sort([[1, 4], [3, 3], [2, 2], [2, 2], [5, 5]])]
        [[0, 2, 3], [1], [4]]
    """
    pts = _as_points(points, "points")
    if len(pts) == 0:
        return []
    ranks = moocore.pareto_rank(pts)
    return [np.flatnonzero(ranks == r) for r in np.unique(ranks)]


def pareto_front(points: Points) -> np.ndarray:
    """The non-dominated rows of ``points`` (every objective minimised), unique and sorted.

    Example:
        >>> pareto_front([[2, 2], [1, 4], [2, 2], [3, 3]]).tolist()
        [[1.0, 4.0], [2.0, 2.0]]
    """
    pts = _as_points(points, "points")
    if len(pts) == 0:
        return pts
    return np.unique(pts[moocore.is_nondominated(pts)], axis=0)


def crowding_distance(points: Points) -> np.ndarray:
    """NSGA-II crowding distance of the points of one front: per point, the sum over objectives
    of the gap between its two neighbours in that objective, as a share of the objective's span.
    Boundary points (and every point of a front of two or fewer) are infinitely far.

    Example:
        >>> crowding_distance([[0, 4], [1, 2], [2, 1], [4, 0]]).tolist()
        [inf, 1.25, 1.25, inf]
    """
    pts = _as_points(points, "points")
    n, m = pts.shape
    if n <= 2:
        return np.full(n, np.inf)
    dist = np.zeros(n)
    for k in range(m):
        order = np.argsort(pts[:, k], kind="stable")
        span = pts[order[-1], k] - pts[order[0], k]
        dist[order[0]] = dist[order[-1]] = np.inf
        if span > 0:
            dist[order[1:-1]] += (pts[order[2:], k] - pts[order[:-2], k]) / span
    return dist


def hypervolume(points: Points, reference: Sequence[float] | np.ndarray) -> float:
    """Exact volume dominated by ``points`` (minimised) and bounded by ``reference``, in any dimension.

    Points that do not strictly dominate ``reference`` add nothing. Cost grows quickly with
    the number of objectives (O(n log n) in 2-D/3-D, O(n^2) in 4-D; see moocore's notes).

    Example:
        >>> hypervolume([[1, 1, 1, 1]], reference=[2, 3, 2, 2])
        2.0
    """
    ref = np.asarray(reference, dtype=float).reshape(-1)
    if ref.size == 0:
        raise ValueError("reference must name one bound per objective, got an empty reference")
    pts = _as_points(points, "points", columns=ref.size)
    if len(pts) == 0:
        return 0.0
    return float(moocore.hypervolume(pts, ref=ref))


def _fronts(
    reference_front: Points, approx_front: Points, who: str
) -> tuple[np.ndarray, np.ndarray]:
    ref = _as_points(reference_front, "reference_front")
    approx = _as_points(approx_front, "approx_front", columns=ref.shape[1])
    if len(ref) == 0 or len(approx) == 0:
        raise ValueError(
            f"{who} needs non-empty reference and approximate fronts "
            f"(got {len(ref)} and {len(approx)} points)"
        )
    return ref, approx


def adrs_relative(reference_front: Points, approx_front: Points) -> float:
    """ADRS, relative worst-case form (Palermo et al., ReSPIR; the HLS-DSE literature): 0 is perfect.

    For each reference point ``g`` take the best approximating point ``a`` under
    ``d(g, a) = max_j max(0, (a_j - g_j) / |g_j|)`` (``|g_j|`` replaced by 1 where ``g_j`` is
    0), then average over the reference front. Scale-free per objective, but undefined for
    objectives whose values cross zero. This was ``archgym.objective.adrs``.

    Example:
        >>> adrs_relative([[1, 1], [2, 4]], [[2, 1], [2, 4]])  # (max(1/1, 0) + 0) / 2
        0.5
    """
    ref, approx = _fronts(reference_front, approx_front, "adrs_relative")
    denom = np.where(ref == 0, 1.0, np.abs(ref))
    # One reference point at a time keeps memory at O(len(approx) * m).
    worst = [
        np.maximum(0.0, (approx - g) / d).max(1).min() for g, d in zip(ref, denom, strict=True)
    ]
    return float(np.mean(worst))


def adrs_contest(
    reference_front: Points,
    approx_front: Points,
    bounds: tuple[Sequence[float], Sequence[float]] | None = None,
) -> float:
    """ADRS, normalised Euclidean form of the microarchitecture-DSE literature: 0 is perfect.

    ``ADRS(G, A) = mean over g in G of min over a in A of ||g - a||``, with every objective
    first mapped to ``(x - lower) / (upper - lower)``; ``A`` is the non-dominated part of
    ``approx_front`` (dominated found points are dropped, as the literature scores the found
    Pareto set). This is the form of BOOM-Explorer (Bai et al., ICCAD 2021), whose RISC-V BOOM
    space became the ICCAD 2022 CAD contest's problem C, and of the DSE work compared on that
    contest's data. (The contest itself ranked entries by Pareto hypervolume and run time; see
    :func:`hypervolume`.) Unlike :func:`adrs_relative` it is defined for objectives that cross
    zero, and a found point better than the reference also counts as distance.

    ``bounds=(lower, upper)`` gives the normalisation per objective; use the range of every
    design (e.g. a table's rows) to compare runs. By default it is the reference front's own
    minimum and maximum, so 1 is the span of the reference front.

    Example:
        >>> # normalised: reference (0, 1), (1, 0); found (0, 1) -> distances 0 and sqrt(2)
        >>> adrs_contest([[1, 4], [4, 1]], [[1, 4]])
        0.7071067811865476
        >>> adrs_contest([[1, 4], [4, 1]], [[1, 4], [4, 4]])  # (4, 4) is dominated: dropped
        0.7071067811865476
    """
    ref, approx = _fronts(reference_front, approx_front, "adrs_contest")
    if bounds is None:
        lower, upper = ref.min(0), ref.max(0)
        source = "the reference front's range"
    else:
        lower, upper = (np.asarray(b, dtype=float).reshape(-1) for b in bounds)
        if lower.size != ref.shape[1] or upper.size != ref.shape[1]:
            raise ValueError(
                f"bounds must be (lower, upper) with {ref.shape[1]} values each, "
                f"got {lower.size} and {upper.size}"
            )
        source = "bounds"
    span = upper - lower
    if not np.all(span > 0):
        flat = np.flatnonzero(~(span > 0)).tolist()
        raise ValueError(
            f"adrs_contest cannot normalise objectives {flat}: {source} gives them no positive "
            "span (upper > lower); pass bounds=(lower, upper) covering every objective"
        )
    found = pareto_front(approx)
    distances, _ = KDTree((found - lower) / span).query((ref - lower) / span)
    return float(np.mean(distances))


def iqm(x: Sequence[float] | np.ndarray, axis: int | None = None) -> float | np.ndarray:
    """Interquartile mean: the mean of the middle 50% (25% cut from each end), as rliable defines it.

    Example:
        >>> iqm([1, 2, 3, 4, 5, 6, 7, 100])
        4.5
    """
    out = scipy.stats.trim_mean(np.asarray(x, dtype=float), 0.25, axis=axis)
    return float(out) if np.ndim(out) == 0 else out


class ConfidenceInterval(NamedTuple):
    estimate: float
    low: float
    high: float


def bootstrap_ci(
    samples: Sequence[float] | np.ndarray,
    statistic: Callable[..., float | np.ndarray] = np.mean,
    *,
    confidence: float = 0.95,
    seed: int | None = 0,
    n_resamples: int = 2000,
    method: Literal["percentile", "basic", "BCa"] = "percentile",
) -> ConfidenceInterval:
    """``statistic`` of ``samples`` with a bootstrap confidence interval (:func:`scipy.stats.bootstrap`).

    ``statistic`` takes an array and an ``axis`` keyword (as ``np.mean``, ``np.median`` and
    :func:`iqm` do). The percentile method is the default, as in rliable: unlike BCa it stays
    defined when every run scored the same (common once agents find the optimum). Seeded, so
    the same samples give the same interval.

    Example:
        >>> ci = bootstrap_ci([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0], statistic=iqm, seed=0)
        >>> round(ci.estimate, 3), ci.low <= ci.estimate <= ci.high
        (3.5, True)
    """
    data = np.asarray(samples, dtype=float).reshape(-1)
    if data.size < 2:
        raise ValueError(f"bootstrap_ci needs at least 2 samples, got {data.size}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence}")
    estimate = float(statistic(data, axis=-1))
    if np.all(
        data == data[0]
    ):  # every resample is the same; scipy would warn and, for BCa, give NaN
        return ConfidenceInterval(estimate, estimate, estimate)
    res = scipy.stats.bootstrap(
        (data,),
        statistic,
        confidence_level=confidence,
        n_resamples=n_resamples,
        method=method,
        vectorized=True,
        rng=np.random.default_rng(seed),
    )
    return ConfidenceInterval(
        estimate, float(res.confidence_interval.low), float(res.confidence_interval.high)
    )


def stratified_bootstrap_ci(
    groups: Sequence[Sequence[float] | np.ndarray],
    statistic: Callable[..., float | np.ndarray] = iqm,
    *,
    confidence: float = 0.95,
    seed: int | None = 0,
    n_resamples: int = 2000,
) -> ConfidenceInterval:
    """``statistic`` of all ``groups`` pooled, with a stratified-bootstrap percentile interval.

    Each group (one task's runs) is resampled with replacement on its own, so every resample
    keeps each task's number of runs, as in rliable (Agarwal et al., 2021). Resampling the groups
    independently is :func:`scipy.stats.bootstrap` with one sample per group (``paired=False``).

    Example:
        >>> ci = stratified_bootstrap_ci([[0.1, 0.2, 0.3], [0.5, 0.6, 0.7]], seed=0)
        >>> round(ci.estimate, 3), ci.low <= ci.estimate <= ci.high
        (0.4, True)
    """
    data = [np.asarray(g, dtype=float).reshape(-1) for g in groups]
    if not data or any(g.size < 1 for g in data):
        raise ValueError("stratified_bootstrap_ci needs at least one group, each with a sample")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence}")
    pooled = np.concatenate(data)
    estimate = float(statistic(pooled, axis=-1))
    varying = [g for g in data if g.size > 1 and not np.all(g == g[0])]
    if not varying:  # no group can change under resampling: the interval is the point
        return ConfidenceInterval(estimate, estimate, estimate)
    fixed = [g for g in data if not (g.size > 1 and not np.all(g == g[0]))]
    constant = np.concatenate(fixed) if fixed else np.empty(0)

    def pooled_statistic(*samples: np.ndarray, axis: int = -1) -> float | np.ndarray:
        shape = samples[0].shape[:-1]
        parts = [*samples, np.broadcast_to(constant, (*shape, constant.size))]
        return statistic(np.concatenate(parts, axis=-1), axis=-1)

    res = scipy.stats.bootstrap(
        tuple(varying),
        pooled_statistic,
        confidence_level=confidence,
        n_resamples=n_resamples,
        method="percentile",
        vectorized=True,
        paired=False,
        rng=np.random.default_rng(seed),
    )
    return ConfidenceInterval(
        estimate, float(res.confidence_interval.low), float(res.confidence_interval.high)
    )
