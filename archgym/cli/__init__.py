"""The ``archgym`` command line: one Typer app with every command, added here explicitly.

Each command lives in a module of this package (``run``, ``experiments``, ``bench``,
``proxy``, ``roofline``) as a plain function; the library's subpackages never import this one. Commands
import their heavy dependencies (pandas analysis, torch, matplotlib) when they run, so
``archgym --help`` stays quick.

Examples:
    archgym --help
    archgym run --env archgym/Synthetic-v0 --agent random --budget 100 --seed 0
    python -m archgym.cli envs
"""

from __future__ import annotations

import typer

from archgym.cli import bench, experiments, proxy, roofline, run
from archgym.cli._common import console

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
    app.command()(command)
app.add_typer(proxy.proxy_app, name="proxy")
app.add_typer(bench.bench_app, name="bench")


def main() -> None:
    """Run the command line (what the ``archgym`` console script does)."""
    app()


__all__ = ["app", "console", "main"]
