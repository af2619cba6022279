"""cocotb tests of the verification kit (tb.vip) on ``memcpy_dma`` (run by tests/test_sim_vip.py).

* ``chains_copy_clean``: chains of copies of random lengths and offsets across 4 KiB
  boundaries, random back-pressure on every channel: every byte arrives, every
  STATUS says DONE, no finding (at every data and address width the launcher builds).
* ``broken_driver``: each driver mistake fires its rule; a PERMISSION finding names
  the call that is missing.
* ``stops_at_first_finding``: ``stop=True`` ends the test with the finding (a
  CheckerViolation), raised by no task of the kit's.
* ``time_from_simulator``: allocations, frees and findings carry the simulated time.
* ``driver_model_calls_ndis``: a driver model's own ``NdisSystem`` and NDIS calls: its
  shared memory is tracked from ``NdisMAllocateSharedMemory`` on, CPU-owned until handed.
* ``bind_error``: a prefix the toplevel lacks names the signals expected.
"""

from __future__ import annotations

import os
import random
from typing import Any

import cocotb
from cocotb.triggers import FallingEdge, Timer

from examples.memcpy_dma import layout
from examples.memcpy_dma.driver import BROKEN, Copy, MemcpyDriver, bring_up
from pymodel import ndis
from pymodel.host import Host
from tb import vip
from tb.vip import Access, BindError, CheckerViolation, Rule

SEED = int(os.environ.get("TB_VIP_SEED", "0") or 0) or 7


