"""cocotb tests of the bus models on ``tb_top`` (run by ``tests/test_sim_bfm_equivalence.py``).

``monitor_sees_every_burst``: the passive AXI4 monitor reports every burst the
memory model served, byte for byte: the strobed bytes of its write bursts, in
order, are exactly the bytes the host model received through ``dma_write``,
and its read bursts cover exactly the bytes read through ``dma_read``.
"""

from __future__ import annotations

import json
import logging
import os
from itertools import pairwise
from pathlib import Path

import cocotb
import numpy as np

from pymodel.host import AccessKind, HostAccess
from tb.bus_events import ReadBurst, WriteBurst
from tb.env import DmaEnv
from tb.scenario_config import ScenarioConfig

SUMMARY = "monitor_summary.json"


def _cfg() -> ScenarioConfig:
    return ScenarioConfig(
        seed=int(os.environ.get("DMANIC_SEED", "0") or 0) or 2024,
        tx_packets=int(os.environ.get("DMANIC_TX_PACKETS", "0") or 0) or 16,
        rx_packets=int(os.environ.get("DMANIC_RX_PACKETS", "0") or 0) or 16,
        max_len=3000,
        bfm=os.environ.get("DMANIC_BFM", "") or "fast",
        axi_pause=0.0,       # no pauses: bursts on back-to-back cycles
        stream_pause=0.0,
        checkers=True,
        checkers_stop=False,
    )


@cocotb.test()
async def monitor_sees_every_burst(dut) -> None:  # type: ignore[no-untyped-def]
    """Every write burst's strobed bytes and every read burst's bytes reach the host model,
    in the monitor's order, and nothing else does."""
    log = logging.getLogger("tb.sims.monitor_in_system")
    env = DmaEnv(dut, _cfg())
    reads: list[ReadBurst] = []
    writes: list[WriteBurst] = []
    env.monitor.subscribe_read(reads.append)
    env.monitor.subscribe_write(writes.append)
    host_reads: list[tuple[int, int]] = []
    host_writes: list[HostAccess] = []

    def on_access(access: HostAccess) -> None:
        if access.fault is not None:
            return
        if access.kind is AccessKind.DMA_READ:
            host_reads.append((access.address, access.length))
        elif access.kind is AccessKind.DMA_WRITE:
            host_writes.append(access)

    env.host.observers.append(on_access)
    await env.start()
    assert await env.driver.initialize()
    rx = cocotb.start_soon(env.send_rx(env.cfg.rx_packets))
    await env.send_tx(env.cfg.tx_packets)
    await env.driver.wait_tx_done(20_000_000)
    await rx
    await env.wait_rx_settled(20_000_000)
    await env.wait_tx_left()
    await env.driver.halt()
    await env.phase.sleep(2000)  # the last write-backs reach the monitor
    env.stop()

    # writes: (address, byte) of every strobed byte, in order, on both sides
    mon_addr = np.concatenate(
        [w.start + np.flatnonzero(w.strobe) for w in writes] or [np.zeros(0, np.int64)]
    )
    mon_data = b"".join(
        np.frombuffer(w.data, np.uint8)[w.strobe].tobytes() for w in writes
    )
    host_addr_parts, host_data_parts = [], []
    for a in host_writes:
        data = np.frombuffer(a.data or b"", np.uint8)
        enable = (np.ones(len(data), bool) if a.byte_enable is None
                  else np.frombuffer(a.byte_enable, np.uint8).astype(bool))
        host_addr_parts.append(a.address + np.flatnonzero(enable))
        host_data_parts.append(data[enable].tobytes())
    host_addr = np.concatenate(host_addr_parts or [np.zeros(0, np.int64)])
    host_data = b"".join(host_data_parts)
    assert len(mon_addr) == len(host_addr), (
        f"the monitor saw {len(mon_addr)} written bytes in {len(writes)} bursts, the host "
        f"received {len(host_addr)} in {len(host_writes)} writes"
    )
    assert np.array_equal(mon_addr, host_addr), "written addresses differ (order or place)"
    assert mon_data == host_data, "written bytes differ"

    # reads: the bytes each burst covers, in order
    mon_r = [(r.start, r.end - r.start) for r in reads]
    if env.cfg.bfm == "fast":
        assert mon_r == host_reads, "read bursts and host reads differ"
    else:  # AxiSlave reads beat by beat
        beats = [(s + i * b, b) for (s, n), b in
                 ((r, reads[0].beat_bytes) for r in mon_r) for i in range(n // b)]
        assert beats == host_reads, "read bursts and host reads differ"

    # bursts on consecutive cycles (and same-cycle read/write) were exercised
    clock = env.cfg.clock_ns
    r_times = [r.time_ns for r in reads]
    w_times = [w.time_ns for w in writes]
    back_to_back_reads = sum(1 for a, b in pairwise(r_times) if b - a == clock)
    back_to_back_writes = sum(1 for a, b in pairwise(w_times) if b - a == clock)
    same_cycle = len(set(r_times) & set(w_times))
    models = env.models
    summary = {
        "bfm": env.cfg.bfm,
        "read_bursts": len(reads),
        "write_bursts": len(writes),
        "written_bytes": len(mon_addr),
        "read_bytes": sum(n for _, n in mon_r),
        "back_to_back_reads": back_to_back_reads,
        "back_to_back_writes": back_to_back_writes,
        "same_cycle_read_write": same_cycle,
        "checker_findings": [str(f) for f in env.checkers.log.findings],
    }
    if env.cfg.bfm == "fast":
        mem = models.memory  # type: ignore[attr-defined]
        summary["memory_read_bursts"] = mem.read_bursts
        summary["memory_write_bursts"] = mem.write_bursts
        assert (mem.read_bursts, mem.write_bursts) == (len(reads), len(writes))
    Path(SUMMARY).write_text(json.dumps(summary, indent=2))
    log.info("monitor: %s", summary)
    if env.cfg.bfm == "fast":  # (AxiSlave never takes ARs on consecutive cycles)
        assert back_to_back_reads > 0, "no read bursts on consecutive cycles: not exercised"
