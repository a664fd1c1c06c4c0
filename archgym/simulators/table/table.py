"""``TableSimulator``: a table of (parameters -> metrics) rows as a cost model.

Published design-space datasets are tables: one row per simulated design, parameter columns
and metric columns. ``TableSimulator`` infers the design space from the parameter columns
(or takes one), answers a design by looking up its row, and reports a design the table does
not hold as a failed, infeasible evaluation whose reason names the designs one parameter away
that it does hold. Lookups are vectorised: a batch of designs is encoded column by column into
integer keys and found with one binary search over the sorted row keys.

Example:
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"cores": [1, 2, 4, 1], "cache_kb": [32, 32, 32, 64],
    ...                      "latency_ns": [90.0, 50.0, 30.0, 70.0]})
    >>> sim = TableSimulator(rows, metrics={"latency_ns": "min"})
    >>> sim.design_space()
    DesignSpace(2 params, size=6)
    >>> sim.evaluate({"cores": 4, "cache_kb": 32})
    {'latency_ns': 30.0}
    >>> sim.evaluate({"cores": 4, "cache_kb": 64})
    Traceback (most recent call last):
    ...
    archgym.simulator.EvaluationError: design {'cores': 4, 'cache_kb': 64} is not in table 'table' (4 of the 6 designs in its space have a row); one parameter away it holds cores=1, cache_kb=32
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from archgym.simulator import BatchSimulator, EvaluationError, Metric, WorkloadError
from archgym.space import (
    Categorical,
    Design,
    DesignSpace,
    Integer,
    InvalidDesignError,
    Ordinal,
    Param,
    PowerOfTwo,
    Real,
    RowSpace,
)

Duplicates = Literal["error", "first", "last", "mean"]
SpaceKind = Literal["rows", "product"]
MetricsSpec = Mapping[str, str] | Sequence[Metric | str]

#: How many held neighbours an absent design's reason names.
MAX_NEIGHBOURS = 6

#: Candidate rows looked up at once when searching an absent design's neighbours.
NEIGHBOUR_ROWS = 1 << 20

#: File suffixes :func:`read_table` understands, and the pandas reader for each.
READERS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}


def read_table(path: str | Path) -> pd.DataFrame:
    """Load a CSV, TSV or Parquet file into a DataFrame.

    >>> read_table("results.xlsx")
    Traceback (most recent call last):
    ...
    ValueError: table 'results.xlsx': unknown file type '.xlsx'; legal suffixes are .csv, .tsv, .parquet, .pq
    """
    path = Path(path)
    kind = READERS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(
            f"table {str(path)!r}: unknown file type {path.suffix!r}; legal suffixes are "
            + ", ".join(READERS)
        )
    if not path.is_file():
        raise FileNotFoundError(f"table {str(path)!r} does not exist")
    if kind == "parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, sep="\t" if kind == "tsv" else ",")


def infer_param(name: str, values: pd.Series, *, categorical: bool = False) -> Param:
    """The narrowest parameter holding exactly a column's distinct values.

    Consecutive powers of two become :class:`PowerOfTwo`, evenly spaced integers
    :class:`Integer`, other numbers :class:`Ordinal`, anything else :class:`Categorical`.
    ``categorical=True`` makes any column :class:`Categorical` (small integer codes for
    unordered choices, such as 0/1/2 for three branch predictors).

    >>> infer_param("banks", pd.Series([4, 1, 2, 8, 2]))
    PowerOfTwo('banks', powers of two 1..8)
    >>> infer_param("cores", pd.Series([2, 6, 4]))
    Integer('cores', integers 2..6 in steps of 2)
    >>> infer_param("vdd", pd.Series([0.8, 0.9, 1.1]))
    Ordinal('vdd', 0.8, 0.9, 1.1)
    >>> infer_param("policy", pd.Series(["open", "closed"]))
    Categorical('policy', 'closed', 'open')
    >>> infer_param("predictor", pd.Series([2, 0, 1]), categorical=True)
    Categorical('predictor', 0, 1, 2)
    """
    distinct = pd.unique(values.dropna())
    if (
        categorical
        and pd.api.types.is_numeric_dtype(values)
        and not pd.api.types.is_bool_dtype(values)
    ):
        return Categorical(name, sorted(_plain_values(distinct)))
    if (
        categorical
        or pd.api.types.is_bool_dtype(values)
        or not pd.api.types.is_numeric_dtype(values)
    ):
        return Categorical(
            name, sorted((v.item() if isinstance(v, np.generic) else v for v in distinct), key=str)
        )
    numbers = np.sort(distinct.astype(np.float64))
    if not np.all(numbers == np.round(numbers)):
        return Ordinal(name, [float(v) for v in numbers])
    ints = [int(v) for v in numbers]
    if (
        len(ints) >= 2
        and ints[0] >= 1
        and all(b == 2 * a for a, b in zip(ints, ints[1:], strict=False))
        and ints[0] & (ints[0] - 1) == 0
    ):
        return PowerOfTwo(name, ints[0], ints[-1])
    steps = set(np.diff(ints).tolist())
    if len(ints) == 1 or len(steps) == 1:
        return Integer(name, ints[0], ints[-1], steps.pop() if steps else 1)
    return Ordinal(name, ints)


def _plain_values(values: Any) -> list[Any]:
    """Python numbers (integers where a float is whole) for a column's distinct numeric values."""
    out = []
    for v in values:
        v = v.item() if isinstance(v, np.generic) else v
        out.append(int(v) if isinstance(v, float) and v.is_integer() else v)
    return out


