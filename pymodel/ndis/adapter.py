"""A miniport adapter: its handle, its lifecycle, and what it holds from NDIS.

An adapter starts INITIALIZING (MiniportInitializeEx), runs, halts
(MiniportHaltEx) and ends HALTED.  When it ends, at the end of halt or at a
failed initialization, everything it still holds is a leak: the ``LeakError``
lists each allocation with its size and site, and requests still in flight are
cancelled.  ``unload`` does the same for what the driver allocated outside any
adapter.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from pymodel.errors import LeakError, StateViolation
from pymodel.ndis.allocations import Freed, SharedMemory
from pymodel.ndis.defs import (
    NDIS_SG_DMA_64_BIT_ADDRESS,
    NDIS_STATUS_SUCCESS,
    PASSIVE_LEVEL,
    AdapterState,
    NdisSgDmaDescription,
)
from pymodel.ndis.rules import Rules
from pymodel.records import Leak

__all__ = [
    "AdapterResources",
    "AdapterSystem",
    "DmaHandle",
    "MiniportAdapter",
    "PendingAllocation",
    "unload",
]


class AdapterSystem(Protocol):
    """What an adapter needs from the NdisSystem it belongs to."""

    @property
    def rules(self) -> Rules:
        """Where the adapter's lifecycle violations go."""
        ...

    def calling(
        self, adapter: MiniportAdapter | None = None, *, irql: int | None = None
    ) -> AbstractContextManager[object]:
        """Run a block as driver code for ``adapter`` at ``irql``."""
        ...

    def leaks_of(self, adapter: MiniportAdapter | None) -> tuple[Leak, ...]:
        """Everything ``adapter`` (None: the driver itself) still holds, oldest first."""
        ...


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


class AdapterResources:
    """What one adapter holds from NDIS: its scatter/gather DMA registration, its shared
    memory (outstanding, and freed for double-free reports) and its async requests in flight.

    The NDIS functions keep it up to date; driver code reads it through the
    adapter's properties.
    """

    def __init__(self) -> None:
        self.dma: DmaHandle | None = None
        self._shared: dict[int, SharedMemory] = {}
        self._freed: dict[int, tuple[SharedMemory, Freed]] = {}
        self._requests: dict[int, PendingAllocation] = {}

    # ------------------------------------------------------------ registration
    def register(self, handle: DmaHandle) -> None:
        """NdisMRegisterScatterGatherDma succeeded with ``handle``."""
        self.dma = handle

    @property
    def registered(self) -> DmaHandle | None:
        """The scatter/gather DMA handle, unless there is none or it was deregistered."""
        return self.dma if self.dma is not None and self.dma.deregistered is None else None

    # ----------------------------------------------------------- shared memory
    @property
    def shared(self) -> tuple[SharedMemory, ...]:
        """Outstanding shared memory, oldest first."""
        return tuple(self._shared.values())

    def shared_at(self, va: int) -> SharedMemory | None:
        """The outstanding shared memory at ``va``."""
        return self._shared.get(va)

    def shared_with_la(self, la: int) -> SharedMemory | None:
        """The outstanding shared memory whose logical address is ``la``."""
        return next((r for r in self._shared.values() if r.la == la), None)

    def freed_at(self, va: int) -> tuple[SharedMemory, Freed] | None:
        """The shared memory last freed at ``va``, and when."""
        return self._freed.get(va)

    def next_number(self) -> int:
        """Number of the next shared-memory allocation (from 1; freed ones count)."""
        return len(self._shared) + len(self._freed) + 1

    def add_shared(self, record: SharedMemory) -> None:
        """Shared memory was allocated."""
        self._shared[record.va] = record

    def free_shared(self, va: int, freed: Freed) -> None:
        """The shared memory at ``va`` was freed."""
        self._freed[va] = (self._shared.pop(va), freed)

    # ---------------------------------------------------------------- requests
    @property
    def requests(self) -> tuple[PendingAllocation, ...]:
        """NdisMAllocateSharedMemoryAsyncEx requests not yet completed."""
        return tuple(self._requests.values())

    def add_request(self, request: PendingAllocation) -> None:
        """An async request was accepted (NDIS_STATUS_PENDING)."""
        self._requests[request.id] = request

    def take_request(self, request_id: int) -> PendingAllocation | None:
        """Remove a request about to complete (None if it was cancelled)."""
        return self._requests.pop(request_id, None)

    def cancel_requests(self) -> None:
        """The adapter ended: its requests never complete."""
        self._requests.clear()

    # ------------------------------------------------------------------- totals
    @property
    def bytes(self) -> int:
        """Bytes of outstanding shared memory plus requests in flight."""
        return sum(r.length for r in self._shared.values()) + sum(
            p.length for p in self._requests.values()
        )

    def leaks(self) -> list[Leak]:
        """A leak for the registration, each shared allocation and each request."""
        leaks: list[Leak] = []
        if self.registered is not None:
            d = self.registered
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
        leaks.extend(
            Leak(api=r.api, size=r.length, site=r.site, time=r.time, seq=r.seq, va=r.va, la=r.la)
            for r in self._shared.values()
        )
        leaks.extend(
            Leak(
                api="NdisMAllocateSharedMemoryAsyncEx",
                size=p.length,
                site=p.site,
                time=p.time,
                seq=p.seq,
                detail=f"still in flight (due at t={p.due} ns)",
            )
            for p in self._requests.values()
        )
        return leaks


