"""The memory side of the accelerator model against SCALE-Sim runs made here: DRAM reads of
operands that spill SCALE-Sim's double-buffered read buffers (CALC mode), bandwidth-limited
cycles against USER mode, the per-operand memory knobs, and the int64 guard for huge layers.

Spilling layers are scaled-down ResNet, MobileNet and BERT shapes with buffers small enough that
every case spills; each SCALE-Sim run takes seconds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from archgym.simulator import WorkloadError
from archgym.simulators.accelerator.layers import MAX_LAYER_COUNT, Layer, load_network
from archgym.simulators.accelerator.model import (
    BASELINE,
    HardwareArrays,
    buffer_words,
    footprints,
    layer_costs,
    network_metrics,
    scalesim_window,
    user_fetch_words,
)
from archgym.simulators.accelerator.scalesim_backend import run_layer
from archgym.simulators.accelerator.simulator import AcceleratorSimulator
from archgym.space import InvalidDesignError

#: Scaled-down shapes that spill a 1 KB read buffer (a 500-word window at 8 bits).
SPILLING = {
    "resnet_3x3": Layer("resnet_3x3", "conv", 10, 10, 3, 3, 16, 16, 1),
    "resnet_stride2": Layer("resnet_stride2", "conv", 6, 6, 3, 3, 16, 24, 2),
    "mobilenet_pointwise": Layer("mobilenet_pw", "conv", 10, 10, 1, 1, 24, 16, 1),
    "mobilenet_depthwise": Layer("mobilenet_dw", "conv", 30, 30, 3, 3, 1, 1, 1),
    "bert_qk": Layer.gemm("bert_qk", 32, 32, 64),
    "bert_proj": Layer.gemm("bert_proj", 16, 48, 96),
}


def _design(df: str, side: int = 8, **extra: object) -> dict:
    return dict(BASELINE, dataflow=df, pe_rows=side, pe_cols=side, bits=8, **extra)


def _estimate(layer: Layer, df: str, kb: tuple[float, float, float], side: int = 8) -> dict:
    hw = HardwareArrays.from_designs([_design(df, side)])
    hw.sram_bytes = tuple(int(x * 1024) for x in kb)  # type: ignore[assignment]
    arrays = load_network([layer]).arrays
    costs = layer_costs(hw, arrays)
    u_if, u_f = footprints(arrays)
    buf_if, buf_f, _ = buffer_words(hw, u_if, u_f)
    return {
        "ifmap": int(costs["ifmap_dram_reads"][0, 0]),
        "filter": int(costs["filter_dram_reads"][0, 0]),
        "spills_ifmap": bool(u_if[0, 0] > scalesim_window(buf_if, hw.bits)[0, 0]),
        "spills_filter": bool(u_f[0, 0] > scalesim_window(buf_f, hw.bits)[0, 0]),
    }


@pytest.fixture(scope="module")
def spill_runs() -> list[tuple[str, str, dict, dict]]:
    """SCALE-Sim (CALC mode) and the model on every spilling shape x dataflow, 1 KB buffers."""
    runs = []
    kb = (1.0, 1.0, 64.0)
    for name, layer in SPILLING.items():
        for df in ("os", "ws", "is"):
            ref = run_layer(layer, _design(df), buffer_kb=list(kb))
            runs.append((name, df, _estimate(layer, df, kb), ref))
    return runs


def test_every_case_spills_at_least_one_operand(spill_runs: list) -> None:
    assert all(est["spills_ifmap"] or est["spills_filter"] for _, _, est, _ in spill_runs)
    assert sum(est["spills_ifmap"] for _, _, est, _ in spill_runs) == 18


def test_spilled_dram_reads_follow_scalesim_window_prefetch(spill_runs: list) -> None:
    # Issue 18's goal: within 10 % on 90 % of spilled operands. The model holds it here; its
    # worst cases (about 15-20 %: the 3x3 convs under os and is, where a window spans about one
    # pixel block and so keeps step with the blocks instead of falling anywhere in them) are
    # bounded. The benchmark prints the share on more layers.
    errors = []
    for name, df, est, ref in spill_runs:
        for op in ("ifmap", "filter"):
            if est[f"spills_{op}"]:
                err = est[op] / ref[f"{op}_dram_reads"] - 1
                assert abs(err) <= 0.25, f"{name} {df} {op}: {est[op]} vs SCALE-Sim {ref}"
                errors.append(abs(err))
    within = np.mean(np.asarray(errors) <= 0.10)
    assert within >= 0.9, f"only {within:.0%} of spilled operands within 10 % of SCALE-Sim"


def test_fitting_operands_stay_exact(spill_runs: list) -> None:
    for name, df, est, ref in spill_runs:
        for op in ("ifmap", "filter"):
            if not est[f"spills_{op}"]:
                assert est[op] == ref[f"{op}_dram_reads"], (name, df, op)


def _per_operand(df: str, kb: int, bw: int, side: int = 8) -> dict:
    design = {k: v for k, v in _design(df, side).items() if k not in ("glb_kb", "glb_policy")}
    del design["dram_bw"]
    for op in ("ifmap", "filter", "ofmap"):
        design[f"{op}_kb"] = kb
        design[f"{op}_dram_bw"] = bw
    return design


@pytest.mark.slow
@pytest.mark.parametrize("bw", [10, 30])
@pytest.mark.parametrize("df", ["os", "ws", "is"])
def test_bandwidth_limited_cycles_near_scalesim_user_mode(df: str, bw: int) -> None:
    # Goal of issue 18: within 20 % of SCALE-Sim's USER mode at 10 and 30 words per cycle. USER
    # mode fetches the im2col'd ifmap with its duplicates (model.user_fetch_words); without that
    # the conv's lead at 10 words per cycle is short by a fifth. With 8 KB buffers the conv's
    # im2col'd ifmap (14,976 words) outgrows the active half and streams once per column fold.
    cases = ((SPILLING["resnet_3x3"], 64), (SPILLING["bert_qk"], 64), (SPILLING["resnet_3x3"], 8))
    for layer, kb in cases:
        ref = run_layer(layer, _design(df), buffer_kb=[kb, kb, kb], user_bw=bw)
        design = dict(_per_operand(df, kb, bw), noc_bw=512)
        ours = AcceleratorSimulator(memory="per_operand").evaluate(design, load_network([layer]))
        assert ours["cycles"] == pytest.approx(ref["total_cycles"], rel=0.2), (layer, ref)


def test_each_operand_streams_on_its_own_bandwidth() -> None:
    net = load_network([Layer.gemm("g", 8, 256, 1024)])  # few output rows: filter-bound
    sim = AcceleratorSimulator(memory="per_operand")
    fast = sim.evaluate(_per_operand("os", 64, 128), net)
    # Starving only the filter stream: the layer waits for its filter words, whatever the others do.
    starved = sim.evaluate(dict(_per_operand("os", 64, 128), filter_dram_bw=1), net)
    hw = HardwareArrays.from_designs([_per_operand("os", 64, 128)])
    costs = layer_costs(hw, net.arrays)
    filter_words = int(costs["filter_dram_reads"][0, 0])
    assert starved["cycles"] >= filter_words > 2 * fast["cycles"]
    assert starved["dram_mb"] == fast["dram_mb"]


def test_per_operand_buffers_set_the_windows() -> None:
    hw = HardwareArrays.from_designs([dict(_per_operand("ws", 8, 10), ifmap_kb=2, ofmap_kb=32)])
    arrays = load_network([Layer.gemm("g", 8, 8, 8)]).arrays
    assert [int(b[0, 0]) for b in buffer_words(hw, *footprints(arrays))] == [2048, 8192, 32768]


def test_shared_bus_is_an_option_and_options_are_checked() -> None:
    design = dict(BASELINE, dataflow="ws", dram_bw=2)
    streams = AcceleratorSimulator().evaluate(design, "alexnet")
    shared = AcceleratorSimulator(bus="shared").evaluate(design, "alexnet")
    assert streams["dram_mb"] == shared["dram_mb"] and streams["cycles"] != shared["cycles"]
    with pytest.raises(ValueError, match="bus 'ring' is not one of 'streams', 'shared'"):
        AcceleratorSimulator(bus="ring")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="memory 'l3' is not one of 'global', 'per_operand'"):
        AcceleratorSimulator(memory="l3")  # type: ignore[arg-type]


def test_out_of_space_per_operand_values_are_refused() -> None:
    sim = AcceleratorSimulator(memory="per_operand")
    with pytest.raises(InvalidDesignError, match="ifmap_dram_bw"):
        sim.evaluate(dict(_per_operand("os", 64, 10), ifmap_dram_bw=3), "alexnet")
    with pytest.raises(InvalidDesignError, match="unknown parameter 'glb_kb'"):
        sim.evaluate(dict(_per_operand("os", 64, 10), glb_kb=64), "alexnet")
    mixed = [dict(BASELINE), _per_operand("os", 64, 10)]
    with pytest.raises(ValueError, match="evaluate them in separate batches"):
        HardwareArrays.from_designs(mixed)


def test_huge_layers_are_refused_with_a_clear_error() -> None:
    # 10^8 x 10^8 GEMM: 10^16 MACs would overflow the model's int64 counts (negative energy).
    with pytest.raises(WorkloadError, match=r"layer 'huge': 1e\+16 MACs, more than the 1e\+15"):
        load_network([Layer.gemm("huge", 10**8, 1, 10**8)], name="big")
    with pytest.raises(WorkloadError, match="1e\\+16 input elements"):
        load_network([Layer("wide", "conv", 1, 1, 1, 1, 1, 1, 1, span_h=10**8, span_w=10**8)])


def test_the_largest_accepted_layer_gives_finite_positive_metrics() -> None:
    side = int(math.isqrt(MAX_LAYER_COUNT // 4096))
    net = load_network([Layer.gemm("edge", side, 4096, side)])
    assert net.macs <= MAX_LAYER_COUNT
    sim = AcceleratorSimulator()
    for df in ("os", "ws", "is", "rs"):
        m = sim.evaluate(dict(BASELINE, dataflow=df, pe_rows=4, pe_cols=4, glb_kb=32), net)
        assert all(math.isfinite(v) and v > 0 for v in m.values()), (df, m)
    hw = HardwareArrays.from_designs([dict(BASELINE, dataflow="is", pe_rows=4, pe_cols=4)])
    metrics = network_metrics(hw, net.arrays, layer_costs(hw, net.arrays))
    assert metrics["energy_uj"][0] > 0


def test_user_mode_fetches_the_padded_im2col_ifmap() -> None:
    # SCALE-Sim's USER-mode read buffer fetches its prefetch matrix line by line, duplicates and
    # fold padding included (systolic_compute_*.create_*_prefetch_mat, read_buffer.py): a 10x10
    # 3x3 conv of 16 channels is 100 pixels x 144 window words, its 2304 distinct input words.
    net = load_network([SPILLING["resnet_3x3"]])
    designs = [_per_operand(df, 64, 10) for df in ("os", "ws", "is")]
    designs.append(_per_operand("os", 8, 10))  # 8 KB: 4096 words in the active half, spills
    hw = HardwareArrays.from_designs(designs)
    costs = layer_costs(hw, net.arrays)
    ifmap, filt = (w[:, 0].tolist() for w in user_fetch_words(hw, net.arrays, costs))
    assert int(costs["ifmap_dram_reads"][0, 0]) == 2304
    # os pads 100 pixels to 13 folds of 8; ws pads K = 144 to 18 folds of 8 (none); is pads M too.
    assert ifmap[:3] == [104 * 144, 100 * 144, 144 * 104]
    assert ifmap[3] == 104 * 144 * 2  # slides through the buffer once per column fold (N = 16)
    assert filt[:3] == [144 * 16] * 3


def test_batch_check_refuses_a_bad_value_among_good_ones_and_takes_numpy_scalars() -> None:
    sim = AcceleratorSimulator()
    good = [dict(BASELINE, dataflow=df) for df in ("os", "ws", "is")]
    with pytest.raises(InvalidDesignError, match="'pe_rows': 20 is not legal"):
        sim.evaluate_batch([*good, dict(BASELINE, pe_rows=20)], "alexnet")
    with pytest.raises(InvalidDesignError, match="'pe_rows'"):
        sim.evaluate_batch([*good, dict(BASELINE, pe_rows=True)], "alexnet")
    as_numpy = dict(BASELINE, pe_rows=np.int64(12), glb_kb=np.int64(128))
    assert sim.evaluate_batch([as_numpy], "alexnet") == sim.evaluate_batch([BASELINE], "alexnet")
