"""The NDIS model: the functions a miniport driver calls, and the system behind them.

``from pymodel import ndis`` gives the documented API (``pymodel.ndis.api``):
``ndis.NdisMAllocateSharedMemory(adapter, length, cached)`` and the rest, with
``NdisSystem``, ``MiniportAdapter``, the constants and the descriptors.  The
modules of this package, each one concern:

``api``            the NDIS functions, with their documented names and argument order
``system``         ``NdisSystem``: builds the parts below and hands each call to one of them
``adapter``        ``MiniportAdapter``: lifecycle (initialize, halt, unload), leak reports,
                   what the adapter holds (``AdapterResources``)
``context``        which system is current (``contextvars``); current adapter and IRQL
``rules``          the one violation path: strict mode raises, permissive mode records
``shared_memory``  scatter/gather DMA registration, shared memory, sync and async
``completions``    when async shared-memory requests complete (seeded delay)
``memory``         NdisAllocateMemory (CONTIGUOUS / NONCACHED) and the noncached pool
``pools``          packet and buffer pools, NdisFlushBuffer
``allocations``    what is remembered about each allocation and each free
``kernel``         the parts every NDIS function of one system shares
``defs``           constants, status codes, IRQLs, descriptors (ndis.h)
"""

from __future__ import annotations

from pymodel.ndis.api import (
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
    BufferPool,
    DmaHandle,
    FaultInjection,
    KeGetCurrentIrql,
    KeLowerIrql,
    KeRaiseIrql,
    MiniportAdapter,
    NdisAllocateBuffer,
    NdisAllocateBufferPool,
    NdisAllocateMemory,
    NdisAllocateMemoryWithTag,
    NdisAllocatePacket,
    NdisAllocatePacketPool,
    NdisBuffer,
    NdisFlushBuffer,
    NdisFreeBuffer,
    NdisFreeBufferPool,
    NdisFreeMemory,
    NdisFreePacket,
    NdisFreePacketPool,
    NdisMAllocateSharedMemory,
    NdisMAllocateSharedMemoryAsyncEx,
    NdisMDeregisterScatterGatherDma,
    NdisMFreeSharedMemory,
    NdisMGetDmaAlignment,
    NdisMRegisterScatterGatherDma,
    NdisPacket,
    NdisSgDmaDescription,
    NdisStatus,
    NdisSystem,
    NdisSystemProcessorCount,
    PacketPool,
    at_irql,
    current_system,
    use_system,
)

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
