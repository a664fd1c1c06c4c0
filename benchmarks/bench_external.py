"""What ``ExternalSimulator`` costs per evaluation over running the same program by hand.

Each evaluation writes a config, runs a tiny program that prints one JSON line, parses it and
removes its scratch dir. The reference, measured in the same run, is ``subprocess.run`` of the
same program with its output captured and a ``tempfile.TemporaryDirectory`` per call: what a
user's own loop would do, without the guarantees (no process-group kill, no kill of escaped
descendants, no ``PR_SET_PDEATHSIG``, unbounded output, no clean-up on SIGTERM).

    python benchmarks/bench_external.py [--n 100] [--full]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import archgym

SPACE = archgym.DesignSpace([archgym.Integer("x", 0, 1000)])
PROGRAM = 'import json, sys; print(json.dumps({"m": json.load(open(sys.argv[1]))["x"] * 2}))'


def ms_per_call(fn, n: int, repeats: int = 3) -> float:
    """Best of ``repeats`` timings of ``n`` calls, in ms per call."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for i in range(n):
            fn(i)
        best = min(best, (time.perf_counter() - start) / n * 1e3)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--full", action="store_true", help="300 calls per timing")
    args = parser.parse_args()
    n = 300 if args.full else args.n
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "prog.py"
        script.write_text(PROGRAM)
        # `sh -c true` as well: a program that starts in ~1 ms shows the overhead undiluted.
        for label, command in (
            ("python program", [sys.executable, str(script), "{config}"]),
            ("sh one-liner", ["sh", "-c", 'echo "{\\"m\\": 1}"', "{config}"]),
        ):
            sim = archgym.ExternalSimulator(
                name="bench", command=command, space=SPACE, metrics=[archgym.Metric("m", "au")]
            )

            def by_hand(i: int, command: list[str] = command) -> None:
                with tempfile.TemporaryDirectory() as scratch:
                    config = Path(scratch) / "config"
                    config.write_text(f'{{"x": {i}}}')
                    argv = [a.replace("{config}", str(config)) for a in command]
                    subprocess.run(argv, cwd=scratch, capture_output=True, timeout=60, check=True)

            reference = ms_per_call(by_hand, n)
            external = ms_per_call(lambda i, sim=sim: sim.evaluate({"x": i}), n)
            print(
                f"{label:15s} ExternalSimulator.evaluate {external:7.2f} ms/call   "
                f"reference subprocess.run {reference:7.2f} ms/call   "
                f"overhead {external - reference:+.2f} ms ({external / reference:.2f}x)"
            )


if __name__ == "__main__":
    main()
