"""The results store: every run and every evaluation, in SQLite (WAL) by default.

Each evaluation is committed as it is recorded, so a process killed mid-run loses at most
the evaluation in flight; several processes may write one store at once.

Example:
    >>> from archgym.store import Store
    >>> store = Store(":memory:")
    >>> run = store.create_run(env_id="archgym/Synthetic-v0", agent="random", seed=0, budget=2)
    >>> store.record(run, step=0, design={"x": 1}, metrics={"cost": 2.0}, reward=-2.0, feasible=True)
    >>> store.to_dataframe()[["run_id", "param_x", "metric_cost"]].to_dict("records")
    [{'run_id': 1, 'param_x': 1, 'metric_cost': 2.0}]
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archgym._plain import plain

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_PATH = Path("archgym-runs") / "archgym.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    env_id TEXT NOT NULL,
    env_version INTEGER,
    simulator TEXT,
    simulator_version TEXT,
    workload TEXT,
    objective TEXT,
    agent TEXT NOT NULL,
    hyperparameters TEXT NOT NULL DEFAULT '{}',
    seed INTEGER,
    budget INTEGER,
    status TEXT NOT NULL DEFAULT 'running',
    trial_key TEXT,
    env_kwargs TEXT NOT NULL DEFAULT '{}',
    archgym_version TEXT,
    started_at REAL NOT NULL,
    finished_at REAL,
    message TEXT
);
CREATE INDEX IF NOT EXISTS runs_trial_key ON runs (trial_key);
CREATE TABLE IF NOT EXISTS evaluations (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs (id),
    step INTEGER NOT NULL,
    design TEXT NOT NULL,
    metrics TEXT,
    reward REAL,
    feasible INTEGER NOT NULL,
    source TEXT NOT NULL,
    error TEXT,
    sim_seconds REAL,
    created_at REAL NOT NULL,
    UNIQUE (run_id, step)
);
"""

RUN_STATUSES = ("running", "finished", "failed", "interrupted")


class StoreError(RuntimeError):
    """The store file is unreadable or a run id does not exist."""


@dataclass(frozen=True)
class RunRecord:
    id: int
    env_id: str
    agent: str
    hyperparameters: dict[str, Any]
    seed: int | None
    budget: int | None
    status: str
    trial_key: str | None
    env_kwargs: dict[str, Any]
    workload: str | None
    objective: dict[str, Any] | None


def _json(value: Any) -> str:
    return json.dumps(value, default=plain, separators=(",", ":"), allow_nan=True)


