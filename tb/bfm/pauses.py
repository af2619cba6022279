"""Random back-pressure for cocotbext-axi models: one seeded pause pattern, used by every bench."""

from __future__ import annotations

import random
from collections.abc import Iterator

__all__ = ["pause_pattern"]


def pause_pattern(rng: random.Random, probability: float) -> Iterator[bool]:
    """An endless seeded sequence: True = pause this cycle (with ``probability``)."""
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"pause probability must be within 0..1, not {probability}")
    while True:
        yield rng.random() < probability
