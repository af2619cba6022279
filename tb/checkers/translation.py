"""Translation checker: every burst inside one live mapping, on bytes handed over for it.

Like an IOMMU fault record: page, direction, reason (not present, permission,
past the end, use after free), and what was there. Passive: the bus model
still answers the access (SLVERR from the host model's own translation), so
the engine's error handling is exercised.
"""

from __future__ import annotations

import numpy as np

from pymodel.host import Host
from pymodel.iommu import Mapping
from tb.bus_events import ReadBurst, WriteBurst
from tb.checkers.ownership import CAN_READ, CAN_WRITE, OwnershipMap, pa_of
from tb.checkers.violations import Finding, Rule, ViolationLog

__all__ = ["TranslationChecker"]


class TranslationChecker:
    """Checks each read and write burst against the IOMMU and the ownership map."""

    def __init__(self, *, host: Host, ownership: OwnershipMap, log: ViolationLog) -> None:
        self.host = host
        self.ownership = ownership
        self.log = log
        self.bursts = 0

    def _mapping_ok(self, time_ns: int, la: int, end: int, direction: str) -> Mapping | None:
        """The live mapping holding ``[la, end)``, or None after reporting why not."""
        iommu = self.host.iommu
        m = iommu.lookup(la)
        page = la & ~0xFFF
        what = f"device {direction} of LA {la:#x}..{end - 1:#x} ({end - la} bytes, page {page:#x})"
        if m is None:
            near = iommu.nearest_live(la)
            self.log.report(Finding(
                rule=Rule.NOT_MAPPED, time_ns=time_ns, la=la, pa=None, channel=direction,
                owner="nothing is mapped there" + (
                    f"; nearest live mapping {near.describe()}" if near else "; no live mapping"),
                detail=what,
            ))
            return None
        if not m.live:
            self.log.report(Finding(
                rule=Rule.USE_AFTER_FREE, time_ns=time_ns, la=la, pa=None, channel=direction,
                owner=f"freed mapping {m.describe()}", detail=what,
            ))
            return None
        if end > m.end:
            self.log.report(Finding(
                rule=Rule.PAST_END, time_ns=time_ns, la=la, pa=pa_of(self.host, la),
                channel=direction,
                owner=m.describe(), detail=f"{what} runs {end - m.end} bytes past the mapping",
            ))
            return None
        return m

    def on_read(self, burst: ReadBurst) -> None:
        self.bursts += 1
        m = self._mapping_ok(burst.time_ns, burst.start, burst.end, "read")
        if m is None:
            return
        state = self.ownership.state(burst.start, burst.end - burst.start)
        usable = CAN_READ[state].reshape(burst.beats, burst.beat_bytes).any(axis=1)
        if not usable.all():
            beat = int(np.flatnonzero(~usable)[0])
            la = burst.start + beat * burst.beat_bytes
            self.log.report(Finding(
                rule=Rule.PERMISSION, time_ns=burst.time_ns, la=la, pa=pa_of(self.host, la),
                owner=self.ownership.describe(la),
                detail=f"read burst ID {burst.axi_id} at {burst.addr:#x} x{burst.beats}: beat "
                       f"{beat} holds no byte handed to the device for reading",
                channel="read",
            ))

    def on_write(self, burst: WriteBurst) -> None:
        self.bursts += 1
        hits = np.flatnonzero(burst.strobe)
        if hits.size == 0:
            return
        first, last = burst.start + int(hits[0]), burst.start + int(hits[-1])
        m = self._mapping_ok(burst.time_ns, first, last + 1, "write")
        if m is None:
            return
        state = self.ownership.state(burst.start, burst.end - burst.start)
        bad = burst.strobe & ~CAN_WRITE[state]
        if bad.any():
            off = int(np.flatnonzero(bad)[0])
            la = burst.start + off
            self.log.report(Finding(
                rule=Rule.PERMISSION, time_ns=burst.time_ns, la=la, pa=pa_of(self.host, la),
                owner=self.ownership.describe(la),
                detail=f"write burst ID {burst.axi_id} at {burst.addr:#x} x{burst.beats} wrote "
                       f"{int(bad.sum())} bytes not handed to the device for writing",
                channel="write",
            ))
