"""Python half of ``tb/hdl/tb_axi_monitor.v``: one wake-up per AXI4 burst, not per beat.

The HDL records every AR handshake and every complete write burst (AW plus all
its W beats) in rings and bumps one register ``counts`` = {overrun, write
bursts, read bursts}. :class:`AxiBurstMonitor` wakes on its change, reads the new ring
entries (a write burst's data and strobes as a few wide words) and hands
:class:`~tb.bus_events.ReadBurst` / :class:`~tb.bus_events.WriteBurst` records to
its subscribers, synchronously and in bus order (by handshake time; a read
before a write of the same cycle). A test may set ``rewrite`` to make the device
lie: every write burst goes through it before any subscriber hears of it
(:mod:`tb.bfm.lying`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from tb.bfm.vector import lsb_bits, pack_bits, read_uint
from tb.bus_events import ReadBurst, WriteBurst
from tb.errors import TbError
from tb.phase import PythonPhase, Watch

__all__ = ["AxiBurstMonitor", "MonitorOverrun"]

_M32 = 0xFFFF_FFFF
_M64 = (1 << 64) - 1


class MonitorOverrun(TbError):
    """Python fell more than a ring's depth behind the HDL: events were overwritten."""


ReadSubscriber = Callable[[ReadBurst], None]
WriteSubscriber = Callable[[WriteBurst], None]


