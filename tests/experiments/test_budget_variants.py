"""Runs at different budgets are different variants: their best rewards must not be pooled."""

from __future__ import annotations

import archgym
from archgym.agents import RandomSearch
from archgym.experiments.analysis import analyze


def test_budgets_are_not_pooled(tmp_path):
    store = archgym.Store(tmp_path / "runs.db")
    for budget in (10, 20):
        for seed in (0, 1):
            archgym.run(
                RandomSearch(), "archgym/Synthetic-v0", budget=budget, seed=seed, store=store
            )
    settings = analyze(store).settings
    assert sorted(settings["env"]) == [
        "archgym/Synthetic-v0 [budget=10]",
        "archgym/Synthetic-v0 [budget=20]",
    ]
    assert (settings["seeds"] == 2).all()
