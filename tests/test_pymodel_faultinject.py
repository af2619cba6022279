"""Failure injection: the Nth call, probability under a seed, API restriction."""

from __future__ import annotations

import pytest

from pymodel import ConfigError, FaultInjection, Host, NdisSystem
from pymodel.faultinject import FaultInjector
from pymodel.ndis import (
    NDIS_SG_DMA_DESCRIPTION,
    NDIS_STATUS_FAILURE,
    NDIS_STATUS_RESOURCES,
    NDIS_STATUS_SUCCESS,
    NdisAllocateMemory,
    NdisAllocatePacket,
    NdisAllocatePacketPool,
    NdisMAllocateSharedMemory,
    NdisMRegisterScatterGatherDma,
)


def system_with(inject: FaultInjection) -> NdisSystem:
    system = NdisSystem(host=Host(memory_size=32 << 20, seed=1), fault_injection=inject)
    system.make_current()
    return system


def test_nth_call_fails() -> None:
    system = system_with(FaultInjection(nth=(2, 4)))
    results = [NdisAllocateMemory(64, 0, -1)[0] for _ in range(5)]
    assert results == [
        NDIS_STATUS_SUCCESS,
        NDIS_STATUS_FAILURE,
        NDIS_STATUS_SUCCESS,
        NDIS_STATUS_FAILURE,
        NDIS_STATUS_SUCCESS,
    ]
    assert [(f.api, f.call) for f in system.injector.log] == [
        ("NdisAllocateMemory", 2),
        ("NdisAllocateMemory", 4),
    ]
    assert system.injector.log[0].site.startswith("tests/test_pymodel_faultinject.py:")
    assert system.violations == []


def test_restricted_to_some_apis() -> None:
    system = system_with(FaultInjection(nth=1, apis=frozenset({"NdisMAllocateSharedMemory"})))
    adapter = system.add_adapter()
    with adapter.initialize():
        assert NdisAllocateMemory(64, 0, -1)[0] == NDIS_STATUS_SUCCESS  # not counted
        status, _ = NdisMRegisterScatterGatherDma(adapter, NDIS_SG_DMA_DESCRIPTION())
        assert status == NDIS_STATUS_SUCCESS
        assert NdisMAllocateSharedMemory(adapter, 4096, True) == (None, None)
        va, la = NdisMAllocateSharedMemory(adapter, 4096, True)
        assert va is not None and la is not None
    system.strict = False  # the test leaves its allocations behind on purpose


def test_register_and_pool_failures_use_documented_statuses() -> None:
    system = system_with(FaultInjection(probability=1.0))
    adapter = system.add_adapter()
    with adapter.initialize():
        assert NdisMRegisterScatterGatherDma(adapter, NDIS_SG_DMA_DESCRIPTION()) == (
            NDIS_STATUS_RESOURCES,
            None,
        )
        assert NdisAllocatePacketPool(4, 0) == (NDIS_STATUS_RESOURCES, None)
        system.injector.config = FaultInjection()
        _, pool = NdisAllocatePacketPool(4, 0)
        system.injector.config = FaultInjection(probability=1.0)
        assert NdisAllocatePacket(pool) == (NDIS_STATUS_RESOURCES, None)  # type: ignore[arg-type]
    system.strict = False


def test_probability_is_seeded() -> None:
    def pattern(seed: int) -> list[bool]:
        inj = FaultInjector(FaultInjection(probability=0.5, seed=seed))
        return [inj.should_fail("NdisAllocateMemory", site="s", time=0, seq=0) for _ in range(64)]

    assert pattern(1) == pattern(1)
    assert pattern(1) != pattern(2)
    assert 16 < sum(pattern(3)) < 48


def test_disabled_injector_never_fails() -> None:
    inj = FaultInjector()
    assert not any(
        inj.should_fail("NdisAllocateMemory", site="s", time=0, seq=0) for _ in range(10)
    )
    assert inj.log == []


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"nth": 0}, r"nth must count calls from 1, not \(0,\)"),
        ({"probability": 1.5}, r"probability must be in \[0, 1\], not 1.5"),
        (
            {"apis": frozenset({"NdisAllocateMemroy"})},
            r"apis must be among \[.*\], not \['NdisAllocateMemroy'\]",
        ),
        (
            {"async_failure": "later"},
            "async_failure must be 'complete' or 'immediate', not 'later'",
        ),
    ],
)
def test_bad_configuration(kw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        FaultInjection(**kw)  # type: ignore[arg-type]
