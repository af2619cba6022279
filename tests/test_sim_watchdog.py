"""The stall watchdog: a hung bus or a hung engine fails the run fast, saying where it hangs.

"Fast" is checked on simulated time, not wall time (which a busy machine stretches):
the failure message says when the watchdog fired and when the last progress was; the
run must have ended there, within the watchdog's limit of that last progress, and far
before the deadline the test itself was waiting on.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tb.runner import (
    BUILD_ROOT,
    HDL_DIR,
    SYSTEM_TOPLEVEL,
    TB_HDL_DIR,
    TB_HDL_SOURCES,
    SimFailed,
    bfm_parameters,
    run_sim,
    system_sources,
)
from tb.watchdog import DEFAULT_LIMIT_CYCLES

#: the session fixture of tests/conftest.py
SystemRuns = Callable[..., list[dict[str, object]]]

#: the cocotb tests that fail on purpose (skipped unless DMANIC_WATCHDOG_FAIL=1)
FAILING_BUS = "stuck_bus_fails_the_run"
FAILING_ENGINE = "stuck_engine_fails_the_run"
#: tb_top's clock (CLK_PERIOD_NS, its default)
CLOCK_NS = 4
#: the deadline the failing tests wait on (ns of simulated time)
TEST_DEADLINE_NS = 20_000_000
#: cycles between the watchdog's count reaching the limit and the run's end
SLACK_CYCLES = 2

_FIRED = re.compile(r"for (\d+) cycles, at t=(\d+) ns \(last progress at t=(\d+) ns\)")


@pytest.mark.sim
def test_watchdog_fires_on_a_hung_bus_and_never_on_traffic(system_runs: SystemRuns) -> None:
    """Under Icarus: the hung bus is reported within the limit with the ring, the state
    machines, the outstanding reads and the replay command; flowing traffic never fires."""
    prints = system_runs("icarus", "tb.sims.watchdog")
    assert [p["test"] for p in prints] == ["stuck_bus_fires_the_watchdog",
                                           "flowing_traffic_never_fires"]


def _sim_stop_ns(test_dir: Path) -> float:
    """When the simulation of the (only) test in ``test_dir`` ended (cocotb's results)."""
    root = ElementTree.parse(test_dir / "results.xml").getroot()
    stops = [float(p.get("value", "nan")) for p in root.iter("property")
             if p.get("name") == "sim_time_stop"]
    assert len(stops) == 1, stops
    return stops[0]


def _assert_fired_fast(text: str, test: str, test_dir: Path) -> tuple[float, float]:
    """The run failed with the watchdog's message, ended when the watchdog fired, and that
    was within the limit of the last progress; returns (fired, last progress) in ns."""
    assert f"{test}: watchdog: no progress" in text, text
    found = _FIRED.search(text)
    assert found, f"no 'for N cycles, at t=... ns (last progress at t=... ns)' in: {text}"
    limit, fired, last = (int(g) for g in found.groups())
    assert limit == DEFAULT_LIMIT_CYCLES, text
    idle_cycles = (fired - last) / CLOCK_NS
    assert limit <= idle_cycles <= limit + SLACK_CYCLES, (
        f"the watchdog fired {idle_cycles:.0f} cycles after the last progress, not within "
        f"{limit} + {SLACK_CYCLES}: {text}")
    # the run ended right there (the watchdog's error, not the test's deadline, ended it)
    stop = _sim_stop_ns(test_dir)
    assert fired <= stop <= fired + SLACK_CYCLES * CLOCK_NS, (stop, fired, text)
    # and a few traffic set-ups in, far before the 20 ms deadline the test waited on
    assert stop < TEST_DEADLINE_NS / 50, (stop, text)
    for part in ("stalled ring(s): ", "state machines: ", "outstanding: ", "replay: "):
        assert part in text, (part, text)
    return fired, last


@pytest.mark.sim
@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
def test_a_stuck_bus_fails_the_run_fast(simulator: str) -> None:
    """An ordinary test whose bus stops answering, waiting on a deadline 20 ms of simulated
    time away: the watchdog ends the run 20,000 idle cycles after the last progress, with
    its message (the outstanding reads, the replay command) as the failure."""
    name = f"watchdog_fails_{simulator}"
    with pytest.raises(SimFailed) as info:
        run_sim(toplevel=SYSTEM_TOPLEVEL, test_module="tb.sims.watchdog",
                build_name=name, sources=system_sources(),
                parameters={"DATA_WIDTH": 64, **bfm_parameters("fast")}, testcase=[FAILING_BUS],
                extra_env={"DMANIC_WATCHDOG_FAIL": "1", "DMANIC_BFM": "fast"},
                simulator=simulator)
    text = str(info.value)
    _assert_fired_fast(text, FAILING_BUS, BUILD_ROOT / name)
    assert "reads awaiting R beats" in text, text
    assert "--test stuck_bus_fails_the_run" in text, text


# ---------------------------------------------------------------- a broken engine
@dataclass(frozen=True)
class Mutation:
    """One textual change to one engine source that leaves a state machine stuck."""

    file: str        # under hdl/
    original: str    # must occur exactly once
    mutant: str
    ring: str        # the stalled ring, as the watchdog names it ("TX RUN", ...)
    machine: str     # the stuck state machine and its state, as the watchdog names them


MUTATIONS = {
    # TX: the issue machine takes a data descriptor (I_IDLE -> I_CHUNK) and never
    # requests a chunk of it, so it never leaves I_CHUNK and nothing is read
    "tx_issue_stuck_in_chunk": Mutation(
        file="mid/dma_tx_issue.v",
        original="end else if ((!req_valid_reg || req_ready) && q_ready && credit_ok) begin",
        mutant="end else if (1'b0 && (!req_valid_reg || req_ready) && q_ready && credit_ok) begin",
        ring="TX RUN",
        machine="tx_inst.issue_inst.issue_state_reg=I_CHUNK",
    ),
    # RX: the packet walk gathers its descriptors and never sets up the write of the
    # data (never leaves X_SETUP); the wire side fills up and stops
    "rx_stuck_in_setup": Mutation(
        file="mid/dma_rx.v",
        original="if (win_out_valid && (!req_valid_reg || req_ready) && !pend_full) begin",
        mutant="if (1'b0 && win_out_valid && (!req_valid_reg || req_ready) && !pend_full) begin",
        ring="RX RUN",
        machine="rx_inst.rx_state_reg=X_SETUP",
    ),
}


def mutant_sources(mutation: Mutation, into: Path) -> tuple[list[Path], Path]:
    """A copy of hdl/ in ``into`` with ``mutation`` applied; (tb_top's sources, the copy)."""
    copy = into / "hdl"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(HDL_DIR, copy, ignore=shutil.ignore_patterns("*.md"))
    target = copy / mutation.file
    text = target.read_text()
    count = text.count(mutation.original)
    assert count == 1, (
        f"the mutation's pattern occurs {count} times in hdl/{mutation.file}, not once: the "
        f"RTL changed, choose a new mutation ({mutation.original!r})")
    target.write_text(text.replace(mutation.original, mutation.mutant))
    sources = sorted(copy.rglob("*.v")) + [TB_HDL_DIR / n for n in TB_HDL_SOURCES]
    return sources, copy


@pytest.mark.sim
@pytest.mark.parametrize(("mutation", "simulator"), [
    ("tx_issue_stuck_in_chunk", "icarus"),
    ("rx_stuck_in_setup", "icarus"),
    ("tx_issue_stuck_in_chunk", "verilator"),
])
def test_a_stuck_engine_fails_the_run_fast(mutation: str, simulator: str) -> None:
    """tb_top built from RTL with one state machine broken (:data:`MUTATIONS`), an
    ordinary test waiting on 20 ms deadlines: the watchdog ends the run within its limit
    of the last progress, naming the stalled ring, the stuck state machine by its state
    name, and the command that replays it."""
    m = MUTATIONS[mutation]
    name = f"watchdog_mutant_{mutation}_{simulator}"
    test_dir = BUILD_ROOT / name
    test_dir.mkdir(parents=True, exist_ok=True)
    sources, copy = mutant_sources(m, test_dir)
    replay = (f".venv/bin/python -m pytest 'tests/test_sim_watchdog.py::"
              f"test_a_stuck_engine_fails_the_run_fast[{mutation}-{simulator}]'")
    # under Icarus (cheap there) with waves: the GTKWave layout marks where progress stopped
    waves = simulator == "icarus"
    with pytest.raises(SimFailed) as info:
        run_sim(toplevel=SYSTEM_TOPLEVEL, test_module="tb.sims.watchdog",
                build_name=name, sources=sources, includes=[copy, TB_HDL_DIR],
                parameters={"DATA_WIDTH": 64, **bfm_parameters("fast")},
                testcase=[FAILING_ENGINE],
                extra_env={"DMANIC_WATCHDOG_FAIL": "1", "DMANIC_BFM": "fast",
                           "DMANIC_WATCHDOG_REPLAY": replay, "DMANIC_WAVES": str(int(waves))},
                simulator=simulator, waves=waves)
    text = str(info.value)
    _fired, last = _assert_fired_fast(text, FAILING_ENGINE, test_dir)
    if waves:
        layout = (test_dir / f"{SYSTEM_TOPLEVEL}.gtkw").read_text().splitlines()
        zoom = next(line for line in layout if line.startswith("*"))  # *zoom marker ...
        assert int(zoom.split()[1]) == int(last * 1000), (zoom, last)
        assert any(line.startswith("[*] marker: last progress before a 20000-cycle stall")
                   for line in layout), layout[:4]
    rings, _, idle = text.split("stalled ring(s): ", 1)[1].split("\n", 1)[0].partition("; idle: ")
    stalled = rings.split("; ")
    # the broken ring, and only it, is named as stalled; the other one is idle
    assert len(stalled) == 1 and stalled[0].startswith(m.ring) and "posted" in stalled[0], (
        m.ring, text)
    other = "RX" if m.ring.startswith("TX") else "TX"
    assert idle.startswith(other), (other, text)
    machines = text.split("state machines: ", 1)[1].split("\n", 1)[0].split(", ")
    assert m.machine in machines, (m.machine, text)
    assert all(not s.rsplit("=", 1)[1].isdigit() for s in machines), machines
    assert f"replay: {replay}" in text, text
