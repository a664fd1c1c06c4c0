"""Experiments: compare agents fairly, sweep hyperparameters, and report, on one machine or a Ray cluster.

A :class:`~archgym.experiments.spec.ExperimentSpec` (YAML, or ``archgym compare`` flags) names
environments, agents with hyperparameter grids or random samples, seeds and one budget; every
(env, agent, hyperparameters, seed, budget) trial is keyed in the store, so re-running a spec
skips finished trials and resumes interrupted ones. :func:`run_sweep` runs it with the
``local`` process pool (default), ``ray``, or ``serial``; :func:`analyze` and
:func:`write_report` turn the store into tables, plots and a self-contained HTML page.

Example:
    >>> from archgym.experiments import spec_from_dict, run_sweep, analyze
    >>> spec = spec_from_dict({"budget": 50, "seeds": 3, "store": "runs.db",
    ...                        "envs": ["archgym/Synthetic-v0"], "agents": ["random", "walk"]})
    >>> result = run_sweep(spec, executor="local", workers=2)  # doctest: +SKIP
    >>> analyze(Store("runs.db")).comparison  # doctest: +SKIP

On a Ray cluster: start it (``ray start --head`` on one node, ``ray start --address HEAD:6379``
on the others), put the store on a file system every node shares, and run
``archgym sweep spec.yaml --executor ray --address auto`` on a node of the cluster. Without
``--address`` a local Ray instance is started for the sweep.
"""

from __future__ import annotations

from typing import Any

from archgym.experiments.executors import SweepResult, TrialOutcome, run_sweep, trial_states
from archgym.experiments.spec import ExperimentSpec, SpecError, Trial, load_spec, spec_from_dict

#: Loaded on first use: they import pandas' heavier paths and matplotlib.
_LAZY = {
    "analyze": "archgym.experiments.analysis",
    "Analysis": "archgym.experiments.analysis",
    "write_report": "archgym.experiments.report",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'archgym.experiments' has no attribute {name!r}")


__all__ = [
    "Analysis",
    "ExperimentSpec",
    "SpecError",
    "SweepResult",
    "Trial",
    "TrialOutcome",
    "analyze",
    "load_spec",
    "run_sweep",
    "spec_from_dict",
    "trial_states",
    "write_report",
]
