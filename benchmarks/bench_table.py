"""Lookup speed of ``TableSimulator`` against a plain Python dict of rows, measured in one run.

    .venv/bin/python benchmarks/bench_table.py            # ~10 s
    .venv/bin/python benchmarks/bench_table.py --rows 1000000

Builds a table of ``--rows`` random designs over an 8-parameter space (the size of a published
design-space dataset), then times: loading it, ``evaluate_batch`` over a batch of present designs
and over a batch of absent ones (one vectorised search each; a miss also looks up the designs one
parameter away), ``evaluate`` one design at a time (what an agent asking for one design costs),
and the reference: a dict from the tuple of parameter values to the metrics row, which neither
validates designs nor explains a miss.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archgym.simulator import EvaluationError  # noqa: E402
from archgym.simulators.table import TableSimulator  # noqa: E402

PARAMS = {
    "pes": [2**i for i in range(2, 10)],
    "sram_kb": [2**i for i in range(3, 11)],
    "noc": ["mesh", "torus", "ring"],
    "dataflow": ["ws", "os", "rs"],
    "freq_mhz": list(range(200, 1001, 100)),
    "banks": [1, 2, 4, 8, 16],
    "vdd": [0.6, 0.7, 0.8, 0.9, 1.0],
    "bw_gbps": [8, 16, 32, 64, 128],
}


def make_table(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {k: rng.choice(np.array(v, dtype=object), size=rows * 2) for k, v in PARAMS.items()}
    )
    frame = frame.drop_duplicates().head(rows).reset_index(drop=True)
    for k, v in PARAMS.items():  # object columns back to numbers where they are numbers
        if not isinstance(v[0], str):
            frame[k] = frame[k].astype(type(v[0]))
    frame["latency_ns"] = rng.uniform(1, 100, len(frame))
    frame["energy_pj"] = rng.uniform(1, 100, len(frame))
    return frame


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--singles", type=int, default=2_000)
    args = parser.parse_args()

    frame = make_table(args.rows, seed=0)
    load_s, table = timed(
        lambda: TableSimulator(frame, metrics={"latency_ns": "min", "energy_pj": "min"})
    )
    space = table.design_space()
    print(
        f"table: {len(table):,} rows over a space of {space.size:,} designs; built in {load_s:.2f} s"
    )

    rng = np.random.default_rng(1)
    present = frame.sample(args.batch, random_state=1, replace=True)[space.names].to_dict("records")
    held = {tuple(r) for r in frame[space.names].itertuples(index=False, name=None)}
    absent = [d for d in space.sample(rng, 2 * args.batch) if tuple(d.values()) not in held][
        : args.batch
    ]
    names = list(PARAMS)
    ref_s, reference = timed(
        lambda: {
            tuple(r): (a, b)
            for *r, a, b in frame[names + ["latency_ns", "energy_pj"]].itertuples(
                index=False, name=None
            )
        }
    )

    def dict_lookup(designs: list[dict]) -> list:
        return [reference.get(tuple(d[n] for n in names)) for d in designs]

    dict_s, _ = timed(lambda: dict_lookup(present))
    hit_s, got = timed(lambda: table.evaluate_batch(present))
    assert not any(isinstance(g, EvaluationError) for g in got)
    miss_s, got = timed(lambda: table.evaluate_batch(absent))
    assert all(isinstance(g, EvaluationError) for g in got)

    singles = present[: args.singles // 2] + absent[: args.singles // 2]

    def one_by_one() -> None:
        for d in singles:
            try:
                table.evaluate(d)
            except EvaluationError:
                pass

    single_s, _ = timed(one_by_one)
    print(f"reference dict built in {ref_s:.2f} s")
    print(f"{'path':<58} {'designs/s':>12} {'vs dict':>8}")
    dict_rate = len(present) / dict_s
    for label, rate in [
        ("dict of tuples, lookup only, no validation (reference)", dict_rate),
        (f"evaluate_batch, {len(present):,} present designs", len(present) / hit_s),
        (f"evaluate_batch, {len(absent):,} absent (reasons name neighbours)", len(absent) / miss_s),
        (f"evaluate one at a time, {len(singles):,} (half absent)", len(singles) / single_s),
    ]:
        print(f"{label:<58} {rate:>12,.0f} {rate / dict_rate:>8.2f}")


if __name__ == "__main__":
    main()
