"""archgym/SoC-v0: a heterogeneous SoC for AR/VR task graphs (ArchGym's FARSIGym domain).

Agents choose cores, the mapping policy, which tasks run on their own accelerators (with unroll
and clock), the memory and the bus. The default objective is FARSI's: meet the workload's
latency budget and the SoC's power (8.737 mW) and area (17.475 mm^2) budgets. With several
workloads on one SoC (``workload="arvr"``) the latency target is the worst latency/budget ratio.

Example:
    >>> import archgym
    >>> env = archgym.make("archgym/SoC-v0", workload="edge_detection")
    >>> env.objective.targets["latency_ms"]
    34.0
"""

from __future__ import annotations

from typing import Any

from archgym.objective import Target
from archgym.registry import register_env, register_simulator
from archgym.simulators.soc import SoCSimulator


def budget_targets(simulator: SoCSimulator, workload: Any) -> Target:
    """FARSI's budgets as "meet" targets: latency (per workload), peak 10 ms power, area."""
    wl = simulator.load_workload(workload)
    budget = wl.budget
    latency = (
        {"latency_ms": budget.latency_ms} if len(wl.graphs) == 1 else {"latency_budget_ratio": 1.0}
    )
    return Target(
        {**latency, "peak_power_mw": budget.power_mw, "area_mm2": budget.area_mm2}, style="meet"
    )


register_simulator("soc", SoCSimulator)
register_env(
    "archgym/SoC-v0",
    SoCSimulator,
    workload=SoCSimulator.default_workload,
    objective=budget_targets,
    description="Heterogeneous SoC (A53 cores, per-task accelerators, SRAM/DRAM, bus) for FARSI's AR/VR task "
    "graphs; meet FARSI's latency, power and area budgets.",
)
