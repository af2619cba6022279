"""The soak: a seeded random mix of every fault, TX and RX at once, for as long as asked.

The run is a sequence of *epochs*. Each draws its own back-pressure on every
channel, the protocol stack's return times (and whether they come in slow bursts),
packet sizes and one fault (or none) from :data:`FAULTS`, runs TX and RX traffic
at once with the fault injected, and asserts the fault's outcome: the ring error
code the engine reports, the driver's recovery, the rings running again; a halt and
re-initialization epoch also asserts no leak. The scoreboards check every packet
byte for byte as it arrives; at the end both balances are checked with bounds
(everything delivered or reported, at least a given share delivered), the
adapter is halted without a leak, the only checker findings are the IOMMU faults
the soak injected, and the summary (``soak_summary.json``) gives the packets and
bytes, the faults and their outcomes, the pool's high and low marks, leaks and
checker counts.

Settings (environment, ``make soak`` sets them): ``DMANIC_SEED``,
``DMANIC_SOAK_PACKETS`` (TX + RX, default 100,000), ``DMANIC_SOAK_EPOCH`` (packets
per epoch, default 200), ``DMANIC_SOAK_FAULTS`` (comma-separated names of
:data:`FAULTS` to draw from; default all).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import random
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import cocotb
from cocotb.utils import get_sim_time

from pymodel import ndis
from pymodel.device import MAX_DESC_LEN, DescCtrl, Descriptor, ErrCode, Reg, Ring, RingReg
from pymodel.faultinject import FaultInjection
from pymodel.host import Host
from pymodel.ndis import AdapterState, NdisSystem
from tb.bfm.bus_errors import BusErrorHost
from tb.checkers import Rule
from tb.driver import DriverConfig
from tb.env import DmaEnv
from tb.errors import SimTimeout, TbError
from tb.progress import PROGRESS_FILE, ProgressWriter
from tb.scenario_config import ScenarioConfig
from tb.sims.common import settle, traffic

__all__ = ["FAULTS", "SUMMARY_FILE"]

SUMMARY_FILE = "soak_summary.json"
#: an address no mapping holds: a descriptor naming it is an IOMMU fault (NOT_MAPPED)
UNMAPPED_LA = 0x7_0000_0000
#: simulated time a fault's outcome may take to show
OUTCOME_NS = 3_000_000
#: TX packets the stack hands the driver before it waits (DmaEnv.send_tx's window)
TX_WINDOW = 64

log = logging.getLogger("tb.soak")


class SoakFailure(TbError):
    """A fault's outcome was not the expected one."""


@dataclasses.dataclass
class Soak:
    """What one soak run shares between its epochs."""

    env: DmaEnv
    errors: BusErrorHost
    rng: random.Random
    outcomes: Counter[str] = dataclasses.field(default_factory=Counter)
    halts: int = 0
    leaks: int = 0
    iommu_injected: int = 0


async def _ring_error(s: Soak, before: int, which: Ring, code: ErrCode, *,
                      feed: bool = False) -> str:
    """Wait for the next ring error (feeding packets to ``which`` if it needs them) and
    check it."""
    env = s.env
    deadline = get_sim_time("ns") + OUTCOME_NS
    while len(env.driver.ring_errors) <= before:
        if get_sim_time("ns") > deadline:
            raise SimTimeout(f"soak: no {which.name} {code.name} ring error within "
                             f"{OUTCOME_NS} ns (replay: {env.replay})")
        if feed:
            await traffic(env, **{"tx" if which is Ring.TX else "rx": 8})
        await env.phase.sleep(1_000)
    ring, err, index = env.driver.ring_errors[before]
    if (ring, err) != (which, code):
        raise SoakFailure(f"expected {which.name} {code.name}, the engine reported "
                          f"{ring.name} {err.name} at descriptor {index}")
    return f"{ring.name} {err.name} at descriptor {index}, ring recovered"


async def _running(s: Soak) -> None:
    deadline = get_sim_time("ns") + OUTCOME_NS
    for which in (Ring.TX, Ring.RX):
        while (st := await s.env.regs.ring_read(which, RingReg.STATUS)) & 3 != 1:
            if get_sim_time("ns") > deadline:
                raise SoakFailure(f"{which.name} ring not running again: status {st:#x}")
            await s.env.phase.sleep(1_000)


