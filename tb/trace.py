"""An event trace of one run, to find where two runs (two simulators) first part ways.

Every AXI4 burst the monitor reports and every register access (with the value
read or written) is one line, ``<time ns> <kind> <fields>``, in the order
Python saw them. Every run keeps a SHA-256 of its trace (cheap: a line per
burst); two runs that should be identical (Icarus and Verilator, same seed) give
the same hash, and the same trace. ``make sim TRACE=1`` also writes the lines to
``build/sim/trace.txt``; ``python -m tb.trace A B`` names the first line where
two such files part ways, which is where to look in the waveforms.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import IO

from cocotb.utils import get_sim_time

from tb.bfm.monitor import AxiBurstMonitor
from tb.bus_events import ReadBurst, WriteBurst
from tb.regs import RegisterPort

__all__ = ["TRACE_FILE", "EventTrace", "TracingPort", "first_difference"]

#: Where a traced run writes its trace (in its test directory).
TRACE_FILE = "trace.txt"


class EventTrace:
    """Hashes one line per event, and writes it to ``path`` when one is given."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._file: IO[str] | None = None if path is None else path.open("w")
        self._hash = hashlib.sha256()
        #: events traced
        self.events = 0

    def event(self, kind: str, text: str) -> None:
        line = f"{int(get_sim_time('ns'))} {kind} {text}\n"
        self._hash.update(line.encode())
        self.events += 1
        if self._file is not None:
            self._file.write(line)

    @property
    def digest(self) -> str:
        """SHA-256 of every line so far (16 hex digits)."""
        return self._hash.hexdigest()[:16]

    def attach(self, monitor: AxiBurstMonitor) -> None:
        monitor.subscribe_read(self._read)
        monitor.subscribe_write(self._write)

    def _read(self, burst: ReadBurst) -> None:
        self.event("AR", f"@{burst.time_ns} id={burst.axi_id} {burst.addr:#x}+{burst.beats}")

    def _write(self, burst: WriteBurst) -> None:
        self.event("AW", f"@{burst.time_ns} id={burst.axi_id} {burst.addr:#x}+{burst.beats} "
                         f"strobed={int(burst.strobe.sum())}")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class TracingPort:
    """A :class:`tb.regs.RegisterPort` that traces every access through ``port``."""

    def __init__(self, port: RegisterPort, trace: EventTrace) -> None:
        self._port = port
        self._trace = trace

    async def read_dword(self, address: int) -> int:
        value = await self._port.read_dword(address)
        self._trace.event("RD", f"{address:#05x} = {value:#x}")
        return value

    async def write_dword(self, address: int, data: int) -> None:
        await self._port.write_dword(address, data)
        self._trace.event("WR", f"{address:#05x} = {data:#x}")


def first_difference(a: Path, b: Path, context: int = 3) -> str | None:
    """``None`` when the traces are equal, else the first differing line with context."""
    la, lb = a.read_text().splitlines(), b.read_text().splitlines()
    for i, (x, y) in enumerate(zip(la, lb, strict=False)):
        if x != y:
            before = "\n".join(f"    {line}" for line in la[max(0, i - context):i])
            return (f"event {i + 1} differs:\n{before}\n  {a.name}: {x}\n  {b.name}: {y}")
    if len(la) != len(lb):
        n = min(len(la), len(lb))
        longer, rest = (a, la) if len(la) > len(lb) else (b, lb)
        return f"{longer.name} has {len(rest) - n} more events, the first: {rest[n]}"
    return None


def main(argv: list[str]) -> int:
    """``python -m tb.trace A B``: the first event where two trace files differ."""
    if len(argv) != 2:
        print("usage: python -m tb.trace TRACE_A TRACE_B", file=sys.stderr)
        return 2
    diff = first_difference(Path(argv[0]), Path(argv[1]))
    print(diff or "the traces are identical")
    return 0 if diff is None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
