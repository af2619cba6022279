"""Both simulators and both bus-model kinds side by side on one seeded scenario (``make bench-bfm``).

Runs ``tb.sims.scenario`` on ``tb_top`` four times, same seed, same traffic,
checkers on: Icarus and Verilator, each with the reference bus models
(cocotbext-axi, Python every beat) and the fast ones (HDL transactors, Python
once per burst or packet). For each run it prints simulated cycles, payload
bytes (TX + RX packets checked), wall seconds, payload bytes and simulated
cycles per wall-second, bus beats per wall-second, and where the time went
(Python callbacks against the simulator); then the ratios: fast / reference
under each simulator, Verilator / Icarus for each kind. All four runs must
agree on every packet (content digests) and counter, and the two simulators
on the cycle count, else it fails.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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

# the simulations' own logs: warnings and errors only
QUIET = {"COCOTB_LOG_LEVEL": "WARNING", "PYTHONWARNINGS": "ignore::DeprecationWarning"}

AGREE = (
    "tx_packets", "tx_bytes", "tx_digest", "rx_packets", "rx_bytes", "rx_digest",
    "rx_dropped", "faults", "leaks", "partial_line_writebacks",
)


def run(simulator: str, bfm: str, cfg: ScenarioConfig, data_width: int) -> dict[str, object]:
    t0 = time.monotonic()
    test_dir = run_sim(
        toplevel=SYSTEM_TOPLEVEL,
        test_module="tb.sims.scenario",
        build_name=f"bench_bfm_{simulator}_{bfm}",
        sources=system_sources(),
        parameters={"DATA_WIDTH": data_width, **bfm_parameters(bfm)},
        extra_env={**cfg.to_env(), **QUIET},
        simulator=simulator,
        log_file=BUILD_ROOT / f"bench_bfm_{simulator}_{bfm}" / "sim.log",
    )
    s = read_summary(test_dir)
    s["process_seconds"] = round(time.monotonic() - t0, 2)
    payload = int(s["tx_bytes"]) + int(s["rx_bytes"])  # type: ignore[call-overload]
    wall = float(s["wall_seconds"])  # type: ignore[arg-type]
    beats = int(s["axi_beats"]) + int(s["stream_beats"])  # type: ignore[call-overload]
    s["payload_bytes"] = payload
    s["beats"] = beats
    s["beats_per_wall_second"] = round(beats / wall)
    s["cycles_per_wall_second"] = round(int(s["cycles"]) / wall)  # type: ignore[call-overload]
    py = s.get("python_cpu_seconds")
    s["sim_cpu_seconds"] = None if py is None else round(float(s["cpu_seconds"]) - float(py), 2)  # type: ignore[arg-type]
    return s


ROWS = [
    ("simulated cycles", "cycles", "{:,}"),
    ("payload bytes (TX+RX)", "payload_bytes", "{:,}"),
    ("payload bytes / cycle", "bytes_per_cycle", "{:.2f}"),
    ("wall seconds (test body)", "wall_seconds", "{:.2f}"),
    ("payload bytes / wall-s", "payload_bytes_per_wall_second", "{:,}"),
    ("simulated cycles / wall-s", "cycles_per_wall_second", "{:,}"),
    ("bus beats (AXI4 R+W, streams)", "beats", "{:,}"),
    ("beats / wall-s", "beats_per_wall_second", "{:,}"),
    ("CPU seconds", "cpu_seconds", "{:.2f}"),
    ("  Python callbacks (wall)", "python_cpu_seconds", "{:.2f}"),
    ("  the rest: the simulator", "sim_cpu_seconds", "{:.2f}"),
    ("process wall (build+run)", "process_seconds", "{:.2f}"),
]


def _fmt(fmt: str, value: object) -> str:
    return "-" if value is None else fmt.format(value)


KINDS = [(sim, bfm) for sim in SIMULATORS for bfm in ("reference", "fast")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tx", type=int, default=100, help="TX packets")
    parser.add_argument("--rx", type=int, default=100, help="RX packets")
    parser.add_argument("--data-width", type=int, default=64, choices=[32, 64, 128, 256])
    parser.add_argument("--no-checkers", action="store_true", help="run without bus checkers")
    args = parser.parse_args(argv)

    results: dict[tuple[str, str], dict[str, object]] = {}
    for sim, bfm in KINDS:
        cfg = ScenarioConfig(seed=args.seed, tx_packets=args.tx, rx_packets=args.rx, bfm=bfm,
                             checkers=not args.no_checkers)
        print(f"bench-bfm: {sim:9s} {bfm:9s} seed {args.seed}, {args.tx} TX + {args.rx} RX "
              f"packets, DATA_WIDTH {args.data_width}, checkers "
              f"{'off' if args.no_checkers else 'on'} ...", flush=True)
        try:
            results[sim, bfm] = run(sim, bfm, cfg, args.data_width)
        except SimFailed as exc:
            print(f"FAILED ({sim}, {bfm}): {exc}", file=sys.stderr)
            return 1

    heads = [f"{sim[:4]}/{bfm[:4]}" for sim, bfm in KINDS]
    print(f"\n{'':30s}" + "".join(f"{h:>13s}" for h in heads))
    for label, key, fmt in ROWS:
        print(f"{label:30s}" + "".join(f"{_fmt(fmt, results[k].get(key)):>13s}" for k in KINDS))

    def ratio(a: tuple[str, str], b: tuple[str, str]) -> float:
        return float(results[a]["payload_bytes_per_wall_second"]) / float(  # type: ignore[arg-type]
            results[b]["payload_bytes_per_wall_second"])  # type: ignore[arg-type]

    print("\npayload bytes per wall-second:")
    for sim in SIMULATORS:
        target = " (target >= 10x)" if sim == "verilator" else ""
        print(f"  {sim:9s} fast / reference = {ratio((sim, 'fast'), (sim, 'reference')):6.2f}x"
              f"{target}")
    for bfm in ("reference", "fast"):
        print(f"  {bfm:9s} verilator / icarus = "
              f"{ratio(('verilator', bfm), ('icarus', bfm)):6.2f}x")

    first = results[KINDS[0]]
    differ = {f"{k} {key}": (first[key], r[key]) for k, r in results.items() for key in AGREE
              if r[key] != first[key]}
    for bfm in ("reference", "fast"):
        a, b = results["icarus", bfm], results["verilator", bfm]
        if a["cycles"] != b["cycles"]:
            differ[f"{bfm} cycles"] = (a["cycles"], b["cycles"])
    if differ:
        print(f"FAILED: the runs disagree: {differ}", file=sys.stderr)
        return 1
    print("all four runs: same packets (digests), counters, 0 faults, 0 leaks; "
          "the simulators agree on the cycles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
