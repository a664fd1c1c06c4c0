"""RL and MARL agents against random search on the benchmark tasks, random measured in the same run.

Runs ``archgym bench`` (tasks x agents x budget x seeds, resumable in a store) for the
stable-baselines3 agents (``ppo``, ``a2c``, ``dqn``, ``sac``, ``td3``, default hyperparameters:
the same on every task) and the multi-agent learners (``marl``, ``marl-shared``), with
``random`` alongside, and prints as Markdown: each agent's median normalised regret per task
(0 = the task's reference optimum, 1 = a median random design; hypervolume regret on the
multi-objective task) next to random search's, on how many tasks each agent's median is below
random's (and at or below it, which is all that is possible where random's median is 0), and
the IQM across tasks with its 95 % stratified-bootstrap interval. Quality only: nothing here is
timed.

    .venv/bin/python benchmarks/bench_rl.py           # quick: 3 cheap tasks, budget 200, 2 seeds
    .venv/bin/python benchmarks/bench_rl.py --full    # every default task, budget 1000, 3 seeds
    .venv/bin/python benchmarks/bench_rl.py --full --store rl.db   # resumable: re-run to continue
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import pandas as pd

LEARNERS = ["ppo", "a2c", "dqn", "sac", "td3", "marl", "marl-shared"]
#: Tasks whose simulators are cheap enough for the quick run.
QUICK_TASKS = "synthetic-cost,mapping-edp,accelerator-edp-area"


def markdown(df: pd.DataFrame) -> str:
    """A table as Markdown, its index as leading columns."""
    from archgym.experiments.report import markdown_table

    return markdown_table(df if isinstance(df.index, pd.RangeIndex) else df.reset_index())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="every default task, 1000, 3 seeds")
    parser.add_argument("--agents", nargs="+", help="these learners only (random is always added)")
    parser.add_argument("--tasks", help=f"comma-separated task names (default {QUICK_TASKS})")
    parser.add_argument(
        "--budget", type=int, help="simulator evaluations per run (200; --full 1000)"
    )
    parser.add_argument("--seeds", type=int, help="seeds (default 2; --full 3)")
    parser.add_argument("--workers", type=int, default=2, help="parallel trials (default 2)")
    parser.add_argument(
        "--store",
        nargs="+",
        help="keep the runs in this store (re-running resumes; default: a temp file); "
        "further stores are only read, e.g. the same study run in parallel on other tasks",
    )
    parser.add_argument(
        "--no-run", action="store_true", help="only print the tables from what the stores hold"
    )
    args = parser.parse_args()
    if args.no_run and not args.store:
        parser.error("--no-run needs --store")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

    from archgym.experiments.bench import aggregate, bench_specs, collect, run_bench

    agents = ["random"] + [a for a in (args.agents or LEARNERS) if a != "random"]
    tasks = args.tasks or ("default" if args.full else QUICK_TASKS)
    budget = args.budget or (1000 if args.full else 200)
    seeds = args.seeds or (3 if args.full else 2)
    stores = [Path(s) for s in args.store] if args.store else [Path(tempfile.mkdtemp()) / "rl.db"]
    if not args.no_run:
        specs = bench_specs(tasks, agents, [budget], seeds, stores[0], workers=args.workers)
        for result in run_bench(specs):
            for outcome in result.failed:
                print(f"failed trial {outcome.key}: {str(outcome.error).splitlines()[0]}")
    runs = pd.concat([collect(store) for store in stores], ignore_index=True)
    runs = runs[(runs["budget"] == budget) & runs["agent"].isin(agents) & (runs["seed"] < seeds)]
    counts = runs.groupby(["task", "agent"]).size()
    stores_text = ", ".join(map(str, stores))
    print(f"Tasks {tasks}, budget {budget}, {seeds} seeds (0..{seeds - 1}); store {stores_text}")
    if counts.min() < seeds or len(counts) < runs["task"].nunique() * len(agents):
        print(f"(incomplete: {len(runs)} of {runs['task'].nunique() * len(agents) * seeds} runs)")
    print()
    print(
        f"## Median normalised regret at {budget} (0 = reference optimum, 1 = median random; "
        "[k]: only k seeds)\n"
    )
    med = runs.groupby(["task", "agent"])["normalized_regret"].median().unstack("agent")
    med = med[[a for a in agents if a in med.columns]]
    n = counts.unstack("agent").reindex_like(med)
    # A cell with fewer seeds than asked says how many it has, in brackets.
    cells = med.map(lambda x: f"{x:.3g}").where(med.notna(), "not run")
    short = n.notna() & (n < seeds)
    cells = cells.where(~short, cells + n.map(lambda k: f" [{k:.0f}]" if k == k else ""))
    print(markdown(cells))

    learners = [a for a in med.columns if a != "random"]
    print("\n## Against random search's median, same tasks and seeds, this run\n")
    rows = {}
    for a in learners:
        have = med[a].notna() & med["random"].notna()
        mine, theirs = med.loc[have, a], med.loc[have, "random"]
        rows[a] = {
            "below random": f"{int(mine.lt(theirs).sum())}/{int(have.sum())}",
            "at or below random": f"{int(mine.le(theirs).sum())}/{int(have.sum())}",
            "tasks where above": ", ".join(mine.index[mine.gt(theirs)]) or "-",
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "agent"
    print(markdown(table))

    print("\n## IQM of normalised regret across tasks, 95 % stratified-bootstrap CI\n")
    if runs.groupby("agent")["task"].nunique().nunique() > 1:
        print("(over the tasks each agent has runs on: compare agents with equal task counts)\n")
    print(markdown(aggregate(runs)))


if __name__ == "__main__":
    main()
