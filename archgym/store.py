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

import functools
import json
import math
import os
import socket
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archgym import _sql
from archgym._plain import plain
from archgym._sql import SCHEMA_VERSION, is_url

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_PATH = Path("archgym-runs") / "archgym.db"

RUN_STATUSES = ("running", "finished", "failed", "interrupted")

__all__ = [
    "SCHEMA_VERSION",
    "Claim",
    "RunRecord",
    "Store",
    "StoreError",
    "copy_runs",
    "host_id",
    "is_url",
    "store_exists",
]

#: How often (s) a worker running a claimed trial refreshes its claim.
CLAIM_HEARTBEAT_S = 5.0
#: A claim not refreshed for this long (s) belongs to a dead holder and may be taken over.
CLAIM_STALE_S = 60.0


class StoreError(RuntimeError):
    """The store is unreadable, of a newer schema, or a run id does not exist."""


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


@dataclass(frozen=True)
class Claim:
    """The answer of :meth:`Store.claim_trial`: ``acquired`` or not, who holds the trial (a sweep
    id), and whose dead claim this one took over (``None`` if none)."""

    acquired: bool
    sweep: str
    taken_over_from: str | None = None


def store_exists(location: str | Path) -> bool:
    """Whether a store is there to read: a SQLite file that exists, or any database URL (the
    server is asked when the store is opened)."""
    return _sql.is_url(str(location)) or Path(location).exists()


def _json(value: Any) -> str:
    return json.dumps(value, default=plain, separators=(",", ":"), allow_nan=True)


@functools.cache
def host_id() -> str:
    """This machine, as claims name it: the host name and (on Linux) the boot id, so two
    containers that share a host name are still told apart."""
    boot = Path("/proc/sys/kernel/random/boot_id")
    suffix = boot.read_text().strip()[:8] if boot.exists() else ""
    return f"{socket.gethostname()}/{suffix}" if suffix else socket.gethostname()


def _holder_dead(host: str, pid: int, heartbeat_at: float, stale_after_s: float) -> bool:
    """Whether a claim's holder is gone: silent for too long, or a process of this machine
    that no longer exists."""
    if time.time() - heartbeat_at > stale_after_s:
        return True
    return host == host_id() and pid != os.getpid() and not _pid_alive(pid)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    return True


