"""Which cost model answers an env's designs: the simulator, a proxy in its place, or both.

``"simulator"`` is built in. Other kinds are registered factories: archgym's facade registers
``"proxy"`` and ``"hybrid"`` from :mod:`archgym.proxy_models` as ``"module:function"`` strings,
imported on first use, so the core never imports a subpackage.

Example:
    >>> from archgym.simulators.synthetic import Synthetic
    >>> simulator, proxy = resolve("simulator", Synthetic(), None, None)
    >>> proxy is None
    True
    >>> sorted(cost_models())
    ['hybrid', 'proxy', 'simulator']
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from archgym.evaluator import Proxy
from archgym.simulator import Simulator

#: ``factory(simulator, proxy, workload) -> (cost model in the simulator's place, proxy the evaluator consults)``.
CostModelFactory = Callable[[Simulator, Any, Any], tuple[Simulator, Proxy | None]]

_FACTORIES: dict[str, CostModelFactory | str] = {}


def register_cost_model(kind: str, factory: CostModelFactory | str) -> None:
    """Make ``cost_model=kind`` available to every env; ``factory`` may be ``"module:function"``."""
    _FACTORIES[kind] = factory


def cost_models() -> list[str]:
    """The kinds ``DesignEnv(cost_model=...)`` accepts."""
    return ["simulator", *_FACTORIES]


def resolve(
    kind: str, simulator: Simulator, proxy: Any, workload: Any
) -> tuple[Simulator, Proxy | None]:
    """The simulator an env evaluates with, and the proxy its evaluator consults first (or ``None``)."""
    if kind == "simulator":
        if proxy is not None:
            raise ValueError(
                "proxy= was given but cost_model='simulator'; use cost_model='proxy' or 'hybrid'"
            )
        return simulator, None
    if kind not in _FACTORIES:
        raise ValueError(
            f"cost_model={kind!r}; legal values are {', '.join(map(repr, cost_models()))}"
        )
    if proxy is None:
        raise ValueError(
            f"cost_model={kind!r} needs proxy=PATH (a model saved by `archgym proxy train`)"
        )
    factory = _FACTORIES[kind]
    if isinstance(factory, str):
        module, _, attr = factory.partition(":")
        factory = _FACTORIES[kind] = getattr(importlib.import_module(module), attr)
    return factory(simulator, proxy, workload)
