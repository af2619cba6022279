"""Wall time and peak memory of the default scenario as the packet count grows (``make bench``).

Runs ``tb.sims.scenario`` (random sizes, back-pressure, checkers on, every packet
checked) under Verilator at ``base``, 10 x ``base`` and 100 x ``base`` packets each
way, each simulation in a process of its own, and records its simulated cycles,
the wall seconds of the test body and the simulator process's peak resident
memory. Both must grow linearly or better; the growth factors are printed.
Writes ``build/bench/scaling.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tb.runner import (  # noqa: E402
    BUILD_ROOT,
    SYSTEM_TOPLEVEL,
    bfm_parameters,
    read_summary,
    run_sim,
    system_sources,
)
from tb.scenario_config import ScenarioConfig  # noqa: E402

OUT = BUILD_ROOT / "bench"


def one(packets: int, seed: int, simulator: str) -> dict[str, object]:
    """One run in this process; the simulator is its child (peak memory from rusage)."""
    cfg = ScenarioConfig(seed=seed, tx_packets=packets, rx_packets=packets)
    name = f"bench/scaling_{packets}"
    t0 = time.monotonic()
    test_dir = run_sim(
        toplevel=SYSTEM_TOPLEVEL, test_module="tb.sims.scenario", build_name=name,
        sources=system_sources(), parameters={"DATA_WIDTH": 64, **bfm_parameters("fast")},
        extra_env={**cfg.to_env(), "COCOTB_LOG_LEVEL": "WARNING"}, simulator=simulator,
        log_file=BUILD_ROOT / name / "sim.log",
    )
    s = read_summary(test_dir)
    return {
        "packets": 2 * packets, "cycles": s["cycles"], "wall_seconds": s["wall_seconds"],
        "process_seconds": round(time.monotonic() - t0, 2),
        "payload_bytes": int(s["tx_bytes"]) + int(s["rx_bytes"]),  # type: ignore[call-overload]
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    # 100 each way: 100x of that (10,000 + 10,000) takes ~1.5 min under Verilator; 100x of
    # the default scenario (1,000 + 1,000) would not fit make bench's 15 minutes
    parser.add_argument("--base", type=int, default=100, help="packets each way at 1x")
    parser.add_argument("--factors", default="1,10,100")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sim", default="verilator", choices=["icarus", "verilator"])
    parser.add_argument("--one", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one, args.seed, args.sim)))
        return 0
    rows = []
    for factor in (int(f) for f in args.factors.split(",")):
        n = args.base * factor
        print(f"scaling: {factor:3d}x = {n:,} + {n:,} packets ...", flush=True)
        run = subprocess.run([sys.executable, __file__, "--one", str(n), "--seed",
                              str(args.seed), "--sim", args.sim],
                             capture_output=True, text=True, check=False)
        if run.returncode != 0:
            print(run.stdout[-2000:] + run.stderr[-3000:], file=sys.stderr)
            return 1
        row = json.loads(run.stdout.strip().splitlines()[-1])
        row["factor"] = factor
        rows.append(row)
        print(f"         {row['cycles']:>12,} cycles  {row['wall_seconds']:8.1f} s  "
              f"{row['peak_rss_mib']:6.0f} MiB peak  "
              f"{row['payload_bytes'] / row['wall_seconds'] / 1e3:6.0f} kB/s payload", flush=True)
    base = rows[0]
    # Packet sizes are drawn at random (60..9,000 bytes), so 10x the packets is not
    # exactly 10x the work: the work factor is the payload's (and the cycles').
    print("\ngrowth against 1x (linear: wall grows as the payload, memory stays flat):")
    for r in rows[1:]:
        work = r["payload_bytes"] / base["payload_bytes"]
        wall = r["wall_seconds"] / base["wall_seconds"]
        r["work_factor"] = round(work, 2)
        r["wall_per_work"] = round(wall / work, 3)
        print(f"  {r['factor']:3d}x packets: payload x{work:.1f}, cycles "
              f"x{r['cycles'] / base['cycles']:.1f}, wall x{wall:.1f} "
              f"(x{wall / work:.2f} per payload byte), "
              f"peak memory x{r['peak_rss_mib'] / base['peak_rss_mib']:.2f}")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "scaling.json").write_text(json.dumps({"runs": rows, "simulator": args.sim,
                                                  "seed": args.seed}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
