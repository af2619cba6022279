"""``tb_axi_monitor`` + ``AxiBurstMonitor`` on their own: no event lost, all exact."""

from __future__ import annotations

import pytest

from tb.runner import TB_HDL_DIR, run_sim


@pytest.mark.sim
@pytest.mark.parametrize(
    ("data_width", "max_burst_len", "seg_beats"),
    [(32, 8, 2), (256, 16, 16)],
)
def test_monitor_events(data_width: int, max_burst_len: int, seg_beats: int) -> None:
    """ARs on every cycle, writes completing on the same cycles, W before AW and AW before W."""
    run_sim(
        toplevel="tb_axi_monitor",
        test_module="tb.sims.monitor_unit",
        build_name=f"bfm_unit_monitor_w{data_width}_b{max_burst_len}_s{seg_beats}",
        sources=[TB_HDL_DIR / "tb_axi_monitor.v"],
        parameters={
            "DATA_WIDTH": data_width,
            "MAX_BURST_LEN": max_burst_len,
            "SEG_BEATS": seg_beats,
            "DEPTH": 8,
        },
    )
