"""Every bus checker fires on a deliberately broken case in the full system."""

from __future__ import annotations

import pytest

from tb.runner import SYSTEM_TOPLEVEL, bfm_parameters, run_sim, system_sources

CHECKER_TESTS = [
    "stale_device_read_when_tx_flush_skipped",
    "stale_cpu_read_when_rx_invalidate_skipped",
    "dirty_line_when_rx_buffers_scribbled",
    "alignment_when_buffers_ignore_dma_alignment",
    "shared_line_when_driver_posts_part_lines",
    "not_mapped_when_bus_truncates_addresses",
    "permission_when_device_reads_cpu_buffer",
    "past_end_when_descriptor_runs_off_mapping",
    "protocol_wlast_early",
    "protocol_extra_read_beat",
]


@pytest.mark.sim
def test_checkers_fire_in_the_system() -> None:
    """One simulation, every broken case; a failure names the cocotb test and why."""
    run_sim(
        toplevel=SYSTEM_TOPLEVEL,
        test_module="tb.test_checkers_system",
        build_name="checkers_fast_w64",
        sources=system_sources(),
        parameters={"DATA_WIDTH": 64, **bfm_parameters("fast")},
        testcase=CHECKER_TESTS,
        extra_env={"DMANIC_BFM": "fast"},
    )
