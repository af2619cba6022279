"""Scatter/gather DMA registration and shared memory, synchronous and asynchronous.

NdisMAllocateSharedMemory runs during initialization after
NdisMRegisterScatterGatherDma; NdisMAllocateSharedMemoryAsyncEx returns
NDIS_STATUS_PENDING and the adapter's MiniportSharedMemoryAllocateComplete
runs later (``Completions``), at DISPATCH_LEVEL with the adapter current.
``Cached`` is ignored on the coherent platform; on the noncoherent one
``Cached=False`` draws from the noncached pool.  Frees must match exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymodel.errors import (
    AddressPairMismatch,
    ArgumentViolation,
    DmaNotRegistered,
    DoubleFree,
    InvalidHandle,
    LimitViolation,
    OutOfMemory,
    StateViolation,
    UnknownAddress,
    WrongCachedFlag,
    WrongLength,
)
from pymodel.ndis.adapter import DmaHandle, MiniportAdapter, PendingAllocation
from pymodel.ndis.allocations import Freed, SharedMemory
from pymodel.ndis.completions import Completions
from pymodel.ndis.defs import (
    DISPATCH_LEVEL,
    NDIS_STATUS_FAILURE,
    NDIS_STATUS_PENDING,
    NDIS_STATUS_RESOURCES,
    NDIS_STATUS_SUCCESS,
    PASSIVE_LEVEL,
    AdapterState,
    NdisSgDmaDescription,
    NdisStatus,
    address_text,
)
from pymodel.ndis.kernel import Kernel
from pymodel.ndis.memory import MemoryAllocator, NoncachedPool
from pymodel.records import Access

__all__ = ["SharedMemoryAllocator"]


class SharedMemoryAllocator:
    """NdisMRegister/DeregisterScatterGatherDma and NdisM*SharedMemory* of one system."""

    def __init__(
        self,
        kernel: Kernel,
        *,
        noncached: NoncachedPool,
        completions: Completions,
        memory: MemoryAllocator,
        adapters: Sequence[MiniportAdapter],
    ) -> None:
        self._k = kernel
        self._noncached = noncached
        self._completions = completions
        self._memory = memory
        self._adapters = adapters

    def _check_adapter(self, adapter: object, api: str, site: str) -> bool:
        if self._k.owns(adapter):
            return True
        self._k.rules.violate(
            InvalidHandle,
            f"{api}: MiniportAdapterHandle must be an adapter of this system, not {adapter!r}",
            api=api,
            site=site,
        )
        return False

    def _check_handle(self, handle: object, api: str, name: str, site: str) -> bool:
        if isinstance(handle, DmaHandle) and self._k.owns(handle.adapter):
            return True
        self._k.rules.violate(
            InvalidHandle,
            f"{api}: {name} must be a handle from NdisMRegisterScatterGatherDma, not {handle!r}",
            api=api,
            site=site,
        )
        return False

    def _check_initializing(self, adapter: MiniportAdapter, api: str, site: str) -> bool:
        if adapter.state is AdapterState.INITIALIZING:
            return True
        self._k.rules.violate(
            StateViolation,
            f"{api} can be called only from MiniportInitializeEx; "
            f"adapter {adapter.name!r} is {adapter.state.name}",
            api=api,
            site=site,
        )
        return False

    # ------------------------------------------------------------ registration
    def register_sg_dma(
        self, adapter: MiniportAdapter, description: NdisSgDmaDescription, site: str
    ) -> tuple[NdisStatus, DmaHandle | None]:
        """NdisMRegisterScatterGatherDma."""
        k = self._k
        api = "NdisMRegisterScatterGatherDma"
        fail = (NDIS_STATUS_FAILURE, None)
        if not self._check_adapter(adapter, api, site):
            return fail
        if not isinstance(description, NdisSgDmaDescription):
            k.rules.violate(
                ArgumentViolation,
                f"{api}: DmaDescription must be an NDIS_SG_DMA_DESCRIPTION, not {description!r}",
                api=api,
                site=site,
            )
            return fail
        if not self._check_initializing(adapter, api, site):
            return fail
        if not k.context.irql_at_most(PASSIVE_LEVEL, api, site):
            return fail
        registered = adapter.resources.registered
        if registered is not None:
            k.rules.violate(
                StateViolation,
                f"{api}: adapter {adapter.name!r} already registered scatter/gather DMA at "
                f"{registered.site}",
                api=api,
                site=site,
            )
            return fail
        if k.inject(api, site):
            return (NDIS_STATUS_RESOURCES, None)
        k.host.clock.tick()
        handle = DmaHandle(
            adapter=adapter,
            description=description,
            site=site,
            time=k.host.now,
            seq=k.host.seq,
        )
        adapter.resources.register(handle)
        return (NDIS_STATUS_SUCCESS, handle)

    def deregister_sg_dma(self, handle: DmaHandle, site: str) -> None:
        """NdisMDeregisterScatterGatherDma."""
        k = self._k
        api = "NdisMDeregisterScatterGatherDma"
        if not self._check_handle(handle, api, "NdisMiniportDmaHandle", site):
            return
        if handle.deregistered is not None:
            k.rules.violate(
                InvalidHandle,
                f"{api}: the handle was already deregistered at {handle.deregistered}",
                api=api,
                site=site,
            )
            return
        adapter = handle.adapter
        if adapter.state not in (AdapterState.INITIALIZING, AdapterState.HALTING):
            k.rules.violate(
                StateViolation,
                f"{api} can be called only from MiniportHaltEx or a failing MiniportInitializeEx; "
                f"adapter {adapter.name!r} is {adapter.state.name}",
                api=api,
                site=site,
            )
            return
        if not k.context.irql_at_most(PASSIVE_LEVEL, api, site):
            return
        k.host.clock.tick()
        handle.deregistered = Freed(time=k.host.now, seq=k.host.seq, site=site)

    # --------------------------------------------------------------- allocation
    def _check_limit(self, adapter: MiniportAdapter, length: int, api: str, site: str) -> bool:
        limit = adapter.shared_memory_limit
        if limit is None or adapter.shared_bytes + length <= limit:
            return True
        self._k.rules.violate(
            LimitViolation,
            f"{api} of {length} bytes would exceed adapter {adapter.name!r} shared-memory limit "
            f"of {limit} bytes ({adapter.shared_bytes} bytes outstanding)",
            api=api,
            site=site,
        )
        return False

    def _allocate(
        self,
        adapter: MiniportAdapter,
        length: int,
        cached: bool,
        api: str,
        site: str,
        dma: DmaHandle,
    ) -> SharedMemory | None:
        """Allocate device-visible memory; None when resources are short."""
        host = self._k.host
        use_cache = True if host.cache.coherent else bool(cached)  # x86/x64: Cached is ignored
        if not use_cache and not self._noncached.has_room(length):
            return None
        try:
            a = host.alloc(
                length,
                cached=use_cache,
                device_access=Access.READ_WRITE,
                owner=f"{adapter.name} {api} #{adapter.resources.next_number()}",
                site=site,
                dma32=not dma.dma64,
            )
        except OutOfMemory:
            return None
        if not use_cache:
            self._noncached.take(length)
        assert a.la is not None
        record = SharedMemory(
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
        adapter.resources.add_shared(record)
        return record

    def allocate(
        self, adapter: MiniportAdapter, length: int, cached: bool, site: str
    ) -> tuple[int | None, int | None]:
        """NdisMAllocateSharedMemory: ``(va, la)`` or ``(None, None)``."""
        k = self._k
        api = "NdisMAllocateSharedMemory"
        fail: tuple[int | None, int | None] = (None, None)
        if not self._check_adapter(adapter, api, site) or not k.rules.check_length(
            length, api, site
        ):
            return fail
        if not self._check_initializing(adapter, api, site):
            return fail
        if not k.context.irql_at_most(PASSIVE_LEVEL, api, site):
            return fail
        dma = adapter.resources.registered
        if dma is None:
            k.rules.violate(
                DmaNotRegistered,
                f"{api} needs NdisMRegisterScatterGatherDma first; adapter {adapter.name!r} "
                f"has no scatter/gather DMA registered",
                api=api,
                site=site,
            )
            return fail
        if not self._check_limit(adapter, length, api, site):
            return fail
        if k.inject(api, site):
            return fail
        record = self._allocate(adapter, length, cached, api, site, dma)
        return fail if record is None else (record.va, record.la)

    def allocate_async(
        self, dma: DmaHandle, length: int, cached: bool, context: Any, site: str
    ) -> NdisStatus:
        """NdisMAllocateSharedMemoryAsyncEx: PENDING (completion queued) or FAILURE."""
        k = self._k
        api = "NdisMAllocateSharedMemoryAsyncEx"
        if not self._check_handle(dma, api, "MiniportDmaHandle", site):
            return NDIS_STATUS_FAILURE
        adapter = dma.adapter
        if not k.context.irql_at_most(DISPATCH_LEVEL, api, site):
            return NDIS_STATUS_FAILURE
        if dma.deregistered is not None:
            k.rules.violate(
                InvalidHandle,
                f"{api}: the scatter/gather DMA handle was deregistered at {dma.deregistered}",
                api=api,
                site=site,
            )
            return NDIS_STATUS_FAILURE
        if adapter.state not in (AdapterState.INITIALIZING, AdapterState.RUNNING):
            k.rules.violate(
                StateViolation,
                f"{api} can be called only while the adapter is initializing or running; "
                f"adapter {adapter.name!r} is {adapter.state.name}",
                api=api,
                site=site,
            )
            return NDIS_STATUS_FAILURE
        if not adapter.bus_master:
            k.rules.violate(
                StateViolation,
                f"{api} can be called only for a bus-master NIC; adapter {adapter.name!r} "
                f"is not a bus master",
                api=api,
                site=site,
            )
            return NDIS_STATUS_FAILURE
        if dma.description.shared_mem_allocate_complete_handler is None:
            k.rules.violate(
                StateViolation,
                f"{api} needs a MiniportSharedMemoryAllocateComplete handler; adapter "
                f"{adapter.name!r} registered scatter/gather DMA without "
                f"shared_mem_allocate_complete_handler",
                api=api,
                site=site,
            )
            return NDIS_STATUS_FAILURE
        if not k.rules.check_length(length, api, site):
            return NDIS_STATUS_FAILURE
        if not self._check_limit(adapter, length, api, site):
            return NDIS_STATUS_FAILURE
        fail = k.inject(api, site)
        if fail and k.injector.config.async_failure == "immediate":
            return NDIS_STATUS_FAILURE
        k.host.clock.tick()
        request = PendingAllocation(
            id=k.next_id(),
            adapter=adapter,
            dma=dma,
            length=length,
            cached=bool(cached),
            context=context,
            site=site,
            time=k.host.now,
            seq=k.host.seq,
            due=self._completions.due_time(k.host.now),
            fail=fail,
        )
        adapter.resources.add_request(request)
        self._completions.schedule(request)
        return NDIS_STATUS_PENDING

    def complete(self, request: PendingAllocation) -> None:
        """Allocate for a due request and call the adapter's completion handler.

        The handler runs at DISPATCH_LEVEL with the adapter current and gets
        ``None`` addresses when the allocation failed.
        """
        va = la = None
        if not request.fail:
            record = self._allocate(
                request.adapter,
                request.length,
                request.cached,
                "NdisMAllocateSharedMemoryAsyncEx",
                request.site,
                request.dma,
            )
            if record is not None:
                va, la = record.va, record.la
        handler = request.dma.description.shared_mem_allocate_complete_handler
        assert handler is not None
        with self._k.system.calling(request.adapter, irql=DISPATCH_LEVEL):
            handler(va, la, request.length, request.context)

    # -------------------------------------------------------------------- free
    def free(
        self, adapter: MiniportAdapter, length: int, cached: bool, va: int, la: int, site: str
    ) -> None:
        """NdisMFreeSharedMemory: must match an outstanding allocation exactly."""
        k = self._k
        api = "NdisMFreeSharedMemory"
        if not self._check_adapter(adapter, api, site):
            return
        if not k.context.irql_at_most(PASSIVE_LEVEL, api, site):
            return
        if adapter.state is AdapterState.HALTED:
            k.rules.violate(
                StateViolation,
                f"{api}: adapter {adapter.name!r} is already HALTED; free shared memory in "
                f"MiniportHaltEx at the latest",
                api=api,
                site=site,
            )
            return
        record = adapter.resources.shared_at(va)
        if record is None:
            self._free_unknown(adapter, va, la, api, site)
            return
        if la != record.la:
            k.rules.violate(
                AddressPairMismatch,
                f"{api}: VirtualAddress {va:#x} was allocated with PhysicalAddress "
                f"{record.la:#x}, not {address_text(la)}",
                api=api,
                site=site,
            )
            return
        if length != record.length:
            k.rules.violate(
                WrongLength,
                f"{api}: Length must be {record.length}, the length allocated at {record.site}, "
                f"not {length}",
                api=api,
                site=site,
            )
            return
        if bool(cached) != record.cached:
            k.rules.violate(
                WrongCachedFlag,
                f"{api}: Cached must be {record.cached}, as allocated at {record.site}, "
                f"not {bool(cached)}",
                api=api,
                site=site,
            )
            return
        k.host.free(va, site=site)
        if not record.allocation.cached:
            self._noncached.give_back(record.length)
        adapter.resources.free_shared(va, Freed(time=k.host.now, seq=k.host.seq, site=site))

    def _free_unknown(
        self, adapter: MiniportAdapter, va: int, la: int, api: str, site: str
    ) -> None:
        rules = self._k.rules
        freed = adapter.resources.freed_at(va)
        if freed is not None:
            record, when = freed
            rules.violate(
                DoubleFree,
                f"{api}: VirtualAddress {va:#x} was already freed at {when}; "
                f"it was allocated at {record.site}",
                api=api,
                site=site,
            )
            return
        other = adapter.resources.shared_with_la(la)
        if other is not None:
            rules.violate(
                AddressPairMismatch,
                f"{api}: PhysicalAddress {la:#x} belongs to the allocation at VirtualAddress "
                f"{other.va:#x}, not {address_text(va)}",
                api=api,
                site=site,
            )
            return
        for a in self._adapters:
            if a is not adapter and a.resources.shared_at(va) is not None:
                rules.violate(
                    UnknownAddress,
                    f"{api}: VirtualAddress {va:#x} is shared memory of adapter {a.name!r}, "
                    f"not of adapter {adapter.name!r}",
                    api=api,
                    site=site,
                )
                return
        block = self._memory.block_at(va)
        hint = ""
        if block is not None:
            hint = f" (it comes from {block.api}: free it with NdisFreeMemory)"
        rules.violate(
            UnknownAddress,
            f"{api}: VirtualAddress {address_text(va)} is not an outstanding shared-memory "
            f"allocation of adapter {adapter.name!r}{hint}",
            api=api,
            site=site,
        )
