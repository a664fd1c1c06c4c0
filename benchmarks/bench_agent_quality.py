"""Agent quality on every benchmark task: each agent's median regret next to random's and optuna-tpe's.

Runs ``archgym bench`` (every task x agent x budget x seed is a keyed trial in a SQLite store, so
``--store`` makes runs resumable and lets a budget-1000 sweep accumulate across invocations) and
scores each run with the task's normalised regret (0 is the task's reference, 1 a median random
design; hypervolume regret for a multi-objective task). Per task and budget the table prints each
agent's median regret, random's and optuna-tpe's from the same store, whether the agent beats
random's median ("> rnd") and matches optuna-tpe's ("<= tpe"), and, where the task's optimum is
known exactly, whether the median run ends within 1 % of it. Then the tasks on which each agent
is at or below optuna-tpe at every budget, and each run's median wall time from the store.

The tasks are :mod:`archgym.tasks`' default ones (``--tasks`` picks any, ArchGym's original
targets included).

    .venv/bin/python benchmarks/bench_agent_quality.py                 # forest + ga, budgets 50/200
    .venv/bin/python benchmarks/bench_agent_quality.py --agents walk bo --budgets 1000 --seeds 3 \
        --store quality.db                                             # resumable: re-run to go on
    .venv/bin/python benchmarks/bench_agent_quality.py --full          # every agent, 50/200/1000
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path
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


def store_rows(
    store: Path, tasks: list[Any], agents: list[str], budgets: tuple[int, ...], seeds: int
) -> list[dict[str, Any]]:
    """One row per finished run of these tasks, agents, budgets and seeds ``0..seeds-1`` in
    ``store``: its normalised regret, whether it came within 1 % of the reference, its wall seconds."""
    from archgym.experiments.bench import collect
    from archgym.store import Store

    with Store(store) as db:
        runs = db.runs().set_index("id")
        scored = collect(db, tasks)
    rows = []
    for r in scored.itertuples():
        if r.agent not in agents or r.budget not in budgets or r.seed >= seeds:
            continue
        run = runs.loc[r.run_id]
        rows.append(
            {
                "task": r.task,
                "agent": r.agent,
                "budget": int(r.budget),
                "seed": int(r.seed),
                "regret": float(r.normalized_regret),
                "within": r.evals_to_1pct == r.evals_to_1pct,  # not nan: it got within 1 %
                "seconds": float(run["finished_at"] - run["started_at"]),
            }
        )
    return rows


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
                out.append(
                    f"| {agent} | {budget} | {med:.4g} [{q[0]:.3g}, {q[2]:.3g}] | {fmt(rnd)} "
                    f"| {fmt(tpe)} | {shown['> rnd']} | {shown['<= tpe']} | {shown['within 1 %']} |"
                )
    tpe_tasks: dict[str, list[str]] = {}
    for agent in dict.fromkeys(r["agent"] for r in rows):
        if agent in REFERENCES:
            continue
        for task in dict.fromkeys(r["task"] for r in rows):
            budgets = sorted({r["budget"] for r in rows if r["task"] == task})
            pairs = [
                (median(cell(task, agent, b)), median(cell(task, "optuna-tpe", b))) for b in budgets
            ]
            if all(a is not None and t is not None and a <= t for a, t in pairs):
                tpe_tasks.setdefault(agent, []).append(task)
        out.append(
            f"\n{agent} at or below optuna-tpe's median at every budget on "
            f"{len(tpe_tasks.get(agent, []))}/{len({r['task'] for r in rows})} tasks: "
            + (", ".join(tpe_tasks.get(agent, [])) or "none")
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
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 per cell (default 3)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel trials (default 2)")
    parser.add_argument(
        "--store",
        type=Path,
        help="keep the runs in this SQLite store: a re-run skips finished trials (default: a temp file)",
    )
    parser.add_argument("--no-references", action="store_true", help="skip random and optuna-tpe")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from archgym.agents import list_agents
    from archgym.experiments.bench import bench_specs, run_bench

    tasks = load_tasks(None if args.tasks else "default")
    names = args.tasks or list(tasks)
    unknown = [n for n in names if n not in tasks]
    if unknown:
        parser.error(f"no task {unknown[0]!r}; tasks are {sorted(tasks)}")
    agents = args.agents or (list_agents() if args.full else QUICK_AGENTS)
    refs = [] if args.no_references else list(REFERENCES)
    agents = refs + [a for a in agents if a not in refs]
    budgets = tuple(args.budgets or (FULL_BUDGETS if args.full else BUDGETS))
    store = args.store or Path(tempfile.mkdtemp()) / "quality.db"
    specs = bench_specs(names, agents, budgets, args.seeds, store, workers=args.jobs)
    for result in run_bench(specs):
        for outcome in result.failed:
            print(f"failed trial {outcome.key}: {str(outcome.error).splitlines()[0]}")
    rows = store_rows(store, [tasks[n] for n in names], agents, budgets, args.seeds)
    print(
        f"{args.seeds} seeds per cell; budgets {budgets}; store {store}; regret is archgym.tasks' "
        "normalised regret: (reference - best reward) / (reference - median random reward), or "
        "hypervolume regret for a multi-objective task (0 is the reference)"
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
