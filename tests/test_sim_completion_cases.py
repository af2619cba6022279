"""The completion checker names every impossible descriptor write-back in the full system,
and the driver model survives one (tb/sims/completion_cases.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tb.runner import cocotb_tests

#: the session fixture of tests/conftest.py
SystemRuns = Callable[..., list[dict[str, object]]]


@pytest.mark.sim
def test_completion_checker_fires_in_the_system(system_runs: SystemRuns) -> None:
    """One simulation, every lie of tb/sims/completion_cases.py; a failure names the cocotb
    test and why."""
    prints = system_runs("icarus", "tb.sims.completion_cases")
    assert [p["test"] for p in prints] == cocotb_tests("tb.sims.completion_cases")
    for p in prints:
        assert p["lies"] == 1, p  # each test's device lied exactly once
