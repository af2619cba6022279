"""pymodel.ndis: the documented API, its rules and their messages."""

from __future__ import annotations

from typing import Any

import pytest

from pymodel import (
    AddressPairMismatch,
    ArgumentViolation,
    DmaNotRegistered,
    DoubleFree,
    FaultReason,
    Host,
    InvalidHandle,
    IrqlViolation,
    LeakError,
    LimitViolation,
    NdisViolation,
    NoCurrentSystem,
    PoolInUse,
    StateViolation,
    TranslationFault,
    UnknownAddress,
    WrongCachedFlag,
    WrongLength,
)
from pymodel.ndis import (
    DISPATCH_LEVEL,
    NDIS_MEMORY_CONTIGUOUS,
    NDIS_MEMORY_NONCACHED,
    NDIS_SG_DMA_DESCRIPTION,
    NDIS_STATUS_FAILURE,
    NDIS_STATUS_PENDING,
    NDIS_STATUS_RESOURCES,
    NDIS_STATUS_SUCCESS,
    PASSIVE_LEVEL,
    AdapterState,
    DmaHandle,
    FaultInjection,
    KeGetCurrentIrql,
    KeLowerIrql,
    KeRaiseIrql,
    MiniportAdapter,
    NdisAllocateBuffer,
    NdisAllocateBufferPool,
    NdisAllocateMemory,
    NdisAllocateMemoryWithTag,
    NdisAllocatePacket,
    NdisAllocatePacketPool,
    NdisFlushBuffer,
    NdisFreeBuffer,
    NdisFreeBufferPool,
    NdisFreeMemory,
    NdisFreePacket,
    NdisFreePacketPool,
    NdisMAllocateSharedMemory,
    NdisMAllocateSharedMemoryAsyncEx,
    NdisMDeregisterScatterGatherDma,
    NdisMFreeSharedMemory,
    NdisMGetDmaAlignment,
    NdisMRegisterScatterGatherDma,
    NdisSystem,
    NdisSystemProcessorCount,
    at_irql,
    use_system,
)

MiB = 1 << 20
HERE = r"tests/test_pymodel_ndis\.py:\d+"
Completion = tuple[int | None, int | None, int, Any, int, MiniportAdapter | None]


def make_system(platform: str = "coherent", **kw: Any) -> NdisSystem:
    host = Host(memory_size=64 * MiB, platform=platform, seed=7, line_size=kw.pop("line_size", 64))
    system = NdisSystem(host=host, **kw)
    system.make_current()
    return system


class Driver:
    """A minimal miniport: records completions, brings adapters up and down."""

    def __init__(self, system: NdisSystem) -> None:
        self.system = system
        self.completions: list[Completion] = []

    def complete(self, va: int | None, la: int | None, length: int, context: Any) -> None:
        self.completions.append(
            (va, la, length, context, KeGetCurrentIrql(), self.system.current_adapter)
        )

    def description(self, **kw: Any) -> Any:
        return NDIS_SG_DMA_DESCRIPTION(shared_mem_allocate_complete_handler=self.complete, **kw)

    def adapter(
        self, *, register: bool = True, run: bool = False, **kw: Any
    ) -> tuple[MiniportAdapter, DmaHandle | None]:
        adapter = self.system.add_adapter(**kw)
        dma = None
        if register:
            with self.system.calling(adapter, irql=PASSIVE_LEVEL):
                status, dma = NdisMRegisterScatterGatherDma(adapter, self.description())
                assert status == NDIS_STATUS_SUCCESS
        if run:
            adapter.initialize_complete()
        return adapter, dma


@pytest.fixture
def system() -> NdisSystem:
    return make_system()


@pytest.fixture
def drv(system: NdisSystem) -> Driver:
    return Driver(system)


def initializing(adapter: MiniportAdapter) -> Any:
    return adapter.system.calling(adapter, irql=PASSIVE_LEVEL)


# ------------------------------------------------------------------ basics
def test_constants_have_their_ntstatus_values() -> None:
    assert NDIS_STATUS_SUCCESS == 0 and NDIS_STATUS_PENDING == 0x103
    assert NDIS_STATUS_FAILURE == 0xC000_0001 and NDIS_STATUS_RESOURCES == 0xC000_009A
    assert (NDIS_MEMORY_CONTIGUOUS, NDIS_MEMORY_NONCACHED) == (1, 2)
    assert (PASSIVE_LEVEL, DISPATCH_LEVEL) == (0, 2)


def test_dma_alignment_is_the_cache_line_and_processor_count() -> None:
    system = make_system(line_size=128, processor_count=8)
    adapter = system.add_adapter()
    assert NdisMGetDmaAlignment(adapter) == 128
    assert NdisSystemProcessorCount() == 8


def test_no_current_system(system: NdisSystem) -> None:
    with use_system(None), pytest.raises(
        NoCurrentSystem, match=r"no current NdisSystem: call system\.make_current\(\)"
    ):
        NdisSystemProcessorCount()
    assert NdisSystemProcessorCount() == system.processor_count  # the default is back


def test_calling_context_sets_adapter_and_irql(system: NdisSystem, drv: Driver) -> None:
    adapter, _ = drv.adapter()
    assert system.current_adapter is None and KeGetCurrentIrql() == PASSIVE_LEVEL
    with system.calling(adapter, irql=DISPATCH_LEVEL):
        assert system.current_adapter is adapter and KeGetCurrentIrql() == DISPATCH_LEVEL
    assert system.current_adapter is None and KeGetCurrentIrql() == PASSIVE_LEVEL


