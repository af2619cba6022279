"""Whole AXI4 bursts against the host model, with cocotbext-axi ``AxiSlave``'s error semantics.

Pure Python (no cocotb): the fast memory model (:mod:`tb.bfm.fast`) calls it
once per burst, and it is unit-tested without a simulator.

* Read: one ``host.dma_read`` of the burst when it lies inside one live
  readable mapping (the common case); otherwise beat by beat, as ``AxiSlave``
  reads, so a beat that faults answers SLVERR (and zeros) and the others their
  data.
* Write: one ``host.dma_write`` with byte enables covering the strobed bytes
  when they lie inside one live writable mapping; otherwise each run of strobed
  bytes of each beat on its own, as ``AxiSlave`` writes, any fault making the
  burst's response SLVERR (the other runs are still written).

The fallback paths repeat ``AxiSlave`` call for call, so the IOMMU's fault log
holds the same records in both bus-model modes.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from pymodel.errors import TranslationFault
from pymodel.iommu import Access, Mapping

__all__ = ["RESP_OKAY", "RESP_SLVERR", "BurstHost", "HostBurstPort"]

RESP_OKAY = 0
RESP_SLVERR = 2


class _Iommu(Protocol):
    def lookup(self, logical: int) -> Mapping | None: ...


class BurstHost(Protocol):
    """The device side of ``pymodel.host.Host`` this port needs."""

    now: int
    iommu: _Iommu

    def dma_read(self, logical: int, length: int) -> bytes: ...

    def dma_write(
        self, logical: int, data: bytes, byte_enable: npt.NDArray[np.bool_] | None = None
    ) -> None: ...


class HostBurstPort:
    """Serves whole bursts of ``beat_bytes``-byte beats from ``host``."""

    def __init__(self, host: BurstHost, beat_bytes: int) -> None:
        if beat_bytes <= 0 or beat_bytes & (beat_bytes - 1):
            raise ValueError(f"beat_bytes must be a power of two, not {beat_bytes}")
        self.host = host
        self.beat_bytes = beat_bytes

    def _inside(self, start: int, end: int, access: Access) -> bool:
        """True when ``[start, end)`` lies in one live mapping allowing ``access``."""
        m = self.host.iommu.lookup(start)
        return m is not None and m.live and bool(m.access & access) and end <= m.end

    def read(self, start: int, beats: int) -> tuple[bytes, int]:
        """``beats`` beats from the beat-aligned ``start``, and a bit mask of faulting beats."""
        db = self.beat_bytes
        length = beats * db
        if self._inside(start, start + length, Access.READ):
            return self.host.dma_read(start, length), 0
        parts: list[bytes] = []
        errors = 0
        for b in range(beats):
            try:
                parts.append(self.host.dma_read(start + b * db, db))
            except TranslationFault:
                parts.append(bytes(db))
                errors |= 1 << b
        return b"".join(parts), errors

    def write(self, start: int, data: bytes, strobe: npt.NDArray[np.bool_]) -> int:
        """Write the strobed bytes of a burst from the beat-aligned ``start``; the response."""
        idx = np.flatnonzero(strobe)
        if idx.size == 0:
            return RESP_OKAY
        lo, hi = int(idx[0]), int(idx[-1]) + 1
        if self._inside(start + lo, start + hi, Access.WRITE):
            enable = None if hi - lo == idx.size else strobe[lo:hi]
            self.host.dma_write(start + lo, data[lo:hi], byte_enable=enable)
            return RESP_OKAY
        return self._write_runs(start, data, strobe)

    def _write_runs(self, start: int, data: bytes, strobe: npt.NDArray[np.bool_]) -> int:
        resp = RESP_OKAY
        db = self.beat_bytes
        for b in range(len(strobe) // db):
            beat = strobe[b * db : (b + 1) * db].astype(np.int8)
            edges = np.flatnonzero(np.diff(np.concatenate(([0], beat, [0]))))
            for a, e in zip(edges[::2], edges[1::2], strict=True):
                lo, hi = b * db + int(a), b * db + int(e)
                try:
                    self.host.dma_write(start + lo, data[lo:hi])
                except TranslationFault:
                    resp = RESP_SLVERR
        return resp
