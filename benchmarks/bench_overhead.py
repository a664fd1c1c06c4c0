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


def per_design_us(make_fn, n: int, repeats: int = 3) -> float:
    """Best of ``repeats`` timings (each on a fresh set-up from ``make_fn``), in µs per design."""
    best = float("inf")
    for _ in range(repeats):
        fn = make_fn()
        start = time.perf_counter()
        fn()
        best = min(best, (time.perf_counter() - start) / n * 1e6)
    return best


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

    bare = per_design_us(lambda: lambda: [sim.evaluate(d) for d in designs], n)
    rows = [("bare simulator.evaluate loop (reference)", bare)]
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(1_000_000))

        def stepping(store: bool, flush_every: int = 1):
            def setup():
                kwargs = (
                    {"store": Path(tmp) / f"b{next(counter)}.db", "flush_every": flush_every}
                    if store
                    else {}
                )
                env = archgym.make("archgym/Synthetic-v0", episode_length=n + 1, **kwargs)
                env.reset(seed=0)
                archgym.Run.start(env, "bench")

                def go():
                    for a in indices:
                        env.step(a)
                    env.close()
                    assert env.evaluator.counts["simulator"] == n

                return go

            return setup

        rows.append(("env.step, no store", per_design_us(stepping(False), n)))
        rows.append(
            ("env.step + store, commit per evaluation", per_design_us(stepping(True, 1), n))
        )
        rows.append(("env.step + store, commit every 64", per_design_us(stepping(True, 64), n)))
    print(f"{'path':<44} {'µs/design':>10} {'overhead µs':>12}")
    for label, us in rows:
        print(f"{label:<44} {us:>10.1f} {us - bare:>12.1f}")
    worst = max(us for label, us in rows if "store" in label)
    print(
        f"target: env.step with store < 100 µs -> {'met' if worst < 100 else 'MISSED'} ({worst:.1f} µs worst)"
    )


if __name__ == "__main__":
    main()
