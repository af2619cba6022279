"""What the NDIS model remembers about each allocation, and about each free."""

from __future__ import annotations

from dataclasses import dataclass, field

from pymodel.host import Allocation

__all__ = ["Freed", "MemoryBlock", "SharedMemory", "when"]


def when(time: int, seq: int) -> str:
    """A moment as messages spell it: ``t=1000 ns (op #7)``."""
    return f"t={time} ns (op #{seq})"


@dataclass(frozen=True, kw_only=True)
class SharedMemory:
    """An outstanding NdisMAllocateSharedMemory(AsyncEx) allocation."""

    va: int
    la: int
    length: int
    cached: bool
    api: str
    site: str
    time: int
    seq: int
    allocation: Allocation = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class MemoryBlock:
    """An outstanding NdisAllocateMemory(WithTag) allocation."""

    va: int
    length: int
    flags: int
    tag: int | str | None
    api: str
    site: str
    time: int
    seq: int
    adapter: str | None
    allocation: Allocation = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class Freed:
    """When and where something was freed."""

    time: int
    seq: int
    site: str

    def __str__(self) -> str:
        return f"{when(self.time, self.seq)} from {self.site}"
