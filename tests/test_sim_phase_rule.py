"""tb/phase.py's rule holds under both simulators (the cocotb tests are tb/sims/phase_rule.py)."""

from __future__ import annotations

import pytest

from tb.runner import SIMULATORS, TB_HDL_DIR, run_sim


@pytest.mark.sim
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_phase(simulator: str) -> None:
    run_sim(
        toplevel="tb_phase_top",
        test_module="tb.sims.phase_rule",
        build_name=f"phase_{simulator}",
        sources=[TB_HDL_DIR / "tb_phase_top.v"],
        includes=[TB_HDL_DIR],
        simulator=simulator,
    )


def test_tb_top_notifier_sources_agree_with_python() -> None:
    """tb_top's py_src lists, source by source, the signals tb.phase.TB_TOP_SOURCES names."""
    import re

    from tb.phase import TB_TOP_SOURCES

    text = (TB_HDL_DIR / "tb_top.v").read_text()
    block = text[text.index("wire [PY_SOURCES*PY_WIDTH-1:0] py_src = {"):]
    block = block[:block.index("};")]
    listed = {int(k): name for k, name in re.findall(r"//\s*(\d+):\s*(\S+)", block)}
    assert sorted(listed) == list(range(len(listed))), listed
    assert tuple(listed[k] for k in sorted(listed)) == TB_TOP_SOURCES
    count = int(re.search(r"localparam PY_SOURCES = (\d+);", text).group(1))  # type: ignore[union-attr]
    assert count == len(TB_TOP_SOURCES)
