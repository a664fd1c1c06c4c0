"""``archgym store``: move runs between stores (a SQLite file and a PostgreSQL database).

Examples:
    archgym store copy archgym-runs/archgym.db postgresql://me:pw@db:5432/archgym
    archgym store copy postgresql://me:pw@db:5432/archgym local.db --run-id 3 --run-id 4
"""

from __future__ import annotations

from typing import Annotated

import typer

from archgym.cli._common import console, guarded, open_store

store_app = typer.Typer(
    no_args_is_help=True, help="Store maintenance: copy runs between SQLite and PostgreSQL."
)


@store_app.command()
@guarded
def copy(
    source: Annotated[str, typer.Argument(metavar="SRC", help="store to read (path or URL)")],
    target: Annotated[
        str, typer.Argument(metavar="DST", help="store to write (path or URL; created if new)")
    ],
    run_id: Annotated[
        list[int] | None, typer.Option(help="copy only this run (repeatable; default: all)")
    ] = None,
) -> None:
    """Copy runs and their evaluations from SRC to DST; runs already in DST are not copied twice."""
    from archgym.store import Store, copy_runs

    with open_store(source) as src, Store(target) as dst:
        before = len(dst.runs())
        mapping = copy_runs(src, dst, run_id)
        added = len(dst.runs()) - before
    console.print(
        f"{len(mapping)} runs from {src!r} are in {dst!r}: {added} copied, "
        f"{len(mapping) - added} were there already"
    )
