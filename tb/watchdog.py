"""The stall watchdog: a system simulation with no progress fails in seconds, saying why.

``tb/hdl/tb_watchdog.v`` in ``tb_top`` counts the cycles since the last
progress (an AXI4 handshake, an AXI-Stream beat, an AXI-Lite write) and raises
``u_wdog.stalled`` when the count reaches ``wd_limit``; that flag is a source of
tb_top's notifier (:data:`tb.phase.TB_TOP_SOURCES`), so the watchdog costs no
Python per cycle. When it rises, :class:`Watchdog` fails the test with a
:class:`StallError` whose message names the stalled ring (state, TAIL, HEAD,
error), every state machine of the engine by state name (the names come from
the Verilog, as in the waveform layout: :func:`tb.waves.state_filters`), the
outstanding bus transactions (the protocol checkers' pending counters), the
simulated time and the command that replays the run.

Typical use (``tb.env.DmaEnv`` does it)::

    wd = Watchdog(dut, phase, protocol=checkers, limit_cycles=20_000, replay=cmd)
    wd.arm()             # after reset
    ...                  # a hang raises StallError within limit_cycles
    with wd.paused():    # a stretch where nothing is meant to move
        await phase.sleep(1_000_000)
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cocotb.triggers import Event, First, Timer

from tb.bfm.vector import read_uint, write_uint
from tb.checkers.protocol import ProtocolChecker
from tb.errors import SimTimeout
from tb.phase import PythonPhase, Watch
from tb.waves import discover_signals, state_filters

__all__ = [
    "DEFAULT_LIMIT_CYCLES", "StallError", "StallMark", "StallReport", "Watchdog", "default_replay",
]

#: Cycles without progress that fail a system simulation (the issue's bound).
DEFAULT_LIMIT_CYCLES = 20_000


class StallError(SimTimeout):
    """No AXI handshake, stream beat or register write for the watchdog's limit."""


@dataclass(frozen=True)
class StallReport:
    """What the watchdog saw when it fired."""

    time_ns: float
    limit_cycles: int
    last_progress_ns: float
    rings: list[str]
    #: rings with nothing to do (no posted TX work; RX buffers but no packet waiting)
    idle_rings: list[str]
    machines: list[str]
    outstanding: list[str]
    replay: str

    def __str__(self) -> str:
        lines = [
            (f"watchdog: no progress (no AXI handshake, no stream beat, no register write) "
             f"for {self.limit_cycles} cycles, at t={self.time_ns:.0f} ns (last progress at "
             f"t={self.last_progress_ns:.0f} ns)"),
            "  stalled ring(s): " + ("; ".join(self.rings) or "none with posted work")
            + ("; idle: " + ", ".join(self.idle_rings) if self.idle_rings else ""),
            "  state machines: " + ", ".join(self.machines),
            "  outstanding: " + ("; ".join(self.outstanding) or "nothing"),
            f"  replay: {self.replay}",
        ]
        return "\n".join(lines)


@dataclass(frozen=True)
class StallMark:
    """Where a stall begins, for the waveform marker (:meth:`tb.waves.WaveLayout.mark`): the
    time of the last progress, labelled with the report's first line."""

    report: StallReport

    @property
    def time_ns(self) -> float:
        return self.report.last_progress_ns

    def __str__(self) -> str:
        return (f"last progress before a {self.report.limit_cycles}-cycle stall (watchdog "
                f"fired at t={self.report.time_ns:.0f} ns)")


def default_replay(seed: int, test: str = "") -> str:
    """The command that runs cocotb test ``test`` (of the running module) again (``tb.run``)."""
    module = os.environ.get("COCOTB_TEST_MODULES", "tb.sims.?").split(",")[0]
    test = test or "<test>"
    sim = os.environ.get("DMANIC_SIMULATOR", "icarus")
    bfm = os.environ.get("DMANIC_BFM", "") or "fast"
    extra = "" if bfm == "fast" else f" --bfm {bfm}"
    python = sys.executable
    with contextlib.suppress(ValueError):  # the venv's python, relative to the repository
        python = os.path.relpath(python, Path(__file__).resolve().parent.parent)
    return f"{python} -m tb.run {module} --test {test} --seed {seed} --sim {sim}{extra}"


def _handle(root: Any, path: str) -> Any:
    """The handle of ``path`` (``tb_top.dut.x.y``) from ``root`` (``tb_top``)."""
    handle = root
    for part in path.split(".")[1:]:
        handle = getattr(handle, part)
    return handle


