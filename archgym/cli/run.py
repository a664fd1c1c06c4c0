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
from typing import Annotated, Any

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
from archgym.store import store_exists


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
            + (f" ({h.help})" if h.help else "")
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


def proxy_kwargs(proxy: Path | None, hybrid_threshold: float | None) -> dict[str, Any]:
    """The env keywords of ``--proxy DIR [--hybrid-threshold X]``.

    Example:
        >>> proxy_kwargs(Path("m"), 0.3)
        {'cost_model': 'hybrid', 'proxy': {'path': 'm', 'threshold': 0.3}}
    """
    if proxy is None:
        if hybrid_threshold is not None:
            raise typer.BadParameter("--hybrid-threshold needs --proxy DIR (the model directory)")
        return {}
    if not proxy.exists():
        raise typer.BadParameter(f"--proxy {proxy}: no such model directory")
    if hybrid_threshold is None:
        return {"cost_model": "proxy", "proxy": str(proxy)}
    return {"cost_model": "hybrid", "proxy": {"path": str(proxy), "threshold": hybrid_threshold}}


ProxyOption = Annotated[
    Path | None,
    typer.Option(
        help="answer with this proxy model (from `archgym proxy train`) instead of the simulator"
    ),
]
HybridOption = Annotated[
    float | None,
    typer.Option(
        min=0.0,
        help="with --proxy: a relative error; the proxy answers a design when its calibrated 90 % "
        "interval is within +- this of its prediction (0.05 = 5 %, the default), the simulator "
        "answers the rest",
    ),
]


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
    proxy: ProxyOption = None,
    hybrid_threshold: HybridOption = None,
    resume: Annotated[
        int | None, typer.Option(help="continue the run with this id to its budget")
    ] = None,
) -> None:
    """Run one agent on one environment and print the best design."""
    import archgym
    from archgym.agents import make_agent

    if resume is not None:
        if not store_exists(store):  # opening it would create an empty store
            fail(f"--store {store}: no such file, so there is no run {resume} to resume")
        db = archgym.Store(store)
        record = db.run(resume)
        env, agent = record.env_id, record.agent
        hyper = record.hyperparameters
        kwargs = {
            k: v for k, v in record.env_kwargs.items() if v is not None and k != "simulator_kwargs"
        }
        if record.env_kwargs.get("simulator_kwargs"):
            kwargs["simulator_kwargs"] = record.env_kwargs["simulator_kwargs"]
        budget = record.budget or budget
        the_agent = make_agent(agent, **hyper)
        the_env = archgym.make(env, **kwargs)
    else:
        if env is None:
            raise typer.BadParameter("--env is required (or --resume RUN_ID)")
        hyper = parse_assignments(hp, "--hp")
        kwargs = parse_assignments(env_arg, "--env-arg")
        kwargs.update(proxy_kwargs(proxy, hybrid_threshold))
        if workload is not None:
            kwargs["workload"] = workload
        the_agent = make_agent(agent, **hyper)
        the_env = archgym.make(env, **kwargs)  # before the store: a bad env creates no file
        db = archgym.Store(store)
    best: list[float] = []
    try:
        with sigterm_interrupts(), run_progress() as progress:
            task = progress.add_task(f"{agent} on {env}", total=budget, best="")

            def tick(ev: archgym.Evaluation) -> None:
                if ev.feasible or not best:
                    best.append(max(best[-1], ev.reward) if best else ev.reward)
                progress.update(
                    task,
                    completed=the_env.evaluator.simulator_calls,
                    best=f"best reward {best[-1]:.4g}",
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
    runs = db.runs()
    for option, column, value in (("--env", "env_id", env), ("--agent", "agent", agent)):
        if value is not None and value not in set(runs[column]):
            # an empty table would look like a successful export
            fail(
                f"{option} {value}: no runs of it in {store}; "
                f"the store holds {sorted(set(runs[column])) or 'no runs'}"
            )
    target = out or Path(store).with_suffix(f".{format}")
    if not target.parent.is_dir():
        fail(f"--out {target}: the directory {target.parent} does not exist")
    path = db.export(target, format, env_id=env, agent=agent)
    console.print(f"wrote {path}")