# ------------------------------------------------------------ SG DMA set-up
def test_register_sg_dma(system: NdisSystem, drv: Driver) -> None:
    adapter = system.add_adapter(name="nic0")
    with adapter.initialize():
        status, dma = NdisMRegisterScatterGatherDma(adapter, drv.description())
        assert status == NDIS_STATUS_SUCCESS and isinstance(dma, DmaHandle)
        with pytest.raises(
            StateViolation, match=rf"adapter 'nic0' already registered scatter/gather DMA at {HERE}"
        ):
            NdisMRegisterScatterGatherDma(adapter, drv.description())
        NdisMDeregisterScatterGatherDma(dma)
    assert adapter.state is AdapterState.RUNNING


def test_register_sg_dma_only_while_initializing(drv: Driver) -> None:
    adapter, _ = drv.adapter(register=False, run=True, name="nic0")
    with pytest.raises(
        StateViolation,
        match="NdisMRegisterScatterGatherDma can be called only from "
        "MiniportInitializeEx; adapter 'nic0' is RUNNING",
    ):
        NdisMRegisterScatterGatherDma(adapter, drv.description())


def test_register_sg_dma_at_passive_only(system: NdisSystem, drv: Driver) -> None:
    adapter = system.add_adapter()
    with (
        system.calling(adapter, irql=DISPATCH_LEVEL),
        pytest.raises(
            IrqlViolation,
            match="NdisMRegisterScatterGatherDma must be called at PASSIVE_LEVEL, "
            "not DISPATCH_LEVEL",
        ),
    ):
        NdisMRegisterScatterGatherDma(adapter, drv.description())


def test_register_sg_dma_bad_description(system: NdisSystem) -> None:
    adapter = system.add_adapter()
    with (
        initializing(adapter),
        pytest.raises(
            ArgumentViolation, match="DmaDescription must be an NDIS_SG_DMA_DESCRIPTION, not 'x'"
        ),
    ):
        NdisMRegisterScatterGatherDma(adapter, "x")  # type: ignore[arg-type]


def test_deregister_rules(system: NdisSystem, drv: Driver) -> None:
    adapter, dma = drv.adapter(name="nic0")
    assert dma is not None
    adapter.initialize_complete()
    with pytest.raises(
        StateViolation,
        match="NdisMDeregisterScatterGatherDma can be called only from "
        "MiniportHaltEx or a failing MiniportInitializeEx; adapter 'nic0' is RUNNING",
    ):
        NdisMDeregisterScatterGatherDma(dma)
    with adapter.halt():
        NdisMDeregisterScatterGatherDma(dma)
        with pytest.raises(
            InvalidHandle,
            match=rf"the handle was already deregistered at t=0 ns \(op #\d+\) from {HERE}",
        ):
            NdisMDeregisterScatterGatherDma(dma)
    with pytest.raises(
        InvalidHandle,
        match="NdisMiniportDmaHandle must be a handle from NdisMRegisterScatterGatherDma, not 42",
    ):
        NdisMDeregisterScatterGatherDma(42)  # type: ignore[arg-type]


def test_32_bit_nic_gets_logical_addresses_below_4gib(system: NdisSystem, drv: Driver) -> None:
    adapter = system.add_adapter()
    with adapter.initialize():
        _, dma = NdisMRegisterScatterGatherDma(adapter, drv.description(flags=0))
        va, la = NdisMAllocateSharedMemory(adapter, 4096, True)
        assert la is not None and la < 1 << 32
        NdisMFreeSharedMemory(adapter, 4096, True, va, la)  # type: ignore[arg-type]
        NdisMDeregisterScatterGatherDma(dma)  # type: ignore[arg-type]


# ----------------------------------------------------- synchronous shared memory
def test_shared_memory_is_device_visible_and_not_zeroed(system: NdisSystem, drv: Driver) -> None:
    adapter, _ = drv.adapter()
    with initializing(adapter):
        va, la = NdisMAllocateSharedMemory(adapter, 10_000, True)
    assert va is not None and la is not None
    assert la >= 1 << 32 and la != system.host.va_to_phys(va)
    fresh = system.host.cpu_read(va, 8)
    assert fresh[6:] == b"\x11\xf1"  # the fill pattern, not zeros
    system.host.cpu_write(va + 9990, b"0123456789")
    assert system.host.dma_read(la + 9990, 10) == b"0123456789"
    with pytest.raises(TranslationFault) as info:
        system.host.dma_read(la + 9995, 6)
    assert info.value.record.reason is FaultReason.PAST_END
    mapping = system.host.iommu.lookup(la)
    assert mapping is not None and mapping.owner.startswith("nic0 NdisMAllocateSharedMemory")
    assert mapping.site.startswith("tests/test_pymodel_ndis.py:")


def test_shared_memory_only_while_initializing(drv: Driver) -> None:
    adapter, _ = drv.adapter(run=True, name="nic0")
    with pytest.raises(
        StateViolation,
        match="NdisMAllocateSharedMemory can be called only from "
        "MiniportInitializeEx; adapter 'nic0' is RUNNING",
    ):
        NdisMAllocateSharedMemory(adapter, 4096, True)


def test_shared_memory_needs_sg_dma_first(system: NdisSystem, drv: Driver) -> None:
    adapter, _ = drv.adapter(register=False, name="nic0")
    with (
        initializing(adapter),
        pytest.raises(
            DmaNotRegistered,
            match="NdisMAllocateSharedMemory needs NdisMRegisterScatterGatherDma first; "
            "adapter 'nic0' has no scatter/gather DMA registered",
        ),
    ):
        NdisMAllocateSharedMemory(adapter, 4096, True)


def test_shared_memory_at_passive_only(system: NdisSystem, drv: Driver) -> None:
    adapter, _ = drv.adapter()
    with (
        system.calling(adapter, irql=DISPATCH_LEVEL),
        pytest.raises(
            IrqlViolation,
            match="NdisMAllocateSharedMemory must be called at PASSIVE_LEVEL, not DISPATCH_LEVEL",
        ),
    ):
        NdisMAllocateSharedMemory(adapter, 4096, True)


