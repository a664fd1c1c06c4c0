"""Proxy cost models: learn a simulator from the store, answer in its place, know when not to.

Train from a store, save, and use as a drop-in cost model:

    >>> import archgym, tempfile
    >>> from archgym.agents import RandomSearch
    >>> from archgym.proxy_models import ProxyModel, from_store
    >>> store = archgym.Store(":memory:")
    >>> _ = archgym.run(RandomSearch(), "archgym/Synthetic-v0", budget=60, seed=0, store=store)
    >>> path = ProxyModel.fit(from_store(store, "archgym/Synthetic-v0"), "et").save(tempfile.mkdtemp() + "/m")
    >>> env = archgym.make("archgym/Synthetic-v0", cost_model="proxy", proxy=path)
    >>> env.evaluate([env.space.sample(0)])[0].metrics is not None
    True

On the command line: ``archgym proxy train``, ``archgym proxy eval``, ``archgym proxy select``.

A proxy pays where the simulator is slow: :func:`hybrid_search` lets an agent search through
the hybrid (exact answers, confident predictions, the simulator for the rest, refitting as it
goes), and :func:`multi_fidelity_search` screens with a cheap model before the slow one.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from archgym.proxy_models.dataset import Dataset, ProxyDataError, from_records, from_store
from archgym.proxy_models.evaluation import evaluate_model, learning_curve, parity_plot, scores
from archgym.proxy_models.model import IncompatibleModelError, Prediction, ProxyModel
from archgym.proxy_models.regressors import (
    REGRESSORS,
    ProxyModelError,
    Regressor,
    make_regressor,
)
from archgym.proxy_models.search import SearchResult, hybrid_search, multi_fidelity_search
from archgym.proxy_models.selection import SelectionResult, select
from archgym.proxy_models.simulator import DEFAULT_THRESHOLD, HybridProxy, ProxySimulator
from archgym.proxy_models.training import (
    SmallDataWarning,
    fit_and_test,
    load_for_env,
    refit_learning_curve,
    unseen_designs,
)
from archgym.simulator import Simulator


def attach(
    kind: str,
    simulator: Simulator,
    proxy: ProxyModel | HybridProxy | ProxySimulator | str | Path,
    workload: Any = None,
) -> tuple[Simulator, HybridProxy | None]:
    """What ``DesignEnv(cost_model=kind, proxy=...)`` uses as its cost model.

    ``"proxy"``: a :class:`ProxySimulator` in place of ``simulator`` and no proxy.
    ``"hybrid"``: the real ``simulator`` plus a :class:`HybridProxy` (pass a configured one, or
    ``{"path": DIR, "threshold": 0.05, "refit_every": 50}``, to choose its threshold). Either way
    a model made for another simulator, version, workload or feature spec is refused with
    :class:`IncompatibleModelError`.
    """
    if isinstance(proxy, Mapping):  # the JSON form `archgym run --hybrid-threshold` records
        unknown = set(proxy) - {"path", "threshold", "refit_every"}
        if "path" not in proxy or unknown:
            raise ValueError(
                f"proxy={dict(proxy)!r}: give a model directory, or a mapping with 'path' "
                "and optional 'threshold' and 'refit_every'"
            )
        options = {k: v for k, v in proxy.items() if k != "path"}
        proxy = HybridProxy(proxy["path"], **options) if kind == "hybrid" else proxy["path"]
    if kind == "proxy":
        if isinstance(proxy, ProxySimulator):
            proxy.model.check_compatible(simulator, workload)
            return proxy, None
        model = proxy.model if isinstance(proxy, HybridProxy) else proxy
        return ProxySimulator(model, simulator, workload), None
    if kind == "hybrid":
        if isinstance(proxy, ProxySimulator):
            proxy = proxy.model
        hybrid = proxy if isinstance(proxy, HybridProxy) else HybridProxy(proxy)
        hybrid.check_compatible(simulator, workload)
        return simulator, hybrid
    raise ValueError(f"cost_model={kind!r}; a proxy attaches as 'proxy' or 'hybrid'")


def attach_proxy(
    simulator: Simulator,
    proxy: ProxyModel | HybridProxy | ProxySimulator | str | Path,
    workload: Any = None,
) -> tuple[Simulator, HybridProxy | None]:
    """The ``cost_model="proxy"`` factory (registered with :func:`archgym.register_cost_model`)."""
    return attach("proxy", simulator, proxy, workload)


def attach_hybrid(
    simulator: Simulator,
    proxy: ProxyModel | HybridProxy | ProxySimulator | str | Path,
    workload: Any = None,
) -> tuple[Simulator, HybridProxy | None]:
    """The ``cost_model="hybrid"`` factory (registered with :func:`archgym.register_cost_model`)."""
    return attach("hybrid", simulator, proxy, workload)


__all__ = [
    "DEFAULT_THRESHOLD",
    "REGRESSORS",
    "Dataset",
    "HybridProxy",
    "IncompatibleModelError",
    "Prediction",
    "ProxyDataError",
    "ProxyModel",
    "ProxyModelError",
    "ProxySimulator",
    "Regressor",
    "SearchResult",
    "SelectionResult",
    "SmallDataWarning",
    "attach",
    "attach_hybrid",
    "attach_proxy",
    "evaluate_model",
    "fit_and_test",
    "from_records",
    "from_store",
    "hybrid_search",
    "learning_curve",
    "load_for_env",
    "make_regressor",
    "multi_fidelity_search",
    "parity_plot",
    "refit_learning_curve",
    "scores",
    "select",
    "unseen_designs",
]


def __getattr__(name: str) -> Any:
    if name == "check_regressor":  # moved with the other conformance checks
        import warnings

        warnings.warn(
            "archgym.proxy_models.check_regressor moved to archgym.testing.check_regressor; the old "
            "name will be removed in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        from archgym.testing import check_regressor

        return check_regressor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
