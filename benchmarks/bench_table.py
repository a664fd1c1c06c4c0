"""Table simulators: lookup speed against a plain dict, and search on a table's rows against uniform rows.

    .venv/bin/python benchmarks/bench_table.py            # ~1 min
    .venv/bin/python benchmarks/bench_table.py --full     # 1M-row lookups, 30 seeds, BO too
    .venv/bin/python benchmarks/bench_table.py --skip-lookup --seeds 20

Lookups: builds a table of ``--rows`` random designs over an 8-parameter space (the size of a
published design-space dataset), then times: loading it, ``evaluate_batch`` over a batch of
present designs and over a batch of absent ones (one vectorised search each; a miss also looks
up the designs one parameter away), ``evaluate`` one design at a time (what an agent asking for
one design costs), and the reference: a dict from the tuple of parameter values to the metrics
row, which neither validates designs nor explains a miss.

Search: a generated 10^4-row, 24-column table (:func:`archgym.simulators.table.synthetic.core_table`)
with ``space="rows"``; each agent gets 50 designs under a two-objective Pareto objective
(time, energy), per seed. Printed per agent: the median contest ADRS (normalised Euclidean,
:func:`~archgym.indicators.adrs_contest`, objectives normalised by the range over every row)
with its bootstrap 95 % interval, the median relative ADRS
(:func:`~archgym.indicators.adrs_relative`), and the simulator calls spent on designs the
table lacks (always 0 on a row space). The reference, in the same run, is uniform sampling of
50 distinct rows (the ``random`` agent on the row space).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import archgym  # noqa: E402
from archgym.agents import make_agent  # noqa: E402
from archgym.indicators import adrs_contest, adrs_relative, bootstrap_ci, pareto_front  # noqa: E402
from archgym.simulator import EvaluationError  # noqa: E402
from archgym.simulators.table import TableSimulator  # noqa: E402
from archgym.simulators.table.synthetic import (  # noqa: E402
    CORE_CATEGORICAL,
    CORE_METRICS,
    CORE_PARAMS,
    core_table,
)

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


def lookups(rows: int, batch: int, singles: int) -> None:
    frame = make_table(rows, seed=0)
    load_s, table = timed(
        lambda: TableSimulator(frame, metrics={"latency_ns": "min", "energy_pj": "min"})
    )
    space = table.design_space()
    print(
        f"table: {len(table):,} rows over a space of {space.size:,} designs; built in {load_s:.2f} s"
    )

    rng = np.random.default_rng(1)
    present = frame.sample(batch, random_state=1, replace=True)[space.names].to_dict("records")
    held = {tuple(r) for r in frame[space.names].itertuples(index=False, name=None)}
    absent = [d for d in space.sample(rng, 2 * batch) if tuple(d.values()) not in held][:batch]
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

    chosen = present[: singles // 2] + absent[: singles // 2]

    def one_by_one() -> None:
        for d in chosen:
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
        (f"evaluate one at a time, {len(chosen):,} (half absent)", len(chosen) / single_s),
    ]:
        print(f"{label:<58} {rate:>12,.0f} {rate / dict_rate:>8.2f}")


def search(agents: list[str], seeds: int, budget: int) -> None:
    frame = core_table(rows=10_000, seed=0)
    table = TableSimulator(
        frame,
        metrics=CORE_METRICS,
        params=list(CORE_PARAMS),
        space="rows",
        categorical=CORE_CATEGORICAL,
        units={"time_ms": "ms", "energy_mj": "mJ"},
        name="core",
    )
    values = frame[list(CORE_METRICS)].to_numpy()
    front, bounds = pareto_front(values), (values.min(0), values.max(0))
    scales = {m: float(frame[m].median()) for m in CORE_METRICS}
    print(
        f"\nsearch: {table.design_space()!r} of a {len(CORE_PARAMS)}-column table whose columns "
        f"span {table._space.size:.2g} designs; exact front {len(front)} rows; "
        f"{budget} designs per run, {seeds} seeds"
    )
    print(
        f"{'agent':<34} {'ADRS contest (median, 95% CI)':>32} {'ADRS relative':>14} "
        f"{'absent-design calls':>20} {'s/run':>6}"
    )
    # What the same table costs as the product of its columns (the default space): nearly
    # every proposal is a design the table lacks, a failed evaluation that uses budget.
    product = TableSimulator(frame, metrics=CORE_METRICS, params=list(CORE_PARAMS), name="core")
    lost = sum(
        1
        for seed in range(seeds)
        for e in archgym.run(
            make_agent("random"),
            archgym.DesignEnv(product, objective=archgym.Pareto(list(CORE_METRICS), scales)),
            budget,
            seed,
        ).evaluations
        if e.error is not None
    )
    print(f"{'random, product space (before)':<34} {'-':>32} {'-':>14} {lost:>20} {'':>6}")
    medians = {}
    for name in ["random", *[a for a in agents if a != "random"]]:
        contest, relative, lost, start = [], [], 0, time.perf_counter()
        for seed in range(seeds):
            env = archgym.DesignEnv(table, objective=archgym.Pareto(list(CORE_METRICS), scales))
            result = archgym.run(make_agent(name), env, budget=budget, seed=seed)
            lost += sum(1 for e in result.evaluations if e.error is not None)
            found = pareto_front(
                [[e.metrics[m] for m in CORE_METRICS] for e in result.evaluations if e.metrics]
            )
            contest.append(adrs_contest(front, found, bounds=bounds))
            relative.append(adrs_relative(front, found))
        ci = bootstrap_ci(contest, statistic=np.median, seed=0)
        medians[name] = ci.estimate
        label = "random: uniform rows (reference)" if name == "random" else name
        print(
            f"{label:<34} {ci.estimate:>14.4f} [{ci.low:.4f}, {ci.high:.4f}] "
            f"{float(np.median(relative)):>14.4f} {lost:>20} "
            f"{(time.perf_counter() - start) / seeds:>6.1f}"
        )
    best = min((a for a in medians if a != "random"), key=medians.__getitem__)
    verdict = "below" if medians[best] < medians["random"] else "NOT below"
    print(
        f"best agent: {best}, median contest ADRS {medians[best]:.4f}, {verdict} uniform sampling "
        f"of {budget} rows ({medians['random']:.4f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="1M-row lookups, 30 seeds, BO too")
    parser.add_argument(
        "--rows", type=int, default=None, help="lookup table rows (200k; 1M with --full)"
    )
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--singles", type=int, default=2_000)
    parser.add_argument("--seeds", type=int, default=None, help="search seeds (10; 30 with --full)")
    parser.add_argument("--budget", type=int, default=50, help="designs per search run")
    parser.add_argument("--agents", default=None, help="comma-separated agents to search with")
    parser.add_argument("--skip-lookup", action="store_true")
    parser.add_argument("--skip-search", action="store_true")
    args = parser.parse_args()
    if not args.skip_lookup:
        lookups(args.rows or (1_000_000 if args.full else 200_000), args.batch, args.singles)
    if not args.skip_search:
        default = "ga,aco,walk,optuna-tpe" + (",bo" if args.full else "")
        search(
            (args.agents or default).split(","),
            args.seeds or (30 if args.full else 10),
            args.budget,
        )


if __name__ == "__main__":
    main()
