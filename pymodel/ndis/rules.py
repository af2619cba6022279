"""The one path every broken NDIS rule takes, and the argument checks the functions share.

In strict mode (the default) a violation is raised; in permissive mode the
NDIS function returns its documented failure value.  Either way the violation
is recorded in ``violations``.  Resource shortage is never a violation.
"""

from __future__ import annotations

from pymodel.errors import ArgumentViolation, NdisViolation
from pymodel.site import caller_site

__all__ = ["Rules"]


class Rules:
    """Strict or permissive rule checking for one NdisSystem, and its record of violations."""

    def __init__(self, *, strict: bool) -> None:
        self.strict = strict
        #: Every violation found (also the ones raised in strict mode).
        self.violations: list[NdisViolation] = []

    def report(self, violation: NdisViolation, *, quiet: bool = False) -> None:
        """Record ``violation``; raise it in strict mode.

        This is the only place a violation is recorded or raised.  ``quiet``
        records without raising: for a leak found while another exception is
        already leaving MiniportInitializeEx or MiniportHaltEx.
        """
        self.violations.append(violation)
        if self.strict and not quiet:
            raise violation

    def violate(
        self, kind: type[NdisViolation], message: str, *, api: str, site: str | None = None
    ) -> None:
        """Report a ``kind`` violation detected by ``api``, made at ``site``.

        ``site`` defaults to the caller outside ``pymodel``; it ends the message.
        """
        site = site if site is not None else caller_site()
        self.report(kind(f"{message} (at {site})", api=api))

    def check_length(self, length: object, api: str, site: str, name: str = "Length") -> bool:
        """True for a positive 32-bit integer; otherwise report an ``ArgumentViolation``."""
        if isinstance(length, int) and not isinstance(length, bool) and 0 < length <= 0xFFFF_FFFF:
            return True
        self.violate(
            ArgumentViolation,
            f"{api}: {name} must be a positive 32-bit integer, not {length!r}",
            api=api,
            site=site,
        )
        return False
