"""archgym/DRAM-v0: tune a DRAMSys-like memory controller's ten knobs for a memory trace.

As in ArchGym's DRAMSys environment, the default objective asks for power and latency
targets in the "meet" style. ArchGym's "latency" was the run's total time (it parsed
DRAMSys's simulated time), and that is the quantity with a real trade-off against power:
fewer requests in flight or more precharges lower average power but stretch the run,
whereas closed-loop average latency falls with power simply by throttling. So the targets
are on ``avg_power_mw`` and ``total_time_ns``, relative to DRAMSys's default fr_fcfs
configuration on the chosen device and workload: 10 % less power within 1.2x the time.
``Minimize``/``WeightedSum`` objectives over any metric can be passed to ``archgym.make``.

The device is a simulator argument, the workload a name, ``name:params`` or a trace path.
The multi-agent view (:class:`archgym.multiagent.MultiAgentDesignEnv`'s default) has one
agent per knob, as in the MARL paper.

Example:
    >>> import archgym
    >>> env = archgym.make("archgym/DRAM-v0", workload="random", simulator_kwargs={"memspec": "ddr4"})
    >>> sorted(env.objective.targets)
    ['avg_power_mw', 'total_time_ns']
"""

from __future__ import annotations

from typing import Any

from archgym.objective import Target
from archgym.registry import register_env, register_simulator
from archgym.simulators.dram import DramSimulator

#: Fractions of the default configuration's metrics that the targets allow.
TARGET_FRACTIONS = {"avg_power_mw": 0.9, "total_time_ns": 1.2}


def baseline_targets(simulator: DramSimulator, workload: Any) -> Target:
    """Power and total-time targets relative to the default controller on this device and workload."""
    base = simulator.evaluate(simulator.default_design(), workload)
    return Target(
        {name: base[name] * frac for name, frac in TARGET_FRACTIONS.items()}, style="meet"
    )


register_simulator("dram", DramSimulator)
register_env(
    "archgym/DRAM-v0",
    DramSimulator,
    workload="random",
    objective=baseline_targets,
    description="DRAMSys-like memory controller (page policy, scheduler, buffers, response queue, refresh, arbiter) "
    "on DDR3/DDR4/LPDDR4/HBM2; meet power -10 % within 1.2x the run time of the default fr_fcfs configuration.",
)