# ------------------------------------------------------------------ the faults
Inject = Callable[[Soak], Awaitable[str]]


def _bus_error(what: str, *, read: bool, which: Ring, code: ErrCode) -> Inject:
    async def inject(s: Soak) -> str:
        drv = s.env.driver
        assert drv.tx_ring is not None and drv.rx_ring is not None and drv.book is not None
        if what in ("tx", "rx"):
            ring = drv.tx_ring if what == "tx" else drv.rx_ring
            ranges = [(ring.block.la, ring.block.la + ring.block.length)]
        else:
            ranges = [(b.la, b.la + b.length) for b in drv.book.blocks
                      if b.purpose.startswith(what.split()[0]) and "ring" not in b.purpose]
        before = len(drv.ring_errors)
        (s.errors.ranges.read if read else s.errors.ranges.write).extend(ranges)
        try:
            return await _ring_error(s, before, which, code, feed=True)
        finally:
            s.errors.ranges.clear()
    return inject


def _tx_descriptor(length: int, addr: int, code: ErrCode) -> Inject:
    async def inject(s: Soak) -> str:
        drv = s.env.driver
        assert drv.tx_ring is not None
        before = len(drv.ring_errors)
        if addr == UNMAPPED_LA:
            s.iommu_injected += 1
        drv.post_tx_descriptors([Descriptor(addr=addr, length=length, ctrl=DescCtrl.EOP)]
                                + [Descriptor(ctrl=DescCtrl.NOP)] * (drv.tx_ring.per_line - 1))
        return await _ring_error(s, before, Ring.TX, code)
    return inject


def _rx_descriptor(length: int, addr: int, code: ErrCode) -> Inject:
    async def inject(s: Soak) -> str:
        drv = s.env.driver
        assert drv.rx_ring is not None
        before = len(drv.ring_errors)
        if addr == UNMAPPED_LA:
            s.iommu_injected += 1
        drv.post_rx_descriptors([Descriptor(addr=addr, length=length, ctrl=DescCtrl.IRQ)]
                                * drv.rx_ring.per_line)
        return await _ring_error(s, before, Ring.RX, code, feed=True)
    return inject


def _disable(which: Ring) -> Inject:
    async def inject(s: Soak) -> str:
        before = s.env.driver.stats.restarts
        await s.env.driver.recover_ring(which)
        assert s.env.driver.stats.restarts == before + 1
        return f"{which.name} ring drained, reclaimed and enabled again"
    return inject


async def _soft_reset(s: Soak) -> str:
    await s.env.driver.reset()
    await _running(s)
    return "engine soft-reset, reprogrammed, rings running"


async def _async_done(env: DmaEnv) -> None:
    """Until MiniportSharedMemoryAllocateComplete came for every async request."""
    await env.wait_for(lambda: env.driver.async_pending == 0,
                       lambda: f"{env.driver.async_pending} async allocations not completed",
                       OUTCOME_NS)


async def _calm(env: DmaEnv) -> None:
    """Quick returns, a trickle of small packets, until the extra blocks went back (the pool
    above its high watermark gives them back; bounded)."""
    stack_cfg = env.stack.cfg
    env.stack.cfg = dataclasses.replace(stack_cfg, hold_ns=(1_000, 3_000), slow_every_ns=0)
    env.rx_packets.set_lengths(60, 600)
    for _ in range(50):
        if not env.driver.pool.extra_blocks():
            break
        await settle(env, rx=8)
    env.stack.cfg = stack_cfg


