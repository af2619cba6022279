"""The NDIS core: system, adapters, calling context, rules, pools, async completions.

``pymodel.ndis`` is the documented API on top of this.  An ``NdisSystem``
owns a ``Host``, the scarce noncached pool, the adapters, the IRQL and the
current-adapter context, failure injection and the queue of deferred
``MiniportSharedMemoryAllocateComplete`` calls.

Rules are checked on every call.  In strict mode (the default) a broken rule
raises a specific ``NdisViolation``; in permissive mode the call returns the
documented failure value and the violation is appended to ``violations``.
Resource shortage is never a violation: it returns the failure value.

Calling context: functions that take no adapter (NdisAllocateMemory,
NdisAllocatePacketPool, KeRaiseIrql, ...) use the current system, made
current by ``system.make_current()`` or for a block by
``with system.calling(adapter, irql=...)``.  ``adapter.initialize()`` and
``adapter.halt()`` are context managers for MiniportInitializeEx and
MiniportHaltEx; deferred completions run at DISPATCH_LEVEL with their adapter
current.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pymodel.errors import (
    AddressPairMismatch,
    ArgumentViolation,
    ConfigError,
    DmaNotRegistered,
    DoubleFree,
    InvalidHandle,
    IrqlViolation,
    LeakError,
    LimitViolation,
    NdisViolation,
    NoCurrentSystem,
    OutOfMemory,
    PoolInUse,
    StateViolation,
    UnknownAddress,
    WrongCachedFlag,
    WrongLength,
)
from pymodel.faultinject import FaultInjection, FaultInjector
from pymodel.host import Allocation, Host
from pymodel.iommu import Access
from pymodel.ndis_types import (
    DISPATCH_LEVEL,
    NDIS_MEMORY_CONTIGUOUS,
    NDIS_MEMORY_NONCACHED,
    NDIS_SG_DMA_64_BIT_ADDRESS,
    NDIS_STATUS_FAILURE,
    NDIS_STATUS_PENDING,
    NDIS_STATUS_RESOURCES,
    NDIS_STATUS_SUCCESS,
    PASSIVE_LEVEL,
    AdapterState,
    Leak,
    NdisBuffer,
    NdisPacket,
    NdisSgDmaDescription,
    NdisStatus,
    flags_name,
    irql_name,
)
from pymodel.site import caller_site

__all__ = [
    "BufferPool",
    "DmaHandle",
    "Freed",
    "MemoryBlock",
    "MiniportAdapter",
    "NdisSystem",
    "PacketPool",
    "PendingAllocation",
    "SharedMemory",
    "current_system",
]

_stack: list[NdisSystem] = []
_default: list[NdisSystem] = []

V = TypeVar("V", bound=NdisViolation)


def current_system() -> NdisSystem:
    """The system NDIS functions without an adapter argument act on."""
    if _stack:
        return _stack[-1]
    if _default:
        return _default[0]
    raise NoCurrentSystem(
        "no current NdisSystem: call system.make_current() or use 'with system.calling(...)'"
    )


def _when(time: int, seq: int) -> str:
    return f"t={time} ns (op #{seq})"


# ----------------------------------------------------------------- records
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
        return f"{_when(self.time, self.seq)} from {self.site}"


@dataclass(frozen=True, kw_only=True)
class PendingAllocation:
    """An NdisMAllocateSharedMemoryAsyncEx request whose completion is still queued."""

    id: int
    adapter: MiniportAdapter = field(repr=False)
    dma: DmaHandle = field(repr=False)
    length: int
    cached: bool
    context: Any
    site: str
    time: int
    seq: int
    due: int
    fail: bool


class DmaHandle:
    """NDIS_HANDLE returned by NdisMRegisterScatterGatherDma."""

    def __init__(
        self,
        *,
        adapter: MiniportAdapter,
        description: NdisSgDmaDescription,
        site: str,
        time: int,
        seq: int,
    ) -> None:
        self.adapter = adapter
        self.description = description
        self.site = site
        self.time = time
        self.seq = seq
        self.deregistered: Freed | None = None

    @property
    def dma64(self) -> bool:
        """True when the NIC declared 64-bit addressing."""
        return bool(self.description.flags & NDIS_SG_DMA_64_BIT_ADDRESS)

    def __repr__(self) -> str:
        state = "deregistered" if self.deregistered else "registered"
        return f"<DmaHandle of {self.adapter.name!r}, {state}>"


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


# ----------------------------------------------------------------- adapter
class MiniportAdapter:
    """MiniportAdapterHandle: one NIC's lifecycle, DMA registration and allocations."""

    def __init__(
        self, system: NdisSystem, *, name: str, bus_master: bool, shared_memory_limit: int | None
    ) -> None:
        self.system = system
        self.name = name
        self.bus_master = bus_master
        self.shared_memory_limit = shared_memory_limit
        self.state = AdapterState.INITIALIZING
        self.dma: DmaHandle | None = None
        self._shared: dict[int, SharedMemory] = {}
        self._freed_shared: dict[int, tuple[SharedMemory, Freed]] = {}
        self._in_flight: dict[int, PendingAllocation] = {}
        #: Leaks found when the adapter halted or failed initialization.
        self.leaks: tuple[Leak, ...] = ()

    def __repr__(self) -> str:
        return f"<MiniportAdapter {self.name!r} {self.state.name}>"

    @property
    def shared_memory(self) -> tuple[SharedMemory, ...]:
        """Outstanding shared-memory allocations, oldest first."""
        return tuple(self._shared.values())

    @property
    def shared_bytes(self) -> int:
        """Bytes of outstanding shared memory plus requests still in flight."""
        return sum(r.length for r in self._shared.values()) + sum(
            p.length for p in self._in_flight.values()
        )

    @property
    def in_flight(self) -> tuple[PendingAllocation, ...]:
        """NdisMAllocateSharedMemoryAsyncEx requests not yet completed."""
        return tuple(self._in_flight.values())

    # ------------------------------------------------------------ lifecycle
    @contextmanager
    def initialize(self) -> Iterator[MiniportAdapter]:
        """Run the block as MiniportInitializeEx (PASSIVE_LEVEL, this adapter current).

        Leaving the block normally completes initialization (RUNNING) unless
        the block called ``initialize_complete`` itself; an exception fails
        initialization (leaks are recorded, the exception propagates).
        """
        with self.system.calling(self, irql=PASSIVE_LEVEL):
            try:
                yield self
            except BaseException:
                if self.state is AdapterState.INITIALIZING:
                    self.system._finish_adapter(self, failed=True, quiet=True)
                raise
        if self.state is AdapterState.INITIALIZING:
            self.initialize_complete(NDIS_STATUS_SUCCESS)

    def initialize_complete(self, status: int = NDIS_STATUS_SUCCESS) -> None:
        """MiniportInitializeEx returned ``status``: RUNNING, or failed (leak check)."""
        if self.state is not AdapterState.INITIALIZING:
            self.system._violate(
                StateViolation,
                f"MiniportInitializeEx can complete only for an initializing adapter; "
                f"adapter {self.name!r} is {self.state.name}",
                api="MiniportInitializeEx",
            )
            return
        if status == NDIS_STATUS_SUCCESS:
            self.state = AdapterState.RUNNING
        else:
            self.system._finish_adapter(self, failed=True)

    @contextmanager
    def halt(self) -> Iterator[MiniportAdapter]:
        """Run the block as MiniportHaltEx; at its end the adapter is HALTED (leak check)."""
        self.begin_halt()
        with self.system.calling(self, irql=PASSIVE_LEVEL):
            try:
                yield self
            except BaseException:
                self.system._finish_adapter(self, failed=False, quiet=True)
                raise
        self.end_halt()

    def begin_halt(self) -> None:
        """MiniportHaltEx is called: RUNNING -> HALTING."""
        if self.state is not AdapterState.RUNNING:
            self.system._violate(
                StateViolation,
                f"MiniportHaltEx can be called only for a running adapter; "
                f"adapter {self.name!r} is {self.state.name}",
                api="MiniportHaltEx",
            )
            return
        self.state = AdapterState.HALTING

    def end_halt(self) -> None:
        """MiniportHaltEx returned: HALTED; every outstanding allocation is a leak."""
        if self.state is not AdapterState.HALTING:
            self.system._violate(
                StateViolation,
                f"MiniportHaltEx can return only for a halting adapter; "
                f"adapter {self.name!r} is {self.state.name}",
                api="MiniportHaltEx",
            )
            return
        self.system._finish_adapter(self, failed=False)


