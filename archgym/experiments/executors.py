"""Run a spec's trials into one store: serially, on a local process pool, or as Ray tasks.

Every trial is keyed by :attr:`~archgym.experiments.spec.Trial.key` (stored as the run's
``trial_key``): a trial with a finished run is skipped, one with an unfinished run (killed,
interrupted, failed) is resumed with ``archgym.run(..., resume=run_id)`` and ends at exactly
its budget, and only a trial with no run starts afresh. Workers write their own evaluations
to the store (each opens its own connection), so a killed worker loses at most the
evaluation in flight.

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
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archgym._optional import import_optional
from archgym._procs import Terminated, die_with_parent
from archgym.experiments.spec import EXECUTORS, ExperimentSpec, Trial
from archgym.store import Store

#: How often (s) a running sweep reports progress while no trial finishes.
POLL_SECONDS = 0.5
#: How many times a trial whose worker died is started again (it resumes where it stopped).
MAX_RETRIES = 2


@dataclass(frozen=True)
class TrialOutcome:
    """What happened to one trial: ``status`` is "skipped" (already finished in the store),
    "finished", "stalled" (the agent stopped proposing new designs), "failed", or "cancelled"
    (the sweep was stopped before the trial started)."""

    key: str
    status: str
    run_id: int | None = None
    new_evaluations: int = 0
    best_reward: float | None = None
    resumed: bool = False
    seconds: float = 0.0
    error: str | None = None


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
    if spec.store.exists():
        with Store(spec.store) as store:
            # runs in id order, so a trial's latest unfinished run is the one a sweep resumes
            for run in store.runs().sort_values("id").itertuples():
                if run.trial_key and state.get(run.trial_key) != "done":
                    state[run.trial_key] = (
                        "done" if run.status == "finished" else f"partial ({run.evaluations})"
                    )
    return {t.key: state.get(t.key, "new") for t in spec.trials()}


def run_trial(trial: Trial, store_path: str) -> TrialOutcome:
    """Run (or resume, or skip) one trial into the store at ``store_path``; never raises for a
    failing agent or simulator (the outcome says "failed"), only for Ctrl-C."""
    import archgym
    from archgym.agents import make_agent

    start = time.perf_counter()
    with Store(store_path) as store:
        runs = store.find_runs(trial.key)
        finished = [r for r in runs if r.status == "finished"]
        if finished:
            return TrialOutcome(trial.key, "skipped", finished[-1].id)
        resume = runs[-1].id if runs else None
        replayed = store.count_evaluations(resume, "simulator") if resume is not None else 0
        try:
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
        except (
            Exception
        ) as err:  # one broken trial must not stop the sweep; its run is marked failed
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


class SerialExecutor:
    """Runs trials one after another in this process."""

    def run(self, trials: Iterable[Trial], store_path: str) -> Iterator[TrialOutcome | None]:
        for trial in trials:
            yield run_trial(trial, store_path)


class LocalExecutor:
    """A process pool over this machine's cores; a pool broken by a killed worker is rebuilt and
    the trials it was running resume (up to :data:`MAX_RETRIES` times each).

    Ctrl-C stops the sweep: running trials mark their runs interrupted (and resume on the next
    run of the spec), queued ones do not start.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1

    def run(self, trials: Iterable[Trial], store_path: str) -> Iterator[TrialOutcome | None]:
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
            futures = {pool.submit(_pool_trial, t, store_path): t for t in pending}
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


