"""Packet and buffer pools, their descriptors, and NdisFlushBuffer.

A pool has a fixed capacity: NdisAllocatePacket returns NDIS_STATUS_RESOURCES
and NdisAllocateBuffer NDIS_STATUS_FAILURE when it is exhausted.  Freeing a
pool while descriptors from it are still out is ``PoolInUse``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pymodel.errors import ArgumentViolation, DoubleFree, InvalidHandle, PoolInUse
from pymodel.ndis.adapter import MiniportAdapter
from pymodel.ndis.allocations import Freed
from pymodel.ndis.defs import (
    DISPATCH_LEVEL,
    NDIS_STATUS_FAILURE,
    NDIS_STATUS_RESOURCES,
    NDIS_STATUS_SUCCESS,
    NdisBuffer,
    NdisPacket,
    NdisStatus,
    address_text,
)
from pymodel.ndis.kernel import Kernel
from pymodel.records import Leak

__all__ = ["BufferPool", "PacketPool", "Pools"]


class _Pool:
    kind = "?"

    def __init__(
        self,
        *,
        id: int,
        capacity: int,
        owner: MiniportAdapter | None,
        site: str,
        time: int,
        seq: int,
    ) -> None:
        self.id = id
        self.capacity = capacity
        self.owner = owner
        self.site = site
        self.time = time
        self.seq = seq
        self.outstanding: dict[int, Any] = {}
        self.freed_descriptors: dict[int, Freed] = {}
        self.freed: Freed | None = None

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} #{self.id}: {len(self.outstanding)}/{self.capacity} "
            f"{self.kind} descriptors out{', freed' if self.freed else ''}>"
        )


class PacketPool(_Pool):
    """Handle of a packet pool (NdisAllocatePacketPool)."""

    kind = "packet"

    def __init__(self, *, protocol_reserved_length: int, **kw: Any) -> None:
        super().__init__(**kw)
        self.protocol_reserved_length = protocol_reserved_length


class BufferPool(_Pool):
    """Handle of a buffer pool (NdisAllocateBufferPool)."""

    kind = "buffer"


P = TypeVar("P", bound=_Pool)


class Pools:
    """The packet and buffer pools of one system."""

    def __init__(self, kernel: Kernel) -> None:
        self._k = kernel
        self._pools: dict[int, _Pool] = {}

    def leaks_of(self, adapter: MiniportAdapter | None) -> list[Leak]:
        """A leak for each pool ``adapter`` (None: no adapter) allocated and did not free."""
        return [
            Leak(
                api=f"NdisAllocate{pool.kind.capitalize()}Pool",
                size=0,
                site=pool.site,
                time=pool.time,
                seq=pool.seq,
                detail=f"{pool.kind} pool of {pool.capacity} descriptors, "
                f"{len(pool.outstanding)} still allocated",
            )
            for pool in self._pools.values()
            if pool.owner is adapter and pool.freed is None
        ]

    # ------------------------------------------------------------------ shared
    def _new_pool(self, cls: type[P], api: str, count: int, site: str, **kw: Any) -> P | None:
        k = self._k
        if not k.rules.check_length(count, api, site, "NumberOfDescriptors"):
            return None
        if not k.context.irql_at_most(DISPATCH_LEVEL, api, site):
            return None
        if k.inject(api, site):
            return None
        seq = k.host.clock.tick()
        pool = cls(
            id=k.next_id(),
            capacity=count,
            owner=k.context.adapter,
            site=site,
            time=k.host.now,
            seq=seq,
            **kw,
        )
        self._pools[pool.id] = pool
        return pool

    def _check_pool(self, pool: object, cls: type[_Pool], api: str, site: str) -> bool:
        rules = self._k.rules
        if not isinstance(pool, cls) or self._pools.get(pool.id) is not pool:
            rules.violate(
                InvalidHandle,
                f"{api}: PoolHandle must be a {cls.kind} pool handle of this system, not {pool!r}",
                api=api,
                site=site,
            )
            return False
        if pool.freed is not None:
            rules.violate(
                InvalidHandle,
                f"{api}: the {cls.kind} pool was freed at {pool.freed}",
                api=api,
                site=site,
            )
            return False
        return True

    def _free_pool(self, pool: object, cls: type[_Pool], api: str, site: str) -> None:
        k = self._k
        if isinstance(pool, cls) and pool.freed is not None and self._pools.get(pool.id) is pool:
            k.rules.violate(
                DoubleFree,
                f"{api}: the {cls.kind} pool was already freed at {pool.freed}",
                api=api,
                site=site,
            )
            return
        if not self._check_pool(pool, cls, api, site):
            return
        assert isinstance(pool, _Pool)
        if not k.context.irql_at_most(DISPATCH_LEVEL, api, site):
            return
        if pool.outstanding:
            sites = ", ".join(d.site for d in list(pool.outstanding.values())[:5])
            more = ", ..." if len(pool.outstanding) > 5 else ""
            k.rules.violate(
                PoolInUse,
                f"{api}: {len(pool.outstanding)} {cls.kind} descriptor(s) from this pool are "
                f"still allocated (at {sites}{more}); free them first",
                api=api,
                site=site,
            )
            return
        k.host.clock.tick()
        pool.freed = Freed(time=k.host.now, seq=k.host.seq, site=site)

    def _free_descriptor(
        self, desc: NdisPacket | NdisBuffer, cls: type[_Pool], api: str, site: str
    ) -> None:
        k = self._k
        expected = NdisPacket if cls is PacketPool else NdisBuffer
        pool = self._pools.get(desc.pool_id) if isinstance(desc, expected) else None
        if pool is None:
            k.rules.violate(
                InvalidHandle,
                f"{api}: expected a {cls.kind} descriptor of this system, not {desc!r}",
                api=api,
                site=site,
            )
            return
        if not k.context.irql_at_most(DISPATCH_LEVEL, api, site):
            return
        if desc.id in pool.freed_descriptors:
            k.rules.violate(
                DoubleFree,
                f"{api}: {cls.kind} descriptor #{desc.id} was already freed at "
                f"{pool.freed_descriptors[desc.id]}; it was allocated at {desc.site}",
                api=api,
                site=site,
            )
            return
        del pool.outstanding[desc.id]
        k.host.clock.tick()
        pool.freed_descriptors[desc.id] = Freed(time=k.host.now, seq=k.host.seq, site=site)

    # ----------------------------------------------------------------- packets
    def allocate_packet_pool(
        self, number_of_descriptors: int, protocol_reserved_length: int, site: str
    ) -> tuple[NdisStatus, PacketPool | None]:
        """NdisAllocatePacketPool: ``(status, pool)``."""
        pool = self._new_pool(
            PacketPool,
            "NdisAllocatePacketPool",
            number_of_descriptors,
            site,
            protocol_reserved_length=max(0, protocol_reserved_length),
        )
        if pool is None:
            return (NDIS_STATUS_RESOURCES, None)
        return (NDIS_STATUS_SUCCESS, pool)

    def allocate_packet(self, pool: PacketPool, site: str) -> tuple[NdisStatus, NdisPacket | None]:
        """NdisAllocatePacket: ``(status, packet)``; RESOURCES when the pool is empty."""
        k = self._k
        api = "NdisAllocatePacket"
        if not self._check_pool(pool, PacketPool, api, site):
            return (NDIS_STATUS_FAILURE, None)
        if not k.context.irql_at_most(DISPATCH_LEVEL, api, site):
            return (NDIS_STATUS_FAILURE, None)
        if len(pool.outstanding) >= pool.capacity or k.inject(api, site):
            return (NDIS_STATUS_RESOURCES, None)
        pkt = NdisPacket(
            id=k.next_id(),
            pool_id=pool.id,
            site=site,
            protocol_reserved=bytearray(pool.protocol_reserved_length),
        )
        pool.outstanding[pkt.id] = pkt
        return (NDIS_STATUS_SUCCESS, pkt)

    def free_packet(self, packet: NdisPacket, site: str) -> None:
        """NdisFreePacket."""
        self._free_descriptor(packet, PacketPool, "NdisFreePacket", site)

    def free_packet_pool(self, pool: PacketPool, site: str) -> None:
        """NdisFreePacketPool: every packet must be back."""
        self._free_pool(pool, PacketPool, "NdisFreePacketPool", site)

    # ----------------------------------------------------------------- buffers
    def allocate_buffer_pool(
        self, number_of_descriptors: int, site: str
    ) -> tuple[NdisStatus, BufferPool | None]:
        """NdisAllocateBufferPool: ``(status, pool)``."""
        pool = self._new_pool(BufferPool, "NdisAllocateBufferPool", number_of_descriptors, site)
        if pool is None:
            return (NDIS_STATUS_RESOURCES, None)
        return (NDIS_STATUS_SUCCESS, pool)

    def allocate_buffer(
        self, pool: BufferPool, va: int, length: int, site: str
    ) -> tuple[NdisStatus, NdisBuffer | None]:
        """NdisAllocateBuffer: ``(status, buffer)``; FAILURE when the pool is empty."""
        k = self._k
        api = "NdisAllocateBuffer"
        fail = (NDIS_STATUS_FAILURE, None)
        if not self._check_pool(pool, BufferPool, api, site):
            return fail
        if not k.context.irql_at_most(DISPATCH_LEVEL, api, site):
            return fail
        if not k.rules.check_length(length, api, site):
            return fail
        a = k.host.allocation_at(va) if isinstance(va, int) else None
        if a is None or not a.live or va + length > a.end:
            what = (
                "is not in any allocation"
                if a is None
                else f"lies in freed memory ({a.describe()})"
                if not a.live
                else f"runs past the end of {a.describe()}"
            )
            k.rules.violate(
                ArgumentViolation,
                f"{api}: VirtualAddress {address_text(va)} with Length {length} must describe "
                f"live memory, but it {what}",
                api=api,
                site=site,
            )
            return fail
        if len(pool.outstanding) >= pool.capacity or k.inject(api, site):
            return fail
        buf = NdisBuffer(id=k.next_id(), pool_id=pool.id, va=va, length=length, site=site)
        pool.outstanding[buf.id] = buf
        return (NDIS_STATUS_SUCCESS, buf)

    def free_buffer(self, buffer: NdisBuffer, site: str) -> None:
        """NdisFreeBuffer."""
        self._free_descriptor(buffer, BufferPool, "NdisFreeBuffer", site)

    def free_buffer_pool(self, pool: BufferPool, site: str) -> None:
        """NdisFreeBufferPool: every buffer descriptor must be back."""
        self._free_pool(pool, BufferPool, "NdisFreeBufferPool", site)

    def flush_buffer(self, buffer: NdisBuffer, write_to_device: bool, site: str) -> None:
        """NdisFlushBuffer: KeFlushIoBuffers on the buffer's VA range."""
        k = self._k
        api = "NdisFlushBuffer"
        pool = self._pools.get(buffer.pool_id) if isinstance(buffer, NdisBuffer) else None
        if pool is None or buffer.id not in pool.outstanding:
            when = (
                f" was freed at {pool.freed_descriptors[buffer.id]}"
                if pool is not None and buffer.id in pool.freed_descriptors
                else " is not a buffer descriptor of this system"
            )
            k.rules.violate(
                InvalidHandle,
                f"{api}: Buffer {buffer!r}{when}",
                api=api,
                site=site,
            )
            return
        if not k.context.irql_at_most(DISPATCH_LEVEL, api, site):
            return
        k.host.flush(buffer.va, buffer.length, to_device=bool(write_to_device))
