"""Experiment specs: environments x agents x hyperparameters x seeds at one budget.

A spec is YAML (or the same dict built by ``archgym compare``). It is validated before
anything runs: an unknown key, env, agent or hyperparameter is a :class:`SpecError` naming it.

Example:
    >>> spec = spec_from_dict({
    ...     "budget": 20, "seeds": 2, "store": "runs.db",
    ...     "envs": ["archgym/Synthetic-v0"],
    ...     "agents": ["random", {"name": "walk", "grid": {"restart_probability": [0.0, 0.1]}}],
    ... })
    >>> len(spec.trials())  # (1 random config + 2 walk configs) x 2 seeds
    6

The YAML form::

    name: lottery
    store: archgym-runs/lottery.db
    budget: 200
    seeds: 5                      # or a list: [0, 1, 7]
    executor: local               # or ray (address: "auto" or "ray://head:10001")
    workers: 2
    resources_per_trial: {cpu: 1}  # ray: what each trial needs (cpu, gpu, memory in bytes, custom)
    modules: [mylab.envs]         # imported first (here and on every worker): they register envs
    envs:
      - id: archgym/Synthetic-v0
        kwargs: {simulator_kwargs: {n_integers: 4}}
        objective: {type: minimize, metric: cost_au}   # optional override
        target: -1.5                                   # optional success threshold on reward
    agents:
      - random
      - name: walk
        hyperparameters: {restart_probability: 0.05}          # fixed values
        grid: {step_size: [1, 2, 4]}                      # every combination
        samples: 8                                     # random draws from the declared ranges
        sample_seed: 0
"""

from __future__ import annotations

import hashlib
import importlib
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from archgym._plain import plain
from archgym._sql import is_url
from archgym._yaml import describe as describe_yaml
from archgym._yaml import load as load_yaml

EXECUTORS = ("local", "ray", "serial")
#: The most trials one spec may expand to. Each trial is a whole search, so more is almost
#: certainly a typo (``samples: 100000000``) and would hang ``--dry-run`` while expanding it.
MAX_TRIALS = 10_000
SPEC_KEYS = (
    "name",
    "store",
    "budget",
    "seeds",
    "envs",
    "agents",
    "executor",
    "workers",
    "address",
    "resources_per_trial",
    "modules",
)
ENV_KEYS = ("id", "kwargs", "objective", "target")
AGENT_KEYS = ("name", "hyperparameters", "grid", "samples", "sample_seed")


class SpecError(ValueError):
    """An experiment spec is malformed; the message names the offending key or value."""


@dataclass(frozen=True)
class EnvEntry:
    """One environment of a spec: its id, ``archgym.make`` kwargs, objective override and target."""

    id: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    objective: dict[str, Any] | None = None
    target: float | None = None

    def make_kwargs(self) -> dict[str, Any]:
        """The keyword arguments for ``archgym.make`` (the objective override included)."""
        return {
            **self.kwargs,
            **({"objective": self.objective} if self.objective is not None else {}),
        }


@dataclass(frozen=True)
class AgentEntry:
    """One agent of a spec and how its hyperparameter settings are chosen."""

    name: str
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    grid: dict[str, list[Any]] = field(default_factory=dict)
    samples: int = 0
    sample_seed: int = 0

    def configurations(self) -> list[dict[str, Any]]:
        """Every hyperparameter setting this entry asks for, complete with defaults, deduplicated.

        Example:
            >>> AgentEntry("walk", grid={"restart_probability": [0.0, 0.1]}).configurations()[1]["restart_probability"]
            0.1
        """
        from archgym.agents import agent_class, make_agent

        declared = agent_class(self.name).hyperparameters()
        names = list(self.grid)
        combos = [
            dict(zip(names, values, strict=True))
            for values in itertools.product(*self.grid.values())
        ]
        settings: list[dict[str, Any]] = []
        if self.samples:
            # Random search over the declared ranges of everything not fixed or gridded; each grid
            # point gets the same draws so the grid stays a controlled comparison.
            free = [
                h
                for n, h in declared.items()
                if n not in self.hyperparameters and n not in self.grid
            ]
            rng = np.random.default_rng(self.sample_seed)
            draws = [{h.name: plain(h.sample(rng)) for h in free} for _ in range(self.samples)]
            settings = [
                {**self.hyperparameters, **combo, **draw} for combo in combos for draw in draws
            ]
        else:
            settings = [{**self.hyperparameters, **combo} for combo in combos]
        out: dict[str, dict[str, Any]] = {}
        for setting in settings:
            typed = {k: _coerce(declared[k].default, v) for k, v in setting.items()}
            try:
                full = {k: plain(v) for k, v in make_agent(self.name, **typed).get_params().items()}
            except ValueError as err:
                raise SpecError(f"agent {self.name!r}: {err}") from None
            out.setdefault(canonical(full), full)
        return list(out.values())


