"""archgym/Accelerator-v0 and archgym/Mapping-v0: conformance, baseline targets, backend switch, determinism."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import archgym
from archgym.simulators.accelerator.layers import load_network
from archgym.simulators.accelerator.mapping import MappingSimulator, mapping_costs, resolve_layer
from archgym.simulators.accelerator.model import BASELINE
from archgym.simulators.accelerator.simulator import AcceleratorSimulator, baseline_metrics
from archgym.space import InvalidDesignError
from archgym.testing import check_env, check_simulator


@pytest.mark.parametrize("env_id", ["archgym/Accelerator-v0", "archgym/Mapping-v0"])
def test_env_passes_check_env(env_id: str) -> None:
    check_env(env_id)


def test_simulators_pass_check_simulator() -> None:
    check_simulator(AcceleratorSimulator(), "alexnet")
    check_simulator(MappingSimulator())


def test_targets_are_eyeriss_baseline_improvements() -> None:
    env = archgym.make("archgym/Accelerator-v0", workload="alexnet")
    base = baseline_metrics("alexnet")
    targets = env.objective.targets
    assert targets["energy_uj"] == pytest.approx(0.7 * base["energy_uj"])
    assert targets["area_mm2"] == pytest.approx(0.85 * base["area_mm2"])
    assert targets["cycles"] == pytest.approx(0.8 * base["cycles"])
    # The baseline itself misses all three targets.
    assert not env.objective(base).feasible


def test_one_switch_selects_the_scalesim_backend(tmp_path: Path) -> None:
    path = tmp_path / "tiny.csv"
    path.write_text(
        "name,kind,in_h,in_w,in_c,out_c,r,s,gemm_m,gemm_n,gemm_k\n"
        "c,conv,6,6,3,4,3,3,,,\ng,gemm,,,,,,,10,12,6\n"
    )
    design = dict(BASELINE, dataflow="os", pe_rows=8, pe_cols=8, glb_kb=1024, bits=8)
    answers = []
    for backend in ("analytical", "scalesim"):
        env = archgym.make(
            "archgym/Accelerator-v0", workload=str(path), simulator_kwargs={"backend": backend}
        )
        env.reset(seed=0)
        _, _, _, _, info = env.step(env.space.encode(design))
        answers.append(info["metrics"])
    assert answers[1] == pytest.approx(answers[0], rel=1e-12)


def test_same_seed_same_episode() -> None:
    def run() -> list[float]:
        env = archgym.make("archgym/Mapping-v0")
        env.reset(seed=5)
        env.action_space.seed(5)
        return [env.step(env.action_space.sample())[1] for _ in range(5)]

    assert run() == run()


def test_bad_design_names_parameter_and_legal_values() -> None:
    space = AcceleratorSimulator().design_space()
    with pytest.raises(
        InvalidDesignError,
        match="'dataflow': 'xs' is not legal; legal values are 'os', 'ws', 'is', 'rs'",
    ):
        space.validate(dict(BASELINE, dataflow="xs"))


def test_mapping_workload_errors_name_the_layer() -> None:
    with pytest.raises(
        ValueError, match="network 'resnet18' has no layer 'conv9'; its layers are conv1"
    ):
        resolve_layer("resnet18/conv9")
    with pytest.raises(ValueError, match="a mapping workload is one layer; 'alexnet' has 8"):
        resolve_layer("alexnet")


def test_mapping_reuse_rule_by_hand() -> None:
    # M=N=K=64 in 32-tiles (2 trips each), 16-bit words. Order MNK (outer to inner): the ifmap
    # and filter tiles are fetched on every one of the 8 iterations (2 x 64*64 words each); the
    # output stays on chip across the inner K loop (64*64 written once).
    layer = resolve_layer(Path(__file__).parent / "data" / "gemm64.csv")
    design = {"parallel": "M-N", "loop_order": "MNK", "tile_m": 32, "tile_n": 32, "tile_k": 32}
    words = 2 * 4096 + 2 * 4096 + 4096
    assert mapping_costs([design], layer)["dram_mb"][0] == pytest.approx(words * 2 / 1e6)
    # Order KMN: the ifmap tile is reused across the inner N loop (4096); the filter is fetched 8
    # times (8192); each output tile is visited twice (once per k): written twice, read back once.
    words = 4096 + 8192 + (2 * 4096 + 4096)
    assert mapping_costs([dict(design, loop_order="KMN")], layer)["dram_mb"][0] == pytest.approx(
        words * 2 / 1e6
    )


def test_mapping_overflowing_tiles_are_infeasible_and_cost_more() -> None:
    sim = MappingSimulator()
    space = sim.design_space()
    big = {"parallel": "M-N", "loop_order": "MNK", "tile_m": 1024, "tile_n": 128, "tile_k": 2048}
    small = dict(big, tile_m=256, tile_k=128)
    assert not space.is_feasible(big) and space.is_feasible(small)
    assert sim.evaluate(big)["dram_mb"] > sim.evaluate(small)["dram_mb"]


def test_mapping_batch_is_deterministic() -> None:
    sim = MappingSimulator()
    designs = sim.design_space().sample(np.random.default_rng(0), 50)
    assert sim.evaluate_batch(designs) == sim.evaluate_batch(designs)


@pytest.mark.parametrize(
    ("parallel", "dataflow"), [("M-N", "os"), ("K-N", "ws"), ("K-M", "is"), ("N-M", "os")]
)
def test_single_tile_mapping_runs_the_fold_model(parallel: str, dataflow: str) -> None:
    # One buffer tile holding the whole layer is exactly the whole-layer fold model (which
    # equals SCALE-Sim, see test_model.py); on the square 16x16 array transposing the layout
    # (N on rows, M on columns) costs the same as output-stationary.
    from archgym.simulators.accelerator.model import HardwareArrays, layer_costs

    layer = resolve_layer("resnet18/conv4_1b")
    m, n, k = layer.gemm_dims
    design = {
        "parallel": parallel,
        "loop_order": "MNK",
        "tile_m": 256,
        "tile_n": 256,
        "tile_k": 4096,
    }
    hw = HardwareArrays.from_designs([dict(BASELINE, dataflow=dataflow, pe_rows=16, pe_cols=16)])
    whole = layer_costs(hw, load_network([layer]).arrays)["compute_cycles"][0, 0]
    assert (m, n, k) == (196, 256, 2304)
    costs = mapping_costs([design], layer)
    # One tile: DRAM streams nothing behind compute, so cycles = the tile's first fill + compute.
    fill = np.ceil(costs["dram_mb"][0] * 1e6 / 16)
    assert costs["cycles"][0] == fill + whole


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"pe_rows": 20}, "'pe_rows': 20 is not legal; legal values are 4, 8, 12"),
        ({"glb_kb": 1}, "'glb_kb': 1 is not legal; legal values are powers of two 32..4096"),
        ({"dataflow": "xs"}, "'dataflow': 'xs' is not legal"),
    ],
)
def test_evaluate_refuses_designs_outside_the_space(change, message) -> None:
    for sim in (AcceleratorSimulator(), AcceleratorSimulator(dram="replay")):
        with pytest.raises(InvalidDesignError, match=message):
            sim.evaluate(dict(BASELINE, **change), "mobilenet_v2")
        with pytest.raises(InvalidDesignError, match=message):
            sim.evaluate_batch([dict(BASELINE), dict(BASELINE, **change)], "mobilenet_v2")
