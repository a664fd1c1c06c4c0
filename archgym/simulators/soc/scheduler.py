"""Event-driven list scheduling of task DAGs on an SoC, compiled with Numba.

The model (what FARSI's simulator does, to first order):

* every processing element (PE) runs one task at a time: the cores are a pool, each task
  mapped to an accelerator has its own IP; a dummy task (no work) takes no time and no PE;
* a running task needs ``compute_s`` of compute, reads ``read_b`` bytes and writes ``write_b``
  bytes through the one memory and bus. Reads and writes are separate directions, each with the
  full bandwidth ``bw``, shared equally among the running tasks that use that direction. A task
  progresses at the slowest of its compute rate and its two data rates:
  ``duration = max(compute_s, read_b * n_readers / bw, write_b * n_writers / bw)``, re-evaluated
  at every start and finish (a fluid model, exact for piecewise-constant sharing);
* a task's energy is spread over its run in proportion to its progress, giving a piecewise-
  constant power trace whose peak over a sliding window is reported.

Mapping policies (cores only; accelerators start as soon as their inputs are ready):
``ROUND_ROBIN`` deals core tasks to cores in list (topological) order, statically;
``FIRST_FREE`` gives the next ready task, in list order, to whichever core is free;
``CRITICAL_PATH`` does the same, choosing the ready task with the longest path to the end.

Example:
    >>> import numpy as np
    >>> from archgym.simulators.soc.scheduler import ROUND_ROBIN, schedule
    >>> # chain a -> b on one core: 1 s + 2 s
    >>> fin, peak = schedule(np.array([0, 1]), np.array([0, 0, 1]), np.array([0, 1, 1]),
    ...     np.array([1]), np.zeros(2, np.bool_), np.zeros(2, np.int64), 1, np.array([1.0, 2.0]),
    ...     np.zeros(2), np.zeros(2), np.zeros(2, np.bool_), 1, ROUND_ROBIN, 1.0, np.array([3.0, 3.0]), 10.0)
    >>> fin.tolist(), round(peak, 6)
    ([3.0], 2.0)
"""

from __future__ import annotations

import numpy as np
from numba import njit

from archgym.simulators.soc.policies import CRITICAL_PATH, FIRST_FREE, POLICIES, ROUND_ROBIN

__all__ = ["CRITICAL_PATH", "FIRST_FREE", "POLICIES", "ROUND_ROBIN", "schedule", "schedule_batch"]

_WAITING, _READY, _RUNNING, _DONE = 0, 1, 2, 3
_TINY = 1e-300


@njit(cache=True)
def _window_peak(seg_t: np.ndarray, seg_p: np.ndarray, k: int, window: float) -> float:
    """Peak of the mean power over any ``window`` of a piecewise-constant trace.

    ``seg_t[0..k]`` are segment boundaries (``seg_t[0] = 0``), ``seg_p[i]`` the power on segment
    ``i``. The windowed energy is piecewise linear in the window's start, so its maximum is at a
    start or an end aligned with a boundary.
    """
    total_t = seg_t[k]
    cum = np.zeros(k + 1)
    for i in range(k):
        cum[i + 1] = cum[i] + seg_p[i] * (seg_t[i + 1] - seg_t[i])
    if total_t <= 0.0:
        return 0.0
    if total_t <= window:
        return cum[k] / total_t
    best = 0.0
    for i in range(k + 1):
        for start in (seg_t[i], seg_t[i] - window):
            s = min(max(start, 0.0), total_t - window)
            e = s + window
            # cumulative energy at s and e
            js = min(max(np.searchsorted(seg_t, s, side="right") - 1, 0), k - 1)
            je = min(max(np.searchsorted(seg_t, e, side="right") - 1, 0), k - 1)
            fs = cum[js] + seg_p[js] * (s - seg_t[js])
            fe = cum[je] + seg_p[je] * (e - seg_t[je])
            if fe - fs > best:
                best = fe - fs
    return best / window


