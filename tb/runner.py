"""Build and run an HDL simulation under Icarus or Verilator through ``cocotb_tools.runner``.

Used by pytest (``tests/``) and by ``make sim``; it does not import cocotb's
simulator-side modules, so it runs in the ordinary Python process. Simulator
set-up and build flags live in :mod:`tb.simulators`.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from xml.etree import ElementTree

from cocotb_tools.runner import get_runner

from tb.simulators import (
    PUBLIC_CONFIG,
    SIMULATORS,
    build_verilator,
    check_simulator,
    verilator_env,
)

__all__ = [
    "HDL_DIR",
    "REPO_ROOT",
    "SIMULATORS",
    "SYSTEM_TOPLEVEL",
    "TB_HDL_DIR",
    "SimFailed",
    "bfm_parameters",
    "cocotb_tests",
    "hdl_sources",
    "read_fingerprints",
    "read_summary",
    "run_sim",
    "system_sources",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
HDL_DIR = REPO_ROOT / "hdl"
TB_HDL_DIR = REPO_ROOT / "tb" / "hdl"
BUILD_ROOT = REPO_ROOT / "build"
#: Files a run leaves in its test directory (removed before the next run there).
RUN_OUTPUTS = (
    "results.xml", "summary.json", "fingerprints.jsonl", "trace.txt", "progress.json",
)
#: The simulator of a run that names none (``make sim SIM=...`` names one).
DEFAULT_SIMULATOR = SIMULATORS[0]

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
    "tb_py_notify.v",
    "tb_perf_monitor.v",
    "tb_watchdog.v",
)


class SimFailed(AssertionError):
    """A cocotb simulation reported failing tests or ended abnormally."""


def hdl_sources() -> list[Path]:
    """Every synthesizable source of the engine (``hdl/**/*.v``: top, front, mid, back, prim)."""
    return sorted(HDL_DIR.rglob("*.v"))


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
    return [
        f"{case.get('name')}: {bad.get('message') or bad.text or 'failed'}"
        for case in ElementTree.parse(results_xml).getroot().iter("testcase")
        for bad in [*case.findall("failure"), *case.findall("error")]
    ]


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
    sim_args: Sequence[str] = (),
    plusargs: Sequence[str] = (),
    simulator: str = DEFAULT_SIMULATOR,
    build_root: Path = BUILD_ROOT,
    log_file: Path | None = None,
    verilator_public: Path | None = PUBLIC_CONFIG,
) -> Path:
    """Build ``toplevel`` and run the cocotb tests of ``test_module`` on it.

    ``simulator`` is ``"icarus"`` or ``"verilator"`` (:data:`SIMULATORS`); the test
    directory is ``build_root/build_name`` (Icarus builds there too; Verilator builds are
    cached by content under ``build_root/verilator``). ``includes`` replaces the include
    path (hdl/, tb/hdl/); ``sim_args`` go to the simulator executable (for Icarus, for
    example ``-M dir -m module`` to load a VPI module), ``plusargs`` to the design.
    ``log_file``: the simulators' own output goes there instead of the console.
    ``verilator_public``: what VPI may write under Verilator (a ``.vlt`` file; ``None``:
    every signal, as a toplevel whose inputs Python drives needs).
    Returns the test directory (where a test may leave a ``summary.json``).
    Raises :class:`SimFailed` naming every failing test.
    """
    check_simulator(simulator)
    test_dir = build_root / build_name
    test_dir.mkdir(parents=True, exist_ok=True)
    for stale in RUN_OUTPUTS:  # an earlier run's files must not pass for this one's
        (test_dir / stale).unlink(missing_ok=True)
    srcs = list(sources if sources is not None else hdl_sources())
    incs = list(includes) if includes is not None else [HDL_DIR, TB_HDL_DIR]
    params = dict(parameters or {})
    runner = get_runner(simulator)
    if simulator == "verilator":
        build_dir = build_verilator(
            toplevel=toplevel, sources=srcs, includes=incs, parameters=params,
            cache_root=build_root / "verilator", waves=waves, public=verilator_public,
        )
        base_env: dict[str, str] = verilator_env()
    else:
        build_dir = test_dir
        runner.build(
            sources=srcs,
            includes=incs,
            hdl_toplevel=toplevel,
            parameters=params,
            build_dir=build_dir,
            timescale=("1ns", "1ps"),
            waves=waves,
            always=True,
            log_file=None if log_file is None else log_file.with_suffix(".build.log"),
        )
        base_env = {}
    env = {
        **base_env,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
        # numpy's BLAS threads spin inside the simulator process and steal a core
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        # cocotb applies Python's writes in the ReadWrite phase under both simulators,
        # so both see them at the same point of the time step (see tb/simulators.py)
        "COCOTB_TRUST_INERTIAL_WRITES": "0",
        # pytest's assertion rewriting for the cocotb test modules only (by default
        # cocotb rewrites every module it imports: ~1 s of start-up per simulation)
        "COCOTB_REWRITE_ASSERTION_FILES": "*/sims/*.py",
        "DMANIC_SIMULATOR": simulator,
    }
    env.update(extra_env or {})
    results = test_dir / "results.xml"
    args = list(sim_args)
    if simulator == "verilator" and waves:
        args += ["--trace-file", str(test_dir / f"{toplevel}.fst")]
    # under pytest the runner exits on failure; the results file says why
    with contextlib.suppress(SystemExit):
        runner.test(
            test_module=test_module,
            hdl_toplevel=toplevel,
            hdl_toplevel_lang="verilog",
            testcase=testcase,
            build_dir=build_dir,
            test_dir=test_dir,
            extra_env=env,
            waves=waves,
            seed=seed,
            results_xml=str(results),
            test_args=args,
            plusargs=list(plusargs),
            log_file=log_file,
        )
    failures = _failures(results)
    if failures:
        raise SimFailed(f"{toplevel} ({build_name}, {simulator}): " + "; ".join(failures))
    return test_dir


def read_summary(test_dir: Path, name: str = "summary.json") -> dict[str, object]:
    """The JSON summary a cocotb test wrote into its test directory."""
    path = test_dir / name
    if not path.is_file():
        raise SimFailed(f"the simulation wrote no {path}")
    data: dict[str, object] = json.loads(path.read_text())
    return data


def cocotb_tests(module: str) -> list[str]:
    """Names of the ``@cocotb.test`` functions of ``module`` (``tb.sims.system``), in order.

    Read from the source, so pytest knows what a simulation will run without importing
    simulator-side code.
    """
    path = REPO_ROOT / (module.replace(".", "/") + ".py")
    tree = ast.parse(path.read_text(), str(path))
    names = [
        node.name for node in tree.body
        if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef) and any(
            ast.unparse(d).startswith(("cocotb.test", "test")) for d in node.decorator_list
        )
    ]
    if not names:
        raise SimFailed(f"{path} holds no @cocotb.test function")
    return names


def read_fingerprints(test_dir: Path) -> list[dict[str, object]]:
    """The fingerprints (tb.env.FINGERPRINT_FILE) the run's tests wrote, in test order."""
    path = test_dir / "fingerprints.jsonl"
    if not path.is_file():
        raise SimFailed(f"the simulation wrote no {path}")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


if __name__ == "__main__":  # pragma: no cover - manual use
    sys.exit("use make sim or pytest")
