"""cocotb flood scenarios: receive buffers returned late, the pool growing and shrinking.

The reference documents' dilemma, played out: a flood of receives while the
protocol drivers keep their buffers (with bursts of slow returns). The driver
starts with a moderate pool (sized with NdisSystemProcessorCount), grows it with
NdisMAllocateSharedMemoryAsyncEx below its low watermark while traffic goes on,
masks receive interrupts while every buffer is up the stack, and gives the extra
blocks back with NdisMFreeSharedMemory when the flood is over, never beyond its
shared-memory limit. Each test prints the pool's story and the counts of packets
indicated, returned and dropped (``make flood`` shows them). Run by
``tests/test_sim_flood.py``.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import cocotb

from pymodel.faultinject import FaultInjection
from pymodel.host import Host
from pymodel.ndis import NdisSystem
from tb.driver import DriverConfig
from tb.env import DmaEnv
from tb.scenario_config import ScenarioConfig
from tb.sims.common import BFM, SEED, finish, settle

log = logging.getLogger("tb.flood")
#: every test's report, appended in the test directory (make flood prints it)
REPORT_FILE = "flood_report.txt"


def _cfg(**kw: object) -> ScenarioConfig:
    base: dict[str, object] = {
        "seed": SEED, "bfm": BFM, "min_len": 60, "max_len": 2000,
        "axi_pause": 0.0, "stream_pause": 0.0,
        # the protocols keep each receive 20-60 us, and now and then 40-70 us for a while
        "hold_min_ns": 20_000, "hold_max_ns": 60_000,
        "slow_every_ns": 150_000, "slow_for_ns": 60_000,
        "slow_hold_min_ns": 40_000, "slow_hold_max_ns": 70_000,
    }
    base.update(kw)
    return ScenarioConfig(**base)  # type: ignore[arg-type]


def _bench(dut: Any, cfg: ScenarioConfig, *, injection: FaultInjection | None = None,
           **driver: Any) -> DmaEnv:
    host = Host(line_size=cfg.cache_line, seed=cfg.seed)
    system = NdisSystem(host=host, seed=cfg.seed, fault_injection=injection)
    # a small pool (12 buffers per processor) that a flood of small packets exhausts
    settings: dict[str, Any] = {"rx_buffers_per_processor": 12}
    settings.update(driver)
    return DmaEnv(dut, cfg, host=host, system=system, driver_config=DriverConfig(**settings))


def report(env: DmaEnv, name: str) -> list[str]:
    """The pool's story and the receive counts, as printed lines."""
    drv, st = env.driver, env.driver.stats
    marks = drv.pool.marks
    lines = [f"t={t:>9} ns  {text}" for t, text in drv.pool_events]
    lines.append(
        f"receives: {st.rx_indicated} indicated, {st.rx_returned} returned, "
        f"{len(env.rx_scoreboard.stats.dropped) + env.rx_scoreboard.outstanding} not delivered; "
        f"pool {drv.rx_initial} buffers at start, {marks.min_buffers}..{marks.max_buffers} "
        f"(at most {marks.max_held} up the stack at once, {marks.min_available} available at "
        f"the lowest); {st.async_requests} async requests, {st.async_blocks} blocks added, "
        f"{st.async_failures} failed, {st.blocks_freed} given back; receive interrupts masked "
        f"{st.rx_masks} times; shared memory peak {st.shared_peak} bytes "
        f"(limit {drv.cfg.shared_memory_limit})")
    log.setLevel(logging.INFO)
    for line in lines:
        log.info("%s", line)
    with Path(REPORT_FILE).open("a") as f:
        f.write(f"== {name}\n" + "\n".join(lines) + "\n")
    return lines


