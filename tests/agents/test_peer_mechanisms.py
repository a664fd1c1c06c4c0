"""How the Optuna and Nevergrad peers are set up for discrete spaces: CMA-ES with integers,
margin and IPOP restarts; Nevergrad's discrete (1+1) mutation."""

from __future__ import annotations

import numpy as np
import pytest

import archgym
from archgym.agents import make_agent

pytest.importorskip("optuna")


def test_cmaes_offers_every_parameter_as_an_integer_to_its_model() -> None:
    pytest.importorskip("cmaes")
    agent = make_agent("optuna-cmaes")
    archgym.run(agent, "archgym/Synthetic-v0", budget=30, seed=0)
    import optuna

    kinds = {
        type(d)
        for t in agent._study.trials
        for d in t.distributions.values()  # the categorical "dataflow" included
    }
    assert kinds == {optuna.distributions.IntDistribution}
    # Every trial after the first came from CMA-ES itself, none from the independent sampler.
    assert agent._study.sampler._with_margin


def test_cmaes_restarts_with_twice_the_population_once_it_only_repeats() -> None:
    pytest.importorskip("cmaes")
    from archgym.testing._toys import OneParam  # one parameter of 32 values

    env = archgym.DesignEnv(OneParam(), objective=archgym.Minimize(OneParam.metrics[0].name))
    agent = make_agent("optuna-cmaes")
    result = archgym.run(agent, env, budget=32, seed=0)
    assert result.counts["simulator"] == 32  # the whole space, no step lost to a repeat
    assert agent._restarts >= 1
    assert agent._study.sampler._popsize == 4 * 2**agent._restarts  # 4 + 3 ln(1) = 4

    frozen = make_agent("optuna-cmaes", restarts=False)
    archgym.run(frozen, env, budget=32, seed=0)
    assert frozen._restarts == 0


def test_nevergrad_oneplusone_mutates_few_genes_of_its_parent() -> None:
    pytest.importorskip("nevergrad")
    agent = make_agent("nevergrad-oneplusone")
    result = archgym.run(agent, "archgym/DRAM-v0", budget=120, seed=0)
    rows = np.array([list(ev.design.values()) for ev in result.evaluations], dtype=object)
    # The (1+1)-EA redraws each of the 10 genes with probability 1/10: most children differ from
    # the design before them in one or two genes, not in all of them as a random design would.
    changed = [(a != b).sum() for a, b in zip(rows[1:], rows[:-1], strict=True)]
    assert np.median(changed) <= 2


def _survivors(agent) -> list[list[tuple]]:
    """Each generation's parent population (the survivors), as sorted parameter tuples."""
    sampler, study = agent._study.sampler, agent._study
    key = sampler._get_generation_key()
    last = max(t.system_attrs.get(key, 0) for t in study.trials)
    return [
        [tuple(sorted(t.params.items())) for t in sampler.get_parent_population(study, g)]
        for g in range(1, last + 1)
    ]


def test_nsga2_survivors_are_distinct_designs() -> None:
    from archgym.testing._toys import OneParam  # one parameter of 32 values

    def env() -> archgym.DesignEnv:
        return archgym.DesignEnv(OneParam(), objective=archgym.Minimize(OneParam.metrics[0].name))

    agent = make_agent("optuna-nsga2", population=8)
    archgym.run(agent, env(), budget=32, seed=0)
    generations = _survivors(agent)
    assert len(generations) >= 3
    assert all(len(set(g)) == len(g) for g in generations)
    # Without it, the repeats answered from the record fill the survivors with copies.
    plain = make_agent("optuna-nsga2", population=8, unique=False)
    archgym.run(plain, env(), budget=32, seed=0)
    assert any(len(set(g)) < len(g) for g in _survivors(plain))


def test_nsga2_population_is_sized_by_the_budget_unless_given() -> None:
    agent = make_agent("optuna-nsga2")
    for budget, size in [(50, 8), (200, 10), (1000, 50), (5000, 50)]:
        archgym.run(agent, "archgym/Synthetic-v0", budget=2, seed=0)  # setup, then resize
        agent.budget = budget
        assert agent.population_size() == size
    assert make_agent("optuna-nsga2", population=12).population_size() == 12
    with pytest.raises(ValueError, match="'population'=1; legal values are 0"):
        make_agent("optuna-nsga2", population=1)


def test_optuna_gp_bounded_history_keeps_the_best_and_the_most_recent_trials() -> None:
    optuna = pytest.importorskip("optuna")
    from archgym.agents.peers import OptunaGP

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize")
    values = [5.0, 9.0, 1.0, 7.0, 2.0, 3.0, 0.0, 4.0]
    for v in values:
        study.add_trial(optuna.trial.create_trial(params={}, distributions={}, value=v))
    completed = study.get_trials(deepcopy=False)
    kept = OptunaGP.bounded_history(study, completed, best=2, recent=3)
    # The two best (9 and 7: trials 1 and 3) and the three latest (trials 5, 6, 7), in order.
    assert [t.number for t in kept] == [1, 3, 5, 6, 7]
    assert OptunaGP.bounded_history(study, completed, best=0, recent=0) == completed
    assert OptunaGP.bounded_history(study, completed, best=6, recent=2) == completed


def test_optuna_gp_fits_its_gp_on_the_bounded_history_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    optuna = pytest.importorskip("optuna")
    pytest.importorskip("torch")
    seen: list[int] = []
    fit = optuna.samplers.GPSampler._sample_relative_impl

    def spy(self, study, completed, running, space):  # noqa: ANN001, ANN202
        seen.append(len(completed))
        return fit(self, study, completed, running, space)

    monkeypatch.setattr(optuna.samplers.GPSampler, "_sample_relative_impl", spy)
    agent = make_agent("optuna-gp", startup_trials=3, history_best=2, history_recent=2)
    result = archgym.run(agent, "archgym/Synthetic-v0", budget=12, seed=0)
    assert result.counts["simulator"] == 12
    # Every GP proposal after the fourth trial was fitted on four trials, not on all of them.
    assert seen and max(seen) == 4 and len(seen) >= 6
