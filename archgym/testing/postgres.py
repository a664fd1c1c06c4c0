"""A throw-away PostgreSQL server for tests and benchmarks of PostgreSQL stores.

:class:`PostgresServer` runs the machine's own PostgreSQL binaries (Debian's ``postgresql``
package puts them in ``/usr/lib/postgresql/<version>/bin``): ``initdb`` into a temporary
directory, ``pg_ctl start`` on a free loopback port with password-less local access, and on
:meth:`~PostgresServer.stop` an immediate shutdown and removal of the directory; if the
process that started it dies first (a test run killed by SIGTERM or SIGKILL, whose finalisers
never run), a :class:`~archgym._procs.Guard` does the same. PostgreSQL
refuses to run as root, so under root the server runs as an unprivileged user (``nobody``,
or ``$ARCHGYM_PG_USER``) through ``runuser``.

pytest-postgresql does the same job but starts the server as the current user, which fails
under root (CI's user), hence this small class.

Example:
    >>> with PostgresServer() as server:  # doctest: +SKIP
    ...     url = server.create_database("runs")
    ...     Store(url).backend
    'postgresql'
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

from archgym._optional import import_optional
from archgym._procs import Guard

#: The database role the server is initialised with (trusted on the loopback interface).
ROLE = "archgym"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries here; the message says how to install them."""


def find_binaries() -> Path | None:
    """The directory of ``initdb``, ``pg_ctl`` and ``postgres``, or None if there is none."""
    on_path = shutil.which("pg_ctl")
    candidates = [Path(on_path).resolve().parent] if on_path else []
    candidates += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for directory in candidates:
        if all((directory / name).exists() for name in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One PostgreSQL server in a temporary directory, listening on 127.0.0.1 only."""

    def __init__(self, bin_dir: Path | None = None) -> None:
        found = bin_dir or find_binaries()
        if found is None:
            raise PostgresUnavailable(
                "no PostgreSQL server binaries (initdb, pg_ctl); install them, e.g. "
                "`apt-get install postgresql` on Debian"
            )
        self.bin_dir = found
        self.port = 0
        self.data: Path | None = None
        self._guard: Guard | None = None
        self._user = os.environ.get("ARCHGYM_PG_USER", "nobody") if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        """The URL of the server's ``postgres`` database."""
        return f"postgresql://{ROLE}@127.0.0.1:{self.port}/postgres"

    def _command(self, *args: str) -> list[str]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        return ["runuser", "-u", self._user, "--", *cmd] if self._user is not None else cmd

    def _stop_args(self) -> tuple[str, ...]:
        return ("pg_ctl", "-D", str(self.data) + "/db", "-m", "immediate", "-w", "stop")

    def _run(self, *args: str) -> None:
        cmd = self._command(*args)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            log = self.data / "server.log" if self.data else None
            tail = log.read_text()[-2000:] if log and log.exists() else ""
            raise RuntimeError(
                f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()}\n{tail}"
            )

    def start(self) -> PostgresServer:
        """initdb and start; returns self (its :attr:`url` is then live)."""
        self.data = Path(tempfile.mkdtemp(prefix="archgym-pg-"))
        if self._user is not None:
            shutil.chown(self.data, self._user)
        self.port = _free_port()
        # From here on, this process's death stops the server and removes its directory.
        self._guard = Guard(run=[self._command(*self._stop_args())], remove=[self.data])
        self._run(
            "initdb",
            "-D",
            str(self.data / "db"),
            "-U",
            ROLE,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",  # initdb's own files only: the server below keeps PostgreSQL's durability
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data / "db"),
            "-l",
            str(self.data / "server.log"),
            "-w",
            "-o",
            f"-p {self.port} -h 127.0.0.1 -k {self.data} -c max_connections=200",
            "start",
        )
        return self

    def stop(self) -> None:
        """Stop the server at once and delete its directory."""
        if self.data is None:
            return
        try:
            if (self.data / "db" / "postmaster.pid").exists():
                self._run(*self._stop_args())
        finally:
            shutil.rmtree(self.data, ignore_errors=True)
            self.data = None
            if self._guard is not None:
                self._guard.disarm()
                self._guard = None

    def create_database(self, name: str | None = None) -> str:
        """A new empty database (a fresh name if none is given); returns its URL."""
        psycopg = import_optional("psycopg", extra="postgres", purpose="a PostgreSQL store")
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://{ROLE}@127.0.0.1:{self.port}/{name}"

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
