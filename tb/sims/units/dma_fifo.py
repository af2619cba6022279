"""cocotb tests of hdl/dma_fifo.v: order, count, full/empty, clear, back-pressure."""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

import cocotb
from cocotb.triggers import RisingEdge

from tb.unitbench.common import param, reset_dut, seeded_random, start_clock


class TB:
    """Drives both sides of the FIFO from one per-cycle loop and checks every cycle."""

    def __init__(self, dut: Any) -> None:
        self.dut = dut
        self.log = logging.getLogger("tb.dma_fifo")
        self.width = param(dut, "WIDTH")
        self.depth = param(dut, "DEPTH")
        self.rng, self.seed = seeded_random("dma_fifo")
        self.model: deque[int] = deque()
        self.popped = 0
        dut.in_valid.value = 0
        dut.in_data.value = 0
        dut.out_ready.value = 0
        dut.clear.value = 0
        start_clock(dut.clk)

    async def reset(self) -> None:
        await reset_dut(self.dut.clk, self.dut.rst)
        self.model.clear()

    def fail(self, what: str) -> None:
        raise AssertionError(f"{what} (seed {self.seed}, t={cocotb.utils.get_sim_time('ns')} ns)")

    async def run(
        self, cycles: int, p_in: float, p_out: float, stop_pushing_after: int | None = None
    ) -> None:
        """Random traffic for `cycles` cycles with the given valid/ready probabilities."""
        dut = self.dut
        mask = (1 << self.width) - 1
        for cyc in range(cycles):
            await RisingEdge(dut.clk)
            # handshakes of the cycle that just ended
            if int(dut.in_valid.value) and int(dut.in_ready.value):
                self.model.append(int(dut.in_data.value))
            if int(dut.out_valid.value) and int(dut.out_ready.value):
                got = int(dut.out_data.value)
                if not self.model:
                    self.fail(f"FIFO produced {got:#x} while empty")
                exp = self.model.popleft()
                if got != exp:
                    self.fail(f"entry {self.popped}: expected {exp:#x}, got {got:#x}")
                self.popped += 1
            # registered outputs now show the state after the edge: compare next cycle
            pushing = stop_pushing_after is None or cyc < stop_pushing_after
            dut.in_valid.value = int(pushing and self.rng.random() < p_in)
            dut.in_data.value = self.rng.getrandbits(self.width) & mask
            dut.out_ready.value = int(self.rng.random() < p_out)

    async def drain(self) -> None:
        """Pop until the FIFO is empty (bounded by DEPTH + a few cycles)."""
        for _ in range(self.depth // 64 + 2):
            await self.run(64, 0.0, 1.0)
            if not self.model:
                break

    def check_count(self) -> None:
        count = int(self.dut.count.value)
        if count != len(self.model):
            self.fail(f"count is {count}, FIFO holds {len(self.model)}")
        ready = int(self.dut.in_ready.value)
        if ready != (count < self.depth):
            self.fail(f"in_ready={ready} with count {count} of {self.depth}")


async def _settle(tb: TB, cycles: int = 4) -> None:
    tb.dut.in_valid.value = 0
    tb.dut.out_ready.value = 0
    for _ in range(cycles):
        await RisingEdge(tb.dut.clk)


@cocotb.test()
async def test_random_traffic(dut: Any) -> None:
    """Random valid/ready on both sides: order kept, count right at every quiet point."""
    tb = TB(dut)
    await tb.reset()
    cycles = min(4 * tb.depth + 400, 4000)
    for p_in, p_out in ((0.9, 0.3), (0.5, 0.5), (0.3, 0.9), (1.0, 1.0)):
        await tb.run(cycles // 4, p_in, p_out)
        await _settle(tb)
        tb.check_count()
    await tb.drain()
    await _settle(tb)
    tb.check_count()
    assert not tb.model, f"{len(tb.model)} entries never came out (seed {tb.seed})"


@cocotb.test()
async def test_fill_and_drain(dut: Any) -> None:
    """Fills to exactly DEPTH (in_ready low, count = DEPTH), then drains in order."""
    tb = TB(dut)
    await tb.reset()
    await tb.run(tb.depth + 8, 1.0, 0.0)
    await _settle(tb)
    tb.check_count()
    assert len(tb.model) == tb.depth, f"took {len(tb.model)} entries, DEPTH is {tb.depth}"
    assert int(dut.in_ready.value) == 0
    await tb.run(tb.depth + 8, 0.0, 1.0)
    await _settle(tb)
    tb.check_count()
    assert not tb.model and int(dut.out_valid.value) == 0


@cocotb.test()
async def test_full_throughput(dut: Any) -> None:
    """With both sides always ready, one entry per cycle goes through."""
    tb = TB(dut)
    await tb.reset()
    n = 200
    await tb.run(n, 1.0, 1.0, stop_pushing_after=n - 10)
    assert tb.popped >= n - 10 - 2, f"only {tb.popped} of {n - 10} entries in {n} cycles"


@cocotb.test()
async def test_clear(dut: Any) -> None:
    """clear empties the FIFO; it works normally afterwards."""
    tb = TB(dut)
    await tb.reset()
    await tb.run(min(tb.depth, 12), 1.0, 0.0)
    await _settle(tb)
    assert int(dut.count.value) > 0
    dut.clear.value = 1
    await RisingEdge(dut.clk)
    dut.clear.value = 0
    tb.model.clear()
    await RisingEdge(dut.clk)
    assert int(dut.count.value) == 0 and int(dut.out_valid.value) == 0
    assert int(dut.in_ready.value) == 1
    await tb.run(300, 0.6, 0.6)
    await tb.drain()
    await _settle(tb)
    tb.check_count()
    assert not tb.model
