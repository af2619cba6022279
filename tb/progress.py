"""Progress of a running simulation, shown by the process that started it.

Inside the simulator, :class:`ProgressWriter` rewrites a small JSON file (packets
done of the total, simulated cycles, payload bytes, wall seconds) about three times
a wall-second; outside, :func:`follow` reads it and redraws one status line on the
terminal until the simulation ends. Nothing here changes what is simulated: the
writer wakes every few microseconds of simulated time, at the quiet points of
:mod:`tb.phase`, and touches only its file.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from cocotb.utils import get_sim_time

from tb.phase import PythonPhase

__all__ = ["PROGRESS_FILE", "ProgressWriter", "follow", "format_progress"]

#: Written in the simulation's test directory.
PROGRESS_FILE = "progress.json"


class ProgressWriter:
    """Writes ``{done, total, cycles, payload_bytes, wall_seconds}`` every ~0.3 s of wall time.

    ``done`` and ``payload`` are callables giving packets and payload bytes so far.
    """

    #: simulated time between looks at the wall clock
    POLL_NS = 20_000
    #: wall seconds between writes
    EVERY_S = 0.3

    def __init__(self, *, path: Path, phase: PythonPhase, clock_ns: int, total: int,
                 done: Callable[[], int], payload: Callable[[], int]) -> None:
        self.path = path
        self.phase = phase
        self.clock_ns = clock_ns
        self.total = total
        self.done = done
        self.payload = payload
        self._t0 = time.monotonic()

    def write(self) -> None:
        data = {
            "done": self.done(),
            "total": self.total,
            "cycles": int(get_sim_time("ns")) // self.clock_ns,
            "payload_bytes": self.payload(),
            "wall_seconds": round(time.monotonic() - self._t0, 2),
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(self.path)

    async def run(self) -> None:
        last = 0.0
        while True:
            await self.phase.sleep(self.POLL_NS)
            now = time.monotonic()
            if now - last >= self.EVERY_S:
                last = now
                self.write()


def format_progress(data: dict[str, float]) -> str:
    """One status line: packets done of total, cycles, payload rate."""
    wall = max(float(data["wall_seconds"]), 1e-9)
    rate = float(data["payload_bytes"]) / wall
    return (f"{int(data['done']):>7,} / {int(data['total']):,} packets  "
            f"{int(data['cycles']):>11,} cycles  {rate / 1e3:8,.0f} kB/s payload  "
            f"{wall:6.1f} s")


def follow(path: Path, stop: threading.Event, out: TextIO = sys.stdout,
           before: str = "") -> None:
    """Redraw the status line from ``path`` until ``stop`` is set (run it in a thread)."""
    shown = ""
    t0 = last_print = time.monotonic()
    tty = out.isatty()
    while not stop.wait(0.25):
        try:
            line = format_progress(json.loads(path.read_text()))
        except (OSError, ValueError, KeyError):
            line = f"{before} ({time.monotonic() - t0:.0f} s)" if before else ""
        if not line or line == shown:
            continue
        if tty:  # one line, redrawn
            out.write("\r" + line.ljust(len(shown)))
            out.flush()
            shown = line
        elif time.monotonic() - last_print >= 10:  # a log: a line every ten seconds
            out.write(line + "\n")
            out.flush()
            last_print = time.monotonic()
    if shown:
        out.write("\r" + " " * len(shown) + "\r")
        out.flush()
