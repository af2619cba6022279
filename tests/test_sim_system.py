"""System simulations (engine + host model + driver model) through the cocotb runner."""

from __future__ import annotations

import pytest

from tb.runner import run_sim

SYSTEM_TESTS = [
    "traffic_noncoherent_whole_lines",
    "traffic_coherent_part_lines",
    "init_retries_with_less",
    "init_fails_cleanly",
    "tx_use_after_free_stops_ring",
    "rx_without_buffers_is_dropped_and_counted",
]


@pytest.mark.sim
@pytest.mark.parametrize("data_width", [32, 64, 128, 256])
def test_system(data_width: int) -> None:
    """Every system test for one data width; a failure names the cocotb test and why."""
    run_sim(
        toplevel="dma_engine",
        test_module="tb.test_system",
        build_name=f"system_w{data_width}",
        parameters={"DATA_WIDTH": data_width},
        testcase=SYSTEM_TESTS,
    )
