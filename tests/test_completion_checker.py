"""The completion checker and the descriptor contract it shares with the driver model:
every rule fires on a hand-made impossible write-back and stays silent on the engine's
correct ones (no simulator: bursts are built by hand, the host model is real)."""

from __future__ import annotations

import numpy as np
import pytest

from pymodel.device import MAX_RX_PKT_LEN, DescCtrl, Descriptor, DescStatus, ErrCode, Ring
from pymodel.host import Host
from pymodel.iommu import Access
from tb.bfm.lying import LyingDevice
from tb.bus_events import WriteBurst
from tb.checkers import CheckerViolation, CompletionChecker, Rule, ViolationLog
from tb.checkers.completion_rules import (
    describe,
    hex_bytes,
    judge_completion,
    judge_pending,
)
from tb.errors import TbError

LINE = 64
BEAT = 8
BUF = 0x1_2345_6000  # a buffer logical address the descriptors name (never accessed)

DONE, EOP, ERR = DescStatus.DONE, DescStatus.EOP, DescStatus.ERR


def rx_desc(i: int = 0, length: int = 2048) -> Descriptor:
    return Descriptor(addr=BUF + i * 2048, length=length, ctrl=DescCtrl.IRQ)


def done(desc: Descriptor, wb_len: int, status: DescStatus, err: int = 0) -> bytes:
    """``desc`` as the device writes it back: bytes 0-11 as posted, then its completion."""
    raw = bytearray(desc.pack())
    raw[12:14] = wb_len.to_bytes(2, "little")
    raw[14] = int(status)
    raw[15] = err
    return bytes(raw)


# ------------------------------------------------------------- the contract alone
def test_a_correct_rx_completion_keeps_every_rule() -> None:
    d = rx_desc()
    assert judge_completion(Ring.RX, d, done(d, 2048, DONE)) is None  # full, packet goes on
    assert judge_completion(Ring.RX, d, done(d, 60, DONE | EOP)) is None
    assert judge_completion(Ring.RX, d, done(d, 100, DONE | ERR, ErrCode.DATA_WRITE)) is None
    assert judge_completion(Ring.RX, d, done(d, 0, DONE | ERR, ErrCode.DATA_WRITE)) is None


def test_a_correct_tx_completion_keeps_every_rule() -> None:
    d = Descriptor(addr=BUF, length=1500, ctrl=DescCtrl.EOP | DescCtrl.IRQ)
    assert judge_completion(Ring.TX, d, done(d, 1500, DONE | EOP)) is None
    assert judge_completion(Ring.TX, d, done(d, 0, DONE | ERR, ErrCode.DATA_READ)) is None
    nop = Descriptor(ctrl=DescCtrl.NOP)
    assert judge_completion(Ring.TX, nop, done(nop, 0, DONE)) is None
    zero = Descriptor(addr=BUF, length=0, ctrl=DescCtrl.EOP)
    assert judge_completion(Ring.TX, zero, done(zero, 0, DONE | ERR, ErrCode.ZERO_LEN)) is None


def test_the_issue_case_is_zero_length() -> None:
    """Issue 12: an RX buffer completed with WB_LEN 0, DONE and no error."""
    d = rx_desc()
    v = judge_completion(Ring.RX, d, done(d, 0, DONE))
    assert v is not None and v.rule is Rule.ZERO_LENGTH
    assert v.detail == ("WB_LEN 0 with STATUS DONE: every buffer the engine uses gets at least "
                        "one byte (LEN 2048)")


