"""Both bus-model kinds side by side on one seeded scenario (``make bench-bfm``).

Runs ``tb.test_scenario`` on ``tb_top`` with FAST=0 (reference: cocotbext-axi,
Python every beat) and FAST=1 (HDL transactors, Python once per burst or
packet), one after the other, same seed, same traffic, checkers on, and prints
for each: simulated cycles, payload bytes (TX + RX packets checked), bytes per
cycle, wall seconds, payload bytes and bus beats (AXI4 R+W data beats plus
AXI-Stream beats) per wall-second, and where the CPU went (Python callbacks vs
the simulator); then the ratio fast / reference. The two runs must agree on
every packet (content digests) and counter, else it fails.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tb.runner import (
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


def run(bfm: str, cfg: ScenarioConfig, data_width: int) -> dict[str, object]:
    t0 = time.monotonic()
    test_dir = run_sim(
        toplevel=SYSTEM_TOPLEVEL,
        test_module="tb.test_scenario",
        build_name=f"bench_bfm_{bfm}",
        sources=system_sources(),
        parameters={"DATA_WIDTH": data_width, **bfm_parameters(bfm)},
        extra_env={**cfg.to_env(), **QUIET},
    )
    s = read_summary(test_dir)
    s["process_seconds"] = round(time.monotonic() - t0, 2)
    payload = int(s["tx_bytes"]) + int(s["rx_bytes"])  # type: ignore[call-overload]
    wall = float(s["wall_seconds"])  # type: ignore[arg-type]
    beats = int(s["axi_beats"]) + int(s["stream_beats"])  # type: ignore[call-overload]
    s["payload_bytes"] = payload
    s["beats"] = beats
    s["beats_per_wall_second"] = round(beats / wall)
    py = s.get("python_cpu_seconds")
    s["sim_cpu_seconds"] = None if py is None else round(float(s["cpu_seconds"]) - float(py), 2)  # type: ignore[arg-type]
    return s


ROWS = [
    ("simulated cycles", "cycles", "{:,}"),
    ("payload bytes (TX+RX)", "payload_bytes", "{:,}"),
    ("payload bytes / cycle", "bytes_per_cycle", "{:.2f}"),
    ("wall seconds (test body)", "wall_seconds", "{:.2f}"),
    ("payload bytes / wall-s", "payload_bytes_per_wall_second", "{:,}"),
    ("bus beats (AXI4 R+W, streams)", "beats", "{:,}"),
    ("beats / wall-s", "beats_per_wall_second", "{:,}"),
    ("CPU seconds", "cpu_seconds", "{:.2f}"),
    ("  of which Python callbacks", "python_cpu_seconds", "{:.2f}"),
    ("  of which simulator (Icarus)", "sim_cpu_seconds", "{:.2f}"),
    ("process wall (build+run)", "process_seconds", "{:.2f}"),
]


def _fmt(fmt: str, value: object) -> str:
    return "-" if value is None else fmt.format(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tx", type=int, default=100, help="TX packets")
    parser.add_argument("--rx", type=int, default=100, help="RX packets")
    parser.add_argument("--data-width", type=int, default=64, choices=[32, 64, 128, 256])
    parser.add_argument("--no-checkers", action="store_true", help="run without bus checkers")
    args = parser.parse_args(argv)

    results: dict[str, dict[str, object]] = {}
    for bfm in ("reference", "fast"):
        cfg = ScenarioConfig(seed=args.seed, tx_packets=args.tx, rx_packets=args.rx, bfm=bfm,
                             checkers=not args.no_checkers)
        print(f"bench-bfm: {bfm:9s} seed {args.seed}, {args.tx} TX + {args.rx} RX packets, "
              f"DATA_WIDTH {args.data_width}, checkers {'off' if args.no_checkers else 'on'} ...",
              flush=True)
        try:
            results[bfm] = run(bfm, cfg, args.data_width)
        except SimFailed as exc:
            print(f"FAILED ({bfm}): {exc}", file=sys.stderr)
            return 1

    ref, fast = results["reference"], results["fast"]
    print(f"\n{'':32s}{'reference':>14s}{'fast':>14s}{'fast/ref':>10s}")
    for label, key, fmt in ROWS:
        r, f = ref.get(key), fast.get(key)
        ratio = ""
        if isinstance(r, (int, float)) and isinstance(f, (int, float)) and r:
            ratio = f"{f / r:.2f}x"
        print(f"{label:32s}{_fmt(fmt, r):>14s}{_fmt(fmt, f):>14s}{ratio:>10s}")
    py_r, py_f = ref.get("python_cpu_seconds"), fast.get("python_cpu_seconds")
    if isinstance(py_r, float) and isinstance(py_f, float) and py_f:
        print(f"\nPython CPU per payload byte: reference / fast = {py_r / py_f:.1f}x")
    speed = float(fast["payload_bytes_per_wall_second"]) / float(  # type: ignore[arg-type]
        ref["payload_bytes_per_wall_second"])  # type: ignore[arg-type]
    print(f"payload bytes per wall-second: fast / reference = {speed:.2f}x (target >= 10x)")

    differ = {k: (ref[k], fast[k]) for k in AGREE if ref[k] != fast[k]}
    if differ:
        print(f"FAILED: the two kinds disagree: {differ}", file=sys.stderr)
        return 1
    print("both kinds: same packets (digests), counters, 0 faults, 0 leaks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
