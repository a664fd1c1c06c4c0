"""The controller's knobs and the layout of its summary vector, in plain Python.

Building a :class:`~archgym.simulators.dram.DramSimulator` needs only these; the compiled
kernels in :mod:`archgym.simulators.dram.controller` (and Numba) load on the first evaluation.

Example:
    >>> encode_knobs({"PagePolicy": "Closed", "Scheduler": "FrFcfs", "SchedulerBuffer": "Shared",
    ...     "RequestBufferSize": 8, "RespQueue": "Fifo", "RefreshPolicy": "NoRefresh", "RefreshMaxPostponed": 8,
    ...     "RefreshMaxPulledin": 8, "Arbiter": "Simple", "MaxActiveTransactions": 128}).tolist()
    [2, 1, 2, 8, 0, 0, 8, 8, 0, 128]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

#: The controller knobs, their legal values (DRAMSys names), in the order of the knob vector.
KNOBS: dict[str, tuple[Any, ...]] = {
    "PagePolicy": ("Open", "OpenAdaptive", "Closed", "ClosedAdaptive"),
    # Fcfs is a global in-order queue (Ramulator's FCFS); DRAMSys's Fifo is per bank.
    "Scheduler": ("Fifo", "FrFcfs", "FrFcfsGrp", "Fcfs"),
    "SchedulerBuffer": ("Bankwise", "ReadWrite", "Shared"),
    "RequestBufferSize": (1, 2, 4, 8, 16, 32, 64, 128),
    "RespQueue": ("Fifo", "Reorder"),
    "RefreshPolicy": ("NoRefresh", "AllBank", "PerBank"),
    "RefreshMaxPostponed": (1, 2, 4, 8),
    "RefreshMaxPulledin": (1, 2, 4, 8),
    "Arbiter": ("Simple", "Fifo", "Reorder"),
    "MaxActiveTransactions": (1, 2, 4, 8, 16, 32, 64, 128),
}
NUMERIC_KNOBS = (
    "RequestBufferSize",
    "RefreshMaxPostponed",
    "RefreshMaxPulledin",
    "MaxActiveTransactions",
)
#: Every integer in these ranges is legal (ArchGym's DRAMSys space draws them as integers);
#: the powers of two in ``KNOBS`` are only the default grid. DRAMSys takes 0 for the refresh
#: flexibility knobs (its own ``fr_fcfs.json`` uses 0: never postpone, never pull in).
NUMERIC_RANGES: dict[str, tuple[int, int]] = {
    "RequestBufferSize": (1, 128),
    "RefreshMaxPostponed": (0, 8),
    "RefreshMaxPulledin": (0, 8),
    "MaxActiveTransactions": (1, 128),
}

#: Layout of the summary vector returned by :func:`~archgym.simulators.dram.controller.simulate`.
SUMMARY_FIELDS = (
    "end_cycle",
    "lat_sum",
    "read_lat_sum",
    "n_read",
    "p99_lat",
    "hits",
    "misses",
    "conflicts",
    "n_act",
    "n_pre",
    "n_rd",
    "n_wr",
    "n_ref_ab",
    "n_ref_pb",
    "active_cycles",
    "write_lat_sum",
)


def encode_knobs(design: Mapping[str, Any]) -> np.ndarray:
    """The knob vector of a design: category index for policies, the number for sizes."""
    out = np.empty(len(KNOBS), dtype=np.int64)
    for i, (name, values) in enumerate(KNOBS.items()):
        value = design[name]
        out[i] = int(value) if name in NUMERIC_KNOBS else values.index(value)
    return out