def test_rx_window_error_is_the_bad_descriptors_code() -> None:
    """Buffers gathered for a packet before a bad descriptor complete with its code."""
    good, bad = rx_desc(0), rx_desc(2, length=0)
    raw = done(good, 0, DONE | ERR, ErrCode.ZERO_LEN)
    assert judge_completion(Ring.RX, good, raw, later=[rx_desc(1), bad]) is None
    v = judge_completion(Ring.RX, good, raw, later=[rx_desc(1), rx_desc(2)])
    assert v is not None and v.rule is Rule.ERR_CODE
    assert "no descriptor posted in its window (the next 7) has a bad LEN" in v.detail
    too_long = rx_desc(1, length=20000)
    v = judge_completion(Ring.RX, good, raw, later=[too_long, bad])
    assert v is not None and v.rule is Rule.ERR_CODE  # the first bad one decides: TOO_LONG
    assert v.detail.endswith("the first bad descriptor posted in its window has TOO_LONG")
    # beyond the window the engine never looked
    far = [rx_desc(k) for k in range(1, 8)] + [bad]
    assert judge_completion(Ring.RX, good, raw, later=far) is not None


@pytest.mark.parametrize(
    ("ring", "desc", "raw", "rule", "text"),
    [
        (Ring.RX, rx_desc(), done(rx_desc(), 2049, DONE | EOP), Rule.BAD_LENGTH,
         "WB_LEN 2049 is more than the 2048-byte buffer"),
        (Ring.RX, rx_desc(), done(rx_desc(), 100, DONE), Rule.EOP_PLACEMENT,
         "100 of 2048 bytes without EOP"),
        (Ring.RX, rx_desc(), done(rx_desc(), 10, DONE | 0x08), Rule.RESERVED_BITS,
         "STATUS 0x09 sets reserved bits 0x08"),
        (Ring.RX, rx_desc(), done(rx_desc(), 0, DONE | ERR, 0x2A), Rule.ERR_CODE,
         "code 42 (undocumented) is not one a RX descriptor"),
        (Ring.RX, rx_desc(), done(rx_desc(), 0, DONE | ERR, ErrCode.DATA_READ), Rule.ERR_CODE,
         "code 2 (DATA_READ) is not one a RX descriptor"),
        (Ring.RX, rx_desc(), done(rx_desc(), 0, DONE | ERR), Rule.ERR_CODE,
         "says ERR, but the code is 0"),
        (Ring.RX, rx_desc(), done(rx_desc(), 64, DONE | EOP, ErrCode.DATA_WRITE), Rule.ERR_CODE,
         "without STATUS.ERR"),
        (Ring.RX, rx_desc(), done(rx_desc(), 0, DONE | ERR, ErrCode.TOO_LONG), Rule.ERR_CODE,
         "code 6 (TOO_LONG), but it was posted with LEN 2048, and no descriptor posted"),
        (Ring.RX, rx_desc(length=0), done(rx_desc(length=0), 0, DONE | EOP), Rule.ERR_CODE,
         "it must complete with ERR ZERO_LEN"),
        (Ring.RX, rx_desc(), done(rx_desc(), 0, DONE | ERR | EOP, ErrCode.ZERO_LEN),
         Rule.ERR_CODE, "posted with LEN 2048"),
        (Ring.TX, Descriptor(addr=BUF, length=100, ctrl=DescCtrl.EOP),
         done(Descriptor(addr=BUF, length=100, ctrl=DescCtrl.EOP), 99, DONE | EOP),
         Rule.BAD_LENGTH, "WB_LEN 99, but a TX descriptor completes with WB_LEN = LEN 100"),
        (Ring.TX, Descriptor(addr=BUF, length=100), done(Descriptor(addr=BUF, length=100), 100,
                                                         DONE | EOP),
         Rule.EOP_PLACEMENT, "STATUS.EOP 1, but CTRL.EOP 0"),
        (Ring.TX, Descriptor(addr=BUF, length=100), done(Descriptor(addr=BUF, length=100), 0,
                                                         DONE),
         Rule.ZERO_LENGTH, "a TX descriptor completes with WB_LEN = LEN 100"),
        (Ring.TX, Descriptor(addr=BUF, length=100),
         done(Descriptor(addr=BUF, length=100), 100, DONE | ERR, ErrCode.DATA_READ),
         Rule.BAD_LENGTH, "moved no data: WB_LEN must be 0, not 100"),
        (Ring.TX, Descriptor(ctrl=DescCtrl.NOP), done(Descriptor(ctrl=DescCtrl.NOP), 0,
                                                      DONE | ERR, ErrCode.DATA_READ),
         Rule.ERR_CODE, "not one a NOP (it moves no data) can carry"),
        (Ring.TX, Descriptor(ctrl=DescCtrl.NOP), done(Descriptor(ctrl=DescCtrl.NOP), 0,
                                                      DONE | EOP),
         Rule.EOP_PLACEMENT, "a NOP ends no packet"),
    ],
    ids=lambda v: v.name if isinstance(v, Rule | Ring) else "",
)
def test_each_rule(ring: Ring, desc: Descriptor, raw: bytes, rule: Rule, text: str) -> None:
    v = judge_completion(ring, desc, raw)
    assert v is not None and v.rule is rule, v
    assert text in v.detail, v.detail