class AxiBurstMonitor:
    """Burst records from one ``tb_axi_monitor`` instance (``handle``).

    ``subscribe_read(fn)`` / ``subscribe_write(fn)``: ``fn(burst)`` is called for
    every burst, in bus order, at the falling edge after the HDL reports it (one
    or two cycles after the handshake that completed it; see :mod:`tb.phase`).
    A write burst's data and strobes are read only when someone subscribed to writes.
    """

    def __init__(self, handle: Any, phase: PythonPhase, *, name: str = "monitor") -> None:
        self.handle = handle
        self.phase = phase
        self.log = logging.getLogger(f"tb.{name}")
        self.data_width = int(handle.DATA_WIDTH.value)
        self.beat_bytes = self.data_width // 8
        self.depth = int(handle.DEPTH.value)
        self.seg_beats = int(handle.SEG_BEATS.value)
        self.nseg = int(handle.MAX_BURST_LEN.value) // self.seg_beats
        self._seg_data_bits = self.seg_beats * self.data_width
        self._seg_bytes = self.seg_beats * self.beat_bytes
        self._counts = handle.counts
        self._ar_info = handle.ar_info
        self._aw_info = handle.aw_info
        self._w_info = handle.w_info
        self._w_seg = handle.w_seg
        self._read_subs: list[ReadSubscriber] = []
        self._write_subs: list[WriteSubscriber] = []
        self._write_last: list[WriteSubscriber] = []
        #: Tests only: what subscribers get instead of each write burst (tb.bfm.lying)
        self.rewrite: Callable[[WriteBurst], WriteBurst] | None = None
        self._rd_seen = 0  # events taken, modulo 2**32 like the HDL counters
        self._wr_seen = 0
        self.reads = 0
        self.writes = 0
        self.read_beats = 0
        self.write_beats = 0
        self._watch: Watch | None = None

    # ------------------------------------------------------------ interface
    def subscribe_read(self, fn: ReadSubscriber) -> None:
        """Call ``fn(ReadBurst)`` for every AR handshake."""
        self._read_subs.append(fn)

    def subscribe_write(self, fn: WriteSubscriber, *, after_all: bool = False) -> None:
        """Call ``fn(WriteBurst)`` for every complete write burst; ``after_all``: after
        every other subscriber (a memory model committing the write to the host)."""
        (self._write_last if after_all else self._write_subs).append(fn)

    def start(self) -> None:
        """Start following the HDL's counters (events before this are skipped)."""
        if self._watch is None:
            counts = read_uint(self._counts)
            self._rd_seen = counts & _M32
            self._wr_seen = counts >> 32 & _M32
            self._watch = self.phase.watch(self._counts, self.poll, name=self.log.name)

    def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None

    # ------------------------------------------------------------- polling
    def poll(self) -> int:
        """Deliver every event the HDL has reported since the last poll; returns how many."""
        counts = read_uint(self._counts)
        if counts >> 64:
            raise MonitorOverrun(
                f"{self.handle._path}: W bursts ran more than {self.depth} ahead of their AWs "
                f"(or AWs ahead of W): unpaired entries were overwritten"
            )
        n_rd = ((counts & _M32) - self._rd_seen) & _M32
        n_wr = ((counts >> 32 & _M32) - self._wr_seen) & _M32
        if n_rd == 0 and n_wr == 0:
            return 0
        if n_rd > self.depth or n_wr > self.depth:
            raise MonitorOverrun(
                f"{self.handle._path}: {n_rd} read and {n_wr} write bursts pending, ring holds "
                f"{self.depth}: events were overwritten before Python read them"
            )
        reads = [self._read_event(self._rd_seen + i) for i in range(n_rd)]
        writes = [self._write_event(self._wr_seen + i) for i in range(n_wr)]
        if self.rewrite is not None:
            writes = [self.rewrite(w) for w in writes]
        self._rd_seen = (self._rd_seen + n_rd) & _M32
        self._wr_seen = (self._wr_seen + n_wr) & _M32
        self.reads += n_rd
        self.writes += n_wr
        if n_rd and n_wr:
            events: list[ReadBurst | WriteBurst] = [*reads, *writes]
            events.sort(key=lambda e: (e.time_ns, isinstance(e, WriteBurst)))
        else:
            events = reads or writes  # type: ignore[assignment]
        for ev in events:
            if isinstance(ev, ReadBurst):
                for read_fn in self._read_subs:
                    read_fn(ev)
            else:
                for write_fn in (*self._write_subs, *self._write_last):
                    write_fn(ev)
        return n_rd + n_wr

    @staticmethod
    def _info(value: int) -> tuple[int, int, int, int]:
        """(time_ns, id, len, addr) of an ar_info / aw_info entry."""
        return value >> 88 & _M64, value >> 72 & 0xFFFF, value >> 64 & 0xFF, value & _M64

    def _read_event(self, n: int) -> ReadBurst:
        info = read_uint(self._ar_info[n % self.depth])
        time_ns, axi_id, alen, addr = self._info(info)
        self.read_beats += alen + 1
        return ReadBurst(
            time_ns=time_ns, axi_id=axi_id, addr=addr, beats=alen + 1, beat_bytes=self.beat_bytes,
            size=info >> 152 & 7, burst=info >> 155 & 3, in_flight=info >> 157 & 0xFF,
        )

    def _write_event(self, n: int) -> WriteBurst:
        slot = n % self.depth
        info = read_uint(self._aw_info[slot])
        aw_time, axi_id, alen, addr = self._info(info)
        w = read_uint(self._w_info[slot])
        w_time, w_beats = w >> 16 & _M64, w & 0xFFFF
        beats = alen + 1
        self.write_beats += beats
        if w_beats != beats:
            self.log.warning(
                "write burst at %#x: AWLEN says %d beats, WLAST came after %d (protocol error)",
                addr, beats, w_beats,
            )
        if self._write_subs or self._write_last:
            data, strobe = self.burst_data(slot, beats)
        else:
            data, strobe = b"", np.zeros(0, dtype=np.bool_)
        return WriteBurst(
            time_ns=max(aw_time, w_time),
            axi_id=axi_id,
            addr=addr,
            beats=beats,
            beat_bytes=self.beat_bytes,
            data=data,
            strobe=strobe,
            size=info >> 152 & 7,
            burst=info >> 155 & 3,
        )

    def burst_data(self, slot: int, beats: int) -> tuple[bytes, npt.NDArray[np.bool_]]:
        """Data and per-byte strobes of the first ``beats`` beats recorded in ``slot``."""
        beats = min(beats, self.nseg * self.seg_beats)
        used = -(-beats // self.seg_beats)
        base = slot * self.nseg
        sd = self._seg_data_bits
        parts: list[bytes] = []
        strobes: list[npt.NDArray[np.bool_]] = []
        for s in range(used):
            bits = lsb_bits(self._w_seg[base + s])
            parts.append(pack_bits(bits[:sd]))
            strobes.append(bits[sd : sd + self._seg_bytes])
        n = beats * self.beat_bytes
        data = b"".join(parts)[:n]
        strobe = (strobes[0] if used == 1 else np.concatenate(strobes))[:n].copy()
        return data, strobe
