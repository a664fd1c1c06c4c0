from __future__ import annotations

import os
import signal
import time

import pytest

import archgym
from archgym._procs import Terminated, sigterm_interrupts
from archgym.agents import RandomSearch, RandomWalk, make_agent
from archgym.simulators.synthetic import Synthetic
from archgym.store import Store
from archgym.testing import check_agent


@pytest.mark.parametrize("factory", [RandomSearch, RandomWalk])
def test_foundation_agents_pass_check_agent(factory):
    check_agent(factory)


def test_run_records_every_evaluation_and_is_reproducible(tmp_path):
    store = Store(tmp_path / "runs.db")
    a = archgym.run(RandomWalk(), "archgym/Synthetic-v0", budget=40, seed=3, store=store)
    b = archgym.run(RandomWalk(), "archgym/Synthetic-v0", budget=40, seed=3, store=store)
    assert a.counts["simulator"] == 40 and a.status == "finished"
    assert [e.design for e in a.evaluations] == [e.design for e in b.evaluations]
    df = store.to_dataframe(run_ids=[a.run_id])
    assert len(df) == len(a.evaluations) and df["reward"].max() == a.best.reward
    run = store.run(a.run_id)
    assert (
        run.status == "finished"
        and run.hyperparameters == RandomWalk().get_params()
        and run.seed == 3
    )


def test_resume_replays_without_resimulating(tmp_path):
    store = Store(tmp_path / "runs.db")
    full = archgym.run(RandomSearch(), "archgym/Synthetic-v0", budget=30, seed=5)
    partial = archgym.run(RandomSearch(), "archgym/Synthetic-v0", budget=30, seed=5, store=store)
    # simulate a crash after 12 evaluations: drop the rest and mark the run as still running
    store._write("DELETE FROM evaluations WHERE run_id = ? AND step >= 12", (partial.run_id,))
    store.reopen_run(partial.run_id)
    sim = Synthetic()
    calls = []
    original = sim.evaluate
    sim.evaluate = lambda design, workload=None: calls.append(1) or original(design, workload)
    env = archgym.DesignEnv(
        sim, objective=archgym.Minimize("cost_au"), env_id="archgym/Synthetic-v0"
    )
    resumed = archgym.run(RandomSearch(), env, budget=999, store=store, resume=partial.run_id)
    assert sum(calls) == 18  # only the lost evaluations are simulated again
    assert resumed.counts["simulator"] == 30
    assert [r["design"] for r in store.evaluations(partial.run_id)] == [
        e.design for e in full.evaluations
    ]


def test_small_space_stops_when_exhausted():
    from archgym.space import DesignSpace, Integer

    class Tiny(Synthetic):
        def design_space(self, workload=None):
            return DesignSpace([Integer("x0", 0, 3)])

        def evaluate_batch(self, designs, workload=None):
            return [{"cost_au": float(d["x0"]), "area_au": 0.0} for d in designs]

    env = archgym.DesignEnv(Tiny(), objective=archgym.Minimize("cost_au"))
    result = archgym.run(RandomWalk(), env, budget=50, seed=0)
    assert result.counts["simulator"] == 4 and result.status == "stalled"


def test_bad_agent_arguments():
    with pytest.raises(ValueError, match="hyperparameter 'step_size'=0 is outside its range"):
        RandomWalk(step_size=0)
    with pytest.raises(KeyError, match="no agent 'sgd'"):
        make_agent("sgd")
    with pytest.raises(ValueError, match="budget must be a positive"):
        archgym.run(RandomSearch(), "archgym/Synthetic-v0", budget=0)


@pytest.mark.parametrize("name", ["ppo", "marl"])
def test_a_resumed_rl_run_reaches_its_budget(tmp_path, name):
    """Replayed steps are progress: the idle guard must not end a resumed RL run early."""
    tiny = {"ppo": dict(n_steps=8, batch_size=8, hidden=8), "marl": dict(n_steps=8, hidden=8)}[name]
    store = Store(tmp_path / "runs.db")
    partial = archgym.run(
        make_agent(name, **tiny), "archgym/Synthetic-v0", budget=30, seed=2, store=store
    )
    store._write("DELETE FROM evaluations WHERE run_id = ? AND step >= 12", (partial.run_id,))
    store.reopen_run(partial.run_id)
    resumed = archgym.run(
        make_agent(name, **tiny),
        "archgym/Synthetic-v0",
        budget=30,
        store=store,
        resume=partial.run_id,
    )
    assert resumed.status == "finished" and resumed.counts["simulator"] == 30
    assert store.count_evaluations(partial.run_id, "simulator") == 30
    assert store.run(partial.run_id).status == "finished"


