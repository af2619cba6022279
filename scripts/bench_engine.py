"""Engine efficiency: payload per cycle against the physical limit (``make bench``).

For each data width, host-memory latency, packet size and traffic mode (TX, RX,
both at once) it runs ``tb.sims.throughput`` under Verilator (results are in
simulated cycles, which both simulators agree on) with no back-pressure, and
measures in the steady state: the window from the ``warm``-th to the
``(n - warm)``-th packet of each direction, away from bring-up and halt.

* efficiency of a channel = payload bytes moved in the window / (cycles x bus bytes);
* its physical limit = payload / (payload + descriptor + completion bytes that share
  that AXI channel), in whole beats: the read channel carries TX data, TX
  descriptors and (with RX running) RX descriptors; the write channel RX data, RX
  completions and (with TX running) TX completions, 16 bytes each, moved in whole
  cache lines;
* where the cycles go: per AXI channel the share of cycles with a transfer and
  with the sender waiting, bursts in flight (mean, share of cycles at none and at
  the engine's limit), from ``tb/hdl/tb_perf_monitor.v``.

Writes ``build/bench/engine.json`` and prints a table; ``scripts/bench_report.py``
turns the results into the Markdown report with plots.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tb.runner import BUILD_ROOT, SYSTEM_TOPLEVEL, run_sim, system_sources  # noqa: E402
from tb.scenario_config import ENV_PREFIX, ScenarioConfig  # noqa: E402

OUT = BUILD_ROOT / "bench"
#: descriptor and completion bytes per packet-buffer on a channel
DESC_BYTES = 16
SIZES = (64, 128, 256, 512, 1500, 4096, 9000)
MODES = ("tx", "rx", "both")


def packets_for(size: int) -> int:
    """Packets per direction: enough for a steady state, ~2 MB at most."""
    return max(40, min(400, (2 << 20) // size))


def buffers_per_packet(size: int, buffer_size: int = 2048) -> int:
    return -(-size // buffer_size)


def physical_limit(size: int, mode: str, data_bytes: int, channel: str) -> float:
    """Payload over payload plus the descriptor/completion bytes sharing ``channel``."""
    nbuf = buffers_per_packet(size)
    beats = sum(-(-min(2048, size - i * 2048) // data_bytes) for i in range(nbuf))
    other = 1 if mode == "both" else 0  # the other ring's descriptors or completions
    extra = (nbuf + other * nbuf) * DESC_BYTES / data_bytes
    return size / (data_bytes * (beats + extra))


def steady_window(rows: list[list[Any]], kind: str, n: int, warm: int) -> tuple[Any, Any]:
    """The snapshots at the ``warm``-th and ``(n - warm)``-th packet of ``kind``."""
    got = {r[2]: r for r in rows if r[1] == kind}
    first = min(c for c in got if c >= warm)
    last = max(c for c in got if c <= n - warm)
    return got[first], got[last]


def analyse(res: dict[str, Any]) -> dict[str, Any]:
    names: list[str] = res["counters"]
    rows = res["snapshots"]
    mode, size, db = res["mode"], res["packet_bytes"], res["data_bytes"]
    n = res["tx_packets"] or res["rx_packets"]
    warm = max(4, n // 5)
    kinds = [k for k, c in (("tx", res["tx_packets"]), ("rx", res["rx_packets"])) if c]
    windows = [steady_window(rows, k, n, warm) for k in kinds]
    start = max(windows, key=lambda w: w[0][0])[0]   # both in steady state
    end = min(windows, key=lambda w: w[1][0])[1]
    d = {name: end[3][i] - start[3][i] for i, name in enumerate(names)}
    cycles = d["cycles"]
    out: dict[str, Any] = {
        "mode": mode, "packet_bytes": size, "data_bytes": db, "mem_latency": res["mem_latency"],
        "window_cycles": cycles, "packets": n, "warm": warm,
        "rd_limit": res["rd_limit"], "wr_limit": res["wr_limit"],
    }
    beats = -(-size // db) if size <= 2048 else sum(
        -(-min(2048, size - i * 2048) // db) for i in range(buffers_per_packet(size)))
    for kind, key, channel in (("tx", "tx_xfer", "read"), ("rx", "rx_xfer", "write")):
        if kind not in kinds:
            continue
        payload = d[key] / beats * size
        eff = payload / (cycles * db) if cycles else 0.0
        limit = physical_limit(size, mode, db, channel)
        out[kind] = {
            "efficiency": eff, "limit": limit, "of_limit": eff / limit,
            "packets_per_us_per_mhz": payload / size / cycles if cycles else 0.0,
        }
    for ch in ("ar", "r", "aw", "w", "b", "tx", "rx"):
        out[f"{ch}_busy"] = d[f"{ch}_xfer"] / cycles if cycles else 0.0
        out[f"{ch}_waiting"] = d[f"{ch}_wait"] / cycles if cycles else 0.0
    for rw in ("rd", "wr"):
        out[f"{rw}_in_flight"] = d[f"{rw}_sum"] / cycles if cycles else 0.0
        out[f"{rw}_none"] = d[f"{rw}_none"] / cycles if cycles else 0.0
        out[f"{rw}_at_limit"] = d[f"{rw}_full"] / cycles if cycles else 0.0
    return out


def run_one(*, size: int, mode: str, width: int, latency: int, seed: int,
            simulator: str, params: dict[str, int] | None = None,
            packets: int | None = None, mem_outstanding: int = 32) -> dict[str, Any]:
    n = packets or packets_for(size)
    cfg = ScenarioConfig(seed=seed, tx_packets=n, rx_packets=n, min_len=size, max_len=size,
                         axi_pause=0.0, stream_pause=0.0, mem_latency=latency,
                         mem_outstanding=mem_outstanding)
    name = f"bench/engine_w{width}_l{latency}_{mode}_{size}"
    test_dir = run_sim(
        toplevel=SYSTEM_TOPLEVEL, test_module="tb.sims.throughput", build_name=name,
        sources=system_sources(),
        parameters={"DATA_WIDTH": width, "FAST": 1, "PERF": 1, **(params or {})},
        extra_env={**cfg.to_env(), ENV_PREFIX + "BENCH_MODE": mode,
                   ENV_PREFIX + "HOLD_MIN_NS": "0", ENV_PREFIX + "HOLD_MAX_NS": "0",
                   "COCOTB_LOG_LEVEL": "WARNING"},
        simulator=simulator, log_file=BUILD_ROOT / name / "sim.log",
    )
    return analyse(json.loads((test_dir / "throughput.json").read_text()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--widths", default="64,256")
    parser.add_argument("--latencies", default="0,200,1000")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sim", default="verilator", choices=["icarus", "verilator"])
    parser.add_argument("--out", type=Path, default=OUT / "engine.json")
    args = parser.parse_args(argv)
    widths = [int(x) for x in args.widths.split(",")]
    latencies = [int(x) for x in args.latencies.split(",")]
    sizes = [int(x) for x in args.sizes.split(",")]
    modes = args.modes.split(",")
    runs = [(w, lat, size, mode) for w in widths for lat in latencies for size in sizes
            for mode in modes]
    results = []
    t0 = time.monotonic()
    for i, (w, lat, size, mode) in enumerate(runs, 1):
        r = run_one(size=size, mode=mode, width=w, latency=lat, seed=args.seed,
                    simulator=args.sim)
        results.append(r)
        effs = "  ".join(f"{k.upper()} {r[k]['efficiency']:6.1%} ({r[k]['of_limit']:6.1%} of "
                         f"limit)" for k in ("tx", "rx") if k in r)
        elapsed = time.monotonic() - t0
        eta = elapsed / i * (len(runs) - i)
        print(f"[{i:3d}/{len(runs)}] {w:3d}-bit latency {lat:4d} {mode:4s} {size:5d} B: {effs}"
              f"   ({elapsed:4.0f} s, ~{eta:3.0f} s left)", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"runs": results, "seed": args.seed,
                                    "simulator": args.sim}, indent=1))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
