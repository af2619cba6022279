"""The stall watchdog: a hung engine fails the run in seconds, saying where it hangs."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tb.runner import SYSTEM_TOPLEVEL, SimFailed, bfm_parameters, run_sim, system_sources

#: the session fixture of tests/conftest.py
SystemRuns = Callable[..., list[dict[str, object]]]

#: the cocotb test that fails on purpose (skipped unless DMANIC_WATCHDOG_FAIL=1)
FAILING = "stuck_bus_fails_the_run"


@pytest.mark.sim
def test_watchdog_fires_on_a_hung_bus_and_never_on_traffic(system_runs: SystemRuns) -> None:
    """Under Icarus: the hung bus is reported within the limit with the ring, the state
    machines, the outstanding reads and the replay command; flowing traffic never fires."""
    prints = system_runs("icarus", "tb.sims.watchdog")
    assert [p["test"] for p in prints] == ["stuck_bus_fires_the_watchdog",
                                           "flowing_traffic_never_fires"]


@pytest.mark.sim
@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
def test_a_stuck_engine_fails_the_run_fast(simulator: str) -> None:
    """An ordinary test whose bus stops answering, waiting on a deadline 20 ms of simulated
    time away: the watchdog ends the run after 20,000 idle cycles, in seconds of wall time,
    with the watchdog's message as the failure."""
    t0 = time.monotonic()
    with pytest.raises(SimFailed) as info:
        run_sim(toplevel=SYSTEM_TOPLEVEL, test_module="tb.sims.watchdog",
                build_name=f"watchdog_fails_{simulator}", sources=system_sources(),
                parameters={"DATA_WIDTH": 64, **bfm_parameters("fast")}, testcase=[FAILING],
                extra_env={"DMANIC_WATCHDOG_FAIL": "1", "DMANIC_BFM": "fast"},
                simulator=simulator)
    wall = time.monotonic() - t0
    text = str(info.value)
    assert f"{FAILING}: watchdog: no progress" in text, text
    for part in ("for 20000 cycles", "stalled ring(s): ", "state machines: ",
                 "reads awaiting R beats", "replay: "):
        assert part in text, (part, text)
    assert wall < 120, f"the hung run took {wall:.0f} s to fail (build included)"
