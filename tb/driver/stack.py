"""The protocol drivers above the miniport: they keep each indicated receive a while.

``NdisMIndicateReceiveNetBufferLists`` hands a packet, in the miniport's own
receive buffers, up to the bound protocol drivers; they give the buffers back
later (``MiniportReturnNetBufferLists``), in their own time. The reference
documents name the dilemma this creates: in a flood the miniport indicates
faster than the buffers come back, and runs out of shared memory.

:class:`ProtocolStack` keeps each indication for a seeded random time
(``StackConfig.hold_ns``), and now and then, for a while, much longer
(*bursts of slow returns*: ``slow_every_ns``, ``slow_for_ns``, ``slow_hold_ns``).
It is driven by simulated time from outside (``tb.env.DmaEnv``'s time keeper
calls :meth:`ProtocolStack.return_due`), so every return happens at a
deterministic point of the run; pure Python otherwise.
"""

from __future__ import annotations

import heapq
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["ProtocolStack", "StackConfig"]

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class StackConfig:
    """How long the protocol drivers keep what is indicated to them (nanoseconds)."""

    #: each receive is returned this long (uniform, min..max) after it was indicated
    hold_ns: tuple[int, int] = (2_000, 20_000)
    #: a burst of slow returns starts on average this often (0: never)
    slow_every_ns: int = 0
    #: and lasts this long
    slow_for_ns: int = 0
    #: hold time of a receive indicated during a slow burst
    slow_hold_ns: tuple[int, int] = (20_000, 50_000)
    #: returns due within this much of each other come back together
    quantum_ns: int = 256
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("hold_ns", "slow_hold_ns"):
            lo, hi = getattr(self, name)
            if not 0 <= lo <= hi:
                raise ValueError(f"{name} must be (min, max) with 0 <= min <= max, "
                                 f"not {(lo, hi)}")
        if self.slow_every_ns < 0 or self.slow_for_ns < 0:
            raise ValueError("slow_every_ns and slow_for_ns must not be negative, not "
                             f"{self.slow_every_ns} and {self.slow_for_ns}")
        if self.quantum_ns < 1:
            raise ValueError(f"quantum_ns must be at least 1, not {self.quantum_ns}")


class ProtocolStack(Generic[T]):
    """Holds indicated receives (any object: the driver's indication) and returns them
    through ``give_back(list_of_indications)`` when they are due."""

    def __init__(self, config: StackConfig, give_back: Callable[[list[T]], None]) -> None:
        self.cfg = config
        self.give_back = give_back
        self.log = logging.getLogger("tb.stack")
        self._rng = random.Random(f"tb-stack-{config.seed}")
        self._heap: list[tuple[int, int, T]] = []
        self._n = 0
        self._slow_until = -1
        self._next_slow = self._draw_slow_start(0)
        self.indicated = 0
        self.returned = 0
        self.slow_bursts = 0
        self.max_held = 0

    def _draw_slow_start(self, now: int) -> int:
        if not self.cfg.slow_every_ns:
            return -1
        return now + self._rng.randint(self.cfg.slow_every_ns // 2,
                                       3 * self.cfg.slow_every_ns // 2)

    @property
    def held(self) -> int:
        return len(self._heap)

    def slow(self, now: int) -> bool:
        """In a burst of slow returns at ``now``."""
        if self._next_slow >= 0 and now >= self._next_slow:
            self._slow_until = self._next_slow + self.cfg.slow_for_ns
            self._next_slow = self._draw_slow_start(self._slow_until)
            self.slow_bursts += 1
            self.log.info("t=%d ns: slow returns until t=%d ns", now, self._slow_until)
        return now < self._slow_until

    def indicate(self, item: T, now: int) -> None:
        """A receive comes up (NdisMIndicateReceiveNetBufferLists)."""
        lo, hi = self.cfg.slow_hold_ns if self.slow(now) else self.cfg.hold_ns
        due = now + self._rng.randint(lo, hi)
        q = self.cfg.quantum_ns
        due = -(-due // q) * q
        heapq.heappush(self._heap, (due, self._n, item))
        self._n += 1
        self.indicated += 1
        self.max_held = max(self.max_held, len(self._heap))

    def next_due(self) -> int | None:
        """When the next return is due (None: nothing held)."""
        return self._heap[0][0] if self._heap else None

    def return_due(self, now: int) -> int:
        """Return everything due by ``now``, in due order; how many."""
        out: list[T] = []
        while self._heap and self._heap[0][0] <= now:
            out.append(heapq.heappop(self._heap)[2])
        if out:
            self.returned += len(out)
            self.give_back(out)
        return len(out)

    def return_all(self) -> int:
        """Give everything back at once (the protocols unbind)."""
        return self.return_due(1 << 62)
