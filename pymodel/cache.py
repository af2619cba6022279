"""CPU data cache: write-back lines over physical memory, coherent or not.

The cache holds, per line, the CPU's copy of the data and a per-byte dirty
mask.  A write-back writes the whole line (as hardware does), which is what
makes cache-line sharing between CPU and device data dangerous.

Platforms
    ``coherent`` (x86/x64): device reads snoop dirty lines and see the CPU's
    bytes; device writes update memory and the cached copy.  ``flush`` to the
    device writes dirty lines back; flush from the device is a no-op.
    ``noncoherent``: the device sees only memory.  The driver must flush dirty
    lines before the device reads, and invalidate before the CPU reads what the
    device wrote.

Coherence events (recorded in ``events``; raised as ``CoherenceError`` only
with ``strict=True``)
    ``STALE_DEVICE_READ``  the device read bytes the CPU holds dirty;
    ``STALE_CPU_READ``     the CPU read cached bytes the device wrote in memory
                           after the line was filled;
    ``LOST_DEVICE_WRITE``  a dirty line was written back over bytes the device
                           wrote after the line was filled;
    ``DIRTY_DISCARD``      an invalidate threw away dirty CPU bytes.
A CPU write to a byte supersedes an earlier device write to it (it is no
longer reported as stale or lost).

Storage: a cached line costs no data copy while it equals memory; the copy is
made when the CPU dirties the line or, on a noncoherent platform, just before
the device writes memory under it.  Capacity is unlimited unless
``capacity_lines`` is given; then a seeded random victim is evicted, dirty
victims written back first.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pymodel.clock import Clock
from pymodel.errors import CoherenceError, ConfigError
from pymodel.memory import U8, PhysicalMemory, as_u8
from pymodel.records import CoherenceEvent, CoherenceKind

__all__ = [
    "Cache",
    "CoherenceEvent",
    "CoherenceKind",
    "LineState",
    "Platform",
]

Bools = npt.NDArray[np.bool_]


class Platform(enum.StrEnum):
    """Whether device DMA is snooped by the CPU cache."""

    COHERENT = "coherent"
    NONCOHERENT = "noncoherent"


def _mask_to_int(bools: Bools) -> int:
    """Bit i set when byte i of the line is flagged."""
    return int.from_bytes(np.packbits(bools, bitorder="little").tobytes(), "little")


@dataclass(frozen=True, kw_only=True)
class LineState:
    """Snapshot of one cached line: dirty bytes and bytes the device wrote since fill."""

    line: int
    dirty: int
    device_written: int


class _CPage:
    """Cached lines of one physical page."""

    __slots__ = ("data", "devw", "dirty", "valid")

    def __init__(self, lines: int) -> None:
        self.valid: Bools = np.zeros(lines, dtype=bool)
        self.data: U8 | None = None
        self.dirty: Bools | None = None
        self.devw: Bools | None = None


class Cache:
    """Write-back CPU data cache in front of ``memory``."""

    def __init__(
        self,
        *,
        memory: PhysicalMemory,
        clock: Clock,
        line_size: int = 64,
        platform: Platform | str = Platform.COHERENT,
        capacity_lines: int | None = None,
        seed: int = 0,
        strict: bool = False,
    ) -> None:
        if line_size not in (32, 64, 128):
            raise ConfigError(f"line_size must be 32, 64 or 128, not {line_size}")
        try:
            self.platform = Platform(platform)
        except ValueError:
            raise ConfigError(
                f"platform must be 'coherent' or 'noncoherent', not {platform!r}"
            ) from None
        self.memory = memory
        self.clock = clock
        self.line_size = line_size
        self.page_size = memory.page_size
        self._lpp = self.page_size // line_size
        if capacity_lines is not None and capacity_lines < self._lpp:
            raise ConfigError(
                f"capacity_lines must be at least one page ({self._lpp} lines), "
                f"not {capacity_lines}"
            )
        self.capacity_lines = capacity_lines
        self.strict = strict
        self._pages: dict[int, _CPage] = {}
        self._count = 0
        self._rng = random.Random(f"pymodel-cache-{seed}")
        self._order: list[int] = []  # line numbers, only with a capacity
        self._pos: dict[int, int] = {}
        #: Every coherence event, in order.
        self.events: list[CoherenceEvent] = []
        #: Called with each new event.
        self.observers: list[Callable[[CoherenceEvent], None]] = []

    @property
    def coherent(self) -> bool:
        """True on a coherent (snooping) platform."""
        return self.platform is Platform.COHERENT

    @property
    def cached_lines(self) -> int:
        """Number of lines currently cached."""
        return self._count

    # ---------------------------------------------------------------- helpers
    def _chunks(self, phys: int, n: int) -> list[tuple[int, int, int, int]]:
        """``(frame, offset_in_page, length, position_in_buffer)`` per page touched."""
        ps = self.page_size
        out = []
        frame, off = divmod(phys, ps)
        pos = 0
        while pos < n:
            ln = min(ps - off, n - pos)
            out.append((frame, off, ln, pos))
            pos += ln
            frame += 1
            off = 0
        return out

    def _record(self, kind: CoherenceKind, line: int, bools: Bools, cause: str) -> None:
        ev = CoherenceEvent(
            kind=kind,
            line=line,
            mask=_mask_to_int(bools),
            time=self.clock.now,
            seq=self.clock.seq,
            cause=cause,
        )
        self.events.append(ev)
        for obs in self.observers:
            obs(ev)

    def _line_events(
        self, kind: CoherenceKind, frame: int, off: int, flags: Bools, cause: str
    ) -> None:
        """Record one event per line that has a flagged byte in ``flags`` (at ``off``)."""
        L = self.line_size
        l0 = off // L
        l1 = (off + len(flags) - 1) // L + 1
        full = np.zeros((l1 - l0) * L, dtype=bool)
        full[off - l0 * L : off - l0 * L + len(flags)] = flags
        rows = full.reshape(-1, L)
        for r in np.flatnonzero(rows.any(axis=1)):
            line = frame * self.page_size + (l0 + int(r)) * L
            self._record(kind, line, rows[r], cause)

    def _finish(self, first_event: int) -> None:
        if self.strict and len(self.events) > first_event:
            raise CoherenceError(self.events[first_event])

    def _materialize(self, frame: int, p: _CPage) -> None:
        """Give the page a data copy (equal to memory for every valid line)."""
        if p.data is None:
            p.data = self.memory.read(frame * self.page_size, self.page_size)
        if p.dirty is None:
            p.dirty = np.zeros(self.page_size, dtype=bool)

    def _release(self, frame: int, p: _CPage) -> None:
        """Drop the data copy when it equals memory; drop the page when empty."""
        clean = (p.dirty is None or not p.dirty.any()) and (p.devw is None or not p.devw.any())
        if p.data is not None and clean:
            p.data = p.dirty = p.devw = None
        if p.data is None and not p.valid.any():
            self._pages.pop(frame, None)

    def _valid_bytes(self, p: _CPage, off: int, ln: int) -> Bools:
        """Per byte of ``[off, off+ln)``: is its line cached?"""
        L = self.line_size
        l0 = off // L
        l1 = (off + ln - 1) // L + 1
        rep = np.repeat(p.valid[l0:l1], L)
        return rep[off - l0 * L : off - l0 * L + ln]

    def _fill(self, frame: int, p: _CPage, l0: int, l1: int) -> None:
        """Make lines ``l0..l1-1`` of the page valid, reading memory as needed."""
        missing = ~p.valid[l0:l1]
        k = int(missing.sum())
        if not k:
            return
        if self.capacity_lines is not None:
            self._make_room(k, frame, l0, l1)
            self._pages[frame] = p
        L = self.line_size
        if p.data is not None:
            base = frame * self.page_size + l0 * L
            sel = np.repeat(missing, L)
            p.data[l0 * L : l1 * L][sel] = self.memory.read(base, (l1 - l0) * L)[sel]
        new = np.flatnonzero(missing) + l0
        p.valid[new] = True
        self._count += k
        if self.capacity_lines is not None:
            for li in new.tolist():
                line_no = frame * self._lpp + li
                self._pos[line_no] = len(self._order)
                self._order.append(line_no)

    def _forget(self, frame: int, lines: list[int]) -> None:
        """Remove invalidated lines from the eviction order."""
        if self.capacity_lines is None:
            return
        for li in lines:
            line_no = frame * self._lpp + li
            i = self._pos.pop(line_no)
            last = self._order.pop()
            if last != line_no:
                self._order[i] = last
                self._pos[last] = i

    def _make_room(self, k: int, frame: int, l0: int, l1: int) -> None:
        assert self.capacity_lines is not None
        while self._count + k > self.capacity_lines:
            line_no = self._order[self._rng.randrange(len(self._order))]
            vf, vl = divmod(line_no, self._lpp)
            if vf == frame and l0 <= vl < l1:
                continue
            vp = self._pages[vf]
            self._writeback(vf, vp, np.array([vl]), "eviction")
            self._invalidate(vf, vp, [vl])
            self._release(vf, vp)

    def _writeback(self, frame: int, p: _CPage, lines: npt.NDArray[np.intp], cause: str) -> None:
        """Write back the dirty ones among ``lines`` (whole lines) and mark them clean.

        Works on the window of the page from the first to the last of ``lines`` only (a
        flush of one packet buffer or descriptor line touches a few lines of a page).
        """
        if p.dirty is None or p.data is None or not len(lines):
            return
        L = self.line_size
        l0, l1 = int(lines.min()), int(lines.max()) + 1
        lo, hi = l0 * L, l1 * L
        chosen = np.zeros(l1 - l0, dtype=bool)
        chosen[lines - l0] = True
        back = chosen & p.dirty[lo:hi].reshape(-1, L).any(axis=1)
        if not back.any():
            return
        if p.devw is not None:
            devw = p.devw[lo:hi].reshape(-1, L)
            for li in np.flatnonzero(back & devw.any(axis=1)).tolist():
                line = frame * self.page_size + (l0 + li) * L
                self._record(CoherenceKind.LOST_DEVICE_WRITE, line, devw[li].copy(), cause)
                devw[li] = False
        byte_mask = np.repeat(back, L)
        self.memory.write(frame * self.page_size + lo, p.data[lo:hi], byte_mask)
        p.dirty[lo:hi][byte_mask] = False

    def _invalidate(self, frame: int, p: _CPage, lines: list[int]) -> None:
        """Drop ``lines`` (which must be valid) without writing them back."""
        L = self.line_size
        for li in lines:
            p.valid[li] = False
            if p.dirty is not None:
                p.dirty[li * L : li * L + L] = False
            if p.devw is not None:
                p.devw[li * L : li * L + L] = False
        self._count -= len(lines)
        self._forget(frame, lines)

    # --------------------------------------------------------------- CPU side
    def cpu_read(self, phys: int, n: int) -> U8:
        """CPU load of ``n`` bytes at ``phys`` through the cache (fills lines)."""
        first = len(self.events)
        out = np.empty(n, dtype=np.uint8)
        L = self.line_size
        for frame, off, ln, pos in self._chunks(phys, n):
            p = self._pages.get(frame)
            if p is None:
                p = self._pages[frame] = _CPage(self._lpp)
            self._fill(frame, p, off // L, (off + ln - 1) // L + 1)
            if p.devw is not None:
                stale = p.devw[off : off + ln]
                if stale.any():
                    self._line_events(CoherenceKind.STALE_CPU_READ, frame, off, stale, "CPU read")
            if p.data is None:
                out[pos : pos + ln] = self.memory.read(frame * self.page_size + off, ln)
            else:
                out[pos : pos + ln] = p.data[off : off + ln]
        self._finish(first)
        return out

    def cpu_write(self, phys: int, data: bytes | bytearray | memoryview | U8) -> None:
        """CPU store at ``phys`` (write-allocate, write-back: memory is not updated)."""
        src = as_u8(data)
        L = self.line_size
        for frame, off, ln, pos in self._chunks(phys, len(src)):
            p = self._pages.get(frame)
            if p is None:
                p = self._pages[frame] = _CPage(self._lpp)
            self._fill(frame, p, off // L, (off + ln - 1) // L + 1)
            self._materialize(frame, p)
            assert p.data is not None and p.dirty is not None
            p.data[off : off + ln] = src[pos : pos + ln]
            p.dirty[off : off + ln] = True
            if p.devw is not None:
                p.devw[off : off + ln] = False

    def flush(self, phys: int, n: int, *, to_device: bool) -> None:
        """KeFlushIoBuffers on the lines covering ``[phys, phys+n)``.

        ``to_device``: write dirty lines back (they stay cached, clean).
        Otherwise, on a noncoherent platform, invalidate the lines so the CPU
        re-reads memory (dirty bytes are discarded and reported); on a coherent
        platform that direction is a no-op.
        """
        if n <= 0 or (self.coherent and not to_device):
            return
        first = len(self.events)
        L = self.line_size
        for frame, off, ln, _pos in self._chunks(phys, n):
            p = self._pages.get(frame)
            if p is None:
                continue
            l0, l1 = off // L, (off + ln - 1) // L + 1
            lines = np.flatnonzero(p.valid[l0:l1]) + l0
            if to_device:
                self._writeback(frame, p, lines, "flush to device")
            else:
                if p.dirty is not None:
                    for li in lines.tolist():
                        d = p.dirty[li * L : li * L + L]
                        if d.any():
                            line = frame * self.page_size + li * L
                            self._record(
                                CoherenceKind.DIRTY_DISCARD, line, d.copy(), "flush from device"
                            )
                self._invalidate(frame, p, lines.tolist())
            self._release(frame, p)
        self._finish(first)

    def purge(self, phys: int, n: int) -> None:
        """Write back and drop every line of the range, silently (memory being freed)."""
        if not self._pages:
            return
        L = self.line_size
        for frame, off, ln, _pos in self._chunks(phys, n):
            p = self._pages.get(frame)
            if p is None:
                continue
            lines = np.flatnonzero(p.valid[off // L : (off + ln - 1) // L + 1]) + off // L
            if p.devw is not None:
                for li in lines.tolist():
                    p.devw[li * L : li * L + L] = False  # being freed: nothing is lost
            self._writeback(frame, p, lines, "purge")
            self._invalidate(frame, p, lines.tolist())
            self._release(frame, p)

    # ------------------------------------------------------------ device side
    def device_read(self, phys: int, n: int) -> U8:
        """Device read of ``n`` bytes at ``phys`` (snoops dirty lines when coherent)."""
        out = self.memory.read(phys, n)
        if not self._pages:
            return out
        first = len(self.events)
        for frame, off, ln, pos in self._chunks(phys, n):
            p = self._pages.get(frame)
            if p is None or p.dirty is None or p.data is None:
                continue
            d = p.dirty[off : off + ln]
            if not d.any():
                continue
            if self.coherent:
                out[pos : pos + ln][d] = p.data[off : off + ln][d]
            else:
                self._line_events(
                    CoherenceKind.STALE_DEVICE_READ, frame, off, d.copy(), "device read"
                )
        self._finish(first)
        return out

    def device_write(
        self,
        phys: int,
        data: bytes | bytearray | memoryview | U8,
        mask: Bools | None = None,
    ) -> None:
        """Device write at ``phys``; with ``mask`` only bytes whose mask is True."""
        src = as_u8(data)
        if self._pages:
            for frame, off, ln, pos in self._chunks(phys, len(src)):
                p = self._pages.get(frame)
                if p is None:
                    continue
                hit = self._valid_bytes(p, off, ln)
                if mask is not None:
                    hit = hit & mask[pos : pos + ln]
                if not hit.any():
                    continue
                if self.coherent:
                    if p.data is not None and p.dirty is not None:
                        p.data[off : off + ln][hit] = src[pos : pos + ln][hit]
                        p.dirty[off : off + ln][hit] = False
                        self._release(frame, p)
                else:
                    self._materialize(frame, p)  # snapshot the CPU's (now stale) view
                    if p.devw is None:
                        p.devw = np.zeros(self.page_size, dtype=bool)
                    p.devw[off : off + ln] |= hit
        self.memory.write(phys, src, mask)

    # ---------------------------------------------------------------- queries
    def _line(self, phys: int) -> tuple[int, _CPage | None, int]:
        frame, off = divmod(phys, self.page_size)
        return frame, self._pages.get(frame), off // self.line_size

    def is_cached(self, phys: int) -> bool:
        """True when the line holding ``phys`` is in the cache."""
        _frame, p, li = self._line(phys)
        return p is not None and bool(p.valid[li])

    def dirty_bytes(self, phys_line: int) -> int:
        """Dirty-byte mask (bit i = byte i) of the line holding ``phys_line``; 0 if not cached."""
        _frame, p, li = self._line(phys_line)
        if p is None or p.dirty is None or not p.valid[li]:
            return 0
        L = self.line_size
        return _mask_to_int(p.dirty[li * L : li * L + L])

    def any_dirty(self, phys: int, n: int) -> bool:
        """True when a cached line overlapping ``[phys, phys+n)`` holds a dirty byte."""
        L = self.line_size
        for frame, off, ln, _pos in self._chunks(phys, n):
            p = self._pages.get(frame)
            if p is None or p.dirty is None:
                continue
            l0, l1 = off // L, (off + ln - 1) // L + 1
            valid = p.valid[l0:l1]
            if valid.any() and (p.dirty[l0 * L : l1 * L].reshape(-1, L).any(axis=1)
                                & valid).any():
                return True
        return False

    def device_written_bytes(self, phys_line: int) -> int:
        """Mask of bytes the device wrote in memory since the line was filled (noncoherent)."""
        _frame, p, li = self._line(phys_line)
        if p is None or p.devw is None or not p.valid[li]:
            return 0
        L = self.line_size
        return _mask_to_int(p.devw[li * L : li * L + L])

    def line_state(self, phys: int) -> LineState | None:
        """Snapshot of the line holding ``phys``, or None when it is not cached."""
        if not self.is_cached(phys):
            return None
        return LineState(
            line=phys - phys % self.line_size,
            dirty=self.dirty_bytes(phys),
            device_written=self.device_written_bytes(phys),
        )

    def lines_in_range(self, phys: int, n: int) -> tuple[int, ...]:
        """Base addresses of the cached lines overlapping ``[phys, phys+n)``."""
        out: list[int] = []
        L = self.line_size
        for frame, off, ln, _pos in self._chunks(phys, n):
            p = self._pages.get(frame)
            if p is None:
                continue
            l0 = off // L
            base = frame * self.page_size
            valid = np.flatnonzero(p.valid[l0 : (off + ln - 1) // L + 1]) + l0
            out.extend(base + li * L for li in valid.tolist())
        return tuple(out)
