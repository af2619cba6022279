"""The host: physical memory, CPU virtual addresses, IOMMU and cache in one place.

The CPU side works by kernel virtual address (``cpu_read``, ``cpu_write``,
``flush``); cached allocations go through the cache, noncached ones straight
to memory.  The device side works by logical address (``dma_read``,
``dma_write``): every access is translated by the IOMMU, then served by memory
with the cache snooped (coherent) or ignored (noncoherent).

``now`` is model time in ns, set by whoever drives time (it never goes
backwards; ``clock.follow`` takes it from a simulator); ``seq`` numbers
operations.  Functions in ``observers`` are called with a ``HostAccess`` after
every CPU or device access (and before a ``TranslationFault`` is raised), so a
test bench can watch both sides; functions in ``allocation_observers`` with
every new ``Allocation`` and with the freed record of every free.
"""

from __future__ import annotations

import enum
import random
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from pymodel.cache import Cache, Platform
from pymodel.clock import Clock
from pymodel.errors import ConfigError, CpuFault, PyModelError, TranslationFault
from pymodel.iommu import DEFAULT_LOGICAL_BASE, Access, FaultRecord, Iommu, Mapping
from pymodel.memory import DEFAULT_MEMORY_SIZE, PAGE_SIZE, FrameRuns, PhysicalMemory, as_u8
from pymodel.site import caller_site

__all__ = [
    "KERNEL_VA_BASE",
    "AccessKind",
    "Allocation",
    "Host",
    "HostAccess",
]

KERNEL_VA_BASE = 0xFFFF_C000_0000_0000

Data = bytes | bytearray | memoryview | npt.NDArray[np.generic]


class AccessKind(enum.Enum):
    """What a ``HostAccess`` was."""

    CPU_READ = "cpu_read"
    CPU_WRITE = "cpu_write"
    FLUSH = "flush"
    DMA_READ = "dma_read"
    DMA_WRITE = "dma_write"


@dataclass(frozen=True, kw_only=True)
class Allocation:
    """Host memory with a kernel VA range (and a logical range if device-visible)."""

    id: int
    va: int
    length: int
    cached: bool
    contiguous: bool
    runs: FrameRuns = field(repr=False)
    la: int | None
    owner: str
    site: str
    time: int
    seq: int
    page_size: int = field(default=PAGE_SIZE, repr=False)
    freed_time: int | None = None
    freed_seq: int | None = None
    freed_site: str | None = None

    @property
    def end(self) -> int:
        """First VA after the allocation."""
        return self.va + self.length

    @property
    def live(self) -> bool:
        """True until freed."""
        return self.freed_seq is None

    @property
    def pages(self) -> int:
        """Number of page frames behind the allocation."""
        return sum(c for _, c in self.runs)

    def phys_spans(self, offset: int, length: int) -> list[tuple[int, int]]:
        """``(phys, length)`` pieces behind ``length`` bytes at ``offset``."""
        ps = self.page_size
        out: list[tuple[int, int]] = []
        base = 0
        for first, count in self.runs:
            size = count * ps
            if offset < base + size and length > 0:
                inner = offset - base
                n = min(length, size - inner)
                out.append((first * ps + inner, n))
                offset += n
                length -= n
            base += size
            if length <= 0:
                break
        return out

    def describe(self) -> str:
        """One line naming the allocation, its range, cache mode and site."""
        mode = "cached" if self.cached else "noncached"
        text = (
            f"'{self.owner}' VA {self.va:#x}..{self.end - 1:#x} ({self.length} bytes, {mode}) "
            f"allocated at {self.site}"
        )
        if not self.live:
            text += f", freed at t={self.freed_time} ns (op #{self.freed_seq})"
            if self.freed_site:
                text += f" from {self.freed_site}"
        return text


@dataclass(frozen=True, kw_only=True)
class HostAccess:
    """One CPU or device access as observers see it."""

    kind: AccessKind
    address: int
    length: int
    time: int
    seq: int
    phys: tuple[tuple[int, int], ...] = ()
    data: bytes | None = None
    byte_enable: bytes | None = None
    to_device: bool | None = None
    allocation: Allocation | None = None
    mapping: Mapping | None = None
    fault: FaultRecord | None = None


