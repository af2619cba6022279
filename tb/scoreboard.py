"""In-order packet scoreboard: every byte of every packet, drops accounted."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field

from tb.errors import ScoreboardMismatch
from tb.packets import Packet, PacketFactory

__all__ = ["PacketScoreboard", "StreamStats"]


@dataclass
class StreamStats:
    """What a scoreboard saw."""

    expected: int = 0
    matched: int = 0
    matched_bytes: int = 0
    dropped: list[int] = field(default_factory=list)  # sequence numbers never delivered


def _first_difference(a: bytes, b: bytes) -> int:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return min(len(a), len(b))


class PacketScoreboard:
    """Packets must come out byte for byte and in order.

    With ``allow_drops`` a packet may be missing (the engine dropped and
    counted it); the caller checks the count against the engine's counters in
    :meth:`finish`.  A packet that arrives out of order, changed, or unknown
    stops the test at once.
    """

    def __init__(self, name: str, *, allow_drops: bool = False) -> None:
        self.name = name
        self.allow_drops = allow_drops
        #: Keep mismatches in ``mismatches`` instead of raising (tests of broken drivers).
        self.record = False
        self.mismatches: list[str] = []
        self.stats = StreamStats()
        self._pending: deque[Packet] = deque()
        self.log = logging.getLogger(f"tb.scoreboard.{name}")

    def expect(self, pkt: Packet) -> None:
        self._pending.append(pkt)
        self.stats.expected += 1

    @property
    def outstanding(self) -> int:
        return len(self._pending)

    def observe(self, data: bytes, *, error: bool = False) -> None:
        try:
            self._observe(data, error)
        except ScoreboardMismatch as exc:
            if not self.record:
                raise
            self.mismatches.append(str(exc))

    def _observe(self, data: bytes, error: bool) -> None:
        if error:
            raise ScoreboardMismatch(
                f"{self.name}: packet of {len(data)} bytes came with its error flag set "
                f"(expected packet {self._describe_next()})"
            )
        if not self._pending:
            raise ScoreboardMismatch(
                f"{self.name}: unexpected packet of {len(data)} bytes "
                f"(id {PacketFactory.identify(data)}); nothing is outstanding"
            )
        ident = PacketFactory.identify(data)
        if self.allow_drops and ident is not None:
            while self._pending and self._pending[0].seq < ident[1]:
                self.stats.dropped.append(self._pending.popleft().seq)
        if not self._pending:
            raise ScoreboardMismatch(f"{self.name}: packet id {ident} arrived after all expected")
        want = self._pending.popleft()
        if data != want.data:
            pos = _first_difference(data, want.data)
            raise ScoreboardMismatch(
                f"{self.name}: packet seq {want.seq} ({len(want.data)} bytes) expected, got "
                f"{len(data)} bytes (id {ident}); first difference at byte {pos}: "
                f"expected {want.data[pos:pos + 8].hex()} got {data[pos:pos + 8].hex()}"
            )
        self.stats.matched += 1
        self.stats.matched_bytes += len(data)

    def _describe_next(self) -> str:
        if not self._pending:
            return "none"
        return f"seq {self._pending[0].seq}, {len(self._pending[0])} bytes"

    def finish(self, *, counted_drops: int = 0) -> StreamStats:
        """End of test: everything arrived, or was dropped and counted by the engine."""
        if self._pending and not self.allow_drops:
            raise ScoreboardMismatch(
                f"{self.name}: {len(self._pending)} packets never arrived "
                f"(first: {self._describe_next()})"
            )
        self.stats.dropped.extend(p.seq for p in self._pending)
        self._pending.clear()
        if len(self.stats.dropped) != counted_drops:
            raise ScoreboardMismatch(
                f"{self.name}: {len(self.stats.dropped)} packets missing "
                f"(seq {self.stats.dropped[:10]}...) but the engine counted {counted_drops} drops"
            )
        return self.stats
