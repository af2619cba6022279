"""System simulations (engine + host model + driver model) through the cocotb runner."""

from __future__ import annotations

import pytest

from tb.runner import SYSTEM_TOPLEVEL, bfm_parameters, run_sim, system_sources

SYSTEM_TESTS = [
    "traffic_noncoherent_whole_lines",
    "traffic_coherent_part_lines",
    "init_retries_with_less",
    "init_fails_cleanly",
    "tx_use_after_free_stops_ring",
    "rx_without_buffers_is_dropped_and_counted",
]


@pytest.mark.sim
@pytest.mark.parametrize(
    ("bfm", "data_width"),
    [("fast", 32), ("fast", 64), ("fast", 128), ("fast", 256), ("reference", 64)],
)
def test_system(bfm: str, data_width: int) -> None:
    """Every system test for one data width and bus-model kind; a failure names the cocotb
    test and why. The reference models run one width: tests/test_bfm_equivalence.py holds
    the two kinds to the same results."""
    run_sim(
        toplevel=SYSTEM_TOPLEVEL,
        test_module="tb.test_system",
        build_name=f"system_{bfm}_w{data_width}",
        sources=system_sources(),
        parameters={"DATA_WIDTH": data_width, **bfm_parameters(bfm)},
        testcase=SYSTEM_TESTS,
        extra_env={"DMANIC_BFM": bfm},
    )
