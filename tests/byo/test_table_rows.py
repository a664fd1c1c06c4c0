"""A table's rows as the design space: a generated 10^4-row, 24-column table searched by every agent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import archgym
from archgym.agents import agent_class, list_agents, make_agent
from archgym.indicators import adrs_contest, pareto_front
from archgym.simulators.table import TableSimulator
from archgym.simulators.table.synthetic import (
    CORE_CATEGORICAL,
    CORE_METRICS,
    CORE_PARAMS,
    core_table,
)
from archgym.space import DesignSpace, Integer, InvalidDesignError, PowerOfTwo, RowSpace

UNITS = {"time_ms": "ms", "energy_mj": "mJ"}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return core_table(rows=10_000, seed=0)


@pytest.fixture(scope="module")
def sim(table: pd.DataFrame) -> TableSimulator:
    return TableSimulator(
        table,
        metrics=CORE_METRICS,
        params=list(CORE_PARAMS),
        space="rows",
        categorical=CORE_CATEGORICAL,
        units=UNITS,
        name="core",
    )


def objective(table: pd.DataFrame) -> archgym.Pareto:
    scales = {m: float(table[m].median()) for m in CORE_METRICS}
    return archgym.Pareto(list(CORE_METRICS), scales=scales)


def brute_nearest(space: RowSpace, idx: np.ndarray) -> float:
    """Distance from ``idx`` to its nearest row, by scanning every row."""
    return float(np.linalg.norm(space.points(space.rows) - space.points(idx[None]), axis=1).min())


def test_the_space_is_the_tables_rows(sim: TableSimulator, table: pd.DataFrame) -> None:
    space = sim.design_space()
    assert isinstance(space, RowSpace) and space.size == 10_000 and len(space) == 24
    assert sim._space.size > 1e15  # the product of the columns, of which the table holds 1e-11
    assert [type(space[c]).__name__ for c in CORE_CATEGORICAL] == ["Categorical"] * 3
    assert [m.unit for m in sim.metrics] == ["ms", "mJ"]
    # Row k is the table's row k, and looking it up gives the table's numbers.
    for k in (0, 1234, 9999):
        design = space.decode(space.flat_to_indices(k))
        assert design == {c: table[c].iloc[k] for c in CORE_PARAMS}
        assert sim.evaluate(design) == pytest.approx(table.loc[k, list(CORE_METRICS)].to_dict())
    drawn = space.sample_indices(np.random.default_rng(0), 500)
    assert all(space.row_of(r) is not None for r in drawn)
    assert len({r.tobytes() for r in drawn}) == 500  # distinct rows
    assert len(list(space.enumerate())) == 10_000


def test_any_vector_decodes_to_its_nearest_row(sim: TableSimulator) -> None:
    space = sim.design_space()
    rng = np.random.default_rng(1)
    for idx in DesignSpace(space.params).sample_indices(rng, 20):
        row = space.project(idx)
        assert space.row_of(row) is not None
        gap = float(np.linalg.norm(space.points(row[None]) - space.points(idx[None])))
        assert gap == pytest.approx(brute_nearest(space, idx))
        assert space.decode(idx) == space.decode(row)
    # Exclusion skips the rows it rejects: the nearest *other* row to a row.
    here = space.flat_to_indices(7)
    other = space.project(here, exclude=lambda r: bool((r == here).all()))
    assert space.row_of(other) not in (None, 7)
    near = space.neighbors(space.decode(here))
    assert len(near) == 48 and space.decode(other) == near[0]
    dist = [
        np.linalg.norm(space.points(space.encode(d)[None]) - space.points(here[None])) for d in near
    ]
    assert dist == sorted(dist) and dist[0] > 0


def test_a_design_that_is_not_a_row_is_refused_naming_the_nearest(sim: TableSimulator) -> None:
    space = sim.design_space()
    design = space.decode(space.flat_to_indices(0))
    absent = {**design, "rob_entries": 32 if design["rob_entries"] != 32 else 64}
    with pytest.raises(
        InvalidDesignError,
        match=r"is not one of the 10000 rows of this space; the nearest row is \{",
    ):
        space.validate(absent)
    env = archgym.DesignEnv(sim, objective=archgym.Minimize("time_ms"))
    with pytest.raises(InvalidDesignError, match="not one of the 10000 rows"):
        env.evaluate([absent])
    assert env.evaluator.counts.get("simulator", 0) == 0  # nothing spent on it


BLACK_BOX = [a for a in list_agents() if not agent_class(a).drives_env]
RL = ["ppo", "a2c", "dqn", "sac", "td3", "marl", "marl-shared"]


def _run(
    agent: archgym.agents.Agent,
    sim: TableSimulator,
    table: pd.DataFrame,
    budget: int,
    seed: int = 0,
):
    env = archgym.DesignEnv(sim, objective=objective(table))
    try:
        return archgym.run(agent, env, budget=budget, seed=seed)
    except ImportError as err:
        pytest.skip(f"agent {agent.name!r} needs an optional dependency: {err}")


def _no_budget_lost(result: archgym.RunResult, sim: TableSimulator, budget: int) -> None:
    assert result.counts["simulator"] == budget, result.counts
    assert all(e.error is None and e.feasible for e in result.evaluations)
    space = sim.design_space()
    assert all(space.row_of(space.encode(e.design)) is not None for e in result.evaluations)


@pytest.mark.parametrize(
    "name",
    # Optuna's GP sampler takes minutes per fit over 24 mixed dimensions on a shared machine.
    [pytest.param(a, marks=pytest.mark.slow) if a == "optuna-gp" else a for a in BLACK_BOX],
)
def test_every_black_box_agent_spends_its_budget_on_rows(
    name: str, sim: TableSimulator, table: pd.DataFrame
) -> None:
    budget = 12 if name in ("bo", "optuna-gp") else 40  # GP refits are slow; the point is validity
    _no_budget_lost(_run(make_agent(name), sim, table, budget), sim, budget)


@pytest.mark.parametrize("name", [*RL, "dqn-flat"])
def test_rl_agents_act_on_rows_through_index_and_features(
    name: str, sim: TableSimulator, table: pd.DataFrame
) -> None:
    pytest.importorskip("torch")
    small = {"hidden": 16, "n_steps": 8}
    agent = {
        "ppo": lambda: make_agent("ppo", hidden=16, n_steps=8, batch_size=8),
        "a2c": lambda: make_agent("a2c", hidden=16, n_steps=8),
        "dqn": lambda: make_agent("dqn", hidden=16, learning_starts=8),  # edits one column
        "dqn-flat": lambda: make_agent(
            "dqn", hidden=16, learning_starts=8, max_flat_actions=10_000
        ),
        "sac": lambda: make_agent("sac", hidden=16, learning_starts=8, batch_size=8),
        "td3": lambda: make_agent("td3", hidden=16, learning_starts=8, batch_size=8),
        "marl": lambda: make_agent("marl", group_size=6, **small),
        "marl-shared": lambda: make_agent("marl-shared", **small),
    }[name]()
    result = _run(agent, sim, table, budget=24)
    assert result.status == "finished"
    _no_budget_lost(result, sim, 24)


def test_best_agent_beats_uniform_rows_on_contest_adrs(
    sim: TableSimulator, table: pd.DataFrame
) -> None:
    """At 50 designs, the best of archgym's fast agents has a lower median contest ADRS than
    uniform sampling of 50 distinct rows (the ``random`` agent on a row space), over 10 seeds."""
    values = table[list(CORE_METRICS)].to_numpy()
    front, bounds = pareto_front(values), (values.min(0), values.max(0))

    def median_adrs(name: str) -> float:
        scores = []
        for seed in range(10):
            result = _run(make_agent(name), sim, table, budget=50, seed=seed)
            found = np.array([[e.metrics[m] for m in CORE_METRICS] for e in result.evaluations])
            scores.append(adrs_contest(front, found, bounds=bounds))
        return float(np.median(scores))

    uniform = median_adrs("random")
    best = min(median_adrs(a) for a in ("ga", "aco", "walk"))
    assert best < uniform


def test_categorical_codes_units_and_their_errors(table: pd.DataFrame) -> None:
    small = table.head(200)
    keys = dict(metrics=CORE_METRICS, params=list(CORE_PARAMS))
    inferred = TableSimulator(small, **keys).design_space()
    assert type(inferred["predictor"]).__name__ == "Integer"  # codes look ordered unless declared
    with pytest.raises(
        ValueError, match=r"categorical=\['l3_kb'\]: 'l3_kb' is not a parameter column"
    ):
        TableSimulator(small, **keys, categorical=["l3_kb"])
    with pytest.raises(
        ValueError, match="units names 'power_w', which is not a metric; metrics are"
    ):
        TableSimulator(small, **keys, units={"power_w": "W"})
    with pytest.raises(
        ValueError, match="a given space already says which parameters are categorical"
    ):
        TableSimulator(small, metrics=CORE_METRICS, space=inferred, categorical=["predictor"])
    with pytest.raises(ValueError, match="space='row'; legal values are 'rows'"):
        TableSimulator(small, **keys, space="row")


def test_rows_per_workload_and_without_empty_metrics(table: pd.DataFrame) -> None:
    rows = table.head(300).copy()
    rows["suite"] = np.where(np.arange(300) < 100, "spec", "parsec")
    rows.loc[5, "time_ms"] = np.nan
    sim = TableSimulator(
        rows, metrics=CORE_METRICS, params=list(CORE_PARAMS), workload_column="suite", space="rows"
    )
    assert sim.design_space("spec").size == 99  # row 5 lacks a metric: not a design
    assert sim.design_space("parsec").size == 200
    assert sim.design_space() is sim.design_space("spec")


def test_row_space_construction_errors_and_round_trip() -> None:
    params = [Integer("cores", 1, 4), PowerOfTwo("kb", 8, 64)]
    with pytest.raises(
        ValueError, match=r"one column per parameter \['cores', 'kb'\]; got shape \(2, 3\)"
    ):
        RowSpace(params, [[0, 0, 0], [1, 1, 1]])
    with pytest.raises(
        ValueError, match="row 1: index 4 of parameter 'kb' is out of range; legal indices are 0..3"
    ):
        RowSpace(params, [[0, 0], [1, 4]])
    with pytest.raises(
        ValueError, match=r"rows 0 and 2 are the same design \{'cores': 1, 'kb': 8\}"
    ):
        RowSpace(params, [[0, 0], [1, 1], [0, 0]])
    with pytest.raises(ValueError, match="integer value indices"):
        RowSpace(params, [[0.5, 0]])
    space = RowSpace.from_designs(params, [{"cores": 2, "kb": 16}, {"cores": 4, "kb": 64}])
    again = DesignSpace.from_dict(space.to_dict())
    assert isinstance(again, RowSpace) and again == space and again != DesignSpace(params)
    with pytest.raises(InvalidDesignError, match="flat index|row 2 is out of range"):
        space.flat_to_indices(2)
    # A single row has no neighbours; projecting with everything excluded gives the nearest.
    one = RowSpace(params, [[1, 1]])
    assert one.neighbors({"cores": 2, "kb": 16}) == []
    assert one.project([0, 0], exclude=lambda r: True).tolist() == [1, 1]
