"""In-order packet scoreboard: every byte of every packet, drops accounted."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field

from tb.errors import ScoreboardMismatch
from tb.packets import Packet, PacketFactory

__all__ = ["Balance", "PacketScoreboard", "StreamStats"]


@dataclass
class StreamStats:
    """What a scoreboard saw."""

    expected: int = 0
    matched: int = 0
    matched_bytes: int = 0
    dropped: list[int] = field(default_factory=list)  # sequence numbers never delivered
    #: packets that came out with their error flag set (TX: tuser; the engine's report)
    wire_errors: int = 0


@dataclass(frozen=True, kw_only=True)
class Balance:
    """Where every packet handed to the engine in one direction went.

    ``delivered`` came out byte for byte; ``accounted`` are the missing packets
    something reports (the engine's drop and error counters, error completions, the
    driver's failed sends), by reason; ``unexplained`` are missing packets nothing
    reports, and ``slack`` how many of those the run's ring errors and resets may
    lose without a per-packet report (RX: the missing packets the engine held or took
    from the wire at those events, :mod:`tb.rx_loss`).
    """

    name: str
    sent: int
    delivered: int
    delivered_bytes: int
    accounted: dict[str, int]
    unexplained: int
    slack: int = 0
    #: TX: packets reported failed that came out all the same (their completion was lost)
    failed_but_delivered: int = 0
    wire_errors: int = 0

    def __str__(self) -> str:
        why = ", ".join(f"{n} {k}" for k, n in self.accounted.items() if n) or "none"
        text = (f"{self.name}: {self.sent} sent = {self.delivered} delivered byte-exact "
                f"({self.delivered_bytes} bytes) + {self.sent - self.delivered} missing "
                f"(reported: {why}; unexplained {self.unexplained}, bound {self.slack})")
        if self.failed_but_delivered:
            text += f"; {self.failed_but_delivered} reported failed but delivered"
        if self.wire_errors:
            text += f"; {self.wire_errors} error-flagged on the wire"
        return text

    def check(self, *, min_delivered: int) -> None:
        """Raise unless at least ``min_delivered`` arrived and every missing packet is
        reported (or within the bound of what unreported losses the run may have)."""
        problems = []
        if self.delivered < min_delivered:
            problems.append(f"only {self.delivered} delivered, at least {min_delivered} expected")
        if self.unexplained < 0:
            problems.append(f"{-self.unexplained} more packets reported lost than are missing")
        if self.wire_errors > self.accounted.get("completed as failed", 0):
            problems.append(f"{self.wire_errors} error-flagged packets on the wire but only "
                            f"{self.accounted.get('completed as failed', 0)} failed sends")
        if self.unexplained > self.slack:
            problems.append(f"{self.unexplained} missing packets nothing reports (the run's "
                            f"ring errors and resets may lose at most {self.slack})")
        if problems:
            raise ScoreboardMismatch(f"{self}: " + "; ".join(problems))


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

    def __init__(self, name: str, *, allow_drops: bool = False,
                 allow_errors: bool = False) -> None:
        self.name = name
        self.allow_drops = allow_drops
        #: error-flagged packets are counted (stats.wire_errors), not a mismatch
        self.allow_errors = allow_errors
        #: sequence numbers the sender was told failed, and why
        self.failed: dict[int, str] = {}
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

    @property
    def unresolved(self) -> int:
        """Packets neither seen nor reported failed."""
        return sum(1 for p in self._pending if p.seq not in self.failed)

    def observe(self, data: bytes, *, error: bool = False) -> None:
        try:
            self._observe(data, error)
        except ScoreboardMismatch as exc:
            if not self.record:
                raise
            self.mismatches.append(str(exc))

    def report_failed(self, seq: int, reason: str) -> None:
        """The driver completed packet ``seq`` as failed (it may or may not have come out)."""
        self.failed[seq] = reason

    def _observe(self, data: bytes, error: bool) -> None:
        if error and self.allow_errors:
            self.stats.wire_errors += 1
            self.log.info("packet of %d bytes with its error flag (id %s)", len(data),
                          PacketFactory.identify(data))
            return
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

    def balance(self, *, counted: dict[str, int] | None = None, slack: int = 0) -> Balance:
        """The balance at the end of a run (after the last packet could have arrived).

        RX: ``counted`` are the engine's reports (drop and error counters, error
        completions). TX: the missing packets are explained by the driver's failed
        completions (:meth:`report_failed`).
        """
        missing = self.missing()
        accounted = dict(counted or {})
        failed_delivered = 0
        if self.failed:
            reported = sum(1 for seq in missing if seq in self.failed)
            accounted["completed as failed"] = reported
            failed_delivered = len(self.failed) - reported
        return Balance(
            name=self.name, sent=self.stats.expected, delivered=self.stats.matched,
            delivered_bytes=self.stats.matched_bytes, accounted=accounted,
            unexplained=len(missing) - sum(accounted.values()), slack=slack,
            failed_but_delivered=failed_delivered, wire_errors=self.stats.wire_errors,
        )

    def missing(self) -> list[int]:
        """Sequence numbers of the packets not delivered (so far)."""
        return [*self.stats.dropped, *(p.seq for p in self._pending)]

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