class Store:
    """A SQLite results store. ``path=":memory:"`` for a throw-away store.

    Writes go through short transactions with a generous busy timeout, so many processes
    can share one file. Use :meth:`close` (or a ``with`` block) when done.
    """

    def __init__(self, path: str | Path | None = None, *, timeout_s: float = 120.0) -> None:
        self.path = (
            Path(path)
            if path not in (None, ":memory:")
            else (DEFAULT_PATH if path is None else None)
        )
        if self.path is not None:
            if self.path.is_dir():  # sqlite would only say "unable to open database file"
                raise StoreError(
                    f"store {str(self.path)!r} is a directory; give a file in it, e.g. {str(self.path / 'archgym.db')!r}"
                )
            self.path.parent.mkdir(parents=True, exist_ok=True)
        target = str(self.path) if self.path is not None else ":memory:"
        try:
            # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so writers queue on
            # the busy timeout instead of failing with "database is locked" at commit time.
            self._conn = sqlite3.connect(
                target, timeout=timeout_s, isolation_level=None, check_same_thread=False
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")
            self._write_script(_SCHEMA)
        except sqlite3.DatabaseError as err:
            raise StoreError(f"cannot open store {target!r}: {err}") from None

    def __repr__(self) -> str:
        return f"Store({str(self.path) if self.path else ':memory:'!r})"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._conn.close()

    def __getstate__(self) -> dict[str, Any]:
        # Processes share a store by path; each opens its own connection.
        if self.path is None:
            raise StoreError(
                "an in-memory store cannot be shared with another process; give it a path"
            )
        return {"path": str(self.path)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"])  # type: ignore[misc]

    # -- writing ---------------------------------------------------------------------------
    def _write_script(self, script: str) -> None:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            for statement in filter(str.strip, script.split(";")):
                self._conn.execute(statement)
            self._conn.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    def _write(self, sql: str, params: Sequence[Any], many: bool = False) -> int:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            cur = self._conn.executemany(sql, params) if many else self._conn.execute(sql, params)
            self._conn.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise
        return int(cur.lastrowid or 0)

    def _rollback(self) -> None:
        # BEGIN is inside the try: a Ctrl-C that lands just after BEGIN returns must still end the
        # transaction, or the connection keeps the write lock and cannot record the run's status.
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def create_run(
        self,
        *,
        env_id: str,
        agent: str,
        seed: int | None = None,
        budget: int | None = None,
        hyperparameters: Mapping[str, Any] | None = None,
        env_version: int | None = None,
        simulator: str | None = None,
        simulator_version: str | None = None,
        workload: str | None = None,
        objective: Mapping[str, Any] | None = None,
        trial_key: str | None = None,
        env_kwargs: Mapping[str, Any] | None = None,
    ) -> int:
        """Start a run and return its id."""
        from archgym import __version__

        return self._write(
            "INSERT INTO runs (env_id, env_version, simulator, simulator_version, workload, objective, agent,"
            " hyperparameters, seed, budget, status, trial_key, env_kwargs, archgym_version, started_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)",
            (
                env_id,
                env_version,
                simulator,
                simulator_version,
                workload,
                _json(objective) if objective is not None else None,
                agent,
                _json(dict(hyperparameters or {})),
                seed,
                budget,
                trial_key,
                _json(dict(env_kwargs or {})),
                __version__,
                time.time(),
            ),
        )

    def record(
        self,
        run_id: int,
        *,
        step: int,
        design: Mapping[str, Any],
        metrics: Mapping[str, float] | None,
        reward: float | None,
        feasible: bool,
        source: str = "simulator",
        error: str | None = None,
        sim_seconds: float | None = None,
    ) -> None:
        """Record (and commit) one evaluation."""
        self.record_many(
            run_id,
            [
                dict(
                    step=step,
                    design=design,
                    metrics=metrics,
                    reward=reward,
                    feasible=feasible,
                    source=source,
                    error=error,
                    sim_seconds=sim_seconds,
                )
            ],
        )

    def record_many(self, run_id: int, rows: Sequence[Mapping[str, Any]]) -> None:
        """Record several evaluations in one transaction."""
        now = time.time()
        self._write(
            "INSERT INTO evaluations (run_id, step, design, metrics, reward, feasible, source, error,"
            " sim_seconds, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    run_id,
                    int(r["step"]),
                    _json(dict(r["design"])),
                    _json(dict(r["metrics"])) if r.get("metrics") is not None else None,
                    None
                    if r.get("reward") is None or not math.isfinite(r["reward"])
                    else float(r["reward"]),
                    int(bool(r["feasible"])),
                    r.get("source", "simulator"),
                    r.get("error"),
                    r.get("sim_seconds"),
                    now,
                )
                for r in rows
            ],
            many=True,
        )

    def finish_run(self, run_id: int, status: str = "finished", message: str | None = None) -> None:
        if status not in RUN_STATUSES:
            raise ValueError(f"run status {status!r} is not one of {RUN_STATUSES}")
        self._write(
            "UPDATE runs SET status = ?, finished_at = ?, message = ? WHERE id = ?",
            (status, time.time(), message, run_id),
        )

    def reopen_run(self, run_id: int) -> None:
        self._write(
            "UPDATE runs SET status = 'running', finished_at = NULL WHERE id = ?", (run_id,)
        )

    # -- reading ---------------------------------------------------------------------------
    def run(self, run_id: int) -> RunRecord:
        row = self._conn.execute(
            "SELECT id, env_id, agent, hyperparameters, seed, budget, status, trial_key, env_kwargs, workload,"
            " objective FROM runs WHERE id = ?",
            (run_id,),
        ).fetchone()
        if row is None:
            known = [
                r[0] for r in self._conn.execute("SELECT id FROM runs ORDER BY id DESC LIMIT 10")
            ]
            raise StoreError(f"no run {run_id} in {self!r}; most recent run ids are {known}")
        return RunRecord(
            row[0],
            row[1],
            row[2],
            json.loads(row[3]),
            row[4],
            row[5],
            row[6],
            row[7],
            json.loads(row[8]),
            row[9],
            json.loads(row[10]) if row[10] else None,
        )

    def find_runs(self, trial_key: str) -> list[RunRecord]:
        ids = [
            r[0]
            for r in self._conn.execute(
                "SELECT id FROM runs WHERE trial_key = ? ORDER BY id", (trial_key,)
            )
        ]
        return [self.run(i) for i in ids]

    def count_evaluations(self, run_id: int, source: str | None = None) -> int:
        if source is None:
            return self._conn.execute(
                "SELECT COUNT(*) FROM evaluations WHERE run_id = ?", (run_id,)
            ).fetchone()[0]
        return self._conn.execute(
            "SELECT COUNT(*) FROM evaluations WHERE run_id = ? AND source = ?", (run_id, source)
        ).fetchone()[0]

    def evaluations(self, run_id: int) -> list[dict[str, Any]]:
        """The evaluations of one run in step order, as dicts."""
        cur = self._conn.execute(
            "SELECT step, design, metrics, reward, feasible, source, error, sim_seconds FROM evaluations"
            " WHERE run_id = ? ORDER BY step",
            (run_id,),
        )
        return [
            dict(
                step=s,
                design=json.loads(d),
                metrics=json.loads(m) if m else None,
                reward=r if r is not None else float("nan"),
                feasible=bool(f),
                source=src,
                error=e,
                sim_seconds=t,
            )
            for s, d, m, r, f, src, e, t in cur
        ]

    def runs(self) -> pd.DataFrame:
        """One row per run."""
        import pandas as pd  # here, not at the top: import archgym should not pay for pandas

        with closing(self._conn.cursor()) as cur:
            cur.execute("SELECT * FROM runs ORDER BY id")
            cols = [c[0] for c in cur.description]
            df = pd.DataFrame(cur.fetchall(), columns=cols)
        counts = dict(
            self._conn.execute(
                "SELECT run_id, COUNT(*) FROM evaluations GROUP BY run_id"
            ).fetchall()
        )
        df["evaluations"] = df["id"].map(counts).fillna(0).astype(int)
        return df

    def to_dataframe(
        self,
        run_ids: Iterable[int] | None = None,
        *,
        env_id: str | None = None,
        agent: str | None = None,
    ) -> pd.DataFrame:
        """One row per evaluation, with run columns, ``param_*`` and ``metric_*`` columns."""
        import pandas as pd  # see runs

        where: list[str] = []
        params: list[Any] = []
        if run_ids is not None:
            ids = list(run_ids)
            where.append(f"e.run_id IN ({','.join('?' * len(ids))})" if ids else "0")
            params.extend(ids)
        if env_id is not None:
            where.append("r.env_id = ?")
            params.append(env_id)
        if agent is not None:
            where.append("r.agent = ?")
            params.append(agent)
        sql = (
            "SELECT e.run_id, r.env_id, r.agent, r.seed, r.hyperparameters, r.workload, e.step, e.design,"
            " e.metrics, e.reward, e.feasible, e.source, e.error, e.sim_seconds, e.created_at"
            " FROM evaluations e JOIN runs r ON r.id = e.run_id"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY e.run_id, e.step"
        rows = self._conn.execute(sql, params).fetchall()
        base_cols = [
            "run_id",
            "env_id",
            "agent",
            "seed",
            "hyperparameters",
            "workload",
            "step",
            "design",
            "metrics",
            "reward",
            "feasible",
            "source",
            "error",
            "sim_seconds",
            "created_at",
        ]
        df = pd.DataFrame(rows, columns=base_cols)
        designs = [json.loads(r[7]) for r in rows]
        metrics = [json.loads(r[8]) if r[8] else {} for r in rows]
        params_df = pd.DataFrame(designs, index=df.index).add_prefix("param_")
        metrics_df = pd.DataFrame(metrics, index=df.index).add_prefix("metric_")
        df = df.drop(columns=["design", "metrics"])
        df["feasible"] = df["feasible"].astype(bool)
        df["reward"] = df["reward"].astype(float)
        return pd.concat([df, params_df, metrics_df], axis=1)

    def export(self, path: str | Path, fmt: str | None = None, **filters: Any) -> Path:
        """Write :meth:`to_dataframe` to Parquet or CSV (format from ``fmt`` or the suffix)."""
        path = Path(path)
        fmt = (fmt or path.suffix.lstrip(".")).lower()
        df = self.to_dataframe(**filters)
        if fmt == "parquet":
            df.to_parquet(path, index=False)
        elif fmt == "csv":
            df.to_csv(path, index=False)
        else:
            raise ValueError(f"export format {fmt!r} is not supported; use 'parquet' or 'csv'")
        return path
