"""The NDIS functions with their documented names and argument order.

C out-parameters become returned tuples, in the C order: for example
``status, handle = NdisMRegisterScatterGatherDma(adapter, description)`` and
``va, la = NdisMAllocateSharedMemory(adapter, length, cached)``.  NULL is
``None``.  Functions without an adapter argument act on the current
``NdisSystem`` (``system.make_current()`` or ``with system.calling(...)``).

Each function checks the documented rules; see ``pymodel.ndis.rules`` for
strict and permissive mode, and ``pymodel/README.md`` for the list of rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pymodel.faultinject import FaultInjection
from pymodel.ndis.adapter import DmaHandle, MiniportAdapter
from pymodel.ndis.defs import (
    APC_LEVEL,
    DISPATCH_LEVEL,
    NDIS_MEMORY_CONTIGUOUS,
    NDIS_MEMORY_NONCACHED,
    NDIS_SG_DMA_64_BIT_ADDRESS,
    NDIS_SG_DMA_DESCRIPTION,
    NDIS_STATUS_FAILURE,
    NDIS_STATUS_PENDING,
    NDIS_STATUS_RESOURCES,
    NDIS_STATUS_SUCCESS,
    PASSIVE_LEVEL,
    AdapterState,
    NdisBuffer,
    NdisPacket,
    NdisSgDmaDescription,
    NdisStatus,
)
from pymodel.ndis.pools import BufferPool, PacketPool
from pymodel.ndis.system import NdisSystem, current_system, use_system
from pymodel.site import caller_site

__all__ = [
    "APC_LEVEL",
    "DISPATCH_LEVEL",
    "NDIS_MEMORY_CONTIGUOUS",
    "NDIS_MEMORY_NONCACHED",
    "NDIS_SG_DMA_64_BIT_ADDRESS",
    "NDIS_SG_DMA_DESCRIPTION",
    "NDIS_STATUS_FAILURE",
    "NDIS_STATUS_PENDING",
    "NDIS_STATUS_RESOURCES",
    "NDIS_STATUS_SUCCESS",
    "PASSIVE_LEVEL",
    "AdapterState",
    "BufferPool",
    "DmaHandle",
    "FaultInjection",
    "KeGetCurrentIrql",
    "KeLowerIrql",
    "KeRaiseIrql",
    "MiniportAdapter",
    "NdisAllocateBuffer",
    "NdisAllocateBufferPool",
    "NdisAllocateMemory",
    "NdisAllocateMemoryWithTag",
    "NdisAllocatePacket",
    "NdisAllocatePacketPool",
    "NdisBuffer",
    "NdisFlushBuffer",
    "NdisFreeBuffer",
    "NdisFreeBufferPool",
    "NdisFreeMemory",
    "NdisFreePacket",
    "NdisFreePacketPool",
    "NdisMAllocateSharedMemory",
    "NdisMAllocateSharedMemoryAsyncEx",
    "NdisMDeregisterScatterGatherDma",
    "NdisMFreeSharedMemory",
    "NdisMGetDmaAlignment",
    "NdisMRegisterScatterGatherDma",
    "NdisPacket",
    "NdisSgDmaDescription",
    "NdisStatus",
    "NdisSystem",
    "NdisSystemProcessorCount",
    "PacketPool",
    "at_irql",
    "current_system",
    "use_system",
]


def _system_of(handle: object) -> NdisSystem:
    """The system behind an adapter or DMA handle (the current one for a bad handle)."""
    if isinstance(handle, DmaHandle):
        handle = handle.adapter
    system = handle.system if isinstance(handle, MiniportAdapter) else None
    return system if isinstance(system, NdisSystem) else current_system()


# ------------------------------------------------------------------ DMA set-up
def NdisMRegisterScatterGatherDma(
    MiniportAdapterHandle: MiniportAdapter, DmaDescription: NdisSgDmaDescription
) -> tuple[NdisStatus, DmaHandle | None]:
    """Register scatter/gather DMA: ``(NDIS_STATUS_SUCCESS, handle)`` or ``(status, None)``."""
    return _system_of(MiniportAdapterHandle).register_sg_dma(
        MiniportAdapterHandle, DmaDescription, caller_site()
    )


def NdisMDeregisterScatterGatherDma(NdisMiniportDmaHandle: DmaHandle) -> None:
    """Release the scatter/gather DMA registration."""
    _system_of(NdisMiniportDmaHandle).deregister_sg_dma(NdisMiniportDmaHandle, caller_site())


def NdisMGetDmaAlignment(MiniportAdapterHandle: MiniportAdapter) -> int:
    """Alignment for device-accessible buffers: the CPU cache line size."""
    return _system_of(MiniportAdapterHandle).host.line_size


def NdisSystemProcessorCount() -> int:
    """Number of processors of the current system."""
    return current_system().processor_count


# --------------------------------------------------------------- shared memory
def NdisMAllocateSharedMemory(
    MiniportAdapterHandle: MiniportAdapter, Length: int, Cached: bool
) -> tuple[int | None, int | None]:
    """``(VirtualAddress, PhysicalAddress)`` of new shared memory, or ``(None, None)``."""
    return _system_of(MiniportAdapterHandle).allocate_shared_memory(
        MiniportAdapterHandle, Length, Cached, caller_site()
    )


def NdisMAllocateSharedMemoryAsyncEx(
    MiniportDmaHandle: DmaHandle, Length: int, Cached: bool, Context: Any
) -> NdisStatus:
    """NDIS_STATUS_PENDING (the completion handler runs later) or NDIS_STATUS_FAILURE."""
    return _system_of(MiniportDmaHandle).allocate_shared_memory_async(
        MiniportDmaHandle, Length, Cached, Context, caller_site()
    )


def NdisMFreeSharedMemory(
    MiniportAdapterHandle: MiniportAdapter,
    Length: int,
    Cached: bool,
    VirtualAddress: int,
    PhysicalAddress: int,
) -> None:
    """Free shared memory; every argument must match the allocation."""
    _system_of(MiniportAdapterHandle).free_shared_memory(
        MiniportAdapterHandle, Length, Cached, VirtualAddress, PhysicalAddress, caller_site()
    )


# --------------------------------------------------------------- plain memory
def NdisAllocateMemory(
    Length: int, MemoryFlags: int, HighestAcceptableAddress: int
) -> tuple[NdisStatus, int | None]:
    """``(NDIS_STATUS_SUCCESS, VirtualAddress)`` or ``(NDIS_STATUS_FAILURE, None)``."""
    return current_system().allocate_memory(
        Length, MemoryFlags, HighestAcceptableAddress, caller_site()
    )


def NdisAllocateMemoryWithTag(Length: int, Tag: int | str) -> tuple[NdisStatus, int | None]:
    """Nonpaged memory with a pool tag: ``(status, VirtualAddress)``."""
    return current_system().allocate_memory(
        Length, 0, -1, caller_site(), api="NdisAllocateMemoryWithTag", tag=Tag
    )


def NdisFreeMemory(VirtualAddress: int, Length: int, MemoryFlags: int) -> None:
    """Free NdisAllocateMemory(WithTag) memory; Length and MemoryFlags must match."""
    current_system().free_memory(VirtualAddress, Length, MemoryFlags, caller_site())


def NdisFlushBuffer(Buffer: NdisBuffer, WriteToDevice: bool) -> None:
    """Flush the cache for a buffer descriptor: write back (``WriteToDevice``) or invalidate."""
    current_system().flush_buffer(Buffer, WriteToDevice, caller_site())


# ---------------------------------------------------------------------- pools
def NdisAllocatePacketPool(
    NumberOfDescriptors: int, ProtocolReservedLength: int
) -> tuple[NdisStatus, PacketPool | None]:
    """``(status, PoolHandle)``; status SUCCESS or RESOURCES."""
    return current_system().allocate_packet_pool(
        NumberOfDescriptors, ProtocolReservedLength, caller_site()
    )


def NdisAllocatePacket(PoolHandle: PacketPool) -> tuple[NdisStatus, NdisPacket | None]:
    """``(status, Packet)``; NDIS_STATUS_RESOURCES when the pool is exhausted."""
    return current_system().allocate_packet(PoolHandle, caller_site())


def NdisFreePacket(Packet: NdisPacket) -> None:
    """Return a packet descriptor to its pool."""
    current_system().free_packet(Packet, caller_site())


def NdisFreePacketPool(PoolHandle: PacketPool) -> None:
    """Free a packet pool; every packet must have been freed."""
    current_system().free_packet_pool(PoolHandle, caller_site())


def NdisAllocateBufferPool(NumberOfDescriptors: int) -> tuple[NdisStatus, BufferPool | None]:
    """``(status, PoolHandle)``; status SUCCESS or RESOURCES."""
    return current_system().allocate_buffer_pool(NumberOfDescriptors, caller_site())


def NdisAllocateBuffer(
    PoolHandle: BufferPool, VirtualAddress: int, Length: int
) -> tuple[NdisStatus, NdisBuffer | None]:
    """``(status, Buffer)`` for ``Length`` bytes at ``VirtualAddress``; FAILURE when exhausted."""
    return current_system().allocate_buffer(PoolHandle, VirtualAddress, Length, caller_site())


def NdisFreeBuffer(Buffer: NdisBuffer) -> None:
    """Return a buffer descriptor to its pool."""
    current_system().free_buffer(Buffer, caller_site())


def NdisFreeBufferPool(PoolHandle: BufferPool) -> None:
    """Free a buffer pool; every buffer descriptor must have been freed."""
    current_system().free_buffer_pool(PoolHandle, caller_site())


# ----------------------------------------------------------------------- IRQL
def KeGetCurrentIrql() -> int:
    """IRQL of the current system."""
    return current_system().irql


def KeRaiseIrql(NewIrql: int) -> int:
    """Raise the IRQL; returns the old one (C's ``OldIrql`` out-parameter)."""
    return current_system().raise_irql(NewIrql)


def KeLowerIrql(NewIrql: int) -> None:
    """Lower the IRQL back to ``NewIrql``."""
    current_system().lower_irql(NewIrql)


@contextmanager
def at_irql(irql: int) -> Iterator[int]:
    """Run the block at ``irql`` on the current system; yields the old IRQL."""
    with current_system().at_irql(irql) as old:
        yield old
