#!/usr/bin/env bash
# Generic synthesis of the engine with Debian's yosys (called by `make synth`).
# Usage: scripts/synth.sh <top> <verilog files...>
#
# Reads the sources as Verilog-2005 (include path hdl/), runs yosys' generic
# `synth` flattened, fails if any latch was inferred, and prints the cell
# counts. The log is kept in build/synth/<top>.log.
#
# The generic flow maps every memory (the FIFOs and descriptor stores) to
# flip-flops and multiplexers, which takes a few minutes. With
# SYNTH_KEEP_MEMORIES=1 the memories stay RAM cells ($mem_v2, as block or
# distributed RAM would take them) and only the logic around them is mapped:
# the same checks, in about half a minute.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 <top> <verilog files...>" >&2
  exit 2
fi
top=$1; shift
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/build/synth"
mkdir -p "$out"
log="$out/$top.log"
keep=${SYNTH_KEEP_MEMORIES:-0}

files=()
for f in "$@"; do
  files+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")")
done

script="$out/$top.ys"
{
  echo "read_verilog -I$root/hdl ${files[*]}"
  echo "hierarchy -check -top $top"
  # latches show up as \$dlatch after proc; once cells that drive nothing are
  # gone (a for-loop index assigned under a condition is reported as a latch
  # by proc but feeds no logic), none may be left
  echo "proc"
  echo "flatten"
  echo "opt_clean"
  echo "select -assert-none t:\$dlatch t:\$adlatch t:\$dlatchsr"
  echo "tee -q -o $out/$top.mem.stat stat"
  if [ "$keep" = 1 ]; then
    echo "synth -top $top -run coarse:fine"
    echo "opt -fast -full"
    echo "techmap"
    echo "opt -fast"
    echo "abc -fast"
    echo "opt -fast"
  else
    echo "synth -top $top -flatten"
  fi
  echo "select -assert-none t:\$_DLATCH_*_ t:\$_DLATCHSR_*_"
  echo "check -assert"
  echo "tee -q -o $out/$top.stat stat"
} > "$script"

mode="memories mapped to flip-flops"
[ "$keep" = 1 ] && mode="memories kept as RAM cells"
echo "synth: yosys $(yosys -V | awk '{print $2}') on $top ($# files, $mode); log: ${log#$root/}"
if ! yosys -q -l "$log" -s "$script" >/dev/null; then
  echo "synth: FAILED (see ${log#$root/})" >&2
  grep -iE "error|assert|latch" "$log" | tail -20 >&2 || true
  exit 1
fi
if grep -q "^Latch inferred" "$log"; then
  echo "synth: note: proc reported latches that drive no logic (removed before the check):"
  grep "^Latch inferred" "$log" | sed 's/ from process.*//; s/^/  /'
fi
echo "synth: no latches in the design"
grep -E "Number of memories|Number of memory bits" "$out/$top.mem.stat" | sed 's/^ */  RTL /'
sed -n '/Number of wires/,$p' "$out/$top.stat"
