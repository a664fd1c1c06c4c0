"""The DramSimulator API and the archgym/DRAM-v0 environment."""

from __future__ import annotations

import numpy as np
import pytest

import archgym
from archgym.multiagent import MultiAgentDesignEnv, make_multiagent
from archgym.simulator import WorkloadError
from archgym.simulators.dram import DramSimulator, builtin_trace
from archgym.space import InvalidDesignError
from archgym.testing import check_env, check_simulator


@pytest.mark.parametrize("memspec", ["ddr3", "ddr4", "lpddr4", "hbm2"])
def test_check_simulator_on_every_device(memspec):
    check_simulator(DramSimulator(memspec), "random:n=2000", samples=6)


def test_metrics_have_units_directions_and_scales():
    for m in DramSimulator.metrics:
        assert m.unit and m.direction in ("min", "max") and m.scale > 0
        assert m.name.endswith(("_ns", "_mw", "_nj", "_per_s", "_rate"))


def test_knobs_and_refresh_modes_per_device():
    ddr3, lpddr4 = DramSimulator("ddr3").design_space(), DramSimulator("lpddr4").design_space()
    assert len(ddr3) == 10
    assert ddr3["RefreshPolicy"].values == ("NoRefresh", "AllBank")
    assert lpddr4["RefreshPolicy"].values == ("NoRefresh", "AllBank", "PerBank")
    assert ddr3["RequestBufferSize"].values == (1, 2, 4, 8, 16, 32, 64, 128)
    assert ddr3["RefreshMaxPostponed"].values == (1, 2, 4, 8)


def test_bad_design_names_the_parameter():
    sim = DramSimulator("ddr3")
    with pytest.raises(InvalidDesignError, match="'PagePolicy'.*legal values"):
        sim.evaluate({**sim.default_design(), "PagePolicy": "Sometimes"}, "stream:n=100")
    with pytest.raises(InvalidDesignError, match="RefreshPolicy"):
        sim.evaluate(
            {**sim.default_design(), "RefreshPolicy": "PerBank"}, "stream:n=100"
        )  # DDR3 has none


def test_workloads_by_name_path_and_object(tmp_path):
    sim = DramSimulator("ddr3")
    assert set(sim.workloads()) >= {
        "stream",
        "random",
        "stride4k",
        "hotspot_rw",
        "cloud-1",
        "cloud-2",
    }
    path = tmp_path / "w.trace"
    path.write_text("".join(f"0x{64 * i:x} R\n" for i in range(200)))
    by_path = sim.evaluate(sim.default_design(), str(path))
    by_name = sim.evaluate(sim.default_design(), "stream:n=200")
    by_object = sim.evaluate(sim.default_design(), builtin_trace("stream:n=200"))
    assert by_path == by_name == by_object
    with pytest.raises(WorkloadError, match="unknown workload 'nope'"):
        sim.load_workload("nope")


def test_batch_equals_single_and_is_deterministic():
    sim = DramSimulator("ddr4")
    designs = sim.design_space().sample(np.random.default_rng(3), 12)
    batch = sim.evaluate_batch(designs, "hotspot_rw:n=3000")
    single = [sim.evaluate(d, "hotspot_rw:n=3000") for d in designs]
    assert batch == single


def test_energy_breakdown_adds_up_and_scales_with_work():
    sim = DramSimulator("ddr3")
    small = sim.evaluate(sim.default_design(), "random:n=2000")
    large = sim.evaluate(sim.default_design(), "random:n=8000")
    assert large["energy_nj"] == pytest.approx(4 * small["energy_nj"], rel=0.05)
    assert large["avg_power_mw"] == pytest.approx(small["avg_power_mw"], rel=0.05)
    assert small["avg_power_mw"] == pytest.approx(small["energy_nj"] * 1e3 / small["total_time_ns"])


def test_ddr4_bank_group_interleaving_lifts_stream_bandwidth():
    rbc = DramSimulator("ddr4", mapping="rbc")
    bgi = DramSimulator("ddr4", mapping="bg_interleave")
    design = rbc.default_design()
    t = rbc.spec.timing
    bw_rbc = rbc.evaluate(design, "stream:n=20000")["bandwidth_gb_per_s"]
    bw_bgi = bgi.evaluate(design, "stream:n=20000")["bandwidth_gb_per_s"]
    assert bw_bgi / bw_rbc == pytest.approx(t["CCD_L"] / t["CCD_S"], rel=0.05)


def test_multi_burst_devices_reach_their_peak_on_stream():
    for name in ("lpddr4", "hbm2"):
        # bank-group interleaving spreads a stream; DRAMSys's shipped brc mappings keep it in one bank
        sim = DramSimulator(name, mapping="bg_interleave")
        got = sim.evaluate(sim.default_design(), "stream:n=20000")["bandwidth_gb_per_s"]
        assert 0.75 * sim.spec.peak_gbytes_per_s < got <= sim.spec.peak_gbytes_per_s


def test_env_builds_steps_and_passes_the_checkers():
    env = archgym.make("archgym/DRAM-v0")
    assert sorted(env.objective.targets) == ["avg_power_mw", "total_time_ns"]
    obs, _ = env.reset(seed=0)
    obs, reward, *_ = env.step(env.action_space.sample())
    assert np.all(np.abs(obs) <= 1) and np.isfinite(reward)
    check_env("archgym/DRAM-v0")


@pytest.mark.parametrize("memspec", ["ddr4", "lpddr4", "hbm2"])
def test_env_on_other_devices_and_workloads(memspec):
    env = archgym.make("archgym/DRAM-v0", workload="cloud-1", simulator_kwargs={"memspec": memspec})
    env.reset(seed=1)
    for _ in range(3):
        _, reward, *_ = env.step(env.action_space.sample())
        assert np.isfinite(reward)


def test_multiagent_view_has_one_agent_per_knob():
    knobs = list(DramSimulator("ddr3").design_space().names)
    assert make_multiagent("archgym/DRAM-v0", workload="stream:n=500").possible_agents == knobs
    assert MultiAgentDesignEnv(archgym.make("archgym/DRAM-v0")).possible_agents == knobs


def test_cli_run_and_check_on_another_device_and_workload():
    from typer.testing import CliRunner

    from archgym.cli import app

    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "run",
            "--env",
            "archgym/DRAM-v0",
            "--agent",
            "random",
            "--budget",
            "8",
            "--workload",
            "cloud-2:n=2000",
            "--env-arg",
            'simulator_kwargs={"memspec": "hbm2"}',
            "--store",
            "runs.db",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "8 simulator" in result.output
    result = runner.invoke(app, ["check", "archgym/DRAM-v0"])
    assert result.exit_code == 0 and "passes every check" in result.output


def test_trace_files_are_read_once_and_again_when_edited(tmp_path):
    sim = DramSimulator("ddr3")
    path = tmp_path / "t.trace"
    path.write_text("0x0 R\n0x40 R\n")
    first = sim.load_workload(str(path))
    assert sim.load_workload(path) is first  # cached
    path.write_text("0x0 R\n0x40 R\n0x80 W\n")
    edited = sim.load_workload(str(path))
    assert len(edited) == 3 and edited.workload_id != first.workload_id
