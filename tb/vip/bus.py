"""Binding an AXI4 master port by signal prefix, and the port as it was at the falling edge.

Signals are found with cocotb-bus (:class:`cocotb_bus.bus.Bus`): ``<prefix>_<name>``,
case-insensitive, ``<name>`` alone for an empty prefix. :func:`bind_port` checks what
cocotb-bus leaves unchecked (a required signal it could not find comes back as
``None``) and names every missing signal with the ones the prefix does match.

:class:`Sampled` stands for one output of the port in the bus models that read it
at a rising edge (cocotbext-axi): its value is the one the kit's monitor sampled at
the falling edge before, so the models see the value the rising edge samples under
every simulator (Verilator reports values *after* the edge there; tb/SIMULATORS.md,
cause 3). :class:`Constant` stands for an optional signal the port does not have (an
ID, AxLEN, AxSIZE, AxBURST), :class:`Discard` for an optional input the port does not
have (RID, BID): writes to it go nowhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cocotb.types import LogicArray
from cocotb_bus.bus import Bus

from tb.vip.errors import BindError

__all__ = [
    "MONITOR_OPTIONAL",
    "MONITOR_SIGNALS",
    "Constant",
    "Discard",
    "Sampled",
    "bind_port",
    "signal_name",
]

#: What the monitor needs of a port: the handshakes, addresses and write data.
MONITOR_SIGNALS = (
    "arvalid", "arready", "araddr",
    "awvalid", "awready", "awaddr",
    "wvalid", "wready", "wdata", "wlast",
)
#: What it reads when the port has it (absent: ID 0, one beat, full width, INCR, all strobes).
MONITOR_OPTIONAL = (
    "arid", "arlen", "arsize", "arburst",
    "awid", "awlen", "awsize", "awburst",
    "wstrb",
)


def signal_name(prefix: str, name: str) -> str:
    """The toplevel's name for AXI signal ``name`` under ``prefix``."""
    return f"{prefix}_{name}" if prefix else name


def bind_port(entity: Any, prefix: str, required: Sequence[str],
              optional: Sequence[str] = ()) -> Any:
    """A cocotb-bus :class:`Bus` of ``entity``'s signals ``<prefix>_<name>``.

    Raises :class:`BindError` naming every required signal that is missing.
    """
    bus = Bus(entity, prefix or None, list(required), optional_signals=list(optional))
    missing = [n for n in required if getattr(bus, n, None) is None]
    if missing:
        stem = f"{prefix}_" if prefix else ""
        found = sorted(n for n in dir(entity) if n.lower().startswith(stem.lower()))
        shown = ", ".join(found[:24]) + (" ..." if len(found) > 24 else "")
        raise BindError(
            f"{entity._name} has no AXI4 port with prefix {prefix!r}: expected "
            f"{', '.join(signal_name(prefix, n) for n in missing)}; "
            f"signals named {stem}*: {shown or 'none'}"
        )
    return bus


class Sampled:
    """A port output as the kit's monitor sampled it at the last falling edge (an int)."""

    __slots__ = ("_cells", "_name", "_width")

    def __init__(self, cells: Mapping[str, int], name: str, width: int) -> None:
        self._cells = cells
        self._name = name
        self._width = width

    @property
    def value(self) -> int:
        return self._cells[self._name]

    def __len__(self) -> int:
        return self._width

    def __repr__(self) -> str:
        return f"<Sampled {self._name} ({self._width} bits)>"


class Constant:
    """A signal the port does not have, read as ``value``."""

    __slots__ = ("_name", "_value", "_width")

    def __init__(self, name: str, value: int, width: int) -> None:
        self._name = name
        self._value = value
        self._width = width

    @property
    def value(self) -> int:
        return self._value

    def __len__(self) -> int:
        return self._width

    def __repr__(self) -> str:
        return f"<Constant {self._name} = {self._value}>"


class Discard:
    """An input the port does not have: what a bus model writes to it is dropped."""

    __slots__ = ("_name", "_width")

    def __init__(self, name: str, width: int) -> None:
        self._name = name
        self._width = width

    @property
    def value(self) -> LogicArray:
        return LogicArray("0" * self._width)

    @value.setter
    def value(self, value: object) -> None:
        del value

    def setimmediatevalue(self, value: object) -> None:
        del value

    def __len__(self) -> int:
        return self._width

    def __repr__(self) -> str:
        return f"<Discard {self._name}>"
