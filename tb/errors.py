"""Exceptions of the test bench: one root, one class per kind of finding."""

from __future__ import annotations

__all__ = [
    "DeviceError",
    "DriverError",
    "ScoreboardMismatch",
    "SimTimeout",
    "TbError",
]


class TbError(Exception):
    """Root of every test-bench finding."""


class ScoreboardMismatch(TbError):
    """A packet came out different from what went in, out of order, or not at all."""


class DriverError(TbError):
    """The driver model met a state a real miniport would report as a failure."""


class DeviceError(DriverError):
    """The driver model read a completion no correct device writes (it names the ring,
    the descriptor, the bytes and the rule); a real miniport would stop trusting the ring."""


class SimTimeout(TbError):
    """The simulation did not reach the expected state in the allotted simulated time."""
