"""Memspecs, address mappings and traces: built-ins load, bad input is refused with a clear message."""

from __future__ import annotations

import json

import numpy as np
import pytest

from archgym.simulator import WorkloadError
from archgym.simulators.dram import (
    AddressMapping,
    DramSimulator,
    MappingError,
    MemSpecError,
    Trace,
    available_memspecs,
    builtin_trace,
    generate,
    load_memspec,
    read_trace,
    write_stl,
)
from archgym.simulators.dram.memspec import MEMSPEC_DIR, T_RTW
from archgym.space import InvalidDesignError

# -- memspecs -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ddr3", "ddr4", "lpddr4", "hbm2"])
def test_builtin_memspecs_are_consistent(name):
    spec = load_memspec(name)
    t = spec.timing
    assert t["RC"] >= t["RAS"] and t["RAS"] > t["RCD"]
    assert t["RRD_L"] >= t["RRD_S"] and t["CCD_L"] >= t["CCD_S"] >= spec.burst_cycles
    assert t["REFI"] > 10 * t["RFC"] > 0
    assert spec.request_bytes == 64
    assert spec.source  # every data file names where its figures come from


def test_ddr3_organisation_matches_the_datasheet():
    spec = load_memspec("ddr3")
    assert spec.capacity_bytes == 1 << 30  # 8 x 1 Gb
    assert spec.peak_gbytes_per_s == pytest.approx(12.8)
    assert spec.rtw() == 10 + 4 + 2 - 8


def test_explicit_rtw_overrides_the_jedec_rule():
    assert load_memspec("hbm2").rtw() == 18  # given by the HBM2 memspec
    data = _memspec_dict()
    data["timing"]["RTW"] = 11
    assert load_memspec(data).rtw() == 11
    assert load_memspec(data).timing_vector()[T_RTW] == 11  # the slot handed to the controller


def test_available_memspecs():
    assert available_memspecs() == ["ddr3", "ddr4", "ddr4_jedec", "ddr4_micron", "hbm2", "lpddr4"]


def _memspec_dict() -> dict:
    return json.loads((MEMSPEC_DIR / "ddr3_1600.json").read_text())


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["timing"].pop("RCD"), "timing: missing field 'RCD'"),
        (lambda d: d["timing"].update(RP=-3), "'RP' must be an integer >= 1"),
        (lambda d: d["timing"].update(tRP=10), "unknown field(s) ['tRP']"),
        (lambda d: d["timing"].update(RC=20), "'RC' (20) must be at least 'RAS'"),
        (lambda d: d.update(rows=1000), "'rows' must be a power of two"),
        (lambda d: d.pop("power"), "missing field 'power'"),
        (lambda d: d["power"]["vdd"].pop("idd4r"), "power.vdd: missing field 'idd4r'"),
        (
            lambda d: d.update(refresh_modes=["Sometimes"]),
            "'refresh_modes' must be a non-empty list",
        ),
        (lambda d: d.update(default_mapping="xyz"), "'default_mapping' must be one of"),
    ],
)
def test_malformed_memspec_names_the_field(tmp_path, mutate, message):
    data = _memspec_dict()
    mutate(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(MemSpecError) as err:
        load_memspec(path)
    assert message in str(err.value) and "bad.json" in str(err.value)


def test_memspec_json_syntax_error_and_unknown_name(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"name": "x",\n "clock_mhz": }')
    with pytest.raises(MemSpecError, match=r"not valid JSON \(line 2\)"):
        load_memspec(path)
    with pytest.raises(MemSpecError, match="neither a built-in"):
        load_memspec("ddr9")


def test_per_bank_refresh_needs_its_timings(tmp_path):
    data = _memspec_dict()
    data["refresh_modes"] = ["AllBank", "PerBank"]
    with pytest.raises(MemSpecError, match="missing field 'RFCPB'"):
        load_memspec(data)


def test_user_memspec_file_is_used(tmp_path):
    data = _memspec_dict()
    data["timing"]["CL"] = 11
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(data))
    assert load_memspec(path).timing["CL"] == 11


# -- address mapping -------------------------------------------------------------------------


def test_rbc_walks_a_row_then_the_next_bank():
    spec = load_memspec("ddr3")
    m = AddressMapping.named("rbc", spec)
    ch, bg, bank, row, col = m.decode(np.array([0, 64, 8191, 8192, 8192 * 8, (1 << 30) + 64]))
    assert bank.tolist() == [0, 0, 0, 1, 0, 0]
    assert row.tolist() == [0, 0, 0, 0, 1, 0]  # the last address wraps past 1 GiB
    assert col.tolist() == [0, 8, 1023, 0, 0, 8]


