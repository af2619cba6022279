"""How many RX packets a run's ring stops and resets may lose without a report: a bound.

The engine takes RX packets in wire order and resolves them in that order: each is
written and completed (the driver delivers it or counts an error completion) or
dropped and counted (RX_DROP_COUNT, RX_ERR_COUNT). A ring stop (an error, a disable,
a soft reset, a halt) may lose, unreported, only packets the engine held at that
moment or took from the wire before the ring ran again. So for each such event:

* ``lo``: packets resolved while the RX ring was last seen running before the event
  (sampled every microsecond at most, and never while the ring is not running or an
  event is under way). Packets resolved by then all come before any packet the event
  loses (in order: a packet the engine still holds is resolved before every later
  one; one it has not taken yet comes after every resolved one);
* ``hi``: packets the wire had started to hand to the engine when the ring runs again.

A packet lost at the event has its wire index in ``[lo, hi)`` (its sequence number:
the wire takes packets in the order they are made). The intervals also hold the
packets legitimately in flight at the event, resolved later; the ones delivered are
known by their sequence numbers, so the bound (:meth:`RxLossBound.missing_within`)
is the number of *missing* packets inside the union of the intervals. The balance
then says: every missing packet outside the windows of the stops is reported by the
engine, and no more go unreported than are missing inside them.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

__all__ = ["LossWindow", "RxLossBound"]


@dataclass(frozen=True)
class LossWindow:
    """One event: the wire indices ``[lo, hi)`` of the packets it may lose."""

    what: str
    lo: int
    hi: int
    start_ns: int
    end_ns: int

    def __str__(self) -> str:
        return (f"{self.what} at t={self.start_ns}-{self.end_ns} ns: packets {self.lo} to "
                f"{self.hi - 1} ({max(0, self.hi - self.lo)})")


@dataclass
class RxLossBound:
    """Keeps the events' windows. ``resolved()``: RX packets resolved so far (delivered,
    error completions, dropped or errored and counted); ``started()``: packets the wire
    has started to hand to the engine; ``running()``: the RX ring runs."""

    resolved: Callable[[], int]
    started: Callable[[], int]
    running: Callable[[], bool]
    windows: list[LossWindow] = field(default_factory=list)
    #: ``resolved()`` the last time the ring was seen running outside an event
    safe: int = 0
    _open: list[tuple[str, int, int]] = field(default_factory=list)

    def sample(self) -> None:
        """Called often (the env's time keeper, at most a microsecond apart)."""
        if not self._open and self.running():
            self.safe = self.resolved()

    def begin(self, what: str, now_ns: int) -> None:
        """The driver starts stopping the ring (``now_ns``), or found it stopped."""
        self._open.append((what, self.safe, now_ns))

    def end(self, now_ns: int) -> None:
        """The ring runs again (or the event is over)."""
        what, lo, start = self._open.pop()
        self.windows.append(LossWindow(what, lo, self.started(), start, now_ns))
        if not self._open and self.running():
            self.safe = self.resolved()

    def union(self) -> list[tuple[int, int]]:
        """The windows' intervals, merged: disjoint ``[lo, hi)`` in order."""
        merged: list[tuple[int, int]] = []
        for w in sorted(self.windows, key=lambda w: w.lo):
            if w.hi <= w.lo:
                continue
            if merged and w.lo <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], w.hi))
            else:
                merged.append((w.lo, w.hi))
        return merged

    @property
    def packets(self) -> int:
        """Packets inside the windows (lost or not)."""
        return sum(hi - lo for lo, hi in self.union())

    def missing_within(self, missing: Iterable[int]) -> int:
        """How many of the ``missing`` packets (sequence numbers) are inside the windows:
        the most the stops may have lost unreported (a binary search per packet over the
        merged windows: a long soak has thousands of both)."""
        spans = self.union()
        if not spans:
            return 0
        starts = [lo for lo, _ in spans]
        count = 0
        for seq in missing:
            i = bisect.bisect_right(starts, seq) - 1
            if i >= 0 and seq < spans[i][1]:
                count += 1
        return count
