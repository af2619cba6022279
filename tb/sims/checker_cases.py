"""cocotb tests: every bus checker fires, in the full system, on a deliberately broken case.

Each test breaks one thing — a driver that skips a flush, a buffer that shares a
cache line, a bus that misbehaves — runs a little traffic with the checkers
recording (not stopping), and asserts the *first* finding: its rule, and the
address of the bytes concerned and who owns them. The clean counterpart of
every case is the default traffic in tb/sims/system.py, where any finding stops
the test.
"""

from __future__ import annotations

import os
from typing import Any

import cocotb

from pymodel import ndis
from pymodel.device import DescCtrl, Descriptor
from tb.checkers import Finding, Rule
from tb.checkers.protocol import MangleMode
from tb.driver import DriverBugs, DriverConfig
from tb.env import DmaEnv
from tb.scenario_config import ScenarioConfig

SEED = int(os.environ.get("DMANIC_SEED", "0") or 0) or 4242
RUN_NS = 60_000


NO_BUGS = DriverBugs()


def _env(dut, *, bugs: DriverBugs = NO_BUGS, mangle: int = 0,  # type: ignore[no-untyped-def]
         coherent: bool = False, **driver: Any) -> DmaEnv:
    """A bench whose checkers and scoreboards record instead of stopping the test."""
    cfg = ScenarioConfig(seed=SEED, max_len=1800, checkers_stop=False, mangle=mangle,
                         coherent=coherent, axi_pause=0.1, stream_pause=0.1)
    env = DmaEnv(dut, cfg, driver_config=DriverConfig(strict_errors=False, bugs=bugs, **driver))
    env.tx_scoreboard.record = env.rx_scoreboard.record = True
    return env


async def _run(env: DmaEnv, *, tx: int = 0, rx: int = 0, ns: int = RUN_NS) -> None:
    if rx:
        cocotb.start_soon(env.send_rx(rx))
    if tx:
        cocotb.start_soon(env.send_tx(tx))
    with env.watchdog.paused():  # a fixed stretch: the findings are what it looks at
        await env.phase.sleep(ns)


def _first(env: DmaEnv) -> Finding:
    findings = env.checkers.log.findings
    assert findings, "no checker fired"
    return findings[0]


def _expect(env: DmaEnv, rule: Rule, owner_start: str) -> Finding:
    f = _first(env)
    assert f.rule is rule, f"expected {rule.name} first, got {f}"
    assert f.owner.startswith(owner_start), f"expected owner {owner_start!r}..., got {f}"
    assert f.time_ns > 0 and f.la is not None
    dut_time = f"t={f.time_ns} ns"
    assert str(f).startswith(dut_time), str(f)
    return f


# --------------------------------------------------------------------- coherence
@cocotb.test()
async def stale_device_read_when_tx_flush_skipped(dut) -> None:  # type: ignore[no-untyped-def]
    """A driver that never flushes TX data: the device reads bytes the CPU holds dirty."""
    env = _env(dut, bugs=DriverBugs(skip_tx_flush=True))
    await env.start()
    assert await env.driver.initialize()
    await _run(env, tx=3)
    f = _expect(env, Rule.STALE_DEVICE_READ, "tx buffer at LA ")
    assert f.owner.startswith(f"tx buffer at LA {f.la:#x}"), f  # the buffer's first byte
    assert f.pa is not None and "dirty in the CPU cache" in f.detail
    env.stop()  # and write the run's fingerprint


@cocotb.test()
async def stale_cpu_read_when_rx_invalidate_skipped(dut) -> None:  # type: ignore[no-untyped-def]
    """A driver that reads RX buffers without invalidating: once a buffer is reused, the CPU
    reads its stale cached copy of what the device overwrote."""
    env = _env(dut, bugs=DriverBugs(skip_rx_invalidate=True), rx_buffers=16, min_rx_buffers=16)
    await env.start()
    assert await env.driver.initialize()
    await _run(env, rx=40, ns=2 * RUN_NS)
    f = _expect(env, Rule.STALE_CPU_READ, "rx buffer at LA ")
    assert "STALE_CPU_READ" in f.detail and "cpu_read of VA" in f.detail
    assert env.rx_scoreboard.mismatches, "the stale data should also reach the scoreboard"
    env.stop()  # and write the run's fingerprint


# ----------------------------------------------------------------------- tearing
@cocotb.test()
async def dirty_line_when_rx_buffers_scribbled(dut) -> None:  # type: ignore[no-untyped-def]
    """A driver that clears RX buffers through the cache and posts them unflushed: the device
    writes lines the CPU holds dirty (its write-back will overwrite the packet)."""
    env = _env(dut, bugs=DriverBugs(scribble_rx=True))
    await env.start()
    assert await env.driver.initialize()
    await _run(env, rx=2)
    f = _expect(env, Rule.DIRTY_LINE, "rx buffer at LA ")
    assert f.owner.startswith(f"rx buffer at LA {f.la:#x}"), f  # first line of the buffer
    assert "next write-back of that line will overwrite the device's write" in f.detail
    env.stop()  # and write the run's fingerprint


@cocotb.test()
async def alignment_when_buffers_ignore_dma_alignment(dut) -> None:  # type: ignore[no-untyped-def]
    """1500-byte buffers carved back to back: the first one handed over ends mid-line."""
    env = _env(dut, bugs=DriverBugs(ignore_alignment=True), buffer_size=1500)
    await env.start()
    assert await env.driver.initialize()
    await env.phase.sleep(2000)  # the poster task hands the receive buffers over
    f = _expect(env, Rule.ALIGNMENT, "rx buffer at LA ")
    assert "1500 bytes handed for WRITE" in f.detail
    assert f.owner.startswith(f"rx buffer at LA {f.la:#x}"), f
    env.stop()  # and write the run's fingerprint


