"""Device (logical) address space: the IOMMU / map registers.

Each device-visible allocation gets a logical range that is contiguous for the
device but backed by the allocation's (possibly scattered) page frames.
Logical ranges are handed out by a bump pointer with seeded guard gaps and are
never reused, so an access through a freed mapping is always recognised as a
use after free.  The default window starts above 4 GiB (``0x1_0000_0000`` plus
a seeded offset), so a device that truncates addresses to 32 bits faults; a
second window below 4 GiB serves devices that declared 32-bit addressing.  No
logical page ever equals the physical page behind it.

Mappings are byte-precise: an access that starts inside a mapping and runs
past its length faults even when the page has room left.
"""

from __future__ import annotations

import random
from bisect import bisect_right, insort
from itertools import accumulate

from pymodel.clock import Clock
from pymodel.errors import ConfigError, PyModelError, TranslationFault
from pymodel.records import (
    PAGE_SIZE,
    Access,
    FaultReason,
    FaultRecord,
    FrameRuns,
    Mapping,
    PhysSpan,
)

__all__ = [
    "DEFAULT_LOGICAL_BASE",
    "LOW_WINDOW",
    "Access",
    "FaultReason",
    "FaultRecord",
    "Iommu",
    "Mapping",
    "PhysSpan",
]

DEFAULT_LOGICAL_BASE = 0x1_0000_0000
#: Window for devices limited to 32-bit addresses: [start, end).
LOW_WINDOW = (0x8000_0000, 0x1_0000_0000)


