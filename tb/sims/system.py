"""cocotb system tests: the engine, the host model and the driver model together.

Each test states its expected outcome and asserts it; ``tests/test_sim_system.py``
runs them for every data width through the cocotb runner.
"""

from __future__ import annotations

import os

import cocotb

from pymodel import ndis
from pymodel.device import (
    DescCtrl,
    Descriptor,
    DescStatus,
    ErrCode,
    Irq,
    Reg,
    Ring,
    RingReg,
    RingState,
)
from pymodel.faultinject import FaultInjection
from pymodel.host import Host
from pymodel.iommu import FaultReason
from pymodel.ndis import AdapterState, NdisSystem
from tb.checkers import Rule
from tb.driver import DriverConfig
from tb.env import DmaEnv
from tb.scenario_config import ScenarioConfig

SEED = int(os.environ.get("DMANIC_SEED", "0") or 0) or 12345
# the bus models tb_top was built for (tests/test_sim_system.py sets it with FAST)
BFM = os.environ.get("DMANIC_BFM", "") or "fast"


def _cfg(**kw: object) -> ScenarioConfig:
    base: dict[str, object] = {
        "seed": SEED, "tx_packets": 30, "rx_packets": 30, "max_len": 4000, "bfm": BFM,
    }
    base.update(kw)
    return ScenarioConfig(**base)  # type: ignore[arg-type]


async def _traffic(env: DmaEnv, tx: int, rx: int) -> None:
    timeout = 20_000_000
    rx_task = cocotb.start_soon(env.send_rx(rx))
    await env.send_tx(tx)
    await env.driver.wait_tx_done(timeout)
    await rx_task
    await env.wait_rx_settled(timeout)
    await env.wait_tx_left()


async def _finish(env: DmaEnv) -> dict[str, int]:
    """Halt, then check scoreboards, faults and leaks; returns counters."""
    counters = {
        "rx_drop": await env.regs.read(Reg.RX_DROP_COUNT),
        "rx_err": await env.regs.read(Reg.RX_ERR_COUNT),
        "wb_partial": await env.regs.read(Reg.WB_PARTIAL_COUNT),
    }
    await env.driver.halt()
    await env.check_drained()
    env.stop()
    env.tx_scoreboard.finish()
    env.rx_scoreboard.finish(counted_drops=counters["rx_drop"] + counters["rx_err"])
    assert env.driver.adapter is not None and env.driver.adapter.leaks == ()
    return counters


@cocotb.test()
async def traffic_noncoherent_whole_lines(dut) -> None:  # type: ignore[no-untyped-def]
    """Non-coherent host, whole-line posting: all packets arrive, no fault, no part-line write."""
    env = DmaEnv(dut, _cfg())
    await env.start()
    assert await env.driver.initialize()
    await _traffic(env, env.cfg.tx_packets, env.cfg.rx_packets)
    counters = await _finish(env)
    assert len(env.host.iommu.faults) == 0
    assert counters["wb_partial"] == 0
    assert env.tx_scoreboard.stats.matched == env.cfg.tx_packets
    assert env.rx_scoreboard.stats.matched + counters["rx_drop"] == env.cfg.rx_packets


@cocotb.test()
async def traffic_coherent_part_lines(dut) -> None:  # type: ignore[no-untyped-def]
    """Coherent host, driver posting single descriptors: part-line write-backs are counted."""
    env = DmaEnv(
        dut, _cfg(coherent=True),
        driver_config=DriverConfig(post_whole_lines=False, wb_delay=64),
    )
    await env.start()
    assert await env.driver.initialize()
    await _traffic(env, 20, 20)
    counters = await _finish(env)
    assert counters["wb_partial"] > 0
    assert env.tx_scoreboard.stats.matched == 20
    assert len(env.host.iommu.faults) == 0


