"""cocotb tests: the completion checker names every impossible write-back, in the full system.

Each test makes the device lie once (:mod:`tb.bfm.lying`: a descriptor write-back
rewritten on its way to host memory, before the checkers and the host see it),
runs a little traffic with the checkers recording (not stopping) and the driver
model recovering instead of raising, and asserts the *first* finding: its rule,
the ring and index, the descriptor's address and the bytes written. The last
two show the driver model surviving the lie of issue 12 (an RX completion with
WB_LEN 0 and no error): it names the device error, stops, reclaims and
re-enables the ring and goes on receiving; or, when the ring does not come
back, fails the adapter and still halts cleanly. The clean counterpart of every
case is the traffic of tb/sims/system.py, where any finding stops the test.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import cocotb

from pymodel.device import DESC_BYTES, DescStatus, ErrCode, Ring, RingReg, RingState
from tb.bfm.lying import Lie
from tb.bus_events import WriteBurst
from tb.checkers import Finding, Rule
from tb.checkers.completion_rules import RawCompletion
from tb.driver import DriverConfig
from tb.driver.ring import DriverRing
from tb.env import DmaEnv
from tb.errors import DriverError, SimTimeout
from tb.scenario_config import ScenarioConfig

SEED = int(os.environ.get("DMANIC_SEED", "0") or 0) or 4242
RUN_NS = 40_000

DONE, EOP, ERR = int(DescStatus.DONE), int(DescStatus.EOP), int(DescStatus.ERR)

#: (slot in the ring, the 16 bytes the engine wrote there, strobed) -> what memory gets, or None
Change = Callable[[int, bytes, bool], bytes | None]


def _env(dut, *, coherent: bool = False, **driver: Any) -> DmaEnv:  # type: ignore[no-untyped-def]
    """A bench whose checkers and scoreboards record, and whose driver recovers."""
    cfg = ScenarioConfig(seed=SEED, max_len=1800, checkers_stop=False, coherent=coherent,
                         axi_pause=0.1, stream_pause=0.1)
    env = DmaEnv(dut, cfg, driver_config=DriverConfig(strict_errors=False, **driver))
    env.tx_scoreboard.record = env.rx_scoreboard.record = True
    return env


def _ring(env: DmaEnv, which: Ring) -> DriverRing:
    ring = env.driver.tx_ring if which is Ring.TX else env.driver.rx_ring
    assert ring is not None
    return ring


def lie_once(ring: DriverRing, change: Change, *, to: int = 0) -> Lie:
    """A lie told once: in the first write burst into ``ring`` for which ``change`` gives new
    bytes for a descriptor, memory gets them (strobed), the burst moved by ``to`` bytes."""
    told = False
    ring_end = ring.block.la + ring.size * DESC_BYTES

    def lie(burst: WriteBurst) -> WriteBurst | None:
        nonlocal told
        if told or burst.end <= ring.block.la or burst.start >= ring_end:
            return None
        data, strobe = bytearray(burst.data), burst.strobe.copy()
        for la in range(max(burst.start, ring.block.la), min(burst.end, ring_end), DESC_BYTES):
            off = la - burst.start
            new = change((la - ring.block.la) // DESC_BYTES, bytes(data[off:off + DESC_BYTES]),
                         bool(strobe[off:off + DESC_BYTES].all()))
            if new is not None:
                data[off:off + DESC_BYTES] = new
                strobe[off:off + DESC_BYTES] = True
                told = True
                return replace(burst, addr=burst.addr + to, data=bytes(data), strobe=strobe)
        return None

    return lie


def with_fields(raw: bytes, *, wb_len: int | None = None, status: int | None = None,
                err: int | None = None) -> bytes:
    """``raw`` with bytes 12-15 (the device's) changed."""
    out = bytearray(raw)
    if wb_len is not None:
        out[12:14] = wb_len.to_bytes(2, "little")
    if status is not None:
        out[14] = status
    if err is not None:
        out[15] = err
    return bytes(out)


def first_done(edit: Callable[[bytes], bytes], *, need: int = 0) -> Change:
    """Change the first written descriptor whose STATUS has DONE (and every bit of ``need``)."""
    def change(slot: int, raw: bytes, strobed: bool) -> bytes | None:
        del slot
        s = raw[14]
        return edit(raw) if strobed and s & DONE and s & need == need else None
    return change


async def _traffic(env: DmaEnv, *, tx: int = 0, rx: int = 0, ns: int = RUN_NS) -> None:
    if rx:
        cocotb.start_soon(env.send_rx(rx))
    if tx:
        cocotb.start_soon(env.send_tx(tx))
    with env.watchdog.paused():  # a fixed stretch: the findings are what it looks at
        await env.phase.sleep(ns)


def _expect(env: DmaEnv, rule: Rule, which: Ring, index: int | None = None) -> Finding:
    """The first finding is ``rule`` at descriptor ``index`` (any, if None) of ``which``."""
    findings = env.checkers.log.findings
    lies = 0 if env.lying is None else len(env.lying.lies)
    assert findings, f"no checker fired ({lies} bursts rewritten by the lie)"
    f = findings[0]
    assert f.rule is rule, f"expected {rule.name} first, got {f}"
    ring = _ring(env, which)
    assert f.la is not None and f.pa is not None and f.time_ns > 0
    slot = (f.la - ring.block.la) // DESC_BYTES
    assert 0 <= slot < ring.size, f
    what = f"{which.name} ring " + ("slot" if rule is Rule.NOT_POSTED else "descriptor")
    assert f.owner.startswith(what), f
    if index is not None:
        assert f.owner.startswith(f"{what} {index} "), f
    assert str(f).startswith(f"t={f.time_ns} ns completion/{rule.name}: "), str(f)
    assert " | " in f.detail and "write burst ID" in f.detail, f  # the bytes written
    assert f.channel == "write"
    return f


async def _start(env: DmaEnv) -> None:
    await env.start()
    assert await env.driver.initialize()


# ------------------------------------------------------------------------ rules
@cocotb.test()
async def not_posted_when_write_back_lands_on_a_returned_line(dut) -> None:  # type: ignore[no-untyped-def]
    """The write-back of TX line 1 lands on line 0, which the driver already reaped."""
    env = _env(dut)
    await _start(env)
    ring = _ring(env, Ring.TX)
    per_line = ring.per_line
    await _traffic(env, tx=1, ns=RUN_NS // 2)
    assert env.driver.stats.tx_completed == 1 and ring.clean == per_line, "line 0 not reaped"
    env.lie(lie_once(ring, lambda slot, raw, strobed: raw if slot == per_line else None,
                       to=-per_line * DESC_BYTES))
    await _traffic(env, tx=1, ns=RUN_NS // 2)
    f = _expect(env, Rule.NOT_POSTED, Ring.TX)
    assert f.la == ring.block.la and "its last one, index 0, came back to the driver" in f.detail
    env.stop()


@cocotb.test()
async def out_of_order_when_a_later_rx_buffer_claims_done(dut) -> None:  # type: ignore[no-untyped-def]
    """One small packet: the line is written back with buffer 0 done; the lie marks buffer 2
    done too, while buffer 1 is not."""
    env = _env(dut)
    await _start(env)
    previous_done = [True]

    def change(slot: int, raw: bytes, strobed: bool) -> bytes | None:
        was = previous_done[0]
        previous_done[0] = bool(raw[14] & DONE)
        if strobed and slot % 4 == 2 and not was and not raw[14] & DONE:
            return with_fields(raw, wb_len=60, status=DONE | EOP)
        return None

    env.lie(lie_once(_ring(env, Ring.RX), change))
    await _traffic(env, rx=1)
    f = _expect(env, Rule.OUT_OF_ORDER, Ring.RX, 2)
    assert "index 2 completed while index 1" in f.detail
    env.stop()


@cocotb.test()
async def driver_bytes_when_the_address_comes_back_changed(dut) -> None:  # type: ignore[no-untyped-def]
    """A TX completion whose ADDR (bytes 0-7) the device changed."""
    env = _env(dut)
    await _start(env)
    env.lie(lie_once(_ring(env, Ring.TX), first_done(lambda raw: bytes([raw[0] ^ 0x40])
                                                       + raw[1:])))
    await _traffic(env, tx=2)
    f = _expect(env, Rule.DRIVER_BYTES, Ring.TX, 0)
    assert f.detail.startswith("bytes 0 differ from the posted "), f
    env.stop()


@cocotb.test()
async def completion_changed_when_a_done_rx_descriptor_is_rewritten(dut) -> None:  # type: ignore[no-untyped-def]
    """Two packets far apart: line 0 is written back twice; the second time the lie
    changes the WB_LEN of buffer 0, completed (and reaped) since the first."""
    env = _env(dut)
    await _start(env)
    seen: set[int] = set()

    def change(slot: int, raw: bytes, strobed: bool) -> bytes | None:
        c = RawCompletion.of(raw)
        if not (strobed and c.done):
            return None
        if slot in seen:
            return with_fields(raw, wb_len=c.wb_len - 1)
        seen.add(slot)
        return None

    env.lie(lie_once(_ring(env, Ring.RX), change))
    await _traffic(env, rx=1, ns=RUN_NS // 2)
    await _traffic(env, rx=1, ns=RUN_NS // 2)
    f = _expect(env, Rule.COMPLETION_CHANGED, Ring.RX, 0)
    assert "(slot 0, reaped, its line not all returned)" in f.owner, f
    env.stop()


@cocotb.test()
async def reserved_bits_in_rx_status(dut) -> None:  # type: ignore[no-untyped-def]
    """An RX completion with STATUS bit 5 set."""
    env = _env(dut)
    await _start(env)
    env.lie(lie_once(_ring(env, Ring.RX),
                       first_done(lambda raw: with_fields(raw, status=raw[14] | 0x20))))
    await _traffic(env, rx=2)
    f = _expect(env, Rule.RESERVED_BITS, Ring.RX, 0)
    assert "sets reserved bits 0x20" in f.detail
    env.stop()


@cocotb.test()
async def err_code_undocumented_on_tx(dut) -> None:  # type: ignore[no-untyped-def]
    """A TX completion with ERR and code 9, which no document names."""
    env = _env(dut)
    await _start(env)
    env.lie(lie_once(_ring(env, Ring.TX), first_done(
        lambda raw: with_fields(raw, wb_len=0, status=DONE | ERR, err=9))))
    await _traffic(env, tx=2)
    f = _expect(env, Rule.ERR_CODE, Ring.TX, 0)
    assert "code 9 (undocumented) is not one a TX descriptor (DATA_READ, ZERO_LEN, TOO_LONG)" \
        in f.detail, f
    env.stop()


@cocotb.test()
async def zero_length_rx_completion_issue_12(dut) -> None:  # type: ignore[no-untyped-def]
    """Issue 12's write: an RX buffer completed with WB_LEN 0, DONE, no EOP, no error."""
    env = _env(dut)
    await _start(env)
    env.lie(lie_once(_ring(env, Ring.RX),
                       first_done(lambda raw: with_fields(raw, wb_len=0, status=DONE))))
    await _traffic(env, rx=2)
    f = _expect(env, Rule.ZERO_LENGTH, Ring.RX, 0)
    assert "WB_LEN 0 with STATUS DONE: every buffer the engine uses gets at least one byte" \
        in f.detail, f
    env.stop()


@cocotb.test()
async def bad_length_beyond_the_rx_buffer(dut) -> None:  # type: ignore[no-untyped-def]
    """An RX completion claiming one byte more than its buffer holds."""
    env = _env(dut)
    await _start(env)
    rx = _ring(env, Ring.RX)
    size = env.driver.cfg.buffer_size
    env.lie(lie_once(rx, first_done(lambda raw: with_fields(raw, wb_len=size + 1))))
    await _traffic(env, rx=2)
    f = _expect(env, Rule.BAD_LENGTH, Ring.RX, 0)
    assert f"WB_LEN {size + 1} is more than the {size}-byte buffer" in f.detail, f
    env.stop()


@cocotb.test()
async def eop_missing_on_a_short_rx_buffer(dut) -> None:  # type: ignore[no-untyped-def]
    """The last buffer of a packet completed without EOP though it is not full."""
    env = _env(dut)
    await _start(env)
    env.lie(lie_once(_ring(env, Ring.RX),
                       first_done(lambda raw: with_fields(raw, status=raw[14] & ~EOP), need=EOP)))
    await _traffic(env, rx=2)
    f = _expect(env, Rule.EOP_PLACEMENT, Ring.RX, 0)
    assert "bytes without EOP: the packet would go on in the next buffer" in f.detail, f
    env.stop()


# ---------------------------------------------------------------- the driver
@cocotb.test()
async def driver_recovers_from_a_zero_length_rx_completion(dut) -> None:  # type: ignore[no-untyped-def]
    """Issue 12 from the driver's side: it refuses the completion before reading the buffer
    (no crash in the host model), names the device error, stops, reclaims and re-enables
    the RX ring, and receives the packets that come after."""
    env = _env(dut)
    await _start(env)
    drv = env.driver
    env.lie(lie_once(_ring(env, Ring.RX),
                       first_done(lambda raw: with_fields(raw, wb_len=0, status=DONE))))
    await _traffic(env, rx=1)
    assert [f.rule for f in env.checkers.log.findings][:1] == [Rule.ZERO_LENGTH]
    assert len(drv.stats.device_errors) == 1, drv.stats.device_errors
    text = drv.stats.device_errors[0]
    assert text.startswith(f"RX descriptor 0 at LA {_ring(env, Ring.RX).block.la:#x}: the device "
                           f"wrote "), text
    assert "ZERO_LENGTH: WB_LEN 0 with STATUS DONE" in text, text
    assert drv.stats.recoveries == 1 and not drv.stats.failed
    assert drv.stats.rx_packets == 0
    status = await env.regs.ring_read(Ring.RX, RingReg.STATUS)
    assert status & 3 == RingState.RUN, f"RX ring state {RingState(status & 3).name}"
    assert ErrCode(status >> 8 & 0xFF) is ErrCode.NONE
    # the ring works again: later packets arrive whole
    await _traffic(env, rx=3)
    assert drv.stats.rx_packets == 3, drv.stats
    assert env.rx_scoreboard.stats.matched == 3 and not env.rx_scoreboard.mismatches
    await drv.halt()
    env.stop()
    assert drv.adapter is not None and drv.adapter.leaks == ()


@cocotb.test()
async def driver_fails_the_adapter_when_the_ring_does_not_come_back(dut) -> None:  # type: ignore[no-untyped-def]
    """The same lie, on a ring that then never stops (played by a recovery whose wait for
    IDLE times out): the adapter has failed, names why, refuses sends, and halt still
    stops the engine and frees everything."""
    env = _env(dut)
    await _start(env)
    drv = env.driver

    async def never_idle(which: Ring, ring: DriverRing, timeout_ns: int) -> None:
        del ring, timeout_ns
        raise SimTimeout(f"{which.name} ring still DRAIN")  # as _wait_ring_state says it

    drv._recover = never_idle  # type: ignore[method-assign]
    env.lie(lie_once(_ring(env, Ring.RX),
                     first_done(lambda raw: with_fields(raw, wb_len=0, status=DONE))))
    await _traffic(env, rx=1)
    assert drv.stats.failed == "RX ring did not recover from a device error: RX ring still DRAIN"
    assert drv.stats.recoveries == 0 and len(drv.stats.device_errors) == 1
    try:
        drv.send(bytes(100))
    except DriverError as exc:
        assert str(exc).startswith("send() on a failed adapter: RX ring did not recover"), exc
    else:
        raise AssertionError("a failed adapter accepted a send")
    await drv.halt()
    env.stop()
    assert drv.adapter is not None and drv.adapter.leaks == ()
