"""The receive-buffer pool and the protocol-stack model, without a simulator."""

from __future__ import annotations

import pytest

from pymodel.iommu import Access
from tb.checkers.ownership import OwnershipMap
from tb.checkers.violations import CheckerViolation, Rule, ViolationLog
from tb.driver.memory import DmaBuffer, SharedBlock
from tb.driver.rxpool import BufferState, RxPool
from tb.driver.stack import ProtocolStack, StackConfig
from tb.errors import DriverError


def _block(la: int, n: int) -> tuple[SharedBlock, list[DmaBuffer]]:
    block = SharedBlock(va=la + (1 << 40), la=la, length=n * 2048, cached=True, purpose="rx")
    bufs = [DmaBuffer(block.va + i * 2048, la + i * 2048, 2048, None, "rx")  # type: ignore[arg-type]
            for i in range(n)]
    return block, bufs


def test_buffers_move_between_states_and_extra_ones_are_posted_last() -> None:
    pool = RxPool()
    pool.add_block(*_block(0x10000, 4), extra=False)
    pool.add_block(*_block(0x20000, 4), extra=True)
    posted = [pool.pop_free() for _ in range(4)]
    assert all(b is not None and b.la < 0x20000 for b in posted), "base buffers first"
    assert (pool.free, pool.posted, pool.available) == (4, 4, 8)
    assert posted[0] is not None
    pool.back_from_device(posted[0], indicated=True)
    assert (pool.held, pool.available) == (1, 7)
    pool.returned(posted[0])
    assert pool.state_of(posted[0]) is BufferState.FREE
    with pytest.raises(DriverError, match="not held"):
        pool.returned(posted[0])
    with pytest.raises(DriverError, match="not posted"):
        pool.back_from_device(posted[0], indicated=False)


def test_a_retiring_block_is_freeable_only_when_every_buffer_is_back() -> None:
    pool = RxPool()
    pool.add_block(*_block(0x10000, 2), extra=False)
    block, bufs = _block(0x20000, 2)
    pool.add_block(block, bufs, extra=True)
    out = [pool.pop_free() for _ in range(4)]  # every buffer posted
    assert pool.retire_one() is not None
    assert pool.freeable() == []
    for b in out:
        assert b is not None
        pool.back_from_device(b, indicated=b.la >= 0x20000)  # the extra ones go up the stack
    assert pool.freeable() == [], "the stack still holds the extra block's buffers"
    with pytest.raises(DriverError, match="cannot be freed"):
        pool.remove_block(pool.blocks[1])
    for b in out:
        assert b is not None
        if b.la >= 0x20000:
            pool.returned(b)
    (pb,) = pool.freeable()
    pool.remove_block(pb)
    assert pool.total == 2 and pool.marks.max_buffers == 4 and pool.free == 2


def test_unretire_keeps_the_block_when_demand_returns() -> None:
    pool = RxPool()
    pool.add_block(*_block(0x20000, 3), extra=True)
    assert pool.retire_one() is not None and pool.free == 0
    assert pool.unretire() is not None and pool.free == 3 and pool.freeable() == []


def test_stack_returns_in_due_order_with_slow_bursts() -> None:
    back: list[list[int]] = []
    cfg = StackConfig(hold_ns=(100, 200), slow_every_ns=1000, slow_for_ns=500,
                      slow_hold_ns=(5000, 6000), quantum_ns=1, seed=3)
    stack: ProtocolStack[int] = ProtocolStack(cfg, back.append)
    for i in range(40):
        stack.indicate(i, now=i * 100)
    assert stack.held == 40 and stack.slow_bursts >= 1
    due = stack.next_due()
    assert due is not None
    assert stack.return_due(due) >= 1
    stack.return_all()
    flat = [x for batch in back for x in batch]
    assert sorted(flat) == list(range(40)) and stack.held == 0
    # a seeded stack returns the same way every time
    again: list[list[int]] = []
    other: ProtocolStack[int] = ProtocolStack(cfg, again.append)
    for i in range(40):
        other.indicate(i, now=i * 100)
    other.return_all()
    assert [x for b in again for x in b] == flat


def test_stack_config_names_bad_values() -> None:
    with pytest.raises(ValueError, match=r"hold_ns must be \(min, max\)"):
        StackConfig(hold_ns=(5, 1))
    with pytest.raises(ValueError, match="quantum_ns must be at least 1"):
        StackConfig(quantum_ns=0)


def test_freeing_a_block_the_device_still_owns_is_a_finding() -> None:
    """FREED_IN_USE: the ownership map refuses a block with bytes handed to the device."""
    own = OwnershipMap(alignment=64, log=ViolationLog(stop=True))
    own.add_block(0x10000, 4096, "rx async")
    own.hand_to_device(0x10800, 2048, Access.WRITE)
    with pytest.raises(CheckerViolation, match="FREED_IN_USE") as info:
        own.remove_block(0x10000)
    assert info.value.finding.rule is Rule.FREED_IN_USE and info.value.finding.la == 0x10800
    assert "2048 bytes of rx async" in info.value.finding.detail
    own.add_block(0x20000, 4096, "rx async")
    own.hand_to_device(0x20000, 2048, Access.WRITE)
    own.take_back(0x20000, 2048)
    own.remove_block(0x20000)  # all of it the CPU's again: no finding
