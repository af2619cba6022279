"""The memory-side bus checkers fire on deliberately broken cases and stay silent on
correct ones (no simulator: bursts are built by hand, the host model is real)."""

from __future__ import annotations

import numpy as np
import pytest

from pymodel.host import Host
from pymodel.iommu import Access
from tb.bus_events import ReadBurst, WriteBurst
from tb.checkers import (
    PARTIAL_DESC_LINE,
    PARTIAL_LINE,
    CheckerSuite,
    CheckerViolation,
    Rule,
)

LINE = 64
BEAT = 8


def make(platform: str = "noncoherent", stop: bool = False) -> tuple[Host, CheckerSuite]:
    host = Host(memory_size=1 << 30, line_size=LINE, platform=platform, seed=7)
    return host, CheckerSuite(host=host, alignment=LINE, stop=stop)


def block(host: Host, suite: CheckerSuite, length: int = 8192, kind: str = "buffers"):  # type: ignore[no-untyped-def]
    a = host.alloc(length, cached=True, device_access=Access.READ_WRITE, owner="test block")
    assert a.la is not None
    suite.ownership.add_block(a.la, length, "test block", kind=kind)
    return a


def read(la: int, beats: int, t: int = 100) -> ReadBurst:
    return ReadBurst(time_ns=t, axi_id=2, addr=la, beats=beats, beat_bytes=BEAT)


