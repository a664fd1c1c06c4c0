"""The controller's admission and arbiter rules, cycle by cycle, against DRAMSys 4.0's source.

Each expected cycle is derived by hand from DRAMSys 4.0 (github.com/tukl-msd/DRAMSys, tag v4.0,
``DRAMSys/library/src``) and the DDR3-1600 timings (CL = tRCD = tRP = 10, tRAS 28, tRRD 5,
tCCD 4, BL8 = 4 cycles, CWL 8), never from the model's own output:

- ``controller/scheduler/BufferCounterBankwise.cpp``: ``hasBufferSpace()`` is
  ``numRequestsOnBank[lastBankID] < requestBufferSize`` -- the bank of the request stored
  last, not the incoming one's. ``BufferCounterShared.cpp``: one count for all banks.
  ``BufferCounterReadWrite.cpp``: reads *and* writes below the limit, whatever the incoming
  request is.
- ``controller/Controller.cpp``: ``manageRequests`` runs at the start of a cycle and again
  right after a CAS (``scheduler->removeRequest`` then ``manageRequests``), so a request
  waiting for space is stored in the cycle of the CAS that frees it and issues a cycle later
  (one command per cycle); ``StlPlayer`` sends the next request one clock after ``END_REQ``.
- ``simulation/Arbiter.cpp``: ``ArbiterFifo``/``ArbiterReorder`` count a transaction active
  from ``BEGIN_REQ`` to the initiator's ``END_RESP`` and release the held request on that
  ``END_RESP`` (delay 0); ``ArbiterReorder`` returns responses in request order, the next
  waiting one a ``tCK`` after the previous ``END_RESP``; ``ArbiterSimple`` limits nothing.
"""

from __future__ import annotations

import numpy as np
import pytest

from archgym.simulators.dram import controller as ctl
from archgym.simulators.dram import load_memspec

DDR3 = load_memspec("ddr3")
CL, CWL, RCD, RP, RAS, RRD, CCD, RTP, BURST = 10, 8, 10, 10, 28, 5, 4, 6, 4
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

READ_DONE = CL + BURST  # data back after a RD (RespQueue strobe end: tRL + burst)


def run(reqs: list[tuple[int, int, int]], **knobs: object) -> tuple[dict, np.ndarray]:
    """Closed-loop requests (bank, row, is_write) on DDR3; the summary and response cycles."""
    bank, row, wr = (np.array(col) for col in zip(*reqs, strict=True))
    summary, resp = ctl.simulate(
        np.zeros(len(reqs), np.int64),
        wr.astype(np.int8),
        bank.astype(np.int32),
        row.astype(np.int64),
        True,
        DDR3.channels,
        DDR3.bank_groups,
        DDR3.banks_per_group,
        DDR3.timing_vector(),
        ctl.encode_knobs({**BASE, **knobs}),
    )
    return dict(zip(ctl.SUMMARY_FIELDS, summary, strict=True)), resp


def test_bankwise_checks_the_bank_stored_last_not_the_incoming_one():
    # size 1: req0 (bank 0) fills bank 0, the last-stored bank, so req1 to the *empty* bank 1
    # waits for req0's RD at tRCD = 10, is stored then, and ACTs at 11 (the RD took cycle 10)
    _, resp = run([(0, 1, 0), (1, 1, 0)], RequestBufferSize=1)
    assert list(resp) == [RCD + READ_DONE, RCD + 1 + RCD + READ_DONE]


