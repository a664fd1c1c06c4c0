"""Hostile input to archgym's public constructors and loaders: 117 cases, plus property-based
fuzzing (hypothesis) of every file loader.

Each case asserts the documented exception type and a message that names the bad value; the
fuzz tests assert that a loader either loads its input or raises its documented error, never
anything else. The behaviour cases check what used to be silently accepted: an infinite metric
chosen as best, NaN rewards in the store, proxy answers counted as simulator calls.
"""

from __future__ import annotations

import json
import math
import string
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import archgym
from archgym import _yaml
from archgym.agents import make_agent
from archgym.experiments.spec import SpecError, spec_from_dict
from archgym.objective import ObjectiveError
from archgym.registry import UnknownEnvError
from archgym.simulator import WorkloadError
from archgym.simulators.synthetic import Synthetic
from archgym.space import InvalidDesignError
from archgym.store import StoreError

NAN, INF = float("nan"), float("inf")
SYN = "archgym/Synthetic-v0"
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class InfSynthetic(Synthetic):
    """Synthetic whose cost is -inf on one design: an objective maximising it would crown it."""

    def evaluate(self, design, workload=None):
        out = super().evaluate(design, workload)
        if design["buffer_kb"] == 64:
            out["cost_au"] = -INF
        return out

    def evaluate_batch(self, designs, workload=None):
        return [self.evaluate(d, workload) for d in designs]


class DictMetrics(Synthetic):
    metrics = {"cost_au": "au"}  # type: ignore[assignment]


class TwiceNamed(Synthetic):
    metrics = (archgym.Metric("a", "u"), archgym.Metric("a", "u"))


class NotASimulator:
    pass


def _make(**kw):
    return lambda: archgym.make(SYN, **kw)


def _run(agent="random", env=SYN, **kw):
    kw.setdefault("budget", 3)
    return lambda: archgym.run(agent, env, **kw)


def _agent(name, **hp):
    return lambda: make_agent(name, **hp)


def _step(action):
    def go():
        env = archgym.make(SYN)
        env.reset(seed=0)
        env.step(action)

    return go


N = len(archgym.make(SYN).space.params)
MIN = {"type": "minimize", "metric": "cost_au"}

