"""SCALE-Sim's per-layer report figures from our model, for any SCALE-Sim configuration.

For checking the model against a SCALE-Sim run you made yourself: give the same topology
file (or layers), array, dataflow and the three SRAM sizes of its config, and compare with
its COMPUTE_REPORT.csv ("Total Cycles") and DETAILED_ACCESS_REPORT.csv (SRAM and DRAM
counts). SCALE-Sim counts one-byte words; so does this function.

Example:
    >>> from archgym.simulators.accelerator.layers import Layer
    >>> rows = scalesim_report([Layer.gemm("g", 64, 32, 48)], "os", 8, 8, sram_kb=(1, 1, 1))
    >>> # 8 x 4 folds of 48 + 8 + 8 - 2 cycles, less one; the 1 KB ifmap SRAM re-fetches per column fold
    >>> rows[0]["compute_cycles"], rows[0]["ifmap_dram_reads"]
    (1983, 12288)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

from archgym.simulators.accelerator.layers import Layer, load_network
from archgym.simulators.accelerator.model import (
    BASELINE,
    HardwareArrays,
    buffer_words,
    footprints,
    layer_costs,
    scalesim_window,
)
from archgym.simulators.accelerator.replay import replay_dram_reads

REPORT_KEYS = (
    "compute_cycles",
    "ifmap_sram_reads",
    "filter_sram_reads",
    "ofmap_sram_writes",
    "ifmap_dram_reads",
    "filter_dram_reads",
    "ofmap_dram_writes",
)


def scalesim_report(
    layers: str | Path | Iterable[Layer],
    dataflow: str,
    rows: int,
    cols: int,
    sram_kb: Sequence[float] = (256, 256, 128),
    dram: Literal["replay", "estimate"] = "replay",
) -> list[dict[str, int | str]]:
    """One dict per layer: SCALE-Sim's figures for one group (a depthwise "DP" row's channel),
    and ``instances``, how many such groups SCALE-Sim runs for it (one per channel for "DP").

    ``layers`` is a SCALE-Sim topology file, one of our layer tables, or layers. ``sram_kb`` is
    the config's (ifmap, filter, ofmap) SRAM sizes; the defaults are SCALE-Sim's own.
    ``dram="replay"`` reproduces its stall-free DRAM reads exactly; ``"estimate"`` is our fast model.
    DRAM writes are the ofmap words written; when its ofmap SRAM drains mid-layer SCALE-Sim also
    counts the empty slots of the one request line a drain cuts short (fewer than ``cols``).
    """
    if dataflow not in ("os", "ws", "is"):
        raise ValueError(f"SCALE-Sim dataflows are 'os', 'ws' and 'is', not {dataflow!r}")
    net = load_network(layers)
    design = dict(BASELINE, dataflow=dataflow, pe_rows=rows, pe_cols=cols, bits=8)
    hw = HardwareArrays.from_designs([design])
    hw.sram_bytes = tuple(int(kb * 1024) for kb in sram_kb)  # type: ignore[assignment]
    costs = layer_costs(hw, net.arrays)
    buf_if, buf_f, _ = buffer_words(hw, *footprints(net.arrays))
    win_if, win_f = scalesim_window(buf_if, hw.bits), scalesim_window(buf_f, hw.bits)
    out: list[dict[str, int | str]] = []
    for j, layer in enumerate(net.layers):
        row = {key: int(costs[key][0, j]) for key in REPORT_KEYS}
        if dram == "replay":
            row["ifmap_dram_reads"], row["filter_dram_reads"] = replay_dram_reads(
                layer, dataflow, rows, cols, window_if=int(win_if[0, j]), window_f=int(win_f[0, j])
            )
        out.append({"layer": layer.name, "instances": layer.instances, **row})
    return out


__all__ = ["REPORT_KEYS", "scalesim_report"]
