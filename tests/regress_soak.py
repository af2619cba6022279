"""``make regress SEEDS=N [SHARD=i/n]``: one soak per seed, spread over every core by
pytest-xdist (``-n auto``). Not a ``test_*`` file: ``make test`` does not collect it
(its short soak is ``tests/test_sim_soak.py``); the Makefile names it.

Settings (the Makefile sets them): ``DMANIC_REGRESS_SEEDS`` (how many seeds),
``DMANIC_REGRESS_SEED`` (the first; default 1), ``DMANIC_REGRESS_SHARD`` (``i/n``: the
seeds at positions i, i+n, ... of the list, for a CI matrix or a cluster),
``DMANIC_REGRESS_PACKETS`` (per seed), ``DMANIC_REGRESS_SIM``, ``DMANIC_REGRESS_EPOCH``,
``DMANIC_REGRESS_FAULTS``. A failing seed's message ends with its replay command.
"""

from __future__ import annotations

import os

import pytest

from tb.runner import BUILD_ROOT, SimFailed
from tb.soak import DEFAULT_SIM, REPLAY_FILE, replay_command, run_soak


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, "") or default)


def shard_seeds(count: int, first: int, shard: str) -> list[int]:
    """The seeds of shard ``i/n`` (1-based) out of ``count`` seeds from ``first``."""
    index, _, total = (shard or "1/1").partition("/")
    i, n = int(index), int(total or 1)
    if not 1 <= i <= n:
        raise ValueError(f"SHARD must be i/n with 1 <= i <= n, not {shard!r}")
    return [first + k for k in range(count) if k % n == i - 1]


SEEDS = shard_seeds(_int("DMANIC_REGRESS_SEEDS", 4), _int("DMANIC_REGRESS_SEED", 1),
                    os.environ.get("DMANIC_REGRESS_SHARD", ""))
PACKETS = _int("DMANIC_REGRESS_PACKETS", 10_000)
SIM = os.environ.get("DMANIC_REGRESS_SIM", "") or DEFAULT_SIM


def test_shards_cover_every_seed_once() -> None:
    """Shards 1/n .. n/n together run each seed exactly once."""
    for n in (1, 2, 3, 7):
        got = sorted(s for i in range(1, n + 1) for s in shard_seeds(10, 5, f"{i}/{n}"))
        assert got == list(range(5, 15)), (n, got)


@pytest.mark.sim
@pytest.mark.parametrize("seed", SEEDS, ids=[f"seed{s}" for s in SEEDS])
def test_soak_seed(seed: int) -> None:
    """One soak: every fault's outcome asserted, both balances with bounds, no leak."""
    epoch = _int("DMANIC_REGRESS_EPOCH", 0) or None
    faults = os.environ.get("DMANIC_REGRESS_FAULTS", "")
    name = f"regress/seed{seed}_{SIM}"
    test_dir = BUILD_ROOT / name
    test_dir.mkdir(parents=True, exist_ok=True)
    replay = replay_command(seed, PACKETS, SIM, epoch=epoch, faults=faults)
    try:
        summary = run_soak(seed=seed, packets=PACKETS, sim=SIM, build_name=name, epoch=epoch,
                           faults=faults, log_file=test_dir / "soak.log")
    except SimFailed as exc:
        (test_dir / REPLAY_FILE).write_text(replay + "\n")
        pytest.fail(f"replay: {replay}\nsoak seed {seed} failed: {exc}\n"
                    f"simulator log: {test_dir / 'soak.log'}", pytrace=False)
    assert summary["packets"] >= PACKETS and summary["leaks"] == 0, summary
