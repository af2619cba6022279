"""Unit simulations of the engine's primitives and AXI back ends (cocotb + Icarus).

Each test builds one DUT with one parameter set and runs the cocotb test module
`tb.sims.units.<dut>` on it (see tb/runner.py).
"""

from __future__ import annotations

import pytest

from tb.runner import HDL_DIR, run_sim

pytestmark = pytest.mark.sim

WIDTHS = [32, 64, 128, 256]


def _src(*names: str) -> list:
    return [next(HDL_DIR.rglob(f"{n}.v")) for n in names]


@pytest.mark.parametrize(
    ("width", "depth"),
    [(8, 2), (16, 16), (64, 16384)],
    ids=lambda v: str(v),
)
def test_dma_fifo(width: int, depth: int) -> None:
    run_sim(
        toplevel="dma_fifo",
        test_module="tb.sims.units.dma_fifo",
        build_name=f"unit_dma_fifo_w{width}_d{depth}",
        sources=_src("dma_fifo"),
        parameters={"WIDTH": width, "DEPTH": depth},
    )


def test_dma_rr_arbiter() -> None:
    run_sim(
        toplevel="dma_rr_arbiter",
        test_module="tb.sims.units.dma_rr_arbiter",
        build_name="unit_dma_rr_arbiter_p5",
        sources=_src("dma_rr_arbiter"),
        parameters={"PORTS": 5},
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_dma_realign(width: int) -> None:
    run_sim(
        toplevel="dma_realign",
        test_module="tb.sims.units.dma_realign",
        build_name=f"unit_dma_realign_w{width}",
        sources=_src("dma_realign"),
        parameters={"DATA_WIDTH": width},
    )


# (DATA_WIDTH, MAX_BURST_LEN, MAX_OUTSTANDING, CLIENTS): every width with small and
# large limits, plus the extremes (one-beat bursts, one burst in flight, one client;
# 256-beat bursts with 32 in flight)
BACK_END_PARAMS = [
    (32, 16, 4, 3),
    (64, 64, 8, 3),
    (128, 256, 16, 3),
    (256, 8, 2, 3),
    (64, 1, 1, 1),
    (32, 256, 32, 3),
]


def _back_end(module: str, width: int, burst: int, outstanding: int, clients: int) -> None:
    run_sim(
        toplevel=module,
        test_module=f"tb.sims.units.{module}",
        build_name=f"unit_{module}_w{width}_b{burst}_o{outstanding}_c{clients}",
        sources=_src(module, "dma_rr_arbiter"),
        parameters={
            "DATA_WIDTH": width,
            "MAX_BURST_LEN": burst,
            "MAX_OUTSTANDING": outstanding,
            "CLIENTS": clients,
        },
    )


@pytest.mark.parametrize(("width", "burst", "outstanding", "clients"), BACK_END_PARAMS)
def test_dma_axi_rd(width: int, burst: int, outstanding: int, clients: int) -> None:
    _back_end("dma_axi_rd", width, burst, outstanding, clients)


@pytest.mark.parametrize(("width", "burst", "outstanding", "clients"), BACK_END_PARAMS)
def test_dma_axi_wr(width: int, burst: int, outstanding: int, clients: int) -> None:
    _back_end("dma_axi_wr", width, burst, outstanding, clients)
