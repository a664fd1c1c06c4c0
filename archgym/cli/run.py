"""``archgym envs``, ``agents``, ``describe``, ``check``, ``run`` and ``export``.

Examples:
    archgym envs
    archgym describe archgym/Synthetic-v0
    archgym check archgym/Synthetic-v0
    archgym run --env archgym/Synthetic-v0 --agent random --budget 100 --seed 0
    archgym run --resume 3 --store archgym-runs/archgym.db
    archgym export --store archgym-runs/archgym.db --format parquet --out runs.parquet
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from archgym._procs import sigterm_interrupts
from archgym.cli._common import (
    DEFAULT_STORE,
    STORE_HELP,
    console,
    exit_code,
    fail,
    open_store,
    parse_assignments,
    print_result,
    run_progress,
)


def envs() -> None:
    """List the registered environments."""
    import archgym
    from archgym.registry import spec

    table = Table("env id", "simulator", "description")
    for env_id in archgym.list_envs():
        s = spec(env_id)
        sim = (
            s.simulator
            if isinstance(s.simulator, str)
            else getattr(s.simulator, "__name__", str(s.simulator))
        )
        table.add_row(env_id, sim, s.description)
    console.print(table)


def agents() -> None:
    """List the search agents and their hyperparameters."""
    from archgym.agents import agent_class, list_agents

    table = Table("agent", "class", "hyperparameters (default, range)")
    for name in list_agents():
        try:
            cls = agent_class(name)
        except ImportError as err:
            table.add_row(name, "[red]unavailable[/red]", str(err))
            continue
        hps = ", ".join(
            f"{h.name}={h.default!r}"
            + (
                f" {list(h.choices)}"
                if h.choices
                else f" [{h.low}, {h.high}]"
                if h.low is not None
                else ""
            )
            for h in cls.hyperparameters().values()
        )
        table.add_row(name, cls.__name__, hps)
    console.print(table)


def describe(
    env_id: str, workload: Annotated[str | None, typer.Option(help="workload name or path")] = None
) -> None:
    """Show an environment's design space, metrics and objective."""
    import archgym

    env = archgym.make(env_id, **({"workload": workload} if workload else {}))
    console.print(
        f"[bold]{env_id}[/bold]  simulator {env.simulator.name} v{env.simulator.version}, "
        f"workload {env.simulator.workload_id(env.workload)}"
    )
    console.print(f"objective: {env.objective.to_dict()}")
    space = Table("parameter", "kind", "values")
    for p in env.space.params:
        space.add_row(p.name, p.kind, p.legal())
    console.print(space)
    console.print(f"design space size: {env.space.size:,}")
    metrics = Table("metric", "unit", "direction", "description")
    for m in env.simulator.metrics:
        metrics.add_row(m.name, m.unit, m.direction, m.description)
    console.print(metrics)
    if env.simulator.workloads():
        console.print(f"built-in workloads: {', '.join(env.simulator.workloads())}")


def check(env_id: str) -> None:
    """Run Gymnasium's, SB3's and PettingZoo's checkers plus encoding and determinism checks."""
    from archgym.testing import ConformanceError, check_env

    try:
        check_env(env_id)
    except (ConformanceError, AssertionError) as err:
        console.print(f"[red]FAIL[/red] {env_id}: {err}")
        raise typer.Exit(1) from None
    console.print(f"[green]OK[/green] {env_id} passes every check")


def run(
    env: Annotated[str | None, typer.Option(help="environment id, e.g. archgym/DRAM-v0")] = None,
    agent: Annotated[str, typer.Option(help="agent name (see `archgym agents`)")] = "random",
    budget: Annotated[int, typer.Option(min=1, help="simulator evaluations")] = 100,
    seed: Annotated[int, typer.Option(min=0, max=2**32 - 1, help="random seed")] = 0,
    store: Annotated[str, typer.Option(help=STORE_HELP)] = str(DEFAULT_STORE),
    workload: Annotated[str | None, typer.Option(help="workload name or path")] = None,
    hp: Annotated[
        list[str] | None, typer.Option(help="agent hyperparameter NAME=VALUE (repeatable)")
    ] = None,
    env_arg: Annotated[
        list[str] | None, typer.Option("--env-arg", help="env keyword NAME=VALUE (repeatable)")
    ] = None,
    resume: Annotated[
        int | None, typer.Option(help="continue the run with this id to its budget")
    ] = None,
) -> None:
    """Run one agent on one environment and print the best design."""
    import archgym
    from archgym.agents import make_agent

    db = archgym.Store(store)
    if resume is not None:
        record = db.run(resume)
        env, agent = record.env_id, record.agent
        hyper = record.hyperparameters
        kwargs = {
            k: v for k, v in record.env_kwargs.items() if v is not None and k != "simulator_kwargs"
        }
        if record.env_kwargs.get("simulator_kwargs"):
            kwargs["simulator_kwargs"] = record.env_kwargs["simulator_kwargs"]
        budget = record.budget or budget
    else:
        if env is None:
            raise typer.BadParameter("--env is required (or --resume RUN_ID)")
        hyper = parse_assignments(hp, "--hp")
        kwargs = parse_assignments(env_arg, "--env-arg")
        if workload is not None:
            kwargs["workload"] = workload
    try:
        the_agent = make_agent(agent, **hyper)
        the_env = archgym.make(env, **kwargs)
    except (KeyError, ValueError) as err:
        fail(err.args[0] if isinstance(err, KeyError) else err)
    best: list[float] = []
    try:
        with sigterm_interrupts(), run_progress() as progress:
            task = progress.add_task(f"{agent} on {env}", total=budget, best="")
            done = the_env.evaluator.counts

            def tick(ev: archgym.Evaluation) -> None:
                if ev.feasible or not best:
                    best.append(max(best[-1], ev.reward) if best else ev.reward)
                progress.update(
                    task, completed=done["simulator"], best=f"best reward {best[-1]:.4g}"
                )

            result = archgym.run(
                the_agent,
                the_env,
                budget=budget,
                seed=seed,
                store=db,
                resume=resume,
                on_evaluation=tick,
            )
    except KeyboardInterrupt as stop:
        run_id = the_env.evaluator.run_id
        if run_id is None:
            raise typer.Exit(exit_code(stop)) from None
        the_env.evaluator.flush()
        console.print(
            f"[yellow]interrupted[/yellow]: run {run_id} keeps its "
            f"{db.count_evaluations(run_id)} evaluations; "
            f"`archgym run --resume {run_id} --store {store}` finishes it"
        )
        raise typer.Exit(exit_code(stop)) from None
    print_result(result)


def export(
    store: Annotated[str, typer.Option(help=STORE_HELP)] = str(DEFAULT_STORE),
    format: Annotated[str, typer.Option("--format", help="parquet or csv")] = "parquet",
    out: Annotated[
        Path | None, typer.Option(help="output file (default: next to the store)")
    ] = None,
    env: Annotated[str | None, typer.Option(help="only this env id")] = None,
    agent: Annotated[str | None, typer.Option(help="only this agent")] = None,
) -> None:
    """Export every evaluation in a store as one table (param_* and metric_* columns)."""
    if format not in ("parquet", "csv"):
        raise typer.BadParameter(f"--format {format!r}: use parquet or csv")
    from archgym.store import is_url

    if out is None and is_url(store):
        raise typer.BadParameter("--out is required when --store is a database URL")
    db = open_store(store)
    path = db.export(out or Path(store).with_suffix(f".{format}"), format, env_id=env, agent=agent)
    console.print(f"wrote {path}")
