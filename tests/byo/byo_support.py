"""Helpers for the bring-your-own-simulator tests: a user's Python cache model, the same model
as a C binary (tests/byo/cachesim.c) wrapped with ExternalSimulator, and the helpers that run every agent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import archgym
from archgym.agents import agent_class, make_agent

HERE = Path(__file__).parent

CACHE_SPACE = archgym.DesignSpace(
    [
        archgym.PowerOfTwo("size_kb", 1, 64),
        archgym.PowerOfTwo("assoc", 1, 16),
        archgym.PowerOfTwo("line_b", 16, 128),
        archgym.Categorical("policy", ["lru", "fifo"]),
    ]
)
CACHE_METRICS = (
    archgym.Metric("miss_rate", "ratio", "min", scale=0.5),
    archgym.Metric("amat_ns", "ns", "min", scale=10.0),
    archgym.Metric("area_mm2", "mm2", "min", scale=0.5),
)
#: The config file the binary reads: one "key value" line per parameter.
CACHE_TEMPLATE = "size_kb $size_kb\nassoc $assoc\nline_b $line_b\npolicy $policy\n"


class PyCache(archgym.Simulator):
    """A user's closed-form cache model (way in #1: a Python class)."""

    name, version = "pycache", "1"
    metrics = CACHE_METRICS

    def design_space(self, workload: Any = None) -> archgym.DesignSpace:
        return CACHE_SPACE

    def evaluate(self, design: dict[str, Any], workload: Any = None) -> dict[str, float]:
        size, assoc, line = design["size_kb"], design["assoc"], design["line_b"]
        # Miss rate falls with capacity, associativity and (up to a point) line size.
        miss = min(1.0, 0.6 / size**0.5 * (1 + 1 / assoc) * (1 + abs(line - 64) / 128))
        miss *= 1.1 if design["policy"] == "fifo" else 1.0
        hit_ns = 0.5 + 0.1 * assoc.bit_length() + 0.05 * size.bit_length()
        area = 0.01 * size * (1 + 0.03 * assoc) + 0.002 * line
        return {"miss_rate": miss, "amat_ns": hit_ns + miss * (60 + line / 16), "area_mm2": area}


def make_cachesim(
    binary: Path | str, *, json: bool = False, timeout_s: float = 0.5
) -> archgym.ExternalSimulator:
    """The binary as a simulator (way in #2): a config template, a command, a parser, a timeout."""
    patterns = None if json else {m.name: rf"^{m.name}:\s*(\S+)$" for m in CACHE_METRICS}
    return archgym.ExternalSimulator(
        name="cachesim",
        command=[str(binary), "{config}", "{workload}"] + (["--json"] if json else []),
        space=CACHE_SPACE,
        metrics=CACHE_METRICS,
        config_format="text",
        template=CACHE_TEMPLATE,
        config_name="cache.cfg",
        patterns=patterns,
        timeout_s=timeout_s,
        workloads=["stream", "random", "loop"],
        default_workload="loop",
    )


def run_agent(
    name: str, env_factory: Callable[[], archgym.DesignEnv], budget: int = 12, seed: int = 0
) -> archgym.RunResult:
    """Run one registered agent for ``budget`` simulator calls; skip RL agents and missing extras.

    Budgets stay small: model-based agents (GP-based BO) refit after each of their first random
    designs, and these tests are about surviving the simulator, not about search quality.
    """
    try:
        if agent_class(name).drives_env:
            pytest.skip(f"agent {name!r} is an RL agent, not a black-box one")
        # Optional libraries may be imported only when the agent sets up, so the run is inside too.
        result = archgym.run(
            make_agent(name),
            env_factory(),
            budget=budget,
            seed=seed,
            store=archgym.Store(":memory:"),
        )
    except ImportError as err:
        pytest.skip(f"agent {name!r} needs an optional dependency: {err}")
    assert result.status in ("finished", "stalled"), result.status
    assert result.counts.get("simulator", 0) == budget or result.status == "stalled"
    assert len(result.evaluations) >= result.counts.get("simulator", 0)
    return result
