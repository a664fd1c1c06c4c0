"""What a simulator's mechanism tells a proxy: derived features and monotone constraints.

**Derived features.** Trees split on one feature at a time, so a quantity the hardware acts
on that is a function of two knobs (the requests actually in flight are the smaller of the
scheduler buffer and the transaction limit) takes many splits to learn. Given as a feature
of its own, it is learned from far fewer designs. A derived feature is a JSON-able
``[name, op, a, b]`` over two feature columns (``op``: ``min``, ``max`` or ``diff``); the
model's card records them, so a loaded model computes the same columns.

**Monotone constraints.** A constraint tells a tree ensemble (scikit-learn's
``monotonic_cst``) that, all else equal, a metric never decreases (+1) or never increases
(-1) with a feature. Where the mechanism guarantees it, the constraint removes wiggles a few
hundred designs cannot pin down, and a proxy that ranks designs never reverses a relation
the hardware cannot reverse.

Both are named by feature (see :meth:`~archgym.space.DesignSpace.feature_names`): a
numeric knob's feature is its own name (log2 of the value for powers of two, which keeps the
direction), a categorical choice's one-hot column is ``"Knob=value"``. They are checked
against the simulator itself in ``tests/proxy_models/test_physics.py``.

Example:
    >>> import archgym
    >>> space = archgym.make("archgym/DRAM-v0").space
    >>> derived = derived_features("dram", space)
    >>> derived
    [['InFlight', 'min', 'RequestBufferSize', 'MaxActiveTransactions']]
    >>> names = space.feature_names() + [d[0] for d in derived]
    >>> cst = monotonic_cst("dram", "avg_latency_ns", names)
    >>> cst[names.index("MaxActiveTransactions")], cst[names.index("InFlight")]
    (1, 1)
    >>> monotonic_cst("dram", "row_hit_rate", names) is None  # no constraint the physics gives
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from archgym.space import DesignSpace

# DRAM-v0 (archgym/simulators/dram): the controller replays a trace as fast as it admits
# requests, so the device, not the trace, bounds throughput.
_QUEUEING = {
    # More requests admitted at once (a bigger scheduler buffer, more transactions in flight)
    # only lengthens the queue in front of a device whose throughput is fixed (Little's law):
    # each request waits behind at least as many others, so its latency cannot fall (up to
    # scheduling noise under 1 % once the queue saturates: the admission order shifts).
    "RequestBufferSize": +1,
    "MaxActiveTransactions": +1,
    "InFlight": +1,
}
_REFRESH = {
    # All-bank refresh closes every bank for tRFC each tREFI and adds PREA/REF commands that
    # requests wait behind; with no refresh none of that happens.
    "RefreshPolicy=AllBank": +1,
    "RefreshPolicy=NoRefresh": -1,
}
_REFRESH_DOWN = {f: -s for f, s in _REFRESH.items()}

#: Per simulator name, per metric, ``{feature: +1 or -1}``.
MONOTONE: dict[str, dict[str, dict[str, int]]] = {
    "dram": {
        "avg_latency_ns": {**_QUEUEING, **_REFRESH},
        "avg_read_latency_ns": {**_QUEUEING, **_REFRESH},
        "p99_latency_ns": {**_QUEUEING, **_REFRESH},
        # Refresh time is time the trace is not served: the run can only get longer...
        "total_time_ns": dict(_REFRESH),
        # ... and the same bytes over a longer run mean less bandwidth.
        "bandwidth_gb_per_s": dict(_REFRESH_DOWN),
        # REF commands draw IDD5 current on top of the accesses' energy, and the longer run
        # adds background energy: refresh never saves energy. (Power is energy over time, both
        # of which grow with refresh, so power is left free.)
        "energy_nj": dict(_REFRESH),
    },
}


#: Per simulator name, derived features ``[name, op, a, b]``.
DERIVED: dict[str, list[list[str]]] = {
    "dram": [
        # The arbiter admits a request only while the scheduler buffer has room and fewer than
        # MaxActiveTransactions are in flight: the queue the device sees is the smaller of the
        # two (log2 values, so min of logs is log of the min). Latency, time and energy follow
        # it rather than either knob alone; on 3,000 designs it cut the extra trees' and the
        # gradient boosting's RMSE on total time, energy and power by 10-40 %.
        ["InFlight", "min", "RequestBufferSize", "MaxActiveTransactions"],
    ],
}

_OPS = {"min": np.minimum, "max": np.maximum, "diff": np.subtract}


def derived_features(simulator: str | None, space: DesignSpace) -> list[list[str]]:
    """The derived features known for ``simulator`` whose inputs ``space`` has."""
    names = set(space.feature_names())
    return [list(d) for d in DERIVED.get(simulator or "", []) if d[2] in names and d[3] in names]


def with_derived(
    X: np.ndarray, names: Sequence[str], derived: Sequence[Sequence[str]]
) -> np.ndarray:
    """``X`` (columns ``names``) with one column per derived feature appended."""
    if not derived:
        return X
    index = {n: i for i, n in enumerate(names)}
    extra = []
    for name, op, a, b in derived:
        if op not in _OPS or a not in index or b not in index:
            raise ValueError(
                f"derived feature {name!r}: needs op in {sorted(_OPS)} over features of the "
                f"space, got {op!r} over {a!r}, {b!r}"
            )
        extra.append(_OPS[op](X[:, index[a]], X[:, index[b]]))
    return np.column_stack([X, *extra])


def monotonic_cst(
    simulator: str | None,
    metric: str,
    feature_names: Sequence[str],
    table: Mapping[str, Mapping[str, Mapping[str, int]]] = MONOTONE,
) -> list[int] | None:
    """``monotonic_cst`` for one metric over ``feature_names`` (0 = free), or ``None`` if none apply."""
    known = table.get(simulator or "", {}).get(metric, {})
    cst = [int(known.get(f, 0)) for f in feature_names]
    return cst if any(cst) else None


def constrained_params(
    kind: str, params: Mapping[str, Any], cst: Sequence[int] | None
) -> dict[str, Any]:
    """``params`` of a ``kind`` regressor plus ``monotonic_cst=cst`` where the kind takes one
    (its ``default_params`` name it) and the caller did not set it."""
    from archgym.proxy_models.regressors import REGRESSORS

    out = dict(params)
    if cst is not None and "monotonic_cst" in REGRESSORS[kind].default_params():
        out.setdefault("monotonic_cst", list(cst))
    return out
