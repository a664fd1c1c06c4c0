"""Named checks for a :class:`~archgym.Simulator`; :func:`check_simulator` runs them all.

Example:
    >>> from archgym.simulators.synthetic import Synthetic
    >>> from archgym.testing.simulator import check_deterministic, check_simulator
    >>> check_deterministic(Synthetic(), samples=4)
    >>> check_simulator(Synthetic())
"""

from __future__ import annotations

import math
import numbers
from typing import Any, NamedTuple

import numpy as np

from archgym.simulator import EvaluationError, Metric, Simulator
from archgym.space import Design, DesignSpace
from archgym.testing._base import Check, fail, run_all, shared


class _Sample(NamedTuple):
    loaded: Any
    space: DesignSpace
    designs: list[Design]


def _load(simulator: Simulator, workload: Any) -> Any:
    return shared(("workload",), lambda: simulator.load_workload(workload))


def _sample(simulator: Simulator, workload: Any, samples: int, seed: int) -> _Sample:
    def draw() -> _Sample:
        loaded = _load(simulator, workload)
        space = simulator.design_space(loaded)
        return _Sample(loaded, space, space.sample(np.random.default_rng(seed), samples))

    return shared(("sample",), draw)


def _evaluate(simulator: Simulator, design: Design, workload: Any) -> Any:
    """``simulator.evaluate``, turning an unexpected exception into advice on what to raise instead."""
    try:
        return simulator.evaluate(dict(design), workload)
    except EvaluationError:
        raise
    except Exception as err:
        fail(
            f"{type(simulator).__name__}.evaluate({design}) raised {type(err).__name__}: {err}; a design the "
            "model cannot score must raise archgym.EvaluationError (a run records it as a failed evaluation)"
        )


def _evaluations(simulator: Simulator, sample: _Sample, call: int) -> list[Any]:
    """Each sampled design's result or EvaluationError; ``call`` numbers repeated evaluations."""

    def one(i: int, design: Design) -> Any:
        try:
            return _evaluate(simulator, design, sample.loaded)
        except EvaluationError as err:
            return err

    return [
        shared(("evaluate", i, call), lambda i=i, d=d: one(i, d))
        for i, d in enumerate(sample.designs)
    ]


def _metric_names(simulator: Simulator) -> list[str]:
    return [m.name for m in simulator.metrics]


def check_simulator_metadata(simulator: Simulator) -> None:
    """A Simulator subclass with a name, a version string and uniquely named Metrics."""
    name = type(simulator).__name__
    if not isinstance(simulator, Simulator):
        fail(f"{name} must subclass archgym.Simulator")
    if not simulator.name or not isinstance(simulator.name, str):
        fail(f"{name}.name must be a non-empty string")
    if not isinstance(simulator.version, str):
        fail(f"{name}.version must be a string (bump it when results change; it keys the cache)")
    if not simulator.metrics or not all(isinstance(m, Metric) for m in simulator.metrics):
        fail(f"{name}.metrics must be a non-empty tuple of archgym.Metric")
    names = _metric_names(simulator)
    if len(set(names)) != len(names):
        fail(f"{name}.metrics has duplicate names: {names}")


def check_design_space(simulator: Simulator, workload: Any = None) -> None:
    """The workload loads, ``design_space`` returns a DesignSpace and ``workload_id`` a string."""
    name = type(simulator).__name__
    loaded = _load(simulator, workload)
    space = simulator.design_space(loaded)
    if not isinstance(space, DesignSpace):
        fail(f"{name}.design_space() must return a DesignSpace, got {type(space).__name__}")
    if not isinstance(simulator.workload_id(loaded), str):
        fail(f"{name}.workload_id() must return a string")


