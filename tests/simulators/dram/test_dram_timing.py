"""The controller's timing state machine on hand-built request sequences.

Every expected cycle is derived from the DDR3-1600 datasheet timings (CL = tRCD = tRP = 10,
tRAS 28, tRC 38, tRRD 5, tFAW 24, tCCD 4, tWR 12, tWTR 6, tRTP 6, CWL 8, BL8 = 4 cycles,
tRFC 88, tREFI 6240) by the JEDEC rules, not from the model's own output. A request stored
at the start of cycle a may issue its first command at a (DRAMSys 4.0's
``Controller::controllerMethod`` stores new requests, step 2, before it collects and issues
the ready commands, steps 4-5); a read's data is back CL + 4 after its RD.
"""

from __future__ import annotations

import numpy as np

from archgym.simulators.dram import controller as ctl
from archgym.simulators.dram import load_memspec

DDR3 = load_memspec("ddr3")
T = DDR3.timing_vector()
CL, CWL, RCD, RP, RAS, RC, RRD, FAW, CCD, WR, WTR, RTP, RFC, REFI = (
    10,
    8,
    10,
    10,
    28,
    38,
    5,
    24,
    4,
    12,
    6,
    6,
    88,
    6240,
)
BURST = 4

BASE = {
    "PagePolicy": "Open",
    "Scheduler": "FrFcfs",
    "SchedulerBuffer": "Bankwise",
    "RequestBufferSize": 8,
    "RespQueue": "Fifo",
    "RefreshPolicy": "NoRefresh",
    "RefreshMaxPostponed": 8,
    "RefreshMaxPulledin": 8,
    "Arbiter": "Simple",
    "MaxActiveTransactions": 128,
}


def run(reqs: list[tuple[int, int, int]], *, arrival: list[int] | None = None, spec=DDR3, **knobs):
    """reqs: (bank, row, is_write). Returns (summary dict, response cycles)."""
    n = len(reqs)
    bank = np.array([r[0] for r in reqs], np.int32)
    row = np.array([r[1] for r in reqs], np.int64)
    wr = np.array([r[2] for r in reqs], np.int8)
    arr = np.zeros(n, np.int64) if arrival is None else np.asarray(arrival, np.int64)
    summary, resp = ctl.simulate(
        arr,
        wr,
        bank,
        row,
        arrival is None,
        spec.channels,
        spec.bank_groups,
        spec.banks_per_group,
        spec.timing_vector(),
        ctl.encode_knobs({**BASE, **knobs}),
    )
    return dict(zip(ctl.SUMMARY_FIELDS, summary, strict=True)), resp


def test_single_read_pays_trcd_and_cl():
    s, resp = run([(0, 5, 0)])
    assert resp[0] == RCD + CL + BURST
    assert (s["misses"], s["hits"], s["conflicts"], s["n_act"]) == (1, 0, 0, 1)


def test_row_hits_stream_at_tccd():
    _, resp = run([(0, 5, 0)] * 4)
    first_rd = RCD
    assert list(resp) == [first_rd + k * CCD + CL + BURST for k in range(4)]


def test_row_conflict_waits_tras_then_trp_then_trcd():
    s, resp = run([(0, 5, 0), (0, 6, 0)])
    # PRE no earlier than ACT + tRAS (RD + tRTP is earlier), then ACT tRP later, RD tRCD after that
    assert resp[1] == RAS + RP + RCD + CL + BURST
    assert (s["misses"], s["conflicts"], s["n_pre"]) == (1, 1, 1)


def test_activates_to_other_banks_respect_trrd_and_tfaw():
    _, resp = run([(b, 0, 0) for b in range(5)])
    # one command per cycle, oldest request first: bank 0's RD (cycle tRCD = 10) takes the
    # bus from bank 2's ACT, which slips to 11; the fifth ACT waits for the tFAW window
    act2 = 2 * RRD + 1
    act3 = act2 + RRD
    acts = [0, RRD, act2, act3, max(act3 + RRD, FAW)]
    assert list(resp) == [a + RCD + CL + BURST for a in acts]


def test_closed_page_reactivates_after_trc():
    s, resp = run([(0, 5, 0), (0, 5, 0)], PagePolicy="Closed")
    assert resp[1] == RC + RCD + CL + BURST
    assert s["hits"] == 0 and s["n_pre"] == 2  # two auto-precharges


