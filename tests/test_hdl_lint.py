"""The engine is Verilog-2005 that Icarus and both Verilators (Debian's 5.006 and the pinned
PyPI one) accept without a warning, at every data width, and yosys synthesizes it without a
latch (the checks of make lint / make synth)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tb.runner import HDL_DIR, REPO_ROOT, hdl_sources

SOURCES = [str(p) for p in hdl_sources()]


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is not installed (make test installs it)"
    return path


@pytest.mark.parametrize("width", [32, 64, 128, 256])
def test_icarus_2005_no_warning(width: int) -> None:
    run = subprocess.run(
        [_tool("iverilog"), "-g2005", "-Wall", f"-I{HDL_DIR}", "-o", os.devnull,
         "-s", "dma_engine", f"-Pdma_engine.DATA_WIDTH={width}", *SOURCES],
        capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0 and run.stdout + run.stderr == "", run.stdout + run.stderr


@pytest.mark.parametrize("width", [32, 64, 128, 256])
def test_verilator_lint_no_warning(width: int) -> None:
    run = subprocess.run(
        [_tool("verilator"), "--lint-only", "-Wall", f"-I{HDL_DIR}",
         "--top-module", "dma_engine", f"-GDATA_WIDTH={width}", *SOURCES],
        capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0 and "%Warning" not in run.stderr, run.stderr


@pytest.mark.parametrize("width", [32, 64, 128, 256])
def test_pinned_verilator_lint_no_warning(width: int) -> None:
    """The Verilator that simulates (tb.simulators) lints the engine clean with -Wall too."""
    run = subprocess.run(
        [sys.executable, "-m", "tb.simulators", "verilator", "--lint-only", "-Wall",
         f"-I{HDL_DIR}", "--top-module", "dma_engine", f"-GDATA_WIDTH={width}", *SOURCES],
        capture_output=True, text=True, check=False, cwd=REPO_ROOT,
    )
    assert run.returncode == 0 and "%Warning" not in run.stderr, run.stderr


def test_yosys_synthesizes_without_latches() -> None:
    _tool("yosys")
    run = subprocess.run(
        ["scripts/synth.sh", "dma_engine", *SOURCES], cwd=REPO_ROOT,
        env={**os.environ, "SYNTH_KEEP_MEMORIES": "1"},
        capture_output=True, text=True, check=False, timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "Number of cells" in run.stdout, run.stdout[-2000:]


def test_command_file_finds_every_module_from_the_top_file() -> None:
    """``hdl/dma_engine.vc`` names every folder of hdl/ that holds modules, so both
    Verilators lint the engine from ``hdl/dma_engine.v`` alone (as a newcomer would)."""
    vc = HDL_DIR / "dma_engine.vc"
    listed = {line.split()[1] for line in vc.read_text().splitlines() if line.startswith("-y ")}
    layers = {str(p.parent.relative_to(REPO_ROOT)) for p in hdl_sources()
              if p.parent != HDL_DIR}
    assert listed == layers, f"{vc.name} lists {sorted(listed)}, hdl/ has {sorted(layers)}"
    for cmd in ([_tool("verilator")], [sys.executable, "-m", "tb.simulators", "verilator"]):
        run = subprocess.run(
            [*cmd, "--lint-only", "-Wall", "-f", str(vc.relative_to(REPO_ROOT)),
             "hdl/dma_engine.v"],
            capture_output=True, text=True, check=False, cwd=REPO_ROOT,
        )
        assert run.returncode == 0 and "%Warning" not in run.stderr, (cmd, run.stderr)
