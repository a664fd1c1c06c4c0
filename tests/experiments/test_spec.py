"""The experiment spec: expansion into trials, trial keys, and a clear error for every bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from archgym.agents import agent_class
from archgym.experiments.spec import (
    AgentEntry,
    EnvEntry,
    SpecError,
    Trial,
    load_spec,
    spec_from_dict,
)

ENV = "archgym/Synthetic-v0"
BASE = {"budget": 10, "seeds": 2, "envs": [ENV], "agents": ["random"]}


def spec(**overrides):
    return spec_from_dict({**BASE, **overrides})


def test_expands_envs_agents_grid_and_seeds() -> None:
    s = spec(
        seeds=[3, 5],
        agents=["random", {"name": "walk", "grid": {"step_size": [1, 2], "patience": [5, 50]}}],
    )
    trials = s.trials()
    assert len(trials) == (1 + 4) * 2
    walk = [t for t in trials if t.agent == "walk"]
    assert {(t.hyperparameters["step_size"], t.hyperparameters["patience"]) for t in walk} == {
        (1, 5),
        (1, 50),
        (2, 5),
        (2, 50),
    }
    # settings are complete: the declared default fills what the grid leaves out
    assert all(t.hyperparameters["restart_probability"] == 0.1 for t in walk)
    assert {t.seed for t in trials} == {3, 5}
    assert len({t.key for t in trials}) == len(trials)


def test_random_samples_stay_in_declared_ranges_and_are_reproducible() -> None:
    entry = AgentEntry("walk", hyperparameters={"step_size": 2}, samples=6, sample_seed=4)
    configs = entry.configurations()
    declared = agent_class("walk").hyperparameters()
    assert len(configs) == 6 and configs == entry.configurations()
    for c in configs:
        assert c["step_size"] == 2
        assert declared["patience"].low <= c["patience"] <= declared["patience"].high
        assert 0.0 <= c["restart_probability"] <= 1.0
    assert (
        configs
        != AgentEntry(
            "walk", hyperparameters={"step_size": 2}, samples=6, sample_seed=5
        ).configurations()
    )


def test_duplicate_settings_are_one_trial_and_defaults_hash_alike() -> None:
    # {} and the explicit default, and 0 vs 0.0 for a float, are the same setting.
    s = spec(
        agents=[
            "walk",
            {"name": "walk", "hyperparameters": {"step_size": 1}},
            {"name": "walk", "grid": {"restart_probability": [0]}},
            {"name": "walk", "hyperparameters": {"restart_probability": 0.0}},
        ]
    )
    assert len(s.trials()) == 2 * 2  # two distinct settings x two seeds


def test_trial_key_is_stable_and_depends_on_every_field() -> None:
    env = EnvEntry(ENV)
    base = Trial(env, "random", {"avoid_repeats": True}, 0, 10)
    assert base.key == Trial(EnvEntry(ENV), "random", {"avoid_repeats": True}, 0, 10).key
    variants = [
        Trial(
            EnvEntry(ENV, {"simulator_kwargs": {"n_integers": 4}}),
            "random",
            {"avoid_repeats": True},
            0,
            10,
        ),
        Trial(
            EnvEntry(ENV, objective={"type": "minimize", "metric": "area_au"}),
            "random",
            {"avoid_repeats": True},
            0,
            10,
        ),
        Trial(env, "walk", {"avoid_repeats": True}, 0, 10),
        Trial(env, "random", {"avoid_repeats": False}, 0, 10),
        Trial(env, "random", {"avoid_repeats": True}, 1, 10),
        Trial(env, "random", {"avoid_repeats": True}, 0, 11),
    ]
    assert len({base.key, *(v.key for v in variants)}) == 1 + len(variants)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"budgte": 5}, "'budgte'"),
        ({"envs": [{"id": ENV, "kwarg": {}}]}, "'kwarg'"),
        ({"agents": [{"name": "walk", "grid_": {}}]}, "'grid_'"),
        ({"agents": ["no-such-agent"]}, "'no-such-agent'"),
        ({"envs": ["archgym/NoSuch-v0"]}, "'archgym/NoSuch-v0'"),
        ({"agents": [{"name": "walk", "hyperparameters": {"stepsize": 2}}]}, "'stepsize'"),
        ({"agents": [{"name": "walk", "grid": {"stepsize": [1, 2]}}]}, "'stepsize'"),
        ({"agents": [{"name": "walk", "grid": {"step_size": [1, 99]}}]}, "'step_size'=99"),
        ({"agents": [{"name": "walk", "grid": {"step_size": 2}}]}, "grid"),
        (
            {
                "agents": [
                    {
                        "name": "walk",
                        "hyperparameters": {"step_size": 1},
                        "grid": {"step_size": [2]},
                    }
                ]
            },
            "'step_size'",
        ),
        ({"budget": 0}, "budget"),
        ({"seeds": "three"}, "seeds"),
        ({"executor": "slurm"}, "'slurm'"),
        ({"workers": 0}, "workers"),
        ({"envs": [{"id": ENV, "kwargs": {"objective": {}}}]}, "objective"),
        ({"envs": [{"id": ENV, "objective": {"type": "minimize", "metric": "watts"}}]}, "'watts'"),
        ({"envs": [{"id": ENV, "target": "high"}]}, "target"),
        ({"envs": [{"id": ENV, "kwargs": {"workload_": 1}}]}, "workload_"),
        ({"agents": []}, "agents"),
    ],
)
def test_bad_input_is_an_error_naming_it(overrides: dict, named: str) -> None:
    with pytest.raises(SpecError) as err:
        spec(**overrides)
    assert named in str(err.value)


def test_missing_required_key() -> None:
    with pytest.raises(SpecError, match="'budget'"):
        spec_from_dict({"envs": [ENV], "agents": ["random"]})


def test_yaml_file_store_is_relative_to_the_spec(tmp_path: Path) -> None:
    (tmp_path / "exp").mkdir()
    path = tmp_path / "exp" / "spec.yaml"
    path.write_text(
        "name: t\nstore: out/runs.db\nbudget: 5\nseeds: [1]\nenvs: [archgym/Synthetic-v0]\n"
        "agents:\n  - name: walk\n    grid: {step_size: [1, 2]}\n"
    )
    loaded = load_spec(path)
    assert loaded.store == tmp_path / "exp" / "out" / "runs.db"
    assert len(loaded.trials()) == 2
    assert load_spec(path, store=str(tmp_path / "x.db"), executor="ray").executor == "ray"
    assert load_spec(path, store=str(tmp_path / "x.db")).store == tmp_path / "x.db"


def test_yaml_file_errors(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="does not exist"):
        load_spec(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("budget: [1\n")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(bad)
    bad.write_text("- 1\n- 2\n")
    with pytest.raises(SpecError, match="mapping"):
        load_spec(bad)


def test_an_agent_whose_library_is_missing_is_a_clear_error() -> None:
    from archgym.agents import _AGENTS, register_agent

    register_agent("needs-missing-lib", "archgym_no_such_module:Agent")
    try:
        with pytest.raises(SpecError, match="'needs-missing-lib' cannot be loaded"):
            spec(agents=["needs-missing-lib"])
    finally:
        del _AGENTS["needs-missing-lib"]


def test_a_missing_workload_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"envs\[0\]"):
        spec(
            envs=[
                {"id": "archgym/Accelerator-v0", "kwargs": {"workload": str(tmp_path / "nope.csv")}}
            ]
        )