Observer = Callable[[HostAccess], None]
AllocationObserver = Callable[[Allocation], None]


class Host:
    """Memory, CPU address space, IOMMU and cache of one machine."""

    def __init__(
        self,
        *,
        memory_size: int = DEFAULT_MEMORY_SIZE,
        page_size: int = PAGE_SIZE,
        line_size: int = 64,
        platform: Platform | str = Platform.COHERENT,
        seed: int = 0,
        fragmentation: float = 0.25,
        max_run_pages: int = 32,
        cache_capacity_lines: int | None = None,
        strict_coherence: bool = False,
        logical_base: int = DEFAULT_LOGICAL_BASE,
        va_base: int = KERNEL_VA_BASE,
    ) -> None:
        self.seed = seed
        self.clock = Clock()
        self.memory = PhysicalMemory(
            size=memory_size,
            page_size=page_size,
            fragmentation=fragmentation,
            max_run_pages=max_run_pages,
            seed=seed,
        )
        self.iommu = Iommu(clock=self.clock, page_size=page_size, base=logical_base, seed=seed)
        self.cache = Cache(
            memory=self.memory,
            clock=self.clock,
            line_size=line_size,
            platform=platform,
            capacity_lines=cache_capacity_lines,
            seed=seed,
            strict=strict_coherence,
        )
        self.page_size = page_size
        self._rng = random.Random(f"pymodel-va-{seed}")
        self._next_va = va_base + self._rng.randrange(1 << 20) * page_size
        self._ids = 0
        self._va_starts: list[int] = []
        self._allocs: dict[int, Allocation] = {}
        self._live: dict[int, Allocation] = {}
        #: Called with a ``HostAccess`` after every CPU and device access.
        self.observers: list[Observer] = []
        #: Called with each new ``Allocation`` and with the freed record (``live`` False)
        #: of each free, after the host has made the change.
        self.allocation_observers: list[AllocationObserver] = []

    # ------------------------------------------------------------------- time
    @property
    def now(self) -> int:
        """Model time in ns (never goes backwards)."""
        return self.clock.now

    @now.setter
    def now(self, value: int) -> None:
        self.clock.now = value

    @property
    def seq(self) -> int:
        """Sequence number of the latest operation."""
        return self.clock.seq

    @property
    def platform(self) -> Platform:
        """Coherent or noncoherent DMA."""
        return self.cache.platform

    @property
    def line_size(self) -> int:
        """CPU cache line size in bytes."""
        return self.cache.line_size

    # ------------------------------------------------------------ allocations
    def alloc(
        self,
        length: int,
        *,
        cached: bool,
        device_access: Access | None = None,
        contiguous: bool = False,
        max_address: int | None = None,
        dma32: bool = False,
        owner: str = "",
        site: str | None = None,
    ) -> Allocation:
        """Allocate ``length`` bytes of page-aligned memory with a fresh kernel VA.

        With ``device_access`` the memory is also mapped for the device (its
        logical address is ``la``).  Raises ``OutOfMemory`` when the frames
        cannot be found.
        """
        if length <= 0:
            raise ConfigError(f"length must be a positive integer, not {length}")
        site = site if site is not None else caller_site()
        ps = self.page_size
        pages = -(-length // ps)
        runs = self.memory.alloc_frames(pages, contiguous=contiguous, max_address=max_address)
        seq = self.clock.tick()
        la: int | None = None
        self._ids += 1
        owner = owner or f"allocation #{self._ids}"
        if device_access is not None:
            try:
                m = self.iommu.map(
                    runs, length, access=device_access, owner=owner, site=site, dma32=dma32
                )
            except PyModelError:
                self.memory.release_frames(runs)
                raise
            la = m.logical
        va = self._next_va
        self._next_va = va + (pages + 1 + int(self._rng.random() * 4)) * ps  # 1..4 guard pages
        a = Allocation(
            id=self._ids,
            va=va,
            length=length,
            cached=cached,
            contiguous=contiguous,
            runs=runs,
            la=la,
            owner=owner,
            site=site,
            time=self.clock.now,
            seq=seq,
            page_size=ps,
        )
        self._va_starts.append(va)
        self._allocs[va] = a
        self._live[va] = a
        for fn in self.allocation_observers:
            fn(a)
        return a

    def free(self, va: int, *, site: str | None = None) -> Allocation:
        """Free the live allocation starting at ``va``; return its freed record."""
        a = self._live.pop(va, None)
        if a is None:
            state = "already freed" if va in self._allocs else "not an allocation"
            raise PyModelError(f"cannot free VA {va:#x}: {state}")
        site = site if site is not None else caller_site()
        self.clock.tick()
        for first, count in a.runs:
            self.cache.purge(first * self.page_size, count * self.page_size)
        if a.la is not None:
            self.iommu.unmap(a.la, site=site)
        self.memory.release_frames(a.runs)
        # A copy with the freed fields set (dataclasses.replace is ~10x slower).
        freed = object.__new__(Allocation)
        freed.__dict__.update(a.__dict__, freed_time=self.clock.now, freed_seq=self.clock.seq)
        freed.__dict__["freed_site"] = site
        self._allocs[va] = freed
        for fn in self.allocation_observers:
            fn(freed)
        return freed

    def allocation_at(self, va: int) -> Allocation | None:
        """The allocation (live or freed) holding byte ``va``, or None."""
        i = bisect_right(self._va_starts, va) - 1
        if i < 0:
            return None
        a = self._allocs[self._va_starts[i]]
        return a if va < a.end else None

    def allocations(self) -> tuple[Allocation, ...]:
        """Every live allocation, oldest first."""
        return tuple(self._live.values())

    def va_to_phys(self, va: int) -> int:
        """Physical address of the live byte at ``va``."""
        a = self._cpu_target(va, 1, "translation")
        return a.phys_spans(va - a.va, 1)[0][0]

    # --------------------------------------------------------------- CPU side
    def _cpu_target(self, va: int, n: int, what: str) -> Allocation:
        if n <= 0:
            raise ConfigError(f"CPU {what} length must be positive, not {n}")
        a = self.allocation_at(va)
        head = f"CPU {what} of {n} bytes at VA {va:#x}"
        if a is None:
            raise CpuFault(f"{head}: not mapped{self._nearest_text(va)}")
        if not a.live:
            raise CpuFault(f"{head}: use after free of {a.describe()}")
        if va + n > a.end:
            raise CpuFault(f"{head}: runs {va + n - a.end} bytes past the end of {a.describe()}")
        return a

    def _nearest_text(self, va: int) -> str:
        best: Allocation | None = None
        for a in self._live.values():
            if best is None or min(abs(va - a.va), abs(va - a.end)) < min(
                abs(va - best.va), abs(va - best.end)
            ):
                best = a
        return f" (nearest live allocation {best.describe()})" if best else " (no live allocation)"

    def _notify(self, event: HostAccess) -> None:
        for obs in self.observers:
            obs(event)

    def cpu_read(self, va: int, length: int) -> bytes:
        """CPU load of ``length`` bytes at kernel VA ``va``."""
        a = self._cpu_target(va, length, "read")
        seq = self.clock.tick()
        spans = a.phys_spans(va - a.va, length)
        if a.cached:
            parts = [self.cache.cpu_read(p, ln) for p, ln in spans]
        else:
            parts = [self.memory.read(p, ln) for p, ln in spans]
        data = parts[0].tobytes() if len(parts) == 1 else np.concatenate(parts).tobytes()
        if self.observers:
            self._notify(
                HostAccess(
                    kind=AccessKind.CPU_READ,
                    address=va,
                    length=length,
                    time=self.clock.now,
                    seq=seq,
                    phys=tuple(spans),
                    data=data,
                    allocation=a,
                )
            )
        return data

    def cpu_write(self, va: int, data: Data) -> None:
        """CPU store of ``data`` at kernel VA ``va``."""
        src = as_u8(data)
        n = len(src)
        a = self._cpu_target(va, n, "write")
        seq = self.clock.tick()
        spans = a.phys_spans(va - a.va, n)
        pos = 0
        for p, ln in spans:
            if a.cached:
                self.cache.cpu_write(p, src[pos : pos + ln])
            else:
                self.memory.write(p, src[pos : pos + ln])
            pos += ln
        if self.observers:
            self._notify(
                HostAccess(
                    kind=AccessKind.CPU_WRITE,
                    address=va,
                    length=n,
                    time=self.clock.now,
                    seq=seq,
                    phys=tuple(spans),
                    data=src.tobytes(),
                    allocation=a,
                )
            )

    def flush(self, va: int, length: int, to_device: bool) -> None:
        """KeFlushIoBuffers on ``[va, va+length)``: write back (``to_device``) or invalidate."""
        a = self._cpu_target(va, length, "flush")
        seq = self.clock.tick()
        spans = a.phys_spans(va - a.va, length)
        if a.cached:
            for p, ln in spans:
                self.cache.flush(p, ln, to_device=to_device)
        if self.observers:
            self._notify(
                HostAccess(
                    kind=AccessKind.FLUSH,
                    address=va,
                    length=length,
                    time=self.clock.now,
                    seq=seq,
                    phys=tuple(spans),
                    to_device=to_device,
                    allocation=a,
                )
            )

    # ------------------------------------------------------------ device side
    def _translate(
        self, kind: AccessKind, logical: int, n: int, access: Access, seq: int
    ) -> list[tuple[int, int]]:
        try:
            spans = self.iommu.translate(logical, n, access)
        except TranslationFault as fault:
            if self.observers:
                self._notify(
                    HostAccess(
                        kind=kind,
                        address=logical,
                        length=n,
                        time=self.clock.now,
                        seq=seq,
                        fault=fault.record,
                        mapping=fault.record.mapping,
                    )
                )
            raise
        return [(s.phys, s.length) for s in spans]

    def dma_read(self, logical: int, length: int) -> bytes:
        """Device read of ``length`` bytes at logical address ``logical``."""
        seq = self.clock.tick()
        spans = self._translate(AccessKind.DMA_READ, logical, length, Access.READ, seq)
        parts = [self.cache.device_read(p, ln) for p, ln in spans]
        data = parts[0].tobytes() if len(parts) == 1 else np.concatenate(parts).tobytes()
        if self.observers:
            self._notify(
                HostAccess(
                    kind=AccessKind.DMA_READ,
                    address=logical,
                    length=length,
                    time=self.clock.now,
                    seq=seq,
                    phys=tuple(spans),
                    data=data,
                    mapping=self.iommu.lookup(logical),
                )
            )
        return data

    def dma_write(
        self,
        logical: int,
        data: Data,
        byte_enable: Sequence[bool] | npt.NDArray[np.generic] | bytes | None = None,
    ) -> None:
        """Device write at ``logical``; only bytes with ``byte_enable`` set when given."""
        src = as_u8(data)
        n = len(src)
        mask: npt.NDArray[np.bool_] | None = None
        if byte_enable is not None:
            if isinstance(byte_enable, (bytes, bytearray)):
                mask = np.frombuffer(byte_enable, dtype=np.uint8).astype(bool)
            else:
                mask = np.asarray(byte_enable).reshape(-1).astype(bool)
            if len(mask) != n:
                raise ConfigError(
                    f"byte_enable must have {n} entries, one per data byte, not {len(mask)}"
                )
        seq = self.clock.tick()
        spans = self._translate(AccessKind.DMA_WRITE, logical, n, Access.WRITE, seq)
        pos = 0
        for p, ln in spans:
            m = None if mask is None else mask[pos : pos + ln]
            self.cache.device_write(p, src[pos : pos + ln], m)
            pos += ln
        if self.observers:
            self._notify(
                HostAccess(
                    kind=AccessKind.DMA_WRITE,
                    address=logical,
                    length=n,
                    time=self.clock.now,
                    seq=seq,
                    phys=tuple(spans),
                    data=src.tobytes(),
                    byte_enable=None if mask is None else mask.astype(np.uint8).tobytes(),
                    mapping=self.iommu.lookup(logical),
                )
            )
