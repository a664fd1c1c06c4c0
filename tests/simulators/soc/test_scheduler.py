"""The list scheduler on graphs small enough to work out by hand (core 1 GHz, bandwidth 4e8 B/s)."""

from __future__ import annotations

import numpy as np
import pytest
from _soc_helpers import design, graph

from archgym.simulators.soc import SoCSimulator, load_workload, synthetic_task_graph
from archgym.simulators.soc.scheduler import farsi_window_peak

US = 1e-3  # one microsecond in ms


def latency(sim: SoCSimulator, g, **kw) -> float:
    return sim.evaluate(design(sim, g, **kw), g)["latency_ms"]


def test_chain_is_the_sum_of_its_tasks_whatever_the_core_count(simple_hw):
    sim = SoCSimulator(simple_hw)
    g = graph([("a", 1000), ("b", 2000), ("c", 3000)], [("a", "b", 0), ("b", "c", 0)])
    for cores in (1, 2, 4):
        for mapping in ("round_robin", "first_free", "critical_path"):
            assert latency(sim, g, cores=cores, mapping=mapping) == pytest.approx(6 * US)


def test_chain_with_data_takes_the_slowest_of_compute_read_and_write(simple_hw):
    sim = SoCSimulator(simple_hw)
    # a: 1 us compute, writes 4000 B = 10 us at 4e8 B/s; b: reads 4000 B (10 us), 2 us compute,
    # writes 1200 B (3 us); c: reads 1200 B (3 us), 5 us compute.
    g = graph([("a", 1000), ("b", 2000), ("c", 5000)], [("a", "b", 4000), ("b", "c", 1200)])
    assert latency(sim, g) == pytest.approx((10 + 10 + 5) * US)
    # Twice the memory and bus clock halves the transfers: 5 + 5 + 5.
    assert latency(sim, g, mem_clock_mult=2, bus_clock_mult=2) == pytest.approx(15 * US)
    # The narrower of memory and bus sets the bandwidth.
    assert latency(sim, g, mem_width_bytes=8) == pytest.approx(25 * US)
    assert latency(sim, g, mem_width_bytes=8, bus_width_bytes=8) == pytest.approx(15 * US)


@pytest.mark.parametrize("seed", range(6))
def test_single_core_matches_farsis_rule_on_random_graphs(seed):
    """FARSI: one core runs the tasks one after another, each taking max(compute, in/bw, out/bw)."""
    sim = SoCSimulator()
    g = synthetic_task_graph(12, seed)
    d = design(sim, g, mem_kind="dram", mem_width_bytes=8, bus_width_bytes=8)
    bw = 8 * 1e8
    expected = 0.0
    for t in g.tasks:
        if t.dummy:
            continue
        r = sum(b for p, c, b in g.edges if c == t.name)
        w = sum(b for p, c, b in g.edges if p == t.name)
        expected += max(t.core_cycles / 1e9, r / bw, w / bw)
    assert sim.evaluate(d, g)["latency_ms"] == pytest.approx(expected * 1e3, rel=1e-9)


def fork_join():
    # File order c, b, a puts the longest branch last in list order.
    return graph(
        [("s", 0), ("c", 1000, 100), ("b", 2000, 200), ("a", 4000, 400), ("j", 1000)],
        [("s", "c", 0), ("s", "b", 0), ("s", "a", 0), ("c", "j", 0), ("b", "j", 0), ("a", "j", 0)],
    )


def test_fork_join_on_one_core_is_serial(simple_hw):
    sim = SoCSimulator(simple_hw)
    assert latency(sim, fork_join()) == pytest.approx(8 * US)


