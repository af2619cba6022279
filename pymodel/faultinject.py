"""Failure injection for NDIS allocations, like Driver Verifier's low-resources simulation."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from pymodel.errors import ConfigError

__all__ = ["INJECTABLE_APIS", "FaultInjection", "FaultInjector", "InjectedFailure"]

#: API names whose calls can be made to fail.
INJECTABLE_APIS = frozenset(
    {
        "NdisMRegisterScatterGatherDma",
        "NdisMAllocateSharedMemory",
        "NdisMAllocateSharedMemoryAsyncEx",
        "NdisAllocateMemory",
        "NdisAllocateMemoryWithTag",
        "NdisAllocatePacketPool",
        "NdisAllocatePacket",
        "NdisAllocateBufferPool",
        "NdisAllocateBuffer",
    }
)


@dataclass(frozen=True, kw_only=True)
class FaultInjection:
    """Which allocation calls fail.

    Eligible calls (those to ``apis``, all of ``INJECTABLE_APIS`` when None)
    are numbered from 1; call numbers in ``nth`` fail, and every other eligible
    call fails with ``probability`` under ``seed``.  An injected failure of
    NdisMAllocateSharedMemoryAsyncEx either completes later with ``None``
    addresses (``async_failure="complete"``) or returns NDIS_STATUS_FAILURE at
    once (``"immediate"``).
    """

    nth: int | tuple[int, ...] = ()
    probability: float = 0.0
    seed: int = 0
    apis: frozenset[str] | None = None
    async_failure: Literal["complete", "immediate"] = "complete"

    def __post_init__(self) -> None:
        nth = (self.nth,) if isinstance(self.nth, int) else tuple(self.nth)
        if any(n < 1 for n in nth):
            raise ConfigError(f"nth must count calls from 1, not {nth}")
        object.__setattr__(self, "nth", nth)
        if not 0.0 <= self.probability <= 1.0:
            raise ConfigError(f"probability must be in [0, 1], not {self.probability}")
        if self.apis is not None:
            apis = frozenset(self.apis)
            unknown = sorted(apis - INJECTABLE_APIS)
            if unknown:
                raise ConfigError(f"apis must be among {sorted(INJECTABLE_APIS)}, not {unknown}")
            object.__setattr__(self, "apis", apis)
        if self.async_failure not in ("complete", "immediate"):
            raise ConfigError(
                f"async_failure must be 'complete' or 'immediate', not {self.async_failure!r}"
            )


@dataclass(frozen=True, kw_only=True)
class InjectedFailure:
    """A call that failed because of injection."""

    api: str
    call: int
    site: str
    time: int
    seq: int


class FaultInjector:
    """Runtime state of a ``FaultInjection``: call counter, random stream, log."""

    def __init__(self, config: FaultInjection | None = None) -> None:
        self.config = config or FaultInjection()
        self._rng = random.Random(f"pymodel-inject-{self.config.seed}")
        self.calls = 0
        #: Every injected failure, in order.
        self.log: list[InjectedFailure] = []

    def should_fail(self, api: str, *, site: str, time: int, seq: int) -> bool:
        """Count an eligible call to ``api`` and say whether it must fail."""
        cfg = self.config
        if cfg.apis is not None and api not in cfg.apis:
            return False
        if not cfg.nth and cfg.probability == 0.0:
            return False
        self.calls += 1
        assert isinstance(cfg.nth, tuple)
        fail = self.calls in cfg.nth or (
            cfg.probability > 0.0 and self._rng.random() < cfg.probability
        )
        if fail:
            self.log.append(
                InjectedFailure(api=api, call=self.calls, site=site, time=time, seq=seq)
            )
        return fail