def test_driver_bytes_name_the_offsets() -> None:
    d = rx_desc()
    raw = bytearray(done(d, 60, DONE | EOP))
    raw[0] ^= 0x40
    raw[9] = 0
    raw[10] = 0
    v = judge_completion(Ring.RX, d, bytes(raw))
    assert v is not None and v.rule is Rule.DRIVER_BYTES
    assert v.detail == "bytes 0,9-10 differ from the posted 00 60 45 23 01 00 00 00 00 08 02 00"


def test_packet_longer_than_the_engine_receives() -> None:
    d = rx_desc()
    v = judge_completion(Ring.RX, d, done(d, 2048, DONE), packet_bytes=MAX_RX_PKT_LEN - 100)
    assert v is not None and v.rule is Rule.EOP_PLACEMENT
    assert f"reaches {MAX_RX_PKT_LEN + 1948} bytes" in v.detail and "no EOP yet" in v.detail


def test_pending_write_is_exactly_as_posted() -> None:
    d = rx_desc()
    assert judge_pending(d, d.pack()) is None
    v = judge_pending(d, done(d, 5, DescStatus.NONE))
    assert v is not None and v.rule is Rule.DRIVER_BYTES and "DONE is clear" in v.detail


def test_describe_shows_whatever_came() -> None:
    raw = done(rx_desc(), 7, DONE | 0x10, 0x33)
    assert describe(raw) == (
        "ADDR 0x123456000 LEN 2048 CTRL IRQ, WB_LEN 7 STATUS DONE|0x10 ERR 51 (undocumented)"
    )
    assert hex_bytes(raw) == "00 60 45 23 01 00 00 00 00 08 02 00 | 07 00 11 33"


# --------------------------------------------------------- the checker on the bus
def make(size_log2: int = 4, stop: bool = False) -> tuple[Host, CompletionChecker, int]:
    """A completion checker alone (the other checkers would want ownership set up), following
    an RX ring of ``2**size_log2`` descriptors."""
    host = Host(memory_size=1 << 30, line_size=LINE, platform="coherent", seed=7)
    chk = CompletionChecker(host=host, log=ViolationLog(stop=stop))
    a = host.alloc(16 << size_log2, cached=True, device_access=Access.READ_WRITE, owner="ring")
    assert a.la is not None
    chk.ring_allocated(Ring.RX, la=a.la, size_log2=size_log2, line_bytes=LINE)
    return host, chk, a.la


