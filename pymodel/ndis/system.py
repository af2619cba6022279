"""``NdisSystem``: one machine's NDIS, put together from the parts of this package.

An ``NdisSystem`` owns a ``Host``, its adapters, the calling context, the
rules, failure injection, the noncached pool and the queue of deferred
completions.  Its methods are what ``pymodel.ndis`` calls; each delegates to
the part that owns the concern:

``adapter``        adapters, their lifecycle and leak reports
``context``        which system is current; current adapter and IRQL
``rules``          the one violation path (strict: raise; permissive: record)
``shared_memory``  scatter/gather DMA and shared memory; ``completions`` for the async kind
``memory``         NdisAllocateMemory and the noncached pool
``pools``          packet and buffer pools
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pymodel.errors import ConfigError, NdisViolation, NoCurrentSystem
from pymodel.faultinject import FaultInjection, FaultInjector
from pymodel.host import Host
from pymodel.ndis.adapter import DmaHandle, MiniportAdapter, PendingAllocation, unload
from pymodel.ndis.completions import Completions
from pymodel.ndis.context import CallingContext, Current
from pymodel.ndis.defs import NdisBuffer, NdisPacket, NdisSgDmaDescription, NdisStatus
from pymodel.ndis.kernel import Kernel
from pymodel.ndis.memory import MemoryAllocator, NoncachedPool
from pymodel.ndis.pools import BufferPool, PacketPool, Pools
from pymodel.ndis.rules import Rules
from pymodel.ndis.shared_memory import SharedMemoryAllocator
from pymodel.records import Leak

__all__ = ["NdisSystem", "current_system", "use_system"]

_current: Current[NdisSystem] = Current("pymodel.ndis.current_system")


def current_system() -> NdisSystem:
    """The system NDIS functions without an adapter argument act on."""
    system = _current.get()
    if system is None:
        raise NoCurrentSystem(
            "no current NdisSystem: call system.make_current() or use 'with system.calling(...)'"
        )
    return system


@contextmanager
def use_system(system: NdisSystem | None) -> Iterator[None]:
    """Run the block with ``system`` as the current system's default (None: no system).

    The old default comes back after the block; ``system.calling`` blocks
    still override it.
    """
    with _current.default(system):
        yield


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
        self.processor_count = processor_count
        self.injector = FaultInjector(fault_injection)
        self.adapters: list[MiniportAdapter] = []
        self._rules = Rules(strict=strict)
        self._context = CallingContext(self._rules)
        kernel = Kernel(
            system=self,
            host=self.host,
            rules=self._rules,
            context=self._context,
            injector=self.injector,
        )
        self._noncached = NoncachedPool(
            capacity=noncached_pool_bytes, page_size=self.host.page_size
        )
        self._completions = Completions(adapters=self.adapters, delay_ns=async_delay_ns, seed=seed)
        self._memory = MemoryAllocator(kernel, self._noncached, self.adapters)
        self._shared = SharedMemoryAllocator(
            kernel,
            noncached=self._noncached,
            completions=self._completions,
            memory=self._memory,
            adapters=self.adapters,
        )
        self._pools = Pools(kernel)

    # ---------------------------------------------------------------- settings
    @property
    def rules(self) -> Rules:
        """Where violations go: ``strict`` and the list of ``violations``."""
        return self._rules

    @property
    def strict(self) -> bool:
        """Strict mode raises violations; permissive mode only records them."""
        return self._rules.strict

    @strict.setter
    def strict(self, value: bool) -> None:
        self._rules.strict = value

    @property
    def violations(self) -> list[NdisViolation]:
        """Every violation found (also the ones raised in strict mode)."""
        return self._rules.violations

    @property
    def noncached_pool_bytes(self) -> int:
        """Size of the noncached pool."""
        return self._noncached.capacity

    @noncached_pool_bytes.setter
    def noncached_pool_bytes(self, value: int) -> None:
        self._noncached.capacity = value

    @property
    def noncached_in_use(self) -> int:
        """Bytes of the noncached pool taken by outstanding allocations."""
        return self._noncached.in_use

    @property
    def async_delay_ns(self) -> tuple[int, int]:
        """``(min, max)`` delay of an async completion."""
        return self._completions.delay_ns

    @async_delay_ns.setter
    def async_delay_ns(self, value: tuple[int, int]) -> None:
        self._completions.delay_ns = value

    # ----------------------------------------------------------------- context
    def make_current(self) -> None:
        """Make this the system NDIS functions without an adapter argument use."""
        _current.set_default(self)

    @contextmanager
    def calling(
        self, adapter: MiniportAdapter | None = None, *, irql: int | None = None
    ) -> Iterator[NdisSystem]:
        """Run the block as this system's driver code for ``adapter`` at ``irql``."""
        with _current.entered(self), self._context.entered(adapter, irql):
            yield self

    @contextmanager
    def at_irql(self, irql: int) -> Iterator[int]:
        """Run the block at ``irql`` (raise or lower), restoring the old IRQL after."""
        with self._context.at_irql(irql) as old:
            yield old

    @property
    def irql(self) -> int:
        """Current IRQL."""
        return self._context.irql

    @property
    def current_adapter(self) -> MiniportAdapter | None:
        """Adapter whose driver code is running (None outside any adapter context)."""
        return self._context.adapter

    def raise_irql(self, new_irql: int) -> int:
        """KeRaiseIrql: returns the old IRQL."""
        return self._context.raise_irql(new_irql)

    def lower_irql(self, new_irql: int) -> None:
        """KeLowerIrql back to ``new_irql``."""
        self._context.lower_irql(new_irql)

    # ---------------------------------------------------------------- adapters
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

    def leaks_of(self, adapter: MiniportAdapter | None) -> tuple[Leak, ...]:
        """Everything ``adapter`` (None: the driver itself) still holds, oldest first."""
        leaks = adapter.resources.leaks() if adapter is not None else []
        leaks += self._memory.leaks_of(adapter)
        leaks += self._pools.leaks_of(adapter)
        leaks.sort(key=lambda leak: leak.seq)
        return tuple(leaks)

    def unload(self) -> None:
        """DriverUnload: what the driver allocated outside any adapter must be freed."""
        unload(self)

    # -------------------------------------------------------------------- time
    def advance_to(self, now_ns: int) -> None:
        """Move model time to ``now_ns``, delivering every completion due by then in order."""
        if now_ns < self.host.now:
            raise ConfigError(
                f"time must not go backwards: now is {self.host.now} ns, not {now_ns} ns"
            )
        for request in self._completions.due(now_ns):
            self.host.now = max(self.host.now, request.due)
            self._shared.complete(request)
        self.host.now = now_ns

    def poll(self) -> None:
        """Deliver the completions already due at the host's current time."""
        self.advance_to(self.host.now)

    def run_until_idle(self) -> None:
        """Advance time until every queued completion has been delivered."""
        while pending := self._completions.pending:
            self.advance_to(max(self.host.now, max(p.due for p in pending)))

    @property
    def pending_completions(self) -> tuple[PendingAllocation, ...]:
        """Queued async completions, earliest first."""
        return self._completions.pending

    # ----------------------------------------------------- scatter/gather DMA
    def register_sg_dma(
        self, adapter: MiniportAdapter, description: NdisSgDmaDescription, site: str
    ) -> tuple[NdisStatus, DmaHandle | None]:
        """NdisMRegisterScatterGatherDma."""
        return self._shared.register_sg_dma(adapter, description, site)

    def deregister_sg_dma(self, handle: DmaHandle, site: str) -> None:
        """NdisMDeregisterScatterGatherDma."""
        self._shared.deregister_sg_dma(handle, site)

    # ----------------------------------------------------------- shared memory
    def allocate_shared_memory(
        self, adapter: MiniportAdapter, length: int, cached: bool, site: str
    ) -> tuple[int | None, int | None]:
        """NdisMAllocateSharedMemory: ``(va, la)`` or ``(None, None)``."""
        return self._shared.allocate(adapter, length, cached, site)

    def allocate_shared_memory_async(
        self, dma: DmaHandle, length: int, cached: bool, context: Any, site: str
    ) -> NdisStatus:
        """NdisMAllocateSharedMemoryAsyncEx: PENDING (completion queued) or FAILURE."""
        return self._shared.allocate_async(dma, length, cached, context, site)

    def free_shared_memory(
        self, adapter: MiniportAdapter, length: int, cached: bool, va: int, la: int, site: str
    ) -> None:
        """NdisMFreeSharedMemory: must match an outstanding allocation exactly."""
        self._shared.free(adapter, length, cached, va, la, site)

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
        return self._memory.allocate(
            length, memory_flags, highest_acceptable_address, site, api=api, tag=tag
        )

    def free_memory(self, va: int, length: int, memory_flags: int, site: str) -> None:
        """NdisFreeMemory: must match an outstanding NdisAllocateMemory exactly."""
        self._memory.free(va, length, memory_flags, site)

    # ------------------------------------------------------------------- pools
    def allocate_packet_pool(
        self, number_of_descriptors: int, protocol_reserved_length: int, site: str
    ) -> tuple[NdisStatus, PacketPool | None]:
        """NdisAllocatePacketPool: ``(status, pool)``."""
        return self._pools.allocate_packet_pool(
            number_of_descriptors, protocol_reserved_length, site
        )

    def allocate_packet(self, pool: PacketPool, site: str) -> tuple[NdisStatus, NdisPacket | None]:
        """NdisAllocatePacket: ``(status, packet)``; RESOURCES when the pool is empty."""
        return self._pools.allocate_packet(pool, site)

    def free_packet(self, packet: NdisPacket, site: str) -> None:
        """NdisFreePacket."""
        self._pools.free_packet(packet, site)

    def free_packet_pool(self, pool: PacketPool, site: str) -> None:
        """NdisFreePacketPool: every packet must be back."""
        self._pools.free_packet_pool(pool, site)

    def allocate_buffer_pool(
        self, number_of_descriptors: int, site: str
    ) -> tuple[NdisStatus, BufferPool | None]:
        """NdisAllocateBufferPool: ``(status, pool)``."""
        return self._pools.allocate_buffer_pool(number_of_descriptors, site)

    def allocate_buffer(
        self, pool: BufferPool, va: int, length: int, site: str
    ) -> tuple[NdisStatus, NdisBuffer | None]:
        """NdisAllocateBuffer: ``(status, buffer)``; FAILURE when the pool is empty."""
        return self._pools.allocate_buffer(pool, va, length, site)

    def free_buffer(self, buffer: NdisBuffer, site: str) -> None:
        """NdisFreeBuffer."""
        self._pools.free_buffer(buffer, site)

    def free_buffer_pool(self, pool: BufferPool, site: str) -> None:
        """NdisFreeBufferPool: every buffer descriptor must be back."""
        self._pools.free_buffer_pool(pool, site)

    def flush_buffer(self, buffer: NdisBuffer, write_to_device: bool, site: str) -> None:
        """NdisFlushBuffer: KeFlushIoBuffers on the buffer's VA range."""
        self._pools.flush_buffer(buffer, write_to_device, site)
