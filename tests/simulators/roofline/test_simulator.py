"""The co-design simulator, its workloads, the accelerator cost model, the env and the plot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import archgym
from archgym.objective import Constrained
from archgym.simulator import WorkloadError
from archgym.simulators.roofline import (
    RooflineSimulator,
    analyze,
    hardware_from_dict,
    plot_roofline,
)
from archgym.simulators.roofline.simulator import AcceleratorModel
from archgym.space import InvalidDesignError
from archgym.testing import check_env, check_simulator

A100_LIKE = {
    "compute_units": 96,
    "clock_ghz": 1.4,
    "hbm_stacks": 5,
    "hbm_gen": "hbm2e",
    "sram_mb": 64,
    "batch_size": 8,
    "w_bit": 16,
    "a_bit": 16,
    "kv_bit": 16,
    "flash_attention": True,
    "tensor_parallel": 1,
}


@pytest.fixture(scope="module")
def sim() -> RooflineSimulator:
    return RooflineSimulator()


@pytest.mark.parametrize(
    "workload", ["llama-2-7b-interactive", "mixtral-8x7b-server", "llama-2-70b-server"]
)
def test_conformance(sim: RooflineSimulator, workload: str) -> None:
    check_simulator(sim, workload, samples=16)


def test_a100_like_design_reproduces_the_a100(sim: RooflineSimulator) -> None:
    """The accelerator constants are calibrated on the A100 SXM4 80GB datasheet and GA100 die."""
    acc = AcceleratorModel.default()
    one = np.array([1.0])
    dev = acc.device(108 * one, 1.41 * one, 5 * one, np.array([0]), 96 * one)
    assert dev.peak16[0] == pytest.approx(312e12, rel=0.002)  # 108 SMs x 1.41 GHz x 2048
    assert dev.peak8[0] == pytest.approx(624e12, rel=0.002)
    assert dev.peak32[0] == pytest.approx(19.5e12, rel=0.002)
    assert dev.bandwidth[0] == pytest.approx(2039e9, rel=0.01)
    assert dev.memory[0] == 80e9
    assert acc.die_area_mm2(128 * one, 96 * one, 6 * one)[0] == pytest.approx(826)  # GA100 full die
    assert acc.power_w(108 * one, 1.41 * one, 96 * one, 5 * one, np.array([0]))[0] == pytest.approx(
        400, rel=0.02
    )


def test_simulator_agrees_with_analyze_on_the_same_device(sim: RooflineSimulator) -> None:
    """The env's batch path and the user-facing analyzer share one model: same device, same figures."""
    wl = sim.load_workload("llama-2-13b-server")
    m = sim.evaluate(A100_LIKE, wl)
    hw = hardware_from_dict(
        {
            "bandwidth_gbps": 5 * 409.6,
            "memory_gb": 80,
            "onchip_mb": 64,
            "compute_units": 96,
            "peak_tops": {"fp16": 96 * 1.4 * 2048e-3, "int8": 2 * 96 * 1.4 * 2048e-3},
            "interconnect_gbps": 300,
            "offload_gbps": 64,
        }
    )
    s = analyze(
        wl.model, hw, "decode", 8, wl.prompt_len, use_flash_attention=True, gen_len=wl.gen_len
    ).summary
    assert m["ttft_ms"] == pytest.approx(s["ttft_s"] * 1e3, rel=1e-9)
    assert m["tpot_ms"] == pytest.approx(s["tpot_s"] * 1e3, rel=1e-9)
    assert m["throughput_tok_s"] == pytest.approx(s["throughput_tok_s"], rel=1e-9)
    # the simulator's memory is the larger stage's (prefill's activations exceed decode's)
    peak = max(s["prefill_memory_bytes"], s["decode_memory_bytes"])
    assert m["memory_gb"] == pytest.approx(peak / 1e9, rel=1e-9)
    assert m["tok_s_per_mm2"] == pytest.approx(m["throughput_tok_s"] / m["area_mm2"])


def test_batch_of_many_designs_equals_one_by_one(sim: RooflineSimulator) -> None:
    wl = sim.load_workload("llama-3-8b-long")
    designs = sim.design_space(wl).sample(np.random.default_rng(3), 200)
    batch = sim.evaluate_batch(designs, wl)
    for d, many in zip(designs[:20], batch[:20], strict=True):
        assert many == pytest.approx(sim.evaluate(d, wl), rel=1e-12)