class MiniportAdapter:
    """MiniportAdapterHandle: one NIC's lifecycle, DMA registration and allocations."""

    def __init__(
        self,
        system: AdapterSystem,
        *,
        name: str,
        bus_master: bool,
        shared_memory_limit: int | None,
    ) -> None:
        self.system = system
        self.name = name
        self.bus_master = bus_master
        self.shared_memory_limit = shared_memory_limit
        self.state = AdapterState.INITIALIZING
        #: What the adapter holds; the NDIS functions keep it.
        self.resources = AdapterResources()
        #: Leaks found when the adapter halted or failed initialization.
        self.leaks: tuple[Leak, ...] = ()

    def __repr__(self) -> str:
        return f"<MiniportAdapter {self.name!r} {self.state.name}>"

    @property
    def dma(self) -> DmaHandle | None:
        """The handle of the last NdisMRegisterScatterGatherDma (None before it)."""
        return self.resources.dma

    @property
    def shared_memory(self) -> tuple[SharedMemory, ...]:
        """Outstanding shared-memory allocations, oldest first."""
        return self.resources.shared

    @property
    def shared_bytes(self) -> int:
        """Bytes of outstanding shared memory plus requests still in flight."""
        return self.resources.bytes

    @property
    def in_flight(self) -> tuple[PendingAllocation, ...]:
        """NdisMAllocateSharedMemoryAsyncEx requests not yet completed."""
        return self.resources.requests

    # ---------------------------------------------------------------- lifecycle
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
                    self._end(failed=True, quiet=True)
                raise
        if self.state is AdapterState.INITIALIZING:
            self.initialize_complete(NDIS_STATUS_SUCCESS)

    def initialize_complete(self, status: int = NDIS_STATUS_SUCCESS) -> None:
        """MiniportInitializeEx returned ``status``: RUNNING, or failed (leak check)."""
        if self.state is not AdapterState.INITIALIZING:
            self.system.rules.violate(
                StateViolation,
                f"MiniportInitializeEx can complete only for an initializing adapter; "
                f"adapter {self.name!r} is {self.state.name}",
                api="MiniportInitializeEx",
            )
            return
        if status == NDIS_STATUS_SUCCESS:
            self.state = AdapterState.RUNNING
        else:
            self._end(failed=True)

    @contextmanager
    def halt(self) -> Iterator[MiniportAdapter]:
        """Run the block as MiniportHaltEx; at its end the adapter is HALTED (leak check)."""
        self.begin_halt()
        with self.system.calling(self, irql=PASSIVE_LEVEL):
            try:
                yield self
            except BaseException:
                self._end(failed=False, quiet=True)
                raise
        self.end_halt()

    def begin_halt(self) -> None:
        """MiniportHaltEx is called: RUNNING -> HALTING."""
        if self.state is not AdapterState.RUNNING:
            self.system.rules.violate(
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
            self.system.rules.violate(
                StateViolation,
                f"MiniportHaltEx can return only for a halting adapter; "
                f"adapter {self.name!r} is {self.state.name}",
                api="MiniportHaltEx",
            )
            return
        self._end(failed=False)

    def _end(self, *, failed: bool, quiet: bool = False) -> None:
        """The adapter ends (halt or failed initialization): HALTED, requests cancelled,
        leaks reported (``quiet``: recorded only, another exception is on its way).
        """
        leaks = self.system.leaks_of(self)
        self.resources.cancel_requests()
        self.state = AdapterState.HALTED
        self.leaks = leaks
        if not leaks:
            return
        api = "MiniportInitializeEx" if failed else "MiniportHaltEx"
        when = "failed initialization" if failed else "halted"
        must = (
            "MiniportInitializeEx must release everything it allocated before failing"
            if failed
            else "MiniportHaltEx must free everything"
        )
        noun = "allocation" if len(leaks) == 1 else "allocations"
        self.system.rules.report(
            LeakError(
                f"adapter {self.name!r} {when} with {len(leaks)} outstanding {noun} "
                f"({must}):\n{_listed(leaks)}",
                api=api,
                leaks=leaks,
            ),
            quiet=quiet,
        )


def unload(system: AdapterSystem) -> None:
    """DriverUnload: what the driver allocated outside any adapter must be freed."""
    leaks = system.leaks_of(None)
    if not leaks:
        return
    system.rules.report(
        LeakError(
            f"driver unloaded with {len(leaks)} outstanding allocation(s) made outside any "
            f"adapter:\n{_listed(leaks)}",
            api="DriverUnload",
            leaks=leaks,
        )
    )


def _listed(leaks: tuple[Leak, ...]) -> str:
    return "\n".join(f"  - {leak}" for leak in leaks)
