"""Cache-line tearing checker: the device's writes, cache line by cache line.

From the exact byte strobes of every write burst it finds each cache line the
device writes. Non-coherent host: a write to a line that also holds bytes the
CPU owns, or to a line the CPU holds dirty, is a violation. Coherent host:
a partial-line write is a performance finding, counted.
"""

from __future__ import annotations

import numpy as np

from pymodel.host import Host
from tb.bus_events import WriteBurst
from tb.checkers.ownership import CPU_SIDE, OwnershipMap, line_mask, pa_of
from tb.checkers.violations import Finding, Rule, ViolationLog

__all__ = ["PARTIAL_DESC_LINE", "PARTIAL_LINE", "TearingChecker"]

PARTIAL_LINE = "partial-line device writes"
PARTIAL_DESC_LINE = "partial-line descriptor write-backs"


def _offsets(mask: np.ndarray) -> str:
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return "[]"
    runs, start, prev = [], int(idx[0]), int(idx[0])
    for i in [*idx[1:].tolist(), None]:
        if i is None or i != prev + 1:
            runs.append(f"{start}" if start == prev else f"{start}-{prev}")
            if i is not None:
                start = i
        if i is not None:
            prev = i
    return "[" + ",".join(runs) + "]"


class TearingChecker:
    """Finds every cache line a write burst touches and who else owns it."""

    def __init__(self, *, host: Host, ownership: OwnershipMap, log: ViolationLog) -> None:
        self.host = host
        self.ownership = ownership
        self.log = log
        self.line = host.line_size
        self.lines_written = 0

    def on_write(self, burst: WriteBurst) -> None:
        L = self.line
        first_line = burst.start - burst.start % L
        pad_front = burst.start - first_line
        total = pad_front + burst.strobe.size
        pad_back = -total % L
        grid = np.concatenate(
            (np.zeros(pad_front, bool), burst.strobe, np.zeros(pad_back, bool))
        ).reshape(-1, L)
        touched = np.flatnonzero(grid.any(axis=1))
        self.lines_written += touched.size
        coherent = self.host.cache.coherent
        # the common case costs one look at the cache for the whole burst: no line the
        # CPU holds dirty, so only lines the device wrote in part need a closer look
        dirty_possible = not coherent and self._any_dirty(first_line, grid.shape[0] * L)
        for li in touched.tolist():
            wrote = grid[li]
            whole = bool(wrote.all())
            if whole and not dirty_possible:
                continue
            la = first_line + li * L
            if not whole:
                self.log.note(PARTIAL_LINE)
                if self.ownership.kind(la) == "ring":
                    self.log.note(PARTIAL_DESC_LINE)
            if coherent:
                continue
            pa = pa_of(self.host, la)
            if not whole:
                cpu = ~wrote & CPU_SIDE[self.ownership.state(la, L)]
                if cpu.any():
                    other = la + int(np.flatnonzero(cpu)[0])
                    self.log.report(Finding(
                        rule=Rule.SHARED_LINE, time_ns=burst.time_ns, la=la, pa=pa,
                        owner=self.ownership.describe(other),
                        detail=f"device wrote bytes {_offsets(wrote)} of the {L}-byte line; bytes "
                               f"{_offsets(cpu)} belong to the CPU (write burst ID {burst.axi_id} "
                               f"at {burst.addr:#x})",
                        channel="write",
                    ))
            if not dirty_possible:
                continue
            if pa is not None:
                dirty = self.host.cache.dirty_bytes(pa)
                if dirty:
                    mask = line_mask(dirty, L)
                    self.log.report(Finding(
                        rule=Rule.DIRTY_LINE, time_ns=burst.time_ns, la=la, pa=pa,
                        owner=self.ownership.describe(la),
                        detail=f"the CPU holds bytes {_offsets(mask)} of line PA {pa:#x} dirty; "
                               f"its next write-back of that line will overwrite the device's "
                               f"write of bytes {_offsets(wrote)} at t={burst.time_ns} ns",
                        channel="write",
                    ))

    def _any_dirty(self, la: int, length: int) -> bool:
        """Whether the CPU holds any line of ``[la, la+length)`` dirty (True when unsure)."""
        m = self.host.iommu.lookup(la)
        if m is None or not m.live or la + length > m.end:
            return True
        return any(self.host.cache.any_dirty(span.phys, span.length)
                   for span in m.phys_spans(la - m.logical, length))
