"""archgym/LLMRoofline-v0: co-design an LLM inference accelerator and how it serves, on a roofline.

Agents choose compute units, clock, HBM stacks and generation, on-chip SRAM, batch size,
weight/activation/KV bit-widths, FlashAttention and the tensor-parallel degree. The default
objective maximises throughput per mm2 of silicon subject to the workload's TTFT and TPOT
service targets and to fitting in device memory.

Example:
    >>> import archgym
    >>> env = archgym.make("archgym/LLMRoofline-v0", workload="llama-2-70b-server")
    >>> env.space["tensor_parallel"].values
    (1, 2, 4, 8)
"""

from __future__ import annotations

from typing import Any

from archgym.objective import Constrained, Maximize, Objective
from archgym.registry import register_env, register_simulator
from archgym.simulators.roofline import RooflineSimulator


def service_objective(simulator: RooflineSimulator, workload: Any) -> Objective:
    """Maximise ``tok_s_per_mm2`` within the workload's TTFT/TPOT targets and device memory."""
    wl = simulator.load_workload(workload)
    return Constrained(
        Maximize("tok_s_per_mm2"),
        {"ttft_ms": wl.ttft_target_ms, "tpot_ms": wl.tpot_target_ms, "memory_util": 1.0},
    )


register_simulator("llm_roofline", RooflineSimulator)
register_env(
    "archgym/LLMRoofline-v0",
    RooflineSimulator,
    workload=RooflineSimulator.default_workload,
    objective=service_objective,
    description="LLM inference accelerator + serving co-design on a per-operator roofline (LLM-Viewer style); "
    "maximise tokens/s per mm2 under TTFT/TPOT targets and memory capacity.",
)
