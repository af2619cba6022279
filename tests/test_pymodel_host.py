"""Host: CPU and device access paths, allocations, faults, time, observers."""

from __future__ import annotations

import re

import numpy as np
import pytest

from pymodel import (
    KERNEL_VA_BASE,
    Access,
    AccessKind,
    CoherenceKind,
    ConfigError,
    CpuFault,
    FaultReason,
    Host,
    HostAccess,
    OutOfMemory,
    TranslationFault,
)

MiB = 1 << 20


def make(platform: str = "coherent", **kw: object) -> Host:
    return Host(memory_size=32 * MiB, platform=platform, seed=4, **kw)  # type: ignore[arg-type]


def test_allocation_addresses() -> None:
    h = make()
    a = h.alloc(10_000, cached=True, device_access=Access.READ_WRITE, owner="ring", site="t:1")
    assert a.va >= KERNEL_VA_BASE and a.va % 4096 == 0
    assert a.la is not None and a.la >= 1 << 32 and a.la != h.va_to_phys(a.va)
    assert a.pages == 3 and a.length == 10_000 and a.live
    b = h.alloc(100, cached=True)
    assert b.va >= a.va + 4 * 4096  # guard gap
    assert b.la is None  # not device-visible
    assert h.allocations() == (a, b)


def test_cpu_and_dma_see_the_same_bytes_coherent() -> None:
    h = make()
    a = h.alloc(8192, cached=True, device_access=Access.READ_WRITE)
    assert a.la is not None
    h.cpu_write(a.va + 4090, b"0123456789")  # spans two (scattered) pages
    assert h.dma_read(a.la + 4090, 10) == b"0123456789"
    h.dma_write(a.la + 100, b"device")
    assert h.cpu_read(a.va + 100, 6) == b"device"
    assert h.cache.events == []


def test_noncached_allocation_bypasses_the_cache() -> None:
    h = make("noncoherent")
    a = h.alloc(4096, cached=False, device_access=Access.READ_WRITE)
    assert a.la is not None
    h.cpu_write(a.va, b"direct")
    assert h.dma_read(a.la, 6) == b"direct"
    h.dma_write(a.la, b"DEV")
    assert h.cpu_read(a.va, 3) == b"DEV"
    assert h.cache.cached_lines == 0 and h.cache.events == []


def test_noncoherent_driver_must_flush() -> None:
    h = make("noncoherent")
    a = h.alloc(4096, cached=True, device_access=Access.READ_WRITE)
    assert a.la is not None
    h.cpu_write(a.va, b"desc")
    assert h.dma_read(a.la, 4) != b"desc"
    assert [e.kind for e in h.cache.events] == [CoherenceKind.STALE_DEVICE_READ]
    h.flush(a.va, 4, to_device=True)
    assert h.dma_read(a.la, 4) == b"desc"
    h.dma_write(a.la + 64, b"rx")
    h.flush(a.va + 64, 2, to_device=False)
    assert h.cpu_read(a.va + 64, 2) == b"rx"
    assert len(h.cache.events) == 1


def test_fresh_allocation_is_not_zeroed() -> None:
    h = make()
    a = h.alloc(64, cached=True)
    phys = h.va_to_phys(a.va)
    raw = np.frombuffer(h.cpu_read(a.va, 8), dtype="<u8")[0]
    assert int(raw) == (0xF111 << 48) | phys


def test_freed_memory_keeps_its_contents_for_the_next_owner() -> None:
    h = Host(memory_size=32 * MiB, seed=4, fragmentation=0.0)
    a = h.alloc(4096, cached=True)
    h.cpu_write(a.va, b"secret")
    phys = h.va_to_phys(a.va)
    h.free(a.va)
    frames = h.memory.alloc_frames(h.memory.free_frames)  # take every frame
    assert any(first * 4096 <= phys < (first + n) * 4096 for first, n in frames)
    assert h.memory.read(phys, 6).tobytes() == b"secret"


def test_byte_enable_writes_only_enabled_bytes() -> None:
    h = make()
    a = h.alloc(64, cached=False, device_access=Access.READ_WRITE)
    assert a.la is not None
    h.cpu_write(a.va, b"........")
    h.dma_write(a.la, b"ABCDEFGH", byte_enable=np.array([1, 0, 0, 1, 1, 0, 0, 1], dtype=np.uint8))
    assert h.cpu_read(a.va, 8) == b"A..DE..H"
    h.dma_write(a.la, b"xy", byte_enable=[False, True])
    assert h.cpu_read(a.va, 2) == b"Ay"
    with pytest.raises(
        ConfigError, match="byte_enable must have 2 entries, one per data byte, not 3"
    ):
        h.dma_write(a.la, b"xy", byte_enable=[1, 1, 1])


