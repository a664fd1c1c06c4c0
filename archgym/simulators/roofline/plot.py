"""Roofline plot of an :func:`~archgym.simulators.roofline.analyze` result.

Example:
    >>> from archgym.simulators.roofline import analyze, plot_roofline
    >>> fig = plot_roofline(analyze("llama-2-7b", "a100", "decode", batch_size=8, seq_len=3968))
    >>> fig.axes[0].get_xlabel()
    'arithmetic intensity (OP/byte)'
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from archgym.simulators.roofline.analyzer import RooflineResult

_PRECISION_NAMES = {4: "4-bit", 8: "8-bit", 16: "16-bit", 32: "32-bit"}


def plot_roofline(result: RooflineResult, path: str | Path | None = None) -> Figure:
    """Draw the device's rooflines (one ceiling per precision) and each operator as a point at
    (arithmetic intensity, attained OP/s). Saves to ``path`` (PNG, SVG, PDF by suffix) if given.

    Uses :class:`matplotlib.figure.Figure` directly, so no GUI backend or pyplot state is touched.
    """
    ops = result.ops[(result.ops["ops"] > 0) & (result.ops["memory_access_bytes"] > 0)]
    hw = result.hardware
    fig = Figure(figsize=(7.5, 5.0), layout="constrained")
    ax = fig.add_subplot()
    ai = ops["arithmetic_intensity"].to_numpy()
    lo = min(0.05, float(ai.min()) / 2 if len(ai) else 0.05)
    hi = max(1e4, float(ai.max()) * 2 if len(ai) else 1e4)
    x = np.logspace(np.log10(lo), np.log10(hi), 200)
    peaks = {bits: p for bits, p in hw.peak_table().items() if np.isfinite(p)}
    used = set(ops["peak_ops_s"].round(-6))
    for bits, peak in sorted(peaks.items(), reverse=True):
        style = "-" if round(peak, -6) in used else ":"
        ax.plot(
            x,
            np.minimum(peak, x * hw.bandwidth),
            style,
            lw=1.5,
            label=f"{_PRECISION_NAMES[bits]} peak {peak / 1e12:g} TOP/s",
        )
    attained = ops["ops"] / ops["time_s"]
    markers = "o^sDvP*Xhp<>"
    for i, (name, a, y) in enumerate(zip(ops["op"], ai, attained, strict=True)):
        ax.scatter([a], [y], marker=markers[i % len(markers)], s=36, zorder=3, label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (OP/byte)")
    ax.set_ylabel("attained performance (OP/s)")
    s = result.settings
    ax.set_title(
        f"{result.model.name} on {hw.name}: {result.stage}, batch {s.get('batch_size')}, "
        f"seq {s.get('seq_len')}, W{s.get('w_bit')}A{s.get('a_bit')}KV{s.get('kv_bit')}",
        fontsize=9,
    )
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7, ncol=2, loc="lower right")
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig
