"""The host model's two hooks for a test bench: a time source (``Clock.follow``) and
allocation observers (``Host.allocation_observers``)."""

from __future__ import annotations

import pytest

from pymodel import ndis
from pymodel.clock import Clock
from pymodel.errors import ConfigError
from pymodel.host import Allocation, Host
from pymodel.iommu import Access


def test_clock_follows_its_source() -> None:
    clock = Clock()
    t = [100]
    clock.follow(lambda: t[0])
    assert clock.now == 100
    t[0] = 250
    assert clock.now == 250
    clock.now = 300  # setting still works, never backwards
    assert clock.now == 300
    t[0] = 200  # a source behind the clock does not move it back
    assert clock.now == 300
    with pytest.raises(ConfigError, match="must not go backwards"):
        clock.now = 299
    clock.follow(None)
    t[0] = 1000
    assert clock.now == 300


def test_host_operations_are_stamped_from_the_source() -> None:
    host = Host(seed=1)
    t = [5_000]
    host.clock.follow(lambda: t[0])
    a = host.alloc(4096, cached=True, device_access=Access.READ_WRITE)
    assert a.time == 5_000
    t[0] = 7_500
    freed = host.free(a.va)
    assert freed.freed_time == 7_500
    assert a.la is not None
    mapping = host.iommu.lookup(a.la)
    assert mapping is not None and mapping.created_time == 5_000
    assert mapping.freed_time == 7_500


def test_allocation_observers_see_every_allocation_and_free() -> None:
    host = Host(seed=2)
    seen: list[Allocation] = []
    host.allocation_observers.append(seen.append)
    a = host.alloc(100, cached=False)
    b = host.alloc(8192, cached=True, device_access=Access.READ)
    host.free(a.va)
    assert [(x.va, x.live) for x in seen] == [(a.va, True), (b.va, True), (a.va, False)]
    assert seen[1].la == b.la is not None


def test_ndis_shared_memory_reaches_allocation_observers() -> None:
    system = ndis.NdisSystem(host=Host(seed=3))
    seen: list[Allocation] = []
    system.host.allocation_observers.append(seen.append)
    adapter = system.add_adapter(name="nic0")
    with adapter.initialize():
        ndis.NdisMRegisterScatterGatherDma(adapter, ndis.NDIS_SG_DMA_DESCRIPTION())
        va, la = ndis.NdisMAllocateSharedMemory(adapter, 2048, True)
    with adapter.halt():
        assert va is not None and la is not None and adapter.dma is not None
        ndis.NdisMFreeSharedMemory(adapter, 2048, True, va, la)
        ndis.NdisMDeregisterScatterGatherDma(adapter.dma)
    assert [(x.la, x.length, x.live) for x in seen] == [(la, 2048, True), (la, 2048, False)]
    assert "NdisMAllocateSharedMemory" in seen[0].owner
