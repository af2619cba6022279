"""The encodings the engine's modules share are named once, in ``hdl/dma_defs.vh``.

Back-end client numbers, ring-unit error slots, TX queue entry kinds, descriptor
STATUS values and the RX gather window: the header defines them, no module
redefines one or writes its value as a bare literal where the name belongs, the
port widths that carry them agree with it, ``hdl/README.md`` lists the clients as
the header numbers them, and the Python copies (the driver model's ``RX_WINDOW``,
``pymodel.device.DescStatus``) agree with it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pymodel import device as dev
from tb.checkers import completion_rules

HDL = Path(__file__).resolve().parent.parent / "hdl"
DEFS = HDL / "dma_defs.vh"
REGS = HDL / "dma_regs.vh"
README = HDL / "README.md"
_LOCALPARAM = re.compile(
    r"^\s*localparam\s+(?:\[[^\]]+\]\s+|integer\s+)?(\w+)\s*=\s*([^;]+);", re.MULTILINE
)
_SIZED = re.compile(r"(\d+)?'([hdb])([0-9a-fA-F_]+)")


def _value(text: str, known: dict[str, int]) -> int:
    """A localparam's value: a literal, a name, or ``a << b`` of those."""
    text = text.strip()
    if "<<" in text:
        left, right = text.split("<<")
        return _value(left, known) << _value(right, known)
    sized = _SIZED.fullmatch(text)
    if sized:
        return int(sized.group(3).replace("_", ""), {"h": 16, "d": 10, "b": 2}[sized.group(2)])
    if text.isdigit():
        return int(text)
    if text in known:
        return known[text]
    raise ValueError(f"cannot evaluate localparam value {text!r}")


def _params(path: Path, known: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for m in _LOCALPARAM.finditer(path.read_text()):
        out[m.group(1)] = _value(m.group(2), {**known, **out})
    return out


REG_PARAMS = _params(REGS, {})
DEFS_PARAMS = _params(DEFS, REG_PARAMS)
MODULES = {p.stem: p for p in sorted(HDL.rglob("*.v"))}


def _code(path: Path) -> str:
    """The module text without comments (a comment may name a number freely)."""
    text = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.DOTALL)
    return re.sub(r"//[^\n]*", "", text)


def _group(prefix: str) -> dict[str, int]:
    return {n: v for n, v in DEFS_PARAMS.items() if n.startswith(prefix)}


def test_header_parses() -> None:
    assert DEFS_PARAMS["RD_CLIENTS"] == 3 and DEFS_PARAMS["STS_ERR"] == 4
    assert len(DEFS_PARAMS) >= 20


@pytest.mark.parametrize(("prefix", "count"), [
    ("RD_CLIENT_", "RD_CLIENTS"), ("WR_CLIENT_", "WR_CLIENTS"), ("RING_UNIT_", "RING_UNITS"),
])
def test_indices_number_every_slot_once(prefix: str, count: str) -> None:
    values = sorted(_group(prefix).values())
    assert values == list(range(DEFS_PARAMS[count])), (
        f"{prefix}* must number 0..{count}-1 once each, not {_group(prefix)}"
    )


def test_tx_queue_kinds_are_distinct_and_fit() -> None:
    kinds = {n: v for n, v in _group("TXQ_KIND_").items() if n != "TXQ_KIND_BITS"}
    assert len(set(kinds.values())) == len(kinds), f"TX queue kinds collide: {kinds}"
    assert max(kinds.values()) < 1 << DEFS_PARAMS["TXQ_KIND_BITS"]


def test_status_values_agree_with_python() -> None:
    for name in ("DONE", "EOP", "ERR"):
        assert DEFS_PARAMS[f"STS_{name}"] == int(dev.DescStatus[name]), (
            f"STS_{name}: dma_defs.vh says {DEFS_PARAMS[f'STS_{name}']}, pymodel.device says "
            f"{int(dev.DescStatus[name])}"
        )


def test_rx_window_agrees_with_the_driver_model() -> None:
    assert DEFS_PARAMS["RX_WINDOW"] == completion_rules.RX_WINDOW, (
        f"RX_WINDOW: dma_defs.vh says {DEFS_PARAMS['RX_WINDOW']}, "
        f"tb/checkers/completion_rules.py says {completion_rules.RX_WINDOW}"
    )


