"""The cycle-approximate memory controller, compiled with Numba.

The model follows DRAMSys's controller: an arbiter admits requests in trace order into the
scheduler buffer (back-pressure when full), one bank machine per bank picks the request it
serves (Fifo, FR-FCFS, grouped FR-FCFS, or Ramulator-style global FCFS) and the command it
needs next (PRE/ACT/RD/WR), a command multiplexer issues the oldest ready command (one per
cycle per channel), a refresh manager with postpone/pull-in flexibility interposes PREA/REF (or per-bank PRE/REF),
and a page policy decides whether a column command auto-precharges. Every JEDEC constraint
(tRCD tRP tRAS tRC tRRD_S/L tFAW tCCD_S/L tWTR_S/L tRTW tRTP tWR tRFC) is tracked as an
"earliest next" time per bank, per bank group and per channel.

The simulation is event-driven: it jumps to the next cycle at which a command can issue, a
request can be admitted or a refresh falls due. Between those cycles no decision can change,
so skipping them loses nothing a cycle-by-cycle loop would decide.

Example:
    >>> import numpy as np
    >>> from archgym.simulators.dram.memspec import load_memspec
    >>> spec = load_memspec("ddr3")
    >>> knobs = encode_knobs({"PagePolicy": "Open", "Scheduler": "FrFcfs", "SchedulerBuffer": "Bankwise",
    ...     "RequestBufferSize": 8, "RespQueue": "Fifo", "RefreshPolicy": "NoRefresh",
    ...     "RefreshMaxPostponed": 8, "RefreshMaxPulledin": 8, "Arbiter": "Simple", "MaxActiveTransactions": 128})
    >>> z = np.zeros(1, np.int64)
    >>> summary, done = simulate(z, z.astype(np.int8), z.astype(np.int32), z, True, 1, 1, 8, spec.timing_vector(), knobs)
    >>> int(done[0])  # stored and ACT at 0, RD at tRCD = 10, data done tCL + 4 later
    24
"""

from __future__ import annotations

import numba as nb
import numpy as np

# The knobs and the summary layout live in a plain module, so building a DramSimulator does not
# load Numba; they are imported here for the kernels and for callers of this module.
from archgym.simulators.dram.knobs import KNOBS, NUMERIC_KNOBS, SUMMARY_FIELDS, encode_knobs
from archgym.simulators.dram.memspec import (
    T_BURST,
    T_CCD_L,
    T_CCD_S,
    T_CL,
    T_CWL,
    T_FAW,
    T_NBURST,
    T_RAS,
    T_RC,
    T_RCD,
    T_REFI,
    T_REFIPB,
    T_RFC,
    T_RFCPB,
    T_RP,
    T_RRD_L,
    T_RRD_S,
    T_RTP,
    T_RTW,
    T_WR,
    T_WTR_L,
    T_WTR_S,
)

__all__ = ["KNOBS", "NUMERIC_KNOBS", "SUMMARY_FIELDS", "encode_knobs", "simulate", "simulate_many"]

# Codes of the categorical knobs: their index in KNOBS's value tuples (see encode_knobs).
PAGE_OPEN, PAGE_OPEN_ADAPTIVE, PAGE_CLOSED, PAGE_CLOSED_ADAPTIVE = 0, 1, 2, 3
SCHED_FIFO, SCHED_FRFCFS, SCHED_GRP, SCHED_FCFS = 0, 1, 2, 3
BUF_BANKWISE, BUF_READWRITE, BUF_SHARED = 0, 1, 2
RESP_FIFO, RESP_REORDER = 0, 1
REF_NONE, REF_ALLBANK, REF_PERBANK = 0, 1, 2
ARB_SIMPLE, ARB_FIFO, ARB_REORDER = 0, 1, 2

