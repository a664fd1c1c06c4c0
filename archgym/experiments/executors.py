"""Run a spec's trials into one store: serially, on a local process pool, or as Ray tasks.

Every trial is keyed by :attr:`~archgym.experiments.spec.Trial.key` (stored as the run's
``trial_key``): a trial with a finished run is skipped, one with an unfinished run (killed,
interrupted, failed) is resumed with ``archgym.run(..., resume=run_id)`` and ends at exactly
its budget, and only a trial with no run starts afresh. Workers write their own evaluations
to the store (each opens its own connection), so a killed worker loses at most the
evaluation in flight.

Sweeps of one spec may run at once (on one machine or many, on a SQLite or PostgreSQL store):
a worker claims its trial in the store before running it (:meth:`archgym.store.Store.claim_trial`)
and refreshes the claim while it runs. A trial another live sweep holds is not run twice: this
sweep waits for it and reports it skipped once finished, or takes it over if its holder died.

Example:
    >>> import pathlib, tempfile
    >>> from archgym.experiments.spec import spec_from_dict
    >>> spec = spec_from_dict({"budget": 5, "seeds": 1, "store": str(pathlib.Path(tempfile.mkdtemp()) / "s.db"),
    ...                        "envs": ["archgym/Synthetic-v0"], "agents": ["random"]})
    >>> [o.status for o in run_sweep(spec, executor="serial").outcomes]
    ['finished']
    >>> [o.status for o in run_sweep(spec, executor="serial").outcomes]  # the same spec again
    ['skipped']
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
import traceback
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from archgym._optional import import_optional
from archgym._procs import (
    Terminated,
    adopt_descendants,
    die_with_parent,
    interruption,
    kill_adopted,
    kill_marked,
    marking,
    scratch_root,
)
from archgym.experiments.shipping import ShippingError, TrialSetup, recipes_for
from archgym.experiments.spec import EXECUTORS, ExperimentSpec, Trial
from archgym.store import CLAIM_HEARTBEAT_S, CLAIM_STALE_S, Store, host_id, store_exists

#: How often (s) a running sweep reports progress while no trial finishes.
POLL_SECONDS = 0.5
#: How many times a trial whose worker died is started again (it resumes where it stopped).
MAX_RETRIES = 2


@dataclass(frozen=True)
class TrialOutcome:
    """What happened to one trial: ``status`` is "skipped" (already finished in the store),
    "finished", "stalled" (the agent stopped proposing new designs), "failed", "cancelled"
    (the sweep was stopped before the trial started) or "held" (another live sweep is running
    it; :func:`run_sweep` waits for it). ``node`` is the Ray node that ran it (Ray only)."""

    key: str
    status: str
    run_id: int | None = None
    new_evaluations: int = 0
    best_reward: float | None = None
    resumed: bool = False
    seconds: float = 0.0
    error: str | None = None
    node: str | None = None


@dataclass
class SweepProgress:
    """Counts a progress bar shows; ``evaluations`` are those this sweep's trials recorded so far."""

    total: int
    done: int = 0
    failed: int = 0
    evaluations: int = 0
    started: float = field(default_factory=time.perf_counter)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    @property
    def evaluations_per_second(self) -> float:
        return self.evaluations / self.elapsed if self.elapsed > 0 else 0.0


