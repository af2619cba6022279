"""Bring-up simulations of the whole dma_engine (cocotb + Icarus).

Runs the directed tests of `tb.sims.units.dma_engine` (registers, TX, RX,
write-back coalescing, cache-line sizes, RX drops, every error case with
recovery, stop and soft reset under traffic, 4 KiB sweeps, back-pressure) on
`dma_engine` built with DATA_WIDTH 32, 64, 128 and 256, and once more with the
bus limits at their smallest (short bursts, one transaction in flight, a small
TX buffer) so that splitting, credits and outstanding limits are exercised.
"""

from __future__ import annotations

import pytest

from tb.runner import run_sim

pytestmark = pytest.mark.sim


@pytest.mark.parametrize("width", [32, 64, 128, 256])
def test_dma_engine_unit(width: int) -> None:
    run_sim(
        toplevel="dma_engine",
        test_module="tb.sims.units.dma_engine",
        build_name=f"engine_unit_w{width}",
        parameters={"DATA_WIDTH": width},
    )


def test_dma_engine_unit_tight_limits() -> None:
    run_sim(
        toplevel="dma_engine",
        test_module="tb.sims.units.dma_engine",
        build_name="engine_unit_w64_tight",
        parameters={
            "DATA_WIDTH": 64,
            "MAX_BURST_LEN": 4,
            "MAX_RD_OUTSTANDING": 1,
            "MAX_WR_OUTSTANDING": 1,
            "DESC_DEPTH": 16,
            "TX_FIFO_BEATS": 64,
        },
    )
