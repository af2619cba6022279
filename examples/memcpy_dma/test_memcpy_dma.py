"""memcpy_dma under the verification kit (tb.vip): a clean copy, then four broken drivers."""

from __future__ import annotations

from typing import Any

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge

from examples.memcpy_dma import layout
from tb import vip
from tb.vip import Access, Rule

CASES = {  # the driver's mistake -> the rule the kit must report
    "clean": None,
    "past_end": Rule.PAST_END,  # the descriptor's LEN runs past the source allocation
    "use_after_free": Rule.USE_AFTER_FREE,  # the source is freed before the copy
    "shared_line": Rule.SHARED_LINE,  # the destination shares a cache line with CPU data
    "no_flush": Rule.STALE_DEVICE_READ,  # the CPU's writes to the source are not flushed
}


async def start_engine(dut: Any, desc_la: int) -> int:
    """Registers written at falling edges (Python's phase); the error code at irq."""
    for reg, value in ((layout.REG_DESC_LO, desc_la & 0xFFFF_FFFF),
                       (layout.REG_DESC_HI, desc_la >> 32), (layout.REG_CTRL, 1)):
        await FallingEdge(dut.clk)
        dut.reg_wr_addr.value, dut.reg_wr_data.value, dut.reg_wr_en.value = reg, value, 1
    await FallingEdge(dut.clk)
    dut.reg_wr_en.value = 0
    while not dut.irq.value:
        await FallingEdge(dut.clk)
    return int(dut.error.value)


@cocotb.test()
@cocotb.parametrize(case=list(CASES))
async def memcpy(dut: Any, case: str) -> None:
    Clock(dut.clk, 10, unit="ns").start(start_high=False)
    dut.rst.value, dut.reg_wr_en.value = 1, 0
    kit = vip.attach(dut, "m_axi", clock=dut.clk, reset=dut.rst,
                     platform="noncoherent", stop=False)  # collect findings, do not stop
    await ClockCycles(dut.clk, 4)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    host, line = kit.host, kit.host.line_size
    data = bytes(i * 7 & 0xFF for i in range(1000))
    ring = kit.allocate(4096, "descriptor ring")  # NdisMAllocateSharedMemory, tracked
    src = kit.allocate(len(data), "source")
    dst = kit.allocate(4096, "destination")
    length = {"past_end": len(data) + 100, "shared_line": 32}.get(case, len(data))
    host.cpu_write(src.va, data)
    if case != "no_flush":
        host.flush(src.va, len(data), to_device=True)
    if case == "shared_line":  # the CPU keeps a note right after the destination
        host.cpu_write(dst.va + length, b"CPU's own")
        host.flush(dst.va, line, to_device=True)
    host.cpu_write(ring.va, layout.descriptor(src.la, dst.la, length))
    host.flush(ring.va, line, to_device=True)
    dst_span = length if case == "shared_line" else -(-length // line) * line
    kit.hand_to_device(ring.la, line, Access.READ_WRITE)
    kit.hand_to_device(src.la, src.length, Access.READ)
    kit.hand_to_device(dst.la, dst_span, Access.WRITE)
    if case == "use_after_free":
        kit.free(src)
    error = await start_engine(dut, ring.la)
    kit.take_back(ring.la, line)
    kit.take_back(dst.la, dst_span)
    if CASES[case] is not None:
        assert CASES[case] in kit.rules(), f"expected {CASES[case]}, got {kit.rules()}"
        return
    host.flush(ring.va, line, to_device=False)  # invalidate before reading device data
    host.flush(dst.va, dst_span, to_device=False)
    status = int.from_bytes(host.cpu_read(ring.va + layout.DESC_STATUS, 4), "little")
    assert error == layout.ERR_NONE and status == 1 << layout.STATUS_DONE, (error, status)
    assert host.cpu_read(dst.va, len(data)) == data, "the copy differs from the source"
    assert not kit.findings, "\n".join(map(str, kit.findings))
