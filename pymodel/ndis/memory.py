"""NdisAllocateMemory(WithTag) and NdisFreeMemory, and the scarce noncached pool.

``NDIS_MEMORY_CONTIGUOUS`` asks for physically contiguous pages and
``NDIS_MEMORY_NONCACHED`` for uncached ones; with either flag the call is
allowed only at PASSIVE_LEVEL while the current adapter initializes.
Noncached memory, from here or from NdisMAllocateSharedMemory on the
noncoherent platform, comes out of ``NoncachedPool``: whole pages, fixed size.
"""

from __future__ import annotations

from collections.abc import Sequence

from pymodel.errors import (
    ArgumentViolation,
    DoubleFree,
    OutOfMemory,
    StateViolation,
    UnknownAddress,
    WrongCachedFlag,
    WrongLength,
)
from pymodel.ndis.adapter import MiniportAdapter
from pymodel.ndis.allocations import Freed, MemoryBlock
from pymodel.ndis.defs import (
    DISPATCH_LEVEL,
    NDIS_MEMORY_CONTIGUOUS,
    NDIS_MEMORY_NONCACHED,
    NDIS_STATUS_FAILURE,
    NDIS_STATUS_SUCCESS,
    PASSIVE_LEVEL,
    AdapterState,
    NdisStatus,
    address_text,
    flags_name,
)
from pymodel.ndis.kernel import Kernel
from pymodel.records import Leak

__all__ = ["MemoryAllocator", "NoncachedPool"]


