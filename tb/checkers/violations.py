"""What a checker reports: one rule broken at one simulated time, at one address."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from tb.errors import TbError

__all__ = ["CheckerViolation", "Finding", "Rule", "ViolationLog"]


class Rule(enum.Enum):
    """The rules of the Python-side bus checkers (protocol rules live in protocol_rules).

    ``completion`` rules judge each descriptor write-back against what the driver
    posted (:mod:`tb.checkers.completion`); the driver model holds what it reaps to
    the same rules (:mod:`tb.checkers.completion_rules`).
    """

    NOT_MAPPED = ("translation", "the device used a logical address no live mapping holds")
    USE_AFTER_FREE = ("translation", "the device used a mapping the driver already freed")
    PAST_END = ("translation", "the burst runs past the end of its mapping")
    PERMISSION = ("translation", "the device accessed bytes not handed to it for that direction")
    FREED_IN_USE = (
        "translation",
        "the driver freed shared memory while the device still owned some of its bytes",
    )
    SHARED_LINE = ("tearing", "the device wrote a cache line that also holds CPU-owned bytes")
    DIRTY_LINE = (
        "tearing",
        (
            "the device wrote a cache line the CPU holds dirty; "
            "a later write-back will overwrite the device's data"
        ),
    )
    LOST_DEVICE_WRITE = ("tearing", "a CPU write-back overwrote bytes the device had written")
    ALIGNMENT = ("tearing", "a buffer handed to the device is not aligned to NdisMGetDmaAlignment")
    STALE_DEVICE_READ = ("coherence", "the device read bytes the CPU holds dirty (not flushed)")
    STALE_CPU_READ = ("coherence", "the CPU read device-written data without invalidating first")
    DIRTY_DISCARD = ("coherence", "an invalidate discarded bytes the CPU had written")
    NOT_POSTED = (
        "completion",
        "the device set DONE on a descriptor the driver has not posted (or already reclaimed)",
    )
    OUT_OF_ORDER = (
        "completion",
        "the device completed a descriptor while an earlier posted one of its ring is not done",
    )
    DRIVER_BYTES = (
        "completion",
        (
            "the device changed descriptor bytes it must leave as posted "
            "(bytes 0-11, or 12-15 of a descriptor it has not completed)"
        ),
    )
    COMPLETION_CHANGED = (
        "completion",
        "the device rewrote a completed descriptor with different bytes",
    )
    RESERVED_BITS = ("completion", "the device set reserved bits of a descriptor's STATUS")
    ERR_CODE = (
        "completion",
        (
            "the error code is not one the ring's descriptors can carry, disagrees with "
            "STATUS.ERR, or names a length error the posted descriptors do not have"
        ),
    )
    ZERO_LENGTH = (
        "completion",
        "the device completed a descriptor with WB_LEN 0 and no status saying why",
    )
    BAD_LENGTH = (
        "completion",
        "WB_LEN is not what the posted descriptor allows (TX: LEN; RX: at most LEN; errors: 0)",
    )
    EOP_PLACEMENT = (
        "completion",
        (
            "STATUS.EOP does not fit the packet (TX: CTRL.EOP; RX: its last buffer, no longer "
            "than the engine receives)"
        ),
    )

    @property
    def checker(self) -> str:
        return self.value[0]

    @property
    def meaning(self) -> str:
        return self.value[1]


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One broken rule."""

    rule: Rule
    time_ns: int
    la: int | None
    pa: int | None
    owner: str
    detail: str
    #: the AXI4 direction of the burst concerned ("read" or "write"), "" for a CPU action
    channel: str = ""

    def __str__(self) -> str:
        la = f"LA {self.la:#x}" if self.la is not None else "LA -"
        pa = f"PA {self.pa:#x}" if self.pa is not None else "PA -"
        return (
            f"t={self.time_ns} ns {self.rule.checker}/{self.rule.name}: {self.rule.meaning}; "
            f"{la} {pa}; owner: {self.owner}; {self.detail}"
        )


class CheckerViolation(TbError):
    """A bus checker found a violation (the test stops here unless recording)."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(str(finding))
        self.finding = finding


@dataclass
class ViolationLog:
    """Where checkers report. ``stop``: raise at the first violation; else record them all."""

    stop: bool = True
    findings: list[Finding] = field(default_factory=list)
    #: Performance findings (not violations): partial-line device writes on a coherent host.
    notes: dict[str, int] = field(default_factory=dict)
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("tb.checkers"))
    #: Called with the first finding, before it is raised (the waveform marker uses it).
    on_first: list[Callable[[Finding], None]] = field(default_factory=list)

    def report(self, finding: Finding) -> None:
        self.findings.append(finding)
        self.log.error("%s", finding)
        if len(self.findings) == 1:
            for fn in self.on_first:
                fn(finding)
        if self.stop:
            raise CheckerViolation(finding)

    def note(self, what: str, count: int = 1) -> None:
        self.notes[what] = self.notes.get(what, 0) + count

    def first(self, rule: Rule) -> Finding | None:
        return next((f for f in self.findings if f.rule is rule), None)

    @property
    def first_time_ns(self) -> int | None:
        return self.findings[0].time_ns if self.findings else None