class Iommu:
    """Logical address space with byte-precise mappings and a fault log."""

    def __init__(
        self,
        *,
        clock: Clock,
        page_size: int = PAGE_SIZE,
        base: int = DEFAULT_LOGICAL_BASE,
        base_offset_pages: int = 1 << 16,
        guard_pages: tuple[int, int] = (1, 8),
        seed: int = 0,
    ) -> None:
        if base % page_size:
            raise ConfigError(f"logical base must be page aligned, not {base:#x}")
        if not 1 <= guard_pages[0] <= guard_pages[1]:
            raise ConfigError(
                f"guard_pages must be (min, max) with 1 <= min <= max, not {guard_pages}"
            )
        self.clock = clock
        self.page_size = page_size
        self._rng = random.Random(f"pymodel-iommu-{seed}")
        self._guard = guard_pages
        self._next = base + self._rng.randrange(base_offset_pages) * page_size
        low_start, self._low_end = LOW_WINDOW
        self._next_low = low_start + self._rng.randrange(1 << 10) * page_size
        self._ids = 0
        # Every mapping ever made, sorted by logical start (live and freed).
        self._starts: list[int] = []
        self._all: dict[int, Mapping] = {}
        # Live mappings only.
        self._live_starts: list[int] = []
        #: Every fault, in order.
        self.faults: list[FaultRecord] = []

    # ---------------------------------------------------------------- mapping
    def _reserve(self, pages: int, runs: FrameRuns, low: bool) -> int:
        """A fresh logical range of ``pages`` whose pages all differ from their frames."""
        ps = self.page_size
        top = max(first + count for first, count in runs)
        while True:
            start = self._next_low if low else self._next
            lo, hi = self._guard
            gap = (lo + int(self._rng.random() * (hi - lo + 1))) * ps
            if low:
                if start + pages * ps > self._low_end:
                    raise PyModelError("the 32-bit logical window is exhausted")
                self._next_low = start + pages * ps + gap
            else:
                self._next = start + pages * ps + gap
            if start // ps >= top or self._differs(start // ps, runs):
                return start

    @staticmethod
    def _differs(base_page: int, runs: FrameRuns) -> bool:
        """True when no logical page ``base_page + k`` equals the k-th frame."""
        k = 0
        for first, count in runs:
            # page base_page + k + j == first + j for some j  <=>  base_page + k == first
            if base_page + k == first:
                return False
            k += count
        return True

    def map(
        self,
        runs: FrameRuns,
        length: int,
        *,
        access: Access,
        owner: str,
        site: str,
        dma32: bool = False,
    ) -> Mapping:
        """Map ``length`` bytes backed by ``runs`` and return the new mapping."""
        pages = sum(c for _, c in runs)
        if length <= 0 or length > pages * self.page_size:
            raise ConfigError(f"mapping length must be 1..{pages * self.page_size}, not {length}")
        start = self._reserve(pages, runs, dma32)
        self._ids += 1
        offsets = tuple(accumulate((c * self.page_size for _, c in runs[:-1]), initial=0))
        m = Mapping(
            id=self._ids,
            logical=start,
            length=length,
            access=access,
            owner=owner,
            site=site,
            runs=runs,
            page_size=self.page_size,
            created_time=self.clock.now,
            created_seq=self.clock.seq,
            run_offsets=offsets,
        )
        if not self._starts or start > self._starts[-1]:
            self._starts.append(start)
        else:
            insort(self._starts, start)
        if not self._live_starts or start > self._live_starts[-1]:
            self._live_starts.append(start)
        else:
            insort(self._live_starts, start)
        self._all[start] = m
        return m

    def unmap(self, logical: int, *, site: str | None = None) -> Mapping:
        """Free the live mapping that starts at ``logical``; return its freed record."""
        m = self._all.get(logical)
        if m is None or not m.live:
            state = "never mapped" if m is None else "already freed"
            raise PyModelError(f"cannot unmap LA {logical:#x}: {state}")
        # A copy with the freed fields set (dataclasses.replace is ~10x slower).
        freed = object.__new__(Mapping)
        freed.__dict__.update(m.__dict__, freed_time=self.clock.now, freed_seq=self.clock.seq)
        freed.__dict__["freed_site"] = site
        self._all[logical] = freed
        i = bisect_right(self._live_starts, logical) - 1
        del self._live_starts[i]
        return freed

    # ---------------------------------------------------------------- queries
    def lookup(self, logical: int) -> Mapping | None:
        """The mapping (live or freed) holding byte ``logical``, or None."""
        i = bisect_right(self._starts, logical) - 1
        if i < 0:
            return None
        m = self._all[self._starts[i]]
        return m if logical < m.end else None

    def nearest_live(self, logical: int) -> Mapping | None:
        """The live mapping closest to ``logical`` (by distance to its nearest byte)."""
        i = bisect_right(self._live_starts, logical)
        best: Mapping | None = None
        best_d = -1
        for j in (i - 1, i):
            if 0 <= j < len(self._live_starts):
                m = self._all[self._live_starts[j]]
                d = (
                    0
                    if m.contains(logical)
                    else min(abs(logical - m.logical), abs(logical - (m.end - 1)))
                )
                if best is None or d < best_d:
                    best, best_d = m, d
        return best

    def live_mappings(self) -> tuple[Mapping, ...]:
        """Every live mapping in logical address order."""
        return tuple(self._all[s] for s in self._live_starts)

    # ------------------------------------------------------------- translation
    def translate(self, logical: int, length: int, access: Access) -> list[PhysSpan]:
        """Physical spans behind a device access, or raise ``TranslationFault``."""
        if length <= 0:
            raise ConfigError(f"access length must be positive, not {length}")
        if access not in (Access.READ, Access.WRITE):
            raise ConfigError(f"access must be Access.READ or Access.WRITE, not {access!r}")
        m = self.lookup(logical)
        if m is not None and m.live:
            if not access & m.access:
                self._fault(logical, length, access, FaultReason.PERMISSION, m)
            if logical + length > m.end:
                self._fault(logical, length, access, FaultReason.PAST_END, m)
            return m.phys_spans(logical - m.logical, length)
        if m is not None:
            self._fault(logical, length, access, FaultReason.USE_AFTER_FREE, m)
        self._fault(logical, length, access, FaultReason.NOT_MAPPED, None)
        raise AssertionError("unreachable")  # pragma: no cover

    def _fault(
        self, logical: int, length: int, access: Access, reason: FaultReason, m: Mapping | None
    ) -> None:
        record = FaultRecord(
            address=logical,
            length=length,
            access=access,
            reason=reason,
            time=self.clock.now,
            seq=self.clock.seq,
            mapping=m,
            nearest=self.nearest_live(logical),
        )
        self.faults.append(record)
        raise TranslationFault(record)
