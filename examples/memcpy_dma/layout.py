"""memcpy_dma's register map and descriptor layout (Python copy of hdl/memcpy_dma_defs.vh).

``tests/test_examples.py`` proves the two copies agree.
"""

from __future__ import annotations

import struct

__all__ = [
    "CTRL_IRQ_CLEAR",
    "CTRL_START",
    "DESC_BYTES",
    "DESC_DST",
    "DESC_LEN",
    "DESC_NEXT",
    "DESC_SRC",
    "DESC_STATUS",
    "ERR_DESC",
    "ERR_DST",
    "ERR_NONE",
    "ERR_SRC",
    "REG_CTRL",
    "REG_DESC_HI",
    "REG_DESC_LO",
    "STATUS_DONE",
    "STATUS_ERR",
    "descriptor",
]

# registers: byte offsets on the register port
REG_DESC_LO = 0x0
REG_DESC_HI = 0x4
REG_CTRL = 0x8
CTRL_START = 0
CTRL_IRQ_CLEAR = 1

# descriptor: 32 bytes, 32-byte aligned, little-endian
DESC_BYTES = 32
DESC_SRC = 0
DESC_DST = 8
DESC_NEXT = 16
DESC_LEN = 24
DESC_STATUS = 28

# STATUS bits and error codes
STATUS_DONE = 31
STATUS_ERR = 30
ERR_NONE = 0
ERR_DESC = 1
ERR_SRC = 2
ERR_DST = 3

_DESC = struct.Struct("<QQQII")
assert _DESC.size == DESC_BYTES


def descriptor(src: int, dst: int, length: int, next_la: int = 0) -> bytes:
    """A descriptor copying ``length`` bytes from ``src`` to ``dst`` (STATUS 0)."""
    return _DESC.pack(src, dst, next_la, length, 0)
