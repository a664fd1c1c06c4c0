"""SoC simulator for AR/VR task graphs (ArchGym's FARSI domain): workloads, hardware library, scheduler.

Example:
    >>> from archgym.simulators.soc import SoCSimulator
    >>> sim = SoCSimulator()
    >>> sorted(sim.param_groups("audio_decoder"))
    ['compute', 'interconnect', 'memory']
"""

from archgym.simulators.soc.hardware import HardwareError, HardwareLibrary
from archgym.simulators.soc.simulator import ACCEL, CORE, SoCSimulator, unroll_values
from archgym.simulators.soc.workload import (
    Accel,
    Budget,
    Scenario,
    Task,
    TaskGraph,
    load_farsi_csv,
    load_task_graph,
    load_workload,
    synthetic_task_graph,
    task_graph_from_dict,
)

__all__ = [
    "ACCEL",
    "CORE",
    "Accel",
    "Budget",
    "HardwareError",
    "HardwareLibrary",
    "Scenario",
    "SoCSimulator",
    "Task",
    "TaskGraph",
    "load_farsi_csv",
    "load_task_graph",
    "load_workload",
    "synthetic_task_graph",
    "task_graph_from_dict",
    "unroll_values",
]
