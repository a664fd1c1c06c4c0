"""MARL against single-agent RL on DRAM-v0, as in "Multi-Agent Reinforcement Learning for
Microprocessor Design Space Exploration" (Krishnan et al.): one PPO learner per knob (``marl``)
against one PPO and one SAC learner acting on the whole design, for a low-power and a
low-latency target.

The encodings are identical and fully reachable: MARL's agents each choose one knob's value
index (``edit_incumbent=False``: the paper's formulation), PPO chooses every knob's index at
once (``MultiDiscrete``, ``actions="native"``) and SAC a ``Box`` vector whose equal-width bins
cover every index (``actions="native"``). All three see rank-shaped rewards and move repeated
designs to fresh ones (the agents' defaults). Random search is the reference, from the same run.

The workload is the saturating read/write hotspot trace of the ``dram-energy-latency`` task (a
request every 2 ns), and each target has a budget on the other metric (see :data:`TARGETS`):
on the uniform random trace without budgets, 100 random designs already reached the lowest
power and latency any learner found. Only designs within the budget count. Per agent and target the script prints the best metric
value found (lower is better): its median and interquartile mean over the seeds with a 95 %
bootstrap interval of the IQM (:func:`archgym.indicators.bootstrap_ci`), and the regret against
the best value any run found, with how many runs reached it, so a tie is visible as one.

    .venv/bin/python benchmarks/bench_marl_dram.py             # budget 200, 5 seeds
    .venv/bin/python benchmarks/bench_marl_dram.py --full      # budget 1000, 5 seeds
    .venv/bin/python benchmarks/bench_marl_dram.py --full --results marl.jsonl   # resumable
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

#: The DRAM trace: saturating read/write hotspot (the dram-energy-latency task's workload).
WORKLOAD = "hotspot_rw:interval_ns=2"
#: Target name -> (the DRAM metric minimised, the budget on the other metric, the penalty per
#: unit of relative excess). Unconstrained, the targets are easy on this trace: 2 % of uniform
#: designs have the lowest power, 0.08 % the lowest latency. With the budgets (about the 10 %
#: latency quantile, the median power) 0.025 % and 0.013 % of 8,000 uniform designs reach the
#: best value found among them. The penalties (about 10x the metric) make any excess cost more
#: than it can save.
TARGETS: dict[str, tuple[str, dict[str, float], float]] = {
    "low-power": ("avg_power_mw", {"avg_latency_ns": 30_000.0}, 2e4),
    "low-latency": ("avg_latency_ns", {"avg_power_mw": 1_800.0}, 1e6),
}
#: Agent label -> (registered agent, hyperparameters).
AGENTS: dict[str, tuple[str, dict[str, Any]]] = {
    "marl (one PPO per knob)": ("marl", {"edit_incumbent": False}),
    "ppo (MultiDiscrete)": ("ppo", {"actions": "native"}),
    "sac (Box)": ("sac", {"actions": "native"}),
    "random": ("random", {}),
}


def one_run(target: str, label: str, budget: int, seed: int) -> dict[str, Any]:
    import archgym
    from archgym.agents import make_agent
    from archgym.objective import Constrained, Minimize

    metric, budgets, penalty = TARGETS[target]
    name, kwargs = AGENTS[label]
    objective = Constrained(Minimize(metric), budgets, penalty=penalty)
    env = archgym.make("archgym/DRAM-v0", workload=WORKLOAD, objective=objective)
    result = archgym.run(make_agent(name, **kwargs), env, budget=budget, seed=seed)
    inf = float("inf")
    values = [
        ev.metrics[metric] if ev.metrics and ev.feasible else inf for ev in result.evaluations
    ]
    best = min(values)
    return {
        "target": target,
        "agent": label,
        "budget": budget,
        "seed": seed,
        "best": best,
        "at_evaluation": values.index(best) + 1,
        "status": result.status,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="budget 1000, 5 seeds")
    parser.add_argument("--budget", type=int, help="simulator evaluations per run (default 200)")
    parser.add_argument("--seeds", type=int, default=5, help="seeds per agent and target (>= 5)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument(
        "--run-from",
        type=int,
        default=0,
        help="run only seeds from this one on (another process can take the earlier ones; "
        "the table covers every seed in --results)",
    )
    parser.add_argument(
        "--results", help="JSON-lines file of finished runs: re-running skips them (resumable)"
    )
    args = parser.parse_args()
    budget = args.budget or (1000 if args.full else 200)
    if args.seeds < 5:
        parser.error("--seeds must be at least 5 for a confidence interval worth reporting")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from archgym.indicators import bootstrap_ci, iqm

    path = Path(args.results) if args.results else None
    rows = []
    if path is not None and path.exists():
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    done = {(r["target"], r["agent"], r["budget"], r["seed"]) for r in rows}
    # Seed-major order: an interrupted study has every agent at the same number of seeds.
    jobs = [
        (t, a, budget, s)
        for s in range(args.run_from, args.seeds)
        for t in TARGETS
        for a in AGENTS
        if (t, a, budget, s) not in done
    ]
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(one_run, *job) for job in jobs]
        for n, future in enumerate(futures, 1):
            row = future.result()
            rows.append(row)
            if path is not None:
                with path.open("a") as f:
                    f.write(json.dumps(row) + "\n")
            print(f"\r{n}/{len(jobs)} runs", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    if path is not None:  # every seed in the file, also those other processes ran
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    unique = {(r["target"], r["agent"], r["budget"], r["seed"]): r for r in rows}
    rows = [r for r in unique.values() if r["budget"] == budget and r["seed"] < args.seeds]
    print(
        f"archgym/DRAM-v0 (workload {WORKLOAD!r}, DDR4), budget {budget}, seeds 0..{args.seeds - 1}; "
        "best value found, lower is better; regret against the best value any run found\n"
    )
    print(
        "| target | agent | runs | median | IQM [95 % CI] | median regret "
        "| runs at the best | median evals to its best |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for target, (metric, budgets, _) in TARGETS.items():
        overall = min(r["best"] for r in rows if r["target"] == target)
        for label in AGENTS:
            mine = [r for r in rows if (r["target"], r["agent"]) == (target, label)]
            if len(mine) < 2:
                continue
            best = [r["best"] for r in mine]
            ci = bootstrap_ci(best, statistic=iqm)
            regret = statistics.median(b - overall for b in best)
            hits = sum(b <= overall * (1 + 1e-9) for b in best)
            evals = statistics.median(r["at_evaluation"] for r in mine)
            print(
                f"| {target} ({metric}, {budgets}) | {label} | {len(mine)} | {statistics.median(best):.5g} "
                f"| {ci.estimate:.5g} [{ci.low:.5g}, {ci.high:.5g}] | {regret:.4g} "
                f"| {hits}/{len(mine)} | {evals:g} |"
            )


if __name__ == "__main__":
    main()
