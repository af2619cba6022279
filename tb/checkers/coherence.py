"""Coherence checker (non-coherent host): stale data on either side.

Device side: a read burst whose bytes, handed to the device for reading, the
CPU still holds dirty (the driver skipped a flush). CPU side: the host model
records stale CPU reads (device-written data read without invalidating), dirty
bytes discarded by an invalidate, and write-backs that overwrite device data;
this checker turns each into a finding as it happens.
"""

from __future__ import annotations

import numpy as np

from pymodel.cache import CoherenceKind
from pymodel.host import AccessKind, Host, HostAccess
from tb.bus_events import ReadBurst
from tb.checkers.ownership import CAN_READ, OwnershipMap, line_mask
from tb.checkers.violations import Finding, Rule, ViolationLog

__all__ = ["CoherenceChecker"]

_CPU_RULES = {
    CoherenceKind.STALE_CPU_READ: Rule.STALE_CPU_READ,
    CoherenceKind.DIRTY_DISCARD: Rule.DIRTY_DISCARD,
    CoherenceKind.LOST_DEVICE_WRITE: Rule.LOST_DEVICE_WRITE,
}


class CoherenceChecker:
    """Watches device reads (bursts) and CPU accesses (host observer)."""

    def __init__(self, *, host: Host, ownership: OwnershipMap, log: ViolationLog) -> None:
        self.host = host
        self.ownership = ownership
        self.log = log
        self._seen_events = len(host.cache.events)
        host.observers.append(self.on_host_access)

    def on_read(self, burst: ReadBurst) -> None:
        cache = self.host.cache
        if cache.coherent or cache.cached_lines == 0:
            return
        m = self.host.iommu.lookup(burst.start)
        if m is None or not m.live or burst.end > m.end:
            return  # the translation checker reports it
        L = self.host.line_size
        for span in m.phys_spans(burst.start - m.logical, burst.end - burst.start):
            for line in cache.lines_in_range(span.phys, span.length):
                dirty = cache.dirty_bytes(line)
                if not dirty:
                    continue
                la_line = span.logical + (line - span.phys)
                lo = max(la_line, burst.start)
                hi = min(la_line + L, burst.end)
                mask = line_mask(dirty, hi - lo, lo - la_line)
                stale = mask & CAN_READ[self.ownership.state(lo, hi - lo)]
                if stale.any():
                    la = lo + int(np.flatnonzero(stale)[0])
                    self.log.report(Finding(
                        rule=Rule.STALE_DEVICE_READ, time_ns=burst.time_ns, la=la,
                        pa=line + (la - la_line), owner=self.ownership.describe(la),
                        detail=f"read burst ID {burst.axi_id} at {burst.addr:#x} x{burst.beats}: "
                               f"{int(stale.sum())} bytes of line PA {line:#x} are dirty in the "
                               f"CPU cache (written, not flushed); the device got stale data",
                        channel="read",
                    ))

    def on_host_access(self, access: HostAccess) -> None:
        events = self.host.cache.events
        if len(events) == self._seen_events:
            return
        new = events[self._seen_events:]
        self._seen_events = len(events)
        for ev in new:
            rule = _CPU_RULES.get(ev.kind)
            if rule is None:
                continue  # STALE_DEVICE_READ is reported from the bus burst
            la = None
            if access.allocation is not None and access.allocation.la is not None:
                la = access.allocation.la + (access.address - access.allocation.va)
            who = self.ownership.describe(la) if la is not None else "CPU-only memory"
            kind = access.kind.value if isinstance(access.kind, AccessKind) else str(access.kind)
            self.log.report(Finding(
                rule=rule, time_ns=ev.time, la=la, pa=ev.line, owner=who,
                detail=f"{ev} during {kind} of VA {access.address:#x} ({access.length} bytes)",
            ))
