"""BO on scikit-optimize at budget 1000: wall and CPU time on the slowest-to-model task, next to random search.

The goal (issue 17): ``bo`` (a GP for the first ``gp_max_points`` evaluations, then extra trees)
finishes a budget of 1000 in under 10 minutes on 2 cores. The slowest task to model is the one
with the most parameters, ``soc-latency-budgets`` (SoC-v0, 42 parameters). Each run is timed in
this process: wall seconds and the process's CPU seconds (the machine may be shared, so CPU
time is the figure to compare with the goal; the load average is printed too). Random search
on the same task, budget and seed, measured in the same run, is the reference: its time is the
simulator's share. The regret printed is the task's normalised regret (0 = reference optimum).

    .venv/bin/python benchmarks/bench_bo_budget.py                      # budget 1000, seed 0
    .venv/bin/python benchmarks/bench_bo_budget.py --budget 200 --task mapping-edp --seeds 2
"""

from __future__ import annotations

import argparse
import os
import sys
import time

#: The default task: the most parameters of the default tasks (42), so the largest models.
TASK = "soc-latency-budgets"
#: The goal: minutes for a budget of 1000 on 2 cores.
GOAL_MINUTES = 10.0


def timed_run(agent: str, task_name: str, budget: int, seed: int) -> dict[str, float]:
    """Wall and process CPU seconds of one run, and its normalised regret."""
    import archgym
    from archgym import tasks
    from archgym.agents import make_agent

    task = tasks.get(task_name)
    env = task.make()
    wall, cpu = time.perf_counter(), time.process_time()
    done = 0

    def progress(_: object) -> None:  # CPU time so far every 100 evaluations, on stderr
        nonlocal done
        done += 1
        if done % 100 == 0:
            print(
                f"{agent} seed {seed}: {done} evaluations, {time.process_time() - cpu:.0f} CPU s, "
                f"{time.perf_counter() - wall:.0f} wall s",
                file=sys.stderr,
                flush=True,
            )

    result = archgym.run(make_agent(agent), env, budget=budget, seed=seed, on_evaluation=progress)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rewards = [ev.reward for ev in result.evaluations]
    metrics = [ev.metrics for ev in result.evaluations]
    return {"wall": wall, "cpu": cpu, "regret": task.run_regret(rewards, metrics)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default=TASK, help=f"benchmark task (default {TASK})")
    parser.add_argument("--budget", type=int, default=1000, help="evaluations (default 1000)")
    parser.add_argument("--seeds", type=int, default=1, help="seeds 0..N-1 (default 1)")
    args = parser.parse_args()
    # One BLAS thread per process, set before archgym imports numpy.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if args.budget < 1 or args.seeds < 1:
        parser.error("--budget and --seeds must be at least 1")
    from archgym import tasks

    if args.task not in tasks.list_tasks():
        parser.error(f"no task {args.task!r}; tasks are {', '.join(tasks.list_tasks())}")
    print(f"task {args.task}, budget {args.budget}; load average {os.getloadavg()[0]:.1f} at start")
    print("\n| agent | seed | wall s | CPU s | normalised regret |\n|---|---:|---:|---:|---:|")
    cpu_bo = []
    for seed in range(args.seeds):
        for agent in ("random", "bo"):
            r = timed_run(agent, args.task, args.budget, seed)
            if agent == "bo":
                cpu_bo.append(r["cpu"])
            print(
                f"| {agent} | {seed} | {r['wall']:.1f} | {r['cpu']:.1f} | {r['regret']:.4g} |",
                flush=True,
            )
    print(
        f"\nload average {os.getloadavg()[0]:.1f} at the end; bo's largest CPU time "
        f"{max(cpu_bo) / 60:.1f} min against the goal of {GOAL_MINUTES:g} min: "
        + ("met" if max(cpu_bo) / 60 < GOAL_MINUTES else "NOT met")
    )


if __name__ == "__main__":
    main()
