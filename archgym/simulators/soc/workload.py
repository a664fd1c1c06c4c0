"""SoC workloads: task graphs (DAGs of tasks that pass buffers), as data, FARSI CSV folders or synthetic.

A :class:`TaskGraph` is one application (the audio decoder, edge detection, a camera pipeline);
a :class:`Scenario` is one or more of them running together on one SoC (the AR/VR case).
Every loader validates: unknown tasks on an edge, cycles, negative work and malformed files
raise :class:`~archgym.simulator.WorkloadError` naming the file, field or task.

Example:
    >>> from archgym.simulators.soc.workload import load_workload
    >>> wl = load_workload("audio_decoder")
    >>> wl.graphs[0].name, len(wl.graphs[0].tasks), len(wl.graphs[0].edges)
    ('audio_decoder', 18, 23)
"""

from __future__ import annotations

import csv
import hashlib
import heapq
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from archgym._yaml import describe as describe_yaml
from archgym._yaml import line_of
from archgym._yaml import load as load_yaml
from archgym.simulator import WorkloadError

DATA_DIR = Path(__file__).parent / "data"
BUILTIN_GRAPHS = ("audio_decoder", "edge_detection", "hpvm_cava")
#: Several workloads on one SoC; ``camera_pipeline`` is an alias of FARSI's ``hpvm_cava``.
SCENARIOS: dict[str, tuple[str, ...]] = {"arvr": BUILTIN_GRAPHS}
ALIASES = {"camera_pipeline": "hpvm_cava"}
#: SoC-wide budgets of FARSI's 'misc_database - Budget.csv' ("all" row), used when a file gives none.
DEFAULT_POWER_MW = 8.737
DEFAULT_AREA_MM2 = 17.475


@dataclass(frozen=True)
class Accel:
    """A task's own accelerator: cycles at its base clock and unroll 1, FARSI's energy and area figures."""

    cycles: float
    energy_fj: float
    area_um2: float
    max_unroll: int = 1


@dataclass(frozen=True)
class Task:
    """One node of a task graph: work in cycles on the reference core, optional accelerator.

    A task with zero core cycles and no accelerator is a dummy (source/sink marker): it takes
    no time, occupies no processing element and moves no data.
    """

    name: str
    core_cycles: float
    accel: Accel | None = None

    @property
    def dummy(self) -> bool:
        return self.core_cycles == 0 and self.accel is None


@dataclass(frozen=True)
class Budget:
    """Latency, power and area budgets (FARSI's "meet" targets)."""

    latency_ms: float
    power_mw: float = DEFAULT_POWER_MW
    area_mm2: float = DEFAULT_AREA_MM2