@pytest.mark.parametrize("length", [0, -5, 1 << 32, "8"])
def test_shared_memory_length_must_be_positive(
    system: NdisSystem, drv: Driver, length: Any
) -> None:
    adapter, _ = drv.adapter()
    with (
        initializing(adapter),
        pytest.raises(
            ArgumentViolation,
            match=rf"NdisMAllocateSharedMemory: Length must be a positive 32-bit integer, "
            rf"not {length!r}",
        ),
    ):
        NdisMAllocateSharedMemory(adapter, length, True)


def test_shared_memory_limit(system: NdisSystem, drv: Driver) -> None:
    adapter, _ = drv.adapter(name="nic0", shared_memory_limit=64 * 1024)
    with initializing(adapter):
        va, _la = NdisMAllocateSharedMemory(adapter, 60 * 1024, True)
        assert va is not None
        with pytest.raises(
            LimitViolation,
            match="NdisMAllocateSharedMemory of 8192 bytes would exceed "
            r"adapter 'nic0' shared-memory limit of 65536 bytes \(61440 bytes outstanding\)",
        ):
            NdisMAllocateSharedMemory(adapter, 8192, True)
        va2, _ = NdisMAllocateSharedMemory(adapter, 4096, True)
        assert va2 is not None


def test_bad_adapter_handle(system: NdisSystem) -> None:
    with pytest.raises(
        InvalidHandle,
        match="NdisMAllocateSharedMemory: MiniportAdapterHandle must be "
        "an adapter of this system, not None",
    ):
        NdisMAllocateSharedMemory(None, 4096, True)  # type: ignore[arg-type]


def test_coherent_platform_ignores_cached_false(system: NdisSystem, drv: Driver) -> None:
    adapter, _ = drv.adapter()
    with initializing(adapter):
        va, _la = NdisMAllocateSharedMemory(adapter, 8192, False)
    assert va is not None
    alloc = system.host.allocation_at(va)
    assert alloc is not None and alloc.cached is True
    assert system.noncached_in_use == 0


def test_noncoherent_cached_false_draws_the_scarce_noncached_pool() -> None:
    system = make_system("noncoherent", noncached_pool_bytes=16 * 1024)
    adapter, _ = Driver(system).adapter()
    with initializing(adapter):
        va, la = NdisMAllocateSharedMemory(adapter, 10_000, False)
        assert va is not None and la is not None
        alloc = system.host.allocation_at(va)
        assert alloc is not None and alloc.cached is False
        assert system.noncached_in_use == 12 * 1024
        assert NdisMAllocateSharedMemory(adapter, 8192, False) == (None, None)  # pool exhausted
        assert NdisMAllocateSharedMemory(adapter, 8192, True) != (None, None)  # cached still fine
        NdisMFreeSharedMemory(adapter, 10_000, False, va, la)
        assert system.noncached_in_use == 0
    assert system.violations == []


def test_out_of_physical_memory_returns_none(system: NdisSystem, drv: Driver) -> None:
    adapter, _ = drv.adapter()
    with initializing(adapter):
        assert NdisMAllocateSharedMemory(adapter, 0xFFFF_0000, True) == (None, None)
    assert system.violations == []


def test_permissive_mode_returns_failure_and_records() -> None:
    system = make_system(strict=False)
    adapter, _ = Driver(system).adapter(register=False, name="nic0")
    with initializing(adapter):
        assert NdisMAllocateSharedMemory(adapter, 4096, True) == (None, None)
        assert NdisAllocateMemory(4096, 0x80, -1) == (NDIS_STATUS_FAILURE, None)
    (v1, v2) = system.violations
    assert isinstance(v1, DmaNotRegistered) and v1.api == "NdisMAllocateSharedMemory"
    assert isinstance(v2, ArgumentViolation) and "MemoryFlags must be 0" in str(v2)


# ---------------------------------------------------------------------- frees
@pytest.fixture
def one_block(system: NdisSystem, drv: Driver) -> tuple[MiniportAdapter, int, int]:
    adapter, _ = drv.adapter(name="nic0")
    with initializing(adapter):
        va, la = NdisMAllocateSharedMemory(adapter, 8192, True)
    assert va is not None and la is not None
    adapter.initialize_complete()
    adapter.begin_halt()
    system.make_current()
    return adapter, va, la


def test_exact_free_releases_everything(system: NdisSystem, drv: Driver) -> None:
    initial = system.host.memory.free_extents()
    adapter, dma = drv.adapter()
    with initializing(adapter):
        blocks = [
            (n, *NdisMAllocateSharedMemory(adapter, n, bool(n % 2))) for n in (100, 4096, 20_001)
        ]
    adapter.initialize_complete()
    with adapter.halt():
        for n, va, la in blocks:
            NdisMFreeSharedMemory(adapter, n, bool(n % 2), va, la)  # type: ignore[arg-type]
        NdisMDeregisterScatterGatherDma(dma)  # type: ignore[arg-type]
    assert adapter.state is AdapterState.HALTED and adapter.leaks == ()
    assert system.host.memory.free_extents() == initial
    assert system.host.iommu.live_mappings() == ()


def test_double_free_says_when(one_block: tuple[MiniportAdapter, int, int]) -> None:
    adapter, va, la = one_block
    adapter.system.host.now = 1234
    NdisMFreeSharedMemory(adapter, 8192, True, va, la)
    with pytest.raises(
        DoubleFree,
        match=rf"NdisMFreeSharedMemory: VirtualAddress {va:#x} was already "
        rf"freed at t=1234 ns \(op #\d+\) from {HERE}; it was allocated at {HERE}",
    ):
        NdisMFreeSharedMemory(adapter, 8192, True, va, la)


def test_free_wrong_length_says_the_right_one(one_block: tuple[MiniportAdapter, int, int]) -> None:
    adapter, va, la = one_block
    with pytest.raises(
        WrongLength,
        match=rf"NdisMFreeSharedMemory: Length must be 8192, the length "
        rf"allocated at {HERE}, not 4096",
    ):
        NdisMFreeSharedMemory(adapter, 4096, True, va, la)


