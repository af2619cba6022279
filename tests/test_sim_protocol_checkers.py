"""Simulations of the bus-protocol checkers and the AXI mangler (cocotb + Icarus), and
a lint of their Verilog.

``tb_checker_test_top`` is built once per data width and runs the cocotb module
``tb.sims.units.protocol_checkers``: at 64 bits every test (one broken case per rule,
one scenario per mangler mode, the clean cases); at 32 and 256 bits the clean cases.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tb.runner import TB_HDL_DIR, run_sim

CHECKER_HDL = [
    TB_HDL_DIR / f"{name}.v"
    for name in (
        "tb_checker_test_top",
        "tb_axi_mangler",
        "tb_axi4_checker",
        "tb_axil_checker",
        "tb_axis_checker",
    )
]

CLEAN_TESTS = [
    "test_axi_clean_random_traffic",
    "test_axil_clean_random_traffic",
    "test_axis_clean_random_traffic",
    "test_clean_corner_cases",
]


def _run(width: int, testcase: list[str] | None = None) -> None:
    run_sim(
        toplevel="tb_checker_test_top",
        test_module="tb.sims.units.protocol_checkers",
        build_name=f"protocol_checkers_w{width}",
        sources=CHECKER_HDL,
        parameters={"DATA_WIDTH": width},
        testcase=testcase,
    )


@pytest.mark.sim
def test_protocol_checkers_w64() -> None:
    """Every rule fires on its broken case, every mangler mode, and no false alarm."""
    _run(64)


@pytest.mark.sim
@pytest.mark.parametrize("width", [32, 256])
def test_protocol_checkers_clean(width: int) -> None:
    """No false alarm at other data widths."""
    _run(width, CLEAN_TESTS)


def test_checker_hdl_lints() -> None:
    """The checkers, the mangler and their harness are Verilog-2005 and lint clean."""
    assert shutil.which("iverilog"), "iverilog is not installed (make test installs it)"
    files = [str(p) for p in CHECKER_HDL]
    subprocess.run(
        ["iverilog", "-g2005", "-Wall", f"-I{TB_HDL_DIR}", "-o", "/dev/null",
         "-s", "tb_checker_test_top", *files],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    assert shutil.which("verilator"), "verilator is not installed (make test installs it)"
    for width in (32, 64, 256):
        lint = subprocess.run(
            ["verilator", "--lint-only", "-Wall", f"-I{TB_HDL_DIR}",
             "--top-module", "tb_checker_test_top", f"-GDATA_WIDTH={width}", *files],
            check=False, capture_output=True, text=True,
        )  # fmt: skip
        assert lint.returncode == 0, lint.stderr
