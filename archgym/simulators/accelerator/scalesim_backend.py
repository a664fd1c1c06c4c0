"""Runs SCALE-Sim 3 (``pip install scalesim``, the ``archgym[scalesim]`` extra) on our layers.

SCALE-Sim is cycle-accurate for systolic arrays but slow (it builds every operand address
and walks its buffers request by request), so this backend runs each distinct layer once,
in process, writing no files, and multiplies by the layer's instance count. It answers
os, ws and is; row-stationary has no SCALE-Sim counterpart.

Example:
    >>> from archgym.simulators.accelerator.layers import Layer
    >>> from archgym.simulators.accelerator.model import BASELINE
    >>> counts = run_layer(Layer.gemm("g", 8, 8, 8), dict(BASELINE, dataflow="os", pe_rows=4, pe_cols=4))
    >>> counts["compute_cycles"]
    55
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from archgym._optional import MissingDependencyError, import_optional
from archgym.simulator import EvaluationError
from archgym.simulators.accelerator.layers import Layer, layer_arrays, to_scalesim_rows
from archgym.simulators.accelerator.model import HardwareArrays, buffer_words, footprints

COUNT_KEYS = (
    "compute_cycles",
    "ifmap_sram_reads",
    "filter_sram_reads",
    "ofmap_sram_writes",
    "ifmap_dram_reads",
    "filter_dram_reads",
    "ofmap_dram_writes",
)


def _scalesim() -> Any:
    def load(module: str) -> Any:
        return import_optional(f"scalesim.{module}", extra="scalesim", purpose="backend='scalesim'")

    try:
        return (
            load("scale_config").scale_config,
            load("topology_utils").topologies,
            load("layout_utils").layouts,
            load("single_layer_sim").single_layer_sim,
        )
    except MissingDependencyError as err:
        # an evaluation error, so a run records the failed design instead of stopping
        raise EvaluationError(
            f"{err} (or pip install scalesim; it needs numpy < 2.4): {err.__cause__}"
        ) from None


def scalesim_version() -> str:
    """Installed SCALE-Sim version, or ``"absent"``."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("scalesim")
    except PackageNotFoundError:
        return "absent"


def run_layer(
    layer: Layer,
    design: Mapping[str, Any],
    buffer_kb: Sequence[float] | None = None,
    user_bw: int | None = None,
) -> dict[str, int]:
    """SCALE-Sim's counts for one group-instance of ``layer`` on ``design`` (stall-free CALC mode).

    ``buffer_kb`` (ifmap, filter, ofmap) overrides the buffer split the model would use. SCALE-Sim
    counts one-byte words, so buffer sizes are given to it in words of ``design["bits"]``.
    ``user_bw`` runs USER bandwidth mode instead, every operand's DRAM port at ``user_bw`` words
    per cycle (one SRAM bank each), and adds ``total_cycles``: SCALE-Sim's "Total Cycles (incl.
    prefetch)", from the first DRAM read to the last ofmap write.
    """
    scale_config, topologies, layouts, single_layer_sim = _scalesim()
    if design["dataflow"] not in ("os", "ws", "is"):
        raise EvaluationError(
            f"SCALE-Sim has no {design['dataflow']!r} dataflow; it runs os, ws and is"
        )
    if buffer_kb is None:
        hw = HardwareArrays.from_designs([design])
        sizes = buffer_words(hw, *footprints(layer_arrays([layer])))
        word = design["bits"] / 8
        buffer_kb = [float(b[0, 0]) / word / 1024 for b in sizes]
    cfg = scale_config()
    cfg.array_rows, cfg.array_cols = int(design["pe_rows"]), int(design["pe_cols"])
    cfg.ifmap_sz_kb, cfg.filter_sz_kb, cfg.ofmap_sz_kb = buffer_kb
    cfg.df = design["dataflow"]
    cfg.use_user_bandwidth = user_bw is not None
    if user_bw is not None:
        cfg.bandwidths = [int(user_bw)]
        cfg.ifmap_sram_bank_bandwidth = cfg.filter_sram_bank_bandwidth = int(user_bw)
        cfg.ifmap_sram_bank_num = cfg.filter_sram_bank_num = 1
    cfg.valid_conf_flag = True
    h, w, r, s, c, k, stride = to_scalesim_rows(layer)
    topo = topologies()
    topo.load_layer_params_from_list(
        layer.name, [layer.name, h, w, r, s, c, k, stride, stride, 1, 1]
    )
    topo.topo_calc_hyperparams()
    sim = single_layer_sim()
    # SCALE-Sim prints progress and banners; keep them off the user's terminal.
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            sim.set_params(
                layer_id=0, config_obj=cfg, topology_obj=topo, layout_obj=layouts(), verbose=False
            )
            sim.run()
            compute = sim.get_compute_report_items()
            detail = sim.get_detail_report_items()
    except Exception as err:  # SCALE-Sim asserts and reshapes its way out of odd configurations
        raise EvaluationError(
            f"SCALE-Sim failed on layer {layer.name!r} with buffers {buffer_kb} KB: "
            f"{type(err).__name__}: {err}"
        ) from err
    values = (compute[1], detail[2], detail[5], detail[8], detail[11], detail[14], detail[17])
    out = {key: int(v) for key, v in zip(COUNT_KEYS, values, strict=True)}
    if user_bw is not None:
        out["total_cycles"] = int(compute[0])
    return out


def layer_costs_scalesim(
    design: Mapping[str, Any], layers: Sequence[Layer]
) -> dict[str, np.ndarray]:
    """Per-layer counts of one design from SCALE-Sim, shaped ``(1, L)`` like :func:`layer_costs`."""
    rows = [run_layer(layer, design) for layer in layers]
    out = {key: np.asarray([[r[key] for r in rows]], dtype=np.int64) for key in COUNT_KEYS}
    arrays = layer_arrays(layers)
    out["macs"] = (arrays["m"] * arrays["n"] * arrays["k"])[None, :]
    # Folds spread the first DRAM fill; SCALE-Sim does not report them, so use the fold model's count.
    sr_sc = {
        "os": (arrays["m"], arrays["n"]),
        "ws": (arrays["k"], arrays["n"]),
        "is": (arrays["k"], arrays["m"]),
    }
    sr, sc = sr_sc[design["dataflow"]]
    out["folds"] = (-(-sr // int(design["pe_rows"])) * -(-sc // int(design["pe_cols"])))[None, :]
    return out
