"""The Verilog (tb/hdl/tb_checker_rules.vh) and Python (tb/checkers/protocol_rules.py)
copies of the protocol-checker rule codes agree, name by name, code by code and
description by description; so do the mangler's modes (tb/hdl/tb_axi_mangler.v and
tb.checkers.protocol.MangleMode). Also pins the text a violation prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tb.checkers.protocol import MangleMode, ProtocolFinding, ProtocolViolation
from tb.checkers.protocol_rules import ProtocolRule
from tb.errors import TbError

TB_HDL = Path(__file__).resolve().parent.parent / "tb" / "hdl"
_LOCALPARAM = re.compile(
    r"^\s*localparam\s+\[7:0\]\s+(\w+)\s*=\s*8'([hd])([0-9a-fA-F_]+)\s*;\s*//\s*(.+?)\s*$",
    re.MULTILINE,
)


def parse(path: Path, prefix: str) -> dict[str, tuple[int, str]]:
    """``{name without prefix: (code, comment)}`` of every ``localparam [7:0] <prefix>*``."""
    out: dict[str, tuple[int, str]] = {}
    for m in _LOCALPARAM.finditer(path.read_text()):
        name, base, digits, comment = m.groups()
        if name.startswith(prefix):
            assert name[len(prefix) :] not in out, f"{name} defined twice in {path.name}"
            out[name[len(prefix) :]] = (
                int(digits.replace("_", ""), 16 if base == "h" else 10),
                comment,
            )
    return out


VH_RULES = parse(TB_HDL / "tb_checker_rules.vh", "RULE_")
V_MODES = parse(TB_HDL / "tb_axi_mangler.v", "MODE_")


def test_parser_reads_the_header() -> None:
    assert VH_RULES["NONE"] == (0, "no violation")
    assert VH_RULES["AXI_WLAST_EARLY"][0] == 0x16
    assert len(VH_RULES) > 50 and len(V_MODES) > 10


def test_rules_agree() -> None:
    python = {rule.name: (rule.value, rule.description) for rule in ProtocolRule}
    assert python == VH_RULES


def test_rule_codes_unique_and_grouped() -> None:
    codes = [code for code, _ in VH_RULES.values()]
    assert len(codes) == len(set(codes))
    for rule in ProtocolRule:
        group = {"AXI": range(0x01, 0x20), "AXIL": range(0x40, 0x60), "AXIS": range(0x60, 0x80)}
        prefix = rule.name.split("_", 1)[0]
        if rule is not ProtocolRule.NONE:
            assert rule.value in group[prefix], rule


def test_mangler_modes_agree() -> None:
    python = {mode.name: (mode.value, mode.description) for mode in MangleMode}
    assert python == V_MODES


def test_violation_message() -> None:
    finding = ProtocolFinding(
        bus="m_axi",
        rule=ProtocolRule.AXI_WLAST_EARLY,
        time_ns=1236.0,
        addr=0x1_0000_0FF8,
        axi_id=2,
        count=3,
    )
    error = ProtocolViolation(finding)
    assert isinstance(error, TbError) and error.finding is finding
    assert str(error) == (
        "t=1236 ns m_axi: rule AXI_WLAST_EARLY: WLAST on a beat before the last (AWLEN+1) "
        "of the write burst; address 0x100000ff8, ID 2 (3 violations counted)"
    )
    stream = ProtocolFinding(
        bus="tx", rule=ProtocolRule.AXIS_TKEEP_SPARSE, time_ns=8.5, packet=4, beat=1
    )
    assert str(stream) == (
        "t=8.5 ns tx: rule AXIS_TKEEP_SPARSE: a beat before TLAST without every TKEEP bit set; "
        "packet 4 beat 1 (1 violation counted)"
    )


@pytest.mark.parametrize("rule", list(ProtocolRule), ids=lambda r: r.name)
def test_rule_prints_name_and_description(rule: ProtocolRule) -> None:
    assert str(rule) == f"rule {rule.name}: {rule.description}"
    assert rule.description and "\n" not in rule.description
