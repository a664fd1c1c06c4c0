"""The analytical spatial-accelerator model, vectorised over designs x layers with NumPy.

For the systolic dataflows (output-, weight-, input-stationary) the model is SCALE-Sim's fold
model (Samajdar et al., ISPASS 2020), written in closed form from SCALE-Sim 3.0's compute and
memory code so that compute cycles and SRAM reads/writes equal its figures exactly, and DRAM
traffic equals its stall-free (``CALC``) figures whenever an operand fits in SCALE-Sim's buffer
window. A layer's GEMM view (M output pixels, N filters, K = R*S*C window) maps onto the
array as ``(Sr, Sc, T)``: os ``(M, N, K)``, ws ``(K, N, M)``, is ``(K, M, N)``; it is cut into
``ceil(Sr/rows) * ceil(Sc/cols)`` folds, each costing ``T + rows + cols - 2`` cycles (os) or
``2*rows + cols + T - 2`` (ws, is), less one cycle per layer.

Our own additions, documented where they are computed: row-stationary (Eyeriss-style)
mapping, DRAM re-fetch when an operand spills the buffer, stalls under finite DRAM and
buffer-to-array (NoC) bandwidth, energy per access level and area.

Example:
    >>> from archgym.simulators.accelerator.layers import load_network
    >>> hw = HardwareArrays.from_designs([dict(BASELINE, dataflow="os", pe_rows=16, pe_cols=16)])
    >>> costs = layer_costs(hw, load_network("resnet18").arrays)
    >>> # conv1 on 16x16 os: ceil(12544/16) * ceil(64/16) folds of 147 + 16 + 16 - 2 cycles, less one
    >>> int(costs["compute_cycles"][0, 0]) == 784 * 4 * (147 + 30) - 1
    True
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from archgym._yaml import load as load_yaml

DATAFLOWS = ("os", "ws", "is", "rs")
BUFFER_POLICIES = ("split", "shared")
#: Fractions of the global buffer given to ifmap, filter and ofmap when the buffer is split.
SPLIT_FRACTIONS = (0.375, 0.375, 0.25)

#: An Eyeriss-like design (Chen et al., ISCA 2016: 12x14 PEs, row-stationary, 0.5 KB of
#: scratchpad per PE, 108 KB buffer -> 128 KB here, 64-bit DRAM bus, 16-bit words, 200 MHz).
BASELINE: dict[str, Any] = {
    "pe_rows": 12,
    "pe_cols": 14,
    "dataflow": "rs",
    "rf_bytes": 512,
    "glb_kb": 128,
    "glb_policy": "shared",
    "dram_bw": 8,
    "noc_bw": 32,
    "clock_mhz": 200,
    "bits": 16,
}


@functools.cache
def technology() -> dict[str, Any]:
    """Per-access energies and areas (``technology.yaml``, sources named in the file)."""
    with open(Path(__file__).parent / "technology.yaml") as f:
        return load_yaml(f)


def _cdiv(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return -(-a // b)


@dataclass
class HardwareArrays:
    """Design parameters as ``(D, 1)`` columns so they broadcast against ``(1, L)`` layers."""

    rows: np.ndarray
    cols: np.ndarray
    dataflow: np.ndarray  # index into DATAFLOWS
    rf_bytes: np.ndarray
    glb_kb: np.ndarray
    shared: np.ndarray  # bool
    dram_bw: np.ndarray  # bytes per cycle
    noc_bw: np.ndarray  # words per cycle, buffer <-> array
    clock_mhz: np.ndarray
    bits: np.ndarray
    #: Explicit (ifmap, filter, ofmap) buffer bytes, as SCALE-Sim configures them; overrides glb_kb.
    sram_bytes: tuple[int, int, int] | None = None

    @classmethod
    def from_designs(cls, designs: Sequence[Mapping[str, Any]]) -> HardwareArrays:
        def col(key: str, fn: Any = int, dtype: Any = np.int64) -> np.ndarray:
            return np.asarray([fn(d[key]) for d in designs], dtype=dtype).reshape(-1, 1)

        return cls(
            rows=col("pe_rows"),
            cols=col("pe_cols"),
            dataflow=col("dataflow", DATAFLOWS.index),
            rf_bytes=col("rf_bytes"),
            glb_kb=col("glb_kb"),
            shared=col("glb_policy", lambda v: v == "shared", bool),
            dram_bw=col("dram_bw", float, np.float64),
            noc_bw=col("noc_bw", float, np.float64),
            clock_mhz=col("clock_mhz", float, np.float64),
            bits=col("bits"),
        )


def scalesim_window(buffer_bytes: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """Distinct words SCALE-Sim's stall-free read buffer dedups over: it groups requests into
    100 sets of ``floor(words / 100)`` and forgets them 50 sets (half the buffer) at a time."""
    words = (buffer_bytes * 8) // bits
    return 50 * (words // 100)


def buffer_words(
    hw: HardwareArrays, u_if: np.ndarray, u_f: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Buffer bytes for ifmap, filter and ofmap. A shared buffer is divided per layer in
    proportion to the two input operands' footprints, neither getting less than 1/16 of it
    (the ofmap keeps the split share)."""
    if hw.sram_bytes is not None:
        shape = np.broadcast_shapes(hw.glb_kb.shape, u_if.shape)
        return tuple(np.full(shape, b, dtype=np.int64) for b in hw.sram_bytes)  # type: ignore[return-value]
    total = hw.glb_kb * 1024
    fi, ff, fo = SPLIT_FRACTIONS
    split_if, split_f, out = (
        (total * fi).astype(np.int64),
        (total * ff).astype(np.int64),
        (total * fo).astype(np.int64),
    )
    inputs = total - out
    share_if = np.clip(
        inputs * u_if // np.maximum(u_if + u_f, 1), inputs // 16, inputs - inputs // 16
    ).astype(np.int64)
    buf_if = np.where(hw.shared, share_if, split_if)
    buf_f = np.where(hw.shared, inputs - share_if, split_f)
    return buf_if, buf_f, np.broadcast_to(out, buf_if.shape)