class NoncachedPool:
    """The pool noncached memory comes from, counted in whole pages."""

    def __init__(self, *, capacity: int, page_size: int) -> None:
        #: Bytes the pool holds.
        self.capacity = capacity
        #: Bytes taken by outstanding allocations.
        self.in_use = 0
        self._page_size = page_size

    def _pages_bytes(self, length: int) -> int:
        return -(-length // self._page_size) * self._page_size

    def has_room(self, length: int) -> bool:
        """True when the pages for ``length`` bytes are free."""
        return self.in_use + self._pages_bytes(length) <= self.capacity

    def take(self, length: int) -> None:
        """Take the pages of a new ``length``-byte allocation."""
        self.in_use += self._pages_bytes(length)

    def give_back(self, length: int) -> None:
        """Give back the pages of a freed ``length``-byte allocation."""
        self.in_use -= self._pages_bytes(length)


class MemoryAllocator:
    """NdisAllocateMemory(WithTag) / NdisFreeMemory of one system."""

    def __init__(
        self, kernel: Kernel, noncached: NoncachedPool, adapters: Sequence[MiniportAdapter]
    ) -> None:
        self._k = kernel
        self._noncached = noncached
        self._adapters = adapters
        self._blocks: dict[int, MemoryBlock] = {}
        self._freed: dict[int, tuple[MemoryBlock, Freed]] = {}

    def block_at(self, va: int) -> MemoryBlock | None:
        """The outstanding allocation at ``va``."""
        return self._blocks.get(va)

    def leaks_of(self, adapter: MiniportAdapter | None) -> list[Leak]:
        """A leak for each block allocated in ``adapter``'s context (None: no adapter's)."""
        name = adapter.name if adapter is not None else None
        return [
            Leak(api=b.api, size=b.length, site=b.site, time=b.time, seq=b.seq, va=b.va)
            for b in self._blocks.values()
            if b.adapter == name
        ]

    def allocate(
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
        k = self._k
        fail = (NDIS_STATUS_FAILURE, None)
        if not k.rules.check_length(length, api, site):
            return fail
        if not isinstance(memory_flags, int) or memory_flags & ~(
            NDIS_MEMORY_CONTIGUOUS | NDIS_MEMORY_NONCACHED
        ):
            k.rules.violate(
                ArgumentViolation,
                f"{api}: MemoryFlags must be 0, NDIS_MEMORY_CONTIGUOUS and/or "
                f"NDIS_MEMORY_NONCACHED, not {memory_flags!r}",
                api=api,
                site=site,
            )
            return fail
        if not k.context.irql_at_most(DISPATCH_LEVEL, api, site):
            return fail
        adapter = k.context.adapter
        if memory_flags:
            what = f" with {flags_name(memory_flags)}"
            during = what + " during initialization"
            if not k.context.irql_at_most(PASSIVE_LEVEL, api, site, during):
                return fail
            if adapter is None or adapter.state is not AdapterState.INITIALIZING:
                now = (
                    "no adapter is initializing in the current calling context"
                    if adapter is None
                    else f"adapter {adapter.name!r} is {adapter.state.name}"
                )
                k.rules.violate(
                    StateViolation,
                    f"{api}{what} can be called only during initialization "
                    f"(MiniportInitializeEx); {now}",
                    api=api,
                    site=site,
                )
                return fail
        if not isinstance(highest_acceptable_address, int):
            k.rules.violate(
                ArgumentViolation,
                f"{api}: HighestAcceptableAddress must be -1 or a physical address, "
                f"not {highest_acceptable_address!r}",
                api=api,
                site=site,
            )
            return fail
        if k.inject(api, site):
            return fail
        noncached = bool(memory_flags & NDIS_MEMORY_NONCACHED)
        noncached_length = length if noncached else 0
        if not self._noncached.has_room(noncached_length):
            return fail
        try:
            a = k.host.alloc(
                length,
                cached=not noncached,
                contiguous=bool(memory_flags & NDIS_MEMORY_CONTIGUOUS),
                max_address=highest_acceptable_address if highest_acceptable_address >= 0 else None,
                owner=f"{api} ({flags_name(memory_flags)})",
                site=site,
            )
        except OutOfMemory:
            return fail
        self._noncached.take(noncached_length)
        self._blocks[a.va] = MemoryBlock(
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

    def free(self, va: int, length: int, memory_flags: int, site: str) -> None:
        """NdisFreeMemory: must match an outstanding NdisAllocateMemory exactly."""
        k = self._k
        api = "NdisFreeMemory"
        rec = self._blocks.get(va)
        if rec is None:
            self._free_unknown(va, api, site)
            return
        limit = PASSIVE_LEVEL if rec.flags else DISPATCH_LEVEL
        what = f" for memory allocated with {flags_name(rec.flags)}" if rec.flags else ""
        if not k.context.irql_at_most(limit, api, site, what):
            return
        if length != rec.length:
            k.rules.violate(
                WrongLength,
                f"{api}: Length must be {rec.length}, the length allocated at {rec.site}, "
                f"not {length}",
                api=api,
                site=site,
            )
            return
        if memory_flags != rec.flags:
            came = flags_name(memory_flags) if isinstance(memory_flags, int) else repr(memory_flags)
            k.rules.violate(
                WrongCachedFlag,
                f"{api}: MemoryFlags must be {flags_name(rec.flags)}, as allocated at {rec.site}, "
                f"not {came}",
                api=api,
                site=site,
            )
            return
        k.host.free(va, site=site)
        if rec.flags & NDIS_MEMORY_NONCACHED:
            self._noncached.give_back(rec.length)
        del self._blocks[va]
        self._freed[va] = (rec, Freed(time=k.host.now, seq=k.host.seq, site=site))

    def _free_unknown(self, va: int, api: str, site: str) -> None:
        freed = self._freed.get(va)
        if freed is not None:
            old, when = freed
            self._k.rules.violate(
                DoubleFree,
                f"{api}: VirtualAddress {va:#x} was already freed at {when}; "
                f"it was allocated at {old.site}",
                api=api,
                site=site,
            )
            return
        hint = ""
        if any(a.resources.shared_at(va) is not None for a in self._adapters):
            hint = " (it is shared memory: free it with NdisMFreeSharedMemory)"
        self._k.rules.violate(
            UnknownAddress,
            f"{api}: VirtualAddress {address_text(va)} is not an outstanding NdisAllocateMemory "
            f"allocation{hint}",
            api=api,
            site=site,
        )
