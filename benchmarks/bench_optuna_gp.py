"""`optuna-gp`'s cost per trial: archgym's bounded history against Optuna's own GPSampler.

Optuna's ``GPSampler`` refits its Gaussian process on every completed trial before each
proposal, so a trial costs more the more trials came before it. archgym's ``optuna-gp`` fits
it on the ``history_best`` best trials plus the ``history_recent`` latest (40 and 40 by
default); ``history_best=0, history_recent=0`` is Optuna's sampler unchanged, the reference
measured in the same run. Both runs use the same task, budget and seed; the table gives the
process CPU seconds per trial, averaged over each window of trials, the total, and the
normalised regret reached (0 = the task's reference optimum). CPU time, not wall time, is the
figure to compare: the machine may be shared (the load average is printed).

    .venv/bin/python benchmarks/bench_optuna_gp.py                        # synthetic-cost, 200
    .venv/bin/python benchmarks/bench_optuna_gp.py --budget 300 --window 50 --task mapping-edp
"""

from __future__ import annotations

import argparse
import os
import time

import numpy

TASK = "synthetic-cost"


def per_trial_cpu(
    task_name: str, budget: int, seed: int, window: int, **hyperparameters: int
) -> tuple[list[float], float, float]:
    """Mean CPU seconds per trial in each ``window`` of trials, the total, and the regret."""
    import archgym
    from archgym import tasks
    from archgym.agents import make_agent

    task = tasks.get(task_name)
    env = task.make()
    marks = [time.process_time()]

    def tick(_: object) -> None:
        marks.append(time.process_time())

    result = archgym.run(
        make_agent("optuna-gp", **hyperparameters),
        env,
        budget=budget,
        seed=seed,
        on_evaluation=tick,
    )
    steps = list(numpy.diff(marks))
    means = [
        sum(steps[i : i + window]) / len(steps[i : i + window])
        for i in range(0, len(steps), window)
    ]
    rewards = [ev.reward for ev in result.evaluations]
    metrics = [ev.metrics for ev in result.evaluations]
    return means, marks[-1] - marks[0], task.run_regret(rewards, metrics)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default=TASK, help=f"benchmark task (default {TASK})")
    parser.add_argument("--budget", type=int, default=200, help="trials (default 200)")
    parser.add_argument("--window", type=int, default=25, help="trials per row (default 25)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    # One BLAS/torch thread per process, as in the sweeps; set before archgym imports numpy.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if args.budget < 1 or args.window < 1 or args.seed < 0:
        parser.error("--budget and --window must be at least 1, --seed at least 0")
    from archgym import tasks

    if args.task not in tasks.list_tasks():
        parser.error(f"no task {args.task!r}; tasks are {', '.join(tasks.list_tasks())}")
    import torch

    torch.set_num_threads(1)
    print(
        f"task {args.task}, budget {args.budget}, seed {args.seed}; "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    runs = {
        "optuna-gp (history 40 best + 40 recent)": per_trial_cpu(
            args.task, args.budget, args.seed, args.window
        ),
        "Optuna's GPSampler (every trial)": per_trial_cpu(
            args.task, args.budget, args.seed, args.window, history_best=0, history_recent=0
        ),
    }
    names = list(runs)
    print("\nCPU seconds per trial, mean over each window\n")
    print("| trials | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for row in range(len(runs[names[0]][0])):
        first = row * args.window + 1
        last = min(first + args.window - 1, args.budget)
        print(f"| {first}-{last} | " + " | ".join(f"{runs[n][0][row]:.3f}" for n in names) + " |")
    print("| total CPU s | " + " | ".join(f"{runs[n][1]:.1f}" for n in names) + " |")
    print("| normalised regret | " + " | ".join(f"{runs[n][2]:.4g}" for n in names) + " |")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
