"""The two bus-model kinds on the same seeded scenario: the same results, and a monitor
that sees every burst the memory model serves.

``fast`` (HDL transactors, Python once per burst or packet) must be a drop-in for
``reference`` (cocotbext-axi, Python every beat): same packets out of the engine
and delivered by the driver (content digests), same engine counters, no fault,
no leak, no part-line write-back.
"""

from __future__ import annotations

import pytest

from tb.runner import SYSTEM_TOPLEVEL, bfm_parameters, read_summary, run_sim, system_sources
from tb.scenario_config import ScenarioConfig

SCENARIO: dict[str, object] = {
    "seed": 20261122, "tx_packets": 24, "rx_packets": 24, "max_len": 4000, "checkers": True,
}
COMPARED = (
    "tx_packets", "tx_bytes", "tx_digest", "tx_ring_packets",
    "rx_packets", "rx_bytes", "rx_digest", "rx_ring_packets",
    "rx_dropped", "rx_err_drops", "faults", "leaks", "partial_line_writebacks",
)


def _scenario(bfm: str) -> dict[str, object]:
    cfg = ScenarioConfig(bfm=bfm, **SCENARIO)  # type: ignore[arg-type]
    test_dir = run_sim(
        toplevel=SYSTEM_TOPLEVEL,
        test_module="tb.sims.scenario",
        build_name=f"bfm_equiv_{bfm}",
        sources=system_sources(),
        parameters={"DATA_WIDTH": 64, **bfm_parameters(bfm)},
        extra_env=cfg.to_env(),
    )
    return read_summary(test_dir)


@pytest.mark.sim
def test_same_results_in_both_modes() -> None:
    fast, ref = _scenario("fast"), _scenario("reference")
    differ = {k: {"fast": fast[k], "reference": ref[k]} for k in COMPARED if fast[k] != ref[k]}
    assert not differ, f"the bus-model kinds disagree: {differ}"
    assert fast["tx_packets"] == SCENARIO["tx_packets"]
    assert fast["rx_packets"] == SCENARIO["rx_packets"] - fast["rx_dropped"]
    assert (fast["faults"], fast["leaks"], fast["partial_line_writebacks"]) == (0, 0, 0)


@pytest.mark.sim
@pytest.mark.parametrize("bfm", ["fast", "reference"])
def test_monitor_sees_every_burst(bfm: str) -> None:
    """The monitor's bursts, byte for byte, are what the host model received."""
    test_dir = run_sim(
        toplevel=SYSTEM_TOPLEVEL,
        test_module="tb.sims.monitor_in_system",
        build_name=f"bfm_monitor_{bfm}",
        sources=system_sources(),
        parameters={"DATA_WIDTH": 64, **bfm_parameters(bfm)},
        extra_env={"DMANIC_BFM": bfm},
    )
    summary = read_summary(test_dir, "monitor_summary.json")
    assert summary["write_bursts"] and summary["read_bursts"]
    assert summary["checker_findings"] == []



SMALL: dict[str, object] = {"seed": 7, "tx_packets": 12, "rx_packets": 12, "max_len": 3000}


def _fast(name: str, **settings: int) -> dict[str, object]:
    cfg = ScenarioConfig(bfm="fast", **SMALL, **settings)  # type: ignore[arg-type]
    return read_summary(run_sim(
        toplevel=SYSTEM_TOPLEVEL, test_module="tb.sims.scenario", build_name=name,
        sources=system_sources(), parameters={"DATA_WIDTH": 64, **bfm_parameters("fast")},
        extra_env=cfg.to_env(),
    ))


@pytest.fixture(scope="module")
def fast_default() -> dict[str, object]:
    return _fast("bfm_settings_default")


@pytest.mark.sim
@pytest.mark.parametrize(("latency", "outstanding"), [(0, 1), (1000, 32)])
def test_fast_memory_settings_keep_results(
    fast_default: dict[str, object], latency: int, outstanding: int
) -> None:
    """Host-memory latency and the outstanding limit change timing, never the packets."""
    got = _fast(f"bfm_settings_l{latency}_o{outstanding}", mem_latency=latency,
                mem_outstanding=outstanding)
    for key in ("tx_digest", "rx_digest", "tx_packets", "rx_packets", "faults", "leaks"):
        assert got[key] == fast_default[key], (
            f"{key}: {got[key]} with latency {latency} / {outstanding} outstanding, "
            f"{fast_default[key]} with the defaults"
        )
    assert got["cycles"] != fast_default["cycles"], "the settings did not reach the memory"
