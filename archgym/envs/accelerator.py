"""archgym/Accelerator-v0 (hardware DSE of a DNN accelerator over a whole network) and
archgym/Mapping-v0 (GAMMA-style mapping search of one layer on fixed hardware).

Accelerator-v0 scores designs, as ArchGym's Timeloop runs did, against targets relative to
an Eyeriss-like baseline on the chosen network: energy -30 %, area -15 %, cycles -20 %.
``simulator_kwargs={"backend": "scalesim"}`` answers the same designs with SCALE-Sim.

Example:
    >>> import archgym
    >>> env = archgym.make("archgym/Accelerator-v0", workload="mobilenet_v2")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from archgym.objective import Target, WeightedSum
from archgym.registry import register_env, register_simulator
from archgym.simulators.accelerator.mapping import MappingSimulator
from archgym.simulators.accelerator.simulator import AcceleratorSimulator, baseline_metrics

#: Fractions of the baseline each target allows (ArchGym's Timeloop targets).
TARGET_FRACTIONS = {"energy_uj": 0.70, "area_mm2": 0.85, "cycles": 0.80}


def eyeriss_targets(simulator: AcceleratorSimulator, workload: Any) -> Target:
    """Targets 30 % below the baseline's energy, 15 % below its area and 20 % below its cycles."""
    base = baseline_metrics(workload)
    return Target(
        {name: base[name] * frac for name, frac in TARGET_FRACTIONS.items()}, style="meet"
    )


def relative_edp(simulator: MappingSimulator, workload: Any) -> WeightedSum:
    """EDP relative to a plain output-stationary mapping (array-sized M/N tiles, order MNK), so
    rewards are O(1) on every layer."""
    space = simulator.design_space(workload)
    tile_k = space["tile_k"].values[-1]
    reference = {
        "parallel": "M-N",
        "loop_order": "MNK",
        "tile_m": 16,
        "tile_n": 16,
        "tile_k": tile_k,
    }
    scale = simulator.evaluate(space.validate(reference), workload)["edp_uj_ms"]
    return WeightedSum({"edp_uj_ms": 1.0}, scales={"edp_uj_ms": scale})


register_simulator("accelerator", AcceleratorSimulator)
register_simulator("accelerator-mapping", MappingSimulator)
register_env(
    "archgym/Accelerator-v0",
    AcceleratorSimulator,
    workload="resnet18",
    objective=eyeriss_targets,
    description="DNN accelerator hardware DSE (PE array, dataflow, buffers, bandwidths) over a whole network; "
    "targets: energy -30 %, area -15 %, cycles -20 % of an Eyeriss-like baseline.",
)
register_env(
    "archgym/Mapping-v0",
    MappingSimulator,
    workload="resnet50/conv3_1b",
    objective=relative_edp,
    description="GAMMA-style mapping of one layer on a fixed 16x16 array: parallel dims, loop order, tile sizes; "
    "deterministic closed-form cost, minimise energy-delay product (relative to a plain os mapping).",
)
