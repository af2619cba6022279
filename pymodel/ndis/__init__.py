"""The NDIS model: the functions a miniport driver calls, and the system behind them.

``from pymodel import ndis`` gives the documented API (``pymodel.ndis.api``):
``ndis.NdisMAllocateSharedMemory(adapter, length, cached)`` and the rest, with
``NdisSystem``, ``MiniportAdapter``, the constants and the descriptors.  The
modules of this package, each one concern:

``api``            the NDIS functions, with their documented names and argument order
``system``         ``NdisSystem``: builds the parts below and hands each call to one of them
``adapter``        ``MiniportAdapter``: lifecycle (initialize, halt, unload), leak reports,
                   what the adapter holds (``AdapterResources``)
``context``        which system is current (``contextvars``); current adapter and IRQL
``rules``          the one violation path: strict mode raises, permissive mode records
``shared_memory``  scatter/gather DMA registration, shared memory, sync and async
``completions``    when async shared-memory requests complete (seeded delay)
``memory``         NdisAllocateMemory (CONTIGUOUS / NONCACHED) and the noncached pool
``pools``          packet and buffer pools, NdisFlushBuffer
``allocations``    what is remembered about each allocation and each free
``kernel``         the parts every NDIS function of one system shares
``defs``           constants, status codes, IRQLs, descriptors (ndis.h)
"""

from __future__ import annotations

from pymodel.ndis import api
from pymodel.ndis.api import *  # noqa: F403 (the package's names are the documented API's)

__all__ = api.__all__
