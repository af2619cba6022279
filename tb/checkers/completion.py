"""Completion checker: every descriptor write-back, judged the moment it reaches host memory.

The driver model tells the checker what it posts and what it reclaims through a
small ledger (:class:`DescriptorLedger`, like the ownership map); the checker
keeps, per ring slot, the 16 bytes the device side holds and where the slot
stands:

    FREE --posted--> POSTED --device writes DONE--> DONE --driver reaps--> REAPED
      ^                                                                     |
      +---------- the driver reaped every descriptor of the line -----------+

Each write burst into a ring (from the AXI monitor, before the memory model
applies it) is cut into the descriptors it strobes; each is judged merged with
what the slot held: DONE only on a posted slot (NOT_POSTED), completions in
ring order (OUT_OF_ORDER), a completed descriptor rewritten only unchanged until
its line returns (COMPLETION_CHANGED), and the rules of one write-back against
the posted descriptor (:mod:`tb.checkers.completion_rules`). A violation names
the time, the ring and index, the descriptor's logical and physical address,
the bytes written and the rule.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from pymodel.device import DESC_BYTES, Descriptor, Ring
from pymodel.host import Host
from tb.bus_events import WriteBurst
from tb.checkers.completion_rules import (
    RX_WINDOW,
    RawCompletion,
    Verdict,
    describe,
    hex_bytes,
    judge_completion,
    judge_pending,
)
from tb.checkers.ownership import pa_of
from tb.checkers.violations import Finding, Rule, ViolationLog
from tb.errors import TbError

__all__ = ["CompletionChecker", "DescriptorLedger", "SlotState"]

INDEX_MASK = 0xFFFF


class DescriptorLedger(Protocol):
    """What the driver tells about its descriptor rings (indices are free-running, 16 bit)."""

    def ring_allocated(self, ring: Ring, *, la: int, size_log2: int, line_bytes: int) -> None:
        """The ring's memory exists: ``2**size_log2`` descriptors at ``la``, none posted."""

    def ring_freed(self, ring: Ring) -> None:
        """The ring's memory was freed."""

    def posted(self, ring: Ring, index: int, desc: Descriptor) -> None:
        """``desc`` is in slot ``index`` and handed to the device (before the doorbell)."""

    def reclaimed(self, ring: Ring, index: int) -> None:
        """The driver reaped the completed descriptor ``index``."""

    def ring_cleared(self, ring: Ring) -> None:
        """The driver took every descriptor back and restarts the ring at index 0."""


class SlotState(enum.Enum):
    """Where one ring slot stands, as the checker follows it."""

    FREE = "not posted"
    POSTED = "posted, not completed"
    DONE = "completed, not reaped"
    REAPED = "reaped, its line not all returned"


@dataclass
class _Slot:
    state: SlotState = SlotState.FREE
    index: int = 0
    posted: Descriptor | None = None
    image: bytes = bytes(DESC_BYTES)
    #: FREE: the slot held index ``index`` before it came back to the driver
    returned: bool = False


@dataclass
class _RingBook:
    ring: Ring
    la: int
    size: int
    per_line: int
    slots: list[_Slot] = field(default_factory=list)
    tail: int = 0        # next index the driver will post
    next_done: int = 0   # the index the next completion must carry
    packet_bytes: int = 0  # RX: bytes of the packet completed so far (since the last EOP)

    @property
    def end(self) -> int:
        return self.la + self.size * DESC_BYTES

    def later(self, index: int) -> list[Descriptor]:
        """The descriptors posted after ``index``, up to an RX window's worth."""
        out = []
        for k in range(1, RX_WINDOW):
            i = (index + k) & INDEX_MASK
            if (self.tail - i) & INDEX_MASK == 0 or (self.tail - i) & INDEX_MASK > self.size:
                break
            slot = self.slots[i % self.size]
            if slot.posted is None or slot.index != i:
                break
            out.append(slot.posted)
        return out


