"""Bus errors on purpose: host memory that answers SLVERR inside chosen address ranges.

:class:`BusErrorHost` wraps the host the memory model serves (``pymodel.host.Host``):
a device read or write that touches a range of ``ranges.read`` / ``ranges.write``
raises :class:`~pymodel.errors.TranslationFault`, which the bus models answer with
SLVERR (:mod:`tb.bfm.host_port`: per beat for reads, per burst for writes; bytes in
an error range are never written). Everything else goes to the host unchanged.
The ranges are logical addresses ``[lo, hi)`` and may change at any time::

    errors = BusErrorHost(host)
    env = DmaEnv(dut, cfg, host=host, bus_host=errors)
    errors.ranges.read.append((ring_la, ring_la + 64))   # descriptor fetches fail
    ...
    errors.ranges.clear()

The injected faults are not IOMMU faults: the host's fault log does not see them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from pymodel.errors import TranslationFault
from pymodel.host import Host
from pymodel.iommu import Access, Mapping
from pymodel.records import FaultReason, FaultRecord

__all__ = ["BusErrorHost", "BusErrorRanges", "overlaps"]


def overlaps(ranges: Sequence[tuple[int, int]], start: int, length: int) -> bool:
    """True if ``[start, start+length)`` touches any ``[lo, hi)`` of ``ranges``."""
    return any(start < hi and lo < start + length for lo, hi in ranges)


@dataclass
class BusErrorRanges:
    """Logical address ranges ``[lo, hi)`` where device reads / writes fail."""

    read: list[tuple[int, int]] = field(default_factory=list)
    write: list[tuple[int, int]] = field(default_factory=list)

    def clear(self) -> None:
        self.read.clear()
        self.write.clear()


class _ErrorAwareIommu:
    """The host's IOMMU as the burst port asks it: a mapping seen from ``logical`` ends
    where the next error range begins, so a burst that touches one is served beat by
    beat (and only the beats or runs inside the range fail)."""

    def __init__(self, host: Host, ranges: BusErrorRanges) -> None:
        self._host = host
        self._ranges = ranges

    def lookup(self, logical: int) -> Mapping | None:
        m = self._host.iommu.lookup(logical)
        if m is None:
            return None
        cut = m.end
        for lo, hi in (*self._ranges.read, *self._ranges.write):
            if lo <= logical < hi:
                return None
            if logical < lo < cut:
                cut = lo
        return m if cut == m.end else dataclasses.replace(m, length=cut - m.logical)


class BusErrorHost:
    """``host`` for the bus models, with device accesses in ``ranges`` failing."""

    def __init__(self, host: Host, ranges: BusErrorRanges | None = None) -> None:
        self.host = host
        self.ranges = ranges if ranges is not None else BusErrorRanges()
        self.iommu = _ErrorAwareIommu(host, self.ranges)
        #: accesses refused so far
        self.refused = 0

    @property
    def now(self) -> int:
        return self.host.now

    @now.setter
    def now(self, value: int) -> None:
        self.host.now = value

    def _refuse(self, logical: int, length: int, access: Access) -> TranslationFault:
        self.refused += 1
        return TranslationFault(FaultRecord(
            address=logical, length=length, access=access, reason=FaultReason.PERMISSION,
            time=self.host.now, seq=self.host.seq,
        ))

    def dma_read(self, logical: int, length: int) -> bytes:
        if overlaps(self.ranges.read, logical, length):
            raise self._refuse(logical, length, Access.READ)
        return self.host.dma_read(logical, length)

    def dma_write(
        self, logical: int, data: bytes, byte_enable: npt.NDArray[np.bool_] | None = None
    ) -> None:
        if overlaps(self.ranges.write, logical, len(data)):
            raise self._refuse(logical, len(data), Access.WRITE)
        self.host.dma_write(logical, data, byte_enable=byte_enable)
