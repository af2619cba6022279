"""Bring-up simulations of the whole dma_engine at every data width (cocotb + Icarus).

Runs the directed tests of `tb.units.test_dma_engine_unit` (registers, TX, RX,
write-back coalescing, RX drops, every error case with recovery, back-pressure)
on `dma_engine` built with DATA_WIDTH 32, 64, 128 and 256.
"""

from __future__ import annotations

import pytest

from tb.runner import run_sim

pytestmark = pytest.mark.sim


@pytest.mark.parametrize("width", [32, 64, 128, 256])
def test_dma_engine_unit(width: int) -> None:
    run_sim(
        toplevel="dma_engine",
        test_module="tb.units.test_dma_engine_unit",
        build_name=f"engine_unit_w{width}",
        parameters={"DATA_WIDTH": width},
    )
