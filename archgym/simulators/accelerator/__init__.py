"""DNN accelerator cost models: whole-network hardware DSE and single-layer mapping search.

Example:
    >>> from archgym.simulators.accelerator import BASELINE, AcceleratorSimulator
    >>> AcceleratorSimulator().evaluate(BASELINE, "alexnet")["area_mm2"] > 0
    True
"""

from archgym.simulators.accelerator.layers import Layer, Network, builtin_workloads, load_network
from archgym.simulators.accelerator.mapping import MappingSimulator
from archgym.simulators.accelerator.model import BASELINE, DATAFLOWS
from archgym.simulators.accelerator.simulator import AcceleratorSimulator, baseline_metrics

__all__ = [
    "BASELINE",
    "DATAFLOWS",
    "AcceleratorSimulator",
    "Layer",
    "MappingSimulator",
    "Network",
    "baseline_metrics",
    "builtin_workloads",
    "load_network",
]
