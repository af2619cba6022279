"""The Verilog (hdl/dma_regs.vh) and Python (pymodel/device.py) copies of the
register map and descriptor layout agree, name by name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pymodel import device as dev

VH = Path(__file__).resolve().parent.parent / "hdl" / "dma_regs.vh"
_LOCALPARAM = re.compile(
    r"^\s*localparam\s+(?:\[[^\]]+\]\s+|integer\s+)?(\w+)\s*=\s*([^;]+);", re.MULTILINE
)


def _verilog_value(text: str) -> int:
    text = text.strip().replace("_", "")
    sized = re.fullmatch(r"(\d+)?'([hdb])([0-9a-fA-F]+)", text)
    if sized:
        return int(sized.group(3), {"h": 16, "d": 10, "b": 2}[sized.group(2)])
    return int(text)


def parse_vh() -> dict[str, int]:
    return {m.group(1): _verilog_value(m.group(2)) for m in _LOCALPARAM.finditer(VH.read_text())}


VH_PARAMS = parse_vh()


def python_copy() -> dict[str, int]:
    """The Python copy, under the Verilog names."""
    names: dict[str, int] = {}
    for reg in dev.Reg:
        names[f"REG_{reg.name}"] = reg.value
    for ring in dev.Ring:
        names[f"RING_{ring.name}_BASE"] = ring.value
    for reg in dev.RingReg:
        names[f"RING_{reg.name}"] = reg.value
    for state in dev.RingState:
        names[f"RING_STATE_{state.name}"] = state.value
    for flag_enum, prefix in (
        (dev.Irq, "IRQ_"),
        (dev.DescCtrl, "DESC_CTRL_"),
        (dev.DescStatus, "DESC_STS_"),
        (dev.CtrlBit, "CTRL_"),
        (dev.RingCtrlBit, "RING_CTRL_"),
    ):
        for flag in flag_enum:
            assert flag.name is not None and flag.value.bit_count() == 1
            names[prefix + flag.name] = flag.value.bit_length() - 1
    for code in dev.ErrCode:
        names[f"ERR_{code.name}"] = code.value
    for field, (lsb, bits) in dev.DESC_FIELDS.items():
        vh_field = "STATUS" if field == "STATUS" else field
        names[f"DESC_{vh_field}_LSB"] = lsb
        names[f"DESC_{vh_field}_BITS"] = bits
    for const in (
        "DEV_ID_VALUE",
        "DESC_BYTES",
        "MAX_DESC_LEN",
        "MAX_RX_PKT_LEN",
        "CACHE_LINE_RESET",
        "WB_DELAY_RESET",
    ):
        names[const] = getattr(dev, const)
    return names


PY_PARAMS = python_copy()


def test_parser_reads_the_header() -> None:
    assert VH_PARAMS["REG_DEV_ID"] == 0 and VH_PARAMS["DEV_ID_VALUE"] == 0x444D4131
    assert len(VH_PARAMS) > 60


@pytest.mark.parametrize("name", sorted(VH_PARAMS))
def test_every_verilog_name_has_the_same_python_value(name: str) -> None:
    assert name in PY_PARAMS, f"{name} is in dma_regs.vh but not in pymodel/device.py"
    assert PY_PARAMS[name] == VH_PARAMS[name], (
        f"{name}: dma_regs.vh says {VH_PARAMS[name]:#x}, device.py says {PY_PARAMS[name]:#x}"
    )


@pytest.mark.parametrize("name", sorted(PY_PARAMS))
def test_every_python_name_is_in_verilog(name: str) -> None:
    assert name in VH_PARAMS, f"{name} is in pymodel/device.py but not in dma_regs.vh"


def test_descriptor_dtype_matches_fields() -> None:
    """The numpy view and the bit-field table describe the same bytes."""
    for field, (lsb, bits) in dev.DESC_FIELDS.items():
        name = field.lower()
        assert dev.DESC_DTYPE.fields is not None
        _dtype, offset = dev.DESC_DTYPE.fields[name][:2]
        assert offset * 8 == lsb and dev.DESC_DTYPE[name].itemsize * 8 == bits


def test_descriptor_round_trip_and_errors() -> None:
    d = dev.Descriptor(
        addr=0x1_2345_6780, length=1500, ctrl=dev.DescCtrl.EOP | dev.DescCtrl.IRQ,
        wb_len=1500, status=dev.DescStatus.DONE, err=dev.ErrCode.NONE,
    )
    raw = d.pack()
    assert raw[8:10] == (1500).to_bytes(2, "little") and raw[10] == 0b11
    assert dev.Descriptor.unpack(raw) == d
    with pytest.raises(ValueError, match="LEN must fit in 16 bits, not 0x10000"):
        dev.Descriptor(length=1 << 16).pack()
    with pytest.raises(ValueError, match="a descriptor is 16 bytes, not 15"):
        dev.Descriptor.unpack(bytes(15))