CASES: list[tuple[str, Callable[[], object], type[BaseException], str]] = [
    # objectives
    ("weighted-nan", lambda: archgym.WeightedSum({"a": NAN}), ObjectiveError, "'a'"),
    ("weighted-inf", lambda: archgym.WeightedSum({"a": INF}), ObjectiveError, "'a'"),
    ("weighted-neg-inf", lambda: archgym.WeightedSum({"a": -INF}), ObjectiveError, "'a'"),
    ("weighted-string", lambda: archgym.WeightedSum({"a": "1"}), ObjectiveError, "'a'"),
    ("weighted-bool", lambda: archgym.WeightedSum({"a": True}), ObjectiveError, "'a'"),
    ("weighted-none", lambda: archgym.WeightedSum({"a": None}), ObjectiveError, "'a'"),
    ("weighted-empty", lambda: archgym.WeightedSum({}), ObjectiveError, "at least one"),
    ("weighted-list", lambda: archgym.WeightedSum(["a"]), ObjectiveError, "map"),
    ("weighted-scale-zero", lambda: archgym.WeightedSum({"a": 1}, {"a": 0}), ObjectiveError, "'a'"),
    ("weighted-scale-neg", lambda: archgym.WeightedSum({"a": 1}, {"a": -2}), ObjectiveError, "'a'"),
    (
        "weighted-scale-nan",
        lambda: archgym.WeightedSum({"a": 1}, {"a": NAN}),
        ObjectiveError,
        "'a'",
    ),
    ("target-zero", lambda: archgym.Target({"a": 0}), ObjectiveError, "'a'"),
    ("target-nan", lambda: archgym.Target({"a": NAN}), ObjectiveError, "'a'"),
    ("target-inf", lambda: archgym.Target({"a": INF}), ObjectiveError, "'a'"),
    ("target-empty", lambda: archgym.Target({}), ObjectiveError, "at least one"),
    ("target-style", lambda: archgym.Target({"a": 1}, style="hit"), ObjectiveError, "hit"),
    (
        "target-tolerance-nan",
        lambda: archgym.Target({"a": 1}, tolerance=NAN),
        ObjectiveError,
        "tolerance",
    ),
    (
        "constrained-budget-nan",
        lambda: archgym.Constrained(archgym.Minimize("a"), {"b": NAN}),
        ObjectiveError,
        "'b'",
    ),
    (
        "constrained-penalty-inf",
        lambda: archgym.Constrained(archgym.Minimize("a"), {"b": 1}, INF),
        ObjectiveError,
        "penalty",
    ),
    ("pareto-one", lambda: archgym.Pareto(["a"]), ObjectiveError, "two"),
    ("pareto-scale-nan", lambda: archgym.Pareto(["a", "b"], {"a": NAN}), ObjectiveError, "'a'"),
    (
        "objective-unknown-metric",
        _make(objective={"type": "minimize", "metric": "nope"}),
        ObjectiveError,
        "nope",
    ),
    (
        "objective-unknown-type",
        _make(objective={"type": "argmin", "metric": "cost_au"}),
        ObjectiveError,
        "argmin",
    ),
    # metrics and design spaces
    ("metric-direction", lambda: archgym.Metric("a", "u", "up"), ValueError, "up"),
    ("metric-scale-zero", lambda: archgym.Metric("a", "u", scale=0), ValueError, "scale"),
    ("metric-scale-nan", lambda: archgym.Metric("a", "u", scale=NAN), ValueError, "scale"),
    ("integer-reversed", lambda: archgym.Integer("x", 5, 1), ValueError, "'x'"),
    ("integer-nan", lambda: archgym.Integer("x", 0, NAN), ValueError, "'x'"),
    ("integer-inf", lambda: archgym.Integer("x", 0, INF), ValueError, "'x'"),
    ("integer-fraction", lambda: archgym.Integer("x", 0.5, 3), ValueError, "'x'"),
    ("integer-step-zero", lambda: archgym.Integer("x", 0, 3, 0), ValueError, "step"),
    ("integer-string", lambda: archgym.Integer("x", "0", 3), ValueError, "'x'"),
    ("integer-huge", lambda: archgym.Integer("x", 0, 10**30), ValueError, "'x'"),
    ("categorical-empty", lambda: archgym.Categorical("x", []), ValueError, "'x'"),
    ("categorical-duplicate", lambda: archgym.Categorical("x", ["a", "a"]), ValueError, "'x'"),
    ("ordinal-nan", lambda: archgym.Ordinal("x", [1, NAN]), ValueError, "'x'"),
    ("ordinal-inf", lambda: archgym.Ordinal("x", [1, INF]), ValueError, "'x'"),
    ("ordinal-string", lambda: archgym.Ordinal("x", [1, "2"]), ValueError, "'x'"),
    ("real-nan", lambda: archgym.Real("x", 0, NAN), ValueError, "'x'"),
    ("real-reversed", lambda: archgym.Real("x", 1, 0), ValueError, "'x'"),
    ("power-of-two-bad", lambda: archgym.PowerOfTwo("x", 3, 8), ValueError, "'x'"),
    ("param-no-name", lambda: archgym.Integer("", 0, 3), ValueError, "name"),
    (
        "space-duplicate",
        lambda: archgym.DesignSpace([archgym.Integer("x", 0, 1)] * 2),
        ValueError,
        "'x'",
    ),
    ("space-empty", lambda: archgym.DesignSpace([]), ValueError, "at least one"),
    # registration
    (
        "register-bad-id",
        lambda: archgym.register_env("NoNamespace", Synthetic),
        ValueError,
        "NoNamespace",
    ),
    ("register-int", lambda: archgym.register_env("t/Int-v0", 3), TypeError, "int"),
    (
        "register-not-simulator",
        lambda: archgym.register_env("t/Cls-v0", NotASimulator),
        TypeError,
        "NotASimulator",
    ),
    (
        "register-abstract",
        lambda: archgym.register_env("t/Abs-v0", archgym.Simulator),
        TypeError,
        "evaluate",
    ),
    (
        "register-dict-metrics",
        lambda: archgym.register_env("t/Dict-v0", DictMetrics),
        TypeError,
        "metrics",
    ),
    (
        "register-dict-metrics-instance",
        lambda: archgym.register_env("t/DictI-v0", DictMetrics()),
        TypeError,
        "metrics",
    ),
    (
        "register-twice-named-metric",
        lambda: archgym.register_env("t/Twice-v0", TwiceNamed),
        TypeError,
        "'a'",
    ),
    ("register-simulator-name-int", lambda: archgym.register_simulator("int", 3), TypeError, "int"),
    # make
    ("make-unknown-id", lambda: archgym.make("nope/X-v0"), UnknownEnvError, "nope/X-v0"),
    (
        "make-misspelt-id",
        lambda: archgym.make("archgym/synthetic-v0"),
        UnknownEnvError,
        "did you mean",
    ),
    ("make-module-form-missing", lambda: archgym.make("nomod:x/Y-v0"), UnknownEnvError, "nomod"),
    (
        "make-module-form-unregistered",
        lambda: archgym.make("json:x/Y-v0"),
        UnknownEnvError,
        "x/Y-v0",
    ),
    ("make-unknown-keyword", _make(nope=1), TypeError, "nope"),
    ("make-simulator-kwargs-int", _make(simulator_kwargs=3), TypeError, "simulator_kwargs"),
    ("make-simulator-kwarg-unknown", _make(simulator_kwargs={"nope": 1}), TypeError, "nope"),
    ("make-budget-fraction", _make(budget=2.7), ValueError, "2.7"),
    ("make-budget-negative", _make(budget=-1), ValueError, "-1"),
    ("make-budget-nan", _make(budget=NAN), ValueError, "nan"),
    ("make-budget-string", _make(budget="10"), ValueError, "'10'"),
    ("make-episode-zero", _make(episode_length=0), ValueError, "episode_length"),
    ("make-cost-model", _make(cost_model="magic"), ValueError, "magic"),
    ("make-proxy-without-cost-model", _make(proxy="m"), ValueError, "proxy"),
    ("make-cost-model-without-proxy", _make(cost_model="proxy"), ValueError, "proxy"),
    (
        "make-proxy-mapping-no-path",
        _make(cost_model="hybrid", proxy={"threshold": 0.3}),
        ValueError,
        "path",
    ),
    (
        "make-proxy-mapping-extra",
        _make(cost_model="hybrid", proxy={"path": "m", "colour": 1}),
        ValueError,
        "path",
    ),
    ("make-action-encoding", _make(action_encoding="polar"), ValueError, "polar"),
    (
        "make-workload-accelerator",
        lambda: archgym.make("archgym/Accelerator-v0", workload="nonet"),
        WorkloadError,
        "nonet",
    ),
    (
        "make-workload-soc",
        lambda: archgym.make("archgym/SoC-v0", workload="nope"),
        WorkloadError,
        "nope",
    ),
    (
        "make-workload-dram",
        lambda: archgym.make("archgym/DRAM-v0", workload="nope.stl"),
        WorkloadError,
        "nope.stl",
    ),
    # run
    ("run-budget-fraction", _run(budget=2.7), ValueError, "2.7"),
    ("run-budget-zero", _run(budget=0), ValueError, "budget"),
    ("run-budget-negative", _run(budget=-3), ValueError, "budget"),
    ("run-budget-nan", _run(budget=NAN), ValueError, "nan"),
    ("run-budget-inf", _run(budget=INF), ValueError, "inf"),
    ("run-budget-huge", _run(budget=10**23), ValueError, "budget"),
    ("run-budget-exponent", _run(budget=1e23), ValueError, "budget"),
    ("run-budget-bool", _run(budget=True), ValueError, "True"),
    ("run-budget-string", _run(budget="10"), ValueError, "'10'"),
    ("run-seed-negative", _run(seed=-1), ValueError, "seed"),
    ("run-seed-huge", _run(seed=2**64), ValueError, "seed"),
    ("run-seed-fraction", _run(seed=1.5), ValueError, "seed"),
    ("run-seed-string", _run(seed="0"), ValueError, "seed"),
    ("run-agent-unknown", _run("nope"), KeyError, "nope"),
    ("run-agent-int", _run(3), TypeError, "int"),
    ("run-agent-class", _run(archgym.Store), TypeError, "type"),
    ("run-env-unknown", _run(env="nope/X-v0"), UnknownEnvError, "nope/X-v0"),
    ("run-env-int", _run(env=3), TypeError, "int"),
    ("run-resume-no-store", _run(resume=1), ValueError, "store"),
    ("run-resume-unknown", _run(resume=99, store=":memory:"), StoreError, "99"),
    # agents
    ("agent-unknown", _agent("nope"), KeyError, "nope"),
    ("agent-unknown-hp", _agent("ga", nope=1), ValueError, "nope"),
    ("agent-hp-nan", _agent("ga", mutation_rate=NAN), ValueError, "mutation_rate"),
    ("agent-hp-inf", _agent("ga", mutation_rate=INF), ValueError, "mutation_rate"),
    (
        "agent-hp-numpy-nan",
        _agent("ga", crossover_rate=np.float64("nan")),
        ValueError,
        "crossover_rate",
    ),
    ("agent-hp-range", _agent("ga", mutation_rate=1.5), ValueError, "mutation_rate"),
    ("agent-hp-fraction", _agent("ga", population=2.5), ValueError, "population"),
    ("agent-hp-string", _agent("ga", population="24"), ValueError, "population"),
    ("agent-hp-bool", _agent("ga", population=True), ValueError, "population"),
    ("agent-hp-choice", _agent("ga", crossover="three_point"), ValueError, "crossover"),
    ("agent-walk-nan", _agent("walk", restart_probability=NAN), ValueError, "restart_probability"),
    # actions
    ("step-fraction", _step(np.full(N, 0.5)), InvalidDesignError, "0.5"),
    ("step-nan", _step(np.full(N, NAN)), InvalidDesignError, "nan"),
    ("step-negative", _step(np.full(N, -1)), InvalidDesignError, "-1"),
    ("step-out-of-range", _step(np.full(N, 10**6)), InvalidDesignError, "1000000"),
    ("step-short", _step(np.zeros(N - 1, dtype=int)), InvalidDesignError, "entries"),
    ("step-strings", _step(["a"] * N), InvalidDesignError, "integer indices"),
    ("step-none", _step(None), InvalidDesignError, "integer indices"),
    # stores and YAML
    ("store-directory", lambda: archgym.Store(Path(__file__).parent), StoreError, "directory"),
    ("store-garbage", lambda: archgym.Store(Path(__file__)), StoreError, "not a database"),
    ("yaml-duplicate", lambda: _yaml.load("a: 1\nb: 2\na: 3\n"), yaml.YAMLError, "line 3"),
    ("yaml-nested-duplicate", lambda: _yaml.load("t:\n  x: 1\n  x: 2\n"), yaml.YAMLError, "'x'"),
    (
        "yaml-bomb",
        lambda: _yaml.load(
            "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
            + "".join(
                f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n"
                for p, c in zip("abcdef", "bcdefg", strict=True)
            )
        ),
        yaml.YAMLError,
        "alias",
    ),
    (
        "yaml-python-tag",
        lambda: _yaml.load("!!python/object/apply:os.system [echo]"),
        yaml.YAMLError,
        "python",
    ),
]


