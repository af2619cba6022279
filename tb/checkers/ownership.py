"""Who owns each byte of device-visible memory: the CPU, or the device (and for what).

The driver model tells the map what it hands to the device and what it takes
back; the bus checkers ask it who owns the bytes a burst touches. Bytes are
tracked per shared-memory block in numpy arrays, so a burst check is a slice.
"""

from __future__ import annotations

import enum
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from pymodel.host import Host
from pymodel.iommu import Access
from tb.checkers.violations import Finding, Rule, ViolationLog

__all__ = ["CAN_READ", "CAN_WRITE", "CPU_SIDE", "Owner", "OwnershipMap", "line_mask", "pa_of"]


class Owner(enum.IntEnum):
    """Owner of one byte."""

    CPU = 0
    DEVICE_READ = 1
    DEVICE_WRITE = 2
    DEVICE_RW = 3
    UNTRACKED = 255  # not in any block the driver registered

    @classmethod
    def for_access(cls, access: Access) -> Owner:
        return {Access.READ: cls.DEVICE_READ, Access.WRITE: cls.DEVICE_WRITE,
                Access.READ_WRITE: cls.DEVICE_RW}[access]


def _table(*owners: Owner) -> npt.NDArray[np.bool_]:
    table = np.zeros(256, bool)
    table[list(owners)] = True
    return table


#: Lookup tables indexed by owner code (``CAN_READ[state]`` is a bool array shaped like
#: ``state``): the device may read, may write; the CPU has a say.
CAN_READ = _table(Owner.DEVICE_READ, Owner.DEVICE_RW)
CAN_WRITE = _table(Owner.DEVICE_WRITE, Owner.DEVICE_RW)
CPU_SIDE = _table(Owner.CPU, Owner.UNTRACKED)


def pa_of(host: Host, la: int) -> int | None:
    """The physical address behind a live logical address, or None."""
    m = host.iommu.lookup(la)
    if m is None or not m.live or not m.contains(la):
        return None
    return m.phys_spans(la - m.logical, 1)[0].phys


def line_mask(mask: int, n: int, shift: int = 0) -> npt.NDArray[np.bool_]:
    """Bits ``shift .. shift+n-1`` of an integer byte mask, as a bool array."""
    return np.array([(mask >> (shift + i)) & 1 for i in range(n)], bool)


@dataclass
class _Block:
    la: int
    length: int
    label: str
    kind: str
    state: npt.NDArray[np.uint8]
    names: npt.NDArray[np.int32]  # index into OwnershipMap._names, -1 = the block's label

    @property
    def end(self) -> int:
        return self.la + self.length


