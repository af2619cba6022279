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
import os
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
    """Packets per direction: enough for a steady state well past bring-up and
    before the end of posting (``steady_window``), ~3 MB at most."""
    return max(300, min(1200, (3 << 20) // size))


def buffers_per_packet(size: int, buffer_size: int = 2048) -> int:
    return -(-size // buffer_size)


def physical_limit(size: int, mode: str, data_bytes: int, channel: str,
                   other_share: float | None = None) -> float:
    """Payload over payload plus the descriptor/completion bytes sharing ``channel``.

    ``other_share``: the other direction's packets per packet of this one (both at
    once; nominal 1). Data in whole beats of buffers aligned to the bus, as the
    driver places them."""
    del channel  # the same arithmetic on both: 16 bytes per buffer per ring
    nbuf = buffers_per_packet(size)
    beats = sum(-(-min(2048, size - i * 2048) // data_bytes) for i in range(nbuf))
    other = (1.0 if other_share is None else other_share) if mode == "both" else 0.0
    extra = (nbuf + other * nbuf) * DESC_BYTES / data_bytes
    return size / (data_bytes * (beats + extra))


def steady_window(rows: list[list[Any]], kind: str, warm: int, end: int) -> tuple[Any, Any]:
    """The snapshots at the ``warm``-th and ``end``-th packet of ``kind``."""
    got = {r[2]: r for r in rows if r[1] == kind}
    first = min(c for c in got if c >= warm)
    last = max(c for c in got if c <= end)
    return got[first], got[last]


def analyse(res: dict[str, Any]) -> dict[str, Any]:
    names: list[str] = res["counters"]
    rows = res["snapshots"]
    mode, size, db = res["mode"], res["packet_bytes"], res["data_bytes"]
    n = res["tx_packets"] or res["rx_packets"]
    warm = max(4, n // 5)
    # The window ends well before the last descriptor is fetched: the engine reads up
    # to DESC_DEPTH descriptors ahead, and once the driver has posted its last TX
    # packet the descriptor reads stop while data still flows (a window reaching
    # into that tail would see data without its descriptors: above the limit).
    ahead = -(-(res.get("desc_depth", 32) + 64) // buffers_per_packet(size))
    end = n - max(warm, ahead)
    if end <= warm + 16:
        raise ValueError(f"{n} packets leave no steady-state window (warm {warm}, end {end})")
    kinds = [k for k, c in (("tx", res["tx_packets"]), ("rx", res["rx_packets"])) if c]
    windows = [steady_window(rows, k, warm, end) for k in kinds]
    start = max(windows, key=lambda w: w[0][0])[0]   # both in steady state
    end = min(windows, key=lambda w: w[1][0])[1]
    d = {name: end[3][i] - start[3][i] for i, name in enumerate(names)}
    cycles = d["cycles"]
    out: dict[str, Any] = {
        "mode": mode, "packet_bytes": size, "data_bytes": db, "mem_latency": res["mem_latency"],
        "window_cycles": cycles, "packets": n, "warm": warm, "window_end": end,
        "rd_limit": res["rd_limit"], "wr_limit": res["wr_limit"],
    }
    final = {name: rows[-1][3][i] for i, name in enumerate(names)}
    # Payload is counted where it crosses the AXI bus, at the cycle (u_perf's per-ID
    # beats), not at the stream ports (the TX buffer and the RX packet buffer let a
    # stream run ahead of the bus for a while): TX = R beats of the TX data client
    # (ID 2), RX = W beats of the RX data client (ID 0), each at the run's mean beats
    # per packet.
    rates = {}
    for kind, key, count in (("tx", "r_id2", "tx_packets"), ("rx", "w_id0", "rx_packets")):
        if kind in kinds:
            per_packet = final[key] / res[count]
            rates[kind] = (d[key] / per_packet / cycles if cycles else 0.0, per_packet)
    for kind, channel in (("tx", "read"), ("rx", "write")):
        if kind not in kinds:
            continue
        pps, per_packet = rates[kind]
        other = "rx" if kind == "tx" else "tx"
        # the other ring's descriptors (read) or completions (write) share the channel
        # at the other direction's packet rate (nominal: the same rate)
        share = rates[other][0] / pps if other in rates and pps else 0.0
        eff = pps * size / db
        limit = physical_limit(size, mode, db, channel)
        limit_here = physical_limit(size, mode, db, channel, other_share=share)
        out[kind] = {
            "efficiency": eff, "limit": limit, "of_limit": eff / limit_here,
            "limit_at_measured_rates": limit_here,
            "packets_per_us_per_mhz": pps,
            "beats_per_packet": per_packet,
        }
    out["tx_nops"] = final["tx_nops"]
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
            packets: int | None = None, mem_outstanding: int = 128) -> dict[str, Any]:
    n = packets or packets_for(size)
    cfg = ScenarioConfig(seed=seed, tx_packets=n, rx_packets=n, min_len=size, max_len=size,
                         axi_pause=0.0, stream_pause=0.0, mem_latency=latency,
                         mem_outstanding=mem_outstanding)
    name = f"bench/engine_w{width}_l{latency}_{mode}_{size}"
    test_dir = run_sim(
        toplevel=SYSTEM_TOPLEVEL, test_module="tb.sims.throughput", build_name=name,
        sources=system_sources(),
        parameters={"DATA_WIDTH": width, "FAST": 1, "PERF": 1, "MEM_DEPTH": mem_outstanding,
                    **(params or {})},
        extra_env={**cfg.to_env(), ENV_PREFIX + "BENCH_MODE": mode,
                   ENV_PREFIX + "HOLD_MIN_NS": "0", ENV_PREFIX + "HOLD_MAX_NS": "0",
                   "COCOTB_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING")},
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
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="an engine parameter for tb_top (repeatable)")
    args = parser.parse_args(argv)
    widths = [int(x) for x in args.widths.split(",")]
    latencies = [int(x) for x in args.latencies.split(",")]
    sizes = [int(x) for x in args.sizes.split(",")]
    modes = args.modes.split(",")
    params = {k: int(v) for k, v in (p.split("=", 1) for p in args.param)}
    runs = [(w, lat, size, mode) for w in widths for lat in latencies for size in sizes
            for mode in modes]
    results = []
    t0 = time.monotonic()
    for i, (w, lat, size, mode) in enumerate(runs, 1):
        r = run_one(size=size, mode=mode, width=w, latency=lat, seed=args.seed,
                    simulator=args.sim, params=params)
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