@pytest.mark.parametrize(
    ("build", "error", "named"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_hostile_api_input_raises_its_documented_error_naming_it(build, error, named) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a test may re-register an id
        with pytest.raises(error) as info:
            build()
    message = str(info.value.args[0]) if isinstance(info.value, KeyError) else str(info.value)
    assert named.lower() in message.lower(), message
    assert "\n" not in message.strip() or isinstance(info.value, yaml.YAMLError), message


def test_case_count_in_the_docstring() -> None:
    count = int(__doc__.split("loaders: ")[1].split(" cases")[0])
    assert count == len(CASES) and len({c[0] for c in CASES}) == len(CASES)


# -- what used to be accepted silently -----------------------------------------------------


def test_an_infinite_metric_fails_the_evaluation_instead_of_winning(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        archgym.register_env(
            "hostile/Inf-v0", InfSynthetic, objective={"type": "maximize", "metric": "cost_au"}
        )
    env = archgym.make("hostile/Inf-v0", objective={"type": "minimize", "metric": "cost_au"})
    designs = [d for d in env.space.sample(0, 200) if d["buffer_kb"] == 64][:1] + env.space.sample(
        1, 20
    )
    store = archgym.Store(tmp_path / "s.db")
    with archgym.loop.Run.start(env, "manual", budget=100, store=store) as run:
        evals = env.evaluate(designs)
    assert evals[0].failed and "cost_au" in evals[0].error and math.isfinite(evals[0].reward)
    best = max((e for e in evals if e.feasible), key=lambda e: e.reward)
    assert best.design["buffer_kb"] != 64
    rewards = [row["reward"] for row in store.evaluations(run.id)]
    assert all(math.isfinite(r) for r in rewards)  # nothing recorded as NaN


def test_an_overflowing_weighted_sum_fails_the_evaluation_with_a_finite_reward() -> None:
    env = archgym.make(
        SYN, objective={"type": "weighted_sum", "weights": {"cost_au": 1e308, "area_au": 1e308}}
    )
    ev = env.evaluate([env.space.sample(0)])[0]
    assert ev.failed and "reward" in ev.error and math.isfinite(ev.reward)


def test_an_env_id_registered_twice_warns_naming_it() -> None:
    archgym.register_env("hostile/Twice-v0", Synthetic, objective=MIN)
    with pytest.warns(UserWarning, match="hostile/Twice-v0"):
        archgym.register_env("hostile/Twice-v0", Synthetic, objective=MIN)


def test_run_accepts_an_agent_name() -> None:
    result = archgym.run("walk", SYN, budget=4, seed=0)
    assert result.agent == "walk" and result.counts["simulator"] == 4


def test_an_integral_float_action_is_accepted() -> None:
    env = archgym.make(SYN)
    env.reset(seed=0)
    _, _, _, _, info = env.step(np.ones(N, dtype=float))
    assert info["design"] == env.action_to_design(np.ones(N, dtype=int))


def test_a_module_form_id_imports_its_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "hostile_lab.py").write_text(
        "import archgym\nfrom archgym.simulators.synthetic import Synthetic\n"
        "archgym.register_env('hostilelab/Sq-v0', Synthetic, objective={'type': 'minimize', 'metric': 'cost_au'})\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert archgym.make("hostile_lab:hostilelab/Sq-v0").env_id == "hostilelab/Sq-v0"


# -- fuzzing the file loaders ----------------------------------------------------------------

TEXT = st.text(alphabet=string.printable + "\x00é─", max_size=400)
LINES = st.lists(
    st.one_of(
        st.sampled_from(
            ["0:\tread\t0x10", "5:\twrite\t0xff", "0x10 R", "0x20 W", "# c", "", "-1:\tread\t0x1"]
        ),
        st.text(alphabet=string.printable, max_size=40),
    ),
    max_size=12,
)


@FUZZ
@given(LINES)
def test_fuzzed_traces_load_or_raise_a_workload_error(tmp_path_factory, lines) -> None:
    from archgym.simulators.dram.trace import read_trace

    path = tmp_path_factory.mktemp("t") / "t.stl"
    path.write_text("\n".join(lines))
    try:
        trace = read_trace(path)
    except WorkloadError as err:
        assert "t.stl" in str(err)
    else:
        assert len(trace.address) > 0


CSV_HEADERS = [
    "name,kind,batch,in_h,in_w,in_c,out_c,r,s,stride,padding,groups,gemm_m,gemm_n,gemm_k,repeat",
    "name,kind,gemm_m,gemm_n,gemm_k",
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,",
    "Layer, M, N, K,",
]
CELL = st.one_of(
    st.integers(-3, 10**9).map(str),
    st.sampled_from(["", "conv", "gemm", "fc", "x", "1.5", "nan", "1e30"]),
)


@FUZZ
@given(st.sampled_from(CSV_HEADERS), st.lists(st.lists(CELL, min_size=0, max_size=17), max_size=4))
def test_fuzzed_layer_tables_load_or_raise_a_workload_error(header, rows) -> None:
    from archgym.simulators.accelerator.layers import parse_layer_csv

    text = header + "\n" + "\n".join(",".join(r) for r in rows)
    try:
        net = parse_layer_csv(text, "fuzz", "fuzz.csv")
    except WorkloadError as err:
        assert "fuzz" in str(err)
    else:
        assert all(0 < layer.macs <= 10**15 for layer in net.layers)


@FUZZ
@given(TEXT)
def test_fuzzed_layer_text_loads_or_raises_a_workload_error(text) -> None:
    from archgym.simulators.accelerator.layers import parse_layer_csv

    try:
        parse_layer_csv(text, "fuzz", "fuzz.csv")
    except WorkloadError:
        pass


JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(), st.text(max_size=8)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=20,
)
TASK = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["a", "b", "c"]),
        "core_cycles": st.one_of(st.integers(-2, 100), st.floats(), st.text(max_size=3)),
    },
    optional={"accel": JSONISH, "core_cylces": st.just(1)},
)


