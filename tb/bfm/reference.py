"""Reference bus models: cocotbext-axi's per-beat Python models on ``tb_top``'s ``ref_*`` signals.

The yardstick the transaction-level models (:mod:`tb.bfm.fast`) are checked
against: every beat of every channel is a Python coroutine step.
"""

from __future__ import annotations

import logging
import random
from collections import deque
from typing import Any

import numpy as np
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

from pymodel.errors import TranslationFault
from pymodel.iommu import Access
from tb.bfm.host_target import DmaHost, HostMemoryTarget
from tb.bfm.monitor import AxiBurstMonitor
from tb.bfm.pauses import pause_pattern
from tb.bus_events import WriteBurst
from tb.phase import PythonPhase
from tb.regs import RegisterPort
from tb.scenario_config import ScenarioConfig

__all__ = ["BurstCommitTarget", "ReferenceBusModels", "SettledRegisterPort", "pause_pattern"]


def strobe_runs(burst: WriteBurst) -> int:
    """How many runs of strobed bytes the burst's beats hold (``AxiSlave`` writes one each)."""
    s = burst.strobe.reshape(burst.beats, burst.beat_bytes).astype(np.int8)
    return int(s[:, 0].sum() + (np.diff(s, axis=1) > 0).sum())


class BurstCommitTarget(HostMemoryTarget):
    """``AxiSlave``'s target, with each write burst reaching the host as a whole when the
    AXI monitor reports the burst, after every checker has judged it.

    ``AxiSlave`` writes beat by beat as W beats arrive, so without this a driver
    could read device-written data (and take its buffer back) before the checkers
    hear of the burst, one cycle later. A write that would fault is still done at
    once, so ``AxiSlave`` answers SLVERR exactly as before.
    """

    def __init__(self, host: DmaHost) -> None:
        super().__init__(host)
        self._pending: deque[tuple[int, bytes] | None] = deque()

    def _writable(self, address: int, length: int) -> bool:
        m = self.host.iommu.lookup(address)  # type: ignore[attr-defined]
        return m is not None and m.live and bool(m.access & Access.WRITE) and (
            address + length <= m.end)

    async def write(self, address: int, data: bytes) -> None:
        self._tick()
        data = bytes(data)
        if self._writable(address, len(data)):
            self._pending.append((address, data))
        else:
            self._pending.append(None)
            self.host.dma_write(address, data)  # raises: AxiSlave answers SLVERR

    def commit(self, burst: WriteBurst) -> None:
        """Apply the writes ``AxiSlave`` made for ``burst`` (the oldest pending ones)."""
        self._tick()
        for _ in range(strobe_runs(burst)):
            if not self._pending:
                raise AssertionError(f"no pending host writes for {burst}")
            item = self._pending.popleft()
            if item is not None:
                try:
                    self.host.dma_write(*item)
                except TranslationFault as fault:  # unmapped since the beat came: logged
                    self.log.warning("deferred write faulted: %s", fault.record)


class SettledRegisterPort:
    """``AxiLiteMaster`` as a :class:`tb.regs.RegisterPort` whose accesses return at the
    falling edge, where the rest of Python acts (:mod:`tb.phase`); cocotbext-axi itself
    finishes them at a rising edge, reads and writes on their own channels, so two that
    end at one edge resume in the order they were issued, not in the simulator's."""

    #: settles after the phase's own services' wake-ups, by issue order
    ORDER = 1

    def __init__(self, master: AxiLiteMaster, phase: PythonPhase) -> None:
        self._master = master
        self._phase = phase
        self._issued = 0

    def _next(self) -> tuple[int, int]:
        self._issued += 1
        return (self.ORDER, self._issued)

    async def read_dword(self, address: int) -> int:
        order = self._next()
        value = int(await self._master.read_dword(address))
        await self._phase.settled(order)
        return value

    async def write_dword(self, address: int, data: int) -> None:
        order = self._next()
        await self._master.write_dword(address, data)
        await self._phase.settled(order)


class ReferenceBusModels:
    """The bus models of ``tb_top`` with FAST=0 (see :mod:`tb.bfm.models`)."""

    kind = "reference"

    def __init__(self, dut: Any, host: DmaHost, cfg: ScenarioConfig, phase: PythonPhase) -> None:
        del cfg  # no settings of its own: cocotbext-axi answers as fast as it can
        self.dut = dut
        self.phase = phase
        self.monitor = AxiBurstMonitor(dut.u_mon, phase)
        self.target = BurstCommitTarget(host)
        self.axi = AxiSlave(
            AxiBus.from_prefix(dut, "ref_m_axi"), dut.clk, dut.rst, target=self.target
        )
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "ref_s_axil"), dut.clk, dut.rst)
        self.tx_sink = AxiStreamSink(
            AxiStreamBus.from_prefix(dut, "ref_m_axis_tx"), dut.clk, dut.rst
        )
        self.rx_source = AxiStreamSource(
            AxiStreamBus.from_prefix(dut, "ref_s_axis_rx"), dut.clk, dut.rst
        )
        self.regs_port: RegisterPort = SettledRegisterPort(self.axil, phase)
        self.monitor.subscribe_write(self.target.commit, after_all=True)
        for model in (self.axi.read_if, self.axi.write_if, self.axil.read_if,
                      self.axil.write_if, self.tx_sink, self.rx_source):
            model.log.setLevel(logging.WARNING)  # one line per transaction drowns the report

    def set_backpressure(self, axi_probability: float, stream_probability: float,
                         seed: int) -> None:
        rng = random.Random(seed)
        axi_channels = (
            self.axi.read_if.ar_channel, self.axi.read_if.r_channel,
            self.axi.write_if.aw_channel, self.axi.write_if.w_channel,
            self.axi.write_if.b_channel,
        )
        for channel in axi_channels:
            gen = random.Random(rng.random())
            if axi_probability > 0:
                channel.set_pause_generator(pause_pattern(gen, axi_probability))
            else:
                channel.clear_pause_generator()
        for stream in (self.tx_sink, self.rx_source):
            gen = random.Random(rng.random())
            if stream_probability > 0:
                stream.set_pause_generator(pause_pattern(gen, stream_probability))
            else:
                stream.clear_pause_generator()

    async def start(self) -> None:
        self.dut.ref_s_axis_rx_tuser.value = 0
        self.monitor.start()

    def stop(self) -> None:
        self.monitor.stop()

    async def send_rx(self, data: bytes, tuser: bool = False) -> None:
        await self.rx_source.send(AxiStreamFrame(data, tuser=int(tuser)))

    async def rx_idle(self) -> None:
        await self.rx_source.wait()
        await self.phase.settled((2,))

    async def recv_tx(self) -> tuple[bytes, bool]:
        frame = await self.tx_sink.recv()
        await self.phase.settled((3,))
        tuser = frame.tuser
        error = bool(tuser[-1]) if isinstance(tuser, list) else bool(tuser)
        return bytes(frame.tdata), error