def test_free_wrong_cached_flag(one_block: tuple[MiniportAdapter, int, int]) -> None:
    adapter, va, la = one_block
    with pytest.raises(
        WrongCachedFlag, match=rf"Cached must be True, as allocated at {HERE}, not False"
    ):
        NdisMFreeSharedMemory(adapter, 8192, False, va, la)


def test_free_wrong_logical_address(one_block: tuple[MiniportAdapter, int, int]) -> None:
    adapter, va, la = one_block
    with pytest.raises(
        AddressPairMismatch,
        match=rf"VirtualAddress {va:#x} was allocated with "
        rf"PhysicalAddress {la:#x}, not {la + 64:#x}",
    ):
        NdisMFreeSharedMemory(adapter, 8192, True, va, la + 64)
    with pytest.raises(
        AddressPairMismatch,
        match=rf"PhysicalAddress {la:#x} belongs to the allocation "
        rf"at VirtualAddress {va:#x}, not {va + 4096:#x}",
    ):
        NdisMFreeSharedMemory(adapter, 8192, True, va + 4096, la)


def test_free_unknown_address(one_block: tuple[MiniportAdapter, int, int]) -> None:
    adapter, _va, _la = one_block
    with pytest.raises(
        UnknownAddress,
        match="VirtualAddress 0x1234 is not an outstanding shared-memory "
        "allocation of adapter 'nic0'",
    ):
        NdisMFreeSharedMemory(adapter, 8192, True, 0x1234, 0x5678)
    _, mem = NdisAllocateMemory(64, 0, -1)
    with pytest.raises(
        UnknownAddress, match=r"\(it comes from NdisAllocateMemory: free it with NdisFreeMemory\)"
    ):
        NdisMFreeSharedMemory(adapter, 64, True, mem, 0)  # type: ignore[arg-type]


def test_free_through_the_wrong_adapter(
    system: NdisSystem, drv: Driver, one_block: tuple[MiniportAdapter, int, int]
) -> None:
    _adapter, va, la = one_block
    other, _ = drv.adapter(name="nic1")
    with (
        initializing(other),
        pytest.raises(
            UnknownAddress,
            match=rf"VirtualAddress {va:#x} is shared memory of adapter 'nic0', "
            rf"not of adapter 'nic1'",
        ),
    ):
        NdisMFreeSharedMemory(other, 8192, True, va, la)


def test_free_at_dispatch_is_refused(
    system: NdisSystem, one_block: tuple[MiniportAdapter, int, int]
) -> None:
    adapter, va, la = one_block
    with (
        at_irql(DISPATCH_LEVEL),
        pytest.raises(
            IrqlViolation,
            match="NdisMFreeSharedMemory must be called at PASSIVE_LEVEL, not DISPATCH_LEVEL",
        ),
    ):
        NdisMFreeSharedMemory(adapter, 8192, True, va, la)


def test_free_after_halt_is_refused(
    system: NdisSystem, one_block: tuple[MiniportAdapter, int, int]
) -> None:
    adapter, va, la = one_block
    with pytest.raises(LeakError):
        adapter.end_halt()
    with pytest.raises(StateViolation, match="adapter 'nic0' is already HALTED"):
        NdisMFreeSharedMemory(adapter, 8192, True, va, la)


def test_device_use_after_free(
    system: NdisSystem, one_block: tuple[MiniportAdapter, int, int]
) -> None:
    adapter, va, la = one_block
    NdisMFreeSharedMemory(adapter, 8192, True, va, la)
    with pytest.raises(
        TranslationFault,
        match=r"mapping already freed; mapping 'nic0 NdisMAllocateSharedMemory #1'",
    ):
        system.host.dma_write(la + 16, b"late")


def test_permissive_mismatched_free_frees_nothing() -> None:
    system = make_system(strict=False)
    adapter, _ = Driver(system).adapter()
    with initializing(adapter):
        va, la = NdisMAllocateSharedMemory(adapter, 8192, True)
        NdisMFreeSharedMemory(adapter, 4096, True, va, la)  # type: ignore[arg-type]
    assert [type(v) for v in system.violations] == [WrongLength]
    assert adapter.shared_memory[0].va == va


# ----------------------------------------------------------------- async
def test_async_allocation_completes_later_at_dispatch(system: NdisSystem, drv: Driver) -> None:
    adapter, dma = drv.adapter(run=True)
    with system.calling(adapter, irql=DISPATCH_LEVEL):
        assert NdisMAllocateSharedMemoryAsyncEx(dma, 6000, True, "ctx") == NDIS_STATUS_PENDING
    (pending,) = system.pending_completions
    assert 1_000 <= pending.due <= 20_000
    assert adapter.shared_bytes == 6000
    system.advance_to(pending.due - 1)
    assert drv.completions == []
    system.advance_to(pending.due + 5)
    ((va, la, length, ctx, irql, current),) = drv.completions
    assert (length, ctx, irql, current) == (6000, "ctx", DISPATCH_LEVEL, adapter)
    assert va is not None and la is not None
    assert system.host.now == pending.due + 5
    assert adapter.shared_memory[0].api == "NdisMAllocateSharedMemoryAsyncEx"
    system.host.dma_write(la, b"ok")
    assert system.host.cpu_read(va, 2) == b"ok"


def test_async_delays_are_seeded() -> None:
    def dues(seed: int) -> list[int]:
        system = make_system(seed=seed, async_delay_ns=(100, 900))
        _adapter, dma = Driver(system).adapter(run=True)
        for i in range(5):
            NdisMAllocateSharedMemoryAsyncEx(dma, 4096, True, i)
        return [p.due for p in system.pending_completions]

    assert dues(1) == dues(1) != dues(2)
    assert all(100 <= d <= 900 for d in dues(3))