def test_fork_join_mapping_policies_on_two_cores(simple_hw):
    sim = SoCSimulator(simple_hw)
    g = fork_join()
    # round robin deals c->core0, b->core1, a->core0, j->core1: a waits for c: c 0-1, a 1-5, j 5-6.
    assert latency(sim, g, cores=2, mapping="round_robin") == pytest.approx(6 * US)
    # first free: c and b start; c ends at 1 and a takes core0 until 5; j 5-6.
    assert latency(sim, g, cores=2, mapping="first_free") == pytest.approx(6 * US)
    # critical path starts a (the longest path) first: a 0-4, b 0-2, c 2-3, j 4-5.
    assert latency(sim, g, cores=2, mapping="critical_path") == pytest.approx(5 * US)
    # Three cores: every branch at once, 4 + 1.
    assert latency(sim, g, cores=3, mapping="first_free") == pytest.approx(5 * US)


def test_accelerators_run_in_parallel_beside_the_core(simple_hw):
    sim = SoCSimulator(simple_hw)
    g = fork_join()
    # Each branch on its own IP (100/200/400 cycles at 100 MHz = 1/2/4 us), join on the core: 4 + 1.
    assert latency(sim, g, accel=["a", "b", "c"]) == pytest.approx(5 * US)
    # Clock x2 halves the IPs: 2 + 1.
    assert latency(sim, g, accel=["a", "b", "c"], a_clock=2, b_clock=2, c_clock=2) == pytest.approx(
        3 * US
    )
    # Only a on its IP: the core runs c then b (3 us) while a takes 4; then j.
    assert latency(sim, g, accel=["a"]) == pytest.approx(5 * US)


def test_unroll_divides_accelerator_cycles_up_to_the_trip_count(simple_hw):
    sim = SoCSimulator(simple_hw)
    g = graph([("k", 8000, 800, 0.0, 0.0, 6)])
    space = sim.design_space(g)
    assert space["k_unroll"].values == (1, 2, 4, 6)
    assert latency(sim, g, accel=["k"]) == pytest.approx(8 * US)
    assert latency(sim, g, accel=["k"], k_unroll=4) == pytest.approx(2 * US)
    assert latency(sim, g, accel=["k"], k_unroll=6) == pytest.approx(8 / 6 * US)


def contention(read_x: float, read_y: float, write_y: float = 0.0, y_cycles: int = 1):
    # Two independent tasks on their own IPs, fed by a dummy source; 1-cycle compute unless told.
    edges = [("s", "x", read_x), ("s", "y", read_y)]
    if write_y:
        edges.append(("y", "z", write_y))
    tasks = [("s", 0), ("x", 10, 1), ("y", 10, y_cycles), ("z", 0)]
    return graph(tasks, edges)


def test_shared_bus_splits_bandwidth_equally_among_readers(simple_hw):
    sim = SoCSimulator(simple_hw)
    # Alone: 4000 B takes 10 us. Two readers of 4000 B each get 2e8 B/s: both end at 20 us.
    assert latency(sim, contention(4000, 4000), accel=["x", "y"]) == pytest.approx(20 * US)
    # 4000 and 8000 B: together until x ends at 20 us (y has 4000 B left), then y alone 10 us.
    assert latency(sim, contention(4000, 8000), accel=["x", "y"]) == pytest.approx(30 * US)


def test_reads_and_writes_are_separate_directions(simple_hw):
    sim = SoCSimulator(simple_hw)
    # x reads 4000 B while y (no input) writes 4000 B: no sharing, 10 us each.
    assert latency(sim, contention(4000, 0, write_y=4000), accel=["x", "y"]) == pytest.approx(
        10 * US
    )


def test_compute_bound_task_is_not_slowed_by_its_bandwidth_share(simple_hw):
    sim = SoCSimulator(simple_hw)
    # y computes 2500 IP cycles = 25 us and reads 4000 B: its half share (20 us) still beats compute.
    g = contention(4000, 4000, y_cycles=2500)
    assert latency(sim, g, accel=["x", "y"]) == pytest.approx(25 * US)


