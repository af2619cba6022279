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
them. On ``tb_top`` the falling-edge look is done in Verilog
(``tb/hdl/tb_py_notify.v``): one signal changes at the falling edge and says
which sources changed, so Python wakes once per busy cycle and in source order
(:data:`TB_TOP_SOURCES`); elsewhere each watched signal has a small coroutine
and the phase awaits the falling edge itself. Python's writes then land half a
cycle before the rising edge that samples them, the same edge as if written at
the rising edge itself, so the rule costs no simulated cycle. Timers
(:meth:`PythonPhase.sleep`) end a quarter period after an edge, never on one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import cocotb
from cocotb.task import Task
from cocotb.triggers import Event, FallingEdge, Timer
from cocotb.utils import get_sim_time

from tb.bfm.vector import read_uint, write_uint
from tb.errors import TbError

__all__ = ["TB_TOP_SOURCES", "InterruptLine", "PythonPhase", "Watch"]

#: The sources of tb_top's notifier (``py_src`` in tb/hdl/tb_top.v), source 0 first: the
#: signals the components watch, relative to tb_top. Their services run in this order.
TB_TOP_SOURCES = (
    "u_mon.counts",
    "g_fast.u_tx_sink.count",
    "g_fast.u_rx_src.consumed",
    "g_fast.u_axil.rsp",
    "u_axi_chk.violation",
    "u_axil_chk.violation",
    "u_tx_chk.violation",
    "u_rx_chk.violation",
    "irq",
    "u_wdog.stalled",
)


class Watch:
    """One watched signal: ``service()`` runs at the falling edge after each change."""

    def __init__(self, phase: PythonPhase, signal: Any, service: Callable[[], object],
                 name: str, source: int | None) -> None:
        self.phase = phase
        self.signal = signal
        self.service = service
        self.name = name
        #: the notifier's source number, or None: a coroutine of its own watches the signal
        self.source = source
        self.pending = False
        self._task: Task[None] | None = (
            cocotb.start_soon(self._run()) if source is None else None
        )

    async def _run(self) -> None:
        while True:
            await self.signal.value_change
            self.pending = True
            self.phase._request_edge()

    def cancel(self) -> None:
        """Stop watching (a pending service is dropped)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self.pending = False
        if self in self.phase._watches:
            self.phase._watches.remove(self)


class PythonPhase:
    """The falling-edge scheduler of one clock (``clk``, period ``period_ns``).

    ``notifier``: the toplevel that holds a ``tb_py_notify`` (``py_notify``,
    ``py_changed``, ``py_want``) with ``sources`` (paths relative to it, source 0
    first); see :meth:`for_tb_top`.
    """

    def __init__(self, clk: Any, period_ns: float, *, notifier: Any | None = None,
                 sources: Sequence[str] = ()) -> None:
        if period_ns <= 0:
            raise TbError(f"clock period must be positive, not {period_ns} ns")
        self.clk = clk
        self.period_ps = round(period_ns * 1000)
        self._watches: list[Watch] = []
        self._waiters: list[tuple[tuple[int, ...], int, Event]] = []
        self._wake = Event()
        self._task: Task[None] | None = None
        self._notify = self._changed = self._want = None
        self._source_of: dict[str, int] = {}
        self._want_written = 0
        if notifier is not None:
            self._notify = notifier.py_notify
            self._changed = notifier.py_changed
            self._want = notifier.py_want
            for k, rel in enumerate(sources):
                handle = notifier
                try:
                    for part in rel.split("."):
                        handle = getattr(handle, part)
                except AttributeError:
                    continue  # not in this configuration (the fast models in reference mode)
                self._source_of[handle._path] = k
            write_uint(self._want, 0)
        #: Falling edges at which the phase ran services (a measure of Python's wake-ups).
        self.edges = 0

    @classmethod
    def for_tb_top(cls, dut: Any) -> PythonPhase:
        """The phase of ``tb_top``, woken by its notifier."""
        return cls(dut.clk, int(dut.CLK_PERIOD_NS.value), notifier=dut, sources=TB_TOP_SOURCES)

    # ------------------------------------------------------------------ set-up
    def watch(self, signal: Any, service: Callable[[], object], *, name: str = "") -> Watch:
        """Call ``service()`` at the falling edge after each change of ``signal``.

        Services of one falling edge run in source order (:data:`TB_TOP_SOURCES`) on a
        notifier, else in the order of their ``watch`` calls.
        """
        path = getattr(signal, "_path", "")
        w = Watch(self, signal, service, name or path or repr(signal),
                  self._source_of.get(path))
        self._watches.append(w)
        if self._notify is not None:
            self._watches.sort(key=lambda x: 99 if x.source is None else x.source)
        self._start()
        return w

    def stop(self) -> None:
        """Cancel every watch and the scheduler."""
        for w in list(self._watches):
            w.cancel()
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _start(self) -> None:
        if self._task is None:
            self._task = cocotb.start_soon(
                self._run_notified() if self._notify is not None else self._run())

    def _request_edge(self) -> None:
        """Something wants the next falling edge (a pending watch, a settled() waiter)."""
        if self._want is not None:
            self._set_want(1)
        else:
            self._wake.set()

    def _set_want(self, value: int) -> None:
        if value != self._want_written:
            write_uint(self._want, value)
            self._want_written = value

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
        self._start()
        self._request_edge()
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
    def _serve(self, changed: int) -> None:
        """Run the services of the sources in ``changed`` and the pending watches, then
        release the settled() waiters."""
        self.edges += 1
        for w in list(self._watches):
            if w.pending or (w.source is not None and changed >> w.source & 1):
                w.pending = False
                w.service()
        waiters, self._waiters = sorted(self._waiters, key=lambda w: w[:2]), []
        for _, _, ev in waiters:
            ev.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            await FallingEdge(self.clk)
            # whatever asked for this edge before it came is served now
            self._wake.clear()
            self._serve(0)

    async def _run_notified(self) -> None:
        assert self._notify is not None and self._changed is not None
        while True:
            # py_notify changes at the falling edge itself, after every rising-edge update
            await self._notify.value_change
            self._serve(read_uint(self._changed))
            if not self._waiters and not any(w.pending for w in self._watches):
                self._set_want(0)


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
