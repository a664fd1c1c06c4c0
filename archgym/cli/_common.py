"""What every ``archgym`` command shares: the console, the default store, option parsing,
progress bars, the result table, ``--module``/``--debug`` and the error boundary.

Every command is wrapped by :func:`guarded`: whatever it raises becomes one line,
``error: <what was wrong>``, and exit status 2 (130 on Ctrl-C); ``--debug`` adds the traceback.

Example:
    >>> parse_assignments(["budget=10", "name=x"], "--hp")
    {'budget': 10, 'name': 'x'}
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import os
import signal
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console, ConsoleDimensions
from rich.markup import escape
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

#: Width of output that goes to a pipe or a file: wide enough that no table cell is cut ("6.37…").
PIPE_WIDTH = 400


class _Console(Console):
    """A console that is wide when it does not write to a terminal, so tables in pipes stay whole."""

    @property
    def size(self) -> ConsoleDimensions:
        size = Console.size.fget(self)  # type: ignore[attr-defined]
        # COLUMNS is read now, not when the console was made: a width Rich took from the
        # environment at import would otherwise cut every table printed to a pipe later.
        if not self.is_terminal and not os.environ.get("COLUMNS"):
            return ConsoleDimensions(max(size.width, PIPE_WIDTH), size.height)
        return size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


console = _Console()
#: Errors and warnings go to stderr, so piped tables stay clean.
err_console = _Console(stderr=True)

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


def one_line(err: BaseException | object) -> str:
    """The message of an error (or any object) as one line, naming what was wrong.

    Example:
        >>> one_line(KeyError("no agent 'x'"))
        "no agent 'x'"
        >>> one_line(FileNotFoundError(2, "No such file or directory", "runs/a.db"))
        'runs/a.db: No such file or directory'
    """
    if isinstance(err, KeyError) and err.args:
        text = str(err.args[0])
    elif isinstance(err, OSError) and err.filename is not None and err.strerror:
        text = f"{err.filename}: {err.strerror}"
    else:
        text = str(err)
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return type(err).__name__ if isinstance(err, BaseException) else repr(err)
    return lines[0].strip()


def fail(message: object, code: int = 2) -> NoReturn:
    """Print ``error: message`` (one line, on stderr) and leave the command with exit status ``code``."""
    err_console.print(f"[red]error:[/red] {escape(one_line(message))}", soft_wrap=True)
    raise typer.Exit(code)


def exit_code(interrupt: KeyboardInterrupt) -> int:
    """The shell's status for a command stopped by a signal: 143 for SIGTERM, 130 for Ctrl-C."""
    return 128 + (signal.SIGTERM if isinstance(interrupt, Terminated) else signal.SIGINT)


def import_modules(names: list[str] | None) -> None:
    """Import each ``--module`` (so its ``register_env`` calls run), from the current directory too."""
    if names and os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())  # as `python -m` does, so ./mylab/envs.py is found
    for name in names or []:
        try:
            importlib.import_module(name)
        except ImportError as err:
            fail(f"--module {name}: cannot import it: {one_line(err)}")
        except Exception as err:  # the module itself is broken: say which one
            fail(f"--module {name}: importing it raised {type(err).__name__}: {one_line(err)}")


ModuleOption = Annotated[
    list[str] | None,
    typer.Option(
        "--module",
        "-m",
        help="import this module first, to register its envs/agents (repeatable)",
        show_default=False,
    ),
]
DebugOption = Annotated[bool, typer.Option("--debug", help="on an error, print the traceback too")]

#: What the error boundary turns into ``error: ...``; anything else is a bug and says so.
EXPECTED_ERRORS = (
    OSError,
    ValueError,
    KeyError,
    TypeError,
    LookupError,
    RuntimeError,
    sqlite3.Error,
)

F = TypeVar("F", bound=Callable[..., Any])


def guarded(command: F) -> F:
    """``command`` with ``--module/-m`` and ``--debug`` options, behind the CLI's error boundary.

    Example:
        >>> def hello(name: str) -> None: ...
        >>> list(inspect.signature(guarded(hello)).parameters)
        ['name', 'module', 'debug']
    """
    signature = inspect.signature(command, eval_str=True)

    @functools.wraps(command)
    def wrapper(*args: Any, module: list[str] | None = None, debug: bool = False, **kwargs: Any):
        try:
            import_modules(module)
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except KeyboardInterrupt as stop:  # Ctrl-C, or SIGTERM where a command turns it into one
            fail("interrupted; what was recorded before is kept", exit_code(stop))
        except Exception as err:
            if debug:
                err_console.print_exception()
            message = one_line(err)
            if isinstance(err, sqlite3.Error) and kwargs.get("store") is not None:
                message = f"store {kwargs['store']}: {message}"  # sqlite's messages name no file
            elif not isinstance(err, EXPECTED_ERRORS) or type(err) in (TypeError, RuntimeError):
                message = f"{type(err).__name__}: {message}"
            if not debug:
                message += (
                    "" if isinstance(err, EXPECTED_ERRORS) else " (--debug shows the traceback)"
                )
            fail(message)

    extra = [
        inspect.Parameter(
            "module", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ModuleOption
        ),
        inspect.Parameter(
            "debug", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=DebugOption
        ),
    ]
    params = [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        else p
        for p in signature.parameters.values()
    ]
    wrapper.__signature__ = signature.replace(parameters=[*params, *extra])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {
        **command.__annotations__,
        "module": ModuleOption,
        "debug": DebugOption,
    }
    return wrapper  # type: ignore[return-value]


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
