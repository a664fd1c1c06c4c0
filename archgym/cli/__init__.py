"""The ``archgym`` command line: one Typer app with every command, added here explicitly.

Each command lives in a module of this package (``run``, ``experiments``, ``bench``,
``proxy``, ``roofline``) as a plain function; the library's subpackages never import this one. Every
command is added through :func:`archgym.cli._common.guarded`, the one error boundary: any
error is one line, ``error: ...``, with exit status 2 (``--debug`` adds the traceback), and
every command takes ``--module/-m MODULE`` to import a module that registers envs first. Commands
import their heavy dependencies (pandas analysis, torch, matplotlib) when they run, so
``archgym --help`` stays quick.

Examples:
    archgym --help
    archgym run --env archgym/Synthetic-v0 --agent random --budget 100 --seed 0
    archgym run -m mylab.envs --env mylab/Square-v0 --budget 50
    python -m archgym.cli envs
"""

from __future__ import annotations

import typer

from archgym.cli import bench, experiments, proxy, roofline, run
from archgym.cli._common import console, guarded

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="archgym: machine-learning-assisted hardware design-space exploration.",
)

for command in (
    run.envs,
    run.agents,
    run.describe,
    run.check,
    run.run,
    run.export,
    experiments.compare,
    experiments.sweep,
    experiments.report,
    roofline.roofline,
):
    app.command(name=command.__name__)(guarded(command))
app.add_typer(proxy.proxy_app, name="proxy")
app.add_typer(bench.bench_app, name="bench")


def main() -> None:
    """Run the command line (what the ``archgym`` console script does)."""
    app()


__all__ = ["app", "console", "main"]
