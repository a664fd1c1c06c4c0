"""Agent quality on every benchmark task: each agent's median regret next to random's and optuna-tpe's.

For every task, agent, budget and seed it runs ``archgym.run`` on the task's env and scores it
with the task's ``run_regret`` (regret of the best reward normalised by the median random
design's, or hypervolume regret for a multi-objective task; 0 is the task's reference). Per task and budget the table prints each agent's median regret, random's and
optuna-tpe's from the same run, whether the agent beats random's median ("> rnd") and matches
optuna-tpe's ("<= tpe"), and, where the task's optimum is known exactly, whether the median run
ends within 1 % of it.
Quality only: nothing here is timed.

The tasks are :mod:`archgym.tasks`' default ones (``--tasks`` picks any, ArchGym's original
targets included).

    .venv/bin/python benchmarks/bench_agent_quality.py                 # ga + forest, budgets 50/200
    .venv/bin/python benchmarks/bench_agent_quality.py --agents ppo sac --budgets 1000 --seeds 5
    .venv/bin/python benchmarks/bench_agent_quality.py --full          # every agent, 50/200/1000
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

#: References every table shows, measured in the same run.
REFERENCES = ("random", "optuna-tpe")
QUICK_AGENTS = ["forest", "ga"]
BUDGETS = (50, 200)
FULL_BUDGETS = (50, 200, 1000)


def load_tasks(tag: str | None = "default") -> dict[str, Any]:
    """The benchmark tasks of :mod:`archgym.tasks` with ``tag`` (every task when None)."""
    from archgym import tasks

    return {name: tasks.get(name) for name in tasks.list_tasks(tag)}


def one_run(task_name: str, agent: str, budget: int, seed: int) -> dict[str, Any]:
    """Score of one run: the task's regret of its best reward (hypervolume regret if multi-objective)."""
    import archgym
    from archgym import tasks
    from archgym.agents import make_agent

    task = tasks.get(task_name)
    start = time.perf_counter()
    result = archgym.run(make_agent(agent), task.make(), budget=budget, seed=seed)
    rewards = [ev.reward for ev in result.evaluations]
    metrics = [ev.metrics for ev in result.evaluations]
    return {
        "task": task_name,
        "agent": agent,
        "budget": budget,
        "seed": seed,
        "regret": task.run_regret(rewards, metrics),
        "within": None if task.multi_objective else task.within(max(rewards)),
        "status": result.status,
        "seconds": time.perf_counter() - start,
    }


def summarise(rows: list[dict[str, Any]], exact: dict[str, bool]) -> str:
    """One Markdown table per task: median regret per agent and budget, next to the references."""

    def cell(task: str, agent: str, budget: int) -> list[dict[str, Any]]:
        return [r for r in rows if (r["task"], r["agent"], r["budget"]) == (task, agent, budget)]

    def median(runs: list[dict[str, Any]]) -> float | None:
        return statistics.median(r["regret"] for r in runs) if runs else None

    out = []
    wins = {"> rnd": [0, 0], "<= tpe": [0, 0], "within 1 %": [0, 0]}
    for task in dict.fromkeys(r["task"] for r in rows):
        known = "optimum known (exact)" if exact[task] else "best-known reference"
        out.append(f"\n### {task} ({known})\n")
        out.append(
            "| agent | budget | regret median [IQR] | random | optuna-tpe | > rnd | <= tpe | within 1 % |"
        )
        out.append("|---|---:|---:|---:|---:|:-:|:-:|:-:|")
        agents = list(dict.fromkeys(r["agent"] for r in rows if r["task"] == task))
        budgets = sorted({r["budget"] for r in rows if r["task"] == task})
        for agent in agents:
            for budget in budgets:
                runs = cell(task, agent, budget)
                if not runs:
                    continue
                regrets = [r["regret"] for r in runs]
                med = statistics.median(regrets)
                q = statistics.quantiles(regrets, n=4) if len(regrets) > 1 else [med] * 3
                rnd, tpe = (median(cell(task, name, budget)) for name in REFERENCES)
                marks = {
                    "> rnd": None if agent == "random" or rnd is None else med < rnd,
                    "<= tpe": None if agent == "optuna-tpe" or tpe is None else med <= tpe,
                    "within 1 %": None
                    if not exact[task] or runs[0]["within"] is None
                    else statistics.median(float(r["within"]) for r in runs) >= 0.5,
                }
                for key, mark in marks.items():
                    if mark is not None and agent not in REFERENCES:
                        wins[key][0] += mark
                        wins[key][1] += 1
                shown = {k: "" if v is None else ("yes" if v else "no") for k, v in marks.items()}
                fmt = lambda v: "-" if v is None else f"{v:.4g}"  # noqa: E731
                stalled = sum(r["status"] != "finished" for r in runs)
                note = f" ({stalled} stalled)" if stalled else ""
                out.append(
                    f"| {agent}{note} | {budget} | {med:.4g} [{q[0]:.3g}, {q[2]:.3g}] | {fmt(rnd)} "
                    f"| {fmt(tpe)} | {shown['> rnd']} | {shown['<= tpe']} | {shown['within 1 %']} |"
                )
    out.append(
        "\ncells of the non-reference agents: "
        + ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in wins.items())
    )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--full", action="store_true", help="every registered agent at budgets 50/200/1000"
    )
    parser.add_argument(
        "--agents",
        nargs="+",
        help=f"agents (default {QUICK_AGENTS}); {REFERENCES} are always added",
    )
    parser.add_argument("--budgets", nargs="+", type=int, help=f"budgets (default {BUDGETS})")
    parser.add_argument("--tasks", nargs="+", help="these tasks only (default: the default tasks)")
    parser.add_argument("--seeds", type=int, default=5, help="seeds per cell (default 5)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--no-references", action="store_true", help="skip random and optuna-tpe")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from archgym.agents import list_agents

    tasks = load_tasks(None if args.tasks else "default")
    names = args.tasks or list(tasks)
    unknown = [n for n in names if n not in tasks]
    if unknown:
        parser.error(f"no task {unknown[0]!r}; tasks are {sorted(tasks)}")
    agents = args.agents or (list_agents() if args.full else QUICK_AGENTS)
    refs = [] if args.no_references else list(REFERENCES)
    agents = refs + [a for a in agents if a not in refs]
    budgets = tuple(args.budgets or (FULL_BUDGETS if args.full else BUDGETS))
    jobs = [(t, a, b, s) for t in names for a in agents for b in budgets for s in range(args.seeds)]
    rows: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(one_run, *job): job for job in jobs}
        for done, (future, job) in enumerate(futures.items(), 1):
            try:
                rows.append(future.result())
            except ImportError as err:  # an optional agent whose library is not installed
                print(f"skipped {job[1]}: {err}", file=sys.stderr)
            print(f"\r{done}/{len(jobs)} runs", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    print(
        f"{args.seeds} seeds per cell; budgets {budgets}; regret is archgym.tasks' run_regret: "
        "(reference - best reward) / (reference - median random reward), or hypervolume regret "
        "for a multi-objective task (0 is the reference)"
    )
    print(summarise(rows, {n: tasks[n].reference.exact for n in names}))
    seconds: dict[tuple[str, int], list[float]] = {}
    for r in rows:
        seconds.setdefault((r["agent"], r["budget"]), []).append(r["seconds"])
    print(
        "\nmedian wall seconds per run (all tasks; the machine is shared): "
        + ", ".join(f"{a}@{b} {statistics.median(v):.1f}" for (a, b), v in sorted(seconds.items()))
    )


if __name__ == "__main__":
    main()
