"""The benchmark report: ``build/bench/results.json``, ``report.md`` and PNG plots.

Reads what the benchmarks wrote under ``build/bench/`` (``engine.json`` from
``scripts/bench_engine.py``, ``scaling.json`` from ``scripts/bench_scaling.py``,
``pymodel.txt``, what ``scripts/bench_pymodel.py`` printed) and writes one results file
and one Markdown report with its plots beside it. ``make bench`` runs them all.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "build" / "bench"


def _load(name: str) -> Any:
    path = BENCH / name
    return json.loads(path.read_text()) if path.is_file() else None


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def efficiency_plots(runs: list[dict[str, Any]], out: Path) -> list[str]:
    """One figure per data width: a panel per latency, efficiency against packet size."""
    files = []
    widths = sorted({r["data_bytes"] for r in runs})
    latencies = sorted({r["mem_latency"] for r in runs})
    for db in widths:
        fig, axes = plt.subplots(1, len(latencies), figsize=(5 * len(latencies), 4.2),
                                 sharey=True, squeeze=False)
        for ax, lat in zip(axes[0], latencies, strict=True):
            sel = [r for r in runs if r["data_bytes"] == db and r["mem_latency"] == lat]
            for mode, kind, style, label in (
                ("tx", "tx", "o-", "TX alone"), ("rx", "rx", "s-", "RX alone"),
                ("both", "tx", "o--", "TX, both at once"), ("both", "rx", "s--", "RX, both at once"),
            ):
                pts = sorted((r["packet_bytes"], r[kind]["efficiency"]) for r in sel
                             if r["mode"] == mode and kind in r)
                if pts:
                    ax.plot([p[0] for p in pts], [100 * p[1] for p in pts], style, label=label)
            lim = sorted((r["packet_bytes"], r["tx"]["limit"]) for r in sel
                         if r["mode"] == "both" and "tx" in r)
            if lim:
                ax.plot([p[0] for p in lim], [100 * p[1] for p in lim], ":", color="gray",
                        label="physical limit, both at once")
            ax.set_xscale("log")
            ax.set_title(f"{8 * db}-bit bus, memory latency {lat} cycles")
            ax.set_xlabel("packet bytes")
            ax.grid(True, which="both", alpha=0.3)
        axes[0][0].set_ylabel("payload per cycle / bus width (%)")
        axes[0][0].legend(fontsize=8, loc="lower right")
        fig.tight_layout()
        name = f"efficiency_{8 * db}bit.png"
        fig.savefig(out / name, dpi=90)
        plt.close(fig)
        files.append(name)
    return files


def packet_rate_plot(runs: list[dict[str, Any]], out: Path) -> str:
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for db in sorted({r["data_bytes"] for r in runs}):
        sel = sorted((r["packet_bytes"], r["tx"]["packets_per_us_per_mhz"] + r["rx"][
            "packets_per_us_per_mhz"]) for r in runs
            if r["data_bytes"] == db and r["mode"] == "both" and r["mem_latency"] == 200)
        ax.plot([p[0] for p in sel], [1e6 * p[1] for p in sel], "o-",
                label=f"{8 * db}-bit, TX + RX, latency 200")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("packet bytes")
    ax.set_ylabel("packets per second per MHz of clock")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "packet_rate.png", dpi=90)
    plt.close(fig)
    return "packet_rate.png"


CHANNELS = (("ar", "AR"), ("r", "R"), ("aw", "AW"), ("w", "W"), ("b", "B"),
            ("tx", "TX stream"), ("rx", "RX stream"))


def cycles_plot(runs: list[dict[str, Any]], out: Path) -> str:
    sel = [r for r in runs if r["packet_bytes"] == 64 and r["mem_latency"] == 200]
    fig, axes = plt.subplots(1, max(1, len(sel)), figsize=(4.2 * max(1, len(sel)), 4),
                             squeeze=False)
    for ax, r in zip(axes[0], sel, strict=False):
        names = [label for _, label in CHANNELS]
        busy = [100 * r[f"{ch}_busy"] for ch, _ in CHANNELS]
        wait = [100 * r[f"{ch}_waiting"] for ch, _ in CHANNELS]
        ax.barh(names, busy, label="transfer")
        ax.barh(names, wait, left=busy, label="sender waits")
        ax.set_xlim(0, 100)
        ax.set_title(f"64 B, {8 * r['data_bytes']}-bit, {r['mode']}", fontsize=9)
        ax.invert_yaxis()
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "cycles_64B.png", dpi=90)
    plt.close(fig)
    return "cycles_64B.png"


def scaling_plot(scaling: dict[str, Any], out: Path) -> str:
    rows = scaling["runs"]
    fig, ax = plt.subplots(figsize=(6, 4))
    x = [r["packets"] for r in rows]
    ax.plot(x, [r["wall_seconds"] for r in rows], "o-", label="wall seconds")
    ax2 = ax.twinx()
    ax2.plot(x, [r["peak_rss_mib"] for r in rows], "s--", color="tab:red", label="peak MiB")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("packets (TX + RX)")
    ax.set_ylabel("wall seconds")
    ax2.set_ylabel("peak resident memory (MiB)")
    fig.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(out / "scaling.png", dpi=90)
    plt.close(fig)
    return "scaling.png"


def efficiency_table(runs: list[dict[str, Any]], db: int, lat: int) -> list[str]:
    sizes = sorted({r["packet_bytes"] for r in runs})
    lines = ["| packet | TX alone | RX alone | TX, both | RX, both | limit, both |",
             "|---:|---:|---:|---:|---:|---:|"]
    for size in sizes:
        def cell(mode: str, kind: str, size: int = size) -> str:
            for r in runs:
                if (r["data_bytes"], r["mem_latency"], r["packet_bytes"], r["mode"]) == (
                        db, lat, size, mode) and kind in r:
                    return f"{_pct(r[kind]['efficiency'])} ({_pct(r[kind]['of_limit'])})"
            return "-"
        lim = next((_pct(r["tx"]["limit"]) for r in runs if (r["data_bytes"], r["mem_latency"],
                    r["packet_bytes"], r["mode"]) == (db, lat, size, "both")), "-")
        lines.append(f"| {size} B | {cell('tx', 'tx')} | {cell('rx', 'rx')} | "
                     f"{cell('both', 'tx')} | {cell('both', 'rx')} | {lim} |")
    return lines


def summary_table(runs: list[dict[str, Any]], sizes: tuple[int, ...] = (64, 512, 1500, 9000)
                  ) -> list[str]:
    """The README's table: share of the physical limit, per width, latency and size."""
    lines = ["| bus | latency | packet | TX alone | RX alone | TX, both | RX, both |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for db in sorted({r["data_bytes"] for r in runs}):
        for lat in sorted({r["mem_latency"] for r in runs}):
            for size in sizes:
                cells = []
                for mode, kind in (("tx", "tx"), ("rx", "rx"), ("both", "tx"), ("both", "rx")):
                    got = [r for r in runs if (r["data_bytes"], r["mem_latency"],
                           r["packet_bytes"], r["mode"]) == (db, lat, size, mode) and kind in r]
                    cells.append(_pct(got[0][kind]["of_limit"]) if got else "-")
                lines.append(f"| {8 * db}-bit | {lat} | {size} B | " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=BENCH)
    args = parser.parse_args(argv)
    out: Path = args.dir
    out.mkdir(parents=True, exist_ok=True)
    engine = _load("engine.json")
    scaling = _load("scaling.json")
    pymodel_txt = out / "pymodel.txt"
    pymodel = pymodel_txt.read_text() if pymodel_txt.is_file() else None
    results = {"engine": engine, "scaling": scaling, "pymodel": pymodel}
    (out / "results.json").write_text(json.dumps(results, indent=1))
    md = ["# Benchmarks", "", "Written by `make bench` (`scripts/bench_report.py`).", ""]
    if engine:
        runs = engine["runs"]
        md += ["## Engine efficiency", "",
               "Payload bytes per cycle over the bus width, counted where the payload "
               "crosses the AXI bus (R beats of the TX data client, W beats of the RX data "
               "client: `tb/hdl/tb_perf_monitor.v`), in the steady state: from the fifth "
               "packet in five to the packet after which the engine has no more "
               "descriptors to read ahead (bring-up and the drain at the end left out). "
               "The driver posts every buffer of a run up front, so the engine, not the "
               "driver model's interrupt loop, sets the pace. No back-pressure, every "
               "packet the same size, simulated under "
               f"{engine['simulator']} (both simulators give the same cycles). In brackets: "
               "the share of the channel's physical limit, payload / (payload + the "
               "descriptor and completion bytes that share its AXI channel, 16 bytes per "
               "buffer; data in whole beats of bus-aligned buffers): the read channel "
               "carries TX data, TX descriptors and (both at once) RX descriptors; the "
               "write channel RX data, RX completions and (both at once) TX completions. "
               "Both at once, the other ring's share is taken at its measured packet rate "
               "(the `limit, both` column: both at the same rate).", ""]
        for db in sorted({r["data_bytes"] for r in runs}):
            for lat in sorted({r["mem_latency"] for r in runs}):
                md += [f"### {8 * db}-bit bus, host-memory latency {lat} cycles", ""]
                md += efficiency_table(runs, db, lat) + [""]
        (out / "readme_table.md").write_text("\n".join(summary_table(runs)) + "\n")
        for name in efficiency_plots(runs, out):
            md += [f"![{name}]({name})", ""]
        md += ["## Packets per second per simulated MHz", "",
               f"![packet rate]({packet_rate_plot(runs, out)})", ""]
        md += ["## Where the cycles go: 64-byte packets, latency 200", "",
               "Per AXI channel and stream: the share of cycles with a transfer and with "
               "the sender waiting for READY (from `tb/hdl/tb_perf_monitor.v`); bursts in "
               "flight: mean, and the share of cycles at the engine's own limit.", "",
               "| width | mode | R busy | W busy | AR busy | reads in flight (at limit) | "
               "writes in flight (at limit) | TX stream | RX stream |",
               "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
        for r in runs:
            if r["packet_bytes"] == 64 and r["mem_latency"] == 200:
                md.append(
                    f"| {8 * r['data_bytes']}-bit | {r['mode']} | {_pct(r['r_busy'])} | "
                    f"{_pct(r['w_busy'])} | {_pct(r['ar_busy'])} | {r['rd_in_flight']:.1f} "
                    f"({_pct(r['rd_at_limit'])} of {r['rd_limit']}) | {r['wr_in_flight']:.1f} "
                    f"({_pct(r['wr_at_limit'])} of {r['wr_limit']}) | {_pct(r['tx_busy'])} | "
                    f"{_pct(r['rx_busy'])} |")
        md += ["", f"![cycles]({cycles_plot(runs, out)})", ""]
    if scaling:
        base = scaling["runs"][0]
        md += ["## Scaling of the default scenario", "",
               "The default scenario (random sizes 60-9,000 bytes, back-pressure, checkers "
               f"on) under {scaling['simulator']} at 1x, 10x and 100x a base of "
               f"{base['packets'] // 2} packets each way (100x the default 1,000 + 1,000 "
               "would not fit the benchmark's 15 minutes), each run a process of its own "
               "(peak resident memory of the simulator). Random sizes make the work grow "
               "as the payload, not exactly as the packet count: wall per payload byte "
               "staying flat is linear.", "",
               "| packets (TX + RX) | payload MB | simulated cycles | wall s | "
               "wall s per MB | peak MiB |",
               "|---:|---:|---:|---:|---:|---:|"]
        for r in scaling["runs"]:
            mb = r["payload_bytes"] / 1e6
            md.append(f"| {r['packets']:,} | {mb:.1f} | {r['cycles']:,} | "
                      f"{r['wall_seconds']:.1f} | {r['wall_seconds'] / mb:.2f} | "
                      f"{r['peak_rss_mib']:.0f} |")
        md += ["", f"![scaling]({scaling_plot(scaling, out)})", ""]
    if pymodel:
        md += ["## Host model (`scripts/bench_pymodel.py`)", "", "```", pymodel.rstrip(), "```", ""]
    (out / "report.md").write_text("\n".join(md))
    print(f"wrote {out / 'results.json'} and {out / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
