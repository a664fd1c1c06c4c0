"""The SoC simulator against FARSI's reference designs, plus its design space, errors and invariants."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from archgym.simulator import WorkloadError
from archgym.simulators.soc import HardwareError, SoCSimulator, load_workload, unroll_values
from archgym.space import InvalidDesignError
from archgym.testing import check_simulator

REFERENCE = yaml.safe_load((Path(__file__).parent / "farsi_reference.yaml").read_text())


@pytest.fixture(scope="module")
def sim() -> SoCSimulator:
    return SoCSimulator()


def reference_design(sim: SoCSimulator, row: dict) -> dict:
    space = sim.design_space("audio_decoder")
    d = space.decode([0] * len(space))
    d.update(mem_kind="dram")
    d.update(row["design"])
    g = load_workload("audio_decoder").graphs[0]
    accel = row.get("accel", [])
    names = [t.name for t in g.tasks if t.accel is not None] if accel == "all" else accel
    caps = {t.name: t.accel.max_unroll for t in g.tasks if t.accel is not None}
    for name in names:
        d[f"{name}_pe"] = "accel"
        d[f"{name}_clock"] = row["clock"]
        if caps[name] > 1:
            d[f"{name}_unroll"] = caps[name] if row["unroll"] == "max" else row["unroll"]
    return space.validate(d)


@pytest.mark.parametrize("row", REFERENCE, ids=[r["name"] for r in REFERENCE])
def test_matches_farsi_reference_designs(sim, row):
    m = sim.evaluate(reference_design(sim, row), "audio_decoder")
    assert m["latency_ms"] == pytest.approx(row["latency_ms"], rel=row["latency_tol"])
    assert m["peak_power_mw"] == pytest.approx(row["power_mw"], rel=row.get("power_tol", 0.25))
    assert m["area_mm2"] == pytest.approx(row["area_mm2"], rel=0.10)


def test_reference_rows_agree_on_what_each_knob_does(sim):
    """FARSI's bandwidth-only changes on one core leave energy alone (same schedule order, same
    memory); accelerators cut it; area ignores clocks and widths."""
    m = {r["name"]: sim.evaluate(reference_design(sim, r), "audio_decoder") for r in REFERENCE}
    base = m["1 x A53, DRAM x1, bus x1"]
    for name in (
        "1 x A53, DRAM x8, bus x8",
        "1 x A53, 128-B DRAM and bus x1",
    ):
        assert m[name]["energy_mj"] == pytest.approx(base["energy_mj"])
    assert m["A53 + 6 IPs (unroll 1, x1)"]["energy_mj"] < 0.5 * base["energy_mj"]
    assert m["1 x A53, DRAM x8, bus x8"]["area_mm2"] == pytest.approx(base["area_mm2"])


@pytest.mark.parametrize(
    "workload", ["audio_decoder", "edge_detection", "hpvm_cava", "arvr", "synthetic:10:4"]
)
def test_conformance(sim, workload):
    check_simulator(sim, workload, samples=6)


@pytest.mark.parametrize("workload", ["audio_decoder", "arvr"])
def test_every_sampled_design_is_valid_or_names_its_violation(sim, workload):
    space = sim.design_space(workload)
    designs = space.sample(np.random.default_rng(11), 300)
    out = sim.evaluate_arrays(designs, workload)
    assert all(np.isfinite(v).all() for v in out.values())
    assert (out["latency_ms"] > 0).all() and (out["area_mm2"] > 0).all()
    for d, area in zip(designs, out["area_mm2"], strict=True):
        violations = space.violations(d)
        assert violations == (
            [] if area <= 100 else ["area_cap: SoC area must not exceed 100 mm^2"]
        )
    # Edge detection's fully unrolled IPs blow the area cap (and the space names it); the audio
    # decoder's largest SoC (every IP at its trip count, 4 cores) is ~55 mm^2 and never does.
    assert any(space.violations(d) for d in designs) == (workload == "arvr")


def test_space_shape(sim):
    space = sim.design_space("audio_decoder")
    assert space["cores"].values == (1, 2, 3, 4)
    assert space["mapping"].values == ("round_robin", "first_free", "critical_path")
    assert space["FIR_left_unroll"].values == tuple(unroll_values(16400))
    assert "psychoFilter_unroll" not in space  # trip count 1: nothing to unroll
    assert space["mem_kind"].values == ("sram", "dram")
    groups = sim.param_groups("audio_decoder")
    assert sorted(p for ps in groups.values() for p in ps) == sorted(space.names)
    assert groups["memory"] == ["mem_kind", "mem_width_bytes", "mem_clock_mult"]
    arvr = sim.design_space("arvr")
    assert "edge_detection.gaussianSmoothing_pe" in arvr and "hpvm_cava.gamut_map_unroll" in arvr


def test_bad_designs_are_refused_by_name(sim):
    space = sim.design_space("audio_decoder")
    good = space.decode([0] * len(space))
    with pytest.raises(
        InvalidDesignError, match="'mem_width_bytes': 12 is not legal; legal values are 4, 8"
    ):
        sim.evaluate({**good, "mem_width_bytes": 12}, "audio_decoder")
    with pytest.raises(
        InvalidDesignError,
        match="'FIR_left_pe': 'gpu' is not legal; legal values are 'core', 'accel'",
    ):
        sim.evaluate_batch([{**good, "FIR_left_pe": "gpu"}], "audio_decoder")
    missing = dict(good)
    del missing["cores"]
    with pytest.raises(InvalidDesignError, match="missing parameter 'cores'"):
        sim.evaluate_batch([missing], "audio_decoder")
    with pytest.raises(InvalidDesignError, match="unknown parameter 'gpus'"):
        sim.evaluate({**good, "gpus": 2}, "audio_decoder")
    with pytest.raises(WorkloadError, match="unknown SoC workload"):
        sim.evaluate(good, "doom")


def test_more_bandwidth_or_cores_never_slow_a_software_design(sim):
    space = sim.design_space("audio_decoder")
    base = {**space.decode([0] * len(space)), "mem_kind": "dram", "mapping": "first_free"}
    prev = None
    for width in (4, 8, 16, 32, 64, 128):
        lat = sim.evaluate(
            {**base, "mem_width_bytes": width, "bus_width_bytes": width}, "audio_decoder"
        )["latency_ms"]
        assert prev is None or lat <= prev + 1e-12
        prev = lat
    one = sim.evaluate(base, "audio_decoder")["latency_ms"]
    four = sim.evaluate({**base, "cores": 4}, "audio_decoder")["latency_ms"]
    assert four <= one


def test_workloads_on_one_soc_are_slower_than_alone(sim):
    both = sim.design_space("arvr")
    d = both.decode([0] * len(both))
    alone = {}
    for name in ("audio_decoder", "edge_detection", "hpvm_cava"):
        s = sim.design_space(name)
        alone[name] = sim.evaluate(s.decode([0] * len(s)), name)["latency_ms"]
    m = sim.evaluate(d, "arvr")
    # One core shared by all three: the scenario ends no earlier than the sum of the work.
    assert m["latency_ms"] >= max(alone.values())
    assert m["latency_ms"] == pytest.approx(sum(alone.values()), rel=1e-6)


def test_deterministic_and_workload_ids_track_content(sim):
    space = sim.design_space("hpvm_cava")
    designs = space.sample(np.random.default_rng(5), 20)
    a = sim.evaluate_batch(designs, "hpvm_cava")
    b = SoCSimulator().evaluate_batch(designs, "hpvm_cava")
    assert a == b
    assert sim.workload_id(load_workload("audio_decoder")) == sim.workload_id(
        load_workload("audio_decoder")
    )
    assert sim.workload_id(load_workload("synthetic:8:1")) != sim.workload_id(
        load_workload("synthetic:8:2")
    )


def test_hardware_library_errors_name_the_field(simple_hw, tmp_path):
    del simple_hw["memory"]["bytes_per_access"]
    with pytest.raises(HardwareError, match="missing field 'memory.bytes_per_access'"):
        SoCSimulator(simple_hw)
    simple_hw["memory"]["bytes_per_access"] = 16
    simple_hw["memory"]["cacti_table"][1][3] = -1
    with pytest.raises(
        HardwareError, match=r"memory.cacti_table row 2 \(sram,2000000,0.0,-1,0.0\) must be kind"
    ):
        SoCSimulator(simple_hw)
    simple_hw["memory"]["cacti_table"][1][3] = 0.0
    simple_hw["memory"]["cacti_table"].append(["sram", 2_000_000, 0, 0, 0])
    with pytest.raises(HardwareError, match="lists a sram size twice"):
        SoCSimulator(simple_hw)
    simple_hw["memory"]["cacti_table"].pop()
    with pytest.raises(HardwareError, match="cannot read memory.cacti_table"):
        SoCSimulator({**simple_hw, "memory": {**simple_hw["memory"], "cacti_table": "nope.csv"}})
    simple_hw["bus"]["widths_bytes"] = []
    with pytest.raises(
        HardwareError, match="'bus.widths_bytes' must be a list of positive integers"
    ):
        SoCSimulator(simple_hw)
    simple_hw["bus"]["widths_bytes"] = [4]
    simple_hw["bus"]["base_clock_hz"] = 0
    with pytest.raises(HardwareError, match="'bus.base_clock_hz' must be positive"):
        SoCSimulator(simple_hw)
    bad = tmp_path / "hw.yaml"
    bad.write_text("core: [1, 2\n")
    with pytest.raises(HardwareError, match="not valid YAML"):
        SoCSimulator(bad)


def test_memory_price_is_farsis_cacti_rule_over_size():
    """FARSI's run_and_collect_cacti_data (design_utils/design.py): per byte = CACTI's access energy / 16
    x 0.064, area = CACTI's x 0.07, at the size rounded up to 256000-B granules (>= 2048 B)."""
    mem = SoCSimulator().hw.memory
    assert mem.size_bytes(1) == 256_000 and mem.size_bytes(1_536_001) == 1_792_000
    # cacti.csv's 1792000-B rows give FARSI's own one-A53 memory areas (1.000 - 0.65, 0.776 - 0.65).
    read, write, area = mem.price("sram", 1_792_000)
    assert area == pytest.approx(0.350, abs=5e-4)
    assert read == pytest.approx(0.124583e3 / 16 * 0.064) and write == pytest.approx(
        0.108302e3 / 16 * 0.064
    )
    assert mem.price("dram", 1_792_000)[2] == pytest.approx(0.126, abs=5e-4)
    # Between tabulated sizes (4096000 and 5120000): linear; past the largest: the last slope.
    lo, hi = mem.price("sram", 4_096_000)[2], mem.price("sram", 5_120_000)[2]
    assert mem.price("sram", 4_352_000)[2] == pytest.approx(lo + (hi - lo) / 4)
    top = mem.kinds["sram"].sizes_bytes[-1]
    a1, a2 = mem.price("sram", top - 8_192_000)[2], mem.price("sram", top)[2]
    assert mem.price("sram", top + 8_192_000)[2] == pytest.approx(2 * a2 - a1)
