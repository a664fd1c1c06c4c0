"""The results store's two SQL backends: SQLite (embedded, the default) and PostgreSQL.

:class:`archgym.store.Store` writes one SQL text for both; a :class:`Dialect` connects, rewrites
placeholders, opens write transactions and keeps the schema version (SQLite's ``PRAGMA
user_version``; a one-row ``archgym_schema`` table in PostgreSQL).

Why psycopg 3 directly and not SQLAlchemy Core: the store is two dozen hand-written statements
that differ between the backends only in the placeholder, the id and float column types, how a
write transaction starts and where the schema version lives. A small class covers that, and
each evaluation is one short autocommitted statement (one network round trip), where a Core
layer would add statement compilation and pooling per evaluation without portability we use.

Example:
    >>> d = dialect_for(":memory:")
    >>> d.name, d.sql("SELECT ? + ?")
    ('sqlite', 'SELECT ? + ?')
    >>> PostgresDialect.sql("SELECT ? + ?")
    'SELECT %s + %s'
    >>> redact("postgresql://me:secret@db:5432/runs")
    'postgresql://me:***@db:5432/runs'
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from archgym._optional import import_optional

#: The store layout this archgym writes. 1: runs and evaluations (stores made before versions
#: were kept read as 1); 2: adds ``claims``, the trials that sweeps are running.
SCHEMA_VERSION = 2

URL_SCHEMES = ("postgresql://", "postgres://")

# {id} and {real} differ by backend: PostgreSQL's REAL is 4 bytes, too coarse for timestamps.
_RUNS_AND_EVALUATIONS = """
CREATE TABLE IF NOT EXISTS runs (
    id {id},
    env_id TEXT NOT NULL,
    env_version INTEGER,
    simulator TEXT,
    simulator_version TEXT,
    workload TEXT,
    objective TEXT,
    agent TEXT NOT NULL,
    hyperparameters TEXT NOT NULL DEFAULT '{{}}',
    seed BIGINT,
    budget BIGINT,
    status TEXT NOT NULL DEFAULT 'running',
    trial_key TEXT,
    env_kwargs TEXT NOT NULL DEFAULT '{{}}',
    archgym_version TEXT,
    started_at {real} NOT NULL,
    finished_at {real},
    message TEXT
);
CREATE INDEX IF NOT EXISTS runs_trial_key ON runs (trial_key);
CREATE TABLE IF NOT EXISTS evaluations (
    id {id},
    run_id INTEGER NOT NULL REFERENCES runs (id),
    step INTEGER NOT NULL,
    design TEXT NOT NULL,
    metrics TEXT,
    reward {real},
    feasible INTEGER NOT NULL,
    source TEXT NOT NULL,
    error TEXT,
    sim_seconds {real},
    created_at {real} NOT NULL,
    UNIQUE (run_id, step)
);
"""

_CLAIMS = """
CREATE TABLE IF NOT EXISTS claims (
    trial_key TEXT PRIMARY KEY,
    sweep TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    claimed_at {real} NOT NULL,
    heartbeat_at {real} NOT NULL
);
"""

#: version -> the script that brings a store of the version before it up to it.
MIGRATIONS = {1: _RUNS_AND_EVALUATIONS, 2: _CLAIMS}


def is_url(location: str | Path | None) -> bool:
    """Whether a store location is a database URL (not a SQLite path)."""
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


def redact(location: str) -> str:
    """A URL with its password replaced by ``***`` (for messages and ``repr``)."""
    if not is_url(location):
        return location
    parts = urlsplit(location)
    if parts.password is None:
        return location
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class SqliteDialect:
    """SQLite in WAL mode: many processes on one machine share a file; writers queue on a lock."""

    name = "sqlite"
    errors: tuple[type[Exception], ...] = (sqlite3.DatabaseError,)
    integrity_errors: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)
    for_update = ""

    @staticmethod
    def connect(target: str, timeout_s: float) -> Any:
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so writers queue on the busy
        # timeout instead of failing with "database is locked" at commit time.
        conn = sqlite3.connect(
            target, timeout=timeout_s, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")
        return conn

    @staticmethod
    def sql(text: str) -> str:
        return text

    @staticmethod
    def script(template: str) -> str:
        return template.format(id="INTEGER PRIMARY KEY AUTOINCREMENT", real="REAL")

    @staticmethod
    @contextmanager
    def transaction(conn: Any) -> Iterator[None]:
        # BEGIN is inside the try: a Ctrl-C that lands just after BEGIN returns must still end the
        # transaction, or the connection keeps the write lock and cannot record the run's status.
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    @staticmethod
    def executemany(conn: Any, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        conn.executemany(sql, rows)

    @staticmethod
    def has_tables(conn: Any) -> bool:
        row = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='runs'")
        return row.fetchone() is not None

    @staticmethod
    def schema_version(conn: Any) -> int:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])

    @staticmethod
    def set_schema_version(conn: Any, version: int) -> None:
        conn.execute(f"PRAGMA user_version = {int(version)}")

    @staticmethod
    def lock_schema(conn: Any) -> None:
        """Nothing to do: BEGIN IMMEDIATE already holds the database's one write lock."""


class PostgresDialect:
    """PostgreSQL through psycopg 3: many processes on many machines write one database."""

    name = "postgresql"
    for_update = " FOR UPDATE"

    def __init__(self) -> None:
        psycopg = import_optional("psycopg", extra="postgres", purpose="a postgresql:// store")
        self.errors: tuple[type[Exception], ...] = (psycopg.Error,)
        self.integrity_errors: tuple[type[Exception], ...] = (psycopg.IntegrityError,)
        self._psycopg = psycopg

    def connect(self, target: str, timeout_s: float) -> Any:
        # autocommit: a single-statement write (one evaluation) commits in one round trip;
        # multi-statement writes open an explicit transaction.
        return self._psycopg.connect(
            target, autocommit=True, connect_timeout=max(1, int(min(timeout_s, 30)))
        )

    @staticmethod
    def sql(text: str) -> str:
        # The store's SQL has no literal '?' or '%', so the rewrite is exact.
        return text.replace("?", "%s")

    @staticmethod
    def script(template: str) -> str:
        return template.format(
            id="BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", real="DOUBLE PRECISION"
        )

    @staticmethod
    @contextmanager
    def transaction(conn: Any) -> Iterator[None]:
        with conn.transaction():
            yield

    @staticmethod
    def executemany(conn: Any, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with conn.cursor() as cur:
            cur.executemany(sql, rows)

    @staticmethod
    def has_tables(conn: Any) -> bool:
        return conn.execute("SELECT to_regclass('runs')").fetchone()[0] is not None

    @staticmethod
    def schema_version(conn: Any) -> int:
        if conn.execute("SELECT to_regclass('archgym_schema')").fetchone()[0] is None:
            return 0
        row = conn.execute("SELECT version FROM archgym_schema").fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def set_schema_version(conn: Any, version: int) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS archgym_schema (version INTEGER NOT NULL)")
        conn.execute("DELETE FROM archgym_schema")
        conn.execute("INSERT INTO archgym_schema (version) VALUES (%s)", (int(version),))

    @staticmethod
    def lock_schema(conn: Any) -> None:
        # Two processes creating the tables of a fresh database at once would collide in
        # PostgreSQL's catalog; a transaction-scoped advisory lock makes them take turns.
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (0x61726367,))


Dialect = SqliteDialect | PostgresDialect


def dialect_for(location: str) -> Dialect:
    """The dialect of a store location: a ``postgresql://`` URL or a SQLite path."""
    return PostgresDialect() if is_url(location) else SqliteDialect()
