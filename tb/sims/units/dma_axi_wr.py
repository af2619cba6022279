"""cocotb tests of hdl/dma_axi_wr.v against a cocotbext-axi RAM.

Memory starts filled with random bytes; the clients drive the complement of
the old byte in every lane outside their request, so any stray strobe shows.
After each test the whole memory is compared with a model: the requests'
bytes changed, nothing else. Every AW is checked against the AXI4 rules and
against its request; every W beat is matched to its AW (W may run ahead of
AW) and its WSTRB and WLAST checked exactly; done_valid/done_err are checked
per request, in order, and only after every burst of the request got its B.
Bursts awaiting B are counted at every edge and may not exceed MAX_OUTSTANDING.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import cocotb
from cocotb.triggers import RisingEdge
from cocotbext.axi import AxiWriteBus

from tb.unitbench.axi_ram import (
    AxiProtocolError,
    ErrRamWrite,
    HandshakeRule,
    check_burst,
    overlaps,
    pause_pattern,
)
from tb.unitbench.common import param, reset_dut, seeded_random, start_clock

MEM_SIZE = 1 << 20


@dataclass
class WriteReq:
    """One write request, its data beats and the progress of its bursts."""

    client: int
    addr: int
    data: bytes
    expect_err: bool
    beats: list[int]
    nbursts: int = 0
    aw_beats: int = 0
    b_count: int = 0
    b_err: bool = False
    done: bool = False


@dataclass
class Burst:
    req: WriteReq
    addr: int
    beats: int
    w_seen: int = 0


@dataclass
class ClientState:
    todo: deque[WriteReq] = field(default_factory=deque)
    driving: WriteReq | None = None
    accepted: deque[WriteReq] = field(default_factory=deque)  # waiting for done
    aw_left: deque[list[Any]] = field(default_factory=deque)  # [req, next beat addr, beats left]
    wbeats: deque[int] = field(default_factory=deque)  # data beats still to hand over
    b_wait: deque[Burst] = field(default_factory=deque)  # bursts awaiting B, AW order


class TB:
    """The write back end, a RAM slave, client drivers and checkers, run from one per-cycle loop."""

    def __init__(self, dut: Any) -> None:
        self.dut = dut
        self.log = logging.getLogger("tb.dma_axi_wr")
        self.width = param(dut, "DATA_WIDTH")
        self.nbytes = self.width // 8
        self.clients = param(dut, "CLIENTS")
        self.addr_width = param(dut, "ADDR_WIDTH")
        self.len_width = param(dut, "LEN_WIDTH")
        self.max_burst = param(dut, "MAX_BURST_LEN")
        self.max_out = param(dut, "MAX_OUTSTANDING")
        self.rng, self.seed = seeded_random("dma_axi_wr")

        dut.req_valid.value = 0
        dut.req_addr.value = 0
        dut.req_len.value = 0
        dut.wdat_valid.value = 0
        dut.wdat_data.value = 0
        start_clock(dut.clk)

        self.ram = ErrRamWrite(
            AxiWriteBus.from_prefix(dut, "m_axi"), dut.clk, dut.rst, size=MEM_SIZE
        )
        self.ram.log.setLevel(logging.ERROR)  # not a line per burst or per injected error
        background = self.rng.randbytes(MEM_SIZE)
        self.ram.write(0, background)
        self.model = bytearray(background)
        self.dont_care: list[tuple[int, int]] = []  # targets of failed requests
        self.reqs: list[WriteReq] = []
        self.cl = [ClientState() for _ in range(self.clients)]
        self.p_req = 1.0
        self.p_wdat = 1.0
        self.outstanding = 0
        self.peak_outstanding = 0
        self.aw_count = 0
        self.aw_cycles: list[int] = []
        self.w_count = 0
        self.cycle = 0
        self.aw_order: deque[Burst] = deque()  # bursts whose W beats are not all seen
        self.w_early: deque[tuple[int, ...]] = deque()  # W beats ahead of their AW
        self.aw_rule = HandshakeRule(
            "AW",
            dut.m_axi_awvalid,
            dut.m_axi_awready,
            {
                n: getattr(dut, f"m_axi_aw{n}")
                for n in ("id", "addr", "len", "size", "burst", "lock", "cache", "prot")
            },
            self.where,
        )
        self.w_rule = HandshakeRule(
            "W",
            dut.m_axi_wvalid,
            dut.m_axi_wready,
            {"data": dut.m_axi_wdata, "strb": dut.m_axi_wstrb, "last": dut.m_axi_wlast},
            self.where,
        )

    def where(self) -> str:
        return f"t={cocotb.utils.get_sim_time('ns')} ns, seed {self.seed}"

    async def reset(self) -> None:
        await reset_dut(self.dut.clk, self.dut.rst)
        cocotb.start_soon(self._run())

    # ---- stimulus ----
    def submit(self, client: int, addr: int, length: int) -> WriteReq:
        nb = self.nbytes
        assert 1 <= length < (1 << self.len_width) and addr >= 0 and addr + length <= MEM_SIZE
        data = self.rng.randbytes(length)
        first = addr - addr % nb
        nbeats = (addr % nb + length + nb - 1) // nb
        beats = []
        for k in range(nbeats):
            lane_bytes = bytearray(nb)
            for i in range(nb):
                a = first + k * nb + i
                if addr <= a < addr + length:
                    lane_bytes[i] = data[a - addr]
                else:
                    lane_bytes[i] = self.model[a % MEM_SIZE] ^ 0xFF  # must never reach memory
            beats.append(int.from_bytes(lane_bytes, "little"))
        req = WriteReq(client, addr, data, overlaps(self.ram.err_ranges, addr, length), beats)
        self.cl[client].todo.append(req)
        self.reqs.append(req)
        if req.expect_err:
            self.dont_care.append((addr, addr + length))
        else:
            self.model[addr : addr + length] = data
        return req

    def unfinished(self) -> int:
        return sum(not r.done for r in self.reqs)

    async def wait_done(self, max_cycles: int = 200_000) -> None:
        start = self.cycle
        while self.unfinished():
            await RisingEdge(self.dut.clk)
            if self.cycle - start > max_cycles:
                raise AssertionError(
                    f"timeout: {self.unfinished()} requests not done ({self.where()})"
                )
        for _ in range(3):
            await RisingEdge(self.dut.clk)
        assert self.outstanding == 0 and not int(self.dut.busy.value), (
            f"busy={int(self.dut.busy.value)}, {self.outstanding} bursts awaiting B "
            f"after every done "
            f"({self.where()})"
        )
        self.check_memory()

    def check_memory(self) -> None:
        got = bytearray(self.ram.read(0, MEM_SIZE))
        exp = bytearray(self.model)
        for lo, hi in self.dont_care:
            exp[lo:hi] = got[lo:hi]
        if got != exp:
            bad = next(i for i in range(MEM_SIZE) if got[i] != exp[i])
            owner = [
                f"{r.addr:#x}+{len(r.data)}"
                for r in self.reqs
                if r.addr <= bad < r.addr + len(r.data)
            ]
            raise AssertionError(
                f"memory byte {bad:#x} is {got[bad]:#04x}, expected {exp[bad]:#04x} "
                f"(owned by {owner or 'no request: a guard byte'}; seed {self.seed})"
            )

    # ---- the per-cycle loop: sample the edge, check, drive the next cycle ----
    async def _run(self) -> None:
        dut = self.dut
        nb = self.nbytes
        addr_mask = (1 << self.addr_width) - 1
        data_mask = (1 << self.width) - 1
        while True:
            await RisingEdge(dut.clk)
            self.cycle += 1
            req_ready = int(dut.req_ready.value)
            wdat_ready = int(dut.wdat_ready.value)
            wdat_valid = int(dut.wdat_valid.value)
            for c, st in enumerate(self.cl):
                if st.driving is not None and req_ready >> c & 1:
                    r = st.driving
                    st.accepted.append(r)
                    st.aw_left.append([r, r.addr - r.addr % nb, len(r.beats)])
                    st.wbeats.extend(r.beats)
                    st.driving = None
                if wdat_valid >> c & 1 and wdat_ready >> c & 1:
                    st.wbeats.popleft()

            aw = self.aw_rule.sample()
            if aw is not None:
                self._on_aw(dict(zip(self.aw_rule.payload, aw, strict=True)))
            w = self.w_rule.sample()
            if w is not None:
                self.w_early.append(w)
            self._match_w()
            if int(dut.m_axi_bvalid.value) and int(dut.m_axi_bready.value):
                self._on_b(int(dut.m_axi_bid.value), int(dut.m_axi_bresp.value))
            done = int(dut.done_valid.value)
            if done:
                self._on_done(done, int(dut.done_err.value))
            if self.outstanding > self.max_out:
                raise AxiProtocolError(
                    f"{self.outstanding} write bursts await B, MAX_OUTSTANDING is {self.max_out} "
                    f"({self.where()})"
                )

            valid = addr = length = wvalid = wdata = 0
            for c, st in enumerate(self.cl):
                if st.driving is None and st.todo and self.rng.random() < self.p_req:
                    st.driving = st.todo.popleft()
                if st.driving is not None:
                    valid |= 1 << c
                    addr |= (st.driving.addr & addr_mask) << (c * self.addr_width)
                    length |= len(st.driving.data) << (c * self.len_width)
                # a beat once offered stays offered until taken
                if st.wbeats and (
                    (wdat_valid >> c & 1
                    and not wdat_ready >> c & 1)
                    or self.rng.random() < self.p_wdat
                ):
                    wvalid |= 1 << c
                    wdata |= (st.wbeats[0] & data_mask) << (c * self.width)
            dut.req_valid.value = valid
            if valid:
                dut.req_addr.value = addr
                dut.req_len.value = length
            dut.wdat_valid.value = wvalid
            dut.wdat_data.value = wdata

    def _on_aw(self, f: dict[str, int]) -> None:
        where = self.where()
        check_burst(
            "AW", f, nbytes=self.nbytes, max_burst=self.max_burst, clients=self.clients, where=where
        )
        st = self.cl[f["id"]]
        if not st.aw_left:
            raise AxiProtocolError(f"AW for client {f['id']} without a request ({where})")
        nxt = st.aw_left[0]
        beats = f["len"] + 1
        if f["addr"] != nxt[1] or beats > nxt[2]:
            raise AxiProtocolError(
                f"AW client {f['id']} addr {f['addr']:#x} len {beats}: expected addr {nxt[1]:#x} "
                f"with at most {nxt[2]} beats ({where})"
            )
        req = nxt[0]
        nxt[1] += beats * self.nbytes
        nxt[2] -= beats
        if nxt[2] == 0:
            st.aw_left.popleft()
        req.nbursts += 1
        req.aw_beats += beats
        burst = Burst(req, f["addr"], beats)
        self.aw_order.append(burst)
        st.b_wait.append(burst)
        self.outstanding += 1
        self.peak_outstanding = max(self.peak_outstanding, self.outstanding)
        self.aw_count += 1
        self.aw_cycles.append(self.cycle)

    def _match_w(self) -> None:
        nb = self.nbytes
        while self.w_early and self.aw_order:
            _data, strb, last = self.w_early.popleft()
            b = self.aw_order[0]
            r = b.req
            k = b.w_seen
            beat_addr = b.addr + k * nb
            exp_strb = 0
            for i in range(nb):
                if r.addr <= beat_addr + i < r.addr + len(r.data):
                    exp_strb |= 1 << i
            what = (
                f"W beat {k} of burst {b.addr:#x}/{b.beats} (client {r.client}, request "
                f"{r.addr:#x}+{len(r.data)})"
            )
            if strb != exp_strb:
                raise AxiProtocolError(
                    f"{what}: WSTRB {strb:#x}, expected {exp_strb:#x} ({self.where()})"
                )
            if last != (k == b.beats - 1):
                raise AxiProtocolError(f"{what}: WLAST {last} ({self.where()})")
            b.w_seen += 1
            self.w_count += 1
            if b.w_seen == b.beats:
                self.aw_order.popleft()

    def _on_b(self, bid: int, bresp: int) -> None:
        if bid >= self.clients or not self.cl[bid].b_wait:
            raise AxiProtocolError(f"B for ID {bid} with no burst awaiting it ({self.where()})")
        b = self.cl[bid].b_wait.popleft()
        if b.w_seen != b.beats:
            raise AxiProtocolError(
                f"B for burst {b.addr:#x} before its last W beat ({self.where()})"
            )
        b.req.b_count += 1
        b.req.b_err |= bresp >= 2
        self.outstanding -= 1

    def _on_done(self, done: int, err: int) -> None:
        for c in range(self.clients):
            if not done >> c & 1:
                continue
            st = self.cl[c]
            if not st.accepted:
                raise AssertionError(
                    f"done_valid[{c}] without an accepted request ({self.where()})"
                )
            r = st.accepted.popleft()
            what = f"client {c} request {r.addr:#x}+{len(r.data)}"
            if r.aw_beats != len(r.beats) or r.b_count != r.nbursts:
                raise AssertionError(
                    f"{what}: done after {r.b_count} of {r.nbursts} B responses, "
                    f"{r.aw_beats} of {len(r.beats)} beats issued ({self.where()})"
                )
            got_err = err >> c & 1
            if got_err != r.expect_err or got_err != r.b_err:
                raise AssertionError(
                    f"{what}: done_err {got_err}, expected {r.expect_err:d} "
                    f"(BRESP error seen: {r.b_err}) "
                    f"({self.where()})"
                )
            r.done = True


def sweep_cases(nbytes: int, max_burst: int) -> list[tuple[int, int]]:
    """(offset from a 4 KiB boundary, length) pairs around the boundary."""
    mb = max_burst * nbytes
    lengths = sorted(
        {
            1,
            2,
            nbytes - 1,
            nbytes,
            nbytes + 1,
            2 * nbytes + 3,
            mb - 1,
            mb,
            mb + 1,
            min(3 * mb + nbytes // 2, 4096 + 7),
            4096 + 2 * nbytes + 1,
        }
        - {0}
    )
    cases: list[tuple[int, int]] = []
    for length in lengths:
        starts = {-nbytes - 1, -1, 0, 1, nbytes - 1, -length, -length + 1, -length - 1}
        cases.extend((s, length) for s in sorted(starts))
    return cases


@cocotb.test()
async def test_sweep_4k(dut: Any) -> None:
    """Length x offset around 4 KiB boundaries, clients in turn; every byte and strobe checked."""
    tb = TB(dut)
    await tb.reset()
    page = 0
    for i, (off, length) in enumerate(sweep_cases(tb.nbytes, tb.max_burst)):
        page = (page + 0x3000) % (MEM_SIZE - 0x4000)
        tb.submit(i % tb.clients, page + 0x1000 + off, length)
    await tb.wait_done()
    tb.log.info(
        "sweep: %d requests, %d bursts, %d W beats in %d cycles",
        len(tb.reqs),
        tb.aw_count,
        tb.w_count,
        tb.cycle,
    )


@cocotb.test()
async def test_clients_backpressure_errors(dut: Any) -> None:
    """All clients at once, random requests, AW/W/B pauses, wdat gaps and SLVERR ranges."""
    tb = TB(dut)
    await tb.reset()
    # non-overlapping 8 KiB slots, requests around each slot's middle 4 KiB boundary
    slots = list(range(0x10000, 0xF0000, 0x2000))
    tb.rng.shuffle(slots)
    e0, e1 = slots[0], slots[1]
    # the second range fails only the first burst of the request that starts at e1 + 0xFF8
    tb.ram.err_ranges = [(e0 + 0x1000 + 50, e0 + 0x1000 + 250), (e1 + 0xFF0, e1 + 0xFFC)]
    tb.ram.aw_channel.set_pause_generator(pause_pattern(tb.rng, 0.3))
    tb.ram.w_channel.set_pause_generator(pause_pattern(tb.rng, 0.3))
    tb.ram.b_channel.set_pause_generator(pause_pattern(tb.rng, 0.3))
    tb.p_req = 0.5
    tb.p_wdat = 0.7
    tb.submit(0, e0 + 0x1000 + 40, 100)
    tb.submit(1 % tb.clients, e1 + 0xFF8, 64)
    for slot in slots[2 : 25 * tb.clients]:
        length = tb.rng.choice([1, 2, 16, 17, tb.nbytes * tb.max_burst + 3, tb.rng.randint(1, 700)])
        length = min(length, 0xC00)
        addr = slot + 0x1000 + tb.rng.randrange(-min(length, 0x300), 0x100)
        tb.submit(tb.rng.randrange(tb.clients), addr, length)
    await tb.wait_done()
    assert any(r.expect_err for r in tb.reqs), "no request hit an error range"
    assert any(not r.expect_err for r in tb.reqs)
    tb.log.info(
        "random: %d requests, %d bursts, %d W beats in %d cycles",
        len(tb.reqs),
        tb.aw_count,
        tb.w_count,
        tb.cycle,
    )


@cocotb.test()
async def test_outstanding_limit(dut: Any) -> None:
    """With B held off, exactly MAX_OUTSTANDING bursts are issued, then no more."""
    tb = TB(dut)
    await tb.reset()
    tb.ram.aw_channel.queue_occupancy_limit = 64
    tb.ram.b_channel.pause = True
    n = 3 * tb.max_out + 2
    for i in range(n):
        base = 0x20000 + i * 0x1000
        if i % 2:
            tb.submit(i % tb.clients, base + 0x1000 - tb.nbytes + 1, 2 * tb.nbytes - 2)
        else:
            tb.submit(i % tb.clients, base + 0x100 + 3, 5)
    for _ in range(tb.max_out * 4 + 40):
        await RisingEdge(dut.clk)
    assert tb.aw_count == tb.max_out, (
        f"{tb.aw_count} AWs accepted with B held off, MAX_OUTSTANDING is {tb.max_out} "
        f"({tb.where()})"
    )
    assert not int(dut.done_valid.value)
    tb.ram.b_channel.pause = False
    await tb.wait_done()
    assert tb.peak_outstanding == tb.max_out


@cocotb.test()
async def test_long_writes_throughput(dut: Any) -> None:
    """Long writes with a ready slave: W beats flow at (nearly) one per cycle.

    (Only asserted when MAX_BURST_LEN x MAX_OUTSTANDING covers the slave's latency.)
    """
    tb = TB(dut)
    await tb.reset()
    for c in range(tb.clients):
        tb.submit(c, 0x40000 + c * 0x3000 + 5, 2048)
    start = tb.cycle
    await tb.wait_done()
    cycles = tb.cycle - start
    tb.log.info("%d W beats in %d cycles", tb.w_count, cycles)
    # one beat per cycle needs enough beats in flight to cover the slave's round trip
    if tb.max_burst * tb.max_out >= 8:
        assert tb.w_count / cycles > 0.8, (
            f"only {tb.w_count} W beats in {cycles} cycles ({tb.where()})"
        )
