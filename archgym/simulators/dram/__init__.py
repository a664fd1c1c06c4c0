"""DRAM memory-controller simulator: a Numba-compiled, DRAMSys-like controller with DRAMPower energy.

Example:
    >>> from archgym.simulators.dram import DramSimulator
    >>> sim = DramSimulator("ddr3")
    >>> round(sim.evaluate(sim.default_design(), "stream:n=1000")["bandwidth_gb_per_s"], 1) > 10
    True
"""

from archgym.simulators.dram.mapping import AddressMapping, MappingError
from archgym.simulators.dram.memspec import MemSpec, MemSpecError, available_memspecs, load_memspec
from archgym.simulators.dram.simulator import METRICS, DramSimulator, drampower_energy_pj
from archgym.simulators.dram.trace import (
    GENERATORS,
    Trace,
    builtin_trace,
    generate,
    read_trace,
    write_stl,
)

__all__ = [
    "GENERATORS",
    "METRICS",
    "AddressMapping",
    "DramSimulator",
    "MappingError",
    "MemSpec",
    "MemSpecError",
    "Trace",
    "available_memspecs",
    "builtin_trace",
    "drampower_energy_pj",
    "generate",
    "load_memspec",
    "read_trace",
    "write_stl",
]
