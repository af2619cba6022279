"""Building and running memcpy_dma's cocotb benches (the pytest launchers call :func:`run`).

How a user launches a tb.vip bench on a toplevel of their own: ``tb.runner.run_sim``
with the simulator and the build directory as arguments, the toplevel's include
directory, and every signal writable under Verilator (``verilator_public=None``:
Python drives the toplevel's inputs).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from xml.etree import ElementTree

from tb.runner import TB_HDL_DIR, SimFailed, run_sim
from tb.vip import RECORD_ENV

__all__ = ["HDL_DIR", "RECORD_FILE", "run", "sources"]

#: the engine's Verilog
HDL_DIR = Path(__file__).resolve().parent / "hdl"
#: what the kit records in a run's directory (bursts and findings, JSON lines)
RECORD_FILE = "vip_record.jsonl"


def sources(toplevel: str = "memcpy_dma") -> list[Path]:
    """The Verilog of ``memcpy_dma`` or of ``memcpy_dma_harness`` (with the kit's HDL)."""
    engine = [HDL_DIR / "memcpy_dma.v"]
    if toplevel == "memcpy_dma":
        return engine
    if toplevel == "memcpy_dma_harness":
        return [*engine, HDL_DIR / "memcpy_dma_harness.v", TB_HDL_DIR / "tb_axi_monitor.v",
                TB_HDL_DIR / "tb_axi_mem.v"]
    raise ValueError(f"toplevel must be memcpy_dma or memcpy_dma_harness, not {toplevel!r}")


def run(test_module: str, *, build_name: str, build_root: Path, simulator: str,
        toplevel: str = "memcpy_dma", parameters: Mapping[str, object] | None = None,
        tests: str | None = None, expect_tests: int | None = None,
        extra_env: Mapping[str, str] | None = None) -> Path:
    """Run the cocotb tests of ``test_module`` (those whose name matches the regular
    expression ``tests``) on ``toplevel``; the kit records into ``RECORD_FILE`` of the
    returned test directory. ``expect_tests``: how many tests must have run."""
    test_dir = build_root / build_name
    record = test_dir / RECORD_FILE
    record.unlink(missing_ok=True)
    env = {RECORD_ENV: str(record), **(extra_env or {})}
    if tests is not None:
        env["COCOTB_TEST_FILTER"] = tests
    run_sim(
        toplevel=toplevel,
        test_module=test_module,
        build_name=build_name,
        sources=sources(toplevel),
        includes=[HDL_DIR],
        parameters=parameters,
        extra_env=env,
        simulator=simulator,
        build_root=build_root,
        verilator_public=None,
    )
    if expect_tests is not None:
        ran = len(list(ElementTree.parse(test_dir / "results.xml").getroot().iter("testcase")))
        if ran != expect_tests:
            raise SimFailed(f"{toplevel} ({build_name}, {simulator}): {ran} tests ran, "
                            f"expected {expect_tests}")
    return test_dir
