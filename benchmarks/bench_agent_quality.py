"""Agent quality on every benchmark task: each agent's median regret next to random's and optuna-tpe's.

For every task, agent, budget and seed it runs ``archgym.run`` on the task's env and records the
best reward. Regret is the task's reference reward minus the best reward (``task.regret``); where
the task knows no optimum the reference is the best reward any run of this benchmark found, and
the table says so. Per task and budget the table prints each agent's median regret, random's and
optuna-tpe's from the same run, whether the agent beats random's median ("> rnd") and matches
optuna-tpe's ("<= tpe"), and at the largest budget whether the median is within 1 % of the optimum.
Quality only: nothing here is timed.

The tasks are :mod:`archgym.tasks` when that package exists; otherwise provisional ones: each
built-in env with a ``Minimize``/``WeightedSum`` objective over its main metrics (scaled by a
reference design so each term is O(1)), or its own default where that already separates agents.

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
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

#: References every table shows, measured in the same run.
REFERENCES = ("random", "optuna-tpe")
QUICK_AGENTS = ["forest", "ga"]
BUDGETS = (50, 200)
FULL_BUDGETS = (50, 200, 1000)


@dataclass
class ProvisionalTask:
    """A stand-in for :class:`archgym.tasks` entries: an env id, an objective and maybe an optimum."""

    name: str
    env_id: str
    objective: Callable[[], Any] | None = None
    optimum: Callable[[], float] | None = None  # the optimum's reward, when known

    def make(self, **kwargs: Any) -> Any:
        import archgym

        if self.objective is not None:
            kwargs["objective"] = self.objective()
        return archgym.make(self.env_id, **kwargs)

    def reference(self) -> float | None:
        return None if self.optimum is None else self.optimum()


def _dram_objective() -> Any:
    from archgym.objective import WeightedSum
    from archgym.simulators.dram import DramSimulator

    sim = DramSimulator()
    base = sim.evaluate(sim.default_design(), "random")
    return WeightedSum(
        {"avg_power_mw": 1.0, "total_time_ns": 1.0},
        scales={k: base[k] for k in ("avg_power_mw", "total_time_ns")},
    )


def _accelerator_objective() -> Any:
    from archgym.objective import WeightedSum
    from archgym.simulators.accelerator.simulator import baseline_metrics

    base = baseline_metrics("resnet18")
    names = ("energy_uj", "cycles", "area_mm2")
    return WeightedSum(dict.fromkeys(names, 1.0), scales={k: base[k] for k in names})


def _soc_objective() -> Any:
    from archgym.objective import WeightedSum
    from archgym.simulators.soc import SoCSimulator

    sim = SoCSimulator()
    budget = sim.load_workload(sim.default_workload).budget
    return WeightedSum(
        {"latency_ms": 1.0, "peak_power_mw": 1.0, "area_mm2": 1.0},
        scales={
            "latency_ms": budget.latency_ms,
            "peak_power_mw": budget.power_mw,
            "area_mm2": budget.area_mm2,
        },
    )


def _mapping_optimum() -> float:
    """Exhaustive: the mapping space has 38,016 designs and a vectorised simulator."""
    import archgym

    env = archgym.make("archgym/Mapping-v0")
    designs = list(env.space.enumerate())
    metrics = env.simulator.evaluate_batch(designs, env.workload)
    return max(env.objective(m).reward for m in metrics if isinstance(m, dict))


def _synthetic_optimum() -> float:
    return -1.0  # Minimize(cost_au); the optimum's cost is 1.0 by construction


PROVISIONAL = [
    ProvisionalTask("dram-power-time", "archgym/DRAM-v0", _dram_objective),
    ProvisionalTask(
        "accelerator-energy-cycles-area", "archgym/Accelerator-v0", _accelerator_objective
    ),
    ProvisionalTask("soc-latency-power-area", "archgym/SoC-v0", _soc_objective),
    ProvisionalTask("mapping-edp", "archgym/Mapping-v0", optimum=_mapping_optimum),
    ProvisionalTask("llm-roofline-service", "archgym/LLMRoofline-v0"),
    ProvisionalTask("synthetic", "archgym/Synthetic-v0", optimum=_synthetic_optimum),
]


def load_tasks() -> dict[str, Any]:
    """The benchmark's tasks: archgym.tasks if present, else the provisional ones."""
    try:
        from archgym import tasks  # type: ignore[attr-defined]
    except ImportError:
        return {t.name: t for t in PROVISIONAL}
    return {name: tasks.get(name) for name in tasks.list_tasks()}


def reference_reward(task: Any) -> float | None:
    """The optimum's reward, or None when the task does not know it."""
    if isinstance(task, ProvisionalTask):
        return task.reference()
    try:
        return -float(task.regret(0.0))  # regret(r) = optimum - r
    except Exception:  # a task without a known optimum  # noqa: BLE001
        return None


