"""The RX loss bound (tb/rx_loss.py): windows per ring stop, merged, missing packets inside."""

from __future__ import annotations

import random

from tb.rx_loss import LossWindow, RxLossBound


def _bound() -> tuple[RxLossBound, dict[str, int]]:
    state = {"resolved": 0, "started": 0, "running": 1}
    bound = RxLossBound(resolved=lambda: state["resolved"], started=lambda: state["started"],
                        running=lambda: bool(state["running"]))
    return bound, state


def test_a_window_runs_from_the_last_running_sample_to_the_restart() -> None:
    b, st = _bound()
    st.update(resolved=10, started=14)
    b.sample()
    st.update(resolved=12, started=15, running=0)  # the ring stopped: no more samples
    b.sample()
    b.begin("RX ring restart", 100)
    st.update(started=18, running=1)
    b.end(200)
    assert [(w.lo, w.hi) for w in b.windows] == [(10, 18)]
    assert b.packets == 8
    # only missing packets inside the window count: 3 and 20 are outside
    assert b.missing_within([3, 10, 12, 17, 18, 20]) == 3


def test_overlapping_windows_count_each_packet_once() -> None:
    b, st = _bound()
    st.update(resolved=5, started=9)
    b.sample()
    b.begin("reset", 1)
    st.update(started=12)
    b.end(2)                         # [5, 12); the ring runs: safe moves to resolved (5)
    st.update(resolved=8, started=15)
    b.sample()
    b.begin("RX ring restart", 3)
    st.update(started=16)
    b.end(4)                         # [8, 16)
    assert b.union() == [(5, 16)]
    assert b.packets == 11
    assert b.missing_within(range(20)) == 11


def test_no_event_no_window() -> None:
    b, st = _bound()
    st.update(resolved=50, started=60)
    b.sample()
    assert b.windows == [] and b.packets == 0 and b.missing_within([1, 2, 3]) == 0


def test_missing_within_is_the_plain_definition_on_random_windows() -> None:
    """The binary search counts what a scan of every window would: random windows (empty,
    touching, overlapping, nested) and random missing packets, edges included."""
    rng = random.Random(7)
    for _ in range(300):
        b, _st = _bound()
        for _ in range(rng.randrange(0, 12)):
            lo = rng.randrange(0, 200)
            b.windows.append(LossWindow("event", lo, lo + rng.randrange(-3, 40), 0, 0))
        missing = [rng.randrange(0, 260) for _ in range(rng.randrange(0, 80))]
        plain = sum(1 for seq in missing if any(w.lo <= seq < w.hi for w in b.windows))
        assert b.missing_within(missing) == plain, (b.windows, missing)
