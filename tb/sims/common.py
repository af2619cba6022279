"""What the system-test modules of issue 9 share: the seed, traffic that settles, and the end
of a test that proves nothing was lost (balances with bounds, no leak, nothing pending)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import cocotb

from tb.env import DmaEnv
from tb.scoreboard import Balance

__all__ = ["BFM", "SEED", "Outcome", "finish", "settle", "traffic"]

SEED = int(os.environ.get("DMANIC_SEED", "0") or 0) or 12345
# the bus models tb_top was built for (the launcher sets DMANIC_BFM)
BFM = os.environ.get("DMANIC_BFM", "") or "fast"
#: simulated-time deadline of one settle (the watchdog ends a hang far sooner)
TIMEOUT_NS = 20_000_000


async def traffic(env: DmaEnv, *, tx: int = 0, rx: int = 0) -> None:
    """Hand ``tx`` packets to the driver and ``rx`` to the wire, and wait until both are
    handed over (not until they arrive)."""
    rx_task = cocotb.start_soon(env.send_rx(rx)) if rx else None
    if tx:
        await env.send_tx(tx)
    if rx_task is not None:
        await rx_task


async def settle(env: DmaEnv, *, tx: int = 0, rx: int = 0, timeout_ns: int = TIMEOUT_NS) -> None:
    """:func:`traffic`, then until every packet so far arrived or was reported."""
    await traffic(env, tx=tx, rx=rx)
    await env.driver.wait_tx_done(timeout_ns)
    await env.wait_tx_stream(timeout_ns)
    await env.wait_rx_settled(timeout_ns)


@dataclass(frozen=True)
class Outcome:
    """The end of a test: both balances (already checked) and the engine's counters."""

    tx: Balance
    rx: Balance
    rx_drop: int
    rx_err: int


async def finish(env: DmaEnv, *, min_tx: int | None = None, min_rx: int | None = None,
                 halt: bool = True) -> Outcome:
    """Balances checked with bounds (by default every packet must arrive: a test that
    expects losses says how many it must still deliver), halt, nothing pending on the bus,
    no leak, no checker finding."""
    tx, rx = await env.balances()
    drop, err = await env.driver.read_drop_counters()
    env.log.info("balance: %s", tx)
    env.log.info("balance: %s", rx)
    tx.check(min_delivered=tx.sent if min_tx is None else min_tx)
    rx.check(min_delivered=rx.sent if min_rx is None else min_rx)
    if halt:
        await env.driver.halt()
        await env.check_drained()
    env.stop()
    adapter = env.driver.adapter
    assert adapter is not None
    if halt:
        assert adapter.leaks == (), adapter.leaks
    assert env.checkers.log.findings == [] or not env.cfg.checkers_stop, \
        env.checkers.log.findings
    return Outcome(tx, rx, drop, err)
