"""What one descriptor write-back may say, judged against what the driver posted.

The engine's side of the descriptor contract (``hdl/README.md``, "Descriptor",
``dma_tx``, ``dma_rx``): the device writes back whole descriptors, bytes 0-11 as
the driver posted them and bytes 12-15 its completion; a descriptor it has not
completed keeps its posted bytes. A completion says

* TX: DONE, WB_LEN = LEN, EOP = CTRL.EOP; a NOP completes with DONE alone and
  WB_LEN 0; an error (DATA_READ, ZERO_LEN, TOO_LONG) with DONE|ERR, WB_LEN 0,
  no EOP;
* RX: DONE, 1 <= WB_LEN <= LEN, EOP on the packet's last buffer (every buffer
  before it is filled to LEN; a packet is at most ``MAX_RX_PKT_LEN`` bytes); a
  failed write (DATA_WRITE) with DONE|ERR and the WB_LEN and EOP it had; a
  buffer of a bad descriptor's window (ZERO_LEN, TOO_LONG: that descriptor, or
  one gathered for the same packet before it, up to ``RX_WINDOW`` apart) with
  DONE|ERR, WB_LEN 0, no EOP;
* STATUS bits other than DONE, EOP and ERR are reserved (0); the code is 0
  exactly when ERR is clear.

Pure functions of bytes: the completion checker (:mod:`tb.checkers.completion`)
applies them to every write-back on the bus, the driver model to every
completion it reaps, before it acts on one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pymodel.device import (
    DESC_BYTES,
    MAX_DESC_LEN,
    MAX_RX_PKT_LEN,
    DescCtrl,
    Descriptor,
    DescStatus,
    ErrCode,
    Ring,
)
from tb.checkers.violations import Rule

__all__ = [
    "ERROR_CODES",
    "RX_WINDOW",
    "RawCompletion",
    "Verdict",
    "describe",
    "hex_bytes",
    "judge_completion",
    "judge_pending",
    "length_defect",
]

#: RX descriptors ``dma_rx`` gathers for one packet (hdl/README.md, dma_rx)
RX_WINDOW = 8
#: The error codes a completed descriptor of each ring may carry (the other codes
#: are ring errors: they appear only in the ring's STATUS register)
ERROR_CODES: dict[Ring, frozenset[ErrCode]] = {
    Ring.TX: frozenset({ErrCode.DATA_READ, ErrCode.ZERO_LEN, ErrCode.TOO_LONG}),
    Ring.RX: frozenset({ErrCode.DATA_WRITE, ErrCode.ZERO_LEN, ErrCode.TOO_LONG}),
}
_DEFINED_STATUS = int(DescStatus.DONE | DescStatus.EOP | DescStatus.ERR)
_DONE = int(DescStatus.DONE)
_EOP = int(DescStatus.EOP)
_ERR = int(DescStatus.ERR)


@dataclass(frozen=True)
class Verdict:
    """A broken rule and what in the write-back broke it."""

    rule: Rule
    detail: str


@dataclass(frozen=True)
class RawCompletion:
    """Bytes 12-15 of a written descriptor, undecoded (the device may write anything)."""

    wb_len: int
    status: int
    err: int

    @classmethod
    def of(cls, raw: bytes) -> RawCompletion:
        if len(raw) != DESC_BYTES:
            raise ValueError(f"a descriptor is {DESC_BYTES} bytes, not {len(raw)}")
        return cls(wb_len=int.from_bytes(raw[12:14], "little"), status=raw[14], err=raw[15])

    @property
    def done(self) -> bool:
        return bool(self.status & _DONE)

    @property
    def eop(self) -> bool:
        return bool(self.status & _EOP)

    @property
    def error(self) -> bool:
        return bool(self.status & _ERR)


def hex_bytes(raw: bytes) -> str:
    """``00 88 ... 00 | 00 00 03 00``: the driver's bytes 0-11, then the device's 12-15."""
    return f"{raw[:12].hex(' ')} | {raw[12:].hex(' ')}"


def _status_name(status: int) -> str:
    names = [n for n, bit in (("DONE", _DONE), ("EOP", _EOP), ("ERR", _ERR)) if status & bit]
    rest = status & ~_DEFINED_STATUS
    if rest:
        names.append(f"{rest:#04x}")
    return "|".join(names) or "0"


def _code_name(code: int) -> str:
    try:
        return f"{code} ({ErrCode(code).name})"
    except ValueError:
        return f"{code} (undocumented)"


def describe(raw: bytes) -> str:
    """A written descriptor, field by field, whatever the device put in it."""
    if len(raw) != DESC_BYTES:
        raise ValueError(f"a descriptor is {DESC_BYTES} bytes, not {len(raw)}")
    c = RawCompletion.of(raw)
    ctrl = raw[10]
    ctrl_names = [f.name for f in (DescCtrl.EOP, DescCtrl.IRQ, DescCtrl.NOP)
                  if ctrl & f and f.name is not None]
    if ctrl & ~0x7:
        ctrl_names.append(f"{ctrl & ~0x7:#04x}")
    return (
        f"ADDR {int.from_bytes(raw[0:8], 'little'):#x} LEN {int.from_bytes(raw[8:10], 'little')} "
        f"CTRL {'|'.join(ctrl_names) or '0'}{f' rsvd {raw[11]:#04x}' if raw[11] else ''}, "
        f"WB_LEN {c.wb_len} STATUS {_status_name(c.status)} ERR {_code_name(c.err)}"
    )


def _offsets(a: bytes, b: bytes) -> str:
    """The byte offsets where ``a`` and ``b`` differ, as ``3,8-9``."""
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    runs: list[str] = []
    for i in diff:
        if runs and int(runs[-1].split("-")[-1]) == i - 1:
            runs[-1] = f"{runs[-1].split('-')[0]}-{i}"
        else:
            runs.append(str(i))
    return ",".join(runs)


def length_defect(ring: Ring, desc: Descriptor) -> ErrCode | None:
    """The length error the engine must report for a posted descriptor, if any."""
    if ring is Ring.TX and desc.ctrl & DescCtrl.NOP:
        return None
    if desc.length == 0:
        return ErrCode.ZERO_LEN
    if desc.length > MAX_DESC_LEN:
        return ErrCode.TOO_LONG
    return None


def _common(posted: Descriptor, written: bytes) -> Verdict | None:
    """Rules every write of a posted descriptor keeps, completed or not."""
    ref = posted.pack()
    if written[:12] != ref[:12]:
        return Verdict(Rule.DRIVER_BYTES,
                       f"bytes {_offsets(written[:12], ref[:12])} differ from the posted "
                       f"{ref[:12].hex(' ')}")
    status = written[14]
    if status & ~_DEFINED_STATUS:
        return Verdict(Rule.RESERVED_BITS,
                       f"STATUS {status:#04x} sets reserved bits {status & ~_DEFINED_STATUS:#04x} "
                       f"(defined: DONE 0x01, EOP 0x02, ERR 0x04)")
    return None


def judge_pending(posted: Descriptor, written: bytes) -> Verdict | None:
    """A write of a descriptor with DONE clear: it must be exactly as posted."""
    verdict = _common(posted, written)
    if verdict is not None:
        return verdict
    ref = posted.pack()
    if written[12:] != ref[12:]:
        return Verdict(Rule.DRIVER_BYTES,
                       f"DONE is clear, yet bytes {_offsets(written, ref)} differ from the posted "
                       f"{ref[12:].hex(' ')} (a descriptor not completed is written back as "
                       f"fetched)")
    return None


def _later_defect(ring: Ring, later: Sequence[Descriptor]) -> ErrCode | None:
    """RX: the length error of the first bad descriptor among the next ``RX_WINDOW - 1``."""
    if ring is not Ring.RX:
        return None
    for nxt in later[:RX_WINDOW - 1]:
        defect = length_defect(ring, nxt)
        if defect is not None:
            return defect
    return None


def judge_completion(
    ring: Ring,
    posted: Descriptor,
    written: bytes,
    *,
    later: Sequence[Descriptor] = (),
    packet_bytes: int = 0,
) -> Verdict | None:
    """A write of a descriptor with DONE set, against what the driver posted.

    ``later``: the descriptors posted after it, in ring order (RX: a bad one among
    the next ``RX_WINDOW - 1`` may end this one with its code). ``packet_bytes``:
    RX, the bytes of the packet completed in earlier buffers (since the last EOP).
    None when the completion keeps every rule.
    """
    verdict = _common(posted, written)
    if verdict is not None:
        return verdict
    c = RawCompletion.of(written)
    status = _status_name(c.status)
    nop = ring is Ring.TX and bool(posted.ctrl & DescCtrl.NOP)
    # ---- the error code
    if c.error and c.err == 0:
        return Verdict(Rule.ERR_CODE, f"STATUS {status} says ERR, but the code is 0")
    if not c.error and c.err != 0:
        return Verdict(Rule.ERR_CODE, f"code {_code_name(c.err)} without STATUS.ERR")
    if c.error and (nop or c.err not in {int(e) for e in ERROR_CODES[ring]}):
        allowed = ", ".join(e.name for e in sorted(ERROR_CODES[ring]))
        what = "a NOP (it moves no data)" if nop else f"a {ring.name} descriptor ({allowed})"
        return Verdict(Rule.ERR_CODE, f"code {_code_name(c.err)} is not one {what} can carry")
    own = length_defect(ring, posted)
    later_defect = _later_defect(ring, later) if own is None else None
    if c.error and c.err in (ErrCode.ZERO_LEN, ErrCode.TOO_LONG) and c.err != (own or later_defect):
        window = ""
        if ring is Ring.RX:
            window = (f", and no descriptor posted in its window (the next {RX_WINDOW - 1}) has a "
                      f"bad LEN" if later_defect is None else
                      f", and the first bad descriptor posted in its window has "
                      f"{later_defect.name}")
        return Verdict(Rule.ERR_CODE,
                       f"code {_code_name(c.err)}, but it was posted with LEN {posted.length}"
                       + window)
    if not c.error and own is not None:
        return Verdict(Rule.ERR_CODE,
                       f"posted with LEN {posted.length}, it must complete with ERR {own.name}, "
                       f"not STATUS {status}")
    # ---- lengths and EOP
    if nop:
        if c.wb_len:
            return Verdict(Rule.BAD_LENGTH,
                           f"a NOP moves no data: WB_LEN must be 0, not {c.wb_len}")
        if c.eop:
            return Verdict(Rule.EOP_PLACEMENT, "a NOP ends no packet, yet STATUS says EOP")
        return None
    if c.error:
        if ring is Ring.RX and c.err == ErrCode.DATA_WRITE:
            if c.wb_len > posted.length:
                return Verdict(Rule.BAD_LENGTH,
                               f"WB_LEN {c.wb_len} is more than the {posted.length}-byte buffer")
            return None
        if c.wb_len:
            return Verdict(Rule.BAD_LENGTH, f"{_code_name(c.err)} moved no data: WB_LEN must be 0, "
                                            f"not {c.wb_len}")
        if c.eop:
            return Verdict(Rule.EOP_PLACEMENT, f"{_code_name(c.err)} ends no packet, yet STATUS "
                                               f"says EOP")
        return None
    if c.wb_len == 0:
        why = (f"a TX descriptor completes with WB_LEN = LEN {posted.length}" if ring is Ring.TX
               else f"every buffer the engine uses gets at least one byte (LEN {posted.length})")
        return Verdict(Rule.ZERO_LENGTH, f"WB_LEN 0 with STATUS {status}: {why}")
    if ring is Ring.TX:
        if c.wb_len != posted.length:
            return Verdict(Rule.BAD_LENGTH,
                           f"WB_LEN {c.wb_len}, but a TX descriptor completes with WB_LEN = LEN "
                           f"{posted.length}")
        if c.eop != bool(posted.ctrl & DescCtrl.EOP):
            return Verdict(Rule.EOP_PLACEMENT,
                           f"STATUS.EOP {int(c.eop)}, but CTRL.EOP "
                           f"{int(bool(posted.ctrl & DescCtrl.EOP))}")
        return None
    if c.wb_len > posted.length:
        return Verdict(Rule.BAD_LENGTH,
                       f"WB_LEN {c.wb_len} is more than the {posted.length}-byte buffer")
    if not c.eop and c.wb_len < posted.length:
        return Verdict(Rule.EOP_PLACEMENT,
                       f"{c.wb_len} of {posted.length} bytes without EOP: the packet would go on "
                       f"in the next buffer, but the engine fills a buffer before the next")
    total = packet_bytes + c.wb_len
    if total > MAX_RX_PKT_LEN:
        return Verdict(Rule.EOP_PLACEMENT,
                       f"the packet reaches {total} bytes with this buffer"
                       f"{'' if c.eop else ' and has no EOP yet'}; the engine receives at most "
                       f"{MAX_RX_PKT_LEN}")
    return None
