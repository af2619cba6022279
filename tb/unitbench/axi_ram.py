"""Pieces shared by the dma_axi_rd / dma_axi_wr benches.

* :class:`ErrRamRead` / :class:`ErrRamWrite` -- cocotbext-axi RAM slaves that
  answer SLVERR for any beat touching an error range (cocotbext-axi's slave
  answers SLVERR when its memory access raises);
* :class:`HandshakeRule` -- a passive per-channel checker: VALID stays high
  until READY and the payload does not change while VALID && !READY;
* :func:`check_burst` -- the AXI4 rules every AR/AW of the back ends keeps;
* :func:`pause_pattern` -- random back-pressure for the RAM's channels (from tb.bfm.pauses).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cocotbext.axi.axi_ram import AxiRamRead, AxiRamWrite

from tb.bfm.bus_errors import overlaps
from tb.bfm.pauses import pause_pattern

__all__ = [
    "AxiProtocolError",
    "ErrRamRead",
    "ErrRamWrite",
    "HandshakeRule",
    "check_burst",
    "overlaps",
    "pause_pattern",
]


class AxiProtocolError(AssertionError):
    """A back end broke an AXI4 rule or the engine's own bus rules."""


class SlaveError(Exception):
    """Raised by the RAM's memory access to make the slave answer SLVERR."""


class ErrRamRead(AxiRamRead):  # type: ignore[misc]  # cocotbext-axi has no type information
    """AXI4 read RAM answering SLVERR (and zero data) for beats in `err_ranges`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.err_ranges: list[tuple[int, int]] = []

    async def _read(self, address: int, length: int) -> bytes:
        if overlaps(self.err_ranges, address, length):
            raise SlaveError(f"read error at {address:#x}")
        return bytes(await super()._read(address, length))


class ErrRamWrite(AxiRamWrite):  # type: ignore[misc]  # cocotbext-axi has no type information
    """AXI4 write RAM answering SLVERR for bursts with a strobed byte in `err_ranges`.

    Bytes in an error range are never written.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.err_ranges: list[tuple[int, int]] = []

    async def _write(self, address: int, data: bytes) -> None:
        if overlaps(self.err_ranges, address, len(data)):
            raise SlaveError(f"write error at {address:#x}")
        await super()._write(address, data)


class HandshakeRule:
    """Passive checker of one valid/ready channel, sampled once per clock edge."""

    def __init__(self, name: str, valid: Any, ready: Any, payload: dict[str, Any],
                 where: Callable[[], str]) -> None:
        self.name = name
        self.valid = valid
        self.ready = ready
        self.payload = payload
        self.where = where  # callable giving "t=... ns (seed ...)"
        self.pending: tuple[int, ...] | None = None

    def values(self) -> tuple[int, ...]:
        return tuple(int(h.value) for h in self.payload.values())

    def sample(self) -> tuple[int, ...] | None:
        """Check this edge; returns the payload if a transfer happened at it."""
        v = int(self.valid.value)
        r = int(self.ready.value)
        cur = self.values() if v else None
        if self.pending is not None:
            if not v:
                raise AxiProtocolError(f"{self.name}: VALID dropped before READY ({self.where()})")
            if cur != self.pending:
                assert cur is not None
                fields = zip(self.payload, self.pending, cur, strict=True)
                changed = [k for k, a, b in fields if a != b]
                raise AxiProtocolError(
                    f"{self.name}: {', '.join(changed)} changed while VALID && !READY "
                    f"({self.where()})"
                )
        self.pending = cur if (v and not r) else None
        return cur if (v and r) else None


def check_burst(
    kind: str,
    fields: dict[str, int],
    *,
    nbytes: int,
    max_burst: int,
    clients: int,
    where: str,
) -> None:
    """AXI4 rules of one AR/AW (`kind` is "AR" or "AW"; fields without the prefix)."""
    addr, length = fields["addr"], fields["len"] + 1
    problems = []
    if fields["size"] != nbytes.bit_length() - 1:
        problems.append(f"size {fields['size']} is not the full width")
    if fields["burst"] != 1:
        problems.append(f"burst type {fields['burst']} is not INCR")
    if fields["lock"] != 0 or fields["cache"] != 0b0011 or fields["prot"] != 0:
        problems.append(
            f"lock/cache/prot {fields['lock']}/{fields['cache']:#06b}/{fields['prot']:#05b} "
            "are not 0/0b0011/0b000"
        )
    if length > max_burst:
        problems.append(f"{length} beats exceed MAX_BURST_LEN {max_burst}")
    if addr % nbytes:
        problems.append("address not beat aligned")
    if addr // 4096 != (addr + length * nbytes - 1) // 4096:
        problems.append("burst crosses a 4 KiB boundary")
    if fields["id"] >= clients:
        problems.append(f"ID {fields['id']} names no client")
    if problems:
        raise AxiProtocolError(
            f"{kind} id {fields['id']} addr {addr:#x} len {length}: "
            + "; ".join(problems)
            + f" ({where})"
        )
