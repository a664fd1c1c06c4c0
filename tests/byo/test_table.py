"""Way in #3: a table of (parameters -> metrics) rows, from CSV or Parquet, as a simulator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from byo_support import CACHE_SPACE, PyCache, run_agent

import archgym
from archgym.agents import list_agents
from archgym.simulators.table import TableSimulator, infer_param
from archgym.testing import check_env, check_simulator

METRICS = {"miss_rate": "min", "amat_ns": "min", "area_mm2": "min"}


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    """A "published" table: the Python cache model over its space, with every 7th design missing."""
    sim = PyCache()
    designs = [d for i, d in enumerate(CACHE_SPACE.enumerate()) if i % 7 != 3]
    return pd.DataFrame([{**d, **sim.evaluate(d)} for d in designs])


@pytest.fixture(scope="module")
def absent(rows: pd.DataFrame) -> dict:
    present = {tuple(r) for r in rows[CACHE_SPACE.names].itertuples(index=False)}
    return next(d for d in CACHE_SPACE.enumerate() if tuple(d.values()) not in present)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_file_round_trip_and_inferred_space(
    rows: pd.DataFrame, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"cache{suffix}"
    rows.to_csv(path, index=False) if suffix == ".csv" else rows.to_parquet(path)
    sim = TableSimulator(path, metrics=METRICS)
    assert sim.name == "cache" and len(sim) == len(rows)
    space = sim.design_space()
    assert [type(p).__name__ for p in space.params] == [
        "PowerOfTwo",
        "PowerOfTwo",
        "PowerOfTwo",
        "Categorical",
    ]
    assert [p.values for p in space.params[:3]] == [p.values for p in CACHE_SPACE.params[:3]]
    assert sorted(space["policy"].values) == ["fifo", "lru"]
    # Every row is found, in one vectorised batch, with the table's numbers.
    answers = sim.evaluate_batch(rows[CACHE_SPACE.names].to_dict("records"))
    assert np.allclose([[a[m] for m in METRICS] for a in answers], rows[list(METRICS)].to_numpy())


def test_absent_design_is_a_failed_evaluation_naming_held_neighbours(
    rows: pd.DataFrame, absent: dict
) -> None:
    sim = TableSimulator(rows, metrics=METRICS, space=CACHE_SPACE, name="cache")
    with pytest.raises(
        archgym.EvaluationError,
        match=r"is not in table .cache. \(240 of the 280 designs.*one parameter away it holds",
    ):
        sim.evaluate(absent)
    env = archgym.DesignEnv(sim, objective=archgym.Minimize("amat_ns"))
    good = rows.iloc[0][CACHE_SPACE.names].to_dict()
    evs = env.evaluate([absent, good])
    assert evs[0].failed and not evs[0].feasible and "not in table" in evs[0].error
    assert evs[1].feasible and evs[1].metrics["amat_ns"] == pytest.approx(rows.iloc[0]["amat_ns"])


def test_batches_mix_hits_misses_and_bad_designs(rows: pd.DataFrame, absent: dict) -> None:
    sim = TableSimulator(rows, metrics=["amat_ns"], params=CACHE_SPACE.names)
    good = rows.iloc[5][CACHE_SPACE.names].to_dict()
    out = sim.evaluate_batch([good, absent, good])
    assert out[0] == out[2] == {"amat_ns": pytest.approx(rows.iloc[5]["amat_ns"])}
    assert isinstance(out[1], archgym.EvaluationError)
    with pytest.raises(archgym.InvalidDesignError, match="missing parameter 'policy'"):
        sim.evaluate({k: v for k, v in good.items() if k != "policy"})
    with pytest.raises(archgym.InvalidDesignError, match="parameter 'size_kb': 3 is not legal"):
        sim.evaluate({**good, "size_kb": 3})


def test_given_space_must_hold_the_table(rows: pd.DataFrame, tmp_path: Path) -> None:
    small = archgym.DesignSpace([archgym.PowerOfTwo("size_kb", 1, 32), *CACHE_SPACE.params[1:]])
    path = tmp_path / "cache.csv"
    rows.to_csv(path, index=False)
    with pytest.raises(
        ValueError,
        match=r"line \d+ of .*cache.csv: parameter 'size_kb': 64 is not legal; legal "
        r"values are powers of two 1..32; filter the table",
    ):
        TableSimulator(path, metrics=METRICS, space=small)
    real = archgym.DesignSpace([archgym.Real("size_kb", 1, 64), *CACHE_SPACE.params[1:]])
    with pytest.raises(ValueError, match=r"'size_kb' is Real; .* Ordinal"):
        TableSimulator(rows, metrics=METRICS, space=real)


def test_bad_tables_name_the_column_and_line(rows: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match=r"metric 'latency' is not a column .* columns are \['size_kb'"
    ):
        TableSimulator(rows, metrics=["latency"])
    with pytest.raises(
        ValueError, match=r"metrics\['amat_ns'\]='lowest'; a direction is 'min' or 'max'"
    ):
        TableSimulator(rows, metrics={"amat_ns": "lowest"})
    with pytest.raises(ValueError, match=r"parameter 'ways' is not a column"):
        TableSimulator(rows, metrics=METRICS, params=["ways"])
    dup = pd.concat([rows, rows.iloc[[4]]], ignore_index=True)
    dup.to_csv(tmp_path / "dup.csv", index=False)
    with pytest.raises(
        ValueError, match=r"line 6 of .*dup.csv and line 242 .* hold the same design .*duplicates="
    ):
        TableSimulator(tmp_path / "dup.csv", metrics=METRICS)
    holes = rows.copy()
    holes.loc[10, "assoc"] = np.nan
    with pytest.raises(
        ValueError, match=r"column 'assoc' is empty at row 10 of table 'table'; drop or fill"
    ):
        TableSimulator(holes, metrics=METRICS)
    words = rows.astype({"amat_ns": object})
    words.loc[3, "amat_ns"] = "fast"
    with pytest.raises(
        ValueError, match=r"metric column 'amat_ns', row 3 of table 'table': 'fast' is not a number"
    ):
        TableSimulator(words, metrics=METRICS)
    with pytest.raises(
        ValueError, match=r"unknown file type '.xlsx'; legal suffixes are .csv, .tsv, .parquet"
    ):
        TableSimulator(tmp_path / "cache.xlsx", metrics=METRICS)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        TableSimulator(tmp_path / "nowhere.csv", metrics=METRICS)
    with pytest.raises(ValueError, match="duplicates='sometimes'; legal values are"):
        TableSimulator(rows, metrics=METRICS, duplicates="sometimes")


def test_duplicates_policies_and_empty_metrics(rows: pd.DataFrame) -> None:
    first = rows.iloc[[0]].copy()
    again = first.assign(amat_ns=first["amat_ns"] + 2.0)
    table = pd.concat([rows, again], ignore_index=True)
    design = first[CACHE_SPACE.names].iloc[0].to_dict()
    base = float(first["amat_ns"].iloc[0])
    for policy, expected in [("first", base), ("last", base + 2.0), ("mean", base + 1.0)]:
        got = TableSimulator(table, metrics=METRICS, duplicates=policy).evaluate(design)["amat_ns"]
        assert got == pytest.approx(expected), policy
    holes = rows.copy()
    holes.loc[0, "area_mm2"] = np.nan
    with pytest.raises(
        archgym.EvaluationError, match=r"no value for metric\(s\) \['area_mm2'\] at row 0"
    ):
        TableSimulator(holes, metrics=METRICS).evaluate(design)


def test_workload_column(rows: pd.DataFrame) -> None:
    other = rows.iloc[:100].assign(amat_ns=rows["amat_ns"].iloc[:100] * 2)
    table = pd.concat([rows.assign(bench="gcc"), other.assign(bench="mcf")], ignore_index=True)
    sim = TableSimulator(table, metrics=METRICS, workload_column="bench")
    assert sim.workloads() == ["gcc", "mcf"] and sim.load_workload(None) == "gcc"
    design = rows.iloc[3][CACHE_SPACE.names].to_dict()
    assert sim.evaluate(design, "mcf")["amat_ns"] == pytest.approx(
        2 * sim.evaluate(design, "gcc")["amat_ns"]
    )
    late = rows.iloc[150][CACHE_SPACE.names].to_dict()
    with pytest.raises(archgym.EvaluationError, match="for workload 'mcf' \\(100 of the 280"):
        sim.evaluate(late, "mcf")
    with pytest.raises(
        archgym.WorkloadError, match=r"workload 'lbm' is not in column 'bench'.*\['gcc', 'mcf'\]"
    ):
        sim.load_workload("lbm")
    assert len(sim.designs("mcf")) == 100
    env = archgym.DesignEnv(sim, "mcf", archgym.Minimize("amat_ns"))
    assert env.evaluator.evaluate(design).metrics["amat_ns"] == pytest.approx(
        2 * rows.iloc[3]["amat_ns"]
    )
    with pytest.raises(archgym.WorkloadError, match="has no workload column"):
        TableSimulator(rows, metrics=METRICS).load_workload("gcc")


def test_huge_sparse_space(rows: pd.DataFrame) -> None:
    """A space too big for integer keys (~20**16 designs) still looks rows up exactly."""
    rng = np.random.default_rng(0)
    wide = pd.DataFrame(rng.integers(0, 20, size=(60, 16)), columns=[f"p{i}" for i in range(16)])
    wide = wide.drop_duplicates().assign(cost=np.arange(60.0)[: len(wide.drop_duplicates())])
    sim = TableSimulator(wide, metrics=["cost"])
    assert sim.design_space().size > 2**62 and sim._radix is None
    got = sim.evaluate_batch(wide.drop(columns="cost").to_dict("records"))
    assert [g["cost"] for g in got] == wide["cost"].tolist()
    lonely = {
        p.name: p.values[(7 * i) % p.cardinality] for i, p in enumerate(sim.design_space().params)
    }
    with pytest.raises(archgym.EvaluationError, match="nor any design one parameter away from it"):
        sim.evaluate(lonely)
    near = {
        **wide.iloc[5].drop("cost").astype(int).to_dict(),
        "p3": (int(wide.iloc[5]["p3"]) + 1) % 20,
    }
    with pytest.raises(
        archgym.EvaluationError, match=rf"one parameter away it holds p3={int(wide.iloc[5]['p3'])}"
    ):
        sim.evaluate(near)


def test_version_follows_the_data(rows: pd.DataFrame) -> None:
    a = TableSimulator(rows, metrics=METRICS)
    assert TableSimulator(rows.copy(), metrics=METRICS).version == a.version
    changed = rows.copy()
    changed.loc[0, "amat_ns"] += 1.0
    assert TableSimulator(changed, metrics=METRICS).version != a.version


def test_infer_param_kinds() -> None:
    assert infer_param("x", pd.Series([3])).values == (3,)
    assert type(infer_param("x", pd.Series([1, 2, 3, 7]))).__name__ == "Ordinal"
    assert (
        type(infer_param("x", pd.Series([3, 6, 12]))).__name__ == "Ordinal"
    )  # doubling, not powers of two
    assert infer_param("x", pd.Series([True, False])).values == (False, True)
    assert infer_param("x", pd.Series([2.0, 4.0, 8.0])).values == (2, 4, 8)


def test_table_is_a_checked_registered_env(rows: pd.DataFrame) -> None:
    table = TableSimulator(rows, metrics=METRICS, name="cache-table")
    check_simulator(table)
    archgym.register_env(
        "mylab/CacheTable-v0", lambda: table, objective=archgym.Minimize("amat_ns")
    )
    check_env("mylab/CacheTable-v0", steps=4)


@pytest.mark.parametrize("agent", list_agents())  # RL agents are skipped inside run_agent
def test_every_agent_runs_on_the_table(rows: pd.DataFrame, agent: str) -> None:
    table = TableSimulator(rows, metrics=METRICS)
    result = run_agent(
        agent, lambda: archgym.DesignEnv(table, objective=archgym.Minimize("amat_ns")), budget=12
    )
    assert any(e.feasible for e in result.evaluations)