class Store:
    """A results store: a SQLite file (the default; ``":memory:"`` for a throw-away store) or
    a PostgreSQL database given by URL (``"postgresql://user:pw@host:5432/db"``).

    Both hold the same tables and behave alike. Writes are short transactions, so many
    processes share one store: on one machine for SQLite, on many for PostgreSQL (install
    ``archgym[postgres]``). Use :meth:`close` (or a ``with`` block) when done.
    """

    def __init__(self, path: str | Path | None = None, *, timeout_s: float = 120.0) -> None:
        self.url: str | None = str(path) if _sql.is_url(path) else None
        if self.url is not None:
            self.path: Path | None = None
        else:
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
        target = self.url or (str(self.path) if self.path is not None else ":memory:")
        self._dialect = _sql.dialect_for(target)
        try:
            self._conn = self._dialect.connect(target, timeout_s)
        except self._dialect.errors as err:
            raise StoreError(f"cannot open store {_sql.redact(target)!r}: {err}") from None
        try:
            self._migrate()
        except self._dialect.errors as err:
            self._conn.close()
            raise StoreError(f"cannot open store {_sql.redact(target)!r}: {err}") from None
        except StoreError:
            self._conn.close()
            raise

    @property
    def location(self) -> str:
        """What :class:`Store` takes to open this store again (a path, ``:memory:`` or a URL)."""
        return self.url or (str(self.path) if self.path is not None else ":memory:")

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._dialect.name

    def __repr__(self) -> str:
        return f"Store({_sql.redact(self.location)!r})"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._conn.close()

    def __getstate__(self) -> dict[str, Any]:
        # Processes share a store by location; each opens its own connection.
        if self.location == ":memory:":
            raise StoreError(
                "an in-memory store cannot be shared with another process; give it a path"
            )
        return {"path": self.location}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"])  # type: ignore[misc]

    # -- schema ----------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        """The layout version of this store (:data:`archgym._sql.SCHEMA_VERSION` once opened)."""
        return self._dialect.schema_version(self._conn)

    def _stored_version(self) -> int:
        version = self._dialect.schema_version(self._conn)
        # Stores written before versions were kept say 0 but hold version 1's tables.
        return 1 if version == 0 and self._dialect.has_tables(self._conn) else version

    def _migrate(self) -> None:
        """Create a new store's tables, bring an older store up to date, refuse a newer one."""
        if self._stored_version() == _sql.SCHEMA_VERSION:
            return  # the usual case: no write lock taken just to open a store
        with self._dialect.transaction(self._conn):
            self._dialect.lock_schema(self._conn)
            version = self._stored_version()  # again: another process may have migrated it
            if version > _sql.SCHEMA_VERSION:
                from archgym import __version__

                raise StoreError(
                    f"store {_sql.redact(self.location)!r} has schema version {version}, written by a "
                    f"newer archgym; archgym {__version__} reads versions up to {_sql.SCHEMA_VERSION}: "
                    "upgrade archgym (pip install -U archgym) to open it"
                )
            for step in range(version + 1, _sql.SCHEMA_VERSION + 1):
                script = self._dialect.script(_sql.MIGRATIONS[step])
                for statement in filter(str.strip, script.split(";")):
                    self._conn.execute(statement)
            self._dialect.set_schema_version(self._conn, _sql.SCHEMA_VERSION)

    # -- writing ---------------------------------------------------------------------------
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(self._dialect.sql(sql), params)

    def _write(self, sql: str, params: Sequence[Any], many: bool = False) -> Any:
        """One write, committed before it returns; the cursor of a single statement."""
        if many:
            with self._dialect.transaction(self._conn):
                self._dialect.executemany(self._conn, self._dialect.sql(sql), params)
            return None
        if self._dialect.name == "postgresql":  # autocommit: one statement is one transaction
            return self._execute(sql, params)
        with self._dialect.transaction(self._conn):
            cur = self._execute(sql, params)
            # RETURNING rows must be read before COMMIT in SQLite
            return _Fetched(cur.fetchall())

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

        cur = self._write(
            "INSERT INTO runs (env_id, env_version, simulator, simulator_version, workload, objective, agent,"
            " hyperparameters, seed, budget, status, trial_key, env_kwargs, archgym_version, started_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?) RETURNING id",
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
        return int(cur.fetchone()[0])

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
        values = [
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
        ]
        sql = (
            "INSERT INTO evaluations (run_id, step, design, metrics, reward, feasible, source, error,"
            " sim_seconds, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
        if len(values) == 1:
            self._write(sql, values[0])
        elif values:
            self._write(sql, values, many=True)

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

    # -- claims: which sweep runs which trial ----------------------------------------------
    def claim_trial(
        self, trial_key: str, sweep: str, *, stale_after_s: float = CLAIM_STALE_S
    ) -> Claim:
        """Atomically claim a trial for ``sweep`` (a sweep's id), from this process.

        The claim is acquired when no one holds the trial, when ``sweep`` itself holds it (a
        retry of its own trial, whose earlier attempt died), or when its holder is dead: its
        heartbeat is older than ``stale_after_s``, or it ran on this machine under a process id
        that no longer exists. Otherwise the answer names the sweep that holds it.

        Example:
            >>> store = Store(":memory:")
            >>> store.claim_trial("t1", "sweep-a").acquired, store.claim_trial("t1", "sweep-b")
            (True, Claim(acquired=False, sweep='sweep-a', taken_over_from=None))
        """
        now, pid, host = time.time(), os.getpid(), host_id()
        with self._dialect.transaction(self._conn):
            inserted = self._execute(
                "INSERT INTO claims (trial_key, sweep, host, pid, claimed_at, heartbeat_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (trial_key) DO NOTHING RETURNING sweep",
                (trial_key, sweep, host, pid, now, now),
            ).fetchall()
            if inserted:
                return Claim(True, sweep)
            holder, holder_host, holder_pid, beat = self._execute(
                "SELECT sweep, host, pid, heartbeat_at FROM claims WHERE trial_key = ?"
                + self._dialect.for_update,
                (trial_key,),
            ).fetchone()
            if holder != sweep and not _holder_dead(holder_host, holder_pid, beat, stale_after_s):
                return Claim(False, holder)
            self._execute(
                "UPDATE claims SET sweep = ?, host = ?, pid = ?, claimed_at = ?, heartbeat_at = ?"
                " WHERE trial_key = ?",
                (sweep, host, pid, now, now, trial_key),
            )
            return Claim(True, sweep, None if holder == sweep else holder)

    def heartbeat(self, trial_key: str, sweep: str) -> bool:
        """Refresh this process's claim on a trial; False if the claim is no longer its own."""
        cur = self._write(
            "UPDATE claims SET heartbeat_at = ? WHERE trial_key = ? AND sweep = ? AND host = ?"
            " AND pid = ? RETURNING trial_key",
            (time.time(), trial_key, sweep, host_id(), os.getpid()),
        )
        return cur.fetchone() is not None

    def release_trial(self, trial_key: str, sweep: str) -> None:
        """Give up this process's claim on a trial (done with it, finished or not)."""
        self._write(
            "DELETE FROM claims WHERE trial_key = ? AND sweep = ? AND host = ? AND pid = ?",
            (trial_key, sweep, host_id(), os.getpid()),
        )

    def live_claims(self, stale_after_s: float = CLAIM_STALE_S) -> dict[str, dict[str, Any]]:
        """:meth:`claims` whose holders are alive (see :meth:`claim_trial`)."""
        return {
            key: claim
            for key, claim in self.claims().items()
            if not _holder_dead(claim["host"], claim["pid"], claim["heartbeat_at"], stale_after_s)
        }

    def claims(self) -> dict[str, dict[str, Any]]:
        """The trials claimed now: trial key -> sweep, host, pid, claimed_at, heartbeat_at."""
        cur = self._execute(
            "SELECT trial_key, sweep, host, pid, claimed_at, heartbeat_at FROM claims"
        )
        return {
            k: dict(sweep=s, host=h, pid=p, claimed_at=c, heartbeat_at=b)
            for k, s, h, p, c, b in cur.fetchall()
        }

    # -- reading ---------------------------------------------------------------------------
    def run(self, run_id: int) -> RunRecord:
        row = self._execute(
            "SELECT id, env_id, agent, hyperparameters, seed, budget, status, trial_key, env_kwargs, workload,"
            " objective FROM runs WHERE id = ?",
            (run_id,),
        ).fetchone()
        if row is None:
            known = [r[0] for r in self._execute("SELECT id FROM runs ORDER BY id DESC LIMIT 10")]
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
            for r in self._execute(
                "SELECT id FROM runs WHERE trial_key = ? ORDER BY id", (trial_key,)
            )
        ]
        return [self.run(i) for i in ids]

    def count_evaluations(self, run_id: int, source: str | None = None) -> int:
        if source is None:
            return self._execute(
                "SELECT COUNT(*) FROM evaluations WHERE run_id = ?", (run_id,)
            ).fetchone()[0]
        return self._execute(
            "SELECT COUNT(*) FROM evaluations WHERE run_id = ? AND source = ?", (run_id, source)
        ).fetchone()[0]

    def evaluations(self, run_id: int) -> list[dict[str, Any]]:
        """The evaluations of one run in step order, as dicts."""
        cur = self._execute(
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

        cur = self._execute("SELECT * FROM runs ORDER BY id")
        cols = [c[0] for c in cur.description]
        df = pd.DataFrame(cur.fetchall(), columns=cols)
        counts = dict(
            self._execute("SELECT run_id, COUNT(*) FROM evaluations GROUP BY run_id").fetchall()
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
            where.append(f"e.run_id IN ({','.join('?' * len(ids))})" if ids else "1 = 0")
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
        rows = self._execute(sql, params).fetchall()
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


#: The columns of ``runs`` and ``evaluations`` that :func:`copy_runs` carries (all but ids).
_RUN_COLUMNS = (
    "env_id, env_version, simulator, simulator_version, workload, objective, agent, hyperparameters,"
    " seed, budget, status, trial_key, env_kwargs, archgym_version, started_at, finished_at, message"
)
_EVALUATION_COLUMNS = (
    "step, design, metrics, reward, feasible, source, error, sim_seconds, created_at"
)


def copy_runs(source: Store, target: Store, run_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Copy runs with their evaluations from one store to another (SQLite to PostgreSQL or back);
    returns source run id -> target run id. Runs already in the target (same env, agent,
    seed and start time) are not copied twice; each run is copied in one transaction.

    Example:
        >>> a, b = Store(":memory:"), Store(":memory:")
        >>> run = a.create_run(env_id="t/T-v0", agent="random", seed=0, budget=1)
        >>> a.record(run, step=0, design={"x": 1}, metrics={"c": 1.0}, reward=-1.0, feasible=True)
        >>> copy_runs(a, b), copy_runs(a, b), len(b.to_dataframe())
        ({1: 1}, {1: 1}, 1)
    """
    ids = list(run_ids) if run_ids is not None else [int(i) for i in source.runs()["id"]]
    mapping: dict[int, int] = {}
    for run_id in ids:
        source.run(run_id)  # a clear error for an unknown id
        row = source._execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
        env_id, agent, seed, started = row[0], row[6], row[8], row[14]
        found = target._execute(
            "SELECT id FROM runs WHERE env_id = ? AND agent = ? AND started_at = ?"
            + (" AND seed = ?" if seed is not None else " AND seed IS NULL"),
            (env_id, agent, started, *([seed] if seed is not None else [])),
        ).fetchone()
        if found is not None:
            mapping[run_id] = int(found[0])
            continue
        evaluations = source._execute(
            f"SELECT {_EVALUATION_COLUMNS} FROM evaluations WHERE run_id = ? ORDER BY step",
            (run_id,),
        ).fetchall()
        marks = ", ".join("?" * len(row))
        with target._dialect.transaction(target._conn):
            new_id = int(
                target._execute(
                    f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES ({marks}) RETURNING id", tuple(row)
                ).fetchone()[0]
            )
            if evaluations:
                target._dialect.executemany(
                    target._conn,
                    target._dialect.sql(
                        f"INSERT INTO evaluations (run_id, {_EVALUATION_COLUMNS})"
                        f" VALUES (?, {', '.join('?' * len(evaluations[0]))})"
                    ),
                    [(new_id, *e) for e in evaluations],
                )
        mapping[run_id] = new_id
    return mapping


class _Fetched:
    """Rows already read from a cursor (SQLite's RETURNING rows must be read before COMMIT)."""

    def __init__(self, rows: list[Any]) -> None:
        self._rows = iter(rows)

    def fetchone(self) -> Any:
        return next(self._rows, None)