def test_brc_puts_the_bank_on_top():
    spec = load_memspec("ddr3")
    m = AddressMapping.named("brc", spec)
    _, _, bank, row, _ = m.decode(np.array([8192, 1 << 27, (1 << 27) * 5 + 8192 * 3]))
    assert bank.tolist() == [0, 1, 5]
    assert row.tolist() == [1, 0, 3]


def test_bank_group_interleave_rotates_groups_per_request():
    spec = load_memspec("ddr4")
    m = AddressMapping.named("bg_interleave", spec)
    _, bg, bank, row, _ = m.decode(64 * np.arange(8))
    assert bg.tolist() == [0, 1, 2, 3, 0, 1, 2, 3]
    assert set(bank.tolist()) == {0} and set(row.tolist()) == {0}


def test_hbm2_channels_interleave_per_request():
    spec = load_memspec("hbm2")
    ch, *_ = AddressMapping.named("rbc", spec).decode(64 * np.arange(4))
    assert ch.tolist() == [0, 1, 0, 1]


def test_custom_mapping_and_its_errors():
    spec = load_memspec("ddr3")
    bits = {"column": list(range(3, 13)), "bank": [13, 14, 15], "row": list(range(16, 30))}
    custom = AddressMapping.from_bits(bits, spec)
    named = AddressMapping.named("rbc", spec)
    addr = np.random.default_rng(0).integers(0, 1 << 30, 100)
    for a, b in zip(custom.decode(addr), named.decode(addr), strict=True):
        assert np.array_equal(a, b)
    with pytest.raises(MappingError, match="field 'bank' needs 3 bit"):
        AddressMapping.from_bits({**bits, "bank": [13, 14]}, spec)
    with pytest.raises(MappingError, match="bit 13 is used twice"):
        AddressMapping.from_bits({**bits, "column": [*range(3, 12), 13]}, spec)
    with pytest.raises(MappingError, match="unknown field"):
        AddressMapping.from_bits({**bits, "rank": [31]}, spec)
    with pytest.raises(MappingError, match="legal names"):
        AddressMapping.named("rcb", spec)


# -- traces ------------------------------------------------------------------------------------


def test_generators_are_deterministic_and_seeded():
    a, b, c = (
        generate("random", n=1000, seed=1),
        generate("random", n=1000, seed=1),
        generate("random", n=1000, seed=2),
    )
    assert np.array_equal(a.address, b.address) and a.workload_id == b.workload_id
    assert not np.array_equal(a.address, c.address) and a.workload_id != c.workload_id


def test_generator_shapes():
    assert np.all(np.diff(generate("stream", n=100).address) == 64)
    assert np.all(np.diff(generate("stride4k", n=100).address) == 4096)
    hot = generate("hotspot_rw", n=20_000)
    in_hot = (hot.address >= 512 << 20) & (hot.address < (512 << 20) + (1 << 20))
    assert hot.n_write / len(hot) == pytest.approx(0.3, abs=0.02)
    assert in_hot.mean() == pytest.approx(0.8 + 0.2 / 1024, abs=0.02)
    cloud = generate("cloud-1", n=20_000)
    sequential = np.mean(np.diff(cloud.address) == 64)
    assert 0.35 < sequential < 0.65  # alternating sequential and random runs
    r = generate("random", n=50_000)
    assert r.address.max() < 1 << 30 and np.all(r.address % 64 == 0)


def test_poisson_arrivals_have_the_requested_mean():
    t = builtin_trace("random:n=20000,interval_ns=10")
    assert not t.closed_loop
    assert np.mean(np.diff(t.arrival_ns)) == pytest.approx(10, rel=0.03)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("randon", "unknown workload 'randon'; built-in workloads are"),
        ("random:n=abc", "parameter 'n' must be int"),
        ("random:size=3", "bad parameter 'size=3'"),
        ("random:n=0", "'n' must be at least 1"),
        ("random:interval_ns=-1", "'interval_ns' must be positive"),
        ("hotspot_rw:write_frac=1.5", "'write_frac' must be in [0, 1]"),
    ],
)
def test_bad_builtin_workload_specs(spec, message):
    with pytest.raises(WorkloadError) as err:
        builtin_trace(spec)
    assert message in str(err.value)


