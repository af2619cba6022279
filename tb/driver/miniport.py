"""A miniport driver for dma_engine, written the way a Windows NDIS miniport is.

MiniportInitializeEx: register scatter/gather DMA, read the DMA alignment,
allocate rings and buffers from shared memory (smaller when refused; fail
cleanly, freeing everything, when not enough), program the engine through the
register map, post receive buffers.  Sends copy the packet into DMA buffers
through the CPU cache and flush them; receives invalidate before reading.
Interrupts run an ISR (read and clear IRQ_STATUS) and a DPC at DISPATCH_LEVEL
(reap completions); a poster task rings the doorbells.  MiniportHaltEx stops
the engine, soft-resets it and frees every allocation, so NDIS finds no leak.

The driver never trusts what the device writes into host memory: before it
acts on a completion it holds it to the descriptor contract
(:mod:`tb.checkers.completion_rules`: bytes 0-11 as posted, documented status
bits and error codes, WB_LEN within the buffer, EOP where the packet ends).  A
completion that breaks it is a device error: the driver stops reaping that
ring, and (``strict_errors`` off) stops, reclaims and re-enables the ring; if
the ring does not come back, the adapter has failed.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import cocotb
from cocotb.triggers import Event
from cocotb.utils import get_sim_time

from pymodel import ndis
from pymodel.device import (
    DESC_BYTES,
    WB_DELAY_RESET,
    CtrlBit,
    DescCtrl,
    Descriptor,
    DescStatus,
    ErrCode,
    Irq,
    Reg,
    Ring,
    RingCtrlBit,
    RingReg,
    RingState,
)
from pymodel.iommu import Access
from pymodel.ndis import MiniportAdapter, NdisSystem
from tb.checkers.completion import DescriptorLedger
from tb.checkers.completion_rules import RX_WINDOW, Verdict, describe, hex_bytes, judge_completion
from tb.checkers.ownership import OwnershipMap
from tb.driver.memory import DmaBuffer, SharedBlock, SharedMemoryBook
from tb.driver.ring import INDEX_MASK, DriverRing
from tb.errors import DeviceError, DriverError, SimTimeout
from tb.phase import InterruptLine, PythonPhase
from tb.regs import DeviceRegisters

__all__ = ["DriverBugs", "DriverConfig", "DriverStats", "MiniportDriver"]

ALL_IRQS = Irq.TX_DONE | Irq.RX_DONE | Irq.TX_ERR | Irq.RX_ERR | Irq.RX_DROP


@dataclass(frozen=True, kw_only=True)
class DriverBugs:
    """Deliberate driver bugs, each one a broken case a bus checker must catch."""

    #: Do not NdisFlushBuffer(..., TRUE) TX data before the doorbell (stale device read).
    skip_tx_flush: bool = False
    #: Do not NdisFlushBuffer(..., FALSE) an RX buffer before reading it (stale CPU read).
    skip_rx_invalidate: bool = False
    #: Clear each RX buffer through the cache before posting it, without flushing (dirty line).
    scribble_rx: bool = False
    #: Carve buffers back to back, ignoring NdisMGetDmaAlignment (shared lines).
    ignore_alignment: bool = False


@dataclass(frozen=True, kw_only=True)
class DriverConfig:
    """How the driver sizes and uses its memory."""

    tx_ring_log2: int = 8
    rx_ring_log2: int = 8
    buffer_size: int = 2048
    tx_buffers: int = 128
    rx_buffers: int = 192
    min_tx_buffers: int = 8
    min_rx_buffers: int = 16
    block_bytes: int = 64 * 1024
    cached: bool = True
    #: Post descriptors in whole cache lines (pad TX with NOPs). False makes
    #: the engine write back part lines: a tearing hazard on non-coherent hosts.
    post_whole_lines: bool = True
    wb_delay: int = WB_DELAY_RESET
    #: RX blocks the driver may add with NdisMAllocateSharedMemoryAsyncEx when it drops.
    max_async_rx_blocks: int = 2
    shared_memory_limit: int | None = 16 << 20
    #: Raise at once on an error completion or interrupt, or a device error (False: record
    #: it; after a device error, recover the ring).
    strict_errors: bool = True
    bugs: DriverBugs = DriverBugs()


@dataclass
class DriverStats:
    """What the driver did."""

    tx_queued: int = 0
    tx_completed: int = 0
    tx_bytes: int = 0
    tx_nops: int = 0
    rx_packets: int = 0
    rx_bytes: int = 0
    interrupts: int = 0
    async_blocks: int = 0
    errors: list[str] = field(default_factory=list)
    #: completions the driver refused to believe (ring, descriptor, bytes, rule)
    device_errors: list[str] = field(default_factory=list)
    #: rings stopped, reclaimed and re-enabled after a device error
    recoveries: int = 0
    #: why the adapter failed ("" while it has not)
    failed: str = ""


@dataclass
class _TxSlot:
    buffer: DmaBuffer | None
    eop: bool
    length: int


class MiniportDriver:
    """One adapter's miniport driver."""

    def __init__(
        self,
        *,
        system: NdisSystem,
        regs: DeviceRegisters,
        irq: InterruptLine,
        phase: PythonPhase,
        config: DriverConfig,
        on_receive: Callable[[bytes], None],
        on_transmitted: Callable[[int], None] | None = None,
        ownership: OwnershipMap | None = None,
        ledger: DescriptorLedger | None = None,
        name: str = "nic0",
    ) -> None:
        self.system = system
        self.host = system.host
        self.regs = regs
        self.irq = irq
        #: every wait of the driver (polling, time-outs) ends where Python acts (tb.phase)
        self.phase = phase
        self.cfg = config
        self.on_receive = on_receive
        self.on_transmitted = on_transmitted
        self.name = name
        self.ownership = ownership
        #: told what the driver posts and reclaims in each ring (the completion checker)
        self.ledger = ledger
        self.stats = DriverStats()
        self.log = logging.getLogger(f"tb.driver.{name}")
        self.adapter: MiniportAdapter | None = None
        self.dma: ndis.DmaHandle | None = None
        self.book: SharedMemoryBook | None = None
        self.tx_ring: DriverRing | None = None
        self.rx_ring: DriverRing | None = None
        self.alignment = 0
        self._tx_free: list[DmaBuffer] = []
        self._rx_free: list[DmaBuffer] = []
        self._tx_slots: dict[int, _TxSlot] = {}
        self._rx_slots: dict[int, DmaBuffer] = {}
        self._tx_queue: deque[bytes] = deque()
        self._rx_partial: list[bytes] = []
        self._kick = Event()
        self._tasks: list[Any] = []
        self._running = False
        self._async_pending = 0
        self._tx_doorbell_pending = False
        self._rx_doorbell_pending = False
        #: rings whose completions the driver no longer believes (a device error)
        self._untrusted: set[Ring] = set()
        #: rings being recovered: nothing is posted into them meanwhile
        self._recovering: set[Ring] = set()

    # ------------------------------------------------------------ helpers
    def _sync_time(self) -> None:
        self.host.now = max(self.host.now, int(get_sim_time("ns")))

    def _error(self, text: str) -> None:
        self.stats.errors.append(text)
        self.log.error("%s", text)
        if self.cfg.strict_errors:
            raise DriverError(text)

    # ------------------------------------------------------- initialization
    async def initialize(
        self, *, extra: Callable[[MiniportAdapter], None] | None = None
    ) -> bool:
        """MiniportInitializeEx. True when the adapter is running.

        ``extra`` runs inside MiniportInitializeEx after the driver's own
        allocations (tests use it to allocate as the driver would).
        """
        self._sync_time()
        self.adapter = self.system.add_adapter(
            name=self.name, shared_memory_limit=self.cfg.shared_memory_limit
        )
        try:
            with self.system.calling(self.adapter, irql=ndis.PASSIVE_LEVEL):
                self._allocate_resources()
                if extra is not None:
                    extra(self.adapter)
        except DriverError as exc:
            self.log.warning("initialization failed: %s", exc)
            with self.system.calling(self.adapter, irql=ndis.PASSIVE_LEVEL):
                self._free_resources()
            self.adapter.initialize_complete(ndis.NDIS_STATUS_FAILURE)
            return False
        await self._program_engine()
        self.adapter.initialize_complete(ndis.NDIS_STATUS_SUCCESS)
        self._running = True
        self._tasks = [cocotb.start_soon(self._isr()), cocotb.start_soon(self._poster())]
        self._kick.set()
        return True

    def _allocate_resources(self) -> None:
        assert self.adapter is not None
        description = ndis.NDIS_SG_DMA_DESCRIPTION(
            flags=ndis.NDIS_SG_DMA_64_BIT_ADDRESS,
            shared_mem_allocate_complete_handler=self._shared_memory_allocate_complete,
        )
        status, self.dma = ndis.NdisMRegisterScatterGatherDma(self.adapter, description)
        if status != ndis.NDIS_STATUS_SUCCESS:
            raise DriverError(f"NdisMRegisterScatterGatherDma failed: {status}")
        self.alignment = ndis.NdisMGetDmaAlignment(self.adapter)
        mdl_count = 8 * (self.cfg.tx_buffers + self.cfg.rx_buffers) + 1024
        status, pool = ndis.NdisAllocateBufferPool(mdl_count)
        if status != ndis.NDIS_STATUS_SUCCESS or pool is None:
            raise DriverError(f"NdisAllocateBufferPool({mdl_count}) failed: {status}")
        self.book = SharedMemoryBook(
            adapter=self.adapter, cached=self.cfg.cached, alignment=self.alignment, mdl_pool=pool,
            ownership=self.ownership, ignore_alignment=self.cfg.bugs.ignore_alignment,
        )
        self.tx_ring = self._create_ring("tx", self.cfg.tx_ring_log2)
        self.rx_ring = self._create_ring("rx", self.cfg.rx_ring_log2)
        self._tx_free = self.book.allocate_buffers(
            size=self.cfg.buffer_size, want=self.cfg.tx_buffers,
            minimum=self.cfg.min_tx_buffers, block_bytes=self.cfg.block_bytes, purpose="tx",
        )
        self._rx_free = self.book.allocate_buffers(
            size=self.cfg.buffer_size, want=self.cfg.rx_buffers,
            minimum=self.cfg.min_rx_buffers, block_bytes=self.cfg.block_bytes, purpose="rx",
        )

    def _create_ring(self, name: str, size_log2: int) -> DriverRing:
        """A ring, halving its size when shared memory is refused."""
        assert self.book is not None
        min_log2 = max(1, (self.alignment // DESC_BYTES).bit_length() - 1)
        while size_log2 >= min_log2:
            ring = DriverRing.create(name, self.host, self.book, size_log2, self.alignment,
                                     ledger=self.ledger)
            if ring is not None:
                return ring
            size_log2 -= 1
        raise DriverError(f"no shared memory for the {name} descriptor ring")

    def _free_resources(self) -> None:
        if self.ledger is not None:
            for ring in (self.tx_ring, self.rx_ring):
                if ring is not None:
                    self.ledger.ring_freed(ring.which)
        if self.book is not None:
            self.book.free_all()
            ndis.NdisFreeBufferPool(self.book.mdl_pool)
            self.book = None
        if self.dma is not None:
            ndis.NdisMDeregisterScatterGatherDma(self.dma)
            self.dma = None

    async def _program_engine(self) -> None:
        assert self.tx_ring is not None and self.rx_ring is not None
        regs = self.regs
        await regs.write(Reg.CACHE_LINE, self.alignment)
        await regs.write(Reg.WB_DELAY, self.cfg.wb_delay)
        for ring, dring in ((Ring.TX, self.tx_ring), (Ring.RX, self.rx_ring)):
            await regs.ring_write(ring, RingReg.BASE_LO, dring.block.la)
            await regs.ring_write(ring, RingReg.BASE_HI, dring.block.la >> 32)
            await regs.ring_write(ring, RingReg.SIZE_LOG2, dring.size_log2)
            await regs.ring_write(ring, RingReg.CTRL, RingCtrlBit.ENABLE)
            status = await regs.ring_read(ring, RingReg.STATUS)
            if status & 0x3 != RingState.RUN:
                raise DriverError(
                    f"{ring.name} ring did not start: state {RingState(status & 0x3).name}, "
                    f"error {ErrCode(status >> 8 & 0xFF).name}"
                )
        await regs.write(Reg.IRQ_ENABLE, ALL_IRQS)

    # --------------------------------------------------------------- sends
    def send(self, packet: bytes) -> None:
        """Queue a packet for transmission (NdisMSendNetBufferLists)."""
        if self.stats.failed:
            raise DriverError(f"send() on a failed adapter: {self.stats.failed}")
        if not self._running:
            raise DriverError("send() while the adapter is not running")
        if not packet:
            raise DriverError("cannot send an empty packet")
        self._tx_queue.append(bytes(packet))
        self.stats.tx_queued += 1
        self._kick.set()

    @property
    def tx_outstanding(self) -> int:
        """Packets queued or in the ring, not yet completed."""
        return self.stats.tx_queued - self.stats.tx_completed

    def _post_tx(self) -> int:
        """Move queued packets into the TX ring; returns descriptors posted."""
        ring = self.tx_ring
        assert ring is not None
        if Ring.TX in self._recovering:
            return 0
        first = ring.tail
        posted = 0
        pad_reserve = ring.per_line - 1 if self.cfg.post_whole_lines else 0
        while self._tx_queue:
            pkt = self._tx_queue[0]
            chunks = -(-len(pkt) // self.cfg.buffer_size)
            if chunks > len(self._tx_free) or chunks + pad_reserve > ring.free:
                break
            self._tx_queue.popleft()
            for i in range(chunks):
                part = pkt[i * self.cfg.buffer_size:(i + 1) * self.cfg.buffer_size]
                buf = self._tx_free.pop()
                self.host.cpu_write(buf.va, part)
                if not self.cfg.bugs.skip_tx_flush:
                    ndis.NdisFlushBuffer(buf.mdl, True)
                if self.ownership is not None:
                    self.ownership.hand_to_device(buf.la, len(part), Access.READ)
                eop = i == chunks - 1
                ctrl = DescCtrl.EOP if eop else DescCtrl(0)
                self._tx_slots[ring.tail] = _TxSlot(buf, eop, len(part))
                ring.write(ring.tail, Descriptor(addr=buf.la, length=len(part), ctrl=ctrl))
                ring.tail = (ring.tail + 1) & INDEX_MASK
                posted += 1
        if posted == 0:
            return 0
        while self.cfg.post_whole_lines and ring.tail % ring.per_line:
            self._tx_slots[ring.tail] = _TxSlot(None, False, 0)
            ring.write(ring.tail, Descriptor(ctrl=DescCtrl.NOP))
            ring.tail = (ring.tail + 1) & INDEX_MASK
            self.stats.tx_nops += 1
            posted += 1
        last = (ring.tail - 1) & INDEX_MASK
        ring.write(last, self._with_irq(ring.read(last)))
        ring.flush_for_device(first, posted)
        return posted

    @staticmethod
    def _with_irq(desc: Descriptor) -> Descriptor:
        return Descriptor(addr=desc.addr, length=desc.length, ctrl=desc.ctrl | DescCtrl.IRQ)

    def _check_completion(self, ring: DriverRing, raw: bytes, packet_bytes: int = 0) -> bool:
        """Hold the completion at ``ring.clean`` to the descriptor contract before acting on
        it; False (a device error reported) when it breaks a rule."""
        index = ring.clean
        verdict = judge_completion(ring.which, ring.posted_at(index), raw,
                                   later=ring.later(index, RX_WINDOW - 1),
                                   packet_bytes=packet_bytes)
        if verdict is None:
            return True
        self._device_error(ring, index, raw, verdict)
        return False

    def _device_error(self, ring: DriverRing, index: int, raw: bytes, verdict: Verdict) -> None:
        """The device wrote a completion no correct device writes: stop believing the ring."""
        text = (
            f"{ring.which.name} descriptor {index} at LA {ring.la_of(index):#x}: the device wrote "
            f"{hex_bytes(raw)} ({describe(raw)}); {verdict.rule.name}: {verdict.detail}"
        )
        self.stats.device_errors.append(text)
        self.log.error("device error: %s", text)
        self._untrusted.add(ring.which)
        if self.cfg.strict_errors:
            raise DeviceError(text)

    def _reap_tx(self) -> bool:
        ring = self.tx_ring
        assert ring is not None
        progress = False
        while (raw := ring.reap_raw()) is not None:
            if not self._check_completion(ring, raw):
                break
            desc = Descriptor.unpack(raw)
            slot = self._tx_slots.pop(ring.clean)
            if desc.status & DescStatus.ERR:
                self._error(f"TX descriptor {ring.clean} completed with {desc.err.name}")
            if slot.buffer is not None:
                if self.ownership is not None:
                    self.ownership.take_back(slot.buffer.la, slot.length)
                self._tx_free.append(slot.buffer)
                self.stats.tx_bytes += slot.length
            if slot.eop:
                self.stats.tx_completed += 1
                if self.on_transmitted is not None:
                    self.on_transmitted(self.stats.tx_completed)
            ring.clean = (ring.clean + 1) & INDEX_MASK
            ring.reaped()
            progress = True
        return progress

    # ------------------------------------------------------------ receives
    def _post_rx(self) -> int:
        """Post free receive buffers, in whole lines when configured so."""
        ring = self.rx_ring
        assert ring is not None
        unit = ring.per_line if self.cfg.post_whole_lines else 1
        if Ring.RX in self._recovering:
            return 0
        first = ring.tail
        posted = 0
        while len(self._rx_free) >= unit and ring.free >= unit:
            for _ in range(unit):
                buf = self._rx_free.pop()
                if self.cfg.bugs.scribble_rx:
                    self.host.cpu_write(buf.va, bytes(buf.size))
                if self.ownership is not None:
                    self.ownership.hand_to_device(buf.la, buf.size, Access.WRITE)
                self._rx_slots[ring.tail] = buf
                ctrl = DescCtrl.IRQ
                ring.write(ring.tail, Descriptor(addr=buf.la, length=buf.size, ctrl=ctrl))
                ring.tail = (ring.tail + 1) & INDEX_MASK
                posted += 1
        if posted:
            ring.flush_for_device(first, posted)
        return posted

    def _reap_rx(self) -> bool:
        ring = self.rx_ring
        assert ring is not None
        progress = False
        while (raw := ring.reap_raw()) is not None:
            if not self._check_completion(ring, raw, sum(map(len, self._rx_partial))):
                break
            desc = Descriptor.unpack(raw)
            buf = self._rx_slots.pop(ring.clean)
            if desc.status & DescStatus.ERR:
                # the packet this buffer was part of is lost; the buffer holds nothing to read
                self._rx_partial = []
                self._error(f"RX descriptor {ring.clean} completed with {desc.err.name}")
            else:
                if not self.cfg.bugs.skip_rx_invalidate:
                    ndis.NdisFlushBuffer(buf.mdl, False)
                self._rx_partial.append(self.host.cpu_read(buf.va, desc.wb_len))
            if self.ownership is not None:
                self.ownership.take_back(buf.la, buf.size)
            if desc.status & DescStatus.EOP and not desc.status & DescStatus.ERR:
                packet = b"".join(self._rx_partial)
                self._rx_partial = []
                self.stats.rx_packets += 1
                self.stats.rx_bytes += len(packet)
                self.on_receive(packet)
            self._rx_free.append(buf)
            ring.clean = (ring.clean + 1) & INDEX_MASK
            ring.reaped()
            progress = True
        return progress

    def _grow_rx(self) -> None:
        """Out of receive buffers: ask for more shared memory asynchronously."""
        if self._async_pending or self.stats.async_blocks >= self.cfg.max_async_rx_blocks:
            return
        assert self.dma is not None
        status = ndis.NdisMAllocateSharedMemoryAsyncEx(
            self.dma, self.cfg.block_bytes, self.cfg.cached, "rx-grow"
        )
        if status == ndis.NDIS_STATUS_PENDING:
            self._async_pending += 1
        else:
            self.log.info("NdisMAllocateSharedMemoryAsyncEx refused: %s", status)

    def _shared_memory_allocate_complete(
        self, va: int | None, la: int | None, length: int, context: object
    ) -> None:
        """MiniportSharedMemoryAllocateComplete (runs at DISPATCH_LEVEL)."""
        self._async_pending -= 1
        if va is None or la is None or self.book is None:
            self.log.info("async shared memory for %s failed", context)
            return
        block = self.book.adopt_block(SharedBlock(va, la, length, self.cfg.cached, "rx async"))
        stride = self.book.stride(self.cfg.buffer_size)
        self._rx_free += self.book.carve(block, self.cfg.buffer_size, length // stride, "rx")
        self.stats.async_blocks += 1
        self._kick.set()

    # ----------------------------------------------------- ISR, DPC, poster
    async def _isr(self) -> None:
        while self._running:
            await self.irq.wait_asserted()
            if not self._running:
                return
            status = Irq(await self.regs.read(Reg.IRQ_STATUS))
            await self.regs.write(Reg.IRQ_STATUS, status)
            self.stats.interrupts += 1
            await self._dpc(status)

    async def _dpc(self, status: Irq) -> None:
        self._sync_time()
        assert self.adapter is not None
        with self.system.calling(self.adapter, irql=ndis.DISPATCH_LEVEL):
            if Ring.TX not in self._untrusted:
                self._reap_tx()
            if Ring.RX not in self._untrusted:
                self._reap_rx()
            if status & Irq.RX_DROP:
                self._grow_rx()
        for bit, ring in ((Irq.TX_ERR, Ring.TX), (Irq.RX_ERR, Ring.RX)):
            if status & bit:
                st = await self.regs.ring_read(ring, RingReg.STATUS)
                self._error(
                    f"{ring.name} ring stopped: {ErrCode(st >> 8 & 0xFF).name} at descriptor "
                    f"{st >> 16}"
                )
        for ring in sorted(self._untrusted - self._recovering):
            await self._recover_after_device_error(ring)
        self._kick.set()

    async def _recover_after_device_error(self, which: Ring) -> None:
        """Stop, reclaim and re-enable a ring whose completions broke the contract; the
        adapter has failed if the ring does not come back."""
        if self.stats.failed:
            return
        try:
            await self.recover_ring(which)
        except (DriverError, SimTimeout) as exc:
            self._fail(f"{which.name} ring did not recover from a device error: {exc}")
            return
        self.stats.recoveries += 1

    def _fail(self, reason: str) -> None:
        """The adapter cannot go on (a real miniport reports a hardware failure): no more
        sends, posts or reaps; halt still stops the engine and frees everything."""
        self.stats.failed = reason
        self.log.error("adapter failed: %s", reason)
        self._running = False
        self._kick.set()

    async def _poster(self) -> None:
        assert self.adapter is not None
        while self._running:
            await self._kick.wait()
            self._kick.clear()
            if not self._running:
                return
            self._sync_time()
            with self.system.calling(self.adapter, irql=ndis.DISPATCH_LEVEL):
                tx = self._post_tx()
                rx = self._post_rx()
            if tx or self._tx_doorbell_pending:
                self._tx_doorbell_pending = False
                assert self.tx_ring is not None
                await self.regs.ring_write(Ring.TX, RingReg.TAIL, self.tx_ring.tail)
            if rx or self._rx_doorbell_pending:
                self._rx_doorbell_pending = False
                assert self.rx_ring is not None
                await self.regs.ring_write(Ring.RX, RingReg.TAIL, self.rx_ring.tail)

    # ------------------------------------------------------------ recovery
    def post_tx_descriptors(self, descs: list[Descriptor]) -> None:
        """Post descriptors exactly as given (no buffers of the driver's own).

        For tests that need a descriptor a correct driver would never write.
        The doorbell is rung by the poster task.
        """
        ring = self.tx_ring
        assert ring is not None
        if len(descs) > ring.free:
            raise DriverError(f"{len(descs)} descriptors do not fit {ring.free} free TX slots")
        first = ring.tail
        for desc in descs:
            self._tx_slots[ring.tail] = _TxSlot(None, bool(desc.ctrl & DescCtrl.EOP), 0)
            ring.write(ring.tail, desc)
            ring.tail = (ring.tail + 1) & INDEX_MASK
        ring.flush_for_device(first, len(descs))
        self._tx_doorbell_pending = True
        self._kick.set()

    def post_rx_buffers(self, lengths: Sequence[int]) -> None:
        """Post free receive buffers, one per entry, with LEN exactly as given.

        For tests that need an RX descriptor a correct driver would never write
        (LEN 0, or more than 16384). Call it before the poster task runs (right
        after :meth:`initialize`) to put them at the start of the ring; the
        poster rings the doorbell.
        """
        ring = self.rx_ring
        assert ring is not None
        if len(lengths) > min(ring.free, len(self._rx_free)):
            raise DriverError(
                f"{len(lengths)} receive buffers do not fit {ring.free} free RX slots and "
                f"{len(self._rx_free)} free buffers"
            )
        first = ring.tail
        for length in lengths:
            buf = self._rx_free.pop()
            if self.ownership is not None:
                self.ownership.hand_to_device(buf.la, buf.size, Access.WRITE)
            self._rx_slots[ring.tail] = buf
            ring.write(ring.tail, Descriptor(addr=buf.la, length=length, ctrl=DescCtrl.IRQ))
            ring.tail = (ring.tail + 1) & INDEX_MASK
        ring.flush_for_device(first, len(lengths))
        self._rx_doorbell_pending = True
        self._kick.set()

    async def recover_ring(self, which: Ring, *, timeout_ns: int = 1_000_000) -> None:
        """After a ring stopped on an error: reclaim its slots, clear it, enable it again.

        Descriptors the device never finished give their buffers back; the
        packets in them are lost and counted in ``stats.errors``.
        """
        ring = self.tx_ring if which is Ring.TX else self.rx_ring
        assert ring is not None and self.adapter is not None
        self._recovering.add(which)
        try:
            await self._recover(which, ring, timeout_ns)
        finally:
            self._recovering.discard(which)
        self._kick.set()

    async def _recover(self, which: Ring, ring: DriverRing, timeout_ns: int) -> None:
        assert self.adapter is not None
        await self.regs.ring_write(which, RingReg.CTRL, 0)
        await self._wait_ring_state(which, {RingState.IDLE}, timeout_ns)
        self._sync_time()
        with self.system.calling(self.adapter, irql=ndis.DISPATCH_LEVEL):
            lost = ring.posted
            if which is Ring.TX:
                for slot in self._tx_slots.values():
                    if slot.buffer is not None:
                        if self.ownership is not None:
                            self.ownership.take_back(slot.buffer.la, slot.length)
                        self._tx_free.append(slot.buffer)
                    if slot.eop:
                        self.stats.tx_completed += 1  # completed as failed
                self._tx_slots.clear()
            else:
                for buf in self._rx_slots.values():
                    if self.ownership is not None:
                        self.ownership.take_back(buf.la, buf.size)
                self._rx_free += self._rx_slots.values()
                self._rx_slots.clear()
                self._rx_partial = []
            if lost:
                self.stats.errors.append(f"{which.name}: {lost} descriptors lost to the error")
            ring.clear()
            self._untrusted.discard(which)
        await self.regs.ring_write(which, RingReg.CTRL, RingCtrlBit.ENABLE)
        status = await self.regs.ring_read(which, RingReg.STATUS)
        if status & 0x3 != RingState.RUN:
            raise DriverError(f"{which.name} ring did not restart: status {status:#x}")

    # ---------------------------------------------------------------- halt
    async def wait_tx_done(self, timeout_ns: int) -> None:
        """Until every queued packet is transmitted and reaped."""
        deadline = get_sim_time("ns") + timeout_ns
        while self.tx_outstanding:
            if get_sim_time("ns") > deadline:
                raise SimTimeout(
                    f"{self.tx_outstanding} TX packets still outstanding after {timeout_ns} ns"
                )
            await self.phase.sleep(1000)

    async def _wait_ring_state(self, ring: Ring, states: set[RingState], timeout_ns: int) -> int:
        deadline = get_sim_time("ns") + timeout_ns
        while True:
            st = await self.regs.ring_read(ring, RingReg.STATUS)
            if RingState(st & 0x3) in states:
                return st
            if get_sim_time("ns") > deadline:
                raise SimTimeout(f"{ring.name} ring still {RingState(st & 0x3).name}")
            await self.phase.sleep(100)

    async def halt(self, *, timeout_ns: int = 1_000_000) -> None:
        """MiniportHaltEx: stop the engine, reset it, free everything."""
        assert self.adapter is not None
        self._running = False
        self._kick.set()
        for ring in (Ring.TX, Ring.RX):
            await self.regs.ring_write(ring, RingReg.CTRL, 0)
        for ring in (Ring.TX, Ring.RX):
            await self._wait_ring_state(ring, {RingState.IDLE, RingState.STOPPED}, timeout_ns)
        await self.regs.write(Reg.IRQ_ENABLE, 0)
        await self.regs.write(Reg.CTRL, CtrlBit.SOFT_RESET)
        deadline = get_sim_time("ns") + timeout_ns
        while await self.regs.read(Reg.CTRL) & CtrlBit.SOFT_RESET:
            if get_sim_time("ns") > deadline:
                raise SimTimeout("soft reset did not finish")
            await self.phase.sleep(100)
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        while self._async_pending:  # NDIS completes in-flight allocations before halt
            if get_sim_time("ns") > deadline:
                raise SimTimeout(f"{self._async_pending} async allocations never completed")
            await self.phase.sleep(1000)
        self._sync_time()
        with self.adapter.halt():
            self._free_resources()