def test_energy_is_compute_plus_traffic_and_uniform_power_has_no_peak(simple_hw):
    simple_hw["limits"]["power_window_s"] = 2e-6
    sim = SoCSimulator(simple_hw)
    # a: 1000 cycles (1 uJ) writing 1200 B (3 us); b: reads 1200 B (3 us), 1000 cycles (1 uJ).
    g = graph([("a", 1000), ("b", 1000)], [("a", "b", 1200)])
    m = sim.evaluate(design(sim, g), g)
    # 2400 B of traffic at 1 pJ/B on the bus (the SRAM is free in this library).
    e_uj = 2.0 + 2400 * 1e-6
    assert m["energy_mj"] == pytest.approx(e_uj * 1e-3)
    assert m["latency_ms"] == pytest.approx(6 * US)
    assert m["avg_power_mw"] == pytest.approx(e_uj / 6 * 1e3)
    # Both tasks spread the same energy over 3 us: the trace is flat, any window sees the average.
    assert m["peak_power_mw"] == pytest.approx(m["avg_power_mw"], rel=1e-9)


def test_peak_power_takes_farsis_windows_of_whole_phases(simple_hw):
    """FARSI's calc_SOC_power / slice_phases_with_PWP (design_utils/common_design_utils.py): phases
    fill a window until one is longer than what is left; that one closes it. No sliding window."""
    simple_hw["limits"]["power_window_s"] = 2e-6
    simple_hw["bus"]["energy_pj_per_byte"] = 0.0
    sim = SoCSimulator(simple_hw)
    # a: 1 us at 1 W (1 uJ); b: 1 uJ spread over 3 us of reading. Phase [0, 1] leaves 1 us of the
    # window; phase [1, 4] is longer, so it closes the window: one window, 2 uJ / 4 us = 0.5 W. (A
    # sliding 2 us window would find 0.667 W at [0, 2].)
    g = graph([("s", 0), ("a", 1000), ("b", 1000)], [("s", "b", 1200), ("a", "b", 0)])
    m = sim.evaluate(design(sim, g), g)
    assert m["latency_ms"] == pytest.approx(4 * US)
    assert m["peak_power_mw"] == pytest.approx(500.0)
    # The rule itself, worked by hand: phases of 1, 0.5, 3, 1 s with 1, 2, 3, 4 J and 2 s windows:
    # [1, 0.5 -> 0.5 left, 3 closes] -> 6 J / 4.5 s; the last phase alone -> 4 J / 1 s.
    t = np.cumsum([0.0, 1.0, 0.5, 3.0, 1.0])
    assert farsi_window_peak(t, np.array([1.0, 2.0, 3.0, 4.0]), 4, 2.0) == pytest.approx(4.0)
    assert farsi_window_peak(t, np.array([1.0, 2.0, 9.0, 0.0]), 4, 2.0) == pytest.approx(12 / 4.5)