def test_stop_rule_counts_replays_as_progress(tmp_path):
    store = Store(tmp_path / "runs.db")
    done = archgym.run(RandomSearch(), "archgym/Synthetic-v0", budget=5, seed=0, store=store)
    env = archgym.make("archgym/Synthetic-v0")
    archgym.Run.resume(env, done.run_id, store)
    rule = archgym.loop.StopRule(env.evaluator, env.space.size)
    assert rule.done  # the whole budget is already recorded
    rng_designs = [e.design for e in done.evaluations]
    before = env.evaluator.progress
    env.evaluate(rng_designs[:2])
    assert env.evaluator.progress == before + 2 and env.evaluator.simulator_calls == 5


def test_run_context_records_failure_and_interrupt(tmp_path):
    env = archgym.make("archgym/Synthetic-v0", store=tmp_path / "runs.db")
    with (
        pytest.raises(RuntimeError, match="boom"),
        archgym.Run.start(env, "manual", budget=3) as run,
    ):
        env.evaluate([env.space.sample(0)])
        raise RuntimeError("boom")
    record = env.store.run(run.id)
    assert record.status == "failed" and env.store.count_evaluations(run.id) == 1
    with pytest.raises(KeyboardInterrupt), archgym.Run.start(env, "manual", budget=3) as run:
        raise KeyboardInterrupt
    assert env.store.run(run.id).status == "interrupted"


def test_stepping_an_env_with_a_store_opens_a_manual_run(tmp_path):
    env = archgym.make("archgym/Synthetic-v0", store=tmp_path / "runs.db", budget=4)
    env.reset(seed=0)
    for _ in range(3):
        env.step(env.action_space.sample())
    env.close()
    record = env.store.run(env.run_id)
    assert (
        record.agent == "manual" and record.budget == 4 and record.env_id == "archgym/Synthetic-v0"
    )
    assert [r["step"] for r in env.store.evaluations(env.run_id)] == [0, 1, 2]


def test_only_the_loop_writes_an_evaluator_budget():
    """The budget has one writer (archgym.loop.Run); the env's constructor only sets its first value."""
    import ast
    from pathlib import Path

    root = Path(archgym.__file__).parent
    writers = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AugAssign | ast.AnnAssign)
                else []
            )
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == "budget":
                    writers.append((path.relative_to(root).as_posix(), ast.unparse(target)))
    assert ("loop.py", "evaluator.budget") in writers  # the check sees the real writer
    others = [w for w in writers if w[0] != "loop.py" and w != ("agents/base.py", "self.budget")]
    assert others == []


def test_the_old_run_methods_of_designenv_still_work_with_a_warning(tmp_path):
    env = archgym.make("archgym/Synthetic-v0", store=tmp_path / "runs.db")
    with pytest.warns(DeprecationWarning, match="moved to archgym.Run.start"):
        run_id = env.start_run("manual", budget=2)
    env.evaluate([env.space.sample(0)])
    with pytest.warns(DeprecationWarning, match="moved to archgym.Run.finish"):
        env.finish_run()
    assert env.store.run(run_id).status == "finished" and env.store.count_evaluations(run_id) == 1
    with pytest.raises(TypeError, match="other encodings are wrappers now"):
        archgym.DesignEnv(Synthetic(), action_encoding="box")
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = env.nope


@pytest.mark.parametrize("seed", [-1, 2**32, 2**70, 1.5, True, "3"])
def test_a_bad_seed_is_refused_before_a_run_opens(tmp_path, seed):
    store = Store(tmp_path / "runs.db")
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 4294967295\]"):
        archgym.run(RandomSearch(), "archgym/Synthetic-v0", budget=3, seed=seed, store=store)
    env = archgym.make("archgym/Synthetic-v0", store=store)
    with pytest.raises(ValueError, match="seed must be an integer"):
        archgym.Run.start(env, "manual", seed=seed, budget=3)
    assert len(store.runs()) == 0  # no ghost "running" row