class Watchdog:
    """Python half of ``tb_top.u_wdog``; raises :class:`StallError` (or records it)."""

    def __init__(
        self,
        dut: Any,
        phase: PythonPhase,
        *,
        protocol: Sequence[ProtocolChecker] = (),
        limit_cycles: int = DEFAULT_LIMIT_CYCLES,
        replay: str = "",
        clock_ns: int = 4,
        record: bool = False,
        extra: Callable[[], list[str]] | None = None,
    ) -> None:
        if limit_cycles < 0:
            raise ValueError(f"limit_cycles must be 0 (off) or positive, not {limit_cycles}")
        self.dut = dut
        self.phase = phase
        self.protocol = list(protocol)
        self.limit_cycles = limit_cycles
        self.replay = replay
        self.clock_ns = clock_ns
        self.record = record
        #: more lines for the message (the driver's view: what it waits for)
        self.extra = extra
        self.log = logging.getLogger("tb.watchdog")
        self.reports: list[StallReport] = []
        #: called with the report when the watchdog fires (before the test fails)
        self.on_fire: list[Callable[[StallReport], None]] = []
        self._fired = Event()
        self._watch: Watch | None = None
        self._reported = False
        self._armed = 0

    # ---------------------------------------------------------------- control
    def arm(self, limit_cycles: int | None = None) -> None:
        """Watch from now on (after reset); ``limit_cycles`` overrides the limit."""
        if limit_cycles is not None:
            self.limit_cycles = limit_cycles
        self._armed = self.limit_cycles
        write_uint(self.dut.wd_limit, self._armed)
        if self._watch is None:
            self._watch = self.phase.watch(self.dut.u_wdog.stalled, self._service,
                                           name="watchdog")

    def disarm(self) -> None:
        self._armed = 0
        write_uint(self.dut.wd_limit, 0)
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None

    @contextmanager
    def paused(self) -> Iterator[None]:
        """A stretch of the test where nothing is meant to move (a deliberate idle)."""
        limit = self._armed
        write_uint(self.dut.wd_limit, 0)
        try:
            yield
        finally:
            if self._armed == limit and limit:
                write_uint(self.dut.wd_limit, limit)

    # ---------------------------------------------------------------- firing
    def _service(self) -> None:
        high = read_uint(self.dut.u_wdog.stalled) == 1
        if not high:
            self._reported = False
            return
        if self._reported:
            return
        self._reported = True
        report = self.report()
        self.reports.append(report)
        self._fired.set()
        for hook in self.on_fire:
            hook(report)
        if self.record:
            self.log.warning("%s", report)
            return
        self.log.error("%s", report)
        raise StallError(str(report))

    async def wait_fired(self, timeout_ns: float) -> StallReport | None:
        """The first report, waiting up to ``timeout_ns`` of simulated time for it."""
        if not self.reports:
            await First(self._fired.wait(), Timer(timeout_ns, unit="ns"))
        return self.reports[0] if self.reports else None

    # ---------------------------------------------------------------- report
    def report(self) -> StallReport:
        """The engine's state now, as a stall report."""
        now = self.phase.edge_time_ns()
        idle = read_uint(self.dut.u_wdog.idle_cycles)
        signals = discover_signals(self.dut.dut)
        names = state_filters()
        root = self.dut
        machines = []
        rings: list[str] = []
        idle_rings: list[str] = []
        for s in signals:
            if s.name.endswith("_state_reg") and (s.module, s.name) in names:
                value = read_uint(_handle(root, s.path))
                label = names[(s.module, s.name)].get(value, str(value))
                machines.append(f"{s.path.removeprefix(root._path + '.dut.')}={label}")
        # the receive datapath's machines away from their idle state
        rx_busy = [m for m in machines
                   if m.startswith("rx_inst.") and not m.rsplit("=", 1)[1].endswith("IDLE")]
        ring_units = sorted({s.path.rsplit(".", 1)[0] for s in signals
                             if s.module == "dma_ring_ctrl" and s.name == "ring_state_reg"})
        ring_names = names.get(("dma_ring_ctrl", "ring_state_reg"), {})
        for unit in ring_units:
            h = _handle(root, unit)
            state = ring_names.get(read_uint(h.ring_state_reg), "?")
            tail, head = read_uint(h.tail), read_uint(h.head)
            posted = (tail - head) & 0xFFFF
            which = "TX" if "tx" in unit.rsplit(".", 1)[-1] else (
                "RX" if "rx" in unit.rsplit(".", 1)[-1] else unit)
            err = read_uint(h.status_err_code)
            text = f"{which} {state.removeprefix('ST_')}, TAIL {tail} HEAD {head}"
            # a ring with work it is not doing: TX descriptors posted and not done; RX
            # buffers posted while a packet waits on the wire or in the engine (its receive
            # machine out of idle), or an error stopped it
            waiting = ""
            if which == "RX" and read_uint(self.dut.s_axis_rx_tvalid) == 1:
                waiting = ", a packet waiting on the wire"
            elif which == "RX" and rx_busy:
                waiting = ", a packet in the engine (" + ", ".join(rx_busy) + ")"
            if posted and which != "RX":
                text += f" ({posted} descriptors posted and not done)"
            elif posted:
                text += f" ({posted} buffers posted{waiting})"
            if err:
                text += f", error code {err} at descriptor {read_uint(h.status_err_index)}"
            stuck = bool(err) or (posted and (which != "RX" or waiting))
            (rings if stuck else idle_rings).append(text)
        outstanding = []
        for checker in self.protocol:
            pending = {k: v for k, v in checker.pending().items() if v}
            if pending:
                words = {"w": "write bursts awaiting AW/W beats", "b": "writes awaiting B",
                         "r": "reads awaiting R beats"}
                outstanding.append(f"{checker.bus}: " + ", ".join(
                    f"{n} {words[k]}" for k, n in pending.items()))
        for port in ("m_axis_tx", "s_axis_rx"):
            valid = read_uint(getattr(root, f"{port}_tvalid"))
            ready = read_uint(getattr(root, f"{port}_tready"))
            if valid and not ready:
                outstanding.append(f"{port}: a beat waits for TREADY")
        for channel in ("ar", "aw", "w"):
            valid = read_uint(getattr(root, f"m_axi_{channel}valid"))
            ready = read_uint(getattr(root, f"m_axi_{channel}ready"))
            if valid and not ready:
                outstanding.append(f"m_axi {channel.upper()}: VALID waits for READY")
        if self.extra is not None:
            outstanding += self.extra()
        limit = read_uint(self.dut.wd_limit) or self.limit_cycles
        return StallReport(
            time_ns=now,
            limit_cycles=limit,
            last_progress_ns=now - idle * self.clock_ns,
            rings=rings,
            idle_rings=idle_rings,
            machines=machines,
            outstanding=outstanding,
            replay=self.replay,
        )
