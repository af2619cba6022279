"""Every fault a real system throws, each with its outcome asserted (tb/sims/faults.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tb.runner import cocotb_tests

#: the session fixture of tests/conftest.py
SystemRuns = Callable[..., list[dict[str, object]]]


@pytest.mark.sim
def test_fault_scenarios(system_runs: SystemRuns) -> None:
    """One simulation under Icarus, every fault scenario: allocation failures at
    initialization, bad ring configuration, IOMMU faults on TX and RX data, SLVERR on
    descriptor fetch / data read / data write / write-back, zero-length and over-long
    descriptors, ring disable and soft reset in the middle of traffic, interrupt storms;
    a failure names the cocotb test and why."""
    prints = system_runs("icarus", "tb.sims.faults")
    assert [p["test"] for p in prints] == cocotb_tests("tb.sims.faults")
