"""The driver's side of a descriptor ring in cached shared memory.

Rules of a correct miniport on a non-coherent platform, kept here:
descriptors are written through the CPU cache and flushed (whole cache lines)
before the doorbell; a line is invalidated before the CPU reads what the
device wrote back; a line is rewritten only when every descriptor in it is
back in the driver's hands.

The ring keeps what it posted in each slot (a careful driver never trusts what
it reads back for bytes only it writes) and tells the completion checker's
ledger what it posts and reclaims.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pymodel import ndis
from pymodel.device import DESC_BYTES, Descriptor, DescStatus, Ring
from pymodel.host import Host
from pymodel.iommu import Access
from pymodel.ndis import NdisBuffer
from tb.checkers.completion import DescriptorLedger
from tb.checkers.ownership import OwnershipMap
from tb.driver.memory import SharedBlock, SharedMemoryBook

__all__ = ["DriverRing"]

INDEX_MASK = 0xFFFF


@dataclass
class DriverRing:
    """Descriptor ring ``name`` of ``2**size_log2`` entries in one shared block."""

    name: str
    host: Host
    block: SharedBlock
    size_log2: int
    line_bytes: int
    line_mdls: list[NdisBuffer] = field(default_factory=list)
    tail: int = 0   # next index the driver will post (free-running)
    clean: int = 0  # next index the driver will reap (free-running)
    ownership: OwnershipMap | None = None
    #: told what is posted and reclaimed (the completion checker)
    ledger: DescriptorLedger | None = None
    #: what the driver posted in each slot (by slot)
    _posted: dict[int, Descriptor] = field(default_factory=dict, repr=False)

    @classmethod
    def create(
        cls, name: str, host: Host, book: SharedMemoryBook, size_log2: int, line_bytes: int,
        *, ledger: DescriptorLedger | None = None,
    ) -> DriverRing | None:
        """Allocate the ring's memory and its per-line MDLs; None if NDIS refuses.

        ``name`` is "tx" or "rx".
        """
        length = DESC_BYTES << size_log2
        block = book.allocate_block(max(length, line_bytes), f"{name} ring", kind="ring")
        if block is None:
            return None
        ring = cls(name, host, block, size_log2, line_bytes, ownership=book.ownership,
                   ledger=ledger)
        ring.line_mdls = [
            book.mdl(block.va + off, line_bytes) for off in range(0, length, line_bytes)
        ]
        if ledger is not None:
            ledger.ring_allocated(ring.which, la=block.la, size_log2=size_log2,
                                  line_bytes=line_bytes)
        ring.clear()
        return ring

    @property
    def which(self) -> Ring:
        """The engine's ring this one is (Ring.TX or Ring.RX)."""
        return Ring[self.name.upper()]

    @property
    def size(self) -> int:
        return 1 << self.size_log2

    @property
    def per_line(self) -> int:
        return self.line_bytes // DESC_BYTES

    @property
    def posted(self) -> int:
        """Descriptors the device owns."""
        return (self.tail - self.clean) & INDEX_MASK

    @property
    def free(self) -> int:
        """Slots the driver may post into: descriptors come back a whole line at a time
        (the engine may write a line again until every descriptor in it is done)."""
        returned_to = self.clean - self.clean % self.per_line
        return self.size - ((self.tail - returned_to) & INDEX_MASK)

    def _va(self, index: int) -> int:
        return self.block.va + (index % self.size) * DESC_BYTES

    def _line(self, index: int) -> int:
        return (index % self.size) * DESC_BYTES // self.line_bytes

    def write(self, index: int, desc: Descriptor) -> None:
        """CPU-write one descriptor (not yet visible to a non-coherent device)."""
        self.host.cpu_write(self._va(index), desc.pack())
        self._posted[index % self.size] = desc

    def la_of(self, index: int) -> int:
        """The logical address of descriptor ``index``."""
        return self.block.la + (index % self.size) * DESC_BYTES

    def posted_at(self, index: int) -> Descriptor:
        """What the driver wrote into the slot of ``index``."""
        return self._posted[index % self.size]

    def later(self, index: int, count: int) -> list[Descriptor]:
        """Up to ``count`` descriptors posted after ``index``, in ring order."""
        n = min(count, (self.tail - index - 1) & INDEX_MASK)
        return [self.posted_at(index + k) for k in range(1, n + 1)]

    def flush_for_device(self, first: int, count: int) -> None:
        """Write back the lines holding descriptors ``first .. first+count-1`` and hand
        the descriptors to the device (it reads them and writes them back)."""
        for line in sorted({self._line(first + i) for i in range(count)}):
            ndis.NdisFlushBuffer(self.line_mdls[line], True)
        if self.ownership is not None:
            for i in range(count):
                self.ownership.hand_to_device(
                    self.la_of(first + i), DESC_BYTES, Access.READ_WRITE, check_alignment=False
                )
        if self.ledger is not None:
            for i in range(count):
                index = (first + i) & INDEX_MASK
                self.ledger.posted(self.which, index, self.posted_at(index))

    def reaped(self) -> None:
        """``clean`` moved past a descriptor. The CPU owns a line again only when all of
        it is back: until then the engine may write the whole line again."""
        if self.ledger is not None:
            self.ledger.reclaimed(self.which, (self.clean - 1) & INDEX_MASK)
        if self.ownership is not None and self.clean % self.per_line == 0:
            first = (self.clean - self.per_line) & INDEX_MASK
            self.ownership.take_back(self.la_of(first), self.line_bytes)

    def invalidate_line_of(self, index: int) -> None:
        """Drop the CPU's copy of the line holding ``index`` before reading it."""
        ndis.NdisFlushBuffer(self.line_mdls[self._line(index)], False)

    def read(self, index: int) -> Descriptor:
        return Descriptor.unpack(self.read_raw(index))

    def read_raw(self, index: int) -> bytes:
        """The 16 bytes of descriptor ``index`` as the CPU sees them (undecoded)."""
        return self.host.cpu_read(self._va(index), DESC_BYTES)

    def clear(self) -> None:
        """Zero every descriptor (no stale DONE survives) and restart the indices at 0."""
        self.host.cpu_write(self.block.va, bytes(DESC_BYTES << self.size_log2))
        for mdl in self.line_mdls:
            ndis.NdisFlushBuffer(mdl, True)
        if self.ownership is not None:
            self.ownership.take_back(self.block.la, DESC_BYTES << self.size_log2)
        if self.ledger is not None:
            self.ledger.ring_cleared(self.which)
        self._posted.clear()
        self.tail = self.clean = 0

    def reap_raw(self) -> bytes | None:
        """The 16 bytes at ``clean`` if the device set DONE there, else None (undecoded:
        the caller validates them before it believes any field).

        The line is invalidated before every read: the device may have
        written it back since the CPU last looked.
        """
        if self.clean == self.tail:
            return None
        self.invalidate_line_of(self.clean)
        raw = self.read_raw(self.clean)
        return raw if raw[14] & DescStatus.DONE else None
