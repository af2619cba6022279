"""Reference bus models: cocotbext-axi's per-beat Python models on ``tb_top``'s ``ref_*`` signals.

The yardstick the transaction-level models (:mod:`tb.bfm.fast`) are checked
against: every beat of every channel is a Python coroutine step.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from typing import Any

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

from tb.bfm.host_target import DmaHost, HostMemoryTarget
from tb.bfm.monitor import AxiBurstMonitor
from tb.scenario_config import ScenarioConfig

__all__ = ["ReferenceBusModels", "pause_pattern"]


def pause_pattern(rng: random.Random, probability: float) -> Iterator[bool]:
    """An endless seeded sequence: True = pause this cycle."""
    while True:
        yield rng.random() < probability


class ReferenceBusModels:
    """The bus models of ``tb_top`` with FAST=0 (see :mod:`tb.bfm.models`)."""

    kind = "reference"

    def __init__(self, dut: Any, host: DmaHost, cfg: ScenarioConfig) -> None:
        del cfg  # no settings of its own: cocotbext-axi answers as fast as it can
        self.dut = dut
        self.axi = AxiSlave(
            AxiBus.from_prefix(dut, "ref_m_axi"), dut.clk, dut.rst, target=HostMemoryTarget(host)
        )
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "ref_s_axil"), dut.clk, dut.rst)
        self.tx_sink = AxiStreamSink(
            AxiStreamBus.from_prefix(dut, "ref_m_axis_tx"), dut.clk, dut.rst
        )
        self.rx_source = AxiStreamSource(
            AxiStreamBus.from_prefix(dut, "ref_s_axis_rx"), dut.clk, dut.rst
        )
        self.regs_port = self.axil
        self.monitor = AxiBurstMonitor(dut.u_mon)
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

    async def recv_tx(self) -> tuple[bytes, bool]:
        frame = await self.tx_sink.recv()
        tuser = frame.tuser
        error = bool(tuser[-1]) if isinstance(tuser, list) else bool(tuser)
        return bytes(frame.tdata), error
