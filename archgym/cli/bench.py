"""``archgym bench list``, ``archgym bench run`` and ``archgym bench report``.

Examples:
    archgym bench list
    archgym bench run --tasks default --agents random,walk,ga --budgets 50,200,1000 --seeds 5 --store bench.db
    archgym bench report --store bench.db --out bench-report
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from archgym.cli._common import console, fail, sweep_progress
from archgym.experiments.spec import SpecError

bench_app = typer.Typer(
    no_args_is_help=True,
    help="Benchmark agents on tasks with known (or best-known) optima: list, run, report.",
)

TasksOption = Annotated[
    str,
    typer.Option(
        help="comma-separated task names, or 'default', 'archgym' (ArchGym's targets), 'all'"
    ),
]


def _table(df: Any, title: str, digits: int = 4) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD)
    for column in df.columns:
        table.add_column(escape(str(column)), overflow="fold")
    for row in df.itertuples(index=False):
        table.add_row(*(escape(f"{v:.{digits}g}" if isinstance(v, float) else str(v)) for v in row))
    return table


@bench_app.command("list")
def list_(
    tag: Annotated[
        str | None, typer.Option(help="only tasks with this tag (default, archgym)")
    ] = None,
) -> None:
    """List the tasks: env, workload, objective, reference and how it was obtained."""
    import pandas as pd

    from archgym.tasks import get, list_tasks

    rows = [get(name).summary() for name in list_tasks(tag)]
    if not rows:
        fail(f"no task has tag {tag!r}; tags are 'default' and 'archgym'")
    table = pd.DataFrame(rows)
    console.print(_table(table.drop(columns="how"), "archgym bench tasks", digits=6))
    for row in rows:
        console.print(f"[bold]{escape(row['task'])}[/bold]: {escape(row['how'])}")


@bench_app.command()
def run(
    agents: Annotated[
        str, typer.Option(help="comma-separated agent names (archgym agents lists them)")
    ],
    store: Annotated[Path, typer.Option(help="SQLite store; re-running skips finished trials")],
    tasks: TasksOption = "default",
    budgets: Annotated[
        str, typer.Option(help="comma-separated simulator-evaluation budgets")
    ] = "50,200,1000",
    seeds: Annotated[int, typer.Option(min=1, help="seeds 0..N-1 per (task, agent, budget)")] = 5,
    executor: Annotated[str, typer.Option(help="local (process pool), ray, or serial")] = "local",
    workers: Annotated[int | None, typer.Option(min=1, help="parallel trials")] = None,
) -> None:
    """Run agents on tasks at several budgets, resumably (finished trials are skipped)."""
    from archgym.experiments.bench import bench_specs
    from archgym.experiments.executors import run_sweep

    try:
        budget_list = [int(b) for b in budgets.split(",") if b.strip()]
    except ValueError:
        fail(f"--budgets must be comma-separated integers, got {budgets!r}")
    try:
        specs = bench_specs(
            tasks,
            [a.strip() for a in agents.split(",") if a.strip()],
            budget_list,
            seeds,
            store,
            executor=executor,
            workers=workers,
        )
    except SpecError as err:
        fail(err)
    failed = 0
    for spec in specs:
        with sweep_progress() as progress:
            bar = progress.add_task(f"budget {spec.budget}", total=len(spec.trials()), rate="")

            def show(p: Any, bar: Any = bar, progress: Any = progress) -> None:
                progress.update(
                    bar, completed=p.done, rate=f"{p.evaluations_per_second:,.0f} evals/s"
                )

            try:
                result = run_sweep(spec, on_progress=show)
            except KeyboardInterrupt:
                console.print("[yellow]interrupted[/yellow]: run the same command again to resume")
                raise typer.Exit(130) from None
        failed += len(result.failed)
        console.print(
            f"budget {spec.budget}: {len(result.outcomes)} trials, {result.count('skipped')} already done, "
            f"{len(result.failed)} failed ({result.seconds:.1f} s)"
        )
        for outcome in result.failed:
            console.print(
                f"[red]failed[/red] {outcome.key}: {escape(str(outcome.error).splitlines()[0])}"
            )
    console.print(f"store: {store}; next: archgym bench report --store {store} --out bench-report")
    if failed:
        raise typer.Exit(1)


@bench_app.command()
def report(
    store: Annotated[Path, typer.Option(help="the store `archgym bench run` wrote")],
    out: Annotated[
        Path, typer.Option(help="directory for report.html, summary.md and CSVs")
    ] = Path("bench-report"),
) -> None:
    """Print and write regret per task/agent/budget, evaluations to 1 %, IQM with CIs and profiles."""
    from archgym.experiments.bench_report import write_bench_report

    if not store.exists():
        fail(f"--store {store} does not exist; run `archgym bench run --store {store}` first")
    try:
        paths = write_bench_report(store, out)
    except ValueError as err:
        fail(err)
    import pandas as pd

    regret = pd.read_csv(paths["regret"])
    iqm = pd.read_csv(paths["iqm"])
    for column, title in (
        (
            "median norm. regret",
            "median normalised regret (0 = reference optimum, 1 = median random design)",
        ),
        ("evals to 1 %", "median evaluations to within 1 % of the reference (runs that got there)"),
    ):
        wide = regret.pivot_table(
            index=["task", "budget"], columns="agent", values=column, dropna=False
        )
        console.print(_table(wide.reset_index(), title, digits=3))
    console.print(
        _table(iqm, "IQM of normalised regret across tasks (95 % stratified-bootstrap CI)")
    )
    console.print(f"report: {paths['html']}")