def test_completions_are_delivered_in_due_order(system: NdisSystem, drv: Driver) -> None:
    _adapter, dma = drv.adapter(run=True)
    for i in range(6):
        NdisMAllocateSharedMemoryAsyncEx(dma, 4096, True, i)
    order = [p.context for p in system.pending_completions]
    system.run_until_idle()
    assert [c[3] for c in drv.completions] == order
    assert system.pending_completions == ()


def test_async_above_dispatch_is_refused(system: NdisSystem, drv: Driver) -> None:
    _adapter, dma = drv.adapter(run=True)
    old = KeRaiseIrql(5)
    try:
        with pytest.raises(
            IrqlViolation,
            match="NdisMAllocateSharedMemoryAsyncEx must be called at "
            "IRQL <= DISPATCH_LEVEL, not IRQL 5",
        ):
            NdisMAllocateSharedMemoryAsyncEx(dma, 4096, True, None)
    finally:
        KeLowerIrql(old)


def test_async_only_for_bus_masters(system: NdisSystem, drv: Driver) -> None:
    _adapter, dma = drv.adapter(run=True, bus_master=False, name="nic0")
    with pytest.raises(
        StateViolation,
        match="NdisMAllocateSharedMemoryAsyncEx can be called only for a "
        "bus-master NIC; adapter 'nic0' is not a bus master",
    ):
        NdisMAllocateSharedMemoryAsyncEx(dma, 4096, True, None)


def test_async_needs_a_completion_handler(system: NdisSystem) -> None:
    adapter = system.add_adapter(name="nic0")
    with initializing(adapter):
        _, dma = NdisMRegisterScatterGatherDma(adapter, NDIS_SG_DMA_DESCRIPTION())
    with pytest.raises(
        StateViolation,
        match="needs a MiniportSharedMemoryAllocateComplete handler; adapter "
        "'nic0' registered scatter/gather DMA without shared_mem_allocate_complete_handler",
    ):
        NdisMAllocateSharedMemoryAsyncEx(dma, 4096, True, None)  # type: ignore[arg-type]


def test_async_needs_a_registered_handle(system: NdisSystem, drv: Driver) -> None:
    adapter, dma = drv.adapter()
    assert dma is not None
    with initializing(adapter):
        NdisMDeregisterScatterGatherDma(dma)
    with pytest.raises(
        InvalidHandle,
        match=rf"the scatter/gather DMA handle was deregistered at t=0 ns \(op #\d+\) from {HERE}",
    ):
        NdisMAllocateSharedMemoryAsyncEx(dma, 4096, True, None)
    with pytest.raises(
        InvalidHandle,
        match="MiniportDmaHandle must be a handle from NdisMRegisterScatterGatherDma, not 'dma'",
    ):
        NdisMAllocateSharedMemoryAsyncEx("dma", 4096, True, None)  # type: ignore[arg-type]


def test_async_while_halting_is_refused(system: NdisSystem, drv: Driver) -> None:
    adapter, dma = drv.adapter(run=True, name="nic0")
    adapter.begin_halt()
    with pytest.raises(
        StateViolation,
        match="can be called only while the adapter is initializing or "
        "running; adapter 'nic0' is HALTING",
    ):
        NdisMAllocateSharedMemoryAsyncEx(dma, 4096, True, None)


def test_async_counts_against_the_limit(system: NdisSystem, drv: Driver) -> None:
    _adapter, dma = drv.adapter(run=True, shared_memory_limit=8192)
    NdisMAllocateSharedMemoryAsyncEx(dma, 8192, True, None)
    with pytest.raises(LimitViolation, match=r"\(8192 bytes outstanding\)"):
        NdisMAllocateSharedMemoryAsyncEx(dma, 1, True, None)


def test_async_resource_failure_completes_with_nones() -> None:
    system = make_system("noncoherent", noncached_pool_bytes=4096)
    drv = Driver(system)
    adapter, dma = drv.adapter(run=True)
    assert NdisMAllocateSharedMemoryAsyncEx(dma, 8192, False, "big") == NDIS_STATUS_PENDING
    system.run_until_idle()
    assert [c[:4] for c in drv.completions] == [(None, None, 8192, "big")]
    assert adapter.shared_bytes == 0 and system.violations == []


@pytest.mark.parametrize("mode", ["complete", "immediate"])
def test_async_injected_failure(mode: str) -> None:
    inject = FaultInjection(
        nth=1, apis=frozenset({"NdisMAllocateSharedMemoryAsyncEx"}), async_failure=mode
    )  # type: ignore[arg-type]
    system = make_system(fault_injection=inject)
    drv = Driver(system)
    _adapter, dma = drv.adapter(run=True)
    status = NdisMAllocateSharedMemoryAsyncEx(dma, 4096, True, 1)
    system.run_until_idle()
    if mode == "immediate":
        assert status == NDIS_STATUS_FAILURE and drv.completions == []
    else:
        assert status == NDIS_STATUS_PENDING
        assert [c[:4] for c in drv.completions] == [(None, None, 4096, 1)]
    assert NdisMAllocateSharedMemoryAsyncEx(dma, 4096, True, 2) == NDIS_STATUS_PENDING
    system.run_until_idle()
    assert drv.completions[-1][0] is not None
    assert [f.api for f in system.injector.log] == ["NdisMAllocateSharedMemoryAsyncEx"]


def test_in_flight_at_halt_is_a_leak_and_is_cancelled(system: NdisSystem, drv: Driver) -> None:
    adapter, dma = drv.adapter(run=True, name="nic0")
    NdisMAllocateSharedMemoryAsyncEx(dma, 4096, True, None)
    with (
        pytest.raises(
            LeakError,
            match=r"NdisMAllocateSharedMemoryAsyncEx: 4096 bytes from "
            rf"{HERE} \(t=0 ns, op #\d+\), still in flight \(due at t=\d+ ns\)",
        ),
        adapter.halt(),
    ):
        NdisMDeregisterScatterGatherDma(dma)  # type: ignore[arg-type]
    system.run_until_idle()
    assert drv.completions == []


