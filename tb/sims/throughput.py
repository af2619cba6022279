"""cocotb test: the engine's throughput at one fixed packet size (scripts/bench_engine.py).

No back-pressure anywhere, host-memory latency ``cfg.mem_latency``, TX, RX or both
at once (``DMANIC_BENCH_MODE``), every packet ``cfg.min_len`` bytes. The driver
model runs as usual (interrupts, reaping, reposting) with enough buffers in flight
not to be the limit. ``tb_top`` is built with ``PERF=1``: at every packet that
leaves the TX port and every packet the RX port takes in, the test snapshots
``u_perf``'s counters, so the benchmark can pick a steady-state window away
from bring-up and halt. Beside them, from the AXI burst monitor: the read beats and
the write beats and strobed bytes of each AXI ID (the engine's back-end client,
``hdl/dma_defs.vh``), so the RX payload is counted where it lands in host memory
(the RX stream side runs ahead of it by what the packet buffer holds), and the NOP
descriptors the driver posted. Every packet is still checked byte for byte, with
the checkers on. Writes ``throughput.json``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import cocotb
from cocotb.utils import get_sim_time

from tb.bfm.fast import FastBusModels
from tb.bfm.vector import read_uint
from tb.bus_events import ReadBurst, WriteBurst
from tb.driver import DriverConfig
from tb.env import DmaEnv
from tb.scenario_config import ENV_PREFIX, ScenarioConfig

RESULT = "throughput.json"
#: u_perf's counters, in the order of a snapshot
COUNTERS = (
    "cycles", "ar_xfer", "ar_wait", "r_xfer", "r_wait", "aw_xfer", "aw_wait", "w_xfer",
    "w_wait", "b_xfer", "b_wait", "tx_xfer", "tx_wait", "rx_xfer", "rx_wait",
    "rd_none", "rd_full", "rd_sum", "wr_none", "wr_full", "wr_sum",
    "r_id0", "r_id1", "r_id2", "w_id0", "w_id1", "w_id2",
)
#: counted in Python, per AXI ID 0..IDS-1, after the u_perf counters in a snapshot
IDS = 3
PY_COUNTERS = (
    *(f"rd_beats_{i}" for i in range(IDS)), *(f"wr_beats_{i}" for i in range(IDS)),
    *(f"wr_bytes_{i}" for i in range(IDS)), "tx_nops",
)
MODES = ("tx", "rx", "both")


class BusCounts:
    """Read beats, write beats and strobed write bytes per AXI ID, from the burst monitor."""

    def __init__(self) -> None:
        self.rd_beats = [0] * IDS
        self.wr_beats = [0] * IDS
        self.wr_bytes = [0] * IDS

    def on_read(self, burst: ReadBurst) -> None:
        if burst.axi_id < IDS:
            self.rd_beats[burst.axi_id] += burst.beats

    def on_write(self, burst: WriteBurst) -> None:
        if burst.axi_id < IDS:
            self.wr_beats[burst.axi_id] += burst.beats
            self.wr_bytes[burst.axi_id] += int(burst.strobe.sum())


class Snapshots:
    """Counters at chosen moments: ``(time_ns, kind, count, counters)`` rows (``u_perf``'s
    COUNTERS, then PY_COUNTERS)."""

    def __init__(self, perf: Any, bus: BusCounts, env: DmaEnv) -> None:
        self.handles = [getattr(perf, name) for name in COUNTERS]
        self.bus = bus
        self.env = env
        self.rows: list[tuple[int, str, int, list[int]]] = []

    def take(self, kind: str, count: int) -> None:
        values = [read_uint(h) for h in self.handles]
        values += self.bus.rd_beats + self.bus.wr_beats + self.bus.wr_bytes
        values.append(self.env.driver.stats.tx_nops)
        self.rows.append((int(get_sim_time("ns")), kind, count, values))


@cocotb.test()
async def throughput(dut) -> None:  # type: ignore[no-untyped-def]
    """Fixed-size packets, no back-pressure: counters at every packet for the benchmark."""
    cfg = ScenarioConfig.from_env()
    mode = os.environ.get(ENV_PREFIX + "BENCH_MODE", "both")
    if mode not in MODES:
        raise ValueError(f"DMANIC_BENCH_MODE must be one of {', '.join(MODES)}, not {mode!r}")
    if cfg.min_len != cfg.max_len:
        raise ValueError(
            f"a throughput run needs one packet size, not {cfg.min_len}..{cfg.max_len}"
        )
    if int(dut.PERF.value) != 1:
        raise ValueError("a throughput run needs tb_top built with PERF=1")
    # Buffers and rings for every packet of a run (up to 1,200 one-buffer packets):
    # the driver posts them all up front, so the engine, not the driver model's
    # interrupt, reap and repost loop, sets the pace in the measured window.
    env = DmaEnv(dut, cfg, driver_config=DriverConfig(tx_buffers=1536, rx_buffers=1536,
                                                      tx_ring_log2=11, rx_ring_log2=11))
    if not isinstance(env.models, FastBusModels):
        raise ValueError("throughput runs use the fast bus models")
    bus = BusCounts()
    env.monitor.subscribe_read(bus.on_read)
    env.monitor.subscribe_write(bus.on_write)
    snaps = Snapshots(dut.g_perf.u_perf, bus, env)
    tx_seen = 0
    rx_seen = 0
    observe = env.tx_scoreboard.observe

    def on_tx(data: bytes, **kw: Any) -> None:
        nonlocal tx_seen
        observe(data, **kw)
        tx_seen += 1
        snaps.take("tx", tx_seen)

    env.tx_scoreboard.observe = on_tx  # type: ignore[method-assign]
    source = env.models.rx_source
    consumed = source._on_consumed

    def on_consumed() -> None:
        nonlocal rx_seen
        before = source._consumed_n
        consumed()
        rx_seen += (source._consumed_n - before) & 0xFFFF_FFFF
        snaps.take("rx", rx_seen)

    source._on_consumed = on_consumed  # type: ignore[method-assign]
    await env.start()
    if source._watch is not None:  # the watch holds the service it was started with
        source._watch.service = on_consumed
    assert await env.driver.initialize(), "driver initialization failed"
    # bring-up: let the engine fetch the RX ring's first buffers before the first
    # packet arrives (a packet that finds no buffer fetched yet is dropped)
    await env.phase.sleep(env.clock_ns * (2 * cfg.mem_latency + 1000))
    snaps.take("start", 0)
    timeout = cfg.timeout_us * 1000
    tx_count = cfg.tx_packets if mode in ("tx", "both") else 0
    rx_count = cfg.rx_packets if mode in ("rx", "both") else 0
    rx = cocotb.start_soon(env.send_rx(rx_count)) if rx_count else None
    if tx_count:
        await env.send_tx(tx_count, window=env.driver.cfg.tx_buffers)
        await env.driver.wait_tx_done(timeout)
        await env.wait_tx_left()
    if rx is not None:
        await rx
        await env.wait_rx_settled(timeout)
    snaps.take("end", 0)
    await env.driver.halt()
    await env.check_drained()
    env.stop()
    tx_stats = env.tx_scoreboard.finish()
    rx_stats = env.rx_scoreboard.finish(counted_drops=0)
    assert tx_stats.matched == tx_count, f"TX: {tx_stats.matched} of {tx_count} packets"
    assert rx_stats.matched == rx_count, f"RX: {rx_stats.matched} of {rx_count} (none may drop)"
    Path(RESULT).write_text(json.dumps({
        "mode": mode, "packet_bytes": cfg.min_len, "data_bytes": env.data_bytes,
        "mem_latency": cfg.mem_latency, "tx_packets": tx_count, "rx_packets": rx_count,
        "counters": [*COUNTERS, *PY_COUNTERS], "snapshots": snaps.rows,
        "rd_limit": int(dut.MAX_RD_OUTSTANDING.value),
        "wr_limit": int(dut.MAX_WR_OUTSTANDING.value),
        "desc_depth": int(dut.DESC_DEPTH.value),
    }))
