"""Bus transactions as the checkers see them: one record per AXI burst.

Both bus-model modes produce the same records from the same passive HDL
monitor (``tb/hdl/tb_axi_monitor.v``), so checkers never depend on which
model served the memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["ReadBurst", "WriteBurst"]


@dataclass(frozen=True, slots=True)
class ReadBurst:
    """An AR handshake: INCR burst of ``beats`` beats of ``beat_bytes`` from ``addr``.

    ``size`` and ``burst`` are ARSIZE and ARBURST as the bus carried them, ``in_flight``
    the read bursts of this ID in flight at the handshake, this one included (modulo
    256); None where not recorded (a record made by hand).
    """

    time_ns: int
    axi_id: int
    addr: int
    beats: int
    beat_bytes: int
    size: int | None = None
    burst: int | None = None
    in_flight: int | None = None

    @property
    def start(self) -> int:
        """First byte the burst covers (the beat-aligned start)."""
        return self.addr - self.addr % self.beat_bytes

    @property
    def end(self) -> int:
        """First byte after the burst."""
        return self.start + self.beats * self.beat_bytes


@dataclass(frozen=True, slots=True)
class WriteBurst:
    """An AW and all its W beats: ``data`` and ``strobe`` cover ``[start, end)`` byte by byte.

    ``size`` and ``burst`` are AWSIZE and AWBURST (None where not recorded).
    """

    time_ns: int
    axi_id: int
    addr: int
    beats: int
    beat_bytes: int
    data: bytes
    strobe: npt.NDArray[np.bool_]
    size: int | None = None
    burst: int | None = None

    @property
    def start(self) -> int:
        return self.addr - self.addr % self.beat_bytes

    @property
    def end(self) -> int:
        return self.start + self.beats * self.beat_bytes

    def written_runs(self) -> list[tuple[int, int]]:
        """``(address, length)`` of each run of consecutive strobed bytes."""
        s = self.strobe.astype(np.int8)
        edges = np.flatnonzero(np.diff(np.concatenate(([0], s, [0]))))
        pairs = zip(edges[::2], edges[1::2], strict=True)
        return [(self.start + int(a), int(b - a)) for a, b in pairs]
