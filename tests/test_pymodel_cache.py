"""Cache: write-back lines, coherent and noncoherent platforms, coherence events."""

from __future__ import annotations

import numpy as np
import pytest

from pymodel import (
    Cache,
    Clock,
    CoherenceError,
    CoherenceEvent,
    CoherenceKind,
    ConfigError,
    LineState,
    PhysicalMemory,
    Platform,
)

MiB = 1 << 20
BASE = 0x10_0000  # a line-aligned physical address


def make(platform: str = "noncoherent", **kw: object) -> Cache:
    mem = PhysicalMemory(size=4 * MiB, seed=0)
    mem.write(BASE, bytes(8192))  # known contents: zeros
    return Cache(memory=mem, clock=Clock(), platform=platform, **kw)  # type: ignore[arg-type]


def kinds(cache: Cache) -> list[CoherenceKind]:
    return [e.kind for e in cache.events]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"line_size": 48}, "line_size must be 32, 64 or 128, not 48"),
        ({"platform": "arm"}, "platform must be 'coherent' or 'noncoherent', not 'arm'"),
        ({"capacity_lines": 10}, r"capacity_lines must be at least one page \(64 lines\), not 10"),
    ],
)
def test_bad_configuration(kw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make(**kw)


# ----------------------------------------------------------------- coherent
def test_coherent_device_read_snoops_dirty_bytes() -> None:
    c = make("coherent")
    c.cpu_write(BASE + 3, b"abc")
    assert c.memory.read(BASE + 3, 3).tobytes() == b"\0\0\0"  # write-back: not in memory yet
    assert c.device_read(BASE, 8).tobytes() == b"\0\0\0abc\0\0"
    assert c.events == []


def test_coherent_device_write_updates_the_cached_copy() -> None:
    c = make("coherent")
    c.cpu_write(BASE, b"xxxx")
    c.device_write(BASE + 2, b"DD")
    assert c.cpu_read(BASE, 4).tobytes() == b"xxDD"
    assert c.dirty_bytes(BASE) == 0b0011
    c.flush(BASE, 64, to_device=True)
    assert c.memory.read(BASE, 4).tobytes() == b"xxDD"
    assert c.events == []


def test_coherent_invalidate_is_a_noop() -> None:
    c = make("coherent")
    c.cpu_write(BASE, b"keep")
    c.flush(BASE, 64, to_device=False)
    assert c.cpu_read(BASE, 4).tobytes() == b"keep"
    assert c.events == []


# -------------------------------------------------------------- noncoherent
def test_noncoherent_stale_device_read_is_recorded_with_dirty_bytes() -> None:
    c = make()
    c.clock.now = 70
    c.clock.tick()
    c.cpu_write(BASE + 64 + 5, b"hi")
    data = c.device_read(BASE + 64, 16)
    assert data.tobytes() == bytes(16)  # the device saw memory only
    (ev,) = c.events
    assert ev == CoherenceEvent(
        kind=CoherenceKind.STALE_DEVICE_READ,
        line=BASE + 64,
        mask=0b110_0000,
        time=70,
        seq=1,
        cause="device read",
    )
    assert ev.offsets == (5, 6)
    assert "STALE_DEVICE_READ at t=70 ns (op #1)" in str(ev) and "bytes [5, 6]" in str(ev)


def test_noncoherent_flush_before_device_read_is_clean() -> None:
    c = make()
    c.cpu_write(BASE, b"payload")
    c.flush(BASE, 7, to_device=True)
    assert c.device_read(BASE, 7).tobytes() == b"payload"
    assert c.events == []
    assert c.is_cached(BASE) and c.dirty_bytes(BASE) == 0


def test_noncoherent_stale_cpu_read_after_device_write() -> None:
    c = make()
    assert c.cpu_read(BASE, 8).tobytes() == bytes(8)  # line filled
    c.device_write(BASE + 4, b"NEW!")
    assert c.device_written_bytes(BASE) == 0xF0
    assert c.cpu_read(BASE, 8).tobytes() == bytes(8)  # stale copy
    (ev,) = c.events
    assert ev.kind is CoherenceKind.STALE_CPU_READ and ev.mask == 0xF0


def test_noncoherent_invalidate_before_cpu_read_is_clean() -> None:
    c = make()
    c.cpu_read(BASE, 8)
    c.device_write(BASE + 4, b"NEW!")
    c.flush(BASE, 8, to_device=False)
    assert c.cpu_read(BASE, 8).tobytes() == b"\0\0\0\0NEW!"
    assert c.events == []


def test_device_write_to_uncached_line_is_not_an_event() -> None:
    c = make()
    c.device_write(BASE, b"abcd")
    assert c.cpu_read(BASE, 4).tobytes() == b"abcd"
    assert c.events == []


def test_lost_device_write_when_a_dirty_line_is_written_back() -> None:
    c = make()
    c.cpu_write(BASE, b"C")  # CPU dirties byte 0 of the line
    c.device_write(BASE + 32, b"DEV")  # device writes bytes 32..34 of the same line
    c.flush(BASE, 1, to_device=True)  # whole-line write-back clobbers them
    (ev,) = c.events
    assert ev.kind is CoherenceKind.LOST_DEVICE_WRITE
    assert ev.offsets == (32, 33, 34) and ev.cause == "flush to device"
    assert c.memory.read(BASE + 32, 3).tobytes() == bytes(3)


def test_cpu_write_supersedes_device_write() -> None:
    c = make()
    c.cpu_read(BASE, 1)
    c.device_write(BASE, b"dd")
    c.cpu_write(BASE, b"cc")
    assert c.cpu_read(BASE, 2).tobytes() == b"cc"
    c.flush(BASE, 2, to_device=True)
    assert c.events == []


def test_invalidate_discarding_dirty_bytes() -> None:
    c = make()
    c.cpu_write(BASE + 10, b"lost")
    c.flush(BASE, 64, to_device=False)
    (ev,) = c.events
    assert ev.kind is CoherenceKind.DIRTY_DISCARD and ev.offsets == (10, 11, 12, 13)
    assert c.cpu_read(BASE + 10, 4).tobytes() == bytes(4)
    assert not c.is_cached(BASE + 64)


def test_partial_line_invalidate_reaches_neighbour_bytes() -> None:
    """Flushing 8 bytes invalidates the whole line, with a neighbour's dirty bytes."""
    c = make()
    c.cpu_write(BASE + 40, b"neighbour")
    c.flush(BASE, 8, to_device=False)
    assert [e.offsets for e in c.events] == [tuple(range(40, 49))]


def test_strict_cache_raises_coherence_error() -> None:
    c = make(strict=True)
    c.cpu_write(BASE, b"x")
    with pytest.raises(
        CoherenceError, match=r"STALE_DEVICE_READ .* line PA 0x100000, bytes \[0\]"
    ):
        c.device_read(BASE, 4)


def test_observers_see_events() -> None:
    c = make()
    seen: list[CoherenceEvent] = []
    c.observers.append(seen.append)
    c.cpu_write(BASE, b"x")
    c.device_read(BASE, 1)
    assert seen == c.events


# -------------------------------------------------------------------- queries
@pytest.mark.parametrize("line", [32, 64, 128])
def test_queries_follow_line_size(line: int) -> None:
    c = make(line_size=line)
    c.cpu_write(BASE + line + 1, b"ab")
    assert c.lines_in_range(BASE, 3 * line) == (BASE + line,)
    assert c.is_cached(BASE + line) and not c.is_cached(BASE)
    assert c.dirty_bytes(BASE + line) == 0b110
    assert c.line_state(BASE + line + 7) == LineState(
        line=BASE + line, dirty=0b110, device_written=0
    )
    assert c.line_state(BASE) is None
    assert c.cached_lines == 1


def test_write_spanning_pages_and_lines() -> None:
    c = make()
    data = np.arange(6000, dtype=np.uint32).view(np.uint8)[:6000]
    c.cpu_write(BASE + 4000, data)
    assert c.cpu_read(BASE + 4000, 6000).tobytes() == data.tobytes()
    c.flush(BASE + 4000, 6000, to_device=True)
    assert c.memory.read(BASE + 4000, 6000).tobytes() == data.tobytes()
    assert c.events == []


def test_masked_device_write_marks_only_enabled_bytes() -> None:
    c = make()
    c.cpu_read(BASE, 8)
    mask = np.array([0, 1, 0, 1, 0, 0, 0, 0], dtype=bool)
    c.device_write(BASE, b"ABCDEFGH", mask)
    assert c.device_written_bytes(BASE) == 0b1010
    assert c.memory.read(BASE, 4).tobytes() == b"\0B\0D"


# ------------------------------------------------------------------- capacity
def test_eviction_writes_back_dirty_lines() -> None:
    c = make(capacity_lines=64, seed=1)
    c.cpu_write(BASE, bytes([7]) * 4096)  # 64 dirty lines: full
    c.cpu_read(BASE + 4096, 1)  # one more line: a victim is written back
    assert c.cached_lines == 64
    written = c.memory.read(BASE, 4096)
    assert (written == 7).sum() == 64  # exactly one whole line reached memory
    assert c.events == []


def test_eviction_can_lose_a_device_write() -> None:
    c = make(capacity_lines=64, seed=2)
    c.cpu_write(BASE, bytes(4096))  # all 64 lines dirty
    c.device_write(BASE, np.full(4096, 9, dtype=np.uint8))  # device writes under every line
    c.cpu_read(BASE + 4096, 1)  # evicts one dirty line over the device data
    (ev,) = c.events
    assert ev.kind is CoherenceKind.LOST_DEVICE_WRITE and ev.cause == "eviction"
    assert ev.mask == (1 << 64) - 1


def test_purge_drops_lines_silently() -> None:
    c = make()
    c.cpu_write(BASE, b"bye")
    c.device_write(BASE + 8, b"dev")
    c.purge(BASE, 4096)
    assert c.cached_lines == 0 and c.events == []
    assert c.memory.read(BASE, 3).tobytes() == b"bye"


def test_platform_enum() -> None:
    assert make("coherent").platform is Platform.COHERENT
    assert make(Platform.NONCOHERENT).coherent is False


def test_any_dirty_names_a_range_holding_a_dirty_byte() -> None:
    """The tearing checker's fast path: one question per burst, exact to the line."""
    c = make()
    assert not c.any_dirty(BASE, 8192)
    c.cpu_write(BASE + 4096 + 70, b"d")  # line 1 of the second page
    assert c.any_dirty(BASE, 8192) and c.any_dirty(BASE + 4096 + 64, 64)
    assert not c.any_dirty(BASE + 4096, 64) and not c.any_dirty(BASE + 4096 + 128, 1024)
    assert not c.any_dirty(BASE, 4096)
    c.flush(BASE + 4096, 4096, to_device=True)  # written back: cached, clean
    assert not c.any_dirty(BASE, 8192)
