"""The memory target behind the AXI slave: every access is a DMA access to the host model."""

from __future__ import annotations

import logging
from typing import Protocol

from cocotb.utils import get_sim_time

__all__ = ["DmaHost", "HostMemoryTarget"]


class DmaHost(Protocol):
    """The device side of the host model (pymodel.host.Host)."""

    now: int

    def dma_read(self, logical: int, length: int) -> bytes: ...

    def dma_write(self, logical: int, data: bytes) -> None: ...


class HostMemoryTarget:
    """A cocotbext-axi ``AxiSlave`` target: logical addresses, translated by the IOMMU.

    A translation fault raises; ``AxiSlave`` answers it with SLVERR, and the
    IOMMU's fault log keeps the record.
    """

    def __init__(self, host: DmaHost) -> None:
        self.host = host
        self.log = logging.getLogger("tb.bfm.host")

    def _tick(self) -> None:
        self.host.now = int(get_sim_time("ns"))

    async def read(self, address: int, length: int) -> bytes:
        self._tick()
        return self.host.dma_read(address, length)

    async def write(self, address: int, data: bytes) -> None:
        self._tick()
        self.host.dma_write(address, bytes(data))
