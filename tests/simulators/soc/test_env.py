"""archgym/SoC-v0: builds, steps, passes the conformance checks, and targets FARSI's budgets."""

from __future__ import annotations

import numpy as np
import pytest

import archgym
from archgym.multiagent import make_multiagent
from archgym.testing import check_env


def test_check_env_passes():
    check_env("archgym/SoC-v0", steps=4)


@pytest.mark.parametrize(
    ("workload", "latency_target"),
    [
        ("audio_decoder", ("latency_ms", 21.0)),
        ("hpvm_cava", ("latency_ms", 34.0)),
        ("arvr", ("latency_budget_ratio", 1.0)),
    ],
)
def test_budget_targets_per_workload(workload, latency_target):
    env = archgym.make("archgym/SoC-v0", workload=workload)
    targets = env.objective.targets
    assert targets[latency_target[0]] == latency_target[1]
    assert targets["peak_power_mw"] == 8.737 and targets["area_mm2"] == 17.475
    obs, _ = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
    assert env.observation_space.contains(obs) and np.isfinite(reward) and info["error"] is None


def test_a_known_good_design_meets_every_budget():
    """Audio decoder on SRAM with its heavy tasks on accelerators: fast, frugal and small (FARSI's aim)."""
    env = archgym.make("archgym/SoC-v0")
    d = env.space.decode([0] * len(env.space))
    for t in ("zoomProcess", "psychoFilter", "FIR_left", "FIR_right", "IFFT_left", "IFFT_right"):
        d[f"{t}_pe"] = "accel"
    env.reset(seed=0)
    _, reward, _, _, info = env.step(env.space.encode(d))
    assert info["feasible"] and reward == 0.0, info["metrics"]


def test_multiagent_view_groups_by_subsystem():
    env = make_multiagent("archgym/SoC-v0", groups="simulator")
    assert env.possible_agents == ["compute", "memory", "interconnect"]
    obs, _ = env.reset(seed=1)
    _, rewards, _, _, _ = env.step({a: env.action_space(a).sample() for a in env.agents})
    assert len(set(rewards.values())) == 1


@pytest.mark.parametrize(
    ("workload", "max_unroll", "clock"),
    [("edge_detection", 64, 6), ("hpvm_cava", 151, 8), ("arvr", 151, 8)],
)
def test_farsis_budgets_are_reachable(workload, max_unroll, clock):
    """Every task on its IP (unroll capped to fit the area), 128-B SRAM and bus at x8, meets every
    budget: the targets are demanding (random search rarely meets them) but not impossible. Edge
    detection's IPs run at x6: at x8 its tens of MB of SRAM traffic come too fast for the power budget."""
    env = archgym.make("archgym/SoC-v0", workload=workload)
    space = env.space
    d = space.decode([0] * len(space))
    d.update(
        mem_kind="sram",
        mem_width_bytes=128,
        bus_width_bytes=128,
        mem_clock_mult=8,
        bus_clock_mult=8,
    )
    for name in space.names:
        if name.endswith("_pe"):
            d[name] = "accel"
        elif name.endswith("_clock"):
            d[name] = clock
        elif name.endswith("_unroll"):
            d[name] = max(v for v in space[name].values if v <= max_unroll)
    env.reset(seed=0)
    _, reward, _, _, info = env.step(space.encode(d))
    assert info["feasible"] and reward == 0.0, info["metrics"]
    # One notch slower (IP clocks x1) misses the latency budget.
    slow = {k: (1 if k.endswith("_clock") else v) for k, v in d.items()}
    _, reward, _, _, info = env.step(space.encode(slow))
    assert not info["feasible"] and reward < 0
