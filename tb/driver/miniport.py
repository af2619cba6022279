"""A miniport driver for dma_engine, written the way a Windows NDIS miniport is.

MiniportInitializeEx: register scatter/gather DMA, read the DMA alignment,
allocate rings and buffers from shared memory (smaller when refused; fail
cleanly, freeing everything, when not enough), program the engine through the
register map, post receive buffers.  Sends copy the packet into DMA buffers
through the CPU cache and flush them; receives invalidate before reading.
Interrupts run an ISR (read and clear IRQ_STATUS) and a DPC at DISPATCH_LEVEL
(reap completions); a poster task rings the doorbells.  MiniportHaltEx stops
the engine, soft-resets it and frees every allocation, so NDIS finds no leak.

Receives are indicated up the stack in the driver's own receive buffers, each
packet with a packet descriptor and buffer descriptors from the driver's pools
(as the reference requires); the protocol drivers keep them a while
(:mod:`tb.driver.stack`) and only a returned buffer is posted again. The
receive pool (:mod:`tb.driver.rxpool`) starts moderate, sized with
``NdisSystemProcessorCount``; below the low watermark of available buffers the
driver asks ``NdisMAllocateSharedMemoryAsyncEx`` for another block and adds it
in ``MiniportSharedMemoryAllocateComplete`` while traffic goes on; above the
high watermark it gives whole extra blocks back with ``NdisMFreeSharedMemory``
(a work item at PASSIVE_LEVEL) once the device owns none of their buffers and
the stack holds none; it never asks beyond its shared-memory limit; and while
every buffer is up the stack it masks the receive interrupts, unmasking them
when buffers come back.

The driver never trusts what the device writes into host memory: before it
acts on a completion it holds it to the descriptor contract
(:mod:`tb.checkers.completion_rules`: bytes 0-11 as posted, documented status
bits and error codes, WB_LEN within the buffer, EOP where the packet ends).  A
completion that breaks it is a device error: the driver stops reaping that
ring, and (``strict_errors`` off) stops, reclaims and re-enables the ring; if
the ring does not come back, the adapter has failed.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

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
from pymodel.ndis import BufferPool, MiniportAdapter, NdisBuffer, NdisPacket, NdisSystem, PacketPool
from tb.checkers.completion import DescriptorLedger
from tb.checkers.completion_rules import RX_WINDOW, Verdict, describe, hex_bytes, judge_completion
from tb.checkers.ownership import OwnershipMap
from tb.driver.memory import DmaBuffer, SharedBlock, SharedMemoryBook
from tb.driver.ring import INDEX_MASK, DriverRing
from tb.driver.rxpool import PoolBlock, PoolMarks, RxPool
from tb.errors import DeviceError, DriverError, SimTimeout
from tb.phase import InterruptLine, PythonPhase
from tb.regs import DeviceRegisters

__all__ = [
    "DriverBugs", "DriverConfig", "DriverStats", "MiniportDriver", "ReceiveStack", "RxIndication",
]

ALL_IRQS = Irq.TX_DONE | Irq.RX_DONE | Irq.TX_ERR | Irq.RX_ERR | Irq.RX_DROP
#: masked while every receive buffer is up the stack (nothing to receive into)
RX_IRQS = Irq.RX_DONE | Irq.RX_DROP


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
    #: receive buffers MiniportInitializeEx allocates (None: rx_buffers_per_processor
    #: times NdisSystemProcessorCount, a moderate pool that grows under demand)
    rx_buffers: int | None = None
    rx_buffers_per_processor: int = 48
    min_tx_buffers: int = 8
    min_rx_buffers: int = 16
    block_bytes: int = 64 * 1024
    cached: bool = True
    #: Post descriptors in whole cache lines (pad TX with NOPs). False makes
    #: the engine write back part lines: a tearing hazard on non-coherent hosts.
    post_whole_lines: bool = True
    wb_delay: int = WB_DELAY_RESET
    #: RX blocks the driver may add with NdisMAllocateSharedMemoryAsyncEx under demand.
    max_async_rx_blocks: int = 4
    #: The driver's own limit on its shared memory (bytes): it never asks beyond it.
    shared_memory_limit: int | None = 16 << 20
    #: Below this many available receive buffers (posted or ready to post, i.e. not up
    #: the stack) ask for another block (None: a quarter of the initial pool).
    rx_low_watermark: int | None = None
    #: Above this many, give an extra block back (None: the initial pool plus half a block).
    rx_high_watermark: int | None = None
    #: At most this many receive buffers posted at once (None: the initial pool): the
    #: device is offered what the moderate pool holds; the extra blocks' buffers stand in
    #: for buffers up the stack, and an extra block is out of the ring once demand falls.
    rx_post_max: int | None = None
    #: After a refused or failed async allocation, wait this long before asking again.
    grow_retry_ns: int = 10_000
    #: Mask RX_DONE/RX_DROP while every receive buffer is up the stack.
    mask_rx_when_exhausted: bool = True
    #: When a ring stops on an error (TX_ERR/RX_ERR): reclaim it and enable it again at
    #: once (False: record the error and leave the ring stopped for the caller).
    recover_ring_errors: bool = False
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
    #: TX packets completed with a failure (an error completion, or reclaimed from a
    #: ring the engine stopped or the driver reset)
    tx_failed: int = 0
    #: RX packets the engine completed with an error status (DATA_WRITE: counted nowhere
    #: else); packets dropped for a bad descriptor are in RX_DROP_COUNT
    rx_error_packets: int = 0
    #: RX descriptors reclaimed unfinished from a ring stopped by an error or a reset
    #: (a figure only: the bound on the packets such a stop may lose is tb.rx_loss's)
    rx_lost_descriptors: int = 0
    #: receives indicated up the stack, and returned by it
    rx_indicated: int = 0
    rx_returned: int = 0
    #: NdisMAllocateSharedMemoryAsyncEx: requests, blocks added, failures (refused or
    #: completed without memory), extra blocks given back
    async_requests: int = 0
    async_blocks: int = 0
    async_failures: int = 0
    blocks_freed: int = 0
    #: receive interrupts masked because every buffer was up the stack, and unmasked
    rx_masks: int = 0
    rx_unmasks: int = 0
    #: most shared memory the adapter held at once (bytes)
    shared_peak: int = 0
    #: soft resets (MiniportResetEx) and ring restarts (disable, reclaim, enable)
    resets: int = 0
    restarts: int = 0
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
    #: the sender's tag of the packet (on its EOP slot)
    tag: object = None
    #: a packet the driver queued (False: a descriptor a test posted as given)
    packet: bool = True


@dataclass(eq=False)
class RxIndication:
    """One received packet indicated up the stack: its bytes, and the packet descriptor and
    buffer descriptors (from the driver's pools) that map them in the receive buffers."""

    data: bytes
    packet: NdisPacket
    mdls: list[NdisBuffer]
    buffers: list[DmaBuffer]


class ReceiveStack(Protocol):
    """What the driver indicates receives to (:class:`tb.driver.stack.ProtocolStack`)."""

    def indicate(self, item: RxIndication, now: int) -> None: ...


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
        stack: ReceiveStack | None = None,
        on_send_complete: Callable[[object, str], None] | None = None,
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
        #: the protocol drivers receives are indicated to (None: each is returned at once)
        self.stack = stack
        #: NdisMSendNetBufferListsComplete: (the sender's tag, "" or why it failed)
        self.on_send_complete = on_send_complete
        self.stats = DriverStats()
        #: pool events (grow, shrink, mask), (time in ns, text), the latest few hundred
        self.pool_events: deque[tuple[int, str]] = deque(maxlen=500)
        self.log = logging.getLogger(f"tb.driver.{name}")
        self.adapter: MiniportAdapter | None = None
        self.dma: ndis.DmaHandle | None = None
        self.book: SharedMemoryBook | None = None
        self.tx_ring: DriverRing | None = None
        self.rx_ring: DriverRing | None = None
        self.alignment = 0
        self._tx_free: list[DmaBuffer] = []
        self.pool = RxPool()
        #: the pool's high and low marks over every lifetime of the adapter (see marks)
        self._marks = PoolMarks()
        self.rx_initial = 0
        self.rx_post_max = 0
        self.rx_low = 0
        self.rx_high = 0
        self._rx_per_block = 1
        self._rx_packet_pool: PacketPool | None = None
        self._rx_mdl_pool: BufferPool | None = None
        #: indications up the stack, not yet returned
        self._indicated: set[int] = set()
        self._rx_partial_bufs: list[DmaBuffer] = []
        self._rx_partial_err = False
        self._tx_pkt_failed = ""
        self._grow_after = 0
        self._rx_masked = False
        self._irq_enable_written = 0
        self._retired: list[PoolBlock] = []
        self._work = Event()
        #: engine drop counters read before soft resets (a reset clears them)
        self._drop_base = 0
        self._err_base = 0
        #: why MiniportInitializeEx failed ("" if it did not)
        self.init_failure = ""
        #: (ring, error code, descriptor index) of every ring stop the engine reported
        self.ring_errors: list[tuple[Ring, ErrCode, int]] = []
        #: called with each of them as the DPC reads it (before any recovery)
        self.on_ring_error: list[Callable[[Ring, ErrCode, int], None]] = []
        #: told when the driver starts stopping, reclaiming or resetting the RX ring
        #: (``(what, True)``) and when it runs again (``(what, False)``): the windows in
        #: which RX packets may be lost unreported (tb.rx_loss)
        self.on_rx_stop: Callable[[str, bool], None] | None = None
        self._tx_slots: dict[int, _TxSlot] = {}
        #: posted RX buffers by ring index (None: a descriptor a test posted as given)
        self._rx_slots: dict[int, DmaBuffer | None] = {}
        self._tx_queue: deque[tuple[bytes, object]] = deque()
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
        self.init_failure = ""
        self._untrusted.clear()
        self._recovering.clear()
        self._rx_masked = False
        self._irq_enable_written = 0
        self._rx_partial, self._rx_partial_bufs, self._rx_partial_err = [], [], False
        self._tx_pkt_failed = ""
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
            self.init_failure = str(exc)
            with self.system.calling(self.adapter, irql=ndis.PASSIVE_LEVEL):
                self._free_resources()
            self.adapter.initialize_complete(ndis.NDIS_STATUS_FAILURE)
            return False
        try:
            await self._program_engine()
        except DriverError as exc:
            # the engine refused the configuration: leave it reset, free everything, fail
            self.log.warning("initialization failed: %s", exc)
            self.init_failure = str(exc)
            self._rx_stop("reset after a failed initialization", True)
            await self._reset_engine(timeout_ns=1_000_000)
            self._rx_stop("reset after a failed initialization", False)
            self._sync_time()
            with self.system.calling(self.adapter, irql=ndis.PASSIVE_LEVEL):
                self._free_resources()
            self.adapter.initialize_complete(ndis.NDIS_STATUS_FAILURE)
            return False
        self.adapter.initialize_complete(ndis.NDIS_STATUS_SUCCESS)
        self._running = True
        self._tasks = [cocotb.start_soon(self._isr()), cocotb.start_soon(self._poster()),
                       cocotb.start_soon(self._work_items())]
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
        cpus = ndis.NdisSystemProcessorCount()
        rx_want = (self.cfg.rx_buffers if self.cfg.rx_buffers is not None
                   else self.cfg.rx_buffers_per_processor * cpus)
        mdl_count = 8 * (self.cfg.tx_buffers + rx_want) + 1024
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
        for block, buffers in self.book.allocate_buffer_blocks(
            size=self.cfg.buffer_size, want=rx_want,
            minimum=self.cfg.min_rx_buffers, block_bytes=self.cfg.block_bytes, purpose="rx",
        ):
            self.pool.add_block(block, buffers, extra=False)
        self.rx_initial = self.pool.total
        self.pool.start_marks()
        self.rx_post_max = (self.cfg.rx_post_max if self.cfg.rx_post_max is not None
                            else self.rx_initial)
        stride = self.book.stride(self.cfg.buffer_size)
        self._rx_per_block = max(1, self.cfg.block_bytes // stride)
        self.rx_low = (self.cfg.rx_low_watermark if self.cfg.rx_low_watermark is not None
                       else max(1, self.rx_initial // 4))
        self.rx_high = (self.cfg.rx_high_watermark if self.cfg.rx_high_watermark is not None
                        else self.rx_initial + self._rx_per_block // 2)
        # descriptors for indicated receives: a packet descriptor per packet, a buffer
        # descriptor per receive buffer it fills, for as many buffers as the pool may hold
        most = self.rx_initial + self.cfg.max_async_rx_blocks * self._rx_per_block
        status, self._rx_packet_pool = ndis.NdisAllocatePacketPool(most, 0)
        if status != ndis.NDIS_STATUS_SUCCESS or self._rx_packet_pool is None:
            raise DriverError(f"NdisAllocatePacketPool({most}) failed: {status}")
        status, self._rx_mdl_pool = ndis.NdisAllocateBufferPool(most)
        if status != ndis.NDIS_STATUS_SUCCESS or self._rx_mdl_pool is None:
            raise DriverError(f"NdisAllocateBufferPool({most}) for receives failed: {status}")
        self._note_shared()
        self._pool_event(f"initial pool {self.rx_initial} buffers ({cpus} processors), "
                         f"low watermark {self.rx_low}, high {self.rx_high}")

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
        if self._rx_packet_pool is not None:
            ndis.NdisFreePacketPool(self._rx_packet_pool)
            self._rx_packet_pool = None
        if self._rx_mdl_pool is not None:
            ndis.NdisFreeBufferPool(self._rx_mdl_pool)
            self._rx_mdl_pool = None
        if self.book is not None:
            self.book.free_all()
            ndis.NdisFreeBufferPool(self.book.mdl_pool)
            self.book = None
        self.pool.merge_marks(self._marks)
        self.pool = RxPool()
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
        self._irq_enable_written = int(ALL_IRQS & ~RX_IRQS if self._rx_masked else ALL_IRQS)
        await regs.write(Reg.IRQ_ENABLE, self._irq_enable_written)

    # --------------------------------------------------------------- sends
    def send(self, packet: bytes, tag: object = None) -> None:
        """Queue a packet for transmission (NdisMSendNetBufferLists); ``on_send_complete``
        gets ``tag`` back when it is done."""
        if self.stats.failed:
            raise DriverError(f"send() on a failed adapter: {self.stats.failed}")
        if not self._running:
            raise DriverError("send() while the adapter is not running")
        if not packet:
            raise DriverError("cannot send an empty packet")
        self._tx_queue.append((bytes(packet), tag))
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
            pkt, tag = self._tx_queue[0]
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
                self._tx_slots[ring.tail] = _TxSlot(buf, eop, len(part), tag if eop else None)
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

    def _tx_done(self, slot: _TxSlot, failure: str) -> None:
        """The packet ending at ``slot`` is complete (``failure`` "" when it went out)."""
        if failure:
            self.stats.tx_failed += 1
        if not slot.packet:
            return
        self.stats.tx_completed += 1
        if self.on_send_complete is not None:
            self.on_send_complete(slot.tag, failure)
        if self.on_transmitted is not None:
            self.on_transmitted(self.stats.tx_completed)

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
                self._tx_pkt_failed = f"descriptor {ring.clean} completed with {desc.err.name}"
                self._error(f"TX descriptor {ring.clean} completed with {desc.err.name}")
            if slot.buffer is not None:
                if self.ownership is not None:
                    self.ownership.take_back(slot.buffer.la, slot.length)
                self._tx_free.append(slot.buffer)
                if not desc.status & DescStatus.ERR:
                    self.stats.tx_bytes += slot.length
            if slot.eop:
                self._tx_done(slot, self._tx_pkt_failed)
                self._tx_pkt_failed = ""
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
        cap = self.rx_post_max
        while self.pool.free >= unit and ring.free >= unit and self.pool.posted + unit <= cap:
            for _ in range(unit):
                buf = self.pool.pop_free()
                assert buf is not None
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
            slot = self._rx_slots.pop(ring.clean)
            if slot is None:  # a test's own descriptor: nothing of the driver's in it
                if desc.status & DescStatus.ERR:
                    self._rx_partial = []
                    # a failed write counts here; a bad descriptor's packet is dropped and
                    # counted by the engine (RX_DROP_COUNT)
                    self._rx_partial_err = (not desc.status & DescStatus.EOP
                                            and desc.err is ErrCode.DATA_WRITE)
                    self._error(f"RX descriptor {ring.clean} completed with {desc.err.name}")
                if (desc.status & DescStatus.EOP and desc.status & DescStatus.ERR
                        and desc.err is ErrCode.DATA_WRITE):
                    self.stats.rx_error_packets += 1
                    self._rx_recycle(self._rx_partial_bufs)
                    self._rx_partial_bufs = []
                    self._rx_partial_err = False
                ring.clean = (ring.clean + 1) & INDEX_MASK
                ring.reaped()
                progress = True
                continue
            buf = slot
            if self.ownership is not None:
                self.ownership.take_back(buf.la, buf.size)
            if desc.status & DescStatus.ERR:
                # the packet this buffer was part of is lost; the buffer holds nothing to read.
                # A failed write (DATA_WRITE) is counted here, as an error completion; a bad
                # descriptor's packet (ZERO_LEN, TOO_LONG) is dropped and counted by the
                # engine (RX_DROP_COUNT)
                self._rx_partial = []
                self._rx_partial_err = desc.err is ErrCode.DATA_WRITE
                self._error(f"RX descriptor {ring.clean} completed with {desc.err.name}")
            elif not self._rx_partial_err:
                if not self.cfg.bugs.skip_rx_invalidate:
                    ndis.NdisFlushBuffer(buf.mdl, False)
                self._rx_partial.append(self.host.cpu_read(buf.va, desc.wb_len))
            self._rx_partial_bufs.append(buf)
            if desc.status & DescStatus.EOP:
                if self._rx_partial_err:
                    # DATA_WRITE: the engine wrote the packet's completions with ERR; it
                    # counts the packet nowhere else
                    self.stats.rx_error_packets += 1
                    self._rx_recycle(self._rx_partial_bufs)
                else:
                    self._indicate(self._rx_partial_bufs, b"".join(self._rx_partial))
                self._rx_partial = []
                self._rx_partial_bufs = []
                self._rx_partial_err = False
            elif desc.status & DescStatus.ERR and desc.err is not ErrCode.DATA_WRITE:
                # a bad descriptor, or a buffer handed back unused with its error: the
                # packet is dropped and counted by the engine (RX_DROP_COUNT)
                self._rx_recycle(self._rx_partial_bufs)
                self._rx_partial_bufs = []
                self._rx_partial_err = False
            ring.clean = (ring.clean + 1) & INDEX_MASK
            ring.reaped()
            progress = True
        if progress:
            self._watermarks()
        return progress

    def _rx_recycle(self, buffers: list[DmaBuffer]) -> None:
        """Buffers that carry nothing to indicate go back to the pool."""
        for buf in buffers:
            self.pool.back_from_device(buf, indicated=False)

    def _indicate(self, buffers: list[DmaBuffer], packet: bytes) -> None:
        """NdisMIndicateReceiveNetBufferLists: the packet goes up in the receive buffers it
        arrived in, described by a packet descriptor and buffer descriptors from the pools."""
        assert self._rx_packet_pool is not None and self._rx_mdl_pool is not None
        status, pkt = ndis.NdisAllocatePacket(self._rx_packet_pool)
        if status != ndis.NDIS_STATUS_SUCCESS or pkt is None:
            raise DriverError(f"NdisAllocatePacket for a receive failed: {status} "
                              f"({self.pool.describe()})")
        mdls = []
        left = len(packet)
        for buf in buffers:
            n = min(left, buf.size)
            left -= n
            status, mdl = ndis.NdisAllocateBuffer(self._rx_mdl_pool, buf.va, max(1, n))
            if status != ndis.NDIS_STATUS_SUCCESS or mdl is None:
                raise DriverError(f"NdisAllocateBuffer for a receive failed: {status}")
            mdls.append(mdl)
            self.pool.back_from_device(buf, indicated=True)
        self.stats.rx_packets += 1
        self.stats.rx_bytes += len(packet)
        self.stats.rx_indicated += 1
        indication = RxIndication(packet, pkt, mdls, list(buffers))
        self._indicated.add(id(indication))
        self.on_receive(packet)
        if self.stack is not None:
            self.stack.indicate(indication, int(get_sim_time("ns")))
        else:
            self._return(indication)

    def return_receives(self, indications: list[RxIndication]) -> None:
        """MiniportReturnNetBufferLists: the stack gives receives back (IRQL <= DISPATCH);
        their buffers may be posted again."""
        if self.adapter is None or self.book is None:
            raise DriverError("MiniportReturnNetBufferLists after the adapter was halted")
        self._sync_time()
        with self.system.calling(self.adapter, irql=ndis.DISPATCH_LEVEL):
            for indication in indications:
                self._return(indication)
            self._watermarks()
        self._kick.set()

    def _return(self, indication: RxIndication) -> None:
        if id(indication) not in self._indicated:
            raise DriverError("MiniportReturnNetBufferLists with a receive this driver did not "
                              "indicate (or that was already returned)")
        self._indicated.discard(id(indication))
        for mdl in indication.mdls:
            ndis.NdisFreeBuffer(mdl)
        ndis.NdisFreePacket(indication.packet)
        for buf in indication.buffers:
            self.pool.returned(buf)
        self.stats.rx_returned += 1

    @property
    def async_pending(self) -> int:
        """NdisMAllocateSharedMemoryAsyncEx calls whose completion has not come yet."""
        return self._async_pending

    @property
    def marks(self) -> PoolMarks:
        """The receive pool's high and low marks since the first initialization."""
        out = dataclasses.replace(self._marks)
        self.pool.merge_marks(out)
        return out

    # ------------------------------------------------------------ watermarks
    def _note_shared(self) -> None:
        if self.adapter is not None:
            self.stats.shared_peak = max(self.stats.shared_peak, self.adapter.shared_bytes)

    def _pool_event(self, text: str) -> None:
        now = int(get_sim_time("ns"))
        self.pool_events.append((now, text))
        self.log.info("t=%d ns pool: %s", now, text)

    def _watermarks(self) -> None:
        """After the pool changed (DISPATCH_LEVEL): grow below the low watermark, shrink
        above the high one, mask receive interrupts while every buffer is up the stack."""
        pool = self.pool
        if not self._running:
            return
        available = pool.available
        if available < self.rx_low:
            if pool.unretire() is not None:
                self._pool_event(f"{available} available < low watermark {self.rx_low}: "
                                 f"keeps a block it was giving back; {pool.describe()}")
            else:
                self._grow_rx()
        elif available > self.rx_high and pool.extra_blocks():
            per = self._rx_per_block
            if available - per >= self.rx_low and (block := pool.retire_one()) is not None:
                self._pool_event(f"{available} available > high watermark {self.rx_high}: "
                                 f"gives back the block at LA {block.block.la:#x}")
        if pool.freeable():
            self._work.set()
        # every buffer is up the stack: none posted, none (or less than the posting unit of
        # a whole cache line of descriptors) to post
        assert self.rx_ring is not None
        unit = self.rx_ring.per_line if self.cfg.post_whole_lines else 1
        masked = (self.cfg.mask_rx_when_exhausted and pool.posted == 0 and pool.free < unit
                  and pool.held > 0)
        if masked != self._rx_masked:
            self._rx_masked = masked
            if masked:
                self.stats.rx_masks += 1
                self._pool_event(f"every receive buffer is up the stack ({pool.held}): "
                                 f"receive interrupts masked")
            else:
                self.stats.rx_unmasks += 1
                self._pool_event("buffers came back: receive interrupts unmasked")
            self._kick.set()

    def _grow_rx(self) -> None:
        """Few receive buffers left: ask for another block asynchronously, within limits."""
        now = int(get_sim_time("ns"))
        if self._async_pending or now < self._grow_after:
            return
        if len(self.pool.extra_blocks()) >= self.cfg.max_async_rx_blocks:
            return
        assert self.dma is not None and self.adapter is not None and self.book is not None
        length = self._rx_per_block * self.book.stride(self.cfg.buffer_size)
        limit = self.cfg.shared_memory_limit
        if limit is not None and self.adapter.shared_bytes + length > limit:
            return
        self.stats.async_requests += 1
        status = ndis.NdisMAllocateSharedMemoryAsyncEx(self.dma, length, self.cfg.cached,
                                                       "rx-grow")
        if status == ndis.NDIS_STATUS_PENDING:
            self._async_pending += 1
            self._pool_event(f"{self.pool.available} available < low watermark {self.rx_low}: "
                             f"NdisMAllocateSharedMemoryAsyncEx({length})")
        else:
            self.stats.async_failures += 1
            self._grow_after = now + self.cfg.grow_retry_ns
            self._pool_event(f"NdisMAllocateSharedMemoryAsyncEx refused: {status}")

    def _shared_memory_allocate_complete(
        self, va: int | None, la: int | None, length: int, context: object
    ) -> None:
        """MiniportSharedMemoryAllocateComplete (runs at DISPATCH_LEVEL)."""
        self._async_pending -= 1
        if va is None or la is None or self.book is None:
            self.stats.async_failures += 1
            self._grow_after = int(get_sim_time("ns")) + self.cfg.grow_retry_ns
            self._pool_event(f"async shared memory for {context} failed")
            return
        block = self.book.adopt_block(SharedBlock(va, la, length, self.cfg.cached, "rx async"))
        stride = self.book.stride(self.cfg.buffer_size)
        buffers = self.book.carve(block, self.cfg.buffer_size, length // stride, "rx")
        self.pool.add_block(block, buffers, extra=True)
        self.stats.async_blocks += 1
        self._note_shared()
        self._pool_event(f"MiniportSharedMemoryAllocateComplete: +{len(buffers)} buffers at LA "
                         f"{la:#x}; {self.pool.describe()}")
        self._watermarks()
        self._kick.set()

    async def _work_items(self) -> None:
        """NdisQueueIoWorkItem: gives retired blocks back at PASSIVE_LEVEL."""
        assert self.adapter is not None
        while self._running:
            await self._work.wait()
            self._work.clear()
            if not self._running:
                return
            self._free_retired()

    def _free_retired(self) -> None:
        assert self.adapter is not None and self.book is not None
        self._sync_time()
        with self.system.calling(self.adapter, irql=ndis.PASSIVE_LEVEL):
            for pb in self.pool.freeable():
                self.pool.remove_block(pb)
                self.book.free_block(pb.block, pb.buffers)
                self.stats.blocks_freed += 1
                self._pool_event(f"NdisMFreeSharedMemory of the block at LA {pb.block.la:#x}; "
                                 f"{self.pool.describe()}")

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
                self._watermarks()
        stopped = []
        for bit, ring in ((Irq.TX_ERR, Ring.TX), (Irq.RX_ERR, Ring.RX)):
            if status & bit:
                st = await self.regs.ring_read(ring, RingReg.STATUS)
                text = (f"{ring.name} ring stopped: {ErrCode(st >> 8 & 0xFF).name} at "
                        f"descriptor {st >> 16}")
                self.ring_errors.append((ring, ErrCode(st >> 8 & 0xFF), st >> 16))
                for fn in self.on_ring_error:
                    fn(ring, ErrCode(st >> 8 & 0xFF), st >> 16)
                self._error(text)
                stopped.append(ring)
        for ring in sorted(self._untrusted - self._recovering):
            await self._recover_after_device_error(ring)
        if self.cfg.recover_ring_errors and self._running:
            for ring in stopped:
                if ring not in self._recovering and ring not in self._untrusted:
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
            want = int(ALL_IRQS & ~RX_IRQS if self._rx_masked else ALL_IRQS)
            if want != self._irq_enable_written and not self._recovering:
                self._irq_enable_written = want
                await self.regs.write(Reg.IRQ_ENABLE, want)
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
            self._tx_slots[ring.tail] = _TxSlot(None, bool(desc.ctrl & DescCtrl.EOP), 0,
                                                packet=False)
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
        if len(lengths) > min(ring.free, self.pool.free):
            raise DriverError(
                f"{len(lengths)} receive buffers do not fit {ring.free} free RX slots and "
                f"{self.pool.free} free buffers"
            )
        first = ring.tail
        for length in lengths:
            buf = self.pool.pop_free()
            assert buf is not None
            if self.ownership is not None:
                self.ownership.hand_to_device(buf.la, buf.size, Access.WRITE)
            self._rx_slots[ring.tail] = buf
            ring.write(ring.tail, Descriptor(addr=buf.la, length=length, ctrl=DescCtrl.IRQ))
            ring.tail = (ring.tail + 1) & INDEX_MASK
        ring.flush_for_device(first, len(lengths))
        self._rx_doorbell_pending = True
        self._kick.set()

    def post_rx_descriptors(self, descs: list[Descriptor]) -> None:
        """Post RX descriptors exactly as given (no buffers of the driver's own), for tests
        that need one a correct driver would never write (a freed address); the poster
        rings the doorbell."""
        ring = self.rx_ring
        assert ring is not None
        if len(descs) > ring.free:
            raise DriverError(f"{len(descs)} descriptors do not fit {ring.free} free RX slots")
        first = ring.tail
        for desc in descs:
            self._rx_slots[ring.tail] = None
            ring.write(ring.tail, desc)
            ring.tail = (ring.tail + 1) & INDEX_MASK
        ring.flush_for_device(first, len(descs))
        self._rx_doorbell_pending = True
        self._kick.set()

    async def recover_ring(self, which: Ring, *, timeout_ns: int = 1_000_000) -> None:
        """Stop a ring (after an error, or in the middle of traffic), take back what it
        finished, reclaim the rest, clear it and enable it again.

        Completions the device wrote while the ring drained are reaped as usual;
        descriptors the device never finished give their buffers back: TX packets in them
        complete as failed, RX buffers return to the pool (``stats.rx_lost_descriptors``).
        """
        ring = self.tx_ring if which is Ring.TX else self.rx_ring
        assert ring is not None and self.adapter is not None
        self._recovering.add(which)
        self._rx_stop("RX ring restart", True, which=which)
        try:
            await self._recover(which, ring, timeout_ns)
        finally:
            self._recovering.discard(which)
            self._rx_stop("RX ring restart", False, which=which)
        self.stats.restarts += 1
        self._kick.set()

    async def _recover(self, which: Ring, ring: DriverRing, timeout_ns: int) -> None:
        assert self.adapter is not None
        await self.regs.ring_write(which, RingReg.CTRL, 0)
        await self._wait_ring_state(which, {RingState.IDLE}, timeout_ns)
        self._sync_time()
        with self.system.calling(self.adapter, irql=ndis.DISPATCH_LEVEL):
            self._reap_and_reclaim(which, f"{which.name} ring stopped and reclaimed")
        await self.regs.ring_write(which, RingReg.CTRL, RingCtrlBit.ENABLE)
        status = await self.regs.ring_read(which, RingReg.STATUS)
        if status & 0x3 != RingState.RUN:
            raise DriverError(f"{which.name} ring did not restart: status {status:#x}")

    def _reap_and_reclaim(self, which: Ring, reason: str, *, count_lost: bool = True) -> None:
        """The ring is idle: reap what the device completed, reclaim the rest, clear it."""
        if which not in self._untrusted and self.adapter is not None:
            try:
                (self._reap_tx if which is Ring.TX else self._reap_rx)()
            except DriverError:
                if self.cfg.strict_errors:
                    raise
        ring = self.tx_ring if which is Ring.TX else self.rx_ring
        assert ring is not None
        lost = ring.posted
        if which is Ring.TX:
            for index in sorted(self._tx_slots, key=lambda i: (i - ring.clean) & INDEX_MASK):
                slot = self._tx_slots[index]
                if slot.buffer is not None:
                    if self.ownership is not None:
                        self.ownership.take_back(slot.buffer.la, slot.length)
                    self._tx_free.append(slot.buffer)
                if slot.eop:
                    self._tx_done(slot, self._tx_pkt_failed or reason)
                    self._tx_pkt_failed = ""
            self._tx_slots.clear()
            self._tx_pkt_failed = ""
        else:
            for rx_slot in self._rx_slots.values():
                if rx_slot is None:
                    continue
                if self.ownership is not None:
                    self.ownership.take_back(rx_slot.la, rx_slot.size)
                self.pool.back_from_device(rx_slot, indicated=False)
            if self._rx_partial_err:
                # a packet the engine reported failed (an error completion) whose last
                # buffers the ring never completed
                self.stats.rx_error_packets += 1
            if count_lost:
                self.stats.rx_lost_descriptors += len(self._rx_slots) + len(
                    self._rx_partial_bufs)
            self._rx_recycle(self._rx_partial_bufs)
            self._rx_slots.clear()
            self._rx_partial = []
            self._rx_partial_bufs = []
            self._rx_partial_err = False
        if lost and count_lost:
            self.stats.errors.append(f"{which.name}: {lost} descriptors reclaimed ({reason})")
        ring.clear()
        self._untrusted.discard(which)

    def _rx_stop(self, what: str, begin: bool, *, which: Ring = Ring.RX) -> None:
        if self.on_rx_stop is not None and which is Ring.RX:
            self.on_rx_stop(what, begin)

    @property
    def drop_bases(self) -> tuple[int, int]:
        """What RX_DROP_COUNT and RX_ERR_COUNT held before the last soft reset cleared them
        (:meth:`read_drop_counters` adds them)."""
        return self._drop_base, self._err_base

    # --------------------------------------------------------------- reset
    async def read_drop_counters(self) -> tuple[int, int]:
        """RX_DROP_COUNT and RX_ERR_COUNT since initialization (a soft reset clears the
        engine's; the driver adds what they held before)."""
        drop = await self.regs.read(Reg.RX_DROP_COUNT)
        err = await self.regs.read(Reg.RX_ERR_COUNT)
        return self._drop_base + drop, self._err_base + err

    async def reset(self, *, timeout_ns: int = 1_000_000) -> None:
        """MiniportResetEx in the middle of traffic: stop both rings, soft-reset the engine,
        reap what it finished, reclaim the rest, program it again and go on."""
        assert self.adapter is not None
        both = {Ring.TX, Ring.RX}
        self._recovering |= both
        self._rx_stop("reset", True)
        try:
            for which in (Ring.TX, Ring.RX):
                await self.regs.ring_write(which, RingReg.CTRL, 0)
            for which in (Ring.TX, Ring.RX):
                await self._wait_ring_state(which, {RingState.IDLE, RingState.STOPPED},
                                            timeout_ns)
            await self._reset_engine(timeout_ns)
            self._sync_time()
            with self.system.calling(self.adapter, irql=ndis.DISPATCH_LEVEL):
                for which in (Ring.TX, Ring.RX):
                    self._reap_and_reclaim(which, "reset")
            await self._program_engine()
        finally:
            self._recovering -= both
            self._rx_stop("reset", False)
        self.stats.resets += 1
        self._kick.set()

    async def _reset_engine(self, timeout_ns: int) -> None:
        """CTRL.SOFT_RESET, and wait until it is done (the drop counters it clears are kept)."""
        self._drop_base, self._err_base = await self.read_drop_counters()
        await self.regs.write(Reg.IRQ_ENABLE, 0)
        self._irq_enable_written = 0
        await self.regs.write(Reg.CTRL, CtrlBit.SOFT_RESET)
        deadline = get_sim_time("ns") + timeout_ns
        while await self.regs.read(Reg.CTRL) & CtrlBit.SOFT_RESET:
            if get_sim_time("ns") > deadline:
                raise SimTimeout(f"soft reset did not finish within {timeout_ns} ns")
            await self.phase.sleep(100)

    # ---------------------------------------------------------------- halt
    async def wait_tx_done(self, timeout_ns: int) -> None:
        """Until every queued packet is transmitted and reaped."""
        deadline = get_sim_time("ns") + timeout_ns
        while self.tx_outstanding > 0:
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

    async def wait_returned(self, timeout_ns: int) -> None:
        """Until the stack has returned every receive (MiniportPause waits for this)."""
        deadline = get_sim_time("ns") + timeout_ns
        while self._indicated:
            if get_sim_time("ns") > deadline:
                raise SimTimeout(f"the protocol stack still holds {len(self._indicated)} "
                                 f"receives after {timeout_ns} ns")
            await self.phase.sleep(1000)

    async def halt(self, *, timeout_ns: int = 1_000_000) -> None:
        """MiniportHaltEx: stop the engine, reset it, take every buffer back, free everything.

        Like MiniportPause before it, halt waits for the stack to return every receive.
        """
        assert self.adapter is not None
        self._running = False
        self._kick.set()
        self._work.set()
        while self._tx_queue:  # never posted: they complete as failed
            _, tag = self._tx_queue.popleft()
            self._tx_done(_TxSlot(None, True, 0, tag), "halted before it was sent")
        self._rx_stop("halt", True)
        for ring in (Ring.TX, Ring.RX):
            await self.regs.ring_write(ring, RingReg.CTRL, 0)
        for ring in (Ring.TX, Ring.RX):
            await self._wait_ring_state(ring, {RingState.IDLE, RingState.STOPPED}, timeout_ns)
        await self._reset_engine(timeout_ns)
        self._rx_stop("halt", False)
        deadline = get_sim_time("ns") + timeout_ns
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        self._sync_time()
        with self.system.calling(self.adapter, irql=ndis.DISPATCH_LEVEL):
            # the engine is reset: what it finished is reaped, every other descriptor and
            # buffer is the driver's again
            for which in (Ring.TX, Ring.RX):
                self._reap_and_reclaim(which, "halt", count_lost=False)
        await self.wait_returned(timeout_ns)
        while self._async_pending:  # NDIS completes in-flight allocations before halt
            if get_sim_time("ns") > deadline:
                raise SimTimeout(f"{self._async_pending} async allocations never completed")
            await self.phase.sleep(1000)
        self._sync_time()
        with self.adapter.halt():
            self._free_resources()
