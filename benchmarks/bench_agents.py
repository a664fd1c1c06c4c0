"""Search-agent quality on every default benchmark task, next to random search measured in the same run.

Runs ``archgym bench`` (tasks x agents x budgets x seeds, resumable in a store) and prints, as
Markdown: each agent's median normalised regret per task and budget (0 = the task's reference
optimum, 1 = a median random design; hypervolume regret on multi-objective tasks), whether the
median beats random search's, the IQM across tasks with its 95 % stratified-bootstrap interval,
on how many tasks some agents' 95 % intervals are disjoint, and random search's raw regret at
budget 200 on the DRAM, Accelerator and SoC default tasks (the tasks must not be trivially met).
Quality only: nothing here is timed.

    .venv/bin/python benchmarks/bench_agents.py            # quick: 6 agents, budgets 50/200, 3 seeds
    .venv/bin/python benchmarks/bench_agents.py --full     # every agent, budgets 50/200/1000, 5 seeds
    .venv/bin/python benchmarks/bench_agents.py --agents ga bo --budgets 200 --seeds 5 --store b.db
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import pandas as pd

QUICK_AGENTS = ["random", "walk", "grid", "ga", "aco", "optuna-tpe"]
FLAGSHIP_ENVS = ("archgym/DRAM-v0", "archgym/Accelerator-v0", "archgym/SoC-v0")


def markdown(df: pd.DataFrame) -> str:
    """A table as Markdown, its index (task, budget, ...) as leading columns."""
    from archgym.experiments.report import markdown_table

    return markdown_table(df if isinstance(df.index, pd.RangeIndex) else df.reset_index())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--full", action="store_true", help="every agent, budgets 50/200/1000, 5 seeds"
    )
    parser.add_argument("--agents", nargs="+", help="these agents only (random is always added)")
    parser.add_argument(
        "--tasks", default="default", help="task names (comma-separated), default, or all"
    )
    parser.add_argument(
        "--budgets", nargs="+", type=int, help="budgets (default 50 200; --full 50 200 1000)"
    )
    parser.add_argument("--seeds", type=int, help="seeds (default 3; --full 5)")
    parser.add_argument("--workers", type=int, default=2, help="parallel trials (default 2)")
    parser.add_argument(
        "--store", help="keep the runs in this store (re-running resumes); default: a temp file"
    )
    parser.add_argument("--report", help="also write the HTML report into this directory")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

    from archgym.agents import list_agents
    from archgym.experiments.bench import (
        aggregate,
        bench_specs,
        collect,
        run_bench,
        task_separation,
    )
    from archgym.tasks import get

    agents = args.agents or (list_agents() if args.full else QUICK_AGENTS)
    agents = ["random"] + [a for a in agents if a != "random"]
    budgets = args.budgets or ([50, 200, 1000] if args.full else [50, 200])
    seeds = args.seeds or (5 if args.full else 3)
    store = Path(args.store) if args.store else Path(tempfile.mkdtemp()) / "bench.db"
    specs = bench_specs(args.tasks, agents, budgets, seeds, store, workers=args.workers)
    results = run_bench(specs)
    for result in results:
        for outcome in result.failed:
            print(f"failed trial {outcome.key}: {str(outcome.error).splitlines()[0]}")
    runs = collect(store)

    print(f"Tasks {args.tasks}, {seeds} seeds, budgets {budgets}; store {store}\n")
    print("## Median normalised regret (0 = reference optimum, 1 = median random design)\n")
    med = runs.groupby(["task", "budget", "agent"])["normalized_regret"].median().unstack("agent")
    print(markdown(med[[a for a in agents if a in med.columns]]))

    print("\n## Beats random search's median (same tasks, budgets and seeds, this run)\n")
    beats = med.lt(med["random"], axis=0).drop(columns="random")
    print(
        markdown(
            beats.groupby("budget").sum().astype(int).astype(str) + f"/{runs['task'].nunique()}"
        )
    )

    print("\n## IQM of normalised regret across tasks, 95 % stratified-bootstrap CI\n")
    summary = aggregate(runs)
    print(markdown(summary))

    print("\n## Tasks on which some agents' 95 % CIs (of the median) are disjoint\n")
    # grid is deterministic (a zero-width interval), which makes separating from it easy: count without it too
    counts = {}
    for label, subset in (("all agents", runs), ("without grid", runs[runs["agent"] != "grid"])):
        sep = task_separation(subset)
        counts[label] = (sep["separated pairs"] > 0).groupby(sep["budget"]).sum()
    table = pd.DataFrame(counts).astype(int).astype(str) + f"/{runs['task'].nunique()}"
    table.index.name = "budget"
    print(markdown(table))

    print(
        "\n## Random search at budget 200 on the flagship envs' default tasks (must be above 0)\n"
    )
    flagship = [t for t in runs["task"].unique() if get(t).env_id in FLAGSHIP_ENVS]
    rand = runs[(runs["agent"] == "random") & (runs["budget"] == 200) & runs["task"].isin(flagship)]
    table = rand.groupby("task").agg(
        median_regret=("regret", "median"), median_norm_regret=("normalized_regret", "median")
    )
    table["above 0"] = table["median_regret"] > 0
    print(markdown(table) if len(table) else "(budget 200 not run)")
    if args.report:
        from archgym.experiments.bench_report import write_bench_report

        print(f"\nreport: {write_bench_report(store, args.report)['html']}")


if __name__ == "__main__":
    main()