@dataclass(frozen=True)
class TaskGraph:
    """A validated DAG: tasks in file order and edges ``(producer, consumer, bytes)``.

    >>> g = TaskGraph("two", (Task("a", 100), Task("b", 50)), (("a", "b", 64.0),), Budget(1.0))
    >>> g.topological_order()
    ['a', 'b']
    """

    name: str
    tasks: tuple[Task, ...]
    edges: tuple[tuple[str, str, float], ...]
    budget: Budget
    description: str = ""
    _index: dict[str, int] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        where = f"workload {self.name!r}"
        if not self.tasks:
            raise WorkloadError(f"{where}: has no tasks")
        index: dict[str, int] = {}
        for i, t in enumerate(self.tasks):
            if t.name in index:
                raise WorkloadError(f"{where}: task {t.name!r} is defined twice")
            if not (np.isfinite(t.core_cycles) and t.core_cycles >= 0):
                raise WorkloadError(
                    f"{where}: task {t.name!r} field 'core_cycles' must be >= 0, got {t.core_cycles!r}"
                )
            if t.accel is not None:
                a = t.accel
                for fname in ("cycles", "energy_fj", "area_um2"):
                    v = getattr(a, fname)
                    if not (np.isfinite(v) and v >= 0):
                        raise WorkloadError(
                            f"{where}: task {t.name!r} field 'accel.{fname}' must be >= 0, got {v!r}"
                        )
                if int(a.max_unroll) != a.max_unroll or a.max_unroll < 1:
                    raise WorkloadError(
                        f"{where}: task {t.name!r} field 'accel.max_unroll' must be an integer >= 1, "
                        f"got {a.max_unroll!r}"
                    )
            index[t.name] = i
        seen = set()
        for producer, consumer, nbytes in self.edges:
            for end in (producer, consumer):
                if end not in index:
                    raise WorkloadError(
                        f"{where}: edge {producer!r} -> {consumer!r} names unknown task {end!r}; "
                        f"tasks are {list(index)}"
                    )
            if producer == consumer:
                raise WorkloadError(
                    f"{where}: edge {producer!r} -> {consumer!r} is a self-loop (a cycle)"
                )
            if (producer, consumer) in seen:
                raise WorkloadError(f"{where}: edge {producer!r} -> {consumer!r} appears twice")
            seen.add((producer, consumer))
            if not (np.isfinite(nbytes) and nbytes >= 0):
                raise WorkloadError(
                    f"{where}: edge {producer!r} -> {consumer!r} bytes must be >= 0, got {nbytes!r}"
                )
        if not (
            self.budget.latency_ms > 0 and self.budget.power_mw > 0 and self.budget.area_mm2 > 0
        ):
            raise WorkloadError(f"{where}: budget values must be positive, got {self.budget}")
        object.__setattr__(self, "_index", index)
        self.topological_order()  # raises on a cycle

    def topological_order(self) -> list[str]:
        """Kahn's order, ties broken by file order; raises naming the tasks on a cycle."""
        n = len(self.tasks)
        indeg = [0] * n
        succ: list[list[int]] = [[] for _ in range(n)]
        for p, c, _ in self.edges:
            succ[self._index[p]].append(self._index[c])
            indeg[self._index[c]] += 1
        heap = [i for i in range(n) if indeg[i] == 0]
        heapq.heapify(heap)
        order = []
        while heap:
            i = heapq.heappop(heap)
            order.append(i)
            for j in succ[i]:
                indeg[j] -= 1
                if indeg[j] == 0:
                    heapq.heappush(heap, j)
        if len(order) < n:
            stuck = [self.tasks[i].name for i in range(n) if indeg[i] > 0]
            raise WorkloadError(
                f"workload {self.name!r}: the task graph has a cycle through {stuck}"
            )
        return [self.tasks[i].name for i in order]

    def core_seconds(self, freq_hz: float = 1e9) -> float:
        """Total work on one reference core, in seconds."""
        return sum(t.core_cycles for t in self.tasks) / freq_hz

    def to_dict(self) -> dict[str, Any]:
        """The data-file form (what :func:`task_graph_from_dict` reads)."""
        tasks = []
        for t in self.tasks:
            d: dict[str, Any] = {"name": t.name, "core_cycles": t.core_cycles}
            if t.accel is not None:
                d["accel"] = {
                    "cycles": t.accel.cycles,
                    "energy_fj": t.accel.energy_fj,
                    "area_um2": t.accel.area_um2,
                    "max_unroll": t.accel.max_unroll,
                }
            tasks.append(d)
        b = self.budget
        return {
            "name": self.name,
            "description": self.description,
            "budget": {"latency_ms": b.latency_ms, "power_mw": b.power_mw, "area_mm2": b.area_mm2},
            "tasks": tasks,
            "edges": [list(e) for e in self.edges],
        }


