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


#: The most values one parameter may list (each is held in memory and indexed).
MAX_PARAM_VALUES = 10_000_000


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
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ValueError(
                    f"ordinal parameter {name!r} needs finite numeric values, got {v!r}"
                )
        super().__init__(name, sorted(values))


class Integer(Param):
    """Integers ``low, low + step, ..., high``.

    >>> Integer("cores", 1, 4).values
    (1, 2, 3, 4)
    """

    kind = "integer"

    def __init__(self, name: str, low: int, high: int, step: int = 1) -> None:
        numbers = (low, high, step)
        if (
            not all(isinstance(n, int | float | np.integer | np.floating) for n in numbers)
            or not all(math.isfinite(n) and int(n) == n for n in numbers)
            or step < 1
        ):
            raise ValueError(
                f"integer parameter {name!r} needs integer low/high and step >= 1, "
                f"got {low!r}, {high!r}, step {step!r}"
            )
        if high < low:
            raise ValueError(f"integer parameter {name!r}: high {high} is below low {low}")
        count = (int(high) - int(low)) // int(step) + 1
        if count > MAX_PARAM_VALUES:  # every value is held in memory
            raise ValueError(
                f"integer parameter {name!r} has {count:.3g} values, more than the "
                f"{MAX_PARAM_VALUES:,} a parameter may list; use a coarser step, PowerOfTwo or Real"
            )
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
    """A named rule a feasible design must satisfy; a violating design is legal but infeasible.

    ``check_many``, if given, answers the same rule for many designs at once (a boolean array),
    for constraints that cost a simulator call: :meth:`DesignSpace.feasible_many` uses it.
    """

    name: str
    check: Callable[[Design], bool]
    message: str = ""
    check_many: Callable[[Sequence[Design]], np.ndarray] | None = None

    def __call__(self, design: Design) -> bool:
        return bool(self.check(design))

    def many(self, designs: Sequence[Design]) -> np.ndarray:
        """The rule for each of ``designs`` (valid designs), as a boolean array."""
        if self.check_many is not None:
            return np.asarray(self.check_many(designs), dtype=bool).reshape(len(designs))
        return np.fromiter((self.check(d) for d in designs), dtype=bool, count=len(designs))


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

    def feasible_many(self, designs: Sequence[Design]) -> np.ndarray:
        """:meth:`is_feasible` for each of ``designs`` (valid designs), batched where constraints allow.

        >>> space = DesignSpace([Integer("x", 0, 3)], [Constraint("odd", lambda d: d["x"] % 2 == 1)])
        >>> space.feasible_many([{"x": 0}, {"x": 1}]).tolist()
        [False, True]
        """
        ok = np.ones(len(designs), dtype=bool)
        for c in self.constraints:
            if len(designs):
                ok &= c.many(designs)
        return ok

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

    def flat_to_indices(self, k: int) -> np.ndarray:
        """Index vector of the ``k``-th design in :meth:`enumerate` order (one flat action per design)."""
        if not 0 <= int(k) < self.size:
            raise InvalidDesignError(
                f"flat index {k} is out of range; legal are 0..{self.size - 1}"
            )
        return np.array(np.unravel_index(int(k), tuple(int(n) for n in self.nvec)), dtype=np.int64)

    def project(
        self,
        indices: Sequence[int] | np.ndarray,
        exclude: Callable[[np.ndarray], bool] | None = None,
    ) -> np.ndarray:
        """The design of this space nearest to an index vector, skipping those ``exclude`` rejects.

        Agents call it on a vector they built (a child, an ant's path, a surrogate's proposal)
        so that spaces with a finite set of designs (:class:`RowSpace`) get a design that exists
        and is new. In a product space every index vector is a design: it is returned as is.
        """
        return np.asarray(indices, dtype=np.int64).reshape(-1)

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
        params = [param_from_dict(p) for p in spec["params"]]
        if spec.get("rows") is not None:
            return RowSpace(params, spec["rows"])
        return cls(params)


def _coordinates(param: Param) -> np.ndarray:
    """Where each value of ``param`` sits in the normalised space :class:`RowSpace` measures in."""
    if not param.ordered:  # one-hot, scaled so that two different values are 1 apart
        return np.eye(param.cardinality) / math.sqrt(2.0)
    x = np.array([param.features(v)[0] for v in param.values], dtype=np.float64)
    span = float(x.max() - x.min())
    return ((x - x.min()) / span if span > 0 else np.zeros_like(x)).reshape(-1, 1)


