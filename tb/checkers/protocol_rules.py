"""Rule codes of the HDL bus-protocol checkers (Python copy).

The Verilog copy is ``tb/hdl/tb_checker_rules.vh``; each rule's description here
is the comment after its localparam there, word for word, and
``tests/test_checker_rules_agreement.py`` proves the two agree. The checkers
(``tb_axi4_checker``, ``tb_axil_checker``, ``tb_axis_checker``) put the code of
their first violation on ``violation_rule``; :mod:`tb.checkers.protocol` turns it
back into a :class:`ProtocolRule` and prints ``rule NAME: description``.
"""

from __future__ import annotations

import enum
from typing import Self

__all__ = ["ProtocolRule"]


class ProtocolRule(enum.IntEnum):
    """One protocol rule: its 8-bit code (the IntEnum value) and a one-line description."""

    description: str

    def __new__(cls, code: int, description: str) -> Self:
        rule = int.__new__(cls, code)
        rule._value_ = code
        rule.description = description
        return rule

    @classmethod
    def from_code(cls, code: int) -> ProtocolRule:
        """The rule with the checker's 8-bit ``code``."""
        rule = cls._value2member_map_.get(code)
        if rule is None:
            raise ValueError(f"no protocol rule has code {code:#04x}")
        return rule  # type: ignore[return-value]

    NONE = 0x00, "no violation"

    # AXI4 (tb_axi4_checker)
    AXI_AW_VALID_DROPPED = 0x01, "AWVALID fell before AWREADY"
    AXI_W_VALID_DROPPED = 0x02, "WVALID fell before WREADY"
    AXI_B_VALID_DROPPED = 0x03, "BVALID fell before BREADY"
    AXI_AR_VALID_DROPPED = 0x04, "ARVALID fell before ARREADY"
    AXI_R_VALID_DROPPED = 0x05, "RVALID fell before RREADY"
    AXI_AW_CHANGED = 0x06, "AW payload changed while AWVALID waited for AWREADY"
    AXI_W_CHANGED = 0x07, "W payload (WDATA, WSTRB, WLAST) changed while WVALID waited for WREADY"
    AXI_B_CHANGED = 0x08, "B payload (BID, BRESP) changed while BVALID waited for BREADY"
    AXI_AR_CHANGED = 0x09, "AR payload changed while ARVALID waited for ARREADY"
    AXI_R_CHANGED = (
        0x0A,
        "R payload (RID, RDATA, RRESP, RLAST) changed while RVALID waited for RREADY",
    )
    AXI_AW_X = (
        0x0B,
        "X or Z on AWVALID or AWREADY, or on AWID, AWADDR, AWLEN, AWSIZE, AWBURST of a valid AW",
    )
    AXI_W_X = 0x0C, "X or Z on WVALID or WREADY, or on WSTRB, WLAST of a valid W beat"
    AXI_B_X = 0x0D, "X or Z on BVALID or BREADY, or on BID, BRESP of a valid B"
    AXI_AR_X = (
        0x0E,
        "X or Z on ARVALID or ARREADY, or on ARID, ARADDR, ARLEN, ARSIZE, ARBURST of a valid AR",
    )
    AXI_R_X = 0x0F, "X or Z on RVALID or RREADY, or on RID, RRESP, RLAST of a valid R beat"
    AXI_AW_4K = 0x10, "INCR write burst crosses a 4 KiB boundary"
    AXI_AR_4K = 0x11, "INCR read burst crosses a 4 KiB boundary"
    AXI_AW_SIZE = 0x12, "AWSIZE wider than the data bus"
    AXI_AR_SIZE = 0x13, "ARSIZE wider than the data bus"
    AXI_AW_BURST = (
        0x14,
        "AWBURST reserved, or a WRAP burst not of 2, 4, 8 or 16 beats or not aligned to AWSIZE",
    )
    AXI_AR_BURST = (
        0x15,
        "ARBURST reserved, or a WRAP burst not of 2, 4, 8 or 16 beats or not aligned to ARSIZE",
    )
    AXI_WLAST_EARLY = 0x16, "WLAST on a beat before the last (AWLEN+1) of the write burst"
    AXI_WLAST_MISSING = 0x17, "no WLAST on the last (AWLEN+1) beat of the write burst"
    AXI_WSTRB_LANES = (
        0x18,
        "WSTRB sets a byte lane outside the lanes of the beat's address and AWSIZE",
    )
    AXI_B_UNEXPECTED = (
        0x19,
        "B for an ID with no completed write burst (AW and WLAST) awaiting its response",
    )
    AXI_R_UNEXPECTED = 0x1A, "R beat for an ID with no outstanding read burst"
    AXI_RLAST_EARLY = 0x1B, "RLAST on a beat before the last (ARLEN+1) of the read burst"
    AXI_RLAST_MISSING = 0x1C, "no RLAST on the last (ARLEN+1) beat of the read burst"
    AXI_TRACK_OVERFLOW = (
        0x1D,
        "more bursts in flight than the checker tracks (raise its MAX_OUTSTANDING)",
    )
    AXI_NOT_DRAINED = 0x1E, "at the end of the test a burst still awaits W beats, its B or R beats"

    # AXI-Lite (tb_axil_checker)
    AXIL_AW_VALID_DROPPED = 0x40, "AWVALID fell before AWREADY"
    AXIL_W_VALID_DROPPED = 0x41, "WVALID fell before WREADY"
    AXIL_B_VALID_DROPPED = 0x42, "BVALID fell before BREADY"
    AXIL_AR_VALID_DROPPED = 0x43, "ARVALID fell before ARREADY"
    AXIL_R_VALID_DROPPED = 0x44, "RVALID fell before RREADY"
    AXIL_AW_CHANGED = 0x45, "AWADDR or AWPROT changed while AWVALID waited for AWREADY"
    AXIL_W_CHANGED = 0x46, "WDATA or WSTRB changed while WVALID waited for WREADY"
    AXIL_B_CHANGED = 0x47, "BRESP changed while BVALID waited for BREADY"
    AXIL_AR_CHANGED = 0x48, "ARADDR or ARPROT changed while ARVALID waited for ARREADY"
    AXIL_R_CHANGED = 0x49, "RDATA or RRESP changed while RVALID waited for RREADY"
    AXIL_AW_X = 0x4A, "X or Z on AWVALID or AWREADY, or on AWADDR of a valid AW"
    AXIL_W_X = 0x4B, "X or Z on WVALID or WREADY, or on WSTRB of a valid W"
    AXIL_B_X = 0x4C, "X or Z on BVALID or BREADY, or on BRESP of a valid B"
    AXIL_AR_X = 0x4D, "X or Z on ARVALID or ARREADY, or on ARADDR of a valid AR"
    AXIL_R_X = 0x4E, "X or Z on RVALID or RREADY, or on RRESP of a valid R"
    AXIL_B_UNEXPECTED = 0x4F, "B with no write (both AW and W taken) awaiting its response"
    AXIL_R_UNEXPECTED = 0x50, "R with no read awaiting its response"
    AXIL_TRACK_OVERFLOW = (
        0x51,
        "more requests in flight than the checker tracks (raise its MAX_OUTSTANDING)",
    )
    AXIL_NOT_DRAINED = 0x52, "at the end of the test a write or read still awaits its response"

    # AXI-Stream (tb_axis_checker)
    AXIS_VALID_DROPPED = 0x60, "TVALID fell before TREADY"
    AXIS_CHANGED = 0x61, "TDATA, TKEEP, TLAST or TUSER changed while TVALID waited for TREADY"
    AXIS_X = (
        0x62,
        "X or Z on TVALID or TREADY, or on TKEEP, TLAST (and TUSER with TLAST) of a valid beat",
    )
    AXIS_TKEEP_ZERO = 0x63, "a valid beat with no TKEEP bit set"
    AXIS_TKEEP_SPARSE = 0x64, "a beat before TLAST without every TKEEP bit set"
    AXIS_TKEEP_UNPACKED = 0x65, "TKEEP of the TLAST beat not contiguous from lane 0"
    AXIS_TUSER_NOT_LAST = 0x66, "TUSER set on a beat without TLAST"

    @property
    def protocol(self) -> str:
        """``"AXI4"``, ``"AXI-Lite"``, ``"AXI-Stream"`` (``""`` for NONE)."""
        prefix = self.name.split("_", 1)[0]
        return {"AXI": "AXI4", "AXIL": "AXI-Lite", "AXIS": "AXI-Stream"}.get(prefix, "")

    def __str__(self) -> str:
        return f"rule {self.name}: {self.description}"