@dataclass
class SweepResult:
    """Every trial's outcome, in completion order."""

    outcomes: list[TrialOutcome]
    seconds: float

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def failed(self) -> list[TrialOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def trial_states(spec: ExperimentSpec) -> dict[str, str]:
    """Each trial's key and what :func:`run_sweep` will do with it: ``"done"`` (a finished run;
    skipped), ``"partial (N)"`` (an unfinished run with N recorded evaluations; resumed) or ``"new"``.

    Example:
        >>> import pathlib, tempfile
        >>> from archgym.experiments.spec import spec_from_dict
        >>> spec = spec_from_dict({"budget": 5, "seeds": 2, "store": str(pathlib.Path(tempfile.mkdtemp()) / "s.db"),
        ...                        "envs": ["archgym/Synthetic-v0"], "agents": ["random"]})
        >>> sorted(trial_states(spec).values())
        ['new', 'new']
        >>> _ = run_sweep(spec, executor="serial")
        >>> sorted(trial_states(spec).values())
        ['done', 'done']
    """
    state: dict[str, str] = {}
    if store_exists(spec.store):
        with Store(spec.store) as store:
            # runs in id order, so a trial's latest unfinished run is the one a sweep resumes
            for run in store.runs().sort_values("id").itertuples():
                if run.trial_key and state.get(run.trial_key) != "done":
                    state[run.trial_key] = (
                        "done" if run.status == "finished" else f"partial ({run.evaluations})"
                    )
    return {t.key: state.get(t.key, "new") for t in spec.trials()}


def run_trial(trial: Trial, setup: TrialSetup | str) -> TrialOutcome:
    """Run (or resume, or skip) one trial into the store of ``setup`` (or at a store location);
    never raises for a failing agent or simulator (the outcome says "failed"), only for Ctrl-C.

    With a sweep id in ``setup`` the trial is first claimed in the store: one held by another
    live sweep is not run (the outcome says "held"), and the claim is refreshed while it runs.
    """
    setup = TrialSetup(setup) if isinstance(setup, str) else setup
    start = time.perf_counter()
    with Store(setup.store) as store:
        if setup.sweep is not None:
            claim = store.claim_trial(trial.key, setup.sweep)
            if not claim.acquired:
                return TrialOutcome(trial.key, "held", error=f"held by sweep {claim.sweep}")
        try:
            with _heartbeat(setup, trial.key):
                return _run_claimed(trial, setup, store, start)
        finally:
            if setup.sweep is not None:
                store.release_trial(trial.key, setup.sweep)


def _run_claimed(trial: Trial, setup: TrialSetup, store: Store, start: float) -> TrialOutcome:
    import archgym
    from archgym.agents import make_agent

    runs = store.find_runs(trial.key)
    finished = [r for r in runs if r.status == "finished"]
    if finished:
        return TrialOutcome(trial.key, "skipped", finished[-1].id)
    resume = runs[-1].id if runs else None
    replayed = store.count_evaluations(resume, "simulator") if resume is not None else 0
    try:
        setup.prepare()
        agent = make_agent(trial.agent, **trial.hyperparameters)
        env = archgym.make(trial.env.id, **trial.env.make_kwargs())
        result = archgym.run(
            agent,
            env,
            budget=trial.budget,
            seed=trial.seed,
            store=store,
            resume=resume,
            trial_key=trial.key,
        )
    except Exception as err:  # one broken trial must not stop the sweep; its run is marked failed
        return TrialOutcome(
            trial.key,
            "failed",
            resume,
            resumed=resume is not None,
            seconds=time.perf_counter() - start,
            error=f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=-3)}",
        )
    best = result.best.reward if result.evaluations else None
    return TrialOutcome(
        trial.key,
        result.status,
        result.run_id,
        result.counts.get("simulator", 0) - replayed,
        best,
        resume is not None,
        time.perf_counter() - start,
    )


