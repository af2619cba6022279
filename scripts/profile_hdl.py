"""Where Icarus spends its time: per `always` block, on the default scenario (``make profile``).

Copies the engine and test-bench HDL with ``$prof_in(N)`` / ``$prof_out(N)``
around the body of every ``always ... begin`` block, builds the VPI timer
(scripts/profile/prof_vpi.c) with ``iverilog-vpi``, runs the scenario on the
fast bus models, and prints the blocks by share of the time spent inside
blocks, with ticks per evaluation and evaluations per cycle. Blocks that call a
Verilog task are over-counted (see prof_vpi.c). A developer tool, not a test.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tb.runner import (
    BUILD_ROOT,
    HDL_DIR,
    SYSTEM_TOPLEVEL,
    TB_HDL_DIR,
    TB_HDL_SOURCES,
    hdl_sources,
    read_summary,
    run_sim,
)
from tb.scenario_config import ScenarioConfig

_ALWAYS = re.compile(r"^(\s*)always\s*(@\*|@\(\*\)|@\s*\(posedge clk\))\s*begin\b")
_DECL = re.compile(r"^\s*(reg|integer|wire)\b")


def instrument(src: Path, dst: Path, first_id: int, where: dict[int, str]) -> int:
    """Write ``src`` to ``dst`` with timers around its always blocks; returns the next id.

    A block that calls one of the file's tasks is marked with a dagger in ``where``.
    """
    text = src.read_text()
    tasks = re.findall(r"^\s*task\s+(?:automatic\s+)?(\w+)", text, re.MULTILINE)
    calls_task = re.compile(r"\b(" + "|".join(tasks) + r")\b\s*[;(]") if tasks else None
    lines = text.split("\n")
    starts: dict[int, int] = {}  # line index -> id whose $prof_in goes before it
    ends: dict[int, int] = {}    # line index of the block's `end` -> id
    next_id = first_id
    for i, line in enumerate(lines):
        m = _ALWAYS.match(line)
        if not m:
            continue
        end_re = re.compile(re.escape(m.group(1)) + r"end\b")
        for j in range(i + 1, len(lines)):
            if end_re.match(lines[j]):
                k = i + 1
                while _DECL.match(lines[k]):  # a named block's declarations come first
                    k += 1
                starts[k], ends[j] = next_id, next_id
                body = "\n".join(lines[i + 1:j])
                dagger = " (+)" if calls_task and calls_task.search(body) else ""
                where[next_id] = f"{src.name}:{i + 1}{dagger}"
                next_id += 1
                break
    out = []
    for i, line in enumerate(lines):
        if i in starts:
            out.append(f"    $prof_in({starts[i]});")
        if i in ends:
            out.append(f"    $prof_out({ends[i]});")
        out.append(line)
    dst.write_text("\n".join(out))
    return next_id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--packets", type=int, default=40, help="TX and RX packets each")
    parser.add_argument("--data-width", type=int, default=64, choices=[32, 64, 128, 256])
    parser.add_argument("--top", type=int, default=25, help="rows to print")
    args = parser.parse_args()

    work = BUILD_ROOT / "profile"
    src_dir = work / "src"
    shutil.rmtree(work, ignore_errors=True)
    src_dir.mkdir(parents=True)
    subprocess.run(["iverilog-vpi", "--name=prof_vpi", str(REPO / "scripts/profile/prof_vpi.c")],
                   cwd=work, check=True, capture_output=True)
    where: dict[int, str] = {}
    next_id = 0
    for vh in list(HDL_DIR.glob("*.vh")) + list(TB_HDL_DIR.glob("*.vh")):
        shutil.copy(vh, src_dir / vh.name)
    sources = []
    for path in hdl_sources() + [TB_HDL_DIR / name for name in TB_HDL_SOURCES]:
        next_id = instrument(path, src_dir / path.name, next_id, where)
        sources.append(src_dir / path.name)
    top = src_dir / f"{SYSTEM_TOPLEVEL}.v"
    table = work / "blocks.txt"
    top.write_text(top.read_text().replace(
        "\nendmodule", f'\nfinal $prof_dump("{table}");\nendmodule'))

    cfg = ScenarioConfig(seed=1, tx_packets=args.packets, rx_packets=args.packets, bfm="fast")
    test_dir = run_sim(
        toplevel=SYSTEM_TOPLEVEL, test_module="tb.sims.scenario", build_name="profile/sim",
        sources=sources, includes=[src_dir],
        parameters={"DATA_WIDTH": args.data_width, "FAST": 1}, extra_env=cfg.to_env(),
        sim_args=[f"-M{work}", "-mprof_vpi"],
    )
    cycles = int(read_summary(test_dir)["cycles"])  # type: ignore[call-overload]
    rows = []
    for line in table.read_text().split("\n"):
        if line:
            block, ticks, evals = (int(x) for x in line.split())
            rows.append((ticks, evals, where[block]))
    total = sum(r[0] for r in rows)
    print(f"\n{len(where)} always blocks timed, {cycles} cycles, "
          f"{total / cycles:,.0f} ticks per cycle inside blocks\n")
    print(f"{'share':>6} {'ticks/eval':>11} {'evals/cycle':>12}  block")
    for ticks, evals, block in sorted(rows, reverse=True)[:args.top]:
        print(f"{100 * ticks / total:5.1f}% {ticks / evals:11,.0f} {evals / cycles:12.2f}  {block}")
    print("\n(+) calls a Verilog task: vvp runs it as a thread, other threads may run in the "
          "timed window,\n    so the figure is an upper bound (remove the block to measure it).")
    (work / "profile.json").write_text(json.dumps(
        {"cycles": cycles, "blocks": [{"block": b, "ticks": t, "evals": e} for t, e, b in rows]},
        indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