@njit(cache=True)
def schedule(
    order: np.ndarray,
    pred_ptr: np.ndarray,
    succ_ptr: np.ndarray,
    succ_idx: np.ndarray,
    dummy: np.ndarray,
    graph_of: np.ndarray,
    n_graphs: int,
    compute_s: np.ndarray,
    read_b: np.ndarray,
    write_b: np.ndarray,
    on_accel: np.ndarray,
    n_cores: int,
    policy: int,
    bw: float,
    energy_j: np.ndarray,
    window_s: float,
) -> tuple[np.ndarray, float]:
    """Simulate one design; returns (finish time of each graph in s, peak windowed power in W).

    ``order`` is a topological order of the tasks (the list order); ``pred_ptr`` gives each
    task's number of predecessors (CSR offsets), ``succ_*`` its successors in CSR form; per-task arrays are indexed by task id.
    """
    n = order.shape[0]
    indeg = np.empty(n, np.int64)
    for t in range(n):
        indeg[t] = pred_ptr[t + 1] - pred_ptr[t]
    state = np.zeros(n, np.int64)
    rem = np.ones(n)
    rate = np.zeros(n)
    finish = np.zeros(n)
    # Static round-robin: deal core tasks to cores in list order.
    core_of = np.full(n, -1, np.int64)
    k = 0
    for t in order:
        if not dummy[t] and not on_accel[t]:
            core_of[t] = k % n_cores
            k += 1
    # Critical path: the longest remaining stand-alone path from each task to the end.
    level = np.zeros(n)
    if policy == CRITICAL_PATH:
        for pos in range(n - 1, -1, -1):
            t = order[pos]
            own = 0.0
            if not dummy[t]:
                own = max(compute_s[t], read_b[t] / bw, write_b[t] / bw)
            best = 0.0
            for j in range(succ_ptr[t], succ_ptr[t + 1]):
                best = max(best, level[succ_idx[j]])
            level[t] = own + best
    core_task = np.full(n_cores, -1, np.int64)
    seg_t = np.zeros(2 * n + 2)
    seg_p = np.zeros(2 * n + 2)
    n_seg = 0
    now = 0.0
    done = 0
    while done < n:
        # Release ready tasks; dummies finish on the spot (and may release more).
        changed = True
        while changed:
            changed = False
            for t in order:
                if state[t] == _WAITING and indeg[t] == 0:
                    if dummy[t]:
                        state[t] = _DONE
                        finish[t] = now
                        done += 1
                        for j in range(succ_ptr[t], succ_ptr[t + 1]):
                            indeg[succ_idx[j]] -= 1
                        changed = True
                    else:
                        state[t] = _READY
        if done == n:
            break
        # Dispatch.
        for t in order:
            if state[t] == _READY and on_accel[t]:
                state[t] = _RUNNING
        if policy == ROUND_ROBIN:
            for t in order:
                if state[t] == _READY and core_task[core_of[t]] < 0:
                    core_task[core_of[t]] = t
                    state[t] = _RUNNING
        else:
            for c in range(n_cores):
                if core_task[c] >= 0:
                    continue
                pick = -1
                for t in order:
                    # scanning in list order keeps the earliest task on ties
                    if (
                        state[t] == _READY
                        and not on_accel[t]
                        and (pick < 0 or level[t] > level[pick])
                    ):
                        pick = t
                if pick < 0:
                    break
                core_task[c] = pick
                core_of[pick] = c
                state[pick] = _RUNNING
        # Rates under equal sharing of each bandwidth direction.
        n_read = 0
        n_write = 0
        for t in range(n):
            if state[t] == _RUNNING:
                if read_b[t] > 0:
                    n_read += 1
                if write_b[t] > 0:
                    n_write += 1
        dt = np.inf
        power = 0.0
        for t in range(n):
            if state[t] == _RUNNING:
                d = max(compute_s[t], read_b[t] * n_read / bw, write_b[t] * n_write / bw, _TINY)
                rate[t] = 1.0 / d
                dt = min(dt, rem[t] * d)
                power += energy_j[t] * rate[t]
        seg_p[n_seg] = power
        seg_t[n_seg + 1] = now + dt
        n_seg += 1
        now += dt
        for t in range(n):
            if state[t] == _RUNNING:
                rem[t] -= rate[t] * dt
                if rem[t] <= 1e-9:
                    state[t] = _DONE
                    finish[t] = now
                    done += 1
                    if not on_accel[t]:
                        core_task[core_of[t]] = -1
                    for j in range(succ_ptr[t], succ_ptr[t + 1]):
                        indeg[succ_idx[j]] -= 1
    out = np.zeros(n_graphs)
    for t in range(n):
        out[graph_of[t]] = max(out[graph_of[t]], finish[t])
    return out, _window_peak(seg_t[: n_seg + 1], seg_p, n_seg, window_s)


@njit(cache=True)
def schedule_batch(
    order: np.ndarray,
    pred_ptr: np.ndarray,
    succ_ptr: np.ndarray,
    succ_idx: np.ndarray,
    dummy: np.ndarray,
    graph_of: np.ndarray,
    n_graphs: int,
    compute_s: np.ndarray,
    read_b: np.ndarray,
    write_b: np.ndarray,
    on_accel: np.ndarray,
    n_cores: np.ndarray,
    policy: np.ndarray,
    bw: np.ndarray,
    energy_j: np.ndarray,
    window_s: float,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`schedule` over designs (rows of the 2-D arrays); returns (finish[d, graph], peak_w[d])."""
    m = compute_s.shape[0]
    fin = np.zeros((m, n_graphs))
    peak = np.zeros(m)
    for d in range(m):
        f, p = schedule(
            order,
            pred_ptr,
            succ_ptr,
            succ_idx,
            dummy,
            graph_of,
            n_graphs,
            compute_s[d],
            read_b,
            write_b,
            on_accel[d],
            n_cores[d],
            policy[d],
            bw[d],
            energy_j[d],
            window_s,
        )
        fin[d] = f
        peak[d] = p
    return fin, peak
