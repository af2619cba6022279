"""A lying device: write bursts rewritten on their way to host memory (tests only).

To prove a checker (or the driver) catches an impossible write-back, a test
makes the device write one: a *lie* is a function that gets each write burst
as the engine put it on the bus and returns the burst host memory shall get
instead (the same number of beats; data, strobes and even the address may
change: a device that writes a descriptor line to the wrong place), or None to
let it pass. :class:`LyingDevice` applies it on the AXI monitor path, before any
subscriber (the checkers, the memory model) hears of the burst. The fast bus
models see the bus through two monitors (the checkers' and the memory's
capture); both get the same rewritten burst: the lie is asked once per burst
and its answer kept for the other view.
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
    """Applies ``lie`` to every write burst seen through ``views`` monitors (1 or 2)."""

    def __init__(self, lie: Lie, *, views: int) -> None:
        if views not in (1, 2):
            raise TbError(f"a lying device serves 1 or 2 monitor views, not {views}")
        self.lie = lie
        self.views = views
        self.log = logging.getLogger("tb.bfm.lying")
        #: (burst as written, burst as delivered) for every burst the lie changed
        self.lies: list[tuple[WriteBurst, WriteBurst]] = []
        self._pending: dict[tuple[int, int, int, int], tuple[WriteBurst, WriteBurst, int]] = {}

    def rewrite(self, burst: WriteBurst) -> WriteBurst:
        """The burst the monitor's subscribers get instead of ``burst``."""
        key = (burst.time_ns, burst.axi_id, burst.addr, burst.beats)
        seen = self._pending.pop(key, None)
        if seen is not None:
            original, answer, left = seen
            if original.data != burst.data or not (original.strobe == burst.strobe).all():
                raise TbError(f"two monitors saw different bursts at {key}: cannot lie consistently")
            if left > 1:
                self._pending[key] = (original, answer, left - 1)
            return answer
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
        if self.views > 1:
            self._pending[key] = (burst, answer, self.views - 1)
        return answer