# ------------------------------------------------------------------ system
class NdisSystem:
    """One machine's NDIS: host, adapters, IRQL, rules, injection, deferred completions."""

    def __init__(
        self,
        *,
        host: Host | None = None,
        strict: bool = True,
        processor_count: int = 4,
        noncached_pool_bytes: int = 2 << 20,
        fault_injection: FaultInjection | None = None,
        async_delay_ns: tuple[int, int] = (1_000, 20_000),
        seed: int = 0,
    ) -> None:
        if processor_count < 1:
            raise ConfigError(f"processor_count must be >= 1, not {processor_count}")
        if not 0 <= async_delay_ns[0] <= async_delay_ns[1]:
            raise ConfigError(
                f"async_delay_ns must be (min, max) with 0 <= min <= max, not {async_delay_ns}"
            )
        self.host = host if host is not None else Host(seed=seed)
        self.strict = strict
        self.processor_count = processor_count
        self.noncached_pool_bytes = noncached_pool_bytes
        self.noncached_in_use = 0
        self.async_delay_ns = async_delay_ns
        self.injector = FaultInjector(fault_injection)
        self._rng = random.Random(f"pymodel-ndis-{seed}")
        self._irql = PASSIVE_LEVEL
        self._adapters_ctx: list[MiniportAdapter | None] = [None]
        self.adapters: list[MiniportAdapter] = []
        self._memory: dict[int, MemoryBlock] = {}
        self._freed_memory: dict[int, tuple[MemoryBlock, Freed]] = {}
        self._pools: dict[int, _Pool] = {}
        self._queue: list[tuple[int, int]] = []
        self._pending: dict[int, PendingAllocation] = {}
        self._ids = 0
        #: Every violation found (also the ones raised in strict mode).
        self.violations: list[NdisViolation] = []

    # -------------------------------------------------------------- context
    def make_current(self) -> None:
        """Make this the system NDIS functions without an adapter argument use."""
        _default[:] = [self]

    @contextmanager
    def calling(
        self, adapter: MiniportAdapter | None = None, *, irql: int | None = None
    ) -> Iterator[NdisSystem]:
        """Run the block as this system's driver code for ``adapter`` at ``irql``."""
        _stack.append(self)
        self._adapters_ctx.append(adapter)
        old = self._irql
        if irql is not None:
            self._irql = irql
        try:
            yield self
        finally:
            self._irql = old
            self._adapters_ctx.pop()
            _stack.pop()

    @contextmanager
    def at_irql(self, irql: int) -> Iterator[int]:
        """Run the block at ``irql`` (raise or lower), restoring the old IRQL after."""
        old = self._irql
        self._irql = irql
        try:
            yield old
        finally:
            self._irql = old

    @property
    def irql(self) -> int:
        """Current IRQL."""
        return self._irql

    @property
    def current_adapter(self) -> MiniportAdapter | None:
        """Adapter whose driver code is running (None outside any adapter context)."""
        return self._adapters_ctx[-1]

    def raise_irql(self, new_irql: int) -> int:
        """KeRaiseIrql: returns the old IRQL."""
        old = self._irql
        if new_irql < old:
            self._violate(
                IrqlViolation,
                f"KeRaiseIrql needs a new IRQL >= the current {irql_name(old)}, "
                f"not {irql_name(new_irql)}",
                api="KeRaiseIrql",
            )
            return old
        self._irql = new_irql
        return old

    def lower_irql(self, new_irql: int) -> None:
        """KeLowerIrql back to ``new_irql``."""
        if new_irql > self._irql:
            self._violate(
                IrqlViolation,
                f"KeLowerIrql needs a new IRQL <= the current {irql_name(self._irql)}, "
                f"not {irql_name(new_irql)}",
                api="KeLowerIrql",
            )
            return
        self._irql = new_irql

    # ---------------------------------------------------------------- rules
    def _violate(self, cls: type[V], message: str, *, api: str, site: str | None = None) -> None:
        """Record a violation; raise it in strict mode."""
        site = site if site is not None else caller_site()
        exc = cls(f"{message} (at {site})", api=api)
        self.violations.append(exc)
        if self.strict:
            raise exc

    def _irql_at_most(self, limit: int, api: str, site: str, what: str = "") -> bool:
        if self._irql <= limit:
            return True
        bound = "at PASSIVE_LEVEL" if limit == PASSIVE_LEVEL else f"at IRQL <= {irql_name(limit)}"
        self._violate(
            IrqlViolation,
            f"{api}{what} must be called {bound}, not {irql_name(self._irql)}",
            api=api,
            site=site,
        )
        return False

    def _check_adapter(self, adapter: object, api: str, site: str) -> bool:
        if isinstance(adapter, MiniportAdapter) and adapter.system is self:
            return True
        self._violate(
            InvalidHandle,
            f"{api}: MiniportAdapterHandle must be an adapter of this system, not {adapter!r}",
            api=api,
            site=site,
        )
        return False

    def _check_length(self, length: object, api: str, site: str, name: str = "Length") -> bool:
        if isinstance(length, int) and not isinstance(length, bool) and 0 < length <= 0xFFFF_FFFF:
            return True
        self._violate(
            ArgumentViolation,
            f"{api}: {name} must be a positive 32-bit integer, not {length!r}",
            api=api,
            site=site,
        )
        return False

    def _inject(self, api: str, site: str) -> bool:
        return self.injector.should_fail(api, site=site, time=self.host.now, seq=self.host.seq)

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    # ------------------------------------------------------------- adapters
    def add_adapter(
        self,
        *,
        name: str | None = None,
        bus_master: bool = True,
        shared_memory_limit: int | None = None,
    ) -> MiniportAdapter:
        """A new adapter in INITIALIZING state (MiniportInitializeEx is about to run)."""
        if shared_memory_limit is not None and shared_memory_limit <= 0:
            raise ConfigError(
                f"shared_memory_limit must be positive or None, not {shared_memory_limit}"
            )
        adapter = MiniportAdapter(
            self,
            name=name or f"nic{len(self.adapters)}",
            bus_master=bus_master,
            shared_memory_limit=shared_memory_limit,
        )
        self.adapters.append(adapter)
        return adapter

    def _finish_adapter(
        self, adapter: MiniportAdapter, *, failed: bool, quiet: bool = False
    ) -> None:
        """Adapter ends (halt or failed init): HALTED, in-flight requests cancelled, leaks reported."""
        leaks = self.leaks_of(adapter)
        for p in adapter.in_flight:
            self._pending.pop(p.id, None)
        adapter._in_flight.clear()
        adapter.state = AdapterState.HALTED
        adapter.leaks = leaks
        if not leaks:
            return
        api = "MiniportInitializeEx" if failed else "MiniportHaltEx"
        when = "failed initialization" if failed else "halted"
        must = (
            "MiniportInitializeEx must release everything it allocated before failing"
            if failed
            else "MiniportHaltEx must free everything"
        )
        lines = "\n".join(f"  - {leak}" for leak in leaks)
        noun = "allocation" if len(leaks) == 1 else "allocations"
        exc = LeakError(
            f"adapter {adapter.name!r} {when} with {len(leaks)} outstanding {noun} ({must}):\n{lines}",
            api=api,
            leaks=leaks,
        )
        self.violations.append(exc)
        if self.strict and not quiet:
            raise exc

    def leaks_of(self, adapter: MiniportAdapter | None) -> tuple[Leak, ...]:
        """Everything ``adapter`` (None: the driver itself) still holds, oldest first."""
        leaks: list[Leak] = []
        if adapter is not None:
            if adapter.dma is not None and adapter.dma.deregistered is None:
                d = adapter.dma
                leaks.append(
                    Leak(
                        api="NdisMRegisterScatterGatherDma",
                        size=0,
                        site=d.site,
                        time=d.time,
                        seq=d.seq,
                        detail="scatter/gather DMA still registered",
                    )
                )
            for r in adapter._shared.values():
                leaks.append(
                    Leak(
                        api=r.api,
                        size=r.length,
                        site=r.site,
                        time=r.time,
                        seq=r.seq,
                        va=r.va,
                        la=r.la,
                    )
                )
            for p in adapter._in_flight.values():
                leaks.append(
                    Leak(
                        api="NdisMAllocateSharedMemoryAsyncEx",
                        size=p.length,
                        site=p.site,
                        time=p.time,
                        seq=p.seq,
                        detail=f"still in flight (due at t={p.due} ns)",
                    )
                )
        name = adapter.name if adapter is not None else None
        for b in self._memory.values():
            if b.adapter == name:
                leaks.append(
                    Leak(api=b.api, size=b.length, site=b.site, time=b.time, seq=b.seq, va=b.va)
                )
        for pool in self._pools.values():
            if pool.owner is adapter and pool.freed is None:
                leaks.append(
                    Leak(
                        api=f"NdisAllocate{pool.kind.capitalize()}Pool",
                        size=0,
                        site=pool.site,
                        time=pool.time,
                        seq=pool.seq,
                        detail=f"{pool.kind} pool of {pool.capacity} descriptors, "
                        f"{len(pool.outstanding)} still allocated",
                    )
                )
        leaks.sort(key=lambda leak: leak.seq)
        return tuple(leaks)

    def unload(self) -> None:
        """DriverUnload: what the driver allocated outside any adapter must be freed."""
        leaks = self.leaks_of(None)
        if not leaks:
            return
        lines = "\n".join(f"  - {leak}" for leak in leaks)
        exc = LeakError(
            f"driver unloaded with {len(leaks)} outstanding allocation(s) made outside any "
            f"adapter:\n{lines}",
            api="DriverUnload",
            leaks=leaks,
        )
        self.violations.append(exc)
        if self.strict:
            raise exc

    # -------------------------------------------------------------- time
    def advance_to(self, now_ns: int) -> None:
        """Move model time to ``now_ns``, delivering every completion due by then in order."""
        if now_ns < self.host.now:
            raise ConfigError(
                f"time must not go backwards: now is {self.host.now} ns, not {now_ns} ns"
            )
        while self._queue and self._queue[0][0] <= now_ns:
            due, rid = heapq.heappop(self._queue)
            req = self._pending.pop(rid, None)
            if req is None:
                continue  # cancelled (adapter halted)
            self.host.now = max(self.host.now, due)
            self._complete(req)
        self.host.now = now_ns

    def poll(self) -> None:
        """Deliver the completions already due at the host's current time."""
        self.advance_to(self.host.now)

    def run_until_idle(self) -> None:
        """Advance time until every queued completion has been delivered."""
        while self._pending:
            self.advance_to(max(self.host.now, max(p.due for p in self._pending.values())))

    @property
    def pending_completions(self) -> tuple[PendingAllocation, ...]:
        """Queued async completions, earliest first."""
        return tuple(sorted(self._pending.values(), key=lambda p: (p.due, p.id)))

    def _complete(self, req: PendingAllocation) -> None:
        adapter = req.adapter
        adapter._in_flight.pop(req.id, None)
        va = la = None
        if not req.fail:
            rec = self._allocate_shared(
                adapter,
                req.length,
                req.cached,
                "NdisMAllocateSharedMemoryAsyncEx",
                req.site,
                req.dma,
            )
            if rec is not None:
                va, la = rec.va, rec.la
        handler = req.dma.description.shared_mem_allocate_complete_handler
        assert handler is not None
        with self.calling(adapter, irql=DISPATCH_LEVEL):
            handler(va, la, req.length, req.context)

    # ------------------------------------------------------- scatter/gather
    def register_sg_dma(
        self, adapter: MiniportAdapter, description: NdisSgDmaDescription, site: str
    ) -> tuple[NdisStatus, DmaHandle | None]:
        """NdisMRegisterScatterGatherDma."""
        api = "NdisMRegisterScatterGatherDma"
        fail = (NDIS_STATUS_FAILURE, None)
        if not self._check_adapter(adapter, api, site):
            return fail
        if not isinstance(description, NdisSgDmaDescription):
            self._violate(
                ArgumentViolation,
                f"{api}: DmaDescription must be an NDIS_SG_DMA_DESCRIPTION, not {description!r}",
                api=api,
                site=site,
            )
            return fail
        if adapter.state is not AdapterState.INITIALIZING:
            self._violate(
                StateViolation,
                f"{api} can be called only from MiniportInitializeEx; "
                f"adapter {adapter.name!r} is {adapter.state.name}",
                api=api,
                site=site,
            )
            return fail
        if not self._irql_at_most(PASSIVE_LEVEL, api, site):
            return fail
        if adapter.dma is not None and adapter.dma.deregistered is None:
            self._violate(
                StateViolation,
                f"{api}: adapter {adapter.name!r} already registered scatter/gather DMA at "
                f"{adapter.dma.site}",
                api=api,
                site=site,
            )
            return fail
        if self._inject(api, site):
            return (NDIS_STATUS_RESOURCES, None)
        self.host.clock.tick()
        handle = DmaHandle(
            adapter=adapter,
            description=description,
            site=site,
            time=self.host.now,
            seq=self.host.seq,
        )
        adapter.dma = handle
        return (NDIS_STATUS_SUCCESS, handle)

    def deregister_sg_dma(self, handle: DmaHandle, site: str) -> None:
        """NdisMDeregisterScatterGatherDma."""
        api = "NdisMDeregisterScatterGatherDma"
        if not isinstance(handle, DmaHandle) or handle.adapter.system is not self:
            self._violate(
                InvalidHandle,
                f"{api}: NdisMiniportDmaHandle must be a handle from NdisMRegisterScatterGatherDma, "
                f"not {handle!r}",
                api=api,
                site=site,
            )
            return
        if handle.deregistered is not None:
            self._violate(
                InvalidHandle,
                f"{api}: the handle was already deregistered at {handle.deregistered}",
                api=api,
                site=site,
            )
            return
        adapter = handle.adapter
        if adapter.state not in (AdapterState.INITIALIZING, AdapterState.HALTING):
            self._violate(
                StateViolation,
                f"{api} can be called only from MiniportHaltEx or a failing MiniportInitializeEx; "
                f"adapter {adapter.name!r} is {adapter.state.name}",
                api=api,
                site=site,
            )
            return
        if not self._irql_at_most(PASSIVE_LEVEL, api, site):
            return
        self.host.clock.tick()
        handle.deregistered = Freed(time=self.host.now, seq=self.host.seq, site=site)

    # --------------------------------------------------------- shared memory
    def _check_limit(self, adapter: MiniportAdapter, length: int, api: str, site: str) -> bool:
        limit = adapter.shared_memory_limit
        if limit is None or adapter.shared_bytes + length <= limit:
            return True
        self._violate(
            LimitViolation,
            f"{api} of {length} bytes would exceed adapter {adapter.name!r} shared-memory limit "
            f"of {limit} bytes ({adapter.shared_bytes} bytes outstanding)",
            api=api,
            site=site,
        )
        return False

    def _allocate_shared(
        self,
        adapter: MiniportAdapter,
        length: int,
        cached: bool,
        api: str,
        site: str,
        dma: DmaHandle,
    ) -> SharedMemory | None:
        """Allocate device-visible memory; None when resources are short."""
        coherent = self.host.cache.coherent
        use_cache = True if coherent else bool(cached)  # x86/x64: Cached is ignored
        pool_bytes = 0
        if not use_cache:
            pool_bytes = -(-length // self.host.page_size) * self.host.page_size
            if self.noncached_in_use + pool_bytes > self.noncached_pool_bytes:
                return None
        try:
            a = self.host.alloc(
                length,
                cached=use_cache,
                device_access=Access.READ_WRITE,
                owner=f"{adapter.name} {api} #{len(adapter._shared) + len(adapter._freed_shared) + 1}",
                site=site,
                dma32=not dma.dma64,
            )
        except OutOfMemory:
            return None
        self.noncached_in_use += pool_bytes
        assert a.la is not None
        rec = SharedMemory(
            va=a.va,
            la=a.la,
            length=length,
            cached=bool(cached),
            api=api,
            site=site,
            time=a.time,
            seq=a.seq,
            allocation=a,
        )
        adapter._shared[a.va] = rec
        return rec

    def allocate_shared_memory(
        self, adapter: MiniportAdapter, length: int, cached: bool, site: str
    ) -> tuple[int | None, int | None]:
        """NdisMAllocateSharedMemory: ``(va, la)`` or ``(None, None)``."""
        api = "NdisMAllocateSharedMemory"
        fail: tuple[int | None, int | None] = (None, None)
        if not self._check_adapter(adapter, api, site) or not self._check_length(length, api, site):
            return fail
        if adapter.state is not AdapterState.INITIALIZING:
            self._violate(
                StateViolation,
                f"{api} can be called only from MiniportInitializeEx; "
                f"adapter {adapter.name!r} is {adapter.state.name}",
                api=api,
                site=site,
            )
            return fail
        if not self._irql_at_most(PASSIVE_LEVEL, api, site):
            return fail
        if adapter.dma is None or adapter.dma.deregistered is not None:
            self._violate(
                DmaNotRegistered,
                f"{api} needs NdisMRegisterScatterGatherDma first; adapter {adapter.name!r} "
                f"has no scatter/gather DMA registered",
                api=api,
                site=site,
            )
            return fail
        if not self._check_limit(adapter, length, api, site):
            return fail
        if self._inject(api, site):
            return fail
        rec = self._allocate_shared(adapter, length, cached, api, site, adapter.dma)
        return fail if rec is None else (rec.va, rec.la)

    def allocate_shared_memory_async(
        self, dma: DmaHandle, length: int, cached: bool, context: Any, site: str
    ) -> NdisStatus:
        """NdisMAllocateSharedMemoryAsyncEx: PENDING (completion queued) or FAILURE."""
        api = "NdisMAllocateSharedMemoryAsyncEx"
        if not isinstance(dma, DmaHandle) or dma.adapter.system is not self:
            self._violate(
                InvalidHandle,
                f"{api}: MiniportDmaHandle must be a handle from NdisMRegisterScatterGatherDma, "
                f"not {dma!r}",
                api=api,
                site=site,
            )
            return NDIS_STATUS_FAILURE
        adapter = dma.adapter
        if not self._irql_at_most(DISPATCH_LEVEL, api, site):
            return NDIS_STATUS_FAILURE
        if dma.deregistered is not None:
            self._violate(
                InvalidHandle,
                f"{api}: the scatter/gather DMA handle was deregistered at {dma.deregistered}",
                api=api,
                site=site,
            )
            return NDIS_STATUS_FAILURE
        if adapter.state not in (AdapterState.INITIALIZING, AdapterState.RUNNING):
            self._violate(
                StateViolation,
                f"{api} can be called only while the adapter is initializing or running; "
                f"adapter {adapter.name!r} is {adapter.state.name}",
                api=api,
                site=site,
            )
            return NDIS_STATUS_FAILURE
        if not adapter.bus_master:
            self._violate(
                StateViolation,
                f"{api} can be called only for a bus-master NIC; adapter {adapter.name!r} "
                f"is not a bus master",
                api=api,
                site=site,
            )
            return NDIS_STATUS_FAILURE
        if dma.description.shared_mem_allocate_complete_handler is None:
            self._violate(
                StateViolation,
                f"{api} needs a MiniportSharedMemoryAllocateComplete handler; adapter "
                f"{adapter.name!r} registered scatter/gather DMA without "
                f"shared_mem_allocate_complete_handler",
                api=api,
                site=site,
            )
            return NDIS_STATUS_FAILURE
        if not self._check_length(length, api, site):
            return NDIS_STATUS_FAILURE
        if not self._check_limit(adapter, length, api, site):
            return NDIS_STATUS_FAILURE
        fail = self._inject(api, site)
        if fail and self.injector.config.async_failure == "immediate":
            return NDIS_STATUS_FAILURE
        self.host.clock.tick()
        lo, hi = self.async_delay_ns
        req = PendingAllocation(
            id=self._next_id(),
            adapter=adapter,
            dma=dma,
            length=length,
            cached=bool(cached),
            context=context,
            site=site,
            time=self.host.now,
            seq=self.host.seq,
            due=self.host.now + self._rng.randint(lo, hi),
            fail=fail,
        )
        adapter._in_flight[req.id] = req
        self._pending[req.id] = req
        heapq.heappush(self._queue, (req.due, req.id))
        return NDIS_STATUS_PENDING

    def free_shared_memory(
        self, adapter: MiniportAdapter, length: int, cached: bool, va: int, la: int, site: str
    ) -> None:
        """NdisMFreeSharedMemory: must match an outstanding allocation exactly."""
        api = "NdisMFreeSharedMemory"
        if not self._check_adapter(adapter, api, site):
            return
        if not self._irql_at_most(PASSIVE_LEVEL, api, site):
            return
        if adapter.state is AdapterState.HALTED:
            self._violate(
                StateViolation,
                f"{api}: adapter {adapter.name!r} is already HALTED; free shared memory in "
                f"MiniportHaltEx at the latest",
                api=api,
                site=site,
            )
            return
        rec = adapter._shared.get(va)
        if rec is None:
            self._free_shared_unknown(adapter, va, la, api, site)
            return
        if la != rec.la:
            self._violate(
                AddressPairMismatch,
                f"{api}: VirtualAddress {va:#x} was allocated with PhysicalAddress {rec.la:#x}, "
                f"not {_hex(la)}",
                api=api,
                site=site,
            )
            return
        if length != rec.length:
            self._violate(
                WrongLength,
                f"{api}: Length must be {rec.length}, the length allocated at {rec.site}, "
                f"not {length}",
                api=api,
                site=site,
            )
            return
        if bool(cached) != rec.cached:
            self._violate(
                WrongCachedFlag,
                f"{api}: Cached must be {rec.cached}, as allocated at {rec.site}, not {bool(cached)}",
                api=api,
                site=site,
            )
            return
        self.host.free(va, site=site)
        if not rec.allocation.cached:
            self.noncached_in_use -= rec.allocation.pages * self.host.page_size
        del adapter._shared[va]
        adapter._freed_shared[va] = (rec, Freed(time=self.host.now, seq=self.host.seq, site=site))

    def _free_shared_unknown(
        self, adapter: MiniportAdapter, va: int, la: int, api: str, site: str
    ) -> None:
        freed = adapter._freed_shared.get(va)
        if freed is not None:
            rec, when = freed
            self._violate(
                DoubleFree,
                f"{api}: VirtualAddress {va:#x} was already freed at {when}; "
                f"it was allocated at {rec.site}",
                api=api,
                site=site,
            )
            return
        for other in adapter._shared.values():
            if other.la == la:
                self._violate(
                    AddressPairMismatch,
                    f"{api}: PhysicalAddress {la:#x} belongs to the allocation at VirtualAddress "
                    f"{other.va:#x}, not {_hex(va)}",
                    api=api,
                    site=site,
                )
                return
        for a in self.adapters:
            if a is not adapter and va in a._shared:
                self._violate(
                    UnknownAddress,
                    f"{api}: VirtualAddress {va:#x} is shared memory of adapter {a.name!r}, "
                    f"not of adapter {adapter.name!r}",
                    api=api,
                    site=site,
                )
                return
        hint = ""
        if va in self._memory:
            hint = f" (it comes from {self._memory[va].api}: free it with NdisFreeMemory)"
        self._violate(
            UnknownAddress,
            f"{api}: VirtualAddress {_hex(va)} is not an outstanding shared-memory allocation "
            f"of adapter {adapter.name!r}{hint}",
            api=api,
            site=site,
        )

    # ------------------------------------------------------ NdisAllocateMemory
    def allocate_memory(
        self,
        length: int,
        memory_flags: int,
        highest_acceptable_address: int,
        site: str,
        *,
        api: str = "NdisAllocateMemory",
        tag: int | str | None = None,
    ) -> tuple[NdisStatus, int | None]:
        """NdisAllocateMemory / NdisAllocateMemoryWithTag: ``(status, va)``."""
        fail = (NDIS_STATUS_FAILURE, None)
        if not self._check_length(length, api, site):
            return fail
        if not isinstance(memory_flags, int) or memory_flags & ~(
            NDIS_MEMORY_CONTIGUOUS | NDIS_MEMORY_NONCACHED
        ):
            self._violate(
                ArgumentViolation,
                f"{api}: MemoryFlags must be 0, NDIS_MEMORY_CONTIGUOUS and/or "
                f"NDIS_MEMORY_NONCACHED, not {memory_flags!r}",
                api=api,
                site=site,
            )
            return fail
        if not self._irql_at_most(DISPATCH_LEVEL, api, site):
            return fail
        adapter = self.current_adapter
        if memory_flags:
            what = f" with {flags_name(memory_flags)}"
            if not self._irql_at_most(PASSIVE_LEVEL, api, site, what + " during initialization"):
                return fail
            if adapter is None or adapter.state is not AdapterState.INITIALIZING:
                now = (
                    "no adapter is initializing in the current calling context"
                    if adapter is None
                    else f"adapter {adapter.name!r} is {adapter.state.name}"
                )
                self._violate(
                    StateViolation,
                    f"{api}{what} can be called only during initialization (MiniportInitializeEx); "
                    f"{now}",
                    api=api,
                    site=site,
                )
                return fail
        if not isinstance(highest_acceptable_address, int):
            self._violate(
                ArgumentViolation,
                f"{api}: HighestAcceptableAddress must be -1 or a physical address, "
                f"not {highest_acceptable_address!r}",
                api=api,
                site=site,
            )
            return fail
        if self._inject(api, site):
            return fail
        noncached = bool(memory_flags & NDIS_MEMORY_NONCACHED)
        pool_bytes = -(-length // self.host.page_size) * self.host.page_size if noncached else 0
        if self.noncached_in_use + pool_bytes > self.noncached_pool_bytes:
            return fail
        try:
            a = self.host.alloc(
                length,
                cached=not noncached,
                contiguous=bool(memory_flags & NDIS_MEMORY_CONTIGUOUS),
                max_address=highest_acceptable_address if highest_acceptable_address >= 0 else None,
                owner=f"{api} ({flags_name(memory_flags)})",
                site=site,
            )
        except OutOfMemory:
            return fail
        self.noncached_in_use += pool_bytes
        self._memory[a.va] = MemoryBlock(
            va=a.va,
            length=length,
            flags=memory_flags,
            tag=tag,
            api=api,
            site=site,
            time=a.time,
            seq=a.seq,
            adapter=adapter.name if adapter is not None else None,
            allocation=a,
        )
        return (NDIS_STATUS_SUCCESS, a.va)

    def free_memory(self, va: int, length: int, memory_flags: int, site: str) -> None:
        """NdisFreeMemory: must match an outstanding NdisAllocateMemory exactly."""
        api = "NdisFreeMemory"
        rec = self._memory.get(va)
        if rec is None:
            freed = self._freed_memory.get(va)
            if freed is not None:
                old, when = freed
                self._violate(
                    DoubleFree,
                    f"{api}: VirtualAddress {va:#x} was already freed at {when}; "
                    f"it was allocated at {old.site}",
                    api=api,
                    site=site,
                )
                return
            hint = ""
            for a in self.adapters:
                if va in a._shared:
                    hint = " (it is shared memory: free it with NdisMFreeSharedMemory)"
            self._violate(
                UnknownAddress,
                f"{api}: VirtualAddress {_hex(va)} is not an outstanding NdisAllocateMemory "
                f"allocation{hint}",
                api=api,
                site=site,
            )
            return
        limit = PASSIVE_LEVEL if rec.flags else DISPATCH_LEVEL
        what = f" for memory allocated with {flags_name(rec.flags)}" if rec.flags else ""
        if not self._irql_at_most(limit, api, site, what):
            return
        if length != rec.length:
            self._violate(
                WrongLength,
                f"{api}: Length must be {rec.length}, the length allocated at {rec.site}, "
                f"not {length}",
                api=api,
                site=site,
            )
            return
        if memory_flags != rec.flags:
            came = flags_name(memory_flags) if isinstance(memory_flags, int) else repr(memory_flags)
            self._violate(
                WrongCachedFlag,
                f"{api}: MemoryFlags must be {flags_name(rec.flags)}, as allocated at {rec.site}, "
                f"not {came}",
                api=api,
                site=site,
            )
            return
        self.host.free(va, site=site)
        if rec.flags & NDIS_MEMORY_NONCACHED:
            self.noncached_in_use -= rec.allocation.pages * self.host.page_size
        del self._memory[va]
        self._freed_memory[va] = (rec, Freed(time=self.host.now, seq=self.host.seq, site=site))

    # ----------------------------------------------------------------- pools
    def _new_pool(
        self, cls: type[_Pool], api: str, count: int, site: str, **kw: Any
    ) -> _Pool | None:
        if not self._check_length(count, api, site, "NumberOfDescriptors"):
            return None
        if not self._irql_at_most(DISPATCH_LEVEL, api, site):
            return None
        if self._inject(api, site):
            return None
        seq = self.host.clock.tick()
        pool = cls(
            id=self._next_id(),
            capacity=count,
            owner=self.current_adapter,
            site=site,
            time=self.host.now,
            seq=seq,
            **kw,
        )
        self._pools[pool.id] = pool
        return pool

    def _check_pool(self, pool: object, cls: type[_Pool], api: str, site: str) -> bool:
        if not isinstance(pool, cls) or self._pools.get(pool.id) is not pool:
            self._violate(
                InvalidHandle,
                f"{api}: PoolHandle must be a {cls.kind} pool handle of this system, not {pool!r}",
                api=api,
                site=site,
            )
            return False
        if pool.freed is not None:
            self._violate(
                InvalidHandle,
                f"{api}: the {cls.kind} pool was freed at {pool.freed}",
                api=api,
                site=site,
            )
            return False
        return True

    def _free_pool(self, pool: object, cls: type[_Pool], api: str, site: str) -> None:
        if isinstance(pool, cls) and pool.freed is not None and self._pools.get(pool.id) is pool:
            self._violate(
                DoubleFree,
                f"{api}: the {cls.kind} pool was already freed at {pool.freed}",
                api=api,
                site=site,
            )
            return
        if not self._check_pool(pool, cls, api, site):
            return
        assert isinstance(pool, _Pool)
        if not self._irql_at_most(DISPATCH_LEVEL, api, site):
            return
        if pool.outstanding:
            sites = ", ".join(d.site for d in list(pool.outstanding.values())[:5])
            more = ", ..." if len(pool.outstanding) > 5 else ""
            self._violate(
                PoolInUse,
                f"{api}: {len(pool.outstanding)} {cls.kind} descriptor(s) from this pool are "
                f"still allocated (at {sites}{more}); free them first",
                api=api,
                site=site,
            )
            return
        self.host.clock.tick()
        pool.freed = Freed(time=self.host.now, seq=self.host.seq, site=site)

    def _free_descriptor(
        self, desc: NdisPacket | NdisBuffer, cls: type[_Pool], api: str, site: str
    ) -> None:
        expected = NdisPacket if cls is PacketPool else NdisBuffer
        pool = self._pools.get(desc.pool_id) if isinstance(desc, expected) else None
        if pool is None:
            self._violate(
                InvalidHandle,
                f"{api}: expected a {cls.kind} descriptor of this system, not {desc!r}",
                api=api,
                site=site,
            )
            return
        if not self._irql_at_most(DISPATCH_LEVEL, api, site):
            return
        if desc.id in pool.freed_descriptors:
            self._violate(
                DoubleFree,
                f"{api}: {cls.kind} descriptor #{desc.id} was already freed at "
                f"{pool.freed_descriptors[desc.id]}; it was allocated at {desc.site}",
                api=api,
                site=site,
            )
            return
        del pool.outstanding[desc.id]
        self.host.clock.tick()
        pool.freed_descriptors[desc.id] = Freed(time=self.host.now, seq=self.host.seq, site=site)

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
        assert isinstance(pool, PacketPool)
        return (NDIS_STATUS_SUCCESS, pool)

    def allocate_packet(self, pool: PacketPool, site: str) -> tuple[NdisStatus, NdisPacket | None]:
        """NdisAllocatePacket: ``(status, packet)``; RESOURCES when the pool is empty."""
        api = "NdisAllocatePacket"
        if not self._check_pool(pool, PacketPool, api, site):
            return (NDIS_STATUS_FAILURE, None)
        if not self._irql_at_most(DISPATCH_LEVEL, api, site):
            return (NDIS_STATUS_FAILURE, None)
        if len(pool.outstanding) >= pool.capacity or self._inject(api, site):
            return (NDIS_STATUS_RESOURCES, None)
        pkt = NdisPacket(
            id=self._next_id(),
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

    def allocate_buffer_pool(
        self, number_of_descriptors: int, site: str
    ) -> tuple[NdisStatus, BufferPool | None]:
        """NdisAllocateBufferPool: ``(status, pool)``."""
        pool = self._new_pool(BufferPool, "NdisAllocateBufferPool", number_of_descriptors, site)
        if pool is None:
            return (NDIS_STATUS_RESOURCES, None)
        assert isinstance(pool, BufferPool)
        return (NDIS_STATUS_SUCCESS, pool)

    def allocate_buffer(
        self, pool: BufferPool, va: int, length: int, site: str
    ) -> tuple[NdisStatus, NdisBuffer | None]:
        """NdisAllocateBuffer: ``(status, buffer)``; FAILURE when the pool is empty."""
        api = "NdisAllocateBuffer"
        fail = (NDIS_STATUS_FAILURE, None)
        if not self._check_pool(pool, BufferPool, api, site):
            return fail
        if not self._irql_at_most(DISPATCH_LEVEL, api, site):
            return fail
        if not self._check_length(length, api, site):
            return fail
        a = self.host.allocation_at(va) if isinstance(va, int) else None
        if a is None or not a.live or va + length > a.end:
            what = (
                "is not in any allocation"
                if a is None
                else f"lies in freed memory ({a.describe()})"
                if not a.live
                else f"runs past the end of {a.describe()}"
            )
            self._violate(
                ArgumentViolation,
                f"{api}: VirtualAddress {_hex(va)} with Length {length} must describe live "
                f"memory, but it {what}",
                api=api,
                site=site,
            )
            return fail
        if len(pool.outstanding) >= pool.capacity or self._inject(api, site):
            return fail
        buf = NdisBuffer(id=self._next_id(), pool_id=pool.id, va=va, length=length, site=site)
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
        api = "NdisFlushBuffer"
        pool = self._pools.get(buffer.pool_id) if isinstance(buffer, NdisBuffer) else None
        if pool is None or buffer.id not in pool.outstanding:
            when = (
                f" was freed at {pool.freed_descriptors[buffer.id]}"
                if pool is not None and buffer.id in pool.freed_descriptors
                else " is not a buffer descriptor of this system"
            )
            self._violate(
                InvalidHandle,
                f"{api}: Buffer {buffer!r}{when}",
                api=api,
                site=site,
            )
            return
        if not self._irql_at_most(DISPATCH_LEVEL, api, site):
            return
        self.host.flush(buffer.va, buffer.length, to_device=bool(write_to_device))


def _hex(value: object) -> str:
    return f"{value:#x}" if isinstance(value, int) else repr(value)
