"""Host memory on any AXI4 master port: cocotbext-axi ``AxiSlave`` serving the host model.

``AxiSlave`` answers every beat from :class:`tb.bfm.reference.BurstCommitTarget`, which
reads and writes the host through the IOMMU (``host.dma_read`` / ``host.dma_write``;
a translation fault answers SLVERR and stays in the IOMMU's fault log) and holds each
write burst until the monitor has reported it, so every checker judges a write before
the host shows it (the commit is a monitor subscriber registered ``after_all``).

Exact under both simulators: ``AxiSlave`` reads the port's VALIDs, payloads and the R
and B READYs at a rising edge, where Verilator would report the values *after* the
edge (tb/SIMULATORS.md, cause 3). Here it reads :class:`tb.vip.bus.Sampled` stand-ins
instead: what :class:`tb.vip.monitor.AxiPortMonitor` sampled at the falling edge
before, which is what the rising edge samples. What ``AxiSlave`` drives (READYs of AR,
AW and W; R and B) it writes at the rising edge, as the port's own registers would.
An optional signal the port lacks (IDs, AxLEN, AxSIZE, AxBURST, RRESP, BRESP) reads as
its AXI default, and writes to a missing RID or BID go nowhere.
"""

from __future__ import annotations

import logging
import random
import warnings
from typing import Any

from cocotbext.axi import AxiBus, AxiSlave

from tb.bfm.host_target import DmaHost
from tb.bfm.pauses import pause_pattern
from tb.bfm.reference import BurstCommitTarget
from tb.vip.bus import Constant, Discard, signal_name
from tb.vip.errors import BindError
from tb.vip.monitor import AxiPortMonitor

__all__ = ["AxiHostMemory"]

# cocotbext-axi 0.1.28 stops its tasks with Task.kill(), deprecated in cocotb 2.1, at every
# reset edge: one warning per channel that says nothing about the test
warnings.filterwarnings("ignore", message=r"`task\.kill\(\)` is deprecated",
                        category=DeprecationWarning, module=r"cocotbext\.axi\.")

#: AR / AW signals the memory reads (the rest of a port's AR / AW is ignored)
_ADDR = ("id", "addr", "len", "size", "burst")
#: AR / AW / W signals cocotbext-axi would read that the memory does not need
_UNUSED = ("lock", "cache", "prot", "qos", "region", "user")


def _detach(bus: Any, name: str) -> None:
    """Take signal ``name`` out of a cocotb-bus ``Bus``."""
    if hasattr(bus, name):
        delattr(bus, name)
    bus._signals.pop(name, None)


def _attach(bus: Any, name: str, handle: Any) -> None:
    """Put ``handle`` into a cocotb-bus ``Bus`` as signal ``name``."""
    setattr(bus, name, handle)
    bus._signals[name] = handle


class AxiHostMemory:
    """``host`` behind the AXI4 master port ``<prefix>_*`` of ``entity``, per beat.

    ``monitor`` is the port's :class:`AxiPortMonitor` (its samples feed the slave, its
    bursts commit the writes). ``set_backpressure`` pauses every channel at random.
    """

    def __init__(self, entity: Any, prefix: str, clock: Any, host: DmaHost,
                 monitor: AxiPortMonitor, *, reset: Any | None = None,
                 reset_active_level: bool = True) -> None:
        self.host = host
        self.monitor = monitor
        self.target = BurstCommitTarget(host)
        bus = AxiBus.from_prefix(entity, prefix or None)
        ar, aw, w, r, b = bus.read.ar, bus.write.aw, bus.write.w, bus.read.r, bus.write.b
        missing = [signal_name(prefix, n) for ch, names in (
            (r, ("rdata", "rlast", "rvalid")), (b, ("bvalid",)))
            for n in names if getattr(ch, n, None) is None]
        if missing:
            raise BindError(f"{entity._name}: the memory needs the R and B channels of port "
                            f"{prefix!r}; missing {', '.join(missing)}")
        id_width = len(aw.awid) if getattr(aw, "awid", None) is not None else 1
        size = (monitor.beat_bytes - 1).bit_length()
        defaults = {"id": 0, "len": 0, "size": size, "burst": 1}
        widths = {"id": id_width, "len": 8, "size": 3, "burst": 2}
        for ch, x in ((ar, "ar"), (aw, "aw")):
            for p in _ADDR:
                name = x + p
                if getattr(ch, name, None) is None:
                    _attach(ch, name, Constant(name, defaults[p], widths[p]))
                else:
                    _attach(ch, name, monitor.sampled(name))
            for p in _UNUSED:
                _detach(ch, x + p)
            _detach(ch, f"{x}valid")  # set once AxiSlave is built: see below
        for name in ("wdata", "wstrb", "wlast"):
            if getattr(w, name, None) is not None:
                _attach(w, name, monitor.sampled(name))
        _detach(w, "wuser")
        _detach(w, "wvalid")
        for ch, name in ((r, "rid"), (b, "bid")):
            if getattr(ch, name, None) is None:
                _attach(ch, name, Discard(name, id_width))
        for ch, name in ((r, "rready"), (b, "bready")):
            handle = getattr(ch, name, None)
            if handle is None:
                raise BindError(f"{entity._name}: no {signal_name(prefix, name)}")
            _attach(ch, name, monitor.sampled(name, handle))
        # cocotbext-axi logs a banner, every burst and every reset edge (INFO), and a
        # warning per faulting beat (a finding says it better): errors only
        logging.getLogger(f"cocotb.{entity._name}.{prefix}" if prefix
                          else f"cocotb.{entity._name}").setLevel(logging.ERROR)
        self.slave = AxiSlave(bus, clock, reset, target=self.target,
                              reset_active_level=reset_active_level)
        # The sinks take VALID now, after construction: built with it, cocotbext-axi
        # would also wait for its rising edge on the signal itself (post-edge under
        # Verilator). They read it at each rising edge; the monitor wakes them when it
        # samples it high.
        self._sinks = []
        for ch, sink, name in ((ar, self.slave.read_if.ar_channel, "arvalid"),
                               (aw, self.slave.write_if.aw_channel, "awvalid"),
                               (w, self.slave.write_if.w_channel, "wvalid")):
            view = monitor.sampled(name)
            _attach(ch, name, view)
            sink.valid = view
            self._sinks.append((name, sink.wake_event))
        monitor.after_sample(self._wake)
        monitor.subscribe_write(self.target.commit, after_all=True)

    def _channels(self) -> tuple[Any, ...]:
        rd, wr = self.slave.read_if, self.slave.write_if
        return (rd.ar_channel, rd.r_channel, wr.aw_channel, wr.w_channel, wr.b_channel)

    def _wake(self) -> None:
        cells = self.monitor.cells
        for name, event in self._sinks:
            if cells[name]:
                event.set()

    def set_backpressure(self, probability: float, seed: int) -> None:
        """Pause each channel the memory drives (AR, AW, W READY; R, B VALID) with
        ``probability`` per cycle, from ``seed``; 0 turns pauses off."""
        rng = random.Random(seed)
        for channel in self._channels():
            gen = random.Random(rng.random())
            if probability > 0:
                channel.set_pause_generator(pause_pattern(gen, probability))
            else:
                channel.clear_pause_generator()
