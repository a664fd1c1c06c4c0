"""The DNN accelerator cost model as an archgym :class:`~archgym.simulator.Simulator`.

Hardware DSE over a whole network: PE array, dataflow, register file, global buffer,
DRAM and NoC bandwidth, clock and word width. ``backend="analytical"`` (default) is the
vectorised NumPy model (``dram="replay"`` makes its DRAM reads equal SCALE-Sim's also where
operands spill the buffer, at O(requests) cost per spilling layer); ``backend="scalesim"`` takes compute cycles and access counts from
SCALE-Sim itself and applies the same stall, energy and area model, so both return the same
metrics.

Example:
    >>> sim = AcceleratorSimulator()
    >>> m = sim.evaluate(dict(BASELINE, dataflow="ws", pe_rows=16, pe_cols=16), "mobilenet_v2")
    >>> sorted(m) == sorted(x.name for x in sim.metrics)
    True
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from archgym.simulator import BatchSimulator, EvaluationError, Metric
from archgym.simulators.accelerator.layers import Network, builtin_workloads, load_network
from archgym.simulators.accelerator.model import (
    BASELINE,
    BUFFER_POLICIES,
    DATAFLOWS,
    DRAM_BUSES,
    OPERANDS,
    HardwareArrays,
    buffer_words,
    footprints,
    layer_costs,
    network_metrics,
    scalesim_window,
)
from archgym.simulators.accelerator.replay import replay_dram_reads
from archgym.space import Categorical, Design, DesignSpace, Ordinal, PowerOfTwo

Backend = Literal["analytical", "scalesim"]
DramModel = Literal["estimate", "replay"]
Bus = Literal["streams", "shared"]
Memory = Literal["global", "per_operand"]
ARRAY_SIDES = (4, 8, 12, 14, 16, 24, 32, 48, 64, 128)
#: Per-operand DRAM bandwidths (bytes per cycle; words per cycle at 8 bits, as SCALE-Sim counts):
#: powers of two and SCALE-Sim's customary 10, 20, 30, 50 and 100.
OPERAND_BANDWIDTHS = (1, 2, 4, 8, 10, 16, 20, 30, 32, 50, 64, 100, 128)

METRICS = (
    Metric("cycles", "cycles", "min", 1e7, "clock cycles for the whole network, stalls included"),
    Metric("latency_ms", "ms", "min", 50.0, "cycles / clock"),
    Metric("energy_uj", "uJ", "min", 2e4, "MAC, register file, NoC, buffer and DRAM energy"),
    Metric("area_mm2", "mm2", "min", 5.0, "PE array, global buffer and fixed I/O"),
    Metric("utilization", "ratio", "max", 0.5, "MACs / (PEs x cycles)"),
    Metric("dram_mb", "MB", "min", 200.0, "DRAM traffic"),
    Metric("edp_uj_ms", "uJ*ms", "min", 1e6, "energy-delay product"),
    Metric("power_mw", "mW", "min", 300.0, "average power = energy / latency"),
)


def accelerator_space(memory: Memory = "global") -> DesignSpace:
    """The hardware knobs (the Eyeriss-like :data:`BASELINE` is one point of the global space).

    ``memory="per_operand"`` replaces the global buffer (``glb_kb``, ``glb_policy``) and its one
    DRAM channel (``dram_bw``) with SCALE-Sim's memory: ``ifmap_kb``, ``filter_kb``, ``ofmap_kb``
    and a DRAM bandwidth for each (``ifmap_dram_bw``...).

    >>> accelerator_space("per_operand").names[4:10]
    ['ifmap_kb', 'filter_kb', 'ofmap_kb', 'ifmap_dram_bw', 'filter_dram_bw', 'ofmap_dram_bw']
    """
    head = [
        Ordinal("pe_rows", ARRAY_SIDES),
        Ordinal("pe_cols", ARRAY_SIDES),
        Categorical("dataflow", DATAFLOWS),
        PowerOfTwo("rf_bytes", 16, 1024),
    ]
    tail = [
        PowerOfTwo("noc_bw", 8, 512),
        Ordinal("clock_mhz", (200, 400, 600, 800, 1000)),
        Ordinal("bits", (8, 16)),
    ]
    if memory == "global":
        memory_knobs = [
            PowerOfTwo("glb_kb", 32, 4096),
            Categorical("glb_policy", BUFFER_POLICIES),
            PowerOfTwo("dram_bw", 2, 128),
        ]
    elif memory == "per_operand":
        memory_knobs = [PowerOfTwo(f"{op}_kb", 1, 8192) for op in OPERANDS] + [
            Ordinal(f"{op}_dram_bw", OPERAND_BANDWIDTHS) for op in OPERANDS
        ]
    else:
        raise ValueError(f"memory {memory!r} is not one of 'global', 'per_operand'")
    return DesignSpace(head + memory_knobs + tail)


class AcceleratorSimulator(BatchSimulator):
    """Spatial DNN accelerator over a network of layers (see the module docstring)."""

    name = "accelerator"
    metrics = METRICS
    default_workload = "resnet18"

    def __init__(
        self,
        backend: Backend = "analytical",
        dram: DramModel = "estimate",
        bus: Bus = "streams",
        memory: Memory = "global",
    ) -> None:
        if backend not in ("analytical", "scalesim"):
            raise ValueError(f"backend {backend!r} is not one of 'analytical', 'scalesim'")
        if dram not in ("estimate", "replay"):
            raise ValueError(f"dram {dram!r} is not one of 'estimate', 'replay'")
        if bus not in DRAM_BUSES:
            raise ValueError(f"bus {bus!r} is not one of {', '.join(map(repr, DRAM_BUSES))}")
        self.backend = backend
        self.dram = dram
        self.bus = bus
        self.memory = memory
        self._space = accelerator_space(memory)
        # 2: windowed DRAM refetch by reuse class, stream-by-stream stalls (model.py);
        # 3: ifmap refetch from the share of a pass a window spans, USER-mode fetch volumes
        self.version = (
            f"3-{backend}"
            + ("-replay" if dram == "replay" and backend == "analytical" else "")
            + ("" if bus == "streams" else f"-{bus}")
            + ("" if memory == "global" else f"-{memory}")
        )

    def design_space(self, workload: Any = None) -> DesignSpace:
        return self._space

    def workloads(self) -> list[str]:
        return builtin_workloads()

    def load_workload(self, spec: Any = None) -> Network:
        return load_network(self.default_workload if spec is None else spec)

    def workload_id(self, workload: Any) -> str:
        if workload is None or (isinstance(workload, str) and workload in builtin_workloads()):
            return self.load_workload(workload).name
        # A user's table is keyed by its layers, so two files of the same name never share a cache entry.
        net = self.load_workload(workload)
        digest = hashlib.sha1(repr(net.layers).encode()).hexdigest()[:12]
        return f"{net.name}:{digest}"

    def evaluate_batch(
        self, designs: Sequence[Design], workload: Any = None
    ) -> list[dict[str, float] | EvaluationError]:
        """All designs in one NumPy pass (analytical), or design by design through SCALE-Sim.

        A value outside the design space (say ``pe_rows=20``) is refused with
        :class:`~archgym.space.InvalidDesignError` naming the parameter and its legal values:
        the model's constants and the proxy features are only checked on the space.
        """
        net = self.load_workload(workload)
        if not designs:
            return []
        if not _all_legal(self._space, designs):
            designs = [self._space.validate(d) for d in designs]  # raises naming the bad value
        if self.backend == "analytical":
            hw = HardwareArrays.from_designs(designs)
            costs = layer_costs(hw, net.arrays)
            if self.dram == "replay":
                _replay_spills(costs, hw, designs, net)
            metrics = network_metrics(hw, net.arrays, costs, self.bus)
            return [{k: float(v[i]) for k, v in metrics.items()} for i in range(len(designs))]
        out: list[dict[str, float] | EvaluationError] = []
        for design in designs:
            try:
                out.append(self._evaluate_scalesim(design, net))
            except EvaluationError as err:
                out.append(err)
        return out

    def _evaluate_scalesim(self, design: Design, net: Network) -> dict[str, float]:
        from archgym.simulators.accelerator.scalesim_backend import layer_costs_scalesim

        hw = HardwareArrays.from_designs([design])
        metrics = network_metrics(
            hw, net.arrays, layer_costs_scalesim(design, net.layers), self.bus
        )
        return {k: float(np.asarray(v)[0]) for k, v in metrics.items()}


def _all_legal(space: DesignSpace, designs: Sequence[Design]) -> bool:
    """Whether every design is a plain dict of exactly the space's parameters with legal plain
    values: a batch check by parameter (one set per column), far cheaper than validating design by
    design; anything else (numpy scalars, a bad value) goes through ``DesignSpace.validate``."""
    names = set(space.names)
    if not all(type(d) is dict and d.keys() == names for d in designs):
        return False
    for param in space.params:
        column = {d[param.name] for d in designs}
        if not all(type(v) in (int, float, str) for v in column):
            return False
        if not column <= {v for v in param.values if type(v) in (int, float, str)}:
            return False
    return True


def _replay_spills(
    costs: dict[str, np.ndarray], hw: HardwareArrays, designs: Sequence[Design], net: Network
) -> None:
    """Overwrite estimated ifmap/filter DRAM reads with SCALE-Sim's exact figures (by replay)
    wherever an operand spills the buffer window of a systolic dataflow."""
    u_if, u_f = footprints(net.arrays)
    buf_if, buf_f, _ = buffer_words(hw, u_if, u_f)
    win_if, win_f = scalesim_window(buf_if, hw.bits), scalesim_window(buf_f, hw.bits)
    spills = ((u_if > win_if) | (u_f > win_f)) & (hw.dataflow < DATAFLOWS.index("rs"))
    for i, j in zip(*np.nonzero(spills), strict=True):
        d = designs[i]
        costs["ifmap_dram_reads"][i, j], costs["filter_dram_reads"][i, j] = _replay(
            net.layers[j],
            d["dataflow"],
            int(d["pe_rows"]),
            int(d["pe_cols"]),
            int(win_if[i, j]),
            int(win_f[i, j]),
        )


@functools.lru_cache(maxsize=4096)
def _replay(
    layer: Any, dataflow: str, rows: int, cols: int, window_if: int, window_f: int
) -> tuple[int, int]:
    return replay_dram_reads(layer, dataflow, rows, cols, window_if=window_if, window_f=window_f)


def baseline_metrics(workload: Any = None) -> dict[str, float]:
    """Metrics of the Eyeriss-like :data:`BASELINE` on a workload (analytical model)."""
    return AcceleratorSimulator().evaluate(dict(BASELINE), workload)
