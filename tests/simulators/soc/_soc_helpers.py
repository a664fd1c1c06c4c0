"""Helpers for the SoC tests: a hardware library with round numbers and small graphs."""

from __future__ import annotations

from typing import Any

from archgym.simulators.soc import Accel, Budget, SoCSimulator, Task, TaskGraph

# Round numbers so every expected value below can be worked by hand:
# core 1 GHz, 1 instruction per cycle, 1 nJ per instruction (1 W busy), 1 mm^2;
# accelerators 100 MHz, no technology scaling; memory/bus 4 or 8 B wide at 100 MHz (x1 or x2);
# SRAM free; DRAM at least 1 MB in 0.5 MB granules, 10 pJ/B read, 20 pJ/B write, 2 mm^2 per MB.
SIMPLE_HW: dict[str, Any] = {
    "core": {
        "name": "ref",
        "freq_hz": 1e9,
        "ipc": 1,
        "instructions_per_joule": 1e9,
        "area_mm2": 1.0,
        "max_cores": 4,
    },
    "accelerator": {
        "base_clock_hz": 1e8,
        "clock_multipliers": [1, 2],
        "energy_scale": 1.0,
        "area_scale": 1.0,
    },
    "memory": {
        "base_clock_hz": 1e8,
        "widths_bytes": [4, 8],
        "clock_multipliers": [1, 2],
        # nJ per 16-B access x 1000 / 16 x 0.016: the pJ/B equal the nJ column.
        "cacti_table": [
            ["sram", 1_000_000, 0.0, 0.0, 0.0],
            ["sram", 2_000_000, 0.0, 0.0, 0.0],
            ["dram", 1_000_000, 10.0, 20.0, 2.0],
            ["dram", 2_000_000, 20.0, 40.0, 4.0],
        ],
        "bytes_per_access": 16,
        "energy_scale": 0.016,
        "area_scale": 1.0,
        "size_granule_bytes": 500_000,
        "min_size_bytes": 1_000_000,
    },
    "bus": {
        "base_clock_hz": 1e8,
        "widths_bytes": [4, 8],
        "clock_multipliers": [1, 2],
        "energy_pj_per_byte": 1.0,
        "area_mm2": 0.0,
    },
    "limits": {"area_cap_mm2": 100.0, "power_window_s": 0.01},
}


def graph(
    tasks: list[tuple], edges: list[tuple] = (), name: str = "g", latency_ms: float = 1.0
) -> TaskGraph:
    """``tasks``: (name, core_cycles) or (name, core_cycles, accel_cycles[, energy_fj, area_um2, max_unroll])."""
    built = []
    for t in tasks:
        accel = None
        if len(t) == 3:
            accel = Accel(float(t[2]), 0.0, 0.0, 1)
        elif len(t) == 6:
            accel = Accel(float(t[2]), float(t[3]), float(t[4]), int(t[5]))
        built.append(Task(t[0], float(t[1]), accel))
    return TaskGraph(
        name, tuple(built), tuple((p, c, float(b)) for p, c, b in edges), Budget(latency_ms)
    )


def design(sim: SoCSimulator, workload: Any, **overrides: Any) -> dict[str, Any]:
    """The all-first-values design (1 core, round robin, all in software, first memory/bus) plus overrides;
    ``accel=[names]`` puts those tasks on their accelerators."""
    space = sim.design_space(workload)
    d = space.decode([0] * len(space))
    for name in overrides.pop("accel", []):
        d[f"{name}_pe"] = "accel"
    d.update(overrides)
    return space.validate(d)
