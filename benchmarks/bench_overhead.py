"""Framework overhead per evaluation on the synthetic simulator.

Prints microseconds per design for a bare ``simulator.evaluate`` loop (the reference) and for
``env.step`` with every evaluation recorded in a SQLite store (committed one by one, and in
batches of 64), and the overhead each adds. Target: under 100 µs per ``env.step`` including
the store write.

    python benchmarks/bench_overhead.py [--n 5000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

import archgym
from archgym.simulators.synthetic import Synthetic


def per_design_us(fn, n: int) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=5000)
    args = parser.parse_args()
    n = args.n
    sim = Synthetic()
    space = sim.design_space()
    rng = np.random.default_rng(0)
    # distinct designs, so every env.step reaches the simulator (no cache hits)
    indices = np.unique(space.sample_indices(rng, n * 2), axis=0)[:n]
    rng.shuffle(indices)
    designs = [space.decode(i) for i in indices]

    bare = per_design_us(lambda: [sim.evaluate(d) for d in designs], n)
    rows = [("bare simulator.evaluate loop (reference)", bare)]
    with tempfile.TemporaryDirectory() as tmp:
        for label, flush_every in [("env.step + store, commit per evaluation", 1),
                                   ("env.step + store, commit every 64", 64)]:
            env = archgym.make("archgym/Synthetic-v0", store=Path(tmp) / f"b{flush_every}.db",
                               flush_every=flush_every, episode_length=n + 1)
            env.reset(seed=0)
            env.start_run("bench")
            step_us = per_design_us(lambda env=env: [env.step(a) for a in indices], n)
            env.close()
            assert env.evaluator.counts["simulator"] == n
            rows.append((label, step_us))
        env = archgym.make("archgym/Synthetic-v0", episode_length=n + 1)
        env.reset(seed=0)
        rows.append(("env.step, no store", per_design_us(lambda: [env.step(a) for a in indices], n)))
    print(f"{'path':<44} {'µs/design':>10} {'overhead µs':>12}")
    for label, us in rows:
        print(f"{label:<44} {us:>10.1f} {us - bare:>12.1f}")
    worst = max(us for label, us in rows if "store" in label)
    print(f"target: env.step with store < 100 µs -> {'met' if worst < 100 else 'MISSED'} ({worst:.1f} µs worst)")


if __name__ == "__main__":
    main()
