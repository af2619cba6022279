"""One bus-model interface for the test bench, two implementations.

``make_bus_models(kind, dut, host, cfg)`` binds to ``tb_top``:
``"fast"`` (FAST=1, :mod:`tb.bfm.fast`: HDL transactors, Python once per burst
or packet) or ``"reference"`` (FAST=0, :mod:`tb.bfm.reference`: cocotbext-axi,
Python every beat). Both serve host memory only through ``host.dma_read`` /
``host.dma_write`` and both carry the same passive :class:`AxiBurstMonitor` on
the engine's AXI4 master bus.
"""

from __future__ import annotations

from typing import Any, Protocol

from tb.bfm.host_target import DmaHost
from tb.bfm.monitor import AxiBurstMonitor
from tb.errors import TbError
from tb.phase import PythonPhase
from tb.regs import RegisterPort
from tb.scenario_config import ScenarioConfig

__all__ = ["BFM_KINDS", "BusModelError", "BusModels", "make_bus_models"]

BFM_KINDS = ("fast", "reference")


class BusModelError(TbError):
    """The bus models asked for do not fit the simulated toplevel."""


class BusModels(Protocol):
    """What the test bench needs from the bus models around ``dma_engine``."""

    kind: str
    regs_port: RegisterPort
    monitor: AxiBurstMonitor

    def set_backpressure(self, axi_probability: float, stream_probability: float,
                         seed: int) -> None:
        """Random pauses on every AXI4 channel the memory drives and on both streams."""

    async def start(self) -> None:
        """Begin serving (after reset)."""

    def stop(self) -> None:
        """Stop the Python tasks."""

    async def send_rx(self, data: bytes, tuser: bool = False) -> None:
        """Queue one packet toward the engine's RX port."""

    async def rx_idle(self) -> None:
        """Until every queued RX packet has left on the bus."""

    async def recv_tx(self) -> tuple[bytes, bool]:
        """The next packet the engine sent, and its tuser (error) flag."""
        ...


def make_bus_models(
    kind: str, dut: Any, host: DmaHost, cfg: ScenarioConfig, phase: PythonPhase
) -> BusModels:
    """The ``kind`` bus models on ``tb_top`` ``dut``; its FAST parameter must match.

    Their Python runs at the falling edges of ``phase`` (:mod:`tb.phase`)."""
    if kind not in BFM_KINDS:
        raise BusModelError(f"bus models must be one of {', '.join(BFM_KINDS)}, not {kind!r}")
    try:
        fast = int(dut.FAST.value)
    except AttributeError:
        raise BusModelError(
            f"toplevel {dut._name!r} has no FAST parameter: system simulations run on tb_top"
        ) from None
    if fast != (kind == "fast"):
        raise BusModelError(
            f"bus models {kind!r} need tb_top built with FAST={int(kind == 'fast')}, "
            f"not FAST={fast}"
        )
    if kind == "fast":
        from tb.bfm.fast import FastBusModels

        return FastBusModels(dut, host, cfg, phase)
    from tb.bfm.reference import ReferenceBusModels

    return ReferenceBusModels(dut, host, cfg, phase)
