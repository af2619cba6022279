"""Every bus checker fires on a deliberately broken case in the full system."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tb.runner import cocotb_tests

#: the session fixture of tests/conftest.py
SystemRuns = Callable[..., list[dict[str, object]]]


@pytest.mark.sim
def test_checkers_fire_in_the_system(system_runs: SystemRuns) -> None:
    """One simulation, every broken case of tb/sims/checker_cases.py; a failure names
    the cocotb test and why."""
    prints = system_runs("icarus", "tb.sims.checker_cases")
    assert [p["test"] for p in prints] == cocotb_tests("tb.sims.checker_cases")
