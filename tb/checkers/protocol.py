"""Python side of the HDL bus-protocol checkers: one watcher per checker instance.

The checking itself is done every cycle in Verilog (``tb/hdl/tb_axi4_checker.v``,
``tb_axil_checker.v``, ``tb_axis_checker.v``); Python wakes up once, at the
falling edge after the checker's ``violation`` output rises (:mod:`tb.phase`),
reads the rule code, the address and ID (or the packet and beat), and stops the
test with a :class:`tb.errors.ProtocolViolation` whose message gives the
simulated time, the bus, ``rule NAME: description``, the address and the ID. In
``record`` mode it keeps the finding instead (for tests that expect a
violation). At the end of a test, :meth:`ProtocolChecker.check_drained` reads
the checker's pending counters: a burst still waiting for its W beats, B or R
beats is reported as ``*_NOT_DRAINED``.

Typical use in a bench::

    axi = ProtocolChecker(dut.u_axi_chk, "m_axi", phase, log)
    axi.start()
    ...                      # the test; a violation ends it at once
    axi.check_drained()      # every burst answered

:class:`MangleMode` is the Python copy of the modes of ``tb/hdl/tb_axi_mangler.v``.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from typing import Any, Self

from cocotb.simtime import get_sim_time
from cocotb.triggers import Event, First, Timer

from tb.checkers.protocol_rules import ProtocolRule
from tb.errors import TbError
from tb.phase import PythonPhase, Watch

__all__ = ["MangleMode", "ProtocolChecker", "ProtocolFinding", "ProtocolRule", "ProtocolViolation"]

# rules that concern a response with no request: there is no address to give
_NO_ADDRESS = frozenset(
    {
        ProtocolRule.AXI_B_UNEXPECTED,
        ProtocolRule.AXI_R_UNEXPECTED,
        ProtocolRule.AXIL_B_UNEXPECTED,
        ProtocolRule.AXIL_R_UNEXPECTED,
        ProtocolRule.AXI_NOT_DRAINED,
        ProtocolRule.AXIL_NOT_DRAINED,
    }
)


def _format_ns(time_ns: float) -> str:
    return f"{time_ns:.3f}".rstrip("0").rstrip(".")


@dataclass(frozen=True, kw_only=True)
class ProtocolFinding:
    """The first violation a protocol checker saw (or a NOT_DRAINED at the end)."""

    #: name of the bus the checker watches (as given to the watcher)
    bus: str
    rule: ProtocolRule
    #: simulated time of the clock edge at which the checker sampled the bad values
    time_ns: float
    #: AXI4 / AXI-Lite: address of the burst or request concerned (None: none known)
    addr: int | None = None
    #: AXI4: ID of the burst concerned
    axi_id: int | None = None
    #: AXI-Stream: packets completed before the one concerned, and its beats before this one
    packet: int | None = None
    beat: int | None = None
    #: violations the checker counted up to now (the consequences of the first included)
    count: int = 1
    detail: str = ""

    def __str__(self) -> str:
        where = []
        if self.addr is not None:
            where.append(f"address {self.addr:#x}")
        if self.axi_id is not None:
            where.append(f"ID {self.axi_id}")
        if self.packet is not None:
            where.append(f"packet {self.packet} beat {self.beat}")
        text = f"t={_format_ns(self.time_ns)} ns {self.bus}: {self.rule}"
        if where:
            text += "; " + ", ".join(where)
        if self.detail:
            text += f"; {self.detail}"
        return text + f" ({self.count} violation{'s' if self.count != 1 else ''} counted)"


class ProtocolViolation(TbError):
    """An HDL bus-protocol checker saw a rule broken (``finding``: when, which bus, which
    rule, which burst); raised by :class:`ProtocolChecker`."""

    def __init__(self, finding: ProtocolFinding) -> None:
        super().__init__(str(finding))
        self.finding = finding


def _is_high(signal: Any) -> bool:
    return str(signal.value) == "1"


def _int_or_none(signal: Any) -> int | None:
    value = signal.value
    return int(value) if value.is_resolvable else None


class ProtocolChecker:
    """Watches one ``tb_axi4_checker`` / ``tb_axil_checker`` / ``tb_axis_checker`` instance.

    ``handle`` is the checker instance (``dut.u_axi_chk``), ``bus_name`` names the bus in
    messages. By default the first violation raises :class:`~tb.errors.ProtocolViolation`
    from the watcher task, which ends the test; with ``record=True`` the findings are
    kept in :attr:`findings` (one per reset of the checker) and nothing is raised.
    """

    def __init__(
        self,
        handle: Any,
        bus_name: str,
        phase: PythonPhase,
        log: logging.Logger | None = None,
        *,
        record: bool = False,
    ) -> None:
        self.handle = handle
        self.phase = phase
        self.bus = bus_name
        self.log = log if log is not None else logging.getLogger(f"tb.protocol.{bus_name}")
        self.record = record
        self.findings: list[ProtocolFinding] = []
        #: Called with the first finding, before it is raised (the waveform marker uses it).
        self.on_first: list[Any] = []
        self._seen = Event()
        self._watch: Watch | None = None
        self._reported = False
        if hasattr(handle, "violation_id"):
            self.kind = "axi4"
        elif hasattr(handle, "violation_packet"):
            self.kind = "axis"
        else:
            self.kind = "axil"

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Self:
        """Start watching (idempotent); returns self."""
        if self._watch is None:
            self._reported = False
            self._watch = self.phase.watch(self.handle.violation, self._service,
                                           name=f"protocol.{self.bus}")
            self._service()  # a violation already standing
        return self

    def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None

    def _service(self) -> None:
        # the checker holds `violation` (and the rule, address and ID beside it) from the
        # rising edge it fired on until it is reset: one report per rise
        high = _is_high(self.handle.violation)
        if high and not self._reported:
            self._reported = True
            finding = self.read()
            assert finding is not None
            self._report(finding)
        elif not high:
            self._reported = False

    def _report(self, finding: ProtocolFinding) -> None:
        self.findings.append(finding)
        self._seen.set()
        if len(self.findings) == 1:
            for fn in self.on_first:
                fn(finding)
        if self.record:
            self.log.info("recorded: %s", finding)
            return
        self.log.error("%s", finding)
        raise ProtocolViolation(finding)

    # ------------------------------------------------------------------ reading
    @property
    def violation_count(self) -> int:
        """Every violation the checker counted since its reset."""
        return _int_or_none(self.handle.violation_count) or 0

    def read(self) -> ProtocolFinding | None:
        """The checker's first violation since reset, or None."""
        if not _is_high(self.handle.violation):
            return None
        rule = ProtocolRule.from_code(int(self.handle.violation_rule.value))
        addr = axi_id = packet = beat = None
        if self.kind == "axis":
            packet = int(self.handle.violation_packet.value)
            beat = int(self.handle.violation_beat.value)
        else:
            addr = None if rule in _NO_ADDRESS else int(self.handle.violation_addr.value)
            if self.kind == "axi4":
                axi_id = int(self.handle.violation_id.value)
        return ProtocolFinding(
            bus=self.bus,
            rule=rule,
            time_ns=self.phase.edge_time_ns(),
            addr=addr,
            axi_id=axi_id,
            packet=packet,
            beat=beat,
            count=self.violation_count,
        )

    def pending(self) -> dict[str, int]:
        """Transactions still open, from the checker's counters (empty for AXI-Stream).

        AXI4: ``w`` write bursts whose AW or W beats are incomplete, ``b`` complete write
        bursts awaiting B, ``r`` read bursts awaiting R beats. AXI-Lite: ``b`` writes
        awaiting B (AW or W taken), ``r`` reads awaiting R.
        """
        names = {"axi4": ("w", "b", "r"), "axil": ("b", "r"), "axis": ()}[self.kind]
        return {n: _int_or_none(getattr(self.handle, f"pending_{n}")) or 0 for n in names}

    # ------------------------------------------------------------------ checks
    def check_drained(self) -> None:
        """At the end of a test: every burst / request got all its data and its response.

        Reports ``*_NOT_DRAINED`` (raised, or recorded in record mode) otherwise.
        """
        open_ = {k: v for k, v in self.pending().items() if v}
        if not open_:
            return
        words = {
            "w": "write bursts await their AW or W beats",
            "b": "writes await their B",
            "r": "reads await R beats",
        }
        detail = ", ".join(f"{n} {words[k]}" for k, n in open_.items())
        rule = (
            ProtocolRule.AXI_NOT_DRAINED if self.kind == "axi4" else ProtocolRule.AXIL_NOT_DRAINED
        )
        self._report(
            ProtocolFinding(
                bus=self.bus,
                rule=rule,
                time_ns=get_sim_time("ns"),
                count=self.violation_count,
                detail=detail,
            )
        )

    def check_silent(self) -> None:
        """Raise if the checker counted any violation (for record-mode benches)."""
        finding = self.read()
        if finding is not None:
            raise ProtocolViolation(finding)

    async def wait_for_violation(self, timeout_ns: float) -> ProtocolFinding | None:
        """The first finding, waiting up to ``timeout_ns`` of simulated time for it."""
        if not self.findings:
            await First(self._seen.wait(), Timer(timeout_ns, unit="ns"))
        return self.findings[0] if self.findings else None