@dataclass(frozen=True)
class Trial:
    """One (env, agent, hyperparameters, seed, budget) run on one version of the env's simulator;
    :attr:`key` identifies it in the store."""

    env: EnvEntry
    agent: str
    hyperparameters: dict[str, Any]
    seed: int
    budget: int
    #: The simulator's ``version`` (see :func:`simulator_version`): a changed simulator is a new trial.
    simulator_version: str = ""

    @property
    def key(self) -> str:
        """A stable hash of everything that determines the run's result.

        Example:
            >>> Trial(EnvEntry("archgym/Synthetic-v0"), "random", {}, 0, 10).key[:8]
            'e816db93'
        """
        payload = canonical(
            {
                "env": self.env.id,
                "env_kwargs": self.env.make_kwargs(),
                "agent": self.agent,
                "hyperparameters": self.hyperparameters,
                "seed": self.seed,
                "budget": self.budget,
                "simulator_version": self.simulator_version,
            }
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:24]

    @property
    def config(self) -> str:
        """The hyperparameter setting as one short string (for tables)."""
        return canonical(self.hyperparameters)


@dataclass(frozen=True)
class ExperimentSpec:
    """A validated experiment; :meth:`trials` expands it."""

    envs: tuple[EnvEntry, ...]
    agents: tuple[AgentEntry, ...]
    seeds: tuple[int, ...]
    budget: int
    store: Path | str  # a SQLite path, or a postgresql:// URL
    name: str = "experiment"
    executor: str = "local"
    workers: int | None = None
    address: str | None = None
    resources_per_trial: dict[str, float] = field(default_factory=dict)
    modules: tuple[str, ...] = ()

    def trials(self) -> list[Trial]:
        """Every trial, envs outermost and seeds innermost; duplicates (same key) appear once."""
        out: dict[str, Trial] = {}
        for env in self.envs:
            version = simulator_version(env)
            for agent in self.agents:
                for hp in agent.configurations():
                    for seed in self.seeds:
                        trial = Trial(env, agent.name, hp, seed, self.budget, version)
                        out.setdefault(trial.key, trial)
        return list(out.values())

    def targets(self) -> dict[str, float]:
        """Success thresholds on reward, by env id (only envs that set one)."""
        return {e.id: e.target for e in self.envs if e.target is not None}


#: env id, simulator kwargs -> (the registered EnvSpec it was read from, the version)
_VERSIONS: dict[tuple[str, str], tuple[Any, str]] = {}


def simulator_version(env: EnvEntry) -> str:
    """The ``version`` of the simulator ``env`` builds (with its ``simulator_kwargs``).

    It is part of every trial key, so runs made with an older version of a simulator are not
    taken for this one's: a sweep re-runs them. Read once per registration of the env id.

    Example:
        >>> simulator_version(EnvEntry("archgym/Synthetic-v0"))
        '1'
    """
    from archgym.registry import spec as registered

    kwargs = env.kwargs.get("simulator_kwargs") or {}
    if not isinstance(kwargs, Mapping):
        raise SpecError(
            f"env {env.id!r}: kwargs.simulator_kwargs must be a mapping, got {kwargs!r}"
        )
    key = (env.id, canonical(kwargs))
    source = registered(env.id)
    cached = _VERSIONS.get(key)
    if cached is None or cached[0] is not source:
        try:
            cached = (source, str(source.make_simulator(**kwargs).version))
        except Exception as err:  # bad simulator_kwargs: say so before any trial starts
            raise SpecError(f"env {env.id!r}: its simulator cannot be built: {err}") from None
        _VERSIONS[key] = cached
    return cached[1]


