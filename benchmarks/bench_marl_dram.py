"""MARL against single-agent RL on DRAM-v0, as in "Multi-Agent Reinforcement Learning for
Microprocessor Design Space Exploration" (Krishnan et al.): one PPO learner per knob (``marl``)
against one PPO and one SAC learner acting on the whole design, for a low-power and a
low-latency target.

The encodings are identical and fully reachable: MARL's agents each choose one knob's value
index, PPO chooses every knob's index at once (``MultiDiscrete``, ``actions="native"``) and
SAC a ``Box`` vector whose equal-width bins cover every index (``actions="native"``). All three
see rank-shaped rewards and move repeated designs to fresh ones (the agents' defaults). Random
search is printed as the reference, from the same run. Per agent and target: the best metric
value found (lower is better), its median and interquartile mean over the seeds, with a 95 %
stratified-bootstrap confidence interval of the IQM (:func:`archgym.indicators.bootstrap_ci`).

    .venv/bin/python benchmarks/bench_marl_dram.py             # budget 200, 5 seeds, a few minutes
    .venv/bin/python benchmarks/bench_marl_dram.py --full      # budget 1000, 10 seeds
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

#: Target name -> the DRAM metric minimised.
TARGETS = {"low-power": "avg_power_mw", "low-latency": "avg_latency_ns"}
#: Agent label -> (registered agent, hyperparameters).
AGENTS: dict[str, tuple[str, dict[str, Any]]] = {
    "marl (one PPO per knob)": ("marl", {}),
    "ppo (MultiDiscrete)": ("ppo", {"actions": "native"}),
    "sac (Box)": ("sac", {"actions": "native"}),
    "random": ("random", {}),
}


def one_run(target: str, label: str, budget: int, seed: int) -> dict[str, Any]:
    import archgym
    from archgym.agents import make_agent
    from archgym.objective import Minimize

    metric = TARGETS[target]
    name, kwargs = AGENTS[label]
    env = archgym.make("archgym/DRAM-v0", objective=Minimize(metric))
    result = archgym.run(make_agent(name, **kwargs), env, budget=budget, seed=seed)
    best = min(ev.metrics[metric] for ev in result.evaluations if ev.metrics)
    return {"target": target, "agent": label, "seed": seed, "best": best, "status": result.status}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="budget 1000, 10 seeds")
    parser.add_argument("--budget", type=int, help="simulator evaluations per run (default 200)")
    parser.add_argument("--seeds", type=int, help="seeds per agent and target (default 5)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    args = parser.parse_args()
    budget = args.budget or (1000 if args.full else 200)
    seeds = args.seeds or (10 if args.full else 5)
    if seeds < 5:
        parser.error("--seeds must be at least 5 for a confidence interval worth reporting")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from archgym.indicators import bootstrap_ci, iqm

    jobs = [(t, a, budget, s) for t in TARGETS for a in AGENTS for s in range(seeds)]
    rows = []
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(one_run, *job) for job in jobs]
        for done, future in enumerate(futures, 1):
            rows.append(future.result())
            print(f"\r{done}/{len(jobs)} runs", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    print(
        f"archgym/DRAM-v0 (workload 'random', DDR4), budget {budget}, {seeds} seeds; "
        "best value found, lower is better\n"
    )
    print("| target | agent | median | IQM [95 % CI] | stalled |")
    print("|---|---|---:|---:|---:|")
    for target, metric in TARGETS.items():
        for label in AGENTS:
            best = [r["best"] for r in rows if (r["target"], r["agent"]) == (target, label)]
            ci = bootstrap_ci(best, statistic=iqm)
            stalled = sum(
                r["status"] != "finished"
                for r in rows
                if (r["target"], r["agent"]) == (target, label)
            )
            print(
                f"| {target} ({metric}) | {label} | {statistics.median(best):.5g} "
                f"| {ci.estimate:.5g} [{ci.low:.5g}, {ci.high:.5g}] | {stalled} |"
            )


if __name__ == "__main__":
    main()
