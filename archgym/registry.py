"""Registries of simulators and environments, and ``archgym.make``.

Example:
    >>> import archgym
    >>> env = archgym.make("archgym/Synthetic-v0")
    >>> env.space.size > 1000
    True

Third-party packages register environments through the entry-point group ``archgym.envs``:
each entry point names a callable that, when called with no arguments, calls
:func:`register_env` (or returns an :class:`EnvSpec` or a list of them).
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import inspect
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, overload

import gymnasium

from archgym.objective import Objective
from archgym.simulator import Metric, Simulator

if TYPE_CHECKING:
    from archgym.env import DesignEnv

SimulatorSource = Simulator | type[Simulator] | Callable[..., Simulator] | str
ObjectiveSource = Objective | Mapping[str, Any] | Callable[[Simulator, Any], Objective] | None

ENTRY_POINT_GROUP = "archgym.envs"


@dataclass
class EnvSpec:
    """How to build one environment id: a simulator, its default workload and objective, and env defaults."""

    id: str
    simulator: SimulatorSource
    workload: Any = None
    objective: ObjectiveSource = None
    description: str = ""
    simulator_kwargs: dict[str, Any] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> int:
        tail = self.id.rsplit("-v", 1)
        return int(tail[1]) if len(tail) == 2 and tail[1].isdigit() else 0

    def make_simulator(self, **overrides: Any) -> Simulator:
        source = _registered(self.simulator)
        if isinstance(
            source, Simulator
        ):  # an instance (a loaded table, a wrapped binary) is shared
            if self.simulator_kwargs or overrides:
                raise TypeError(
                    f"env {self.id!r}: simulator_kwargs need a simulator class or factory; "
                    f"this env was registered with an instance of {type(source).__name__}"
                )
            return source
        factory = _resolve(source)
        sim = factory(**{**self.simulator_kwargs, **overrides})
        if not isinstance(sim, Simulator):
            raise TypeError(
                f"env {self.id!r}: simulator factory returned {type(sim).__name__}, not a Simulator"
            )
        return sim


_ENVS: dict[str, EnvSpec] = {}
_SIMULATORS: dict[str, SimulatorSource] = {}
_entry_points_loaded = False


class UnknownEnvError(KeyError):
    def __str__(self) -> str:  # KeyError quotes its message; we want it readable
        return str(self.args[0])


def _registered(source: SimulatorSource) -> SimulatorSource:
    """What a registered simulator name stands for (names may name names); anything else as it is."""
    while isinstance(source, str) and source in _SIMULATORS:
        source = _SIMULATORS[source]
    return source


def _resolve(source: str | type[Simulator] | Callable[..., Simulator]) -> Callable[..., Simulator]:
    if isinstance(source, str):
        module, _, attr = source.partition(":")
        if not attr:
            raise ValueError(
                f"simulator {source!r} is neither a registered simulator name ({sorted(_SIMULATORS)}) "
                "nor an entry point 'package.module:Class'"
            )
        return getattr(importlib.import_module(module), attr)
    return source


def _check_simulator(owner: str, source: SimulatorSource) -> None:
    """Refuse at registration what would only fail later inside ``make``: a source that is not a
    simulator, an abstract class, or ``metrics`` that are not :class:`~archgym.simulator.Metric` objects."""
    if isinstance(source, str):
        return  # a name or "module:Class", resolved on first make
    if isinstance(source, type) and not issubclass(source, Simulator):
        raise TypeError(
            f"{owner}: {source.__name__} is not a subclass of archgym.Simulator; "
            "give a Simulator class, instance, factory or 'module:Class'"
        )
    if not isinstance(source, Simulator | type) and not callable(source):
        raise TypeError(
            f"{owner}: simulator must be a Simulator class, instance, factory or 'module:Class', "
            f"got {type(source).__name__}"
        )
    if isinstance(source, type) and inspect.isabstract(source):
        missing = ", ".join(sorted(getattr(source, "__abstractmethods__", ())))
        raise TypeError(f"{owner}: {source.__name__} does not implement {missing}")
    metrics = getattr(source, "metrics", ())
    if isinstance(source, Simulator | type) and (
        not isinstance(metrics, list | tuple) or not all(isinstance(m, Metric) for m in metrics)
    ):
        name = source.__name__ if isinstance(source, type) else type(source).__name__
        raise TypeError(
            f"{owner}: {name}.metrics must be a tuple of archgym.Metric, got {metrics!r}; "
            "e.g. metrics = (Metric('latency_ns', 'ns'), Metric('power_mw', 'mW'))"
        )
    names = [m.name for m in metrics] if isinstance(metrics, list | tuple) else []
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise TypeError(f"{owner}: metric {repeated[0]!r} is declared twice")


def register_simulator(name: str, simulator: SimulatorSource) -> None:
    """Make a simulator class (or factory, or ``"module:Class"``) available by name."""
    _check_simulator(f"simulator {name!r}", simulator)
    _SIMULATORS[name] = simulator


def register_env(
    id: str,
    simulator: SimulatorSource,
    workload: Any = None,
    objective: ObjectiveSource = None,
    *,
    description: str = "",
    simulator_kwargs: Mapping[str, Any] | None = None,
    **defaults: Any,
) -> EnvSpec:
    """Register an environment id with archgym and with Gymnasium.

    ``simulator`` is a :class:`Simulator` class, a factory, ``"module:Class"``, a registered
    simulator name, or an instance (shared by every env made from the id). ``objective`` is an :class:`Objective`, its dict form, or a callable
    ``(simulator, workload) -> Objective`` for workload-dependent targets. ``defaults`` are
    :class:`archgym.env.DesignEnv` keyword arguments (``episode_length``, ``action_encoding``, ...).

    Example:
        >>> register_env("mylab/Square-v0", Square, objective=Minimize("cost_au"))  # doctest: +SKIP

    Registering an id again replaces it, with a warning naming the id.
    """
    if "/" not in id or "-v" not in id:
        raise ValueError(f"env id {id!r} should look like 'namespace/Name-v0'")
    _check_simulator(f"env {id!r}", simulator)
    spec = EnvSpec(
        id,
        simulator,
        workload,
        objective,
        description,
        dict(simulator_kwargs or {}),
        dict(defaults),
    )
    if id in _ENVS:
        warnings.warn(
            f"archgym: overriding environment {id!r}, which was already registered", stacklevel=2
        )
    _ENVS[id] = spec
    import gymnasium

    if id in gymnasium.registry:  # replaced here, so Gymnasium does not warn a second time
        del gymnasium.registry[id]
    # A string entry point and JSON kwargs keep Gymnasium's EnvSpec serialisable (spec.to_json()).
    gymnasium.register(
        id=id, entry_point=f"{__name__}:make_env", kwargs={"env_id": id}, disable_env_checker=True
    )
    return spec


def make_env(env_id: str, **kwargs: Any) -> DesignEnv:
    """Gymnasium's entry point for every archgym id: ``gymnasium.make(id, **kw)`` calls ``make(id, **kw)``."""
    return make(env_id, **kwargs)


