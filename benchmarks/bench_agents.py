"""Search-agent quality on archgym/Synthetic-v0 (known optimum: cost 1.0), next to RandomSearch.

For every agent, budget and seed it runs ``archgym.run`` and reports, over the seeds: the median
best reward, the median regret (best cost - optimum cost) with its interquartile range, how many
simulator evaluations it took to come within 1 % of the optimum (median over the seeds that did,
and how many did), and whether the median regret beats RandomSearch's at the same budget
(measured in the same run). Quality only: nothing here is timed.

    .venv/bin/python benchmarks/bench_agents.py            # quick table, a few minutes on 2 cores
    .venv/bin/python benchmarks/bench_agents.py --full     # every agent, budgets 50/200/1000
    .venv/bin/python benchmarks/bench_agents.py --agents ga bo --budgets 200 --seeds 10
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

ENV_ID = "archgym/Synthetic-v0"
#: The quick table: cheap black-box agents at every budget, the slow surrogate agent at the smaller ones.
QUICK_AGENTS = ["random", "walk", "grid", "ga", "aco", "bo", "optuna-tpe", "nevergrad-oneplusone"]
QUICK_BUDGETS = {"bo": (50, 200)}
BUDGETS = (50, 200, 1000)


def one_run(agent: str, budget: int, seed: int) -> dict[str, Any]:
    """Best cost of one run and the simulator evaluations it took to come within 1 % of the optimum."""
    import archgym
    from archgym.agents import make_agent
    from archgym.simulators.synthetic import Synthetic

    optimum = Synthetic().optimum()[1]
    result = archgym.run(make_agent(agent), ENV_ID, budget=budget, seed=seed)
    calls, reached = 0, None
    for ev in result.evaluations:
        calls += ev.source == "simulator"
        if (
            reached is None
            and ev.feasible
            and ev.metrics
            and ev.metrics["cost_au"] <= 1.01 * optimum
        ):
            reached = calls
    best = result.best
    return {
        "agent": agent,
        "budget": budget,
        "seed": seed,
        "reward": best.reward,
        "regret": best.metrics["cost_au"] - optimum,
        "reached": reached,
        "status": result.status,
    }


def summarise(rows: list[dict[str, Any]], agents: list[str], budgets: tuple[int, ...]) -> str:
    """The table as GitHub Markdown."""

    def cell(agent: str, budget: int) -> list[dict[str, Any]]:
        return [r for r in rows if r["agent"] == agent and r["budget"] == budget]

    lines = [
        "| agent | budget | best reward (median) | regret median [IQR] | evals to 1 % (median, reached) "
        "| beats random |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    for agent in agents:
        for budget in budgets:
            runs = cell(agent, budget)
            if not runs:
                continue
            regrets = sorted(r["regret"] for r in runs)
            q = statistics.quantiles(regrets, n=4) if len(regrets) > 1 else [regrets[0]] * 3
            hits = [r["reached"] for r in runs if r["reached"] is not None]
            to_one = (
                f"{statistics.median(hits):.0f} ({len(hits)}/{len(runs)})"
                if hits
                else f"- (0/{len(runs)})"
            )
            base = cell("random", budget)
            beats = (
                ""
                if agent == "random" or not base
                else (
                    "yes"
                    if statistics.median(regrets) < statistics.median(r["regret"] for r in base)
                    else "no"
                )
            )
            stalled = sum(r["status"] != "finished" for r in runs)
            note = f" ({stalled} stalled)" if stalled else ""
            lines.append(
                f"| {agent}{note} | {budget} | {statistics.median(r['reward'] for r in runs):.4f} | "
                f"{statistics.median(regrets):.4f} [{q[0]:.3f}, {q[2]:.3f}] | {to_one} | {beats} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--full", action="store_true", help="every registered agent at budgets 50/200/1000"
    )
    parser.add_argument(
        "--agents", nargs="+", help="these agents only (RandomSearch is always added)"
    )
    parser.add_argument("--budgets", nargs="+", type=int, help=f"budgets (default {BUDGETS})")
    parser.add_argument(
        "--seeds", type=int, default=5, help="seeds per agent and budget (default 5)"
    )
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    args = parser.parse_args()
    if args.seeds < 5:
        parser.error("--seeds must be at least 5 for a median worth reporting")
    # One BLAS/torch thread per worker: the work is many small problems, run side by side.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from archgym.agents import list_agents

    budgets = tuple(args.budgets or BUDGETS)
    if args.agents:
        agents = args.agents
    elif args.full:
        agents = list_agents()
    else:
        agents = QUICK_AGENTS
    agents = ["random"] + [a for a in agents if a != "random"]
    jobs = []
    for agent in agents:
        allowed = (
            budgets
            if (args.full or args.agents or args.budgets)
            else QUICK_BUDGETS.get(agent, budgets)
        )
        jobs += [(agent, b, s) for b in budgets if b in allowed for s in range(args.seeds)]
    rows: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(one_run, *job): job for job in jobs}
        for done, (future, job) in enumerate(futures.items(), 1):
            try:
                rows.append(future.result())
            except ImportError as err:  # an optional peer whose library is not installed
                print(f"skipped {job[0]}: {err}", file=sys.stderr)
            print(f"\r{done}/{len(jobs)} runs", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    print(f"{ENV_ID}, {args.seeds} seeds; regret = best cost - optimum cost (1.0)\n")
    print(summarise(rows, agents, budgets))


if __name__ == "__main__":
    main()
