"""Seeded packet payloads that identify themselves."""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass

__all__ = ["MAX_PACKET", "MIN_PACKET", "Packet", "PacketFactory"]

MIN_PACKET = 60
MAX_PACKET = 9000
_HEADER = struct.Struct("<4sI")  # stream tag, sequence number


@dataclass(frozen=True)
class Packet:
    """One packet: its stream, sequence number and bytes."""

    stream: str
    seq: int
    data: bytes

    def __len__(self) -> int:
        return len(self.data)


class PacketFactory:
    """Makes packets of seeded random sizes whose first 8 bytes say who they are."""

    def __init__(self, *, stream: str, seed: int, min_len: int = MIN_PACKET,
                 max_len: int = MAX_PACKET) -> None:
        if len(stream.encode()) > 4:
            raise ValueError(f"stream tag must be at most 4 bytes, not {stream!r}")
        if not _HEADER.size <= min_len <= max_len:
            raise ValueError(
                f"packet lengths must satisfy {_HEADER.size} <= min <= max, "
                f"not min={min_len} max={max_len}"
            )
        self.stream = stream
        self._rng = random.Random(seed)
        self._min, self._max = min_len, max_len
        self._seq = 0

    def set_lengths(self, min_len: int, max_len: int) -> None:
        """Random lengths from now on between ``min_len`` and ``max_len``."""
        if not _HEADER.size <= min_len <= max_len:
            raise ValueError(
                f"packet lengths must satisfy {_HEADER.size} <= min <= max, "
                f"not min={min_len} max={max_len}"
            )
        self._min, self._max = min_len, max_len

    def make(self, length: int | None = None) -> Packet:
        if length is None:
            length = self._rng.randint(self._min, self._max)
        if length < _HEADER.size:
            raise ValueError(f"packet length must be at least {_HEADER.size}, not {length}")
        header = _HEADER.pack(self.stream.encode().ljust(4, b"."), self._seq)
        body = self._rng.randbytes(length - _HEADER.size)
        pkt = Packet(self.stream, self._seq, header + body)
        self._seq += 1
        return pkt

    @staticmethod
    def identify(data: bytes) -> tuple[str, int] | None:
        """(stream, seq) of a packet made here, or None if it cannot be one."""
        if len(data) < _HEADER.size:
            return None
        tag, seq = _HEADER.unpack_from(data)
        return tag.rstrip(b".").decode(errors="replace"), seq