class CompletionChecker:
    """Judges every descriptor write-back against the driver's ledger (a DescriptorLedger)."""

    def __init__(self, *, host: Host, log: ViolationLog) -> None:
        self.host = host
        self.log = log
        self._rings: dict[Ring, _RingBook] = {}
        #: descriptor writes judged (one per descriptor a write burst strobed)
        self.descriptor_writes = 0
        #: completions accepted (DONE written the first time)
        self.completions = 0

    # ------------------------------------------------------------ ledger side
    def ring_allocated(self, ring: Ring, *, la: int, size_log2: int, line_bytes: int) -> None:
        size = 1 << size_log2
        self._rings[ring] = _RingBook(ring, la, size, max(1, line_bytes // DESC_BYTES),
                                      [_Slot() for _ in range(size)])

    def ring_freed(self, ring: Ring) -> None:
        self._rings.pop(ring, None)

    def posted(self, ring: Ring, index: int, desc: Descriptor) -> None:
        book = self._book(ring)
        slot = book.slots[index % book.size]
        if slot.state is not SlotState.FREE:
            raise TbError(
                f"{ring.name} ring: the driver posted index {index} into slot {index % book.size}, "
                f"which is {slot.state.value} (index {slot.index}); a slot is reused only after "
                f"its whole line came back"
            )
        slot.state, slot.index, slot.posted = SlotState.POSTED, index & INDEX_MASK, desc
        slot.image = desc.pack()
        book.tail = (index + 1) & INDEX_MASK

    def reclaimed(self, ring: Ring, index: int) -> None:
        book = self._book(ring)
        slot = book.slots[index % book.size]
        if slot.state is not SlotState.DONE or slot.index != index & INDEX_MASK:
            raise TbError(
                f"{ring.name} ring: the driver reclaimed index {index}, but slot "
                f"{index % book.size} is {slot.state.value} (index {slot.index})"
            )
        slot.state = SlotState.REAPED
        if (index + 1) % book.per_line == 0:  # the whole line is back with the driver
            first = index % book.size - (book.per_line - 1)
            for s in book.slots[first:first + book.per_line]:
                s.state, s.posted, s.returned = SlotState.FREE, None, True

    def ring_cleared(self, ring: Ring) -> None:
        book = self._book(ring)
        for s in book.slots:
            s.state, s.posted, s.image, s.returned = SlotState.FREE, None, bytes(DESC_BYTES), False
        book.tail = book.next_done = book.packet_bytes = 0

    def _book(self, ring: Ring) -> _RingBook:
        book = self._rings.get(ring)
        if book is None:
            raise TbError(f"the {ring.name} ring was not allocated (ring_allocated first)")
        return book

    # ----------------------------------------------------------- checker side
    def on_write(self, burst: WriteBurst) -> None:
        """Judge every descriptor slot ``burst`` strobes, in index order."""
        for book in self._rings.values():
            lo, hi = max(burst.start, book.la), min(burst.end, book.la + book.size * DESC_BYTES)
            if lo >= hi:
                continue
            first = (lo - book.la) // DESC_BYTES
            last = (hi - 1 - book.la) // DESC_BYTES
            for s in range(first, last + 1):
                la = book.la + s * DESC_BYTES
                off = la - burst.start
                lo_b, hi_b = max(0, off), min(burst.strobe.size, off + DESC_BYTES)
                strobe = np.zeros(DESC_BYTES, bool)
                strobe[lo_b - off:hi_b - off] = burst.strobe[lo_b:hi_b]
                if not strobe.any():
                    continue
                data = np.zeros(DESC_BYTES, np.uint8)
                data[lo_b - off:hi_b - off] = np.frombuffer(burst.data[lo_b:hi_b], np.uint8)
                slot = book.slots[s]
                old = np.frombuffer(slot.image, np.uint8)
                new = np.where(strobe, data, old).astype(np.uint8).tobytes()
                self.descriptor_writes += 1
                self._judge(book, s, new, burst)

    def _judge(self, book: _RingBook, s: int, new: bytes, burst: WriteBurst) -> None:
        slot = book.slots[s]
        c = RawCompletion.of(new)
        verdict: Verdict | None = None
        if slot.state is SlotState.FREE:
            if c.done:
                before = (f"its last one, index {slot.index}, came back to the driver; "
                          if slot.returned else "")
                verdict = Verdict(Rule.NOT_POSTED,
                                  f"slot {s} holds no posted descriptor ({before}the driver's next "
                                  f"index to post is {book.tail}, the next completion due is "
                                  f"{book.next_done})")
            # other writes of a slot the CPU owns are the translation checker's (PERMISSION)
        elif slot.state in (SlotState.DONE, SlotState.REAPED):
            if new != slot.image:
                verdict = Verdict(Rule.COMPLETION_CHANGED,
                                  f"completed as {hex_bytes(slot.image)} ({describe(slot.image)}); "
                                  f"until its whole line is done the device may write it again, "
                                  f"unchanged")
        else:
            assert slot.posted is not None
            if not c.done:
                verdict = judge_pending(slot.posted, new)
            elif slot.index != book.next_done:
                verdict = Verdict(Rule.OUT_OF_ORDER,
                                  f"index {slot.index} completed while index {book.next_done} "
                                  f"is not: completions come in ring order")
            else:
                verdict = judge_completion(book.ring, slot.posted, new,
                                           later=book.later(slot.index),
                                           packet_bytes=book.packet_bytes)
        if verdict is not None:
            self._report(book, s, new, burst, verdict)
        self._accept(book, slot, new, c)

    def _accept(self, book: _RingBook, slot: _Slot, new: bytes, c: RawCompletion) -> None:
        """Take the write as what the slot now holds (also after a recorded violation)."""
        if slot.state is SlotState.FREE:
            return
        if slot.state is SlotState.POSTED and c.done:
            slot.state = SlotState.DONE
            book.next_done = (slot.index + 1) & INDEX_MASK
            self.completions += 1
            if book.ring is Ring.RX:
                book.packet_bytes = 0 if c.eop or c.error else book.packet_bytes + c.wb_len
        slot.image = new

    def _report(self, book: _RingBook, s: int, new: bytes, burst: WriteBurst,
                verdict: Verdict) -> None:
        slot = book.slots[s]
        la = book.la + s * DESC_BYTES
        if slot.state is SlotState.FREE:
            who = f"{book.ring.name} ring slot {s} ({slot.state.value})"
            posted = ""
        else:
            who = f"{book.ring.name} ring descriptor {slot.index} (slot {s}, {slot.state.value})"
            assert slot.posted is not None
            posted = f"; posted: {describe(slot.posted.pack())}"
        self.log.report(Finding(
            rule=verdict.rule, time_ns=burst.time_ns, la=la, pa=pa_of(self.host, la),
            owner=who, channel="write",
            detail=f"{verdict.detail}; wrote {hex_bytes(new)} = {describe(new)}{posted} "
                   f"(write burst ID {burst.axi_id} at {burst.addr:#x} x{burst.beats})",
        ))
