"""A small driver for memcpy_dma on top of tb.vip, for the kit's own tests (tb/sims/vip_*.py).

The example bench (``test_memcpy_dma.py``) spells the same steps out; this module
lets several benches share them: bring-up, register writes at the falling edge,
descriptor chains in shared memory handed to the device and taken back, and the
driver mistakes each checker must catch (:func:`broken_copy`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge

from examples.memcpy_dma import layout
from tb import vip
from tb.vip import Access, Rule

__all__ = ["BROKEN", "Copy", "MemcpyDriver", "bring_up"]

#: driver mistakes -> the rule the kit must report
BROKEN = {
    "past_end": Rule.PAST_END,
    "use_after_free": Rule.USE_AFTER_FREE,
    "shared_line": Rule.SHARED_LINE,
    "no_flush": Rule.STALE_DEVICE_READ,
    "not_handed": Rule.PERMISSION,
}


async def bring_up(dut: Any, prefix: str = "m_axi", *, period_ns: int = 10,
                   **attach_args: Any) -> vip.Kit:
    """Clock, the kit on port ``prefix`` (``attach_args`` go to :func:`tb.vip.attach`), reset."""
    Clock(dut.clk, period_ns, unit="ns").start(start_high=False)
    dut.rst.value = 1
    dut.reg_wr_en.value = 0
    kit = vip.attach(dut, prefix, clock=dut.clk, reset=dut.rst, **attach_args)
    await ClockCycles(dut.clk, 4)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    return kit


@dataclass(frozen=True)
class Copy:
    """One descriptor: ``length`` bytes from ``src`` to ``dst`` (device addresses)."""

    src: int
    dst: int
    length: int


class MemcpyDriver:
    """Posts descriptor chains to the engine behind ``kit`` and reaps them."""

    def __init__(self, dut: Any, kit: vip.Kit) -> None:
        self.dut = dut
        self.kit = kit
        self.line = kit.host.line_size
        self.ring = kit.allocate(4096, "descriptor ring")

    async def write_reg(self, reg: int, value: int) -> None:
        """One register write, presented at a falling edge."""
        dut = self.dut
        await FallingEdge(dut.clk)
        dut.reg_wr_addr.value, dut.reg_wr_data.value, dut.reg_wr_en.value = reg, value, 1
        await FallingEdge(dut.clk)
        dut.reg_wr_en.value = 0

    async def run(self, copies: list[Copy]) -> tuple[int, list[int]]:
        """Copy ``copies`` in one chain: the engine's error code and each STATUS."""
        kit, host, ring = self.kit, self.kit.host, self.ring
        span = -(-len(copies) * layout.DESC_BYTES // self.line) * self.line
        for i, c in enumerate(copies):
            nxt = ring.la + (i + 1) * layout.DESC_BYTES if i + 1 < len(copies) else 0
            host.cpu_write(ring.va + i * layout.DESC_BYTES,
                           layout.descriptor(c.src, c.dst, c.length, nxt))
        host.flush(ring.va, span, to_device=True)
        kit.hand_to_device(ring.la, span, Access.READ_WRITE)
        await self.write_reg(layout.REG_DESC_LO, ring.la & 0xFFFF_FFFF)
        await self.write_reg(layout.REG_DESC_HI, ring.la >> 32)
        await self.write_reg(layout.REG_CTRL, 1 << layout.CTRL_START)
        while not self.dut.irq.value:
            await FallingEdge(self.dut.clk)
        kit.take_back(ring.la, span)
        host.flush(ring.va, span, to_device=False)
        statuses = [int.from_bytes(host.cpu_read(
            ring.va + i * layout.DESC_BYTES + layout.DESC_STATUS, 4), "little")
            for i in range(len(copies))]
        return int(self.dut.error.value), statuses

    async def broken_copy(self, case: str) -> int:
        """Copy 1000 bytes making the driver mistake ``case`` (a key of :data:`BROKEN`);
        the engine's error code."""
        kit, host, line = self.kit, self.kit.host, self.line
        data = bytes(i * 7 & 0xFF for i in range(1000))
        # the source in whole beats (the engine reads whole beats), ending inside a burst
        beat = self.kit.monitor.beat_bytes
        burst = beat * int(self.dut.MAX_BURST_LEN.value)
        src_len = -(-len(data) // beat) * beat
        src = kit.allocate(src_len + (beat if src_len % burst == 0 else 0), "source")
        dst = kit.allocate(4096, "destination")
        length = {"past_end": src.length + 100, "shared_line": 32}.get(case, len(data))
        host.cpu_write(src.va, data)
        if case != "no_flush":
            host.flush(src.va, len(data), to_device=True)
        if case == "shared_line":
            host.cpu_write(dst.va + length, b"CPU's own")
            host.flush(dst.va, line, to_device=True)
        dst_span = length if case == "shared_line" else -(-length // line) * line
        kit.hand_to_device(src.la, src.length, Access.READ)
        if case != "not_handed":
            kit.hand_to_device(dst.la, dst_span, Access.WRITE)
        if case == "use_after_free":
            kit.take_back(src.la, src.length)
            kit.free(src)
        error, _ = await self.run([Copy(src.la, dst.la, length)])
        if case != "not_handed":
            kit.take_back(dst.la, dst_span)
        return error
