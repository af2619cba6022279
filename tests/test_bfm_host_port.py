"""The fast memory's burst port against a per-beat model of cocotbext-axi's ``AxiSlave``.

Two identical hosts get the same bursts, one through :class:`HostBurstPort`
(one call per burst when it can), one beat by beat / run by run as ``AxiSlave``
does; data, responses, memory contents and the IOMMU fault logs must agree.
"""

from __future__ import annotations

import numpy as np
import pytest

from pymodel.errors import TranslationFault
from pymodel.host import Host
from pymodel.iommu import Access, FaultReason
from tb.bfm.host_port import RESP_OKAY, RESP_SLVERR, HostBurstPort

BEAT = 16


def axislave_read(host: Host, start: int, beats: int) -> tuple[bytes, int]:
    """What AxiSlave does: one target read per beat, a fault answers SLVERR for that beat."""
    parts, errors = [], 0
    for b in range(beats):
        try:
            parts.append(host.dma_read(start + b * BEAT, BEAT))
        except TranslationFault:
            parts.append(bytes(BEAT))
            errors |= 1 << b
    return b"".join(parts), errors


def axislave_write(host: Host, start: int, data: bytes, strobe: np.ndarray) -> int:
    """What AxiSlave does: one target write per run of strobed bytes per beat."""
    resp = RESP_OKAY
    for b in range(len(strobe) // BEAT):
        i = 0
        while i < BEAT:
            if not strobe[b * BEAT + i]:
                i += 1
                continue
            j = i
            while j < BEAT and strobe[b * BEAT + j]:
                j += 1
            try:
                host.dma_write(start + b * BEAT + i, data[b * BEAT + i : b * BEAT + j])
            except TranslationFault:
                resp = RESP_SLVERR
            i = j
    return resp


def _hosts() -> tuple[Host, Host, list[tuple[int, int]]]:
    """Two identical hosts with a few device mappings; (la, length) of each."""
    made = []
    maps: list[tuple[int, int]] = []
    for _ in range(2):
        host = Host(line_size=64, platform="coherent", seed=7)
        rw = host.alloc(1000, cached=True, device_access=Access.READ_WRITE)
        ro = host.alloc(4096, cached=True, device_access=Access.READ)
        gone = host.alloc(4096, cached=True, device_access=Access.READ_WRITE)
        assert rw.la is not None and ro.la is not None and gone.la is not None
        host.free(gone.va)
        made.append(host)
        maps = [(rw.la, 1000), (ro.la, 4096), (gone.la, 4096)]
    return made[0], made[1], maps


def _faults(host: Host) -> list[tuple[int, int, FaultReason]]:
    return [(f.address, f.length, f.reason) for f in host.iommu.faults]


@pytest.mark.parametrize(
    ("which", "offset", "beats", "errors"),
    [
        (0, 0, 8, 0),              # inside the read-write mapping: one dma_read
        (0, 960, 4, 0b1100),       # runs past the 1000-byte end: the last beats fault
        (1, 4032, 4, 0),           # read-only mapping, last beats of its page
        (2, 64, 3, 0b111),         # freed mapping: every beat faults (use after free)
    ],
)
def test_read_matches_axislave(which: int, offset: int, beats: int, errors: int) -> None:
    fast_host, ref_host, maps = _hosts()
    la = maps[which][0] + offset
    port = HostBurstPort(fast_host, BEAT)
    got = port.read(la, beats)
    want = axislave_read(ref_host, la, beats)
    assert got == want
    assert got[1] == errors
    assert _faults(fast_host) == _faults(ref_host)


def test_read_whole_burst_is_one_host_call() -> None:
    host, _, maps = _hosts()
    calls: list[int] = []
    host.observers.append(lambda access: calls.append(access.length))
    HostBurstPort(host, BEAT).read(maps[0][0], 16)
    assert calls == [16 * BEAT]


@pytest.mark.parametrize(
    ("which", "offset", "beats", "pattern", "resp"),
    [
        (0, 0, 4, "all", RESP_OKAY),
        (0, 16, 4, "middle", RESP_OKAY),        # first/last beats partly strobed
        (0, 32, 4, "holes", RESP_OKAY),         # several runs per beat
        (0, 960, 4, "all", RESP_SLVERR),        # past the end: SLVERR, the rest written
        (1, 0, 2, "all", RESP_SLVERR),          # read-only mapping: permission fault
        (2, 0, 2, "middle", RESP_SLVERR),       # freed mapping
        (0, 0, 2, "none", RESP_OKAY),           # no strobe at all: nothing written
    ],
)
def test_write_matches_axislave(which: int, offset: int, beats: int, pattern: str,
                                resp: int) -> None:
    fast_host, ref_host, maps = _hosts()
    la = maps[which][0] + offset
    n = beats * BEAT
    rng = np.random.default_rng(offset + beats)
    data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
    strobe = {
        "all": np.ones(n, bool),
        "middle": np.r_[np.zeros(5, bool), np.ones(n - 12, bool), np.zeros(7, bool)],
        "holes": rng.random(n) < 0.6,
        "none": np.zeros(n, bool),
    }[pattern]
    got = HostBurstPort(fast_host, BEAT).write(la, data, strobe)
    want = axislave_write(ref_host, la, data, strobe)
    assert got == want == resp
    assert _faults(fast_host) == _faults(ref_host)
    base, length = maps[0]
    assert fast_host.dma_read(base, length) == ref_host.dma_read(base, length)


def test_write_inside_mapping_is_one_host_call() -> None:
    host, _, maps = _hosts()
    calls: list[tuple[int, int]] = []
    host.observers.append(lambda access: calls.append((access.address, access.length)))
    strobe = np.r_[np.zeros(3, bool), np.ones(4 * BEAT - 3, bool)]
    HostBurstPort(host, BEAT).write(maps[0][0], bytes(4 * BEAT), strobe)
    assert calls == [(maps[0][0] + 3, 4 * BEAT - 3)]


def test_beat_bytes_must_be_a_power_of_two() -> None:
    host, _, _ = _hosts()
    with pytest.raises(ValueError, match="beat_bytes must be a power of two, not 12"):
        HostBurstPort(host, 12)
