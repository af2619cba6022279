"""What every NDIS function of one system works with."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

from pymodel.faultinject import FaultInjector
from pymodel.host import Host
from pymodel.ndis.adapter import AdapterSystem, MiniportAdapter
from pymodel.ndis.context import CallingContext
from pymodel.ndis.rules import Rules

__all__ = ["Kernel"]


@dataclass(frozen=True, kw_only=True)
class Kernel:
    """The parts of one NdisSystem its NDIS functions share.

    ``system`` is the NdisSystem itself (handles must belong to it), ``rules``
    the one violation path, ``context`` the current adapter and IRQL.
    """

    system: AdapterSystem
    host: Host
    rules: Rules
    context: CallingContext
    injector: FaultInjector
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    def next_id(self) -> int:
        """A new number for a handle, descriptor or request (one sequence per system)."""
        return next(self._ids)

    def inject(self, api: str, site: str) -> bool:
        """Count a call to ``api`` for failure injection; True when it must fail."""
        return self.injector.should_fail(api, site=site, time=self.host.now, seq=self.host.seq)

    def owns(self, adapter: object) -> bool:
        """True for an adapter of this system."""
        return isinstance(adapter, MiniportAdapter) and adapter.system is self.system