def load_entry_points() -> None:
    """Import third-party environments declared under the ``archgym.envs`` entry-point group."""
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            hook = ep.load()
            # Calling the hook runs the plug-in's register_env calls, which may raise too.
            result = hook() if callable(hook) else None
        except Exception as err:  # a broken plug-in must not break archgym
            warnings.warn(
                f"archgym: entry point {ep.name!r} ({ep.value}) failed to load: "
                f"{type(err).__name__}: {err}",
                stacklevel=2,
            )
            continue
        for spec in result if isinstance(result, list | tuple) else [result]:
            # a hook may both call register_env and return what it registered
            if isinstance(spec, EnvSpec) and _ENVS.get(spec.id) is not spec:
                register_env(
                    spec.id,
                    spec.simulator,
                    spec.workload,
                    spec.objective,
                    description=spec.description,
                    simulator_kwargs=spec.simulator_kwargs,
                    **spec.defaults,
                )


def spec(env_id: str) -> EnvSpec:
    """The registered :class:`EnvSpec` of an id; an unknown id's error suggests the closest ones.

    Gymnasium's ``"module:Namespace/Name-v0"`` form imports ``module`` first, so an env that a
    module registers is usable by that one string (``archgym.make("mylab.envs:mylab/Sq-v0")``).

    Example:
        >>> spec("archgym/DRAM-v0").id
        'archgym/DRAM-v0'
        >>> spec("archgym/Dram-v0")
        Traceback (most recent call last):
        ...
        archgym.registry.UnknownEnvError: no environment 'archgym/Dram-v0'; did you mean 'archgym/DRAM-v0'? ...
    """
    load_entry_points()
    if ":" in env_id:  # Gymnasium's "module:Env-v0": import the module that registers the id
        module, _, env_id = env_id.partition(":")
        try:
            importlib.import_module(module)
        except ImportError as err:
            raise UnknownEnvError(
                f"env id '{module}:{env_id}': cannot import module {module!r} ({err})"
            ) from None
    try:
        return _ENVS[env_id]
    except KeyError:
        close = _close_ids(env_id)
        hint = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
        raise UnknownEnvError(
            f"no environment {env_id!r}; {hint}registered ids are {sorted(_ENVS)}"
        ) from None


