"""cocotb tests of tb/phase.py's rule on tb/hdl/tb_phase_top.v.

tests/test_sim_phase_rule.py runs them under Icarus and under Verilator.

The race they pin: Python woken by one signal's change at a rising edge may see
another signal changed at the same edge, or not, depending on the simulator (Icarus
calls Python between the edge's non-blocking updates, Verilator after them all);
two Python tasks woken at one edge run in an order the simulator chooses. Under
the phase, every service sees the whole edge, services run in registration order,
Python's writes reach the next rising edge, and sleeps end between edges.
"""

from __future__ import annotations

import cocotb
from cocotb.utils import get_sim_time

from tb.bfm.vector import read_uint
from tb.phase import PythonPhase

CLOCK_NS = 4


@cocotb.test()
async def services_see_the_whole_edge_in_registration_order(dut) -> None:  # type: ignore[no-untyped-def]
    phase = PythonPhase(dut.clk, CLOCK_NS)
    calls: list[tuple[str, int, int, int]] = []

    def service(name: str) -> None:
        calls.append((name, int(get_sim_time("ps")), read_uint(dut.first), read_uint(dut.second)))

    # registered second-first: the order of registration, not of the signals, decides
    phase.watch(dut.second, lambda: service("second"))
    phase.watch(dut.first, lambda: service("first"))
    await phase.sleep(3 * CLOCK_NS)
    dut.go.value = 1
    await phase.sleep(5 * CLOCK_NS)
    dut.go.value = 0
    await phase.sleep(3 * CLOCK_NS)
    phase.stop()

    assert calls, "no service ran"
    assert len(calls) % 2 == 0 and len(calls) >= 8, calls
    for i in range(0, len(calls), 2):
        (n1, t1, f1, s1), (n2, t2, f2, s2) = calls[i], calls[i + 1]
        assert (n1, n2) == ("second", "first"), calls
        assert t1 == t2, calls
        assert t1 % (CLOCK_NS * 1000) == 0, f"service at {t1} ps, not at a falling edge"
        assert f1 == s1 == f2 == s2, f"a service saw half an edge: {calls[i:i + 2]}"


@cocotb.test()
async def writes_reach_the_next_rising_edge(dut) -> None:  # type: ignore[no-untyped-def]
    """Written at a falling edge (after a service) or between edges (after a sleep), a
    value is sampled by the very next rising edge, under every simulator."""
    phase = PythonPhase(dut.clk, CLOCK_NS)
    await phase.sleep(2 * CLOCK_NS)
    for word in range(1, 9):
        if word % 2:
            await phase.settled()
        else:
            await phase.sleep(word)
        edges_before = read_uint(dut.edges)
        dut.py_word.value = word
        await phase.sleep(CLOCK_NS)
        assert read_uint(dut.seen_word) == word
        assert read_uint(dut.seen_at) == edges_before, (
            f"word {word} written after rising edge {edges_before} was sampled by edge "
            f"{read_uint(dut.seen_at) + 1}, not {edges_before + 1}"
        )
    phase.stop()


@cocotb.test()
async def sleeps_end_between_edges(dut) -> None:  # type: ignore[no-untyped-def]
    phase = PythonPhase(dut.clk, CLOCK_NS)
    half = CLOCK_NS * 500
    for ns in (1, 2, 3, 4, 5, 1000, 7):
        start = get_sim_time("ps")
        await phase.sleep(ns)
        now = get_sim_time("ps")
        assert now - start >= ns * 1000, (start, now, ns)
        assert now % half == half // 2, f"sleep({ns}) ended at {now} ps, on or near an edge"


@cocotb.test()
async def a_write_verilator_would_drop_is_named(dut) -> None:  # type: ignore[no-untyped-def]
    """Under Verilator only registers declared writable take Python's writes (everything
    else is read-only, tb/hdl/verilator_public.vlt); write_uint names one that is not,
    instead of letting the write vanish. Icarus takes every write."""
    import os

    from tb.bfm.vector import NotWritable, write_uint

    phase = PythonPhase(dut.clk, CLOCK_NS)
    await phase.sleep(CLOCK_NS)
    write_uint(dut.py_word, 0x5A)  # declared public_flat_rw: taken under both
    assert read_uint(dut.py_word) == 0x5A
    if os.environ.get("DMANIC_SIMULATOR") == "verilator":
        try:
            write_uint(dut.seen_at, 0x77)  # not declared writable
        except NotWritable as exc:
            assert "seen_at" in str(exc) and "public_flat_rw" in str(exc), exc
        else:
            raise AssertionError("a write Verilator dropped went unnoticed")
    else:
        write_uint(dut.seen_at, 0x77)
        assert read_uint(dut.seen_at) == 0x77
