"""Wide-vector hand-off between Python and the HDL transactors (``tb/hdl``).

Measured with cocotb 2.1 and Icarus 11 on this machine (see ``tb/bfm/README.md``):
reading a vector costs about 2 µs plus 5-6 ns per bit (Icarus renders it as a
binary string, Python parses it), writing one about 1.5 µs plus 1.7 ns per bit.
So a burst is handed over as a few words of a few thousand bits (only the words
it covers), never beat by beat (one VPI call per beat) and never as one vector
sized for the largest packet.

Bit strings come MSB first; ``'1'`` is ASCII 49, anything else (``0``, ``x``,
``z``) reads as 0.

Reads and writes go straight to the simulator object under the cocotb handle
(``handle._handle``, cocotb 2.1): no ``LogicArray`` is built for a read, and a
write takes effect at once (no-delay) instead of waiting for cocotb's ReadWrite
phase. That is right here, and only here, because the hand-off happens where
Python acts (:mod:`tb.phase`: at a falling edge or between edges), never at the
rising edge that samples the value; it saves a callback per write and about
half of each read.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from tb.errors import TbError

__all__ = ["NotWritable", "lsb_bits", "pack_bits", "read_uint", "write_bytes", "write_uint"]

_ONE = 49
class NotWritable(TbError):
    """Python wrote a signal the simulator does not let it change."""


# X, Z and friends read as 0, weak high as 1
_TO_01 = str.maketrans(dict.fromkeys("xXzZuUwW-L", "0") | {"H": "1"})
# cocotb's _GPISetAction.NO_DELAY: the value is in place when the call returns
_NO_DELAY = 3


def _binstr(handle: Any) -> str:
    raw = getattr(handle, "_handle", None)
    if raw is None:  # not a cocotb simulator handle (a test double)
        return str(handle.value)
    text: str = raw.get_signal_val_binstr()
    return text


def lsb_bits(handle: Any) -> npt.NDArray[np.bool_]:
    """The value of ``handle`` as booleans, index 0 = bit 0 (X and Z read as 0)."""
    text = _binstr(handle)
    bits: npt.NDArray[np.bool_] = np.frombuffer(text.encode("ascii"), np.uint8)[::-1] == _ONE
    return bits


def pack_bits(bits: npt.NDArray[np.bool_]) -> bytes:
    """Booleans, bit 0 first, as little-endian bytes (``len(bits)`` a multiple of 8)."""
    return np.packbits(bits, bitorder="little").tobytes()


def read_uint(handle: Any) -> int:
    """The value of ``handle`` as an unsigned int (X and Z read as 0)."""
    text = _binstr(handle)
    try:
        return int(text, 2)
    except ValueError:
        return int(text.translate(_TO_01), 2)


# handles whose writes are known to take effect (see write_uint)
_writable: set[int] = set()


def write_uint(handle: Any, value: int) -> None:
    """Put the unsigned ``value`` into ``handle`` now (zero-extended to its width).

    The first write that changes a handle's value is read back: Verilator silently
    ignores a write to a signal its build did not make writable (tb/hdl/verilator_public.vlt),
    and this names the signal instead of letting the test bench hang.
    """
    raw = getattr(handle, "_handle", None)
    if raw is None:  # not a cocotb simulator handle (a test double)
        handle.value = value
        return
    width = len(handle)
    if value < 0 or value >> width:
        raise ValueError(f"{value:#x} does not fit the {width} bits of {handle._path}")
    check = id(raw) not in _writable
    before = read_uint(handle) if check else 0
    if width <= 32:
        raw.set_signal_val_int(_NO_DELAY, value)
    else:
        raw.set_signal_val_binstr(_NO_DELAY, format(value, f"0{width}b"))
    if check and value != before:
        if read_uint(handle) != value:
            raise NotWritable(
                f"{handle._path} did not take the value Python wrote ({value:#x}): under "
                f"Verilator a signal Python writes must be declared "
                f"`/* verilator public_flat_rw */` (see tb/hdl/verilator_public.vlt)"
            )
        _writable.add(id(raw))


def write_bytes(handle: Any, data: bytes | bytearray | memoryview, *, high: int = 0,
                high_shift: int = 0) -> None:
    """Write little-endian ``data`` into the low bits of ``handle``, ``high`` at ``high_shift``."""
    value = int.from_bytes(data, "little")
    if high:
        value |= high << high_shift
    write_uint(handle, value)
