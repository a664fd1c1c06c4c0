"""Cost of ``import archgym``, next to ``import gymnasium`` measured in the same run.

Each import runs in a fresh interpreter (best of ``--repeats``), so nothing is cached in
``sys.modules``; the time is taken inside the interpreter, so start-up is left out. The heavy
libraries archgym uses on demand (matplotlib, numba, torch, pandas, scipy) are listed if
``import archgym`` loaded them anyway.

Usage:
    .venv/bin/python benchmarks/bench_import.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys

HEAVY = ("matplotlib", "numba", "torch", "pandas", "scipy", "sklearn")

_TIMER = """
import sys, time
t = time.perf_counter()
{statement}
print(time.perf_counter() - t)
print(",".join(m for m in {heavy!r} if m in sys.modules))
"""


def measure(statement: str, repeats: int) -> tuple[float, str]:
    """Best wall time (s) of ``statement`` in a fresh interpreter, and the heavy modules it loaded."""
    best, loaded = float("inf"), ""
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", _TIMER.format(statement=statement, heavy=HEAVY)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
        best, loaded = min(best, float(out[0])), out[1]
    return best, loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--repeats", type=int, default=5, help="fresh interpreters per import (best is kept)"
    )
    args = parser.parse_args()
    gym_s, _ = measure("import gymnasium", args.repeats)
    archgym_s, loaded = measure("import archgym", args.repeats)
    print(f"import gymnasium : {gym_s:6.3f} s")
    print(
        f"import archgym   : {archgym_s:6.3f} s  ({archgym_s / gym_s:.1f}x gymnasium; includes gymnasium)"
    )
    print(f"heavy modules loaded by import archgym: {loaded or 'none'}")


if __name__ == "__main__":
    main()
