"""The test bench around dma_engine: clock, host model, bus models, driver, scoreboards."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass

import cocotb
from cocotb.clock import Clock
from cocotb.handle import HierarchyObject
from cocotb.triggers import ClockCycles, RisingEdge, Timer
from cocotb.utils import get_sim_time
from cocotbext.axi import (
    AxiBus,
    AxiLiteBus,
    AxiLiteMaster,
    AxiSlave,
    AxiStreamBus,
    AxiStreamFrame,
    AxiStreamSink,
    AxiStreamSource,
)

from pymodel.cache import Platform
from pymodel.host import Host
from pymodel.ndis import NdisSystem

from tb.bfm.host_target import HostMemoryTarget
from tb.checkers import CheckerSuite
from tb.driver import DriverConfig, MiniportDriver
from tb.packets import PacketFactory
from tb.regs import DeviceRegisters
from tb.scenario_config import ScenarioConfig
from tb.scoreboard import PacketScoreboard

__all__ = ["DmaEnv", "pause_pattern"]


def pause_pattern(rng: random.Random, probability: float) -> Iterator[bool]:
    """An endless seeded sequence: True = pause this cycle."""
    while True:
        yield rng.random() < probability


@dataclass
class RunFigures:
    """What one run measured."""

    cycles: int
    sim_time_ns: int


class DmaEnv:
    """Owns everything around the DUT for one cocotb test."""

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
        self.data_bytes = len(dut.m_axi_wdata) // 8
        platform = Platform.COHERENT if cfg.coherent else Platform.NONCOHERENT
        self.host = host or Host(line_size=cfg.cache_line, platform=platform, seed=cfg.seed)
        self.system = system or NdisSystem(host=self.host, seed=cfg.seed)
        self.system.make_current()

        self.clock = Clock(dut.clk, cfg.clock_ns, unit="ns")
        self.axi = AxiSlave(
            AxiBus.from_prefix(dut, "m_axi"), dut.clk, dut.rst, target=HostMemoryTarget(self.host)
        )
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
        self.tx_sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis_tx"), dut.clk, dut.rst)
        self.rx_source = AxiStreamSource(
            AxiStreamBus.from_prefix(dut, "s_axis_rx"), dut.clk, dut.rst
        )
        self.regs = DeviceRegisters(self.axil)
        for model in (self.axi.read_if, self.axi.write_if, self.axil.read_if, self.axil.write_if,
                      self.tx_sink, self.rx_source):
            model.log.setLevel(logging.WARNING)  # one line per transaction drowns the report

        self.tx_scoreboard = PacketScoreboard("tx")
        self.rx_scoreboard = PacketScoreboard("rx", allow_drops=True)
        self.tx_packets = PacketFactory(
            stream="TX", seed=cfg.seed * 2 + 1, min_len=cfg.min_len, max_len=cfg.max_len
        )
        self.rx_packets = PacketFactory(
            stream="RX", seed=cfg.seed * 2 + 2, min_len=cfg.min_len, max_len=cfg.max_len
        )
        #: Memory-side bus checkers; they stop the test at the first violation.
        self.checkers = CheckerSuite(host=self.host, alignment=self.host.line_size,
                                     stop=cfg.checkers_stop)
        self.driver = MiniportDriver(
            system=self.system,
            regs=self.regs,
            irq=dut.irq,
            config=driver_config or DriverConfig(),
            on_receive=self.rx_scoreboard.observe,
            ownership=self.checkers.ownership,
        )
        self._tasks: list[cocotb.task.Task[None]] = []

    # ------------------------------------------------------------- set-up
    def set_backpressure(self, axi: float, stream: float) -> None:
        """Random pauses on every AXI channel the slave drives and on both streams."""
        if axi > 0:
            for channel in (
                self.axi.read_if.ar_channel, self.axi.read_if.r_channel,
                self.axi.write_if.aw_channel, self.axi.write_if.w_channel,
                self.axi.write_if.b_channel,
            ):
                channel.set_pause_generator(pause_pattern(random.Random(self.rng.random()), axi))
        if stream > 0:
            self.tx_sink.set_pause_generator(pause_pattern(random.Random(self.rng.random()), stream))
            self.rx_source.set_pause_generator(
                pause_pattern(random.Random(self.rng.random()), stream)
            )

    async def start(self) -> None:
        """Clock, reset, and the background tasks (TX monitor, model time)."""
        self.clock.start(start_high=False)
        self.dut.rst.value = 1
        self.dut.s_axis_rx_tuser.value = 0
        await ClockCycles(self.dut.clk, 10)
        self.dut.rst.value = 0
        await ClockCycles(self.dut.clk, 5)
        self.set_backpressure(self.cfg.axi_pause, self.cfg.stream_pause)
        self._tasks.append(cocotb.start_soon(self._collect_tx()))
        self._tasks.append(cocotb.start_soon(self._advance_model_time()))

    async def _collect_tx(self) -> None:
        while True:
            frame = await self.tx_sink.recv()
            error = bool(frame.tuser[-1]) if isinstance(frame.tuser, list) else bool(frame.tuser)
            self.tx_scoreboard.observe(bytes(frame.tdata), error=error)

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

    # ------------------------------------------------------------ traffic
    async def send_rx(self, count: int) -> None:
        """The wire delivers ``count`` packets to the engine's RX port."""
        for _ in range(count):
            pkt = self.rx_packets.make()
            self.rx_scoreboard.expect(pkt)
            await self.rx_source.send(AxiStreamFrame(pkt.data, tuser=0))
        await self.rx_source.wait()

    async def send_tx(self, count: int, *, window: int = 64) -> None:
        """The protocol stack hands ``count`` packets to the driver, ``window`` at a time."""
        for _ in range(count):
            while self.driver.tx_outstanding >= window:
                await RisingEdge(self.dut.clk)
            pkt = self.tx_packets.make()
            self.tx_scoreboard.expect(pkt)
            self.driver.send(pkt.data)

    async def wait_rx_settled(self, timeout_ns: int) -> None:
        """Until every RX packet is delivered by the driver or counted as dropped."""
        from pymodel.device import Reg  # local: keeps the module's imports about the bench

        deadline = get_sim_time("ns") + timeout_ns
        while True:
            drops = await self.regs.read(Reg.RX_DROP_COUNT) + await self.regs.read(
                Reg.RX_ERR_COUNT
            )
            if self.driver.stats.rx_packets + drops >= self.rx_scoreboard.stats.expected:
                return
            if get_sim_time("ns") > deadline:
                from tb.errors import SimTimeout

                raise SimTimeout(
                    f"RX: {self.driver.stats.rx_packets} delivered + {drops} dropped of "
                    f"{self.rx_scoreboard.stats.expected} sent after {timeout_ns} ns"
                )
            await Timer(2, unit="us")

    def figures(self) -> RunFigures:
        now = int(get_sim_time("ns"))
        return RunFigures(cycles=now // self.cfg.clock_ns, sim_time_ns=now)