def write(la: int, data: bytes, t: int = 100) -> WriteBurst:
    """A write burst storing exactly ``data`` at ``la`` (partial strobes at the ends)."""
    start = la - la % BEAT
    beats = -(-(la - start + len(data)) // BEAT)
    strobe = np.zeros(beats * BEAT, bool)
    strobe[la - start:la - start + len(data)] = True
    buf = bytearray(beats * BEAT)
    buf[la - start:la - start + len(data)] = data
    return WriteBurst(time_ns=t, axi_id=0, addr=start, beats=beats, beat_bytes=BEAT,
                      data=bytes(buf), strobe=strobe)


def rules(suite: CheckerSuite) -> list[Rule]:
    return [f.rule for f in suite.log.findings]


# ------------------------------------------------------------------ translation
def test_not_mapped_names_nearest_mapping() -> None:
    host, suite = make()
    a = block(host, suite)
    suite.on_read(read(0x7_0000_0000, 4))
    assert rules(suite) == [Rule.NOT_MAPPED]
    f = suite.log.findings[0]
    assert "nearest live mapping 'test block'" in f.owner and f.la == 0x7_0000_0000
    assert a.la is not None


def test_truncated_32_bit_address_is_not_mapped() -> None:
    host, suite = make()
    a = block(host, suite)
    assert a.la is not None and a.la >= 1 << 32
    suite.ownership.hand_to_device(a.la, 64, Access.READ)
    suite.on_read(read(a.la & 0xFFFF_FFFF, 8))
    assert rules(suite) == [Rule.NOT_MAPPED]


def test_use_after_free_says_when_freed() -> None:
    host, suite = make()
    a = block(host, suite)
    assert a.la is not None
    host.now = 5000
    host.free(a.va)
    suite.on_write(write(a.la + 64, b"x" * 16, t=6000))
    f = suite.log.findings[0]
    assert f.rule is Rule.USE_AFTER_FREE and "freed at t=5000 ns" in f.owner


def test_past_end_of_mapping() -> None:
    host, suite = make()
    a = block(host, suite, length=4096)
    assert a.la is not None
    suite.ownership.hand_to_device(a.la, 4096, Access.READ)
    suite.on_read(read(a.la + 4096 - 32, 8))
    f = suite.log.findings[0]
    assert f.rule is Rule.PAST_END and "runs 32 bytes past" in f.detail


def test_read_needs_bytes_handed_over_for_reading() -> None:
    host, suite = make()
    a = block(host, suite)
    assert a.la is not None
    suite.on_read(read(a.la, 8))
    assert rules(suite) == [Rule.PERMISSION]
    assert "beat 0 holds no byte handed to the device for reading" in suite.log.findings[0].detail
    suite.log.findings.clear()
    suite.ownership.hand_to_device(a.la, 64, Access.READ)
    suite.on_read(read(a.la + 3, 8))  # an unaligned start still lies on handed-over beats
    assert rules(suite) == []
    suite.on_read(read(a.la, 9))  # the ninth beat is the driver's
    assert rules(suite) == [Rule.PERMISSION]


def test_write_to_read_only_buffer_is_a_permission_fault() -> None:
    host, suite = make()
    a = block(host, suite)
    assert a.la is not None
    suite.ownership.hand_to_device(a.la, 128, Access.READ)
    suite.on_write(write(a.la, b"y" * 64))
    f = suite.log.findings[0]
    assert f.rule is Rule.PERMISSION and "wrote 64 bytes not handed" in f.detail
    assert "owned by DEVICE_READ" in f.owner


def test_correct_write_is_silent_and_taken_back_write_fires() -> None:
    host, suite = make()
    a = block(host, suite)
    assert a.la is not None
    suite.ownership.hand_to_device(a.la, 128, Access.WRITE)
    suite.on_write(write(a.la, b"z" * 128))
    assert rules(suite) == []
    suite.ownership.take_back(a.la, 128)
    suite.on_write(write(a.la, b"z" * 128))
    assert Rule.PERMISSION in rules(suite)


# ---------------------------------------------------------------------- tearing
def test_shared_line_names_the_cpu_owned_bytes() -> None:
    host, suite = make()
    a = block(host, suite)
    assert a.la is not None
    suite.ownership.name(a.la + 32, 32, "driver data")
    suite.ownership.hand_to_device(a.la, 32, Access.WRITE, check_alignment=False)
    suite.on_write(write(a.la, b"q" * 32))
    f = suite.log.findings[0]
    assert f.rule is Rule.SHARED_LINE
    assert "bytes [32-63] belong to the CPU" in f.detail and "driver data" in f.owner
    assert f.pa is not None and f.pa % LINE == 0


def test_dirty_line_names_the_write_that_will_be_lost() -> None:
    host, suite = make()
    a = block(host, suite)
    assert a.la is not None
    host.cpu_write(a.va + 8, b"cpu!")  # the driver scribbles and never flushes
    suite.ownership.hand_to_device(a.la, 64, Access.WRITE)
    suite.on_write(write(a.la, b"d" * 64, t=777))
    f = suite.log.findings[0]
    assert f.rule is Rule.DIRTY_LINE
    assert "bytes [8-11]" in f.detail and "write of bytes [0-63] at t=777 ns" in f.detail


def test_whole_line_write_to_device_owned_line_is_silent() -> None:
    host, suite = make()
    a = block(host, suite, kind="ring")
    assert a.la is not None
    suite.ownership.hand_to_device(a.la, 256, Access.READ_WRITE)
    suite.on_write(write(a.la + 64, b"w" * 128))
    assert rules(suite) == [] and suite.log.notes == {}


def test_coherent_partial_lines_are_counted_not_violations() -> None:
    host, suite = make("coherent")
    a = block(host, suite, kind="ring")
    assert a.la is not None
    suite.ownership.hand_to_device(a.la, 32, Access.READ_WRITE, check_alignment=False)
    host.cpu_write(a.va + 40, b"dirty")
    suite.on_write(write(a.la, b"p" * 32))
    assert rules(suite) == []
    assert suite.log.notes == {PARTIAL_LINE: 1, PARTIAL_DESC_LINE: 1}


def test_unaligned_buffer_is_reported_at_hand_over() -> None:
    _host, suite = make()
    a = block(_host, suite)
    assert a.la is not None
    suite.ownership.hand_to_device(a.la + 8, 64, Access.READ)
    suite.ownership.hand_to_device(a.la + 64, 100, Access.WRITE)  # ends mid-line
    assert rules(suite) == [Rule.ALIGNMENT, Rule.ALIGNMENT]
    assert "start 8 / end 8 bytes off the 64-byte alignment" in suite.log.findings[0].detail


# -------------------------------------------------------------------- coherence
def test_stale_device_read_when_flush_is_skipped() -> None:
    host, suite = make()
    a = block(host, suite)
    assert a.la is not None
    host.cpu_write(a.va, b"packet data" * 10)
    suite.ownership.hand_to_device(a.la, 128, Access.READ)
    suite.on_read(read(a.la, 16))
    f = suite.log.findings[0]
    assert f.rule is Rule.STALE_DEVICE_READ and "dirty in the CPU cache" in f.detail


def test_flushed_data_reads_clean() -> None:
    host, suite = make()
    a = block(host, suite)
    assert a.la is not None
    host.cpu_write(a.va, b"packet data" * 10)
    host.flush(a.va, 128, to_device=True)
    suite.ownership.hand_to_device(a.la, 128, Access.READ)
    suite.on_read(read(a.la, 16))
    assert rules(suite) == []


def test_stale_cpu_read_without_invalidate() -> None:
    host, suite = make()
    a = block(host, suite)
    assert a.la is not None
    host.cpu_read(a.va, 64)  # the line is cached from an earlier look
    host.dma_write(a.la, b"new packet".ljust(64, b"."))
    host.cpu_read(a.va, 64)  # ... and read again without NdisFlushBuffer(..., FALSE)
    assert rules(suite) == [Rule.STALE_CPU_READ]
    assert "cpu_read of VA" in suite.log.findings[0].detail


def test_invalidated_read_is_clean() -> None:
    host, suite = make()
    a = block(host, suite)
    assert a.la is not None
    host.cpu_read(a.va, 64)
    host.dma_write(a.la, b"new packet".ljust(64, b"."))
    host.flush(a.va, 64, to_device=False)
    assert host.cpu_read(a.va, 10) == b"new packet"
    assert rules(suite) == []


def test_invalidate_discarding_cpu_data() -> None:
    host, suite = make()
    a = block(host, suite)
    host.cpu_write(a.va, b"unflushed")
    host.flush(a.va, 64, to_device=False)
    assert rules(suite) == [Rule.DIRTY_DISCARD]


def test_write_back_over_device_data_is_a_lost_write() -> None:
    host, suite = make()
    a = block(host, suite)
    assert a.la is not None
    host.cpu_read(a.va, 64)                    # line cached clean
    host.dma_write(a.la, b"D" * 16)            # device completes descriptor 0
    host.cpu_write(a.va + 32, b"next desc")    # CPU writes descriptor 2 into its stale copy
    host.flush(a.va, 64, to_device=True)       # ... and flushes the whole line
    assert rules(suite) == [Rule.LOST_DEVICE_WRITE]


# ------------------------------------------------------------------- stop mode
def test_stop_mode_raises_with_time_rule_and_addresses() -> None:
    host, suite = make(stop=True)
    a = block(host, suite)
    assert a.la is not None
    with pytest.raises(CheckerViolation) as info:
        suite.on_read(read(a.la, 8, t=4242))
    text = str(info.value)
    assert text.startswith("t=4242 ns translation/PERMISSION")
    assert f"LA {a.la:#x}" in text and "PA 0x" in text and "owner: test block" in text
