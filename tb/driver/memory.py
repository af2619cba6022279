"""Shared memory the way a miniport gets it: blocks, carved into aligned DMA buffers.

Allocation retries with smaller blocks when NDIS says no, and everything
allocated is tracked so initialization can fail cleanly and halt can free it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from pymodel import ndis
from pymodel.ndis import BufferPool, MiniportAdapter, NdisBuffer
from tb.checkers.ownership import OwnershipMap
from tb.errors import DriverError

__all__ = ["DmaBuffer", "SharedBlock", "SharedMemoryBook"]


@dataclass(frozen=True)
class SharedBlock:
    """One NdisMAllocateSharedMemory(Async) allocation."""

    va: int
    la: int
    length: int
    cached: bool
    purpose: str


@dataclass(frozen=True)
class DmaBuffer:
    """A device-visible buffer inside a shared block, with its MDL for flushes."""

    va: int
    la: int
    size: int
    mdl: NdisBuffer
    purpose: str


@dataclass
class SharedMemoryBook:
    """Everything the driver allocated from NDIS, to be freed exactly once."""

    adapter: MiniportAdapter
    cached: bool
    alignment: int
    mdl_pool: BufferPool
    #: Told of every block and buffer, so bus checkers can name who owns bytes.
    ownership: OwnershipMap | None = None
    #: Deliberate bug: carve buffers back to back, ignoring the DMA alignment.
    ignore_alignment: bool = False
    blocks: list[SharedBlock] = field(default_factory=list)
    mdls: list[NdisBuffer] = field(default_factory=list)
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("tb.driver.memory"))

    def allocate_block(
        self, length: int, purpose: str, *, kind: str = "buffers"
    ) -> SharedBlock | None:
        """One shared-memory block, or None when NDIS cannot give it."""
        va, la = ndis.NdisMAllocateSharedMemory(self.adapter, length, self.cached)
        if va is None or la is None:
            self.log.info("NdisMAllocateSharedMemory(%d) for %s failed", length, purpose)
            return None
        return self.adopt_block(SharedBlock(va, la, length, self.cached, purpose), kind=kind)

    def adopt_block(self, block: SharedBlock, *, kind: str = "buffers") -> SharedBlock:
        """Record a block (also one that came from the async allocator)."""
        if block.la % self.alignment or block.va % self.alignment:
            raise DriverError(
                f"shared memory for {block.purpose} at VA {block.va:#x} LA {block.la:#x} is not "
                f"aligned to the DMA alignment {self.alignment}"
            )
        self.blocks.append(block)
        if self.ownership is not None:
            self.ownership.add_block(block.la, block.length, block.purpose, kind=kind)
        return block

    def mdl(self, va: int, length: int) -> NdisBuffer:
        """A buffer descriptor (MDL) for a range, as NdisFlushBuffer needs."""
        status, mdl = ndis.NdisAllocateBuffer(self.mdl_pool, va, length)
        if status != ndis.NDIS_STATUS_SUCCESS or mdl is None:
            raise DriverError(f"NdisAllocateBuffer for {length} bytes at {va:#x} failed: {status}")
        self.mdls.append(mdl)
        return mdl

    def stride(self, size: int) -> int:
        """Distance between buffers of ``size`` bytes: whole cache lines, so none share one."""
        if self.ignore_alignment:
            return size
        return -(-size // self.alignment) * self.alignment

    def carve(self, block: SharedBlock, size: int, count: int, purpose: str) -> list[DmaBuffer]:
        """Cut ``count`` buffers of ``size`` bytes (rounded up to the alignment) from a block."""
        stride = self.stride(size)
        if stride * count > block.length:
            raise DriverError(
                f"{count} buffers of {stride} bytes do not fit a {block.length}-byte block"
            )
        out = []
        for i in range(count):
            va, la = block.va + i * stride, block.la + i * stride
            out.append(DmaBuffer(va, la, size, self.mdl(va, size), purpose))
            if self.ownership is not None:
                self.ownership.name(la, size, f"{purpose} buffer at LA {la:#x}")
        return out

    def allocate_buffers(
        self, *, size: int, want: int, minimum: int, block_bytes: int, purpose: str
    ) -> list[DmaBuffer]:
        """Up to ``want`` buffers, asking for smaller blocks when a block is refused.

        Returns at least ``minimum`` buffers or raises DriverError (the caller
        then fails initialization and frees what it has).
        """
        blocks = self.allocate_buffer_blocks(size=size, want=want, minimum=minimum,
                                             block_bytes=block_bytes, purpose=purpose)
        return [buf for _, bufs in blocks for buf in bufs]

    def allocate_buffer_blocks(
        self, *, size: int, want: int, minimum: int, block_bytes: int, purpose: str
    ) -> list[tuple[SharedBlock, list[DmaBuffer]]]:
        """:meth:`allocate_buffers`, block by block."""
        stride = self.stride(size)
        per_block = max(1, block_bytes // stride)
        out: list[tuple[SharedBlock, list[DmaBuffer]]] = []
        buffers: list[DmaBuffer] = []
        while len(buffers) < want:
            count = min(per_block, want - len(buffers))
            block = self.allocate_block(count * stride, purpose)
            if block is None:
                if count == 1:
                    break
                per_block = max(1, count // 2)  # retry with less
                continue
            carved = self.carve(block, size, count, purpose)
            out.append((block, carved))
            buffers += carved
        if len(buffers) < minimum:
            raise DriverError(
                f"only {len(buffers)} {purpose} buffers of {size} bytes could be allocated, "
                f"at least {minimum} are needed"
            )
        if len(buffers) < want:
            self.log.warning("%s: got %d of %d buffers wanted", purpose, len(buffers), want)
        return out

    def free_block(self, block: SharedBlock, buffers: list[DmaBuffer]) -> None:
        """Give one block back (NdisMFreeSharedMemory, PASSIVE_LEVEL) with its buffers' MDLs;
        the ownership map checks that the device owns none of its bytes."""
        gone = {id(buf.mdl) for buf in buffers}
        for buf in buffers:
            ndis.NdisFreeBuffer(buf.mdl)
        self.mdls = [m for m in self.mdls if id(m) not in gone]
        if self.ownership is not None:
            self.ownership.remove_block(block.la)
        ndis.NdisMFreeSharedMemory(self.adapter, block.length, block.cached, block.va, block.la)
        self.blocks.remove(block)

    def free_all(self) -> None:
        """Free every MDL and block (halt, or failed initialization)."""
        for mdl in self.mdls:
            ndis.NdisFreeBuffer(mdl)
        self.mdls.clear()
        for block in self.blocks:
            ndis.NdisMFreeSharedMemory(self.adapter, block.length, block.cached, block.va, block.la)
            if self.ownership is not None:
                self.ownership.remove_block(block.la)
        self.blocks.clear()
