"""Design spaces: named parameters with their legal values, and one encoding shared by all agents.

Every agent — random search, a GA, Bayesian optimisation, PPO — sees the same space through
the same index encoding, so no encoding can reach fewer designs than another.

Example:
    >>> from archgym.space import Categorical, DesignSpace, Integer, PowerOfTwo
    >>> space = DesignSpace([Categorical("policy", ["open", "closed"]),
    ...                      PowerOfTwo("buffer", 1, 64), Integer("cores", 1, 4)])
    >>> space.size
    56
    >>> space.decode(space.encode({"policy": "closed", "buffer": 8, "cores": 2}))
    {'policy': 'closed', 'buffer': 8, 'cores': 2}
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from gymnasium.spaces import Box, MultiDiscrete

Design = dict[str, Any]


class InvalidDesignError(ValueError):
    """A design names an unknown parameter, misses one, or gives a value that is not legal."""

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


def _short(values: Sequence[Any], limit: int = 12) -> str:
    if len(values) <= limit:
        return ", ".join(repr(v) for v in values)
    head = ", ".join(repr(v) for v in values[: limit // 2])
    tail = ", ".join(repr(v) for v in values[-2:])
    return f"{head}, ..., {tail} ({len(values)} values)"


class Param:
    """One named knob with a finite, ordered list of legal values.

    Subclasses differ in which values they hold and how a value becomes model features.
    """

    kind: str = "param"
    ordered: bool = True

    def __init__(self, name: str, values: Sequence[Any]) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"parameter name must be a non-empty string, got {name!r}")
        values = tuple(values)
        if not values:
            raise ValueError(f"parameter {name!r} needs at least one legal value")
        if len(set(map(_hashable, values))) != len(values):
            raise ValueError(f"parameter {name!r} has duplicate values: {values!r}")
        self.name = name
        self.values = values
        self._index = {_hashable(v): i for i, v in enumerate(values)}

    @property
    def cardinality(self) -> int:
        return len(self.values)

    def legal(self) -> str:
        """Human-readable list of legal values, for error messages."""
        return _short(self.values)

    def index(self, value: Any) -> int:
        """Index of a legal value; raises :class:`InvalidDesignError` otherwise."""
        return self._index[_hashable(self.validate(value))]

    def validate(self, value: Any) -> Any:
        """Return the canonical form of ``value`` or raise naming the legal values."""
        key = _hashable(value)
        if key in self._index:
            return self.values[self._index[key]]
        raise InvalidDesignError(
            f"parameter {self.name!r}: {value!r} is not legal; legal values are {self.legal()}",
            parameter=self.name,
        )

    def features(self, value: Any) -> list[float]:
        """Numeric features for a proxy model (one column by default)."""
        return [float(value)]

    def feature_names(self) -> list[str]:
        return [self.name]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "values": list(self.values)}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {self.legal()})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.name, self.values))


def _hashable(value: Any) -> Any:
    if type(value) is str or type(value) is int:  # the common case, checked first for speed
        return value
    # numpy scalars compare equal to Python numbers but we want 3 and np.int64(3) to be one key.
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class Categorical(Param):
    """Unordered choices; one-hot features.

    >>> Categorical("scheduler", ["Fifo", "FrFcfs"]).features("FrFcfs")
    [0.0, 1.0]
    """

    kind = "categorical"
    ordered = False

    def features(self, value: Any) -> list[float]:
        out = [0.0] * self.cardinality
        out[self.index(value)] = 1.0
        return out

    def feature_names(self) -> list[str]:
        return [f"{self.name}={v}" for v in self.values]


class Ordinal(Param):
    """Ordered numeric values that need not be evenly spaced (e.g. ``[1, 2, 3, 6, 12]``)."""

    kind = "ordinal"

    def __init__(self, name: str, values: Sequence[float]) -> None:
        values = [v.item() if isinstance(v, np.generic) else v for v in values]
        for v in values:
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise ValueError(f"ordinal parameter {name!r} needs numeric values, got {v!r}")
        super().__init__(name, sorted(values))


class Integer(Param):
    """Integers ``low, low + step, ..., high``.

    >>> Integer("cores", 1, 4).values
    (1, 2, 3, 4)
    """

    kind = "integer"

    def __init__(self, name: str, low: int, high: int, step: int = 1) -> None:
        if int(low) != low or int(high) != high or int(step) != step or step < 1:
            raise ValueError(f"integer parameter {name!r} needs integer low/high and step >= 1")
        if high < low:
            raise ValueError(f"integer parameter {name!r}: high {high} is below low {low}")
        self.low, self.high, self.step = int(low), int(high), int(step)
        super().__init__(name, range(self.low, self.high + 1, self.step))

    def legal(self) -> str:
        step = f" in steps of {self.step}" if self.step != 1 else ""
        return f"integers {self.low}..{self.high}{step}"

    def validate(self, value: Any) -> Any:
        key = _hashable(value)
        if isinstance(key, bool) or not isinstance(key, int):
            raise InvalidDesignError(
                f"parameter {self.name!r}: {value!r} is not an integer; legal values are {self.legal()}",
                parameter=self.name,
            )
        return super().validate(key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "low": self.low,
            "high": self.high,
            "step": self.step,
        }


class PowerOfTwo(Param):
    """Powers of two ``low, 2 low, ..., high``; features are log2 of the value.

    >>> PowerOfTwo("buffer_kb", 8, 64).values
    (8, 16, 32, 64)
    """

    kind = "power_of_two"

    def __init__(self, name: str, low: int, high: int) -> None:
        for bound in (low, high):
            if int(bound) != bound or bound < 1 or (int(bound) & (int(bound) - 1)):
                raise ValueError(
                    f"power-of-two parameter {name!r}: bound {bound!r} is not a power of two"
                )
        if high < low:
            raise ValueError(f"power-of-two parameter {name!r}: high {high} is below low {low}")
        self.low, self.high = int(low), int(high)
        n = int(math.log2(self.high // self.low))
        super().__init__(name, [self.low << i for i in range(n + 1)])

    def legal(self) -> str:
        return f"powers of two {self.low}..{self.high}"

    def features(self, value: Any) -> list[float]:
        return [math.log2(self.validate(value))]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "low": self.low, "high": self.high}


class Real(Param):
    """A continuous range, optionally log-scaled, discretised into ``steps`` grid points.

    Any float inside ``[low, high]`` is legal; the index encoding (used by ``MultiDiscrete``
    and the GA) walks the grid, so encode/decode round-trips grid values exactly and snaps
    other values to the nearest grid point.

    >>> Real("vdd", 0.6, 1.0, steps=5).values
    (0.6, 0.7, 0.8, 0.9, 1.0)
    """

    kind = "real"

    def __init__(
        self, name: str, low: float, high: float, *, log: bool = False, steps: int = 33
    ) -> None:
        if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
            raise ValueError(f"real parameter {name!r} needs finite low < high, got {low}, {high}")
        if log and low <= 0:
            raise ValueError(f"real parameter {name!r}: a log scale needs low > 0, got {low}")
        if steps < 2:
            raise ValueError(f"real parameter {name!r} needs steps >= 2, got {steps}")
        self.low, self.high, self.log, self.steps = float(low), float(high), log, int(steps)
        grid = np.geomspace(low, high, steps) if log else np.linspace(low, high, steps)
        # Rounded for readable values; the ends stay exact so they are legal.
        values = [round(float(v), 12) for v in grid]
        values[0], values[-1] = self.low, self.high
        super().__init__(name, values)

    def legal(self) -> str:
        scale = ", log scale" if self.log else ""
        return f"reals in [{self.low}, {self.high}]{scale}"

    def validate(self, value: Any) -> Any:
        try:
            x = float(value)
        except (TypeError, ValueError):
            x = math.nan
        if isinstance(value, bool) or not (self.low <= x <= self.high):
            raise InvalidDesignError(
                f"parameter {self.name!r}: {value!r} is not legal; legal values are {self.legal()}",
                parameter=self.name,
            )
        return x

    def index(self, value: Any) -> int:
        x = self.validate(value)
        grid = np.log(self.values) if self.log else np.asarray(self.values)
        return int(np.argmin(np.abs(grid - (math.log(x) if self.log else x))))

    def features(self, value: Any) -> list[float]:
        x = self.validate(value)
        return [math.log(x) if self.log else x]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "low": self.low,
            "high": self.high,
            "log": self.log,
            "steps": self.steps,
        }


_PARAM_KINDS: dict[str, Callable[..., Param]] = {
    "categorical": lambda d: Categorical(d["name"], d["values"]),
    "ordinal": lambda d: Ordinal(d["name"], d["values"]),
    "integer": lambda d: Integer(d["name"], d["low"], d["high"], d.get("step", 1)),
    "power_of_two": lambda d: PowerOfTwo(d["name"], d["low"], d["high"]),
    "real": lambda d: Real(
        d["name"], d["low"], d["high"], log=d.get("log", False), steps=d.get("steps", 33)
    ),
}


def param_from_dict(spec: Mapping[str, Any]) -> Param:
    """Build a parameter from :meth:`Param.to_dict` output (JSON/YAML friendly)."""
    kind = spec.get("kind")
    if kind not in _PARAM_KINDS:
        raise ValueError(f"unknown parameter kind {kind!r}; legal kinds are {sorted(_PARAM_KINDS)}")
    try:
        return _PARAM_KINDS[kind](spec)
    except KeyError as missing:
        raise ValueError(f"parameter spec {dict(spec)!r} lacks field {missing}") from None


@dataclass(frozen=True)
class Constraint:
    """A named rule a feasible design must satisfy; a violating design is legal but infeasible."""

    name: str
    check: Callable[[Design], bool]
    message: str = ""

    def __call__(self, design: Design) -> bool:
        return bool(self.check(design))


class DesignSpace:
    """Ordered parameters plus named constraints.

    Designs are plain dicts ``{param name: value}``. The index encoding (one integer per
    parameter) is the single encoding every agent uses; ``to_gym`` exposes it as
    ``MultiDiscrete`` and ``to_box`` as a continuous relaxation whose bins reach every value.
    """

    def __init__(self, params: Iterable[Param], constraints: Iterable[Constraint] = ()) -> None:
        self.params: tuple[Param, ...] = tuple(params)
        if not self.params:
            raise ValueError("a design space needs at least one parameter")
        names = [p.name for p in self.params]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"duplicate parameter names: {duplicated}")
        self.constraints: tuple[Constraint, ...] = tuple(constraints)
        self._by_name = {p.name: p for p in self.params}
        self._names = tuple(p.name for p in self.params)
        self.nvec = np.array([p.cardinality for p in self.params], dtype=np.int64)

    # -- basics -----------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return list(self._names)

    def __getitem__(self, name: str) -> Param:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no parameter {name!r}; parameters are {self.names}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __len__(self) -> int:
        return len(self.params)

    def __iter__(self) -> Iterator[Param]:
        return iter(self.params)

    def __repr__(self) -> str:
        return f"DesignSpace({len(self.params)} params, size={self.size:.3g})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DesignSpace) and self.params == other.params

    __hash__ = None  # type: ignore[assignment]

    @property
    def size(self) -> int:
        """Number of distinct designs in the index grid (an exact Python int)."""
        return math.prod(int(n) for n in self.nvec)

    # -- validation -------------------------------------------------------------------------
    def validate(self, design: Mapping[str, Any]) -> Design:
        """Return the canonical design (params in space order) or raise :class:`InvalidDesignError`."""
        if not isinstance(design, Mapping):
            raise InvalidDesignError(
                f"a design must be a mapping of parameter names to values, got {type(design).__name__}"
            )
        unknown = [k for k in design if k not in self._by_name]
        if unknown:
            raise InvalidDesignError(
                f"unknown parameter {unknown[0]!r}; parameters are {self.names}",
                parameter=unknown[0],
            )
        missing = [n for n in self._names if n not in design]
        if missing:
            raise InvalidDesignError(
                f"missing parameter {missing[0]!r} (legal values: {self[missing[0]].legal()})",
                parameter=missing[0],
            )
        return {p.name: p.validate(design[p.name]) for p in self.params}

    def violations(self, design: Design) -> list[str]:
        """Names (with messages) of the constraints a valid design breaks."""
        out = []
        for c in self.constraints:
            if not c(design):
                out.append(f"{c.name}: {c.message}" if c.message else c.name)
        return out

    def is_feasible(self, design: Design) -> bool:
        return not self.violations(design)

    # -- index encoding ---------------------------------------------------------------------
    def encode(self, design: Mapping[str, Any]) -> np.ndarray:
        """Index vector of a design (validates it first)."""
        design = self.validate(design)
        return np.array([p.index(design[p.name]) for p in self.params], dtype=np.int64)

    def decode(self, indices: Sequence[int] | np.ndarray) -> Design:
        """Design for an index vector; each index must be in ``[0, cardinality)``."""
        indices = np.asarray(indices).reshape(-1)
        if indices.shape[0] != len(self.params):
            raise InvalidDesignError(
                f"index vector has {indices.shape[0]} entries; this space has {len(self.params)} parameters {self.names}"
            )
        if indices.dtype.kind not in "iu" or (indices < 0).any() or (indices >= self.nvec).any():
            for p, i in zip(self.params, indices, strict=True):
                if not (0 <= i < p.cardinality) or int(i) != i:
                    raise InvalidDesignError(
                        f"parameter {p.name!r}: index {i.item()!r} is out of range or not an integer; "
                        f"legal indices are 0..{p.cardinality - 1}",
                        parameter=p.name,
                    )
        return {
            p.name: p.values[i]
            for p, i in zip(self.params, indices.astype(np.int64).tolist(), strict=True)
        }

    def to_gym(self) -> MultiDiscrete:
        """The index encoding as a Gymnasium ``MultiDiscrete`` space."""
        from gymnasium.spaces import MultiDiscrete

        return MultiDiscrete(self.nvec.copy())

    def to_box(self) -> Box:
        """A ``Box(-1, 1)`` relaxation; :meth:`decode_box` bins it so every value is reachable."""
        from gymnasium.spaces import Box

        return Box(low=-1.0, high=1.0, shape=(len(self.params),), dtype=np.float32)

    def box_to_indices(self, x: Sequence[float] | np.ndarray) -> np.ndarray:
        """Equal-width bins over [-1, 1], one per legal value (values outside are clipped)."""
        x = np.clip(np.asarray(x, dtype=np.float64).reshape(-1), -1.0, 1.0)
        if x.shape[0] != len(self.params):
            raise InvalidDesignError(
                f"box action has {x.shape[0]} entries; expected {len(self.params)}"
            )
        idx = np.floor((x + 1.0) / 2.0 * self.nvec).astype(np.int64)
        return np.minimum(idx, self.nvec - 1)

    def decode_box(self, x: Sequence[float] | np.ndarray) -> Design:
        return self.decode(self.box_to_indices(x))

    def encode_box(self, design: Mapping[str, Any]) -> np.ndarray:
        """Centre of each value's bin in [-1, 1]."""
        idx = self.encode(design)
        return ((idx + 0.5) / self.nvec * 2.0 - 1.0).astype(np.float32)

    # -- sampling and neighbourhoods -------------------------------------------------------
    def sample_indices(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.integers(0, self.nvec, size=(n, len(self.params)))

    def sample(
        self, rng: np.random.Generator | int | None = None, n: int | None = None
    ) -> Design | list[Design]:
        """Uniform designs over the index grid: one design, or a list when ``n`` is given."""
        rng = np.random.default_rng(rng)
        rows = self.sample_indices(rng, 1 if n is None else n)
        designs = [self.decode(r) for r in rows]
        return designs[0] if n is None else designs

    def enumerate(self, limit: int = 1_000_000) -> Iterator[Design]:
        """Every design in index order; refuses spaces larger than ``limit``."""
        if self.size > limit:
            raise ValueError(
                f"space has {self.size:.3g} designs, more than limit={limit}; sample it instead"
            )
        for combo in itertools.product(*(p.values for p in self.params)):
            yield dict(zip(self.names, combo, strict=True))

    def neighbors(self, design: Mapping[str, Any]) -> list[Design]:
        """Designs one step away: the adjacent value of an ordered param, any other value of a categorical."""
        design = self.validate(design)
        out = []
        for p in self.params:
            i = p.index(design[p.name])
            if p.ordered:
                candidates = [j for j in (i - 1, i + 1) if 0 <= j < p.cardinality]
            else:
                candidates = [j for j in range(p.cardinality) if j != i]
            for j in candidates:
                out.append({**design, p.name: p.values[j]})
        return out

    # -- model features ---------------------------------------------------------------------
    def feature_names(self) -> list[str]:
        return [f for p in self.params for f in p.feature_names()]

    def features(self, designs: Iterable[Mapping[str, Any]]) -> np.ndarray:
        """Float matrix for models: log2 for powers of two, one-hot for categoricals."""
        rows = []
        for d in designs:
            d = self.validate(d)
            rows.append([f for p in self.params for f in p.features(d[p.name])])
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(self.feature_names()))

    # -- serialisation ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly description (constraints are code and are listed by name only)."""
        return {
            "params": [p.to_dict() for p in self.params],
            "constraints": [c.name for c in self.constraints],
        }

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> DesignSpace:
        return cls([param_from_dict(p) for p in spec["params"]])
