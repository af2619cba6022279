"""cocotb tests of the kit on ``memcpy_dma_harness`` (run by tests/test_sim_vip.py).

* ``monitors_agree`` (FAST=0): on one bus, with random back-pressure from the kit's
  memory, the kit's Python monitor (port ``axi``, no ID signals) reports exactly the
  bursts the HDL monitor ``tb_axi_monitor`` records: same rising edge, ID, address,
  length, size, burst type, data and strobes, in the same order.
* ``fast_path`` (FAST=1): the kit on the HDL monitor and memory (``tb_axi_mem``): a
  clean chain, and every driver mistake fires the rule it fires on the Python path.
"""

from __future__ import annotations

import os
import random
from typing import Any

import cocotb
from cocotb.triggers import FallingEdge

from examples.memcpy_dma import layout
from examples.memcpy_dma.driver import BROKEN, Copy, MemcpyDriver, bring_up
from tb import vip
from tb.bfm.monitor import AxiBurstMonitor
from tb.bus_events import ReadBurst, WriteBurst
from tb.phase import PythonPhase
from tb.vip import Access

SEED = int(os.environ.get("TB_VIP_SEED", "0") or 0) or 11
PERIOD_NS = 10


def _key(burst: ReadBurst | WriteBurst) -> tuple[object, ...]:
    head = (burst.time_ns, burst.axi_id, burst.addr, burst.beats, burst.size, burst.burst)
    if isinstance(burst, ReadBurst):
        return ("read", *head)
    return ("write", *head, burst.data, burst.strobe.tobytes())


async def _chains(dut: Any, drv: MemcpyDriver, rng: random.Random, chains: int) -> None:
    kit, line = drv.kit, drv.line
    for chain in range(chains):
        copies, expect = [], []
        for i in range(rng.randint(1, 3)):
            length = rng.choice([1, 8, 4096, rng.randint(1, 1200)])
            src = kit.allocate(8192, f"source {chain}.{i}")
            dst = kit.allocate(8192, f"destination {chain}.{i}")
            so = rng.choice([0, 4096 - line * rng.randint(1, 3)])
            data = rng.randbytes(length)
            kit.host.cpu_write(src.va + so, data)
            kit.host.flush(src.va + so, length, to_device=True)
            span = -(-length // line) * line
            kit.hand_to_device(src.la + so, length, Access.READ)
            kit.hand_to_device(dst.la, span, Access.WRITE)
            copies.append(Copy(src.la + so, dst.la, length))
            expect.append((dst, span, data))
        error, statuses = await drv.run(copies)
        assert error == layout.ERR_NONE and statuses == [1 << layout.STATUS_DONE] * len(copies)
        for dst, span, data in expect:
            kit.take_back(dst.la, span)
            kit.host.flush(dst.va, span, to_device=False)
            assert kit.host.cpu_read(dst.va, len(data)) == data, f"{dst.name} differs"


@cocotb.test()
async def monitors_agree(dut: Any) -> None:
    dut._log.info("seed %d (TB_VIP_SEED=%d replays it)", SEED, SEED)
    kit = await bring_up(dut, "axi", period_ns=PERIOD_NS, platform="noncoherent")
    assert kit.memory is not None
    kit.memory.set_backpressure(0.4, SEED)
    python: list[ReadBurst | WriteBurst] = []
    kit.monitor.subscribe_read(python.append)
    kit.monitor.subscribe_write(python.append)
    hdl_bursts: list[ReadBurst | WriteBurst] = []
    hdl = AxiBurstMonitor(dut.u_mon, PythonPhase(dut.clk, PERIOD_NS), name="hdl_mon")
    hdl.subscribe_read(hdl_bursts.append)
    hdl.subscribe_write(hdl_bursts.append)
    hdl.start()
    await _chains(dut, MemcpyDriver(dut, kit), random.Random(SEED), chains=3)
    for _ in range(4):
        await FallingEdge(dut.clk)
    assert python, "no burst seen"
    assert len(python) == len(hdl_bursts), (len(python), len(hdl_bursts))
    for n, (p, h) in enumerate(zip(python, hdl_bursts, strict=True)):
        assert _key(p) == _key(h), f"burst {n}: Python {p} / HDL {h}"
    assert not kit.findings
    assert isinstance(kit.monitor, vip.AxiPortMonitor)
    dut._log.info("%d bursts, %d cycles sampled", len(python), kit.monitor.cycles)


@cocotb.test()
@cocotb.parametrize(case=["clean", *BROKEN])
async def fast_path(dut: Any, case: str) -> None:
    kit = await bring_up(dut, "axi", period_ns=PERIOD_NS, platform="noncoherent",
                         stop=case == "clean", hdl_monitor=dut.u_mon,
                         hdl_memory=dut.g_fast.u_mem, clock_period_ns=PERIOD_NS)
    drv = MemcpyDriver(dut, kit)
    if case == "clean":
        await _chains(dut, drv, random.Random(SEED), chains=2)
        assert kit.fast_memory is not None and kit.fast_memory.write_bursts > 0
        return
    await drv.broken_copy(case)
    assert BROKEN[case] in kit.rules(), f"{case}: expected {BROKEN[case].name}, got {kit.rules()}"