class RowSpace(DesignSpace):
    """A finite design space: only the listed rows (index vectors) of a product of parameters exist.

    Published design-space datasets are such tables: 10^4 designs out of 10^19 combinations of
    their columns. The parameters still give every design its values, features and index
    vector, so each agent keeps its encoding; what changes is which vectors are designs:

    * ``size``, ``sample``, ``sample_indices`` and ``enumerate`` cover the rows only (a sample
      of ``n`` draws ``n`` distinct rows while there are enough);
    * ``validate`` (and so ``encode``) refuses a design that is not a row, naming the nearest;
    * ``decode`` maps any index vector to the nearest row, so an agent that builds a vector
      value by value (GA, ACO, BO, RL) proposes a design that exists;
    * ``project(v, exclude)`` is the nearest row ``exclude`` does not reject (a new one);
    * ``neighbors`` are the ``neighbours`` nearest rows (default two per parameter);
    * ``flat_to_indices(k)`` is row ``k``: a ``Discrete`` action per row.

    "Nearest" is Euclidean in a normalised feature space: an ordered parameter's feature (log2
    for powers of two) scaled to [0, 1], a categorical one one-hot and scaled so two different
    values are 1 apart, as far apart as the ends of an ordered range.

    Example:
        >>> space = RowSpace([Integer("cores", 1, 8), PowerOfTwo("cache_kb", 16, 256)],
        ...                  rows=[[0, 0], [3, 2], [7, 4]])
        >>> space.size, space.decode([6, 4])
        (3, {'cores': 8, 'cache_kb': 256})
        >>> space.validate({"cores": 2, "cache_kb": 16})
        Traceback (most recent call last):
        ...
        archgym.space.InvalidDesignError: design {'cores': 2, 'cache_kb': 16} is not one of the 3 rows of this space; the nearest row is {'cores': 1, 'cache_kb': 16}
    """

    def __init__(
        self,
        params: Iterable[Param],
        rows: Sequence[Sequence[int]] | np.ndarray,
        constraints: Iterable[Constraint] = (),
        *,
        neighbours: int | None = None,
    ) -> None:
        super().__init__(params, constraints)
        table = np.asarray(rows)
        if table.ndim != 2 or table.shape[0] == 0 or table.shape[1] != len(self.params):
            raise ValueError(
                f"rows must be a non-empty matrix of index vectors, one column per parameter "
                f"{self.names}; got shape {table.shape}"
            )
        if table.dtype.kind not in "iu":
            raise ValueError(
                f"rows must hold integer value indices, got dtype {table.dtype}; "
                "build a RowSpace from designs with RowSpace.from_designs"
            )
        table = table.astype(np.int64)
        bad = (table < 0) | (table >= self.nvec)
        if bad.any():
            r, j = (int(v) for v in np.argwhere(bad)[0])
            p = self.params[j]
            raise ValueError(
                f"row {r}: index {table[r, j]} of parameter {p.name!r} is out of range; "
                f"legal indices are 0..{p.cardinality - 1}"
            )
        _, inverse, counts = np.unique(table, axis=0, return_inverse=True, return_counts=True)
        if (counts > 1).any():
            a, b = np.flatnonzero(inverse.reshape(-1) == int(np.argmax(counts > 1)))[:2]
            raise ValueError(
                f"rows {a} and {b} are the same design {DesignSpace.decode(self, table[a])}; "
                "list each design once"
            )
        table.flags.writeable = False
        self.rows = table
        self._row_of = {r.tobytes(): k for k, r in enumerate(table)}
        default = 2 * len(self.params)
        self.neighbours = min(len(table) - 1, default if neighbours is None else int(neighbours))
        self._coords = [_coordinates(p) for p in self.params]
        from scipy.spatial import KDTree  # only row spaces need it

        self._tree = KDTree(self.points(table))

    @classmethod
    def from_designs(
        cls, params: Iterable[Param], designs: Iterable[Mapping[str, Any]], **kwargs: Any
    ) -> RowSpace:
        """A row space holding ``designs`` (each validated against ``params``).

        >>> RowSpace.from_designs([Categorical("noc", ["mesh", "ring"])], [{"noc": "ring"}]).size
        1
        """
        grid = DesignSpace(params)
        return cls(grid.params, np.array([grid.encode(d) for d in designs]), **kwargs)

    # -- which vectors are designs -----------------------------------------------------------
    @property
    def size(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        return f"RowSpace({len(self.params)} params, {self.size} rows)"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, RowSpace)
            and self.params == other.params
            and np.array_equal(self.rows, other.rows)
        )

    __hash__ = None

    def row_of(self, indices: Sequence[int] | np.ndarray) -> int | None:
        """Position of an index vector among the rows, or None when it is not a row."""
        key = np.asarray(indices, dtype=np.int64).reshape(-1).tobytes()
        return self._row_of.get(key)

    def points(self, indices: np.ndarray) -> np.ndarray:
        """Normalised feature coordinates of a matrix of index vectors (what distances use)."""
        indices = np.asarray(indices, dtype=np.int64).reshape(-1, len(self.params))
        return np.hstack([c[indices[:, j]] for j, c in enumerate(self._coords)])

    def validate(self, design: Mapping[str, Any]) -> Design:
        design = super().validate(design)
        idx = np.array([p.index(design[p.name]) for p in self.params], dtype=np.int64)
        if idx.tobytes() not in self._row_of:
            raise InvalidDesignError(
                f"design {design} is not one of the {self.size} rows of this space; "
                f"the nearest row is {self.decode(idx)}"
            )
        return design

    def decode(self, indices: Sequence[int] | np.ndarray) -> Design:
        """The row an index vector names, or the nearest row when it names none."""
        design = super().decode(indices)  # checks length and ranges
        idx = np.asarray(indices).reshape(-1).astype(np.int64)
        if idx.tobytes() in self._row_of:
            return design
        return super().decode(self.project(idx))

    def project(
        self,
        indices: Sequence[int] | np.ndarray,
        exclude: Callable[[np.ndarray], bool] | None = None,
    ) -> np.ndarray:
        """The row nearest to ``indices`` that ``exclude`` does not reject (the nearest of all
        rows when it rejects every one).

        >>> space = RowSpace([Integer("x", 0, 9)], rows=[[0], [4], [5], [9]])
        >>> space.project([4]).tolist(), space.project([4], exclude=lambda r: r[0] == 4).tolist()
        ([4], [5])
        """
        idx = np.asarray(indices).reshape(-1).astype(np.int64)
        if idx.shape[0] != len(self.params):
            raise InvalidDesignError(
                f"index vector has {idx.shape[0]} entries; this space has {len(self.params)} parameters {self.names}"
            )
        if idx.tobytes() in self._row_of and (exclude is None or not exclude(idx)):
            return idx.copy()
        point = self.points(np.clip(idx, 0, self.nvec - 1)[None])[0]
        k = 1 if exclude is None else 16
        while True:
            k = min(k, self.size)
            found = np.atleast_1d(self._tree.query(point, k=k)[1])
            for r in found:
                if exclude is None or not exclude(self.rows[r]):
                    return self.rows[r].copy()
            if k == self.size:
                return self.rows[found[0]].copy()
            k *= 8

    def flat_to_indices(self, k: int) -> np.ndarray:
        """Row ``k``'s index vector."""
        if not 0 <= int(k) < self.size:
            raise InvalidDesignError(f"row {k} is out of range; legal rows are 0..{self.size - 1}")
        return self.rows[int(k)].copy()

    # -- sampling and neighbourhoods -----------------------------------------------------------
    def sample_indices(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` rows drawn uniformly, distinct while ``n`` does not exceed the number of rows."""
        return self.rows[rng.choice(self.size, size=n, replace=n > self.size)].copy()

    def enumerate(self, limit: int = 1_000_000) -> Iterator[Design]:
        """Every row, in order; refuses more than ``limit`` rows."""
        if self.size > limit:
            raise ValueError(
                f"space has {self.size} rows, more than limit={limit}; sample it instead"
            )
        for r in self.rows:
            yield DesignSpace.decode(self, r)

    def neighbors(self, design: Mapping[str, Any]) -> list[Design]:
        """The ``neighbours`` rows nearest to ``design`` (itself excluded), nearest first."""
        idx = self.encode(design)
        own = self._row_of[idx.tobytes()]
        if self.neighbours < 1:
            return []
        found = np.atleast_1d(self._tree.query(self.points(idx[None])[0], k=self.neighbours + 1)[1])
        return [DesignSpace.decode(self, self.rows[r]) for r in found if r != own][
            : self.neighbours
        ]

    # -- serialisation ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The parameters plus ``rows`` (the index vectors); :meth:`DesignSpace.from_dict` reads it back."""
        return {**super().to_dict(), "rows": self.rows.tolist()}
