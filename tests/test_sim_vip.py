"""The verification kit (tb/vip) under both simulators: tb/sims/vip_kit.py on memcpy_dma,
tb/sims/vip_harness.py on memcpy_dma_harness (the kit's HDL monitor and memory beside it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from examples.memcpy_dma import build
from tb.runner import BUILD_ROOT, SIMULATORS

#: tests of tb/sims/vip_kit.py: a clean chain, five broken drivers, stop mode, time, a driver
#: model's NDIS calls, bind error
KIT_TESTS = 10


def _record(test_dir: Path) -> list[str]:
    return (test_dir / build.RECORD_FILE).read_text().splitlines()


@pytest.fixture(scope="module")
def records() -> dict[tuple[str, str], list[str]]:
    """(bench, simulator) -> the kit's record of the run (bursts and findings)."""
    return {}


def _kit(simulator: str) -> Path:
    return build.run("tb.sims.vip_kit", build_name=f"vip_kit_{simulator}", build_root=BUILD_ROOT,
                     simulator=simulator, expect_tests=KIT_TESTS)


def _monitors(simulator: str) -> Path:
    return build.run("tb.sims.vip_harness", build_name=f"vip_monitors_{simulator}",
                     build_root=BUILD_ROOT, simulator=simulator, toplevel="memcpy_dma_harness",
                     parameters={"FAST": 0}, tests="monitors_agree", expect_tests=1)


def _fast(simulator: str) -> Path:
    return build.run("tb.sims.vip_harness", build_name=f"vip_fast_{simulator}",
                     build_root=BUILD_ROOT, simulator=simulator, toplevel="memcpy_dma_harness",
                     parameters={"FAST": 1}, tests="fast_path", expect_tests=6)


_BENCHES = {"kit": _kit, "monitors": _monitors, "fast": _fast}


@pytest.mark.sim
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_kit(simulator: str, records: dict[tuple[str, str], list[str]]) -> None:
    """Random chains copy clean under back-pressure; each driver mistake fires its rule (a
    PERMISSION names the missing call); stop=True ends the test with the finding; times
    come from the simulator; a wrong prefix names the signals expected."""
    records["kit", simulator] = _record(_kit(simulator))


@pytest.mark.sim
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_python_monitor_matches_hdl_monitor(
        simulator: str, records: dict[tuple[str, str], list[str]]) -> None:
    """On one bus under random back-pressure, the kit's Python monitor reports exactly the
    bursts tb_axi_monitor records (edge, ID, address, length, size, burst, data, strobes)."""
    records["monitors", simulator] = _record(_monitors(simulator))


@pytest.mark.sim
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_fast_path(simulator: str, records: dict[tuple[str, str], list[str]]) -> None:
    """On the HDL monitor and memory (tb_axi_mem) the kit copies clean and fires the same
    rules on the same driver mistakes."""
    records["fast", simulator] = _record(_fast(simulator))


@pytest.mark.sim
@pytest.mark.parametrize("bench", list(_BENCHES))
def test_same_under_both_simulators(
        bench: str, records: dict[tuple[str, str], list[str]]) -> None:
    """Every burst and every finding of the kit's benches is the same under both simulators."""
    for simulator in SIMULATORS:
        if (bench, simulator) not in records:
            records[bench, simulator] = _record(_BENCHES[bench](simulator))
    icarus, verilator = (records[bench, s] for s in SIMULATORS)
    assert len(icarus) == len(verilator), (len(icarus), len(verilator))
    for n, (a, b) in enumerate(zip(icarus, verilator, strict=True)):
        assert a == b, f"{bench} record line {n}: icarus {a} / verilator {b}"


@pytest.mark.sim
@pytest.mark.parametrize(("data_width", "addr_width"), [(32, 64), (512, 64), (128, 32)])
def test_kit_widths(data_width: int, addr_width: int) -> None:
    """The kit's tests at other data and address widths (Icarus; a 32-bit port gets shared
    memory below 4 GiB)."""
    build.run("tb.sims.vip_kit", build_name=f"vip_kit_w{data_width}_a{addr_width}",
              build_root=BUILD_ROOT, simulator="icarus", expect_tests=KIT_TESTS,
              parameters={"DATA_WIDTH": data_width, "ADDR_WIDTH": addr_width})
