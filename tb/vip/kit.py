"""The kit: host model, NDIS, bus monitor, memory and checkers on one AXI4 master port.

:func:`attach` builds a :class:`Kit` for one port of any toplevel. Everything the
checkers need follows from calls a driver makes anyway:

* **Ownership.** Memory the device can see is tracked from its allocation
  (``NdisMAllocateSharedMemory``, sync or async, or any ``host.alloc`` with device
  access): all of it belongs to the CPU until :meth:`Kit.hand_to_device`, and is
  forgotten when freed. A burst on bytes not handed over is a ``translation/PERMISSION``
  finding that names the call that is missing.
* **Time.** The host's clock follows the simulator (``pymodel.clock.Clock.follow``): every
  host-model and NDIS call made from a cocotb test is stamped with the simulated time.
* **Findings.** Checkers never raise inside the kit's tasks. With ``stop=True`` (the
  default) the first finding ends the test, failing it with a
  :class:`~tb.checkers.violations.CheckerViolation` that carries the finding; with
  ``stop=False`` they are collected in :attr:`Kit.findings` for the test to assert on.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cocotb
from cocotb.simtime import get_sim_time
from cocotb.triggers import FallingEdge

from pymodel import ndis
from pymodel.host import Allocation, Host
from pymodel.iommu import Access
from pymodel.ndis import MiniportAdapter, NdisSystem
from tb.bfm.fast import FastMemory
from tb.bfm.monitor import AxiBurstMonitor
from tb.bfm.vector import read_uint
from tb.bus_events import ReadBurst, WriteBurst
from tb.checkers.coherence import CoherenceChecker
from tb.checkers.ownership import Owner, OwnershipMap
from tb.checkers.tearing import TearingChecker
from tb.checkers.translation import TranslationChecker
from tb.checkers.violations import CheckerViolation, Finding, Rule, ViolationLog
from tb.phase import PythonPhase
from tb.vip.errors import VipError
from tb.vip.memory import AxiHostMemory
from tb.vip.monitor import AxiPortMonitor

__all__ = ["RECORD_ENV", "Kit", "SharedBuffer", "attach"]

#: Environment variable naming a file the kit appends every burst and finding to (JSON
#: lines), so two runs (two simulators) can be compared.
RECORD_ENV = "TB_VIP_RECORD"

_serial = itertools.count()


@dataclass(frozen=True, kw_only=True)
class SharedBuffer:
    """Shared memory from :meth:`Kit.allocate`: CPU address ``va``, device address ``la``."""

    va: int
    la: int
    length: int
    name: str
    cached: bool


def _sim_time_ns() -> int:
    return int(get_sim_time("ns"))


_SKIP_DIRS = tuple(os.path.dirname(os.path.abspath(m.__file__ or "")) + os.sep
                   for m in (sys.modules["pymodel"], sys.modules[__package__ or "tb.vip"]))


def _user_site() -> str:
    """``file:line`` of the nearest caller outside the kit and pymodel (what findings name
    as where an allocation was made or freed)."""
    frame = sys._getframe(1)
    while frame is not None:
        path = os.path.abspath(frame.f_code.co_filename)
        if not path.startswith(_SKIP_DIRS) and os.path.basename(path) != "contextlib.py":
            rel = os.path.relpath(path)
            return f"{path if rel.startswith('..') else rel}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return "?"


class _Log(ViolationLog):
    """The checkers' log: each finding goes through ``prepare`` (the kit's advice), none
    is raised."""

    def __init__(self, prepare: Callable[[Finding], Finding]) -> None:
        super().__init__(stop=False, log=logging.getLogger("tb.vip.findings"))
        self._prepare = prepare

    def report(self, finding: Finding) -> None:
        super().report(self._prepare(finding))


class Kit:
    """The verification kit on one AXI4 master port (build it with :func:`attach`)."""

    def __init__(self, *, host: Host, system: NdisSystem | None,
                 monitor: AxiPortMonitor | AxiBurstMonitor, stop: bool, addr_width: int,
                 name: str, record: Path | None) -> None:
        self.host = host
        self.monitor = monitor
        #: cocotbext-axi memory (or None: an HDL memory or the user's own serves the port)
        self.memory: AxiHostMemory | None = None
        self.fast_memory: FastMemory | None = None
        self.system = system if system is not None else NdisSystem(host=host)
        #: the port's name (its prefix): the adapter's and the loggers' name
        self.port = name
        self.addr_width = addr_width
        self.stop_on_finding = stop
        self._adapter: MiniportAdapter | None = None
        self._record = record
        self._serial = next(_serial)
        self._violations = _Log(self._prepare)
        self._violations.on_first.append(self._first)
        self.ownership = OwnershipMap(alignment=host.line_size, log=self._violations,
                                      now=lambda: host.now)
        self.translation = TranslationChecker(host=host, ownership=self.ownership,
                                              log=self._violations)
        self.tearing = TearingChecker(host=host, ownership=self.ownership,
                                      log=self._violations)
        self.coherence = CoherenceChecker(host=host, ownership=self.ownership,
                                          log=self._violations)
        host.clock.follow(_sim_time_ns)
        for a in host.allocations():
            self._on_allocation(a)
        host.allocation_observers.append(self._on_allocation)
        monitor.subscribe_read(self._on_read)
        monitor.subscribe_write(self._on_write)

    # --------------------------------------------------------------- findings
    @property
    def findings(self) -> list[Finding]:
        """Every finding so far, in order (rule, time_ns, la, pa, owner, detail, channel)."""
        return list(self._violations.findings)

    def rules(self) -> list[Rule]:
        """The rules of :attr:`findings`, in order, without repeats."""
        return list(dict.fromkeys(f.rule for f in self._violations.findings))

    def check(self) -> None:
        """Raise :class:`CheckerViolation` for the first finding, if any (end of a test)."""
        if self._violations.findings:
            raise CheckerViolation(self._violations.findings[0])

    def _first(self, finding: Finding) -> None:
        if self.stop_on_finding:
            cocotb.start_soon(_fail(finding), name="tb.vip: stop at the first finding")

    # -------------------------------------------------------------- the driver
    @property
    def adapter(self) -> MiniportAdapter:
        """The NDIS adapter of :meth:`allocate`: created at first use with scatter/gather DMA
        registered (64-bit unless the port's addresses are 32-bit), kept initializing."""
        if self._adapter is None:
            adapter = self.system.add_adapter(name=self.port)
            with self.system.calling(adapter, irql=ndis.PASSIVE_LEVEL):
                flags = ndis.NDIS_SG_DMA_64_BIT_ADDRESS if self.addr_width > 32 else 0
                status, _ = ndis.NdisMRegisterScatterGatherDma(
                    adapter, ndis.NDIS_SG_DMA_DESCRIPTION(flags=flags))
            if status != ndis.NDIS_STATUS_SUCCESS:
                raise VipError(f"NdisMRegisterScatterGatherDma failed: {status:#x}")
            self._adapter = adapter
        return self._adapter

    def allocate(self, length: int, name: str, *, cached: bool = True) -> SharedBuffer:
        """``NdisMAllocateSharedMemory(adapter, length, cached)``, named ``name`` in
        findings; all of it belongs to the CPU until :meth:`hand_to_device`."""
        adapter = self.adapter
        with self.system.calling(adapter, irql=ndis.PASSIVE_LEVEL):
            # NdisMAllocateSharedMemory, with the caller's site rather than the kit's
            va, la = self.system.allocate_shared_memory(adapter, length, cached, _user_site())
        if va is None or la is None:
            raise VipError(f"NdisMAllocateSharedMemory of {length} bytes for {name!r} failed")
        if (la + length) >> self.addr_width:
            raise VipError(f"{name!r} got LA {la:#x}, beyond the port's {self.addr_width}-bit "
                           f"addresses")
        self.ownership.name(la, length, name)
        return SharedBuffer(va=va, la=la, length=length, name=name, cached=cached)

    def free(self, buffer: SharedBuffer) -> None:
        """``NdisMFreeSharedMemory`` of ``buffer``: the device must no longer use it."""
        with self.system.calling(self.adapter, irql=ndis.PASSIVE_LEVEL):
            # NdisMFreeSharedMemory, with the caller's site
            self.system.free_shared_memory(self.adapter, buffer.length, buffer.cached,
                                           buffer.va, buffer.la, _user_site())

    def hand_to_device(self, la: int, length: int, access: Access) -> None:
        """The driver gives ``[la, la+length)`` to the device to read (``Access.READ``),
        write (``Access.WRITE``) or both (``Access.READ_WRITE``); until then a burst on it
        is a PERMISSION finding. A buffer not aligned to the cache line (one the device
        writes: at both ends) is a tearing/ALIGNMENT finding at once."""
        self._check_tracked(la, length, "hand_to_device")
        self.ownership.hand_to_device(la, length, access)

    def take_back(self, la: int, length: int) -> None:
        """The device is done with ``[la, la+length)``: the CPU owns it again."""
        self._check_tracked(la, length, "take_back")
        self.ownership.take_back(la, length)

    def name(self, la: int, length: int, name: str) -> None:
        """Call ``[la, la+length)`` ``name`` in findings ("rx buffer #3")."""
        self._check_tracked(la, length, "name")
        self.ownership.name(la, length, name)

    def track(self, la: int, length: int, label: str) -> None:
        """Track device-visible memory the kit did not see allocated (CPU-owned)."""
        self.ownership.add_block(la, length, label)

    def _check_tracked(self, la: int, length: int, call: str) -> None:
        if length <= 0:
            raise VipError(f"{call}: length must be positive, not {length}")
        if (self.ownership.state(la, length) == Owner.UNTRACKED).any():
            raise VipError(
                f"{call}(LA {la:#x}, {length} bytes): not all of it is memory the kit tracks "
                f"(shared memory from NdisMAllocateSharedMemory, live); for other "
                f"device-visible memory call kit.track(la, length, label) first")

    def _on_allocation(self, a: Allocation) -> None:
        if a.la is None:
            return
        if a.live:
            self.ownership.add_block(a.la, a.length, a.owner)
        elif self.ownership.kind(a.la) is not None:
            self.ownership.remove_block(a.la)

    # ----------------------------------------------------------------- bursts
    def _on_read(self, burst: ReadBurst) -> None:
        self.translation.on_read(burst)
        self.coherence.on_read(burst)
        if self._record is not None:
            self._write_record({"kind": "read", "t": burst.time_ns, "id": burst.axi_id,
                                "addr": burst.addr, "beats": burst.beats})

    def _on_write(self, burst: WriteBurst) -> None:
        self.translation.on_write(burst)
        self.tearing.on_write(burst)
        if self._record is not None:
            digest = hashlib.sha1(burst.data + burst.strobe.tobytes()).hexdigest()[:16]
            self._write_record({"kind": "write", "t": burst.time_ns, "id": burst.axi_id,
                                "addr": burst.addr, "beats": burst.beats, "data": digest})

    def _write_record(self, entry: dict[str, object]) -> None:
        assert self._record is not None
        with self._record.open("a") as f:
            f.write(json.dumps({"kit": self._serial, **entry}) + "\n")

    def _prepare(self, finding: Finding) -> Finding:
        """``finding`` with the kit's advice; recorded when the kit records."""
        if self._record is not None:
            self._write_record({"kind": "finding", "t": finding.time_ns,
                                "rule": finding.rule.name, "la": finding.la, "pa": finding.pa})
        advice = self._advice(finding)
        if not advice:
            return finding
        return dataclasses.replace(finding, detail=f"{finding.detail}; {advice}")

    def _advice(self, finding: Finding) -> str:
        """What the driver (or the device) should have done, for ``finding``."""
        rule, la = finding.rule, finding.la
        where = f"{la:#x}" if la is not None else "la"
        if rule is Rule.PERMISSION and la is not None:
            owner = int(self.ownership.state(la, 1)[0])
            need = "READ" if finding.channel == "read" else "WRITE"
            if owner == Owner.UNTRACKED:
                return ("the kit tracks no allocation there: device memory comes from "
                        "NdisMAllocateSharedMemory (kit.allocate); for other device-visible "
                        f"memory call kit.track({where}, length, label) and hand it over")
            if owner == Owner.CPU:
                return (f"missing call: kit.hand_to_device({where}, length, Access.{need}) "
                        f"before the device uses the buffer (kit.take_back when it is done)")
            return (f"the buffer was handed over for {Owner(owner).name}: hand it with "
                    f"Access.{need} or Access.READ_WRITE")
        line = self.host.line_size
        return {
            Rule.STALE_DEVICE_READ: "missing call: host.flush(va, length, to_device=True) "
                                    "(KeFlushIoBuffers) after the CPU writes and before the "
                                    "device reads",
            Rule.STALE_CPU_READ: "missing call: host.flush(va, length, to_device=False) "
                                 "(invalidate) before the CPU reads what the device wrote",
            Rule.DIRTY_DISCARD: "flush (write back) the CPU's writes before invalidating",
            Rule.DIRTY_LINE: "flush the CPU's writes to the line before handing it to the device",
            Rule.LOST_DEVICE_WRITE: "the CPU wrote the line while the device owned it",
            Rule.SHARED_LINE: f"give the device whole {line}-byte cache lines "
                              f"(NdisMGetDmaAlignment): nothing of the CPU's in the same line",
            Rule.ALIGNMENT: f"buffers the device writes start and end on {line}-byte lines "
                            f"(NdisMGetDmaAlignment)",
            Rule.USE_AFTER_FREE: "the device used the buffer after NdisMFreeSharedMemory: stop "
                                 "the device (and kit.take_back) before freeing",
            Rule.PAST_END: "the burst runs past its allocation: a wrong length or address in "
                           "what the device was given, or too small an allocation",
            Rule.NOT_MAPPED: "no allocation holds that address: the device used an address "
                             "the driver never gave it",
        }.get(rule, "")

    def stop(self) -> None:
        """Detach from the host (time and allocations) and stop the monitor."""
        self.host.clock.follow(None)
        if self._on_allocation in self.host.allocation_observers:
            self.host.allocation_observers.remove(self._on_allocation)
        if isinstance(self.monitor, AxiPortMonitor):
            self.monitor.kill()
        else:
            self.monitor.stop()


async def _fail(finding: Finding) -> None:
    raise CheckerViolation(finding)


async def _start_after_reset(clock: Any, reset: Any | None, level: int,
                             parts: list[Callable[[], None]]) -> None:
    await FallingEdge(clock)
    while reset is not None and read_uint(reset) == level:
        await FallingEdge(clock)
    for start in parts:
        start()


def attach(
    dut: Any,
    prefix: str = "m_axi",
    *,
    clock: Any,
    reset: Any | None = None,
    reset_active_level: bool = True,
    host: Host | None = None,
    system: NdisSystem | None = None,
    platform: str = "coherent",
    line_size: int = 64,
    seed: int = 0,
    stop: bool = True,
    memory: bool = True,
    hdl_monitor: Any | None = None,
    hdl_memory: Any | None = None,
    clock_period_ns: float | None = None,
    record: str | Path | None = None,
) -> Kit:
    """The verification kit on the AXI4 master port ``<prefix>_*`` of ``dut``.

    ``clock`` and ``reset`` (active at ``reset_active_level``) are the port's. ``host``:
    a ``pymodel.Host`` of your own, else a new one (``platform`` "coherent" or
    "noncoherent", ``line_size``, ``seed``); ``system``: the ``NdisSystem`` of your driver
    model (its host is the kit's), else a new one on the host. ``stop``: the first finding
    ends the test (else collect them in :attr:`Kit.findings`). ``memory``: serve host memory
    on the port (cocotbext-axi ``AxiSlave``, per beat); False when the toplevel has a memory
    of its own.

    Fast path (HDL, once per burst; the toplevel instantiates them on the port):
    ``hdl_monitor`` a ``tb_axi_monitor`` instance, ``hdl_memory`` a ``tb_axi_mem``
    instance (both need ``clock_period_ns``; they start when reset is released).
    ``record`` (or the ``TB_VIP_RECORD`` environment variable): a file that every burst
    and finding is appended to, one JSON line each.

    Attach before the port's first handshake (while in reset).
    """
    if system is not None:
        if host is not None and host is not system.host:
            raise VipError("host and system disagree: pass the NdisSystem alone (its host "
                           "is the kit's)")
        host = system.host
    if host is None:
        host = Host(platform=platform, line_size=line_size, seed=seed)
    name = prefix or dut._name
    record_path = record if record is not None else os.environ.get(RECORD_ENV) or None
    rec = Path(record_path) if record_path is not None else None
    level = int(bool(reset_active_level))
    if hdl_monitor is not None:
        if clock_period_ns is None:
            raise VipError("the HDL monitor needs clock_period_ns (its Python half runs at "
                           "the falling edges of the clock)")
        phase = PythonPhase(clock, clock_period_ns)
        hdl = AxiBurstMonitor(hdl_monitor, phase, name=f"vip.{name}")
        kit = Kit(host=host, system=system, monitor=hdl, stop=stop, addr_width=64, name=name,
                  record=rec)
        parts: list[Callable[[], None]] = [hdl.start]
        if hdl_memory is not None:
            kit.fast_memory = FastMemory(hdl_memory, host, hdl)
            parts.append(kit.fast_memory.start)
        elif memory:
            raise VipError("with the HDL monitor the memory is HDL too: pass hdl_memory (a "
                           "tb_axi_mem instance) or memory=False")
        cocotb.start_soon(_start_after_reset(clock, reset, level, parts))
        return kit
    if hdl_memory is not None:
        raise VipError("hdl_memory needs hdl_monitor: tb_axi_mem learns of bursts from it")
    monitor = AxiPortMonitor(dut, prefix, clock, reset=reset,
                             reset_active_level=reset_active_level)
    kit = Kit(host=host, system=system, monitor=monitor, stop=stop,
              addr_width=monitor.addr_width, name=name, record=rec)
    if memory:
        kit.memory = AxiHostMemory(dut, prefix, clock, host, monitor, reset=reset,
                                   reset_active_level=reset_active_level)
    return kit
