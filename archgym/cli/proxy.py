"""``archgym proxy ...``: train, evaluate and select proxy cost models from the command line.

Examples:
    archgym proxy train --store runs.db --env archgym/DRAM-v0 --model auto --out models/dram
    archgym proxy eval models/dram --store new-runs.db --plots models/dram/plots
    archgym proxy select --store runs.db --env archgym/DRAM-v0 --candidates rf,et,lgbm

A trained model drops into the other commands as a cost model:
    archgym run --env archgym/DRAM-v0 --proxy models/dram
    archgym run --env archgym/DRAM-v0 --proxy models/dram --hybrid-threshold 0.3
    archgym compare --env archgym/DRAM-v0 --proxy models/dram
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Column, Table

from archgym.cli._common import (
    DEFAULT_STORE,
    STORE_HELP,
    console,
    fail,
    guarded,
    open_store,
    split_list,
)

if TYPE_CHECKING:
    from rich.progress import Progress

#: The ``archgym proxy`` group; ``archgym.cli`` adds it to the main app.
proxy_app = typer.Typer(no_args_is_help=True, help="Proxy cost models: train, evaluate, select.")

StoreOption = Annotated[str, typer.Option(help=STORE_HELP)]
AgentOption = Annotated[
    list[str] | None, typer.Option("--agent", help="only runs of this agent (repeatable)")
]
RunOption = Annotated[list[int] | None, typer.Option("--run-id", help="only this run (repeatable)")]
MetricOption = Annotated[
    list[str] | None, typer.Option("--metric", help="only this metric (repeatable)")
]


def fit_progress() -> Progress:
    """The bar of ``archgym proxy train``: model fits done of those planned, and the current one."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[fit]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4g}"
    return str(value)


def _metric_column(names: Iterable[str]) -> Column:
    """A metric column that never truncates a name (narrow terminals shrink the score columns instead)."""
    return Column("metric", no_wrap=True, min_width=max([len("metric"), *(len(n) for n in names)]))


def scores_table(
    title: str, by_metric: dict[str, dict[str, float]], kinds: dict[str, str]
) -> Table:
    """Per-metric scores as a rich table."""
    from archgym.proxy_models.evaluation import SCORE_LABELS, SCORE_NAMES

    table = Table(
        _metric_column(by_metric), "model", *(SCORE_LABELS[k] for k in SCORE_NAMES), title=title
    )
    for metric, s in by_metric.items():
        table.add_row(
            metric, kinds.get(metric, ""), *(_fmt(s.get(k, float("nan"))) for k in SCORE_NAMES)
        )
    return table


def selection_table(rows: Sequence[dict[str, Any]], best: dict[str, str]) -> Table:
    """Cross-validation scores per (model, metric); the chosen model per metric is starred."""
    from archgym.proxy_models.evaluation import SCORE_LABELS

    names = ("rmse", "rmse_pct_range", "mape_pct", "r2", "kendall_tau")
    halving = any("rung" in r for r in rows)
    table = Table(
        _metric_column(r["metric"] for r in rows),
        "model",
        *(["designs"] if halving else []),
        *(SCORE_LABELS[k] for k in names),
        title="model selection: 3-fold CV of the finalists, after successive halving when more than four (* = chosen)"
        if halving
        else "cross-validated model selection (* = chosen)",
    )

    def order(r: dict[str, Any]) -> tuple[Any, ...]:
        return (r["metric"], -r.get("rung", 0), r.get("rmse", math.inf))

    for r in sorted(rows, key=order):
        mark = "*" if best.get(r["metric"]) == r["kind"] else ""
        size = [str(r.get("n_fit", ""))] if halving else []
        if "skipped" in r:
            table.add_row(
                r["metric"],
                r["kind"],
                *size,
                f"skipped: {r['skipped']}",
                *[""] * (len(names) - 1),
            )
        else:
            rounds = f" ({r['n_estimators']} rounds)" if "n_estimators" in r else ""
            table.add_row(
                r["metric"], r["kind"] + mark + rounds, *size, *(_fmt(r[k]) for k in names)
            )
    return table


