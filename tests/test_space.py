from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archgym.space import (
    Categorical,
    Constraint,
    DesignSpace,
    Integer,
    InvalidDesignError,
    Ordinal,
    PowerOfTwo,
    Real,
    param_from_dict,
)

params = st.one_of(
    st.builds(lambda n: Categorical("c", [f"v{i}" for i in range(n)]), st.integers(1, 7)),
    st.builds(
        lambda lo, span, step: Integer("i", lo, lo + span, step),
        st.integers(-20, 20),
        st.integers(0, 40),
        st.integers(1, 5),
    ),
    st.builds(
        lambda lo, k: PowerOfTwo("p", 2**lo, 2 ** (lo + k)), st.integers(0, 10), st.integers(0, 12)
    ),
    st.builds(
        lambda vals: Ordinal("o", vals),
        st.lists(st.integers(-100, 100), min_size=1, max_size=8, unique=True),
    ),
    st.builds(
        lambda lo, span, steps, log: Real("r", lo, lo + span, log=log, steps=steps),
        st.floats(0.1, 10),
        st.floats(0.5, 100),
        st.integers(2, 40),
        st.booleans(),
    ),
)


@st.composite
def spaces(draw):
    chosen = draw(st.lists(params, min_size=1, max_size=6))
    renamed = []
    for k, p in enumerate(chosen):
        spec = p.to_dict()
        spec["name"] = f"{spec['name']}{k}"
        renamed.append(param_from_dict(spec))
    return DesignSpace(renamed)


@settings(max_examples=60, deadline=None)
@given(spaces(), st.integers(0, 2**32 - 1))
def test_encode_decode_round_trip(space, seed):
    rng = np.random.default_rng(seed)
    for idx in space.sample_indices(rng, 5):
        design = space.decode(idx)
        assert np.array_equal(space.encode(design), idx)
        assert space.decode(space.encode(design)) == design
        assert space.decode_box(space.encode_box(design)) == design


@settings(max_examples=40, deadline=None)
@given(spaces())
def test_every_value_reachable_from_multidiscrete_and_box(space):
    gym_space = space.to_gym()
    box = space.to_box()
    for position, p in enumerate(space.params):
        reached_md, reached_box = set(), set()
        for i in range(p.cardinality):
            idx = np.zeros(len(space.params), dtype=np.int64)
            idx[position] = i
            assert gym_space.contains(idx)
            reached_md.add(space.decode(idx)[p.name])
        # sweep the Box coordinate over its whole range: every bin (value) must be hit
        for x in np.linspace(-1, 1, 4 * p.cardinality + 1):
            vec = np.zeros(len(space.params), dtype=np.float32)
            vec[position] = x
            assert box.contains(vec)
            reached_box.add(space.decode_box(vec)[p.name])
        assert reached_md == set(p.values)
        assert reached_box == set(p.values)


@settings(max_examples=40, deadline=None)
@given(spaces(), st.data())
def test_bad_values_are_refused_naming_the_parameter(space, data):
    design = space.sample(0)
    p = data.draw(st.sampled_from(space.params))
    bad = data.draw(st.sampled_from(["not-a-value", 10**9, -(10**9), None]))
    if p.kind in ("categorical",) and bad in p.values:
        return
    with pytest.raises(InvalidDesignError) as err:
        space.validate({**design, p.name: bad})
    assert repr(p.name) in str(err.value)
    assert err.value.parameter == p.name


def test_unknown_and_missing_keys_are_refused():
    space = DesignSpace([Integer("cores", 1, 4), PowerOfTwo("buf", 1, 8)])
    with pytest.raises(InvalidDesignError, match="unknown parameter 'colour'"):
        space.validate({"cores": 1, "buf": 2, "colour": "red"})
    with pytest.raises(InvalidDesignError, match="missing parameter 'buf'.*powers of two 1..8"):
        space.validate({"cores": 1})
    with pytest.raises(InvalidDesignError, match="'cores'.*integers 1..4"):
        space.validate({"cores": 5, "buf": 2})
    with pytest.raises(InvalidDesignError, match="index 9 is out of range"):
        space.decode([9, 0])


def test_size_enumerate_neighbors_features():
    space = DesignSpace(
        [
            Categorical("policy", ["open", "closed", "adaptive"]),
            PowerOfTwo("buf", 1, 8),
            Integer("cores", 1, 3),
        ]
    )
    assert space.size == 3 * 4 * 3
    designs = list(space.enumerate())
    assert len(designs) == space.size and len({tuple(d.values()) for d in designs}) == space.size
    n = space.neighbors({"policy": "open", "buf": 1, "cores": 2})
    # 2 other categories + 1 buffer step (at the low edge) + 2 core steps
    assert len(n) == 5
    assert space.feature_names() == [
        "policy=open",
        "policy=closed",
        "policy=adaptive",
        "buf",
        "cores",
    ]
    np.testing.assert_array_equal(
        space.features([{"policy": "closed", "buf": 8, "cores": 3}]), [[0, 1, 0, 3, 3]]
    )
    with pytest.raises(ValueError, match="more than limit"):
        list(space.enumerate(limit=10))


def test_constraints_make_designs_infeasible_not_invalid():
    space = DesignSpace(
        [Integer("a", 0, 3), Integer("b", 0, 3)],
        [Constraint("sum_le_4", lambda d: d["a"] + d["b"] <= 4, "a + b must be <= 4")],
    )
    d = space.validate({"a": 3, "b": 3})
    assert space.violations(d) == ["sum_le_4: a + b must be <= 4"]
    assert space.is_feasible({"a": 1, "b": 1})


def test_feasible_many_uses_batch_checks_and_agrees_with_is_feasible():
    calls = []

    def batch(designs):
        calls.append(len(designs))
        return np.array([d["a"] != 2 for d in designs])

    space = DesignSpace(
        [Integer("a", 0, 3), Integer("b", 0, 3)],
        [
            Constraint("sum_le_4", lambda d: d["a"] + d["b"] <= 4),
            Constraint("a_not_2", lambda d: d["a"] != 2, check_many=batch),
        ],
    )
    designs = list(space.enumerate())
    assert space.feasible_many(designs).tolist() == [space.is_feasible(d) for d in designs]
    assert calls == [16]  # the batched rule ran once for all 16 designs
    assert space.feasible_many([]).shape == (0,)


def test_space_round_trips_through_dict():
    space = DesignSpace(
        [
            Categorical("c", ["x", "y"]),
            Integer("i", 0, 10, 2),
            PowerOfTwo("p", 4, 64),
            Ordinal("o", [1, 3, 9]),
            Real("r", 0.5, 2.0, log=True, steps=5),
        ]
    )
    assert DesignSpace.from_dict(space.to_dict()) == space
    with pytest.raises(ValueError, match="unknown parameter kind 'blob'"):
        param_from_dict({"kind": "blob", "name": "x"})


def test_param_definitions_are_checked():
    with pytest.raises(ValueError, match="not a power of two"):
        PowerOfTwo("p", 3, 16)
    with pytest.raises(ValueError, match="duplicate values"):
        Categorical("c", ["a", "a"])
    with pytest.raises(ValueError, match="duplicate parameter names"):
        DesignSpace([Integer("x", 0, 1), Integer("x", 0, 2)])
    with pytest.raises(ValueError, match="log scale needs low > 0"):
        Real("r", 0.0, 1.0, log=True)
