"""The test bench around dma_engine (on tb_top): reset, bus models, host, driver, scoreboards."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cocotb
from cocotb.triggers import Event, First, Timer
from cocotb.utils import get_sim_time

from pymodel.cache import Platform
from pymodel.host import Host
from pymodel.ndis import NdisSystem
from tb.bfm.host_target import DmaHost
from tb.bfm.lying import Lie, LyingDevice
from tb.bfm.models import BusModelError, BusModels, make_bus_models
from tb.bfm.monitor import AxiBurstMonitor
from tb.bfm.reference import pause_pattern
from tb.checkers import CheckerSuite
from tb.checkers.protocol import ProtocolChecker
from tb.driver import DriverConfig, MiniportDriver
from tb.driver.miniport import RxIndication
from tb.driver.stack import ProtocolStack, StackConfig
from tb.errors import SimTimeout
from tb.packets import PacketFactory
from tb.phase import InterruptLine, PythonPhase
from tb.regs import DeviceRegisters
from tb.rx_loss import RxLossBound
from tb.scenario_config import ENV_PREFIX, ScenarioConfig
from tb.scoreboard import Balance, PacketScoreboard
from tb.trace import TRACE_FILE, EventTrace, TracingPort
from tb.watchdog import StallMark, Watchdog, default_replay
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

    ``driver_model=False``: the test programs the engine itself (the bring-up tests,
    ``tb/sims/engine_bringup.py``); the driver model is built but never initialized,
    the memory-side checkers (which judge the bus against what the driver hands over
    and posts) stay detached, and TX packets are left to the test
    (``env.models.recv_tx()``). ``bus_host``: what the bus models serve instead of
    ``host``, a wrapper around it (:class:`tb.bfm.bus_errors.BusErrorHost`).
    """

    def __init__(
        self,
        dut: Any,
        cfg: ScenarioConfig,
        *,
        driver_config: DriverConfig | None = None,
        host: Host | None = None,
        system: NdisSystem | None = None,
        driver_model: bool = True,
        bus_host: DmaHost | None = None,
    ) -> None:
        self.dut = dut
        self.cfg = cfg
        self.driver_model = driver_model
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

        self.models: BusModels = make_bus_models(cfg.bfm, dut, bus_host or self.host, cfg,
                                                 self.phase)
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

        self.tx_scoreboard = PacketScoreboard("tx", allow_drops=True, allow_errors=True)
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
        if cfg.checkers and driver_model:
            self.checkers.attach(self.monitor)
        #: Bus-protocol checkers (HDL, every cycle), one watcher per bus.
        record = not cfg.checkers_stop
        self.protocol = [
            ProtocolChecker(dut.u_axi_chk, "m_axi", self.phase, record=record),
            ProtocolChecker(dut.u_axil_chk, "s_axil", self.phase, record=record),
            ProtocolChecker(dut.u_tx_chk, "m_axis_tx", self.phase, record=record),
            ProtocolChecker(dut.u_rx_chk, "s_axis_rx", self.phase, record=record),
        ] if cfg.checkers else []
        #: Fails the test when nothing moves for cfg.watchdog_cycles (tb/hdl/tb_watchdog.v).
        self.replay = cfg.replay or default_replay(cfg.seed, _test_name())
        self.watchdog = Watchdog(dut, self.phase, protocol=self.protocol,
                                 limit_cycles=cfg.watchdog_cycles, replay=self.replay,
                                 clock_ns=self.clock_ns)
        #: the engine's interrupt, as Python sees it (its changes are traced)
        self.irq = InterruptLine(self.phase, dut.irq)
        self.irq.on_change.append(lambda level: self.trace.event("IRQ", str(int(level))))
        #: the protocol drivers: they keep each receive a while before returning it
        self.stack: ProtocolStack[RxIndication] = ProtocolStack(StackConfig(
            hold_ns=(cfg.hold_min_ns, cfg.hold_max_ns), slow_every_ns=cfg.slow_every_ns,
            slow_for_ns=cfg.slow_for_ns,
            slow_hold_ns=(cfg.slow_hold_min_ns, cfg.slow_hold_max_ns), seed=cfg.seed,
        ), give_back=self._give_back)
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
            ledger=self.checkers.completion if cfg.checkers and driver_model else None,
            stack=self.stack,
            on_send_complete=self._on_send_complete,
        )
        #: the windows in which ring stops and resets may lose RX packets unreported
        self.rx_loss = RxLossBound(resolved=self._rx_resolved, started=self._rx_started,
                                   running=self._rx_running)
        self.driver.on_rx_stop = self._on_rx_stop
        #: GTKWave layout of this run (cfg.waves), with a marker at the first violation.
        self.waves = WaveLayout(dut) if cfg.waves else None
        waves = self.waves
        if waves is not None:
            self.checkers.log.on_first.append(waves.mark)
            # a stall: the marker where the last progress was
            self.watchdog.on_fire.append(lambda report: waves.mark(StallMark(report)))
            for checker in self.protocol:
                checker.on_first.append(waves.mark)
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
        if self.cfg.watchdog_cycles:
            self.watchdog.arm()
        if self.cfg.checkers:
            for checker in self.protocol:
                checker.start()
        await self.phase.sleep(5 * self.clock_ns)
        self.set_backpressure(self.cfg.axi_pause, self.cfg.stream_pause)
        await self.models.start()
        if self.driver_model:
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

    def _on_send_complete(self, tag: object, failure: str) -> None:
        if failure and isinstance(tag, int):
            self.tx_scoreboard.report_failed(tag, failure)

    # ------------------------------------------------- RX losses (tb.rx_loss)
    def _rx_resolved(self) -> int:
        """RX packets resolved so far: delivered, error completions, dropped or errored and
        counted by the engine (its counters read directly, no bus access)."""
        st = self.driver.stats
        drop_base, err_base = self.driver.drop_bases
        csr = self.dut.dut.csr_inst
        return (st.rx_packets + st.rx_error_packets + drop_base + err_base
                + int(csr.rx_drop_count_reg.value) + int(csr.rx_err_count_reg.value))

    def _rx_started(self) -> int:
        """RX packets the wire has started to hand to the engine (the reference bus
        models do not say: every packet handed to them)."""
        started = getattr(getattr(self.models, "rx_source", None), "packets_started", None)
        if callable(started):
            return int(started())
        return self.rx_scoreboard.stats.expected

    def _rx_running(self) -> bool:
        return int(self.dut.dut.csr_inst.rx_ring_inst.ring_state_reg.value) == 1

    def _on_rx_stop(self, what: str, begin: bool) -> None:
        now = int(get_sim_time("ns"))
        if begin:
            self.rx_loss.begin(what, now)
        else:
            self.rx_loss.end(now)

    def _give_back(self, items: list[RxIndication]) -> None:
        self.driver.return_receives(items)

    async def _advance_model_time(self) -> None:
        """The time keeper: deliver NDIS deferred completions and the protocol stack's
        returns as simulated time passes (one task, so they happen in a fixed order)."""
        while True:
            due = self.stack.next_due()
            now = int(get_sim_time("ns"))
            await self.phase.sleep(1000 if due is None else max(1, min(1000, due - now)))
            now = int(get_sim_time("ns"))
            self.rx_loss.sample()
            self.host.now = max(self.host.now, now)
            self.system.advance_to(now)
            if self.driver.adapter is not None and self.driver.book is not None:
                self.stack.return_due(now)

    def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        for checker in self.protocol:
            checker.stop()
        self.watchdog.disarm()
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
            "rx_loss_bound": self.rx_slack(),
            "rx_loss_window_packets": self.rx_loss.packets,
            "rx_loss_windows": len(self.rx_loss.windows),
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
    async def send_rx(self, count: int, *, timeout_ns: int = 20_000_000) -> None:
        """The wire delivers ``count`` packets to the engine's RX port; SimTimeout when the
        port takes no packet (or, at the end, does not take the rest of the last one) for
        ``timeout_ns`` (checked every ``timeout_ns``: it fires within twice that)."""
        taken = [0]

        async def feed() -> None:
            for _ in range(count):
                pkt = self.rx_packets.make()
                self.rx_scoreboard.expect(pkt)
                self.stream_beats += -(-len(pkt.data) // self.data_bytes)
                await self.models.send_rx(pkt.data)
                taken[0] += 1
            await self.models.rx_idle()
            taken[0] += 1

        task = cocotb.start_soon(feed())
        start = get_sim_time("ns")
        seen = -1
        while not task.done():
            if taken[0] == seen:
                task.cancel()
                what = (f"{taken[0]} of {count} packets taken" if taken[0] < count else
                        f"all {count} packets taken, the last not yet out on the bus")
                raise SimTimeout(
                    f"RX stream: no progress for {timeout_ns} ns (t={start:.0f} to "
                    f"{get_sim_time('ns'):.0f} ns): awaited {count} packets into the engine, "
                    f"{what} (replay: {self.replay})")
            seen = taken[0]
            await First(task.complete, Timer(timeout_ns, unit="ns"))
        task.result()

    async def send_tx(self, count: int, *, window: int = 64,
                      timeout_ns: int = 20_000_000) -> None:
        """The protocol stack hands ``count`` packets to the driver, ``window`` at a time;
        SimTimeout when the window stays full for ``timeout_ns``."""
        for _ in range(count):
            deadline = get_sim_time("ns") + timeout_ns
            while self.driver.tx_outstanding >= window:
                self._tx_progress.clear()
                left = deadline - get_sim_time("ns")
                if left <= 0:
                    raise SimTimeout(f"{self.driver.tx_outstanding} TX packets outstanding, "
                                     f"none completed for {timeout_ns} ns "
                                     f"(replay: {self.replay})")
                await First(self._tx_progress.wait(), Timer(left, unit="ns"))
            pkt = self.tx_packets.make()
            self.tx_scoreboard.expect(pkt)
            self.driver.send(pkt.data, tag=pkt.seq)

    async def rx_reported(self) -> dict[str, int]:
        """What the engine reports of the RX packets it did not deliver, by reason."""
        drop, err = await self.driver.read_drop_counters()
        return {"RX_DROP_COUNT": drop, "RX_ERR_COUNT": err,
                "error completions": self.driver.stats.rx_error_packets}

    def rx_slack(self) -> int:
        """RX packets the run's ring stops and resets may lose without a report: the
        missing packets the engine held, or took from the wire, at each
        (:mod:`tb.rx_loss`)."""
        return self.rx_loss.missing_within(self.rx_scoreboard.missing())

    async def wait_rx_settled(self, timeout_ns: int, *, quiet_ns: int = 20_000) -> None:
        """Until every RX packet is delivered by the driver or reported by the engine.

        After ring errors or resets (a non-zero :meth:`rx_slack`) some may be lost
        unreported: then it is enough that the rest is accounted for and nothing has
        moved for ``quiet_ns``.
        """
        deadline = get_sim_time("ns") + timeout_ns
        last = -1
        quiet_since = get_sim_time("ns")
        while True:
            reported = sum((await self.rx_reported()).values())
            done = self.driver.stats.rx_packets + reported
            expected = self.rx_scoreboard.stats.expected
            if done >= expected:
                return
            now = get_sim_time("ns")
            if done != last:
                last = done
                quiet_since = now
            elif now - quiet_since >= quiet_ns and done + self.rx_slack() >= expected:
                return
            if now > deadline:
                raise SimTimeout(
                    f"RX: {self.driver.stats.rx_packets} delivered + {reported} reported of "
                    f"{expected} sent after {timeout_ns} ns"
                )
            await self.phase.sleep(2000)

    async def wait_for(self, cond: Callable[[], bool], what: Callable[[], str],
                       timeout_ns: int, *, step_ns: int = 1000) -> None:
        """Until ``cond()`` holds, looking every ``step_ns``; SimTimeout naming ``what()``
        after ``timeout_ns``."""
        deadline = get_sim_time("ns") + timeout_ns
        while not cond():
            if get_sim_time("ns") > deadline:
                raise SimTimeout(f"{what()} after {timeout_ns} ns (replay: {self.replay})")
            await self.phase.sleep(step_ns)

    async def wait_tx_left(self, timeout_ns: int = 20_000_000) -> None:
        """Until the TX sink saw every packet (scoreboard: none outstanding)."""
        await self.wait_for(lambda: not self.tx_scoreboard.outstanding,
                            lambda: f"{self.tx_scoreboard.outstanding} TX packets never "
                                    f"reached the wire", timeout_ns)

    async def wait_tx_stream(self, timeout_ns: int) -> None:
        """Until every TX packet left the engine or was completed as failed."""
        deadline = get_sim_time("ns") + timeout_ns
        while self.tx_scoreboard.unresolved:
            if get_sim_time("ns") > deadline:
                raise SimTimeout(f"{self.tx_scoreboard.outstanding} TX packets never left the "
                                 f"engine after {timeout_ns} ns")
            await self.phase.sleep(1000)

    async def balances(self) -> tuple[Balance, Balance]:
        """TX and RX balances now (after the traffic settled, before halt)."""
        tx = self.tx_scoreboard.balance()
        rx = self.rx_scoreboard.balance(counted=await self.rx_reported(), slack=self.rx_slack())
        return tx, rx

    def figures(self) -> RunFigures:
        now = int(get_sim_time("ns"))
        return RunFigures(cycles=now // self.clock_ns, sim_time_ns=now)