async def _calm(env: DmaEnv, *, rx: int, tx: int) -> None:
    """Demand subsides: quick returns, small packets; the extra blocks drain from the ring."""
    env.stack.cfg = dataclasses.replace(env.stack.cfg, hold_ns=(1_000, 3_000), slow_every_ns=0)
    env.rx_packets.set_lengths(60, 600)
    await settle(env, tx=tx, rx=rx)
    for _ in range(50):  # the work item gives the blocks back
        if not env.driver.pool.extra_blocks():
            break
        await settle(env, rx=8)


@cocotb.test()
async def flood_grows_and_shrinks_the_pool(dut) -> None:  # type: ignore[no-untyped-def]
    """A receive flood against slow returns: the pool grows below the low watermark while
    traffic goes on, receive interrupts are masked while every buffer is up the stack,
    drops are counted; when the flood is over the extra blocks go back and the pool is
    its initial size again. Nothing is lost: delivered + counted = sent."""
    env = _bench(dut, _cfg(), max_async_rx_blocks=3)
    await env.start()
    drv = env.driver
    assert await drv.initialize()
    initial = drv.pool.total
    await settle(env, tx=50, rx=500)
    grown = drv.pool.marks.max_buffers
    await _calm(env, tx=20, rx=300)
    lines = report(env, "flood_grows_and_shrinks_the_pool")
    st = drv.stats
    assert st.async_blocks >= 1 and grown > initial, lines
    assert st.blocks_freed == st.async_blocks and drv.pool.total == initial, lines
    assert st.rx_masks >= 1 and st.rx_unmasks == st.rx_masks, lines
    limit = drv.cfg.shared_memory_limit
    assert limit is not None and st.shared_peak <= limit
    out = await finish(env, min_rx=400)
    assert out.rx.unexplained == 0 and out.rx_drop > 0, out.rx


@cocotb.test()
async def async_allocation_failure_under_load(dut) -> None:  # type: ignore[no-untyped-def]
    """Every NdisMAllocateSharedMemoryAsyncEx completes without memory: the pool cannot grow,
    the driver retries later, the engine drops and counts what it cannot place; every
    delivered packet is byte-exact, nothing is lost unreported, no checker fires."""
    injection = FaultInjection(probability=1.0,
                               apis=frozenset({"NdisMAllocateSharedMemoryAsyncEx"}))
    env = _bench(dut, _cfg(), injection=injection)
    await env.start()
    drv = env.driver
    assert await drv.initialize()
    await settle(env, tx=30, rx=300)
    # a request made just before the traffic settled completes (fails) a little later
    await env.wait_for(lambda: drv.async_pending == 0,
                       lambda: f"{drv.async_pending} async allocations not completed", 1_000_000)
    report(env, "async_allocation_failure_under_load")
    st = drv.stats
    assert st.async_failures >= 1 and st.async_blocks == 0 and drv.pool.total == drv.rx_initial
    assert len(env.system.injector.log) == st.async_failures
    out = await finish(env, min_rx=100)
    assert out.rx_drop > 0 and out.rx.unexplained == 0, out.rx


@cocotb.test()
async def shared_memory_limit_is_never_exceeded(dut) -> None:  # type: ignore[no-untyped-def]
    """A driver limit that leaves room for one extra block: the pool grows by one block and
    no further, however long the flood (NDIS would report a LimitViolation)."""
    base = DriverConfig()
    # two 256-descriptor rings, 128 TX buffers and 12 RX buffers per processor (4)
    initial_bytes = 2 * 4096 + (base.tx_buffers + 12 * 4) * base.buffer_size
    limit = initial_bytes + base.block_bytes
    env = _bench(dut, _cfg(), shared_memory_limit=limit)
    await env.start()
    drv = env.driver
    assert await drv.initialize()
    assert drv.adapter is not None and drv.adapter.shared_bytes == initial_bytes
    await settle(env, tx=20, rx=400)
    report(env, "shared_memory_limit_is_never_exceeded")
    st = drv.stats
    assert st.async_blocks == 1 and st.shared_peak <= limit, (st.async_blocks, st.shared_peak)
    out = await finish(env, min_rx=150)
    assert out.rx.unexplained == 0, out.rx