class TableSimulator(BatchSimulator):
    """A cost model that looks designs up in a table of (parameters -> metrics) rows.

    ``data`` is a DataFrame or a CSV/TSV/Parquet path. ``metrics`` names the metric columns:
    ``{"latency_ns": "min", "throughput": "max"}``, a list of names (all minimised), or
    :class:`Metric` objects. The parameter columns are ``params`` (default: every other
    column), or the parameters of ``space`` when one is given; the space is otherwise
    inferred with :func:`infer_param`. ``workload_column`` names a column whose values are
    workloads (one sub-table each). Rows that repeat a design are an error unless
    ``duplicates`` is ``"first"``, ``"last"`` or ``"mean"``. ``categorical`` names numeric
    columns that are codes for unordered choices; ``units`` gives metric units
    (``{"latency": "ns"}``).

    ``space="rows"`` makes the design space the table's rows (a
    :class:`~archgym.space.RowSpace`, one per workload, without rows that lack a metric):
    agents see each row's parameter values as features and propose only rows that exist, so
    no budget goes to designs the table lacks. The default, ``space="product"``, is every
    combination of the column values; there an absent design raises :class:`EvaluationError`
    (a failed, infeasible evaluation in a run) naming the designs one parameter away that the
    table holds; so does a row with an empty metric.

    Example:
        >>> rows = pd.DataFrame({"cores": [1, 2, 4, 8], "cache_kb": [32, 64, 32, 128],
        ...                      "predictor": [0, 2, 1, 0], "latency": [9.0, 5.0, 4.0, 2.0]})
        >>> sim = TableSimulator(rows, metrics={"latency": "min"}, space="rows",
        ...                      categorical=["predictor"], units={"latency": "ns"})
        >>> sim.design_space(), sim.design_space()["predictor"], sim.metrics[0].unit
        (RowSpace(3 params, 4 rows), Categorical('predictor', 0, 1, 2), 'ns')
        >>> sim.design_space().decode([3, 2, 1])  # any index vector names its nearest row
        {'cores': 8, 'cache_kb': 128, 'predictor': 0}
    """

    def __init__(
        self,
        data: pd.DataFrame | str | Path,
        metrics: MetricsSpec,
        *,
        params: Sequence[str] | None = None,
        space: DesignSpace | SpaceKind | None = None,
        workload_column: str | None = None,
        duplicates: Duplicates = "error",
        categorical: Sequence[str] = (),
        units: Mapping[str, str] | None = None,
        name: str | None = None,
        version: str | None = None,
    ) -> None:
        if isinstance(data, str | Path):
            self.source = str(data)
            frame = read_table(data)
            self.name = name or Path(data).stem
        elif isinstance(data, pd.DataFrame):
            self.source = name or "table"
            frame = data
            self.name = name or "table"
        else:
            raise TypeError(
                f"data must be a pandas DataFrame or a path to a CSV/Parquet file, got {type(data).__name__}"
            )
        if duplicates not in ("error", "first", "last", "mean"):
            raise ValueError(
                f"duplicates={duplicates!r}; legal values are 'error', 'first', 'last', 'mean'"
            )
        if frame.empty:
            raise ValueError(f"table {self.source!r} has no rows")
        if isinstance(space, str):
            if space not in ("rows", "product"):
                raise ValueError(
                    f"space={space!r}; legal values are 'rows' (the table's rows are the designs), "
                    "'product' (every combination of the column values) or a DesignSpace"
                )
            self.space_kind: SpaceKind = space
            space = None
        else:
            self.space_kind = "product"
        if isinstance(categorical, str):
            categorical = [categorical]
        frame = frame.reset_index(drop=True)
        columns = [str(c) for c in frame.columns]
        frame.columns = columns
        self.metrics = self._units(self._metrics(metrics, frame), units or {})
        metric_names = [m.name for m in self.metrics]
        if workload_column is not None and workload_column not in columns:
            raise ValueError(
                f"workload_column {workload_column!r} is not a column of table {self.source!r}; "
                f"columns are {columns}"
            )
        self.workload_column = workload_column
        param_names = self._param_names(params, space, columns, metric_names)
        unknown = [c for c in categorical if c not in param_names]
        if unknown or (categorical and space is not None):
            raise ValueError(
                f"categorical={list(categorical)}: "
                + (
                    f"{unknown[0]!r} is not a parameter column; parameter columns are {param_names}"
                    if unknown
                    else "a given space already says which parameters are categorical; declare them there"
                )
            )
        self._space = (
            space
            if space is not None
            else DesignSpace(
                [infer_param(p, frame[p], categorical=p in categorical) for p in param_names]
            )
        )
        self._row_spaces: dict[int, RowSpace] = {}
        if workload_column is not None:
            codes, labels = pd.factorize(frame[workload_column])
            self._check_empty(codes, workload_column)
            self._workloads = [v.item() if isinstance(v, np.generic) else v for v in labels]
        else:
            codes, self._workloads = np.zeros(len(frame), dtype=np.int64), []
        self.default_workload = self._workloads[0] if self._workloads else None
        self._radix = _radix(
            [max(1, len(self._workloads))] + [p.cardinality for p in self._space.params]
        )
        row_codes = np.column_stack(
            [codes] + [self._encode_column(frame[p], self._space[p]) for p in param_names]
        )
        values = frame[metric_names].to_numpy(dtype=np.float64)
        self._store_rows(row_codes.astype(np.int32), values, duplicates)
        self.table = frame
        self.version = version or self._fingerprint(frame, param_names, metric_names)

    # -- construction helpers ---------------------------------------------------------------
    def _units(self, metrics: tuple[Metric, ...], units: Mapping[str, str]) -> tuple[Metric, ...]:
        names = [m.name for m in metrics]
        unknown = [k for k in units if k not in names]
        if unknown:
            raise ValueError(
                f"units names {unknown[0]!r}, which is not a metric; metrics are {names}"
            )
        return tuple(
            dataclasses.replace(m, unit=str(units[m.name])) if m.name in units else m
            for m in metrics
        )

    def _metrics(self, spec: MetricsSpec, frame: pd.DataFrame) -> tuple[Metric, ...]:
        if isinstance(spec, str):
            spec = [spec]
        items = list(spec.items()) if isinstance(spec, Mapping) else list(spec)
        if not items:
            raise ValueError(
                "metrics must name at least one metric column, e.g. metrics={'latency_ns': 'min'}"
            )
        out = []
        for item in items:
            if isinstance(item, Metric):
                metric = item
            elif isinstance(item, str):
                metric = Metric(item, "", "min")
            else:
                col, direction = item
                if direction not in ("min", "max"):
                    raise ValueError(
                        f"metrics[{col!r}]={direction!r}; a direction is 'min' or 'max'"
                    )
                metric = Metric(col, "", direction)
            if metric.name not in frame.columns:
                raise ValueError(
                    f"metric {metric.name!r} is not a column of table {self.source!r}; "
                    f"columns are {list(frame.columns)}"
                )
            numbers = pd.to_numeric(frame[metric.name], errors="coerce")
            bad = numbers.isna() & frame[metric.name].notna()
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise ValueError(
                    f"metric column {metric.name!r}, {self._where(row)}: "
                    f"{frame[metric.name].iloc[row]!r} is not a number"
                )
            if isinstance(
                item, str | tuple
            ):  # a typical magnitude for the observation, from the data
                typical = float(np.nanmedian(np.abs(numbers))) if numbers.notna().any() else 1.0
                metric = Metric(
                    metric.name, metric.unit, metric.direction, typical if typical > 0 else 1.0
                )
            frame[metric.name] = numbers
            out.append(metric)
        return tuple(out)

    def _param_names(
        self,
        params: Sequence[str] | None,
        space: DesignSpace | None,
        columns: list[str],
        metric_names: list[str],
    ) -> list[str]:
        if space is not None:
            if params is not None and list(params) != space.names:
                raise ValueError(
                    f"params={list(params)} disagrees with space parameters {space.names}; give one"
                )
            for p in space.params:
                if isinstance(p, Real):
                    raise ValueError(
                        f"parameter {p.name!r} is Real; a table holds discrete values, so declare it "
                        f"as Ordinal({p.name!r}, values) with the values in the table"
                    )
            names = space.names
        elif params is not None:
            names = list(params)
        else:
            names = [c for c in columns if c not in metric_names and c != self.workload_column]
        for n in names:
            if n not in columns:
                raise ValueError(
                    f"parameter {n!r} is not a column of table {self.source!r}; columns are {columns}"
                )
            if n in metric_names or n == self.workload_column:
                raise ValueError(
                    f"column {n!r} cannot be both a parameter and a metric/workload column"
                )
        if not names:
            raise ValueError(
                f"table {self.source!r} has no parameter columns besides the metrics {metric_names}"
            )
        return names

    def _where(self, row: int) -> str:
        # Users open the CSV in an editor: name the line there (the header is line 1).
        if self.source.lower().endswith((".csv", ".tsv")):
            return f"line {row + 2} of {self.source}"
        return f"row {row} of table {self.source!r}"

    def _check_empty(self, codes: np.ndarray, column: str) -> None:
        if (codes < 0).any():
            raise ValueError(
                f"column {column!r} is empty at {self._where(int(np.flatnonzero(codes < 0)[0]))}; "
                "drop or fill such rows before building the table"
            )

    def _encode_column(self, column: pd.Series, param: Param) -> np.ndarray:
        codes, uniques = pd.factorize(column)
        self._check_empty(codes, param.name)
        index = np.empty(len(uniques), dtype=np.int64)
        for i, value in enumerate(uniques):  # one validation per distinct value, not per row
            try:
                index[i] = param.index(value.item() if isinstance(value, np.generic) else value)
            except InvalidDesignError as err:
                row = int(np.flatnonzero(codes == i)[0])
                raise ValueError(
                    f"{self._where(row)}: {err}; filter the table to the space first"
                ) from None
        return index[codes]

    def _store_rows(self, codes: np.ndarray, values: np.ndarray, duplicates: Duplicates) -> None:
        keys = self._key(codes)
        unique, first, inverse, counts = np.unique(
            keys, return_index=True, return_inverse=True, return_counts=True
        )
        if duplicates == "error" and (counts > 1).any():
            dup = int(np.flatnonzero(counts > 1)[0])
            rows = np.flatnonzero(inverse == dup)[:2]
            raise ValueError(
                f"{self._where(int(rows[0]))} and {self._where(int(rows[1]))} hold the same design "
                f"{self._design(codes[rows[0]])}; pass duplicates='mean', 'first' or 'last'"
            )
        if duplicates == "mean":
            values = pd.DataFrame(values).groupby(inverse).mean().to_numpy()
        elif duplicates == "last":
            last = np.zeros(len(unique), dtype=np.int64)
            last[inverse] = np.arange(len(inverse))  # later rows overwrite earlier ones
            values, first = values[last], last
        else:
            values = values[first]
        self._keys, self._values, self._rows, self._codes = unique, values, first, codes[first]
        self._empty = np.isnan(values).any(axis=1)
        self._held = np.bincount(self._codes[:, 0], minlength=max(1, len(self._workloads)))

    @staticmethod
    def _fingerprint(frame: pd.DataFrame, params: list[str], metrics: list[str]) -> str:
        # The version keys the evaluation cache, so it changes whenever the table does.
        digest = hashlib.sha1(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        digest.update(repr((params, metrics)).encode())
        return "table-" + digest.hexdigest()[:12]

    def _design(self, codes: np.ndarray) -> Design:
        return {
            p.name: p.values[int(i)] for p, i in zip(self._space.params, codes[1:], strict=True)
        }

    # -- Simulator interface --------------------------------------------------------------
    def design_space(self, workload: Any = None) -> DesignSpace:
        if self.space_kind == "product":
            return self._space
        w = self._workload_code(workload)
        if w not in self._row_spaces:
            # The workload's rows in table order, without those that lack a metric value.
            keep = np.flatnonzero((self._codes[:, 0] == w) & ~self._empty)
            if keep.size == 0:
                raise ValueError(
                    f"table {self.source!r} has no row with every metric for workload "
                    f"{self._workloads[w] if self._workloads else None!r}"
                )
            keep = keep[np.argsort(self._rows[keep], kind="stable")]
            self._row_spaces[w] = RowSpace(self._space.params, self._codes[keep, 1:])
        return self._row_spaces[w]

    def workloads(self) -> list[str]:
        return [str(w) for w in self._workloads]

    def load_workload(self, spec: Any = None) -> Any:
        if self.workload_column is None:
            if spec is not None:
                raise WorkloadError(
                    f"table {self.source!r} has no workload column; workload must be None, got {spec!r}"
                )
            return None
        if spec is None:
            return self.default_workload
        for w in self._workloads:
            if w == spec or str(w) == str(spec):
                return w
        raise WorkloadError(
            f"workload {spec!r} is not in column {self.workload_column!r} of table "
            f"{self.source!r}; legal workloads are {self._workloads}"
        )

    def evaluate_batch(
        self, designs: Sequence[Design], workload: Any = None
    ) -> list[dict[str, float] | EvaluationError]:
        """Look a batch up at once: encode column by column, then one ``searchsorted`` over the row keys."""
        w = self._workload_code(workload)
        codes = np.empty((len(designs), len(self._space) + 1), dtype=np.int32)
        codes[:, 0] = w
        for j, p in enumerate(self._space.params, start=1):
            codes[:, j] = self._encode_values(self._column(designs, p.name), p)
        pos, found = self._lookup(codes)
        names = [m.name for m in self.metrics]
        missing = np.flatnonzero(~found)
        out: list[dict[str, float] | EvaluationError] = [None] * len(designs)  # type: ignore[list-item]
        for i, err in zip(
            missing, self._absent([designs[i] for i in missing], codes[missing], w), strict=True
        ):
            out[i] = err
        hits = np.flatnonzero(found)
        rows = pos[hits]
        for i, row, values, empty in zip(
            hits.tolist(),
            rows.tolist(),
            self._values[rows].tolist(),
            self._empty[rows].tolist(),
            strict=True,
        ):
            if empty:
                blank = [n for n, v in zip(names, values, strict=True) if math.isnan(v)]
                out[i] = EvaluationError(
                    f"design {dict(designs[i])} has no value for metric(s) {blank} at "
                    f"{self._where(int(self._rows[row]))}"
                )
            else:
                out[i] = dict(zip(names, values, strict=True))
        return out

    # -- lookup helpers ----------------------------------------------------------------------
    def _workload_code(self, workload: Any) -> int:
        if self.workload_column is None:
            return 0
        return self._workloads.index(self.load_workload(workload))

    def _column(self, designs: Sequence[Design], name: str) -> list[Any]:
        try:
            return [d[name] for d in designs]
        except (KeyError, TypeError):
            for d in designs:
                self._space.validate(d)  # raises the space's message: missing/unknown parameter
            raise

    @staticmethod
    def _encode_values(values: list[Any], param: Param) -> np.ndarray:
        if (
            len(values) <= 16
        ):  # an agent asking for a few designs: factorize's set-up would dominate
            return np.array([param.index(v) for v in values], dtype=np.int64)
        codes, uniques = pd.factorize(pd.Series(values, dtype=object))
        if (codes < 0).any():
            raise InvalidDesignError(
                f"parameter {param.name!r}: None/NaN is not legal; legal values are "
                f"{param.legal()}",
                parameter=param.name,
            )
        return np.array([param.index(u) for u in uniques], dtype=np.int64)[codes]

    def _key(self, codes: np.ndarray) -> np.ndarray:
        """One sortable key per row of a code matrix: a mixed-radix integer when the space allows,
        else the row's bytes (exact for any space size, slower to compare)."""
        if self._radix is not None:
            return codes.astype(np.int64) @ self._radix
        codes = np.ascontiguousarray(codes, dtype=np.int32)
        return codes.view(np.dtype((np.void, codes.shape[1] * codes.itemsize))).ravel()

    def _lookup(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row position of each code row and whether the table holds it (one binary search)."""
        keys = self._key(codes)
        pos = np.minimum(np.searchsorted(self._keys, keys), len(self._keys) - 1)
        return pos, self._keys[pos] == keys

    def _absent(
        self, designs: list[Design], codes: np.ndarray, workload_code: int
    ) -> list[EvaluationError]:
        """Reasons for designs the table lacks, naming the held designs one parameter away.

        Vectorised: one lookup per parameter covers every value of it for every missing design,
        so a batch of misses costs a few binary searches rather than a scan of the table each.
        """
        scope = f"table {self.source!r}"
        if self.workload_column is not None:
            scope += f" for workload {self._workloads[workload_code]!r}"
        head = f"({int(self._held[workload_code])} of the {self._space.size} designs in its space have a row)"
        near: list[list[str]] = [[] for _ in designs]
        count = np.zeros(len(designs), dtype=np.int64)
        for j, p in enumerate(self._space.params, start=1):
            card = p.cardinality
            chunk = max(1, NEIGHBOUR_ROWS // card)  # bounds the candidate matrix for big batches
            for lo in range(0, len(designs), chunk):
                block = codes[lo : lo + chunk]
                moved = np.repeat(block, card, axis=0)
                moved[:, j] = np.tile(np.arange(card), len(block))
                held = self._lookup(moved)[1].reshape(len(block), card)
                held[np.arange(len(block)), block[:, j]] = (
                    False  # the design itself is absent anyway
                )
                # Keep only the first few per design (one past the cap, to know to print "...").
                held &= np.cumsum(held, axis=1) + count[lo : lo + chunk, None] <= MAX_NEIGHBOURS + 1
                count[lo : lo + chunk] += held.sum(axis=1)
                for i, v in zip(*np.nonzero(held), strict=True):
                    near[lo + int(i)].append(f"{p.name}={p.values[int(v)]!r}")
        out = []
        for design, found in zip(designs, near, strict=True):
            shown = ", ".join(found[:MAX_NEIGHBOURS]) + (
                " ..." if len(found) > MAX_NEIGHBOURS else ""
            )
            tail = (
                f"one parameter away it holds {shown}"
                if found
                else "nor any design one parameter away from it"
            )
            out.append(EvaluationError(f"design {dict(design)} is not in {scope} {head}; {tail}"))
        return out

    # -- conveniences -----------------------------------------------------------------------
    def __len__(self) -> int:
        """Number of distinct (workload, design) rows."""
        return len(self._keys)

    def designs(self, workload: Any = None) -> list[Design]:
        """Every design the table holds for a workload, in table order."""
        w = self._workload_code(workload)
        rows = np.argsort(self._rows, kind="stable")
        return [self._design(self._codes[r]) for r in rows if self._codes[r, 0] == w]

    def __repr__(self) -> str:
        return f"TableSimulator({self.source!r}, rows={len(self)}, space={self._space!r}, metrics={[m.name for m in self.metrics]})"


def _radix(sizes: Sequence[int]) -> np.ndarray | None:
    """Row-major strides turning a code row into one int64, or None if the space is too big for that."""
    if math.prod(sizes) >= 2**62:
        return None
    strides = [1]
    for size in reversed(sizes[1:]):
        strides.append(strides[-1] * size)
    return np.array(strides[::-1], dtype=np.int64)
