"""A short soak in ``make test`` (tb/sims/soak.py through tb.soak): the same random mix of
faults as ``make soak``, 1,500 packets in epochs of 20, under both simulators."""

from __future__ import annotations

import pytest

from tb.soak import format_summary, replay_command, run_soak

PACKETS = 1500
EPOCH = 20


@pytest.mark.sim
@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
def test_short_soak(simulator: str) -> None:
    """Small epochs so that 1,500 packets in epochs of 20 draw many faults: each fault's outcome is
    asserted inside the run; here the summary: packets, both balances, no leak, the only
    checker findings the injected IOMMU faults, the pool's marks recorded."""
    s = run_soak(seed=2026, packets=PACKETS, sim=simulator, build_name=f"soak_short_{simulator}",
                 epoch=EPOCH)
    print(format_summary(s))  # noqa: T201
    # the faults' own traffic (floods, storms) ends some epochs early
    assert s["packets"] >= PACKETS and s["epochs"] >= 10, s
    assert sum(s["faults"].values()) == s["epochs"] and len(s["faults"]) >= 6, s["faults"]
    tx, rx = s["tx"], s["rx"]
    assert tx["unexplained"] == 0 and tx["delivered"] >= tx["sent"] // 2, tx
    assert rx["unexplained"] <= rx["bound"] and rx["delivered"] >= rx["sent"] // 2, rx
    assert s["leaks"] == 0 and s["checkers"]["protocol_findings"] == 0
    assert set(s["checkers"]["findings"]) <= {"NOT_MAPPED"}, s["checkers"]
    assert s["pool"]["max_buffers"] >= s["pool"]["min_buffers"] > 0, s["pool"]


def test_replay_command_names_every_setting() -> None:
    assert replay_command(7, 1000, "verilator") == "make soak SEED=7 PACKETS=1000"
    assert replay_command(7, 1000, "icarus", epoch=50, faults="none,soft_reset") == (
        "make soak SEED=7 PACKETS=1000 SIM=icarus EPOCH=50 FAULTS=none,soft_reset")
