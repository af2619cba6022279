"""A verification kit for any DMA engine: host memory, bus monitor and checkers on an AXI4 port.

One call attaches ``pymodel``'s host (physical memory, IOMMU, CPU cache) and NDIS,
a burst monitor, a memory serving the host on the port, and the translation,
cache-line tearing and coherence checkers to the AXI4 master port ``<prefix>_*`` of
any toplevel (data 8-1024 bits, addresses up to 64, IDs optional); no Verilog
wrapper needed. See ``tb/vip/README.md``::

    from tb import vip
    from tb.vip import Access

    kit = vip.attach(dut, "m_axi", clock=dut.clk, reset=dut.rst, platform="noncoherent")
    src = kit.allocate(4096, "src")                  # NdisMAllocateSharedMemory: tracked
    kit.host.cpu_write(src.va, data)                 # stamped with the simulated time
    kit.host.flush(src.va, len(data), to_device=True)
    kit.hand_to_device(src.la, len(data), Access.READ)
    ...                                              # start the engine; a finding stops the test
    kit.take_back(src.la, len(data))

Modules: :mod:`tb.vip.kit` (:func:`attach`, :class:`Kit`), :mod:`tb.vip.monitor` (the
Python monitor, a cocotb-bus ``BusMonitor``), :mod:`tb.vip.memory` (cocotbext-axi
``AxiSlave`` on the host), :mod:`tb.vip.bus` (binding by prefix).
"""

from __future__ import annotations

from pymodel.iommu import Access
from tb.checkers.violations import CheckerViolation, Finding, Rule
from tb.vip.errors import BindError, VipError
from tb.vip.kit import RECORD_ENV, Kit, SharedBuffer, attach
from tb.vip.memory import AxiHostMemory
from tb.vip.monitor import AxiPortMonitor

__all__ = [
    "RECORD_ENV",
    "Access",
    "AxiHostMemory",
    "AxiPortMonitor",
    "BindError",
    "CheckerViolation",
    "Finding",
    "Kit",
    "Rule",
    "SharedBuffer",
    "VipError",
    "attach",
]
