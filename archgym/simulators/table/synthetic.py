"""A generated design-space dataset: 10^4 rows of a 24-parameter out-of-order core, from a formula.

Published design-space datasets (a BOOM or gem5 sweep, an HLS pragma sweep) are tables of
10^4–10^5 simulated designs with dozens of parameter columns, drawn from a product space of
10^15 and more. :func:`core_table` makes one from a seeded first-order performance and energy
model, so tests and benchmarks can search a realistic table without shipping a file:

* time: CPI is the sum of a base term (the narrowest of fetch, decode and issue width, limited
  by the instruction window), branch mispredictions (accuracy per predictor kind, depth set by
  the decode width), L1 and L2 misses (miss rates falling with capacity and associativity,
  reduced by a prefetcher, overlapped by MSHRs) and TLB misses; the clock is capped by what the
  supply voltage allows;
* energy: dynamic energy per instruction grows with the structures an instruction touches and
  with Vdd², leakage with the total storage, Vdd and run time;
* 2 % multiplicative noise, as measurements have.

Three columns are small integer codes (the branch predictor, the prefetcher and the
replacement policy): declare them categorical (:data:`CORE_CATEGORICAL`).

Example:
    >>> table = core_table(rows=500, seed=1)
    >>> table.shape, list(table.columns[-3:])
    ((500, 27), ['time_ms', 'energy_mj', 'area_mm2'])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Parameter columns and their legal values (codes for the categorical ones).
CORE_PARAMS: dict[str, list[float]] = {
    "fetch_width": [1, 2, 4, 8],
    "decode_width": [1, 2, 3, 4, 5],
    "rob_entries": list(range(32, 257, 32)),
    "int_regs": list(range(64, 257, 32)),
    "fp_regs": list(range(64, 257, 32)),
    "iq_entries": list(range(8, 65, 8)),
    "lsq_entries": list(range(8, 65, 8)),
    "l1i_kb": [8, 16, 32, 64],
    "l1d_kb": [8, 16, 32, 64],
    "l1_ways": [2, 4, 8],
    "l2_kb": [128, 256, 512, 1024, 2048],
    "l2_ways": [4, 8, 16],
    "mshrs": [2, 4, 8, 16],
    "btb_entries": [256, 512, 1024, 2048, 4096],
    "ras_entries": [8, 16, 32],
    "int_alus": [1, 2, 3, 4],
    "fp_units": [1, 2, 3],
    "mem_ports": [1, 2, 3],
    "tlb_entries": [16, 32, 64, 128],
    "freq_ghz": [1.0, 1.5, 2.0, 2.5, 3.0],
    "vdd": [0.7, 0.8, 0.9, 1.0],
    "predictor": [0, 1, 2, 3],  # bimodal, gshare, tournament, TAGE
    "prefetcher": [0, 1, 2],  # none, stride, stream
    "replacement": [0, 1, 2],  # LRU, random, pseudo-LRU
}

#: The columns holding codes of unordered choices.
CORE_CATEGORICAL = ["predictor", "prefetcher", "replacement"]

#: Metric columns and their directions.
CORE_METRICS = {"time_ms": "min", "energy_mj": "min"}

INSTRUCTIONS = 1e7


def core_table(rows: int = 10_000, seed: int = 0, noise: float = 0.02) -> pd.DataFrame:
    """``rows`` distinct designs drawn uniformly from :data:`CORE_PARAMS`, with their metrics."""
    # Its own stream: a search seeded like the table would otherwise draw the table's rows first.
    rng = np.random.default_rng([seed, 0x7AB1E])
    names = list(CORE_PARAMS)
    cards = np.array([len(CORE_PARAMS[n]) for n in names])
    codes = np.unique(rng.integers(0, cards, size=(int(rows * 1.05) + 16, len(names))), axis=0)
    codes = codes[rng.permutation(len(codes))[:rows]]  # distinct, in random order
    frame = pd.DataFrame({n: np.asarray(CORE_PARAMS[n])[codes[:, j]] for j, n in enumerate(names)})
    x = {n: frame[n].to_numpy(dtype=np.float64) for n in names}
    issue = x["int_alus"] + x["fp_units"] + x["mem_ports"]
    width = np.minimum.reduce([x["fetch_width"], x["decode_width"], issue])
    window = np.minimum.reduce(
        [x["rob_entries"], x["int_regs"] - 32, 0.7 * x["fp_regs"], 4 * x["iq_entries"]]
    )
    ilp = width * (1.0 - np.exp(-window / (20.0 * width)))
    accuracy = np.array([0.90, 0.94, 0.96, 0.975])[x["predictor"].astype(int)]
    btb_miss = 0.02 * 256 / x["btb_entries"]
    branch = 0.18 * ((1 - accuracy) + btb_miss) * (10 + 2 * x["decode_width"])
    ways = np.sqrt(x["l1_ways"] / 2.0) * np.array([1.0, 0.85, 0.95])[x["replacement"].astype(int)]
    l1d_miss = 0.12 / np.sqrt(x["l1d_kb"] / 8.0) / ways
    l1i_miss = 0.04 / (x["l1i_kb"] / 8.0)
    prefetch = np.array([1.0, 0.75, 0.6])[x["prefetcher"].astype(int)]
    l2_miss = 0.5 / np.sqrt(x["l2_kb"] / 128.0) / np.sqrt(x["l2_ways"] / 4.0) * prefetch
    clock = np.minimum(x["freq_ghz"], 3.0 * (x["vdd"] - 0.45) / 0.55)  # GHz the voltage allows
    mlp = np.minimum(x["mshrs"], x["lsq_entries"] / 8.0)
    memory = 0.35 * (l1d_miss * (12 + l2_miss * 80 * clock) / np.sqrt(mlp) + l1i_miss * 12)
    tlb = 0.002 * 64 / x["tlb_entries"] * 30
    ports = 1.0 + 0.3 / x["mem_ports"]
    cpi = ports / ilp + branch + memory + tlb + 0.02 * 8 / x["ras_entries"]
    time_s = INSTRUCTIONS * cpi / (clock * 1e9)
    storage_kb = (
        x["l1i_kb"]
        + x["l1d_kb"]
        + x["l2_kb"]
        + (x["rob_entries"] + x["int_regs"] + x["fp_regs"]) * 0.01
        + (x["iq_entries"] + x["lsq_entries"]) * 0.02
        + x["btb_entries"] * 0.008
        + x["tlb_entries"] * 0.01
    )
    logic = 0.4 * width**1.5 + 0.15 * issue + 0.02 * x["iq_entries"] + 0.05 * x["mshrs"]
    logic += np.array([0.1, 0.2, 0.35, 0.6])[x["predictor"].astype(int)] + 0.1 * x["prefetcher"]
    area_mm2 = 0.004 * storage_kb + 0.3 * logic
    dynamic_nj = (
        0.25 + 0.12 * logic + 0.02 * np.log2(x["l1d_kb"]) + 0.01 * np.log2(x["l2_kb"])
    ) * x["vdd"] ** 2
    leakage_w = 0.05 * area_mm2 * x["vdd"] ** 3
    energy_j = INSTRUCTIONS * dynamic_nj * 1e-9 + leakage_w * time_s
    jitter = (
        rng.lognormal(0.0, noise, size=(2, len(frame))) if noise > 0 else np.ones((2, len(frame)))
    )
    frame["time_ms"] = time_s * 1e3 * jitter[0]
    frame["energy_mj"] = energy_j * 1e3 * jitter[1]
    frame["area_mm2"] = area_mm2
    return frame