def _covered(span: np.ndarray, n_out: np.ndarray, k: np.ndarray, stride: np.ndarray) -> np.ndarray:
    """Input rows (or columns) some window reads: windows start at ``i*stride``, are ``k`` long and
    are clipped to ``span`` (SCALE-Sim's ceil-sized outputs can overhang the input)."""
    n_full = np.minimum((span - k) // stride + 1, n_out)
    overlapping = np.minimum((n_out - 1) * stride + k, span)
    disjoint = n_full * k + (n_out - n_full) * np.maximum(0, span - n_full * stride)
    return np.where(stride < k, overlapping, disjoint)


def footprints(layers: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct ifmap and filter words of one group-instance of each layer, shape ``(1, L)``."""
    p, q, r, s, c, stride = (layers[key][None, :] for key in ("p", "q", "r", "s", "c", "stride"))
    u_if = (
        _covered(layers["span_h"][None, :], p, r, stride)
        * _covered(layers["span_w"][None, :], q, s, stride)
        * c
    )
    return u_if, (layers["k"] * layers["n"])[None, :]


def layer_costs(hw: HardwareArrays, layers: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Counts for one group-instance of every layer on every design, each ``(D, L)``.

    Keys: ``compute_cycles``, ``ifmap_sram_reads``, ``filter_sram_reads``, ``ofmap_sram_writes``,
    ``ifmap_dram_reads``, ``filter_dram_reads``, ``ofmap_dram_writes`` (words), ``macs`` and
    ``folds`` (over which the first DRAM fill is spread).
    """
    m, n, k = (layers[key][None, :] for key in ("m", "n", "k"))
    rows, cols, df = hw.rows, hw.cols, hw.dataflow
    os_, ws_, is_, rs_ = (df == i for i in range(4))

    # --- systolic dataflows: SCALE-Sim's fold model -------------------------------------------
    sr = np.where(os_, m, k)
    sc = np.where(os_ | ws_, n, m)
    t = np.where(os_, k, np.where(ws_, m, n))
    fr, fc = _cdiv(sr, rows), _cdiv(sc, cols)
    folds = fr * fc
    per_fold = np.where(os_, t + rows + cols - 2, 2 * rows + cols + t - 2)
    compute = folds * per_fold - 1
    ifr = np.where(is_, k * m, k * m * fc)
    flr = np.where(ws_, k * n, k * n * np.where(os_, fr, fc))
    # SCALE-Sim's os counts rows + cols extra write requests per fold (its drain bookkeeping).
    ofw = np.where(os_, m * n + folds * (rows + cols), m * n * fr)

    # --- row-stationary (our own first-order model, after Eyeriss): a PE set of R filter rows x
    # P output rows; each PE runs a 1-D convolution of S x Q MACs per (channel, filter) pair;
    # sets are replicated across the array for different pairs; folded when a set is too big.
    r_, s_, p_, q_, c_ = (layers[key][None, :] for key in ("r", "s", "p", "q", "c"))
    set_h, set_w = np.minimum(r_, rows), np.minimum(p_, cols)
    set_folds = _cdiv(r_, rows) * _cdiv(p_, cols)
    sets = (rows // set_h) * (cols // set_w)
    pairs = c_ * n
    passes = _cdiv(pairs, sets) * set_folds
    rs_compute = passes * (s_ * q_ + set_h + set_w - 2)
    # A filter row and an input window must sit in the PE's register file; when they do not,
    # the 1-D convolution is cut into chunks and partial sums go back to the buffer per chunk.
    rf_words = (hw.rf_bytes * 8) // hw.bits
    chunks = _cdiv(2 * s_ + 1, np.maximum(rf_words, 1))
    channel_passes = _cdiv(c_, np.maximum(sets // np.minimum(sets, n), 1))
    # Each input plane is multicast to the filters mapped at once and read again per filter group.
    u_if, u_f = footprints(layers)
    filter_groups = _cdiv(n, np.minimum(sets, n))
    rs_ifr = u_if * filter_groups
    rs_flr = k * n
    rs_ofw = m * n * channel_passes * chunks * _cdiv(r_, rows)

    compute = np.where(rs_, rs_compute, compute)
    folds = np.where(rs_, passes, folds)
    ifr = np.where(rs_, rs_ifr, ifr)
    flr = np.where(rs_, rs_flr, flr)
    ofw = np.where(rs_, rs_ofw, ofw)

    # --- DRAM traffic: distinct words once if the operand fits SCALE-Sim's buffer window (exact).
    # Otherwise an estimate of SCALE-Sim's window-by-window refetching (exact figures: replay.py;
    # the benchmark prints this estimate's error). The window forgets everything each time it
    # fills, so what it costs is the reuse still pending when it does:
    buf_if, buf_f, _ = buffer_words(hw, u_if, u_f)
    win_if, win_f = scalesim_window(buf_if, hw.bits), scalesim_window(buf_f, hw.bits)
    w_if, w_f = np.maximum(win_if, 1), np.maximum(win_f, 1)
    # - ifmap, os and is: one sweep over the output pixels reuses input rows between vertically
    #   adjacent windows; the rows shared with the next output row (R - stride of them) are the
    #   pending reuse, lost at every window reset. os sweeps once per column fold, is once.
    #   ws streams one slice of `rows` window elements over all pixels per fold; when a slice
    #   spans several (r, s) offsets (fewer channels than rows), neighbouring pixels share inputs
    #   inside the fold; reuse between folds (the other offsets of a channel) is a whole operand away.
    live = np.maximum(r_ - layers["stride"][None, :], 0) * layers["span_w"][None, :] * c_
    sweep = np.where(
        live < w_if,
        u_if * w_if / np.maximum(w_if - live, 1),
        u_if * _cdiv(r_, layers["stride"][None, :]),
    )
    sweep = np.minimum(sweep, k * m)
    offsets = np.minimum(_cdiv(rows, c_), r_ * s_)
    s_span, r_span = np.minimum(offsets, s_), _cdiv(offsets, s_)
    stride_ = layers["stride"][None, :]
    slice_words = (
        np.minimum(c_, rows)
        * _covered(layers["span_h"][None, :], p_, np.minimum(r_span, r_), stride_)
        * _covered(layers["span_w"][None, :], q_, s_span, stride_)
    )
    ws_if = fc * np.minimum(fr * slice_words, k * m)
    if_spill = np.where(
        ws_, ws_if, np.where(os_, fc * sweep, np.where(is_, sweep, u_if * filter_groups))
    )
    dram_if = np.where(u_if <= win_if, u_if, np.minimum(if_spill, ifr)).astype(np.int64)
    # - filter, os: a column fold's block (K x cols) is re-read by each row fold back to back.
    #   A window holding j whole blocks ends inside block j+1, which is fetched again in the next
    #   window: every full window but the last advances only j blocks. A block larger than the
    #   window is fetched whole on every re-read (the narrower last block, N % cols, may still fit).
    f_block, n_blocks = k * np.minimum(n, cols), n // cols
    f_rest = k * (n - n_blocks * cols)
    per_window = w_f // f_block
    full = np.maximum(_cdiv(fc, np.maximum(per_window, 1)) - 1, 0)
    os_f = np.where(
        per_window >= 1,
        full * w_f + u_f - full * per_window * f_block,
        n_blocks * f_block * fr + np.where(f_rest <= w_f, f_rest, f_rest * fr),
    )
    os_f = np.where(fr == 1, u_f, os_f)
    # - filter, is: the whole filter is re-streamed once per column fold; ws reads it once.
    dram_f = np.where(u_f <= win_f, u_f, np.where(os_, os_f, np.where(is_, u_f * fc, u_f)))
    dram_of = np.where(os_ | rs_, m * n, ofw)

    return {
        "compute_cycles": compute,
        "ifmap_sram_reads": ifr,
        "filter_sram_reads": flr,
        "ofmap_sram_writes": ofw,
        "ifmap_dram_reads": dram_if,
        "filter_dram_reads": dram_f,
        "ofmap_dram_writes": dram_of,
        "macs": np.broadcast_to(m * n * k, compute.shape),
        "folds": folds,
    }


def area_mm2(hw: HardwareArrays) -> np.ndarray:
    """Chip area: PEs (MAC + register file + overhead), global buffer SRAM, fixed I/O. Shape ``(D,)``."""
    a = technology()["area_mm2"]
    scale = hw.bits / technology()["reference_bits"]
    pe = (a["mac"] * scale**2 + hw.rf_bytes / 1024 * a["rf_per_kb"]) * (1 + a["pe_overhead"])
    return (hw.rows * hw.cols * pe + hw.glb_kb * a["sram_per_kb"] + a["fixed"]).ravel()


def network_metrics(
    hw: HardwareArrays, layers: Mapping[str, np.ndarray], c: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Metrics from per-layer counts ``c`` (from :func:`layer_costs` or the SCALE-Sim backend).

    Cycles per layer instance are ``max(compute, buffer traffic / noc_bw)`` plus DRAM stalls:
    double buffering hides DRAM transfers behind compute except one fold's share of the
    traffic before the first fold, and whatever the transfer time exceeds compute by.
    """
    e = technology()["energy_pj"]
    ref_bits = technology()["reference_bits"]
    count = layers["count"][None, :]
    word_bytes = hw.bits / 8
    sram_words = c["ifmap_sram_reads"] + c["filter_sram_reads"] + c["ofmap_sram_writes"]
    dram_bytes = (
        c["ifmap_dram_reads"] + c["filter_dram_reads"] + c["ofmap_dram_writes"]
    ) * word_bytes
    busy = np.maximum(c["compute_cycles"], np.ceil(sram_words / hw.noc_bw))
    fill = np.ceil(dram_bytes / c["folds"] / hw.dram_bw)
    stream = np.ceil((dram_bytes - dram_bytes / c["folds"]) / hw.dram_bw)
    stall = fill + np.maximum(0.0, stream - busy)
    cycles = ((busy + stall) * count).sum(axis=1)

    scale = hw.bits / ref_bits
    macs = c["macs"] * count
    # Three register-file accesses per MAC (two operands, one partial sum); systolic forwarding
    # moves two operands one hop per MAC, and every buffer write drains through the array.
    e_rf = e["rf_access"] * scale * np.sqrt(hw.rf_bytes / e["rf_reference_bytes"])
    e_glb = e["glb_access"] * scale * np.sqrt(hw.glb_kb / e["glb_reference_kb"])
    energy_pj = (
        macs * (e["mac"] * scale**2 + 3 * e_rf + 2 * e["noc_hop"] * scale)
        + c["ofmap_sram_writes"] * count * e["noc_hop"] * scale
        + sram_words * count * e_glb
        + dram_bytes * count * e["dram_per_byte"]
    ).sum(axis=1)
    latency_ms = cycles / (hw.clock_mhz.ravel() * 1e3)
    energy_uj = energy_pj / 1e6
    total_macs = macs.sum(axis=1)
    return {
        "cycles": cycles.astype(np.float64),
        "latency_ms": latency_ms,
        "energy_uj": energy_uj,
        "area_mm2": area_mm2(hw),
        "utilization": total_macs / (cycles * (hw.rows * hw.cols).ravel()),
        "dram_mb": (dram_bytes * count).sum(axis=1) / 1e6,
        "edp_uj_ms": energy_uj * latency_ms,
        "power_mw": energy_uj / latency_ms,
    }
