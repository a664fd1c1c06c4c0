"""The conformance package itself: named checks one at a time, the pytest parametrization,
the shared work inside check_simulator, and the old import paths."""

from __future__ import annotations

import ast
import random
from pathlib import Path
from typing import Any

import pytest

import archgym
from archgym.agents import RandomSearch
from archgym.proxy_models import make_regressor
from archgym.simulators.accelerator import AcceleratorSimulator, MappingSimulator
from archgym.simulators.dram import DramSimulator
from archgym.simulators.roofline import RooflineSimulator
from archgym.simulators.soc import SoCSimulator
from archgym.simulators.synthetic import Synthetic
from archgym.testing import ConformanceError, all_checks, check_simulator, parametrize_with_checks
from archgym.testing.agent import check_agent_type
from archgym.testing.simulator import (
    check_batch_matches_loop,
    check_deterministic,
    check_metrics_finite,
)


@parametrize_with_checks(
    [
        Synthetic(),
        (AcceleratorSimulator(), {"workload": "alexnet", "samples": 4}),
        (MappingSimulator(), {"samples": 4}),
        (DramSimulator("ddr3"), {"workload": "random:n=500", "samples": 3}),
        (SoCSimulator(), {"workload": "audio_decoder", "samples": 4}),
        (RooflineSimulator(), {"workload": "llama-2-7b-interactive", "samples": 4}),
        (RandomSearch, {"budget": 6}),
        (make_regressor("linear"), {}),
        ("archgym/Synthetic-v0", {"steps": 3}),
    ]
)
def test_builtins_pass_every_named_check(obj: Any, check: Any) -> None:
    check(obj)


class Noisy(Synthetic):
    def evaluate(self, design: dict, workload: Any = None) -> dict[str, float]:
        out = super().evaluate(design, workload)
        return {**out, "cost_au": out["cost_au"] + random.random()}


class Counting(Synthetic):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def evaluate(self, design: dict, workload: Any = None) -> dict[str, float]:
        self.calls += 1
        return super().evaluate(design, workload)


def test_one_named_check_runs_on_its_own() -> None:
    check_metrics_finite(Noisy(), samples=3)  # finite, so this one passes...
    check_batch_matches_loop(Synthetic(), samples=3)
    with pytest.raises(ConformanceError, match=r"Noisy.evaluate is not deterministic"):
        check_deterministic(Noisy(), samples=3)  # ...and this one names the fault
    with pytest.raises(
        ConformanceError, match="agent factory returned Synthetic, not an archgym Agent"
    ):
        check_agent_type(Synthetic)


def test_check_simulator_evaluates_each_design_twice_not_once_per_check() -> None:
    sim = Counting()
    check_simulator(sim, samples=5)
    assert sim.calls == 10  # finite + batch reuse the first call, determinism adds the second
    alone = Counting()
    check_batch_matches_loop(alone, samples=5)
    assert alone.calls == 5


def test_all_checks_names_its_checks_and_options() -> None:
    names = [c.func.__name__ for c in all_checks(RandomSearch, budget=4)]
    assert names == [
        "check_agent_type",
        "check_exact_budget",
        "check_valid_designs",
        "check_reproducible",
        "check_one_parameter_space",
        "check_survives_failures",
    ]
    assert all(c.keywords == {"budget": 4} for c in list(all_checks(RandomSearch, budget=4))[1:])
    with pytest.raises(
        TypeError,
        match=r"simulator checks take no option 'budget'; they take \['samples', 'seed', "
        r"'workload'\]",
    ):
        list(all_checks(Synthetic(), budget=3))
    # env checks pass unknown options on to archgym.make; the Box check only applies to env ids
    env_checks = list(all_checks(lambda: archgym.make("archgym/Synthetic-v0"), steps=2))
    assert "check_box_encoding" not in [c.func.__name__ for c in env_checks]
    by_id = {
        c.func.__name__: c.keywords
        for c in all_checks("archgym/Synthetic-v0", steps=2, workload=None)
    }
    assert by_id["check_box_encoding"] == {"workload": None}
    assert by_id["check_env_deterministic"] == {"steps": 2, "workload": None}
    assert [c.func.__name__ for c in all_checks(lambda: RandomSearch())][0] == "check_agent_type"


def test_all_checks_refuses_what_it_cannot_check() -> None:
    with pytest.raises(
        TypeError, match="pass a RandomSearch as its class or a zero-argument factory"
    ):
        list(all_checks(RandomSearch()))
    with pytest.raises(TypeError, match="no checks apply to int; they apply to a Simulator"):
        list(all_checks(3))
    with pytest.raises(TypeError, match=r"factory .* built a dict"):
        list(all_checks(dict))


def test_linear_regressor_skips_only_the_fit_quality_check() -> None:
    names = {c.func.__name__ for c in all_checks(make_regressor("linear"))}
    assert "check_fits_better_than_mean" not in names and "check_save_load" in names
    assert "check_fits_better_than_mean" in {
        c.func.__name__ for c in all_checks(make_regressor("rf"))
    }


def test_old_check_regressor_paths_warn() -> None:
    import archgym.proxy_models
    import archgym.proxy_models.regressors
    from archgym.testing import check_regressor

    for module in (archgym.proxy_models, archgym.proxy_models.regressors):
        with pytest.warns(DeprecationWarning, match="moved to archgym.testing.check_regressor"):
            assert module.check_regressor is check_regressor


def test_testing_imports_no_builtin_simulator() -> None:
    for path in Path(archgym.testing.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        imported += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert not [m for m in imported if m.startswith(("archgym.simulators", "archgym.envs"))], (
            path.name
        )
