"""Host shared-memory model for a bus-master DMA NIC: memory, IOMMU, cache, NDIS.

Pure Python and numpy (no cocotb): ``Host`` is what a test bench's bus models
talk to; ``pymodel.ndis`` is what a driver model calls.  See ``README.md``.
"""

from __future__ import annotations

from pymodel.cache import Cache, CoherenceEvent, CoherenceKind, LineState, Platform
from pymodel.clock import Clock
from pymodel.errors import (
    AddressPairMismatch,
    ArgumentViolation,
    CoherenceError,
    ConfigError,
    CpuFault,
    DmaNotRegistered,
    DoubleFree,
    FrameError,
    FreeMismatch,
    InvalidHandle,
    IrqlViolation,
    LeakError,
    LimitViolation,
    NdisViolation,
    NoCurrentSystem,
    OutOfMemory,
    PoolInUse,
    PyModelError,
    StateViolation,
    TranslationFault,
    UnknownAddress,
    WrongCachedFlag,
    WrongLength,
)
from pymodel.faultinject import FaultInjection, InjectedFailure
from pymodel.host import KERNEL_VA_BASE, AccessKind, Allocation, Host, HostAccess
from pymodel.iommu import (
    DEFAULT_LOGICAL_BASE,
    Access,
    FaultReason,
    FaultRecord,
    Iommu,
    Mapping,
    PhysSpan,
)
from pymodel.memory import DEFAULT_MEMORY_SIZE, FILL_TAG, PAGE_SIZE, PhysicalMemory, fill_pattern
from pymodel.ndis import (
    AdapterState,
    MiniportAdapter,
    NdisSgDmaDescription,
    NdisStatus,
    NdisSystem,
    current_system,
)
from pymodel.records import Leak

__all__ = [
    "DEFAULT_LOGICAL_BASE",
    "DEFAULT_MEMORY_SIZE",
    "FILL_TAG",
    "KERNEL_VA_BASE",
    "PAGE_SIZE",
    "Access",
    "AccessKind",
    "AdapterState",
    "AddressPairMismatch",
    "Allocation",
    "ArgumentViolation",
    "Cache",
    "Clock",
    "CoherenceError",
    "CoherenceEvent",
    "CoherenceKind",
    "ConfigError",
    "CpuFault",
    "DmaNotRegistered",
    "DoubleFree",
    "FaultInjection",
    "FaultReason",
    "FaultRecord",
    "FrameError",
    "FreeMismatch",
    "Host",
    "HostAccess",
    "InjectedFailure",
    "InvalidHandle",
    "Iommu",
    "IrqlViolation",
    "Leak",
    "LeakError",
    "LimitViolation",
    "LineState",
    "Mapping",
    "MiniportAdapter",
    "NdisSgDmaDescription",
    "NdisStatus",
    "NdisSystem",
    "NdisViolation",
    "NoCurrentSystem",
    "OutOfMemory",
    "PhysSpan",
    "PhysicalMemory",
    "Platform",
    "PoolInUse",
    "PyModelError",
    "StateViolation",
    "TranslationFault",
    "UnknownAddress",
    "WrongCachedFlag",
    "WrongLength",
    "current_system",
    "fill_pattern",
]
