"""Iommu: logical ranges, translation, permissions, fault records, use after free."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pymodel import (
    Access,
    Clock,
    ConfigError,
    FaultReason,
    Iommu,
    PhysicalMemory,
    TranslationFault,
)

MiB = 1 << 20
PS = 4096


def make(seed: int = 0) -> Iommu:
    return Iommu(clock=Clock(), seed=seed)


RUNS = ((10, 2), (40, 1))  # three pages: frames 10, 11, 40


def test_mapping_is_above_4gib_and_page_aligned() -> None:
    io = make()
    m = io.map(RUNS, 3 * PS, access=Access.READ_WRITE, owner="ring", site="x.py:1")
    assert m.logical >= 1 << 32
    assert m.logical % PS == 0
    assert m.live and m.end == m.logical + 3 * PS


def test_translate_returns_spans_across_scattered_frames() -> None:
    io = make()
    m = io.map(RUNS, 3 * PS, access=Access.READ_WRITE, owner="ring", site="x.py:1")
    spans = io.translate(m.logical + PS + 100, 2 * PS - 200, Access.READ)
    assert [(s.logical - m.logical, s.phys, s.length) for s in spans] == [
        (PS + 100, 11 * PS + 100, PS - 100),
        (2 * PS, 40 * PS, PS - 100),
    ]


def test_logical_never_equals_physical() -> None:
    io = Iommu(clock=Clock(), base=0, base_offset_pages=1, guard_pages=(1, 1))
    m = io.map(((0, 1),), PS, access=Access.READ, owner="a", site="s")
    assert m.logical != 0
    spans = io.translate(m.logical, 1, Access.READ)
    assert spans[0].phys != m.logical


def test_logical_ranges_are_never_reused() -> None:
    io = make()
    seen = []
    for _ in range(20):
        m = io.map(((5, 1),), 100, access=Access.READ, owner="a", site="s")
        seen.append(m.logical)
        io.unmap(m.logical)
    assert len(set(seen)) == 20 and seen == sorted(seen)


def test_guard_gap_separates_neighbours() -> None:
    io = make()
    a = io.map(((5, 1),), PS, access=Access.READ, owner="a", site="s")
    b = io.map(((6, 1),), PS, access=Access.READ, owner="b", site="s")
    assert b.logical >= a.logical + 2 * PS
    with pytest.raises(TranslationFault) as info:
        io.translate(a.logical + PS, 4, Access.READ)
    assert info.value.record.reason is FaultReason.NOT_MAPPED


def test_dma32_mapping_sits_below_4gib() -> None:
    io = make()
    m = io.map(((5, 1),), PS, access=Access.READ, owner="a", site="s", dma32=True)
    assert 0x8000_0000 <= m.logical < 1 << 32


def test_permission_fault() -> None:
    io = make()
    m = io.map(RUNS, 100, access=Access.READ, owner="tx buffer", site="drv.py:7")
    with pytest.raises(
        TranslationFault,
        match=r"device WRITE of 4 bytes .*: permission denied; mapping 'tx buffer'",
    ):
        io.translate(m.logical, 4, Access.WRITE)
    assert io.faults[-1].reason is FaultReason.PERMISSION
    assert io.faults[-1].mapping == m


def test_past_end_is_byte_precise() -> None:
    io = make()
    m = io.map(RUNS, 100, access=Access.READ_WRITE, owner="desc", site="drv.py:9")
    io.translate(m.logical + 96, 4, Access.READ)
    with pytest.raises(
        TranslationFault,
        match=r"runs past the end of the mapping; mapping 'desc' "
        r"LA 0x[0-9a-f]+\.\.0x[0-9a-f]+ \(100 bytes, READ_WRITE\) mapped at drv.py:9",
    ):
        io.translate(m.logical + 96, 8, Access.READ)


def test_truncated_32_bit_address_faults_and_names_nearest() -> None:
    io = make()
    m = io.map(RUNS, PS, access=Access.READ_WRITE, owner="rx ring", site="drv.py:3")
    with pytest.raises(
        TranslationFault, match="not mapped; nearest live mapping 'rx ring'"
    ) as info:
        io.translate(m.logical & 0xFFFF_FFFF, 16, Access.READ)
    rec = info.value.record
    assert rec.address == m.logical & 0xFFFF_FFFF and rec.length == 16
    assert rec.access is Access.READ and rec.nearest == m and rec.mapping is None


def test_use_after_free_says_when_and_what() -> None:
    clock = Clock()
    io = Iommu(clock=clock)
    clock.now = 100
    clock.tick()
    m = io.map(RUNS, 3 * PS, access=Access.READ_WRITE, owner="rx buf 3", site="drv.py:40")
    clock.now = 250
    seq = clock.tick()
    io.unmap(m.logical, site="drv.py:77")
    clock.now = 300
    clock.tick()
    with pytest.raises(
        TranslationFault,
        match=r"at t=300 ns \(op #3\): mapping already freed; mapping 'rx buf 3' .* mapped at "
        r"drv.py:40, freed at t=250 ns \(op #2\) from drv.py:77; no live mapping",
    ) as info:
        io.translate(m.logical + 5, 4, Access.WRITE)
    rec = info.value.record
    assert rec.reason is FaultReason.USE_AFTER_FREE
    assert (
        rec.mapping is not None and rec.mapping.freed_time == 250 and rec.mapping.freed_seq == seq
    )
    assert io.faults == [rec]


def test_fault_log_keeps_every_fault() -> None:
    io = make()
    for addr in (0, 0x1000, 0xDEAD_0000):
        with pytest.raises(TranslationFault):
            io.translate(addr, 1, Access.READ)
    assert [f.address for f in io.faults] == [0, 0x1000, 0xDEAD_0000]


def test_lookup_live_and_freed() -> None:
    io = make()
    m = io.map(RUNS, 50, access=Access.READ, owner="a", site="s")
    assert io.lookup(m.logical + 49) == m
    assert io.lookup(m.logical + 50) is None
    io.unmap(m.logical)
    freed = io.lookup(m.logical)
    assert freed is not None and not freed.live and freed.id == m.id
    assert io.live_mappings() == ()


def test_bad_arguments() -> None:
    io = make()
    with pytest.raises(ConfigError, match="access length must be positive, not 0"):
        io.translate(1 << 32, 0, Access.READ)
    with pytest.raises(ConfigError, match=re.escape("access must be Access.READ or Access.WRITE")):
        io.translate(1 << 32, 4, Access.READ_WRITE)
    with pytest.raises(ConfigError, match=r"mapping length must be 1\.\.4096, not 5000"):
        io.map(((1, 1),), 5000, access=Access.READ, owner="a", site="s")


@settings(max_examples=100, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 5 * PS), min_size=1, max_size=25),
    frees=st.lists(st.integers(0, 100), max_size=10),
    probes=st.lists(
        st.tuples(st.integers(0, 100), st.integers(0, 5 * PS), st.integers(1, 300)), max_size=30
    ),
    seed=st.integers(0, 5),
)
def test_property_translate_inverts_mapping(
    sizes: list[int], frees: list[int], probes: list[tuple[int, int, int]], seed: int
) -> None:
    mem = PhysicalMemory(size=16 * MiB, seed=seed)
    io = Iommu(clock=Clock(), seed=seed)
    maps = []
    for size in sizes:
        runs = mem.alloc_frames(-(-size // PS))
        maps.append(io.map(runs, size, access=Access.READ_WRITE, owner="m", site="s"))
    for k in frees:
        m = maps[k % len(maps)]
        if io.lookup(m.logical) is not None and io.lookup(m.logical).live:  # type: ignore[union-attr]
            io.unmap(m.logical)
    live = io.live_mappings()
    # no two live mappings overlap, logically or physically
    for a, b in itertools.pairwise(live):
        assert a.end <= b.logical
    frames = [f for m in live for s, c in m.runs for f in range(s, s + c)]
    assert len(frames) == len(set(frames))
    # translate is the inverse of the mapping: byte k of a mapping is byte k of its frames
    for k, off, n in probes:
        m = maps[k % len(maps)]
        if not (0 <= off < m.length):
            continue
        n = min(n, m.length - off)
        if not io.lookup(m.logical).live:  # type: ignore[union-attr]
            with pytest.raises(TranslationFault):
                io.translate(m.logical + off, n, Access.READ)
            continue
        spans = io.translate(m.logical + off, n, Access.READ)
        assert sum(s.length for s in spans) == n
        frame_of_page = [f for first, c in m.runs for f in range(first, first + c)]
        assert spans[0].logical == m.logical + off
        for s in spans:
            # every byte of a span is where the mapping's page list says it is
            first_page = (s.logical - m.logical) // PS
            last_page = (s.logical - m.logical + s.length - 1) // PS
            for page in range(first_page, last_page + 1):
                o = max(s.logical - m.logical, page * PS)
                assert s.phys + (o - (s.logical - m.logical)) == frame_of_page[page] * PS + o % PS
