"""Datasets for proxy models: features and per-metric targets from the results store.

Rows are unique designs (repeats of a design are averaged), so any split of rows is a split
by design: no design lands in two splits. Only answers that came from the real simulator are
used; proxy answers and runs of proxy-backed envs are left out, so a proxy never learns
from another proxy.

Example:
    >>> import archgym
    >>> from archgym.agents import RandomSearch
    >>> store = archgym.Store(":memory:")
    >>> _ = archgym.run(RandomSearch(), "archgym/Synthetic-v0", budget=30, seed=0, store=store)
    >>> data = from_store(store, "archgym/Synthetic-v0")
    >>> len(data), data.metric_names
    (30, ['cost_au', 'area_au'])
    >>> train, val, test = data.split((0.6, 0.2, 0.2), seed=0)
    >>> len(train) + len(val) + len(test)
    30
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from archgym.proxy_models.physics import derived_features, with_derived
from archgym.simulator import Metric, Simulator
from archgym.space import Design, DesignSpace
from archgym.store import Store

Transform = Literal["identity", "log"]

#: A positive metric whose max/min ratio exceeds this, or whose skewness exceeds SKEW, is
#: modelled in log space: errors then scale with the value, as relative accuracy matters.
LOG_RATIO = 10.0
SKEW = 1.0


class ProxyDataError(ValueError):
    """The store holds no usable data for the request, or a request names something unknown."""


def choose_transform(values: np.ndarray) -> Transform:
    """``"log"`` for a positive, skewed metric, else ``"identity"``.

    >>> choose_transform(np.array([1.0, 2.0, 4.0, 1000.0]))
    'log'
    >>> choose_transform(np.array([-1.0, 0.0, 1.0]))
    'identity'
    """
    v = np.asarray(values, dtype=float)
    if v.size < 2 or not np.all(v > 0):
        return "identity"
    if v.max() / v.min() > LOG_RATIO:
        return "log"
    std = v.std()
    skew = float(((v - v.mean()) ** 3).mean() / std**3) if std > 0 else 0.0
    return "log" if skew > SKEW else "identity"


def forward(values: np.ndarray, transform: Transform) -> np.ndarray:
    """Metric values -> model targets."""
    return np.log(values) if transform == "log" else np.asarray(values, dtype=float)


def inverse(targets: np.ndarray, transform: Transform) -> np.ndarray:
    """Model targets -> metric values."""
    return np.exp(targets) if transform == "log" else np.asarray(targets, dtype=float)


@dataclass
class Dataset:
    """Unique designs, their feature matrix, and one column of metric values per metric.

    ``provenance`` says where the data came from (env id, simulator and version, workload,
    run ids); it goes into a saved model's card. ``derived``: features computed from two
    others (see :mod:`~archgym.proxy_models.physics`), appended to the space's features in
    ``X``; ``None`` takes those known for the provenance's simulator.
    """

    space: DesignSpace
    designs: list[Design]
    metrics: tuple[Metric, ...]
    values: dict[str, np.ndarray]
    provenance: dict[str, Any] = field(default_factory=dict)
    derived: list[list[str]] | None = None

    def __post_init__(self) -> None:
        if not self.designs:
            raise ProxyDataError("empty dataset: no designs with simulator answers")
        for name, col in self.values.items():
            if len(col) != len(self.designs):
                raise ProxyDataError(
                    f"metric {name!r} has {len(col)} values for {len(self.designs)} designs"
                )
        if self.derived is None:
            self.derived = derived_features(self.provenance.get("simulator"), self.space)
        self.X = self.features(self.designs)

    def feature_names(self) -> list[str]:
        """Names of the columns of ``X``: the space's features, then the derived ones."""
        return self.space.feature_names() + [d[0] for d in self.derived or []]

    def features(self, designs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """The feature matrix of ``designs``, as ``X`` is built."""
        return with_derived(
            self.space.features(designs), self.space.feature_names(), self.derived or []
        )

    def __len__(self) -> int:
        return len(self.designs)

    @property
    def metric_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def metric(self, name: str) -> Metric:
        for m in self.metrics:
            if m.name == name:
                return m
        raise ProxyDataError(f"unknown metric {name!r}; metrics are {self.metric_names}")

    def y(self, name: str) -> np.ndarray:
        """Values of one metric (raises naming the known metrics)."""
        self.metric(name)
        return self.values[name]

    def subset(self, index: Sequence[int] | np.ndarray) -> Dataset:
        idx = np.asarray(index, dtype=int)
        return Dataset(
            self.space,
            [self.designs[i] for i in idx],
            self.metrics,
            {k: v[idx] for k, v in self.values.items()},
            dict(self.provenance),
            self.derived,
        )

    def hash(self) -> str:
        """SHA-256 of the designs and values, to tie a model to the data it learned from."""
        h = hashlib.sha256()
        h.update(json.dumps(self.designs, sort_keys=True, default=str).encode())
        for name in sorted(self.values):
            h.update(name.encode())
            h.update(np.ascontiguousarray(self.values[name], dtype=np.float64).tobytes())
        return h.hexdigest()

    def split(self, fractions: Sequence[float] = (0.7, 0.15, 0.15), seed: int = 0) -> list[Dataset]:
        """Shuffle the designs and cut them into parts of the given fractions (each at least one design)."""
        if any(f <= 0 for f in fractions) or not np.isclose(sum(fractions), 1.0):
            raise ValueError(
                f"split fractions must be positive and sum to 1, got {list(fractions)}"
            )
        if len(self) < len(fractions):
            raise ProxyDataError(f"{len(self)} designs cannot be split into {len(fractions)} parts")
        order = np.random.default_rng(seed).permutation(len(self))
        cuts = np.round(np.cumsum(fractions)[:-1] * len(self)).astype(int)
        cuts = np.clip(cuts, np.arange(1, len(cuts) + 1), len(self) - np.arange(len(cuts), 0, -1))
        return [self.subset(part) for part in np.split(order, cuts)]

    def kfold(self, k: int = 5, seed: int = 0) -> Iterator[tuple[Dataset, Dataset]]:
        """``k`` (train, validation) pairs; every design is validated exactly once."""
        if k < 2 or k > len(self):
            raise ProxyDataError(f"k-fold needs 2 <= k <= {len(self)} designs, got k={k}")
        order = np.random.default_rng(seed).permutation(len(self))
        for fold in np.array_split(order, k):
            rest = np.setdiff1d(order, fold, assume_unique=True)
            yield self.subset(rest), self.subset(fold)

    def transforms(self) -> dict[str, Transform]:
        return {m: choose_transform(self.values[m]) for m in self.metric_names}


def from_records(
    space: DesignSpace,
    metrics: Sequence[Metric],
    designs: Sequence[Mapping[str, Any]],
    values: Sequence[Mapping[str, float]],
    provenance: Mapping[str, Any] | None = None,
    derived: list[list[str]] | None = None,
) -> Dataset:
    """A dataset from designs and their metric dicts; repeated designs are averaged.
    ``derived``: see :class:`Dataset`.

    >>> from archgym.simulators.synthetic import Synthetic
    >>> sim = Synthetic()
    >>> ds = [sim.design_space().sample(i) for i in range(3)]
    >>> len(from_records(sim.design_space(), sim.metrics, ds + ds[:1], sim.evaluate_batch(ds + ds[:1])))
    3
    """
    names = [m.name for m in metrics]
    sums: dict[tuple[Any, ...], tuple[Design, np.ndarray, int]] = {}
    for d, v in zip(designs, values, strict=True):
        d = space.validate(d)
        missing = [n for n in names if n not in v or v[n] is None or not np.isfinite(v[n])]
        if missing:
            continue  # a failed or partial answer teaches nothing about the missing metric
        key = tuple(d.values())  # validated designs list params in space order
        row = np.array([float(v[n]) for n in names])
        if key in sums:
            _, total, count = sums[key]
            sums[key] = (d, total + row, count + 1)
        else:
            sums[key] = (d, row, 1)
    if not sums:
        raise ProxyDataError(
            f"empty dataset: no design has a finite value for every metric {names}"
        )
    rows = list(sums.values())
    matrix = np.array([total / count for _, total, count in rows]).reshape(len(rows), len(names))
    return Dataset(
        space,
        [d for d, _, _ in rows],
        tuple(metrics),
        {n: matrix[:, j] for j, n in enumerate(names)},
        dict(provenance or {}),
        derived,
    )


def env_simulator(
    env_id: str, env_kwargs: Mapping[str, Any] | None = None
) -> tuple[Simulator, Any]:
    """The simulator and loaded workload an env id builds (with a run's recorded env kwargs)."""
    from archgym.registry import spec

    kwargs = dict(env_kwargs or {})
    s = spec(env_id)
    sim = s.make_simulator(**dict(kwargs.get("simulator_kwargs") or {}))
    workload = kwargs.get("workload", s.workload)
    return sim, sim.load_workload(s.workload if workload is None else workload)


def from_store(
    store: Store,
    env_id: str,
    *,
    agents: Sequence[str] | None = None,
    run_ids: Sequence[int] | None = None,
    metrics: Sequence[str] | None = None,
) -> Dataset:
    """Every simulator-answered design of ``env_id`` in ``store`` (optionally some agents or runs).

    Runs must share one simulator version and workload, else the error lists them so the
    caller can pick runs. ``metrics`` restricts the targets (unknown names are refused).
    """
    runs = store.runs()
    if runs.empty or env_id not in set(runs["env_id"]):
        known = sorted(set(runs["env_id"])) if not runs.empty else []
        raise ProxyDataError(
            f"store {store!r} has no runs of env {env_id!r}; it has runs of {known}"
        )
    runs = runs[runs["env_id"] == env_id]
    if agents is not None:
        runs = runs[runs["agent"].isin(list(agents))]
    if run_ids is not None:
        runs = runs[runs["id"].isin(list(run_ids))]
    # Runs of a proxy-backed env answered from a model, not the simulator.
    cost_models = runs["env_kwargs"].map(
        lambda t: json.loads(t or "{}").get("cost_model", "simulator")
    )
    runs = runs[(cost_models != "proxy") & ~runs["simulator"].fillna("").str.startswith("proxy:")]
    if runs.empty:
        raise ProxyDataError(
            f"empty dataset: no simulator-backed runs of {env_id!r} match agents={agents}, "
            f"run_ids={run_ids}"
        )
    groups = runs.groupby([runs["simulator_version"].fillna(""), runs["workload"].fillna("")])
    if len(groups) > 1:
        listing = "; ".join(
            f"simulator_version={v!r} workload={w!r}: runs {sorted(g['id'])}"
            for (v, w), g in groups
        )
        raise ProxyDataError(
            f"runs of {env_id!r} mix simulator versions or workloads ({listing}); "
            "pass run_ids= of one group"
        )
    first = {
        k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in runs.iloc[0].items()
    }
    sim, workload = env_simulator(env_id, json.loads(first["env_kwargs"] or "{}"))
    if first["simulator_version"] not in (None, sim.version):
        raise ProxyDataError(
            f"runs of {env_id!r} were made with simulator {first['simulator']!r} version "
            f"{first['simulator_version']!r} but the installed one is version {sim.version!r}"
        )
    chosen = list(sim.metrics)
    if metrics is not None:
        known = {m.name: m for m in sim.metrics}
        unknown = [m for m in metrics if m not in known]
        if unknown:
            raise ProxyDataError(f"unknown metric {unknown[0]!r}; {env_id} reports {list(known)}")
        chosen = [known[m] for m in metrics]
    ids = [int(i) for i in runs["id"]]
    designs, values = [], []
    for run_id in ids:
        for row in store.evaluations(run_id):
            if row["source"] == "simulator" and row["error"] is None and row["metrics"] is not None:
                designs.append(row["design"])
                values.append(row["metrics"])
    space = sim.design_space(workload)
    provenance = {
        "env_id": env_id,
        "env_version": int(first["env_version"] or 0),
        "simulator": sim.name,
        "simulator_version": sim.version,
        "workload": sim.workload_id(workload),
        "env_kwargs": json.loads(first["env_kwargs"] or "{}"),
        "run_ids": ids,
    }
    try:
        return from_records(space, chosen, designs, values, provenance)
    except ProxyDataError as err:
        raise ProxyDataError(f"{err} (env {env_id!r}, runs {ids})") from None
