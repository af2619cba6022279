"""Property tests through the NDIS API: no overlap, translation inverts the mapping,
everything freed returns the model to its initial state."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pymodel import Access, Host, NdisSystem
from pymodel.ndis import (
    NDIS_MEMORY_CONTIGUOUS,
    NDIS_MEMORY_NONCACHED,
    NDIS_SG_DMA_DESCRIPTION,
    NDIS_STATUS_PENDING,
    NDIS_STATUS_SUCCESS,
    NdisAllocateBuffer,
    NdisAllocateBufferPool,
    NdisAllocateMemory,
    NdisAllocatePacket,
    NdisAllocatePacketPool,
    NdisFreeBuffer,
    NdisFreeBufferPool,
    NdisFreeMemory,
    NdisFreePacket,
    NdisFreePacketPool,
    NdisMAllocateSharedMemory,
    NdisMAllocateSharedMemoryAsyncEx,
    NdisMDeregisterScatterGatherDma,
    NdisMFreeSharedMemory,
    NdisMRegisterScatterGatherDma,
)

MiB = 1 << 20

op = st.one_of(
    st.tuples(st.just("shared"), st.integers(1, 40_000), st.booleans()),
    st.tuples(st.just("memory"), st.integers(1, 20_000), st.sampled_from([0, 1, 2, 3])),
    st.tuples(st.just("async"), st.integers(1, 40_000), st.booleans()),
    st.tuples(st.just("free"), st.integers(0, 1000), st.booleans()),
    st.tuples(st.just("time"), st.integers(0, 30_000), st.booleans()),
)


def check_invariants(system: NdisSystem, shared: list[tuple[int, int, int, bool]]) -> None:
    host = system.host
    allocs = host.allocations()
    frames = [f for a in allocs for s, c in a.runs for f in range(s, s + c)]
    assert len(frames) == len(set(frames)), "two live allocations share a physical frame"
    vas = sorted((a.va, a.end) for a in allocs)
    assert all(e1 <= s2 for (_, e1), (s2, _) in itertools.pairwise(vas)), "VA ranges overlap"
    maps = host.iommu.live_mappings()
    assert all(m1.end <= m2.logical for m1, m2 in itertools.pairwise(maps)), (
        "logical ranges overlap"
    )
    assert {m.logical for m in maps} == {la for _, la, _, _ in shared}
    for va, la, length, _cached in shared:
        # translate is the inverse of the mapping: the device's byte k is the CPU's byte k
        for off in {0, length // 2, length - 1}:
            spans = host.iommu.translate(la + off, 1, Access.READ)
            assert spans[0].phys == host.va_to_phys(va + off)


@settings(max_examples=100, deadline=None)
@given(ops=st.lists(op, max_size=30), seed=st.integers(0, 3), coherent=st.booleans())
def test_property_ndis_allocations(
    ops: list[tuple[str, int, Any]], seed: int, coherent: bool
) -> None:
    host = Host(memory_size=64 * MiB, seed=seed, platform="coherent" if coherent else "noncoherent")
    system = NdisSystem(host=host, seed=seed, noncached_pool_bytes=256 * 1024)
    system.make_current()
    initial = host.memory.free_extents()
    shared: list[tuple[int, int, int, bool]] = []
    memory: list[tuple[int, int, int]] = []

    def complete(va: int | None, la: int | None, length: int, cached: Any) -> None:
        if va is not None and la is not None:
            shared.append((va, la, length, cached))

    adapter = system.add_adapter()
    with adapter.initialize():
        _, dma = NdisMRegisterScatterGatherDma(
            adapter, NDIS_SG_DMA_DESCRIPTION(shared_mem_allocate_complete_handler=complete)
        )
        for kind, n, flag in ops:
            if kind == "shared":
                va, la = NdisMAllocateSharedMemory(adapter, n, flag)
                if va is not None and la is not None:
                    shared.append((va, la, n, flag))
                    host.cpu_write(va + n - 1, b"\x5a")
                    host.flush(va + n - 1, 1, to_device=True)
                    assert host.dma_read(la + n - 1, 1) == b"\x5a"
            elif kind == "memory":
                flags = [
                    0,
                    NDIS_MEMORY_CONTIGUOUS,
                    NDIS_MEMORY_NONCACHED,
                    NDIS_MEMORY_CONTIGUOUS | NDIS_MEMORY_NONCACHED,
                ][flag]
                _status, va = NdisAllocateMemory(n, flags, -1)
                if va is not None:
                    memory.append((va, n, flags))
            elif kind == "async":
                assert NdisMAllocateSharedMemoryAsyncEx(dma, n, flag, flag) == NDIS_STATUS_PENDING
            elif kind == "time":
                system.advance_to(host.now + n)
            elif shared and (flag or not memory):
                va, la, length, cached = shared.pop(n % len(shared))
                NdisMFreeSharedMemory(adapter, length, cached, va, la)
            elif memory:
                va, length, flags = memory.pop(n % len(memory))
                NdisFreeMemory(va, length, flags)
            check_invariants(system, shared)
        system.run_until_idle()
        check_invariants(system, shared)
        for va, la, length, cached in shared:
            NdisMFreeSharedMemory(adapter, length, cached, va, la)
        for va, length, flags in memory:
            NdisFreeMemory(va, length, flags)
        NdisMDeregisterScatterGatherDma(dma)  # type: ignore[arg-type]
    assert system.violations == []
    assert host.memory.free_extents() == initial
    assert host.iommu.live_mappings() == () and host.allocations() == ()
    assert system.noncached_in_use == 0
    assert host.cache.cached_lines == 0


@settings(max_examples=60, deadline=None)
@given(
    capacity=st.integers(1, 8),
    ops=st.lists(st.tuples(st.booleans(), st.integers(0, 100)), max_size=40),
)
def test_property_pools_return_to_full_capacity(capacity: int, ops: list[tuple[bool, int]]) -> None:
    system = NdisSystem(host=Host(memory_size=16 * MiB, seed=0))
    system.make_current()
    _, va = NdisAllocateMemory(4096, 0, -1)
    assert va is not None
    _, packets = NdisAllocatePacketPool(capacity, 8)
    _, buffers = NdisAllocateBufferPool(capacity)
    assert packets is not None and buffers is not None
    out_p: list[Any] = []
    out_b: list[Any] = []
    for alloc, k in ops:
        if alloc:
            sp, p = NdisAllocatePacket(packets)
            sb, b = NdisAllocateBuffer(buffers, va + k, 64)
            assert (sp == NDIS_STATUS_SUCCESS) == (len(out_p) < capacity)
            assert (sb == NDIS_STATUS_SUCCESS) == (len(out_b) < capacity)
            out_p += [p] if p is not None else []
            out_b += [b] if b is not None else []
        elif out_p:
            NdisFreePacket(out_p.pop(k % len(out_p)))
            NdisFreeBuffer(out_b.pop(k % len(out_b)))
    for p in out_p:
        NdisFreePacket(p)
    for b in out_b:
        NdisFreeBuffer(b)
    got = [NdisAllocatePacket(packets)[1] for _ in range(capacity + 1)]
    assert got[-1] is None and all(p is not None for p in got[:-1])
    for p in got[:-1]:
        NdisFreePacket(p)
    NdisFreePacketPool(packets)
    NdisFreeBufferPool(buffers)
    NdisFreeMemory(va, 4096, 0)
    system.unload()
    assert system.violations == []
