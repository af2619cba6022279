"""The completion checker names every impossible descriptor write-back in the full system,
and the driver model survives one (tb/test_completion_system.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tb.runner import cocotb_tests

#: the session fixture of tests/conftest.py
SystemRuns = Callable[..., list[dict[str, object]]]


@pytest.mark.sim
def test_completion_checker_fires_in_the_system(system_runs: SystemRuns) -> None:
    """One simulation, every lie of tb/test_completion_system.py; a failure names the cocotb
    test and why."""
    prints = system_runs("icarus", "tb.test_completion_system")
    assert [p["test"] for p in prints] == cocotb_tests("tb.test_completion_system")
    for p in prints:
        assert p["lies"] == 1, p  # each test's device lied exactly once
