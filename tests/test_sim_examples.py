"""The verification kit's example: memcpy_dma's bench (examples/memcpy_dma/test_memcpy_dma.py)
under both simulators, and the same bursts and findings under both."""

from __future__ import annotations

from pathlib import Path

import pytest

from examples.memcpy_dma import build
from tb.runner import BUILD_ROOT, SIMULATORS

#: the bench's tests: a clean copy and four broken drivers
CASES = 5


def _run(simulator: str) -> Path:
    return build.run("examples.memcpy_dma.test_memcpy_dma",
                     build_name=f"example_memcpy_{simulator}", build_root=BUILD_ROOT,
                     simulator=simulator, expect_tests=CASES)


@pytest.fixture(scope="module")
def records() -> dict[str, list[str]]:
    """Each simulator's record (every burst and finding), filled by the runs below."""
    return {}


@pytest.mark.sim
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_memcpy_example(simulator: str, records: dict[str, list[str]]) -> None:
    """A clean copy passes with no finding; past-the-end, use-after-free, shared-line and
    unflushed copies fire PAST_END, USE_AFTER_FREE, SHARED_LINE and STALE_DEVICE_READ."""
    test_dir = _run(simulator)
    records[simulator] = (test_dir / build.RECORD_FILE).read_text().splitlines()
    assert any('"finding"' in line for line in records[simulator])


@pytest.mark.sim
def test_memcpy_example_same_under_both_simulators(records: dict[str, list[str]]) -> None:
    """Every burst (rising edge, address, length, data) and every finding (time, rule,
    addresses) is the same under Icarus and Verilator."""
    for simulator in SIMULATORS:
        if simulator not in records:
            records[simulator] = (_run(simulator) / build.RECORD_FILE).read_text().splitlines()
    icarus, verilator = (records[s] for s in SIMULATORS)
    assert len(icarus) == len(verilator), (len(icarus), len(verilator))
    for n, (a, b) in enumerate(zip(icarus, verilator, strict=True)):
        assert a == b, f"record line {n}: icarus {a} / verilator {b}"