@FUZZ
@given(
    st.fixed_dictionaries(
        {"name": st.text(max_size=5), "tasks": st.one_of(st.lists(TASK, max_size=4), JSONISH)},
        optional={
            "edges": st.one_of(
                st.lists(st.lists(st.sampled_from(["a", "b", "c", 5, -1]), max_size=3)), JSONISH
            ),
            "budget": JSONISH,
            "extra": JSONISH,
        },
    )
)
def test_fuzzed_soc_task_graphs_load_or_raise_a_workload_error(doc) -> None:
    from archgym.simulators.soc.workload import task_graph_from_dict

    try:
        graph = task_graph_from_dict(doc, "fuzz.yaml")
    except WorkloadError as err:
        assert "fuzz.yaml" in str(err)
    else:
        assert graph.topological_order()


@FUZZ
@given(
    st.one_of(
        JSONISH,
        st.dictionaries(
            st.sampled_from(["memspec", "timing", "architecture", "name", "clock_mhz"]), JSONISH
        ),
    )
)
def test_fuzzed_memspecs_load_or_raise_a_memspec_error(doc) -> None:
    from archgym.simulators.dram.memspec import MemSpecError, load_memspec

    if not isinstance(doc, dict):
        doc = {"value": doc}
    with pytest.raises(MemSpecError):
        load_memspec(doc)