@cocotb.test()
async def init_retries_with_less(dut) -> None:  # type: ignore[no-untyped-def]
    """Refused shared-memory blocks: the driver asks for smaller ones and still runs."""
    cfg = _cfg()
    host = Host(line_size=cfg.cache_line, seed=cfg.seed)
    injection = FaultInjection(nth=(3, 4, 6), apis=frozenset({"NdisMAllocateSharedMemory"}))
    system = NdisSystem(host=host, seed=cfg.seed, fault_injection=injection)
    env = DmaEnv(dut, cfg, host=host, system=system)
    await env.start()
    assert await env.driver.initialize()
    assert len(system.injector.log) == 3, system.injector.log
    await _traffic(env, 10, 10)
    await _finish(env)
    assert env.tx_scoreboard.stats.matched == 10


@cocotb.test()
async def init_fails_cleanly(dut) -> None:  # type: ignore[no-untyped-def]
    """Not enough shared memory: initialization fails, everything it had is freed."""
    cfg = _cfg()
    host = Host(line_size=cfg.cache_line, seed=cfg.seed)
    injection = FaultInjection(probability=1.0, apis=frozenset({"NdisMAllocateSharedMemory"}))
    system = NdisSystem(host=host, seed=cfg.seed, fault_injection=injection)
    env = DmaEnv(dut, cfg, host=host, system=system,
                 driver_config=DriverConfig(min_rx_buffers=16))
    await env.start()
    assert not await env.driver.initialize()
    adapter = env.driver.adapter
    assert adapter is not None
    assert adapter.state is AdapterState.HALTED, adapter.state
    assert adapter.leaks == (), adapter.leaks
    assert system.injector.log, "no allocation was refused"
    env.stop()


@cocotb.test()
async def tx_use_after_free_stops_ring(dut) -> None:  # type: ignore[no-untyped-def]
    """A TX descriptor naming freed shared memory: IOMMU use-after-free fault, SLVERR,
    the TX ring stops with DATA_READ at that descriptor, TX_ERR interrupts; re-enabling
    the ring recovers and a good packet goes out."""
    env = DmaEnv(dut, _cfg(axi_pause=0.0, stream_pause=0.0, checkers_stop=False),
                 driver_config=DriverConfig(strict_errors=False))
    await env.start()
    drv = env.driver
    freed: list[int] = []

    def allocate_and_free(adapter: ndis.MiniportAdapter) -> None:
        va, la = ndis.NdisMAllocateSharedMemory(adapter, 4096, True)
        assert va is not None and la is not None
        ndis.NdisMFreeSharedMemory(adapter, 4096, True, va, la)
        freed.append(la)

    assert await drv.initialize(extra=allocate_and_free)
    assert drv.adapter is not None and drv.tx_ring is not None
    la = freed[0]
    ring = drv.tx_ring
    bad_index = ring.tail
    drv.post_tx_descriptors(
        [Descriptor(addr=la + 64, length=100, ctrl=DescCtrl.EOP)]
        + [Descriptor(ctrl=DescCtrl.NOP)] * (ring.per_line - 1)
    )

    for _ in range(200):
        status = await env.regs.ring_read(Ring.TX, RingReg.STATUS)
        if status & 3 == RingState.STOPPED:
            break
        await env.phase.sleep(1000)
    assert status & 3 == RingState.STOPPED, f"TX ring state {RingState(status & 3).name}"
    assert ErrCode(status >> 8 & 0xFF) is ErrCode.DATA_READ
    assert status >> 16 == bad_index
    faults = env.host.iommu.faults
    assert faults and faults[0].reason is FaultReason.USE_AFTER_FREE, faults
    # The translation checker saw it on the bus, as an IOMMU fault record, first and only.
    findings = env.checkers.log.findings
    assert [f.rule for f in findings] == [Rule.USE_AFTER_FREE], findings
    assert findings[0].la == la + 64 and "freed at t=" in findings[0].owner
    assert env.protocol_findings == []
    assert any("TX ring stopped: DATA_READ" in e for e in drv.stats.errors), drv.stats.errors
    ring.invalidate_line_of(bad_index)
    written = ring.read(bad_index)
    assert written.err is ErrCode.DATA_READ and written.status & 0b101 == 0b101, written

    # Recovery: the driver reclaims the ring and enables it again.
    await drv.recover_ring(Ring.TX)
    await env.send_tx(1)
    await drv.wait_tx_done(1_000_000)
    await env.wait_tx_left()
    assert env.tx_scoreboard.stats.matched == 1
    await drv.halt()
    await env.check_drained()
    env.stop()
    assert drv.adapter.leaks == ()


