"""The test bench around dma_engine (on tb_top): reset, bus models, host, driver, scoreboards."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cocotb
from cocotb.triggers import Event
from cocotb.utils import get_sim_time

from pymodel.cache import Platform
from pymodel.device import Reg
from pymodel.host import Host
from pymodel.ndis import NdisSystem
from tb.bfm.lying import Lie, LyingDevice
from tb.bfm.models import BusModelError, BusModels, make_bus_models
from tb.bfm.monitor import AxiBurstMonitor
from tb.bfm.reference import pause_pattern
from tb.checkers import CheckerSuite
from tb.checkers.protocol import ProtocolChecker
from tb.driver import DriverConfig, MiniportDriver
from tb.errors import SimTimeout
from tb.packets import PacketFactory
from tb.phase import InterruptLine, PythonPhase
from tb.regs import DeviceRegisters
from tb.scenario_config import ENV_PREFIX, ScenarioConfig
from tb.scoreboard import PacketScoreboard
from tb.trace import TRACE_FILE, EventTrace, TracingPort
from tb.waves import WaveLayout

__all__ = ["FINGERPRINT_FILE", "DmaEnv", "pause_pattern"]

#: One JSON line per test that used a DmaEnv: what the two simulators must agree on.
FINGERPRINT_FILE = "fingerprints.jsonl"


@dataclass
class RunFigures:
    """What one run measured."""

    cycles: int
    sim_time_ns: int


def _test_name() -> str:
    """The running cocotb test's name (its task's)."""
    try:
        name = cocotb.task.current_task().get_name()
    except RuntimeError:
        return ""
    return name.removeprefix("Test ")


class DmaEnv:
    """Owns everything around the DUT (``tb_top``) for one cocotb test.

    The bus models are ``cfg.bfm`` (``"fast"`` or ``"reference"``, see
    :mod:`tb.bfm.models`); ``self.monitor`` is the passive AXI4 burst monitor
    checkers subscribe to.
    """

    def __init__(
        self,
        dut: Any,
        cfg: ScenarioConfig,
        *,
        driver_config: DriverConfig | None = None,
        host: Host | None = None,
        system: NdisSystem | None = None,
    ) -> None:
        self.dut = dut
        self.cfg = cfg
        self.log = logging.getLogger("tb.env")
        self.rng = random.Random(cfg.seed)
        self.data_bytes = int(dut.DATA_WIDTH.value) // 8
        self.clock_ns = int(dut.CLK_PERIOD_NS.value)
        #: Python acts at the falling edge, in a fixed order, under every simulator
        self.phase = PythonPhase.for_tb_top(dut)
        platform = Platform.COHERENT if cfg.coherent else Platform.NONCOHERENT
        self.host = host or Host(line_size=cfg.cache_line, platform=platform, seed=cfg.seed)
        self.system = system or NdisSystem(host=self.host, seed=cfg.seed)
        self.system.make_current()

        self.models: BusModels = make_bus_models(cfg.bfm, dut, self.host, cfg, self.phase)
        self.monitor: AxiBurstMonitor = self.models.monitor
        #: Every burst and register access, in order, hashed (and written out when
        #: cfg.trace): two runs that should be identical have the same trace.
        trace_file: Path | None = None
        if cfg.trace:
            trace_file = Path(TRACE_FILE)
        elif os.environ.get(ENV_PREFIX + "TRACE", "") == "1":  # every test of a module
            trace_file = Path(f"trace-{_test_name()}.txt")
        self.trace = EventTrace(trace_file)
        self.trace.attach(self.monitor)
        self.regs = DeviceRegisters(TracingPort(self.models.regs_port, self.trace))

        self.tx_scoreboard = PacketScoreboard("tx")
        self.rx_scoreboard = PacketScoreboard("rx", allow_drops=True)
        self.tx_packets = PacketFactory(
            stream="TX", seed=cfg.seed * 2 + 1, min_len=cfg.min_len, max_len=cfg.max_len
        )
        self.rx_packets = PacketFactory(
            stream="RX", seed=cfg.seed * 2 + 2, min_len=cfg.min_len, max_len=cfg.max_len
        )
        #: Memory-side bus checkers (Python, per burst); they stop the test at the first
        #: violation unless cfg.checkers_stop is False (then they record).
        self.checkers = CheckerSuite(host=self.host, alignment=self.host.line_size,
                                     stop=cfg.checkers_stop)
        if cfg.checkers:
            self.checkers.attach(self.monitor)
        #: Bus-protocol checkers (HDL, every cycle), one watcher per bus.
        record = not cfg.checkers_stop
        self.protocol = [
            ProtocolChecker(dut.u_axi_chk, "m_axi", self.phase, record=record),
            ProtocolChecker(dut.u_axil_chk, "s_axil", self.phase, record=record),
            ProtocolChecker(dut.u_tx_chk, "m_axis_tx", self.phase, record=record),
            ProtocolChecker(dut.u_rx_chk, "s_axis_rx", self.phase, record=record),
        ] if cfg.checkers else []
        #: the engine's interrupt, as Python sees it (its changes are traced)
        self.irq = InterruptLine(self.phase, dut.irq)
        self.irq.on_change.append(lambda level: self.trace.event("IRQ", str(int(level))))
        self.driver = MiniportDriver(
            system=self.system,
            regs=self.regs,
            irq=self.irq,
            phase=self.phase,
            config=driver_config or DriverConfig(),
            on_receive=self._on_receive,
            on_transmitted=self._on_transmitted,
            ownership=self.checkers.ownership,
            # the completion checker follows the driver's rings only when it sees the bus
            ledger=self.checkers.completion if cfg.checkers else None,
        )
        #: GTKWave layout of this run (cfg.waves), with a marker at the first violation.
        self.waves = WaveLayout(dut) if cfg.waves else None
        if self.waves is not None:
            self.checkers.log.on_first.append(self.waves.mark)
            for checker in self.protocol:
                checker.on_first.append(self.waves.mark)
        #: the lying device, once a test made the device lie (:meth:`lie`)
        self.lying: LyingDevice | None = None
        self._tx_progress = Event()
        #: What left the engine and what the driver delivered, in order (equal runs of the
        #: two bus-model kinds must agree on these), and AXI-Stream beats moved.
        self.tx_digest = hashlib.sha256()
        self.rx_digest = hashlib.sha256()
        self.stream_beats = 0
        self._tasks: list[cocotb.task.Task[None]] = []

    # ------------------------------------------------------------- set-up
    def set_backpressure(self, axi: float, stream: float, seed: int | None = None) -> None:
        """Random pauses on every AXI channel the memory drives and on both streams."""
        if seed is None:
            seed = self.rng.randrange(1 << 32)
        self.models.set_backpressure(axi, stream, seed)

    def lie(self, lie: Lie) -> LyingDevice:
        """From now on the device lies: every write burst reaches the checkers and host
        memory as ``lie`` rewrites it (:mod:`tb.bfm.lying`). Fast bus models only."""
        from tb.bfm.fast import FastBusModels

        if not isinstance(self.models, FastBusModels):
            raise BusModelError(
                f"a lying device rewrites bursts on their way to the fast memory model; "
                f"these are the {self.models.kind!r} bus models"
            )
        device = LyingDevice(lie)
        self.monitor.rewrite = device.rewrite
        self.lying = device
        return device

    async def start(self) -> None:
        """Reset, the bus models, and the background tasks (TX collection, model time)."""
        if self.waves is not None:
            self.waves.write()
        self.dut.rst.value = 1
        self.dut.mangle_mode.value = self.cfg.mangle
        await self.phase.sleep(10 * self.clock_ns)
        self.dut.rst.value = 0
        if self.cfg.checkers:
            for checker in self.protocol:
                checker.start()
        await self.phase.sleep(5 * self.clock_ns)
        self.set_backpressure(self.cfg.axi_pause, self.cfg.stream_pause)
        await self.models.start()
        self._tasks.append(cocotb.start_soon(self._collect_tx()))
        self._tasks.append(cocotb.start_soon(self._advance_model_time()))

    async def _collect_tx(self) -> None:
        while True:
            data, error = await self.models.recv_tx()
            self.tx_digest.update(len(data).to_bytes(4, "little") + bytes([error]) + data)
            self.stream_beats += -(-len(data) // self.data_bytes)
            self.tx_scoreboard.observe(data, error=error)

    def _on_receive(self, data: bytes) -> None:
        self.rx_digest.update(len(data).to_bytes(4, "little") + data)
        self.rx_scoreboard.observe(data)

    def _on_transmitted(self, count: int) -> None:
        del count
        self._tx_progress.set()

    async def _advance_model_time(self) -> None:
        """Deliver NDIS deferred completions as simulated time passes."""
        while True:
            await self.phase.sleep(1000)
            now = int(get_sim_time("ns"))
            self.host.now = max(self.host.now, now)
            self.system.advance_to(now)

    def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        for checker in self.protocol:
            checker.stop()
        self.models.stop()
        self.phase.stop()
        self.trace.close()
        self._write_fingerprint()

    def fingerprint(self) -> dict[str, object]:
        """What two simulators must agree on for this run, exactly (tests compare them)."""
        return {
            "test": _test_name(),
            "time_ns": int(get_sim_time("ns")),
            "trace": self.trace.digest,
            "trace_events": self.trace.events,
            "tx_digest": self.tx_digest.hexdigest()[:16],
            "rx_digest": self.rx_digest.hexdigest()[:16],
            "tx_scoreboard": str(self.tx_scoreboard.stats),
            "rx_scoreboard": str(self.rx_scoreboard.stats),
            "checked_bursts": self.checkers.translation.bursts,
            "checked_lines_written": self.checkers.tearing.lines_written,
            "checked_descriptor_writes": self.checkers.completion.descriptor_writes,
            "lies": 0 if self.lying is None else len(self.lying.lies),
            "findings": [str(f) for f in self.checkers.log.findings],
            "notes": dict(sorted(self.checkers.log.notes.items())),
            "protocol_findings": [str(f) for f in self.protocol_findings],
            "iommu_faults": [str(f) for f in self.host.iommu.faults],
            "driver": str(self.driver.stats),
        }

    def _write_fingerprint(self) -> None:
        with Path(FINGERPRINT_FILE).open("a") as f:
            f.write(json.dumps(self.fingerprint()) + "\n")

    async def check_drained(self) -> None:
        """End of a test: every AXI burst and AXI-Lite request got its data and response.

        Waits two cycles first: the checkers count a handshake at the clock edge a
        bus model may have just reacted to.
        """
        if self.cfg.checkers:
            await self.phase.sleep(2 * self.clock_ns)
            for checker in self.protocol[:2]:
                checker.check_drained()

    @property
    def protocol_findings(self) -> list[object]:
        return [f for checker in self.protocol for f in checker.findings]

    # ------------------------------------------------------------ traffic
    async def send_rx(self, count: int) -> None:
        """The wire delivers ``count`` packets to the engine's RX port."""
        for _ in range(count):
            pkt = self.rx_packets.make()
            self.rx_scoreboard.expect(pkt)
            self.stream_beats += -(-len(pkt.data) // self.data_bytes)
            await self.models.send_rx(pkt.data)
        await self.models.rx_idle()

    async def send_tx(self, count: int, *, window: int = 64) -> None:
        """The protocol stack hands ``count`` packets to the driver, ``window`` at a time."""
        for _ in range(count):
            while self.driver.tx_outstanding >= window:
                self._tx_progress.clear()
                await self._tx_progress.wait()
            pkt = self.tx_packets.make()
            self.tx_scoreboard.expect(pkt)
            self.driver.send(pkt.data)

    async def wait_rx_settled(self, timeout_ns: int) -> None:
        """Until every RX packet is delivered by the driver or counted as dropped."""
        deadline = get_sim_time("ns") + timeout_ns
        while True:
            drops = await self.regs.read(Reg.RX_DROP_COUNT) + await self.regs.read(
                Reg.RX_ERR_COUNT
            )
            if self.driver.stats.rx_packets + drops >= self.rx_scoreboard.stats.expected:
                return
            if get_sim_time("ns") > deadline:
                raise SimTimeout(
                    f"RX: {self.driver.stats.rx_packets} delivered + {drops} dropped of "
                    f"{self.rx_scoreboard.stats.expected} sent after {timeout_ns} ns"
                )
            await self.phase.sleep(2000)

    def figures(self) -> RunFigures:
        now = int(get_sim_time("ns"))
        return RunFigures(cycles=now // self.clock_ns, sim_time_ns=now)