@FUZZ
@given(TEXT)
def test_fuzzed_yaml_parses_or_raises_a_yaml_error(text) -> None:
    try:
        _yaml.load(text)
    except yaml.YAMLError:
        pass


SPEC_BASE = {"budget": 5, "seeds": 1, "envs": [SYN], "agents": ["random"]}


@FUZZ
@given(
    st.sampled_from(
        ["budget", "seeds", "envs", "agents", "executor", "workers", "name", "store", "extra"]
    ),
    JSONISH,
)
def test_fuzzed_sweep_specs_validate_or_raise_a_spec_error(key, value) -> None:
    try:
        spec = spec_from_dict({**SPEC_BASE, key: value})
    except SpecError as err:
        assert str(err)
    else:
        assert 0 < len(spec.trials()) <= 10_000


@FUZZ
@given(JSONISH)
def test_fuzzed_proxy_cards_raise_a_proxy_model_error(tmp_path_factory, card) -> None:
    from archgym.proxy_models import ProxyModel, ProxyModelError
    from archgym.proxy_models.model import CARD, FORMAT

    root = tmp_path_factory.mktemp("card")
    if isinstance(card, dict):
        card = {**card, "format": FORMAT}
    (root / CARD).write_text(json.dumps(card, allow_nan=True))
    with pytest.raises(ProxyModelError):
        ProxyModel.load(root)


@FUZZ
@given(st.binary(max_size=3000))
def test_fuzzed_store_files_open_or_raise_a_store_error(tmp_path_factory, data) -> None:
    path = tmp_path_factory.mktemp("store") / "s.db"
    path.write_bytes(data)
    try:
        store = archgym.Store(path)
    except StoreError as err:
        assert "s.db" in str(err)
    else:
        store.close()
