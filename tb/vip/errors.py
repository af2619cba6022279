"""The kit's exceptions: one root (a :class:`tb.errors.TbError`), one class per kind."""

from __future__ import annotations

from tb.errors import TbError

__all__ = ["BindError", "VipError"]


class VipError(TbError):
    """Root of the verification kit's errors: the kit was used in a way it cannot serve."""


class BindError(VipError):
    """The toplevel has no AXI4 port of the expected shape under the prefix given."""
