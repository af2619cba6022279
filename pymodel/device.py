"""Register map and descriptor layout of ``dma_engine`` (Python copy).

The Verilog copy is ``hdl/dma_regs.vh``; ``tests/test_regmap_agreement.py``
proves the two agree name by name.  Driver code uses these names, never raw
offsets.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

__all__ = [
    "CACHE_LINE_RESET",
    "DESC_BYTES",
    "DESC_DTYPE",
    "DEV_ID_VALUE",
    "MAX_DESC_LEN",
    "MAX_RX_PKT_LEN",
    "WB_DELAY_RESET",
    "CtrlBit",
    "DescCtrl",
    "DescStatus",
    "Descriptor",
    "ErrCode",
    "Irq",
    "Reg",
    "Ring",
    "RingCtrlBit",
    "RingReg",
    "RingState",
    "ring_reg",
]


class Reg(enum.IntEnum):
    """Global registers (byte offsets on the AXI-Lite port)."""

    DEV_ID = 0x000
    DEV_DATA_BYTES = 0x004
    DEV_MAX_BURST = 0x008
    DEV_RD_OUTSTAND = 0x00C
    DEV_MAX_DESC_LEN = 0x010
    DEV_DESC_DEPTH = 0x014
    CTRL = 0x020
    CACHE_LINE = 0x024
    WB_DELAY = 0x028
    IRQ_STATUS = 0x02C
    IRQ_ENABLE = 0x030
    RX_DROP_COUNT = 0x034
    RX_ERR_COUNT = 0x038
    WB_PARTIAL_COUNT = 0x03C


class Ring(enum.IntEnum):
    """Ring register blocks: the value is the block's base offset."""

    TX = 0x100
    RX = 0x200


class RingReg(enum.IntEnum):
    """Offsets inside a ring register block."""

    BASE_LO = 0x000
    BASE_HI = 0x004
    SIZE_LOG2 = 0x008
    CTRL = 0x00C
    TAIL = 0x010
    HEAD = 0x014
    STATUS = 0x018
    PKT_COUNT = 0x01C


def ring_reg(ring: Ring, reg: RingReg) -> int:
    """Byte offset of ``reg`` in ``ring``'s block."""
    return int(ring) + int(reg)


DEV_ID_VALUE = 0x444D_4131


class CtrlBit(enum.IntFlag):
    """Bits of ``Reg.CTRL``."""

    SOFT_RESET = 1 << 0


class RingCtrlBit(enum.IntFlag):
    """Bits of ``RingReg.CTRL``."""

    ENABLE = 1 << 0


class RingState(enum.IntEnum):
    """``RingReg.STATUS[1:0]``."""

    IDLE = 0
    RUN = 1
    DRAIN = 2
    STOPPED = 3


class Irq(enum.IntFlag):
    """Bits of ``Reg.IRQ_STATUS`` and ``Reg.IRQ_ENABLE``."""

    TX_DONE = 1 << 0
    RX_DONE = 1 << 1
    TX_ERR = 1 << 2
    RX_ERR = 1 << 3
    RX_DROP = 1 << 4


CACHE_LINE_RESET = 64
WB_DELAY_RESET = 256

# --------------------------------------------------------------------------
# Descriptor layout: 16 bytes, little-endian, TX and RX alike.
# --------------------------------------------------------------------------
DESC_BYTES = 16

#: Bit positions of the descriptor fields as a 128-bit little-endian integer.
DESC_FIELDS: dict[str, tuple[int, int]] = {
    "ADDR": (0, 64),
    "LEN": (64, 16),
    "CTRL": (80, 8),
    "WB_LEN": (96, 16),
    "STATUS": (112, 8),
    "ERR": (120, 8),
}

#: numpy view of a ring: ``ring_bytes.view(DESC_DTYPE)``.
DESC_DTYPE = np.dtype(
    [
        ("addr", "<u8"),
        ("len", "<u2"),
        ("ctrl", "u1"),
        ("rsvd", "u1"),
        ("wb_len", "<u2"),
        ("status", "u1"),
        ("err", "u1"),
    ]
)
assert DESC_DTYPE.itemsize == DESC_BYTES


class DescCtrl(enum.IntFlag):
    """Driver-written ``CTRL`` flags."""

    NONE = 0
    EOP = 1 << 0
    IRQ = 1 << 1
    NOP = 1 << 2


class DescStatus(enum.IntFlag):
    """Device-written ``STATUS`` flags."""

    NONE = 0
    DONE = 1 << 0
    EOP = 1 << 1
    ERR = 1 << 2


class ErrCode(enum.IntEnum):
    """``DESC_ERR`` and ``RING_STATUS[15:8]`` codes."""

    NONE = 0
    DESC_READ = 1
    DATA_READ = 2
    DATA_WRITE = 3
    WB_WRITE = 4
    ZERO_LEN = 5
    TOO_LONG = 6
    BAD_CONFIG = 7
    TAIL_OVERRUN = 8


MAX_DESC_LEN = 16384
MAX_RX_PKT_LEN = 16383


@dataclass(frozen=True)
class Descriptor:
    """One ring descriptor as a value."""

    addr: int = 0
    length: int = 0
    ctrl: DescCtrl = DescCtrl.NONE
    wb_len: int = 0
    status: DescStatus = DescStatus.NONE
    err: ErrCode = ErrCode.NONE

    def pack(self) -> bytes:
        """The 16 bytes the driver writes into the ring."""
        value = 0
        for name, field in (
            ("ADDR", self.addr),
            ("LEN", self.length),
            ("CTRL", int(self.ctrl)),
            ("WB_LEN", self.wb_len),
            ("STATUS", int(self.status)),
            ("ERR", int(self.err)),
        ):
            lsb, bits = DESC_FIELDS[name]
            if not 0 <= field < (1 << bits):
                raise ValueError(f"descriptor field {name} must fit in {bits} bits, not {field:#x}")
            value |= field << lsb
        return value.to_bytes(DESC_BYTES, "little")

    @classmethod
    def unpack(cls, raw: bytes) -> Descriptor:
        """Decode 16 bytes read from the ring."""
        if len(raw) != DESC_BYTES:
            raise ValueError(f"a descriptor is {DESC_BYTES} bytes, not {len(raw)}")
        value = int.from_bytes(raw, "little")

        def field(name: str) -> int:
            lsb, bits = DESC_FIELDS[name]
            return (value >> lsb) & ((1 << bits) - 1)

        return cls(
            addr=field("ADDR"),
            length=field("LEN"),
            ctrl=DescCtrl(field("CTRL")),
            wb_len=field("WB_LEN"),
            status=DescStatus(field("STATUS")),
            err=ErrCode(field("ERR")),
        )