# ------------------------------------------------------------ NdisAllocateMemory
def test_allocate_memory_flags_zero_at_dispatch(system: NdisSystem) -> None:
    with at_irql(DISPATCH_LEVEL):
        status, va = NdisAllocateMemory(100, 0, -1)
    assert status == NDIS_STATUS_SUCCESS and va is not None
    system.host.cpu_write(va, b"ctx")
    with pytest.raises(TranslationFault):  # not shared: the device cannot see it
        system.host.dma_read(va, 1)
    NdisFreeMemory(va, 100, 0)


def test_allocate_memory_above_dispatch_is_refused(system: NdisSystem) -> None:
    with (
        at_irql(5),
        pytest.raises(
            IrqlViolation,
            match="NdisAllocateMemory must be called at IRQL <= DISPATCH_LEVEL, not IRQL 5",
        ),
    ):
        NdisAllocateMemory(100, 0, -1)


def test_contiguous_memory_needs_passive(system: NdisSystem, drv: Driver) -> None:
    adapter, _ = drv.adapter()
    with (
        system.calling(adapter, irql=DISPATCH_LEVEL),
        pytest.raises(
            IrqlViolation,
            match="NdisAllocateMemory with NDIS_MEMORY_CONTIGUOUS during initialization must "
            "be called at PASSIVE_LEVEL, not DISPATCH_LEVEL",
        ),
    ):
        NdisAllocateMemory(4096, NDIS_MEMORY_CONTIGUOUS, -1)


def test_noncached_memory_only_during_initialization(system: NdisSystem, drv: Driver) -> None:
    adapter, _ = drv.adapter(run=True, name="nic0")
    with (
        system.calling(adapter),
        pytest.raises(
            StateViolation,
            match=r"NdisAllocateMemory with NDIS_MEMORY_CONTIGUOUS \| NDIS_MEMORY_NONCACHED can "
            r"be called only during initialization \(MiniportInitializeEx\); "
            r"adapter 'nic0' is RUNNING",
        ),
    ):
        NdisAllocateMemory(4096, NDIS_MEMORY_CONTIGUOUS | NDIS_MEMORY_NONCACHED, -1)
    with pytest.raises(
        StateViolation, match="no adapter is initializing in the current calling context"
    ):
        NdisAllocateMemory(4096, NDIS_MEMORY_NONCACHED, -1)


def test_allocate_memory_bad_flags(system: NdisSystem) -> None:
    with pytest.raises(
        ArgumentViolation,
        match="MemoryFlags must be 0, NDIS_MEMORY_CONTIGUOUS and/or NDIS_MEMORY_NONCACHED, not 4",
    ):
        NdisAllocateMemory(16, 4, -1)


def test_contiguous_fails_where_scattered_succeeds(system: NdisSystem, drv: Driver) -> None:
    adapter, _ = drv.adapter()
    too_long = (system.host.memory.largest_free_run() + 1) * 4096
    with initializing(adapter):
        assert NdisAllocateMemory(too_long, NDIS_MEMORY_CONTIGUOUS, -1) == (
            NDIS_STATUS_FAILURE,
            None,
        )
        status, va = NdisAllocateMemory(too_long, 0, -1)
        assert status == NDIS_STATUS_SUCCESS and va is not None
        status, va2 = NdisAllocateMemory(3 * 4096, NDIS_MEMORY_CONTIGUOUS, 16 * MiB - 1)
        assert status == NDIS_STATUS_SUCCESS and va2 is not None
    alloc = system.host.allocation_at(va2)
    assert alloc is not None and len(alloc.runs) == 1
    assert (alloc.runs[0][0] + 3) * 4096 <= 16 * MiB
    assert system.violations == []


def test_noncached_memory_uses_the_pool() -> None:
    system = make_system(noncached_pool_bytes=8192)
    adapter, _ = Driver(system).adapter()
    with initializing(adapter):
        status, va = NdisAllocateMemory(5000, NDIS_MEMORY_NONCACHED, -1)
        assert status == NDIS_STATUS_SUCCESS and system.noncached_in_use == 8192
        assert NdisAllocateMemory(1, NDIS_MEMORY_NONCACHED, -1) == (NDIS_STATUS_FAILURE, None)
        alloc = system.host.allocation_at(va)  # type: ignore[arg-type]
        assert alloc is not None and not alloc.cached
        NdisFreeMemory(va, 5000, NDIS_MEMORY_NONCACHED)  # type: ignore[arg-type]
        assert system.noncached_in_use == 0


def test_free_memory_rules(system: NdisSystem, drv: Driver) -> None:
    adapter, _ = drv.adapter()
    with initializing(adapter):
        _, va = NdisAllocateMemory(300, NDIS_MEMORY_NONCACHED, -1)
        assert va is not None
        with pytest.raises(
            WrongLength,
            match=rf"NdisFreeMemory: Length must be 300, the length allocated at {HERE}, not 30",
        ):
            NdisFreeMemory(va, 30, NDIS_MEMORY_NONCACHED)
        with pytest.raises(
            WrongCachedFlag,
            match=rf"MemoryFlags must be NDIS_MEMORY_NONCACHED, as allocated at {HERE}, not 0",
        ):
            NdisFreeMemory(va, 300, 0)
        with (
            at_irql(DISPATCH_LEVEL),
            pytest.raises(
                IrqlViolation,
                match="NdisFreeMemory for memory allocated with NDIS_MEMORY_NONCACHED must be "
                "called at PASSIVE_LEVEL, not DISPATCH_LEVEL",
            ),
        ):
            NdisFreeMemory(va, 300, NDIS_MEMORY_NONCACHED)
        NdisFreeMemory(va, 300, NDIS_MEMORY_NONCACHED)
        with pytest.raises(
            DoubleFree,
            match=rf"VirtualAddress {va:#x} was already freed at t=0 ns \(op #\d+\) from {HERE}",
        ):
            NdisFreeMemory(va, 300, NDIS_MEMORY_NONCACHED)
        sva, _sla = NdisMAllocateSharedMemory(adapter, 64, True)
        with pytest.raises(
            UnknownAddress,
            match="is not an outstanding NdisAllocateMemory allocation "
            r"\(it is shared memory: free it with NdisMFreeSharedMemory\)",
        ):
            NdisFreeMemory(sva, 64, 0)  # type: ignore[arg-type]