def test_an_error_after_the_run_opens_closes_it_as_failed(tmp_path):
    store = Store(tmp_path / "runs.db")

    class Broken(RandomSearch):
        def setup(self, space, **kwargs):
            raise RuntimeError("setup failed")

    with pytest.raises(RuntimeError, match="setup failed"):
        archgym.run(Broken(), "archgym/Synthetic-v0", budget=3, seed=0, store=store)
    runs = store.runs()
    assert list(runs["status"]) == ["failed"] and "setup failed" in store_message(store, 1)


def store_message(store, run_id):
    return store._conn.execute("SELECT message FROM runs WHERE id = ?", (run_id,)).fetchone()[0]


def test_resuming_a_finished_run_reports_it_unchanged(tmp_path):
    store = Store(tmp_path / "runs.db")
    done = archgym.run(RandomWalk(), "archgym/Synthetic-v0", budget=12, seed=4, store=store)
    before = store.runs().drop(columns=["finished_at"], errors="ignore")
    again = archgym.run(
        RandomWalk(), "archgym/Synthetic-v0", budget=12, store=store, resume=done.run_id
    )
    assert again.status == "finished" and again.run_id == done.run_id
    assert [e.design for e in again.evaluations] == [e.design for e in done.evaluations]
    assert again.best.reward == done.best.reward and again.counts == done.counts
    assert store.runs().drop(columns=["finished_at"], errors="ignore").equals(before)
    assert store.count_evaluations(done.run_id) == 12


def test_rl_runs_leave_nothing_in_the_temp_dir(tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    archgym.run(
        make_agent("ppo", n_steps=8, batch_size=8, hidden=8), "archgym/Synthetic-v0", budget=10
    )
    assert list(scratch.iterdir()) == []  # SB3's default logger made an SB3-<date> dir here


class _SignalMangledByImport(RandomSearch):
    """Sends itself ``sig`` on its 6th ask and, as CPython once did when a SIGTERM landed inside
    an import, turns the interruption its handler raised into another error."""

    sig = signal.SIGTERM
    replacement: BaseException = TypeError("expected a message argument")

    def ask(self, n: int = 1):
        self.asks = getattr(self, "asks", 0) + 1
        if self.asks == 6:
            try:
                os.kill(os.getpid(), self.sig)
                time.sleep(5)  # the handler raises before this ends
            except KeyboardInterrupt:
                raise self.replacement from None
        return super().ask(n)


@pytest.fixture
def python_signal_defaults():
    """Python's own SIGTERM and SIGINT handling for the test: an in-process Ray started by
    another test in this worker leaves its SIGTERM handler (which shuts Ray down and exits)
    installed, and ``sigterm_interrupts`` rightly leaves a handler it did not install alone."""
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    for sig, handler in before.items():
        signal.signal(sig, handler)


@pytest.mark.parametrize(
    ("sig", "replacement", "raised"),
    [
        (signal.SIGTERM, TypeError("expected a message argument"), Terminated),
        (signal.SIGINT, TypeError("expected a message argument"), KeyboardInterrupt),
        (signal.SIGTERM, KeyboardInterrupt(), Terminated),  # as Ray does during ray.wait
    ],
    ids=["sigterm-as-TypeError", "sigint-as-TypeError", "sigterm-as-KeyboardInterrupt"],
)
def test_a_signal_turned_into_another_error_still_closes_the_run_as_interrupted(
    tmp_path, sig, replacement, raised, python_signal_defaults
):
    store = Store(tmp_path / "runs.db")
    agent = _SignalMangledByImport()
    agent.sig, agent.replacement = sig, replacement
    with pytest.raises(raised) as stopped, sigterm_interrupts():
        # the signal must reach archgym's handlers, never the default action on the test process
        assert signal.getsignal(sig) not in (signal.SIG_DFL, signal.default_int_handler)
        archgym.run(agent, "archgym/Synthetic-v0", budget=30, seed=1, store=store)
    assert stopped.type is raised and stopped.value.__cause__ is replacement
    (run,) = store.runs().itertuples()
    assert run.status == "interrupted" and store.count_evaluations(int(run.id)) == 5
    # in a block no signal stopped, an error stays what it is and fails the run
    with pytest.raises(TypeError), sigterm_interrupts():
        archgym.run(_Broken(), "archgym/Synthetic-v0", budget=30, seed=1, store=store)
    assert store.run(2).status == "failed"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


class _Broken(RandomSearch):
    def ask(self, n: int = 1):
        raise TypeError("a bug in the agent")