@cocotb.test()
async def rx_bad_descriptor_ends_its_window_with_the_error(dut) -> None:  # type: ignore[no-untyped-def]
    """Issue 12's engine bug: an RX descriptor with LEN 0 after two good ones, and a packet
    that needs all three. The engine completes the two it had gathered with DONE|ERR,
    the bad descriptor's code and WB_LEN 0 (it wrote DONE, WB_LEN 0 and no error, which
    no driver can make sense of), then the bad one likewise, drops and counts the packet
    and stops the ring; the completion checker (stopping at a violation) stays silent; the
    driver reads no buffer, recovers the ring, and the next packets arrive."""
    env = DmaEnv(dut, _cfg(axi_pause=0.0, stream_pause=0.0),
                 driver_config=DriverConfig(strict_errors=False))
    await env.start()
    drv = env.driver
    assert await drv.initialize()
    size = drv.cfg.buffer_size
    drv.post_rx_buffers([size, size, 0, size])  # indices 0-3, before the poster's own
    pkt = env.rx_packets.make(2 * size + 500)
    env.rx_scoreboard.expect(pkt)
    await env.models.send_rx(pkt.data)
    for _ in range(200):
        status = await env.regs.ring_read(Ring.RX, RingReg.STATUS)
        if status & 3 == RingState.STOPPED:
            break
        await env.phase.sleep(1000)
    assert status & 3 == RingState.STOPPED, f"RX ring state {RingState(status & 3).name}"
    assert ErrCode(status >> 8 & 0xFF) is ErrCode.ZERO_LEN and status >> 16 == 2, hex(status)
    ring = drv.rx_ring
    assert ring is not None
    for index in range(3):
        ring.invalidate_line_of(index)
        d = ring.read(index)
        assert (d.status, d.err, d.wb_len) == (DescStatus.DONE | DescStatus.ERR,
                                               ErrCode.ZERO_LEN, 0), (index, d)
    ring.invalidate_line_of(3)
    assert not ring.read(3).status & DescStatus.DONE
    assert env.checkers.log.findings == [] and env.protocol_findings == []
    assert drv.stats.device_errors == [] and drv.stats.rx_packets == 0
    assert any("RX ring stopped: ZERO_LEN at descriptor 2" in e for e in drv.stats.errors), \
        drv.stats.errors
    assert await env.regs.read(Reg.RX_DROP_COUNT) == 1

    await drv.recover_ring(Ring.RX)
    await _traffic(env, 0, 3)
    counters = await _finish(env)
    assert counters["rx_drop"] == 1
    assert env.rx_scoreboard.stats.matched == 3 and env.rx_scoreboard.stats.dropped == [0]


@cocotb.test()
async def rx_without_buffers_is_dropped_and_counted(dut) -> None:  # type: ignore[no-untyped-def]
    """Packets arriving before the driver runs are dropped and counted, never lost silently;
    packets after initialization arrive."""
    env = DmaEnv(dut, _cfg())
    await env.start()
    await env.send_rx(3)
    for _ in range(100):
        if await env.regs.read(Reg.RX_DROP_COUNT) == 3:
            break
        await env.phase.sleep(1000)
    assert await env.regs.read(Reg.RX_DROP_COUNT) == 3
    assert await env.regs.read(Reg.IRQ_STATUS) & Irq.RX_DROP
    assert await env.driver.initialize()
    await _traffic(env, 0, 5)
    counters = await _finish(env)
    assert counters["rx_drop"] == 3
    assert env.rx_scoreboard.stats.matched == 5
    assert env.rx_scoreboard.stats.dropped == [0, 1, 2]
