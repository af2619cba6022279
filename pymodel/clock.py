"""Model time and the operation sequence counter shared by every host part."""

from __future__ import annotations

from collections.abc import Callable

from pymodel.errors import ConfigError

__all__ = ["Clock"]


class Clock:
    """Model time in ns (set by whoever drives time) and an operation counter.

    ``now`` never goes backwards.  ``tick()`` numbers each model operation, so
    two events at the same ``now`` are still ordered.  With a time source
    (:meth:`follow`), ``now`` catches up with it whenever it is read.
    """

    __slots__ = ("_now", "_seq", "_source")

    def __init__(self, *, now: int = 0) -> None:
        self._now = 0
        self._seq = 0
        self._source: Callable[[], int] | None = None
        self.now = now

    def follow(self, source: Callable[[], int] | None) -> None:
        """Take the time from ``source()`` (ns, never decreasing; a simulator's clock)
        every time ``now`` is read; ``None`` stops following."""
        self._source = source

    @property
    def now(self) -> int:
        """Current model time in ns."""
        if self._source is not None:
            t = self._source()
            if t > self._now:
                self._now = t
        return self._now

    @now.setter
    def now(self, value: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(f"time must be an int number of ns, not {value!r}")
        if value < self._now:
            raise ConfigError(f"time must not go backwards: now is {self._now} ns, not {value} ns")
        self._now = value

    @property
    def seq(self) -> int:
        """Number of the most recent operation (0 before the first)."""
        return self._seq

    def tick(self) -> int:
        """Start a new operation and return its sequence number."""
        self._seq += 1
        return self._seq