@dataclass
class OwnershipMap:
    """Byte ownership of every shared block the driver registered."""

    alignment: int
    log: ViolationLog
    now: Callable[[], int] = lambda: 0
    _starts: list[int] = field(default_factory=list)
    _blocks: dict[int, _Block] = field(default_factory=dict)
    _names: list[str] = field(default_factory=list)

    # ------------------------------------------------------------ driver side
    def add_block(self, la: int, length: int, label: str, *, kind: str = "buffers") -> None:
        """A shared block now exists; all of it belongs to the CPU.

        ``kind`` is "ring" for descriptor rings (write-backs are counted apart).
        """
        if self._find(la) is not None or self._find(la + length - 1) is not None:
            raise ValueError(f"block {label!r} at LA {la:#x} overlaps a registered block")
        i = bisect_right(self._starts, la)
        self._starts.insert(i, la)
        self._blocks[la] = _Block(la, length, label, kind, np.zeros(length, np.uint8),
                                  np.full(length, -1, np.int32))

    def remove_block(self, la: int) -> None:
        """The block is being freed: the device must own none of it (FREED_IN_USE)."""
        blk = self._blocks[la]
        owned = np.flatnonzero(blk.state != Owner.CPU)
        if owned.size:
            first = blk.la + int(owned[0])
            self.log.report(Finding(
                rule=Rule.FREED_IN_USE, time_ns=self.now(), la=first, pa=None,
                owner=self.describe(first),
                detail=f"{owned.size} bytes of {blk.label} ({blk.length} bytes at LA "
                       f"{blk.la:#x}) still handed to the device",
            ))
        del self._blocks[la]
        self._starts.remove(la)

    def name(self, la: int, length: int, name: str) -> None:
        """Call ``[la, la+length)`` by a name in reports (for example "rx buffer #3")."""
        idx = len(self._names)
        self._names.append(name)
        for blk, lo, hi in self._pieces(la, length):
            blk.names[lo:hi] = idx

    def hand_to_device(self, la: int, length: int, access: Access, *, check_alignment: bool = True
                       ) -> None:
        """The driver gives ``[la, la+length)`` to the device for ``access``.

        A buffer must start on the DMA alignment; one the device writes must
        also end on it, or its last line is shared with whatever follows.
        """
        if check_alignment:
            bad_end = access & Access.WRITE and (la + length) % self.alignment
            if la % self.alignment or bad_end:
                self.log.report(Finding(
                    rule=Rule.ALIGNMENT, time_ns=self.now(), la=la, pa=None,
                    owner=self.describe(la),
                    detail=f"{length} bytes handed for {access.name} at LA {la:#x} "
                           f"(start {la % self.alignment} / end {(la + length) % self.alignment} "
                           f"bytes off the {self.alignment}-byte alignment)",
                ))
        code = Owner.for_access(access)
        for blk, lo, hi in self._pieces(la, length, must_exist=True):
            blk.state[lo:hi] = code

    def take_back(self, la: int, length: int) -> None:
        """The device is done with ``[la, la+length)``; the CPU owns it again."""
        for blk, lo, hi in self._pieces(la, length, must_exist=True):
            blk.state[lo:hi] = Owner.CPU

    # ---------------------------------------------------------- checker side
    def state(self, la: int, length: int) -> npt.NDArray[np.uint8]:
        """Owner code of every byte of ``[la, la+length)`` (UNTRACKED outside blocks)."""
        out = np.full(length, Owner.UNTRACKED, np.uint8)
        for blk, lo, hi in self._pieces(la, length):
            start = blk.la + lo - la
            out[start:start + hi - lo] = blk.state[lo:hi]
        return out

    def kind(self, la: int) -> str | None:
        """The kind of the block holding ``la`` ("ring", "buffers"), None if untracked."""
        blk = self._find(la)
        return None if blk is None else blk.kind

    def describe(self, la: int) -> str:
        """The name of the byte at ``la`` and its current owner."""
        blk = self._find(la)
        if blk is None:
            return "untracked memory (no block the driver registered)"
        off = la - blk.la
        idx = int(blk.names[off])
        name = self._names[idx] if idx >= 0 else blk.label
        return f"{name} (in {blk.label}, owned by {Owner(int(blk.state[off])).name})"

    # ---------------------------------------------------------------- helpers
    def _find(self, la: int) -> _Block | None:
        i = bisect_right(self._starts, la) - 1
        if i < 0:
            return None
        blk = self._blocks[self._starts[i]]
        return blk if la < blk.end else None

    def _pieces(self, la: int, length: int, *, must_exist: bool = False
                ) -> list[tuple[_Block, int, int]]:
        """(block, lo, hi) slices of the registered blocks that ``[la, la+length)`` overlaps."""
        out = []
        end = la + length
        i = max(0, bisect_right(self._starts, la) - 1)
        covered = 0
        while i < len(self._starts) and self._starts[i] < end:
            blk = self._blocks[self._starts[i]]
            lo, hi = max(la, blk.la), min(end, blk.end)
            if lo < hi:
                out.append((blk, lo - blk.la, hi - blk.la))
                covered += hi - lo
            i += 1
        if must_exist and covered != length:
            raise ValueError(
                f"LA {la:#x}..{end - 1:#x} is not wholly inside blocks the driver registered"
            )
        return out
