"""Exceptions of the host model: one root, specific subclasses.

Resource shortage (``OutOfMemory``) is a normal outcome that the NDIS layer
turns into the documented failure value; ``NdisViolation`` and its subclasses
are driver bugs, raised in strict mode and recorded in permissive mode.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pymodel.records import CoherenceEvent, FaultRecord, Leak

__all__ = [
    "AddressPairMismatch",
    "ArgumentViolation",
    "CoherenceError",
    "ConfigError",
    "CpuFault",
    "DmaNotRegistered",
    "DoubleFree",
    "FrameError",
    "FreeMismatch",
    "InvalidHandle",
    "IrqlViolation",
    "LeakError",
    "LimitViolation",
    "NdisViolation",
    "NoCurrentSystem",
    "OutOfMemory",
    "PoolInUse",
    "PyModelError",
    "StateViolation",
    "TranslationFault",
    "UnknownAddress",
    "WrongCachedFlag",
    "WrongLength",
]


class PyModelError(Exception):
    """Root of every error the host model raises."""


class ConfigError(PyModelError, ValueError):
    """A model object was built or called with an invalid argument."""


class OutOfMemory(PyModelError):
    """No free page frames can satisfy a request (too few, or no long enough run)."""


class FrameError(PyModelError):
    """Page frames were freed that are not allocated (a model-internal misuse)."""


class CpuFault(PyModelError):
    """A CPU access by virtual address touched memory that is not a live allocation."""


class TranslationFault(PyModelError):
    """A device access the IOMMU refused; ``record`` says why."""

    def __init__(self, record: FaultRecord) -> None:
        super().__init__(str(record))
        self.record = record


class CoherenceError(PyModelError):
    """A coherence event in a cache built with ``strict=True``."""

    def __init__(self, event: CoherenceEvent) -> None:
        super().__init__(str(event))
        self.event = event


class NoCurrentSystem(PyModelError):
    """An NDIS function without an adapter argument was called with no current system."""


class NdisViolation(PyModelError):
    """A driver broke a documented NDIS rule.

    ``api`` is the NDIS function (or lifecycle step) that detected it.
    """

    def __init__(self, message: str, *, api: str) -> None:
        super().__init__(message)
        self.api = api


class IrqlViolation(NdisViolation):
    """Called at an IRQL the documentation does not allow."""


class StateViolation(NdisViolation):
    """Called in a miniport lifecycle state the documentation does not allow."""


class DmaNotRegistered(StateViolation):
    """Shared memory requested before scatter/gather DMA was registered."""


class ArgumentViolation(NdisViolation):
    """An argument outside the documented range (zero length, unknown flags)."""


class InvalidHandle(NdisViolation):
    """A handle or descriptor that is not (or no longer) valid."""


class LimitViolation(NdisViolation):
    """An allocation beyond the adapter's shared-memory limit."""


class PoolInUse(NdisViolation):
    """A pool freed while descriptors allocated from it are still out."""


class FreeMismatch(NdisViolation):
    """A free that does not match an outstanding allocation exactly."""


class DoubleFree(FreeMismatch):
    """The allocation was already freed."""


class WrongLength(FreeMismatch):
    """The length differs from the allocated length."""


class UnknownAddress(FreeMismatch):
    """The address was never returned by the matching allocation function."""


class WrongCachedFlag(FreeMismatch):
    """``Cached`` (or ``MemoryFlags``) differs from the allocation's."""


class AddressPairMismatch(FreeMismatch):
    """The virtual and logical addresses do not belong to the same allocation."""


class LeakError(NdisViolation):
    """Allocations still outstanding at halt or at failed initialization."""

    def __init__(self, message: str, *, api: str, leaks: tuple[Leak, ...]) -> None:
        super().__init__(message, api=api)
        self.leaks = leaks
