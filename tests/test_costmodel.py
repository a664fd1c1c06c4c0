"""Cost models are resolved through registered factories; unknown kinds are refused clearly."""

from __future__ import annotations

import pytest

import archgym
from archgym import costmodel


class Doubled(archgym.Simulator):
    """A stand-in cost model that answers for another simulator (doubles its first metric)."""

    def __init__(self, inner: archgym.Simulator) -> None:
        self.inner, self.name, self.version, self.metrics = inner, "doubled", "1", inner.metrics

    def design_space(self, workload=None):
        return self.inner.design_space(workload)

    def evaluate(self, design, workload=None):
        out = dict(self.inner.evaluate(design, workload))
        first = self.metrics[0].name
        out[first] *= 2
        return out


def test_a_registered_cost_model_answers_in_the_simulators_place(monkeypatch):
    monkeypatch.setitem(
        costmodel._FACTORIES, "doubled", lambda sim, proxy, workload: (Doubled(sim), None)
    )
    plain = archgym.make("archgym/Synthetic-v0")
    doubled = archgym.make("archgym/Synthetic-v0", cost_model="doubled", proxy="unused")
    design = plain.space.sample(0)
    a, b = plain.evaluate([design])[0], doubled.evaluate([design])[0]
    assert b.metrics["cost_au"] == 2 * a.metrics["cost_au"]
    assert "doubled" in costmodel.cost_models()


def test_string_factories_load_on_first_use():
    assert costmodel._FACTORIES["proxy"] in ("archgym.proxy_models:attach_proxy",) or callable(
        costmodel._FACTORIES["proxy"]
    )
    with pytest.raises(ValueError, match="cost_model='proxy' needs proxy=PATH"):
        archgym.make("archgym/Synthetic-v0", cost_model="proxy")


def test_unknown_kinds_and_a_stray_proxy_are_refused():
    with pytest.raises(ValueError, match="cost_model='magic'; legal values are 'simulator', "):
        archgym.make("archgym/Synthetic-v0", cost_model="magic", proxy="x")
    with pytest.raises(ValueError, match="proxy= was given but cost_model='simulator'"):
        archgym.make("archgym/Synthetic-v0", proxy="x")
