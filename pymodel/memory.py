"""Host physical memory: sparse page contents and a page-frame allocator.

Contents
    Only pages that have been written cost RAM: each is a numpy ``uint8``
    array created on first write.  A page nobody has written reads as the fill
    pattern: every aligned 8-byte word holds, little-endian,
    ``FILL_TAG | physical_address_of_the_word`` (``FILL_TAG`` is
    ``0xF111 << 48``), so uninitialised data is deterministic and says where it
    came from.  Freed frames keep their contents; a new allocation reads
    whatever its frames last held.

Frames
    Free frames are kept as extents (sorted starts + bisect, coalesced on
    free).  At construction a seeded fraction of the frames is held by "other
    kernel components" in random runs, so the free space is fragmented: a long
    physically contiguous request can fail while a scattered one of the same
    size succeeds.  Scattered requests are served next-fit from a roving
    cursor; contiguous ones first-fit.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from typing import cast

import numpy as np
import numpy.typing as npt

from pymodel.errors import ConfigError, FrameError, OutOfMemory
from pymodel.records import PAGE_SIZE, FrameRuns

__all__ = [
    "DEFAULT_MEMORY_SIZE",
    "FILL_TAG",
    "PAGE_SIZE",
    "FrameRuns",
    "PhysicalMemory",
    "as_u8",
    "fill_pattern",
]

DEFAULT_MEMORY_SIZE = 4 << 30
FILL_TAG = 0xF111 << 48
_ADDR_MASK = (1 << 48) - 1

U8 = npt.NDArray[np.uint8]


def as_u8(data: bytes | bytearray | memoryview | npt.NDArray[np.generic]) -> U8:
    """View ``data`` as a flat ``uint8`` array (no copy when possible)."""
    if isinstance(data, np.ndarray):
        flat = data.reshape(-1)
        return cast(U8, flat if flat.dtype == np.uint8 else flat.view(np.uint8))
    return np.frombuffer(data, dtype=np.uint8)


def fill_pattern(phys: int, length: int) -> U8:
    """The bytes an unwritten range at ``phys`` reads as (see the module doc)."""
    first = phys & ~7
    words = (phys + length - first + 7) // 8
    addrs = np.arange(words, dtype=np.uint64) * np.uint64(8) + np.uint64(first & _ADDR_MASK)
    raw = (addrs | np.uint64(FILL_TAG)).astype("<u8").view(np.uint8)
    skip = phys - first
    return raw[skip : skip + length].copy()


class PhysicalMemory:
    """Physical memory of ``size`` bytes in pages of ``page_size``."""

    def __init__(
        self,
        *,
        size: int = DEFAULT_MEMORY_SIZE,
        page_size: int = PAGE_SIZE,
        fragmentation: float = 0.25,
        max_run_pages: int = 32,
        seed: int = 0,
    ) -> None:
        if page_size <= 0 or page_size & (page_size - 1) or page_size < 64:
            raise ConfigError(f"page_size must be a power of two >= 64, not {page_size}")
        if size <= 0 or size % page_size:
            raise ConfigError(f"size must be a positive multiple of {page_size}, not {size}")
        if not 0.0 <= fragmentation < 1.0:
            raise ConfigError(f"fragmentation must be in [0, 1), not {fragmentation}")
        if max_run_pages < 1:
            raise ConfigError(f"max_run_pages must be >= 1, not {max_run_pages}")
        self.size = size
        self.page_size = page_size
        self.page_shift = page_size.bit_length() - 1
        self.num_frames = size // page_size
        self.fragmentation = fragmentation
        self._pages: dict[int, U8] = {}
        self._starts: list[int] = []
        self._lens: list[int] = []
        self._cursor = 0
        self._seed_fragmentation(fragmentation, max_run_pages, seed)
        self._free = sum(self._lens)
        self.initial_free_frames = self._free

    # ------------------------------------------------------------------ frames
    def _seed_fragmentation(self, fraction: float, max_run: int, seed: int) -> None:
        """Hold ``fraction`` of the frames (and frame 0) in seeded random runs."""
        n = self.num_frames
        held = np.zeros(n, dtype=bool)
        held[0] = True  # physical page 0 is never handed out
        target = int(fraction * n)
        rng = np.random.default_rng(seed)
        mean = (1 + max_run) / 2
        count = int(held.sum())
        for _ in range(16):
            if count >= target:
                break
            runs = max(1, int((target - count) / mean))
            starts = rng.integers(0, n, runs)
            ends = np.minimum(starts + rng.integers(1, max_run + 1, runs), n)
            diff = np.bincount(starts, minlength=n + 1) - np.bincount(ends, minlength=n + 1)
            held |= np.cumsum(diff[:-1]) > 0
            count = int(held.sum())
        edges = np.diff(np.concatenate(([1], held.view(np.int8), [1])).astype(np.int8))
        starts_arr = np.flatnonzero(edges == -1)
        ends_arr = np.flatnonzero(edges == 1)
        self._starts = starts_arr.tolist()
        self._lens = (ends_arr - starts_arr).tolist()
        self.held_frames = n - int((ends_arr - starts_arr).sum())

    @property
    def free_frames(self) -> int:
        """Number of free page frames."""
        return self._free

    def free_extents(self) -> FrameRuns:
        """The free extents ``((first_frame, count), ...)`` in address order."""
        return tuple(zip(self._starts, self._lens, strict=True))

    def largest_free_run(self, *, max_address: int | None = None) -> int:
        """Length in frames of the longest free run (below ``max_address`` if given)."""
        limit = self._frame_limit(max_address)
        best = 0
        for s, c in zip(self._starts, self._lens, strict=True):
            if s >= limit:
                break
            best = max(best, min(c, limit - s))
        return best

    def _frame_limit(self, max_address: int | None) -> int:
        """First frame number not usable under ``max_address`` (inclusive byte address)."""
        if max_address is None or max_address < 0:
            return self.num_frames
        return min(self.num_frames, (max_address + 1) >> self.page_shift)

    def alloc_frames(
        self, count: int, *, contiguous: bool = False, max_address: int | None = None
    ) -> FrameRuns:
        """Take ``count`` frames; ``contiguous`` asks for one run.

        ``max_address`` is the highest acceptable physical byte address (None or
        negative: no limit).  Raises ``OutOfMemory`` and changes nothing when the
        request cannot be met.
        """
        if count <= 0:
            raise ConfigError(f"frame count must be positive, not {count}")
        limit = self._frame_limit(max_address)
        if contiguous:
            return self._alloc_contiguous(count, limit)
        return self._alloc_scattered(count, limit)

    def _alloc_contiguous(self, count: int, limit: int) -> FrameRuns:
        starts, lens = self._starts, self._lens
        for i, (s, c) in enumerate(zip(starts, lens, strict=True)):
            if s >= limit:
                break
            if min(c, limit - s) >= count:
                self._take(i, count)
                return ((s, count),)
        raise OutOfMemory(
            f"no physically contiguous run of {count} frames"
            f"{self._limit_text(limit)}: the longest free run is "
            f"{self.largest_free_run(max_address=(limit << self.page_shift) - 1)} frames"
        )

    def _limit_text(self, limit: int) -> str:
        return "" if limit >= self.num_frames else f" below {limit << self.page_shift:#x}"

    def _take(self, i: int, count: int) -> int:
        """Remove ``count`` frames from the start of extent ``i``; return its old start."""
        s = self._starts[i]
        if self._lens[i] == count:
            del self._starts[i]
            del self._lens[i]
        else:
            self._starts[i] = s + count
            self._lens[i] -= count
        self._free -= count
        return s

    def _alloc_scattered(self, count: int, limit: int) -> FrameRuns:
        starts, lens = self._starts, self._lens
        if limit >= self.num_frames:
            available = self._free
        else:
            available = sum(
                min(c, limit - s) for s, c in zip(starts, lens, strict=True) if s < limit
            )
        if available < count:
            raise OutOfMemory(
                f"{count} frames requested{self._limit_text(limit)}, only {available} free"
            )
        runs: list[tuple[int, int]] = []
        need = count
        i = bisect_left(starts, self._cursor)
        while need:
            if i >= len(starts) or starts[i] >= limit:
                i = 0
                continue
            take = min(need, lens[i], limit - starts[i])
            whole = take == lens[i]
            s = self._take(i, take)
            runs.append((s, take))
            self._cursor = s + take
            need -= take
            if not whole:
                i += 1
        return tuple(runs)

    def release_frames(self, runs: Iterable[tuple[int, int]]) -> None:
        """Return frames to the free extents, coalescing with neighbours."""
        starts, lens = self._starts, self._lens
        for s, c in runs:
            if c <= 0 or s < 0 or s + c > self.num_frames:
                raise FrameError(f"frame run ({s}, {c}) is outside 0..{self.num_frames}")
            i = bisect_right(starts, s)
            prev_end = starts[i - 1] + lens[i - 1] if i else -1
            if prev_end > s or (i < len(starts) and s + c > starts[i]):
                raise FrameError(f"frames {s}..{s + c - 1} are already (partly) free")
            join_prev = prev_end == s
            join_next = i < len(starts) and starts[i] == s + c
            if join_prev and join_next:
                lens[i - 1] += c + lens[i]
                del starts[i]
                del lens[i]
            elif join_prev:
                lens[i - 1] += c
            elif join_next:
                starts[i] = s
                lens[i] += c
            else:
                starts.insert(i, s)
                lens.insert(i, c)
            self._free += c

    # ---------------------------------------------------------------- contents
    @property
    def touched_pages(self) -> int:
        """Number of pages that hold written data (and so cost RAM)."""
        return len(self._pages)

    def _check_range(self, phys: int, length: int) -> None:
        if length < 0 or phys < 0 or phys + length > self.size:
            raise ConfigError(
                f"physical range {phys:#x}+{length:#x} is outside memory 0..{self.size:#x}"
            )

    def read(self, phys: int, length: int) -> U8:
        """Copy of ``length`` bytes at physical address ``phys``."""
        self._check_range(phys, length)
        ps = self.page_size
        frame, off = divmod(phys, ps)
        if off + length <= ps:  # fast path: one page
            page = self._pages.get(frame)
            if page is None:
                return fill_pattern(phys, length)
            return page[off : off + length].copy()
        out = np.empty(length, dtype=np.uint8)
        pos = 0
        while pos < length:
            n = min(ps - off, length - pos)
            page = self._pages.get(frame)
            if page is None:
                out[pos : pos + n] = fill_pattern(frame * ps + off, n)
            else:
                out[pos : pos + n] = page[off : off + n]
            pos += n
            frame += 1
            off = 0
        return out

    def _page(self, frame: int) -> U8:
        page = self._pages.get(frame)
        if page is None:
            page = fill_pattern(frame * self.page_size, self.page_size)
            self._pages[frame] = page
        return page

    def write(
        self,
        phys: int,
        data: bytes | bytearray | memoryview | npt.NDArray[np.generic],
        mask: npt.NDArray[np.bool_] | None = None,
    ) -> None:
        """Store ``data`` at ``phys``; with ``mask``, only bytes whose mask is True."""
        src = as_u8(data)
        length = len(src)
        self._check_range(phys, length)
        ps = self.page_size
        frame, off = divmod(phys, ps)
        pos = 0
        while pos < length:
            n = min(ps - off, length - pos)
            page = self._page(frame)
            if mask is None:
                page[off : off + n] = src[pos : pos + n]
            else:
                m = mask[pos : pos + n]
                page[off : off + n][m] = src[pos : pos + n][m]
            pos += n
            frame += 1
            off = 0
