`resetall
`timescale 1ns / 1ps
`default_nettype none

// tb_axi4_checker -- passive AXI4 protocol checker (one per bus; test bench only).
//
// Ports (every bus signal is an input; connect each channel where its
// receiver sees it):
//   clk, rst                      clock; synchronous active-high reset (clears everything)
//   awid awaddr awlen awsize awburst awlock awcache awprot awvalid awready
//   wdata wstrb wlast wvalid wready
//   bid bresp bvalid bready
//   arid araddr arlen arsize arburst arlock arcache arprot arvalid arready
//   rid rdata rresp rlast rvalid rready
//   violation        out  rises at the first violation after reset and stays high until rst
//   violation_rule   out  [7:0] code of that first violation (tb_checker_rules.vh, RULE_AXI_*)
//   violation_addr   out  [63:0] address of the burst concerned (0 when none is known)
//   violation_id     out  [ID_WIDTH-1:0] AXI ID of the burst concerned (0 when none is known)
//   violation_count  out  [31:0] every violation seen since reset (consequences of the
//                         first one included); several rules broken in one cycle count
//                         one each, and the lowest code is the one reported
//
// Timing: the signals are sampled at each rising edge of clk (the values of the
// cycle that ends there), and `violation` rises at that same edge. The values
// that broke the rule are on the bus in the cycle before `violation` is high.
//
// Rules, checked every cycle while rst is low:
// * AW, W, B, AR, R: VALID, once high, stays high until READY (RULE_AXI_*_VALID_DROPPED);
//   the payload does not change while VALID && !READY (RULE_AXI_*_CHANGED; every payload
//   signal of the channel, data included);
//   no X/Z on VALID or READY, nor on the control payload of a valid channel: ID, address,
//   length, size, burst, WSTRB, WLAST, RLAST, BRESP, RRESP (RULE_AXI_*_X; data may be X).
// * AW and AR, when first presented: AxSIZE not wider than the bus, AxBURST not reserved
//   and WRAP bursts of 2/4/8/16 beats aligned to AxSIZE, INCR bursts not crossing a
//   4 KiB boundary (RULE_AXI_AW_*/AR_* SIZE, BURST, 4K).
// * W: write bursts are paired with AWs in order (W may come before its AW); WLAST
//   exactly on beat AWLEN+1 (WLAST_EARLY / WLAST_MISSING); WSTRB only on the byte lanes
//   the beat's address and AWSIZE allow (INCR, FIXED and WRAP; unaligned first beats).
//   Beats taken before their AW is seen are counted but their strobes are not checked.
// * B: exactly one per write burst; a B for an ID with no completed write burst (AW and
//   its WLAST both taken) awaiting a response is RULE_AXI_B_UNEXPECTED, as soon as it
//   is presented. A missing B
//   shows at the end of the test in the `pending_b` count (RULE_AXI_NOT_DRAINED, reported
//   by the Python watcher tb/checkers/protocol.py).
// * R: in order per ID (IDs may interleave): RLAST exactly on beat ARLEN+1 of the oldest
//   outstanding read of that ID; an R beat for an ID with no outstanding read is
//   RULE_AXI_R_UNEXPECTED, as soon as it is presented (the master may never take it).
//   Missing beats show in `pending_r` at the end.
// * Capacity: MAX_OUTSTANDING reads per ID, writes awaiting B per ID, and AW/W bursts
//   not yet paired; more is RULE_AXI_TRACK_OVERFLOW (the checker would lose track).
//
// Internal counters the Python watcher reads at the end of a test (not ports):
// `pending_w` write bursts whose AW or W beats are incomplete, `pending_b` completed
// write bursts awaiting B, `pending_r` read bursts awaiting R beats.
//
// Implementation: this monitor runs on every cycle of long simulations, and Icarus
// charges about 0.1 us per behavioural statement, so the hot path is kept to a handful
// of statements per beat: one clocked block (run once per edge, not on every change of
// every bus signal) with blocking updates of its own state, one `case` per channel on
// {VALID, READY, waiting} (X or Z on VALID/READY falls into `default`), the head of the
// W burst and of each ID's read burst cached in registers, and the task `hit` called
// only when a rule breaks. Same-cycle order is B, R, AW, AR, W: a response never
// matches a request of its own cycle, a W beat may pair with an AW of its own cycle.
// Measured under vvp on the 2-core machine (loaded): a W and an R beat every cycle in
// 64-beat bursts cost about 3.5 us per cycle with the checker, 1.4 us without it (the
// first, straightforward version of this file cost about 70 us). Not synthesizable.
module tb_axi4_checker #(
    // AXI data width in bits: a power of two, 16..1024
    parameter DATA_WIDTH = 64,
    // AXI address width in bits, 12..64
    parameter ADDR_WIDTH = 64,
    // AXI ID width in bits, 1..8
    parameter ID_WIDTH = 4,
    // bursts tracked at once: per ID for reads and for writes awaiting B, and in all for
    // write bursts whose AW and W are not yet paired; a power of two, 2..256
    parameter MAX_OUTSTANDING = 32
) (
    input  wire                    clk,
    input  wire                    rst,

    input  wire [ID_WIDTH-1:0]     awid,
    input  wire [ADDR_WIDTH-1:0]   awaddr,
    input  wire [7:0]              awlen,
    input  wire [2:0]              awsize,
    input  wire [1:0]              awburst,
    input  wire                    awlock,
    input  wire [3:0]              awcache,
    input  wire [2:0]              awprot,
    input  wire                    awvalid,
    input  wire                    awready,
    input  wire [DATA_WIDTH-1:0]   wdata,
    input  wire [DATA_WIDTH/8-1:0] wstrb,
    input  wire                    wlast,
    input  wire                    wvalid,
    input  wire                    wready,
    input  wire [ID_WIDTH-1:0]     bid,
    input  wire [1:0]              bresp,
    input  wire                    bvalid,
    input  wire                    bready,
    input  wire [ID_WIDTH-1:0]     arid,
    input  wire [ADDR_WIDTH-1:0]   araddr,
    input  wire [7:0]              arlen,
    input  wire [2:0]              arsize,
    input  wire [1:0]              arburst,
    input  wire                    arlock,
    input  wire [3:0]              arcache,
    input  wire [2:0]              arprot,
    input  wire                    arvalid,
    input  wire                    arready,
    input  wire [ID_WIDTH-1:0]     rid,
    input  wire [DATA_WIDTH-1:0]   rdata,
    input  wire [1:0]              rresp,
    input  wire                    rlast,
    input  wire                    rvalid,
    input  wire                    rready,

    output reg                     violation,
    output reg  [7:0]              violation_rule,
    output reg  [63:0]             violation_addr,
    output reg  [ID_WIDTH-1:0]     violation_id,
    output reg  [31:0]             violation_count
);

/* verilator lint_off UNUSEDPARAM */
`include "tb_checker_rules.vh"
/* verilator lint_on UNUSEDPARAM */

