"""Speed and fidelity of the DRAM controller model, each figure next to a reference from the same run.

    .venv/bin/python benchmarks/bench_dram.py

1. Numba compilation in a fresh process (empty cache) vs. a second process that loads the cache.
2. Simulated requests per second for one design (CPU time), compiled vs. the same kernel run as
   plain Python (``simulate.py_func``) on a shorter trace.
3. ``evaluate_batch`` (Numba ``prange`` over designs) vs. a loop of ``evaluate`` on 10k-request traces.
4. DDR3 headline figures vs. DRAMSys 4.0 / Ramulator (the reference grid in the tests' data).
5. One-knob sweeps vs. DRAMSys 4.0 (buffers 1-128 of each kind, response queue, refresh,
   every arbiter at MaxActiveTransactions 1-32): the issue's goal is time and energy within 5 %.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from archgym.simulators.dram import DramSimulator
from archgym.simulators.dram import controller as ctl

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "simulators" / "dram" / "data" / "ddr3_reference.csv"
SENSITIVITY = ROOT / "tests" / "simulators" / "dram" / "data" / "ddr3_sensitivity_random.csv"
SWEEP_COLUMNS = {
    "SchedulerBuffer": "sched_buffer",
    "RequestBufferSize": "request_buffer_size",
    "RespQueue": "resp_queue",
    "RefreshPolicy": "refresh_policy",
    "RefreshMaxPostponed": "refresh_max_postponed",
    "RefreshMaxPulledin": "refresh_max_pulledin",
    "Arbiter": "arbiter",
    "MaxActiveTransactions": "max_active_transactions",
}

FIRST_CALL = """
import time
t0 = time.perf_counter()
from archgym.simulators.dram import DramSimulator
sim = DramSimulator("ddr3")
d = sim.default_design()
sim.evaluate(d, "random:n=1000")
sim.evaluate_batch([d, d], "random:n=1000")
print(time.perf_counter() - t0)
"""


def compile_times() -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        runs = [
            float(
                subprocess.run(
                    [sys.executable, "-c", FIRST_CALL],
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.strip()
            )
            for _ in range(2)
        ]
    return runs[0], runs[1]


def requests_per_second(sim: DramSimulator, workload: str, repeats: int = 3) -> float:
    trace = sim.load_workload(workload)
    args = (
        *sim._prepare(trace),
        *sim._geometry(),
        sim.spec.timing_vector(),
        ctl.encode_knobs(sim.default_design()),
    )
    ctl.simulate(*args)
    best = min(_cpu(lambda: ctl.simulate(*args)) for _ in range(repeats))
    return len(trace) / best


def python_requests_per_second(sim: DramSimulator, workload: str) -> float:
    trace = sim.load_workload(workload)
    args = (
        *sim._prepare(trace),
        *sim._geometry(),
        sim.spec.timing_vector(),
        ctl.encode_knobs(sim.default_design()),
    )
    return len(trace) / _cpu(lambda: ctl.simulate.py_func(*args))


def _cpu(fn) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


_LAST_CPU = [0.0]  # CPU seconds of the last _wall call (all threads), to read next to wall time


def _wall(fn) -> float:
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    _LAST_CPU[0] = time.process_time() - c0
    return time.perf_counter() - t0


def main() -> None:
    print("== 1. Numba compilation (cache=True) ==")
    fresh, cached = compile_times()
    print(f"first process, empty cache : {fresh:6.2f} s to first result (import + compile + run)")
    print(
        f"second process, warm cache : {cached:6.2f} s to first result (import + cache load + run)"
    )

    print("\n== 2. simulated requests per second, one design (DRAMSys defaults, DDR3, CPU time) ==")
    sim = DramSimulator("ddr3")
    for wl in ("stream:n=100000", "random:n=100000", "hotspot_rw:n=100000"):
        print(f"{wl:22s} compiled : {requests_per_second(sim, wl) / 1e6:7.2f} M requests/s")
    py = python_requests_per_second(sim, "random:n=2000")
    fast = requests_per_second(sim, "random:n=2000")
    print(
        f"{'random:n=2000':22s} python   : {py / 1e6:7.4f} M requests/s  (same kernel, uncompiled; "
        f"compiled is {fast / py:,.0f}x faster)"
    )

    print(
        "\n== 3. designs per second on 10k-request workloads (wall time on all cores, and per CPU-second) =="
    )
    designs = sim.design_space().sample(np.random.default_rng(0), 64)
    for wl in ("stream:n=10000", "random:n=10000", "cloud-1:n=10000"):
        sim.evaluate_batch(designs[:2], wl)
        w_batch, c_batch = _wall(lambda wl=wl: sim.evaluate_batch(designs, wl)), _LAST_CPU[0]
        w_loop, c_loop = _wall(lambda wl=wl: [sim.evaluate(d, wl) for d in designs]), _LAST_CPU[0]
        n = len(designs)
        print(
            f"{wl:18s} evaluate_batch: {n / w_batch:6.0f} designs/s ({n / c_batch:6.0f} per CPU-s)   "
            f"loop of evaluate: {n / w_loop:6.0f} designs/s ({n / c_loop:6.0f} per CPU-s)   "
            f"wall ratio {w_loop / w_batch:.1f}x"
        )

    print(
        "\n== 4. DDR3-1600 vs DRAMSys 4.0 (total time, DRAMPower energy) and Ramulator (FCFS/FR-FCFS) =="
    )
    with REFERENCE.open() as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    d = sim.default_design()
    print(f"{'case':42s} {'model':>12s} {'reference':>12s} {'error':>7s}")
    for wl, sched, pol in (
        ("stream", "FrFcfs", "Open"),
        ("stream", "FrFcfs", "Closed"),
        ("random", "FrFcfs", "Open"),
        ("stride4k", "FrFcfs", "Closed"),
        ("hotspot_rw", "FrFcfsGrp", "Open"),
    ):
        (ref,) = [
            r
            for r in rows
            if r["sim"] == "dramsys4_archgym"
            and r["workload"] == wl
            and r["scheduler"] == sched
            and r["page_policy"] == pol
            and r["injection"] == "closed_loop"
        ]
        m = sim.evaluate({**d, "Scheduler": sched, "PagePolicy": pol}, f"{wl}:n=100000")
        for label, got, want in (
            ("time us", m["total_time_ns"] / 1e3, float(ref["total_time_ns"]) / 1e3),
            ("energy uJ", m["energy_nj"] / 1e3, float(ref["energy_pJ"]) / 1e6),
        ):
            print(
                f"DRAMSys {wl}/{sched}/{pol} {label:10s}".ljust(42)
                + f" {got:12.1f} {want:12.1f} {got / want - 1:+7.1%}"
            )
    for wl in ("random", "stride4k", "stream"):
        times = {}
        for sched, ours in (("FCFS", "Fcfs"), ("FRFCFS", "FrFcfs")):
            (ref,) = [
                r
                for r in rows
                if r["sim"] == "ramulator1"
                and r["workload"] == wl
                and r["scheduler"] == sched
                and r["page_policy"] == "Opened"
                and r["injection"] == "closed_loop"
            ]
            m = sim.evaluate(
                {**d, "Scheduler": ours, "SchedulerBuffer": "Shared", "RequestBufferSize": 32},
                f"{wl}:n=100000",
            )
            times[sched] = (m["total_time_ns"], float(ref["total_time_ns"]))
        got = times["FCFS"][0] / times["FRFCFS"][0]
        want = times["FCFS"][1] / times["FRFCFS"][1]
        print(
            f"Ramulator {wl} FCFS/FR-FCFS time ratio".ljust(42)
            + f" {got:12.2f} {want:12.2f} {got / want - 1:+7.1%}"
        )

    one_knob_sweeps(sim)


def one_knob_sweeps(sim: DramSimulator) -> None:
    print(
        "\n== 5. one-knob sweeps, DDR3 random 100k closed loop, vs. DRAMSys 4.0 (goal: within 5 %) =="
    )
    with SENSITIVITY.open() as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    print(
        f"{'design (knobs away from fr_fcfs defaults)':46s} {'time us':>9s} {'DRAMSys':>9s} {'err':>7s} "
        f"{'energy uJ':>10s} {'DRAMSys':>10s} {'err':>7s}"
    )
    base = sim.default_design()
    worst = [0.0, 0.0]
    for r in rows:
        design = {
            k: (int(float(r[c])) if r[c][0].isdigit() else r[c]) for k, c in SWEEP_COLUMNS.items()
        }
        label = ", ".join(f"{k}={v}" for k, v in design.items() if base[k] != v) or "defaults"
        m = sim.evaluate({**base, **design}, "random:n=100000")
        t, tr = m["total_time_ns"] / 1e3, float(r["total_time_ns"]) / 1e3
        e, er = m["energy_nj"] / 1e3, float(r["energy_pJ"]) / 1e6
        worst = [max(worst[0], abs(t / tr - 1)), max(worst[1], abs(e / er - 1))]
        print(
            f"{label[:46]:46s} {t:9.1f} {tr:9.1f} {t / tr - 1:+7.1%} {e:10.1f} {er:10.1f} {e / er - 1:+7.1%}"
        )
    print(
        f"largest error over {len(rows)} sweeps: time {worst[0]:.1%}, energy {worst[1]:.1%} (goal 5 %)"
    )


if __name__ == "__main__":
    main()