@cocotb.test()
async def shared_line_when_driver_posts_part_lines(dut) -> None:  # type: ignore[no-untyped-def]
    """Non-coherent host, a driver posting descriptor by descriptor (no NOP padding): the
    write-back of a one-packet TX line lands in a line whose other descriptors the CPU
    still owns."""
    env = _env(dut, post_whole_lines=False)
    await env.start()
    assert await env.driver.initialize()
    await _run(env, tx=1)
    f = _expect(env, Rule.SHARED_LINE, "tx ring (in tx ring, owned by CPU)")
    ring = env.driver.tx_ring
    assert ring is not None and f.la == ring.block.la, f  # line 0 of the TX ring
    assert "device wrote bytes [0-15]" in f.detail and "[16-63] belong to the CPU" in f.detail
    env.stop()  # and write the run's fingerprint


# ------------------------------------------------------------------- translation
@cocotb.test()
async def not_mapped_when_bus_truncates_addresses(dut) -> None:  # type: ignore[no-untyped-def]
    """A bus that drops address bits 63:32 on a read: the device lands on nothing mapped."""
    env = _env(dut, mangle=MangleMode.AR_ADDR_TRUNC)
    await env.start()
    assert await env.driver.initialize()
    await _run(env, tx=2, rx=2)
    f = _expect(env, Rule.NOT_MAPPED, "nothing is mapped there")
    assert f.la is not None and f.la < 1 << 32
    assert any(m.logical & 0xFFFF_FFFF <= f.la < (m.logical & 0xFFFF_FFFF) + m.length
               for m in env.host.iommu.live_mappings()), "not a truncated live address"
    assert env.host.iommu.faults, "the access must also fault on the bus (SLVERR)"
    env.stop()  # and write the run's fingerprint


@cocotb.test()
async def permission_when_device_reads_cpu_buffer(dut) -> None:  # type: ignore[no-untyped-def]
    """A descriptor naming a TX buffer the driver never handed over."""
    env = _env(dut)
    await env.start()
    drv = env.driver
    assert await drv.initialize()
    assert drv.tx_ring is not None
    victim = drv._tx_free[0]
    drv.post_tx_descriptors([Descriptor(addr=victim.la, length=256, ctrl=DescCtrl.EOP)]
                            + [Descriptor(ctrl=DescCtrl.NOP)] * (drv.tx_ring.per_line - 1))
    await env.phase.sleep(RUN_NS // 2)
    f = _expect(env, Rule.PERMISSION, f"tx buffer at LA {victim.la:#x}")
    assert f.la == victim.la and "owned by CPU" in f.owner
    env.stop()  # and write the run's fingerprint


@cocotb.test()
async def past_end_when_descriptor_runs_off_mapping(dut) -> None:  # type: ignore[no-untyped-def]
    """A 100-byte descriptor 40 bytes before the end of a 1000-byte shared allocation."""
    env = _env(dut)
    await env.start()
    drv = env.driver
    small: list[int] = []

    def allocate(adapter: ndis.MiniportAdapter) -> None:
        va, la = ndis.NdisMAllocateSharedMemory(adapter, 1000, True)
        assert va is not None and la is not None
        small.append(la)

    assert await drv.initialize(extra=allocate)
    assert drv.tx_ring is not None
    start = small[0] + 960
    drv.post_tx_descriptors([Descriptor(addr=start, length=100, ctrl=DescCtrl.EOP)]
                            + [Descriptor(ctrl=DescCtrl.NOP)] * (drv.tx_ring.per_line - 1))
    await env.phase.sleep(RUN_NS // 2)
    f = _expect(env, Rule.PAST_END, "'nic0 NdisMAllocateSharedMemory")
    assert f.la == start and "runs 64 bytes past the mapping" in f.detail, f
    env.stop()  # and write the run's fingerprint


# ---------------------------------------------------------------------- protocol
async def _protocol_case(dut, mode: MangleMode) -> None:  # type: ignore[no-untyped-def]
    env = _env(dut, mangle=mode)
    await env.start()
    assert await env.driver.initialize()
    await _run(env, tx=3, rx=3, ns=RUN_NS // 2)
    findings = env.protocol[0].findings
    assert int(dut.mangled.value) == 1, f"mangler mode {mode.name} never misbehaved"
    assert findings, f"mangler mode {mode.name} ({mode.description}): the AXI4 checker is silent"
    f = findings[0]
    # one R beat too many may first show as an RLAST before the burst's last beat
    extra_read = mode is MangleMode.R_EXTRA and f.rule.name == "AXI_RLAST_EARLY"
    assert f.rule is mode.rule or extra_read, f
    assert str(f).startswith("t=") and f" ns m_axi: rule {f.rule.name}: " in str(f), str(f)
    if f.addr is not None:
        assert env.host.iommu.lookup(f.addr) is not None, f"{f}: not an address the bus carried"
    env.stop()  # and write the run's fingerprint


@cocotb.test()
async def protocol_wlast_early(dut) -> None:  # type: ignore[no-untyped-def]
    """A master ending a write burst early: AXI_WLAST_EARLY at that burst's address."""
    await _protocol_case(dut, MangleMode.WLAST_EARLY)


@cocotb.test()
async def protocol_extra_read_beat(dut) -> None:  # type: ignore[no-untyped-def]
    """A slave sending one R beat too many: AXI_R_UNEXPECTED."""
    await _protocol_case(dut, MangleMode.R_EXTRA)
