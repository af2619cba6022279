"""The calling context: which system is current, and which adapter and IRQL a call runs in.

Which ``NdisSystem`` the functions without an adapter argument act on is kept
in ``contextvars`` (``Current``), not in module globals: a default set by
``system.make_current()`` or, for a block, ``use_system(...)``, overridden
inside ``with system.calling(...)`` blocks.  Each context (thread, asyncio
task, ``contextvars.copy_context().run``) has its own.

On each system a ``CallingContext`` says whose driver code runs (the current
adapter) and at which IRQL, and checks the IRQL rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Generic, TypeVar

from pymodel.errors import IrqlViolation
from pymodel.ndis.adapter import MiniportAdapter
from pymodel.ndis.defs import PASSIVE_LEVEL, irql_name
from pymodel.ndis.rules import Rules

__all__ = ["CallingContext", "Current"]

T = TypeVar("T")


class Current(Generic[T]):
    """A value current in this execution context: a default, overridden inside blocks.

    Create one per kind of value, at module level (context variables are never
    freed).
    """

    def __init__(self, name: str) -> None:
        self._default: ContextVar[T | None] = ContextVar(f"{name}.default", default=None)
        self._entered: ContextVar[tuple[T, ...]] = ContextVar(f"{name}.entered", default=())

    def get(self) -> T | None:
        """The innermost entered value, else the default (None if there is neither)."""
        entered = self._entered.get()
        return entered[-1] if entered else self._default.get()

    def set_default(self, value: T | None) -> None:
        """Make ``value`` the default of this context."""
        self._default.set(value)

    @contextmanager
    def default(self, value: T | None) -> Iterator[None]:
        """Run the block with ``value`` as the default, restoring the old default after."""
        token = self._default.set(value)
        try:
            yield
        finally:
            self._default.reset(token)

    @contextmanager
    def entered(self, value: T) -> Iterator[None]:
        """Run the block with ``value`` current, whatever the default."""
        token = self._entered.set((*self._entered.get(), value))
        try:
            yield
        finally:
            self._entered.reset(token)


class CallingContext:
    """Whose driver code one system runs (the current adapter) and at which IRQL."""

    def __init__(self, rules: Rules) -> None:
        self._rules = rules
        self._irql = PASSIVE_LEVEL
        self._adapters: list[MiniportAdapter | None] = [None]

    @property
    def irql(self) -> int:
        """Current IRQL."""
        return self._irql

    @property
    def adapter(self) -> MiniportAdapter | None:
        """Adapter whose driver code is running (None outside any adapter context)."""
        return self._adapters[-1]

    @contextmanager
    def entered(self, adapter: MiniportAdapter | None, irql: int | None) -> Iterator[None]:
        """Run the block for ``adapter`` at ``irql`` (None: the IRQL stays)."""
        self._adapters.append(adapter)
        old = self._irql
        if irql is not None:
            self._irql = irql
        try:
            yield
        finally:
            self._irql = old
            self._adapters.pop()

    @contextmanager
    def at_irql(self, irql: int) -> Iterator[int]:
        """Run the block at ``irql`` (raise or lower), restoring the old IRQL after."""
        old = self._irql
        self._irql = irql
        try:
            yield old
        finally:
            self._irql = old

    def raise_irql(self, new_irql: int) -> int:
        """KeRaiseIrql: returns the old IRQL."""
        old = self._irql
        if new_irql < old:
            self._rules.violate(
                IrqlViolation,
                f"KeRaiseIrql needs a new IRQL >= the current {irql_name(old)}, "
                f"not {irql_name(new_irql)}",
                api="KeRaiseIrql",
            )
            return old
        self._irql = new_irql
        return old

    def lower_irql(self, new_irql: int) -> None:
        """KeLowerIrql back to ``new_irql``."""
        if new_irql > self._irql:
            self._rules.violate(
                IrqlViolation,
                f"KeLowerIrql needs a new IRQL <= the current {irql_name(self._irql)}, "
                f"not {irql_name(new_irql)}",
                api="KeLowerIrql",
            )
            return
        self._irql = new_irql

    def irql_at_most(self, limit: int, api: str, site: str, what: str = "") -> bool:
        """True when the IRQL is at most ``limit``; otherwise report an ``IrqlViolation``."""
        if self._irql <= limit:
            return True
        bound = "at PASSIVE_LEVEL" if limit == PASSIVE_LEVEL else f"at IRQL <= {irql_name(limit)}"
        self._rules.violate(
            IrqlViolation,
            f"{api}{what} must be called {bound}, not {irql_name(self._irql)}",
            api=api,
            site=site,
        )
        return False
