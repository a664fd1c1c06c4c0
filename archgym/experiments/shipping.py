"""What a sweep's workers need besides the trial: the store, the sweep's id, and the user's envs.

A process-pool worker is forked from the sweep and inherits every registered env, but a Ray
worker is a fresh interpreter, perhaps on another machine. So each trial carries a
:class:`TrialSetup` whose :class:`EnvRecipe` list says how each user env is registered again
on the worker, chosen from where the env was registered (:attr:`archgym.registry.EnvSpec.origin`):

* in a module (``-m mylab.envs``, ``modules:`` in a spec, or any import): the worker imports it;
* by an installed package's entry point: the worker loads the entry points itself;
* in a script or notebook (``__main__``) as a class or factory plus kwargs: the worker
  registers ``"module:Class"`` with the same kwargs, workload and objective;
* in a script as a simulator *instance* (or a class defined in the script): this cannot be
  rebuilt elsewhere; its recipe carries a refusal saying what to do, which the Ray executor
  raises before it starts Ray (a worker whose own setup registered the env runs it anyway).

Modules that are not installed packages (a directory of your own) travel to Ray workers as
Ray ``py_modules`` (:meth:`TrialSetup.py_modules`).

Example:
    >>> recipes_for(["archgym/Synthetic-v0"], remote=True)  # built in: nothing to ship
    ()
"""

from __future__ import annotations

import importlib
import shutil
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archgym import registry
from archgym._plain import plain
from archgym.objective import Objective
from archgym.simulator import Simulator


class ShippingError(ValueError):
    """A user env cannot be rebuilt on a Ray worker; the message says how to register it instead."""


@dataclass(frozen=True)
class EnvRecipe:
    """How a worker registers one user env again: import ``module``, or register ``simulator``
    (``"module:Class"``) with the given kwargs, workload, objective and env defaults."""

    id: str
    module: str | None = None
    simulator: str | None = None
    simulator_kwargs: dict[str, Any] = field(default_factory=dict)
    workload: Any = None
    objective: Any = None  # an objective's dict form, or "module:function" of a callable
    description: str = ""
    defaults: dict[str, Any] = field(default_factory=dict)
    refusal: str | None = None  # why this env cannot be rebuilt on a Ray worker

    def apply(self) -> None:
        """Register the env in this process unless it already is."""
        registry.load_entry_points()
        if self.id in registry.list_envs():
            return
        if self.refusal is not None:
            raise ShippingError(self.refusal)
        if self.module is not None:
            importlib.import_module(self.module)
            if self.id in registry.list_envs():
                return
            raise registry.UnknownEnvError(
                f"importing {self.module!r} on this worker did not register env {self.id!r}; "
                "register it at the module's top level"
            )
        objective = self.objective
        if isinstance(objective, str):
            objective = _import(objective)
        registry.register_env(
            self.id,
            self.simulator or "",
            self.workload,
            objective,
            description=self.description,
            simulator_kwargs=self.simulator_kwargs,
            **self.defaults,
        )


@dataclass(frozen=True)
class TrialSetup:
    """What every trial of one sweep takes to its worker.

    Example:
        >>> TrialSetup("runs.db").envs
        ()
    """

    store: str
    sweep: str | None = None
    envs: tuple[EnvRecipe, ...] = ()

    def prepare(self) -> None:
        """Register the sweep's user envs in this worker (cheap once done)."""
        for recipe in self.envs:
            recipe.apply()

    def refusals(self) -> list[str]:
        """Why some of the sweep's envs cannot be rebuilt on Ray workers (empty if all can)."""
        return [r.refusal for r in self.envs if r.refusal is not None]

    def py_modules(self) -> list[str]:
        """Local source directories of the modules the recipes import (for Ray's ``py_modules``);
        installed packages are left to each node's own installation."""
        names = {
            name.partition(":")[0]
            for r in self.envs
            for name in (r.module, r.simulator, r.objective)
            if isinstance(name, str) and name
        }
        dirs = {_local_source(name) for name in names}
        return sorted(str(d) for d in dirs if d is not None)


def recipes_for(env_ids: Iterable[str], *, remote: bool) -> tuple[EnvRecipe, ...]:
    """The recipes for the user envs among ``env_ids``; with ``remote`` (Ray), an env that cannot
    travel gets a recipe holding its refusal."""
    out = []
    for env_id in dict.fromkeys(env_ids):
        spec = registry.spec(env_id)
        origin = spec.origin
        if origin is None or origin == "archgym" or origin.startswith("archgym."):
            continue  # built in, or from an entry point: every worker has it
        if origin != "__main__":
            out.append(EnvRecipe(env_id, module=origin))
            continue
        recipe = _from_script(spec)
        if recipe is not None:
            out.append(recipe)
        elif remote:
            out.append(EnvRecipe(env_id, refusal=_refusal(spec)))
    return tuple(out)


def _from_script(spec: registry.EnvSpec) -> EnvRecipe | None:
    """A recipe for an env registered in ``__main__``, or None if its parts cannot be imported."""
    source = registry._registered(spec.simulator)
    if isinstance(source, str):
        simulator = source if ":" in source else None
    elif isinstance(source, Simulator):
        return None
    else:
        simulator = _importable_name(source)
    objective: Any = spec.objective
    if isinstance(objective, Objective):
        objective = objective.to_dict()
    elif callable(objective):
        objective = _importable_name(objective)
        if objective is None:
            return None
    elif isinstance(objective, Mapping):
        objective = dict(objective)
    try:
        workload = plain(spec.workload)
        kwargs = {k: plain(v) for k, v in spec.simulator_kwargs.items()}
        defaults = {k: plain(v) for k, v in spec.defaults.items()}
    except TypeError:
        return None
    if simulator is None:
        return None
    return EnvRecipe(
        spec.id, None, simulator, kwargs, workload, objective, spec.description, defaults
    )


def _importable_name(obj: Any) -> str | None:
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", "")
    if not module or module == "__main__" or "<" in qualname:
        return None
    return f"{module}:{qualname}"


def _refusal(spec: registry.EnvSpec) -> str:
    source = registry._registered(spec.simulator)
    what = (
        f"a simulator instance ({type(source).__name__})"
        if isinstance(source, Simulator)
        else "a simulator, objective or value defined in the script itself"
    )
    return (
        f"env {spec.id!r} was registered in a script or notebook with {what}, which Ray workers "
        "cannot rebuild. Move the register_env call into a module and name it (archgym -m "
        "mylab.envs ..., or `modules: [mylab.envs]` in the spec), or register an importable "
        "class with its arguments: register_env(id, MySimulator, simulator_kwargs={...}). "
        "executor: local works as it is."
    )


def _import(name: str) -> Any:
    module, _, attr = name.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def _local_source(module: str) -> Path | None:
    """The directory to ship so that ``module`` imports on another machine, or None if it is an
    installed package (or archgym itself)."""
    top = module.split(".")[0]
    if top == "archgym":
        return None
    mod = sys.modules.get(top) or importlib.import_module(top)
    paths = list(getattr(mod, "__path__", []))
    source = Path(paths[0]) if paths else Path(mod.__file__ or "")
    if {"site-packages", "dist-packages"} & set(source.parts) or not source.exists():
        return None
    if source.is_dir():
        return source
    # A one-file module ships as a one-file package of the same name (Ray ships directories).
    package = Path(tempfile.mkdtemp(prefix="archgym-ship-")) / top
    package.mkdir()
    shutil.copy(source, package / "__init__.py")
    return package