@contextlib.contextmanager
def _heartbeat(setup: TrialSetup, trial_key: str) -> Iterator[None]:
    """Refresh this process's claim on a trial every :data:`CLAIM_HEARTBEAT_S` while it runs
    (on a connection of its own: the trial's is busy in its own transactions)."""
    if setup.sweep is None:
        yield
        return
    sweep, done = setup.sweep, threading.Event()

    def beat() -> None:
        with Store(setup.store) as store:
            while not done.wait(CLAIM_HEARTBEAT_S):
                store.heartbeat(trial_key, sweep)

    thread = threading.Thread(target=beat, name=f"claim {trial_key}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=CLAIM_HEARTBEAT_S)


class SerialExecutor:
    """Runs trials one after another in this process."""

    def run(self, trials: Iterable[Trial], setup: TrialSetup) -> Iterator[TrialOutcome | None]:
        for trial in trials:
            yield run_trial(trial, setup)


class LocalExecutor:
    """A process pool over this machine's cores; a pool broken by a killed worker is rebuilt and
    the trials it was running resume (up to :data:`MAX_RETRIES` times each).

    Ctrl-C stops the sweep: running trials mark their runs interrupted (and resume on the next
    run of the spec), queued ones do not start.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1

    def run(self, trials: Iterable[Trial], setup: TrialSetup) -> Iterator[TrialOutcome | None]:
        pending, attempts = list(trials), Counter[str]()
        # fork: workers start in milliseconds and inherit the registered envs and agents.
        context = multiprocessing.get_context("fork")
        stop, pids = context.Event(), context.SimpleQueue()
        while pending:
            pool = ProcessPoolExecutor(
                max_workers=min(self.workers, len(pending)),
                mp_context=context,
                initializer=_init_worker,
                initargs=(stop, pids, os.getpid()),
            )
            futures = {pool.submit(_pool_trial, t, setup): t for t in pending}
            pending = []
            try:
                while futures:
                    done, _ = wait(futures, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
                    for future in done:
                        trial = futures.pop(future)
                        try:
                            yield future.result()
                        except BrokenProcessPool:
                            attempts[trial.key] += 1
                            if attempts[trial.key] > MAX_RETRIES:
                                yield TrialOutcome(
                                    trial.key,
                                    "failed",
                                    error=f"its worker process died {attempts[trial.key]} times",
                                )
                            else:
                                pending.append(trial)
                    if not done:
                        yield None
            except BaseException:  # Ctrl-C here, or the consumer stopped (GeneratorExit)
                stop.set()
                # Workers ignore SIGINT between trials; one in a trial takes it as Ctrl-C. The
                # terminal may have sent it already; a second one is ignored (see _interrupt_once).
                while not pids.empty():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pids.get(), signal.SIGINT)
                raise
            finally:
                pool.shutdown(wait=True, cancel_futures=True)


#: In a pool worker: the sweep's stop flag (set on Ctrl-C so queued trials do not start).
_STOP: Any = None


def _init_worker(stop: Any, pids: Any, parent: int) -> None:
    global _STOP
    _STOP = stop
    # A worker dies with the sweep, even a SIGKILLed one: the kernel sends it SIGTERM, which
    # interrupts its trial (the run is marked interrupted and resumes on the next sweep).
    die_with_parent(signal.SIGTERM, parent)
    pids.put(os.getpid())
    # An idle worker must not die of Ctrl-C (that breaks the pool and kills its busy peers).
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _interrupt_once(signum: int, frame: Any) -> None:
    # A second SIGINT must not cut short the first one's bookkeeping (marking the run interrupted).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def _pool_trial(trial: Trial, setup: TrialSetup) -> TrialOutcome:
    """:func:`run_trial` in a pool worker: interruptible while it runs; not started once the sweep stops.

    SIGTERM (from ``kill``, a scheduler, or the kernel when the sweep died) interrupts the
    trial like Ctrl-C and then ends the worker, as SIGTERM would have without the handler.
    """
    signal.signal(signal.SIGINT, _interrupt_once)
    signal.signal(signal.SIGTERM, _terminate_once)
    try:
        if _STOP is not None and _STOP.is_set():
            return TrialOutcome(trial.key, "cancelled")
        return run_trial(trial, setup)
    except Terminated:
        os._exit(128 + signal.SIGTERM)  # the run is closed; the worker's work is over
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _terminate_once(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated


class RayExecutor:
    """Ray tasks on ``ray.init(address=address)`` (``"auto"``, ``"ray://head:10001"``, or a
    head's ``host:port``); without an address a local Ray instance with ``workers`` CPUs is
    started (and shut down afterwards).

    Each trial asks for ``resources_per_trial`` (Ray Tune's form: ``{"cpu": 1, "gpu": 0,
    "memory": bytes, "my_resource": 1}``; default one CPU), so Ray places it on a node that
    has them. A trial whose worker or node died is run again by Ray (up to
    :data:`MAX_RETRIES` times) and resumes its run from the evaluations already committed. On
    more than one node the store must be one every node reaches: a ``postgresql://`` URL.
    """

    def __init__(
        self,
        workers: int | None = None,
        address: str | None = None,
        resources_per_trial: dict[str, float] | None = None,
    ) -> None:
        self.workers = workers
        self.address = address
        self.resources_per_trial = dict(resources_per_trial or {})

    def task_options(self, setup: TrialSetup) -> dict[str, Any]:
        """The ``ray.remote`` options of each trial's task."""
        resources = dict(self.resources_per_trial)
        options: dict[str, Any] = {
            "num_cpus": resources.pop("cpu", 1.0),
            "num_gpus": resources.pop("gpu", 0.0),
            "max_retries": MAX_RETRIES,
        }
        if "memory" in resources:
            options["memory"] = resources.pop("memory")
        if resources:
            options["resources"] = resources
        return options

    def run(self, trials: Iterable[Trial], setup: TrialSetup) -> Iterator[TrialOutcome | None]:
        ray = import_optional("ray", extra="ray", purpose="executor 'ray'")
        started = not ray.is_initialized()
        if started and setup.refusals():  # a Ray of the user's own may register it in a setup hook
            raise ShippingError(setup.refusals()[0])
        # The user's own env modules (not installed packages) are uploaded to every node; Ray
        # takes local directories only for the whole job, in ray.init.
        modules = setup.py_modules()
        mark: Path | None = None
        if started:
            # A Ray instance of our own: its processes (GCS, raylet, agents, workers) carry a
            # mark, so this process's guard kills them if it is SIGKILLed (Ray's own reaper
            # stops the GCS and raylet but leaves agents and busy workers running).
            # ray.init puts in a SIGTERM handler that exits the process at once; ours (if any:
            # `archgym sweep` has one) interrupts the trials and closes their runs first.
            on_sigterm = _sigterm_handler()
            with marking("ray") if not self.address else contextlib.nullcontext() as mark:
                ray.init(
                    # "local" starts a fresh instance: without it Ray joins whatever cluster
                    # this machine last started, which may be someone else's.
                    address=self.address or "local",
                    num_cpus=None if self.address else (self.workers or os.cpu_count()),
                    include_dashboard=False,
                    log_to_driver=False,
                    configure_logging=False,
                    runtime_env={"py_modules": modules} if modules else None,
                )
            if mark is not None:
                adopt_descendants(mark)  # Ray's agents write their title over the mark
            if on_sigterm is not None:
                signal.signal(signal.SIGTERM, on_sigterm)
        elif modules:
            warnings.warn(
                f"Ray was initialised before the sweep, so archgym cannot ship {modules} to its "
                "workers; pass runtime_env={'py_modules': [...]} to ray.init, or let the sweep "
                "start Ray (executor: ray with address:)",
                stacklevel=2,
            )
        # Ray turns an exception raised by a signal handler during ray.wait into a plain
        # KeyboardInterrupt: `interruption` gives back the Terminated a SIGTERM raised (143).
        refs: dict[Any, Trial] = {}
        try:
            task = ray.remote(_ray_trial).options(**self.task_options(setup))
            refs = {task.remote(t, setup): t for t in trials}
            while refs:
                done, _ = ray.wait(list(refs), num_returns=1, timeout=POLL_SECONDS)
                for ref in done:
                    trial = refs.pop(ref)
                    try:
                        yield ray.get(ref)
                    except ray.exceptions.RayError as err:  # died more often than Ray retries
                        yield TrialOutcome(
                            trial.key, "failed", error=f"{type(err).__name__}: {err}"
                        )
                if not done:
                    yield None
        except BaseException as stop:  # Ctrl-C, SIGTERM, or the consumer stopped
            # Running tasks take the cancel as Ctrl-C: they mark their runs interrupted.
            for ref in refs:
                ray.cancel(ref)
            if refs:
                ray.wait(list(refs), num_returns=len(refs), timeout=10)
            if isinstance(stop, KeyboardInterrupt) and interruption(stop) is not stop:
                raise interruption(stop) from None
            raise
        finally:
            if started:
                ray.shutdown()
            if mark is not None:
                kill_marked(mark)  # what ray.shutdown left behind
                kill_adopted(scratch_root())


def _sigterm_handler() -> Any:
    """This process's SIGTERM handler, if it can be put back here (in the main thread), else None."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.getsignal(signal.SIGTERM)


def _ray_trial(trial: Trial, setup: TrialSetup) -> TrialOutcome:
    """:func:`run_trial` in a Ray task; the outcome names the node it ran on."""
    import ray

    outcome = run_trial(trial, setup)
    return replace(outcome, node=ray.get_runtime_context().get_node_id())


def make_executor(
    name: str,
    workers: int | None = None,
    address: str | None = None,
    resources_per_trial: dict[str, float] | None = None,
) -> SerialExecutor | LocalExecutor | RayExecutor:
    """An executor by name: "local" (process pool, the default), "ray", or "serial" (this process;
    for debugging and as the benchmark's reference)."""
    if name == "local":
        return LocalExecutor(workers)
    if name == "ray":
        return RayExecutor(workers, address, resources_per_trial)
    if name == "serial":
        return SerialExecutor()
    raise ValueError(f"executor {name!r} is not one of {list(EXECUTORS)}")


def run_sweep(
    spec: ExperimentSpec,
    *,
    executor: str | None = None,
    workers: int | None = None,
    address: str | None = None,
    on_progress: Callable[[SweepProgress], None] | None = None,
) -> SweepResult:
    """Run every trial of ``spec`` not yet finished in its store; the arguments override the spec's.

    ``on_progress`` is called after each trial and every :data:`POLL_SECONDS` in between. Trials
    that another sweep of the same store is running are waited for (and reported "skipped"
    once it finishes them), or taken over if that sweep died.
    """
    name = executor or spec.executor
    runner = make_executor(
        name, workers or spec.workers, address or spec.address, spec.resources_per_trial
    )
    location = spec.store if isinstance(spec.store, str) else str(Path(spec.store).resolve())
    trials = spec.trials()
    setup = TrialSetup(
        location,
        sweep=f"{host_id()}:{os.getpid()}:{uuid.uuid4().hex[:8]}",
        envs=recipes_for((t.env.id for t in trials), remote=name == "ray"),
    )
    outcomes: list[TrialOutcome] = []
    with Store(location) as store:
        # Skip finished trials here, so a re-run of a finished sweep starts no worker at all.
        finished = _finished_runs(store)
        todo = []
        for trial in trials:
            if trial.key in finished:
                outcomes.append(TrialOutcome(trial.key, "skipped", finished[trial.key]))
            else:
                todo.append(trial)
        keys = {t.key for t in todo}
        progress = SweepProgress(total=len(trials), done=len(outcomes))
        baseline = _recorded_evaluations(store, keys)
        last_poll = 0.0

        def report(outcome: TrialOutcome | None) -> None:
            nonlocal last_poll
            if outcome is not None:
                outcomes.append(outcome)
                progress.done += 1
                progress.failed += outcome.status == "failed"
            if on_progress is not None and (
                outcome is not None or time.perf_counter() - last_poll >= POLL_SECONDS
            ):
                progress.evaluations = _recorded_evaluations(store, keys) - baseline
                last_poll = time.perf_counter()
                on_progress(progress)

        while todo:
            by_key, held = {t.key: t for t in todo}, []
            # closing: a Ctrl-C in this loop (or in on_progress) stops the executor's workers at once.
            with contextlib.closing(runner.run(todo, setup)) as stream:
                for outcome in stream:
                    if outcome is not None and outcome.status == "held":
                        held.append(by_key[outcome.key])
                        outcome = None
                    report(outcome)
            todo = _wait_for_others(store, held, report)
    return SweepResult(outcomes, progress.elapsed)


def _finished_runs(store: Store) -> dict[str, int]:
    """trial key -> the id of its latest finished run."""
    runs = store.runs()
    done = runs[runs["status"] == "finished"].groupby("trial_key")["id"].max()
    return {str(k): int(v) for k, v in done.items()}


def _wait_for_others(
    store: Store, held: list[Trial], report: Callable[[TrialOutcome | None], None]
) -> list[Trial]:
    """Wait while other sweeps run ``held``: a trial they finish is reported skipped; the
    trials they leave unfinished (or whose holder died) are returned to run here."""
    retry: list[Trial] = []
    while held:
        finished, live = _finished_runs(store), store.live_claims(CLAIM_STALE_S)
        waiting = []
        for trial in held:
            if trial.key in finished:
                report(TrialOutcome(trial.key, "skipped", finished[trial.key]))
            elif trial.key in live:
                waiting.append(trial)
            else:
                retry.append(trial)
        held = waiting
        if held:
            time.sleep(POLL_SECONDS)
            report(None)
    return retry


def _recorded_evaluations(store: Store, keys: set[str]) -> int:
    # The store's per-run counts, summed over this sweep's trials (workers write; we only read).
    if not keys:
        return 0
    runs = store.runs()
    return int(runs.loc[runs["trial_key"].isin(keys), "evaluations"].sum())
