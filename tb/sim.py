"""``make sim``: build the engine, run the default scenario, print a short summary."""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import fields

from tb.driver import DriverBugs
from tb.runner import (
    SYSTEM_TOPLEVEL,
    SimFailed,
    bfm_parameters,
    read_summary,
    run_sim,
    system_sources,
)
from tb.scenario_config import ScenarioConfig

BUG_NAMES = [f.name for f in fields(DriverBugs)]
#: The scenario's defaults, in one place (ScenarioConfig).
DEFAULTS = ScenarioConfig(seed=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", default="", help="replay a run (default: a fresh seed)")
    parser.add_argument("--waves", type=int, default=0, help="1: write an FST of the run")
    parser.add_argument("--bfm", default=DEFAULTS.bfm, choices=["fast", "reference"],
                        help="bus models: HDL transactors (fast) or cocotbext-axi (reference)")
    parser.add_argument("--data-width", type=int, default=64, choices=[32, 64, 128, 256])
    parser.add_argument("--tx", type=int, default=DEFAULTS.tx_packets, help="TX packets")
    parser.add_argument("--rx", type=int, default=DEFAULTS.rx_packets, help="RX packets")
    parser.add_argument("--coherent", action="store_true", help="x86-like coherent host")
    parser.add_argument("--mem-latency", type=int, default=DEFAULTS.mem_latency,
                        help="fast models: cycles from AR to the first R beat")
    parser.add_argument("--mem-outstanding", type=int, default=DEFAULTS.mem_outstanding,
                        help="fast models: bursts the memory accepts before answering")
    parser.add_argument("--driver-bug", action="append", default=[], choices=BUG_NAMES,
                        help="run a deliberately broken driver (see tb.driver.DriverBugs)")
    args = parser.parse_args(argv)

    seed = int(args.seed, 0) if args.seed else random.SystemRandom().randrange(1 << 31)
    cfg = ScenarioConfig(
        seed=seed, tx_packets=args.tx, rx_packets=args.rx, bfm=args.bfm, coherent=args.coherent,
        waves=bool(args.waves), driver_bugs=",".join(args.driver_bug),
        mem_latency=args.mem_latency, mem_outstanding=args.mem_outstanding,
    )
    print(f"sim: seed {seed}, DATA_WIDTH {args.data_width}, {args.tx} TX + {args.rx} RX packets, "
          f"bfm {args.bfm}, {'coherent' if args.coherent else 'non-coherent'} host")
    try:
        test_dir = run_sim(
            toplevel=SYSTEM_TOPLEVEL,
            test_module="tb.test_scenario",
            build_name="sim",
            sources=system_sources(),
            parameters={"DATA_WIDTH": args.data_width, **bfm_parameters(args.bfm)},
            extra_env=cfg.to_env(),
            waves=bool(args.waves),
        )
    except SimFailed as exc:
        replay = f"make sim SEED={seed}" + "".join(
            f" {k}={v}" for k, v in (("TX", args.tx), ("RX", args.rx), ("DATA_WIDTH",
                                                                           args.data_width))
            if v != parser.get_default(k.lower())
        )
        if args.bfm != "fast":
            replay += f" BFM={args.bfm}"
        if args.coherent:
            replay += " COHERENT=1"
        if args.driver_bug:
            replay += f" BUG={','.join(args.driver_bug)}"
        print(f"\nFAILED: {exc}\nreplay with: {replay}", file=sys.stderr)
        if args.waves:
            print("waves: make waves (the marker stands at the first checker violation)",
                  file=sys.stderr)
        else:
            print(f"to see it: {replay} WAVES=1, then make waves", file=sys.stderr)
        return 1
    s = read_summary(test_dir)
    print(
        f"\nPASS  seed {s['seed']}\n"
        f"  TX: {s['tx_packets']} packets, {s['tx_bytes']} bytes, all checked in order\n"
        f"  RX: {s['rx_packets']} packets, {s['rx_bytes']} bytes, {s['rx_dropped']} dropped "
        f"(counted by the engine)\n"
        f"  simulated cycles: {s['cycles']}  ({s['bytes_per_cycle']} payload bytes/cycle)\n"
        f"  wall: {s['wall_seconds']} s  ({s['payload_bytes_per_wall_second']} payload bytes/s)\n"
        f"  faults: {s['faults']}  leaks: {s['leaks']}  "
        f"partial-line write-backs: {s['partial_line_writebacks']}\n"
        f"  checkers: {s['checked_bursts']} bursts and {s['checked_lines_written']} written "
        f"cache lines checked, {s['violations']} violations; partial-line device writes "
        f"{s['partial_line_writes']} (descriptor lines {s['partial_desc_line_writes']})"
    )
    if args.waves:
        print(f"  waves: {test_dir}/{SYSTEM_TOPLEVEL}.fst  (make waves)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