def test_bankwise_admits_while_the_last_bank_has_room_shared_does_not():
    # size 2; req0 b0 row 1, req1 b0 row 2 (conflict), req2 b1 row 1, req3 b0 row 1 (a hit)
    reqs = [(0, 1, 0), (0, 2, 0), (1, 1, 0), (0, 1, 0)]
    # Bankwise: req1 fills bank 0 (last) -> req2 is stored at RD0 = 10 (bank 0 down to 1) and
    # req3 a cycle later at 11 because the last bank (1) has room. FR-FCFS serves the hit
    # req3 at RD0 + tCCD = 14 before the conflict; req1's PRE waits for tRAS = 28.
    _, bw = run(reqs, RequestBufferSize=2, SchedulerBuffer="Bankwise")
    rd3 = RCD + CCD
    pre1 = max(RAS, rd3 + RTP)
    assert list(bw) == [
        RCD + READ_DONE,
        pre1 + RP + RCD + READ_DONE,
        (RCD + 1) + RCD + READ_DONE,  # req2: ACT at 11
        rd3 + READ_DONE,
    ]
    # Shared: two in the buffer in all, so req3 waits for the next CAS, req2's RD at 21, and
    # its RD follows tCCD later at 25; req1's PRE then waits for req3's RD + tRTP
    _, sh = run(reqs, RequestBufferSize=2, SchedulerBuffer="Shared")
    rd2 = RCD + 1 + RCD
    rd3 = rd2 + CCD
    pre1 = max(RAS, rd3 + RTP)
    assert list(sh) == [
        RCD + READ_DONE,
        pre1 + RP + RCD + READ_DONE,
        rd2 + READ_DONE,
        rd3 + READ_DONE,
    ]


def test_readwrite_needs_both_counts_below_the_limit():
    # size 1: the write is blocked by the stored read (reads = 1 is not below 1) even though no
    # write is stored; it is stored at the read's RD (10), ACTs at 11, WR at 21, done CWL + 4 later
    _, resp = run([(0, 1, 0), (1, 1, 1)], RequestBufferSize=1, SchedulerBuffer="ReadWrite")
    assert list(resp) == [RCD + READ_DONE, RCD + 1 + RCD + CWL + BURST]


@pytest.mark.parametrize("arbiter", ["Fifo", "Reorder"])
def test_one_active_transaction_round_trip(arbiter):
    # req1 is held by the arbiter until req0's END_RESP at 24, then stored and ACTs that cycle
    _, resp = run([(0, 1, 0), (1, 1, 0)], Arbiter=arbiter, MaxActiveTransactions=1)
    first = RCD + READ_DONE
    assert list(resp) == [first, first + RCD + READ_DONE]


def test_simple_arbiter_ignores_max_active_transactions():
    # req1 stored at 1, ACT at tRRD = 5, RD at 15
    _, resp = run([(0, 1, 0), (1, 1, 0)], Arbiter="Simple", MaxActiveTransactions=1)
    assert list(resp) == [RCD + READ_DONE, RRD + RCD + READ_DONE]


def test_two_active_transactions_fifo_vs_reorder():
    # req0 b0 row 1; req1 b0 row 2 (conflict: PRE at tRAS 28, ACT 38, RD 48, back at 62);
    # req2 b1 and req3 b2 wait in the arbiter for a free slot
    reqs = [(0, 1, 0), (0, 2, 0), (1, 1, 0), (2, 1, 0)]
    back0 = RCD + READ_DONE  # 24
    rd1 = RAS + RP + RCD  # 48
    back1 = rd1 + READ_DONE  # 62
    # Fifo: req2 takes req0's slot at 24 (ACT 24, back 48); req3 takes req2's at 48, but req1's
    # RD holds the command bus at 48, so its ACT is at 49
    _, fifo = run(reqs, Arbiter="Fifo", MaxActiveTransactions=2)
    back2 = back0 + RCD + READ_DONE
    assert list(fifo) == [back0, back1, back2, back2 + 1 + RCD + READ_DONE]
    # Reorder: req2's data is back at 48 but waits for req1's response (62) and follows it a
    # tCK later; its slot is held until then, so req3 is released by req1's END_RESP at 62
    _, reo = run(reqs, Arbiter="Reorder", MaxActiveTransactions=2)
    assert list(reo) == [back0, back1, back1 + 1, back1 + RCD + READ_DONE]
