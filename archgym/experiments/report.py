"""Plots (matplotlib, Agg, PNG) and the report: a Markdown summary and a self-contained HTML page.

The HTML page embeds its images as data URIs, so it opens from disk in any browser, with no
server and no files beside it.

Example:
    >>> from archgym.store import Store
    >>> paths = write_report(Store("archgym-runs/archgym.db"), "report")  # doctest: +SKIP
    >>> sorted(p.name for p in paths.values())[:2]  # doctest: +SKIP
    ['best_so_far_archgym_Synthetic-v0.png', 'lottery_archgym_Synthetic-v0.png']
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from archgym.experiments.analysis import Analysis, analyze  # noqa: E402
from archgym.store import Store  # noqa: E402

#: Column headers for the tables in reports and on the terminal.
HEADERS = {
    "env": "env",
    "agent": "agent",
    "config": "hyperparameters",
    "seeds": "seeds",
    "best_median": "best reward (median)",
    "best_iqr": "IQR",
    "success_rate": "success",
    "evals_to_target": "evals to target",
    "auc_median": "AUC (mean best-so-far)",
    "regret_median": "regret",
    "settings": "settings tried",
    "worst": "worst setting",
    "median": "median setting",
    "best": "best setting",
    "spread": "spread",
    "hypervolume_median": "hypervolume (median)",
    "hypervolume_iqr": "IQR",
    "front_size": "front size (agent, all runs)",
}
COMPARISON_COLUMNS = [
    "agent",
    "settings",
    "seeds",
    "best_median",
    "best_iqr",
    "success_rate",
    "evals_to_target",
    "auc_median",
    "regret_median",
    "config",
]


def slug(text: str) -> str:
    """A file-name-safe form of an env name: ``archgym/DRAM-v0`` -> ``archgym_DRAM-v0``."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


