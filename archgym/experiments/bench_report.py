"""The ``archgym bench report``: tables, performance profiles and a self-contained HTML page.

Example:
    >>> from archgym.experiments.bench_report import write_bench_report
    >>> paths = write_bench_report("bench.db", "bench-report")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display needed

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from archgym.experiments.bench import (  # noqa: E402
    aggregate,
    collect,
    performance_profiles,
    regret_table,
    separated,
    task_separation,
)
from archgym.experiments.report import _img, _page, _save, html_table, markdown_table  # noqa: E402
from archgym.tasks import get  # noqa: E402

NOTES = (
    "Normalised regret: (reference reward - best reward) / (reference reward - median random design's "
    "reward), so 0 is the reference optimum and 1 a typical random design; on multi-objective tasks it is "
    "the hypervolume regret 1 - HV(found)/HV(reference front). IQM: mean of the middle 50 % of every "
    "task's runs pooled, with a 95 % stratified-bootstrap interval (tasks are the strata; "
    "scipy.stats.bootstrap, 2000 resamples, percentile). 'evals to 1 %': median simulator evaluations "
    "to come within 1 % of the reference (hypervolume regret <= 1 % on multi-objective tasks), among runs "
    "that did."
)


def bench_tables(store: str | Path) -> dict[str, pd.DataFrame]:
    """Every table the report shows, from the bench runs in ``store``."""
    runs = collect(store)
    if runs.empty:
        raise ValueError(
            f"store {str(store)!r} holds no finished bench runs; run `archgym bench run --store {store}` first"
        )
    summary = aggregate(runs)
    tasks = sorted(runs["task"].unique())
    references = pd.DataFrame([get(t).summary() for t in tasks])
    return {
        "runs": runs,
        "regret": regret_table(runs),
        "iqm": summary,
        "separated": separated(summary),
        "task_separation": task_separation(runs),
        "profiles": performance_profiles(runs),
        "references": references,
    }


def plot_profiles(profiles: pd.DataFrame, path: Path) -> Path:
    """Performance profiles: share of runs with normalised regret <= tau, one panel per budget."""
    budgets = sorted(profiles["budget"].unique())
    fig, axes = plt.subplots(1, len(budgets), figsize=(4.2 * len(budgets), 3.4), squeeze=False)
    for ax, budget in zip(axes[0], budgets, strict=True):
        for agent, g in profiles[profiles["budget"] == budget].groupby("agent"):
            ax.plot(g["tau"], g["fraction"], label=str(agent))
        ax.set_title(f"budget {budget}")
        ax.set_xlabel("normalised regret tau")
        ax.set_xscale("symlog", linthresh=0.01)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("fraction of runs with regret <= tau")
    axes[0][-1].legend(fontsize=7)
    return _save(fig, path)


def plot_iqm(summary: pd.DataFrame, path: Path) -> Path:
    """IQM of normalised regret with its 95 % interval, per agent, one panel per budget."""
    budgets = sorted(summary["budget"].unique())
    fig, axes = plt.subplots(
        1,
        len(budgets),
        figsize=(4.2 * len(budgets), 0.4 * summary["agent"].nunique() + 1.5),
        squeeze=False,
    )
    for ax, budget in zip(axes[0], budgets, strict=True):
        g = summary[summary["budget"] == budget].sort_values("IQM norm. regret", ascending=False)
        y = range(len(g))
        ax.errorbar(
            g["IQM norm. regret"],
            list(y),
            xerr=[g["IQM norm. regret"] - g["CI low"], g["CI high"] - g["IQM norm. regret"]],
            fmt="o",
            capsize=3,
        )
        ax.set_yticks(list(y), list(g["agent"]))
        ax.set_title(f"budget {budget}")
        ax.set_xlabel("IQM normalised regret (lower is better)")
        ax.grid(alpha=0.3)
    return _save(fig, path)


def write_bench_report(store: str | Path, out: str | Path) -> dict[str, Path]:
    """Write ``report.html`` (self-contained), ``summary.md`` and CSVs of every table into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tables = bench_tables(store)
    paths: dict[str, Path] = {}
    for name, df in tables.items():
        paths[name] = out / f"{name}.csv"
        df.to_csv(paths[name], index=False)
    images = {
        "IQM of normalised regret, 95 % stratified-bootstrap CI": plot_iqm(
            tables["iqm"], out / "iqm.png"
        ),
        "Performance profiles": plot_profiles(tables["profiles"], out / "profiles.png"),
    }
    shown = [
        ("Tasks and references", tables["references"]),
        ("IQM of normalised regret across tasks", tables["iqm"]),
        ("Agent pairs whose IQM intervals are disjoint", tables["separated"]),
        ("Regret per task, budget and agent (median over seeds)", tables["regret"]),
        (
            "Agents separating on each task (disjoint 95 % CIs of the median)",
            tables["task_separation"],
        ),
    ]
    sections = [f"<h2>{html.escape(title)}</h2>\n{html_table(df)}" for title, df in shown]
    sections.append("<h2>Figures</h2>\n" + "\n".join(_img(n, p) for n, p in images.items()))
    source = f"store {Path(store)}; written {dt.datetime.now().isoformat(timespec='seconds')}"
    paths["html"] = out / "report.html"
    paths["html"].write_text(_page("archgym bench report", source, NOTES, sections))
    paths["markdown"] = out / "summary.md"
    paths["markdown"].write_text(
        "# archgym bench report\n\n"
        + NOTES
        + "\n\n"
        + "\n\n".join(f"## {title}\n\n{markdown_table(df)}" for title, df in shown)
        + "\n"
    )
    for name, p in images.items():
        paths[name] = p
    return paths
