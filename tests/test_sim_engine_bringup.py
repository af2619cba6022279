"""Bring-up simulations of the whole dma_engine on the system bench (cocotb, Icarus).

Runs the directed tests of `tb.sims.engine_bringup` (registers, TX, RX, write-back
coalescing, cache-line sizes, RX drops, every error case with recovery, stop and soft
reset under traffic, 4 KiB sweeps, back-pressure) on `tb_top` (fast bus models) with
the engine built at DATA_WIDTH 32, 64, 128 and 256, and once more with the bus limits
at their smallest (short bursts, one transaction in flight, a small descriptor cache
and TX buffer) so that splitting, credits and outstanding limits are exercised.

The seed is ``DMANIC_SEED`` when set, else a fresh one per session; a failure names it
and the command that replays it. ``tests/test_sim_agreement.py`` runs the same tests
under Icarus and Verilator on a fixed seed and compares their fingerprints.
"""

from __future__ import annotations

import os
import random

import pytest

from tb.runner import SYSTEM_TOPLEVEL, SimFailed, bfm_parameters, run_sim, system_sources

pytestmark = pytest.mark.sim

MODULE = "tb.sims.engine_bringup"
#: tb_top parameters of each build: every data width, and the tight limits
BUILDS: dict[str, dict[str, int]] = {
    **{f"w{w}": {"DATA_WIDTH": w} for w in (32, 64, 128, 256)},
    "w64_tight": {
        "DATA_WIDTH": 64,
        "MAX_BURST_LEN": 4,
        "MAX_RD_OUTSTANDING": 1,
        "MAX_WR_OUTSTANDING": 1,
        "DESC_DEPTH": 16,
        "DESC_FETCH_READS": 1,
        "TX_FIFO_BEATS": 64,
    },
}
#: one seed for the session (replayed with DMANIC_SEED=<seed>)
SEED = int(os.environ.get("DMANIC_SEED") or "0", 0) or random.SystemRandom().randrange(
    1, 1 << 31)


def bringup_env(seed: int) -> dict[str, str]:
    """The environment of a bring-up run on ``seed`` (fast bus models)."""
    return {"DMANIC_SEED": str(seed), "DMANIC_BFM": "fast"}


@pytest.mark.parametrize("build", list(BUILDS))
def test_engine_bringup(build: str) -> None:
    try:
        run_sim(
            toplevel=SYSTEM_TOPLEVEL,
            test_module=MODULE,
            build_name=f"engine_bringup_{build}",
            sources=system_sources(),
            parameters={**BUILDS[build], **bfm_parameters("fast")},
            extra_env=bringup_env(SEED),
        )
    except SimFailed as exc:
        raise SimFailed(
            f"{exc}\nseed {SEED}; replay: DMANIC_SEED={SEED} python -m pytest "
            f"tests/test_sim_engine_bringup.py -k {build}"
        ) from exc