@dataclass(frozen=True)
class Scenario:
    """One or more task graphs sharing one SoC; they all start at time zero.

    >>> load_workload("arvr").names
    ['audio_decoder', 'edge_detection', 'hpvm_cava']
    """

    name: str
    graphs: tuple[TaskGraph, ...]

    def __post_init__(self) -> None:
        if not self.graphs:
            raise WorkloadError(f"scenario {self.name!r} has no task graphs")
        names = [g.name for g in self.graphs]
        if len(set(names)) != len(names):
            raise WorkloadError(f"scenario {self.name!r} lists a workload twice: {names}")

    @property
    def names(self) -> list[str]:
        return [g.name for g in self.graphs]

    @cached_property
    def workload_id(self) -> str:
        """Name plus a content hash, so an edited file is never served from a stale cache."""
        text = json.dumps([g.to_dict() for g in self.graphs], sort_keys=True)
        return f"{self.name}:{hashlib.sha1(text.encode()).hexdigest()[:12]}"

    def task_key(self, graph: TaskGraph, task: Task) -> str:
        """Task names as design parameters see them (prefixed by the workload when there are several)."""
        return task.name if len(self.graphs) == 1 else f"{graph.name}.{task.name}"

    @property
    def budget(self) -> Budget:
        """SoC-wide power/area budget: the tightest of the graphs' (latency is per graph)."""
        return Budget(
            min(g.budget.latency_ms for g in self.graphs),
            min(g.budget.power_mw for g in self.graphs),
            min(g.budget.area_mm2 for g in self.graphs),
        )


# -- data files -------------------------------------------------------------------------------


