"""System simulations (engine + host model + driver model) through the cocotb runner."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tb.runner import cocotb_tests

#: the session fixture of tests/conftest.py
SystemRuns = Callable[..., list[dict[str, object]]]

#: (bus models, data width) of every system run: the fast models at every width, the
#: reference models at one (tests/test_sim_bfm_equivalence.py holds the two kinds to the
#: same results)
SYSTEM_CONFIGS = [("fast", 32), ("fast", 64), ("fast", 128), ("fast", 256), ("reference", 64)]


@pytest.mark.sim
@pytest.mark.parametrize(("bfm", "data_width"), SYSTEM_CONFIGS)
def test_system(system_runs: SystemRuns, bfm: str, data_width: int) -> None:
    """Every cocotb test of tb/sims/system.py for one data width and bus-model kind, under
    Icarus; a failure names the cocotb test and why."""
    prints = system_runs("icarus", "tb.sims.system", bfm=bfm, data_width=data_width)
    assert [p["test"] for p in prints] == cocotb_tests("tb.sims.system")
