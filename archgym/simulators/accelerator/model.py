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
OPERANDS = ("ifmap", "filter", "ofmap")
#: The knobs of a design with SCALE-Sim's memory system: one buffer per operand (KB) and one DRAM
#: bandwidth per operand (bytes per cycle), instead of ``glb_kb``, ``glb_policy`` and ``dram_bw``.
OPERAND_KNOBS = tuple(f"{op}_kb" for op in OPERANDS) + tuple(f"{op}_dram_bw" for op in OPERANDS)
#: How DRAM transfers stall the array: ``"streams"``, each operand's prefetch on its own
#: bandwidth as SCALE-Sim's USER mode runs it, or ``"shared"``, one bus for all three.
DRAM_BUSES = ("streams", "shared")

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
    #: Per-operand (ifmap, filter, ofmap) buffer KB, ``(D, 1)`` each (designs with ``ifmap_kb``...).
    operand_kb: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    #: Per-operand DRAM bandwidths in bytes per cycle (designs with ``ifmap_dram_bw``...).
    operand_bw: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @classmethod
    def from_designs(cls, designs: Sequence[Mapping[str, Any]]) -> HardwareArrays:
        """Columns of the designs: each has either ``glb_kb``, ``glb_policy`` and ``dram_bw`` (one
        buffer, one DRAM channel) or :data:`OPERAND_KNOBS` (SCALE-Sim's three buffers, each with its
        own DRAM bandwidth); a mix of both kinds in one batch is refused."""

        def col(key: str, fn: Any = int, dtype: Any = np.int64) -> np.ndarray:
            return np.asarray([fn(d[key]) for d in designs], dtype=dtype).reshape(-1, 1)

        per_operand = ["ifmap_kb" in d for d in designs]
        if any(per_operand) and not all(per_operand):
            raise ValueError(
                "designs mix a global buffer (glb_kb) and per-operand buffers (ifmap_kb, ...); "
                "evaluate them in separate batches"
            )
        common = dict(
            rows=col("pe_rows"),
            cols=col("pe_cols"),
            dataflow=col("dataflow", DATAFLOWS.index),
            rf_bytes=col("rf_bytes"),
            noc_bw=col("noc_bw", float, np.float64),
            clock_mhz=col("clock_mhz", float, np.float64),
            bits=col("bits"),
        )
        if not any(per_operand):
            return cls(
                **common,
                glb_kb=col("glb_kb"),
                shared=col("glb_policy", lambda v: v == "shared", bool),
                dram_bw=col("dram_bw", float, np.float64),
            )
        kb = tuple(col(f"{op}_kb", float, np.float64) for op in OPERANDS)
        bw = tuple(col(f"{op}_dram_bw", float, np.float64) for op in OPERANDS)
        return cls(
            **common,
            glb_kb=sum(kb),  # type: ignore[arg-type]
            shared=np.zeros_like(kb[0], dtype=bool),
            dram_bw=sum(bw),  # type: ignore[arg-type]
            operand_kb=kb,  # type: ignore[arg-type]
            operand_bw=bw,  # type: ignore[arg-type]
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
    shape = np.broadcast_shapes(hw.glb_kb.shape, u_if.shape)
    if hw.sram_bytes is not None:
        return tuple(np.full(shape, b, dtype=np.int64) for b in hw.sram_bytes)  # type: ignore[return-value]
    if hw.operand_kb is not None:
        return tuple(  # type: ignore[return-value]
            np.broadcast_to((kb * 1024).astype(np.int64), shape) for kb in hw.operand_kb
        )
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


def _incidences(
    span: np.ndarray, n_out: np.ndarray, k: np.ndarray, stride: np.ndarray
) -> np.ndarray:
    """Valid (window, input row) pairs along one axis: ``sum_i min(k, span - i*stride)`` over the
    ``n_out`` windows, clipped at zero (SCALE-Sim's ceil-sized outputs can overhang the input)."""
    n_full = np.clip((span - k) // stride + 1, 0, n_out)
    n_end = np.clip(_cdiv(span, stride), n_full, n_out)
    cnt = n_end - n_full
    return n_full * k + cnt * span - stride * (n_full + n_end - 1) * cnt // 2


def _window_span(
    reads: np.ndarray,
    reuses: Sequence[np.ndarray],
    gaps: Sequence[np.ndarray],
    window: np.ndarray,
) -> np.ndarray:
    """Fraction ``l`` of a pass that one of SCALE-Sim's windows spans: the least ``l`` with
    ``U(l) = window`` distinct words, ``U(l) = reads * l - sum_c reuses_c * max(0, l - gaps_c)``.

    A window fills with ``window`` distinct words and is then forgotten whole, so its misses are
    the distinct words of the stretch of reads it spans: all of that stretch's reads but the
    re-reads whose previous read falls inside it, which for a reuse class ``c`` (``reuses_c`` per
    pass, ``gaps_c`` of the pass after its previous read) are ``reuses_c * (l - gaps_c)`` of a
    stretch of ``l`` passes. ``U`` is piecewise linear and increasing (each class's reuses are
    fewer than the reads), so the span is found segment by segment, classes in order of gap.
    """
    # Classes on the last axis (contiguous): sorting them is the costly step.
    n = np.stack(np.broadcast_arrays(*reuses), axis=-1).astype(np.float64)
    g = np.stack(np.broadcast_arrays(*gaps), axis=-1).astype(np.float64)
    n, g = np.broadcast_arrays(n, g)
    order = np.argsort(g, axis=-1)
    n, g = (np.take_along_axis(x, order, axis=-1) for x in (n, g))
    # U at each class's gap, in order: the span lies past every gap where U is at most the window
    # (U(0) = 0), so those classes' re-reads fall inside it and set U's slope and offset there.
    ng = n * g
    at_gap = reads[..., None] * g - (np.cumsum(n, axis=-1) - n) * g + np.cumsum(ng, axis=-1) - ng
    w = window.astype(np.float64)
    inside = at_gap <= w[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        span = (w - (ng * inside).sum(-1)) / (reads - (n * inside).sum(-1))
    return np.where(np.isfinite(span) & (span > 0), span, np.inf)


_SPILL_KEYS = ("p", "q", "r", "s", "c", "stride", "span_h", "span_w", "m", "n", "k")


def _ifmap_spill(
    layers: Mapping[str, np.ndarray],
    rows: np.ndarray,
    cols: np.ndarray,
    df: np.ndarray,
    window: np.ndarray,
) -> np.ndarray:
    """SCALE-Sim's stall-free ifmap DRAM reads when the ifmap does not fit its window (os, ws, is).

    The array streams the im2col'd ifmap in passes that each read every input word (os: once per
    column fold; ws: once per column fold; is: once). In a pass an input word is read by every
    window that covers it: by horizontally adjacent windows (filter columns ``s`` and ``s +
    stride``) and, later, by the next output row (filter rows ``r`` and ``r + stride``). os and is
    go pixel block by pixel block (``rows`` or ``cols`` pixels), each block through its whole
    window in order; ws goes window-slice by window-slice (``rows`` of K), each over all pixels.
    From that order follows, per class of reuse, the fraction of the pass between two reads of a
    word; :func:`_window_span` turns them into the share of a pass one window spans.
    """
    p, q, r, s, c, st = (layers[key][None, :] for key in ("p", "q", "r", "s", "c", "stride"))
    span_h, span_w = layers["span_h"][None, :], layers["span_w"][None, :]
    m, n, k = (layers[key][None, :] for key in ("m", "n", "k"))
    os_, ws_ = df == 0, df == 1
    cov_h, cov_w = _covered(span_h, p, r, st), _covered(span_w, q, s, st)
    inc_h, inc_w = _incidences(span_h, p, r, st), _incidences(span_w, q, s, st)
    distinct = cov_h * cov_w * c
    # Horizontal reuses: a word read by b windows of one output row is read again b - 1 times;
    # vertical: its first read in the next output row that covers it.
    n_h = inc_h * (inc_w - cov_w) * c
    n_v = (inc_h - cov_h) * cov_w * c
    kf = k.astype(np.float64)
    # os / is: pixel blocks of B pixels, each walking its whole window in order (all B pixels
    # together), block after block, so a read of window place k by a block's pixel j comes at
    # about k*B + j. A word's b_w horizontal readers read it at window places st*C apart (the
    # right neighbour first), the next output row's readers st*S*C places earlier. So between two
    # reads of a word the array makes, inside a block, B*st*C reads (the next filter column) or
    # B*dk_v (the next output row's last read before this row's first, dk_v as for ws below).
    # Across blocks, a word's last read in a block is by its reader at the highest window place
    # and its first read in the next block by the one at the lowest, B*(K - spread) reads apart,
    # the spread covering every reader in the block (all b_h rows of them when a block holds more
    # than an output row, Q < B); with Q >= B the next row's readers come Q/B blocks later.
    # Misses are spread over reads evenly, so a gap is a fraction of the pass's reads.
    block = np.where(os_, rows, cols).astype(np.float64)
    reads = np.maximum(inc_h * inc_w * c, 1).astype(np.float64)
    b_w = inc_w / np.maximum(cov_w, 1)
    spread_w = (b_w - 1) * st * c
    # Across blocks the reuse is of words read on both sides of the boundary: inner words with
    # their full set of readers, ceil(S / st) across and, when a block holds more than an output
    # row (Q < B), as many of their ceil(R / st) rows as a block holds (B / Q, at least one).
    full_w = (_cdiv(s, st) - 1) * st * c
    rows_in = np.clip(block / q, 1, np.maximum(_cdiv(r, st) - 1, 1))
    spread = np.where(q < block, full_w + rows_in * st * s * c, full_w)
    dk_v = np.maximum(st * s - (b_w - 1) * st, 1) * c
    h_in = np.maximum(0.0, 1.0 - 1.0 / block)
    v_in = np.clip(1.0 - q / block, 0.0, 1.0)
    h_across = block * np.maximum(kf - spread, st * c)
    # With Q >= B the next row's readers are d = floor(Q / B) blocks later, or d + 1 when all
    # ceil(S / st) of them fall past the nearer block (kept apart: a window spanning d blocks
    # keeps the first and loses the second).
    d = np.maximum(q // block, 1)
    later = np.where(q < block, 0.0, np.maximum(q % block - (_cdiv(s, st) - 1), 0) / block)
    shift = block * (st * s * c + spread_w)
    v_near = np.where(q < block, block * (kf - spread), d * block * kf - shift)
    v_far = (d + 1) * block * kf - shift
    # The last block holds what is left of the M pixels (all of them when M <= B); inside it a
    # reuse comes sooner, after its own B_last reads per window place.
    b_last = (m - (_cdiv(m, block) - 1) * block).astype(np.float64)
    f_last = b_last / m
    h_last = np.maximum(0.0, 1.0 - 1.0 / b_last)
    v_last = np.clip(1.0 - q / b_last, 0.0, 1.0)
    h_x = 1 - (1 - f_last) * h_in - f_last * h_last
    v_x = 1 - (1 - f_last) * v_in - f_last * v_last
    pix = [
        ((1 - f_last) * h_in, block * st * c / reads),
        (f_last * h_last, b_last * st * c / reads),
        (h_x, h_across / reads),
        ((1 - f_last) * v_in, block * dk_v / reads),
        (f_last * v_last, b_last * dk_v / reads),
        (v_x * (1 - later), np.maximum(v_near, block * dk_v) / reads),
        (v_x * later, np.maximum(v_far, block * dk_v) / reads),
    ]
    # ws: window slices of `rows` places, each over every pixel; a reuse dk places later falls in
    # the same slice (a pixel or a row of pixels later) or max(dk, rows) / K of the pass later.
    dk_h = (st * c).astype(np.float64)
    n_slices = _cdiv(k, rows).astype(np.float64)
    ws = []
    none = (np.zeros_like(kf), np.ones_like(kf))  # aligns the classes with the os / is list
    for dk, pixels in ((dk_h, 1.0), (dk_v, q)):
        inside = np.clip(1 - dk / rows, 0, 1)
        ws += [(inside, pixels / m / n_slices), (1 - inside, np.maximum(dk, rows) / kf), none]
    ws.append(none)
    reuses = [n_h, n_h, n_h, n_v, n_v, n_v, n_v]
    counts = [np.where(ws_, a[0], b[0]) * n for a, b, n in zip(ws, pix, reuses, strict=True)]
    gaps = [np.where(ws_, a[1], b[1]) for a, b in zip(ws, pix, strict=True)]
    # Re-reads of the previous pass's words (os, ws: the next column fold) come a pass later.
    counts.append(np.where(os_ | ws_, distinct, 0))
    gaps.append(np.ones_like(kf))
    per_pass = window / _window_span(reads, counts, gaps, window)
    passes = np.where(os_ | ws_, _cdiv(n, cols), 1)
    # A window spanning more than the whole stretch of reuses (no solution) keeps every word.
    return np.ceil(np.maximum(per_pass * passes, distinct))


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
    # Otherwise SCALE-Sim's window fills with W distinct words and then forgets all of them, so a
    # word read again costs a second DRAM read iff a reset fell between its two reads: see
    # _ifmap_spill (exact figures: replay.py; the benchmark prints this model's error).
    buf_if, buf_f, _ = buffer_words(hw, u_if, u_f)
    win_if, win_f = scalesim_window(buf_if, hw.bits), scalesim_window(buf_f, hw.bits)
    w_if, w_f = np.maximum(win_if, 1), np.maximum(win_f, 1)
    # The spill estimate runs only on the (design, layer) pairs whose systolic ifmap spills.
    shape = np.broadcast_shapes(compute.shape, w_if.shape)
    d_idx, l_idx = np.nonzero(np.broadcast_to((u_if > win_if) & ~rs_, shape))
    picked = {key: layers[key][l_idx] for key in _SPILL_KEYS}
    spill = np.zeros(shape)
    spill[d_idx, l_idx] = _ifmap_spill(
        picked,
        *(np.broadcast_to(x, shape)[d_idx, l_idx] for x in (rows, cols, df, w_if)),
    )[0]
    if_spill = np.where(rs_, u_if * filter_groups, spill)
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


def user_fetch_words(
    hw: HardwareArrays, layers: Mapping[str, np.ndarray], c: Mapping[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Ifmap and filter words SCALE-Sim's USER-mode read buffers fetch from DRAM, ``(D, L)`` each.

    A USER-mode buffer (``read_buffer.py``) prefetches its operand's *prefetch matrix* line by
    line without removing duplicates: the im2col'd operand with the folded dimension padded to
    whole folds (os: ifmap ``ceil(M/rows)*rows x K``, filter ``K x ceil(N/cols)*cols``; ws: ifmap
    ``M x ceil(K/rows)*rows``, same filter; is: ifmap ``K x ceil(M/cols)*cols``, filter
    ``ceil(K/rows)*rows x N``), padding included. A matrix that fits the active half is fetched
    once; a larger one slides through the buffer once per sweep of the array over it (ifmap: os
    and ws once per column fold, is once). A filter larger than the active half keeps the
    stall-free count (its re-reads run backwards through a forward-only buffer), as does
    row-stationary.
    """
    m, n, k = (layers[key][None, :] for key in ("m", "n", "k"))
    rows, cols, df = hw.rows, hw.cols, hw.dataflow
    os_, ws_, is_, rs_ = (df == i for i in range(4))
    pad_m = np.where(is_, _cdiv(m, cols) * cols, _cdiv(m, rows) * rows)
    ifmap = np.where(ws_, m * _cdiv(k, rows) * rows, pad_m * k)
    filt = np.where(is_, _cdiv(k, rows) * rows * n, k * _cdiv(n, cols) * cols)
    sweeps = np.where(is_, 1, _cdiv(n, cols))
    u_if, u_f = footprints(layers)
    buf_if, buf_f, _ = buffer_words(hw, u_if, u_f)
    word_bytes = hw.bits / 8
    active_if, active_f = (np.ceil(b / word_bytes / 2) for b in (buf_if, buf_f))
    ifmap = np.where(ifmap <= active_if, ifmap, ifmap * sweeps)
    filt = np.where(filt <= active_f, filt, c["filter_dram_reads"])
    return (
        np.where(rs_, c["ifmap_dram_reads"], ifmap),
        np.where(rs_, c["filter_dram_reads"], filt),
    )


def stream_cycles(
    hw: HardwareArrays,
    layers: Mapping[str, np.ndarray],
    c: Mapping[str, np.ndarray],
    busy: np.ndarray,
) -> np.ndarray:
    """Cycles of each layer instance with every operand's DRAM transfers on their own stream, as
    SCALE-Sim's USER bandwidth mode runs them (``double_buffered_scratchpad``, ``read_buffer``,
    ``write_buffer``):

    * a read buffer fetches its operand as :func:`user_fetch_words` says (the im2col'd ifmap with
      its duplicates); it fills its active half before the first cycle (the layer's lead is the slowest
      of the two fills), then prefetches the rest of its operand half a buffer at a time while the
      array computes; the array stalls whenever the next half is not in yet, so the layer cannot
      end before ``(reads - first half) / bandwidth`` after the lead;
    * the ofmap buffer drains half a buffer to DRAM each time it is more than half full (the
      array stalls while it is full), and after the last write drains what is left.

    Each operand's bandwidth is its own (``ifmap_dram_bw``...) on a per-operand design; on a
    global-buffer design the one ``dram_bw`` channel is shared by the three streams in proportion to
    the layer's traffic of each (a work-conserving arbiter)."""
    word_bytes = hw.bits / 8
    traffic = [w * word_bytes for w in user_fetch_words(hw, layers, c)]
    traffic.append(c["ofmap_dram_writes"] * word_bytes)
    total = traffic[0] + traffic[1] + traffic[2]
    if hw.operand_bw is not None:
        bws = list(np.broadcast_arrays(*hw.operand_bw, total)[:3])
    else:
        share = [
            np.divide(t, total, out=np.full(total.shape, 1 / 3), where=total > 0) for t in traffic
        ]
        bws = [hw.dram_bw * x for x in share]
    u_if, u_f = footprints(layers)
    halves = [b / 2 for b in buffer_words(hw, u_if, u_f)]  # bytes in each active half
    lead = np.zeros(total.shape)
    end = busy.astype(np.float64)
    for t, bw, half in zip(traffic[:2], bws[:2], halves[:2], strict=True):
        first = np.minimum(t, half)
        with np.errstate(divide="ignore", invalid="ignore"):
            lead = np.maximum(lead, np.where(t > 0, np.ceil(first / bw), 0))
            end = np.maximum(end, np.where(t > first, np.ceil((t - first) / bw), 0))
    out, bw_o, half_o = traffic[2], bws[2], np.maximum(halves[2], 1)
    drains = np.maximum(np.floor((out - 1) / half_o), 0)  # mid-layer drains of half a buffer each
    left = out - drains * half_o
    with np.errstate(divide="ignore", invalid="ignore"):
        last_drain = np.where(
            drains > 0,
            np.maximum(busy * drains * half_o / out, drains * half_o / bw_o - half_o / bw_o)
            + np.ceil(half_o / bw_o),
            0,
        )
        end = np.maximum(
            np.maximum(end, last_drain), busy + np.where(out > 0, np.ceil(left / bw_o), 0)
        )
    return lead + end


def network_metrics(
    hw: HardwareArrays,
    layers: Mapping[str, np.ndarray],
    c: Mapping[str, np.ndarray],
    bus: str = "streams",
) -> dict[str, np.ndarray]:
    """Metrics from per-layer counts ``c`` (from :func:`layer_costs` or the SCALE-Sim backend).

    A layer instance is busy ``max(compute, buffer traffic / noc_bw)`` cycles; DRAM stalls come
    from :func:`stream_cycles` (``bus="streams"``) or, with ``bus="shared"``, from one bus for all
    traffic: double buffering hides transfers behind compute except one fold's share before the
    first fold, and whatever the transfer time exceeds compute by.
    """
    if bus not in DRAM_BUSES:
        raise ValueError(f"bus {bus!r} is not one of {', '.join(map(repr, DRAM_BUSES))}")
    e = technology()["energy_pj"]
    ref_bits = technology()["reference_bits"]
    count = layers["count"][None, :]
    word_bytes = hw.bits / 8
    sram_words = c["ifmap_sram_reads"] + c["filter_sram_reads"] + c["ofmap_sram_writes"]
    dram_bytes = (
        c["ifmap_dram_reads"] + c["filter_dram_reads"] + c["ofmap_dram_writes"]
    ) * word_bytes
    busy = np.maximum(c["compute_cycles"], np.ceil(sram_words / hw.noc_bw))
    if bus == "streams":
        layer_cycles = stream_cycles(hw, layers, c, busy)
    else:
        fill = np.ceil(dram_bytes / c["folds"] / hw.dram_bw)
        stream = np.ceil((dram_bytes - dram_bytes / c["folds"]) / hw.dram_bw)
        layer_cycles = busy + fill + np.maximum(0.0, stream - busy)
    cycles = (layer_cycles * count).sum(axis=1)

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