def _pool_trial(trial: Trial, store_path: str) -> TrialOutcome:
    """:func:`run_trial` in a pool worker: interruptible while it runs; not started once the sweep stops.

    SIGTERM (from ``kill``, a scheduler, or the kernel when the sweep died) interrupts the
    trial like Ctrl-C and then ends the worker, as SIGTERM would have without the handler.
    """
    signal.signal(signal.SIGINT, _interrupt_once)
    signal.signal(signal.SIGTERM, _terminate_once)
    try:
        if _STOP is not None and _STOP.is_set():
            return TrialOutcome(trial.key, "cancelled")
        return run_trial(trial, store_path)
    except Terminated:
        os._exit(128 + signal.SIGTERM)  # the run is closed; the worker's work is over
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _terminate_once(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated


class RayExecutor:
    """Ray tasks, one CPU each, on ``ray.init(address=address)``; without an address a local Ray
    instance with ``workers`` CPUs is started (and shut down afterwards). Ray restarts a task
    whose worker died; the restarted task resumes the trial's run.

    On a multi-node cluster the store path must be one file every node can open (SQLite over
    a network file system that supports its locks).
    """

    def __init__(self, workers: int | None = None, address: str | None = None) -> None:
        self.workers = workers
        self.address = address

    def run(self, trials: Iterable[Trial], store_path: str) -> Iterator[TrialOutcome | None]:
        ray = import_optional("ray", extra="ray", purpose="executor 'ray'")
        started = not ray.is_initialized()
        if started:
            ray.init(
                address=self.address,
                num_cpus=None if self.address else (self.workers or os.cpu_count()),
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        refs: dict[Any, Trial] = {}
        try:
            task = ray.remote(num_cpus=1, max_retries=MAX_RETRIES)(run_trial)
            refs = {task.remote(t, store_path): t for t in trials}
            while refs:
                done, _ = ray.wait(list(refs), num_returns=1, timeout=POLL_SECONDS)
                for ref in done:
                    trial = refs.pop(ref)
                    try:
                        yield ray.get(ref)
                    except (
                        ray.exceptions.RayError
                    ) as err:  # a worker died more often than Ray retries
                        yield TrialOutcome(
                            trial.key, "failed", error=f"{type(err).__name__}: {err}"
                        )
                if not done:
                    yield None
        except (
            BaseException
        ):  # Ctrl-C, or the consumer stopped: running tasks mark their runs interrupted
            for ref in refs:
                ray.cancel(ref)
            if refs:
                ray.wait(list(refs), num_returns=len(refs), timeout=10)
            raise
        finally:
            if started:
                ray.shutdown()


def make_executor(
    name: str, workers: int | None = None, address: str | None = None
) -> SerialExecutor | LocalExecutor | RayExecutor:
    """An executor by name: "local" (process pool, the default), "ray", or "serial" (this process;
    for debugging and as the benchmark's reference)."""
    if name == "local":
        return LocalExecutor(workers)
    if name == "ray":
        return RayExecutor(workers, address)
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

    ``on_progress`` is called after each trial and every :data:`POLL_SECONDS` in between.
    """
    name = executor or spec.executor
    runner = make_executor(name, workers or spec.workers, address or spec.address)
    store_path = str(Path(spec.store).resolve())
    trials = spec.trials()
    outcomes: list[TrialOutcome] = []
    with Store(store_path) as store:
        # Skip finished trials here, so a re-run of a finished sweep starts no worker at all.
        runs = store.runs()
        finished = runs[runs["status"] == "finished"].groupby("trial_key")["id"].max().to_dict()
        todo = []
        for trial in trials:
            if trial.key in finished:
                outcomes.append(TrialOutcome(trial.key, "skipped", int(finished[trial.key])))
            else:
                todo.append(trial)
        keys = {t.key for t in todo}
        progress = SweepProgress(total=len(trials), done=len(outcomes))
        baseline = _recorded_evaluations(store, keys)
        last_poll = 0.0
        # closing: a Ctrl-C in this loop (or in on_progress) stops the executor's workers at once.
        with contextlib.closing(runner.run(todo, store_path)) as stream:
            for outcome in stream:
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
    return SweepResult(outcomes, progress.elapsed)


def _recorded_evaluations(store: Store, keys: set[str]) -> int:
    # The store's per-run counts, summed over this sweep's trials (workers write; we only read).
    if not keys:
        return 0
    runs = store.runs()
    return int(runs.loc[runs["trial_key"].isin(keys), "evaluations"].sum())
