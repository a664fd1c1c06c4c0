"""Two slow cost models for the proxy benchmark and tests: where a proxy pays for itself.

- ``cachehier``: a two-level cache hierarchy simulator in C (``cachehier.c``), compiled
  with gcc at run time (no binary is kept) and wrapped as an :class:`archgym.ExternalSimulator`:
  0.2-1 s per design at the default 5 million accesses;
- ``Accelerator-v0`` on its SCALE-Sim backend over a small two-layer network
  (:data:`TINY_NET`), seconds per design, with the analytical model as its low fidelity.

Example:
    >>> import tempfile
    >>> binary = build(tempfile.mkdtemp())  # doctest: +SKIP
    >>> cache_env(binary, accesses=100_000).evaluate([SPACE.sample(0)])[0].source  # doctest: +SKIP
    'simulator'
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import archgym
from archgym.objective import WeightedSum
from archgym.simulator import Metric
from archgym.space import DesignSpace, Integer, PowerOfTwo

SOURCE = Path(__file__).with_name("cachehier.c")

SPACE = DesignSpace(
    [
        PowerOfTwo("l1_kb", 4, 64),
        PowerOfTwo("l1_assoc", 1, 8),
        PowerOfTwo("l2_kb", 64, 1024),
        PowerOfTwo("l2_assoc", 4, 16),
        PowerOfTwo("line_b", 32, 128),
        Integer("prefetch", 0, 4),
    ]
)
METRICS = [
    Metric("amat_ns", "ns", "min", 10.0, "average memory access time"),
    Metric("energy_uj", "uJ", "min", 2e4, "energy of all cache and DRAM accesses"),
    Metric("area_mm2", "mm2", "min", 4.0, "area of both cache levels with tags"),
]
#: One unit of reward per 10 ns of AMAT, 20 mJ of energy and 4 mm^2 of area.
OBJECTIVE = {"amat_ns": 10.0, "energy_uj": 2e4, "area_mm2": 4.0}
TEMPLATE = "".join(f"{p.name} ${p.name}\n" for p in SPACE.params)

#: A small network (one convolution, one fully connected layer) that SCALE-Sim runs in seconds.
TINY_NET = """name,kind,batch,in_h,in_w,in_c,out_c,r,s,stride,padding,groups,gemm_m,gemm_n,gemm_k,repeat
conv1,conv,1,16,16,16,32,3,3,1,1,1,,,,1
fc1,gemm,1,,,,,,,,,,32,64,128,1
"""


def build(directory: str | Path) -> Path:
    """Compile ``cachehier.c`` into ``directory`` with gcc; returns the binary's path."""
    out = Path(directory) / "cachehier"
    subprocess.run(["gcc", "-O2", "-o", str(out), str(SOURCE), "-lm"], check=True)
    return out


def cache_simulator(binary: str | Path, accesses: int = 5_000_000) -> archgym.ExternalSimulator:
    """The compiled program as an ExternalSimulator (one process per design)."""
    return archgym.ExternalSimulator(
        name="cachehier",
        command=[str(binary), "{config}", str(int(accesses))],
        space=SPACE,
        metrics=METRICS,
        config_format="text",
        template=TEMPLATE,
        config_name="cache.cfg",
        timeout_s=120.0,
        version=f"1-{int(accesses)}",
    )


def cache_env(binary: str | Path, accesses: int = 5_000_000, **kwargs: Any) -> archgym.DesignEnv:
    """A DesignEnv on the cache simulator (``kwargs``: ``cost_model``, ``proxy``, ...)."""
    return archgym.DesignEnv(
        cache_simulator(binary, accesses),
        objective=WeightedSum({m: 1.0 for m in OBJECTIVE}, OBJECTIVE),
        env_id="bench/CacheHier-v0",
        **kwargs,
    )


def tiny_net(directory: str | Path) -> Path:
    """Write :data:`TINY_NET` as a layer CSV; returns its path."""
    path = Path(directory) / "tiny_net.csv"
    path.write_text(TINY_NET)
    return path


def accelerator_env(net: str | Path, backend: str, **kwargs: Any) -> archgym.DesignEnv:
    """Accelerator-v0 on ``net`` with the ``"scalesim"`` or ``"analytical"`` backend."""
    return archgym.make(
        "archgym/Accelerator-v0",
        workload=str(net),
        simulator_kwargs={"backend": backend},
        **kwargs,
    )