async def _async_failures(s: Soak) -> str:
    """A flood of small packets against long holds while every async allocation fails: the
    driver asks (below the low watermark), is refused, the pool does not grow, the engine
    drops and counts what it cannot place; the scoreboard checks the rest byte for byte."""
    env, drv = s.env, s.env.driver
    await _calm(env)
    inj = env.system.injector
    inj.config = FaultInjection(probability=1.0, seed=s.rng.randrange(1 << 16),
                                apis=frozenset({"NdisMAllocateSharedMemoryAsyncEx"}))
    env.set_backpressure(0.0, 0.0, seed=s.rng.randrange(1 << 32))
    env.stack.cfg = dataclasses.replace(env.stack.cfg, hold_ns=(80_000, 120_000),
                                        slow_every_ns=0)
    env.rx_packets.set_lengths(60, 200)
    st = drv.stats
    failures, masks, blocks = st.async_failures, st.rx_masks, st.async_blocks
    at_limit = len(drv.pool.extra_blocks()) >= drv.cfg.max_async_rx_blocks  # may not ask
    drops0, _ = await drv.read_drop_counters()
    await traffic(env, rx=max(300, 2 * drv.pool.total))
    await settle(env)
    await _async_done(env)
    inj.config = FaultInjection()
    drops = (await drv.read_drop_counters())[0] - drops0
    failed = st.async_failures - failures
    if at_limit and drops >= 1 and st.async_blocks == blocks:
        return f"pool at its limit of extra blocks, {drops} drops counted"
    if failed < 1 or drops < 1:
        raise SoakFailure(f"a flood with every async allocation refused: {failed} refused, "
                          f"{drops} drops counted (expected at least one of each); "
                          f"{drv.pool.describe()}")
    return (f"{failed} async allocations refused, {drops} drops counted, receive interrupts "
            f"masked {st.rx_masks - masks} times")


async def _slow_returns(s: Soak) -> str:
    """Bursts of slow returns against a flood: below the low watermark the driver asks for
    more (NdisMAllocateSharedMemoryAsyncEx) while traffic goes on; the block joins the pool
    unless the driver's limit of extra blocks is reached."""
    env, drv = s.env, s.env.driver
    await _calm(env)
    env.stack.cfg = dataclasses.replace(
        env.stack.cfg, hold_ns=(40_000, 80_000), slow_every_ns=40_000, slow_for_ns=30_000,
        slow_hold_ns=(80_000, 100_000))
    env.set_backpressure(0.0, 0.0, seed=s.rng.randrange(1 << 32))
    env.rx_packets.set_lengths(60, 600)
    st = drv.stats
    requests, blocks = st.async_requests, st.async_blocks
    extra = len(drv.pool.extra_blocks())
    await traffic(env, rx=max(300, 2 * drv.pool.total))
    await settle(env)
    await _async_done(env)
    asked, grew = st.async_requests - requests, st.async_blocks - blocks
    if extra >= drv.cfg.max_async_rx_blocks:  # the limit: the driver may not ask
        if grew:
            raise SoakFailure(f"the pool grew by {grew} blocks beyond the driver's limit of "
                              f"{drv.cfg.max_async_rx_blocks} extra blocks")
        return f"pool at its limit of extra blocks, not grown ({drv.pool.total} buffers)"
    if asked < 1 or grew < 1:
        raise SoakFailure(f"slow returns: {asked} async requests, {grew} blocks added "
                          f"(expected the pool to grow); {drv.pool.describe()}")
    return f"pool grew by {grew} blocks ({asked} asked) to {drv.pool.total} buffers"


async def _irq_storm(s: Soak) -> str:
    env = s.env
    await env.regs.write(Reg.WB_DELAY, 0)
    env.set_backpressure(0.0, 0.0)
    env.tx_packets.set_lengths(60, 64)
    env.rx_packets.set_lengths(60, 64)
    before = env.driver.stats.interrupts
    await settle(env, tx=100, rx=100)
    await env.regs.write(Reg.WB_DELAY, env.driver.cfg.wb_delay)
    return f"{env.driver.stats.interrupts - before} interrupts for 200 small packets"