def test_memory_is_sized_for_the_peak_of_live_bytes_and_priced_at_that_size(simple_hw):
    """FARSI's update_mem_size (krnel.py) and collect_cacti_data (design.py): outputs take memory from
    when their producer is ready until released; size = live peak, >= min size, in whole granules."""
    sim = SoCSimulator(simple_hw)
    # Chain a -> b -> c -> d, 600 kB per edge: at most two buffers live (1.2 MB; the sum is 1.8 MB)
    # -> a 1.5 MB DRAM: 3 mm^2, 15 pJ/B read, 30 pJ/B write (between the 1 MB and 2 MB rows).
    g = graph(
        [("a", 1000), ("b", 1000), ("c", 1000), ("d", 1000)],
        [("a", "b", 600_000), ("b", "c", 600_000), ("c", "d", 600_000)],
    )
    m = sim.evaluate(design(sim, g, mem_kind="dram"), g)
    assert m["area_mm2"] == pytest.approx(1.0 + 3.0)
    traffic_uj = 1.8e6 * 15 * 1e-6 + 1.8e6 * 30 * 1e-6 + 3.6e6 * 1.0 * 1e-6  # + 1 pJ/B on the bus
    assert m["energy_mj"] == pytest.approx((4.0 + traffic_uj) * 1e-3)
    # Shared consumer c of p1 and p2: FARSI frees p1 (the first producer) when c ends, and p2's
    # 400 kB stay (perf_sim.py's update_scheduled_kernel_list): p2 + c + d = 1.6 MB at d's start
    # -> a 2 MB memory (4 mm^2); freeing p2 too would peak at 1.4 MB -> 1.5 MB (3 mm^2).
    g2 = graph(
        [("p1", 100), ("p2", 100), ("c", 100), ("d", 100), ("e", 100)],
        [("p1", "c", 400_000), ("p2", "c", 400_000), ("c", "d", 600_000), ("d", "e", 600_000)],
    )
    assert sim.evaluate(design(sim, g2, mem_kind="dram"), g2)["area_mm2"] == pytest.approx(1 + 4)
    # Outputs take memory when their task is ready, not when it gets a core (FARSI launches kernels
    # then): w is ready at 0 but waits 10 ms for L; meanwhile a -> b on IPs come and go. Live at 0:
    # w's 500 kB + a's 600 kB = 1.1 MB -> 1.5 MB (3 mm^2); counting from w's start would peak at 0.6 MB.
    g4 = graph(
        [("L", 10_000_000), ("w", 100), ("v", 100), ("a", 100, 100), ("b", 100, 100)],
        [("w", "v", 500_000), ("a", "b", 600_000)],
    )
    m4 = sim.evaluate(design(sim, g4, mem_kind="dram", accel=["a", "b"]), g4)
    assert m4["area_mm2"] == pytest.approx(1 + 3)
    # Tiny buffers still get the minimum memory (1 MB here: 2 mm^2).
    g3 = graph([("a", 1000), ("b", 1000)], [("a", "b", 800)])
    assert sim.evaluate(design(sim, g3, mem_kind="dram"), g3)["area_mm2"] == pytest.approx(1 + 2)


def test_accelerator_energy_and_area_grow_with_unroll(simple_hw):
    """FARSI's parse_library: an IP unrolled U times has work_over_energy and work_over_area / U."""
    sim = SoCSimulator(simple_hw)
    # k: 1 uJ and 0.25 mm^2 per lane on its IP; SRAM is free, no data moves.
    g = graph([("k", 8000, 800, 1e9, 250_000.0, 8)])
    one = sim.evaluate(design(sim, g, accel=["k"], k_unroll=1), g)
    four = sim.evaluate(design(sim, g, accel=["k"], k_unroll=4), g)
    assert one["energy_mj"] == pytest.approx(1e-3) and four["energy_mj"] == pytest.approx(4e-3)
    assert four["latency_ms"] == pytest.approx(one["latency_ms"] / 4)
    assert four["area_mm2"] == pytest.approx(1.0)  # no core built: k is the only task


def test_cores_that_run_nothing_are_not_built(simple_hw):
    """FARSI gives a PE that hosts only dummy tasks no area (hardware.py, Block.update_area)."""
    sim = SoCSimulator(simple_hw)
    g = graph([("k", 8000, 800, 0.0, 250_000.0, 8), ("m", 100, 10)], [("k", "m", 0)])
    all_ip = design(sim, g, cores=3, accel=["k", "m"], k_unroll=4)
    assert sim.evaluate(all_ip, g)["area_mm2"] == pytest.approx(4 * 0.25)
    # m in software: one of the three cores is used, so one is built.
    one_sw = design(sim, g, cores=3, accel=["k"], k_unroll=4)
    assert sim.evaluate(one_sw, g)["area_mm2"] == pytest.approx(1.0 + 4 * 0.25)


def test_several_workloads_share_one_soc(simple_hw):
    sim = SoCSimulator(simple_hw)
    g1 = graph([("a", 2000), ("b", 2000)], [("a", "b", 0)], name="one", latency_ms=4 * US)
    g2 = graph([("c", 3000)], name="two", latency_ms=1 * US)
    both = load_workload([g1, g2])
    space = sim.design_space(both)
    assert "one.a_pe" not in space  # no accelerators, no per-task knobs
    # One core, list order interleaves level by level: a, c, b -> one ends at 7, two at 5.
    m = sim.evaluate(design(sim, both), both)
    assert m["latency_ms"] == pytest.approx(7 * US)
    assert m["latency_budget_ratio"] == pytest.approx(max(7 / 4, 5 / 1))
    # Two cores: one ends at 4, two at 3.
    m2 = sim.evaluate(design(sim, both, cores=2, mapping="first_free"), both)
    assert m2["latency_ms"] == pytest.approx(4 * US)
    assert m2["latency_budget_ratio"] == pytest.approx(3.0)


