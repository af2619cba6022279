"""A Python AXI4 burst monitor for any master port: a cocotb-bus ``BusMonitor`` bound by prefix.

It does in Python what ``tb/hdl/tb_axi_monitor.v`` + :class:`tb.bfm.monitor.AxiBurstMonitor`
do in Verilog, for a toplevel that has no such instance: every AR handshake becomes a
:class:`~tb.bus_events.ReadBurst`, every AW with all its W beats (the n-th W burst paired
with the n-th AW; W may come first) a :class:`~tb.bus_events.WriteBurst`, handed to its
subscribers in bus order with the time of the rising edge that completed them.

**When it looks** (the project's rule, tb/phase.py: the HDL acts at the rising edge,
Python at the falling edge). At every falling edge, in the ReadOnly phase of that time
step, it reads VALID and READY of the AR, AW and W channels (and the payload of a
channel whose VALID and READY are both high). Those are the values the *next* rising
edge samples: the port's outputs changed at the rising edge before and settled since,
and a bus model written in Python (cocotbext-axi) drives the other side at a rising
edge, never between a falling edge and the next rising one. So a handshake is known
half a cycle before it happens, identically under Icarus and Verilator; it is reported
at the falling edge after it happened (``time_ns`` = that rising edge). ReadOnly makes
the sample immune to Python writes made at the same falling edge (a register write that
changes an output combinationally).

The samples also feed the kit's memory (:mod:`tb.vip.memory`): cocotbext-axi reads the
port's outputs at the rising edge, which under Verilator gives the values *after* the
edge; it reads these samples instead.

Cost: one wake-up and about five signal reads per cycle, more on a handshake (about
30-50 µs per cycle); the HDL monitor (:class:`tb.bfm.monitor.AxiBurstMonitor`) is the
fast path for long runs.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from cocotb.simtime import get_sim_time
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge
from cocotb_bus.monitors import BusMonitor

from tb.bfm.vector import read_uint
from tb.bus_events import ReadBurst, WriteBurst
from tb.vip.bus import MONITOR_OPTIONAL, MONITOR_SIGNALS, Sampled, bind_port
from tb.vip.errors import BindError

__all__ = ["AxiPortMonitor"]

ReadSubscriber = Callable[[ReadBurst], None]
WriteSubscriber = Callable[[WriteBurst], None]

#: payload of an AR / AW handshake the monitor reads (when the port has the signal)
_ADDR_PAYLOAD = ("id", "addr", "len", "size", "burst")


@dataclass(frozen=True, slots=True)
class _Addr:
    """An AR or AW handshake."""

    axi_id: int
    addr: int
    beats: int
    size: int
    burst: int


@dataclass
class _WBurst:
    """W beats collected so far (the current burst) or a burst ended by WLAST."""

    data: list[bytes] = field(default_factory=list)
    strobe: list[int] = field(default_factory=list)


class AxiPortMonitor(BusMonitor):  # type: ignore[misc]  # cocotb-bus has no type information
    """Every burst on the AXI4 master port ``<prefix>_*`` of ``entity``, clocked by ``clock``.

    ``subscribe_read(fn)`` / ``subscribe_write(fn, after_all=False)`` (the interface of
    :class:`tb.bfm.monitor.AxiBurstMonitor`); cocotb-bus's ``add_callback(fn)`` gets
    every burst too. While ``reset`` is at ``reset_active_level`` no handshake is
    recorded and a write burst cut by it is dropped. Attach it before the port's first
    handshake (before reset is released): it starts at the first falling edge after
    the next rising one.
    """

    _signals: ClassVar[tuple[str, ...]] = MONITOR_SIGNALS
    _optional_signals: ClassVar[tuple[str, ...]] = MONITOR_OPTIONAL

    def __init__(self, entity: Any, prefix: str, clock: Any, *, reset: Any | None = None,
                 reset_active_level: bool = True) -> None:
        bus = bind_port(entity, prefix, MONITOR_SIGNALS, MONITOR_OPTIONAL)
        self.prefix = prefix
        self.data_width = len(bus.wdata)
        if self.data_width % 8 or self.data_width & (self.data_width - 1) or not (
                8 <= self.data_width <= 1024):
            raise BindError(f"{bus.wdata._path}: the data width must be a power of two "
                            f"8..1024 bits, not {self.data_width}")
        self.addr_width = len(bus.araddr)
        if self.addr_width > 64 or len(bus.awaddr) != self.addr_width:
            raise BindError(f"{bus.araddr._path}: the address width must be at most 64 bits "
                            f"and the same on AR and AW, not {self.addr_width} / "
                            f"{len(bus.awaddr)}")
        self.beat_bytes = self.data_width // 8
        self._strobe_bits = np.zeros(0, np.bool_)
        self._read_subs: list[ReadSubscriber] = []
        self._write_subs: list[WriteSubscriber] = []
        self._write_last: list[WriteSubscriber] = []
        #: the values of the last sample (VALIDs, READYs of R and B, handshaken payloads)
        self.cells: dict[str, int] = {}
        self._after_sample: list[Callable[[], None]] = []
        self._h = {n: getattr(bus, n) for n in (*MONITOR_SIGNALS, *MONITOR_OPTIONAL)
                   if getattr(bus, n, None) is not None}
        self.cells.update(dict.fromkeys(self._h, 0))
        self._ar_payload = [(f"ar{p}", self._h[f"ar{p}"]) for p in _ADDR_PAYLOAD
                            if f"ar{p}" in self._h]
        self._aw_payload = [(f"aw{p}", self._h[f"aw{p}"]) for p in _ADDR_PAYLOAD
                            if f"aw{p}" in self._h]
        self._wstrb = self._h.get("wstrb")
        self._extra: list[tuple[str, Any]] = []  # port outputs sampled for the memory
        self._reset_handle = reset
        self._reset_level = int(bool(reset_active_level))
        # AxSIZE and AxBURST of a port without them: full-width beats, INCR
        self._full_size = (self.beat_bytes - 1).bit_length()
        self._aw_queue: deque[_Addr] = deque()
        self._w_queue: deque[_WBurst] = deque()
        self._w_now = _WBurst()
        # handshakes of the coming rising edge: reads, then writes
        self._due_reads: list[_Addr] = []
        self._due_writes: list[tuple[_Addr, _WBurst]] = []
        self._high_ps = 0
        self.reads = 0
        self.writes = 0
        self.read_beats = 0
        self.write_beats = 0
        #: falling edges sampled
        self.cycles = 0
        reset_kw = {"reset": reset} if reset_active_level else {"reset_n": reset}
        super().__init__(entity, prefix or None, clock, **reset_kw)
        self.log = logging.getLogger(f"tb.vip.monitor.{prefix or entity._name}")

    # ------------------------------------------------------------ interface
    def subscribe_read(self, fn: ReadSubscriber) -> None:
        """Call ``fn(ReadBurst)`` for every AR handshake."""
        self._read_subs.append(fn)

    def subscribe_write(self, fn: WriteSubscriber, *, after_all: bool = False) -> None:
        """Call ``fn(WriteBurst)`` for every complete write burst; ``after_all``: after
        every other subscriber (a memory model committing the write to the host)."""
        (self._write_last if after_all else self._write_subs).append(fn)

    def sampled(self, name: str, handle: Any | None = None) -> Sampled:
        """Port output ``name`` (``arvalid``, ``araddr``, ...) as of the last falling edge,
        for a bus model that reads it at a rising edge: VALIDs every cycle, a payload at
        each of its handshakes. Another output (``rready``, ``bready``) is read every
        cycle from ``handle``."""
        if name in self._h:
            return Sampled(self.cells, name, len(self._h[name]))
        if handle is None:
            raise BindError(f"the monitor samples no {name!r} of its own: pass its handle")
        if name not in self.cells:
            self.cells[name] = 0
            self._extra.append((name, handle))
        return Sampled(self.cells, name, len(handle))

    def kill(self) -> None:
        """Stop monitoring."""
        thread = getattr(self, "_thread", None)
        if thread is not None:
            thread.cancel()
            self._thread = None

    def after_sample(self, fn: Callable[[], None]) -> None:
        """Call ``fn()`` after each sample (in the ReadOnly phase: no signal writes)."""
        self._after_sample.append(fn)

    # ------------------------------------------------------------- the loop
    async def _monitor_recv(self) -> None:
        clk = self.clock
        await RisingEdge(clk)
        t_rise = get_sim_time("ps")
        await FallingEdge(clk)
        self._high_ps = round(get_sim_time("ps") - t_rise)
        falling = FallingEdge(clk)
        read_only = ReadOnly()
        while True:
            await read_only
            self._sample()
            await falling
            if self._due_reads or self._due_writes:
                self._deliver()

    def _in_reset(self) -> bool:
        return (self._reset_handle is not None
                and read_uint(self._reset_handle) == self._reset_level)

    def _sample(self) -> None:
        """Read the handshakes the next rising edge completes (ReadOnly phase)."""
        self.cycles += 1
        h = self._h
        cells = self.cells
        arv = cells["arvalid"] = read_uint(h["arvalid"])
        awv = cells["awvalid"] = read_uint(h["awvalid"])
        wv = cells["wvalid"] = read_uint(h["wvalid"])
        for name, handle in self._extra:
            cells[name] = read_uint(handle)
        busy = arv or awv or wv or self._w_now.data or self._aw_queue or self._w_queue
        in_reset = bool(busy) and self._in_reset()
        if in_reset:
            self._drop_writes()
        if arv and read_uint(h["arready"]):
            for name, handle in self._ar_payload:
                cells[name] = read_uint(handle)
            if not in_reset:
                self._due_reads.append(self._addr("ar"))
        if awv and read_uint(h["awready"]):
            for name, handle in self._aw_payload:
                cells[name] = read_uint(handle)
            if not in_reset:
                self._aw_queue.append(self._addr("aw"))
        if wv and read_uint(h["wready"]):
            data = cells["wdata"] = read_uint(h["wdata"])
            strb = cells["wstrb"] = (read_uint(self._wstrb) if self._wstrb is not None
                                     else (1 << self.beat_bytes) - 1)
            last = cells["wlast"] = read_uint(h["wlast"])
            if not in_reset:
                self._w_now.data.append(data.to_bytes(self.beat_bytes, "little"))
                self._w_now.strobe.append(strb)
                if last:
                    self._w_queue.append(self._w_now)
                    self._w_now = _WBurst()
        while self._aw_queue and self._w_queue:
            self._due_writes.append((self._aw_queue.popleft(), self._w_queue.popleft()))
        for fn in self._after_sample:
            fn()

    def _drop_writes(self) -> None:
        """Reset: a write burst cut by it is dropped, unpaired AWs and W bursts with it."""
        self._w_now = _WBurst()
        self._aw_queue.clear()
        self._w_queue.clear()

    def _addr(self, x: str) -> _Addr:
        """The AR (``x`` "ar") or AW ("aw") payload just handshaken."""
        cells = self.cells
        return _Addr(axi_id=cells.get(f"{x}id", 0), addr=cells[f"{x}addr"],
                     beats=cells.get(f"{x}len", 0) + 1,
                     size=cells.get(f"{x}size", self._full_size), burst=cells.get(f"{x}burst", 1))

    def _read_burst(self, time_ns: int, ar: _Addr) -> ReadBurst:
        self.read_beats += ar.beats
        return ReadBurst(time_ns=time_ns, axi_id=ar.axi_id, addr=ar.addr, beats=ar.beats,
                         beat_bytes=self.beat_bytes, size=ar.size, burst=ar.burst)

    def _write_burst(self, time_ns: int, aw: _Addr, w: _WBurst) -> WriteBurst:
        axi_id, addr, beats = aw.axi_id, aw.addr, aw.beats
        self.write_beats += beats
        bb = self.beat_bytes
        if len(w.data) != beats:
            self.log.warning(
                "write burst at %#x: AWLEN says %d beats, WLAST came after %d (protocol error)",
                addr, beats, len(w.data),
            )
        data = b"".join(w.data[:beats]).ljust(beats * bb, b"\0")
        strobe = np.zeros(beats * bb, np.bool_)
        for b, s in enumerate(w.strobe[:beats]):
            if s:
                strobe[b * bb:(b + 1) * bb] = np.unpackbits(
                    np.frombuffer(s.to_bytes(-(-bb // 8), "little"), np.uint8),
                    bitorder="little")[:bb].astype(np.bool_)
        return WriteBurst(time_ns=time_ns, axi_id=axi_id, addr=addr, beats=beats,
                          beat_bytes=bb, data=data, strobe=strobe, size=aw.size, burst=aw.burst)

    def _deliver(self) -> None:
        """At the falling edge after the handshakes: hand them out with the time of the
        rising edge that completed them, a read before a write (as the HDL monitor)."""
        time_ns = round((get_sim_time("ps") - self._high_ps) / 1000)
        reads, self._due_reads = self._due_reads, []
        writes, self._due_writes = self._due_writes, []
        for ar in reads:
            self._recv(self._read_burst(time_ns, ar))
        for aw, w in writes:
            self._recv(self._write_burst(time_ns, aw, w))

    def _recv(self, transaction: ReadBurst | WriteBurst) -> None:
        self.stats.received_transactions += 1
        if isinstance(transaction, ReadBurst):
            self.reads += 1
            for read_fn in self._read_subs:
                read_fn(transaction)
        else:
            self.writes += 1
            for write_fn in (*self._write_subs, *self._write_last):
                write_fn(transaction)
        for callback in self._callbacks:
            callback(transaction)
        self._wait_event_data = transaction
        self._wait_event.set()
        self._wait_event.clear()
