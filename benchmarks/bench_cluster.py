"""Past one machine: the PostgreSQL store's write rate beside SQLite's, sweep scaling on a
three-node local Ray cluster, and the fault checks (node removed, parent SIGKILLed and re-run,
two sweeps of one spec at once), all measured in this run.

* **store**: 4 processes each record evaluations one by one (each committed as recorded) into
  one store; evaluations/s committed, PostgreSQL (target >= 2,000/s) next to SQLite.
* **scaling**: ``ray.cluster_utils.Cluster`` with a head and two worker nodes; a simulator that
  waits ``WAIT_MS`` per design (a stand-in for a slow external simulator); the same sweep with
  1 and with 4 trials at a time (placed by ``resources_per_trial``); target >= 80 % of 4x.
  The sweeps share one Ray job (``ray.init`` once, as a notebook or a long sweep does), so
  Ray's worker processes start and import archgym once, in a warm-up sweep, and the figure is
  the steady state of a sweep with many trials. A cold sweep (a Ray job of its own, as each
  ``archgym sweep`` command is) pays that start-up once per worker: printed beside it.
* **faults**: rows lost or duplicated (target 0 each) after each fault.

``benchmarks/bench_experiments.py`` runs this too, after its one-machine figures.

Usage:
    .venv/bin/python benchmarks/bench_cluster.py [--full]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from archgym.experiments.executors import SweepProgress, run_sweep
from archgym.experiments.spec import spec_from_dict
from archgym.store import Store
from archgym.testing.postgres import PostgresServer

ROOT = Path(__file__).resolve().parents[1]
WAIT_MS = 50


def _writer(location: str, worker: int, n: int, start) -> None:
    with Store(location) as store:
        run = store.create_run(env_id="bench/W-v0", agent=f"w{worker}", seed=worker, budget=n)
        start.wait()
        for step in range(n):
            store.record(
                run,
                step=step,
                design={"x": step, "y": "a"},
                metrics={"cost_au": step / 7},
                reward=-step / 7,
                feasible=True,
                sim_seconds=0.001,
            )
        store.finish_run(run)


def store_rate(location: str, writers: int, n: int) -> float:
    """Evaluations/s committed by ``writers`` processes recording ``n`` evaluations each."""
    Store(location).close()
    ctx = mp.get_context("fork")
    start = ctx.Event()
    procs = [ctx.Process(target=_writer, args=(location, w, n, start)) for w in range(writers)]
    for p in procs:
        p.start()
    time.sleep(1.0)  # every writer connected and waiting
    t0 = time.perf_counter()
    start.set()
    for p in procs:
        p.join()
    seconds = time.perf_counter() - t0
    with Store(location) as store:
        count = len(store.to_dataframe())
    assert count == writers * n, f"{count} rows, expected {writers * n}"
    return count / seconds


def rows_check(location: str, spec) -> tuple[int, int]:
    """(rows lost, rows duplicated) against one finished run of ``budget`` evaluations per trial."""
    with Store(location) as store:
        runs = store.runs()
        df = store.to_dataframe()
    finished = runs[runs["status"] == "finished"]
    keys = {t.key for t in spec.trials()}
    per_trial = finished.groupby("trial_key")["id"].count()
    duplicated = int(df.duplicated(["run_id", "step"]).sum()) + int((per_trial - 1).clip(0).sum())
    present = df[df["run_id"].isin(finished["id"]) & (df["source"] == "simulator")]
    lost = len(keys) * spec.budget - len(present) + int(len(keys - set(finished["trial_key"])))
    return max(lost, 0), duplicated


def cluster_spec(store: str, address: str, budget: int, resources: dict, seeds: int = 4):
    return spec_from_dict(
        {
            "budget": budget,
            "seeds": seeds,
            "store": store,
            "executor": "ray",
            "address": address,
            "envs": [
                {
                    "id": "archgym/Synthetic-v0",
                    "kwargs": {"simulator_kwargs": {"delay_s": WAIT_MS / 1000}},
                }
            ],
            "agents": ["random", "walk"],
            "resources_per_trial": resources,
        }
    )


def cli_sweep(spec_file: Path, **popen) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "archgym.cli", "sweep", str(spec_file)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **popen,
    )


def local_spec_file(tmp: Path, store: str, name: str) -> Path:
    path = tmp / f"{name}.yaml"
    path.write_text(
        f"budget: 60\nseeds: 3\nstore: {store}\nexecutor: local\nworkers: 2\n"
        "envs: [{id: archgym/Synthetic-v0, kwargs: {simulator_kwargs: {delay_s: 0.005}}}]\n"
        "agents: [random, walk]\n"
    )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="more evaluations per writer and trial")
    run(parser.parse_args().full)


def run(full: bool = False) -> None:
    """Print every figure (``full``: more evaluations per writer and per trial)."""
    n = 3000 if full else 1000
    budget = 120 if full else 60
    from ray.cluster_utils import Cluster

    with PostgresServer() as server, tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        # -- the store ---------------------------------------------------------------------
        pg = store_rate(server.create_database(), 4, n)
        lite = store_rate(str(tmp / "rate.db"), 4, n)
        print(
            f"store, 4 concurrent writers, each evaluation committed: PostgreSQL {pg:,.0f} "
            f"evaluations/s (target >= 2,000: {'met' if pg >= 2000 else 'MISSED'}); "
            f"SQLite {lite:,.0f} evaluations/s"
        )
        # -- scaling on three nodes --------------------------------------------------------
        cluster = Cluster(
            initialize_head=True,
            head_node_args={"num_cpus": 2, "resources": {"slot": 2, "solo": 1}},
        )
        for _ in range(2):
            cluster.add_node(num_cpus=1, resources={"slot": 1})
        cluster.wait_for_nodes()
        import ray

        try:
            # A cold sweep: a Ray job of its own, whose workers start (and import archgym) anew.
            cold_spec = cluster_spec(
                server.create_database(), cluster.address, budget, {"cpu": 0.5, "slot": 1}
            )
            t0 = time.perf_counter()
            cold = run_sweep(cold_spec)
            cold_s = time.perf_counter() - t0
            cold_trials = sum(o.seconds for o in cold.outcomes) / 4
            # One job for the rest: the warm-up sweep starts the workers the figures reuse.
            ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
            warm = cluster_spec(
                server.create_database(), cluster.address, 5, {"cpu": 0.5, "slot": 1}
            )
            run_sweep(warm)
            times = {}
            for workers, resources in ((1, {"cpu": 0.5, "solo": 1}), (4, {"cpu": 0.5, "slot": 1})):
                spec = cluster_spec(server.create_database(), cluster.address, budget, resources)
                t0 = time.perf_counter()
                result = run_sweep(spec)
                times[workers] = time.perf_counter() - t0
                assert not result.failed, result.failed[0].error
                nodes = len({o.node for o in result.outcomes})
                evals = sum(o.new_evaluations for o in result.outcomes)
                print(
                    f"3-node cluster, {workers} trial(s) at a time: {len(result.outcomes)} trials, "
                    f"{evals} evaluations in {times[workers]:.1f} s ({evals / times[workers]:.0f}/s) "
                    f"on {nodes} node(s)"
                )
            scaling = times[1] / times[4] / 4
            print(
                f"scaling from 1 to 4 workers: {scaling:.0%} of ideal (target >= 80 %: "
                f"{'met' if scaling >= 0.8 else 'MISSED'}); reference: the 1-worker run above"
            )
            print(
                f"cold sweep (a Ray job of its own), 4 trials at a time: {cold_s:.1f} s, of which "
                f"the trials themselves {cold_trials:.1f} s per slot: {cold_s - cold_trials:.1f} s "
                f"for Ray to start 4 workers and import archgym in each, once per sweep "
                f"({cold_s - times[4]:.1f} s more than warm; {times[1] / cold_s / 4:.0%} of ideal "
                "against the warm 1-worker run)"
            )
            # -- fault: a node removed mid-sweep -------------------------------------------
            # A job of its own again: its fresh workers spread over every node, the doomed one too.
            ray.shutdown()
            doomed = cluster.add_node(num_cpus=1, resources={"slot": 1})
            cluster.wait_for_nodes()
            spec = cluster_spec(
                server.create_database(), cluster.address, budget, {"cpu": 0.5, "slot": 1}, seeds=5
            )
            removed = []

            def remove(progress: SweepProgress) -> None:
                if not removed and progress.evaluations >= budget:
                    removed.append(1)
                    cluster.remove_node(doomed, allow_graceful=False)

            result = run_sweep(spec, on_progress=remove)
            lost, dup = rows_check(str(spec.store), spec)
            print(
                f"fault, node removed mid-sweep: removed={bool(removed)}, "
                f"{sum(o.resumed for o in result.outcomes)} trial(s) resumed, {lost} rows lost, "
                f"{dup} duplicated (target 0, 0)"
            )
        finally:
            if ray.is_initialized():
                ray.shutdown()
            cluster.shutdown()
        # -- fault: parent SIGKILLed, then re-run; two sweeps at once ------------------------
        for backend, location in (
            ("SQLite", str(tmp / "kill.db")),
            ("PostgreSQL", server.create_database()),
        ):
            spec_file = local_spec_file(tmp, location, f"kill-{backend}")
            proc = cli_sweep(spec_file, start_new_session=True)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                time.sleep(0.3)
                try:
                    with Store(location) as store:
                        if len(store.to_dataframe()) >= 80:
                            break
                except Exception:  # the store is not created yet
                    continue
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            rerun = cli_sweep(spec_file)
            code = rerun.wait()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            from archgym.experiments.spec import load_spec

            lost, dup = rows_check(location, load_spec(spec_file))
            print(
                f"fault, sweep parent SIGKILLed then re-run ({backend}): re-run exit {code}, "
                f"{lost} rows lost, {dup} duplicated (target 0, 0)"
            )
        for backend, location in (
            ("SQLite", str(tmp / "two.db")),
            ("PostgreSQL", server.create_database()),
        ):
            spec_file = local_spec_file(tmp, location, f"two-{backend}")
            procs = [cli_sweep(spec_file), cli_sweep(spec_file)]
            codes = [p.wait() for p in procs]
            from archgym.experiments.spec import load_spec

            lost, dup = rows_check(location, load_spec(spec_file))
            print(
                f"fault, two sweeps of one spec at once ({backend}): exits {codes}, "
                f"{lost} rows lost, {dup} duplicated (target 0, 0)"
            )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
