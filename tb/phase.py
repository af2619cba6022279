"""Where Python meets the HDL: every reaction at the clock's falling edge, in a fixed order.

Two simulators run the same Python differently *inside* a time step. At a rising
edge Icarus calls Python while the edge's non-blocking updates are still being
applied, one signal at a time; Verilator calls it after all of them, and calls
timers before the edge. Python that reads one signal in the callback of
another, or two Python tasks woken at the same edge, would see different
values or run in a different order, and the two simulators would part ways by
a cycle here and there (they did: a register read one cycle earlier under
Verilator, a descriptor reaped before or after its write-back reached host
memory).

So the test bench keeps one rule: **the HDL acts at the rising edge, Python at
the falling edge.** A :class:`PythonPhase` watches the hand-off signals (each
component registers the signal it waits on and a ``service`` function); a
change only marks the watcher, and at the next falling edge, when every
rising-edge update is settled in either simulator, the phase calls the marked
services *in the order they were registered*. Coroutines woken by a service
(through an ``Event`` or a queue) run after it, in the order the services woke
them. Python's writes then land half a cycle before the rising edge that
samples them, the same edge as if written at the rising edge itself, so the
rule costs no simulated cycle. Timers (:meth:`PythonPhase.sleep`) end a
quarter period after an edge, never on one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import cocotb
from cocotb.task import Task
from cocotb.triggers import Event, FallingEdge, Timer
from cocotb.utils import get_sim_time

from tb.errors import TbError

__all__ = ["InterruptLine", "PythonPhase", "Watch"]


class Watch:
    """One watched signal: ``service()`` runs at the falling edge after each change."""

    def __init__(self, phase: PythonPhase, signal: Any, service: Callable[[], object],
                 name: str) -> None:
        self.phase = phase
        self.signal = signal
        self.service = service
        self.name = name
        self.pending = False
        self._task: Task[None] | None = cocotb.start_soon(self._run())

    async def _run(self) -> None:
        while True:
            await self.signal.value_change
            self.pending = True
            self.phase._wake.set()

    def cancel(self) -> None:
        """Stop watching (a pending service is dropped)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self.pending = False
        if self in self.phase._watches:
            self.phase._watches.remove(self)


class PythonPhase:
    """The falling-edge scheduler of one clock (``clk``, period ``period_ns``)."""

    def __init__(self, clk: Any, period_ns: float) -> None:
        if period_ns <= 0:
            raise TbError(f"clock period must be positive, not {period_ns} ns")
        self.clk = clk
        self.period_ps = round(period_ns * 1000)
        self._watches: list[Watch] = []
        self._waiters: list[tuple[tuple[int, ...], int, Event]] = []
        self._wake = Event()
        self._task: Task[None] | None = None
        #: Falling edges at which the phase ran services (a measure of Python's wake-ups).
        self.edges = 0

    # ------------------------------------------------------------------ set-up
    def watch(self, signal: Any, service: Callable[[], object], *, name: str = "") -> Watch:
        """Call ``service()`` at the falling edge after each change of ``signal``.

        Services of one falling edge run in the order of their ``watch`` calls.
        """
        w = Watch(self, signal, service, name or getattr(signal, "_path", repr(signal)))
        self._watches.append(w)
        if self._task is None:
            self._task = cocotb.start_soon(self._run())
        return w

    def stop(self) -> None:
        """Cancel every watch and the scheduler."""
        for w in list(self._watches):
            w.cancel()
        if self._task is not None:
            self._task.cancel()
            self._task = None

    # ----------------------------------------------------------------- waiting
    async def settled(self, order: tuple[int, ...] = ()) -> None:
        """Resume at the next falling edge, after that edge's services.

        For a coroutine that some other trigger woke at a rising edge (a per-beat
        reference bus model): from here on it acts where the rest of Python does.
        Coroutines settled at one edge resume by ``order`` (then by arrival): a
        caller woken at a rising edge, where the simulator picks who runs first,
        gives an order of its own (the sequence number of a register access).
        """
        ev = Event()
        self._waiters.append((order, len(self._waiters), ev))
        self._wake.set()
        if self._task is None:
            self._task = cocotb.start_soon(self._run())
        await ev.wait()

    async def sleep(self, ns: float) -> None:
        """At least ``ns`` of simulated time, ending a quarter period after an edge."""
        now = get_sim_time("ps")
        half = self.period_ps // 2
        quarter = self.period_ps // 4
        target = now + round(ns * 1000)
        k = max(0, math.ceil((target - quarter) / half))
        end = quarter + k * half
        if end <= now:
            end += half
        await Timer(end - now, unit="ps")

    def edge_time_ns(self) -> float:
        """The rising edge before the current falling edge (when a service's event happened)."""
        return (get_sim_time("ps") - self.period_ps // 2) / 1000

    # --------------------------------------------------------------- scheduler
    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            await FallingEdge(self.clk)
            # whatever asked for this edge before it came is served now
            self._wake.clear()
            self.edges += 1
            for w in list(self._watches):
                if w.pending:
                    w.pending = False
                    w.service()
            waiters, self._waiters = sorted(self._waiters, key=lambda w: w[:2]), []
            for _, _, ev in waiters:
                ev.set()


class InterruptLine:
    """A level interrupt seen through the phase: ``asserted`` as of the last falling edge."""

    def __init__(self, phase: PythonPhase, signal: Any) -> None:
        self.signal = signal
        self._raised = Event()
        self.asserted = False
        #: called with the new level at every change (an event trace listens here)
        self.on_change: list[Callable[[bool], None]] = []
        self._sample()
        self._watch = phase.watch(signal, self._sample, name="irq")

    def _sample(self) -> None:
        value = self.signal.value
        asserted = value.is_resolvable and int(value) == 1
        if asserted != self.asserted:
            for fn in self.on_change:
                fn(asserted)
        self.asserted = asserted
        if asserted:
            self._raised.set()
        else:
            self._raised.clear()

    async def wait_asserted(self) -> None:
        """Until the line is high (at once when it already is)."""
        if not self.asserted:
            await self._raised.wait()

    def cancel(self) -> None:
        self._watch.cancel()
