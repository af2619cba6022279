"""Plain records shared by the host parts and the errors that carry them.

Page geometry, device access and mappings (``Access``, ``Mapping``,
``PhysSpan``), and what the model reports: IOMMU faults (``FaultRecord``),
coherence events (``CoherenceEvent``) and leaks (``Leak``).  This module
imports nothing from ``pymodel``: ``errors`` and the modules that raise those
errors both import it, and neither imports the other through it.
"""

from __future__ import annotations

import enum
from bisect import bisect_right
from dataclasses import dataclass, field

__all__ = [
    "PAGE_SIZE",
    "Access",
    "CoherenceEvent",
    "CoherenceKind",
    "FaultReason",
    "FaultRecord",
    "FrameRuns",
    "Leak",
    "Mapping",
    "PhysSpan",
]

PAGE_SIZE = 4096

#: An allocation's frames: ``((first_frame, count), ...)`` in allocation order.
FrameRuns = tuple[tuple[int, int], ...]


# ------------------------------------------------------------ device access
class Access(enum.Flag):
    """Device permission of a mapping, or direction of one access."""

    READ = 1
    WRITE = 2
    READ_WRITE = READ | WRITE


class FaultReason(enum.Enum):
    """Why a translation failed."""

    NOT_MAPPED = "not mapped"
    PERMISSION = "permission denied"
    PAST_END = "runs past the end of the mapping"
    USE_AFTER_FREE = "mapping already freed"


@dataclass(frozen=True, kw_only=True)
class Mapping:
    """One logical range, live or (``freed_seq`` set) already freed."""

    id: int
    logical: int
    length: int
    access: Access
    owner: str
    site: str
    runs: FrameRuns = field(repr=False)
    page_size: int = field(default=PAGE_SIZE, repr=False)
    created_time: int = 0
    created_seq: int = 0
    freed_time: int | None = None
    freed_seq: int | None = None
    freed_site: str | None = None
    run_offsets: tuple[int, ...] = field(default=(), repr=False, compare=False)

    @property
    def end(self) -> int:
        """First logical address after the mapping."""
        return self.logical + self.length

    @property
    def live(self) -> bool:
        """True until the mapping is freed."""
        return self.freed_seq is None

    def contains(self, logical: int) -> bool:
        """True when ``logical`` is one of the mapping's bytes."""
        return self.logical <= logical < self.logical + self.length

    def describe(self) -> str:
        """One line naming the mapping, its range, permission, owner and site."""
        text = (
            f"'{self.owner}' LA {self.logical:#x}..{self.end - 1:#x} ({self.length} bytes, "
            f"{self.access.name}) mapped at {self.site}"
        )
        if not self.live:
            text += f", freed at t={self.freed_time} ns (op #{self.freed_seq})"
            if self.freed_site:
                text += f" from {self.freed_site}"
        return text

    def phys_spans(self, offset: int, length: int) -> list[PhysSpan]:
        """Physical spans behind ``length`` bytes at ``offset`` into the mapping."""
        offsets = self.run_offsets
        ps = self.page_size
        i = bisect_right(offsets, offset) - 1
        spans: list[PhysSpan] = []
        logical = self.logical + offset
        while length > 0:
            first, count = self.runs[i]
            inner = offset - offsets[i]
            n = min(length, count * ps - inner)
            spans.append(PhysSpan(logical=logical, phys=first * ps + inner, length=n))
            logical += n
            offset += n
            length -= n
            i += 1
        return spans


@dataclass(frozen=True, kw_only=True)
class PhysSpan:
    """``length`` bytes at logical ``logical`` live at physical ``phys``."""

    logical: int
    phys: int
    length: int


@dataclass(frozen=True, kw_only=True)
class FaultRecord:
    """An IOMMU fault: what was accessed, why it failed, and what was nearby."""

    address: int
    length: int
    access: Access
    reason: FaultReason
    time: int
    seq: int
    mapping: Mapping | None = None
    nearest: Mapping | None = None

    def __str__(self) -> str:
        text = (
            f"IOMMU fault: device {self.access.name} of {self.length} bytes at LA "
            f"{self.address:#x} at t={self.time} ns (op #{self.seq}): {self.reason.value}"
        )
        if self.mapping is not None:
            text += f"; mapping {self.mapping.describe()}"
        if self.nearest is not None and self.nearest is not self.mapping:
            text += f"; nearest live mapping {self.nearest.describe()}"
        elif self.nearest is None:
            text += "; no live mapping"
        return text


# ------------------------------------------------------- coherence events
class CoherenceKind(enum.Enum):
    """What went wrong between the CPU cache and the device."""

    STALE_DEVICE_READ = "device read bytes the CPU holds dirty in its cache"
    STALE_CPU_READ = "CPU read cached bytes the device wrote in memory after the line was filled"
    LOST_DEVICE_WRITE = "dirty line written back over bytes the device wrote"
    DIRTY_DISCARD = "invalidate discarded dirty CPU bytes"


@dataclass(frozen=True, kw_only=True)
class CoherenceEvent:
    """One coherence event on one cache line; bit i of ``mask`` is byte i."""

    kind: CoherenceKind
    line: int
    mask: int
    time: int
    seq: int
    cause: str = ""

    @property
    def offsets(self) -> tuple[int, ...]:
        """Byte offsets within the line that ``mask`` flags."""
        return tuple(i for i in range(self.mask.bit_length()) if self.mask >> i & 1)

    def __str__(self) -> str:
        cause = f" ({self.cause})" if self.cause else ""
        return (
            f"{self.kind.name} at t={self.time} ns (op #{self.seq}): {self.kind.value}{cause}; "
            f"line PA {self.line:#x}, bytes {list(self.offsets)}"
        )


# ------------------------------------------------------------------ leaks
@dataclass(frozen=True, kw_only=True)
class Leak:
    """One allocation still outstanding at halt, failed initialization or unload."""

    api: str
    size: int
    site: str
    time: int
    seq: int
    va: int | None = None
    la: int | None = None
    detail: str = ""

    def __str__(self) -> str:
        where = ""
        if self.va is not None:
            where += f" at VA {self.va:#x}"
        if self.la is not None:
            where += f" LA {self.la:#x}"
        detail = f", {self.detail}" if self.detail else ""
        size = f" {self.size} bytes" if self.size else ""
        return (
            f"{self.api}:{size}{where} from {self.site} (t={self.time} ns, op #{self.seq}){detail}"
        )
