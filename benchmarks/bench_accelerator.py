"""Speed and fidelity of the analytical accelerator model against SCALE-Sim, measured in one run.

    .venv/bin/python benchmarks/bench_accelerator.py                    # benchmark (~1 min)
    .venv/bin/python benchmarks/bench_accelerator.py --write-reference  # regenerate the test CSV (~1 h)

Prints layer-evaluations per second of the vectorised model and of SCALE-Sim on the same
layers, their ratio, and the model's agreement with SCALE-Sim (exact where the operands fit
SCALE-Sim's buffer window; the relative error of our re-fetch estimate where they spill).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archgym.simulators.accelerator.layers import Layer, load_network, to_scalesim_rows  # noqa: E402
from archgym.simulators.accelerator.model import (  # noqa: E402
    BASELINE,
    HardwareArrays,
    buffer_words,
    footprints,
    layer_costs,
    network_metrics,
    scalesim_window,
)
from archgym.simulators.accelerator.replay import replay_dram_reads  # noqa: E402
from archgym.simulators.accelerator.scalesim_backend import COUNT_KEYS, run_layer, scalesim_version  # noqa: E402
from archgym.simulators.accelerator.simulator import AcceleratorSimulator  # noqa: E402

REFERENCE = ROOT / "tests/simulators/accelerator/data/scalesim_reference.csv"
#: Layers small enough for SCALE-Sim to run in seconds (it walks every address in Python).
REFERENCE_LAYERS = {
    "resnet18": ["conv5_1_down", "fc"],
    "mobilenet_v2": ["block7_1_dw", "block4_1_dw"],
    "mobilenet_v3_large": ["bneck4_se_reduce", "bneck4_se_expand"],
    "efficientnet_b0": ["mb2_1_se_reduce"],
}
BERT_GEMMS = [
    Layer.gemm("bert_scores_head", 128, 128, 64),
    Layer.gemm("bert_context_head", 128, 64, 128),
    Layer.gemm("bert_pooler", 1, 768, 768),
]
#: Every distinct ResNet-18 conv shape (later blocks repeat these); minutes each in SCALE-Sim,
#: so they are run with the large buffer only.
LARGE_LAYERS = {
    "resnet18": [
        "conv1",
        "conv2_1a",
        "conv3_1a",
        "conv3_1b",
        "conv3_1_down",
        "conv4_1a",
        "conv4_1b",
        "conv4_1_down",
        "conv5_1a",
        "conv5_1b",
    ]
}
LARGE_GEMMS = [Layer.gemm("bert_out_proj", 128, 768, 768)]  # BERT-base's d x d projections
#: A global buffer large enough that every operand fits SCALE-Sim's window (exact regime),
#: and a small one where operands spill (our estimate).
BUFFERS = {"fits": 65536, "spills": 64}


def reference_layers(table: dict[str, list[str]] = REFERENCE_LAYERS) -> list[tuple[str, Layer]]:
    out = []
    for net_name, names in table.items():
        by_name = {layer.name: layer for layer in load_network(net_name).layers}
        out += [(net_name, by_name[n]) for n in names]
    return out + ([("bert_base", g) for g in BERT_GEMMS] if table is REFERENCE_LAYERS else [])


def design(df: str, side: int, glb_kb: int) -> dict:
    return dict(
        BASELINE, dataflow=df, pe_rows=side, pe_cols=side, glb_kb=glb_kb, glb_policy="split", bits=8
    )


def write_reference(output: Path = REFERENCE, which: str = "all") -> None:
    """Run SCALE-Sim on the reference layers (16x16 and 32x32; os, ws, is; both buffers)."""
    fields = [
        "network",
        "layer",
        "p",
        "q",
        "r",
        "s",
        "c",
        "k",
        "stride",
        "span_h",
        "span_w",
        "groups",
        "dataflow",
        "side",
        "glb_kb",
        *COUNT_KEYS,
        "seconds",
    ]
    REFERENCE.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "w", newline="") as f:
        f.write(
            f"# source: SCALE-Sim {scalesim_version()} (pip scalesim), stall-free CALC mode, 1-byte words, "
            "run by `python benchmarks/bench_accelerator.py --write-reference`; one group of each layer\n"
        )
        writer = csv.DictWriter(f, fields)
        writer.writeheader()
        cases = []
        if which in ("small", "all"):
            cases += [
                (net, layer, (16, 32), tuple(BUFFERS.values())) for net, layer in reference_layers()
            ]
        if which in ("large", "all"):
            # 32x32 first: it is twice as fast, so a cut-short run still covers every layer once.
            large = reference_layers(LARGE_LAYERS) + [("bert_base", g) for g in LARGE_GEMMS]
            for side in (32, 16):
                cases += [(net, layer, (side,), (BUFFERS["fits"],)) for net, layer in large]
        for net, layer, sides, buffers in cases:
            one = Layer(
                layer.name,
                layer.kind,
                layer.p,
                layer.q,
                layer.r,
                layer.s,
                layer.in_c // layer.groups,
                layer.out_c // layer.groups,
                layer.stride,
                span_h=layer.span_h,
                span_w=layer.span_w,
            )
            for side in sides:
                for df in ("os", "ws", "is"):
                    for glb in buffers:
                        t = time.perf_counter()
                        counts = run_layer(one, design(df, side, glb))
                        row = {
                            "network": net,
                            "layer": layer.name,
                            "p": one.p,
                            "q": one.q,
                            "r": one.r,
                            "s": one.s,
                            "c": one.in_c,
                            "k": one.out_c,
                            "stride": one.stride,
                            "span_h": one.span_h,
                            "span_w": one.span_w,
                            "groups": 1,
                            "dataflow": df,
                            "side": side,
                            "glb_kb": glb,
                            **counts,
                            "seconds": round(time.perf_counter() - t, 2),
                        }
                        writer.writerow(row)
                        f.flush()
                        print(net, layer.name, df, side, glb, row["seconds"], "s", flush=True)


def fidelity() -> None:
    """Model vs the committed SCALE-Sim reference: exact matches, and spill-regime error."""
    with open(REFERENCE) as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    exact = {k: 0 for k in COUNT_KEYS}
    spill_err: dict[str, list[float]] = {k: [] for k in COUNT_KEYS}
    replay_exact = 0
    fits = [r for r in rows if int(r["glb_kb"]) == BUFFERS["fits"]]
    for r in rows:
        layer = Layer(
            r["layer"],
            "conv",
            *(int(r[x]) for x in ("p", "q", "r", "s", "c", "k", "stride")),
            span_h=int(r["span_h"]),
            span_w=int(r["span_w"]),
        )
        side = int(r["side"])
        hw = HardwareArrays.from_designs([design(r["dataflow"], side, int(r["glb_kb"]))])
        arrays = load_network([layer]).arrays
        costs = layer_costs(hw, arrays)
        for k in COUNT_KEYS:
            model, ref = int(costs[k][0, 0]), int(r[k])
            if r in fits:
                exact[k] += model == ref
            else:
                spill_err[k].append(abs(model - ref) / max(ref, 1))
        if r not in fits:
            buf_if, buf_f, _ = buffer_words(hw, *footprints(arrays))
            windows = (int(scalesim_window(b, hw.bits)[0, 0]) for b in (buf_if, buf_f))
            got = replay_dram_reads(
                layer, r["dataflow"], side, side, window_if=next(windows), window_f=next(windows)
            )
            replay_exact += got == (int(r["ifmap_dram_reads"]), int(r["filter_dram_reads"]))
    print(
        f"\nfidelity vs SCALE-Sim reference ({len(fits)} layer x array x dataflow cases, operands fit):"
    )
    for k in COUNT_KEYS:
        print(f"  {k:20s} exact in {exact[k]}/{len(fits)}")
    print(
        f"where operands spill a {BUFFERS['spills']} KB buffer ({len(rows) - len(fits)} cases), "
        "model error (median / max):"
    )
    for k in COUNT_KEYS:
        e = np.asarray(spill_err[k])
        print(f"  {k:20s} {np.median(e):7.1%} / {e.max():7.1%}")
    print(
        f"  exact replay (dram='replay'): ifmap and filter DRAM reads equal in {replay_exact}/{len(rows) - len(fits)}; "
        "ofmap writes differ by SCALE-Sim's line padding (< cols words)"
    )


def estimate_vs_replay() -> None:
    """The fast DRAM estimate against the exact replay (equal to SCALE-Sim, see test_replay.py) on
    ResNet-18 convs whose operands spill small split buffers (a 32x32 array)."""
    by_name = {layer.name: layer for layer in load_network("resnet18").layers}
    ratios: dict[str, list[float]] = {"ifmap": [], "filter": []}
    t = time.perf_counter()
    for name in ("conv2_1a", "conv3_1b", "conv4_1b", "conv5_1b"):
        layer = by_name[name]
        arrays = load_network([layer]).arrays
        for df in ("os", "ws", "is"):
            for glb in (64, 256):
                hw = HardwareArrays.from_designs([design(df, 32, glb)])
                costs = layer_costs(hw, arrays)
                buf_if, buf_f, _ = buffer_words(hw, *footprints(arrays))
                w_if, w_f = (int(scalesim_window(b, hw.bits)[0, 0]) for b in (buf_if, buf_f))
                exact = replay_dram_reads(layer, df, 32, 32, window_if=w_if, window_f=w_f)
                ratios["ifmap"].append(int(costs["ifmap_dram_reads"][0, 0]) / exact[0])
                ratios["filter"].append(int(costs["filter_dram_reads"][0, 0]) / exact[1])
    print(
        f"\nDRAM estimate / exact replay, 4 ResNet-18 convs x os/ws/is x 64/256 KB on 32x32 "
        f"(replay took {time.perf_counter() - t:.0f} s):"
    )
    for operand, r in ratios.items():
        r_ = np.asarray(r)
        print(f"  {operand:7s} median {np.median(r_):.2f}, range {r_.min():.2f} .. {r_.max():.2f}")


def user_bandwidth() -> None:
    """Our stall model vs SCALE-Sim's USER bandwidth mode (per-operand DRAM ports of `bw` words/cycle).

    SCALE-Sim in this mode fetches the im2col'd ifmap without deduplication and prefetches a
    buffer-sized block before compute starts; ours double-buffers distinct words, so we print
    both its overall cycles and its DRAM words next to ours rather than assert agreement."""
    layer = Layer("c", "conv", 6, 6, 3, 3, 8, 16, 1)
    print(
        "\nfinite DRAM bandwidth, 6x6x8 -> 16 conv on 8x8 (SCALE-Sim USER mode vs our double-buffering model):"
    )
    print("  df  bw/port  SCALE-Sim cycles (DRAM words)   ours cycles (DRAM words)")
    for df in ("os", "ws", "is"):
        for bw in (2, 8, 32):
            ss_cycles, ss_words = scalesim_user_mode(layer, df, 8, bw)
            hw = HardwareArrays.from_designs([dict(design(df, 8, 64), dram_bw=3 * bw, noc_bw=1e9)])
            arrays = load_network([layer]).arrays
            costs = layer_costs(hw, arrays)
            ours = network_metrics(hw, arrays, costs)
            words = sum(
                int(costs[k][0, 0])
                for k in ("ifmap_dram_reads", "filter_dram_reads", "ofmap_dram_writes")
            )
            print(
                f"  {df}  {bw:7d}  {ss_cycles:16,d} ({ss_words:7,d})   {int(ours['cycles'][0]):12,d} ({words:7,d})"
            )


def scalesim_user_mode(layer: Layer, df: str, side: int, bw: int) -> tuple[int, int]:
    """SCALE-Sim's overall cycles (incl. prefetch) and DRAM words with `bw` words/cycle per operand."""
    import contextlib
    import io

    from scalesim.layout_utils import layouts
    from scalesim.scale_config import scale_config
    from scalesim.single_layer_sim import single_layer_sim
    from scalesim.topology_utils import topologies

    cfg = scale_config()
    cfg.array_rows = cfg.array_cols = side
    cfg.ifmap_sz_kb = cfg.filter_sz_kb = cfg.ofmap_sz_kb = 64
    cfg.df, cfg.use_user_bandwidth, cfg.bandwidths = df, True, [bw]
    cfg.ifmap_sram_bank_bandwidth = cfg.filter_sram_bank_bandwidth = bw
    cfg.ifmap_sram_bank_num = cfg.filter_sram_bank_num = 1
    cfg.valid_conf_flag = True
    topo = topologies()
    h, w, r, s, c, k, stride = to_scalesim_rows(layer)
    topo.load_layer_params_from_list("c", ["c", h, w, r, s, c, k, stride, stride, 1, 1])
    topo.topo_calc_hyperparams()
    sim = single_layer_sim()
    with contextlib.redirect_stdout(io.StringIO()):
        sim.set_params(
            layer_id=0, config_obj=cfg, topology_obj=topo, layout_obj=layouts(), verbose=False
        )
        sim.run()
        overall = sim.get_compute_report_items()[0]
        detail = sim.get_detail_report_items()
    return int(overall), int(detail[11] + detail[14] + detail[17])


