"""Conformance checks users run on their own simulators, environments, agents and regressors.

Each family is a list of small named checks (``archgym.testing.simulator``, ``.space``,
``.env``, ``.agent``, ``.regressor``); ``check_simulator`` and friends run a whole family,
:func:`all_checks` yields the named checks one by one, and :func:`parametrize_with_checks`
makes each one its own pytest test, as scikit-learn's functions of the same names do. Every
check raises :class:`ConformanceError` with a message saying what to fix.

Example:
    >>> from archgym.testing import all_checks, check_env
    >>> from archgym.simulators.synthetic import Synthetic
    >>> check_env("archgym/Synthetic-v0")
    >>> [check.func.__name__ for check in all_checks(Synthetic(), samples=4)]  # doctest: +NORMALIZE_WHITESPACE
    ['check_simulator_metadata', 'check_design_space', 'check_metrics_finite', 'check_deterministic',
     'check_batch_matches_loop']
    >>> for check in all_checks(Synthetic(), samples=4):
    ...     check(Synthetic())

In a test file::

    @parametrize_with_checks([MySimulator(), (MySimulator(), {"workload": "big"}), MyAgent])
    def test_conforms(obj, check):
        check(obj)
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from archgym.simulator import Simulator
from archgym.space import DesignSpace
from archgym.testing import agent, env, regressor, simulator, space
from archgym.testing._base import ConformanceError, bind
from archgym.testing.agent import check_agent
from archgym.testing.env import check_env
from archgym.testing.regressor import check_regressor
from archgym.testing.simulator import check_simulator
from archgym.testing.space import check_space

__all__ = [
    "ConformanceError",
    "all_checks",
    "check_agent",
    "check_env",
    "check_regressor",
    "check_simulator",
    "check_space",
    "parametrize_with_checks",
]

_KINDS = (
    "a Simulator, a DesignSpace, an env id or zero-argument env factory, an Agent class or zero-argument "
    "agent factory, or a proxy-model Regressor"
)


def _family(obj: Any) -> tuple[str, Any]:
    """Which family of checks applies to ``obj``: (kind, module)."""
    if isinstance(obj, str):
        return "env", env
    if isinstance(obj, Simulator):
        return "simulator", simulator
    if isinstance(obj, DesignSpace):
        return "space", space
    from archgym.agents.base import Agent
    from archgym.env import DesignEnv

    if isinstance(obj, type) and issubclass(obj, Agent):
        return "agent", agent
    if isinstance(obj, Agent | DesignEnv):
        raise TypeError(
            f"pass a {type(obj).__name__} as its class or a zero-argument factory, not an instance: "
            "the checks build fresh copies"
        )
    if callable(obj):
        built = obj()  # a factory: what it builds says what it is
        if isinstance(built, Agent):
            return "agent", agent
        if isinstance(built, DesignEnv):
            return "env", env
        raise TypeError(
            f"factory {obj!r} built a {type(built).__name__}; the checks apply to {_KINDS}"
        )
    from archgym.proxy_models.regressors import Regressor

    if isinstance(obj, Regressor):
        return "regressor", regressor
    raise TypeError(f"no checks apply to {type(obj).__name__}; they apply to {_KINDS}")


def all_checks(obj: Any, **options: Any) -> Iterator[functools.partial[None]]:
    """Yield the named checks for ``obj`` in order, each called as ``check(obj)``.

    ``options`` go to the checks that take them (``workload``, ``samples``, ``seed`` for a
    simulator; ``seed``, ``steps`` and make kwargs for an env; ``budget``, ``seed`` for an
    agent; ``tmp_dir`` for a regressor); one that no check of the family takes is refused.
    Each check is a :func:`functools.partial`: ``check.func.__name__`` is its name.
    """
    kind, module = _family(obj)
    yield from bind(module.checks(obj), options, kind)


def _label(obj: Any) -> str:
    if isinstance(obj, str):
        return obj
    if isinstance(obj, type) or callable(obj):
        return getattr(obj, "__name__", type(obj).__name__)
    return type(obj).__name__


def parametrize_with_checks(objects: Sequence[Any | tuple[Any, Mapping[str, Any]]]) -> Any:
    """A ``pytest.mark.parametrize`` over ``(obj, check)`` for every named check of every object.

    An entry is an object or ``(object, options)``, the options as for :func:`all_checks`.
    Test ids read ``<object>-<check name>``.
    """
    import pytest

    params, ids = [], []
    for entry in objects:
        obj, options = entry if isinstance(entry, tuple) else (entry, {})
        for check in all_checks(obj, **options):
            params.append((obj, check))
            ids.append(f"{_label(obj)}-{check.func.__name__}")
    return pytest.mark.parametrize(("obj", "check"), params, ids=ids)
