"""cocotb tests of the stall watchdog (tb/hdl/tb_watchdog.v, tb/watchdog.py).

A bus that stops answering reads (``MangleMode.R_STALL``, legal on the wire, fatal
to the engine) must end the run within the watchdog's limit of cycles with a
message naming the stalled ring, the engine's state machines, the outstanding
transactions, the time and the replay command; a bench where traffic flows must
never see it fire. ``tests/test_sim_watchdog.py`` runs them and also runs
:func:`stuck_bus_fails_the_run` (a bus that stops answering) and
:func:`stuck_engine_fails_the_run` (on an engine built from deliberately broken RTL)
as real failures, and checks from the simulated times in the message that the run
ended within the watchdog's limit of the last progress.
"""

from __future__ import annotations

import os
import time

import cocotb
from cocotb.utils import get_sim_time

from tb.checkers.protocol import MangleMode
from tb.env import DmaEnv
from tb.scenario_config import ScenarioConfig
from tb.sims.common import BFM, SEED, settle

LIMIT = 20_000


def _cfg(**kw: object) -> ScenarioConfig:
    base: dict[str, object] = {"seed": SEED, "tx_packets": 20, "rx_packets": 20,
                               "max_len": 3000, "bfm": BFM, "watchdog_cycles": LIMIT}
    base.update(kw)
    return ScenarioConfig(**base)  # type: ignore[arg-type]


@cocotb.test()
async def stuck_bus_fires_the_watchdog(dut) -> None:  # type: ignore[no-untyped-def]
    """The R channel stops for ever after its first burst: the engine waits on its reads,
    the watchdog fires within LIMIT cycles of the last progress and says where it hangs."""
    env = DmaEnv(dut, _cfg(mangle=MangleMode.R_STALL))
    env.watchdog.record = True
    await env.start()
    assert await env.driver.initialize()
    wall0 = time.monotonic()
    cocotb.start_soon(env.send_rx(5))
    cocotb.start_soon(env.send_tx(5))
    report = await env.watchdog.wait_fired(timeout_ns=40 * LIMIT * env.clock_ns)
    wall = time.monotonic() - wall0
    assert report is not None, "the watchdog never fired on a hung bus"
    assert int(dut.mangled.value) == 1
    idle = report.time_ns - report.last_progress_ns
    assert LIMIT * env.clock_ns <= idle <= (LIMIT + 2) * env.clock_ns, (idle, report)
    text = str(report)
    env.log.info("watchdog fired after %.2f s of wall time:\n%s", wall, text)
    assert "reads awaiting R beats" in text, text
    assert any(r.startswith("TX RUN") for r in report.rings), report.rings
    # every state machine by the name of its state (from the Verilog), the fetch units too
    assert report.machines and all(not m.rsplit("=", 1)[1].isdigit()
                                   for m in report.machines), report.machines
    assert any("fetch_state_reg=" in m for m in report.machines), report.machines
    assert report.replay and "--seed" in report.replay, report.replay
    assert f"t={report.time_ns:.0f} ns" in text
    env.stop()


@cocotb.test()
async def flowing_traffic_never_fires(dut) -> None:  # type: ignore[no-untyped-def]
    """Back-pressure, idle gaps shorter than the limit and a paused stretch: no report."""
    env = DmaEnv(dut, _cfg(axi_pause=0.5, stream_pause=0.5))
    env.watchdog.record = True
    await env.start()
    assert await env.driver.initialize()
    await settle(env, tx=10, rx=10)
    await env.phase.sleep(LIMIT * env.clock_ns // 2)  # idle, but not for long enough
    await settle(env, tx=5, rx=5)
    with env.watchdog.paused():
        await env.phase.sleep(2 * LIMIT * env.clock_ns)  # a deliberate quiet stretch
    await settle(env, tx=5, rx=5)
    assert env.watchdog.reports == [], env.watchdog.reports
    await env.driver.halt()
    await env.check_drained()
    env.stop()


@cocotb.test(skip=os.environ.get("DMANIC_WATCHDOG_FAIL", "") != "1")
async def stuck_bus_fails_the_run(dut) -> None:  # type: ignore[no-untyped-def]
    """A hung bus in an ordinary test: the run fails with the watchdog's message (run on
    its own by tests/test_sim_watchdog.py, which expects the failure and checks its times)."""
    replay = (f"python -m tb.run tb.sims.watchdog --test stuck_bus_fails_the_run --seed {SEED}"
              f" --env DMANIC_WATCHDOG_FAIL=1")
    env = DmaEnv(dut, _cfg(mangle=MangleMode.R_STALL, replay=replay))
    await env.start()
    assert await env.driver.initialize()
    cocotb.start_soon(env.send_rx(5))
    await env.send_tx(5)
    await env.driver.wait_tx_done(20_000_000)  # a deadline minutes of wall time away
    raise AssertionError(f"the hung bus was not reported by t={get_sim_time('ns')} ns")


@cocotb.test(skip=os.environ.get("DMANIC_WATCHDOG_FAIL", "") != "1")
async def stuck_engine_fails_the_run(dut) -> None:  # type: ignore[no-untyped-def]
    """An ordinary test on a broken engine (tests/test_sim_watchdog.py builds tb_top from
    a mutated copy of the RTL, one state machine stuck): traffic both ways, then waits on
    deadlines 20 ms of simulated time away; the watchdog must end the run long before.
    ``DMANIC_WATCHDOG_REPLAY``: the command that rebuilds the mutant and replays."""
    replay = os.environ.get("DMANIC_WATCHDOG_REPLAY", "")
    # DMANIC_WAVES=1: the GTKWave layout, its marker where the last progress was
    env = DmaEnv(dut, _cfg(replay=replay, waves=os.environ.get("DMANIC_WAVES", "") == "1"))
    await env.start()
    assert await env.driver.initialize()
    cocotb.start_soon(env.send_rx(5))
    await env.send_tx(5)
    await env.driver.wait_tx_done(20_000_000)
    await env.wait_for(lambda: env.driver.stats.rx_packets >= 5,
                       lambda: f"{env.driver.stats.rx_packets} of 5 RX packets delivered",
                       20_000_000)
    raise AssertionError(f"the stuck engine was not reported by t={get_sim_time('ns')} ns")