(
    S_END,
    S_LAT,
    S_RLAT,
    S_NREAD,
    S_P99,
    S_HITS,
    S_MISSES,
    S_CONFLICTS,
    S_ACT,
    S_PRE,
    S_RD,
    S_WR,
    S_REFAB,
    S_REFPB,
    S_ACTIVE,
    S_WLAT,
) = range(len(SUMMARY_FIELDS))

INF = np.int64(1) << np.int64(60)


@nb.njit(cache=True)
def _heap_push(heap: np.ndarray, size: int, value: np.int64) -> int:
    i = size
    heap[i] = value
    while i > 0:
        parent = (i - 1) >> 1
        if heap[parent] <= heap[i]:
            break
        heap[parent], heap[i] = heap[i], heap[parent]
        i = parent
    return size + 1


@nb.njit(cache=True)
def _heap_pop(heap: np.ndarray, size: int) -> int:
    size -= 1
    heap[0] = heap[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        child = left
        if left + 1 < size and heap[left + 1] < heap[left]:
            child = left + 1
        if heap[i] <= heap[child]:
            break
        heap[i], heap[child] = heap[child], heap[i]
        i = child
    return size


@nb.njit(cache=True)
def _grow(a: np.ndarray) -> np.ndarray:
    b = np.empty(a.shape[0] * 2, dtype=a.dtype)
    b[: a.shape[0]] = a
    return b


@nb.njit(cache=True)
def simulate(
    arrival: np.ndarray,
    is_write: np.ndarray,
    bank: np.ndarray,
    row: np.ndarray,
    closed_loop: bool,
    n_ch: int,
    bg_per_ch: int,
    banks_per_bg: int,
    T: np.ndarray,
    K: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Run one design over one trace.

    ``arrival`` (cycles, non-decreasing; ignored when ``closed_loop``), ``is_write``, ``bank``
    (global index ``(channel * bank_groups + group) * banks_per_group + bank``) and ``row`` are
    per request. ``T`` is the memspec's timing vector, ``K`` the knob vector. Returns the
    summary vector (``SUMMARY_FIELDS``) and each request's response time (cycles).
    """
    n = arrival.shape[0]
    banks_per_ch = bg_per_ch * banks_per_bg
    nbk = n_ch * banks_per_ch
    nbg = n_ch * bg_per_ch
    page, sched, buft, bufsize, respq = K[0], K[1], K[2], K[3], K[4]
    refp, maxpost, maxpull, arbiter, maxact = K[5], K[6], K[7], K[8], K[9]
    limit_active = arbiter != ARB_SIMPLE
    reorder = respq == RESP_REORDER or arbiter == ARB_REORDER
    cl, cwl, rcd, rp, ras, rc = T[T_CL], T[T_CWL], T[T_RCD], T[T_RP], T[T_RAS], T[T_RC]
    rrd_s, rrd_l, faw_t, ccd_s, ccd_l = T[T_RRD_S], T[T_RRD_L], T[T_FAW], T[T_CCD_S], T[T_CCD_L]
    twr, wtr_s, wtr_l, rtp, rtw, burst = (
        T[T_WR],
        T[T_WTR_S],
        T[T_WTR_L],
        T[T_RTP],
        T[T_RTW],
        T[T_BURST],
    )
    nburst = T[T_NBURST]
    span = (nburst - 1) * ccd_l  # a multi-burst request's later bursts follow its first at tCCD_L
    if refp == REF_PERBANK:
        ref_int, ref_rfc = T[T_REFIPB], T[T_RFCPB]
    else:
        ref_int, ref_rfc = T[T_REFI], T[T_RFC]

    # -- per bank, per bank group, per channel "earliest next command" state
    open_row = np.full(nbk, -1, np.int64)
    b_act = np.zeros(nbk, np.int64)
    b_pre = np.zeros(nbk, np.int64)
    b_col = np.zeros(nbk, np.int64)
    b_iv = np.full(nbk, -1, np.int64)  # index of the bank's open interval (background energy)
    bg_act = np.zeros(nbg, np.int64)
    bg_col = np.zeros((nbg, 2), np.int64)  # earliest RD (0) / WR (1) in the bank group
    ch_act = np.zeros(n_ch, np.int64)
    ch_col = np.zeros((n_ch, 2), np.int64)  # earliest RD (0) / WR (1) in the channel
    cmd_bus = np.zeros(n_ch, np.int64)
    faw = np.full((n_ch, 4), -INF, np.int64)
    faw_ptr = np.zeros(n_ch, np.int64)

    # -- scheduler buffer: per bank, request ids in arrival order. Bankwise never holds more than
    # bufsize on a bank: a bank only grows past bufsize - 1 as the last-stored bank, which then
    # blocks admission until it drains below bufsize again.
    cap = bufsize * 2 if buft == BUF_READWRITE else bufsize
    last_bank = 0  # DRAMSys's BufferCounterBankwise starts with lastBankID 0
    qbuf = np.empty((nbk, cap), np.int64)
    qn = np.zeros(nbk, np.int64)
    cand = np.zeros(nbk, np.int64)
    dirty = np.ones(nbk, np.bool_)
    bank_t = np.full(nbk, INF, np.int64)
    bank_r = np.zeros(nbk, np.int64)
    bank_cmd = np.zeros(nbk, np.int64)
    rescan = True
    touched = 0
    oldest_free = INF
    cmd_best = -1
    n_buf = 0
    n_buf_rd = 0
    n_buf_wr = 0
    last_col_wr = 0

    # -- refresh managers, one per channel (DRAMSys's flexibility counter and states)
    ref_trig = np.full(n_ch, ref_int, np.int64)
    ref_flex = np.zeros(n_ch, np.int64)
    ref_pulled = np.zeros(n_ch, np.bool_)
    ref_pending = np.zeros(n_ch, np.bool_)
    ref_forced = np.zeros(n_ch, np.bool_)
    ref_target = np.zeros(n_ch, np.int64)  # per-bank refresh: the bank (within the channel) chosen
    ref_remaining = np.ones(
        (n_ch, banks_per_ch), np.bool_
    )  # per-bank refresh: not yet refreshed this round
    blocked = np.zeros(nbk, np.bool_)

    # -- per request
    adm = np.zeros(n, np.int64)
    start = np.zeros(n, np.int64)
    done = np.full(n, -1, np.int64)
    resp = np.full(n, -1, np.int64)
    kind = np.full(n, -1, np.int8)
    activated = np.zeros(n, np.bool_)
    heap = np.empty(n + 1, np.int64)
    hn = 0
    outstanding = 0
    resp_ptr = 0
    last_resp = np.int64(0)

    iv_start = np.empty(n + 64, np.int64)
    iv_end = np.empty(n + 64, np.int64)
    iv_ch = np.empty(n + 64, np.int64)
    n_iv = 0
    cnt = np.zeros(len(SUMMARY_FIELDS), np.float64)

    next_req = 0
    last_adm = np.int64(-1)
    served = 0
    now = np.int64(0)
    while served < n:
        # ---- when can the next request enter the controller?
        ta = INF
        if next_req < n:
            r = next_req
            b = bank[r]
            # DRAMSys 4.0's BufferCounter*::hasBufferSpace(): the check ignores the incoming request.
            # Bankwise looks at the bank it stored last; ReadWrite needs both counts below the limit.
            if buft == BUF_BANKWISE:
                space = qn[last_bank] < bufsize
            elif buft == BUF_SHARED:
                space = n_buf < bufsize
            else:
                space = n_buf_rd < bufsize and n_buf_wr < bufsize
            if space:
                ta = max(last_adm + 1, now)
                if not closed_loop:
                    ta = max(ta, arrival[r])
                if limit_active:
                    while hn > 0 and heap[0] <= ta:
                        hn = _heap_pop(heap, hn)
                        outstanding -= 1
                    if outstanding >= maxact:
                        ta = max(ta, heap[0]) if hn > 0 else INF

        # ---- refresh: next trigger, or the command a pending refresh needs
        t_trig = INF
        trig_c = -1
        t_ref = INF
        ref_c = -1
        if refp != REF_NONE:
            for c in range(n_ch):
                if ref_pending[c]:
                    tc = max(cmd_bus[c], now)
                    if refp == REF_ALLBANK:
                        lo, hi = c * banks_per_ch, (c + 1) * banks_per_ch
                    else:
                        lo = c * banks_per_ch + ref_target[c]
                        hi = lo + 1
                    any_open = False
                    for bb in range(lo, hi):
                        if open_row[bb] >= 0:
                            any_open = True
                    for bb in range(lo, hi):
                        if any_open:
                            if open_row[bb] >= 0:
                                tc = max(tc, b_pre[bb])
                        else:
                            tc = max(tc, b_act[bb])
                    if tc < t_ref:
                        t_ref, ref_c = tc, c
                elif ref_trig[c] < t_trig:
                    t_trig, trig_c = max(ref_trig[c], now), c

        # ---- the bank machines' commands; the oldest ready one wins. A bank's candidate (which
        # request, which command, earliest cycle) is cached and re-evaluated only when something it
        # depends on changed: every bank after a command or refresh, the admitted bank after an admission.
        if sched == SCHED_FCFS:
            rescan = True
            oldest_free = INF
            for b in range(nbk):
                for p in range(min(qn[b], 2)):
                    rq = qbuf[b, p]
                    if not activated[rq]:
                        oldest_free = min(oldest_free, rq)
                        break
        if rescan:
            lo, hi = 0, nbk
        else:
            lo, hi = touched, touched + 1
        for b in range(lo, hi):
            if qn[b] == 0 or blocked[b]:
                bank_t[b] = INF
                continue
            if dirty[b]:
                pos = 0
                if (sched == SCHED_FRFCFS or sched == SCHED_GRP) and open_row[b] >= 0:
                    first_hit = -1
                    for p in range(qn[b]):
                        rq = qbuf[b, p]
                        if row[rq] == open_row[b]:
                            if first_hit < 0:
                                first_hit = p
                                if sched == SCHED_FRFCFS:
                                    break
                            if sched == SCHED_GRP and is_write[rq] == last_col_wr:
                                first_hit = p
                                break
                    if first_hit >= 0:
                        pos = first_hit
                cand[b] = pos
                dirty[b] = False
            r = qbuf[b, cand[b]]
            c = b // banks_per_ch
            g = b // banks_per_bg
            w = is_write[r]
            orow = open_row[b]
            t_col = max(b_col[b], max(ch_col[c, w], bg_col[g, w]))
            t_act = max(max(b_act[b], ch_act[c]), max(bg_act[g], faw[c, faw_ptr[c]] + faw_t))
            hit = orow == row[r]
            closed = orow < 0
            cmd = (2 + w) if hit else (1 if closed else 0)
            t = t_col if hit else (t_act if closed else b_pre[b])
            if sched == SCHED_FCFS and not activated[r] and r != oldest_free:
                t = INF
            # a request stored at the start of a cycle may issue then (DRAMSys's controllerMethod stores,
            # then collects commands); one stored when a CAS freed its slot waits for the bus (cmd_bus)
            bank_t[b] = max(max(t, adm[r]), cmd_bus[c])
            bank_r[b] = r
            bank_cmd[b] = cmd
        rescan = False
        t_best = INF
        r_best = -1
        b_best = -1
        for b in range(nbk):
            t = max(bank_t[b], now)
            if t < t_best or (t == t_best and bank_r[b] < r_best):
                t_best, r_best, b_best = t, bank_r[b], b
        if b_best >= 0:
            cmd_best = bank_cmd[b_best]

        tmin = min(min(ta, t_trig), min(t_ref, t_best))
        if tmin >= INF:
            raise RuntimeError("DRAM controller deadlock: no request can make progress")

        if ta == tmin:
            # ---- admit the next request
            r = next_req
            b = bank[r]
            now = ta
            adm[r] = ta
            start[r] = ta if closed_loop else arrival[r]
            qbuf[b, qn[b]] = r
            qn[b] += 1
            last_bank = b
            dirty[b] = True
            touched = b
            n_buf += 1
            if is_write[r]:
                n_buf_wr += 1
            else:
                n_buf_rd += 1
            last_adm = ta
            next_req += 1
            outstanding += 1
            c = b // banks_per_ch
            if blocked[b] and not ref_forced[c]:
                # DRAMSys re-decides an unforced refresh every cycle: drop it and let the trigger be
                # evaluated again now that this bank has work (postpone, pick another bank, or stop pulling in)
                ref_pending[c] = False
                lo = c * banks_per_ch
                if refp == REF_ALLBANK:
                    hi = lo + banks_per_ch
                else:
                    lo = lo + ref_target[c]
                    hi = lo + 1
                for bb in range(lo, hi):
                    blocked[bb] = False
            continue

        if t_trig == tmin:
            # ---- a refresh falls due: postpone, pull in, or make it pending (DRAMSys's state machine)
            c = trig_c
            now = t_trig
            lo = c * banks_per_ch
            if refp == REF_ALLBANK:
                hi = lo + banks_per_ch
                idle_all = True
                for bb in range(lo, hi):
                    if qn[bb] > 0:
                        idle_all = False
            else:
                # the first idle bank not yet refreshed this round; if none is idle, the first one
                first, chosen = -1, -1
                for k in range(banks_per_ch):
                    if ref_remaining[c, k]:
                        if first < 0:
                            first = k
                        if qn[lo + k] == 0:
                            chosen = k
                            break
                idle_all = chosen >= 0
                ref_target[c] = chosen if idle_all else first
                lo = lo + ref_target[c]
                hi = lo + 1
            # DRAMSys: postpone while the banks have work (until maxPostponed are owed, then force
            # and block them); after a refresh, pull further ones in while the banks stay idle
            if not ref_pulled[c]:
                if not idle_all and ref_flex[c] < maxpost:
                    ref_flex[c] += 1
                    ref_trig[c] += ref_int
                else:
                    ref_pending[c] = True
                    ref_forced[c] = ref_flex[c] >= maxpost  # forced: the bank machines are blocked
            elif idle_all and ref_flex[c] > -maxpull:
                ref_pending[c] = True
                ref_forced[c] = False
            else:
                ref_pulled[c] = False
                ref_trig[c] += ref_int
            if ref_pending[c]:
                for bb in range(lo, hi):
                    blocked[bb] = True
            rescan = True
            continue

        if t_ref <= t_best:
            # ---- the pending refresh's PRE(A) or REF
            rescan = True
            c = ref_c
            now = t_ref
            cmd_bus[c] = now + 1
            lo = c * banks_per_ch
            if refp == REF_ALLBANK:
                hi = lo + banks_per_ch
            else:
                lo = lo + ref_target[c]
                hi = lo + 1
            any_open = False
            for bb in range(lo, hi):
                if open_row[bb] >= 0:
                    any_open = True
            for bb in range(lo, hi):
                if any_open:
                    if open_row[bb] >= 0:
                        open_row[bb] = -1
                        b_act[bb] = max(b_act[bb], now + rp)
                        iv_end[b_iv[bb]] = now
                        b_iv[bb] = -1
                        cnt[S_PRE] += 1
                        dirty[bb] = True
                else:
                    b_act[bb] = max(b_act[bb], now + ref_rfc)
            if not any_open:
                if refp == REF_ALLBANK:
                    cnt[S_REFAB] += 1
                else:
                    cnt[S_REFPB] += 1
                    ref_remaining[c, ref_target[c]] = False
                    if not ref_remaining[c].any():
                        ref_remaining[c, :] = True
                if ref_pulled[c]:
                    ref_flex[c] -= 1
                else:
                    ref_pulled[c] = True
                if ref_flex[c] == -maxpull:
                    ref_pulled[c] = False
                    ref_trig[c] += ref_int
                ref_pending[c] = False
                for bb in range(lo, hi):
                    blocked[bb] = False
            continue

        # ---- issue the chosen bank command
        rescan = True
        now = t_best
        r, b, cmd = r_best, b_best, cmd_best
        c = b // banks_per_ch
        g = b // banks_per_bg
        cmd_bus[c] = now + 1
        if kind[r] < 0:
            kind[r] = 0 if cmd >= 2 else (1 if cmd == 1 else 2)
        if cmd == 0:
            open_row[b] = -1
            b_act[b] = max(b_act[b], now + rp)
            iv_end[b_iv[b]] = now
            b_iv[b] = -1
            cnt[S_PRE] += 1
            dirty[b] = True
            continue
        if cmd == 1:
            open_row[b] = row[r]
            b_act[b] = max(b_act[b], now + rc)
            b_pre[b] = max(b_pre[b], now + ras)
            b_col[b] = max(b_col[b], now + rcd)
            ch_act[c] = max(ch_act[c], now + rrd_s)
            bg_act[g] = max(bg_act[g], now + rrd_l)
            faw[c, faw_ptr[c]] = now
            faw_ptr[c] = (faw_ptr[c] + 1) % 4
            activated[r] = True
            cnt[S_ACT] += 1
            if n_iv == iv_start.shape[0]:
                iv_start, iv_end, iv_ch = _grow(iv_start), _grow(iv_end), _grow(iv_ch)
            iv_start[n_iv] = now
            iv_end[n_iv] = INF
            iv_ch[n_iv] = c
            b_iv[b] = n_iv
            n_iv += 1
            dirty[b] = True
            continue
        # column command. A multi-burst request's bursts hit one bank at tCCD_L, so bank and bank-group
        # constraints run from its last burst (`span` later); other bank groups may slot their bursts in
        # between, so the channel's same-direction spacing is only (bursts - 1) x tCCD_S. Turnarounds
        # stay measured from the last burst.
        t_last = now + span
        t_ch = now + (nburst - 1) * ccd_s
        if cmd == 2:
            ch_col[c, 0] = max(ch_col[c, 0], t_ch + ccd_s)
            bg_col[g, 0] = max(bg_col[g, 0], t_last + ccd_l)
            ch_col[c, 1] = max(ch_col[c, 1], t_last + rtw)
            bg_col[g, 1] = max(bg_col[g, 1], t_last + rtw)
            b_pre[b] = max(b_pre[b], t_last + rtp)
            done[r] = t_last + cl + burst
            cnt[S_RD] += nburst
        else:
            ch_col[c, 1] = max(ch_col[c, 1], t_ch + ccd_s)
            bg_col[g, 1] = max(bg_col[g, 1], t_last + ccd_l)
            ch_col[c, 0] = max(ch_col[c, 0], t_last + cwl + burst + wtr_s)
            bg_col[g, 0] = max(bg_col[g, 0], t_last + cwl + burst + wtr_l)
            b_pre[b] = max(b_pre[b], t_last + cwl + burst + twr)
            done[r] = t_last + cwl + burst
            cnt[S_WR] += nburst
        # remove from the bank's buffer, keeping arrival order
        pos = cand[b]
        for p in range(pos, qn[b] - 1):
            qbuf[b, p] = qbuf[b, p + 1]
        qn[b] -= 1
        n_buf -= 1
        if is_write[r]:
            n_buf_wr -= 1
        else:
            n_buf_rd -= 1
        served += 1
        dirty[b] = True
        if sched == SCHED_GRP:
            last_col_wr = is_write[r]
            for bb in range(nbk):
                dirty[bb] = True
        # page policy: auto-precharge (RDA/WRA) or keep the row open
        further_hit = False
        for p in range(qn[b]):
            if row[qbuf[b, p]] == open_row[b]:
                further_hit = True
                break
        if page == PAGE_CLOSED:
            auto_pre = True
        elif page == PAGE_CLOSED_ADAPTIVE:
            auto_pre = not further_hit
        elif page == PAGE_OPEN_ADAPTIVE:
            auto_pre = (not further_hit) and qn[b] > 0
        else:
            auto_pre = False
        if auto_pre:
            t_pre = b_pre[b]
            open_row[b] = -1
            b_act[b] = max(b_act[b], t_pre + rp)
            iv_end[b_iv[b]] = t_pre
            b_iv[b] = -1
            cnt[S_PRE] += 1
        # responses: in completion order, or in arrival order (reorder buffer)
        if reorder:
            while resp_ptr < n and done[resp_ptr] >= 0:
                # in order, one per cycle: a response that waited for an older one follows it a tCK
                # later (DRAMSys's ArbiterReorder sends the next pending one with delay tCK)
                last_resp = done[resp_ptr] if resp_ptr == 0 else max(last_resp + 1, done[resp_ptr])
                resp[resp_ptr] = last_resp
                if limit_active:
                    hn = _heap_push(heap, hn, last_resp)
                resp_ptr += 1
        else:
            resp[r] = done[r]
            if limit_active:
                hn = _heap_push(heap, hn, done[r])

    # ---- summary
    end = np.int64(0)
    for i in range(n):
        end = max(end, resp[i])
    lat = np.empty(n, np.float64)
    for i in range(n):
        lat[i] = resp[i] - start[i]
        cnt[S_LAT] += lat[i]
        if is_write[i]:
            cnt[S_WLAT] += lat[i]
        else:
            cnt[S_RLAT] += lat[i]
            cnt[S_NREAD] += 1
        cnt[S_HITS + kind[i]] += 1  # kind: 0 hit, 1 miss, 2 conflict
    if n > 0:
        k = max(
            0, int(np.ceil(0.99 * n)) - 1
        )  # nearest-rank percentile; selection, not a full sort
        cnt[S_P99] = np.partition(lat, k)[k]
    cnt[S_END] = end
    # cycles with at least one bank open, per channel (DRAMPower's active background)
    cur_s = np.full(n_ch, -1, np.int64)
    cur_e = np.full(n_ch, -1, np.int64)
    active = 0.0
    for k in range(n_iv):
        c = iv_ch[k]
        s, e = iv_start[k], min(iv_end[k], end)
        if s >= end:
            continue
        if s > cur_e[c]:
            if cur_e[c] > cur_s[c]:
                active += cur_e[c] - cur_s[c]
            cur_s[c], cur_e[c] = s, e
        elif e > cur_e[c]:
            cur_e[c] = e
    for c in range(n_ch):
        if cur_e[c] > cur_s[c]:
            active += cur_e[c] - cur_s[c]
    cnt[S_ACTIVE] = active
    return cnt, resp


@nb.njit(cache=True, parallel=True)
def simulate_many(
    arrival: np.ndarray,
    is_write: np.ndarray,
    bank: np.ndarray,
    row: np.ndarray,
    closed_loop: bool,
    n_ch: int,
    bg_per_ch: int,
    banks_per_bg: int,
    T: np.ndarray,
    K: np.ndarray,
) -> np.ndarray:
    """:func:`simulate` for each row of the knob matrix ``K``, in parallel; returns the summaries."""
    out = np.empty((K.shape[0], len(SUMMARY_FIELDS)), np.float64)
    for d in nb.prange(K.shape[0]):
        summary, _ = simulate(
            arrival, is_write, bank, row, closed_loop, n_ch, bg_per_ch, banks_per_bg, T, K[d]
        )
        out[d] = summary
    return out
