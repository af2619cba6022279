#!/usr/bin/env python3
"""Print (not assert) the host model's figures: RSS of a 4 GiB model with 64 MiB
allocated and touched (target < 200 MiB) and shared-memory allocate+free rate
(target >= 10,000 blocks/s).  ``make bench`` runs it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pymodel import Host, NdisSystem
from pymodel.ndis import (
    NDIS_SG_DMA_DESCRIPTION,
    NDIS_STATUS_SUCCESS,
    NdisMAllocateSharedMemory,
    NdisMFreeSharedMemory,
    NdisMRegisterScatterGatherDma,
)

MiB = 1 << 20


def rss_mib() -> float:
    """VmRSS of this process in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


RSS_MODES = {
    "dma": "device writes all 64 MiB (DMA), CPU reads it back",
    "cpu": "CPU writes each 1 MiB block and flushes it, device reads it",
    "cpu-dirty": "CPU writes all 64 MiB before flushing (worst case: all dirty in the cache)",
}


def bench_rss(platform: str, mode: str) -> None:
    """One RSS measurement; run in a fresh process so earlier runs do not count."""
    t0 = time.perf_counter()
    system = NdisSystem(host=Host(platform=platform, seed=1), noncached_pool_bytes=0)
    host = system.host
    adapter = system.add_adapter(name="bench")
    block = 1 * MiB
    blocks = []
    with adapter.initialize():
        status, _dma = NdisMRegisterScatterGatherDma(adapter, NDIS_SG_DMA_DESCRIPTION())
        assert status == NDIS_STATUS_SUCCESS
        for _ in range(64):
            va, la = NdisMAllocateSharedMemory(adapter, block, True)
            assert va is not None and la is not None
            blocks.append((va, la))
    pattern = bytes(range(256)) * (64 * 1024 // 256)
    peak = 0.0
    for va, la in blocks:
        for off in range(0, block, len(pattern)):
            if mode == "dma":
                host.dma_write(la + off, pattern)
            else:
                host.cpu_write(va + off, pattern)
        if mode == "dma":
            host.flush(va, block, to_device=False)
            for off in range(0, block, len(pattern)):
                host.cpu_read(va + off, len(pattern))
        elif mode == "cpu":
            host.flush(va, block, to_device=True)
    peak = rss_mib()
    for va, la in blocks:
        if mode == "cpu-dirty":
            host.flush(va, block, to_device=True)
        for off in range(0, block, len(pattern)):
            host.dma_read(la + off, len(pattern))
    print(
        f"  {platform:<11} {mode:<9} RSS {max(peak, rss_mib()):6.1f} MiB  "
        f"({time.perf_counter() - t0:4.1f} s; {host.memory.touched_pages} pages touched, "
        f"{host.cache.cached_lines} lines cached): {RSS_MODES[mode]}"
    )


def bench_alloc(block: int, count: int = 10_000) -> None:
    system = NdisSystem(host=Host(seed=2))
    adapter = system.add_adapter(name="bench")
    with adapter.initialize():
        NdisMRegisterScatterGatherDma(adapter, NDIS_SG_DMA_DESCRIPTION())
        t0 = time.perf_counter()
        for _ in range(count):
            va, la = NdisMAllocateSharedMemory(adapter, block, True)
            assert va is not None and la is not None
            NdisMFreeSharedMemory(adapter, block, True, va, la)
        one = time.perf_counter() - t0
        t0 = time.perf_counter()
        held = []
        for _ in range(count):
            va, la = NdisMAllocateSharedMemory(adapter, block, True)
            assert va is not None and la is not None
            held.append((va, la))
        for va, la in held:
            NdisMFreeSharedMemory(adapter, block, True, va, la)
        batch = time.perf_counter() - t0
    print(
        f"alloc+free {block // 1024:>3} KiB shared memory: {count / one:>8,.0f} blocks/s "
        f"one at a time, {count / batch:>8,.0f} blocks/s with {count} held at once"
    )


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--rss":
        bench_rss(sys.argv[2], sys.argv[3])
        return
    print(
        f"process RSS of a 4 GiB model with 64 MiB allocated and touched "
        f"(interpreter with numpy alone: {rss_mib():.1f} MiB):"
    )
    for platform in ("coherent", "noncoherent"):
        for mode in RSS_MODES:
            subprocess.run([sys.executable, __file__, "--rss", platform, mode], check=True)
    for block in (2 * 1024, 64 * 1024):
        bench_alloc(block)
    print("targets: RSS < 200 MiB, allocate+free >= 10,000 blocks/s")


if __name__ == "__main__":
    main()