def test_write_to_read_turnaround_twtr():
    _, resp = run([(0, 5, 1), (0, 5, 0)])
    wr_at = RCD
    assert resp[0] == wr_at + CWL + BURST
    assert resp[1] == wr_at + CWL + BURST + WTR + CL + BURST


def test_read_to_write_turnaround_trtw():
    _, resp = run([(0, 5, 0), (0, 5, 1)])
    rd_at = RCD
    rtw = CL + CCD + 2 - CWL
    assert resp[1] == rd_at + rtw + CWL + BURST


def test_write_recovery_before_precharge():
    _, resp = run([(0, 5, 1), (0, 6, 0)])
    pre_at = max(RAS, RCD + CWL + BURST + WR)
    assert resp[1] == pre_at + RP + RCD + CL + BURST


def test_frfcfs_serves_row_hit_before_older_miss_fifo_does_not():
    reqs = [(0, 1, 0), (0, 2, 0), (0, 1, 0)]
    _, fr = run(reqs, Scheduler="FrFcfs")
    _, fifo = run(reqs, Scheduler="Fifo")
    assert fr[2] < fr[1]  # the younger hit overtook the conflict
    assert fifo[1] < fifo[2]


def test_grouped_frfcfs_batches_reads_then_writes():
    reqs = [(0, 1, 0), (0, 1, 1), (0, 1, 0), (0, 1, 1)]
    _, grp = run(reqs, Scheduler="FrFcfsGrp")
    _, fr = run(reqs, Scheduler="FrFcfs")
    assert np.argsort(grp).tolist()[:2] == [0, 2]  # both reads before the writes: one turnaround
    assert fr[1] < fr[2]  # plain FR-FCFS keeps arrival order among hits
    assert grp.max() < fr.max()


def test_per_bank_fifo_runs_banks_in_parallel_global_fcfs_does_not():
    reqs = [(0, 1, 0), (0, 2, 0), (1, 1, 0)]
    _, fifo = run(reqs, Scheduler="Fifo")
    _, fcfs = run(reqs, Scheduler="Fcfs")
    assert fifo[2] < fifo[1]  # bank 1 does not wait for bank 0's conflict
    assert fcfs[2] > fcfs[1] - (
        RCD + CL
    )  # bank 1 starts only after the older conflict was activated


def test_open_adaptive_precharges_only_with_a_pending_miss():
    s_alone, _ = run([(0, 1, 0)], PagePolicy="OpenAdaptive")
    assert s_alone["n_pre"] == 0
    s_miss, resp = run([(0, 1, 0), (0, 2, 0)], PagePolicy="OpenAdaptive")
    # the first read auto-precharges, so the second is a miss, not a conflict
    assert (s_miss["conflicts"], s_miss["misses"]) == (0, 2)
    assert resp[1] == RC + RCD + CL + BURST


def test_closed_adaptive_keeps_row_open_while_hits_are_queued():
    s, _ = run([(0, 1, 0)] * 3, PagePolicy="ClosedAdaptive")
    assert s["hits"] == 2 and s["n_pre"] == 1  # closed after the last hit only


def test_refresh_blocks_the_bank_for_trfc():
    # an idle controller refreshes at tREFI; a read arriving a cycle later waits out tRFC
    _, resp = run([(0, 1, 0)], arrival=[REFI + 1], RefreshPolicy="AllBank")
    assert resp[0] - (REFI + 1) == (RFC - 1) + RCD + CL + BURST
    _, no_ref = run([(0, 1, 0)], arrival=[REFI + 1], RefreshPolicy="NoRefresh")
    assert no_ref[0] - (REFI + 1) == RCD + CL + BURST


def test_refresh_is_postponed_while_a_bank_has_work():
    # the read is queued when the refresh falls due, so the refresh waits (DRAMSys's flexibility)
    s, resp = run([(0, 1, 0)], arrival=[REFI], RefreshPolicy="AllBank")
    assert resp[0] - REFI == RCD + CL + BURST
    assert s["n_ref_ab"] == 0


def test_refresh_rate_is_one_per_trefi_with_postponing():
    n = 30_000
    rng = np.random.default_rng(1)
    reqs = list(
        zip(rng.integers(0, 8, n).tolist(), rng.integers(0, 1000, n).tolist(), [0] * n, strict=True)
    )
    for post in (1, 8):
        s, _ = run(reqs, RefreshPolicy="AllBank", RefreshMaxPostponed=post)
        due = s["end_cycle"] // REFI
        assert due - post - 1 <= s["n_ref_ab"] <= due + 1