def test_allocate_memory_with_tag(system: NdisSystem) -> None:
    with at_irql(DISPATCH_LEVEL):
        status, va = NdisAllocateMemoryWithTag(64, "Dma1")
        assert status == NDIS_STATUS_SUCCESS and va is not None
        NdisFreeMemory(va, 64, 0)
    with (
        at_irql(3),
        pytest.raises(
            IrqlViolation,
            match="NdisAllocateMemoryWithTag must be called at IRQL <= DISPATCH_LEVEL",
        ),
    ):
        NdisAllocateMemoryWithTag(64, "Dma1")


# ------------------------------------------------------------------ pools
def test_packet_pool_capacity(system: NdisSystem) -> None:
    status, pool = NdisAllocatePacketPool(2, 16)
    assert status == NDIS_STATUS_SUCCESS and pool is not None
    s1, p1 = NdisAllocatePacket(pool)
    s2, p2 = NdisAllocatePacket(pool)
    assert (
        (s1, s2) == (NDIS_STATUS_SUCCESS, NDIS_STATUS_SUCCESS) and p1 is not None and p2 is not None
    )
    assert len(p1.protocol_reserved) == 16
    assert NdisAllocatePacket(pool) == (NDIS_STATUS_RESOURCES, None)
    NdisFreePacket(p1)
    assert NdisAllocatePacket(pool)[0] == NDIS_STATUS_SUCCESS


def test_packet_pool_violations(system: NdisSystem) -> None:
    _, pool = NdisAllocatePacketPool(4, 0)
    assert pool is not None
    _, pkt = NdisAllocatePacket(pool)
    assert pkt is not None
    with pytest.raises(
        PoolInUse,
        match=rf"NdisFreePacketPool: 1 packet descriptor\(s\) from this pool are "
        rf"still allocated \(at {HERE}\); free them first",
    ):
        NdisFreePacketPool(pool)
    NdisFreePacket(pkt)
    with pytest.raises(
        DoubleFree,
        match=rf"packet descriptor #\d+ was already freed at t=0 ns \(op #\d+\) from {HERE}",
    ):
        NdisFreePacket(pkt)
    NdisFreePacketPool(pool)
    with pytest.raises(
        DoubleFree, match="NdisFreePacketPool: the packet pool was already freed at"
    ):
        NdisFreePacketPool(pool)
    with pytest.raises(InvalidHandle, match="NdisAllocatePacket: the packet pool was freed at"):
        NdisAllocatePacket(pool)


def test_buffer_pool_and_flush() -> None:
    system = make_system("noncoherent")
    adapter, _ = Driver(system).adapter()
    with initializing(adapter):
        va, la = NdisMAllocateSharedMemory(adapter, 4096, True)
        assert va is not None and la is not None
        status, pool = NdisAllocateBufferPool(1)
        assert status == NDIS_STATUS_SUCCESS and pool is not None
        status, buf = NdisAllocateBuffer(pool, va + 64, 128)
        assert status == NDIS_STATUS_SUCCESS and buf is not None
        assert NdisAllocateBuffer(pool, va, 64) == (NDIS_STATUS_FAILURE, None)  # exhausted
    host = system.host
    host.cpu_write(va + 64, b"tx frame")
    NdisFlushBuffer(buf, True)
    assert host.dma_read(la + 64, 8) == b"tx frame"
    host.dma_write(la + 128, b"rx")
    NdisFlushBuffer(buf, False)
    assert host.cpu_read(va + 128, 2) == b"rx"
    assert host.cache.events == []
    NdisFreeBuffer(buf)
    with pytest.raises(InvalidHandle, match=r"NdisFlushBuffer: Buffer .* was freed at t=0 ns"):
        NdisFlushBuffer(buf, True)
    NdisFreeBufferPool(pool)


def test_buffer_must_describe_live_memory(system: NdisSystem) -> None:
    _, pool = NdisAllocateBufferPool(4)
    _, va = NdisAllocateMemory(100, 0, -1)
    assert pool is not None and va is not None
    with pytest.raises(
        ArgumentViolation,
        match=r"NdisAllocateBuffer: VirtualAddress 0x[0-9a-f]+ with Length 200 "
        r"must describe live memory, but it runs past the end of",
    ):
        NdisAllocateBuffer(pool, va, 200)
    with pytest.raises(ArgumentViolation, match="but it is not in any allocation"):
        NdisAllocateBuffer(pool, 0x1000, 8)


