"""Two simulators, one answer: Icarus and Verilator agree on every run, cycle for cycle.

Every system run writes a fingerprint per cocotb test (``tb.env.DmaEnv.fingerprint``):
the simulated time it ended at, the SHA-256 of its event trace (every AXI burst with
its handshake time and every register access with its value, in order), the packet
digests, the checkers' counts and findings, the protocol findings, the IOMMU fault
log and the driver's counters. Icarus and Verilator must write the same fingerprints
for the default scenario on several seeds (1113842240 among them, whose 200 + 200
packet run once hung under Verilator) and for every system test, at every data
width, with both bus-model kinds, on coherent and non-coherent hosts (the checker and
completion-checker tests, with their broken cases, at one), and for the engine's
bring-up tests at full and at tight bus limits.

When they differ: replay both with ``DMANIC_TRACE=1`` (or ``make sim ... TRACE=1
SIM=icarus`` / ``SIM=verilator``) and ``python -m tb.trace A B`` names the first
event where they part ways. What made them differ once is in tb/phase.py.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from test_sim_engine_bringup import BUILDS, MODULE, bringup_env

from tb.scenario_config import ScenarioConfig

#: the session fixture of tests/conftest.py
SystemRuns = Callable[..., list[dict[str, object]]]

SYSTEM_CONFIGS = [("fast", 32), ("fast", 64), ("fast", 128), ("fast", 256), ("reference", 64)]

#: the seed of the bring-up tests' comparison
BRINGUP_SEED = 2026

#: (seed, packets each way, bus models, data width, coherent host)
SCENARIOS = [
    (1113842240, 200, "fast", 64, False),
    (1, 40, "fast", 32, True),
    (5, 60, "fast", 128, False),
    (3, 60, "fast", 256, True),
    (7, 16, "reference", 64, True),
]


def disagreements(
    icarus: list[dict[str, object]], verilator: list[dict[str, object]]
) -> list[str]:
    """What differs between two runs' fingerprints, test by test (empty: they agree)."""
    names_i = [str(p["test"]) for p in icarus]
    names_v = [str(p["test"]) for p in verilator]
    if names_i != names_v:
        return [f"different tests ran: Icarus {names_i}, Verilator {names_v}"]
    out = []
    for a, b in zip(icarus, verilator, strict=True):
        out.extend(
            f"{a['test']}: {key}: Icarus {a.get(key)!r}, Verilator {b.get(key)!r}"
            for key in sorted(set(a) | set(b)) if a.get(key) != b.get(key)
        )
    return out


def _assert_agree(icarus: list[dict[str, object]], verilator: list[dict[str, object]],
                  replay: str) -> None:
    assert icarus, "the run wrote no fingerprint"
    problems = disagreements(icarus, verilator)
    assert not problems, (
        "Icarus and Verilator disagree:\n  " + "\n  ".join(problems[:20])
        + f"\nfind the first diverging event: {replay}, under both, then python -m tb.trace A B"
    )


@pytest.mark.sim
@pytest.mark.parametrize(("seed", "packets", "bfm", "data_width", "coherent"), SCENARIOS,
                         ids=[f"seed{s[0]}-{s[2]}-w{s[3]}{'-coherent' if s[4] else ''}"
                              for s in SCENARIOS])
def test_default_scenario_agrees(system_runs: SystemRuns, seed: int, packets: int, bfm: str,
                                 data_width: int, coherent: bool) -> None:
    cfg = ScenarioConfig(seed=seed, tx_packets=packets, rx_packets=packets, bfm=bfm,
                         coherent=coherent)
    runs = [system_runs(sim, "tb.sims.scenario", bfm=bfm, data_width=data_width,
                        extra_env=cfg.to_env()) for sim in ("icarus", "verilator")]
    replay = (f"make sim SEED={seed} TX={packets} RX={packets} DATA_WIDTH={data_width}"
              f"{' BFM=reference' if bfm == 'reference' else ''}"
              f"{' COHERENT=1' if coherent else ''} TRACE=1 SIM=...")
    _assert_agree(*runs, replay)


@pytest.mark.sim
@pytest.mark.parametrize(("bfm", "data_width"), SYSTEM_CONFIGS)
def test_system_tests_agree(system_runs: SystemRuns, bfm: str, data_width: int) -> None:
    runs = [system_runs(sim, "tb.sims.system", bfm=bfm, data_width=data_width)
            for sim in ("icarus", "verilator")]
    _assert_agree(*runs, f"DMANIC_TRACE=1 on tb.sims.system (bfm {bfm}, width {data_width})")


@pytest.mark.sim
def test_checker_tests_agree(system_runs: SystemRuns) -> None:
    runs = [system_runs(sim, "tb.sims.checker_cases") for sim in ("icarus", "verilator")]
    _assert_agree(*runs, "DMANIC_TRACE=1 on tb.sims.checker_cases")


@pytest.mark.sim
def test_completion_tests_agree(system_runs: SystemRuns) -> None:
    runs = [system_runs(sim, "tb.sims.completion_cases") for sim in ("icarus", "verilator")]
    _assert_agree(*runs, "DMANIC_TRACE=1 on tb.sims.completion_cases")


@pytest.mark.sim
@pytest.mark.parametrize("build", ["w64", "w64_tight"])
def test_engine_bringup_agrees(system_runs: SystemRuns, build: str) -> None:
    """The bring-up tests (tests/test_sim_engine_bringup.py) on one seed: the same cycles,
    bursts and register values under both simulators, at full and at tight bus limits."""
    params = dict(BUILDS[build])
    width = params.pop("DATA_WIDTH")
    runs = [system_runs(sim, MODULE, data_width=width, parameters=params,
                        extra_env=bringup_env(BRINGUP_SEED)) for sim in ("icarus", "verilator")]
    _assert_agree(*runs, f"DMANIC_SEED={BRINGUP_SEED} DMANIC_TRACE=1 on {MODULE} ({build})")


def test_disagreements_names_what_differs() -> None:
    """The comparison cannot pass two different runs: it names the test and the field."""
    a = [{"test": "t1", "time_ns": 100, "trace": "ab"}]
    b = [{"test": "t1", "time_ns": 104, "trace": "ab"}]
    assert disagreements(a, a) == []
    assert disagreements(a, b) == ["t1: time_ns: Icarus 100, Verilator 104"]
    assert disagreements(a, [{"test": "t2", "time_ns": 100, "trace": "ab"}]) == [
        "different tests ran: Icarus ['t1'], Verilator ['t2']"
    ]
