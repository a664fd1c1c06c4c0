"""Sweeps past one machine: a three-node Ray cluster (``ray.cluster_utils.Cluster``: a head and
two worker nodes on this machine) writing to a PostgreSQL store, with a user env from a
temporary module that only the sweep's own process can import."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import pytest

from archgym.experiments.executors import SweepProgress, run_sweep
from archgym.experiments.shipping import ShippingError, recipes_for
from archgym.experiments.spec import spec_from_dict
from archgym.store import Store

ray = pytest.importorskip("ray")

USER_MODULE = '''
"""A user's envs: a simulator class of their own, registered at import."""
from archgym.objective import Minimize
from archgym.registry import register_env
from archgym.simulators.synthetic import Synthetic


class LabSynthetic(Synthetic):
    """Synthetic under the lab's own name, so a worker must import this module to build it."""

    name = "lab-synthetic"


register_env(
    "{ns}/Wait-v0", LabSynthetic, objective=Minimize("cost_au"), simulator_kwargs={{"delay_s": 0.01}}
)
'''


@pytest.fixture(scope="module")
def cluster():
    """A head (1 CPU) and two worker nodes (1 CPU and one unit of a custom "sim" resource each)."""
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    workers = [cluster.add_node(num_cpus=1, resources={"sim": 1}) for _ in range(2)]
    cluster.wait_for_nodes()
    cluster.worker_node_ids = [n.node_id for n in workers]  # type: ignore[attr-defined]
    yield cluster
    if ray.is_initialized():
        ray.shutdown()
    cluster.shutdown()


@pytest.fixture
def lab_env(tmp_path_factory, monkeypatch) -> str:
    """An env registered by a module in a directory outside the cwd and PYTHONPATH: only this
    process has it on sys.path, so Ray workers get it only if the sweep ships it."""
    ns = f"lab{uuid.uuid4().hex[:8]}"
    src = tmp_path_factory.mktemp("src")
    (src / ns).mkdir()
    (src / ns / "__init__.py").write_text("")
    (src / ns / "envs.py").write_text(textwrap.dedent(USER_MODULE.format(ns=ns)))
    monkeypatch.syspath_prepend(str(src))
    return ns


def _spec(store: str, address: str, ns: str, **extra):
    return spec_from_dict(
        {
            "budget": 20,
            "seeds": 6,
            "store": store,
            "envs": [f"{ns}/Wait-v0"],
            "agents": ["random"],
            "executor": "ray",
            "address": address,
            "modules": [f"{ns}.envs"],
            **extra,
        }
    )


def _assert_one_complete_run_per_trial(spec) -> None:
    with Store(spec.store) as store:
        runs = store.runs()
        assert sorted(runs["trial_key"]) == sorted(t.key for t in spec.trials())
        assert (runs["status"] == "finished").all()
        df = store.to_dataframe()
        assert not df.duplicated(["run_id", "step"]).any()
        for run_id in runs["id"]:
            assert store.count_evaluations(int(run_id), "simulator") == spec.budget


def test_a_user_env_from_a_module_runs_on_every_node_into_postgresql(
    cluster, lab_env, postgres_url
) -> None:
    spec = _spec(postgres_url, cluster.address, lab_env)
    result = run_sweep(spec)
    assert not result.failed, [o.error for o in result.failed]
    assert [o.status for o in result.outcomes] == ["finished"] * 6
    assert len({o.node for o in result.outcomes}) == 3, "trials did not reach every node"
    _assert_one_complete_run_per_trial(spec)
    with Store(postgres_url) as store:
        assert store.claims() == {}  # every claim was released


def test_resources_per_trial_place_trials_where_they_fit(cluster, lab_env, postgres_url) -> None:
    spec = _spec(postgres_url, cluster.address, lab_env, resources_per_trial={"cpu": 1, "sim": 1})
    result = run_sweep(spec)
    assert not result.failed
    # only the two worker nodes have the "sim" resource
    assert {o.node for o in result.outcomes} == set(cluster.worker_node_ids)


def test_a_simulator_instance_registered_in_a_script_is_refused_for_ray() -> None:
    # what `python my_script.py` does: register_env called from the module named __main__
    script = (
        "from archgym.registry import register_env\n"
        "from archgym.simulators.synthetic import Synthetic\n"
        "register_env('script/Instance-v0', Synthetic(delay_s=0.0), objective={'type': 'minimize', 'metric': 'cost_au'})\n"
        "register_env('script/Class-v0', Synthetic, simulator_kwargs={'n_integers': 2})\n"
    )
    exec(script, {"__name__": "__main__"})
    (refused,) = recipes_for(["script/Instance-v0"], remote=True)
    assert recipes_for(["script/Instance-v0"], remote=False) == ()  # a forked pool inherits it
    spec = spec_from_dict(
        {"budget": 2, "store": "s.db", "envs": ["script/Instance-v0"], "agents": ["random"]}
    )
    with pytest.raises(ShippingError, match=r"script/Instance-v0.*instance \(Synthetic\).*-m"):
        run_sweep(spec, executor="ray")  # refused before Ray starts
    assert refused.refusal is not None
    (recipe,) = recipes_for(["script/Class-v0"], remote=True)
    assert recipe.simulator == "archgym.simulators.synthetic:Synthetic"
    assert recipe.simulator_kwargs == {"n_integers": 2}


@pytest.mark.slow
def test_a_node_removed_mid_sweep_loses_no_row_and_its_trial_resumes(
    cluster, lab_env, postgres_url, tmp_path: Path
) -> None:
    doomed = cluster.add_node(num_cpus=1)  # a fourth CPU, so a trial surely runs there
    cluster.wait_for_nodes()
    spec = _spec(postgres_url, cluster.address, lab_env, budget=300, seeds=4)
    removed = []

    def remove_the_node(progress: SweepProgress) -> None:
        # Only once every trial has recorded designs: on a loaded machine the doomed node's
        # worker can start seconds late, and a trial killed before its first row is retried
        # from scratch, not resumed. A trial takes >= 3 s (300 x 10 ms), the poll 0.5 s.
        if removed or progress.evaluations < 4 * 20:
            return
        with Store(postgres_url) as store:
            counts = [store.count_evaluations(int(i)) for i in store.runs()["id"]]
        if len(counts) == 4 and min(counts) >= 20:
            removed.append(doomed.node_id)
            cluster.remove_node(doomed, allow_graceful=False)

    result = run_sweep(spec, on_progress=remove_the_node)
    assert removed, "the sweep ended before the node was removed"
    assert not result.failed, [o.error for o in result.failed]
    assert any(o.resumed for o in result.outcomes), "no trial was retried after the node died"
    assert doomed.node_id not in {o.node for o in result.outcomes}
    _assert_one_complete_run_per_trial(spec)
    # the resumed trial made exactly the designs an uninterrupted run makes
    reference = spec_from_dict(
        {**_raw(spec), "store": str(tmp_path / "ref.db"), "executor": "serial"}
    )
    run_sweep(reference)
    assert _trajectories(spec.store) == _trajectories(reference.store)


def _raw(spec) -> dict:
    return {
        "budget": spec.budget,
        "seeds": list(spec.seeds),
        "envs": [spec.envs[0].id],
        "agents": ["random"],
        "modules": list(spec.modules),
    }


def _trajectories(location) -> dict[str, list]:
    with Store(location) as store:
        runs = store.runs()
        return {
            run.trial_key: [(e["step"], e["design"]) for e in store.evaluations(run.id)]
            for run in runs.itertuples()
        }