@proxy_app.command()
@guarded
def train(
    env: Annotated[str, typer.Option(help="environment id whose runs to learn from")],
    out: Annotated[Path, typer.Option(help="model directory to write")],
    store: StoreOption = str(DEFAULT_STORE),
    model: Annotated[str, typer.Option(help="auto, linear, rf, et, lgbm, gbm, gp or mlp")] = "auto",
    candidates: Annotated[
        str | None, typer.Option(help="comma-separated kinds that auto may pick")
    ] = None,
    folds: Annotated[int, typer.Option(min=2, help="cross-validation folds (auto with --cv)")] = 5,
    time_budget: Annotated[
        float | None,
        typer.Option(
            min=0.001, help="seconds auto may spend choosing models (the final fit comes after)"
        ),
    ] = None,
    cv: Annotated[
        bool,
        typer.Option(
            "--cv/--halving",
            help="auto by full k-fold CV of every candidate instead of successive halving",
        ),
    ] = False,
    test_fraction: Annotated[
        float, typer.Option(min=0.0, max=0.9, help="designs held out for the test scores")
    ] = 0.2,
    seed: Annotated[int, typer.Option(help="seed of the split and the models")] = 0,
    agent: AgentOption = None,
    run_id: RunOption = None,
    metric: MetricOption = None,
) -> None:
    """Fit a proxy on a store's runs of one env, score it on held-out designs, and save it.

    ``--model auto`` (the default) picks a regressor per metric by 3-fold CV of cheap fits of
    the fast kinds (linear, et, rf, lgbm: LightGBM boosting, its rounds tuned on the folds;
    gbm, gp or mlp when named in --candidates, with successive halving cutting the list to four
    first), with the simulator's derived features and monotone constraints; the intervals are
    calibrated on the same folds. ``--time-budget`` caps that search.
    """
    import time
    import warnings

    from archgym.proxy_models import ProxyDataError, ProxyModelError, fit_and_test, from_store
    from archgym.proxy_models.training import SmallDataWarning
    from archgym.registry import UnknownEnvError

    db = open_store(store)
    start = time.perf_counter()
    try:
        data = from_store(db, env, agents=agent, run_ids=run_id, metrics=metric)
        with fit_progress() as bar, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SmallDataWarning)
            task = bar.add_task(f"training on {len(data)} designs", total=None, fit="")

            def advance(done: int, total: int, label: str) -> None:
                bar.update(task, completed=done, total=total, fit=label)

            fitted, test = fit_and_test(
                data,
                model,
                test_fraction=test_fraction,
                seed=seed,
                folds=folds,
                candidates=split_list(candidates),
                strategy="cv" if cv else "halving",
                time_budget=time_budget,
                progress=advance,
            )
    except (ProxyDataError, ProxyModelError, UnknownEnvError) as err:
        fail(err)
    for w in caught:
        if issubclass(w.category, SmallDataWarning):
            console.print(f"[yellow]warning:[/yellow] {w.message}")
    if fitted.selection:
        console.print(selection_table(fitted.selection, fitted.kinds))
    if test is not None:
        console.print(
            scores_table(
                f"{env}: {len(test)} held-out designs (trained on {fitted.scores['n_train']})",
                fitted.scores["test"],
                fitted.kinds,
            )
        )
    path = fitted.save(out)
    console.print(f"wrote {path} (trained in {time.perf_counter() - start:.1f} s)")


@proxy_app.command("eval")
@guarded
def evaluate(
    model: Annotated[Path, typer.Argument(help="model directory written by `archgym proxy train`")],
    store: StoreOption = str(DEFAULT_STORE),
    plots: Annotated[
        Path | None, typer.Option(help="write parity and learning-curve PNGs here")
    ] = None,
    agent: AgentOption = None,
    run_id: RunOption = None,
    seed: Annotated[int, typer.Option(help="seed of the learning-curve subsets")] = 0,
) -> None:
    """Score a saved proxy on the designs of a store it was not trained on."""
    from archgym.proxy_models import (
        ProxyDataError,
        ProxyModelError,
        evaluate_model,
        from_store,
        load_for_env,
        parity_plot,
        refit_learning_curve,
        unseen_designs,
    )
    from archgym.proxy_models.evaluation import learning_curve_plot
    from archgym.registry import UnknownEnvError

    try:
        fitted = load_for_env(model)
        env_id = fitted.provenance["env_id"]
        data = from_store(
            open_store(store), env_id, agents=agent, run_ids=run_id, metrics=fitted.metric_names
        )
    except (ProxyDataError, ProxyModelError, UnknownEnvError) as err:
        fail(err)
    held_out = unseen_designs(fitted, data)
    if held_out is None:
        fail(
            f"every one of the {len(data)} designs in {store} was used to train {model}; "
            "evaluate on a store of other runs (e.g. other seeds)"
        )
    console.print(
        scores_table(
            f"{env_id}: {len(held_out)} designs not seen in training "
            f"({len(data) - len(held_out)} seen ones left out)",
            evaluate_model(fitted, held_out),
            fitted.kinds,
        )
    )
    if plots is not None:
        console.print(f"wrote {parity_plot(fitted, held_out, plots / 'parity.png', title=env_id)}")
        rows = refit_learning_curve(fitted, held_out, seed=seed)
        console.print(f"wrote {learning_curve_plot(rows, plots / 'learning_curve.png')}")
        table = Table(
            "training designs",
            _metric_column(r["metric"] for r in rows),
            "RMSE %range",
            "R2",
            "tau",
            title="learning curve",
        )
        for r in rows:
            table.add_row(
                str(r["n_train"]),
                r["metric"],
                _fmt(r["rmse_pct_range"]),
                _fmt(r["r2"]),
                _fmt(r["kendall_tau"]),
            )
        console.print(table)


@proxy_app.command("select")
@guarded
def select_models(
    env: Annotated[str, typer.Option(help="environment id whose runs to learn from")],
    store: StoreOption = str(DEFAULT_STORE),
    candidates: Annotated[
        str | None, typer.Option(help="comma-separated kinds (default: all)")
    ] = None,
    folds: Annotated[int, typer.Option(min=2, help="cross-validation folds")] = 5,
    seed: Annotated[int, typer.Option(help="seed of the folds and models")] = 0,
    time_budget: Annotated[
        float | None, typer.Option(min=0.001, help="seconds to spend (with --halving)")
    ] = None,
    cv: Annotated[
        bool,
        typer.Option("--cv/--halving", help="full k-fold CV of every candidate (the default here)"),
    ] = True,
    agent: AgentOption = None,
    run_id: RunOption = None,
    metric: MetricOption = None,
) -> None:
    """Cross-validate every regressor on every metric and show which is best (thorough and slow;
    `proxy train` uses the cheaper successive halving)."""
    from archgym.proxy_models import ProxyDataError, ProxyModelError, from_store, select
    from archgym.registry import UnknownEnvError

    try:
        data = from_store(open_store(store), env, agents=agent, run_ids=run_id, metrics=metric)
        result = select(
            data,
            candidates=split_list(candidates),
            folds=folds,
            seed=seed,
            strategy="cv" if cv else "halving",
            time_budget=time_budget,
        )
    except (ProxyDataError, ProxyModelError, UnknownEnvError) as err:
        fail(err)
    console.print(selection_table(result.rows, result.best))