async def _halt_and_reinit(s: Soak, mode: str) -> str:
    """Halt (no leak), then initialize again: with refused allocations (retry with less),
    after a failed initialization (no leak), or after a bad ring configuration."""
    env, drv = s.env, s.env.driver
    await settle(env)
    await drv.halt()
    s.halts += 1
    adapter = drv.adapter
    assert adapter is not None
    s.leaks += len(adapter.leaks)
    if adapter.leaks:
        raise SoakFailure(f"leaks at halt: {adapter.leaks}")
    inj = env.system.injector
    text = "halted without a leak"
    if mode == "retry":
        inj.config = FaultInjection(nth=(3, 5), apis=frozenset({"NdisMAllocateSharedMemory"}))
        inj.calls = 0
    elif mode in ("fail", "bad_config"):
        if mode == "fail":
            inj.config = FaultInjection(nth=tuple(range(3, 400)),
                                        apis=frozenset({"NdisMAllocateSharedMemory"}))
            inj.calls = 0
            ok = await drv.initialize()
        else:
            def misconfigure(a: ndis.MiniportAdapter) -> None:
                del a
                assert drv.rx_ring is not None
                drv.rx_ring.size_log2 = 16
            ok = await drv.initialize(extra=misconfigure)
        failed = drv.adapter
        assert failed is not None
        if ok or failed.state is not AdapterState.HALTED or failed.leaks:
            raise SoakFailure(f"initialization ({mode}) should fail cleanly: ok={ok}, "
                              f"{failed.state.name}, leaks {failed.leaks}")
        text += f"; initialization failed cleanly ({drv.init_failure[:60]})"
        inj.config = FaultInjection()
    if not await drv.initialize():
        raise SoakFailure(f"initialization after {mode} failed: {drv.init_failure}")
    if mode == "retry":
        text += f"; initialized again with {len(inj.log)} refused blocks retried smaller"
        inj.config = FaultInjection()
    return text + "; running again"


def _reinit(mode: str) -> Inject:
    async def inject(s: Soak) -> str:
        return await _halt_and_reinit(s, mode)
    return inject


#: name -> (when: "start" of the epoch or "mid"-traffic, the injection and its check)
FAULTS: dict[str, tuple[str, Inject]] = {
    "none": ("mid", lambda s: _nothing()),
    "slow_returns": ("start", _slow_returns),
    "async_alloc_failure": ("start", _async_failures),
    "iommu_tx_data": ("mid", _tx_descriptor(100, UNMAPPED_LA, ErrCode.DATA_READ)),
    "iommu_rx_data": ("start", _rx_descriptor(2048, UNMAPPED_LA, ErrCode.DATA_WRITE)),
    "slverr_tx_desc_fetch": ("start", _bus_error("tx", read=True, which=Ring.TX,
                                                 code=ErrCode.DESC_READ)),
    "slverr_rx_desc_fetch": ("start", _bus_error("rx", read=True, which=Ring.RX,
                                                 code=ErrCode.DESC_READ)),
    "slverr_tx_data_read": ("start", _bus_error("tx buffers", read=True, which=Ring.TX,
                                                code=ErrCode.DATA_READ)),
    "slverr_rx_data_write": ("start", _bus_error("rx buffers", read=False, which=Ring.RX,
                                                 code=ErrCode.DATA_WRITE)),
    "slverr_tx_write_back": ("start", _bus_error("tx", read=False, which=Ring.TX,
                                                 code=ErrCode.WB_WRITE)),
    "slverr_rx_write_back": ("start", _bus_error("rx", read=False, which=Ring.RX,
                                                 code=ErrCode.WB_WRITE)),
    "tx_zero_length": ("mid", _tx_descriptor(0, 0x1000, ErrCode.ZERO_LEN)),
    "tx_over_long": ("mid", _tx_descriptor(MAX_DESC_LEN + 1, 0x1000, ErrCode.TOO_LONG)),
    "rx_zero_length": ("start", _rx_descriptor(0, 0x1000, ErrCode.ZERO_LEN)),
    "rx_over_long": ("start", _rx_descriptor(MAX_DESC_LEN + 1, 0x1000, ErrCode.TOO_LONG)),
    "tx_ring_disable": ("mid", _disable(Ring.TX)),
    "rx_ring_disable": ("mid", _disable(Ring.RX)),
    "soft_reset": ("mid", _soft_reset),
    "interrupt_storm": ("start", _irq_storm),
    "reinit_alloc_retry": ("start", _reinit("retry")),
    "reinit_after_failed_init": ("start", _reinit("fail")),
    "reinit_after_bad_config": ("start", _reinit("bad_config")),
}


async def _nothing() -> str:
    return "clean"


def _draw_epoch(s: Soak) -> None:
    """Random back-pressure on every channel, return times, packet sizes."""
    rng, env = s.rng, s.env
    env.set_backpressure(rng.choice([0.0, 0.1, 0.3, 0.5]), rng.choice([0.0, 0.1, 0.3, 0.5]),
                         seed=rng.randrange(1 << 32))
    lo = rng.choice([500, 2_000, 5_000])
    env.stack.cfg = dataclasses.replace(env.stack.cfg, hold_ns=(lo, lo * rng.choice([2, 5])),
                                        slow_every_ns=0)
    top = rng.choice([600, 2_000, 4_000, 9_000])
    env.tx_packets.set_lengths(60, top)
    env.rx_packets.set_lengths(60, rng.choice([600, 2_000, 4_000, 9_000]))