def test_read_dramsys_and_ramulator_traces(tmp_path):
    stl = tmp_path / "t.stl"
    stl.write_text("# a comment\n0:\tread\t0x40\n\n8:\twrite\t0x80\n16:\tread\t192\n")
    t = read_trace(stl, clock_mhz=800)
    assert t.address.tolist() == [64, 128, 192] and t.is_write.tolist() == [0, 1, 0]
    assert t.arrival_ns.tolist() == [0.0, 10.0, 20.0]
    ram = tmp_path / "t.trace"
    ram.write_text("0x40 R\n0x80 W\n")
    r = read_trace(ram)
    assert r.closed_loop and r.is_write.tolist() == [0, 1]


def test_stl_round_trip(tmp_path):
    t = builtin_trace("hotspot_rw:n=500,interval_ns=5")
    write_stl(t, tmp_path / "x.stl", clock_mhz=800)
    back = read_trace(tmp_path / "x.stl", clock_mhz=800)
    assert np.array_equal(back.address, t.address) and np.array_equal(back.is_write, t.is_write)
    assert np.allclose(back.arrival_ns, t.arrival_ns, atol=0.625 + 1e-9)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0:\tread\t0x40\n5:\tfetch\t0x80\n", ":2: expected '<cycle>:<TAB>read|write<TAB>0xADDR'"),
        ("0:\tread\t0x40\n5:\tread\t0xZZ\n", ":2: expected"),
        ("9:\tread\t0x40\n5:\tread\t0x80\n", ":2: time 5 goes back"),
        ("0x40 R\n0x80 X\n", ":2: expected '0xADDR R|W'"),
        ("hello world\n", ":1: cannot tell the trace format"),
        ("# only comments\n", "the trace has no requests"),
    ],
)
def test_bad_trace_lines_are_reported_with_their_number(tmp_path, text, message):
    path = tmp_path / "bad.trace"
    path.write_text(text)
    with pytest.raises(WorkloadError) as err:
        read_trace(path)
    assert message in str(err.value)


def test_missing_trace_file():
    with pytest.raises(WorkloadError, match="does not exist"):
        read_trace("/nonexistent/trace.stl")


def test_trace_objects_are_checked_and_read_only():
    with pytest.raises(WorkloadError, match="is_write has 2 entries, address has 3"):
        Trace("t", np.array([0, 64, 128]), np.array([0, 1], np.int8))
    with pytest.raises(WorkloadError, match=r"arrival_ns\[2\] goes back"):
        Trace("t", np.array([0, 64, 128]), np.zeros(3, np.int8), np.array([0.0, 5.0, 1.0]))
    t = builtin_trace("stream:n=8")
    with pytest.raises(ValueError):
        t.address[0] = 1


# -- devices, DRAMSys mappings, trace clocks and Ramulator formats (issue 18) --------------------
def test_ddr4_jedec_differs_from_the_micron_default_only_in_refresh():
    micron, jedec = load_memspec("ddr4"), load_memspec("ddr4_jedec")
    assert load_memspec("ddr4_micron") == micron  # "ddr4" names the Micron part
    # DRAMSys v4.0 JEDEC_4Gb_DDR4-2400_8bit_A vs MICRON_4Gb_DDR4-2400_8bit_A: REFI 9360 vs 4680, RFC 312 vs 313
    assert (jedec.timing["REFI"], jedec.timing["RFC"]) == (9360, 312)
    assert (micron.timing["REFI"], micron.timing["RFC"]) == (4680, 313)
    same = {k: v for k, v in jedec.timing.items() if k not in ("REFI", "RFC")}
    assert same == {k: v for k, v in micron.timing.items() if k not in ("REFI", "RFC")}


