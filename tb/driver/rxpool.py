"""The receive-buffer pool: where each buffer is, block by block, and the watermark decisions.

A receive buffer is always in one place:

``FREE``    the driver's, ready to post
``POSTED``  the device's (in the RX ring)
``HELD``    indicated up the stack, not yet returned (MiniportReturnNetBufferLists)
``ASIDE``   the driver's, kept out of the ring because its block is being given back

The first blocks (MiniportInitializeEx's, ``NdisMAllocateSharedMemory``) stay
until halt; the *extra* blocks (``NdisMAllocateSharedMemoryAsyncEx``, under
heavy demand) are given back when demand subsides: a block chosen to go is
*retiring*, its buffers go ASIDE as they come back from the device and the
stack, and once every one is ASIDE the block can be freed (the device owns
none, the stack holds none). Extra buffers are posted last, so the ring drains
of them first.

Pure Python (no cocotb): the driver model calls it; ``tests/test_rxpool.py``
unit-tests it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from tb.driver.memory import DmaBuffer, SharedBlock
from tb.errors import DriverError

__all__ = ["BufferState", "PoolBlock", "PoolMarks", "RxPool"]


class BufferState(enum.Enum):
    FREE = "free"
    POSTED = "posted"
    HELD = "held"
    ASIDE = "aside"


@dataclass(eq=False)
class PoolBlock:
    """One shared-memory block of receive buffers."""

    block: SharedBlock
    buffers: list[DmaBuffer]
    #: an NdisMAllocateSharedMemoryAsyncEx block (may be given back)
    extra: bool
    retiring: bool = False
    counts: dict[BufferState, int] = field(default_factory=dict)

    def count(self, state: BufferState) -> int:
        return self.counts.get(state, 0)


@dataclass
class PoolMarks:
    """The pool's high and low marks over a run."""

    max_buffers: int = 0
    min_buffers: int = 0
    max_held: int = 0
    min_available: int = -1
    max_blocks: int = 0