class MangleMode(enum.IntEnum):
    """Modes of ``tb/hdl/tb_axi_mangler.v`` (Python copy) and the rule each should trip."""

    description: str
    rule: ProtocolRule

    def __new__(cls, code: int, description: str, rule: ProtocolRule) -> Self:
        mode = int.__new__(cls, code)
        mode._value_ = code
        mode.description = description
        mode.rule = rule
        return mode

    PASS = 0, "no misbehaviour", ProtocolRule.NONE
    AR_VALID_DROP = (
        1,
        "ARVALID dropped for a cycle while waiting",
        ProtocolRule.AXI_AR_VALID_DROPPED,
    )
    AR_ADDR_CHANGE = 2, "ARADDR changed for a cycle while waiting", ProtocolRule.AXI_AR_CHANGED
    AW_CROSS_4K = 3, "AWADDR moved so the burst crosses 4 KiB", ProtocolRule.AXI_AW_4K
    AR_CROSS_4K = 4, "ARADDR moved so the burst crosses 4 KiB", ProtocolRule.AXI_AR_4K
    WLAST_EARLY = (
        5,
        "WLAST on the first beat of a longer burst",
        ProtocolRule.AXI_WLAST_EARLY,
    )
    WLAST_MISSING = 6, "no WLAST on the last beat", ProtocolRule.AXI_WLAST_MISSING
    AWVALID_X = 7, "AWVALID X for one cycle", ProtocolRule.AXI_AW_X
    R_EXTRA = 8, "one R beat more than the burst has", ProtocolRule.AXI_R_UNEXPECTED
    RLAST_EARLY = 9, "RLAST before the last beat", ProtocolRule.AXI_RLAST_EARLY
    RLAST_MISSING = 10, "no RLAST on the last beat", ProtocolRule.AXI_RLAST_MISSING
    B_EXTRA = 11, "a second B for one write burst", ProtocolRule.AXI_B_UNEXPECTED
    AR_ADDR_TRUNC = (
        12,
        "ARADDR >= 4 GiB truncated to 32 bits (legal)",
        ProtocolRule.NONE,
    )
    AW_ADDR_TRUNC = (
        13,
        "AWADDR >= 4 GiB truncated to 32 bits (legal)",
        ProtocolRule.NONE,
    )
    R_STALL = (
        14,
        "the R channel stops answering for ever (legal; the watchdog reports the hang)",
        ProtocolRule.NONE,
    )
