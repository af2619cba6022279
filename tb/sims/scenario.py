"""cocotb tests: the default end-to-end scenario (``make sim``)."""

from __future__ import annotations

import cProfile
import json
import logging
import os
import time
from pathlib import Path

import cocotb
from cocotb.utils import get_sim_time

from pymodel.device import Reg, Ring, RingReg
from tb.checkers import PARTIAL_DESC_LINE, PARTIAL_LINE
from tb.driver import DriverBugs, DriverConfig
from tb.env import DmaEnv
from tb.errors import SimTimeout
from tb.progress import PROGRESS_FILE, ProgressWriter
from tb.scenario_config import ENV_PREFIX, ScenarioConfig
from tb.simcost import PythonClock

SUMMARY = "summary.json"


async def _wait_tx_stream(env: DmaEnv, timeout_ns: int) -> None:
    deadline = get_sim_time("ns") + timeout_ns
    while env.tx_scoreboard.outstanding:
        if get_sim_time("ns") > deadline:
            raise SimTimeout(f"{env.tx_scoreboard.outstanding} TX packets never left the engine")
        await env.phase.sleep(1000)


@cocotb.test()
async def default_scenario(dut) -> None:  # type: ignore[no-untyped-def]
    """Initialize, TX and RX traffic of random sizes with back-pressure, halt; all checked."""
    cfg = ScenarioConfig.from_env()
    log = logging.getLogger("tb.scenario")
    log.info("seed %d (replay: make sim SEED=%d)", cfg.seed, cfg.seed)
    wall0 = time.monotonic()
    cpu0 = time.process_time()
    pyclock = PythonClock()
    pyclock.start()
    # scripts/profile_python.py: where Python's time goes (cProfile of every callback)
    profile_path = os.environ.get(ENV_PREFIX + "PYPROFILE", "")
    profiler = cProfile.Profile() if profile_path else None
    if profiler is not None:
        profiler.enable()
    bugs = dict.fromkeys(filter(None, cfg.driver_bugs.split(",")), True)
    env = DmaEnv(dut, cfg, driver_config=DriverConfig(bugs=DriverBugs(**bugs)))
    progress = ProgressWriter(
        path=Path(PROGRESS_FILE), phase=env.phase, clock_ns=env.clock_ns,
        total=cfg.tx_packets + cfg.rx_packets,
        done=lambda: (env.tx_scoreboard.stats.matched + env.rx_scoreboard.stats.matched
                      + len(env.rx_scoreboard.stats.dropped)),
        payload=lambda: (env.tx_scoreboard.stats.matched_bytes
                         + env.rx_scoreboard.stats.matched_bytes),
    )
    progress_task = cocotb.start_soon(progress.run())
    await env.start()
    assert await env.driver.initialize(), "driver initialization failed"
    timeout = cfg.timeout_us * 1000

    rx = cocotb.start_soon(env.send_rx(cfg.rx_packets))
    await env.send_tx(cfg.tx_packets)
    await env.driver.wait_tx_done(timeout)
    await _wait_tx_stream(env, timeout)
    await rx
    await env.wait_rx_settled(timeout)
    rx_drops = await env.regs.read(Reg.RX_DROP_COUNT)
    rx_err_drops = await env.regs.read(Reg.RX_ERR_COUNT)
    partial_wb = await env.regs.read(Reg.WB_PARTIAL_COUNT)
    ring_packets = [
        await env.regs.ring_read(ring, RingReg.PKT_COUNT) for ring in (Ring.TX, Ring.RX)
    ]
    figures = env.figures()
    progress.write()
    progress_task.cancel()
    await env.driver.halt()
    await env.check_drained()
    env.stop()

    tx_stats = env.tx_scoreboard.finish()
    rx_stats = env.rx_scoreboard.finish(counted_drops=rx_drops + rx_err_drops)
    faults = list(env.host.iommu.faults)
    assert env.driver.adapter is not None
    leaks = list(env.driver.adapter.leaks)
    wall = time.monotonic() - wall0
    cpu = time.process_time() - cpu0
    pyclock.stop()
    python_cpu = pyclock.python_seconds
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile_path)
    payload = tx_stats.matched_bytes + rx_stats.matched_bytes
    summary = {
        "seed": cfg.seed,
        "data_bytes": env.data_bytes,
        "bfm": cfg.bfm,
        "coherent": cfg.coherent,
        "tx_packets": tx_stats.matched,
        "tx_bytes": tx_stats.matched_bytes,
        "rx_packets": rx_stats.matched,
        "rx_bytes": rx_stats.matched_bytes,
        "rx_dropped": len(rx_stats.dropped),
        "rx_err_drops": rx_err_drops,
        "tx_ring_packets": ring_packets[0],
        "rx_ring_packets": ring_packets[1],
        "tx_digest": env.tx_digest.hexdigest()[:16],
        "rx_digest": env.rx_digest.hexdigest()[:16],
        "cycles": figures.cycles,
        "bytes_per_cycle": round(payload / max(1, figures.cycles), 3),
        "wall_seconds": round(wall, 2),
        "payload_bytes_per_wall_second": round(payload / wall),
        "cpu_seconds": round(cpu, 2),
        "python_cpu_seconds": None if python_cpu is None else round(python_cpu, 2),
        "axi_beats": env.monitor.read_beats + env.monitor.write_beats,
        "axi_bursts": env.monitor.reads + env.monitor.writes,
        "stream_beats": env.stream_beats,
        "faults": len(faults),
        "leaks": len(leaks),
        "partial_line_writebacks": partial_wb,
        "interrupts": env.driver.stats.interrupts,
        "tx_nops": env.driver.stats.tx_nops,
        "async_blocks": env.driver.stats.async_blocks,
        "checked_bursts": env.checkers.translation.bursts,
        "checked_lines_written": env.checkers.tearing.lines_written,
        "checked_descriptor_writes": env.checkers.completion.descriptor_writes,
        "violations": len(env.checkers.log.findings) + len(env.protocol_findings),
        "partial_line_writes": env.checkers.log.notes.get(PARTIAL_LINE, 0),
        "partial_desc_line_writes": env.checkers.log.notes.get(PARTIAL_DESC_LINE, 0),
    }
    Path(SUMMARY).write_text(json.dumps(summary, indent=2))
    log.info("summary: %s", summary)
    assert not faults, f"{len(faults)} translation faults, first: {faults[0]}"
    assert not leaks, f"{len(leaks)} leaks at halt, first: {leaks[0]}"
    assert tx_stats.matched == cfg.tx_packets
    if not cfg.coherent and not bugs:
        # whole-line posting: the engine never writes part of a descriptor line
        assert partial_wb == 0 and summary["partial_desc_line_writes"] == 0, summary