@cocotb.test()
async def chains_copy_clean(dut: Any) -> None:
    rng = random.Random(SEED)
    dut._log.info("seed %d (TB_VIP_SEED=%d replays it)", SEED, SEED)
    kit = await bring_up(dut, platform="noncoherent", stop=True)
    assert kit.memory is not None
    kit.memory.set_backpressure(0.3, SEED)
    drv = MemcpyDriver(dut, kit)
    beat = len(dut.m_axi_wdata) // 8
    line = kit.host.line_size
    for chain in range(3):
        copies, expect = [], []
        for i in range(rng.randint(1, 4)):
            length = rng.choice([1, beat, 4096, rng.randint(1, 1500)])
            src = kit.allocate(8192, f"source {chain}.{i}")
            dst = kit.allocate(8192, f"destination {chain}.{i}")
            # line-aligned offsets that put the copy across a 4 KiB boundary now and then
            so = rng.choice([0, 4096 - line * rng.randint(1, 4), line * rng.randint(0, 30)])
            do = rng.choice([0, 4096 - line * rng.randint(1, 4), line * rng.randint(0, 30)])
            data = rng.randbytes(length)
            kit.host.cpu_write(src.va + so, data)
            kit.host.flush(src.va + so, length, to_device=True)
            span = -(-length // line) * line
            kit.hand_to_device(src.la + so, length, Access.READ)
            kit.hand_to_device(dst.la + do, span, Access.WRITE)
            copies.append(Copy(src.la + so, dst.la + do, length))
            expect.append((dst, do, span, data))
        error, statuses = await drv.run(copies)
        assert error == layout.ERR_NONE, f"chain {chain}: error {error}"
        assert statuses == [1 << layout.STATUS_DONE] * len(copies), statuses
        for dst, do, span, data in expect:
            kit.take_back(dst.la + do, span)
            kit.host.flush(dst.va + do, span, to_device=False)
            assert kit.host.cpu_read(dst.va + do, len(data)) == data, f"{dst.name} differs"
    assert not kit.findings
    assert kit.monitor.reads > 0 and kit.monitor.writes > 0


@cocotb.test()
@cocotb.parametrize(case=list(BROKEN))
async def broken_driver(dut: Any, case: str) -> None:
    kit = await bring_up(dut, platform="noncoherent", stop=False)
    error = await MemcpyDriver(dut, kit).broken_copy(case)
    rule = BROKEN[case]
    assert rule in kit.rules(), f"{case}: expected {rule.name}, got {kit.rules()}"
    if case in ("past_end", "use_after_free"):
        assert error == layout.ERR_SRC, error
    if case == "not_handed":
        finding = next(f for f in kit.findings if f.rule is Rule.PERMISSION)
        assert finding.channel == "write", finding
        assert f"missing call: kit.hand_to_device({finding.la:#x}, length, Access.WRITE)" \
            in finding.detail, finding.detail


@cocotb.test(expect_error=CheckerViolation)
async def stops_at_first_finding(dut: Any) -> None:
    kit = await bring_up(dut, platform="noncoherent")
    await MemcpyDriver(dut, kit).broken_copy("no_flush")
    raise AssertionError("the first finding did not end the test")


@cocotb.test()
async def time_from_simulator(dut: Any) -> None:
    kit = await bring_up(dut, platform="noncoherent", stop=False)
    await Timer(1234, unit="ns")
    t_alloc = int(cocotb.simtime.get_sim_time("ns"))
    buf = kit.allocate(4096, "buffer")
    allocation = kit.host.allocation_at(buf.va)
    assert allocation is not None and allocation.time == t_alloc, (allocation, t_alloc)
    assert kit.adapter.shared_memory[-1].time == t_alloc
    await FallingEdge(dut.clk)
    t_hand = int(cocotb.simtime.get_sim_time("ns"))
    kit.hand_to_device(buf.la + 8, 64, Access.WRITE)  # off the line: ALIGNMENT, stamped now
    assert [(f.rule, f.time_ns) for f in kit.findings] == [(Rule.ALIGNMENT, t_hand)]
    kit.take_back(buf.la + 8, 64)
    await Timer(100, unit="ns")
    t_free = int(cocotb.simtime.get_sim_time("ns"))
    kit.free(buf)
    freed = kit.host.allocation_at(buf.va)
    assert freed is not None and freed.freed_time == t_free, (freed, t_free)
    mapping = kit.host.iommu.lookup(buf.la)
    assert mapping is not None and mapping.created_time == t_alloc, mapping


@cocotb.test()
async def driver_model_calls_ndis(dut: Any) -> None:
    system = ndis.NdisSystem(host=Host(platform="noncoherent", seed=5))
    kit = await bring_up(dut, system=system, stop=False)
    assert kit.system is system and kit.host is system.host
    adapter = system.add_adapter(name="memcpy0")
    with adapter.initialize():
        flags = ndis.NDIS_SG_DMA_64_BIT_ADDRESS if kit.addr_width > 32 else 0
        ndis.NdisMRegisterScatterGatherDma(adapter, ndis.NDIS_SG_DMA_DESCRIPTION(flags=flags))
        va, la = ndis.NdisMAllocateSharedMemory(adapter, 4096, True)
        assert va is not None and la is not None
        system.host.cpu_write(va, bytes(256))
        system.host.flush(va, 256, to_device=True)
    drv = MemcpyDriver(dut, kit)
    dst = kit.allocate(4096, "destination")
    kit.hand_to_device(dst.la, 256, Access.WRITE)
    await drv.run([Copy(la, dst.la, 256)])  # the source was never handed over
    finding = kit.findings[0]
    assert finding.rule is Rule.PERMISSION and finding.channel == "read", finding
    assert "memcpy0 NdisMAllocateSharedMemory #1" in finding.owner, finding.owner
    assert f"kit.hand_to_device({la:#x}, length, Access.READ)" in finding.detail


@cocotb.test()
async def bind_error(dut: Any) -> None:
    try:
        vip.attach(dut, "s_axi", clock=dut.clk)
    except BindError as exc:
        assert "s_axi_arvalid" in str(exc) and "s_axi_wdata" in str(exc), str(exc)
    else:
        raise AssertionError("attach found an s_axi port on memcpy_dma")
    await Timer(1, unit="ns")
