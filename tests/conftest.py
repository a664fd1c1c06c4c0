"""Shared fixtures: each test gets its own working directory so default stores never collide;
``store_location`` runs a test on both store backends (a SQLite file and a database on a
PostgreSQL server of the test session's own)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server for this test session (skipped only when none can be had)."""
    pytest.importorskip(
        "psycopg", reason="PostgreSQL stores need psycopg: pip install 'archgym[postgres]'"
    )
    from archgym.testing.postgres import PostgresServer, PostgresUnavailable

    try:
        server = PostgresServer().start()
    except PostgresUnavailable as err:
        pytest.skip(f"PostgreSQL tests skipped: {err}")
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """The URL of a fresh, empty database on the session's PostgreSQL server."""
    return postgres_server.create_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request, tmp_path) -> str:
    """A new store's location on each backend: a SQLite path, then a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    return request.getfixturevalue("postgres_url")