@pytest.mark.parametrize("prefix", ["RD_CLIENT_", "WR_CLIENT_"])
def test_readme_numbers_the_clients_as_the_header(prefix: str) -> None:
    listed = {name: int(num) for num, name in
              re.findall(rf"\b(\d+) `({prefix}\w+)`", README.read_text())}
    assert listed == _group(prefix), (
        f"hdl/README.md lists {listed}, dma_defs.vh says {_group(prefix)}"
    )


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_redefines_a_shared_name(module: str) -> None:
    defined = {m.group(1) for m in _LOCALPARAM.finditer(_code(MODULES[module]))}
    again = sorted(defined & (set(DEFS_PARAMS) | set(REG_PARAMS)))
    assert not again, f"{module} defines {again} again: they belong to the headers only"


def test_every_shared_name_is_used() -> None:
    code = "\n".join(_code(p) for p in MODULES.values())
    unused = [n for n in DEFS_PARAMS if not re.search(rf"\b{n}\b", code)]
    assert not unused, f"dma_defs.vh names {unused}, which no module uses"


def test_engine_wires_clients_and_units_by_name() -> None:
    code = _code(MODULES["dma_engine"])
    bare = re.findall(r"\b(?:rd|wr)_\w+\[\s*\d[^\]]*\]|\b(?:tx|rx)_err_\w+\[\s*\d[^\]]*\]", code)
    assert not bare, f"dma_engine selects a client or unit slot by number: {bare}"
    for name in [*_group("RD_CLIENT_"), *_group("WR_CLIENT_"), *_group("RING_UNIT_")]:
        assert re.search(rf"\b{name}\b", code), f"dma_engine does not use {name}"
    assert re.search(r"\.CLIENTS\(RD_CLIENTS\)", code)
    assert re.search(r"\.CLIENTS\(WR_CLIENTS\)", code)


@pytest.mark.parametrize("module", ["dma_tx_issue", "dma_tx_return"])
def test_tx_queue_kind_by_name(module: str) -> None:
    code = _code(MODULES[module])
    assert not re.search(r"q_kind\s*[!=]=\s*\d|^\s*\d+'[dbh]\d+\s*(?:,|:)", code, re.MULTILINE), (
        f"{module} compares or decodes a TX queue kind by number"
    )
    assert "TXQ_KIND_DATA" in code


@pytest.mark.parametrize(("module", "port", "bits"), [
    ("dma_tx_issue", "q_kind", "TXQ_KIND_BITS"),
    ("dma_tx_return", "q_kind", "TXQ_KIND_BITS"),
    ("dma_tx_issue", "q_beats", "TXQ_BEAT_BITS"),
    ("dma_tx_return", "q_beats", "TXQ_BEAT_BITS"),
])
def test_queue_port_widths_agree(module: str, port: str, bits: str) -> None:
    # ANSI port lists come before the module body, where the header is included
    m = re.search(rf"(?:input|output)\s+wire\s+\[(\d+):0\]\s+{port}\b", _code(MODULES[module]))
    assert m, f"{module}: no port {port}"
    assert int(m.group(1)) + 1 == DEFS_PARAMS[bits], (
        f"{module}.{port} is {int(m.group(1)) + 1} bits, dma_defs.vh {bits} = {DEFS_PARAMS[bits]}"
    )


@pytest.mark.parametrize("module", ["dma_csr", "dma_ring_ctrl"])
def test_ring_error_vectors_have_a_slot_per_unit(module: str) -> None:
    code = _code(MODULES[module])
    units = DEFS_PARAMS["RING_UNITS"]
    for port, per_unit in (("err_valid", 1), ("err_code", 8), ("err_index", 16)):
        widths = [int(w) + 1 for w in re.findall(rf"\[(\d+):0\]\s+(?:tx_|rx_)?{port}\b", code)]
        assert widths and all(w == units * per_unit for w in widths), (
            f"{module}: {port} is {widths} bits, RING_UNITS x {per_unit} = {units * per_unit}"
        )
