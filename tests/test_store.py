from __future__ import annotations

import multiprocessing as mp

import pandas as pd
import pytest

from archgym.store import Store, StoreError


def _writer(path: str, worker: int, n: int) -> None:
    store = Store(path)
    run = store.create_run(env_id="t/T-v0", agent=f"w{worker}", seed=worker, budget=n)
    for step in range(n):
        store.record(
            run,
            step=step,
            design={"x": step},
            metrics={"cost_au": float(step)},
            reward=-step,
            feasible=True,
        )
    store.finish_run(run)


def test_many_processes_write_one_store_without_losing_rows(tmp_path):
    path = str(tmp_path / "shared.db")
    Store(path).close()
    ctx = mp.get_context(
        "fork"
    )  # the writer lives in this test module, which spawn could not import
    procs = [ctx.Process(target=_writer, args=(path, w, 150)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    store = Store(path)
    runs = store.runs()
    assert sorted(runs["agent"]) == ["w0", "w1", "w2", "w3"]
    assert (runs["status"] == "finished").all() and (runs["evaluations"] == 150).all()
    df = store.to_dataframe()
    assert len(df) == 600 and not df.duplicated(["run_id", "step"]).any()


def test_dataframe_columns_and_exports(tmp_path):
    store = Store(tmp_path / "s.db")
    run = store.create_run(
        env_id="t/T-v0", agent="random", seed=3, budget=2, hyperparameters={"a": 1}
    )
    store.record(
        run,
        step=0,
        design={"policy": "open", "banks": 8},
        metrics={"latency_ns": 12.5},
        reward=-12.5,
        feasible=True,
        sim_seconds=0.001,
    )
    store.record(
        run,
        step=1,
        design={"policy": "closed", "banks": 4},
        metrics=None,
        reward=float("-inf"),
        feasible=False,
        error="crashed",
    )
    df = store.to_dataframe()
    assert list(df["param_policy"]) == ["open", "closed"]
    assert df["metric_latency_ns"].iloc[0] == 12.5 and pd.isna(df["metric_latency_ns"].iloc[1])
    assert df["error"].iloc[1] == "crashed" and df["feasible"].tolist() == [True, False]
    pq = store.export(tmp_path / "out.parquet")
    csv = store.export(tmp_path / "out.csv")
    assert pd.read_parquet(pq).shape == df.shape
    assert pd.read_csv(csv)["param_banks"].tolist() == [8, 4]
    with pytest.raises(ValueError, match="export format 'xlsx'"):
        store.export(tmp_path / "out.xlsx")
    assert len(store.to_dataframe(agent="nobody")) == 0


def test_unknown_run_and_corrupt_file_are_clear(tmp_path):
    store = Store(tmp_path / "s.db")
    with pytest.raises(StoreError, match="no run 99"):
        store.run(99)
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open store"):
        Store(bad)
