"""Build and run an HDL simulation under Icarus through ``cocotb_tools.runner``.

Used by pytest (``tests/``) and by ``make sim``; it does not import cocotb's
simulator-side modules, so it runs in the ordinary Python process.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from xml.etree import ElementTree

from cocotb_tools.runner import get_runner

__all__ = [
    "HDL_DIR",
    "REPO_ROOT",
    "SYSTEM_TOPLEVEL",
    "TB_HDL_DIR",
    "SimFailed",
    "bfm_parameters",
    "hdl_sources",
    "run_sim",
    "system_sources",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
HDL_DIR = REPO_ROOT / "hdl"
TB_HDL_DIR = REPO_ROOT / "tb" / "hdl"
BUILD_ROOT = REPO_ROOT / "build"

#: The toplevel of every system simulation (engine + bus models + monitor).
SYSTEM_TOPLEVEL = "tb_top"
#: Test-bench HDL that tb_top instantiates (the bus models' transactors, the monitor).
TB_HDL_SOURCES = (
    "tb_top.v",
    "tb_axi_monitor.v",
    "tb_axi_mem.v",
    "tb_axil_master.v",
    "tb_axis_source.v",
    "tb_axis_sink.v",
    "tb_axi_mangler.v",
    "tb_axi4_checker.v",
    "tb_axil_checker.v",
    "tb_axis_checker.v",
)


class SimFailed(AssertionError):
    """A cocotb simulation reported failing tests or ended abnormally."""


def hdl_sources() -> list[Path]:
    """Every synthesizable source of the engine (``hdl/*.v``)."""
    return sorted(HDL_DIR.glob("*.v"))


def system_sources() -> list[Path]:
    """The engine and the test-bench HDL around it (toplevel ``tb_top``)."""
    return hdl_sources() + [TB_HDL_DIR / name for name in TB_HDL_SOURCES]


def bfm_parameters(bfm: str) -> dict[str, int]:
    """``tb_top`` parameters for the bus models ``bfm`` ("fast" or "reference")."""
    if bfm not in ("fast", "reference"):
        raise ValueError(f"bus models must be 'fast' or 'reference', not {bfm!r}")
    return {"FAST": int(bfm == "fast")}


def _failures(results_xml: Path) -> list[str]:
    """Names and messages of failing test cases in a cocotb results file."""
    if not results_xml.is_file():
        return [f"simulation ended without writing {results_xml}"]
    out = []
    for case in ElementTree.parse(results_xml).getroot().iter("testcase"):
        for bad in list(case.findall("failure")) + list(case.findall("error")):
            out.append(f"{case.get('name')}: {bad.get('message') or bad.text or 'failed'}")
    return out


def run_sim(
    *,
    toplevel: str,
    test_module: str,
    build_name: str,
    sources: Sequence[Path] | None = None,
    parameters: Mapping[str, object] | None = None,
    testcase: str | Sequence[str] | None = None,
    extra_env: Mapping[str, str] | None = None,
    waves: bool = False,
    seed: int | None = None,
    includes: Sequence[Path] | None = None,
    vvp_args: Sequence[str] = (),
) -> Path:
    """Build ``toplevel`` and run the cocotb tests of ``test_module`` on it.

    ``includes`` replaces the include path (hdl/, tb/hdl/); ``vvp_args`` go to
    the simulator (for example ``-M dir -m module`` to load a VPI module).
    Returns the test directory (where a test may leave a ``summary.json``).
    Raises :class:`SimFailed` naming every failing test.
    """
    build_dir = BUILD_ROOT / build_name
    runner = get_runner("icarus")
    runner.build(
        sources=list(sources if sources is not None else hdl_sources()),
        includes=list(includes) if includes is not None else [HDL_DIR, TB_HDL_DIR],
        hdl_toplevel=toplevel,
        parameters=dict(parameters or {}),
        build_dir=build_dir,
        timescale=("1ns", "1ps"),
        waves=waves,
        always=True,
    )
    env = {
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
        # numpy's BLAS threads spin inside the simulator process and steal a core from vvp
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
    }
    env.update(extra_env or {})
    results = build_dir / "results.xml"
    try:
        runner.test(
            test_module=test_module,
            hdl_toplevel=toplevel,
            hdl_toplevel_lang="verilog",
            testcase=testcase,
            build_dir=build_dir,
            test_dir=build_dir,
            extra_env=env,
            waves=waves,
            seed=seed,
            results_xml=str(results),
            test_args=list(vvp_args),
        )
    except SystemExit:
        pass  # under pytest the runner exits on failure; the results file says why
    failures = _failures(results)
    if failures:
        raise SimFailed(f"{toplevel} ({build_name}): " + "; ".join(failures))
    return build_dir


def read_summary(test_dir: Path, name: str = "summary.json") -> dict[str, object]:
    """The JSON summary a cocotb test wrote into its test directory."""
    path = test_dir / name
    if not path.is_file():
        raise SimFailed(f"the simulation wrote no {path}")
    data: dict[str, object] = json.loads(path.read_text())
    return data


if __name__ == "__main__":  # pragma: no cover - manual use
    sys.exit("use make sim or pytest")
