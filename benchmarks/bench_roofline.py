"""Speed and fidelity of the LLM roofline model, measured in one run.

    .venv/bin/python benchmarks/bench_roofline.py

Speed: (design, model) evaluations per second of the co-design simulator — the pure NumPy
array path, ``evaluate_batch`` on dicts, and the reference, a Python loop calling ``analyze``
once per design — over every built-in workload's model.
Fidelity: our per-operator rows and totals against LLM-Viewer's Llama-2-7B / A100 analysis
(the project's test data), and against GenZ's and llm-analysis's recorded totals.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archgym.simulators.roofline import analyze, generate, hardware_from_dict  # noqa: E402
from archgym.simulators.roofline.simulator import HBM_GENERATIONS, RooflineSimulator, workload_names  # noqa: E402

DATA = ROOT / "tests/simulators/roofline/data"
N_ARRAY = 200_000  # designs per workload on the array path
N_DICTS = 20_000  # designs per workload through evaluate_batch
N_LOOP = 100  # designs per workload through the analyze() loop


def sample_columns(
    sim: RooflineSimulator, workload: str, n: int, seed: int
) -> tuple[dict, list[dict]]:
    space = sim.design_space(workload)
    idx = space.sample_indices(np.random.default_rng(seed), n)
    cols = {}
    for i, p in enumerate(space.params):
        if p.name == "hbm_gen":
            cols[p.name] = idx[:, i]
        else:
            cols[p.name] = np.asarray(p.values, dtype=np.float64)[idx[:, i]]
    designs = [space.decode(row) for row in idx[:N_DICTS]]
    return cols, designs


def analyze_design(sim: RooflineSimulator, design: dict, wl) -> float:
    """The reference path: build the device by hand and call ``analyze`` (prefill + decode summary)."""
    k = sim.accelerator.constants
    cu, ghz, stacks = design["compute_units"], design["clock_ghz"], design["hbm_stacks"]
    hbm = k["hbm"][design["hbm_gen"]]
    fp16_tops = cu * ghz * k["compute_unit"]["fp16_ops_per_cycle"] / 1e3
    hw = hardware_from_dict(
        {
            "bandwidth_gbps": stacks * hbm["bandwidth_gbps"],
            "memory_gb": stacks * hbm["capacity_gb"],
            "onchip_mb": design["sram_mb"],
            "compute_units": cu,
            "peak_tops": {
                "fp32": cu * ghz * k["compute_unit"]["fp32_ops_per_cycle"] / 1e3,
                "fp16": fp16_tops,
                "int8": 2 * fp16_tops,
                "int4": 4 * fp16_tops,
            },
            "interconnect_gbps": k["system"]["interconnect_gbps"],
            "offload_gbps": k["system"]["offload_gbps"],
        }
    )
    r = analyze(
        wl.model,
        hw,
        "decode",
        design["batch_size"],
        wl.prompt_len,
        design["w_bit"],
        design["a_bit"],
        design["kv_bit"],
        design["flash_attention"],
        design["tensor_parallel"],
        gen_len=wl.gen_len,
    )
    return r.summary["tpot_s"]


def speed() -> None:
    sim = RooflineSimulator()
    print("== speed: (design, model) evaluations per second ==")
    print(
        f"{'workload':26s} {'model':14s} {'arrays':>12s} {'evaluate_batch':>15s} {'analyze loop':>13s} "
        f"{'arrays/loop':>12s}"
    )
    totals = {"arrays": [0, 0.0], "dicts": [0, 0.0], "loop": [0, 0.0]}
    worst = 0.0
    for seed, name in enumerate(workload_names()):
        wl = sim.load_workload(name)
        cols, designs = sample_columns(sim, name, N_ARRAY, seed)
        sim.evaluate_arrays({k: v[:100] for k, v in cols.items()}, wl)  # warm-up
        t = time.perf_counter()
        out = sim.evaluate_arrays(cols, wl)
        t_arr = time.perf_counter() - t
        t = time.perf_counter()
        sim.evaluate_batch(designs, wl)
        t_dict = time.perf_counter() - t
        t = time.perf_counter()
        loop = [analyze_design(sim, d, wl) for d in designs[:N_LOOP]]
        t_loop = time.perf_counter() - t
        # the two paths compute the same thing
        worst = max(
            worst, float(np.max(np.abs(np.array(loop) * 1e3 / out["tpot_ms"][:N_LOOP] - 1)))
        )
        for key, n, dt in (
            ("arrays", N_ARRAY, t_arr),
            ("dicts", len(designs), t_dict),
            ("loop", N_LOOP, t_loop),
        ):
            totals[key][0] += n
            totals[key][1] += dt
        print(
            f"{name:26s} {wl.model.name:14s} {N_ARRAY / t_arr:12,.0f} {len(designs) / t_dict:15,.0f} "
            f"{N_LOOP / t_loop:13,.0f} {N_ARRAY / t_arr / (N_LOOP / t_loop):11,.0f}x"
        )
    rate = {k: n / dt for k, (n, dt) in totals.items()}
    print(
        f"{'all workloads':41s} {rate['arrays']:12,.0f} {rate['dicts']:15,.0f} {rate['loop']:13,.0f} "
        f"{rate['arrays'] / rate['loop']:11,.0f}x"
    )
    print(
        f"target >= 100,000 evaluations/s on the array path: {'met' if rate['arrays'] >= 1e5 else 'NOT met'}; "
        f"array path vs analyze loop, worst TPOT disagreement: {worst:.1e}"
    )
    print(
        f"(HBM generations {HBM_GENERATIONS}; {N_ARRAY:,} array designs, {N_DICTS:,} dicts, {N_LOOP} loop per workload)"
    )


def fidelity() -> None:
    ref = pd.read_csv(DATA / "llm_viewer_llama2_7b_a100_b1_s1024_fp16.csv", comment="#")
    cross = pd.read_csv(DATA / "cross_tools.csv", comment="#").set_index(["tool", "stage"])[
        "time_ms"
    ]
    print("\n== fidelity: Llama-2-7B on A100, batch 1, 1024 tokens, 16-bit (LLM-Viewer's case) ==")
    print(
        f"{'stage':8s} {'op':10s} {'OPs ours/LV':>12s} {'bytes ours/LV':>14s} {'time ours/LV':>13s}  quirk"
    )
    for stage in ("prefill", "decode"):
        ours = analyze("llama-2-7b", "a100", stage, 1, 1024, gen_len=1).ops.set_index("op")
        rows = ref[(ref.stage == stage) & (ref.row_type == "op")].set_index("op")
        for op, r in rows.iterrows():
            o = ours.loc[op]
            quirk = "" if pd.isna(r.quirk) else r.quirk
            print(
                f"{stage:8s} {op:10s} {o.ops / r.OPs:12.4f} {o.memory_access_bytes / r.memory_access_bytes:14.4f} "
                f"{o.time_s / r.time_s:13.4f}  {quirk}"
            )
    print(
        f"\n{'stage':8s} {'setting':18s} {'ours ms':>9s} {'LLM-Viewer':>11s} {'GenZ':>8s} {'llm-analysis':>13s}"
    )
    for stage in ("prefill", "decode"):
        for flash in (False, True):
            ms = (
                analyze(
                    "llama-2-7b", "a100", stage, 1, 1024, use_flash_attention=flash
                ).total_time_s
                * 1e3
            )
            lv = cross.get(("llm-viewer", stage), np.nan)
            gz = cross.get(("genz", stage), np.nan)
            la = cross.get(("llm-analysis", stage), np.nan)
            print(
                f"{stage:8s} {'flash' if flash else 'unfused (as LV)':18s} {ms:9.3f} {lv:11.3f} {gz:8.3f} {la:13.3f}"
                f"   ours/LV {ms / lv:.4f}, ours/GenZ {ms / gz:.4f}"
            )

    compat_fidelity(ref)


def compat_fidelity(ref: pd.DataFrame) -> None:
    """compat="llm-viewer" against LLM-Viewer's rows and totals: every figure, worst ratio."""
    print(
        "\n== compat='llm-viewer' vs LLM-Viewer, every operator row (quirks included) and total =="
    )
    cols = {"ops": "OPs", "memory_access_bytes": "memory_access_bytes", "time_s": "time_s"}
    totals = {
        "memory_bytes": "memory_consumption_bytes",
        "weights_bytes": "memory_weight_bytes",
        "kv_cache_bytes": "memory_kv_cache_bytes",
        "activation_bytes": "memory_tmp_act_bytes",
    }
    for stage in ("prefill", "decode"):
        r = analyze("llama-2-7b", "a100", stage, 1, 1024, gen_len=1, compat="llm-viewer")
        ours = r.ops.set_index("op")
        rows = ref[(ref.stage == stage) & (ref.row_type == "op")].set_index("op")
        worst = max(
            abs(ours.loc[op, mine] / rows.loc[op, theirs] - 1)
            for op in rows.index
            for mine, theirs in cols.items()
        )
        total = ref[(ref.stage == stage) & (ref.row_type == "total")].iloc[0]
        worst_mem = max(abs(r.summary[k] / total[v] - 1) for k, v in totals.items())
        print(
            f"{stage:8s} pass {r.total_time_s * 1e3:8.3f} ms (LLM-Viewer {total.time_s * 1e3:8.3f}); "
            f"memory {r.summary['memory_bytes'] / 1e9:.4f} GB (LLM-Viewer {total.memory_consumption_bytes / 1e9:.4f}); "
            f"largest row gap {worst:.1e}, memory gap {worst_mem:.1e}"
        )
    g = generate("llama-2-7b", "a100", prompt_len=1024, gen_len=128)
    v = generate("llama-2-7b", "a100", prompt_len=1024, gen_len=128, compat="llm-viewer")
    print(
        f"generate 1024 + 128 tokens: {g.total_s * 1e3:.1f} ms ({g.decode_steps} decode steps); "
        f"LLM-Viewer's analyze_generate_task rule: {v.total_s * 1e3:.1f} ms ({v.decode_steps} steps)"
    )


if __name__ == "__main__":
    speed()
    fidelity()
