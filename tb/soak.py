"""``make soak`` and ``make regress``: run the soak (tb/sims/soak.py), show it, sum it up.

    python -m tb.soak --seed 7 --packets 100000 --sim verilator   # one soak, progress line
    python -m tb.soak --report build/regress                      # the seeds of a regress

:func:`run_soak` runs one seeded soak on ``tb_top`` and returns its summary
(``soak_summary.json``); a failure raises :class:`tb.runner.SimFailed` ending with
the command that replays it (:func:`replay_command`). ``tests/test_sim_soak.py``
runs a short soak in ``make test``; ``tests/regress_soak.py`` runs one soak per seed
under pytest-xdist for ``make regress SEEDS=N SHARD=i/n``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
from pathlib import Path
from typing import Any

from tb.progress import PROGRESS_FILE, follow
from tb.runner import (
    BUILD_ROOT,
    SYSTEM_TOPLEVEL,
    SimFailed,
    bfm_parameters,
    run_sim,
    system_sources,
)

__all__ = ["DEFAULT_PACKETS", "DEFAULT_SIM", "REPLAY_FILE", "format_summary", "replay_command",
           "report", "run_soak"]

#: TX + RX packets of ``make soak``
DEFAULT_PACKETS = 100_000
#: the soak's simulator unless SIM= names one (Verilator: ~6x Icarus's speed)
DEFAULT_SIM = "verilator"
SUMMARY_FILE = "soak_summary.json"  # tb.sims.soak.SUMMARY_FILE (not imported: cocotb side)
#: a failed regress seed's replay command, in its test directory
REPLAY_FILE = "replay.txt"


def replay_command(seed: int, packets: int, sim: str, *, epoch: int | None = None,
                   faults: str = "") -> str:
    """The ``make soak`` command that runs this soak again."""
    cmd = f"make soak SEED={seed} PACKETS={packets}"
    if sim != DEFAULT_SIM:
        cmd += f" SIM={sim}"
    if epoch:
        cmd += f" EPOCH={epoch}"
    if faults:
        cmd += f" FAULTS={faults}"
    return cmd


def run_soak(*, seed: int, packets: int, sim: str = DEFAULT_SIM, build_name: str = "soak",
             epoch: int | None = None, faults: str = "", log_file: Path | None = None,
             data_width: int = 64) -> dict[str, Any]:
    """One soak; its summary. Raises :class:`SimFailed` whose message ends with the replay
    command."""
    replay = replay_command(seed, packets, sim, epoch=epoch, faults=faults)
    env = {"DMANIC_SEED": str(seed), "DMANIC_SOAK_PACKETS": str(packets),
           "DMANIC_BFM": "fast", "DMANIC_REPLAY": replay}
    if epoch:
        env["DMANIC_SOAK_EPOCH"] = str(epoch)
    if faults:
        env["DMANIC_SOAK_FAULTS"] = faults
    try:
        test_dir = run_sim(
            toplevel=SYSTEM_TOPLEVEL, test_module="tb.sims.soak", build_name=build_name,
            sources=system_sources(),
            parameters={"DATA_WIDTH": data_width, **bfm_parameters("fast")},
            extra_env=env, simulator=sim, log_file=log_file,
        )
    except SimFailed as exc:
        raise SimFailed(f"{exc}\nreplay: {replay}") from exc
    path = test_dir / SUMMARY_FILE
    if not path.is_file():
        raise SimFailed(f"the soak wrote no {path}\nreplay: {replay}")
    summary: dict[str, Any] = json.loads(path.read_text())
    return summary


def format_summary(s: dict[str, Any]) -> str:
    """The end of ``make soak``: packets, bytes, faults and outcomes, pool marks, leaks,
    checker counts."""
    tx, rx, pool, chk = s["tx"], s["rx"], s["pool"], s["checkers"]
    wall = max(float(s["wall_seconds"]), 1e-9)
    payload = int(tx["bytes"]) + int(rx["bytes"])
    lines = [
        (f"PASS  soak seed {s['seed']}: {s['packets']:,} packets in {s['epochs']} epochs, "
        f"{s['cycles']:,} cycles, {wall:.1f} s wall ({s['packets'] / wall:,.0f} packets/s, "
        f"{payload / wall / 1e3:,.0f} kB/s payload)"),
        (f"  TX: {tx['sent']:,} sent, {tx['delivered']:,} delivered ({tx['bytes']:,} bytes, "
        f"byte-exact), {tx['failed_reported']:,} completed as failed "
        f"({tx['failed_but_delivered']} of them had left), unexplained {tx['unexplained']}"),
        (f"  RX: {rx['sent']:,} sent, {rx['delivered']:,} delivered ({rx['bytes']:,} bytes, "
        f"byte-exact), engine drop counter {rx['drop_count']:,}, error counter "
        f"{rx['err_count']:,}, error completions {rx['error_completions']:,}, lost "
        f"unreported at ring stops and resets {rx['unexplained']} (bound {rx['bound']}: "
        f"the missing ones of the {rx.get('window_packets', '?')} packets the engine held or "
        f"took from the wire at {rx.get('bound_windows', '?')} ring stops and resets; "
        f"{rx.get('reclaimed_descriptors', '?')} descriptors reclaimed)"),
        (f"  ring errors {s['ring_errors']}, recoveries {s['recoveries']}, ring restarts "
        f"{s['restarts']}, soft resets {s['resets']}, halts {s['halts']}, interrupts "
        f"{s['interrupts']:,}"),
        (f"  receive pool: {pool['min_buffers']}-{pool['max_buffers']} buffers, at most "
        f"{pool['max_held']} held by the stack, at least {pool['min_available']} available; "
        f"async allocations {pool['async_requests']} asked, {pool['async_blocks']} added, "
        f"{pool['async_failures']} failed; {pool['blocks_freed']} blocks freed; receive "
        f"interrupts masked {pool['rx_masks']} times; shared memory peak "
        f"{pool['shared_peak']:,} bytes"),
        f"  leaks at halt: {s['leaks']}",
        (f"  checkers: {chk['bursts']:,} bursts, {chk['lines_written']:,} written lines, "
        f"{chk['descriptor_writes']:,} descriptor write-backs checked; findings "
        f"{chk['findings'] or 'none'} (the injected IOMMU faults: {s['iommu_faults']} "
        f"faulting accesses); protocol findings {chk['protocol_findings']}"),
        "  faults injected (epochs) and their outcomes:",
    ]
    lines += [f"    {n:4d} x {outcome}" for outcome, n in s["faults"].items()]
    return "\n".join(lines)


def report(root: Path) -> str:
    """One line per seed soaked under ``root`` (``make regress``): outcome, packets, wall."""
    rows = []
    for test_dir in sorted(root.iterdir()) if root.is_dir() else []:
        path = test_dir / SUMMARY_FILE
        if path.is_file():
            s = json.loads(path.read_text())
            rows.append(f"  {test_dir.name:28s} PASS  {s['packets']:>8,} packets  "
                        f"{len(s['faults']):>2} fault kinds  leaks {s['leaks']}  "
                        f"{s['wall_seconds']:>7.1f} s")
        elif (test_dir / REPLAY_FILE).is_file():
            replay = (test_dir / REPLAY_FILE).read_text().strip()
            rows.append(f"  {test_dir.name:28s} FAILED  replay: {replay}  (log: "
                        f"{test_dir / 'soak.log'})")
    if not rows:
        return f"regress: no soak results under {root}"
    return f"regress: {len(rows)} seeds under {root}\n" + "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", default="", help="replay a soak (default: a fresh seed)")
    parser.add_argument("--packets", type=int, default=DEFAULT_PACKETS, help="TX + RX packets")
    parser.add_argument("--sim", default=DEFAULT_SIM, choices=["icarus", "verilator"])
    parser.add_argument("--epoch", type=int, default=0, help="packets per epoch (default 200)")
    parser.add_argument("--faults", default="",
                        help="comma-separated faults to draw from (default: all)")
    parser.add_argument("--verbose", type=int, default=0,
                        help="1: the simulator's output on the console, not in a log file")
    parser.add_argument("--report", type=Path, metavar="DIR",
                        help="print the seeds soaked under DIR (make regress) and stop")
    args = parser.parse_args(argv)
    if args.report is not None:
        print(report(args.report))
        return 0
    seed = int(args.seed, 0) if args.seed else random.SystemRandom().randrange(1, 1 << 31)
    replay = replay_command(seed, args.packets, args.sim, epoch=args.epoch, faults=args.faults)
    print(f"soak: seed {seed}, {args.packets:,} packets (TX + RX), every fault at random, "
          f"random back-pressure on every channel, {args.sim}; replay: {replay}")
    test_dir = BUILD_ROOT / "soak"
    log_file = None if args.verbose else test_dir / "soak.log"
    if log_file is not None:
        test_dir.mkdir(parents=True, exist_ok=True)
        print(f"soak: simulator output in {log_file} (VERBOSE=1 shows it here)")
    outcome: list[BaseException | dict[str, Any]] = []

    def simulate() -> None:
        try:
            outcome.append(run_soak(seed=seed, packets=args.packets, sim=args.sim,
                                    build_name="soak", epoch=args.epoch or None,
                                    faults=args.faults, log_file=log_file))
        except BaseException as exc:
            outcome.append(exc)

    (test_dir / PROGRESS_FILE).unlink(missing_ok=True)
    worker = threading.Thread(target=simulate)
    worker.start()
    stop = threading.Event()
    shower = threading.Thread(target=follow, args=(test_dir / PROGRESS_FILE, stop),
                              kwargs={"before": f"building and starting {args.sim}"},
                              daemon=True)
    if log_file is not None:
        shower.start()
    worker.join()
    stop.set()
    if shower.is_alive():
        shower.join()
    result = outcome[0]
    if isinstance(result, SimFailed):
        print(f"\nFAILED: {result}", file=sys.stderr)
        if log_file is not None:
            print(f"simulator log: {log_file}", file=sys.stderr)
        return 1
    if isinstance(result, BaseException):
        if log_file is not None:
            print(f"\nsoak: the simulation did not run; see {log_file}", file=sys.stderr)
        raise result
    print("\n" + format_summary(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