class RxPool:
    """Receive buffers by state and by block (see the module docstring)."""

    def __init__(self) -> None:
        self.blocks: list[PoolBlock] = []
        self._state: dict[int, BufferState] = {}   # by buffer VA
        self._block_of: dict[int, PoolBlock] = {}  # by buffer VA
        self._free_base: list[DmaBuffer] = []
        self._free_extra: list[DmaBuffer] = []
        self.totals: dict[BufferState, int] = dict.fromkeys(BufferState, 0)
        self.marks = PoolMarks()

    # ---------------------------------------------------------------- blocks
    def add_block(self, block: SharedBlock, buffers: list[DmaBuffer], *, extra: bool) -> None:
        """A block of buffers joins the pool, all FREE."""
        pb = PoolBlock(block, list(buffers), extra)
        self.blocks.append(pb)
        for buf in buffers:
            self._block_of[buf.va] = pb
            self._state[buf.va] = BufferState.FREE
        pb.counts[BufferState.FREE] = len(buffers)
        self.totals[BufferState.FREE] += len(buffers)
        (self._free_extra if extra else self._free_base).extend(reversed(buffers))
        self._mark()

    def extra_blocks(self) -> list[PoolBlock]:
        return [b for b in self.blocks if b.extra]

    def retire_one(self) -> PoolBlock | None:
        """Choose an extra block to give back (the one the device and stack hold least of);
        its FREE buffers go ASIDE at once, the others as they come back."""
        candidates = [b for b in self.blocks if b.extra and not b.retiring]
        if not candidates:
            return None
        pb = min(candidates, key=lambda b: (b.count(BufferState.POSTED)
                                            + b.count(BufferState.HELD), -self.blocks.index(b)))
        pb.retiring = True
        for buf in pb.buffers:
            if self._state[buf.va] is BufferState.FREE:
                self._move(buf, BufferState.ASIDE)
        self._free_extra = [b for b in self._free_extra if self._block_of[b.va] is not pb]
        return pb

    def unretire(self) -> PoolBlock | None:
        """Demand is back: keep a retiring block after all (its ASIDE buffers become FREE)."""
        for pb in self.blocks:
            if pb.retiring:
                pb.retiring = False
                for buf in pb.buffers:
                    if self._state[buf.va] is BufferState.ASIDE:
                        self._move(buf, BufferState.FREE)
                        self._free_extra.append(buf)
                return pb
        return None

    def freeable(self) -> list[PoolBlock]:
        """Retiring blocks whose every buffer is ASIDE: nobody but the driver holds them."""
        return [b for b in self.blocks
                if b.retiring and b.count(BufferState.ASIDE) == len(b.buffers)]

    def remove_block(self, pb: PoolBlock) -> None:
        """The block is being freed (every buffer ASIDE)."""
        if pb.count(BufferState.ASIDE) != len(pb.buffers):
            where = {s.value: n for s, n in pb.counts.items() if n and s is not BufferState.ASIDE}
            raise DriverError(f"block at LA {pb.block.la:#x} cannot be freed: buffers {where}")
        self.blocks.remove(pb)
        for buf in pb.buffers:
            del self._state[buf.va]
            del self._block_of[buf.va]
        self.totals[BufferState.ASIDE] -= len(pb.buffers)
        self._mark()

    # ---------------------------------------------------------------- buffers
    def _move(self, buf: DmaBuffer, new: BufferState) -> None:
        old = self._state[buf.va]
        pb = self._block_of[buf.va]
        pb.counts[old] -= 1
        pb.counts[new] = pb.counts.get(new, 0) + 1
        self.totals[old] -= 1
        self.totals[new] += 1
        self._state[buf.va] = new

    def state_of(self, buf: DmaBuffer) -> BufferState:
        return self._state[buf.va]

    def block_of(self, buf: DmaBuffer) -> PoolBlock:
        return self._block_of[buf.va]

    def pop_free(self) -> DmaBuffer | None:
        """A FREE buffer to post (the initial blocks' first), now POSTED; None if none."""
        stack = self._free_base or self._free_extra
        if not stack:
            return None
        buf = stack.pop()
        self._move(buf, BufferState.POSTED)
        return buf

    def back_from_device(self, buf: DmaBuffer, *, indicated: bool) -> None:
        """The device is done with a POSTED buffer: HELD if it went up the stack, else back
        to FREE (or ASIDE, when its block is retiring)."""
        if self._state[buf.va] is not BufferState.POSTED:
            raise DriverError(f"RX buffer at LA {buf.la:#x} came back from the device but is "
                              f"{self._state[buf.va].value}, not posted")
        if indicated:
            self._move(buf, BufferState.HELD)
            self._mark()
        else:
            self._release(buf)

    def returned(self, buf: DmaBuffer) -> None:
        """The stack returned a HELD buffer."""
        if self._state[buf.va] is not BufferState.HELD:
            raise DriverError(f"RX buffer at LA {buf.la:#x} returned by the stack but is "
                              f"{self._state[buf.va].value}, not held")
        self._release(buf)

    def _release(self, buf: DmaBuffer) -> None:
        pb = self._block_of[buf.va]
        if pb.retiring:
            self._move(buf, BufferState.ASIDE)
        else:
            self._move(buf, BufferState.FREE)
            (self._free_extra if pb.extra else self._free_base).append(buf)

    # ---------------------------------------------------------------- figures
    @property
    def total(self) -> int:
        return sum(self.totals.values())

    @property
    def free(self) -> int:
        return self.totals[BufferState.FREE]

    @property
    def posted(self) -> int:
        return self.totals[BufferState.POSTED]

    @property
    def held(self) -> int:
        return self.totals[BufferState.HELD]

    @property
    def available(self) -> int:
        """Buffers for incoming packets: posted, or ready to post (not held, not aside)."""
        return self.free + self.posted

    @property
    def all_held(self) -> bool:
        """Every receive buffer is up the stack: nothing to post, nothing posted."""
        return self.available == 0 and self.held > 0

    def merge_marks(self, into: PoolMarks) -> None:
        """Fold this pool's marks into ``into`` (the driver's over several lifetimes)."""
        m = self.marks
        into.max_buffers = max(into.max_buffers, m.max_buffers)
        if m.min_buffers:
            into.min_buffers = (m.min_buffers if not into.min_buffers
                                else min(into.min_buffers, m.min_buffers))
        into.max_held = max(into.max_held, m.max_held)
        if m.min_available >= 0:
            into.min_available = (m.min_available if into.min_available < 0
                                  else min(into.min_available, m.min_available))
        into.max_blocks = max(into.max_blocks, m.max_blocks)

    def start_marks(self) -> None:
        """The marks count from now (the initial pool is complete)."""
        self.marks = PoolMarks()
        self._mark()

    def _mark(self) -> None:
        m = self.marks
        total = self.total
        m.max_buffers = max(m.max_buffers, total)
        m.min_buffers = total if m.min_buffers == 0 else min(m.min_buffers, total)
        m.max_held = max(m.max_held, self.held)
        m.min_available = (self.available if m.min_available < 0
                           else min(m.min_available, self.available))
        m.max_blocks = max(m.max_blocks, len(self.blocks))

    def describe(self) -> str:
        extra = len(self.extra_blocks())
        return (f"{self.total} buffers in {len(self.blocks)} blocks ({extra} extra): "
                f"{self.free} free, {self.posted} posted, {self.held} held by the stack, "
                f"{self.totals[BufferState.ASIDE]} aside")
