"""Where a simulation's CPU time goes: Python (every cocotb wake-up) or the simulator.

``PythonClock`` adds up the time spent inside cocotb's reactions to simulator
callbacks (every Python coroutine step: bus models, driver, host model,
checkers); the rest of the process's CPU time is the simulator (the engine and
the HDL transactors) and the VPI layer. It wraps ``GPITrigger._react``, a
cocotb 2.1 internal: if that moves, ``python_seconds`` reads ``None``.

It reads the monotonic wall clock (``perf_counter``, a few tens of ns), not the
process CPU clock: in the simulator process ``process_time`` cost tens of
microseconds a call (py-spy: a quarter of all samples of a Verilator run went
to the two calls per callback). On a busy machine the figure therefore includes
time the process waited for a core.
"""

from __future__ import annotations

import time
from typing import Any

__all__ = ["PythonClock"]


class PythonClock:
    """Seconds spent in Python callbacks since :meth:`start` (wall clock, see above)."""

    def __init__(self) -> None:
        self._seconds = 0.0
        self._installed: tuple[Any, Any] | None = None

    def start(self) -> None:
        try:
            from cocotb._gpi_triggers import GPITrigger
        except ImportError:  # pragma: no cover - another cocotb
            return
        original = GPITrigger._react
        clock = self

        def timed_react(trigger: Any) -> None:
            t0 = time.perf_counter()
            try:
                original(trigger)
            finally:
                clock._seconds += time.perf_counter() - t0

        GPITrigger._react = timed_react  # type: ignore[method-assign,assignment]
        self._installed = (GPITrigger, original)

    def stop(self) -> None:
        if self._installed is not None:
            cls, original = self._installed
            cls._react = original
            self._installed = None

    @property
    def python_seconds(self) -> float | None:
        return None if self._installed is None and self._seconds == 0.0 else self._seconds
