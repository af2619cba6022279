"""GTKWave layout of a run: AXI channels, registers, ring pointers, state machines by name.

State names come from the Verilog itself (the localparams each ``*_state_reg``
is reset to and compared with), written as GTKWave translate-filter files, so
the waveform shows ``X_GATHER`` instead of ``1`` (a one-bit state register is
shown as a one-bit vector, which GTKWave translates too). The save file is
written when a run starts (signals found by walking the simulated hierarchy)
and again at the first checker violation: a marker there, the window zoomed to
a few hundred nanoseconds around it, and the bus groups of the violated
channels open. Icarus and Verilator dumps name signals alike (``tb_top.dut....``),
so one layout serves both.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from vcd.gtkw import GTKWSave

__all__ = [
    "Signal", "WaveLayout", "discover_signals", "groups_for", "state_filters", "write_layout",
]

HDL_DIR = Path(__file__).resolve().parent.parent / "hdl"
_RESET_TO = re.compile(r"\b(\w+_state_reg)\s*<=\s*([A-Z][A-Z0-9]*_)[A-Z0-9_]+\s*;")
_LOCALPARAM = re.compile(r"localparam\s+(?:\[[^\]]+\]\s*)?(\w+)\s*=\s*([^;]+);")
_MODULE = re.compile(r"^\s*module\s+(\w+)", re.MULTILINE)
_SIZED = re.compile(r"(\d+)'([bdh])([0-9a-fA-F_]+)")


@dataclass(frozen=True)
class Signal:
    """One traced signal: hierarchical path (as in the dump), width, enclosing module type."""

    path: str
    width: int
    module: str

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]


def _value(text: str, known: dict[str, int]) -> int | None:
    text = text.strip()
    m = _SIZED.fullmatch(text)
    if m:
        return int(m.group(3).replace("_", ""), {"b": 2, "d": 10, "h": 16}[m.group(2)])
    if text.isdigit():
        return int(text)
    return known.get(text)


def state_filters(hdl_dirs: Iterable[Path] = (HDL_DIR,)) -> dict[tuple[str, str], dict[int, str]]:
    """``{(module, state register): {value: state name}}`` from the Verilog sources."""
    known: dict[str, int] = {}
    sources = [p for d in hdl_dirs for p in sorted(d.rglob("*.v*"))]
    for path in sources:  # headers first resolve names such as RING_STATE_RUN
        if path.suffix == ".vh":
            for name, val in _LOCALPARAM.findall(path.read_text()):
                v = _value(val, known)
                if v is not None:
                    known[name] = v
    out: dict[tuple[str, str], dict[int, str]] = {}
    for path in sources:
        if path.suffix != ".v":
            continue
        text = path.read_text()
        module = _MODULE.search(text)
        if module is None:
            continue
        params = {n: _value(v, known) for n, v in _LOCALPARAM.findall(text)}
        for reg, prefix in set(_RESET_TO.findall(text)):
            names = {v: n for n, v in params.items() if n.startswith(prefix) and v is not None}
            if names:
                out[(module.group(1), reg)] = names
    return out


def _filter_file(directory: Path, module: str, reg: str, names: dict[int, str], width: int) -> Path:
    digits = max(1, -(-width // 4))
    path = directory / f"{module}.{reg}.txt"
    path.write_text("".join(f"{v:0{digits}X} {n}\n" for v, n in sorted(names.items())))
    return path


_GROUPS: list[tuple[str, re.Pattern[str]]] = [
    ("AXI4 read address (AR)", re.compile(r"\.m_axi_ar\w+$")),
    ("AXI4 read data (R)", re.compile(r"\.m_axi_r(id|data|resp|last|valid|ready)$")),
    ("AXI4 write address (AW)", re.compile(r"\.m_axi_aw\w+$")),
    ("AXI4 write data (W)", re.compile(r"\.m_axi_w(data|strb|last|valid|ready)$")),
    ("AXI4 write response (B)", re.compile(r"\.m_axi_b\w+$")),
    ("AXI-Lite registers port", re.compile(r"\.s_axil_\w+$")),
    ("AXI-Stream TX (to wire)", re.compile(r"\.m_axis_tx_\w+$")),
    ("AXI-Stream RX (from wire)", re.compile(r"\.s_axis_rx_\w+$")),
]
_RING_UNITS = frozenset({"dma_ring_ctrl", "dma_desc_fetch", "dma_cpl_write"})
_POINTERS = re.compile(r"(tail|head|fetch_ptr|fetched_ptr|cpl_ptr|written_ptr|line_\w*ptr|ptr)"
                       r"\w*_reg$")


#: The window shown around a marker: this long before it and after it.
WINDOW_BEFORE_PS = 300_000
WINDOW_AFTER_PS = 100_000
#: Pixels of the wave pane (the window's width less the signal names).
WAVE_PIXELS = 1600 - 380
#: GTKWave's zoom scale: time units per pixel = 2**-zoom / this
GTKWAVE_ZOOM_UNIT = 200


def groups_for(finding: object) -> set[str]:
    """The bus groups (titles of :data:`_GROUPS`) a finding concerns, to open at the marker.

    A checker finding names its AXI4 direction (``channel``); a protocol finding its bus
    and rule (``AXI_AW_...``, ``AXIL_...``; stream findings their stream).
    """
    channel = getattr(finding, "channel", "")
    if channel == "read":
        return {"AXI4 read address (AR)", "AXI4 read data (R)"}
    if channel == "write":
        return {"AXI4 write address (AW)", "AXI4 write data (W)", "AXI4 write response (B)"}
    bus = getattr(finding, "bus", "")
    rule = getattr(getattr(finding, "rule", None), "name", "")
    if bus == "s_axil":
        return {"AXI-Lite registers port"}
    if bus == "m_axis_tx":
        return {"AXI-Stream TX (to wire)"}
    if bus == "s_axis_rx":
        return {"AXI-Stream RX (from wire)"}
    if bus == "m_axi":
        for prefix, titles in (
            ("AXI_AW", {"AXI4 write address (AW)"}), ("AXI_WLAST", {"AXI4 write data (W)"}),
            ("AXI_W", {"AXI4 write data (W)"}), ("AXI_B", {"AXI4 write response (B)"}),
            ("AXI_AR", {"AXI4 read address (AR)"}), ("AXI_R", {"AXI4 read data (R)"}),
        ):
            if rule.startswith(prefix):
                return titles
        return {title for title, _ in _GROUPS if title.startswith("AXI4")}
    return set()


def write_layout(
    *,
    signals: list[Signal],
    dut_path: str,
    dump_file: Path,
    save_file: Path,
    marker_ps: int | None = None,
    marker_label: str = "",
    open_groups: set[str] | frozenset[str] = frozenset(),
) -> Path:
    """Write ``save_file`` (and the state filter files beside it) for ``dump_file``.

    With a marker, the view spans :data:`WINDOW_BEFORE_PS` before it to
    :data:`WINDOW_AFTER_PS` after; ``open_groups`` are the bus groups shown open.
    """
    filters_dir = save_file.parent / "gtkw_filters"
    filters_dir.mkdir(parents=True, exist_ok=True)
    states = state_filters()
    # the same order under every simulator (Icarus lists signals as declared, Verilator
    # alphabetically): by hierarchy, then AXI field order, then name
    signals = sorted(signals, key=_order)
    ports = [s for s in signals if s.path.rsplit(".", 1)[0] == dut_path]
    inside = [s for s in signals if s.path.startswith(dut_path + ".") and s not in ports]
    with save_file.open("w") as f:
        gtkw = GTKWSave(f)
        gtkw.dumpfile(str(dump_file.resolve()))
        gtkw.savefile(str(save_file.resolve()))
        if marker_label:
            gtkw.comment(f"marker: {marker_label}")
        if marker_ps is not None:
            start = max(0, marker_ps - WINDOW_BEFORE_PS)
            span = marker_ps + WINDOW_AFTER_PS - start
            gtkw.timestart(start)
            # GTKWave 3.3 shows 2**-z / 200 time units (here ps) per pixel at zoom z
            # (measured under Xvfb: z = -12 gives 20.5 ps per pixel, z = -4 0.08)
            gtkw.zoom_markers(zoom=-math.log2(span / WAVE_PIXELS * GTKWAVE_ZOOM_UNIT),
                              marker=marker_ps, a=marker_ps)
        else:
            gtkw.zoom_markers(zoom=-19.0, marker=-1)
        gtkw.size(1600, 1000)
        gtkw.signals_width(380)
        with gtkw.group("clock, reset, interrupt"):
            for s in sorted(ports, key=lambda s: ("clk", "rst", "irq").index(s.name)
                            if s.name in ("clk", "rst", "irq") else 9):
                if s.name in ("clk", "rst", "irq"):
                    gtkw.trace(s.path, datafmt="bin" if s.width == 1 else "hex")
        for title, pattern in _GROUPS:
            members = [s for s in ports if pattern.search(s.path)]
            if members:
                with gtkw.group(title, closed=title not in open_groups):
                    for s in members:
                        gtkw.trace(_ranged(s))
        regs = [s for s in inside if s.module == "dma_csr" and s.name.endswith("_reg")]
        if regs:
            with gtkw.group("registers (dma_csr)", closed=True):
                for s in regs:
                    gtkw.trace(_ranged(s), alias=_alias(s, dut_path))
        pointers = [s for s in inside if s.module in _RING_UNITS and _POINTERS.search(s.name)]
        if pointers:
            with gtkw.group("ring pointers", closed=True):
                for s in pointers:
                    gtkw.trace(_ranged(s), alias=_alias(s, dut_path), datafmt="dec")
        machines = [s for s in inside if s.name.endswith("_state_reg")]
        if machines:
            with gtkw.group("state machines"):
                for s in machines:
                    names = states.get((s.module, s.name))
                    filt = (
                        str(_filter_file(filters_dir, s.module, s.name, names, s.width))
                        if names else None
                    )
                    if s.width == 1:  # GTKWave translates vectors only: a 1-bit vector
                        gtkw.trace_combined(f"{s.path}_vec", [s.path],
                                            alias=_alias(s, dut_path), datafmt="hex",
                                            translate_filter_file=filt)
                    else:
                        gtkw.trace(_ranged(s), alias=_alias(s, dut_path), datafmt="hex",
                                   translate_filter_file=filt)
    return save_file


# AXI / AXI-Stream fields in the order the specifications list them
_FIELDS = ("id", "addr", "len", "size", "burst", "lock", "cache", "prot", "data", "strb",
           "keep", "resp", "last", "user", "valid", "ready")


def _order(s: Signal) -> tuple[str, int, str]:
    scope, name = s.path.rsplit(".", 1)
    field = re.sub(r"^(m|s)_axi[ls]?_(tx_|rx_)?(aw|ar|w|r|b|t)?", "", name)
    rank = _FIELDS.index(field) if field in _FIELDS else len(_FIELDS)
    return scope, rank, name


def _alias(s: Signal, dut_path: str) -> str:
    # '/' not '.': GTKWave would show only the last dotted component of an alias
    return s.path[len(dut_path) + 1:].replace("_inst.", "/").replace(".", "/")


def _ranged(s: Signal) -> str:
    return s.path if s.width == 1 else f"{s.path}[{s.width - 1}:0]"


def discover_signals(root: object) -> list[Signal]:
    """Every signal under ``root`` (a cocotb hierarchy handle), with its module's type.

    Runs in the simulator process; walking the hierarchy once costs well under a second.
    """
    out: list[Signal] = []

    def walk(handle: object, module: str) -> None:
        for child in handle:  # type: ignore[attr-defined]
            kind = type(child).__name__
            if kind == "HierarchyObject":
                try:  # a generate block has no definition of its own: keep the module's
                    defined = child._def_name or module
                except Exception:
                    defined = module
                walk(child, defined)
            elif kind == "HierarchyArrayObject":
                walk(child, module)
            elif kind in ("LogicObject", "LogicArrayObject", "PackedObject"):
                width = 1 if kind == "LogicObject" else len(child)
                out.append(Signal(child._path, width, module))

    walk(root, root._def_name)  # type: ignore[attr-defined]
    return out


class WaveLayout:
    """The layout of the running simulation's dump: written at the start, and again with
    a marker at the first violation (any object with ``time_ns`` and a ``str``)."""

    #: time unit of the dump: the runner compiles with a 1 ps precision
    PS_PER_NS = 1000

    def __init__(self, root: object, *, directory: Path | None = None) -> None:
        self.root = root
        name = root._name  # type: ignore[attr-defined]
        directory = directory or Path.cwd()
        self.dump_file = directory / f"{name}.fst"
        self.save_file = directory / f"{name}.gtkw"
        self.dut_path = f"{name}.dut"
        self._signals: list[Signal] | None = None
        self.marked: object | None = None

    def write(self, marker_ps: int | None = None, label: str = "",
              open_groups: set[str] | frozenset[str] = frozenset()) -> Path:
        if self._signals is None:
            self._signals = discover_signals(self.root)
        return write_layout(signals=self._signals, dut_path=self.dut_path,
                            dump_file=self.dump_file, save_file=self.save_file,
                            marker_ps=marker_ps, marker_label=label, open_groups=open_groups)

    def mark(self, finding: object) -> None:
        """Put the marker at the first finding (later ones leave it where it is)."""
        if self.marked is not None:
            return
        self.marked = finding
        time_ns = float(finding.time_ns)  # type: ignore[attr-defined]
        self.write(int(time_ns * self.PS_PER_NS), str(finding), groups_for(finding))
