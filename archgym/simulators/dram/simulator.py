"""The DRAM memory-controller simulator: memspec + address mapping + compiled controller + DRAMPower energy.

Example:
    >>> sim = DramSimulator("ddr3")
    >>> space = sim.design_space()
    >>> m = sim.evaluate(space.sample(0), "stream:n=2000")
    >>> sorted(m) == sorted(x.name for x in sim.metrics)
    True
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from archgym.simulator import EvaluationError, Metric, Simulator, WorkloadError
from archgym.simulators.dram import knobs
from archgym.simulators.dram.mapping import AddressMapping
from archgym.simulators.dram.memspec import MemSpec, load_memspec
from archgym.simulators.dram.trace import GENERATORS, Trace, builtin_trace, read_trace
from archgym.space import Categorical, Design, DesignSpace, Integer, PowerOfTwo

METRICS = (
    Metric("total_time_ns", "ns", "min", 1e5, "time from the first request to the last response"),
    Metric(
        "avg_latency_ns",
        "ns",
        "min",
        100.0,
        "mean request latency, arrival (or acceptance, closed loop) to response",
    ),
    Metric("avg_read_latency_ns", "ns", "min", 100.0, "mean read latency"),
    Metric("p99_latency_ns", "ns", "min", 300.0, "99th-percentile request latency"),
    Metric(
        "bandwidth_gb_per_s",
        "GB/s",
        "max",
        10.0,
        "requested bytes / total time (gigabytes per second)",
    ),
    Metric("row_hit_rate", "ratio", "max", 1.0, "share of requests whose first command was RD/WR"),
    Metric(
        "row_conflict_rate", "ratio", "min", 1.0, "share of requests whose first command was PRE"
    ),
    Metric("energy_nj", "nJ", "min", 1e5, "DRAMPower-style energy of all devices"),
    Metric("avg_power_mw", "mW", "min", 2000.0, "energy / total time"),
)


def drampower_energy_pj(spec: MemSpec, summary: np.ndarray) -> dict[str, float]:
    """DRAMPower's per-command energy model (pJ, all devices), from the controller's counters.

    ACT+PRE from IDD0 over tRC less the background it already contains, RD/WR from
    IDD4R/IDD4W above IDD3N over a burst, REF from IDD5 above IDD3N over tRFC (a per-bank REF
    costs 1/banks of that), background
    IDD3N while any bank is open and IDD2N while all are closed; summed over supply rails.
    """
    t, tck = spec.timing, spec.tck_ns
    s = {name: float(summary[i]) for i, name in enumerate(knobs.SUMMARY_FIELDS)}
    closed_cycles = spec.channels * s["end_cycle"] - s["active_cycles"]
    parts = dict.fromkeys(("act", "pre", "read", "write", "refresh", "background"), 0.0)
    for rail in spec.power.values():
        v = rail["voltage"] * tck * spec.devices  # mA * V * ns = pJ
        parts["act"] += s["n_act"] * (rail["idd0"] - rail["idd3n"]) * t["RAS"] * v
        parts["pre"] += s["n_pre"] * (rail["idd0"] - rail["idd2n"]) * (t["RC"] - t["RAS"]) * v
        parts["read"] += s["n_rd"] * (rail["idd4r"] - rail["idd3n"]) * spec.burst_cycles * v
        parts["write"] += s["n_wr"] * (rail["idd4w"] - rail["idd3n"]) * spec.burst_cycles * v
        parts["refresh"] += s["n_ref_ab"] * (rail["idd5"] - rail["idd3n"]) * t["RFC"] * v
        # a per-bank refresh refreshes one bank's share of the rows an all-bank refresh does
        parts["refresh"] += (
            (s["n_ref_pb"] / spec.banks_per_channel) * (rail["idd5"] - rail["idd3n"]) * t["RFC"] * v
        )
        parts["background"] += (
            s["active_cycles"] * rail["idd3n"] + closed_cycles * rail["idd2n"]
        ) * v
    parts["total"] = sum(parts.values())
    return parts


@lru_cache(maxsize=16)
def _cached_builtin(spec: str) -> Trace:
    # generated traces are deterministic, so a name always means the same arrays
    return builtin_trace(spec)


@lru_cache(maxsize=8)
def _cached_file(path: str, mtime_ns: int, size: int, clock_mhz: float) -> Trace:
    # keyed by modification time and size too, so an edited file is read again
    return read_trace(path, clock_mhz)


def _read_file(path: str | Path, clock_mhz: float) -> Trace:
    p = Path(path)
    if not p.is_file():
        return read_trace(p, clock_mhz)  # raises the "does not exist" WorkloadError
    stat = p.stat()
    return _cached_file(str(p.resolve()), stat.st_mtime_ns, stat.st_size, clock_mhz)


class DramSimulator(Simulator):
    """A DRAMSys-like controller on one memspec (``ddr3``, ``ddr4`` = ``ddr4_micron``,
    ``ddr4_jedec``, ``lpddr4``, ``hbm2`` or a JSON file).

    ``mapping`` is ``rbc``, ``brc``, ``bg_interleave`` or a dict of bit lists (see
    :mod:`archgym.simulators.dram.mapping`); by default the memspec's, which for the
    built-ins is the address mapping DRAMSys ships with that device. ``knob_grid`` is the
    grid agents search: ``pow2`` (powers of two for the four numeric knobs) or ``integer``
    (every integer, as ArchGym's DRAMSys space); ``evaluate`` takes any integer in range
    either way. ``trace_clock_mhz`` is the clock of timed trace files (ArchGym's are 800 MHz
    whatever the device). Workloads: a built-in name (``stream``, ``random``, ... optionally
    ``name:n=..,seed=..,interval_ns=..``), a trace file path, or a :class:`Trace`.
    """

    name = "dram"
    # 2: DRAMSys's admission rules, same-cycle issue after storing, per-device DRAMSys mappings
    version = "2"
    metrics = METRICS
    default_workload = "random"

    def __init__(
        self,
        memspec: str | Path | Mapping[str, Any] | MemSpec = "ddr3",
        mapping: str | Mapping[str, Any] | None = None,
        knob_grid: str = "pow2",
        trace_clock_mhz: float = 800.0,
    ) -> None:
        self.spec = load_memspec(memspec)
        self.mapping = AddressMapping.of(
            self.spec.default_mapping if mapping is None else mapping, self.spec
        )
        if knob_grid not in ("pow2", "integer"):
            raise ValueError(
                f"knob_grid must be 'pow2' (powers of two, the default grid) or 'integer' "
                f"(every integer in range, as ArchGym's DRAMSys space), got {knob_grid!r}"
            )
        if not trace_clock_mhz > 0:
            raise ValueError(
                f"trace_clock_mhz must be a positive clock in MHz (ArchGym's traces: 800), got {trace_clock_mhz!r}"
            )
        self.trace_clock_mhz = float(trace_clock_mhz)
        self._prepared: OrderedDict[str, tuple] = OrderedDict()
        grid, accepted = [], []
        for name, values in knobs.KNOBS.items():
            if name in knobs.NUMERIC_KNOBS:
                whole = Integer(name, *knobs.NUMERIC_RANGES[name])
                grid.append(
                    PowerOfTwo(name, values[0], values[-1]) if knob_grid == "pow2" else whole
                )
                accepted.append(whole)
            else:
                if name == "RefreshPolicy":  # PerBank only where the device has per-bank refresh
                    values = tuple(v for v in values if v in self.spec.refresh_modes)
                grid.append(Categorical(name, values))
                accepted.append(grid[-1])
        self._space = DesignSpace(grid)
        # evaluate() takes any integer in range whatever the grid agents search
        self._accepted = DesignSpace(accepted)

    # -- workloads ----------------------------------------------------------------------------
    def workloads(self) -> list[str]:
        return list(GENERATORS)

    def load_workload(self, spec: Any = None) -> Trace:
        spec = self.default_workload if spec is None else spec
        if isinstance(spec, Trace):
            return spec
        if isinstance(spec, Path):
            return _read_file(spec, self.trace_clock_mhz)
        if isinstance(spec, str):
            if spec.partition(":")[0].strip() in GENERATORS:
                return _cached_builtin(spec)
            if Path(spec).is_file():
                return _read_file(spec, self.trace_clock_mhz)
            raise WorkloadError(
                f"unknown workload {spec!r}; built-in workloads are {list(GENERATORS)} "
                "(optionally 'name:n=..,seed=..,interval_ns=..') or a path to a trace file"
            )
        raise WorkloadError(
            f"a DRAM workload is a name, a trace path or a Trace, got {type(spec).__name__}"
        )

    def workload_id(self, workload: Any) -> str:
        return self.load_workload(workload).workload_id

    # -- designs ------------------------------------------------------------------------------
    def design_space(self, workload: Any = None) -> DesignSpace:
        return self._space

    def default_design(self) -> Design:
        """DRAMSys's fr_fcfs example configuration, the one ArchGym started from."""
        return self._space.validate(
            {
                "PagePolicy": "Open",
                "Scheduler": "FrFcfs",
                "SchedulerBuffer": "Bankwise",
                "RequestBufferSize": 8,
                "RespQueue": "Fifo",
                "RefreshPolicy": "AllBank" if "AllBank" in self.spec.refresh_modes else "NoRefresh",
                "RefreshMaxPostponed": 8,
                "RefreshMaxPulledin": 8,
                "Arbiter": "Simple",
                "MaxActiveTransactions": 128,
            }
        )

    def _prepare(self, trace: Trace) -> tuple:
        key = trace.workload_id
        if key not in self._prepared:
            bank, row = self.mapping.global_bank(trace.address, self.spec)
            if trace.arrival_ns is None:
                arrival = np.zeros(len(trace), dtype=np.int64)
            else:
                arrival = np.round(trace.arrival_ns / self.spec.tck_ns).astype(np.int64)
            self._prepared[key] = (
                arrival,
                trace.is_write.astype(np.int8),
                bank,
                row.astype(np.int64),
                trace.closed_loop,
            )
            while len(self._prepared) > 8:
                self._prepared.popitem(last=False)
        return self._prepared[key]

    def _geometry(self) -> tuple[int, int, int]:
        return self.spec.channels, self.spec.bank_groups, self.spec.banks_per_group

    def run(self, design: Mapping[str, Any], workload: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """The controller's raw summary vector (``knobs.SUMMARY_FIELDS``) and response cycles per request."""
        # imported here, not at the top: loading Numba and the kernels costs 0.3 s that import archgym should not pay
        from archgym.simulators.dram import controller as ctl

        design = self._accepted.validate(design)
        trace = self.load_workload(workload)
        try:
            return ctl.simulate(
                *self._prepare(trace),
                *self._geometry(),
                self.spec.timing_vector(),
                knobs.encode_knobs(design),
            )
        except RuntimeError as err:
            raise EvaluationError(f"DRAM controller failed on {design}: {err}") from None

    def evaluate(self, design: Design, workload: Any = None) -> dict[str, float]:
        trace = self.load_workload(workload)
        summary, _ = self.run(design, trace)
        return self.metrics_from_summary(summary, len(trace))

    def evaluate_batch(
        self, designs: Sequence[Design], workload: Any = None
    ) -> list[dict[str, float] | EvaluationError]:
        """All designs at once, in parallel over cores (Numba ``prange``)."""
        from archgym.simulators.dram import controller as ctl  # see run

        if not designs:
            return []
        trace = self.load_workload(workload)
        knob_rows = np.stack([knobs.encode_knobs(self._accepted.validate(d)) for d in designs])
        try:
            summaries = ctl.simulate_many(
                *self._prepare(trace), *self._geometry(), self.spec.timing_vector(), knob_rows
            )
        except RuntimeError:  # find the culprit(s) one by one
            return super().evaluate_batch(designs, workload)
        return [self.metrics_from_summary(s, len(trace)) for s in summaries]

    def metrics_from_summary(self, summary: np.ndarray, n_requests: int) -> dict[str, float]:
        s = {name: float(summary[i]) for i, name in enumerate(knobs.SUMMARY_FIELDS)}
        tck = self.spec.tck_ns
        total_ns = max(s["end_cycle"], 1.0) * tck
        energy_pj = drampower_energy_pj(self.spec, summary)["total"]
        n = max(n_requests, 1)
        return {
            "total_time_ns": total_ns,
            "avg_latency_ns": s["lat_sum"] / n * tck,
            "avg_read_latency_ns": s["read_lat_sum"] / max(s["n_read"], 1.0) * tck,
            "p99_latency_ns": s["p99_lat"] * tck,
            "bandwidth_gb_per_s": n_requests * self.spec.request_bytes / total_ns,
            "row_hit_rate": s["hits"] / n,
            "row_conflict_rate": s["conflicts"] / n,
            "energy_nj": energy_pj / 1000.0,
            "avg_power_mw": energy_pj / total_ns,
        }
