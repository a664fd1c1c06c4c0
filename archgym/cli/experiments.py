"""``archgym compare``, ``archgym sweep`` and ``archgym report``.

Examples:
    archgym compare --env archgym/Synthetic-v0 --agents random,walk --seeds 5 --budget 200
    archgym sweep experiments/lottery.yaml --executor ray --report report/
    archgym report archgym-runs/archgym.db --out report/
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich import box
from rich.markup import escape
from rich.table import Table

from archgym._procs import sigterm_interrupts
from archgym.cli._common import (
    DEFAULT_STORE,
    console,
    exit_code,
    fail,
    parse_assignments,
    sweep_progress,
)
from archgym.cli.run import HybridOption, ProxyOption, proxy_kwargs
from archgym.experiments import ExperimentSpec, SpecError, load_spec, spec_from_dict

ExecutorOption = Annotated[str | None, typer.Option(help="local (process pool), ray, or serial")]
WorkersOption = Annotated[
    int | None, typer.Option(min=1, help="parallel trials (default: the machine's cores)")
]
AddressOption = Annotated[
    str | None, typer.Option(help="Ray cluster address (default: start a local Ray)")
]
ReportOption = Annotated[
    Path | None, typer.Option(help="also write the report into this directory")
]

#: The comparison on a terminal: short headers, no hyperparameter column (the report has it).
TERMINAL_COLUMNS = {
    "agent": "agent",
    "settings": "configs",
    "seeds": "seeds",
    "best_median": "best",
    "best_iqr": "IQR",
    "success_rate": "success",
    "evals_to_target": "to target",
    "auc_median": "AUC",
    "regret_median": "regret",
}


def execute(
    spec: ExperimentSpec,
    *,
    executor: str | None,
    workers: int | None,
    address: str | None,
    report: Path | None,
) -> None:
    """Run a spec with a progress bar, print the comparison, optionally write the report."""
    from archgym.experiments import run_sweep

    with sigterm_interrupts(), sweep_progress() as progress:
        task = progress.add_task(escape(spec.name), total=len(spec.trials()), rate="")

        def show(p: Any) -> None:
            failed = f", [red]{p.failed} failed[/red]" if p.failed else ""
            progress.update(
                task, completed=p.done, rate=f"{p.evaluations_per_second:,.0f} evals/s{failed}"
            )

        try:
            result = run_sweep(
                spec, executor=executor, workers=workers, address=address, on_progress=show
            )
        except KeyboardInterrupt as stop:
            console.print(
                "[yellow]interrupted[/yellow]: finished trials are kept; run the same command again "
                "to skip them and resume the rest"
            )
            raise typer.Exit(exit_code(stop)) from None
    console.print(
        f"{len(result.outcomes)} trials in {result.seconds:.1f} s: {result.count('skipped')} already done, "
        f"{len(result.outcomes) - result.count('skipped') - len(result.failed)} run, "
        f"{len(result.failed)} failed  (store {spec.store})"
    )
    for outcome in result.failed:
        console.print(
            f"[red]trial {outcome.key} failed[/red]: {(outcome.error or '').splitlines()[0]}"
        )
    _print_comparison(spec)
    if report is not None:
        _write(spec.store, report, spec.targets(), spec.name)
    if result.failed:
        raise typer.Exit(1)


def _print_comparison(spec: ExperimentSpec) -> None:
    from archgym.experiments import analyze
    from archgym.experiments.report import fmt
    from archgym.store import Store

    with Store(spec.store) as store:
        analysis = analyze(store, spec.targets())
    ids = {e.id for e in spec.envs}
    for env in analysis.trials.loc[analysis.trials["env_id"].isin(ids), "env"].unique():
        df = analysis.comparison[analysis.comparison["env"] == env]
        table = Table(
            *TERMINAL_COLUMNS.values(),
            title=escape(f"{env}: median over seeds, budget {spec.budget}"),
            box=box.SIMPLE_HEAD,
            pad_edge=False,
            padding=(0, 1, 0, 0),
        )
        for row in df[list(TERMINAL_COLUMNS)].itertuples(index=False):
            # three significant digits, so the table fits an 80-column terminal
            table.add_row(*(f"{v:.3g}" if isinstance(v, float) and v == v else fmt(v) for v in row))
        console.print(table)


def _write(store_path: Path, out: Path, targets: dict[str, float], title: str) -> None:
    from archgym.experiments import write_report
    from archgym.store import Store

    with Store(store_path) as store:
        paths = write_report(store, out, targets=targets, title=title)
    console.print(f"report: {paths['report']} and {paths['summary']}")


def compare(
    env: Annotated[list[str], typer.Option(help="environment id (repeatable, or comma-separated)")],
    agents: Annotated[
        str, typer.Option(help="comma-separated agent names (see `archgym agents`)")
    ] = "random,walk",
    seeds: Annotated[int, typer.Option(min=1, help="seeds per agent: 0..N-1")] = 3,
    budget: Annotated[int, typer.Option(min=1, help="simulator evaluations per trial")] = 100,
    store: Annotated[Path, typer.Option(help="SQLite store path")] = DEFAULT_STORE,
    env_arg: Annotated[
        list[str] | None, typer.Option("--env-arg", help="env keyword NAME=VALUE (repeatable)")
    ] = None,
    proxy: ProxyOption = None,
    hybrid_threshold: HybridOption = None,
    target: Annotated[
        float | None, typer.Option(help="success threshold on reward (default: the env's)")
    ] = None,
    executor: ExecutorOption = None,
    workers: WorkersOption = None,
    address: AddressOption = None,
    report: ReportOption = None,
    save_spec: Annotated[
        Path | None, typer.Option(help="write the equivalent YAML spec here")
    ] = None,
) -> None:
    """Compare agents on environments at one budget over several seeds (default hyperparameters)."""
    env_ids = [e.strip() for item in env for e in item.split(",") if e.strip()]
    kwargs = {**parse_assignments(env_arg, "--env-arg"), **proxy_kwargs(proxy, hybrid_threshold)}
    data: dict[str, Any] = {
        "name": f"compare {', '.join(env_ids)}",
        "store": str(store),
        "budget": budget,
        "seeds": seeds,
        "envs": [
            {
                "id": e,
                **({"kwargs": kwargs} if kwargs else {}),
                **({"target": target} if target is not None else {}),
            }
            for e in env_ids
        ],
        "agents": [a.strip() for a in agents.split(",") if a.strip()],
        **({"executor": executor} if executor else {}),
        **({"workers": workers} if workers else {}),
        **({"address": address} if address else {}),
    }
    try:
        spec = spec_from_dict(data)
    except SpecError as err:
        fail(err)
    if save_spec is not None:
        save_spec.write_text(yaml.safe_dump(data, sort_keys=False))
    execute(spec, executor=executor, workers=workers, address=address, report=report)


def sweep(
    spec_path: Annotated[Path, typer.Argument(metavar="SPEC.yaml", help="experiment spec (YAML)")],
    executor: ExecutorOption = None,
    workers: WorkersOption = None,
    address: AddressOption = None,
    store: Annotated[
        Path | None, typer.Option(help="SQLite store path (overrides the spec's)")
    ] = None,
    report: ReportOption = None,
    dry_run: Annotated[
        bool, typer.Option(help="validate and list the trials; run nothing")
    ] = False,
) -> None:
    """Run an experiment spec; trials already finished in the store are skipped, interrupted ones resumed."""
    try:
        spec = load_spec(spec_path, executor=executor, store=str(store) if store else None)
    except SpecError as err:
        fail(err)
    if dry_run:
        _list_trials(spec)
        return
    execute(spec, executor=executor, workers=workers, address=address, report=report)


def _list_trials(spec: ExperimentSpec) -> None:
    """Each trial and its state in the store: done, partial (will resume) or new."""
    from archgym.experiments import trial_states

    states = trial_states(spec)
    trials = spec.trials()
    table = Table("env", "agent", "hyperparameters", "seed", "state", title=escape(spec.name))
    for t in trials:
        table.add_row(escape(t.env.id), t.agent, escape(t.config), str(t.seed), states[t.key])
    console.print(table)
    done = sum(states[t.key] == "done" for t in trials)
    console.print(f"{len(trials)} trials at budget {spec.budget}, {done} done, into {spec.store}")


def report(
    store: Annotated[Path, typer.Argument(help="SQLite store path")] = DEFAULT_STORE,
    out: Annotated[Path, typer.Option(help="output directory")] = Path("archgym-report"),
    spec: Annotated[
        Path | None, typer.Option(help="take env targets (and the title) from this spec")
    ] = None,
    target: Annotated[
        list[str] | None, typer.Option(help="success threshold ENV_ID=REWARD (repeatable)")
    ] = None,
) -> None:
    """Write PNG plots, a Markdown summary and a self-contained HTML page for the runs in a store."""
    if not store.exists():
        fail(f"store {store}: no such file")
    targets: dict[str, float] = {}
    title = "archgym comparison"
    if spec is not None:
        try:
            loaded = load_spec(spec)
        except SpecError as err:
            fail(err)
        targets, title = loaded.targets(), loaded.name
    for env_id, value in parse_assignments(target, "--target").items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            fail(f"--target {env_id}={value!r}: the threshold must be a number")
        targets[env_id] = float(value)
    _write(store, out, targets, title)