@cocotb.test()
async def soak(dut) -> None:  # type: ignore[no-untyped-def]
    """The seeded random mix of every fault with traffic both ways; summary at the end."""
    cfg = ScenarioConfig.from_env()
    total = int(os.environ.get("DMANIC_SOAK_PACKETS", "") or 100_000)
    per_epoch = int(os.environ.get("DMANIC_SOAK_EPOCH", "") or 200)
    names = [n for n in (os.environ.get("DMANIC_SOAK_FAULTS", "") or ",".join(FAULTS)).split(",")
             if n]
    unknown = sorted(set(names) - set(FAULTS))
    if unknown:
        raise SoakFailure(f"DMANIC_SOAK_FAULTS names unknown faults {unknown}; "
                          f"known: {sorted(FAULTS)}")
    cfg = dataclasses.replace(cfg, checkers_stop=False, replay=cfg.replay or (
        f"make soak SEED={cfg.seed} PACKETS={total}"))
    log.setLevel(logging.DEBUG if os.environ.get("DMANIC_SOAK_DEBUG") else logging.INFO)
    log.info("soak: seed %d, %d packets, %d per epoch (replay: %s)", cfg.seed, total,
             per_epoch, cfg.replay)
    wall0 = time.monotonic()
    host = Host(line_size=cfg.cache_line, seed=cfg.seed)
    system = NdisSystem(host=host, seed=cfg.seed, fault_injection=FaultInjection())
    errors = BusErrorHost(host)
    env = DmaEnv(dut, cfg, host=host, system=system, bus_host=errors,
                 driver_config=DriverConfig(strict_errors=False, recover_ring_errors=True))
    s = Soak(env=env, errors=errors, rng=random.Random(f"soak-{cfg.seed}"))
    env.driver.on_ring_error.append(lambda *_: errors.ranges.clear())
    progress = ProgressWriter(
        path=Path(PROGRESS_FILE), phase=env.phase, clock_ns=env.clock_ns, total=total,
        done=lambda: env.tx_scoreboard.stats.expected + env.rx_scoreboard.stats.expected,
        payload=lambda: (env.tx_scoreboard.stats.matched_bytes
                         + env.rx_scoreboard.stats.matched_bytes))
    progress_task = cocotb.start_soon(progress.run())
    await env.start()
    assert await env.driver.initialize(), env.driver.init_failure
    epochs = 0
    while env.tx_scoreboard.stats.expected + env.rx_scoreboard.stats.expected < total:
        epochs += 1
        _draw_epoch(s)
        name = s.rng.choice(names)
        when, inject = FAULTS[name]
        n = min(per_epoch, total - env.tx_scoreboard.stats.expected
                - env.rx_scoreboard.stats.expected)
        n_tx = s.rng.randint(0, n)
        try:
            if when == "start":
                outcome = await inject(s)
                await settle(env, tx=n_tx, rx=n - n_tx)
            else:
                busy = cocotb.start_soon(traffic(env, tx=n_tx, rx=n - n_tx))
                await env.phase.sleep(s.rng.randint(1_000, 20_000))
                outcome = await inject(s)
                await busy
                await settle(env)
            await _running(s)
        except Exception as exc:
            raise SoakFailure(f"epoch {epochs} ({name}) at t={get_sim_time('ns')} ns: {exc}; "
                              f"replay: {cfg.replay}") from exc
        s.outcomes[f"{name}: {_shape(outcome)}"] += 1
        st = env.driver.stats
        log.debug("epoch %d %s: %s; rx expected %d delivered %d error completions %d",
                  epochs, name, outcome, env.rx_scoreboard.stats.expected, st.rx_packets,
                  st.rx_error_packets)
        if epochs % 50 == 0:
            log.info("epoch %d: %d packets; %s", epochs, env.tx_scoreboard.stats.expected
                     + env.rx_scoreboard.stats.expected, env.driver.pool.describe())
    await settle(env)
    progress.write()
    progress_task.cancel()
    tx, rx = await env.balances()
    windows = list(env.rx_loss.windows)  # the ring stops and resets that bound RX losses
    window_packets = env.rx_loss.packets
    drop, err = await env.driver.read_drop_counters()
    log.info("balance: %s", tx)
    log.info("balance: %s", rx)
    # bounds (a run that drops everything fails): a TX fault fails at most the packets
    # the stack had handed over (the send window); at least half of each way arrives
    tx_faults = sum(n for key, n in s.outcomes.items() if _hits_tx(key.split(":")[0]))
    tx.check(min_delivered=max(tx.sent - TX_WINDOW * tx_faults, tx.sent // 2))
    rx.check(min_delivered=rx.sent // 2)
    await env.driver.halt()
    await env.check_drained()
    adapter = env.driver.adapter
    assert adapter is not None
    s.leaks += len(adapter.leaks)
    findings = Counter(f.rule.name for f in env.checkers.log.findings)
    env.stop()
    st = env.driver.stats
    marks = env.driver.marks
    summary: dict[str, Any] = {
        "seed": cfg.seed, "packets": tx.sent + rx.sent, "epochs": epochs,
        "tx": {"sent": tx.sent, "delivered": tx.delivered, "bytes": tx.delivered_bytes,
               "failed_reported": tx.accounted.get("completed as failed", 0),
               "failed_but_delivered": tx.failed_but_delivered,
               "wire_errors": tx.wire_errors, "unexplained": tx.unexplained},
        "rx": {"sent": rx.sent, "delivered": rx.delivered, "bytes": rx.delivered_bytes,
               "drop_count": drop, "err_count": err, "error_completions": st.rx_error_packets,
               "unexplained": rx.unexplained, "bound": rx.slack,
               "bound_windows": len(windows),
               "window_packets": window_packets,
               "largest_windows": [str(w) for w in sorted(
                   windows, key=lambda w: w.lo - w.hi)[:3]],
               "reclaimed_descriptors": st.rx_lost_descriptors},
        "faults": dict(sorted(s.outcomes.items())),
        "ring_errors": len(env.driver.ring_errors), "recoveries": st.recoveries,
        "restarts": st.restarts, "resets": st.resets, "halts": s.halts + 1,
        "pool": {"max_buffers": marks.max_buffers, "min_buffers": marks.min_buffers,
                 "max_held": marks.max_held, "min_available": marks.min_available,
                 "async_requests": st.async_requests, "async_blocks": st.async_blocks,
                 "async_failures": st.async_failures, "blocks_freed": st.blocks_freed,
                 "rx_masks": st.rx_masks, "shared_peak": st.shared_peak},
        "interrupts": st.interrupts, "leaks": s.leaks,
        "checkers": {"bursts": env.checkers.translation.bursts,
                     "lines_written": env.checkers.tearing.lines_written,
                     "descriptor_writes": env.checkers.completion.descriptor_writes,
                     "findings": dict(findings),
                     "protocol_findings": len(env.protocol_findings)},
        "iommu_faults": len(env.host.iommu.faults),
        "cycles": int(get_sim_time("ns")) // env.clock_ns,
        "wall_seconds": round(time.monotonic() - wall0, 1),
    }
    Path(SUMMARY_FILE).write_text(json.dumps(summary, indent=2))
    log.info("summary: %s", json.dumps(summary))
    assert s.leaks == 0, f"{s.leaks} leaks"
    assert not env.protocol_findings, env.protocol_findings
    expected_rules = {Rule.NOT_MAPPED.name}
    assert set(findings) <= expected_rules, f"unexpected checker findings: {findings}"
    assert (findings.get(Rule.NOT_MAPPED.name, 0) > 0) == (s.iommu_injected > 0), \
        (findings, s.iommu_injected)


def _hits_tx(fault: str) -> bool:
    """Whether ``fault`` may fail TX packets (a TX error, a TX ring stopped, a reset)."""
    return fault.startswith("tx_") or "_tx_" in fault or fault == "soft_reset"


def _shape(outcome: str) -> str:
    """An outcome without its varying numbers (descriptor indices, counts)."""
    return re.sub(r"\b\d+\b", "N", outcome)