def canonical(value: Any) -> str:
    """Sorted, compact JSON: equal settings give equal strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def load_spec(path: str | Path, **overrides: Any) -> ExperimentSpec:
    """Read and validate a YAML spec; ``overrides`` (e.g. ``executor="ray"``) replace top-level keys.

    A relative ``store`` is taken relative to the spec file, so a spec runs the same from anywhere.
    """
    path = Path(path)
    try:
        data = load_yaml(path.read_text())
    except FileNotFoundError:
        raise SpecError(f"spec file {str(path)!r} does not exist") from None
    except yaml.YAMLError as err:
        raise SpecError(
            f"spec file {str(path)!r} is not valid YAML: {describe_yaml(err)}"
        ) from None
    if not isinstance(data, dict):
        raise SpecError(
            f"spec file {str(path)!r} must hold a mapping of keys ({', '.join(SPEC_KEYS)})"
        )
    data = {**data, **{k: v for k, v in overrides.items() if v is not None}}
    if (
        "store" in data
        and overrides.get("store") is None
        and not is_url(str(data["store"]))
        and not Path(str(data["store"])).is_absolute()
    ):
        data["store"] = str(path.parent / str(data["store"]))
    return spec_from_dict(data)


def spec_from_dict(data: Mapping[str, Any]) -> ExperimentSpec:
    """Validate a spec given as a dict (the parsed YAML)."""
    import archgym
    from archgym.agents import agent_class
    from archgym.registry import UnknownEnvError

    _check_keys(data, SPEC_KEYS, "the spec")
    for required in ("envs", "agents", "budget"):
        if required not in data:
            raise SpecError(f"the spec lacks the required key {required!r}")
    modules = _import_modules(data.get("modules", []))  # before the envs: they register envs
    resources = _resources(data.get("resources_per_trial", {}))
    budget = data["budget"]
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise SpecError(
            f"budget must be a positive integer number of simulator evaluations, got {budget!r}"
        )
    seeds = _seeds(data.get("seeds", 1))
    executor = data.get("executor", "local")
    if executor not in EXECUTORS:
        raise SpecError(f"executor {executor!r} is not one of {list(EXECUTORS)}")
    workers = data.get("workers")
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise SpecError(f"workers must be a positive integer, got {workers!r}")
    raw_envs = _list(data["envs"], "envs")
    raw_agents = [
        _agent_entry(raw, f"agents[{i}]") for i, raw in enumerate(_list(data["agents"], "agents"))
    ]
    # Bounded before anything is expanded: each setting costs an agent construction.
    settings = sum(_settings_bound(a) for a in raw_agents)
    planned = len(raw_envs) * settings * len(seeds)
    if planned > MAX_TRIALS:
        raise SpecError(
            f"the spec asks for up to {planned:,} trials ({len(raw_envs)} envs x {settings:,} "
            f"hyperparameter settings x {len(seeds)} seeds), more than the {MAX_TRIALS:,} one spec "
            "may hold; use fewer grid values, samples or seeds, or split it into several specs"
        )

    envs = []
    for i, raw in enumerate(raw_envs):
        entry = _env_entry(raw, f"envs[{i}]")
        try:
            archgym.make(
                entry.id, **entry.make_kwargs()
            )  # fails early on a bad id, workload or objective
        except UnknownEnvError as err:
            raise SpecError(f"envs[{i}]: {err}") from None
        except (
            Exception
        ) as err:  # whatever the env refuses (workload, objective, kwargs) is a spec error
            raise SpecError(f"envs[{i}] ({entry.id}): {type(err).__name__}: {err}") from None
        envs.append(entry)

    agents = []
    for i, entry in enumerate(raw_agents):
        try:
            declared = agent_class(entry.name).hyperparameters()
        except KeyError as err:
            raise SpecError(f"agents[{i}]: {err.args[0]}") from None
        except ImportError as err:  # an optional agent whose library is not installed
            raise SpecError(f"agents[{i}]: agent {entry.name!r} cannot be loaded: {err}") from None
        for where, names in (("hyperparameters", entry.hyperparameters), ("grid", entry.grid)):
            for hp in names:
                if hp not in declared:
                    raise SpecError(
                        f"agents[{i}] ({entry.name}) {where}: unknown hyperparameter {hp!r}; "
                        f"its hyperparameters are {sorted(declared)}"
                    )
        entry.configurations()  # checks every value against its declared range
        agents.append(entry)

    return ExperimentSpec(
        envs=tuple(envs),
        agents=tuple(agents),
        seeds=seeds,
        budget=budget,
        store=_store(data.get("store", Path("archgym-runs") / "archgym.db")),
        name=str(data.get("name", "experiment")),
        executor=executor,
        workers=workers,
        address=data.get("address"),
        resources_per_trial=resources,
        modules=modules,
    )


def _settings_bound(entry: AgentEntry) -> int:
    """How many hyperparameter settings an agent entry expands to, at most (before deduplication)."""
    combos = 1
    for values in entry.grid.values():
        combos *= len(values)
    return combos * max(1, entry.samples)


def _store(value: Any) -> Path | str:
    text = str(value)
    if text.split("://")[0] in ("mysql", "sqlite", "mariadb", "http", "https") and "://" in text:
        raise SpecError(
            f"store {text!r}: give a SQLite file path or a postgresql://user:password@host:5432/db URL"
        )
    return text if is_url(text) else Path(text)


def _import_modules(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(m, str) and m for m in value):
        raise SpecError(f"modules must be a list of module names like mylab.envs, got {value!r}")
    for i, name in enumerate(value):
        try:
            importlib.import_module(name)
        except Exception as err:  # the user's module: any error there is theirs to see
            raise SpecError(
                f"modules[{i}]: cannot import {name!r}: {type(err).__name__}: {err}"
            ) from None
    return tuple(value)


def _resources(value: Any) -> dict[str, float]:
    if not isinstance(value, dict):
        raise SpecError(
            f"resources_per_trial must be a mapping like {{cpu: 1, gpu: 0}}, got {value!r}"
        )
    for key, amount in value.items():
        if (
            not isinstance(key, str)
            or isinstance(amount, bool)
            or not isinstance(amount, int | float)
            or not amount >= 0
        ):
            raise SpecError(
                f"resources_per_trial.{key}: must be a non-negative number (cpu, gpu, memory in "
                f"bytes, or a custom Ray resource), got {amount!r}"
            )
    return {k: float(v) for k, v in value.items()}


def _check_keys(data: Mapping[str, Any], legal: Sequence[str], where: str) -> None:
    for key in data:
        if key not in legal:
            raise SpecError(f"unknown key {key!r} in {where}; legal keys are {list(legal)}")


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise SpecError(f"{where} must be a non-empty list, got {value!r}")
    return value


def _seeds(value: Any) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        if value > MAX_TRIALS:
            raise SpecError(
                f"seeds: {value:,} seeds is more than the {MAX_TRIALS:,} trials a spec may hold"
            )
        return tuple(range(value))
    if (
        isinstance(value, list)
        and value
        and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in value)
    ):
        return tuple(dict.fromkeys(value))
    raise SpecError(
        f"seeds must be a positive count or a non-empty list of non-negative integers, got {value!r}"
    )


def _env_entry(raw: Any, where: str) -> EnvEntry:
    if isinstance(raw, str):
        return EnvEntry(raw)
    if not isinstance(raw, dict):
        raise SpecError(
            f"{where} must be an env id or a mapping with keys {list(ENV_KEYS)}, got {raw!r}"
        )
    _check_keys(raw, ENV_KEYS, where)
    if "id" not in raw:
        raise SpecError(f"{where} lacks the required key 'id'")
    kwargs = raw.get("kwargs") or {}
    if not isinstance(kwargs, dict):
        raise SpecError(f"{where}.kwargs must be a mapping, got {kwargs!r}")
    if "objective" in kwargs:
        raise SpecError(f"{where}: give the objective as {where}.objective, not inside kwargs")
    objective = raw.get("objective")
    if objective is not None and not isinstance(objective, dict):
        raise SpecError(
            f"{where}.objective must be a mapping like {{type: minimize, metric: ...}}, got {objective!r}"
        )
    target = raw.get("target")
    if target is not None and (isinstance(target, bool) or not isinstance(target, int | float)):
        raise SpecError(f"{where}.target must be a number (a reward threshold), got {target!r}")
    return EnvEntry(
        str(raw["id"]), dict(kwargs), objective, None if target is None else float(target)
    )


def _agent_entry(raw: Any, where: str) -> AgentEntry:
    if isinstance(raw, str):
        return AgentEntry(raw)
    if not isinstance(raw, dict):
        raise SpecError(
            f"{where} must be an agent name or a mapping with keys {list(AGENT_KEYS)}, got {raw!r}"
        )
    _check_keys(raw, AGENT_KEYS, where)
    if "name" not in raw:
        raise SpecError(f"{where} lacks the required key 'name'")
    fixed = raw.get("hyperparameters") or {}
    grid = raw.get("grid") or {}
    if not isinstance(fixed, dict):
        raise SpecError(f"{where}.hyperparameters must be a mapping, got {fixed!r}")
    if not isinstance(grid, dict) or not all(isinstance(v, list) and v for v in grid.values()):
        raise SpecError(
            f"{where}.grid must map each hyperparameter to a non-empty list of values, got {grid!r}"
        )
    both = set(fixed) & set(grid)
    if both:
        raise SpecError(
            f"{where}: hyperparameter {sorted(both)[0]!r} is both fixed and in the grid"
        )
    samples, sample_seed = raw.get("samples", 0), raw.get("sample_seed", 0)
    for key, value in (("samples", samples), ("sample_seed", sample_seed)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise SpecError(f"{where}.{key} must be a non-negative integer, got {value!r}")
    return AgentEntry(str(raw["name"]), dict(fixed), dict(grid), samples, sample_seed)


def _coerce(default: Any, value: Any) -> Any:
    # YAML writes 1 for 1.0; a float hyperparameter given as an int must hash like its float.
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value
