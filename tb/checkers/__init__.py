"""Passive bus checkers: descriptor completions, translation, cache-line tearing, coherence
(Python, per burst) and bus protocol (HDL, per cycle; see protocol.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from pymodel.host import Host
from tb.bus_events import ReadBurst, WriteBurst
from tb.checkers.coherence import CoherenceChecker
from tb.checkers.completion import CompletionChecker, DescriptorLedger
from tb.checkers.ownership import Owner, OwnershipMap
from tb.checkers.tearing import PARTIAL_DESC_LINE, PARTIAL_LINE, TearingChecker
from tb.checkers.translation import TranslationChecker
from tb.checkers.violations import CheckerViolation, Finding, Rule, ViolationLog

__all__ = [
    "PARTIAL_DESC_LINE",
    "PARTIAL_LINE",
    "BurstSource",
    "CheckerSuite",
    "CheckerViolation",
    "CompletionChecker",
    "DescriptorLedger",
    "Finding",
    "Owner",
    "OwnershipMap",
    "Rule",
    "ViolationLog",
]


class BurstSource(Protocol):
    """What publishes bursts (the AXI monitor)."""

    def subscribe_read(self, fn: Callable[[ReadBurst], None]) -> None: ...

    def subscribe_write(self, fn: Callable[[WriteBurst], None]) -> None: ...


class CheckerSuite:
    """The memory-side checkers of one bench, sharing one ownership map and one log.

    The driver model feeds ``ownership`` (who owns each byte) and ``completion`` (what
    it posted in each ring, a :class:`DescriptorLedger`).
    """

    def __init__(self, *, host: Host, alignment: int, stop: bool = True) -> None:
        self.host = host
        self.log = ViolationLog(stop=stop)
        self.ownership = OwnershipMap(alignment=alignment, log=self.log, now=lambda: host.now)
        self.translation = TranslationChecker(host=host, ownership=self.ownership, log=self.log)
        self.tearing = TearingChecker(host=host, ownership=self.ownership, log=self.log)
        self.coherence = CoherenceChecker(host=host, ownership=self.ownership, log=self.log)
        self.completion = CompletionChecker(host=host, log=self.log)

    def on_read(self, burst: ReadBurst) -> None:
        self.translation.on_read(burst)
        self.coherence.on_read(burst)

    def on_write(self, burst: WriteBurst) -> None:
        # first: a descriptor write-back is named by ring and index, not only by owner
        self.completion.on_write(burst)
        self.translation.on_write(burst)
        self.tearing.on_write(burst)

    def attach(self, source: BurstSource) -> None:
        source.subscribe_read(self.on_read)
        source.subscribe_write(self.on_write)