def fmt(value: object) -> str:
    """Numbers to 4 significant digits, NaN as a dash."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating):
        return "–" if math.isnan(value) else f"{value:.4g}"
    return str(value)


def pretty_config(config: str) -> str:
    """A hyperparameter setting as ``name=value`` pairs.

    Example:
        >>> pretty_config('{"patience":20,"step_size":4}')
        'patience=20, step_size=4'
    """
    return ", ".join(f"{k}={v}" for k, v in json.loads(config).items()) or "(none)"


def comparison_table(analysis: Analysis, env: str) -> pd.DataFrame:
    """The tuned comparison for one env, with readable headers and values, as the report shows it."""
    table = analysis.comparison.loc[analysis.comparison["env"] == env, COMPARISON_COLUMNS].copy()
    table["success_rate"] = [v if pd.isna(v) else f"{v:.0%}" for v in table["success_rate"]]
    table["config"] = table["config"].map(pretty_config)
    return table.rename(columns=HEADERS)


def markdown_table(df: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table."""
    head = "| " + " | ".join(map(str, df.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in df.columns) + " |"
    body = [
        "| " + " | ".join(fmt(v).replace("|", "\\|") for v in row) + " |"
        for row in df.itertuples(index=False)
    ]
    return "\n".join([head, rule, *body])


def html_table(df: pd.DataFrame) -> str:
    """A table for the HTML page, in a box that scrolls sideways rather than squeezing columns."""
    table = df.to_html(
        index=False,
        border=0,
        classes="table",
        na_rep="–",
        escape=True,
        formatters={c: fmt for c in df.columns},
    )
    return f'<div class="scroll">{table}</div>'


#: Line styles cycled over agents: two agents with the same curve (GA on top of random, say)
#: stay distinguishable where they overlap, as a thin dashed line over a thicker solid one.
LINE_STYLES = ("-", "--", "-.", ":")


def plot_best_so_far(analysis: Analysis, env: str, path: Path) -> Path:
    """Median best-so-far reward vs simulator evaluations per agent (its best setting), with the
    interquartile band over seeds."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    best_config = analysis.comparison[analysis.comparison["env"] == env].set_index("agent")[
        "config"
    ]
    curves = analysis.curves[analysis.curves["env"] == env]
    for i, (agent, config) in enumerate(best_config.items()):
        c = curves[(curves["agent"] == agent) & (curves["config"] == config)]
        q = c.groupby("evaluation")["best"].quantile([0.25, 0.5, 0.75]).unstack()
        (line,) = ax.plot(
            q.index,
            q[0.5],
            drawstyle="steps-post",
            label=f"{agent} ({c['seed'].nunique()} seeds)",
            linestyle=LINE_STYLES[i % len(LINE_STYLES)],
            linewidth=max(
                1.0, 3.0 - 0.6 * i
            ),  # later lines thinner, so earlier ones show round them
            zorder=3 + i,
        )
        ax.fill_between(
            q.index, q[0.25], q[0.75], step="post", color=line.get_color(), alpha=0.2, linewidth=0
        )
    optimum = analysis.trials.loc[analysis.trials["env"] == env, "optimum"].dropna()
    if len(optimum):
        ax.axhline(
            float(optimum.iloc[0]), color="black", linestyle=":", linewidth=1, label="optimum"
        )
    ax.set_xlabel("simulator evaluations")
    ax.set_ylabel("best reward so far")
    ax.set_title(f"{env}: best so far (median, IQR band)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def plot_lottery(analysis: Analysis, env: str, path: Path) -> Path:
    """The hyperparameter lottery: per agent, a box over its settings' median best reward (each
    dot one setting), or over seeds when an agent ran one setting."""
    settings = analysis.settings[analysis.settings["env"] == env]
    trials = analysis.trials[analysis.trials["env"] == env]
    agents = sorted(settings["agent"].unique())
    data, labels = [], []
    for agent in agents:
        s = settings[settings["agent"] == agent]
        values = (
            s["best_median"] if len(s) > 1 else trials.loc[trials["agent"] == agent, "best_reward"]
        )
        data.append(values.dropna().to_numpy(float))
        labels.append(f"{agent}\n({len(s)} setting{'s' if len(s) > 1 else ''})")
    fig, ax = plt.subplots(figsize=(max(4.0, 1.3 * len(agents) + 2), 4.2))
    ax.boxplot(data, showfliers=False)
    ax.set_xticks(range(1, len(agents) + 1), labels)
    rng = np.random.default_rng(0)
    for i, values in enumerate(data, start=1):
        ax.scatter(i + rng.uniform(-0.12, 0.12, len(values)), values, s=14, alpha=0.7, zorder=3)
    ax.set_ylabel(
        "best reward\n(a dot: one setting's median over seeds,\nor one seed if the agent ran one setting)",
        fontsize=8,
    )
    ax.set_title(f"{env}\nhyperparameter lottery", fontsize=9)
    ax.grid(alpha=0.3, axis="y")
    return _save(fig, path)


def plot_pareto(analysis: Analysis, env: str, path: Path) -> Path:
    """Each agent's Pareto front (union over its runs) in the first two objectives."""
    names = analysis.front_metrics.get(env, ["objective 1", "objective 2"])
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for (front_env, agent), front in sorted(analysis.fronts.items()):
        if front_env != env or len(front) == 0:
            continue
        order = np.argsort(front[:, 0])
        ax.step(
            front[order, 0], front[order, 1], where="post", marker="o", markersize=3, label=agent
        )
    ax.set_xlabel(f"{names[0]} (minimised)")
    ax.set_ylabel(f"{names[1]} (minimised)")
    ax.set_title(f"{env}: Pareto fronts")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_report(
    store: Store,
    out: str | Path,
    *,
    targets: Mapping[str, float] | None = None,
    title: str = "archgym comparison",
) -> dict[str, Path]:
    """Write PNG plots, ``summary.md``, ``report.html``, ``trials.csv`` and ``settings.csv`` into
    ``out``; return them by name."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    analysis = analyze(store, targets)
    paths: dict[str, Path] = {}
    sections_md: list[str] = []
    sections_html: list[str] = []
    for env in sorted(analysis.trials["env"].unique()):
        s = slug(env)
        images = {
            "best so far": plot_best_so_far(analysis, env, out / f"best_so_far_{s}.png"),
            "hyperparameter lottery": plot_lottery(analysis, env, out / f"lottery_{s}.png"),
        }
        tables = {"Comparison (each agent at its best setting)": comparison_table(analysis, env)}
        lot = analysis.lottery[analysis.lottery["env"] == env]
        if (lot["settings"] > 1).any():
            tables["Hyperparameter lottery (median best reward per setting)"] = lot.drop(
                columns="env"
            ).rename(columns=HEADERS)
        pareto = analysis.pareto[analysis.pareto["env"] == env]
        if len(pareto):
            images["Pareto fronts"] = plot_pareto(analysis, env, out / f"pareto_{s}.png")
            tables["Pareto: hypervolume per setting"] = (
                pareto.drop(columns="env")
                .assign(config=pareto["config"].map(pretty_config))
                .rename(columns=HEADERS)
            )
        paths.update({p.stem: p for p in images.values()})
        n = analysis.trials[analysis.trials["env"] == env]
        intro = f"{len(n)} trials, budget {int(n['budget'].max())} simulator evaluations."
        sections_md.append(
            "\n\n".join(
                [
                    f"## {env}",
                    intro,
                    *[f"### {name}\n\n{markdown_table(t)}" for name, t in tables.items()],
                    *[f"![{name}]({p.name})" for name, p in images.items()],
                ]
            )
        )
        sections_html.append(
            "\n".join(
                [
                    f"<h2>{html.escape(env)}</h2>",
                    f"<p>{html.escape(intro)}</p>",
                    *[
                        f"<h3>{html.escape(name)}</h3>\n{html_table(t)}"
                        for name, t in tables.items()
                    ],
                    *[_img(name, p) for name, p in images.items()],
                ]
            )
        )
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    source = f"Store `{store.path or ':memory:'}`, {len(analysis.trials)} finished trials, written {when}."
    notes = (
        "Best reward is the highest reward a run reached (higher is better); IQR is over seeds. "
        "AUC is the mean best-so-far reward over the budget. Success and evaluations to target use the "
        "env's target (a given threshold, a target objective's feasibility, or the known optimum); "
        "evaluations to target is the median over the seeds that reached it. "
        "Each agent is shown at its best hyperparameter setting; the lottery table shows how much that "
        "choice matters."
    )
    empty = "No finished runs in this store yet."
    paths["summary"] = out / "summary.md"
    paths["summary"].write_text(
        "\n\n".join([f"# {title}", source, notes, *(sections_md or [empty])]) + "\n"
    )
    paths["report"] = out / "report.html"
    paths["report"].write_text(
        _page(title, source.replace("`", ""), notes, sections_html or [f"<p>{empty}</p>"])
    )
    paths["trials"] = out / "trials.csv"
    analysis.trials.to_csv(paths["trials"], index=False)
    paths["settings"] = out / "settings.csv"
    analysis.settings.to_csv(paths["settings"], index=False)
    return paths


def _img(name: str, path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return (
        f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(name)}</figcaption></figure>"
    )


def _page(title: str, source: str, notes: str, sections: list[str]) -> str:
    style = (
        "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;"
        "color:#222;line-height:1.45}"
        "h1{font-size:1.6rem}h2{margin-top:2.5rem;border-bottom:2px solid #ddd;padding-bottom:.2rem}"
        ".scroll{overflow-x:auto;margin:.5rem 0 1.5rem}"
        "table{border-collapse:collapse;font-size:.9rem;font-variant-numeric:tabular-nums}"
        "th,td{border-bottom:1px solid #ddd;padding:.35rem .7rem;text-align:right;white-space:nowrap}"
        "th{background:#f0f3f7;position:sticky;top:0}tbody tr:nth-child(even){background:#fafbfc}"
        "tbody tr:hover{background:#eef4ff}td:first-child,th:first-child{text-align:left}"
        "td:last-child,th:last-child{text-align:left}"
        "td:last-child{white-space:normal;max-width:26rem;overflow-wrap:anywhere;font-size:.85rem}"
        "figure{display:inline-block;margin:.5rem;vertical-align:top}img{max-width:100%}"
        "figcaption{text-align:center;color:#555;font-size:.85rem}.notes{color:#555}"
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{style}</style></head><body>\n<h1>{html.escape(title)}</h1>\n<p>{html.escape(source)}</p>\n"
        f'<p class="notes">{html.escape(notes)}</p>\n' + "\n".join(sections) + "\n</body></html>\n"
    )
