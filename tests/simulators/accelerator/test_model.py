"""The analytical model against SCALE-Sim: a committed reference (made by
benchmarks/bench_accelerator.py --write-reference) and a few live runs on small layers.

Tolerance: none. Compute cycles and SRAM reads/writes must equal SCALE-Sim's on every
layer, and stall-free DRAM traffic whenever every operand fits SCALE-Sim's buffer window.
Where operands spill, the fast model's DRAM reads are an estimate (its error is printed by the
benchmark); the exact figures come from the replay, tested in test_replay.py."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from archgym.simulators.accelerator.layers import Layer, load_network
from archgym.simulators.accelerator.model import (
    BASELINE,
    HardwareArrays,
    area_mm2,
    layer_costs,
    technology,
)
from archgym.simulators.accelerator.scalesim_backend import COUNT_KEYS, run_layer
from archgym.simulators.accelerator.simulator import AcceleratorSimulator

DATA = Path(__file__).parent / "data"


def _reference_rows() -> list[dict[str, str]]:
    with open(DATA / "scalesim_reference.csv") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def _design(df: str, rows: int, cols: int, glb_kb: float) -> dict:
    return dict(
        BASELINE, dataflow=df, pe_rows=rows, pe_cols=cols, glb_kb=glb_kb, glb_policy="split", bits=8
    )


def _model(layer: Layer, design: dict) -> dict[str, int]:
    costs = layer_costs(HardwareArrays.from_designs([design]), load_network([layer]).arrays)
    return {k: int(costs[k][0, 0]) for k in COUNT_KEYS}


def test_reference_covers_both_arrays_and_all_systolic_dataflows() -> None:
    rows = _reference_rows()
    assert {(r["side"], r["dataflow"]) for r in rows} == {
        (s, d) for s in ("16", "32") for d in ("os", "ws", "is")
    }
    assert {r["network"] for r in rows} >= {"resnet18", "mobilenet_v2", "bert_base"}


@pytest.mark.parametrize(
    "row",
    [r for r in _reference_rows() if int(r["glb_kb"]) >= 1024],
    ids=lambda r: f"{r['layer']}-{r['dataflow']}{r['side']}",
)
def test_equals_scalesim_reference(row: dict[str, str]) -> None:
    layer = Layer(
        row["layer"],
        "conv",
        *(int(row[x]) for x in ("p", "q", "r", "s", "c", "k", "stride")),
        span_h=int(row["span_h"]),
        span_w=int(row["span_w"]),
    )
    side = int(row["side"])
    assert _model(layer, _design(row["dataflow"], side, side, int(row["glb_kb"]))) == {
        k: int(row[k]) for k in COUNT_KEYS
    }


@pytest.mark.parametrize(
    "row",
    [r for r in _reference_rows() if int(r["glb_kb"]) < 1024],
    ids=lambda r: f"{r['layer']}-{r['dataflow']}{r['side']}",
)
def test_compute_and_sram_equal_scalesim_when_buffers_spill(row: dict[str, str]) -> None:
    layer = Layer(
        row["layer"],
        "conv",
        *(int(row[x]) for x in ("p", "q", "r", "s", "c", "k", "stride")),
        span_h=int(row["span_h"]),
        span_w=int(row["span_w"]),
    )
    side = int(row["side"])
    got = _model(layer, _design(row["dataflow"], side, side, int(row["glb_kb"])))
    for key in ("compute_cycles", "ifmap_sram_reads", "filter_sram_reads", "ofmap_sram_writes"):
        assert got[key] == int(row[key]), key


def _random_layers(n: int, seed: int) -> list[tuple[Layer, str, int, int]]:
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        r = int(rng.choice([1, 3, 5, 7]))
        s = r if rng.random() < 0.8 else int(rng.integers(1, 4))
        stride = int(rng.choice([1, 2, 3, 4]))
        h, w = int(rng.integers(r, 15)), int(rng.integers(s, 15))
        p, q = math.ceil((h - r + stride) / stride), math.ceil((w - s + stride) / stride)
        layer = Layer(
            "L",
            "conv",
            p,
            q,
            r,
            s,
            int(rng.integers(1, 7)),
            int(rng.integers(1, 20)),
            stride,
            span_h=h,
            span_w=w,
        )
        rows, cols = (int(x) for x in rng.choice([2, 4, 5, 8, 16], size=2))
        out.append((layer, str(rng.choice(["os", "ws", "is"])), rows, cols))
    return out


@pytest.mark.parametrize(("layer", "df", "rows", "cols"), _random_layers(24, seed=7))
def test_equals_live_scalesim_on_small_layers(layer: Layer, df: str, rows: int, cols: int) -> None:
    # Odd strides overhanging the input, non-square arrays, tiny folds: seconds in total.
    design = _design(df, rows, cols, 1024)
    assert _model(layer, design) == run_layer(layer, design)


def test_scalesim_backend_and_analytical_agree_through_the_simulator() -> None:
    net = load_network(
        [Layer.gemm("g", 24, 20, 12), Layer("c", "conv", 5, 5, 3, 3, 4, 6, 1)], name="tiny"
    )
    design = dict(_design("ws", 8, 4, 1024), bits=16)
    fast = AcceleratorSimulator().evaluate(design, net)
    slow = AcceleratorSimulator(backend="scalesim").evaluate(design, net)
    assert slow == pytest.approx(fast, rel=1e-12)


def test_batch_equals_one_design_at_a_time() -> None:
    sim = AcceleratorSimulator()
    designs = sim.design_space().sample(np.random.default_rng(3), 40)
    batch = sim.evaluate_batch(designs, "mobilenet_v3_large")
    single = [sim.evaluate(d, "mobilenet_v3_large") for d in designs]
    assert batch == single


def test_area_follows_the_technology_table() -> None:
    a, bits = technology()["area_mm2"], 8
    design = dict(BASELINE, pe_rows=16, pe_cols=8, rf_bytes=256, glb_kb=512, bits=bits)
    pe = (a["mac"] * (bits / 16) ** 2 + 0.25 * a["rf_per_kb"]) * (1 + a["pe_overhead"])
    expected = 128 * pe + 512 * a["sram_per_kb"] + a["fixed"]
    assert area_mm2(HardwareArrays.from_designs([design]))[0] == pytest.approx(expected)


def test_eyeriss_energy_ratios_in_the_table() -> None:
    # Chen et al. (ISCA 2016): RF : NoC : buffer : DRAM = 1 : 2 : 6 : 200 per 16-bit access.
    e = technology()["energy_pj"]
    assert (e["rf_access"], e["noc_hop"], e["glb_access"], e["dram_per_byte"] * 2) == (
        1.0,
        2.0,
        6.0,
        200.0,
    )


def test_dram_bandwidth_only_adds_stalls() -> None:
    sim = AcceleratorSimulator()
    slow, fast = (
        sim.evaluate(dict(BASELINE, dataflow="os", dram_bw=bw), "alexnet") for bw in (2, 128)
    )
    assert slow["cycles"] > fast["cycles"] and slow["dram_mb"] == fast["dram_mb"]


def test_larger_buffer_never_adds_dram_traffic() -> None:
    sim = AcceleratorSimulator()
    traffic = [
        sim.evaluate(dict(BASELINE, dataflow="ws", glb_kb=kb), "resnet18")["dram_mb"]
        for kb in (32, 256, 4096)
    ]
    assert traffic[0] >= traffic[1] >= traffic[2] and traffic[0] > traffic[2]


def test_rows_stationary_design_is_evaluated_and_scalesim_refuses_it() -> None:
    from archgym.simulator import EvaluationError

    assert AcceleratorSimulator().evaluate(dict(BASELINE), "alexnet")["utilization"] <= 1.0
    result = AcceleratorSimulator(backend="scalesim").evaluate_batch([dict(BASELINE)], "alexnet")[0]
    assert isinstance(result, EvaluationError) and "runs os, ws and is" in str(result)


def test_row_stationary_fold_by_hand() -> None:
    # 3x3 conv, 12x12 outputs, 4 channels, 8 filters on Eyeriss's 12x14 array: a PE set is
    # 3 filter rows x 12 output rows, 4 sets fit, 32 (channel, filter) pairs -> 8 passes of
    # S*Q = 36 MACs per PE plus 3 + 12 - 2 cycles of fill.
    layer = Layer("c", "conv", 12, 12, 3, 3, 4, 8, 1)
    hw = HardwareArrays.from_designs([dict(BASELINE, dataflow="rs")])
    assert int(layer_costs(hw, load_network([layer]).arrays)["compute_cycles"][0, 0]) == 8 * (
        36 + 13
    )


def test_baseline_is_a_point_of_the_space_and_options_are_checked() -> None:
    sim = AcceleratorSimulator()
    assert sim.design_space().validate(BASELINE) == BASELINE
    with pytest.raises(
        ValueError, match="backend 'timeloop' is not one of 'analytical', 'scalesim'"
    ):
        AcceleratorSimulator(backend="timeloop")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="dram 'exact' is not one of 'estimate', 'replay'"):
        AcceleratorSimulator(dram="exact")  # type: ignore[arg-type]


def test_workload_ids_key_builtins_by_name_and_user_tables_by_content(tmp_path: Path) -> None:
    sim = AcceleratorSimulator()
    assert sim.workload_id("resnet18") == sim.workload_id(None) == "resnet18"
    (tmp_path / "resnet18.csv").write_text("name,kind,gemm_m,gemm_n,gemm_k\ng,gemm,4,4,4\n")
    user = sim.workload_id(str(tmp_path / "resnet18.csv"))
    assert user.startswith("resnet18:") and user != sim.workload_id([Layer.gemm("g", 4, 4, 8)])