def test_batch_kernel_equals_single_designs_on_a_random_sample():
    sim = SoCSimulator()
    space = sim.design_space("arvr")
    designs = space.sample(np.random.default_rng(3), 40)
    batch = sim.evaluate_arrays(designs, "arvr")
    for i, d in enumerate(designs[:10]):
        one = sim.evaluate(d, "arvr")
        for k, v in one.items():
            assert batch[k][i] == pytest.approx(v, rel=1e-12)


def standalone_durations(sim: SoCSimulator, scenario, d: dict) -> dict[tuple[str, str], float]:
    """Each task's time alone on the SoC, worked out from the hardware library, not the simulator."""
    hw = sim.hw
    bw = min(
        d["mem_width_bytes"] * hw.memory.base_clock_hz * d["mem_clock_mult"],
        d["bus_width_bytes"] * hw.bus.base_clock_hz * d["bus_clock_mult"],
    )
    out = {}
    for g in scenario.graphs:
        for t in g.tasks:
            if t.dummy:
                out[(g.name, t.name)] = 0.0
                continue
            key = scenario.task_key(g, t)
            if d.get(f"{key}_pe") == "accel":
                compute = t.accel.cycles / (
                    d.get(f"{key}_unroll", 1) * hw.accelerator.base_clock_hz * d[f"{key}_clock"]
                )
            else:
                compute = t.core_cycles / hw.core.freq_hz
            r = sum(b for p, c, b in g.edges if c == t.name)
            w = sum(b for p, c, b in g.edges if p == t.name)
            out[(g.name, t.name)] = max(compute, r / bw, w / bw)
    return out


@pytest.mark.parametrize("workload", ["audio_decoder", "synthetic:24:2", "arvr"])
def test_random_designs_respect_physical_bounds(workload):
    sim = SoCSimulator()
    scenario = load_workload(workload)
    designs = sim.design_space(workload).sample(np.random.default_rng(21), 60)
    out = sim.evaluate_arrays(designs, workload)
    for i, d in enumerate(designs):
        alone = standalone_durations(sim, scenario, d)
        latency_s = out["latency_ms"][i] / 1e3
        for g in scenario.graphs:
            # No schedule beats the longest chain of stand-alone task times.
            longest: dict[str, float] = {}
            for name in g.topological_order():
                preds = [longest[p] for p, c, _ in g.edges if c == name]
                longest[name] = max(preds, default=0.0) + alone[(g.name, name)]
            assert latency_s >= max(longest.values()) * (1 - 1e-9)
        # The cores cannot do their work faster than all of them busy all the time.
        core_work = sum(
            t.core_cycles / 1e9
            for g in scenario.graphs
            for t in g.tasks
            if d.get(f"{scenario.task_key(g, t)}_pe", "core") == "core"
        )
        assert latency_s >= core_work / d["cores"] * (1 - 1e-9)
        # Nor can the readers together pull more than the bandwidth.
        bw = (
            min(
                d["mem_width_bytes"] * d["mem_clock_mult"],
                d["bus_width_bytes"] * d["bus_clock_mult"],
            )
            * 1e8
        )
        reads = sum(
            b
            for g in scenario.graphs
            for p, c, b in g.edges
            if not next(t for t in g.tasks if t.name == c).dummy
        )
        assert latency_s >= reads / bw * (1 - 1e-9)
        # FARSI's windows cut the whole run, so the highest is at least their weighted mean.
        assert out["peak_power_mw"][i] >= out["avg_power_mw"][i] * (1 - 1e-9)
