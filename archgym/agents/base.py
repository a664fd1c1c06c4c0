"""The ``Agent`` base: declared hyperparameters, seeding, and the ``ask``/``tell`` protocol.

Example:
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Greedy(Agent):
    ...     name = "greedy"
    ...     patience: int = hyperparameter(10, low=1, high=1000)
    >>> Greedy.hyperparameters()["patience"].high
    1000
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from archgym.evaluator import Evaluation
from archgym.objective import Objective
from archgym.space import Design, DesignSpace


@dataclass(frozen=True)
class Hyperparameter:
    """A declared hyperparameter: its default and legal range (numbers) or choices."""

    name: str
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] | None = None
    log: bool = False
    #: What a value means where the name and range do not say (shown by ``archgym agents``).
    help: str = ""

    def check(self, value: Any, owner: str) -> None:
        if self.choices is not None:
            if value not in self.choices:
                raise ValueError(
                    f"{owner}: hyperparameter {self.name!r}={value!r} is not one of {list(self.choices)}"
                )
            return
        if isinstance(self.default, bool):
            if not isinstance(value, bool | np.bool_):
                raise ValueError(
                    f"{owner}: hyperparameter {self.name!r} must be True or False, got {value!r}"
                )
            return
        if isinstance(self.default, int | float):
            if isinstance(value, bool) or not isinstance(
                value, int | float | np.integer | np.floating
            ):
                raise ValueError(
                    f"{owner}: hyperparameter {self.name!r} must be a number, got {value!r}"
                )
            if not math.isfinite(value):  # NaN passes every range comparison
                raise ValueError(
                    f"{owner}: hyperparameter {self.name!r} must be a finite number, got {value!r}"
                )
            if (
                isinstance(self.default, int)
                and not isinstance(self.default, bool)
                and int(value) != value
            ):
                raise ValueError(
                    f"{owner}: hyperparameter {self.name!r} must be an integer, got {value!r}"
                )
            if (self.low is not None and value < self.low) or (
                self.high is not None and value > self.high
            ):
                raise ValueError(
                    f"{owner}: hyperparameter {self.name!r}={value!r} is outside its range [{self.low}, {self.high}]"
                )

    def sample(self, rng: np.random.Generator) -> Any:
        """A random legal value (for random hyperparameter sweeps)."""
        if self.choices is not None:
            return self.choices[int(rng.integers(len(self.choices)))]
        if isinstance(self.default, bool):
            return bool(rng.integers(2))
        if self.low is None or self.high is None:
            return self.default
        if isinstance(self.default, int):
            if self.log:
                return int(round(float(np.exp(rng.uniform(np.log(self.low), np.log(self.high))))))
            return int(rng.integers(int(self.low), int(self.high) + 1))
        if self.log:
            return float(np.exp(rng.uniform(np.log(self.low), np.log(self.high))))
        return float(rng.uniform(self.low, self.high))


def hyperparameter(
    default: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    choices: Sequence[Any] | None = None,
    log: bool = False,
    help: str = "",
) -> Any:
    """Declare a dataclass field as a hyperparameter with a legal range or choices."""
    return dataclasses.field(
        default=default,
        metadata={
            "hyperparameter": dict(
                low=low,
                high=high,
                choices=tuple(choices) if choices is not None else None,
                log=log,
                help=help,
            )
        },
    )


@dataclass
class Agent:
    """A search algorithm. Subclasses are dataclasses whose fields are hyperparameters.

    Black-box agents implement :meth:`ask` and :meth:`tell` (and may override
    :meth:`setup`); :func:`archgym.run` drives them. Agents that drive a Gymnasium env
    themselves (RL) set ``drives_env = True`` and implement :meth:`learn`.
    """

    name: ClassVar[str] = "agent"
    drives_env: ClassVar[bool] = False
    #: How many designs the runner asks for at a time (agents that propose populations raise it).
    batch_size: ClassVar[int] = 1

    def __post_init__(self) -> None:
        for hp in self.hyperparameters().values():
            hp.check(getattr(self, hp.name), type(self).__name__)
        self.space: DesignSpace | None = None
        self.objective: Objective | None = None
        self.rng = np.random.default_rng(0)

    @classmethod
    def hyperparameters(cls) -> dict[str, Hyperparameter]:
        out = {}
        for f in dataclasses.fields(cls):
            meta = f.metadata.get("hyperparameter")
            if meta is not None:
                out[f.name] = Hyperparameter(f.name, f.default, **meta)
        return out

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.hyperparameters()}

    def setup(
        self,
        space: DesignSpace,
        *,
        seed: int | None = None,
        objective: Objective | None = None,
        budget: int | None = None,
    ) -> None:
        """Start a fresh search over ``space``; the same seed gives the same trajectory."""
        self.space = space
        self.objective = objective
        self.budget = budget
        self.rng = np.random.default_rng(seed)

    def ask(self, n: int = 1) -> list[Design]:
        """Propose ``n`` designs."""
        raise NotImplementedError(f"{type(self).__name__} does not implement ask()")

    def tell(self, designs: Sequence[Design], results: Sequence[Evaluation]) -> None:
        """Learn from evaluated designs (a failed one arrives infeasible with ``error`` set)."""

    def learn(self, env: Any, budget: int) -> None:
        """For agents that drive a Gymnasium env: train until ``budget`` simulator calls are used."""
        raise NotImplementedError(f"{type(self).__name__} is an ask/tell agent; use archgym.run")

    def _require_setup(self) -> DesignSpace:
        if self.space is None:
            raise RuntimeError(
                f"{type(self).__name__}.setup(space, seed=...) must be called before ask()"
            )
        return self.space
