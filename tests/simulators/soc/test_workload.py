"""Workloads: the built-in FARSI graphs, data-file and FARSI-CSV loaders, the synthetic generator, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archgym.simulator import WorkloadError
from archgym.simulators.soc import (
    load_farsi_csv,
    load_task_graph,
    load_workload,
    synthetic_task_graph,
    task_graph_from_dict,
)


@pytest.mark.parametrize(
    ("name", "tasks", "core_s", "mbytes", "budget_ms"),
    # Figures from the FARSI reference notes: task counts, single-A53 work, bytes moved, budgets.
    # (The audio decoder's 24th edge is a 248-B self-edge on zoomProcess, loop state, not a transfer.)
    [
        ("audio_decoder", 18, 6.3e-3, 2.97, 21.0),
        ("edge_detection", 8, 3.3, 52.4, 34.0),
        ("hpvm_cava", 9, 84.9, 2.37, 34.0),
    ],
)
def test_builtin_graphs_carry_farsis_figures(name, tasks, core_s, mbytes, budget_ms):
    g = load_workload(name).graphs[0]
    assert len(g.tasks) == tasks
    assert g.core_seconds() == pytest.approx(core_s, rel=0.01)
    assert sum(b for _, _, b in g.edges) / 1e6 == pytest.approx(mbytes, rel=0.01)
    assert g.budget.latency_ms == budget_ms
    assert (g.budget.power_mw, g.budget.area_mm2) == (8.737, 17.475)


def test_names_aliases_scenarios_and_lists():
    assert load_workload("camera_pipeline").names == ["hpvm_cava"]
    assert load_workload("arvr").names == ["audio_decoder", "edge_detection", "hpvm_cava"]
    assert load_workload(None).names == ["audio_decoder"]
    assert load_workload(["edge_detection", "synthetic:5:1"]).names == [
        "edge_detection",
        "synthetic-5-1",
    ]


def test_unknown_workload_name_lists_the_builtins():
    with pytest.raises(WorkloadError, match="unknown SoC workload 'vr_game'.*audio_decoder"):
        load_workload("vr_game")
    with pytest.raises(WorkloadError, match="synthetic:N_TASKS:SEED"):
        load_workload("synthetic:many")
    with pytest.raises(WorkloadError, match="does not exist"):
        load_workload("no/such/file.yaml")


def small_doc() -> dict:
    return {
        "name": "tiny",
        "budget": {"latency_ms": 2.0},
        "tasks": [
            {"name": "a", "core_cycles": 100},
            {
                "name": "b",
                "core_cycles": 50,
                "accel": {"cycles": 5, "energy_fj": 1, "area_um2": 10, "max_unroll": 4},
            },
        ],
        "edges": [["a", "b", 64]],
    }


def test_yaml_and_json_files_round_trip(tmp_path: Path):
    g = task_graph_from_dict(small_doc())
    (tmp_path / "tiny.json").write_text(json.dumps(g.to_dict()))
    (tmp_path / "tiny.yaml").write_text("# test graph\n" + json.dumps(small_doc()))  # JSON is YAML
    assert load_task_graph(tmp_path / "tiny.json") == g
    assert load_task_graph(tmp_path / "tiny.yaml") == g
    assert load_workload(str(tmp_path / "tiny.yaml")).graphs[0] == g
    assert g.budget.power_mw == 8.737  # SoC-wide default when the file gives none


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["edges"].append(["b", "a", 8]), r"cycle through \['a', 'b'\]"),
        (
            lambda d: d["edges"].append(["a", "ghost", 8]),
            "edge 'a' -> 'ghost' names unknown task 'ghost'",
        ),
        (lambda d: d["edges"].append(["b", "b", 8]), "self-loop"),
        (lambda d: d["edges"].append(["a", "b", 8]), "appears twice"),
        (lambda d: d["edges"].__setitem__(0, ["a", "b", -1]), "bytes must be >= 0"),
        (
            lambda d: d["edges"].__setitem__(0, ["a", "b"]),
            r"edges\[0\] must be \[producer, consumer, bytes\]",
        ),
        (lambda d: d["tasks"].append({"name": "a", "core_cycles": 1}), "task 'a' is defined twice"),
        (
            lambda d: d["tasks"][0].__setitem__("core_cycles", "lots"),
            r"tasks\[0\].core_cycles must be a number",
        ),
        (
            lambda d: d["tasks"][1]["accel"].pop("area_um2"),
            r"tasks\[1\].accel lacks field 'area_um2'",
        ),
        (
            lambda d: d["tasks"][1]["accel"].__setitem__("max_unroll", 0),
            "max_unroll' must be an integer >= 1",
        ),
        (lambda d: d.pop("tasks"), "missing field 'tasks'"),
        (lambda d: d.__setitem__("colour", "red"), "unknown field 'colour'"),
        (lambda d: d["budget"].__setitem__("latency_s", 1), "unknown budget field 'latency_s'"),
    ],
)
def test_malformed_graphs_are_refused_with_the_field_named(mutate, message):
    doc = small_doc()
    mutate(doc)
    with pytest.raises(WorkloadError, match=message):
        task_graph_from_dict(doc, "tiny.yaml")


def test_bad_yaml_names_the_file(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(WorkloadError, match="bad.yaml: not valid YAML"):
        load_task_graph(bad)


def write_farsi(folder: Path, name: str = "toy", movement: str | None = None) -> None:
    """A three-task FARSI-format database written by the test itself."""
    folder.mkdir(exist_ok=True)
    tab = lambda kind, text: (folder / f"{name}_database - {kind}.csv").write_text(text)  # noqa: E731
    tab(
        "Task Data Movement",
        movement or "Task Name,souurce,work,siink\nsouurce,,4000,\nwork,,16,800\nsiink,,,\n",
    )
    tab("Task PE Performance", "Task Name,A53,IP0\nsouurce,0,\nwork,20000,400\nsiink,0,\n")
    tab("Task PE Energy", "Task Name,A53,IP0\nsouurce,0,\nwork,,12.5\nsiink,0,\n")
    tab("Task PE Area", "Task Name,A53,IP0\nsouurce,0,\nwork,,3000\nsiink,0,\n")
    tab("Task Itr Count", "Task Name,number of iterations\nsource,1\nwork,64\nsiink,1\n")
    (folder / "misc_database - Budget.csv").write_text(
        "Workload,latency,power,area,cost\ntoy,.005,,,\nall,,0.004,0.000002,1e-9\n"
    )


def test_farsi_csv_folder_loads(tmp_path: Path):
    write_farsi(tmp_path / "db")
    g = load_farsi_csv(tmp_path / "db")
    assert [t.name for t in g.tasks] == ["souurce", "work", "siink"]
    # The 16-B diagonal cell (state kept by 'work') is not an edge.
    assert g.edges == (("souurce", "work", 4000.0), ("work", "siink", 800.0))
    work = g.tasks[1]
    assert (
        work.core_cycles,
        work.accel.cycles,
        work.accel.energy_fj,
        work.accel.area_um2,
        work.accel.max_unroll,
    ) == (20000, 400, 12.5, 3000, 64)
    assert g.tasks[0].dummy and g.tasks[2].dummy
    # Latency from the workload's row; power (W) and area (m^2) from the 'all' row.
    assert (g.budget.latency_ms, g.budget.power_mw, g.budget.area_mm2) == pytest.approx(
        (5.0, 4.0, 2.0)
    )
    assert load_workload(str(tmp_path / "db")).graphs[0] == g


def test_farsi_csv_errors_name_file_and_line(tmp_path: Path):
    write_farsi(
        tmp_path / "db",
        movement="Task Name,souurce,work,siink\nsouurce,,4k,\nwork,,,800\nsiink,,,\n",
    )
    with pytest.raises(
        WorkloadError, match=r"Task Data Movement.csv line 2 column 'work': '4k' is not a number"
    ):
        load_farsi_csv(tmp_path / "db")
    write_farsi(
        tmp_path / "db2",
        movement="Task Name,souurce,work,siink\nsouurce,,4000,\nwork,,,800\nghost,,,\nsiink,,,\n",
    )
    with pytest.raises(WorkloadError, match="no core cycles for task 'ghost'"):
        load_farsi_csv(tmp_path / "db2")
    (tmp_path / "db3").mkdir()
    (tmp_path / "db3" / "toy_database - Task Data Movement.csv").write_text("Task Name,a\na,\n")
    with pytest.raises(
        WorkloadError, match="missing required file 'toy_database - Task PE Performance.csv'"
    ):
        load_farsi_csv(tmp_path / "db3")
    with pytest.raises(WorkloadError, match="FARSI workloads here are \\['toy'\\]"):
        load_farsi_csv(tmp_path / "db3", "audio")


def test_synthetic_graphs_are_seeded_valid_dags():
    a, b, c = synthetic_task_graph(20, 7), synthetic_task_graph(20, 7), synthetic_task_graph(20, 8)
    assert a == b and a != c
    for g in (a, c, synthetic_task_graph(1, 0), synthetic_task_graph(50, 3, width=8)):
        order = g.topological_order()
        assert order[0] == "source" and set(order) == {t.name for t in g.tasks}
        # every real task is reached from the source and reaches the sink
        succ: dict[str, set[str]] = {}
        pred: dict[str, set[str]] = {}
        for p, q, _ in g.edges:
            succ.setdefault(p, set()).add(q)
            pred.setdefault(q, set()).add(p)
        for t in g.tasks:
            if t.name not in ("source", "sink"):
                assert pred.get(t.name) and succ.get(t.name), t.name
    with pytest.raises(WorkloadError, match="n_tasks must be an integer >= 1"):
        synthetic_task_graph(0)


def test_misspelt_task_key_names_the_key_and_its_file_line(tmp_path: Path):
    """A task's ``acel:`` (for ``accel:``) must not silently leave the task software-only."""
    f = tmp_path / "typo.yaml"
    f.write_text(
        "name: t\nbudget: {latency_ms: 1}\ntasks:\n  - name: a\n    core_cycles: 10\n"
        "  - name: b\n    core_cycles: 10\n"
        "    acel: {cycles: 1, energy_fj: 1, area_um2: 1, max_unroll: 1}\n"
        "edges: [[a, b, 8]]\n"
    )
    with pytest.raises(
        WorkloadError, match=r"typo.yaml: tasks\[1\] \(line 8\): unknown field 'acel'; fields are"
    ):
        load_task_graph(f)
