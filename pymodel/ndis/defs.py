"""What ndis.h declares: status codes, IRQLs, flags, descriptors, and their spelling.

Plain values shared by every part of the NDIS model and by the API.
``Leak`` lives in ``pymodel.records`` (``LeakError`` carries it) and is
re-exported here.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pymodel.records import Leak

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
    "Leak",
    "NdisBuffer",
    "NdisPacket",
    "NdisSgDmaDescription",
    "NdisStatus",
    "SharedMemAllocateComplete",
    "address_text",
    "flags_name",
    "irql_name",
]


class NdisStatus(enum.IntEnum):
    """NDIS_STATUS values (the NTSTATUS codes they alias)."""

    SUCCESS = 0x0000_0000
    PENDING = 0x0000_0103
    FAILURE = 0xC000_0001
    RESOURCES = 0xC000_009A


NDIS_STATUS_SUCCESS = NdisStatus.SUCCESS
NDIS_STATUS_PENDING = NdisStatus.PENDING
NDIS_STATUS_FAILURE = NdisStatus.FAILURE
NDIS_STATUS_RESOURCES = NdisStatus.RESOURCES

#: NdisAllocateMemory MemoryFlags.
NDIS_MEMORY_CONTIGUOUS = 0x0000_0001
NDIS_MEMORY_NONCACHED = 0x0000_0002

#: NDIS_SG_DMA_DESCRIPTION Flags: the NIC can address 64 bits.
NDIS_SG_DMA_64_BIT_ADDRESS = 0x0000_0001

#: Interrupt request levels.
PASSIVE_LEVEL = 0
APC_LEVEL = 1
DISPATCH_LEVEL = 2

_IRQL_NAMES = {
    PASSIVE_LEVEL: "PASSIVE_LEVEL",
    APC_LEVEL: "APC_LEVEL",
    DISPATCH_LEVEL: "DISPATCH_LEVEL",
}


def irql_name(irql: int) -> str:
    """``"DISPATCH_LEVEL"``, or ``"IRQL 5"`` above the named levels."""
    return _IRQL_NAMES.get(irql, f"IRQL {irql}")


def flags_name(flags: int) -> str:
    """MemoryFlags spelt with the NDIS_MEMORY_XXX names (``"0"`` for none)."""
    names = [
        name
        for bit, name in (
            (NDIS_MEMORY_CONTIGUOUS, "NDIS_MEMORY_CONTIGUOUS"),
            (NDIS_MEMORY_NONCACHED, "NDIS_MEMORY_NONCACHED"),
        )
        if flags & bit
    ]
    rest = flags & ~(NDIS_MEMORY_CONTIGUOUS | NDIS_MEMORY_NONCACHED)
    if rest:
        names.append(f"{rest:#x}")
    return " | ".join(names) if names else "0"


def address_text(value: object) -> str:
    """An address as ``0x...``, or the ``repr`` of a value that is not an int."""
    return f"{value:#x}" if isinstance(value, int) else repr(value)


class AdapterState(enum.Enum):
    """Miniport adapter lifecycle."""

    INITIALIZING = "initializing"
    RUNNING = "running"
    HALTING = "halting"
    HALTED = "halted"


#: ``MiniportSharedMemoryAllocateComplete(VirtualAddress, LogicalAddress, Length, Context)``.
SharedMemAllocateComplete = Callable[[int | None, int | None, int, Any], None]


@dataclass(frozen=True, kw_only=True)
class NdisSgDmaDescription:
    """NDIS_SG_DMA_DESCRIPTION: what the miniport registers for scatter/gather DMA.

    Without ``NDIS_SG_DMA_64_BIT_ADDRESS`` in ``flags`` the NIC is taken to be a
    32-bit device and its shared memory gets logical addresses below 4 GiB.
    """

    flags: int = NDIS_SG_DMA_64_BIT_ADDRESS
    maximum_physical_mapping: int = 0x1_0000
    process_sg_list_handler: Callable[..., Any] | None = None
    shared_mem_allocate_complete_handler: SharedMemAllocateComplete | None = None


NDIS_SG_DMA_DESCRIPTION = NdisSgDmaDescription


@dataclass(frozen=True, kw_only=True)
class NdisPacket:
    """A packet descriptor from a packet pool."""

    id: int
    pool_id: int
    site: str
    protocol_reserved: bytearray = field(default_factory=bytearray, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class NdisBuffer:
    """A buffer descriptor (MDL) naming ``length`` bytes at kernel VA ``va``."""

    id: int
    pool_id: int
    va: int
    length: int
    site: str
