"""The engine's own AXI4 contract, beyond the AXI4 protocol: a subscriber of the burst monitor.

The HDL protocol checker (``tb/hdl/tb_axi4_checker.v``) holds the bus to AXI4;
this one holds it to what ``hdl/README.md`` promises of this engine, burst by
burst (:class:`~tb.bfm.monitor.AxiBurstMonitor` reports each AR and each write
burst with its ARSIZE/AWSIZE, burst type and, for reads, how many reads of its
ID are in flight):

========================  ============================================================
rule                      every AR and AW
========================  ============================================================
``FULL_WIDTH``            AxSIZE is the full data width
``INCR``                  AxBURST is INCR
``MAX_BURST``             at most MAX_BURST_LEN beats
``CROSSES_4K``            no 4 KiB boundary inside the burst
``CLIENT_ID``             the ID names one of the engine's clients
``WHOLE_LINES``           while ``whole_lines`` is set (the driver posts whole cache
                          lines): every descriptor read (ARID 0/1) and every write-back
                          (AWID 1/2) covers whole lines of ``line_bytes`` (checked
                          when a line fits in one burst)
========================  ============================================================

It also counts, per ID, the most read bursts ever in flight at once
(:attr:`EngineBusRules.rd_max`) and the descriptor write-back bursts
(:attr:`EngineBusRules.wb_bursts`). The first broken rule stops the test with an
:class:`EngineBusViolation` naming the rule, the simulated time, the burst and the
client that issued it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from tb.bfm.monitor import AxiBurstMonitor
from tb.bus_events import ReadBurst, WriteBurst
from tb.errors import TbError

__all__ = [
    "READ_CLIENTS",
    "WRITE_CLIENTS",
    "EngineBusRule",
    "EngineBusRules",
    "EngineBusViolation",
]

#: ARID -> the unit that reads (the engine's read clients; Verilog: hdl/dma_defs.vh)
READ_CLIENTS = {0: "TX descriptor fetch", 1: "RX descriptor fetch", 2: "TX data"}
#: AWID -> the unit that writes (the engine's write clients)
WRITE_CLIENTS = {0: "RX data", 1: "TX write-back", 2: "RX write-back"}
#: IDs whose bursts carry descriptors (read in whole lines, written back in whole lines)
_DESC_READ_IDS = frozenset({0, 1})
_DESC_WRITE_IDS = frozenset({1, 2})

_INCR = 1


class EngineBusRule(enum.Enum):
    """A rule of the engine's bus contract, and what breaking it means."""

    FULL_WIDTH = "AxSIZE is not the full data width"
    INCR = "AxBURST is not INCR"
    MAX_BURST = "the burst is longer than MAX_BURST_LEN beats"
    CROSSES_4K = "the burst crosses a 4 KiB boundary"
    CLIENT_ID = "the ID names no client of the engine"
    WHOLE_LINES = "a descriptor read or write-back does not cover whole cache lines"

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"


class EngineBusViolation(TbError):
    """The engine's AXI4 master broke a rule of its own bus contract."""


class EngineBusRules:
    """Judges every burst ``monitor`` reports against the engine's bus contract.

    ``max_burst`` is the engine's MAX_BURST_LEN, ``line_bytes`` the cache line the
    engine was told (its CACHE_LINE register; keep it in step), ``where`` gives text
    the messages end with (the seed, the replay command).
    """

    def __init__(self, *, max_burst: int, line_bytes: int,
                 where: Callable[[], str] = lambda: "") -> None:
        self.max_burst = max_burst
        self.line_bytes = line_bytes
        #: the driver posts whole cache lines: descriptor bursts must be whole lines
        self.whole_lines = True
        self.where = where
        #: per ID: the most read bursts in flight at once
        self.rd_max: dict[int, int] = {}
        #: descriptor write-back bursts (AWID 1 or 2)
        self.wb_bursts = 0
        self.reads = 0
        self.writes = 0

    def attach(self, monitor: AxiBurstMonitor) -> None:
        """Judge every burst ``monitor`` reports (before the memory model serves it)."""
        monitor.subscribe_read(self.on_read)
        monitor.subscribe_write(self.on_write)

    # ---------------------------------------------------------------- bursts
    def on_read(self, burst: ReadBurst) -> None:
        self.reads += 1
        self._shape("AR", burst, READ_CLIENTS, _DESC_READ_IDS)
        if burst.in_flight is None:
            raise EngineBusViolation(
                "the burst monitor did not record the reads in flight (tb_axi_monitor's R "
                "inputs unconnected?)"
            )
        if burst.in_flight > self.rd_max.get(burst.axi_id, 0):
            self.rd_max[burst.axi_id] = burst.in_flight

    def on_write(self, burst: WriteBurst) -> None:
        self.writes += 1
        self._shape("AW", burst, WRITE_CLIENTS, _DESC_WRITE_IDS)
        if burst.axi_id in _DESC_WRITE_IDS:
            self.wb_bursts += 1

    def _shape(self, kind: str, burst: ReadBurst | WriteBurst, clients: dict[int, str],
               desc_ids: frozenset[int]) -> None:
        nbytes = burst.beat_bytes
        if burst.size != nbytes.bit_length() - 1:
            self._fail(EngineBusRule.FULL_WIDTH, kind, burst, clients,
                       f"size {burst.size}, the full width is {nbytes.bit_length() - 1}")
        if burst.burst != _INCR:
            self._fail(EngineBusRule.INCR, kind, burst, clients, f"burst type {burst.burst}")
        if burst.beats > self.max_burst:
            self._fail(EngineBusRule.MAX_BURST, kind, burst, clients,
                       f"MAX_BURST_LEN is {self.max_burst}")
        last = burst.addr + burst.beats * nbytes - 1
        if burst.addr // 4096 != last // 4096:
            self._fail(EngineBusRule.CROSSES_4K, kind, burst, clients,
                       f"bytes {burst.addr:#x}..{last:#x}")
        if burst.axi_id not in clients:
            self._fail(EngineBusRule.CLIENT_ID, kind, burst, clients,
                       f"clients are {sorted(clients)}")
        line = self.line_bytes
        # (a line split into bursts shorter than itself is checked only by the data)
        if (burst.axi_id in desc_ids and self.whole_lines and self.max_burst * nbytes >= line
                and (burst.addr % line or (burst.beats * nbytes) % line)):
            self._fail(EngineBusRule.WHOLE_LINES, kind, burst, clients,
                       f"{line}-byte lines")

    def _fail(self, rule: EngineBusRule, kind: str, burst: ReadBurst | WriteBurst,
              clients: dict[int, str], detail: str) -> None:
        owner = clients.get(burst.axi_id, "no client")
        where = self.where()
        raise EngineBusViolation(
            f"t={burst.time_ns} ns engine bus rule {rule}; {kind} ID {burst.axi_id} ({owner}) "
            f"address {burst.addr:#x}, {burst.beats} beats of {burst.beat_bytes} bytes; "
            f"{detail}" + (f" ({where})" if where else "")
        )