def _close_ids(env_id: str) -> list[str]:
    # Ignoring case and allowing the bare name: every id shares the namespace, which would
    # otherwise make unrelated ids look close.
    by_key: dict[str, str] = {}
    for known in sorted(_ENVS):
        by_key.setdefault(known.lower(), known)
        by_key.setdefault(known.rsplit("/", 1)[-1].lower(), known)
    matches = difflib.get_close_matches(env_id.lower(), by_key, n=3, cutoff=0.8)
    return list(dict.fromkeys(by_key[match] for match in matches))


def list_envs() -> list[str]:
    """Registered environment ids, built-in and from entry points."""
    load_entry_points()
    return sorted(_ENVS)


@overload
def make(
    env_id: str, *, action_encoding: Literal["multidiscrete"] = ..., **kwargs: Any
) -> DesignEnv: ...


@overload
def make(env_id: str, *, action_encoding: str, **kwargs: Any) -> gymnasium.Env: ...


def make(
    env_id: str, *, action_encoding: str = "multidiscrete", **kwargs: Any
) -> DesignEnv | gymnasium.Env:
    """Build the :class:`~archgym.env.DesignEnv` for an id.

    Keyword arguments override the registered defaults: ``workload``, ``objective``,
    ``simulator_kwargs``, ``store``, ``budget``, ``cost_model`` ("simulator", "proxy" or
    "hybrid"), ``proxy`` (a path or model), ``episode_length``, and ``action_encoding``
    (``"multidiscrete"``, the env itself, or a wrapper from :mod:`archgym.wrappers`: ``"box"``,
    ``"discrete"``, ``"edit"``).
    """
    from archgym.env import DesignEnv
    from archgym.wrappers import encode

    the_spec = spec(env_id)
    legal = _make_keywords()
    unknown = [k for k in kwargs if k not in legal]
    if unknown:  # else a TypeError from deep inside DesignEnv.__init__
        raise TypeError(
            f"archgym.make({env_id!r}) got an unknown keyword {unknown[0]!r}; legal keywords are "
            f"{', '.join(sorted(legal))} (a simulator's own options go in simulator_kwargs)"
        )
    return encode(DesignEnv.from_spec(the_spec, **kwargs), action_encoding)


def _make_keywords() -> set[str]:
    from archgym.env import DesignEnv

    names = set(inspect.signature(DesignEnv.from_spec).parameters)
    names |= set(inspect.signature(DesignEnv.__init__).parameters)
    return names - {
        "self",
        "cls",
        "spec",
        "simulator",
        "env_id",
        "env_version",
        "env_kwargs",
        "kwargs",
    }
