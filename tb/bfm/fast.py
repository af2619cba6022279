"""Transaction-level bus models: HDL transactors (``tb/hdl``), Python once per burst or packet.

Hand-off protocol (the same shape everywhere): the HDL records a finished
transaction in a ring slot and bumps a counter one cycle later; at the falling
edge after that counter's change (:mod:`tb.phase`) Python reads the slot as a
few wide words, does its work, and answers by writing the slot's reply words
and then a "done" counter, which the HDL samples at the next rising edge.

| transactor (tb/hdl)  | Python wakes when                | Python writes                        |
|----------------------|----------------------------------|--------------------------------------|
| tb_axi_mem           | tb_top's u_mon reports an AR or  | read data + error bits, rd_filled;   |
|                      | a whole write burst              | write response, wr_acked             |
| tb_axil_master       | the access's response            | one request word per access          |
| tb_axis_source       | (only when both buffers are full)| a packet's bytes, ctl, loaded        |
| tb_axis_sink         | a packet (or 16 KiB chunk) ended | acked                                |

Host memory is reached only through ``host.dma_read`` / ``host.dma_write``, a
burst at a time, with ``AxiSlave``'s error semantics (:mod:`tb.bfm.host_port`).
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
from cocotb.queue import Queue
from cocotb.triggers import Event, Lock
from cocotb.utils import get_sim_time

from tb.bfm.host_port import RESP_OKAY, HostBurstPort
from tb.bfm.host_target import DmaHost
from tb.bfm.monitor import AxiBurstMonitor
from tb.bfm.vector import lsb_bits, pack_bits, read_uint, write_bytes, write_uint
from tb.bus_events import ReadBurst, WriteBurst
from tb.phase import PythonPhase, Watch
from tb.regs import RegisterPort
from tb.scenario_config import ScenarioConfig

__all__ = [
    "FastAxiLiteMaster",
    "FastBusModels",
    "FastMemory",
    "FastStreamSink",
    "FastStreamSource",
    "StreamPacket",
    "probability_to_threshold",
]

_M32 = 0xFFFF_FFFF
_M64 = (1 << 64) - 1


def probability_to_threshold(p: float) -> int:
    """A pause probability as the HDL's per-cycle threshold out of 256."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"pause probability must be within 0..1, not {p}")
    return round(p * 256)