def _num(value: Any, where: str, integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WorkloadError(f"{where} must be a number, got {value!r}")
    if integer and int(value) != value:
        raise WorkloadError(f"{where} must be an integer, got {value!r}")
    return int(value) if integer else float(value)


TASK_FIELDS = ("name", "core_cycles", "accel")
ACCEL_FIELDS = ("cycles", "energy_fj", "area_um2", "max_unroll")


def _refuse_unknown(mapping: Mapping[str, Any], legal: Sequence[str], where: str) -> None:
    # A misspelt field (core_cylces) would otherwise be dropped and the task modelled without it.
    for key in mapping:
        if key not in legal:
            raise WorkloadError(
                f"{where}{line_of(mapping, key)}: unknown field {key!r}; fields are {', '.join(legal)}"
            )


def task_graph_from_dict(doc: Any, source: str = "<dict>") -> TaskGraph:
    """Build a graph from the data-file form; errors name ``source`` and the field.

    >>> g = task_graph_from_dict({"name": "g", "tasks": [{"name": "a", "core_cycles": 10}], "edges": []})
    >>> g.budget.latency_ms
    1e-05
    """
    if not isinstance(doc, Mapping):
        raise WorkloadError(f"{source}: a workload must be a mapping with 'name', 'tasks', 'edges'")
    for key in ("name", "tasks"):
        if key not in doc:
            raise WorkloadError(
                f"{source}: missing field {key!r} (fields are name, description, budget, tasks, edges)"
            )
    unknown = set(doc) - {"name", "description", "budget", "tasks", "edges"}
    if unknown:
        first = sorted(unknown)[0]
        raise WorkloadError(
            f"{source}{line_of(doc, first)}: unknown field {first!r}; "
            "fields are name, description, budget, tasks, edges"
        )
    if not isinstance(doc["tasks"], list):
        raise WorkloadError(f"{source}: field 'tasks' must be a list")
    tasks = []
    for i, t in enumerate(doc["tasks"]):
        where = f"{source}: tasks[{i}]"
        if isinstance(t, Mapping):
            _refuse_unknown(t, TASK_FIELDS, where)
        if not isinstance(t, Mapping) or "name" not in t or "core_cycles" not in t:
            raise WorkloadError(
                f"{where} must be a mapping with 'name' and 'core_cycles' (and optional 'accel')"
            )
        accel = None
        if t.get("accel") is not None:
            a = t["accel"]
            if not isinstance(a, Mapping):
                raise WorkloadError(
                    f"{where}.accel must be a mapping with cycles, energy_fj, area_um2, max_unroll"
                )
            _refuse_unknown(a, ACCEL_FIELDS, f"{where}.accel")
            missing = [k for k in ("cycles", "energy_fj", "area_um2") if k not in a]
            if missing:
                raise WorkloadError(f"{where}.accel lacks field {missing[0]!r}")
            accel = Accel(
                _num(a["cycles"], f"{where}.accel.cycles"),
                _num(a["energy_fj"], f"{where}.accel.energy_fj"),
                _num(a["area_um2"], f"{where}.accel.area_um2"),
                _num(a.get("max_unroll", 1), f"{where}.accel.max_unroll", integer=True),
            )
        tasks.append(Task(str(t["name"]), _num(t["core_cycles"], f"{where}.core_cycles"), accel))
    edges = []
    for i, e in enumerate(doc.get("edges") or []):
        if not (isinstance(e, list | tuple) and len(e) == 3):
            raise WorkloadError(
                f"{source}: edges[{i}] must be [producer, consumer, bytes], got {e!r}"
            )
        edges.append((str(e[0]), str(e[1]), _num(e[2], f"{source}: edges[{i}] bytes")))
    core_s = sum(t.core_cycles for t in tasks) / 1e9
    b = doc.get("budget") or {}
    if not isinstance(b, Mapping):
        raise WorkloadError(
            f"{source}: field 'budget' must be a mapping of latency_ms, power_mw, area_mm2"
        )
    bad = set(b) - {"latency_ms", "power_mw", "area_mm2"}
    if bad:
        first = sorted(bad)[0]
        raise WorkloadError(
            f"{source}{line_of(b, first)}: unknown budget field {first!r}; "
            "fields are latency_ms, power_mw, area_mm2"
        )
    # Without a latency budget, ask for no worse than one reference core running everything.
    budget = Budget(
        _num(b.get("latency_ms", max(core_s * 1e3, 1e-9)), f"{source}: budget.latency_ms"),
        _num(b.get("power_mw", DEFAULT_POWER_MW), f"{source}: budget.power_mw"),
        _num(b.get("area_mm2", DEFAULT_AREA_MM2), f"{source}: budget.area_mm2"),
    )
    try:
        return TaskGraph(
            str(doc["name"]), tuple(tasks), tuple(edges), budget, str(doc.get("description", ""))
        )
    except WorkloadError as err:  # the graph's own checks (cycles, edges) know no file name
        raise WorkloadError(f"{source}: {err}") from None


def load_task_graph(path: str | Path) -> TaskGraph:
    """Read a JSON or YAML task-graph file (safe loaders only)."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as err:
        raise WorkloadError(f"cannot read workload file {str(path)!r}: {err}") from None
    try:
        doc = json.loads(text) if path.suffix == ".json" else load_yaml(text, lines=True)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        raise WorkloadError(
            f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: "
            f"{describe_yaml(err) if isinstance(err, yaml.YAMLError) else err}"
        ) from None
    return task_graph_from_dict(doc, str(path))


# -- FARSI CSV folders ------------------------------------------------------------------------


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="") as f:
        return [row for row in csv.reader(f) if any(c.strip() for c in row)]


def _cell(value: str, where: str) -> float | None:
    value = value.strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise WorkloadError(f"{where}: {value!r} is not a number") from None


def _farsi_budget(folder: Path, name: str, core_ms: float) -> Budget:
    """Budgets from ``misc_database - Budget.csv`` (FARSI's SoC budgets) or ``<name>_database - Budget.csv``:
    the workload's row (latency s, power W, area m^2), gaps filled from the file's ``all`` row."""
    for path in (folder / "misc_database - Budget.csv", folder / f"{name}_database - Budget.csv"):
        if not path.is_file():
            continue
        rows = {r[0].strip(): (line, r) for line, r in enumerate(_read_csv(path)[1:], start=2)}
        if name not in rows:
            continue
        fields = []
        for col, scale in ((1, 1e3), (2, 1e3), (3, 1e6)):  # s -> ms, W -> mW, m^2 -> mm^2
            value = None
            for key in (name, "all"):
                if key in rows and value is None:
                    line, row = rows[key]
                    value = _cell(row[col], f"{path.name} line {line}") if len(row) > col else None
            fields.append(value * scale if value else None)
        latency, power, area = fields
        return Budget(
            latency or max(core_ms, 1e-9), power or DEFAULT_POWER_MW, area or DEFAULT_AREA_MM2
        )
    return Budget(max(core_ms, 1e-9))


def load_farsi_csv(folder: str | Path, name: str | None = None) -> TaskGraph:
    """Read a FARSI database folder: ``<name>_database - Task Data Movement.csv`` (required),
    ``Task PE Performance.csv`` (required; column 1 = reference core cycles, column 2 = IP
    cycles), and the optional ``Task PE Energy``, ``Task PE Area`` and ``Task Itr Count`` tabs;
    budgets come from ``misc_database - Budget.csv`` or ``<name>_database - Budget.csv`` (without
    either, the latency budget is one reference core's time and power/area are FARSI's SoC budgets).

    Example:
        >>> g = load_farsi_csv("path/to/farsi_db", "audio_decoder")  # doctest: +SKIP
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise WorkloadError(f"FARSI workload folder {str(folder)!r} does not exist")
    movement = sorted(folder.glob("*_database - Task Data Movement.csv"))
    names = [p.name.split("_database - ")[0] for p in movement]
    if name is None:
        if len(names) != 1:
            raise WorkloadError(f"{folder}: pass a workload name; FARSI workloads here are {names}")
        name = names[0]
    if name not in names:
        raise WorkloadError(
            f"{folder}: no '{name}_database - Task Data Movement.csv'; FARSI workloads here are {names}"
        )

    def tab(kind: str, required: bool) -> tuple[Path, list[list[str]]] | None:
        path = folder / f"{name}_database - {kind}.csv"
        if not path.is_file():
            if required:
                raise WorkloadError(f"{folder}: missing required file {path.name!r}")
            return None
        rows = _read_csv(path)
        if not rows:
            raise WorkloadError(f"{path}: file is empty")
        return path, rows

    path, rows = tab("Task Data Movement", True)  # type: ignore[misc]
    header = [c.strip() for c in rows[0][1:]]
    order = [r[0].strip() for r in rows[1:]]
    edges = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) - 1 > len(header):
            raise WorkloadError(
                f"{path.name} line {line}: {len(row) - 1} cells but {len(header)} consumer columns"
            )
        for consumer, value in zip(header, row[1:], strict=False):
            nbytes = _cell(value, f"{path.name} line {line} column {consumer!r}")
            # A diagonal cell is loop-carried state a task keeps for its next run (FARSI's audio
            # decoder has one on zoomProcess): no transfer between tasks, so no edge.
            if nbytes is not None and consumer != row[0].strip():
                edges.append((row[0].strip(), consumer, nbytes))

    def per_task(kind: str, required: bool) -> dict[str, list[float | None]]:
        found = tab(kind, required)
        if found is None:
            return {}
        p, rs = found
        out = {}
        for line, row in enumerate(rs[1:], start=2):
            out[row[0].strip()] = [_cell(v, f"{p.name} line {line}") for v in row[1:]]
        return out

    perf, energy, area = (
        per_task("Task PE Performance", True),
        per_task("Task PE Energy", False),
        per_task("Task PE Area", False),
    )
    itr = per_task("Task Itr Count", False)
    known = set(order) | set(header)
    for kind, table in (
        ("Task PE Performance", perf),
        ("Task PE Energy", energy),
        ("Task PE Area", area),
    ):
        for t in table:
            if t not in known:
                raise WorkloadError(
                    f"'{name}_database - {kind}.csv' names task {t!r}, which the data-movement "
                    f"table lacks; tasks are {order}"
                )
    for t, counts in itr.items():
        # FARSI's own tabs spell the source differently in places; a count of 1 carries no information.
        if t not in known and counts and counts[0] not in (None, 1.0):
            raise WorkloadError(
                f"'{name}_database - Task Itr Count.csv' names unknown task {t!r}; tasks are {order}"
            )
    tasks = []
    for t in order:
        if t not in perf or perf[t][0] is None:
            raise WorkloadError(
                f"'{name}_database - Task PE Performance.csv' has no core cycles for task {t!r}"
            )
        ip_cycles = perf[t][1] if len(perf[t]) > 1 else None
        accel = None
        if ip_cycles is not None:
            e = energy.get(t, [None, None])
            a = area.get(t, [None, None])
            count = itr.get(t, [1.0])[0] or 1.0
            accel = Accel(
                ip_cycles,
                (e[1] if len(e) > 1 and e[1] is not None else 0.0),
                (a[1] if len(a) > 1 and a[1] is not None else 0.0),
                int(count),
            )
        tasks.append(Task(t, perf[t][0], accel))
    budget = _farsi_budget(folder, name, sum(t.core_cycles for t in tasks) / 1e6)
    return TaskGraph(name, tuple(tasks), tuple(edges), budget, f"FARSI database {folder / name}")


# -- synthetic graphs -------------------------------------------------------------------------


def synthetic_task_graph(n_tasks: int = 16, seed: int = 0, *, width: int = 4) -> TaskGraph:
    """A seeded random layered DAG shaped like FARSI's graphs: a dummy source feeding layers of
    up to ``width`` tasks, every task reached from the source and reaching the sink.

    Work, accelerator speed-ups, areas, trip counts and buffer sizes follow log-uniform ranges
    spanning the built-in workloads' figures. Same seed, same graph.

    >>> synthetic_task_graph(8, seed=1) == synthetic_task_graph(8, seed=1)
    True
    """
    if not (isinstance(n_tasks, int) and n_tasks >= 1):
        raise WorkloadError(f"synthetic workload: n_tasks must be an integer >= 1, got {n_tasks!r}")
    if not (isinstance(width, int) and width >= 1):
        raise WorkloadError(f"synthetic workload: width must be an integer >= 1, got {width!r}")
    rng = np.random.default_rng(seed)
    names = [f"t{i}" for i in range(n_tasks)]
    layers: list[list[int]] = []
    i = 0
    while i < n_tasks:
        k = int(rng.integers(1, width + 1))
        layers.append(list(range(i, min(n_tasks, i + k))))
        i += k

    def loguniform(lo: float, hi: float) -> float:
        return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))

    tasks = [Task("source", 0)]
    for name in names:
        core = round(loguniform(1e4, 2e6))
        speedup = loguniform(
            0.5, 40.0
        )  # IP at 100 MHz vs the 1 GHz core; FARSI's IPs span ~0.03x-30x
        tasks.append(
            Task(
                name,
                core,
                Accel(
                    cycles=float(max(1, round(core / (10 * speedup)))),
                    energy_fj=round(loguniform(1.0, 1e3), 3),
                    area_um2=round(loguniform(5e2, 5e5)),
                    max_unroll=int(2 ** rng.integers(0, 11)),
                ),
            )
        )
    tasks.append(Task("sink", 0))
    edges: list[tuple[str, str, float]] = []
    for j in layers[0]:
        edges.append(("source", names[j], float(round(loguniform(1e3, 3e5)))))
    for prev, layer in zip(layers, layers[1:], strict=False):
        fed = set()
        for j in layer:
            k = int(rng.choice(prev))  # one parent in the previous layer keeps every task reachable
            edges.append((names[k], names[j], float(round(loguniform(1e3, 3e5)))))
            fed.add(k)
            extra = int(rng.choice(prev))
            if extra != k and rng.random() < 0.3:
                edges.append((names[extra], names[j], float(round(loguniform(1e3, 3e5)))))
                fed.add(extra)
        for k in prev:
            if k not in fed:  # a task nobody consumes reports to the sink
                edges.append((names[k], "sink", float(round(loguniform(1e2, 1e4)))))
    for j in layers[-1]:
        edges.append((names[j], "sink", float(round(loguniform(1e2, 1e4)))))
    core_ms = sum(t.core_cycles for t in tasks) / 1e6
    # FARSI's budgets ask for several-fold speed-ups over one core; so does ours.
    return TaskGraph(
        f"synthetic-{n_tasks}-{seed}",
        tuple(tasks),
        tuple(edges),
        Budget(round(core_ms / 4, 6)),
        f"seeded synthetic DAG (n_tasks={n_tasks}, seed={seed})",
    )


