"""Register access by name: the driver never pokes raw offsets."""

from __future__ import annotations

from typing import Protocol

from pymodel.device import Reg, Ring, RingReg, ring_reg

__all__ = ["DeviceRegisters", "RegisterPort"]


class RegisterPort(Protocol):
    """What a bus master offers for 32-bit register access (AXI-Lite)."""

    async def read_dword(self, address: int) -> int: ...

    async def write_dword(self, address: int, data: int) -> None: ...


class DeviceRegisters:
    """The engine's register map over an AXI-Lite master."""

    def __init__(self, port: RegisterPort) -> None:
        self._port = port

    async def read(self, reg: Reg) -> int:
        return int(await self._port.read_dword(int(reg)))

    async def write(self, reg: Reg, value: int) -> None:
        await self._port.write_dword(int(reg), value & 0xFFFF_FFFF)

    async def ring_read(self, ring: Ring, reg: RingReg) -> int:
        return int(await self._port.read_dword(ring_reg(ring, reg)))

    async def ring_write(self, ring: Ring, reg: RingReg, value: int) -> None:
        await self._port.write_dword(ring_reg(ring, reg), value & 0xFFFF_FFFF)
