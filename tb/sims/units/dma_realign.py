"""cocotb tests of hdl/dma_realign.v: byte order, lanes, keep, last, user, throughput.

A reference model turns each input unit into the exact output beats (keep,
bytes under keep, last, user); the bench compares every output beat.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import Any

import cocotb
from cocotb.triggers import RisingEdge

from tb.unitbench.common import param, reset_dut, seeded_random, start_clock


@dataclass(frozen=True)
class InBeat:
    """One input beat: valid bytes in lanes [lo, hi)."""

    data: int
    lo: int
    hi: int
    end: bool
    user: bool


@dataclass(frozen=True)
class OutBeat:
    """One expected output beat: `payload` is the bytes of lanes set in `keep`."""

    keep: int
    payload: bytes
    last: bool
    user: bool


@dataclass(frozen=True)
class Unit:
    start_lane: int
    beats: tuple[InBeat, ...]


def beat_bytes(beat: InBeat) -> bytes:
    raw = beat.data.to_bytes(64, "little")
    return raw[beat.lo : beat.hi]


def expected_out(unit: Unit, nbytes: int) -> list[OutBeat]:
    """The output beats of one unit (see the module header of dma_realign.v)."""
    data = b"".join(beat_bytes(b) for b in unit.beats)
    user = any(b.user for b in unit.beats)
    end_empty = unit.beats[-1].lo == unit.beats[-1].hi
    if not data:
        return []
    out: list[tuple[int, bytes]] = []
    pos, i = unit.start_lane, 0
    while i < len(data):
        take = min(nbytes - pos, len(data) - i)
        out.append((((1 << take) - 1) << pos, data[i : i + take]))
        i += take
        pos = 0
    beats = [OutBeat(keep, payload, False, False) for keep, payload in out]
    if end_empty and (unit.start_lane + len(data)) % nbytes == 0:
        # every byte already went out in full beats: a closing beat, lane 0, data 0
        beats.append(OutBeat(1, b"\x00", False, False))
    beats[-1] = OutBeat(beats[-1].keep, beats[-1].payload, True, user)
    return beats


class TB:
    """Drives `in`, takes `out`, compares with the model; one per-cycle loop."""

    def __init__(self, dut: Any) -> None:
        self.dut = dut
        self.log = logging.getLogger("tb.dma_realign")
        self.width = param(dut, "DATA_WIDTH")
        self.nbytes = self.width // 8
        self.rng, self.seed = seeded_random("dma_realign")
        dut.in_valid.value = 0
        dut.in_data.value = 0
        dut.in_lo.value = 0
        dut.in_hi.value = 0
        dut.in_end.value = 0
        dut.in_user.value = 0
        dut.start_lane.value = 0
        dut.out_ready.value = 0
        dut.clear.value = 0
        start_clock(dut.clk)

    async def reset(self) -> None:
        await reset_dut(self.dut.clk, self.dut.rst)

    # ---- stimulus ----
    def random_unit(self, *, full_beats: bool = False, max_beats: int = 6) -> Unit:
        rng, n = self.rng, self.nbytes
        start = rng.randrange(n)
        count = rng.randint(1, max_beats)
        beats = []
        for k in range(count):
            end = k == count - 1
            if full_beats:
                lo, hi = 0, (rng.randint(1, n) if end else n)
            else:
                shape = rng.random()
                if end and shape < 0.15:
                    lo = hi = rng.randrange(n + 1) if rng.random() < 0.5 else 0
                    lo = min(lo, n - 1)
                    hi = lo
                elif shape < 0.4:
                    lo, hi = 0, n
                else:
                    lo = rng.randrange(n)
                    hi = rng.randint(lo + 1, n)
            beats.append(InBeat(rng.getrandbits(self.width), lo, hi, end, rng.random() < 0.1))
        return Unit(start, tuple(beats))

    # ---- the run loop ----
    async def run(
        self,
        units: list[Unit],
        *,
        p_in: float = 1.0,
        p_out: float = 1.0,
        max_cycles: int = 100_000,
    ) -> dict[str, int]:
        """Send `units`, check every output beat; returns cycle statistics."""
        dut = self.dut
        feed: deque[tuple[int, InBeat]] = deque()
        for u in units:
            for b in u.beats:
                feed.append((u.start_lane, b))
        expect: deque[OutBeat] = deque(ob for u in units for ob in expected_out(u, self.nbytes))
        n_out = len(expect)
        stats = {
            "cycles": 0,
            "in_beats": 0,
            "in_stalls": 0,
            "out_beats": 0,
            "first_out": -1,
            "last_out": -1,
            "last_in": -1,
        }
        driving = False
        for cyc in range(max_cycles):
            if not feed and not expect and not driving:
                break
            await RisingEdge(dut.clk)
            stats["cycles"] = cyc
            if driving:
                if int(dut.in_ready.value):
                    stats["in_beats"] += 1
                    stats["last_in"] = cyc
                    driving = False
                else:
                    stats["in_stalls"] += 1
            if int(dut.out_valid.value) and int(dut.out_ready.value):
                self._check_out(expect, n_out)
                stats["out_beats"] += 1
                if stats["first_out"] < 0:
                    stats["first_out"] = cyc
                stats["last_out"] = cyc
            # drive the next cycle
            if not driving and feed and self.rng.random() < p_in:
                lane, beat = feed.popleft()
                dut.in_data.value = beat.data
                dut.in_lo.value = beat.lo
                dut.in_hi.value = beat.hi
                dut.in_end.value = int(beat.end)
                dut.in_user.value = int(beat.user)
                dut.start_lane.value = lane
                driving = True
            dut.in_valid.value = int(driving)
            dut.out_ready.value = int(self.rng.random() < p_out)
        else:
            raise AssertionError(
                f"timeout: {len(feed)} input beats unsent, {len(expect)} output beats missing "
                f"(seed {self.seed})"
            )
        # nothing more may come out
        dut.out_ready.value = 1
        for _ in range(4):
            await RisingEdge(dut.clk)
            assert not int(dut.out_valid.value), f"extra output beat (seed {self.seed})"
        return stats

    def _check_out(self, expect: deque[OutBeat], n_out: int) -> None:
        dut = self.dut
        t = cocotb.utils.get_sim_time("ns")
        where = f"output beat {n_out - len(expect)} at t={t} ns (seed {self.seed})"
        if not expect:
            raise AssertionError(f"unexpected {where}")
        exp = expect.popleft()
        keep = int(dut.out_keep.value)
        last = int(dut.out_last.value)
        user = int(dut.out_user.value)
        raw = int(dut.out_data.value).to_bytes(self.nbytes, "little")
        payload = bytes(raw[i] for i in range(self.nbytes) if keep >> i & 1)
        if keep != exp.keep:
            raise AssertionError(f"{where}: keep {keep:#x}, expected {exp.keep:#x}")
        if payload != exp.payload:
            raise AssertionError(f"{where}: bytes {payload.hex()}, expected {exp.payload.hex()}")
        if last != exp.last or user != exp.user:
            raise AssertionError(
                f"{where}: last/user {last}/{user}, expected {exp.last:d}/{exp.user:d}"
            )


@cocotb.test()
async def test_random_units_backpressure(dut: Any) -> None:
    """Random lanes, lengths, empty end beats and user flags, with random valid/ready."""
    tb = TB(dut)
    await tb.reset()
    for p_in, p_out in ((1.0, 1.0), (0.7, 0.5), (0.4, 0.9), (1.0, 0.3)):
        units = [tb.random_unit() for _ in range(120)]
        await tb.run(units, p_in=p_in, p_out=p_out)


@cocotb.test()
async def test_edge_units(dut: Any) -> None:
    """Every start lane x every one-beat length, zero-byte units, closing empty beats."""
    tb = TB(dut)
    await tb.reset()
    n = tb.nbytes
    units = []
    for start in range(n):
        for length in (1, n - start, n - start + 1 if start else n, n):
            length = min(length, n)
            units.append(
                Unit(start, (InBeat(tb.rng.getrandbits(tb.width), 0, length, True, False),))
            )
    # a unit of nothing: nothing comes out
    units.append(Unit(3 % n, (InBeat(0, 0, 0, True, True),)))
    # bytes then an empty closing beat that finds bytes held / nothing held
    for start in (0, 1, n - 1):
        full = InBeat(tb.rng.getrandbits(tb.width), 0, n, False, False)
        units.append(Unit(start, (full, InBeat(0, 0, 0, True, True))))
        units.append(Unit(0, (full, full, InBeat(0, 2 % n, 2 % n, True, True))))
    # single-lane beats trickling in
    units.append(
        Unit(
            n - 1,
            tuple(
                InBeat(tb.rng.getrandbits(tb.width), k % n, k % n + 1, k == 2 * n, False)
                for k in range(2 * n + 1)
            ),
        )
    )
    await tb.run(units, p_in=1.0, p_out=1.0)
    await tb.run(units, p_in=0.5, p_out=0.5)


@cocotb.test()
async def test_full_throughput(dut: Any) -> None:
    """Both sides ready: one beat per cycle in and out for any start lane.

    The input stalls exactly once per unit whose output needs one beat more than
    its input, and the output never has a gap.
    """
    tb = TB(dut)
    await tb.reset()
    units = [tb.random_unit(full_beats=True, max_beats=5) for _ in range(150)]
    units += [
        Unit(
            tb.rng.randrange(tb.nbytes),
            (InBeat(tb.rng.getrandbits(tb.width), 0, tb.rng.randint(1, tb.nbytes), True, False),),
        )
        for _ in range(50)
    ]
    # a unit with one output beat more than input beats holds the next unit's
    # first beat for a cycle (the last unit has no next unit to hold)
    extra = sum(1 for u in units[:-1] if len(expected_out(u, tb.nbytes)) > len(u.beats))
    stats = await tb.run(units, p_in=1.0, p_out=1.0)
    n_in = sum(len(u.beats) for u in units)
    assert stats["in_beats"] == n_in
    assert stats["in_stalls"] == extra, (
        f"input stalled {stats['in_stalls']} cycles, expected {extra} (seed {tb.seed})"
    )
    span = stats["last_out"] - stats["first_out"] + 1
    assert span == stats["out_beats"], (
        f"{stats['out_beats']} output beats took {span} cycles (seed {tb.seed})"
    )


@cocotb.test()
async def test_clear(dut: Any) -> None:
    """clear in the middle of a unit drops it; the next unit comes out clean."""
    tb = TB(dut)
    await tb.reset()
    n = tb.nbytes
    dut.in_valid.value = 1
    dut.in_data.value = tb.rng.getrandbits(tb.width)
    dut.in_lo.value = 0
    dut.in_hi.value = n
    dut.in_end.value = 0
    dut.start_lane.value = 1
    dut.out_ready.value = 0
    for _ in range(3):
        await RisingEdge(dut.clk)
    dut.in_valid.value = 0
    dut.clear.value = 1
    await RisingEdge(dut.clk)
    dut.clear.value = 0
    await RisingEdge(dut.clk)
    assert not int(dut.out_valid.value) and int(dut.in_ready.value)
    await tb.run([tb.random_unit() for _ in range(20)], p_in=0.8, p_out=0.8)