def test_per_bank_refresh_on_lpddr4():
    spec = load_memspec("lpddr4")
    n = 4000
    s, _ = run(
        [(0, 1, 0)] * n,
        spec=spec,
        RefreshPolicy="PerBank",
        RefreshMaxPostponed=1,
        RefreshMaxPulledin=1,
    )
    t = spec.timing
    assert s["n_ref_ab"] == 0
    # one per-bank refresh per tREFIpb, give or take the one postponed / one pulled in
    assert abs(s["n_ref_pb"] - s["end_cycle"] / t["REFIPB"]) <= 3


def test_max_active_transactions_serialises_requests():
    n = 50
    _, resp = run([(0, 1, 0)] * n, Arbiter="Fifo", MaxActiveTransactions=1)
    # each request is stored in the cycle the previous response returns (DRAMSys's ArbiterFifo
    # sends END_REQ and the next BEGIN_REQ on END_RESP), its RD issues that cycle, then CL + burst
    per_req = CL + BURST
    assert resp[-1] == RCD + n * per_req


def test_reorder_response_queue_returns_in_arrival_order():
    reqs = [(0, 1, 0), (0, 2, 0), (0, 1, 0), (1, 3, 0)]
    _, fifo = run(reqs, RespQueue="Fifo")
    _, reorder = run(reqs, RespQueue="Reorder")
    assert np.all(np.diff(reorder) >= 0)
    assert not np.all(np.diff(fifo) >= 0)


def test_bankwise_buffer_applies_back_pressure():
    # 3 requests to bank 0 then one to bank 1: with one slot per bank, bank 1's request waits in line
    reqs = [(0, 1, 0), (0, 2, 0), (0, 3, 0), (1, 1, 0)]
    _, deep = run(reqs, RequestBufferSize=8)
    _, shallow = run(reqs, RequestBufferSize=1)
    assert deep[3] < deep[1]
    assert shallow[3] > shallow[1]


def test_ddr4_bank_groups_use_tccd_l_within_and_tccd_s_across():
    spec = load_memspec("ddr4")
    t = spec.timing
    same = [(0, 1, 0)] * 2  # banks 0..3 are bank group 0
    other = [(0, 1, 0), (4, 1, 0)]  # bank 4 is in bank group 1
    _, r_same = run(same, spec=spec)
    _, r_other = run(other, spec=spec)
    assert r_same[1] - r_same[0] == t["CCD_L"]
    # second ACT waits tRRD_S, then its RD is tRCD later; tCCD_S (< tRRD_S) does not bind
    assert r_other[1] - r_other[0] == max(t["RRD_S"], t["CCD_S"])


def test_invariants_over_random_designs_devices_and_injection():
    from archgym.simulators.dram import DramSimulator

    rng = np.random.default_rng(7)
    for name in ("ddr3", "ddr4", "lpddr4", "hbm2"):
        sim = DramSimulator(name)
        t = sim.spec.timing
        for workload in ("hotspot_rw:n=3000", "cloud-2:n=3000,interval_ns=4"):
            trace = sim.load_workload(workload)
            arrival, *_ = sim._prepare(trace)
            for design in sim.design_space().sample(rng, 6):
                summary, resp = sim.run(design, workload)
                s = dict(zip(ctl.SUMMARY_FIELDS, summary, strict=True))
                n = len(trace)
                start = np.zeros(n) if trace.closed_loop else arrival
                assert np.all(resp > start)  # every request answered, after it arrived
                assert s["hits"] + s["misses"] + s["conflicts"] == n
                assert s["n_rd"] + s["n_wr"] == n * sim.spec.bursts_per_request
                # every ACT is closed by a PRE except rows still open at the end
                banks = sim.spec.channels * sim.spec.banks_per_channel
                assert s["n_act"] - banks <= s["n_pre"] <= s["n_act"]
                assert s["n_act"] >= s["misses"] + s["conflicts"]
                assert 0 <= s["active_cycles"] <= sim.spec.channels * s["end_cycle"]
                if design["RefreshPolicy"] == "AllBank":
                    due = s["end_cycle"] / t["REFI"] * sim.spec.channels
                    assert s["n_ref_ab"] <= due + sim.spec.channels * (
                        design["RefreshMaxPulledin"] + 1
                    )
                if design["RespQueue"] == "Reorder" or design["Arbiter"] == "Reorder":
                    assert np.all(np.diff(resp) >= 0)
