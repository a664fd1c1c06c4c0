"""GAMMA-style mapping search: one layer on fixed hardware, choosing how its GEMM is tiled and laid out.

A mapping picks (1) which two of the GEMM dimensions M (output pixels), N (filters) and
K (window R*S*C) are spread over the PE array's rows and columns (the third is streamed
in time, so (M, N) is output-stationary, (K, N) weight-stationary, (K, M) input-stationary),
(2) the order of the DRAM -> buffer tile loops, and (3) the buffer tile size of every
dimension. Unlike GAMMA's MAESTRO runs, the cost is a closed form and fully deterministic.

Costs: per tile the SCALE-Sim fold model (as in :mod:`.model`); DRAM traffic by the usual
loop-nest reuse rule (an operand tile is fetched again on every iteration of the loops down
to its innermost relevant loop; irrelevant loops below that reuse it; an output tile
revisited before its reduction ends spills and reloads partial sums); buffer traffic by the
fold model's re-read rule. Conv layers use their im2col GEMM view (halo reuse is not credited).

Example:
    >>> sim = MappingSimulator()
    >>> space = sim.design_space()
    >>> m = sim.evaluate(space.sample(0))
    >>> m["cycles"] > 0
    True
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from archgym.simulator import BatchSimulator, EvaluationError, Metric, WorkloadError
from archgym.simulators.accelerator.layers import Layer, load_network
from archgym.simulators.accelerator.model import technology
from archgym.space import Categorical, Constraint, Design, DesignSpace, PowerOfTwo

DIMS = ("M", "N", "K")
#: (rows dim, cols dim): the array's spatial layout; the remaining dim is temporal.
PARALLEL = ("M-N", "N-M", "K-N", "N-K", "K-M", "M-K")
ORDERS = tuple("".join(p) for p in itertools.permutations(DIMS))
#: Which GEMM dims index each operand (A = ifmap M x K, B = filter K x N, C = ofmap M x N).
OPERANDS = {"ifmap": ("M", "K"), "filter": ("K", "N"), "ofmap": ("M", "N")}

#: The fixed hardware of archgym/Mapping-v0: a 16x16 array with a 256 KB buffer, 16-bit words.
MAPPING_HARDWARE: dict[str, Any] = {
    "pe_rows": 16,
    "pe_cols": 16,
    "glb_kb": 256,
    "dram_bw": 16,
    "bits": 16,
    "clock_mhz": 500,
}

METRICS = (
    Metric("cycles", "cycles", "min", 1e6, "compute, buffer-fill and DRAM-bound cycles"),
    Metric("latency_ms", "ms", "min", 2.0, "cycles / clock"),
    Metric("energy_uj", "uJ", "min", 500.0, "MAC, buffer and DRAM energy"),
    Metric("utilization", "ratio", "max", 0.5, "MACs / (PEs x cycles)"),
    Metric("dram_mb", "MB", "min", 5.0, "DRAM reads and writes"),
    Metric("edp_uj_ms", "uJ*ms", "min", 1e3, "energy-delay product"),
)


def _pow2_ceil(x: int) -> int:
    return 1 << max(0, int(x - 1).bit_length())


def resolve_layer(spec: Any) -> Layer:
    """``"network/layer"`` (e.g. ``"resnet50/conv3_1b"``), a :class:`Layer`, or a one-layer CSV path."""
    if isinstance(spec, Layer):
        return spec
    if isinstance(spec, str) and "/" in spec and not spec.endswith(".csv"):
        net_name, _, layer_name = spec.partition("/")
        net = load_network(net_name)
        for layer in net.layers:
            if layer.name == layer_name:
                return layer
        raise WorkloadError(
            f"network {net_name!r} has no layer {layer_name!r}; its layers are "
            f"{', '.join(layer.name for layer in net.layers)}"
        )
    net = load_network(spec)
    if len(net.layers) != 1:
        raise WorkloadError(
            f"a mapping workload is one layer; {net.name!r} has {len(net.layers)} "
            "(name one as 'network/layer')"
        )
    return net.layers[0]


def mapping_space(layer: Layer) -> DesignSpace:
    """Parallel dims, loop order and one power-of-two tile size per dim (up to the dim's size)."""
    m, n, k = layer.gemm_dims
    words = MAPPING_HARDWARE["glb_kb"] * 1024 * 8 // MAPPING_HARDWARE["bits"]

    def fits(d: Design) -> bool:
        tm, tn, tk = (
            min(d[f"tile_{x.lower()}"], size) for x, size in zip(DIMS, (m, n, k), strict=True)
        )
        # Double-buffered inputs and one output tile (the same rule mapping_costs applies).
        return 2 * (tm * tk + tk * tn) + tm * tn <= words

    return DesignSpace(
        [Categorical("parallel", PARALLEL), Categorical("loop_order", ORDERS)]
        + [
            PowerOfTwo(f"tile_{x.lower()}", 1, _pow2_ceil(size))
            for x, size in zip(DIMS, (m, n, k), strict=True)
        ],
        [
            Constraint(
                "tiles_fit_buffer",
                fits,
                f"double-buffered tiles must fit the {MAPPING_HARDWARE['glb_kb']} KB buffer",
            )
        ],
    )


def _tile_classes(size: np.ndarray, tile: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(extent, count) of full tiles and of the one remainder tile along a dim."""
    full = size // tile
    rem = size - full * tile
    return [(tile, full), (rem, (rem > 0).astype(np.int64))]


def mapping_costs(designs: Sequence[Design], layer: Layer) -> dict[str, np.ndarray]:
    """Metrics of many mappings of one layer, each shape ``(D,)``."""
    hw = MAPPING_HARDWARE
    rows, cols = hw["pe_rows"], hw["pe_cols"]
    sizes = dict(zip(DIMS, layer.gemm_dims, strict=True))
    tiles = {
        x: np.minimum(
            np.asarray([d[f"tile_{x.lower()}"] for d in designs], dtype=np.int64), sizes[x]
        )
        for x in DIMS
    }
    trips = {x: -(-sizes[x] // tiles[x]) for x in DIMS}
    par = [d["parallel"].split("-") for d in designs]
    row_dim = np.asarray([p[0] for p in par])
    col_dim = np.asarray([p[1] for p in par])
    time_dim = np.asarray([next(x for x in DIMS if x not in p) for p in par])

    # Compute and buffer traffic, summed over the 8 classes of (full / remainder) tile shapes.
    compute = np.zeros(len(designs))
    sram = np.zeros(len(designs))
    for (em, cm), (en, cn), (ek, ck) in itertools.product(
        *(_tile_classes(np.int64(sizes[x]), tiles[x]) for x in DIMS)
    ):
        ext = {"M": em, "N": en, "K": ek}
        count = cm * cn * ck
        sr, sc, t = (
            np.select([which == x for x in DIMS], [ext[x] for x in DIMS])
            for which in (row_dim, col_dim, time_dim)
        )
        fr, fc = -(-sr // rows), -(-sc // cols)
        # A reduction spread over the array (K spatial) needs its stationary operand loaded first.
        per_fold = np.where(time_dim == "K", t + rows + cols - 2, 2 * rows + cols + t - 2)
        # Each tile is one SCALE-Sim layer run: its folds, less the one cycle SCALE-Sim does not count.
        compute += count * np.where(sr * sc * t > 0, fr * fc * per_fold - 1, 0)
        for dims in OPERANDS.values():
            size = ext[dims[0]] * ext[dims[1]]
            on_rows = (row_dim == dims[0]) | (row_dim == dims[1])
            on_cols = (col_dim == dims[0]) | (col_dim == dims[1])
            sram += count * size * np.where(on_rows & on_cols, 1, np.where(on_rows, fc, fr))

    # DRAM: reload factor = product of trip counts of every loop down to the innermost relevant one.
    dram = np.zeros(len(designs))
    order = [d["loop_order"] for d in designs]
    for name, dims in OPERANDS.items():
        reloads = np.ones(len(designs), dtype=np.int64)
        for i, o in enumerate(order):
            innermost = max(o.index(x) for x in dims)
            reloads[i] = int(np.prod([trips[x][i] for x in o[: innermost + 1]]))
        footprint = sizes[dims[0]] * sizes[dims[1]]
        distinct_tiles = trips[dims[0]] * trips[dims[1]]
        traffic = footprint * reloads / distinct_tiles
        if name == "ofmap":
            # Every revisit of an output tile beyond the first reads its partial sums back.
            traffic = traffic + footprint * (reloads - distinct_tiles) / distinct_tiles
        dram += traffic

    # Tiles that overflow the buffer cannot be reused from it: every buffer access goes to DRAM.
    words = hw["glb_kb"] * 1024 * 8 // hw["bits"]
    fits = (
        2 * (tiles["M"] * tiles["K"] + tiles["K"] * tiles["N"]) + tiles["M"] * tiles["N"] <= words
    )
    dram = np.where(fits, dram, np.maximum(dram, sram))

    tech = technology()
    e = tech["energy_pj"]
    scale = hw["bits"] / tech["reference_bits"]
    macs = float(np.prod(layer.gemm_dims))
    dram_bytes = dram * hw["bits"] / 8
    n_tiles = trips["M"] * trips["N"] * trips["K"]
    fill = np.ceil(dram_bytes / n_tiles / hw["dram_bw"])
    cycles = fill + np.maximum(
        compute, np.ceil((dram_bytes - dram_bytes / n_tiles) / hw["dram_bw"])
    )
    e_glb = e["glb_access"] * scale * np.sqrt(hw["glb_kb"] / e["glb_reference_kb"])
    energy_uj = (
        macs * (e["mac"] * scale**2 + 3 * e["rf_access"] * scale + 2 * e["noc_hop"] * scale)
        + sram * e_glb
        + dram_bytes * e["dram_per_byte"]
    ) / 1e6
    latency_ms = cycles / (hw["clock_mhz"] * 1e3)
    return {
        "cycles": cycles,
        "latency_ms": latency_ms,
        "energy_uj": energy_uj,
        "utilization": macs / (cycles * rows * cols),
        "dram_mb": dram_bytes / 1e6,
        "edp_uj_ms": energy_uj * latency_ms,
    }


class MappingSimulator(BatchSimulator):
    """Mapping cost model of one layer on :data:`MAPPING_HARDWARE` (see the module docstring)."""

    name = "accelerator-mapping"
    version = "1"
    metrics = METRICS
    default_workload = "resnet50/conv3_1b"

    def design_space(self, workload: Any = None) -> DesignSpace:
        return mapping_space(self.load_workload(workload))

    def load_workload(self, spec: Any = None) -> Layer:
        return resolve_layer(self.default_workload if spec is None else spec)

    def workload_id(self, workload: Any) -> str:
        if isinstance(workload, str):
            return workload
        layer = self.load_workload(workload)
        return f"{layer.name}:{'x'.join(map(str, layer.gemm_dims))}"

    def evaluate_batch(
        self, designs: Sequence[Design], workload: Any = None
    ) -> list[dict[str, float] | EvaluationError]:
        if not designs:
            return []
        costs = mapping_costs(designs, self.load_workload(workload))
        return [{k: float(v[i]) for k, v in costs.items()} for i in range(len(designs))]
