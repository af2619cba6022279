"""The test bench around dma_engine (on tb_top): reset, bus models, host, driver, scoreboards."""

from __future__ import annotations

import hashlib
import logging
import random
from dataclasses import dataclass

import cocotb
from cocotb.handle import HierarchyObject
from cocotb.triggers import ClockCycles, Event, ReadOnly, Timer
from cocotb.utils import get_sim_time

from pymodel.cache import Platform
from pymodel.device import Reg
from pymodel.host import Host
from pymodel.ndis import NdisSystem
from tb.bfm.models import BusModels, make_bus_models
from tb.bfm.monitor import AxiBurstMonitor
from tb.bfm.reference import pause_pattern
from tb.checkers import CheckerSuite
from tb.checkers.protocol import ProtocolChecker
from tb.driver import DriverConfig, MiniportDriver
from tb.errors import SimTimeout
from tb.packets import PacketFactory
from tb.regs import DeviceRegisters
from tb.scenario_config import ScenarioConfig
from tb.scoreboard import PacketScoreboard
from tb.waves import WaveLayout

__all__ = ["DmaEnv", "pause_pattern"]


@dataclass
class RunFigures:
    """What one run measured."""

    cycles: int
    sim_time_ns: int


class DmaEnv:
    """Owns everything around the DUT (``tb_top``) for one cocotb test.

    The bus models are ``cfg.bfm`` (``"fast"`` or ``"reference"``, see
    :mod:`tb.bfm.models`); ``self.monitor`` is the passive AXI4 burst monitor
    checkers subscribe to.
    """

    def __init__(
        self,
        dut: HierarchyObject,
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
        platform = Platform.COHERENT if cfg.coherent else Platform.NONCOHERENT
        self.host = host or Host(line_size=cfg.cache_line, platform=platform, seed=cfg.seed)
        self.system = system or NdisSystem(host=self.host, seed=cfg.seed)
        self.system.make_current()

        self.models: BusModels = make_bus_models(cfg.bfm, dut, self.host, cfg)
        self.monitor: AxiBurstMonitor = self.models.monitor
        self.regs = DeviceRegisters(self.models.regs_port)

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
            ProtocolChecker(dut.u_axi_chk, "m_axi", record=record),
            ProtocolChecker(dut.u_axil_chk, "s_axil", record=record),
            ProtocolChecker(dut.u_tx_chk, "m_axis_tx", record=record),
            ProtocolChecker(dut.u_rx_chk, "s_axis_rx", record=record),
        ] if cfg.checkers else []
        self.driver = MiniportDriver(
            system=self.system,
            regs=self.regs,
            irq=dut.irq,
            config=driver_config or DriverConfig(),
            on_receive=self._on_receive,
            on_transmitted=self._on_transmitted,
            ownership=self.checkers.ownership,
        )
        #: GTKWave layout of this run (cfg.waves), with a marker at the first violation.
        self.waves = WaveLayout(dut) if cfg.waves else None
        if self.waves is not None:
            self.checkers.log.on_first.append(self.waves.mark)
            for checker in self.protocol:
                checker.on_first.append(self.waves.mark)
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

    async def start(self) -> None:
        """Reset, the bus models, and the background tasks (TX collection, model time)."""
        if self.waves is not None:
            self.waves.write()
        self.dut.rst.value = 1
        self.dut.mangle_mode.value = self.cfg.mangle
        await ClockCycles(self.dut.clk, 10)
        self.dut.rst.value = 0
        if self.cfg.checkers:
            for checker in self.protocol:
                checker.start()
        await ClockCycles(self.dut.clk, 5)
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
            await Timer(1, unit="us")
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

    async def check_drained(self) -> None:
        """End of a test: every AXI burst and AXI-Lite request got its data and response.

        Waits two cycles first: the checkers count a handshake at the clock edge a
        bus model may have just reacted to. Nothing may be driven after this.
        """
        if self.cfg.checkers:
            await ClockCycles(self.dut.clk, 2)
            await ReadOnly()
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
            await Timer(2, unit="us")

    def figures(self) -> RunFigures:
        now = int(get_sim_time("ns"))
        return RunFigures(cycles=now // self.cfg.clock_ns, sim_time_ns=now)
