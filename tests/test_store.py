from __future__ import annotations

import multiprocessing as mp
import sqlite3
import time

import pandas as pd
import pytest

from archgym import _sql
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


def test_many_processes_write_one_store_without_losing_rows(store_location):
    path = store_location
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


def test_dataframe_columns_and_exports(tmp_path, store_location):
    store = Store(store_location)
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


def test_unknown_run_is_clear(store_location):
    store = Store(store_location)
    with pytest.raises(StoreError, match="no run 99"):
        store.run(99)


def test_corrupt_file_and_unreachable_server_are_clear(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open store"):
        Store(bad)
    pytest.importorskip("psycopg")
    with pytest.raises(
        StoreError, match=r"cannot open store 'postgresql://u:\*\*\*@127.0.0.1:1/x'"
    ):
        Store("postgresql://u:secret@127.0.0.1:1/x")


def _fill(store: Store) -> None:
    run = store.create_run(
        env_id="t/T-v0",
        agent="ga",
        seed=1,
        budget=3,
        trial_key="k1",
        hyperparameters={"p": 0.5},
        objective={"type": "minimize"},
    )
    store.record_many(
        run,
        [
            dict(
                step=i,
                design={"x": i, "c": "a"},
                metrics={"cost_au": i / 3},
                reward=-i / 3,
                feasible=i != 1,
                sim_seconds=0.01,
            )
            for i in range(3)
        ],
    )
    store.finish_run(run, "finished", "done")
    other = store.create_run(env_id="t/U-v0", agent="random", seed=2, budget=5)
    store.record(
        other,
        step=0,
        design={"y": 1.5},
        metrics=None,
        reward=float("nan"),
        feasible=False,
        error="boom",
        source="failed",
    )


def test_both_backends_give_the_same_tables(tmp_path, postgres_url):
    sqlite, pg = Store(tmp_path / "a.db"), Store(postgres_url)
    _fill(sqlite)
    _fill(pg)
    volatile = ["started_at", "finished_at"]
    a = sqlite.to_dataframe().drop(columns="created_at")
    b = pg.to_dataframe().drop(columns="created_at")
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(
        sqlite.runs().drop(columns=volatile), pg.runs().drop(columns=volatile)
    )
    assert sqlite.run(1) == pg.run(1) and sqlite.evaluations(1) == pg.evaluations(1)
    assert pg.find_runs("k1")[0].hyperparameters == {"p": 0.5}
    assert pg.count_evaluations(1, "simulator") == 3 and pg.count_evaluations(2) == 1


def test_schema_version_is_stamped(store_location):
    with Store(store_location) as store:
        assert store.schema_version == _sql.SCHEMA_VERSION
        assert store.claims() == {}


def test_a_store_from_before_versions_is_migrated_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:  # the layout archgym wrote before schema versions
        db.executescript(_sql.SqliteDialect.script(_sql.MIGRATIONS[1]))
        db.execute("INSERT INTO runs (env_id, agent, started_at) VALUES ('t/T-v0', 'old', 1.0)")
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 0
    with Store(path) as store:
        assert store.schema_version == _sql.SCHEMA_VERSION
        assert store.run(1).agent == "old"
        assert store.claim_trial("k", "s").acquired


def test_a_newer_schema_is_refused_and_left_alone(tmp_path, postgres_url):
    path = tmp_path / "new.db"
    Store(path).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(
        StoreError, match=r"schema version 99, written by a newer archgym.*upgrade archgym"
    ):
        Store(path)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 99
    Store(postgres_url).close()
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("UPDATE archgym_schema SET version = 99")
    with pytest.raises(StoreError, match="schema version 99"):
        Store(postgres_url)


def _claimer(location: str, sweep: str, key: str, out, start=None, hold=None) -> None:
    with Store(location) as store:
        if start is not None:
            start.wait(30)
        out.put((sweep, store.claim_trial(key, sweep).acquired))
        if hold is not None:  # stay alive (a live holder) until the test has every answer
            hold.wait(30)


def test_a_trial_is_claimed_by_exactly_one_of_many_processes(store_location):
    Store(store_location).close()
    ctx = mp.get_context("fork")
    out, start, hold = ctx.Queue(), ctx.Event(), ctx.Event()
    procs = [
        ctx.Process(target=_claimer, args=(store_location, f"s{i}", "trial", out, start, hold))
        for i in range(6)
    ]
    for p in procs:
        p.start()
    start.set()  # all at once
    answers = [out.get(timeout=60) for _ in procs]
    hold.set()
    for p in procs:
        p.join(60)
    assert sum(acquired for _, acquired in answers) == 1


def test_a_claim_whose_holder_died_is_taken_over(store_location):
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    proc = ctx.Process(target=_claimer, args=(store_location, "dead", "t", out))
    proc.start()
    proc.join(60)
    assert out.get(timeout=5) == ("dead", True)
    with Store(store_location) as store:
        assert store.claims()["t"]["pid"] == proc.pid
        claim = store.claim_trial("t", "alive")
        assert claim.acquired and claim.taken_over_from == "dead"
        # a live holder keeps it, until its heartbeats stop for longer than the stale limit
        assert store.claim_trial("t", "third") == _sql_claim(False, "alive")
        assert store.heartbeat("t", "alive")
        time.sleep(0.05)
        claim = store.claim_trial("t", "third", stale_after_s=0.01)
        assert claim.acquired and claim.taken_over_from == "alive"
        assert not store.heartbeat("t", "alive")
        store.release_trial("t", "third")
        assert store.claims() == {}


def _sql_claim(acquired: bool, sweep: str):
    from archgym.store import Claim

    return Claim(acquired, sweep)


def test_a_store_url_is_not_a_path(postgres_url, tmp_path):
    with Store(postgres_url) as store:
        assert store.path is None and store.location == postgres_url
        assert store.backend == "postgresql"
    assert list(tmp_path.iterdir()) == []  # nothing was created on disk (the cwd is tmp_path)