# -- resolution of workload specs -------------------------------------------------------------


@cache
def builtin_graph(name: str) -> TaskGraph:
    """A built-in task graph by name (``audio_decoder``, ``edge_detection``, ``hpvm_cava``)."""
    name = ALIASES.get(name, name)
    if name not in BUILTIN_GRAPHS:
        raise WorkloadError(f"unknown SoC workload {name!r}; built-ins are {builtin_names()}")
    return load_task_graph(DATA_DIR / f"{name}.yaml")


def builtin_names() -> list[str]:
    """Built-in workload names: graphs, aliases, scenarios and the synthetic family."""
    return [*BUILTIN_GRAPHS, *ALIASES, *SCENARIOS, "synthetic"]


def _graph(spec: Any) -> TaskGraph | Scenario:
    if isinstance(spec, TaskGraph | Scenario):
        return spec
    if isinstance(spec, Path) or (
        isinstance(spec, str) and ("/" in spec or spec.endswith((".yaml", ".yml", ".json")))
    ):
        path = Path(spec)
        if path.is_dir():
            return load_farsi_csv(path)
        if not path.exists():
            raise WorkloadError(
                f"workload file {str(path)!r} does not exist; built-ins are {builtin_names()}"
            )
        return load_task_graph(path)
    if isinstance(spec, str):
        if spec in SCENARIOS:
            return Scenario(spec, tuple(builtin_graph(g) for g in SCENARIOS[spec]))
        if spec == "synthetic" or spec.startswith("synthetic:"):
            parts = spec.split(":")[1:]
            try:
                n, seed = (int(parts[0]) if parts else 16), (int(parts[1]) if len(parts) > 1 else 0)
            except ValueError:
                raise WorkloadError(
                    f"synthetic workload {spec!r} should look like 'synthetic:N_TASKS:SEED'"
                ) from None
            if len(parts) > 2:
                raise WorkloadError(
                    f"synthetic workload {spec!r} should look like 'synthetic:N_TASKS:SEED'"
                )
            return synthetic_task_graph(n, seed)
        return builtin_graph(spec)
    if isinstance(spec, Mapping):
        return task_graph_from_dict(spec)
    raise WorkloadError(
        f"cannot use {type(spec).__name__} {spec!r} as an SoC workload; give a name "
        f"({builtin_names()}), a YAML/JSON file, a FARSI CSV folder or a list of these"
    )


def load_workload(spec: Any = None) -> Scenario:
    """Resolve a name, path, graph, mapping or list of these into a :class:`Scenario`.

    >>> load_workload(["audio_decoder", "synthetic:6:2"]).names
    ['audio_decoder', 'synthetic-6-2']
    """
    if spec is None:
        spec = "audio_decoder"
    if isinstance(spec, Sequence) and not isinstance(spec, str):
        graphs: list[TaskGraph] = []
        for item in spec:
            got = _graph(item)
            graphs.extend(got.graphs if isinstance(got, Scenario) else [got])
        return Scenario("+".join(g.name for g in graphs), tuple(graphs))
    got = _graph(spec)
    return got if isinstance(got, Scenario) else Scenario(got.name, (got,))
