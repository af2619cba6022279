"""Helpers shared by the unit test benches: seeded randomness, clock and reset."""

from __future__ import annotations

import logging
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge

__all__ = ["CLOCK_NS", "seeded_random", "start_clock", "reset_dut", "param"]

CLOCK_NS = 4


def seeded_random(name: str) -> tuple[random.Random, int]:
    """A private random generator seeded from the simulation seed (printed on failure)."""
    seed = int(cocotb.RANDOM_SEED)
    logging.getLogger(f"tb.{name}").info("random seed %d (replay with seed=%d)", seed, seed)
    return random.Random(seed), seed


def start_clock(clk) -> None:
    """A 250 MHz clock, starting low (cocotbext-axi must not sample Z at time 0)."""
    Clock(clk, CLOCK_NS, unit="ns").start(start_high=False)


async def reset_dut(clk, rst, cycles: int = 4) -> None:
    """Hold the synchronous active-high reset for a few cycles."""
    rst.value = 1
    for _ in range(cycles):
        await RisingEdge(clk)
    rst.value = 0
    await RisingEdge(clk)


def param(dut, name: str) -> int:
    """An integer parameter of the DUT."""
    return int(getattr(dut, name).value)
