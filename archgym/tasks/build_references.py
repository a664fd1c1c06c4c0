"""Recompute the tasks' reference data (``archgym/tasks/data/references.json``).

Run ``python -m archgym.tasks.build_references`` (all tasks) or ``--tasks mapping-edp,synthetic-cost``
for some; ``--random N`` overrides every task's random sample size (quick provisional
references), ``--random-minutes M`` caps the sampling time of each task. Tasks not named keep
their stored reference. Each DRAM task's 10^5 designs cost about 8 CPU-minutes (the Numba
kernel runs them in parallel; about 29 minutes on a 2-core machine at load average 25); every
other task takes about a minute or less.

Example:
    >>> main(["--tasks", "synthetic-cost", "--out", "/tmp/refs.json"])  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from archgym.tasks.catalog import DATA, DEFINITIONS, definition
from archgym.tasks.references import compute_reference


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m archgym.tasks.build_references", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--tasks", default="", help="comma-separated task names (default: all)")
    parser.add_argument("--out", default=str(DATA), help="the JSON file to update")
    parser.add_argument(
        "--random", type=int, default=None, help="random designs per task (override)"
    )
    parser.add_argument(
        "--starts", type=int, default=None, help="local-search starts per task (override)"
    )
    parser.add_argument(
        "--random-minutes",
        type=float,
        default=None,
        help="cap each task's random-sample scoring time; the sample used is then a prefix, "
        "counted in the task's `how`",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    names = [n for n in args.tasks.split(",") if n] or [d.name for d in DEFINITIONS]
    try:
        defs = [definition(n) for n in names]
    except KeyError as err:
        parser.error(str(err.args[0]))
    out = Path(args.out)
    data = json.loads(out.read_text()) if out.exists() else {}
    for d in defs:
        if args.random is not None:
            d = replace(d, random=args.random)
        if args.starts is not None:
            d = replace(d, starts=args.starts)
        start = time.perf_counter()
        ref = compute_reference(
            d,
            seed=args.seed,
            log=lambda m: print(m, file=sys.stderr, flush=True),
            random_seconds=None if args.random_minutes is None else 60.0 * args.random_minutes,
        )
        data[d.name] = ref.to_dict()
        print(
            f"{d.name}: reward {ref.reward:.6g} ({ref.how}; {time.perf_counter() - start:.0f} s)",
            flush=True,
        )
        # written after every task, so an interrupted build keeps what it finished
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({k: data[k] for k in sorted(data)}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
