"""tb/phase.py's rule holds under both simulators (the cocotb tests are tb/test_phase.py)."""

from __future__ import annotations

import pytest

from tb.runner import SIMULATORS, TB_HDL_DIR, run_sim


@pytest.mark.sim
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_phase(simulator: str) -> None:
    run_sim(
        toplevel="tb_phase_top",
        test_module="tb.test_phase",
        build_name=f"phase_{simulator}",
        sources=[TB_HDL_DIR / "tb_phase_top.v"],
        includes=[TB_HDL_DIR],
        simulator=simulator,
    )
