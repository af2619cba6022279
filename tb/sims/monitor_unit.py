"""cocotb unit test of ``tb_axi_monitor`` + :class:`AxiBurstMonitor` (toplevel ``tb_axi_monitor``).

Python drives the bus cycle by cycle (a unit test may): ARs on every cycle,
write bursts completing on every cycle and on the same cycles as ARs, W bursts
before their AW and AWs before their W, multi-word bursts, read bursts ending
(RLAST) on the same cycles as ARs of their ID and of others; every event must
come out once, in bus order, with its time, ID, address, length, size, burst
type, data and strobes, and each AR with the reads of its ID in flight.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from tb.bfm.monitor import AxiBurstMonitor
from tb.bus_events import ReadBurst, WriteBurst
from tb.phase import PythonPhase

CLOCK_NS = 4


#: an AR or AW: id, addr, len, size, burst
Addr = tuple[int, int, int, int, int]


@dataclass
class _Cycle:
    ar: Addr | None = None
    aw: Addr | None = None
    w: tuple[int, int, bool] | None = None          # data, strb, last
    r: tuple[int, bool, bool] | None = None         # rid, rlast, rready (rvalid high)
    stall: bool = False                              # valid high, ready low on every channel


@dataclass
class _Plan:
    cycles: list[_Cycle] = field(default_factory=list)
    #: cycle, id, addr, len, size, burst, reads of that ID in flight (this one included)
    reads: list[tuple[int, int, int, int, int, int, int]] = field(default_factory=list)
    aws: list[tuple[int, int, int, int, int, int]] = field(default_factory=list)
    wbursts: list[tuple[int, bytes, np.ndarray]] = field(default_factory=list)  # last cycle

    def cycle(self, i: int) -> _Cycle:
        while len(self.cycles) <= i:
            self.cycles.append(_Cycle())
        return self.cycles[i]


def _plan(rng: random.Random, beat_bytes: int, max_len: int) -> _Plan:
    plan = _Plan()

    def burst(w_start: int, beats: int) -> None:
        data = bytearray()
        strb = []
        for b in range(beats):
            c = plan.cycle(w_start + b)
            d = rng.getrandbits(8 * beat_bytes)
            s = rng.getrandbits(beat_bytes)
            c.w = (d, s, b == beats - 1)
            data += d.to_bytes(beat_bytes, "little")
            strb += [bool(s >> i & 1) for i in range(beat_bytes)]
        plan.wbursts.append((w_start + beats - 1, bytes(data), np.array(strb, bool)))

    def aw(c: int, beats: int) -> None:
        a = (rng.randrange(16), rng.randrange(1 << 40) * beat_bytes, beats - 1,
             rng.randrange(8), rng.randrange(4))
        plan.cycle(c).aw = a
        plan.aws.append((c, *a))

    t = 0
    # 1) one-beat write bursts, AW with W, on 12 consecutive cycles
    for i in range(12):
        aw(t + i, 1)
        burst(t + i, 1)
    t += 12
    # 2) five W bursts before their AWs, then the AWs on consecutive cycles
    lens = [rng.randint(1, max_len) for _ in range(5)]
    c = t
    for n in lens:
        burst(c, n)
        c += n
    for i, n in enumerate(lens):
        aw(c + i, n)
    t = c + len(lens)
    # 3) four AWs first, then their W bursts back to back (some stalled cycles)
    lens = [rng.randint(1, max_len) for _ in range(4)]
    for i, n in enumerate(lens):
        aw(t + i, n)
    c = t + 4
    for n in lens:
        burst(c, n)
        c += n
    t = c
    plan.cycle(t + 1).stall = True
    # reads: an AR on every cycle of the whole run (same cycles as write completions),
    # and R beats: last beats of an ID in flight (some on that ID's AR cycle), other
    # beats, and last beats not taken (RREADY low)
    flight = [0] * 16
    for i in range(t + 2):
        cyc = plan.cycle(i)
        if cyc.stall:
            continue
        busy = [k for k in range(16) if flight[k]]
        a = (rng.randrange(16), rng.randrange(1 << 40) * beat_bytes, rng.randrange(max_len),
             rng.randrange(8), rng.randrange(4))
        cyc.ar = a
        flight[a[0]] += 1
        plan.reads.append((i, *a, flight[a[0]] % 256))
        kind = rng.randrange(4)
        if kind == 0 and busy:
            rid = a[0] if a[0] in busy and rng.random() < 0.5 else rng.choice(busy)
            cyc.r = (rid, True, True)
            flight[rid] -= 1
        elif kind == 1:
            cyc.r = (rng.randrange(16), False, True)
        elif kind == 2:
            cyc.r = (rng.randrange(16), True, False)
    return plan


@cocotb.test()
async def every_event_once_in_bus_order(dut) -> None:  # type: ignore[no-untyped-def]
    """Events on consecutive cycles and read+write on the same cycle: none lost, all exact."""
    rng = random.Random(4)
    data_width = int(dut.DATA_WIDTH.value)
    beat_bytes = data_width // 8
    max_len = int(dut.MAX_BURST_LEN.value)
    Clock(dut.clk, CLOCK_NS, unit="ns").start(start_high=False)
    for sig in (dut.arvalid, dut.arready, dut.awvalid, dut.awready, dut.wvalid, dut.wready,
                dut.rvalid, dut.rready, dut.rlast, dut.rid):
        sig.value = 0
    dut.rst.value = 1
    await ClockCycles(dut.clk, 3)
    dut.rst.value = 0

    phase = PythonPhase(dut.clk, CLOCK_NS)
    mon = AxiBurstMonitor(dut, phase)
    got: list[ReadBurst | WriteBurst] = []
    mon.subscribe_read(got.append)
    mon.subscribe_write(got.append)
    mon.start()

    plan = _plan(rng, beat_bytes, max_len)
    await RisingEdge(dut.clk)
    t0 = int(cocotb.utils.get_sim_time("ns")) + CLOCK_NS   # time of the edge cycle 0 is taken at
    for cyc in plan.cycles:
        ready = 0 if cyc.stall else 1
        dut.arready.value = ready
        dut.awready.value = ready
        dut.wready.value = ready
        dut.arvalid.value = int(cyc.ar is not None or cyc.stall)
        if cyc.ar is not None:
            (dut.arid.value, dut.araddr.value, dut.arlen.value, dut.arsize.value,
             dut.arburst.value) = cyc.ar
        dut.awvalid.value = int(cyc.aw is not None or cyc.stall)
        if cyc.aw is not None:
            (dut.awid.value, dut.awaddr.value, dut.awlen.value, dut.awsize.value,
             dut.awburst.value) = cyc.aw
        dut.rvalid.value = int(cyc.r is not None or cyc.stall)
        dut.rready.value = int(cyc.r is not None and cyc.r[2])
        if cyc.r is not None:
            dut.rid.value, dut.rlast.value = cyc.r[0], int(cyc.r[1])
        dut.wvalid.value = int(cyc.w is not None or cyc.stall)
        if cyc.w is not None:
            dut.wdata.value, dut.wstrb.value, last = cyc.w
            dut.wlast.value = int(last)
        await RisingEdge(dut.clk)
    dut.arvalid.value = 0
    dut.awvalid.value = 0
    dut.wvalid.value = 0
    dut.rvalid.value = 0
    await ClockCycles(dut.clk, 4)
    mon.stop()
    phase.stop()

    want: list[ReadBurst | WriteBurst] = [
        ReadBurst(time_ns=t0 + c * CLOCK_NS, axi_id=i, addr=a, beats=n + 1, beat_bytes=beat_bytes,
                  size=size, burst=burst, in_flight=flight)
        for c, i, a, n, size, burst, flight in plan.reads
    ]
    assert max(r[-1] for r in plan.reads) > 1, "the plan should keep several reads in flight"
    for (ac, i, a, n, size, burst), (wc, data, strobe) in zip(plan.aws, plan.wbursts,
                                                              strict=True):
        assert len(data) == (n + 1) * beat_bytes
        want.append(WriteBurst(time_ns=t0 + max(ac, wc) * CLOCK_NS, axi_id=i, addr=a,
                               beats=n + 1, beat_bytes=beat_bytes, data=data, strobe=strobe,
                               size=size, burst=burst))
    want.sort(key=lambda e: (e.time_ns, isinstance(e, WriteBurst)))
    same_cycle = {e.time_ns for e in want if isinstance(e, ReadBurst)} & {
        e.time_ns for e in want if isinstance(e, WriteBurst)}
    assert len(same_cycle) > 10, "the plan should complete writes on AR cycles"

    assert len(got) == len(want), f"{len(got)} events reported, {len(want)} happened"
    for n, (g, w) in enumerate(zip(got, want, strict=False)):
        assert type(g) is type(w), f"event {n}: {g} reported, {w} happened"
        if isinstance(w, WriteBurst):
            assert isinstance(g, WriteBurst)
            got_key = (g.time_ns, g.axi_id, g.addr, g.beats, g.size, g.burst)
            assert got_key == (w.time_ns, w.axi_id, w.addr, w.beats, w.size, w.burst), (
                f"write event {n}: {g} reported, {w} happened")
            assert g.data == w.data, f"write event {n}: data differ"
            assert np.array_equal(g.strobe, w.strobe), f"write event {n}: strobes differ"
        else:
            assert g == w, f"event {n}: {g} reported, {w} happened"
    assert (mon.reads, mon.writes) == (len(plan.reads), len(plan.aws))
