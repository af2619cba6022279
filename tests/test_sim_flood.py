"""Receive floods against late returns: the pool grows and shrinks (tb/sims/flood.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tb.runner import cocotb_tests

#: the session fixture of tests/conftest.py
SystemRuns = Callable[..., list[dict[str, object]]]


@pytest.mark.sim
def test_flood_scenarios(system_runs: SystemRuns) -> None:
    """Under Icarus: the pool grows below the low watermark and shrinks above the high one,
    receive interrupts masked while every buffer is up the stack, async allocation
    failures and the shared-memory limit; every packet delivered or counted."""
    prints = system_runs("icarus", "tb.sims.flood")
    assert [p["test"] for p in prints] == cocotb_tests("tb.sims.flood")
    for p in prints:
        assert "async_requests=" in str(p["driver"]), p