def speed() -> None:
    sim = AcceleratorSimulator()
    space = sim.design_space()
    rng = np.random.default_rng(0)
    designs = [d for d in space.sample(rng, 6000) if d["dataflow"] != "rs"][:4000]
    net = load_network("resnet18")
    sim.evaluate_batch(designs[:10], net)  # warm up
    t = time.perf_counter()
    sim.evaluate_batch(designs, net)
    vec = time.perf_counter() - t
    vec_rate = len(designs) * len(net.layers) / vec
    t = time.perf_counter()
    for d in designs[:200]:
        sim.evaluate(d, net)
    loop = time.perf_counter() - t
    loop_rate = 200 * len(net.layers) / loop
    small = [layer for _, layer in reference_layers()][:4]
    t = time.perf_counter()
    for layer in small:
        run_layer(layer, design("ws", 16, 256))
    ss = time.perf_counter() - t
    ss_rate = len(small) / ss
    print(
        f"analytical, {len(designs)} designs x {len(net.layers)} ResNet-18 layers in one batch: "
        f"{vec_rate:,.0f} layer-evaluations/s"
    )
    print(
        f"analytical, one design per call:                     {loop_rate:,.0f} layer-evaluations/s "
        f"(batch is {vec_rate / loop_rate:.0f}x faster)"
    )
    print(
        f"SCALE-Sim {scalesim_version()}, {len(small)} small layers (16x16 ws):          "
        f"{ss_rate:,.2f} layer-evaluations/s  -> analytical batch is {vec_rate / ss_rate:,.0f}x faster"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--write-reference", action="store_true", help="rerun SCALE-Sim and rewrite the test CSV"
    )
    parser.add_argument("--output", help="write the reference here instead of the test data file")
    parser.add_argument(
        "--layers",
        choices=("small", "large", "all"),
        default="all",
        help="small: seconds-long layers, both buffers; large: ResNet-18 convs, large buffer",
    )
    args = parser.parse_args()
    if args.write_reference:
        write_reference(Path(args.output) if args.output else REFERENCE, args.layers)
    else:
        speed()
        fidelity()
        estimate_vs_replay()
        user_bandwidth()