@pytest.mark.parametrize(
    ("name", "address", "expected"),
    [
        # DRAMSys am_ddr3_8x1Gbx8_dimm_p1KB_rbc: column 3-12, bank 13-15, row 16-29
        ("ddr3", (5 << 16) | (3 << 13) | (7 << 3), (0, 0, 3, 5, 7)),
        # am_ddr4_8x4Gbx8_dimm_p1KB_brc: column 3-12, row 13-27, bank group 28-29, bank 30-31
        ("ddr4", (2 << 30) | (1 << 28) | (9 << 13) | (4 << 3), (0, 1, 2, 9, 4)),
        ("ddr4_jedec", (3 << 30) | (2 << 28) | (1 << 13), (0, 2, 3, 1, 0)),
        # am_lpddr4_8Gbx16_brc: byte 0, column 1-10, row 11-26, bank 27-29
        ("lpddr4", (6 << 27) | (300 << 11) | (5 << 1), (0, 0, 6, 300, 5)),
        # am_hbm2_8Gb_pc_brc: column 3-9, row 10-24, bank 25-26, bank group 27-28, pseudo-channel 29
        ("hbm2", (1 << 29) | (3 << 27) | (2 << 25) | (77 << 10) | (5 << 3), (1, 3, 2, 77, 5)),
    ],
)
def test_each_device_defaults_to_the_mapping_dramsys_ships(name, address, expected):
    sim = DramSimulator(name)
    assert sim.mapping.name.startswith("am_")
    assert tuple(int(x[0]) for x in sim.mapping.decode(np.array([address]))) == expected


def test_trace_clock_is_an_argument_not_the_device_clock(tmp_path):
    stl = tmp_path / "t.stl"
    stl.write_text("0:\tread\t0x0\n800:\tread\t0x40\n")
    # ArchGym's traces are 800 MHz on every device: cycle 800 is 1000 ns, on DDR4-2400 too
    t = DramSimulator("ddr4").load_workload(stl)
    assert t.arrival_ns.tolist() == [0.0, 1000.0]
    t = DramSimulator("ddr4", trace_clock_mhz=1600).load_workload(str(stl))
    assert t.arrival_ns.tolist() == [0.0, 500.0]
    with pytest.raises(ValueError, match="trace_clock_mhz must be a positive"):
        DramSimulator("ddr3", trace_clock_mhz=0)


def test_ramulator_cpu_and_loadstore_traces(tmp_path):
    cpu = tmp_path / "cpu.trace"
    # Ramulator CPU trace: <bubbles> <read> [<writeback>]; a 4-wide core inserts 4 instructions
    # a cycle, so the read after 7 bubbles is instruction 8 (cycle 1), the next (1 + 1) is 10 (cycle 2)
    cpu.write_text("7 0x1000\n1 4096 0x2000\n")
    t = read_trace(cpu, clock_mhz=500)
    assert t.address.tolist() == [0x1000, 4096, 0x2000]
    assert t.is_write.tolist() == [0, 0, 1]
    assert t.arrival_ns.tolist() == [2.0, 4.0, 4.0]  # 500 MHz: 2 ns a cycle
    ls = tmp_path / "ls.trace"
    ls.write_text("LD 0x40\nST 0x80\n")
    t = read_trace(ls)
    assert (t.address.tolist(), t.is_write.tolist(), t.closed_loop) == ([64, 128], [0, 1], True)
    bad = tmp_path / "bad.trace"
    bad.write_text("LD 0x40\nLX 0x80\n")
    with pytest.raises(WorkloadError, match=r"bad.trace:2: expected 'LD\|ST 0xADDR'"):
        read_trace(bad)


def test_numeric_knobs_take_any_integer_in_range():
    sim = DramSimulator("ddr3")
    design = {**sim.default_design(), "RequestBufferSize": 3, "MaxActiveTransactions": 5}
    design |= {"RefreshMaxPostponed": 0, "RefreshMaxPulledin": 7, "Arbiter": "Fifo"}
    m = sim.evaluate(design, "random:n=2000")
    assert m["total_time_ns"] > 0
    # the default grid stays powers of two; the integer grid is ArchGym's
    assert sim.design_space()["RequestBufferSize"].values == (1, 2, 4, 8, 16, 32, 64, 128)
    ints = DramSimulator("ddr3", knob_grid="integer").design_space()
    assert ints["MaxActiveTransactions"].values == tuple(range(1, 129))
    with pytest.raises(InvalidDesignError, match="'RequestBufferSize': 129 is not legal"):
        sim.evaluate({**design, "RequestBufferSize": 129}, "random:n=100")
    with pytest.raises(ValueError, match="knob_grid must be"):
        DramSimulator("ddr3", knob_grid="log")


def test_buffer_size_three_sits_between_two_and_four():
    sim = DramSimulator("ddr3")
    times = [
        sim.evaluate({**sim.default_design(), "RequestBufferSize": b}, "random:n=5000")[
            "total_time_ns"
        ]
        for b in (2, 3, 4)
    ]
    assert times[0] > times[1] > times[2]
