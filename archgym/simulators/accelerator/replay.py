"""Exact SCALE-Sim stall-free DRAM reads by replaying its request order, without simulating cycles.

SCALE-Sim's stall-free read buffer (``ReadBufferEstimateBw``) fetches a word from DRAM unless
it was already fetched in the current *window*: it collects distinct words into 100 sets of
``floor(words / 100)``, and each time 50 sets fill up it forgets all of them. So DRAM reads
are the sum, over consecutive windows of ``50 * floor(words / 100)`` distinct words, of the
distinct words in each. The count depends on the order in which the array requests words:
fold after fold (column folds outer), and inside a fold either along the anti-diagonals of
the skewed systolic feed or row by row from the bottom for a pre-loaded stationary block.

This module rebuilds that request order with NumPy and counts windows with a "previous
occurrence" array, so it matches SCALE-Sim exactly where :func:`model.layer_costs` can only
estimate (operands larger than the buffer window). It costs O(requests), so it is used for
fidelity checks and on request (``AcceleratorSimulator(dram="replay")``), not in bulk DSE.

Example:
    >>> from archgym.simulators.accelerator.layers import Layer
    >>> g = Layer.gemm("g", 64, 32, 48)  # ifmap 64x48, filter 48x32 words
    >>> replay_dram_reads(g, "os", 8, 8, window_if=10_000, window_f=10_000)  # both fit: once each
    (3072, 1536)
    >>> replay_dram_reads(g, "os", 8, 8, window_if=500, window_f=500)  # re-fetched per fold pass
    (12288, 1884)
"""

from __future__ import annotations

import numpy as np

from archgym.simulators.accelerator.layers import Layer


def ifmap_addresses(layer: Layer) -> np.ndarray:
    """SCALE-Sim's im2col address matrix of one group: ``(M, K)``, ``-1`` where a window overhangs."""
    m, _, k = layer.gemm_dims
    c = layer.in_c // layer.groups
    pix, win = np.arange(m)[:, None], np.arange(k)[None, :]
    p, q = np.divmod(pix, layer.q)
    r, rest = np.divmod(win, layer.s * c)
    s, ch = np.divmod(rest, c)
    row, col = p * layer.stride + r, q * layer.stride + s
    valid = (row < layer.span_h) & (col < layer.span_w)
    return np.where(valid, (row * layer.span_w + col) * c + ch, -1)


def _skewed(block: np.ndarray) -> np.ndarray:
    """Valid words of a block fed through a skewed systolic edge: by anti-diagonal, then column."""
    t, w = block.shape
    tt, cc = np.meshgrid(np.arange(t), np.arange(w), indexing="ij")
    order = np.lexsort((cc.ravel(), (tt + cc).ravel()))
    flat = block.ravel()[order]
    return flat[flat >= 0]


def _bottom_up(block: np.ndarray) -> np.ndarray:
    """Valid words of a stationary block loaded row by row from its last row."""
    flat = block[::-1].ravel()
    return flat[flat >= 0]


def request_streams(
    layer: Layer, dataflow: str, rows: int, cols: int
) -> tuple[np.ndarray, np.ndarray]:
    """Ifmap and filter words in the order SCALE-Sim's array requests them (one group of ``layer``)."""
    a = ifmap_addresses(layer)
    m, n, k = layer.gemm_dims
    f = np.arange(k * n).reshape(k, n)
    sr, sc = {"os": (m, n), "ws": (k, n), "is": (k, m)}[dataflow]
    fr_n, fc_n = -(-sr // rows), -(-sc // cols)
    ifmap, filt = [], []
    for fc in range(fc_n):
        c0 = slice(fc * cols, (fc + 1) * cols)
        for fr in range(fr_n):
            r0 = slice(fr * rows, (fr + 1) * rows)
            if dataflow == "os":
                ifmap.append(_skewed(a[r0, :].T))
                filt.append(_skewed(f[:, c0]))
            elif dataflow == "ws":
                ifmap.append(_skewed(a[:, r0]))
                filt.append(_bottom_up(f[r0, c0]))
            else:
                ifmap.append(_bottom_up(a[c0, r0].T))
                filt.append(_skewed(f[r0, :].T))
    return np.concatenate(ifmap), np.concatenate(filt)


def windowed_distinct(stream: np.ndarray, window: int) -> int:
    """Sum over consecutive windows of ``window`` distinct words of the distinct words in each.

    >>> windowed_distinct(np.array([1, 2, 1, 3, 1, 2]), 3)  # {1,2,3} closes at the 3; then {1,2}
    5
    """
    n = stream.size
    if n == 0:
        return 0
    if window <= 0:
        # Under 100 words SCALE-Sim's sets hold no word (and SCALE-Sim fails); fetch each word once.
        return int(np.unique(stream).size)
    order = np.argsort(stream, kind="stable")
    ranked = stream[order]
    prev = np.full(n, -1, dtype=np.int64)
    same = ranked[1:] == ranked[:-1]
    prev[order[1:][same]] = order[:-1][same]
    total, start = 0, 0
    while start < n:
        # Grow the look-ahead until it holds `window` words not seen since `start`.
        span = 2 * window
        while True:
            end = min(n, start + span)
            fresh = np.cumsum(prev[start:end] < start)
            hit = np.searchsorted(fresh, window)
            if hit < fresh.size or end == n:
                break
            span *= 2
        if hit >= fresh.size:
            return total + int(fresh[-1])
        total += window
        start += int(hit) + 1
    return total


def replay_dram_reads(
    layer: Layer, dataflow: str, rows: int, cols: int, *, window_if: int, window_f: int
) -> tuple[int, int]:
    """SCALE-Sim's stall-free ifmap and filter DRAM reads for one group of ``layer``."""
    ifmap, filt = request_streams(layer, dataflow, rows, cols)
    return windowed_distinct(ifmap, window_if), windowed_distinct(filt, window_f)
