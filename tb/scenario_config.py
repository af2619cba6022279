"""Scenario settings: one frozen value, read from the environment the runner sets."""

from __future__ import annotations

import os
import random
from dataclasses import asdict, dataclass, fields

__all__ = ["ENV_PREFIX", "ScenarioConfig"]

ENV_PREFIX = "DMANIC_"


@dataclass(frozen=True)
class ScenarioConfig:
    """Everything that decides one run; the seed replays it."""

    seed: int
    tx_packets: int = 1000
    rx_packets: int = 1000
    min_len: int = 60
    max_len: int = 9000
    coherent: bool = False
    cache_line: int = 64
    axi_pause: float = 0.2        # probability an AXI channel / stream side pauses a cycle
    stream_pause: float = 0.2
    #: Bus models: "fast" (HDL transactors, tb_top FAST=1) or "reference" (cocotbext-axi).
    bfm: str = "fast"
    #: Fast bus models only: host-memory read latency (cycles from AR to the first R beat)
    #: and the read / write bursts the memory accepts before answering.
    mem_latency: int = 200
    mem_outstanding: int = 16
    clock_ns: int = 4
    timeout_us: int = 200_000
    #: Bus checkers: translation, tearing, coherence (Python, per burst) and protocol
    #: (HDL, per cycle). On unless a run measures the bench without them.
    checkers: bool = True
    #: Stop at the first checker violation (False: record them, for tests that expect some).
    checkers_stop: bool = True
    #: The run writes an FST; then also write its GTKWave layout (tb/waves.py).
    waves: bool = False
    #: Deliberate driver bugs (tb.driver.DriverBugs field names, comma separated), to watch
    #: a checker catch one: ``make sim BUG=skip_tx_flush WAVES=1``.
    driver_bugs: str = ""
    #: Write an event trace (tb.trace): every AXI burst and register access, in order.
    trace: bool = False
    #: tb_axi_mangler mode (tb.checkers.protocol.MangleMode): 0 = a well-behaved bus.
    mangle: int = 0
    #: The protocol stack (tb.driver.stack): each receive is returned hold_min..hold_max ns
    #: after it was indicated; every ~slow_every_ns (0: never) a burst of slow returns
    #: lasts slow_for_ns, with holds of slow_hold_min..slow_hold_max ns.
    hold_min_ns: int = 2_000
    hold_max_ns: int = 20_000
    slow_every_ns: int = 0
    slow_for_ns: int = 0
    slow_hold_min_ns: int = 20_000
    slow_hold_max_ns: int = 50_000
    #: Cycles without progress (AXI handshake, stream beat, register write) after which
    #: the watchdog fails the run (tb.watchdog); 0 = off.
    watchdog_cycles: int = 20_000
    #: The command that replays this run, printed by every failure message ("": the
    #: generic ``python -m tb.run ...`` of tb.watchdog.default_replay).
    replay: str = ""

    def to_env(self) -> dict[str, str]:
        return {ENV_PREFIX + k.upper(): str(v) for k, v in asdict(self).items()}

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ScenarioConfig:
        env = os.environ if environ is None else environ
        kwargs: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            if f.type in ("bool", bool):
                kwargs[f.name] = raw.lower() in ("1", "true", "yes")
            elif f.type in ("int", int):
                kwargs[f.name] = int(raw, 0)
            elif f.type in ("float", float):
                kwargs[f.name] = float(raw)
            else:
                kwargs[f.name] = raw
        if "seed" not in kwargs:
            kwargs["seed"] = random.SystemRandom().randrange(1 << 31)
        return cls(**kwargs)  # type: ignore[arg-type]
