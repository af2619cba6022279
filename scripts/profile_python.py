"""Where Python's time goes in the default scenario (``make profile-python``).

Runs ``tb.sims.scenario`` once with cProfile around the whole cocotb test (every
bus-model hand-off, checker, driver and host-model call) and prints the functions
by their own time and by cumulative time, with the run's figures: Python CPU per
AXI burst, per packet and per simulated cycle. Profiling inflates Python's time
about 1.5-2x; compare runs with each other, not with unprofiled figures. A
developer tool, not a test.
"""

from __future__ import annotations

import argparse
import pstats
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tb.runner import (
    BUILD_ROOT,
    SIMULATORS,
    SYSTEM_TOPLEVEL,
    bfm_parameters,
    read_summary,
    run_sim,
    system_sources,
)
from tb.scenario_config import ENV_PREFIX, ScenarioConfig


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sim", default="verilator", choices=SIMULATORS)
    parser.add_argument("--packets", type=int, default=200, help="TX and RX packets each")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-width", type=int, default=64, choices=[32, 64, 128, 256])
    parser.add_argument("--bfm", default="fast", choices=["fast", "reference"])
    parser.add_argument("--top", type=int, default=30, help="rows to print")
    args = parser.parse_args()

    out = BUILD_ROOT / "profile_python"
    stats_file = out / "scenario.prof"
    cfg = ScenarioConfig(seed=args.seed, tx_packets=args.packets, rx_packets=args.packets,
                         bfm=args.bfm)
    test_dir = run_sim(
        toplevel=SYSTEM_TOPLEVEL, test_module="tb.sims.scenario", build_name="profile_python",
        sources=system_sources(),
        parameters={"DATA_WIDTH": args.data_width, **bfm_parameters(args.bfm)},
        extra_env={**cfg.to_env(), ENV_PREFIX + "PYPROFILE": str(stats_file),
                   "COCOTB_LOG_LEVEL": "WARNING"},
        simulator=args.sim, log_file=out / "sim.log",
    )
    s = read_summary(test_dir)
    bursts = int(s["axi_bursts"])  # type: ignore[call-overload]
    packets = int(s["tx_packets"]) + int(s["rx_packets"])  # type: ignore[call-overload]
    cycles = int(s["cycles"])  # type: ignore[call-overload]
    py = float(s["python_cpu_seconds"] or 0.0)  # type: ignore[arg-type]
    print(f"{args.sim}, {args.bfm} bus models, seed {args.seed}, {packets} packets, "
          f"{bursts} AXI bursts, {cycles:,} cycles, wall {s['wall_seconds']} s")
    print(f"Python (profiled): {py:.2f} s CPU = {py / max(1, bursts) * 1e6:.0f} us per burst, "
          f"{py / max(1, packets) * 1e6:.0f} us per packet, "
          f"{py / max(1, cycles) * 1e6:.2f} us per cycle")
    for key in ("tottime", "cumulative"):
        print(f"\n--- by {key} ---")
        pstats.Stats(str(stats_file)).sort_stats(key).print_stats(args.top)
    print(f"stats: {stats_file} (python -m pstats {stats_file})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