def burst(la: int, data: bytes, t: int = 100) -> WriteBurst:
    start = la - la % BEAT
    beats = -(-(la - start + len(data)) // BEAT)
    strobe = np.zeros(beats * BEAT, bool)
    strobe[la - start:la - start + len(data)] = True
    buf = bytearray(beats * BEAT)
    buf[la - start:la - start + len(data)] = data
    return WriteBurst(time_ns=t, axi_id=2, addr=start, beats=beats, beat_bytes=BEAT,
                      data=bytes(buf), strobe=strobe)


def post(suite: CompletionChecker, descs: list[Descriptor], first: int = 0) -> None:
    for k, d in enumerate(descs):
        suite.posted(Ring.RX, first + k, d)


def rules(suite: CompletionChecker) -> list[Rule]:
    return [f.rule for f in suite.log.findings]


def test_line_written_back_twice_then_reclaimed_is_clean() -> None:
    _, suite, ring = make()
    descs = [rx_desc(i) for i in range(4)]
    post(suite, descs)
    first = done(descs[0], 2048, DONE)
    second = done(descs[1], 100, DONE | EOP)
    # the line after WB_DELAY: descriptor 0 done, the rest as fetched
    suite.on_write(burst(ring, first + descs[1].pack() + descs[2].pack() + descs[3].pack()))
    suite.on_write(burst(ring, first + second + descs[2].pack() + descs[3].pack()))
    suite.reclaimed(Ring.RX, 0)
    suite.reclaimed(Ring.RX, 1)
    c2, c3 = done(descs[2], 60, DONE | EOP), done(descs[3], 60, DONE | EOP)
    suite.on_write(burst(ring, first + second + c2 + c3))
    assert rules(suite) == []
    assert suite.descriptor_writes == 12 and suite.completions == 4


def test_finding_names_time_ring_index_addresses_bytes_and_rule() -> None:
    host, suite, ring = make(stop=True)
    d = rx_desc(0)
    post(suite, [d])
    raw = done(d, 0, DONE)
    with pytest.raises(CheckerViolation) as info:
        suite.on_write(burst(ring, raw, t=12406))
    f = info.value.finding
    pa = host.iommu.lookup(ring).phys_spans(0, 1)[0].phys  # type: ignore[union-attr]
    assert f.la == ring and f.pa == pa and f.channel == "write"
    assert str(f) == (
        f"t=12406 ns completion/ZERO_LENGTH: the device completed a descriptor with WB_LEN 0 "
        f"and no status saying why; LA {ring:#x} PA {pa:#x}; owner: RX ring descriptor 0 "
        f"(slot 0, posted, not completed); WB_LEN 0 with STATUS DONE: every buffer the engine "
        f"uses gets at least one byte (LEN 2048); wrote {hex_bytes(raw)} = {describe(raw)}; "
        f"posted: {describe(d.pack())} (write burst ID 2 at {ring:#x} x2)"
    )


def test_done_on_a_slot_never_posted() -> None:
    _, suite, ring = make()
    post(suite, [rx_desc(0)])
    suite.on_write(burst(ring + 16, done(rx_desc(1), 60, DONE | EOP)))
    assert rules(suite) == [Rule.NOT_POSTED]
    f = suite.log.findings[0]
    assert f.owner == "RX ring slot 1 (not posted)" and "next index to post is 1" in f.detail


def test_done_on_a_slot_whose_line_came_back() -> None:
    _, suite, ring = make()
    descs = [rx_desc(i) for i in range(4)]
    post(suite, descs)
    line = b"".join(done(d, 60, DONE | EOP) for d in descs)
    suite.on_write(burst(ring, line))
    for i in range(4):
        suite.reclaimed(Ring.RX, i)
    suite.on_write(burst(ring, line))  # a stale write-back after the line returned
    assert rules(suite) == [Rule.NOT_POSTED] * 4
    assert "its last one, index 0, came back to the driver" in suite.log.findings[0].detail


def test_completion_before_an_earlier_one() -> None:
    _, suite, ring = make()
    descs = [rx_desc(i) for i in range(4)]
    post(suite, descs)
    suite.on_write(burst(ring, done(descs[0], 60, DONE | EOP) + descs[1].pack()
                         + done(descs[2], 60, DONE | EOP) + descs[3].pack()))
    assert rules(suite) == [Rule.OUT_OF_ORDER]
    assert "index 2 completed while index 1" in suite.log.findings[0].detail


def test_completed_descriptor_rewritten_differently() -> None:
    _, suite, ring = make()
    descs = [rx_desc(i) for i in range(4)]
    post(suite, descs)
    suite.on_write(burst(ring, done(descs[0], 60, DONE | EOP)))
    suite.reclaimed(Ring.RX, 0)
    suite.on_write(burst(ring, done(descs[0], 61, DONE | EOP)))
    assert rules(suite) == [Rule.COMPLETION_CHANGED]
    assert "reaped, its line not all returned" in suite.log.findings[0].owner


def test_not_done_write_must_be_as_fetched() -> None:
    _, suite, ring = make()
    post(suite, [rx_desc(0)])
    suite.on_write(burst(ring, done(rx_desc(0), 60, DescStatus.EOP)))
    assert rules(suite) == [Rule.DRIVER_BYTES]


def test_packet_length_runs_across_buffers() -> None:
    _, suite, ring = make()
    descs = [rx_desc(i) for i in range(8)]
    post(suite, descs)
    line = b"".join(done(d, 2048, DONE) for d in descs[:4])
    suite.on_write(burst(ring, line))
    suite.on_write(burst(ring + 64, b"".join(done(d, 2048, DONE) for d in descs[4:])))
    assert rules(suite) == [Rule.EOP_PLACEMENT]  # the eighth full buffer passes 16383 bytes
    assert suite.log.findings[0].owner.startswith("RX ring descriptor 7")


def test_partial_strobes_are_judged_merged_with_the_slot() -> None:
    _, suite, ring = make()
    d = rx_desc(0)
    post(suite, [d])
    suite.on_write(burst(ring + 12, done(d, 60, DONE | EOP)[12:]))  # bytes 12-15 alone
    assert rules(suite) == []


def test_ring_clear_frees_every_slot_and_restarts_order() -> None:
    _, suite, ring = make()
    post(suite, [rx_desc(i) for i in range(4)])
    suite.ring_cleared(Ring.RX)
    post(suite, [rx_desc(9)])
    suite.on_write(burst(ring, done(rx_desc(9), 60, DONE | EOP)))
    assert rules(suite) == []


def test_ledger_refuses_a_post_into_a_live_slot() -> None:
    _, suite, _ = make()
    post(suite, [rx_desc(0)])
    with pytest.raises(TbError, match="posted index 16 into slot 0, which is posted"):
        suite.posted(Ring.RX, 16, rx_desc(0))
    with pytest.raises(TbError, match="reclaimed index 0, but slot 0 is posted, not completed"):
        suite.reclaimed(Ring.RX, 0)
    with pytest.raises(TbError, match="TX ring was not allocated"):
        suite.posted(Ring.TX, 0, rx_desc(0))


def test_writes_outside_rings_are_not_judged() -> None:
    _, suite, ring = make()
    suite.on_write(burst(ring + 16 * 16, b"\xff" * 16))  # just past the ring
    assert suite.descriptor_writes == 0


# ------------------------------------------------------------------ lying device
def test_lying_device_rewrites_and_records_each_lie() -> None:
    asked: list[WriteBurst] = []

    def lie(b: WriteBurst) -> WriteBurst | None:
        asked.append(b)
        if b.addr != 0x1000:
            return None  # the truth
        return WriteBurst(time_ns=b.time_ns, axi_id=b.axi_id, addr=b.addr, beats=b.beats,
                          beat_bytes=b.beat_bytes, data=bytes(len(b.data)), strobe=b.strobe)

    device = LyingDevice(lie)
    b = burst(0x1000, b"\x11" * 16)
    first = device.rewrite(b)
    assert first is not b and first.data == bytes(16) and len(asked) == 1
    truth = burst(0x2000, b"\x22" * 16)
    assert device.rewrite(truth) is truth
    assert device.lies == [(b, first)]


def test_lying_device_keeps_the_size() -> None:
    def grow(b: WriteBurst) -> WriteBurst:
        return WriteBurst(time_ns=b.time_ns, axi_id=b.axi_id, addr=b.addr, beats=b.beats + 1,
                          beat_bytes=b.beat_bytes, data=b.data + bytes(BEAT),
                          strobe=np.concatenate((b.strobe, np.ones(BEAT, bool))))

    with pytest.raises(TbError, match="not its size: x2 of 8 bytes became x3 of 8"):
        LyingDevice(grow).rewrite(burst(0x1000, b"\x11" * 16))