def test_dma_faults_raise_and_are_logged() -> None:
    h = make()
    a = h.alloc(100, cached=True, device_access=Access.READ)
    assert a.la is not None
    with pytest.raises(TranslationFault, match="permission denied"):
        h.dma_write(a.la, b"x")
    with pytest.raises(TranslationFault, match="runs past the end"):
        h.dma_read(a.la + 90, 20)
    h.free(a.va)
    with pytest.raises(TranslationFault, match="mapping already freed"):
        h.dma_read(a.la, 4)
    assert [f.reason for f in h.iommu.faults] == [
        FaultReason.PERMISSION,
        FaultReason.PAST_END,
        FaultReason.USE_AFTER_FREE,
    ]


def test_cpu_faults() -> None:
    h = make()
    a = h.alloc(100, cached=True, owner="ctx", site="drv.py:5")
    with pytest.raises(
        CpuFault,
        match=r"CPU write of 8 bytes at VA 0x[0-9a-f]+: runs 4 bytes past "
        r"the end of 'ctx' VA .* \(100 bytes, cached\) allocated at drv.py:5",
    ):
        h.cpu_write(a.va + 96, b"12345678")
    with pytest.raises(CpuFault, match="not mapped \\(nearest live allocation 'ctx'"):
        h.cpu_read(a.va - 4096, 4)
    h.free(a.va, site="drv.py:9")
    with pytest.raises(
        CpuFault,
        match=r"CPU read of 4 bytes .*: use after free of 'ctx' .* freed at "
        r"t=0 ns \(op #\d+\) from drv.py:9",
    ):
        h.cpu_read(a.va, 4)
    with pytest.raises(CpuFault, match="no live allocation"):
        h.cpu_read(0, 1)


def test_time_is_monotonic_and_ops_are_numbered() -> None:
    h = make()
    h.now = 500
    a = h.alloc(64, cached=True)
    s0 = h.seq
    h.cpu_read(a.va, 1)
    assert h.seq == s0 + 1
    with pytest.raises(ConfigError, match="time must not go backwards: now is 500 ns, not 499 ns"):
        h.now = 499
    with pytest.raises(ConfigError, match=re.escape("time must be an int number of ns, not 1.5")):
        h.now = 1.5  # type: ignore[assignment]


def test_observers_see_every_access() -> None:
    h = make()
    seen: list[HostAccess] = []
    h.observers.append(seen.append)
    a = h.alloc(4096, cached=True, device_access=Access.READ_WRITE)
    assert a.la is not None
    h.now = 10
    h.cpu_write(a.va, b"ab")
    h.flush(a.va, 2, to_device=True)
    h.dma_read(a.la, 2)
    h.dma_write(a.la + 2, b"cd", byte_enable=[1, 0])
    h.cpu_read(a.va, 4)
    with pytest.raises(TranslationFault):
        h.dma_read(a.la + 4095, 2)
    assert [e.kind for e in seen] == [
        AccessKind.CPU_WRITE,
        AccessKind.FLUSH,
        AccessKind.DMA_READ,
        AccessKind.DMA_WRITE,
        AccessKind.CPU_READ,
        AccessKind.DMA_READ,
    ]
    assert seen[2].data == b"ab" and seen[2].mapping is not None and seen[2].time == 10
    assert seen[3].byte_enable == b"\x01\x00"
    assert seen[1].to_device is True and seen[0].allocation == a
    assert seen[-1].fault is not None and seen[-1].fault.reason is FaultReason.PAST_END
    assert seen[2].phys == ((h.va_to_phys(a.va), 2),)
    assert [e.seq for e in seen] == sorted(e.seq for e in seen)


def test_contiguous_and_address_limited_allocations() -> None:
    h = make()
    a = h.alloc(3 * 4096, cached=False, contiguous=True, max_address=(16 * MiB) - 1)
    assert len(a.runs) == 1 and (a.runs[0][0] + 3) * 4096 <= 16 * MiB
    too_big = (h.memory.largest_free_run() + 1) * 4096
    with pytest.raises(OutOfMemory, match="no physically contiguous run"):
        h.alloc(too_big, cached=True, contiguous=True)


def test_free_returns_memory_to_initial_state() -> None:
    h = make()
    initial = h.memory.free_extents()
    allocs = [
        h.alloc(n, cached=bool(n % 2), device_access=Access.READ_WRITE if n % 3 else None)
        for n in (1, 4096, 4097, 20_000, 333)
    ]
    for a in allocs:
        h.cpu_write(a.va, b"z")
    for a in allocs[::-1]:
        h.free(a.va)
    assert h.memory.free_extents() == initial
    assert h.iommu.live_mappings() == () and h.allocations() == ()
    assert h.cache.cached_lines == 0


def test_bad_lengths() -> None:
    h = make()
    with pytest.raises(ConfigError, match="length must be a positive integer, not 0"):
        h.alloc(0, cached=True)
    a = h.alloc(8, cached=True)
    with pytest.raises(ConfigError, match="CPU read length must be positive, not 0"):
        h.cpu_read(a.va, 0)
