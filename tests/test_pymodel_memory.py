"""PhysicalMemory: sparse contents, fill pattern, page-frame allocator, fragmentation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pymodel import FILL_TAG, ConfigError, FrameError, OutOfMemory, PhysicalMemory, fill_pattern

MiB = 1 << 20


def small(**kw: object) -> PhysicalMemory:
    args: dict[str, object] = {"size": 16 * MiB, "seed": 3}
    args.update(kw)
    return PhysicalMemory(**args)  # type: ignore[arg-type]


# ------------------------------------------------------------------ contents
def test_fill_pattern_names_its_own_address() -> None:
    mem = small()
    raw = mem.read(0x12_3458, 16)
    words = raw.view("<u8")
    assert [int(w) for w in words] == [FILL_TAG | 0x12_3458, FILL_TAG | 0x12_3460]


def test_fill_pattern_unaligned_slice_matches_aligned() -> None:
    whole = fill_pattern(0x1000, 64)
    assert fill_pattern(0x1003, 13).tobytes() == whole[3:16].tobytes()


def test_unwritten_reads_do_not_cost_pages() -> None:
    mem = small()
    mem.read(0, 3 * mem.page_size)
    assert mem.touched_pages == 0


def test_write_then_read_across_pages() -> None:
    mem = small()
    data = bytes(range(256)) * 40
    mem.write(mem.page_size - 100, data)
    assert mem.read(mem.page_size - 100, len(data)).tobytes() == data
    assert mem.touched_pages == 4
    # untouched neighbours keep the fill pattern
    assert (
        mem.read(mem.page_size - 108, 8).tobytes() == fill_pattern(mem.page_size - 108, 8).tobytes()
    )


def test_masked_write_only_touches_enabled_bytes() -> None:
    mem = small()
    mem.write(0x2000, b"\x00" * 8)
    mask = np.array([1, 0, 1, 0, 0, 0, 0, 1], dtype=bool)
    mem.write(0x2000, b"ABCDEFGH", mask)
    assert mem.read(0x2000, 8).tobytes() == b"A\x00C\x00\x00\x00\x00H"


def test_out_of_range_access_is_refused() -> None:
    mem = small()
    with pytest.raises(ConfigError, match=r"outside memory 0\.\.0x1000000"):
        mem.read(16 * MiB - 4, 8)


def test_sparse_rss_4gib_default_model_is_cheap() -> None:
    mem = PhysicalMemory()
    assert mem.size == 4 << 30 and mem.num_frames == 1 << 20
    assert mem.touched_pages == 0


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"page_size": 3000}, "page_size must be a power of two >= 64, not 3000"),
        ({"size": 5000}, "size must be a positive multiple of 4096, not 5000"),
        ({"fragmentation": 1.0}, r"fragmentation must be in \[0, 1\), not 1.0"),
        ({"max_run_pages": 0}, "max_run_pages must be >= 1, not 0"),
    ],
)
def test_bad_configuration_is_refused(kw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        small(**kw)


# -------------------------------------------------------------------- frames
def test_fragmentation_holds_the_configured_fraction() -> None:
    mem = PhysicalMemory(size=64 * MiB, fragmentation=0.3, seed=1)
    assert 0.27 <= mem.held_frames / mem.num_frames <= 0.33
    assert mem.free_frames + mem.held_frames == mem.num_frames


def test_fragmentation_is_deterministic_per_seed() -> None:
    a, b, c = small(seed=5), small(seed=5), small(seed=6)
    assert a.free_extents() == b.free_extents()
    assert a.free_extents() != c.free_extents()


def test_frame_zero_is_never_handed_out() -> None:
    mem = small(fragmentation=0.0)
    runs = mem.alloc_frames(mem.free_frames)
    assert all(first > 0 for first, _ in runs)


def test_contiguous_request_fails_while_scattered_succeeds() -> None:
    mem = small()
    longest = mem.largest_free_run()
    assert longest < mem.free_frames
    with pytest.raises(OutOfMemory, match=rf"no physically contiguous run of {longest + 1} frames"):
        mem.alloc_frames(longest + 1, contiguous=True)
    runs = mem.alloc_frames(longest + 1)
    assert sum(c for _, c in runs) == longest + 1
    assert len(runs) > 1


def test_contiguous_request_gets_one_run() -> None:
    mem = small()
    runs = mem.alloc_frames(8, contiguous=True)
    assert len(runs) == 1 and runs[0][1] == 8


def test_max_address_is_respected() -> None:
    mem = small()
    limit = 2 * MiB - 1
    runs = mem.alloc_frames(100, max_address=limit)
    assert all((first + count) * mem.page_size - 1 <= limit for first, count in runs)
    with pytest.raises(OutOfMemory, match=r"frames requested below 0x10000, only \d+ free"):
        mem.alloc_frames(100, max_address=0xFFFF)


def test_out_of_frames_changes_nothing() -> None:
    mem = small()
    before = mem.free_extents()
    with pytest.raises(OutOfMemory, match=rf"{mem.free_frames + 1} frames requested, only"):
        mem.alloc_frames(mem.free_frames + 1)
    assert mem.free_extents() == before


def test_freeing_free_frames_is_an_error() -> None:
    mem = small()
    runs = mem.alloc_frames(4)
    mem.release_frames(runs)
    with pytest.raises(FrameError, match="already \\(partly\\) free"):
        mem.release_frames(runs)


def test_free_coalesces_back_to_the_initial_extents() -> None:
    mem = small()
    before = mem.free_extents()
    taken = [mem.alloc_frames(n) for n in (1, 7, 33, 2, 100)]
    for runs in reversed(taken[::2]):
        mem.release_frames(runs)
    for runs in taken[1::2]:
        mem.release_frames(runs)
    assert mem.free_extents() == before


@settings(max_examples=150, deadline=None)
@given(
    ops=st.lists(
        st.tuples(st.booleans(), st.integers(1, 300), st.booleans(), st.integers(0, 50)),
        min_size=1,
        max_size=40,
    ),
    seed=st.integers(0, 3),
)
def test_property_no_overlap_and_full_recovery(
    ops: list[tuple[bool, int, bool, int]], seed: int
) -> None:
    mem = PhysicalMemory(size=8 * MiB, seed=seed)
    initial = mem.free_extents()
    free_set = {f for s, c in initial for f in range(s, s + c)}
    live: list[tuple[tuple[int, int], ...]] = []
    owned: set[int] = set()
    for alloc, count, contiguous, pick in ops:
        if alloc or not live:
            try:
                runs = mem.alloc_frames(count, contiguous=contiguous)
            except OutOfMemory:
                continue
            frames = [f for s, c in runs for f in range(s, s + c)]
            assert len(frames) == count
            assert not owned & set(frames), "two live allocations share a frame"
            assert set(frames) <= free_set, "allocated a frame that was never free"
            if contiguous:
                assert len(runs) == 1
            owned |= set(frames)
            live.append(runs)
        else:
            runs = live.pop(pick % len(live))
            mem.release_frames(runs)
            owned -= {f for s, c in runs for f in range(s, s + c)}
        assert mem.free_frames == len(free_set) - len(owned)
    for runs in live:
        mem.release_frames(runs)
    assert mem.free_extents() == initial