# ------------------------------------------------------- lifecycle and leaks
def test_halt_reports_every_leak_with_size_and_site(system: NdisSystem, drv: Driver) -> None:
    adapter = system.add_adapter(name="nic0")
    with adapter.initialize():
        _, _dma = NdisMRegisterScatterGatherDma(adapter, drv.description())
        va, la = NdisMAllocateSharedMemory(adapter, 8192, True)
        NdisAllocateMemory(512, 0, -1)
        NdisAllocatePacketPool(8, 0)
    assert adapter.state is AdapterState.RUNNING
    with pytest.raises(LeakError) as info, adapter.halt():
        pass
    err = info.value
    assert adapter.state is AdapterState.HALTED
    assert [leak.api for leak in err.leaks] == [
        "NdisMRegisterScatterGatherDma",
        "NdisMAllocateSharedMemory",
        "NdisAllocateMemory",
        "NdisAllocatePacketPool",
    ]
    text = str(err)
    assert text.startswith(
        "adapter 'nic0' halted with 4 outstanding allocations "
        "(MiniportHaltEx must free everything):"
    )
    import re

    assert re.search(
        rf"NdisMAllocateSharedMemory: 8192 bytes at VA {va:#x} LA {la:#x} from {HERE} \(t=0 ns",
        text,
    )
    assert re.search(rf"NdisAllocateMemory: 512 bytes at VA 0x[0-9a-f]+ from {HERE}", text)
    assert re.search(
        rf"NdisAllocatePacketPool: from {HERE} .*, packet pool of 8 descriptors, 0 still allocated",
        text,
    )
    assert "scatter/gather DMA still registered" in text
    assert err.api == "MiniportHaltEx" and adapter.leaks == err.leaks


def test_failed_initialization_reports_leaks(system: NdisSystem, drv: Driver) -> None:
    adapter, _ = drv.adapter(name="nic0")
    with initializing(adapter):
        NdisMAllocateSharedMemory(adapter, 4096, True)
        with pytest.raises(
            LeakError,
            match=r"adapter 'nic0' failed initialization with 2 outstanding allocations "
            r"\(MiniportInitializeEx must release everything it allocated before failing\)",
        ):
            adapter.initialize_complete(NDIS_STATUS_RESOURCES)
    assert adapter.state is AdapterState.HALTED


def test_exception_in_initialize_fails_it_and_keeps_the_exception(
    system: NdisSystem, drv: Driver
) -> None:
    adapter = system.add_adapter()
    with pytest.raises(RuntimeError, match="driver bug"), adapter.initialize():
        NdisMRegisterScatterGatherDma(adapter, drv.description())
        raise RuntimeError("driver bug")
    assert adapter.state is AdapterState.HALTED
    assert isinstance(system.violations[-1], LeakError)


def test_clean_lifecycle_has_no_leaks(system: NdisSystem, drv: Driver) -> None:
    initial = system.host.memory.free_extents()
    adapter = system.add_adapter()
    with adapter.initialize():
        _, dma = NdisMRegisterScatterGatherDma(adapter, drv.description())
        va, la = NdisMAllocateSharedMemory(adapter, 4096, True)
        _, pool = NdisAllocatePacketPool(4, 0)
    with adapter.halt():
        NdisMFreeSharedMemory(adapter, 4096, True, va, la)  # type: ignore[arg-type]
        NdisFreePacketPool(pool)  # type: ignore[arg-type]
        NdisMDeregisterScatterGatherDma(dma)  # type: ignore[arg-type]
    assert adapter.state is AdapterState.HALTED and adapter.leaks == ()
    assert system.violations == [] and system.host.memory.free_extents() == initial


def test_lifecycle_order_is_enforced(system: NdisSystem, drv: Driver) -> None:
    adapter, _ = drv.adapter(name="nic0")
    with pytest.raises(
        StateViolation,
        match="MiniportHaltEx can be called only for a running adapter; "
        "adapter 'nic0' is INITIALIZING",
    ):
        adapter.begin_halt()
    with pytest.raises(
        StateViolation, match="MiniportHaltEx can return only for a halting adapter"
    ):
        adapter.end_halt()
    adapter.initialize_complete()
    with pytest.raises(
        StateViolation,
        match="MiniportInitializeEx can complete only for an initializing adapter; "
        "adapter 'nic0' is RUNNING",
    ):
        adapter.initialize_complete()


def test_permissive_halt_records_leaks() -> None:
    system = make_system(strict=False)
    adapter, _ = Driver(system).adapter(run=True)
    with adapter.halt():
        pass
    assert [leak.api for leak in adapter.leaks] == ["NdisMRegisterScatterGatherDma"]
    assert isinstance(system.violations[-1], LeakError)


def test_unload_reports_driver_level_leaks(system: NdisSystem) -> None:
    NdisAllocateMemoryWithTag(64, 0x6B636F4C)
    with pytest.raises(
        LeakError,
        match=r"driver unloaded with 1 outstanding allocation\(s\) made outside any "
        rf"adapter:\n  - NdisAllocateMemoryWithTag: 64 bytes at VA 0x[0-9a-f]+ from {HERE}",
    ):
        system.unload()


# --------------------------------------------------------------------- IRQL
def test_ke_raise_and_lower_irql(system: NdisSystem) -> None:
    old = KeRaiseIrql(DISPATCH_LEVEL)
    assert old == PASSIVE_LEVEL and KeGetCurrentIrql() == DISPATCH_LEVEL
    with pytest.raises(
        IrqlViolation,
        match="KeRaiseIrql needs a new IRQL >= the current DISPATCH_LEVEL, not PASSIVE_LEVEL",
    ):
        KeRaiseIrql(PASSIVE_LEVEL)
    with pytest.raises(
        IrqlViolation,
        match="KeLowerIrql needs a new IRQL <= the current DISPATCH_LEVEL, not IRQL 4",
    ):
        KeLowerIrql(4)
    KeLowerIrql(old)
    assert KeGetCurrentIrql() == PASSIVE_LEVEL
    with at_irql(DISPATCH_LEVEL) as was:
        assert was == PASSIVE_LEVEL and KeGetCurrentIrql() == DISPATCH_LEVEL
    assert KeGetCurrentIrql() == PASSIVE_LEVEL


def test_violations_carry_api_and_are_logged(system: NdisSystem) -> None:
    with pytest.raises(NdisViolation) as info:
        NdisAllocateMemory(0, 0, -1)
    assert info.value.api == "NdisAllocateMemory"
    assert system.violations == [info.value]
    assert re_site(str(info.value))


def re_site(text: str) -> bool:
    import re

    return re.search(rf"\(at {HERE}\)$", text) is not None