def check_metrics_finite(
    simulator: Simulator, workload: Any = None, *, samples: int = 8, seed: int = 0
) -> None:
    """Sampled designs report every metric as a finite number, or raise EvaluationError (not all of them)."""
    name, names = type(simulator).__name__, _metric_names(simulator)
    sample = _sample(simulator, workload, samples, seed)
    errors: list[str] = []
    for d, out in zip(sample.designs, _evaluations(simulator, sample, 0), strict=True):
        if isinstance(out, EvaluationError):
            errors.append(str(out).splitlines()[0])
            continue
        if not isinstance(out, dict):
            fail(f"{name}.evaluate must return a dict of metrics, got {type(out).__name__}")
        for m in names:
            if m not in out:
                fail(f"{name}.evaluate({d}) did not report metric {m!r}; it reported {sorted(out)}")
            if (
                isinstance(out[m], bool)
                or not isinstance(out[m], numbers.Real)
                or not math.isfinite(float(out[m]))
            ):
                fail(
                    f"{name}.evaluate({d}) reported {m}={out[m]!r}; metrics must be finite numbers "
                    "(raise archgym.EvaluationError for a design the model cannot score)"
                )
    if errors and len(errors) == len(sample.designs):
        fail(
            f"{name}: all {len(sample.designs)} sampled designs failed, e.g. {errors[0]!r}; fix the simulator (or, "
            "for a sparse table, pass more samples=)"
        )


def check_deterministic(
    simulator: Simulator, workload: Any = None, *, samples: int = 8, seed: int = 0
) -> None:
    """Evaluating a design twice gives the same metrics (results are cached by design)."""
    name, names = type(simulator).__name__, _metric_names(simulator)
    sample = _sample(simulator, workload, samples, seed)
    first, again = _evaluations(simulator, sample, 0), _evaluations(simulator, sample, 1)
    for d, out, second in zip(sample.designs, first, again, strict=True):
        if isinstance(out, EvaluationError):
            continue
        if isinstance(second, EvaluationError):
            fail(f"{name}.evaluate is not deterministic: {d} gave {out}, then raised {second}")
        if any(float(second[m]) != float(out[m]) for m in names):
            fail(
                f"{name}.evaluate is not deterministic: {d} gave {out} then {second}; seed any randomness "
                "from the design (results are cached by design)"
            )


def check_batch_matches_loop(
    simulator: Simulator, workload: Any = None, *, samples: int = 8, seed: int = 0
) -> None:
    """``evaluate_batch`` returns one result per design, equal to ``evaluate``'s, errors in place."""
    name, names = type(simulator).__name__, _metric_names(simulator)
    sample = _sample(simulator, workload, samples, seed)
    single = _evaluations(simulator, sample, 0)
    batch = simulator.evaluate_batch([dict(d) for d in sample.designs], sample.loaded)
    if len(batch) != len(sample.designs):
        fail(
            f"{name}.evaluate_batch returned {len(batch)} results for {len(sample.designs)} designs"
        )
    for d, one, many in zip(sample.designs, single, batch, strict=True):
        if isinstance(one, EvaluationError):
            if not isinstance(many, EvaluationError):
                fail(
                    f"{name}: evaluate raised EvaluationError on {d} but evaluate_batch returned {many!r}; "
                    "evaluate_batch must put the EvaluationError in that design's place"
                )
            continue
        if isinstance(many, BaseException):
            fail(f"{name}: evaluate_batch failed on {d} where evaluate succeeded: {many}")
        for m in names:
            if not math.isclose(float(many[m]), float(one[m]), rel_tol=1e-9, abs_tol=1e-12):
                fail(
                    f"{name}: evaluate_batch and evaluate disagree on {m} for {d}: {many[m]} vs {one[m]}"
                )


#: In the order :func:`check_simulator` runs them (later checks assume the earlier pass).
CHECKS: tuple[Check, ...] = (
    check_simulator_metadata,
    check_design_space,
    check_metrics_finite,
    check_deterministic,
    check_batch_matches_loop,
)


def checks(simulator: Simulator) -> list[Check]:
    """Every check in this module applies."""
    return list(CHECKS)


def check_simulator(
    simulator: Simulator, workload: Any = None, *, samples: int = 8, seed: int = 0
) -> None:
    """Check a :class:`Simulator`: metadata, a design space, finite deterministic metrics, batch = loop."""
    run_all(
        checks(simulator),
        simulator,
        {"workload": workload, "samples": samples, "seed": seed},
        "simulator",
    )
