"""Sweep throughput: trials/s and evaluations/s of the serial, local (1 and 2 workers) and Ray executors.

Three sweeps, all measured in this run so every ratio compares like with like:

* **simulator-bound**: a synthetic cost model that burns ~``BUSY_MS`` of CPU per design, the case
  parallel workers exist for (target: 2 local workers reach >= 70 % of 2x one worker; other
  work on the machine lowers it, so the load average is printed too);
* **latency-bound**: ``archgym/Synthetic-v0`` waiting ``BUSY_MS`` per design without using a core,
  which shows the executors' own scaling whatever else the machine is doing;
* **overhead-bound**: ``archgym/Synthetic-v0`` (~0.05 ms per design), which measures what the
  executors and the store cost per evaluation.

Then the figures past one machine (``bench_cluster.py``): PostgreSQL's write rate beside
SQLite's, scaling on a three-node local Ray cluster, and the fault checks.

Usage:
    .venv/bin/python benchmarks/bench_experiments.py [--quick] [--no-ray] [--full]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from archgym.experiments.executors import run_sweep
from archgym.experiments.spec import spec_from_dict
from archgym.registry import register_env
from archgym.simulators.synthetic import Synthetic
from archgym.space import Design

BUSY_ENV = "bench/BusySynthetic-v0"
BUSY_MS = 2.0


class BusySynthetic(Synthetic):
    """Synthetic's costs, after ``BUSY_MS`` of pure-Python work per design (a stand-in simulator)."""

    name = "busy-synthetic"

    def evaluate(self, design: Design, workload: Any = None) -> dict[str, float]:
        _burn(1)
        return super().evaluate(design, workload)

    def evaluate_batch(
        self, designs: Sequence[Design], workload: Any = None
    ) -> list[dict[str, float]]:
        _burn(len(designs))
        return super().evaluate_batch(designs, workload)


def _burn(designs: int) -> None:
    # Busy-wait, not sleep: the point is to occupy a core the way a real simulator does.
    end = time.perf_counter() + designs * BUSY_MS / 1000
    while time.perf_counter() < end:
        pass


def register_busy_env() -> None:
    """Register the benchmark env (here, and in each Ray worker through its setup hook)."""
    from archgym.objective import Minimize

    register_env(
        BUSY_ENV, BusySynthetic, objective=Minimize("cost_au"), description="benchmark only"
    )


def cpu_seconds() -> float:
    """CPU time of this process and its reaped children (pool workers; not Ray's, which are not ours)."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def sweep(
    env: str | dict[str, Any], store: Path, budget: int, seeds: int, executor: str, workers: int
) -> tuple[float, float, int, int]:
    """Run one sweep into a fresh store; return (seconds, CPU seconds, trials, simulator evaluations)."""
    spec = spec_from_dict(
        {
            "budget": budget,
            "seeds": seeds,
            "store": str(store),
            "envs": [env],
            "agents": ["random", "walk"],
        }
    )
    start, cpu = time.perf_counter(), cpu_seconds()
    result = run_sweep(spec, executor=executor, workers=workers)
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    if result.failed:
        raise RuntimeError(f"{len(result.failed)} trials failed: {result.failed[0].error}")
    return seconds, cpu, len(result.outcomes), sum(o.new_evaluations for o in result.outcomes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sweeps")
    parser.add_argument("--no-ray", action="store_true", help="skip the Ray executor and cluster")
    parser.add_argument("--full", action="store_true", help="bigger cluster figures")
    args = parser.parse_args()
    register_busy_env()
    seeds = 3 if args.quick else 4
    # latency-bound: each simulation waits 2 ms without using a core (an external binary, a
    # remote service); it shows the executors' own scaling even on a machine busy with other work.
    latency = {
        "id": "archgym/Synthetic-v0",
        "kwargs": {"simulator_kwargs": {"delay_s": BUSY_MS / 1000}},
    }
    cases: list[tuple[str, str | dict[str, Any], int]] = [
        ("simulator-bound", BUSY_ENV, 60 if args.quick else 120),
        ("latency-bound", latency, 60 if args.quick else 120),
        ("overhead-bound", "archgym/Synthetic-v0", 150 if args.quick else 300),
    ]
    executors = [("serial", 1), ("local", 1), ("local", 2)]
    ray_startup: float | None = None
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_ray:
            import ray

            t0 = time.perf_counter()
            # The executor reuses this instance; the hook registers the benchmark env in every worker.
            ray.init(
                num_cpus=2,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
                runtime_env={"worker_process_setup_hook": register_busy_env},
            )
            # Warm the Ray workers (process start, imports) so the figures compare steady states.
            sweep(BUSY_ENV, Path(tmp) / "warm-up.db", 5, 1, "ray", 2)
            ray_startup = time.perf_counter() - t0
            executors.append(("ray", 2))
        # Other work on the machine steals cores from the workers; the load average says how much.
        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(
            f"{'sweep':<16} {'executor':<8} {'workers':>7} {'trials':>6} {'evals':>6} {'seconds':>8} "
            f"{'trials/s':>9} {'evals/s':>9} {'vs serial':>9} {'CPU ms/eval':>11}"
        )
        for label, env, budget in cases:
            rates: dict[tuple[str, int], float] = {}
            for executor, workers in executors:
                store = Path(tmp) / f"{label}-{executor}-{workers}.db"
                seconds, cpu, trials, evals = sweep(env, store, budget, seeds, executor, workers)
                rates[(executor, workers)] = evals / seconds
                print(
                    f"{label:<16} {executor:<8} {workers:>7} {trials:>6} {evals:>6} {seconds:>8.2f} "
                    f"{trials / seconds:>9.2f} {evals / seconds:>9.0f} "
                    f"{rates[(executor, workers)] / rates[('serial', 1)]:>8.2f}x "
                    f"{'(not ours)' if executor == 'ray' else f'{1000 * cpu / evals:.3f}':>11}"
                )
            efficiency = rates[("local", 2)] / (2 * rates[("local", 1)])
            print(
                f"{label}: 2 local workers reach {efficiency:.0%} of 2x one worker (target >= 70 %)"
            )
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if ray_startup is not None:
        print(f"Ray start-up and worker warm-up (not in the figures above): {ray_startup:.1f} s")
        ray.shutdown()
    if not args.no_ray:
        from bench_cluster import run as past_one_machine  # the sibling script

        past_one_machine(args.full)


if __name__ == "__main__":
    main()
