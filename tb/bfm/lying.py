"""A lying device: write bursts rewritten on their way to host memory (tests only).

To prove a checker (or the driver) catches an impossible write-back, a test
makes the device write one: a *lie* is a function that gets each write burst
as the engine put it on the bus and returns the burst host memory shall get
instead (the same number of beats; data, strobes and even the address may
change: a device that writes a descriptor line to the wrong place), or None to
let it pass. :class:`LyingDevice` applies it on the AXI monitor path, before any
subscriber (the checkers, then the memory model) hears of the burst.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from tb.bus_events import WriteBurst
from tb.errors import TbError

__all__ = ["Lie", "LyingDevice"]

#: A burst as the engine wrote it -> the burst host memory gets, or None (the truth).
Lie = Callable[[WriteBurst], WriteBurst | None]


class LyingDevice:
    """Applies ``lie`` to every write burst the monitor reports."""

    def __init__(self, lie: Lie) -> None:
        self.lie = lie
        self.log = logging.getLogger("tb.bfm.lying")
        #: (burst as written, burst as delivered) for every burst the lie changed
        self.lies: list[tuple[WriteBurst, WriteBurst]] = []

    def rewrite(self, burst: WriteBurst) -> WriteBurst:
        """The burst the monitor's subscribers get instead of ``burst``."""
        answer = self.lie(burst) or burst
        if answer is not burst:
            if (answer.beats, answer.beat_bytes, len(answer.data), answer.strobe.size) != (
                    burst.beats, burst.beat_bytes, len(burst.data), burst.strobe.size):
                raise TbError(
                    f"a lie may change a burst's data, strobes and address, not its size: "
                    f"x{burst.beats} of {burst.beat_bytes} bytes became x{answer.beats} of "
                    f"{answer.beat_bytes}"
                )
            if answer.addr % answer.beat_bytes != burst.addr % burst.beat_bytes:
                raise TbError(f"a lie must keep the burst's offset in its first beat: "
                              f"{burst.addr:#x} became {answer.addr:#x}")
            self.lies.append((burst, answer))
            self.log.info("lied at t=%d ns: write burst ID %d at %#x x%d rewritten (to %#x)",
                          burst.time_ns, burst.axi_id, burst.addr, burst.beats, answer.addr)
        return answer