def test_more_bandwidth_speeds_decode_and_costs_area_and_power(sim: RooflineSimulator) -> None:
    wl = sim.load_workload("llama-2-7b-interactive")
    lo = sim.evaluate({**A100_LIKE, "hbm_stacks": 2}, wl)
    hi = sim.evaluate({**A100_LIKE, "hbm_stacks": 6}, wl)
    assert (
        hi["tpot_ms"] < lo["tpot_ms"]
        and hi["area_mm2"] > lo["area_mm2"]
        and hi["power_w"] > lo["power_w"]
    )
    tp2 = sim.evaluate({**A100_LIKE, "tensor_parallel": 2}, wl)
    assert tp2["area_mm2"] == pytest.approx(2 * sim.evaluate(A100_LIKE, wl)["area_mm2"])


def test_design_that_does_not_fit_is_infeasible_and_slow(sim: RooflineSimulator) -> None:
    wl = sim.load_workload("llama-2-70b-server")
    space = sim.design_space(wl)
    small = {**A100_LIKE, "hbm_stacks": 2}  # 32 GB for 140 GB of FP16 weights
    big = {**A100_LIKE, "hbm_stacks": 8, "hbm_gen": "hbm3e", "w_bit": 8, "kv_bit": 8}  # 192 GB
    m_small, m_big = sim.evaluate(small, wl), sim.evaluate(big, wl)
    assert m_small["memory_util"] > 1 and m_big["memory_util"] < 1
    assert space.violations(small) and not space.violations(big)
    assert m_small["throughput_tok_s"] < m_big["throughput_tok_s"] / 10
    objective = archgym.make("archgym/LLMRoofline-v0", workload="llama-2-70b-server").objective
    assert not objective(m_small).feasible


def test_bad_designs_name_the_parameter(sim: RooflineSimulator) -> None:
    with pytest.raises(
        InvalidDesignError, match="'hbm_gen': 'hbm4' is not legal; legal values are 'hbm2e'"
    ):
        sim.evaluate({**A100_LIKE, "hbm_gen": "hbm4"})
    with pytest.raises(InvalidDesignError, match="missing parameter 'sram_mb'"):
        sim.evaluate_batch([{k: v for k, v in A100_LIKE.items() if k != "sram_mb"}])
    with pytest.raises(InvalidDesignError, match="'batch_size': 3 is not legal"):
        sim.evaluate({**A100_LIKE, "batch_size": 3})
    with pytest.raises(
        InvalidDesignError,
        match="'batch_size': 3 is not legal; legal values are powers of two 1..256",
    ):
        sim.evaluate_batch([A100_LIKE, {**A100_LIKE, "batch_size": 3}])
    with pytest.raises(
        InvalidDesignError,
        match="'flash_attention': 'yes' is not legal; legal values are False, True",
    ):
        sim.evaluate({**A100_LIKE, "flash_attention": "yes"})
    with pytest.raises(InvalidDesignError, match="unknown parameter 'voltage'"):
        sim.evaluate_batch([A100_LIKE, {**A100_LIKE, "voltage": 0.8}])
    # Llama-2-13B has 40 heads: 8-way tensor parallelism is legal, 16 is not offered
    with pytest.raises(
        InvalidDesignError,
        match="'tensor_parallel': 16 is not legal; legal values are powers of two 1..8",
    ):
        sim.evaluate({**A100_LIKE, "tensor_parallel": 16}, "llama-2-13b-server")


def test_space_pickles_for_process_pools(sim: RooflineSimulator) -> None:
    import pickle

    space = pickle.loads(pickle.dumps(sim.design_space("llama-2-70b-server")))
    assert space.violations({**A100_LIKE, "hbm_stacks": 1}) and not space.violations(
        {**A100_LIKE, "hbm_stacks": 8, "hbm_gen": "hbm3e", "w_bit": 4}
    )


