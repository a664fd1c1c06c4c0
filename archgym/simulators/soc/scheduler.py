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
* memory sizing (FARSI's ``update_mem_size`` in ``design_utils/components/krnel.py`` driven by
  ``SIM_utils/components/perf_sim.py``): a task's outputs (``out_b``) take memory from the moment
  it is ready (FARSI launches a kernel when its parents are done, whether or not its PE is free;
  a dummy source's from time 0) until FARSI releases them once its consumers have finished
  (:func:`_release`, FARSI's rule including its handling of shared consumers); the
  memory is built for the peak of these live bytes, sized and priced by
  :class:`~archgym.simulators.soc.hardware.Memories`;
* energy: a task's compute energy and its bytes read and written are spread over its run in
  proportion to its progress; bytes are priced per byte at the memory's size (read and write
  apart) once the peak is known;
* power (FARSI's ``calc_SOC_power`` with ``slice_phases_with_PWP``, ``design_utils``): the run is cut
  at event boundaries into consecutive windows: phases are added to a window until one is longer
  than what is left of ``window_s``; that phase closes the window (itself included) and the next
  starts afresh; whatever remains at the end is a last, shorter window. The peak is the highest
  energy / duration over these windows.

Mapping policies (cores only; accelerators start as soon as their inputs are ready):
``ROUND_ROBIN`` deals core tasks to cores in list (topological) order, statically;
``FIRST_FREE`` gives the next ready task, in list order, to whichever core is free;
``CRITICAL_PATH`` does the same, choosing the ready task with the longest path to the end.
A core that never runs a task is not built (FARSI gives a PE hosting only dummy tasks no area).

Example:
    >>> import numpy as np
    >>> from archgym.simulators.soc.scheduler import ROUND_ROBIN, schedule
    >>> # chain a -> b on one core: 1 s + 2 s; no data, so a free 2048-B memory
    >>> flat = np.zeros(1)
    >>> r = schedule(np.array([0, 1]), np.array([0, 0, 1]), np.array([0]), np.array([0, 1, 1]),
    ...     np.array([1]), np.zeros(2, np.bool_), np.zeros(2, np.int64), 1, np.array([1.0, 2.0]),
    ...     np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2, np.bool_), 1, ROUND_ROBIN, 1.0,
    ...     np.array([3.0, 3.0]), 10.0, np.array([2048.0]), flat, flat, flat, 2048.0, 2048.0, 0.0)
    >>> fin, peak, energy, mem_b, mem_mm2, cores = r
    >>> fin.tolist(), round(peak, 6), energy, mem_b, cores
    ([3.0], 2.0, 6.0, 2048.0, 1)
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from archgym.simulators.soc.hardware import interp_extrap
from archgym.simulators.soc.policies import CRITICAL_PATH, FIRST_FREE, POLICIES, ROUND_ROBIN

__all__ = [
    "CRITICAL_PATH",
    "FIRST_FREE",
    "POLICIES",
    "ROUND_ROBIN",
    "farsi_window_peak",
    "schedule",
    "schedule_batch",
]

_WAITING, _READY, _RUNNING, _DONE = 0, 1, 2, 3
_TINY = 1e-300
_interp = njit(cache=True)(interp_extrap)


@njit(cache=True)
def farsi_window_peak(seg_t: np.ndarray, seg_e: np.ndarray, k: int, window: float) -> float:
    """FARSI's peak power: the highest mean power over its consecutive windows of whole phases.

    ``seg_t[0..k]`` are phase boundaries, ``seg_e[i]`` the energy of phase ``i``. A phase longer
    than what is left of the window closes it (itself included); the remainder is a last window.

    >>> t = np.array([0.0, 4.0, 8.0, 12.0, 13.0])
    >>> farsi_window_peak(t, np.array([4.0, 4.0, 8.0, 3.0]), 4, 10.0)  # [0, 12] 16 J, [12, 13] 3 J
    3.0
    """
    best = 0.0
    acc_e = 0.0
    acc_t = 0.0
    budget = window
    for i in range(k):
        length = seg_t[i + 1] - seg_t[i]
        if length <= 0.0:
            continue
        acc_e += seg_e[i]
        acc_t += length
        if length > budget:
            best = max(best, acc_e / acc_t)
            acc_e = 0.0
            acc_t = 0.0
            budget = window
        else:
            budget -= length
    if acc_t > 0.0:
        best = max(best, acc_e / acc_t)
    return best


@njit(cache=True)
def _release(
    t: int,
    pred_ptr: np.ndarray,
    pred_idx: np.ndarray,
    succ_ptr: np.ndarray,
    succ_idx: np.ndarray,
    out_b: np.ndarray,
    dummy: np.ndarray,
    counted: np.ndarray,
    released: np.ndarray,
) -> float:
    """Bytes freed when task ``t`` finishes, by FARSI's rule (``update_scheduled_kernel_list`` in
    ``SIM_utils/components/perf_sim.py``): the finished task joins a list; each of its producers, in
    order, whose consumers are all on the list is released, and its consumers leave the list. So a
    consumer shared by several producers frees only the first of them; the others' outputs stay
    for the rest of the run, as do a dummy source's (``krnel.py``'s ``update_mem_size`` returns at
    once for it). FARSI's memories are sized with all of these, so ours are too.
    """
    counted[t] = True
    freed = 0.0
    for j in range(pred_ptr[t], pred_ptr[t + 1]):
        p = pred_idx[j]
        if released[p]:
            continue
        ready = True
        for k in range(succ_ptr[p], succ_ptr[p + 1]):
            if not counted[succ_idx[k]]:
                ready = False
                break
        if ready:
            released[p] = True
            if not dummy[p]:  # FARSI never frees the source's data (update_mem_size returns first)
                freed += out_b[p]
            for k in range(succ_ptr[p], succ_ptr[p + 1]):
                counted[succ_idx[k]] = False
    return freed


@njit(cache=True)
def schedule(
    order: np.ndarray,
    pred_ptr: np.ndarray,
    pred_idx: np.ndarray,
    succ_ptr: np.ndarray,
    succ_idx: np.ndarray,
    dummy: np.ndarray,
    graph_of: np.ndarray,
    n_graphs: int,
    compute_s: np.ndarray,
    read_b: np.ndarray,
    write_b: np.ndarray,
    out_b: np.ndarray,
    on_accel: np.ndarray,
    n_cores: int,
    policy: int,
    bw: float,
    energy_j: np.ndarray,
    window_s: float,
    mem_sizes: np.ndarray,
    mem_read_pj: np.ndarray,
    mem_write_pj: np.ndarray,
    mem_area_mm2: np.ndarray,
    mem_granule: float,
    mem_min_b: float,
    bus_pj: float,
) -> tuple[np.ndarray, float, float, float, float, int]:
    """Simulate one design.

    Returns (finish time of each graph in s, FARSI peak power in W, energy in J, memory size in
    bytes, memory area in mm^2, cores used). ``order`` is a topological order of the tasks (the
    list order); ``pred_*`` and ``succ_*`` are each task's predecessors and successors in CSR form;
    per-task arrays are indexed by task id; ``energy_j`` is each task's compute energy; ``mem_*``
    is the memory kind's CACTI table (bytes, pJ/B, pJ/B, mm^2), ``bus_pj`` the bus energy per byte.
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
    core_used = np.zeros(n_cores, np.bool_)
    seg_t = np.zeros(2 * n + 2)
    seg_ce = np.zeros(2 * n + 2)  # compute energy, bytes read, bytes written per segment
    seg_rb = np.zeros(2 * n + 2)
    seg_wb = np.zeros(2 * n + 2)
    n_seg = 0
    # Live bytes (see _release): finished tasks not yet counted towards a release, released producers.
    counted = np.zeros(n, np.bool_)
    released = np.zeros(n, np.bool_)
    live = 0.0
    peak_live = 0.0
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
                        live += out_b[t]  # a source's inputs to the graph (0 for sinks)
                        for j in range(succ_ptr[t], succ_ptr[t + 1]):
                            indeg[succ_idx[j]] -= 1
                        live -= _release(
                            t,
                            pred_ptr,
                            pred_idx,
                            succ_ptr,
                            succ_idx,
                            out_b,
                            dummy,
                            counted,
                            released,
                        )
                        changed = True
                    else:
                        state[t] = _READY
                        live += out_b[
                            t
                        ]  # FARSI launches a kernel, and allocates its outputs, once it is ready
        if done == n:
            break
        # Dispatch; a task's outputs take memory from its start.
        for t in order:
            if state[t] == _READY and on_accel[t]:
                state[t] = _RUNNING
        if policy == ROUND_ROBIN:
            for t in order:
                if state[t] == _READY and core_task[core_of[t]] < 0:
                    core_task[core_of[t]] = t
                    core_used[core_of[t]] = True
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
                core_used[c] = True
                core_of[pick] = c
                state[pick] = _RUNNING
        peak_live = max(peak_live, live)
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
        r_rate = 0.0
        w_rate = 0.0
        for t in range(n):
            if state[t] == _RUNNING:
                d = max(compute_s[t], read_b[t] * n_read / bw, write_b[t] * n_write / bw, _TINY)
                rate[t] = 1.0 / d
                dt = min(dt, rem[t] * d)
                power += energy_j[t] * rate[t]
                r_rate += read_b[t] * rate[t]
                w_rate += write_b[t] * rate[t]
        seg_ce[n_seg] = power * dt
        seg_rb[n_seg] = r_rate * dt
        seg_wb[n_seg] = w_rate * dt
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
                    live -= _release(
                        t, pred_ptr, pred_idx, succ_ptr, succ_idx, out_b, dummy, counted, released
                    )
    out = np.zeros(n_graphs)
    for t in range(n):
        out[graph_of[t]] = max(out[graph_of[t]], finish[t])
    # FARSI's memory: the live peak, at least the minimum, in whole granules; CACTI's price at that size.
    mem_b = math.ceil(max(peak_live, mem_min_b) / mem_granule) * mem_granule
    read_pj = _interp(mem_b, mem_sizes, mem_read_pj) + bus_pj
    write_pj = _interp(mem_b, mem_sizes, mem_write_pj) + bus_pj
    seg_e = seg_ce[:n_seg] + (seg_rb[:n_seg] * read_pj + seg_wb[:n_seg] * write_pj) * 1e-12
    cores = 0
    for c in range(n_cores):
        if core_used[c]:
            cores += 1
    return (
        out,
        farsi_window_peak(seg_t[: n_seg + 1], seg_e, n_seg, window_s),
        seg_e.sum(),
        float(mem_b),
        _interp(mem_b, mem_sizes, mem_area_mm2),
        cores,
    )


@njit(cache=True)
def schedule_batch(
    order: np.ndarray,
    pred_ptr: np.ndarray,
    pred_idx: np.ndarray,
    succ_ptr: np.ndarray,
    succ_idx: np.ndarray,
    dummy: np.ndarray,
    graph_of: np.ndarray,
    n_graphs: int,
    compute_s: np.ndarray,
    read_b: np.ndarray,
    write_b: np.ndarray,
    out_b: np.ndarray,
    on_accel: np.ndarray,
    n_cores: np.ndarray,
    policy: np.ndarray,
    bw: np.ndarray,
    energy_j: np.ndarray,
    window_s: float,
    kind: np.ndarray,
    kind_ptr: np.ndarray,
    mem_sizes: np.ndarray,
    mem_read_pj: np.ndarray,
    mem_write_pj: np.ndarray,
    mem_area_mm2: np.ndarray,
    mem_granule: float,
    mem_min_b: float,
    bus_pj: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`schedule` over designs (rows of the 2-D arrays). The memory tables of every kind are
    concatenated, kind ``k`` at ``kind_ptr[k]:kind_ptr[k + 1]``; ``kind[d]`` is design ``d``'s.
    Returns (finish[d, graph], peak_w[d], energy_j[d], mem_bytes[d], mem_mm2[d], cores[d])."""
    m = compute_s.shape[0]
    fin = np.zeros((m, n_graphs))
    peak = np.zeros(m)
    energy = np.zeros(m)
    mem_b = np.zeros(m)
    mem_mm2 = np.zeros(m)
    cores = np.zeros(m, np.int64)
    for d in range(m):
        lo, hi = kind_ptr[kind[d]], kind_ptr[kind[d] + 1]
        f, p, e, b, a, c = schedule(
            order,
            pred_ptr,
            pred_idx,
            succ_ptr,
            succ_idx,
            dummy,
            graph_of,
            n_graphs,
            compute_s[d],
            read_b,
            write_b,
            out_b,
            on_accel[d],
            n_cores[d],
            policy[d],
            bw[d],
            energy_j[d],
            window_s,
            mem_sizes[lo:hi],
            mem_read_pj[lo:hi],
            mem_write_pj[lo:hi],
            mem_area_mm2[lo:hi],
            mem_granule,
            mem_min_b,
            bus_pj,
        )
        fin[d] = f
        peak[d] = p
        energy[d] = e
        mem_b[d] = b
        mem_mm2[d] = a
        cores[d] = c
    return fin, peak, energy, mem_b, mem_mm2, cores