# ---------------------------------------------------------------- AXI4 memory
class FastMemory:
    """Python half of ``tb_axi_mem``: host memory behind the HDL AXI4 slave.

    It learns of every AR and every complete write burst from ``monitor``, the AXI
    burst monitor on the same bus (tb_top's ``u_mon``), in bus order: the n-th read
    burst the monitor reports is the n-th AR the memory accepted, its data goes into
    ring slot n. A write reaches host memory after every other subscriber of the
    monitor (the checkers) has judged it.
    """

    def __init__(self, handle: Any, host: DmaHost, monitor: AxiBurstMonitor) -> None:
        self.handle = handle
        self.host = host
        self.log = logging.getLogger("tb.bfm.mem")
        self.monitor = monitor
        monitor.subscribe_read(self._serve_read)
        monitor.subscribe_write(self._serve_write, after_all=True)
        self.depth = int(handle.DEPTH.value)
        data_width = int(handle.DATA_WIDTH.value)
        self.beat_bytes = data_width // 8
        self.port = HostBurstPort(host, self.beat_bytes)  # type: ignore[arg-type]
        self.seg_beats = int(handle.SEG_BEATS.value)
        self.nseg = int(handle.MAX_BURST_LEN.value) // self.seg_beats
        self._seg_bytes = self.seg_beats * self.beat_bytes
        self._seg_data_bits = self.seg_beats * data_width
        self._serving = False
        self._rd_seg = handle.rd_seg
        self._rd_filled = handle.rd_filled
        self._wr_resp = handle.wr_resp
        self._wr_acked = handle.wr_acked
        self._rd_n = 0
        self._wr_n = 0
        self.read_bursts = 0
        self.write_bursts = 0
        self.read_errors = 0
        self.write_errors = 0

    def configure(
        self,
        *,
        rd_latency: int | None = None,
        wr_latency: int | None = None,
        rd_outstanding: int | None = None,
        wr_outstanding: int | None = None,
    ) -> None:
        """Override the HDL's latency and outstanding-limit defaults (cycles, bursts)."""
        for name, value in (
            ("cfg_rd_latency", rd_latency), ("cfg_wr_latency", wr_latency),
            ("cfg_rd_outstanding", rd_outstanding), ("cfg_wr_outstanding", wr_outstanding),
        ):
            if value is not None:
                if value < 0 or (name.endswith("outstanding") and value < 1):
                    raise ValueError(f"{name[4:]} must be a positive number, not {value}")
                getattr(self.handle, name).value = value

    def set_pause(self, threshold: int, seed: int) -> None:
        self.handle.cfg_pause.value = threshold
        self.handle.cfg_seed.value = seed & _M32

    def start(self) -> None:
        """Serve from now on (after reset: the HDL dropped whatever was in flight and
        brought its counters level; the monitor, started beside it, skips older events)."""
        self._rd_n = read_uint(self.handle.ar_cnt)
        self._wr_n = read_uint(self.handle.b_ld_cnt)
        write_uint(self._rd_filled, self._rd_n)
        write_uint(self._wr_acked, self._wr_n)
        self._serving = True

    def stop(self) -> None:
        self._serving = False

    def _tick(self) -> None:
        now = int(get_sim_time("ns"))
        self.host.now = max(self.host.now, now)

    # -------------------------------------------------------------- reads
    def _serve_read(self, burst: ReadBurst) -> None:
        if not self._serving:
            return
        n = self._rd_n
        self._rd_n = (n + 1) & _M32
        self._tick()
        data, errors = self.port.read(burst.start, burst.beats)
        slot = n % self.depth
        sb = self._seg_bytes
        for s in range(-(-burst.beats // self.seg_beats)):
            write_bytes(
                self._rd_seg[slot * self.nseg + s], data[s * sb : (s + 1) * sb],
                high=errors >> (s * self.seg_beats) & ((1 << self.seg_beats) - 1),
                high_shift=self._seg_data_bits,
            )
        write_uint(self._rd_filled, self._rd_n)
        self.read_bursts += 1
        if errors:
            self.read_errors += 1

    # ------------------------------------------------------------- writes
    def _serve_write(self, burst: WriteBurst) -> None:
        if not self._serving:
            return
        n = self._wr_n
        self._wr_n = (n + 1) & _M32
        self._tick()
        resp = self.port.write(burst.start, burst.data, burst.strobe)
        write_uint(self._wr_resp[n % self.depth], resp)
        write_uint(self._wr_acked, self._wr_n)
        self.write_bursts += 1
        if resp != RESP_OKAY:
            self.write_errors += 1


# ------------------------------------------------------------- AXI-Lite master
class FastAxiLiteMaster:
    """Python half of ``tb_axil_master``: a :class:`tb.regs.RegisterPort`."""

    def __init__(self, handle: Any, phase: PythonPhase) -> None:
        self.handle = handle
        self.phase = phase
        self.log = logging.getLogger("tb.bfm.axil")
        self._req = handle.req
        self._rsp = handle.rsp
        self._seq = read_uint(self._rsp) >> 34  # the HDL's last answer (an earlier test's)
        self._lock = Lock()
        self._answered = Event()
        self._answer = 0
        self._watch: Watch | None = None
        self.accesses = 0

    def start(self) -> None:
        """Follow the HDL's answers (at the first access if not called before)."""
        if self._watch is None:
            self._watch = self.phase.watch(self._rsp, self._on_rsp, name="bfm.axil")

    def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None

    def _on_rsp(self) -> None:
        rsp = read_uint(self._rsp)
        if rsp >> 34 == self._seq:
            self._answer = rsp
            self._answered.set()

    async def read_dword(self, address: int) -> int:
        return await self._access(False, address, 0)

    async def write_dword(self, address: int, data: int, *, strobe: int = 0xF) -> None:
        """Write ``data``; ``strobe`` (WSTRB) picks the byte lanes written."""
        await self._access(True, address, data & _M32, strobe)

    async def _access(self, write: bool, address: int, data: int, strobe: int = 0xF) -> int:
        if not 0 <= address < 1 << 12 or address % 4:
            raise ValueError(
                f"register address must be a dword offset below 0x1000, not {address:#x}"
            )
        if not 0 <= strobe <= 0xF:
            raise ValueError(f"WSTRB must be 4 bits, not {strobe:#x}")
        async with self._lock:
            self.start()
            self._seq = seq = (self._seq + 1) & 0xFFFF
            self._answered.clear()
            write_uint(self._req,
                       seq << 49 | int(write) << 48 | strobe << 44 | address << 32 | data)
            await self._answered.wait()
            rsp = self._answer
            self.accesses += 1
        resp = rsp >> 32 & 3
        if resp != RESP_OKAY:
            self.log.warning(
                "AXI-Lite %s at %#05x answered %s", "write" if write else "read", address,
                ("OKAY", "EXOKAY", "SLVERR", "DECERR")[resp],
            )
        return rsp & _M32


# ------------------------------------------------------------ AXI-Stream source
class FastStreamSource:
    """Python half of ``tb_axis_source``: whole packets in, the HDL streams them."""

    def __init__(self, handle: Any, phase: PythonPhase) -> None:
        self.handle = handle
        self.phase = phase
        self.data_width = int(handle.DATA_WIDTH.value)
        self.beat_bytes = self.data_width // 8
        self.buf_bytes = int(handle.BUF_BYTES.value)
        self.nbuf = int(handle.NBUF.value)
        self.seg_beats = int(handle.SEG_BEATS.value)
        self.nseg = self.buf_bytes // (self.seg_beats * self.beat_bytes)
        self._seg_bytes = self.seg_beats * self.beat_bytes
        self._buf_seg = handle.buf_seg
        self._buf_ctl = handle.buf_ctl
        self._loaded_h = handle.loaded
        self._consumed = handle.consumed
        self._loaded = read_uint(self._loaded_h)  # an earlier test's loads
        self._consumed_n = read_uint(self._consumed)
        self._progress = Event()
        self._lock = Lock()
        self._watch: Watch | None = None
        self.packets = 0
        #: slots loaded by this object (not wrapped), and the slot of each packet's first
        #: piece while that packet has not started (see packets_started)
        self._loads = 0
        self._firsts: deque[int] = deque()
        self._started = 0

    def packets_started(self) -> int:
        """Packets the HDL has started (or may have started) to stream: every packet
        whose first piece is in the slot being streamed or an earlier one."""
        streaming = self._loads - ((self._loaded - self._consumed_n) & _M32)
        while self._firsts and self._firsts[0] <= streaming:
            self._firsts.popleft()
            self._started += 1
        return self._started

    def start(self) -> None:
        if self._watch is None:
            self._consumed_n = read_uint(self._consumed)
            self._watch = self.phase.watch(self._consumed, self._on_consumed,
                                           name="bfm.rx_source")

    def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None

    def _on_consumed(self) -> None:
        self._consumed_n = read_uint(self._consumed)
        self._progress.set()

    async def _wait_progress(self) -> None:
        self._progress.clear()
        await self._progress.wait()

    def set_pause(self, threshold: int, seed: int) -> None:
        self.handle.cfg_pause.value = threshold
        self.handle.cfg_seed.value = seed & _M32

    def _free_slots(self) -> int:
        return self.nbuf - ((self._loaded - self._consumed_n) & _M32)

    async def send(self, data: bytes, tuser: bool = False, *,
                   keep_hole: int | None = None) -> None:
        """Queue one packet; returns once all of it is in the HDL's buffers.

        ``tuser`` goes with the last beat (TLAST). ``keep_hole``: a malformed packet on
        purpose, TKEEP of that byte is 0 (a byte of the first ``buf_bytes``; the
        AXI-Stream checker reports it as a sparse or unpacked TKEEP).
        """
        if not data:
            raise ValueError("an AXI-Stream packet needs at least one byte, not 0")
        if keep_hole is not None and not 0 <= keep_hole < min(len(data), self.buf_bytes, 1 << 15):
            raise ValueError(
                f"keep_hole must be a byte of the packet's first {self.buf_bytes}-byte load, "
                f"not {keep_hole}"
            )
        async with self._lock:
            for off in range(0, len(data), self.buf_bytes):
                piece = data[off : off + self.buf_bytes]
                last = off + self.buf_bytes >= len(data)
                while self._free_slots() <= 0:
                    await self._wait_progress()
                slot = self._loaded % self.nbuf
                sb = self._seg_bytes
                for s in range(-(-len(piece) // sb)):
                    write_bytes(self._buf_seg[slot * self.nseg + s], piece[s * sb : (s + 1) * sb])
                hole = 0 if keep_hole is None or off else keep_hole << 27 | 1 << 26
                write_uint(self._buf_ctl[slot],
                           hole | int(tuser) << 25 | int(last) << 24 | len(piece))
                if not off:
                    self._firsts.append(self._loads)
                self._loads += 1
                self._loaded = (self._loaded + 1) & _M32
                write_uint(self._loaded_h, self._loaded)
            self.packets += 1

    async def idle(self) -> None:
        """Until every queued byte has left on the bus."""
        while self._consumed_n != self._loaded:
            await self._wait_progress()
        while self.handle.m_axis_tvalid.value == 1:
            await self.phase.settled()


# -------------------------------------------------------------- AXI-Stream sink
@dataclass(frozen=True)
class StreamPacket:
    """A packet the sink took: its bytes (TKEEP applied), TUSER of its last beat, and the
    simulated times of its first and last beats."""

    data: bytes
    tuser: bool
    first_ns: int
    last_ns: int


class FastStreamSink:
    """Python half of ``tb_axis_sink``: one wake-up per packet, packets queued for recv()."""

    def __init__(self, handle: Any, phase: PythonPhase) -> None:
        self.handle = handle
        self.phase = phase
        self.data_width = int(handle.DATA_WIDTH.value)
        self.beat_bytes = self.data_width // 8
        self.nbuf = int(handle.NBUF.value)
        self.seg_beats = int(handle.SEG_BEATS.value)
        self.nseg = int(handle.BUF_BYTES.value) // (self.seg_beats * self.beat_bytes)
        self._seg_data_bits = self.seg_beats * self.data_width
        self._seg_bytes = self.seg_beats * self.beat_bytes
        self._count = handle.count
        self._acked = handle.acked
        self._chk_info = handle.chk_info
        self._chk_seg = handle.chk_seg
        self._seen = 0
        self._partial: list[bytes] = []
        self._first_ns = 0
        self.queue: Queue[StreamPacket] = Queue()
        self._watch: Watch | None = None
        self.packets = 0

    def set_pause(self, threshold: int, seed: int) -> None:
        self.handle.cfg_pause.value = threshold
        self.handle.cfg_seed.value = seed & _M32

    def start(self) -> None:
        if self._watch is None:
            self._seen = read_uint(self._count)
            write_uint(self._acked, self._seen)
            self._watch = self.phase.watch(self._count, self.poll, name="bfm.tx_sink")

    def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None

    def poll(self) -> None:
        count = read_uint(self._count)
        while self._seen != count:
            slot = self._seen % self.nbuf
            info = read_uint(self._chk_info[slot])
            beats, last, tuser = info & 0xFFFF, info >> 16 & 1, info >> 17 & 1
            if not self._partial:
                self._first_ns = info >> 18 & _M64
            self._partial.append(self._chunk(slot, beats))
            self._seen = (self._seen + 1) & _M32
            if last:
                self.queue.put_nowait(StreamPacket(b"".join(self._partial), bool(tuser),
                                                   self._first_ns, info >> 82 & _M64))
                self._partial = []
                self.packets += 1
        write_uint(self._acked, self._seen)

    def _chunk(self, slot: int, beats: int) -> bytes:
        sd, sb = self._seg_data_bits, self._seg_bytes
        data: list[bytes] = []
        keep: list[np.ndarray] = []
        for s in range(-(-beats // self.seg_beats)):
            bits = lsb_bits(self._chk_seg[slot * self.nseg + s])
            data.append(pack_bits(bits[:sd]))
            keep.append(bits[sd : sd + sb])
        n = beats * self.beat_bytes
        raw = b"".join(data)[:n]
        mask = np.concatenate(keep)[:n] if len(keep) > 1 else keep[0][:n]
        if mask.all():
            return raw
        return bytes(np.frombuffer(raw, np.uint8)[mask].tobytes())

    async def recv(self) -> tuple[bytes, bool]:
        packet = await self.queue.get()
        return packet.data, packet.tuser

    async def recv_packet(self) -> StreamPacket:
        """The next packet, with the times of its first and last beats."""
        return await self.queue.get()


# ------------------------------------------------------------------ the set
class FastBusModels:
    """The bus models of ``tb_top`` with FAST=1 (see :mod:`tb.bfm.models`)."""

    kind = "fast"

    def __init__(self, dut: Any, host: DmaHost, cfg: ScenarioConfig, phase: PythonPhase) -> None:
        g = dut.g_fast
        self.dut = dut
        # the monitor first: at a falling edge the checkers judge a burst before the
        # memory applies any write to host memory (tb.phase runs services in this order)
        self.monitor = AxiBurstMonitor(dut.u_mon, phase)
        self.memory = FastMemory(g.u_mem, host, self.monitor)
        self.tx_sink = FastStreamSink(g.u_tx_sink, phase)
        self.rx_source = FastStreamSource(g.u_rx_src, phase)
        self.axil = FastAxiLiteMaster(g.u_axil, phase)
        self.regs_port: RegisterPort = self.axil
        self.memory.configure(
            rd_latency=cfg.mem_latency, rd_outstanding=cfg.mem_outstanding,
            wr_outstanding=cfg.mem_outstanding,
        )

    def set_backpressure(self, axi_probability: float, stream_probability: float,
                         seed: int) -> None:
        axi = probability_to_threshold(axi_probability)
        stream = probability_to_threshold(stream_probability)
        self.memory.set_pause(axi, seed)
        self.rx_source.set_pause(stream, seed)
        self.tx_sink.set_pause(stream, seed)

    async def start(self) -> None:
        self.monitor.start()
        self.memory.start()
        self.tx_sink.start()
        self.rx_source.start()
        self.axil.start()

    def stop(self) -> None:
        self.monitor.stop()
        self.tx_sink.stop()
        self.rx_source.stop()
        self.axil.stop()
        self.memory.stop()

    async def send_rx(self, data: bytes, tuser: bool = False) -> None:
        await self.rx_source.send(data, tuser)

    async def rx_idle(self) -> None:
        await self.rx_source.idle()

    async def recv_tx(self) -> tuple[bytes, bool]:
        return await self.tx_sink.recv()