def one_run(task_name: str, agent: str, budget: int, seed: int) -> dict[str, Any]:
    """Best reward of one run and the simulator calls it took."""
    import archgym
    from archgym.agents import make_agent

    task = load_tasks()[task_name]
    start = time.perf_counter()
    result = archgym.run(make_agent(agent), task.make(), budget=budget, seed=seed)
    rewards = [ev.reward for ev in result.evaluations]
    return {
        "task": task_name,
        "agent": agent,
        "budget": budget,
        "seed": seed,
        "reward": max(rewards),
        "status": result.status,
        "seconds": time.perf_counter() - start,
    }


def summarise(rows: list[dict[str, Any]], optima: dict[str, float | None]) -> str:
    """One Markdown table per task: median regret per agent and budget, with the references."""
    out = []
    for task in dict.fromkeys(r["task"] for r in rows):
        known = optima.get(task)
        ref = known if known is not None else max(r["reward"] for r in rows if r["task"] == task)
        label = "optimum" if known is not None else "best found by any run (optimum unknown)"
        out.append(
            f"\n### {task}: regret = reference - best reward; reference {ref:.6g} ({label})\n"
        )
        out.append(
            "| agent | budget | regret median [IQR] | random | optuna-tpe | > rnd | <= tpe | within 1 % |"
        )
        out.append("|---|---:|---:|---:|---:|:-:|:-:|:-:|")
        agents = list(dict.fromkeys(r["agent"] for r in rows if r["task"] == task))
        budgets = sorted({r["budget"] for r in rows if r["task"] == task})
        for agent in agents:
            for budget in budgets:
                cell = [
                    ref - r["reward"]
                    for r in rows
                    if (r["task"], r["agent"], r["budget"]) == (task, agent, budget)
                ]
                if not cell:
                    continue
                med = statistics.median(cell)
                q = statistics.quantiles(cell, n=4) if len(cell) > 1 else [cell[0]] * 3
                refs = {}
                for name in REFERENCES:
                    base = [
                        ref - r["reward"]
                        for r in rows
                        if (r["task"], r["agent"], r["budget"]) == (task, name, budget)
                    ]
                    refs[name] = statistics.median(base) if base else None
                fmt = lambda v: "-" if v is None else f"{v:.4g}"  # noqa: E731
                beats = (
                    ""
                    if agent == "random" or refs["random"] is None
                    else ("yes" if med < refs["random"] else "no")
                )
                tpe = (
                    ""
                    if agent == "optuna-tpe" or refs["optuna-tpe"] is None
                    else ("yes" if med <= refs["optuna-tpe"] else "no")
                )
                within = "" if known is None else ("yes" if med <= 0.01 * abs(known) else "no")
                stalled = sum(
                    r["status"] != "finished"
                    for r in rows
                    if (r["task"], r["agent"], r["budget"]) == (task, agent, budget)
                )
                note = f" ({stalled} stalled)" if stalled else ""
                out.append(
                    f"| {agent}{note} | {budget} | {med:.4g} [{q[0]:.3g}, {q[2]:.3g}] | {fmt(refs['random'])} "
                    f"| {fmt(refs['optuna-tpe'])} | {beats} | {tpe} | {within} |"
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
    parser.add_argument("--tasks", nargs="+", help="these tasks only (default: every task)")
    parser.add_argument("--seeds", type=int, default=5, help="seeds per cell (default 5)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--no-references", action="store_true", help="skip random and optuna-tpe")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from archgym.agents import list_agents

    tasks = load_tasks()
    names = args.tasks or list(tasks)
    unknown = [n for n in names if n not in tasks]
    if unknown:
        parser.error(f"no task {unknown[0]!r}; tasks are {sorted(tasks)}")
    agents = args.agents or (list_agents() if args.full else QUICK_AGENTS)
    refs = [] if args.no_references else list(REFERENCES)
    agents = refs + [a for a in agents if a not in refs]
    budgets = tuple(args.budgets or (FULL_BUDGETS if args.full else BUDGETS))
    optima = {n: reference_reward(tasks[n]) for n in names}
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
    print(f"{args.seeds} seeds per cell; budgets {budgets}")
    print(summarise(rows, optima))
    seconds: dict[tuple[str, int], list[float]] = {}
    for r in rows:
        seconds.setdefault((r["agent"], r["budget"]), []).append(r["seconds"])
    print(
        "\nmedian wall seconds per run (all tasks): "
        + ", ".join(f"{a}@{b} {statistics.median(v):.1f}" for (a, b), v in sorted(seconds.items()))
    )


if __name__ == "__main__":
    main()