// byte lanes per beat
localparam BYTES = DATA_WIDTH / 8;
// bits of a lane index
localparam LW = $clog2(BYTES);
// widest legal AxSIZE
localparam [2:0] MAX_SIZE = LW[2:0];
// number of IDs
localparam NID = 1 << ID_WIDTH;
// bits of a queue index
localparam PW = $clog2(MAX_OUTSTANDING);
// queue pointer difference of a full queue
localparam [PW:0] QFULL = {1'b1, {PW{1'b0}}};
// bits of an AW / AR payload
localparam AXP = ID_WIDTH + ADDR_WIDTH + 8 + 3 + 2 + 1 + 4 + 3;
// bits of a W payload
localparam WP = DATA_WIDTH + BYTES + 1;
// bits of a B payload
localparam BP = ID_WIDTH + 2;
// bits of an R payload
localparam RP = ID_WIDTH + DATA_WIDTH + 2 + 1;
// AxBURST encodings
localparam [1:0] BURST_FIXED = 2'b00;
localparam [1:0] BURST_INCR  = 2'b01;
localparam [1:0] BURST_WRAP  = 2'b10;
// every byte lane
localparam [BYTES-1:0] ALL_LANES = {BYTES{1'b1}};
// no rule broken yet this cycle (above every code)
localparam [7:0] NO_HIT = 8'hFF;

initial begin
    if (DATA_WIDTH < 16 || DATA_WIDTH > 1024 || (1 << LW) * 8 != DATA_WIDTH)
        $fatal(1, "DATA_WIDTH must be a power of two, 16..1024, not %0d (instance %m)", DATA_WIDTH);
    if (ADDR_WIDTH < 12 || ADDR_WIDTH > 64)
        $fatal(1, "ADDR_WIDTH must be 12..64, not %0d (instance %m)", ADDR_WIDTH);
    if (ID_WIDTH < 1 || ID_WIDTH > 8)
        $fatal(1, "ID_WIDTH must be 1..8, not %0d (instance %m)", ID_WIDTH);
    if (MAX_OUTSTANDING < 2 || MAX_OUTSTANDING > 256 || (1 << PW) != MAX_OUTSTANDING)
        $fatal(1, "MAX_OUTSTANDING must be a power of two, 2..256, not %0d (instance %m)",
               MAX_OUTSTANDING);
end

// INCR burst from addr (low 12 bits) of len+1 beats of 2**size bytes crosses 4 KiB
function crosses_4k;
    input [11:0] addr;
    input [7:0]  len;
    input [2:0]  size;
    begin
        crosses_4k = (({6'd0, addr} & ~((18'd1 << size) - 18'd1)) +
                      (({10'd0, len} + 18'd1) << size)) > 18'd4096;
    end
endfunction

// a WRAP burst not of 2/4/8/16 beats or not aligned to its transfer size
function bad_wrap;
    input [11:0] addr;
    input [7:0]  len;
    input [2:0]  size;
    begin
        bad_wrap = !(len == 8'd1 || len == 8'd3 || len == 8'd7 || len == 8'd15) ||
                   (({4'd0, addr} & ((16'd1 << size) - 16'd1)) != 16'd0);
    end
endfunction

// byte lanes beat k of a burst (addr low 12 bits, len, size <= MAX_SIZE, burst) may strobe
function [BYTES-1:0] lane_mask;
    input [11:0] addr;
    input [7:0]  len;
    input [2:0]  size;
    input [1:0]  burst;
    input [9:0]  k;
    reg   [15:0] nbytes;
    reg   [15:0] aligned;
    reg   [15:0] wrap_bytes;
    reg   [15:0] beat;
    reg   [15:0] lo;
    reg   [15:0] hi;
    begin
        nbytes = 16'd1 << size;
        aligned = {4'd0, addr} & ~(nbytes - 16'd1);
        if (burst == BURST_FIXED || k == 10'd0) begin
            beat = {4'd0, addr};
        end else if (burst == BURST_WRAP) begin
            wrap_bytes = nbytes * ({8'd0, len} + 16'd1);
            beat = (aligned & ~(wrap_bytes - 16'd1)) |
                   ((aligned + {6'd0, k} * nbytes) & (wrap_bytes - 16'd1));
        end else begin
            beat = aligned + {6'd0, k} * nbytes;
        end
        lo = beat & (BYTES[15:0] - 16'd1);
        hi = ((beat & ~(nbytes - 16'd1)) & (BYTES[15:0] - 16'd1)) + nbytes - 16'd1;
        // lanes lo..hi
        lane_mask = (ALL_LANES << lo) & (ALL_LANES >> (BYTES[15:0] - 16'd1 - hi));
    end
endfunction

// a value with any X or Z bit reads as 0 (for the address / ID reported)
function [63:0] clean_addr;
    input [ADDR_WIDTH-1:0] a;
    begin
        clean_addr = 64'd0;
        if ((^a) !== 1'bx)
            clean_addr[ADDR_WIDTH-1:0] = a;
    end
endfunction

function [ID_WIDTH-1:0] clean_id;
    input [ID_WIDTH-1:0] a;
    begin
        clean_id = ((^a) === 1'bx) ? {ID_WIDTH{1'b0}} : a;
    end
endfunction

// previous cycle: VALID && !READY (a transfer waiting), and the payload then
reg             aw_wait, w_wait, b_wait, ar_wait, r_wait;
reg [AXP-1:0]   aw_pl, ar_pl;
reg [WP-1:0]    w_pl;
reg [BP-1:0]    b_pl;
reg [RP-1:0]    r_pl;

// the AW of the W burst in progress (or next), when known
reg                  hv;
reg [ADDR_WIDTH-1:0] h_addr;
reg [7:0]            h_len;
reg [2:0]            h_size;
reg [1:0]            h_burst;
reg [ID_WIDTH-1:0]   h_id;
// full-width INCR burst: every lane is legal after the first beat
reg                  h_plain;
// later AWs, in order
reg [ADDR_WIDTH-1:0] aq_addr  [0:MAX_OUTSTANDING-1];
reg [7:0]            aq_len   [0:MAX_OUTSTANDING-1];
reg [2:0]            aq_size  [0:MAX_OUTSTANDING-1];
reg [1:0]            aq_burst [0:MAX_OUTSTANDING-1];
reg [ID_WIDTH-1:0]   aq_id    [0:MAX_OUTSTANDING-1];
reg [PW:0]           aq_wp, aq_rp;
// beat counts of W bursts completed (WLAST) before their AW, in order
reg [9:0]            wq_cnt   [0:MAX_OUTSTANDING-1];
reg [PW:0]           wq_wp, wq_rp;
// beats of the W burst in progress
reg [9:0]            w_cnt;
// per ID: addresses of completed write bursts awaiting B
reg [ADDR_WIDTH-1:0] bq_addr  [0:NID*MAX_OUTSTANDING-1];
reg [PW:0]           bq_wp    [0:NID-1];
reg [PW:0]           bq_rp    [0:NID-1];
// per ID: outstanding read bursts (address, len), how many, the oldest one's len and
// the beats of it received
reg [ADDR_WIDTH-1:0] rq_addr  [0:NID*MAX_OUTSTANDING-1];
reg [7:0]            rq_len   [0:NID*MAX_OUTSTANDING-1];
reg [PW:0]           rq_wp    [0:NID-1];
reg [PW:0]           rq_rp    [0:NID-1];
reg [PW:0]           r_out    [0:NID-1];
reg [7:0]            r_hlen   [0:NID-1];
reg [7:0]            r_cnt    [0:NID-1];
// bursts awaiting B / R beats (every ID)
reg [31:0]           pending_b, pending_r;

// write bursts whose AW or W beats are incomplete (read by the Python watcher only)
/* verilator lint_off UNUSEDSIGNAL */
wire [PW:0] aq_count = aq_wp - aq_rp;
wire [PW:0] wq_count = wq_wp - wq_rp;
wire [31:0] pending_w = {{(31 - PW){1'b0}}, aq_count} + {{(31 - PW){1'b0}}, wq_count} +
                        {31'd0, hv || w_cnt != 10'd0};
/* verilator lint_on UNUSEDSIGNAL */

// X when any VALID or READY is X or Z (a net: re-evaluated only when one of them changes)
wire handshake_x = ^{awvalid, awready, wvalid, wready, bvalid, bready,
                     arvalid, arready, rvalid, rready};

// violations of this cycle: how many, and the lowest code with its address and ID
reg [31:0]         hit_count;
reg [7:0]          hit_rule;
reg [63:0]         hit_addr;
reg [ID_WIDTH-1:0] hit_id;

/* verilator lint_off BLKSEQ */
// note a broken rule
task hit;
    input [7:0]          code;
    input [63:0]         addr;
    input [ID_WIDTH-1:0] id;
    begin
        hit_count = hit_count + 32'd1;
        if (code < hit_rule) begin
            hit_rule = code;
            hit_addr = addr;
            hit_id = id;
        end
    end
endtask

// address and ID of the burst whose W beats are in progress (0 when not known)
function [63:0] w_addr;
    input valid;
    begin
        w_addr = valid ? clean_addr(h_addr) : 64'd0;
    end
endfunction

function [ID_WIDTH-1:0] w_id;
    input valid;
    begin
        w_id = valid ? h_id : {ID_WIDTH{1'b0}};
    end
endfunction

// address of the oldest write of `id` awaiting B (0 if none)
function [63:0] b_head_addr;
    input [ID_WIDTH-1:0] id;
    begin
        b_head_addr = (bq_wp[id] == bq_rp[id]) ? 64'd0 :
                      clean_addr(bq_addr[{id, bq_rp[id][PW-1:0]}]);
    end
endfunction

// address of the oldest read of `id` awaiting R (0 if none)
function [63:0] r_head_addr;
    input [ID_WIDTH-1:0] id;
    begin
        r_head_addr = (r_out[id] == {(PW + 1){1'b0}}) ? 64'd0 :
                      clean_addr(rq_addr[{id, rq_rp[id][PW-1:0]}]);
    end
endfunction

// an AW or AR first presented: size, burst type, 4 KiB (payload known clean)
task burst_shape;
    input [7:0]            size_rule;
    input [7:0]            burst_rule;
    input [7:0]            cross_rule;
    input [ADDR_WIDTH-1:0] addr;
    input [7:0]            len;
    input [2:0]            size;
    input [1:0]            burst;
    input [ID_WIDTH-1:0]   id;
    begin
        if (size > MAX_SIZE)
            hit(size_rule, clean_addr(addr), id);
        if (burst == BURST_INCR) begin
            if (crosses_4k(addr[11:0], len, size))
                hit(cross_rule, clean_addr(addr), id);
        end else if (burst != BURST_FIXED) begin
            if (burst == 2'b11 || bad_wrap(addr[11:0], len, size))
                hit(burst_rule, clean_addr(addr), id);
        end
    end
endtask

// a write burst is complete (AW and WLAST): its B is owed
task owe_b;
    input [ID_WIDTH-1:0]   id;
    input [ADDR_WIDTH-1:0] addr;
    begin
        if (bq_wp[id] == (bq_rp[id] ^ QFULL)) begin
            hit(RULE_AXI_TRACK_OVERFLOW, clean_addr(addr), id);
        end else begin
            bq_addr[{id, bq_wp[id][PW-1:0]}] = addr;
            bq_wp[id] = bq_wp[id] + 1'b1;
            pending_b = pending_b + 32'd1;
        end
    end
endtask

// the next queued AW becomes the head (or none)
task next_head;
    begin
        hv = (aq_wp != aq_rp);
        if (hv) begin
            h_addr = aq_addr[aq_rp[PW-1:0]];
            h_len = aq_len[aq_rp[PW-1:0]];
            h_size = aq_size[aq_rp[PW-1:0]];
            h_burst = aq_burst[aq_rp[PW-1:0]];
            h_id = aq_id[aq_rp[PW-1:0]];
            h_plain = (h_size == MAX_SIZE && h_burst == BURST_INCR);
            aq_rp = aq_rp + 1'b1;
        end
    end
endtask

// an AW handshake with a clean payload
task take_aw;
    reg [9:0] cnt;
    begin
        if (wq_wp != wq_rp) begin
            // a W burst that came before its AW: its beat count must be AWLEN+1
            cnt = wq_cnt[wq_rp[PW-1:0]];
            wq_rp = wq_rp + 1'b1;
            if (cnt < {2'd0, awlen} + 10'd1)
                hit(RULE_AXI_WLAST_EARLY, clean_addr(awaddr), awid);
            else if (cnt > {2'd0, awlen} + 10'd1)
                hit(RULE_AXI_WLAST_MISSING, clean_addr(awaddr), awid);
            owe_b(awid, awaddr);
        end else if (!hv) begin
            // the AW of the W burst in progress, or of the next one
            hv = 1'b1;
            h_addr = awaddr;
            h_len = awlen;
            h_size = awsize;
            h_burst = awburst;
            h_id = awid;
            h_plain = (awsize == MAX_SIZE && awburst == BURST_INCR);
            if (w_cnt > {2'd0, awlen})
                // already longer than this AW allows, still without WLAST
                hit(RULE_AXI_WLAST_MISSING, clean_addr(awaddr), awid);
        end else if (aq_wp == (aq_rp ^ QFULL)) begin
            hit(RULE_AXI_TRACK_OVERFLOW, clean_addr(awaddr), awid);
        end else begin
            aq_addr[aq_wp[PW-1:0]] = awaddr;
            aq_len[aq_wp[PW-1:0]] = awlen;
            aq_size[aq_wp[PW-1:0]] = awsize;
            aq_burst[aq_wp[PW-1:0]] = awburst;
            aq_id[aq_wp[PW-1:0]] = awid;
            aq_wp = aq_wp + 1'b1;
        end
    end
endtask

// an AR handshake with a clean payload
task take_ar;
    begin
        if (r_out[arid] == QFULL) begin
            hit(RULE_AXI_TRACK_OVERFLOW, clean_addr(araddr), arid);
        end else begin
            if (r_out[arid] == {(PW + 1){1'b0}})
                r_hlen[arid] = arlen;
            rq_addr[{arid, rq_wp[arid][PW-1:0]}] = araddr;
            rq_len[{arid, rq_wp[arid][PW-1:0]}] = arlen;
            rq_wp[arid] = rq_wp[arid] + 1'b1;
            r_out[arid] = r_out[arid] + 1'b1;
            pending_r = pending_r + 32'd1;
        end
    end
endtask

// a B handshake with a clean payload
task take_b;
    begin
        if (bq_wp[bid] == bq_rp[bid]) begin
            hit(RULE_AXI_B_UNEXPECTED, 64'd0, bid);
        end else begin
            bq_rp[bid] = bq_rp[bid] + 1'b1;
            pending_b = pending_b - 32'd1;
        end
    end
endtask

always @(posedge clk) begin : check
    reg [7:0] rk;
    integer i;

    if (rst) begin
        aw_wait = 1'b0;
        w_wait = 1'b0;
        b_wait = 1'b0;
        ar_wait = 1'b0;
        r_wait = 1'b0;
        hv = 1'b0;
        aq_wp = {(PW + 1){1'b0}};
        aq_rp = {(PW + 1){1'b0}};
        wq_wp = {(PW + 1){1'b0}};
        wq_rp = {(PW + 1){1'b0}};
        w_cnt = 10'd0;
        for (i = 0; i < NID; i = i + 1) begin
            bq_wp[i] = {(PW + 1){1'b0}};
            bq_rp[i] = {(PW + 1){1'b0}};
            rq_wp[i] = {(PW + 1){1'b0}};
            rq_rp[i] = {(PW + 1){1'b0}};
            r_out[i] = {(PW + 1){1'b0}};
            r_cnt[i] = 8'd0;
        end
        pending_b = 32'd0;
        pending_r = 32'd0;
        hit_count = 32'd0;
        hit_rule = NO_HIT;
        violation <= 1'b0;
        violation_rule <= RULE_NONE;
        violation_addr <= 64'd0;
        violation_id <= {ID_WIDTH{1'b0}};
        violation_count <= 32'd0;
    end else begin
        // ------------------------------------------- X or Z on a VALID or READY (rare)
        // reported here; the channel then counts as not waiting, and a VALID that is
        // not 1 as not valid
        if (handshake_x === 1'bx) begin
            if ((^{bvalid, bready}) === 1'bx) begin
                hit(RULE_AXI_B_X, b_head_addr(clean_id(bid)), clean_id(bid));
                b_wait = 1'b0;
            end
            if ((^{rvalid, rready}) === 1'bx) begin
                hit(RULE_AXI_R_X, r_head_addr(clean_id(rid)), clean_id(rid));
                r_wait = 1'b0;
            end
            if ((^{awvalid, awready}) === 1'bx) begin
                hit(RULE_AXI_AW_X, clean_addr(awaddr), clean_id(awid));
                aw_wait = 1'b0;
            end
            if ((^{arvalid, arready}) === 1'bx) begin
                hit(RULE_AXI_AR_X, clean_addr(araddr), clean_id(arid));
                ar_wait = 1'b0;
            end
            if ((^{wvalid, wready}) === 1'bx) begin
                hit(RULE_AXI_W_X, w_addr(hv), w_id(hv));
                w_wait = 1'b0;
            end
        end

        // Each channel below: VALID high -> a transfer (READY high: compare with the
        // waiting payload, check the control payload for X, take it) or a wait (first
        // cycle: check for X, remember the payload; later: it must not change);
        // VALID low while a transfer waited -> VALID dropped.

        // ----------------------------------------------------------------------- B
        if (bvalid === 1'b1) begin
            if (bready === 1'b1) begin
                if (b_wait) begin
                    if ({bid, bresp} !== b_pl)
                        hit(RULE_AXI_B_CHANGED, b_head_addr(b_pl[BP-1:2]), b_pl[BP-1:2]);
                    b_wait = 1'b0;
                end
                if ((^{bid, bresp}) === 1'bx)
                    hit(RULE_AXI_B_X, b_head_addr(clean_id(bid)), clean_id(bid));
                else
                    take_b;
            end else if (b_wait) begin
                if ({bid, bresp} !== b_pl) begin
                    hit(RULE_AXI_B_CHANGED, b_head_addr(b_pl[BP-1:2]), b_pl[BP-1:2]);
                    b_pl = {bid, bresp};
                end
            end else begin
                if ((^{bid, bresp}) === 1'bx)
                    hit(RULE_AXI_B_X, b_head_addr(clean_id(bid)), clean_id(bid));
                else if (bq_wp[bid] == bq_rp[bid])
                    // presented for no write awaiting a response: a master may rightly
                    // never take it, so do not wait for the handshake to say so
                    hit(RULE_AXI_B_UNEXPECTED, 64'd0, bid);
                b_pl = {bid, bresp};
                b_wait = (bready === 1'b0);
            end
        end else if (b_wait) begin
            hit(RULE_AXI_B_VALID_DROPPED, b_head_addr(b_pl[BP-1:2]), b_pl[BP-1:2]);
            b_wait = 1'b0;
        end

        // ----------------------------------------------------------------------- R
        if (rvalid === 1'b1) begin
            if (rready === 1'b1) begin
                if (r_wait) begin
                    if ({rid, rdata, rresp, rlast} !== r_pl)
                        hit(RULE_AXI_R_CHANGED, r_head_addr(r_pl[RP-1 -: ID_WIDTH]),
                            r_pl[RP-1 -: ID_WIDTH]);
                    r_wait = 1'b0;
                end
                if ((^{rid, rresp, rlast}) === 1'bx) begin
                    hit(RULE_AXI_R_X, r_head_addr(clean_id(rid)), clean_id(rid));
                end else if (r_out[rid] == {(PW + 1){1'b0}}) begin
                    hit(RULE_AXI_R_UNEXPECTED, 64'd0, rid);
                end else begin
                    rk = r_cnt[rid];
                    if (rlast || rk == r_hlen[rid]) begin
                        // the oldest read of this ID ends here: RLAST on beat ARLEN+1
                        if (!rlast)
                            hit(RULE_AXI_RLAST_MISSING, r_head_addr(rid), rid);
                        else if (rk != r_hlen[rid])
                            hit(RULE_AXI_RLAST_EARLY, r_head_addr(rid), rid);
                        r_cnt[rid] = 8'd0;
                        rq_rp[rid] = rq_rp[rid] + 1'b1;
                        r_out[rid] = r_out[rid] - 1'b1;
                        pending_r = pending_r - 32'd1;
                        if (r_out[rid] != {(PW + 1){1'b0}})
                            r_hlen[rid] = rq_len[{rid, rq_rp[rid][PW-1:0]}];
                    end else begin
                        r_cnt[rid] = rk + 8'd1;
                    end
                end
            end else if (r_wait) begin
                if ({rid, rdata, rresp, rlast} !== r_pl) begin
                    hit(RULE_AXI_R_CHANGED, r_head_addr(r_pl[RP-1 -: ID_WIDTH]),
                        r_pl[RP-1 -: ID_WIDTH]);
                    r_pl = {rid, rdata, rresp, rlast};
                end
            end else begin
                if ((^{rid, rresp, rlast}) === 1'bx)
                    hit(RULE_AXI_R_X, r_head_addr(clean_id(rid)), clean_id(rid));
                else if (r_out[rid] == {(PW + 1){1'b0}})
                    // presented for no outstanding read (a master may never take it)
                    hit(RULE_AXI_R_UNEXPECTED, 64'd0, rid);
                r_pl = {rid, rdata, rresp, rlast};
                r_wait = (rready === 1'b0);
            end
        end else if (r_wait) begin
            hit(RULE_AXI_R_VALID_DROPPED, r_head_addr(r_pl[RP-1 -: ID_WIDTH]),
                r_pl[RP-1 -: ID_WIDTH]);
            r_wait = 1'b0;
        end

        // ---------------------------------------------------------------------- AW
        if (awvalid === 1'b1) begin
            if (awready === 1'b1) begin
                if (aw_wait &&
                    {awid, awaddr, awlen, awsize, awburst, awlock, awcache, awprot} !== aw_pl)
                    hit(RULE_AXI_AW_CHANGED, clean_addr(aw_pl[AXP-ID_WIDTH-1 -: ADDR_WIDTH]),
                        clean_id(aw_pl[AXP-1 -: ID_WIDTH]));
                if ((^{awid, awaddr, awlen, awsize, awburst}) === 1'bx) begin
                    hit(RULE_AXI_AW_X, clean_addr(awaddr), clean_id(awid));
                end else begin
                    if (!aw_wait)
                        burst_shape(RULE_AXI_AW_SIZE, RULE_AXI_AW_BURST, RULE_AXI_AW_4K,
                                    awaddr, awlen, awsize, awburst, awid);
                    take_aw;
                end
                aw_wait = 1'b0;
            end else if (aw_wait) begin
                if ({awid, awaddr, awlen, awsize, awburst, awlock, awcache, awprot} !== aw_pl) begin
                    hit(RULE_AXI_AW_CHANGED, clean_addr(aw_pl[AXP-ID_WIDTH-1 -: ADDR_WIDTH]),
                        clean_id(aw_pl[AXP-1 -: ID_WIDTH]));
                    aw_pl = {awid, awaddr, awlen, awsize, awburst, awlock, awcache, awprot};
                end
            end else begin
                if ((^{awid, awaddr, awlen, awsize, awburst}) === 1'bx)
                    hit(RULE_AXI_AW_X, clean_addr(awaddr), clean_id(awid));
                else
                    burst_shape(RULE_AXI_AW_SIZE, RULE_AXI_AW_BURST, RULE_AXI_AW_4K,
                                awaddr, awlen, awsize, awburst, awid);
                aw_pl = {awid, awaddr, awlen, awsize, awburst, awlock, awcache, awprot};
                aw_wait = (awready === 1'b0);
            end
        end else if (aw_wait) begin
            hit(RULE_AXI_AW_VALID_DROPPED, clean_addr(aw_pl[AXP-ID_WIDTH-1 -: ADDR_WIDTH]),
                clean_id(aw_pl[AXP-1 -: ID_WIDTH]));
            aw_wait = 1'b0;
        end

        // ---------------------------------------------------------------------- AR
        if (arvalid === 1'b1) begin
            if (arready === 1'b1) begin
                if (ar_wait &&
                    {arid, araddr, arlen, arsize, arburst, arlock, arcache, arprot} !== ar_pl)
                    hit(RULE_AXI_AR_CHANGED, clean_addr(ar_pl[AXP-ID_WIDTH-1 -: ADDR_WIDTH]),
                        clean_id(ar_pl[AXP-1 -: ID_WIDTH]));
                if ((^{arid, araddr, arlen, arsize, arburst}) === 1'bx) begin
                    hit(RULE_AXI_AR_X, clean_addr(araddr), clean_id(arid));
                end else begin
                    if (!ar_wait)
                        burst_shape(RULE_AXI_AR_SIZE, RULE_AXI_AR_BURST, RULE_AXI_AR_4K,
                                    araddr, arlen, arsize, arburst, arid);
                    take_ar;
                end
                ar_wait = 1'b0;
            end else if (ar_wait) begin
                if ({arid, araddr, arlen, arsize, arburst, arlock, arcache, arprot} !== ar_pl) begin
                    hit(RULE_AXI_AR_CHANGED, clean_addr(ar_pl[AXP-ID_WIDTH-1 -: ADDR_WIDTH]),
                        clean_id(ar_pl[AXP-1 -: ID_WIDTH]));
                    ar_pl = {arid, araddr, arlen, arsize, arburst, arlock, arcache, arprot};
                end
            end else begin
                if ((^{arid, araddr, arlen, arsize, arburst}) === 1'bx)
                    hit(RULE_AXI_AR_X, clean_addr(araddr), clean_id(arid));
                else
                    burst_shape(RULE_AXI_AR_SIZE, RULE_AXI_AR_BURST, RULE_AXI_AR_4K,
                                araddr, arlen, arsize, arburst, arid);
                ar_pl = {arid, araddr, arlen, arsize, arburst, arlock, arcache, arprot};
                ar_wait = (arready === 1'b0);
            end
        end else if (ar_wait) begin
            hit(RULE_AXI_AR_VALID_DROPPED, clean_addr(ar_pl[AXP-ID_WIDTH-1 -: ADDR_WIDTH]),
                clean_id(ar_pl[AXP-1 -: ID_WIDTH]));
            ar_wait = 1'b0;
        end

        // ----------------------------------------------------------------------- W
        if (wvalid === 1'b1) begin
            if (wready === 1'b1) begin
                if (w_wait) begin
                    if ({wdata, wstrb, wlast} !== w_pl)
                        hit(RULE_AXI_W_CHANGED, w_addr(hv), w_id(hv));
                    w_wait = 1'b0;
                end
                if ((^{wstrb, wlast}) === 1'bx) begin
                    hit(RULE_AXI_W_X, w_addr(hv), w_id(hv));
                end else if (hv) begin
                    // strobes: a later beat of a full-width INCR burst may use every lane
                    if (w_cnt == 10'd0 || !h_plain) begin
                        if (h_size <= MAX_SIZE && h_burst != 2'b11 &&
                            (wstrb & ~lane_mask(h_addr[11:0], h_len, h_size, h_burst, w_cnt)) !=
                            {BYTES{1'b0}})
                            hit(RULE_AXI_WSTRB_LANES, clean_addr(h_addr), h_id);
                    end
                    if (wlast || w_cnt >= {2'd0, h_len}) begin
                        // the burst ends here: WLAST must be on beat AWLEN+1
                        if (!wlast || w_cnt > {2'd0, h_len})
                            hit(RULE_AXI_WLAST_MISSING, clean_addr(h_addr), h_id);
                        else if (w_cnt < {2'd0, h_len})
                            hit(RULE_AXI_WLAST_EARLY, clean_addr(h_addr), h_id);
                        w_cnt = 10'd0;
                        owe_b(h_id, h_addr);
                        next_head;
                    end else begin
                        w_cnt = w_cnt + 10'd1;
                    end
                end else if (wlast) begin
                    // a W burst complete before its AW
                    if (wq_wp == (wq_rp ^ QFULL)) begin
                        hit(RULE_AXI_TRACK_OVERFLOW, 64'd0, {ID_WIDTH{1'b0}});
                    end else begin
                        wq_cnt[wq_wp[PW-1:0]] = w_cnt + 10'd1;
                        wq_wp = wq_wp + 1'b1;
                    end
                    w_cnt = 10'd0;
                end else if (w_cnt != 10'h3FF) begin
                    w_cnt = w_cnt + 10'd1;
                end
            end else if (w_wait) begin
                if ({wdata, wstrb, wlast} !== w_pl) begin
                    hit(RULE_AXI_W_CHANGED, w_addr(hv), w_id(hv));
                    w_pl = {wdata, wstrb, wlast};
                end
            end else begin
                if ((^{wstrb, wlast}) === 1'bx)
                    hit(RULE_AXI_W_X, w_addr(hv), w_id(hv));
                w_pl = {wdata, wstrb, wlast};
                w_wait = (wready === 1'b0);
            end
        end else if (w_wait) begin
            hit(RULE_AXI_W_VALID_DROPPED, w_addr(hv), w_id(hv));
            w_wait = 1'b0;
        end

        // -------------------------------------------------------------------- report
        if (hit_count != 32'd0) begin
            violation_count <= violation_count + hit_count;
            if (!violation) begin
                violation <= 1'b1;
                violation_rule <= hit_rule;
                violation_addr <= hit_addr;
                violation_id <= hit_id;
            end
            hit_count = 32'd0;
            hit_rule = NO_HIT;
        end
    end
end
/* verilator lint_on BLKSEQ */

endmodule

`resetall
