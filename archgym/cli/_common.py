"""What every ``archgym`` command shares: the console, the default store, option parsing,
progress bars, the result table and the error exit.

Example:
    >>> parse_assignments(["budget=10", "name=x"], "--hp")
    {'budget': 10, 'name': 'x'}
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from archgym._procs import Terminated

if TYPE_CHECKING:
    from archgym import RunResult
    from archgym.store import Store

console = Console()

DEFAULT_STORE = Path("archgym-runs") / "archgym.db"
#: The help of every ``--store`` option.
STORE_HELP = "store: a SQLite file path or a postgresql://user:password@host:5432/db URL"


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_assignments(items: list[str] | None, what: str) -> dict[str, Any]:
    """``["a=1", "b=x"]`` -> ``{"a": 1, "b": "x"}`` (values parsed as JSON when they can be)."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{what} {item!r} must look like NAME=VALUE")
        out[key.strip()] = _parse_value(value.strip())
    return out


def split_list(text: str | None) -> list[str] | None:
    """``"rf, et,"`` -> ``["rf", "et"]``; ``None`` or ``""`` -> ``None``."""
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


def fail(message: object, code: int = 2) -> NoReturn:
    """Print ``error: message`` in red and leave the command with exit status ``code``."""
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


def exit_code(interrupt: KeyboardInterrupt) -> int:
    """The shell's status for a command stopped by a signal: 143 for SIGTERM, 130 for Ctrl-C."""
    return 128 + (signal.SIGTERM if isinstance(interrupt, Terminated) else signal.SIGINT)


def open_store(location: str | Path) -> Store:
    """The store at ``location`` (a path or a database URL), refusing (as a bad ``--store``) a
    path that does not exist."""
    from archgym.store import Store, store_exists

    if not store_exists(location):
        raise typer.BadParameter(f"--store {location}: no such file")
    return Store(location)


def run_progress() -> Progress:
    """The bar of ``archgym run``: evaluations done of the budget and the best reward so far."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[best]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


def sweep_progress() -> Progress:
    """The bar of ``archgym sweep`` and ``compare``: trials done and the evaluation rate."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("trials  {task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


def print_result(result: RunResult) -> None:
    """The best design of an :class:`archgym.RunResult` and its metrics, as a table."""
    best = result.best
    table = Table(title=f"run {result.run_id}: {result.agent} on {result.env_id} ({result.status})")
    table.add_column("", style="bold")
    table.add_column("value")
    for k, v in best.design.items():
        table.add_row(k, str(v))
    for k, v in (best.metrics or {}).items():
        table.add_row(k, f"{v:.6g}")
    table.add_row("reward", f"{best.reward:.6g}")
    table.add_row("feasible", str(best.feasible))
    counts = result.counts
    table.add_row(
        "evaluations",
        f"{counts.get('simulator', 0)} simulator, {counts.get('cache', 0)} cache, "
        f"{counts.get('proxy', 0)} proxy, {counts.get('failed', 0)} failed",
    )
    console.print(table)
