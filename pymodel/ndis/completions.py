"""When NdisMAllocateSharedMemoryAsyncEx requests complete: after a seeded random delay.

The requests themselves live with their adapters (``AdapterResources``); an
adapter that ends cancels its own, and a cancelled request is skipped here.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator, Sequence

from pymodel.ndis.adapter import MiniportAdapter, PendingAllocation

__all__ = ["Completions"]


class Completions:
    """Async requests of every adapter, in the order their completions fall due."""

    def __init__(
        self, *, adapters: Sequence[MiniportAdapter], delay_ns: tuple[int, int], seed: int
    ) -> None:
        self.delay_ns = delay_ns
        self._adapters = adapters
        self._rng = random.Random(f"pymodel-ndis-{seed}")
        self._queue: list[tuple[int, int, PendingAllocation]] = []

    def due_time(self, now: int) -> int:
        """When a request made at ``now`` completes: a seeded delay in ``delay_ns`` later."""
        lo, hi = self.delay_ns
        return now + self._rng.randint(lo, hi)

    def schedule(self, request: PendingAllocation) -> None:
        """Queue ``request`` (already added to its adapter) for its due time."""
        heapq.heappush(self._queue, (request.due, request.id, request))

    def due(self, until: int) -> Iterator[PendingAllocation]:
        """Take each request due by ``until`` from its adapter, in due order.

        Requests scheduled while the caller handles one are seen too.
        """
        while self._queue and self._queue[0][0] <= until:
            _, rid, request = heapq.heappop(self._queue)
            if request.adapter.resources.take_request(rid) is not None:
                yield request

    @property
    def pending(self) -> tuple[PendingAllocation, ...]:
        """Requests not yet completed, earliest first."""
        return tuple(
            sorted(
                (p for a in self._adapters for p in a.resources.requests),
                key=lambda p: (p.due, p.id),
            )
        )