def test_workload_files_and_their_errors(sim: RooflineSimulator, tmp_path: Path) -> None:
    (tmp_path / "my-model").mkdir()
    (tmp_path / "my-model" / "config.json").write_text(
        '{"hidden_size": 2048, "num_hidden_layers": 16, "num_attention_heads": 16, "num_key_value_heads": 4,'
        ' "intermediate_size": 8192, "vocab_size": 32000, "hidden_act": "silu", "rms_norm_eps": 1e-5}'
    )
    good = tmp_path / "chat.yaml"
    good.write_text("model: my-model\nprompt_len: 512\ngen_len: 64\ntpot_target_ms: 25\n")
    wl = sim.load_workload(str(good))
    assert (wl.name, wl.model.num_kv_heads, wl.tpot_target_ms, wl.ttft_target_ms) == (
        "chat",
        4,
        25.0,
        2000.0,
    )
    assert sim.workload_id(wl) != sim.workload_id("llama-2-7b-interactive")
    check_simulator(sim, str(good), samples=4)

    cases = {
        "model: llama-2-7b\nprompt_len: [1\n": "malformed YAML/JSON at line",
        "model: llama-2-7b\nprompt_len: 10\n": "missing key 'gen_len'",
        "model: llama-2-7b\nprompt_len: 10\ngen_len: 5\nbatch: 4\n": "unknown key 'batch'; legal keys are model",
        "model: llama-2-7b\nprompt_len: 0\ngen_len: 5\n": "'prompt_len' must be a positive integer",
        "model: llama-9b\nprompt_len: 10\ngen_len: 5\n": "key 'model': unknown model 'llama-9b'",
        "model: opt-1.3b\nprompt_len: 2000\ngen_len: 100\n": "exceeds the model's max_position_embeddings 2048",
    }
    for text, message in cases.items():
        bad = tmp_path / "bad.yaml"
        bad.write_text(text)
        with pytest.raises(WorkloadError, match=message):
            sim.load_workload(str(bad))
    with pytest.raises(WorkloadError, match="unknown workload 'nope'.*llama-2-7b-interactive"):
        sim.load_workload("nope")


def test_env_builds_steps_and_passes_the_conformance_checks() -> None:
    env = archgym.make("archgym/LLMRoofline-v0", workload="mistral-7b-interactive")
    assert isinstance(env.objective, Constrained)
    assert env.objective.budgets == {"ttft_ms": 450.0, "tpot_ms": 40.0, "memory_util": 1.0}
    obs, _ = env.reset(seed=0)
    obs, reward, _, _, info = env.step(env.design_to_action(A100_LIKE))
    assert info["feasible"] and reward == pytest.approx(info["metrics"]["tok_s_per_mm2"])
    assert env.observation_space.contains(obs)
    check_env("archgym/LLMRoofline-v0")


def test_plot_roofline_writes_a_png(tmp_path: Path) -> None:
    result = analyze("llama-2-7b", "a100", "decode", batch_size=8, seq_len=3968)
    fig = plot_roofline(result, tmp_path / "roofline.png")
    assert (tmp_path / "roofline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    points = [c for c in fig.axes[0].collections]
    assert len(points) == len(result.ops)  # one marker per operator


def test_random_search_finds_designs_that_meet_the_service_targets() -> None:
    from archgym.agents import RandomSearch

    result = archgym.run(RandomSearch(), "archgym/LLMRoofline-v0", budget=60, seed=1)
    feasible = [e for e in result.evaluations if e.feasible]
    assert feasible and len(feasible) < len(result.evaluations)  # the constraints bite both ways
    for e in feasible:
        assert (
            e.metrics["ttft_ms"] <= 450
            and e.metrics["tpot_ms"] <= 40
            and e.metrics["memory_util"] <= 1
        )
    infeasible = [e for e in result.evaluations if not e.feasible]
    assert max(e.reward for e in infeasible) < max(e.reward for e in feasible)


def test_multiagent_co_design_view_passes_pettingzoo_api_test() -> None:
    from pettingzoo.test import parallel_api_test

    from archgym.multiagent import make_multiagent

    env = make_multiagent("archgym/LLMRoofline-v0", groups="simulator", workload="opt-1.3b-edge")
    assert env.groups["serving"] == [
        "batch_size",
        "w_bit",
        "a_bit",
        "kv_bit",
        "flash_attention",
        "tensor_parallel",
    ]
    parallel_api_test(env, num_cycles=4)


def test_memory_constraint_batched_agrees_with_one_design_at_a_time() -> None:
    sim = RooflineSimulator()
    space = sim.design_space()
    rng = np.random.default_rng(7)
    designs = [space.decode(row) for row in space.sample_indices(rng, 300)]
    one_by_one = [space.is_feasible(d) for d in designs]
    assert space.feasible_many(designs).tolist() == one_by_one
    assert 0 < sum(one_by_one) < len(designs)  # the sample holds designs that fit and that do not
