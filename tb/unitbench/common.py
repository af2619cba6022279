"""Helpers shared by the unit test benches: seeded randomness, clock and reset."""

from __future__ import annotations

import logging
import random
from typing import Any

import cocotb
import cocotb.regression
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge

__all__ = ["CLOCK_NS", "param", "reset_dut", "seeded_random", "start_clock"]

CLOCK_NS = 4

# the benches' own loggers (tb.*) report at INFO like cocotb's
logging.getLogger("tb").setLevel(logging.INFO)


def seeded_random(name: str) -> tuple[random.Random, int]:
    """A private random generator for the running test, and the seed that replays it.

    The generator is seeded with cocotb's per-test seed (derived from the
    regression seed and the test name); the returned seed is the regression
    seed: ``run_sim(..., seed=<it>)`` (COCOTB_RANDOM_SEED) replays the test.
    """
    manager = getattr(cocotb.regression, "_manager_inst", None)
    regression_seed = int(getattr(manager, "_regression_seed", cocotb.RANDOM_SEED))
    logging.getLogger(f"tb.{name}").info(
        "random seed %d (replay with run_sim(..., seed=%d), i.e. COCOTB_RANDOM_SEED)",
        regression_seed,
        regression_seed,
    )
    return random.Random(int(cocotb.RANDOM_SEED)), regression_seed


def start_clock(clk: Any) -> None:
    """A 250 MHz clock, starting low (cocotbext-axi must not sample Z at time 0)."""
    Clock(clk, CLOCK_NS, unit="ns").start(start_high=False)


async def reset_dut(clk: Any, rst: Any, cycles: int = 4) -> None:
    """Hold the synchronous active-high reset for a few cycles."""
    rst.value = 1
    for _ in range(cycles):
        await RisingEdge(clk)
    rst.value = 0
    await RisingEdge(clk)


def param(dut: Any, name: str) -> int:
    """An integer parameter of the DUT."""
    return int(getattr(dut, name).value)
