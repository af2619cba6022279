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
//   its WLAST both taken) awaiting a response is RULE_AXI_B_UNEXPECTED. A missing B
//   shows at the end of the test in the `pending_b` count (RULE_AXI_NOT_DRAINED, reported
//   by the Python watcher tb/checkers/protocol.py).
// * R: in order per ID (IDs may interleave): RLAST exactly on beat ARLEN+1 of the oldest
//   outstanding read of that ID; an R beat for an ID with no outstanding read is
//   RULE_AXI_R_UNEXPECTED. Missing beats show in `pending_r` at the end.
// * Capacity: MAX_OUTSTANDING reads per ID, writes awaiting B per ID, and AW/W bursts
//   not yet paired; more is RULE_AXI_TRACK_OVERFLOW (the checker would lose track).
//
// Internal counters the Python watcher reads at the end of a test (not ports):
// `pending_w` write bursts whose AW or W beats are incomplete, `pending_b` completed
// write bursts awaiting B, `pending_r` read bursts awaiting R beats.
//
// Implementation: one clocked block with blocking temporaries, so that Icarus evaluates
// the checks once per clock edge rather than on every change of every bus signal (this
// monitor runs on every cycle of long simulations). It is not synthesizable (=== on X).
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
// flag vector width: one flag per AXI4 rule code
localparam NRULE = 32;
// flag vector, indexed by the 8-bit rule code itself (only 1..NRULE-1 are used)
localparam FW = 256;
// AxBURST encodings
localparam [1:0] BURST_FIXED = 2'b00;
localparam [1:0] BURST_INCR  = 2'b01;
localparam [1:0] BURST_WRAP  = 2'b10;

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
    input [1:0]  burst;
    reg   [17:0] nbytes;
    reg   [17:0] start;
    begin
        nbytes = ({10'd0, len} + 18'd1) << size;
        start = {6'd0, addr} & ~((18'd1 << size) - 18'd1);
        crosses_4k = (burst == BURST_INCR) && (start + nbytes > 18'd4096);
    end
endfunction

// AxBURST reserved, or WRAP not of 2/4/8/16 beats or not aligned to the transfer size
function bad_burst;
    input [11:0] addr;
    input [7:0]  len;
    input [2:0]  size;
    input [1:0]  burst;
    begin
        bad_burst = (burst == 2'b11) ||
                    ((burst == BURST_WRAP) &&
                     (!(len == 8'd1 || len == 8'd3 || len == 8'd7 || len == 8'd15) ||
                      (({4'd0, addr} & ((16'd1 << size) - 16'd1)) != 16'd0)));
    end
endfunction

// byte lanes beat k of a burst (addr low 12 bits, len, size, burst) may strobe
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
    reg   [15:0] lane;
    integer      i;
    begin
        nbytes = 16'd1 << size;
        aligned = {4'd0, addr} & ~(nbytes - 16'd1);
        wrap_bytes = nbytes * ({8'd0, len} + 16'd1);
        if (burst == BURST_FIXED || k == 10'd0)
            beat = {4'd0, addr};
        else if (burst == BURST_WRAP)
            beat = (aligned & ~(wrap_bytes - 16'd1)) |
                   ((aligned + {6'd0, k} * nbytes) & (wrap_bytes - 16'd1));
        else
            beat = aligned + {6'd0, k} * nbytes;
        lo = beat & (BYTES[15:0] - 16'd1);
        hi = ((beat & ~(nbytes - 16'd1)) & (BYTES[15:0] - 16'd1)) + nbytes - 16'd1;
        for (i = 0; i < BYTES; i = i + 1) begin
            lane = i[15:0];
            lane_mask[i] = (lane >= lo) && (lane <= hi);
        end
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
reg             aw_wait_reg, w_wait_reg, b_wait_reg, ar_wait_reg, r_wait_reg;
reg [AXP-1:0]   aw_pl_reg, ar_pl_reg;
reg [WP-1:0]    w_pl_reg;
reg [BP-1:0]    b_pl_reg;
reg [RP-1:0]    r_pl_reg;

// AWs whose W burst is not complete, in order
reg [ADDR_WIDTH-1:0] aq_addr  [0:MAX_OUTSTANDING-1];
reg [7:0]            aq_len   [0:MAX_OUTSTANDING-1];
reg [2:0]            aq_size  [0:MAX_OUTSTANDING-1];
reg [1:0]            aq_burst [0:MAX_OUTSTANDING-1];
reg [ID_WIDTH-1:0]   aq_id    [0:MAX_OUTSTANDING-1];
reg [PW:0]           aq_wp_reg, aq_rp_reg;
// beat counts of W bursts completed (WLAST) before their AW, in order
reg [9:0]            wq_cnt   [0:MAX_OUTSTANDING-1];
reg [PW:0]           wq_wp_reg, wq_rp_reg;
// beats of the W burst in progress
reg [9:0]            w_cnt_reg;
// per ID: addresses of completed write bursts awaiting B
reg [ADDR_WIDTH-1:0] bq_addr  [0:NID*MAX_OUTSTANDING-1];
reg [PW:0]           bq_wp    [0:NID-1];
reg [PW:0]           bq_rp    [0:NID-1];
// per ID: outstanding read bursts (address, len) and beats of the oldest one received
reg [ADDR_WIDTH-1:0] rq_addr  [0:NID*MAX_OUTSTANDING-1];
reg [7:0]            rq_len   [0:NID*MAX_OUTSTANDING-1];
reg [PW:0]           rq_wp    [0:NID-1];
reg [PW:0]           rq_rp    [0:NID-1];
reg [7:0]            r_cnt    [0:NID-1];
// bursts awaiting B / R beats (every ID)
reg [31:0]           pending_b, pending_r;

// write bursts whose AW or W beats are incomplete (read by the Python watcher only)
wire [PW:0] aq_count = aq_wp_reg - aq_rp_reg;
wire [PW:0] wq_count = wq_wp_reg - wq_rp_reg;
/* verilator lint_off UNUSEDSIGNAL */
wire [31:0] pending_w = {{(31 - PW){1'b0}}, aq_count} + {{(31 - PW){1'b0}}, wq_count} +
                        {31'd0, w_cnt_reg != 10'd0};
/* verilator lint_on UNUSEDSIGNAL */

/* verilator lint_off BLKSEQ */
always @(posedge clk) begin : check
    // handshake decode: clean VALID / READY, X on them, X on the control payload
    reg aw_v, aw_r, aw_hx, aw_px, aw_hs, aw_new;
    reg w_v,  w_r,  w_hx,  w_px,  w_hs;
    reg b_v,  b_r,  b_hx,  b_px,  b_hs;
    reg ar_v, ar_r, ar_hx, ar_px, ar_hs, ar_new;
    reg r_v,  r_r,  r_hx,  r_px,  r_hs;
    reg [AXP-1:0] aw_pl, ar_pl;
    reg [WP-1:0]  w_pl;
    reg [BP-1:0]  b_pl;
    reg [RP-1:0]  r_pl;
    reg [FW-1:0] f;
    // write pairing
    reg aq_empty, aq_full, wq_empty, wq_full;
    reg h_q, h_byp, h_v;
    reg [ADDR_WIDTH-1:0] h_addr;
    reg [7:0] h_len;
    reg [2:0] h_size;
    reg [1:0] h_burst;
    reg [ID_WIDTH-1:0] h_id;
    reg [9:0] k, wq_head;
    reg w_end, aq_push, aq_pop, wq_push, wq_pop;
    reg [63:0] wl_addr;
    reg [ID_WIDTH-1:0] wl_id;
    // write responses
    reg bq_push, bq_pop;
    reg [ID_WIDTH-1:0] bq_push_id;
    reg [ADDR_WIDTH-1:0] bq_push_addr;
    reg [ID_WIDTH-1:0] b_head_id;
    reg [63:0] b_addr;
    // reads
    reg rq_push, rq_pop, r_end;
    reg [ID_WIDTH-1:0] r_head_id;
    reg [63:0] r_addr;
    reg [7:0] rk, rlen;
    // capacity
    reg [63:0] ov_addr;
    reg [ID_WIDTH-1:0] ov_id;
    // report
    reg [7:0] first;
    reg [31:0] n;
    reg [63:0] v_addr;
    reg [ID_WIDTH-1:0] v_id;
    integer i;

    if (rst) begin
        aw_wait_reg <= 1'b0;
        w_wait_reg <= 1'b0;
        b_wait_reg <= 1'b0;
        ar_wait_reg <= 1'b0;
        r_wait_reg <= 1'b0;
        aq_wp_reg <= {(PW + 1){1'b0}};
        aq_rp_reg <= {(PW + 1){1'b0}};
        wq_wp_reg <= {(PW + 1){1'b0}};
        wq_rp_reg <= {(PW + 1){1'b0}};
        w_cnt_reg <= 10'd0;
        for (i = 0; i < NID; i = i + 1) begin
            bq_wp[i] <= {(PW + 1){1'b0}};
            bq_rp[i] <= {(PW + 1){1'b0}};
            rq_wp[i] <= {(PW + 1){1'b0}};
            rq_rp[i] <= {(PW + 1){1'b0}};
            r_cnt[i] <= 8'd0;
        end
        pending_b <= 32'd0;
        pending_r <= 32'd0;
        violation <= 1'b0;
        violation_rule <= RULE_NONE;
        violation_addr <= 64'd0;
        violation_id <= {ID_WIDTH{1'b0}};
        violation_count <= 32'd0;
    end else begin
        f = {FW{1'b0}};

        // ---------------------------------------------------------------- handshakes
        aw_pl = {awid, awaddr, awlen, awsize, awburst, awlock, awcache, awprot};
        aw_v = (awvalid === 1'b1);
        aw_r = (awready === 1'b1);
        aw_hx = ((^{awvalid, awready}) === 1'bx);
        aw_px = aw_v && ((^{awid, awaddr, awlen, awsize, awburst}) === 1'bx);
        aw_hs = aw_v && aw_r && !aw_px;
        aw_new = aw_v && !aw_wait_reg && !aw_px;
        f[RULE_AXI_AW_VALID_DROPPED] = aw_wait_reg && !aw_v && !aw_hx;
        f[RULE_AXI_AW_CHANGED] = aw_wait_reg && aw_v && (aw_pl !== aw_pl_reg);
        f[RULE_AXI_AW_X] = aw_hx || aw_px;

        w_pl = {wdata, wstrb, wlast};
        w_v = (wvalid === 1'b1);
        w_r = (wready === 1'b1);
        w_hx = ((^{wvalid, wready}) === 1'bx);
        w_px = w_v && ((^{wstrb, wlast}) === 1'bx);
        w_hs = w_v && w_r && !w_px;
        f[RULE_AXI_W_VALID_DROPPED] = w_wait_reg && !w_v && !w_hx;
        f[RULE_AXI_W_CHANGED] = w_wait_reg && w_v && (w_pl !== w_pl_reg);
        f[RULE_AXI_W_X] = w_hx || w_px;

        b_pl = {bid, bresp};
        b_v = (bvalid === 1'b1);
        b_r = (bready === 1'b1);
        b_hx = ((^{bvalid, bready}) === 1'bx);
        b_px = b_v && ((^{bid, bresp}) === 1'bx);
        b_hs = b_v && b_r && !b_px;
        f[RULE_AXI_B_VALID_DROPPED] = b_wait_reg && !b_v && !b_hx;
        f[RULE_AXI_B_CHANGED] = b_wait_reg && b_v && (b_pl !== b_pl_reg);
        f[RULE_AXI_B_X] = b_hx || b_px;

        ar_pl = {arid, araddr, arlen, arsize, arburst, arlock, arcache, arprot};
        ar_v = (arvalid === 1'b1);
        ar_r = (arready === 1'b1);
        ar_hx = ((^{arvalid, arready}) === 1'bx);
        ar_px = ar_v && ((^{arid, araddr, arlen, arsize, arburst}) === 1'bx);
        ar_hs = ar_v && ar_r && !ar_px;
        ar_new = ar_v && !ar_wait_reg && !ar_px;
        f[RULE_AXI_AR_VALID_DROPPED] = ar_wait_reg && !ar_v && !ar_hx;
        f[RULE_AXI_AR_CHANGED] = ar_wait_reg && ar_v && (ar_pl !== ar_pl_reg);
        f[RULE_AXI_AR_X] = ar_hx || ar_px;

        r_pl = {rid, rdata, rresp, rlast};
        r_v = (rvalid === 1'b1);
        r_r = (rready === 1'b1);
        r_hx = ((^{rvalid, rready}) === 1'bx);
        r_px = r_v && ((^{rid, rresp, rlast}) === 1'bx);
        r_hs = r_v && r_r && !r_px;
        f[RULE_AXI_R_VALID_DROPPED] = r_wait_reg && !r_v && !r_hx;
        f[RULE_AXI_R_CHANGED] = r_wait_reg && r_v && (r_pl !== r_pl_reg);
        f[RULE_AXI_R_X] = r_hx || r_px;

        // ------------------------------------------- burst shape, when first presented
        if (aw_new) begin
            f[RULE_AXI_AW_4K] = crosses_4k(awaddr[11:0], awlen, awsize, awburst);
            f[RULE_AXI_AW_SIZE] = awsize > MAX_SIZE;
            f[RULE_AXI_AW_BURST] = bad_burst(awaddr[11:0], awlen, awsize, awburst);
        end
        if (ar_new) begin
            f[RULE_AXI_AR_4K] = crosses_4k(araddr[11:0], arlen, arsize, arburst);
            f[RULE_AXI_AR_SIZE] = arsize > MAX_SIZE;
            f[RULE_AXI_AR_BURST] = bad_burst(araddr[11:0], arlen, arsize, arburst);
        end

        // ------------------------------------------------------ W beats paired with AWs
        ov_addr = 64'd0;
        ov_id = {ID_WIDTH{1'b0}};
        aq_empty = (aq_wp_reg == aq_rp_reg);
        aq_full = (aq_wp_reg == (aq_rp_reg ^ QFULL));
        wq_empty = (wq_wp_reg == wq_rp_reg);
        wq_full = (wq_wp_reg == (wq_rp_reg ^ QFULL));
        // the AW of the W burst in progress: the oldest queued AW, else one taken now
        // (only if no earlier W burst still waits for its AW)
        h_q = !aq_empty;
        h_byp = aq_empty && aw_hs && wq_empty;
        h_v = h_q || h_byp;
        h_addr = h_q ? aq_addr[aq_rp_reg[PW-1:0]] : awaddr;
        h_len = h_q ? aq_len[aq_rp_reg[PW-1:0]] : awlen;
        h_size = h_q ? aq_size[aq_rp_reg[PW-1:0]] : awsize;
        h_burst = h_q ? aq_burst[aq_rp_reg[PW-1:0]] : awburst;
        h_id = h_q ? aq_id[aq_rp_reg[PW-1:0]] : awid;
        k = w_cnt_reg;
        wq_head = wq_cnt[wq_rp_reg[PW-1:0]];
        w_end = 1'b0;
        wq_push = 1'b0;
        // an AW meets the oldest W burst that came without one, or waits for its W
        wq_pop = aw_hs && !wq_empty;
        aq_push = aw_hs && wq_empty;
        wl_addr = h_v ? clean_addr(h_addr) : 64'd0;
        wl_id = h_v ? h_id : {ID_WIDTH{1'b0}};
        if (w_hs) begin
            if (h_v) begin
                f[RULE_AXI_WLAST_EARLY] = wlast && (k < {2'd0, h_len});
                f[RULE_AXI_WLAST_MISSING] = (k > {2'd0, h_len}) || (k == {2'd0, h_len} && !wlast);
                w_end = wlast || (k >= {2'd0, h_len});
                if (h_size <= MAX_SIZE && h_burst != 2'b11)
                    f[RULE_AXI_WSTRB_LANES] =
                        |(wstrb & ~lane_mask(h_addr[11:0], h_len, h_size, h_burst, k));
            end else begin
                w_end = wlast;
                wq_push = wlast;
            end
        end else if (h_byp && k > {2'd0, awlen}) begin
            // a burst already longer than its late AW allows, still without WLAST
            f[RULE_AXI_WLAST_MISSING] = 1'b1;
        end
        aq_pop = w_end && h_v;
        bq_push = 1'b0;
        bq_push_id = h_id;
        bq_push_addr = h_addr;
        if (aq_pop) begin
            bq_push = 1'b1;
        end
        if (wq_pop) begin
            // AW of a W burst already complete: its beat count must be AWLEN+1
            wl_addr = clean_addr(awaddr);
            wl_id = awid;
            f[RULE_AXI_WLAST_EARLY] = wq_head < ({2'd0, awlen} + 10'd1);
            f[RULE_AXI_WLAST_MISSING] = wq_head > ({2'd0, awlen} + 10'd1);
            bq_push = 1'b1;
            bq_push_id = awid;
            bq_push_addr = awaddr;
        end
        if (aq_push && aq_full && !aq_pop) begin
            f[RULE_AXI_TRACK_OVERFLOW] = 1'b1;
            ov_addr = clean_addr(awaddr);
            ov_id = awid;
            aq_push = 1'b0;
        end
        if (wq_push && wq_full) begin
            f[RULE_AXI_TRACK_OVERFLOW] = 1'b1;
            wq_push = 1'b0;
        end

        // --------------------------------------------------------------- B responses
        // the B concerned: the one that waited (valid dropped, payload changed), else this one
        b_head_id = clean_id((b_wait_reg && !b_hs) ? b_pl_reg[BP-1:2] : bid);
        b_addr = 64'd0;
        if (bq_wp[b_head_id] != bq_rp[b_head_id])
            b_addr = clean_addr(bq_addr[{b_head_id, bq_rp[b_head_id][PW-1:0]}]);
        bq_pop = 1'b0;
        if (b_hs) begin
            if (bq_wp[bid] == bq_rp[bid])
                f[RULE_AXI_B_UNEXPECTED] = 1'b1;
            else
                bq_pop = 1'b1;
        end
        if (bq_push && (bq_wp[bq_push_id] == (bq_rp[bq_push_id] ^ QFULL)) &&
            !(bq_pop && bid == bq_push_id)) begin
            f[RULE_AXI_TRACK_OVERFLOW] = 1'b1;
            ov_addr = clean_addr(bq_push_addr);
            ov_id = bq_push_id;
            bq_push = 1'b0;
        end

        // --------------------------------------------------------------------- reads
        // the R concerned: the one that waited (valid dropped, payload changed), else this one
        r_head_id = clean_id((r_wait_reg && !r_hs) ? r_pl_reg[RP-1 -: ID_WIDTH] : rid);
        r_addr = 64'd0;
        if (rq_wp[r_head_id] != rq_rp[r_head_id])
            r_addr = clean_addr(rq_addr[{r_head_id, rq_rp[r_head_id][PW-1:0]}]);
        rq_pop = 1'b0;
        r_end = 1'b0;
        rk = r_cnt[r_head_id];
        rlen = rq_len[{r_head_id, rq_rp[r_head_id][PW-1:0]}];
        if (r_hs) begin
            if (rq_wp[rid] == rq_rp[rid]) begin
                f[RULE_AXI_R_UNEXPECTED] = 1'b1;
            end else begin
                f[RULE_AXI_RLAST_EARLY] = rlast && (rk < rlen);
                f[RULE_AXI_RLAST_MISSING] = !rlast && (rk == rlen);
                r_end = rlast || (rk >= rlen);
                rq_pop = r_end;
            end
        end
        rq_push = 1'b0;
        if (ar_hs) begin
            if (rq_wp[arid] == (rq_rp[arid] ^ QFULL) && !(rq_pop && rid == arid)) begin
                f[RULE_AXI_TRACK_OVERFLOW] = 1'b1;
                ov_addr = clean_addr(araddr);
                ov_id = arid;
            end else begin
                rq_push = 1'b1;
            end
        end

        // ---------------------------------------------------------------- state update
        aw_wait_reg <= aw_v && !aw_r && !aw_hx;
        w_wait_reg <= w_v && !w_r && !w_hx;
        b_wait_reg <= b_v && !b_r && !b_hx;
        ar_wait_reg <= ar_v && !ar_r && !ar_hx;
        r_wait_reg <= r_v && !r_r && !r_hx;
        aw_pl_reg <= aw_pl;
        w_pl_reg <= w_pl;
        b_pl_reg <= b_pl;
        ar_pl_reg <= ar_pl;
        r_pl_reg <= r_pl;

        if (aq_push) begin
            aq_addr[aq_wp_reg[PW-1:0]] <= awaddr;
            aq_len[aq_wp_reg[PW-1:0]] <= awlen;
            aq_size[aq_wp_reg[PW-1:0]] <= awsize;
            aq_burst[aq_wp_reg[PW-1:0]] <= awburst;
            aq_id[aq_wp_reg[PW-1:0]] <= awid;
            aq_wp_reg <= aq_wp_reg + 1'b1;
        end
        if (aq_pop)
            aq_rp_reg <= aq_rp_reg + 1'b1;
        if (wq_push) begin
            wq_cnt[wq_wp_reg[PW-1:0]] <= k + 10'd1;
            wq_wp_reg <= wq_wp_reg + 1'b1;
        end
        if (wq_pop)
            wq_rp_reg <= wq_rp_reg + 1'b1;
        if (w_hs)
            w_cnt_reg <= w_end ? 10'd0 : ((k == 10'h3FF) ? k : k + 10'd1);

        if (bq_push) begin
            bq_addr[{bq_push_id, bq_wp[bq_push_id][PW-1:0]}] <= bq_push_addr;
            bq_wp[bq_push_id] <= bq_wp[bq_push_id] + 1'b1;
        end
        if (bq_pop)
            bq_rp[bid] <= bq_rp[bid] + 1'b1;
        pending_b <= pending_b + {31'd0, bq_push} - {31'd0, bq_pop};

        if (rq_push) begin
            rq_addr[{arid, rq_wp[arid][PW-1:0]}] <= araddr;
            rq_len[{arid, rq_wp[arid][PW-1:0]}] <= arlen;
            rq_wp[arid] <= rq_wp[arid] + 1'b1;
        end
        if (r_hs && !f[RULE_AXI_R_UNEXPECTED])
            r_cnt[rid] <= r_end ? 8'd0 : rk + 8'd1;
        if (rq_pop)
            rq_rp[rid] <= rq_rp[rid] + 1'b1;
        pending_r <= pending_r + {31'd0, rq_push} - {31'd0, rq_pop};

        // -------------------------------------------------------------------- report
        first = RULE_NONE;
        n = 32'd0;
        for (i = NRULE - 1; i > 0; i = i - 1) begin
            if (f[i]) begin
                first = i[7:0];
                n = n + 32'd1;
            end
        end
        case (first)
            RULE_AXI_AW_VALID_DROPPED, RULE_AXI_AW_CHANGED: begin
                v_addr = clean_addr(aw_pl_reg[AXP-ID_WIDTH-1 -: ADDR_WIDTH]);
                v_id = clean_id(aw_pl_reg[AXP-1 -: ID_WIDTH]);
            end
            RULE_AXI_AW_X, RULE_AXI_AW_4K, RULE_AXI_AW_SIZE, RULE_AXI_AW_BURST: begin
                v_addr = clean_addr(awaddr);
                v_id = clean_id(awid);
            end
            RULE_AXI_AR_VALID_DROPPED, RULE_AXI_AR_CHANGED: begin
                v_addr = clean_addr(ar_pl_reg[AXP-ID_WIDTH-1 -: ADDR_WIDTH]);
                v_id = clean_id(ar_pl_reg[AXP-1 -: ID_WIDTH]);
            end
            RULE_AXI_AR_X, RULE_AXI_AR_4K, RULE_AXI_AR_SIZE, RULE_AXI_AR_BURST: begin
                v_addr = clean_addr(araddr);
                v_id = clean_id(arid);
            end
            RULE_AXI_W_VALID_DROPPED, RULE_AXI_W_CHANGED, RULE_AXI_W_X,
            RULE_AXI_WLAST_EARLY, RULE_AXI_WLAST_MISSING, RULE_AXI_WSTRB_LANES: begin
                v_addr = wl_addr;
                v_id = clean_id(wl_id);
            end
            RULE_AXI_B_VALID_DROPPED, RULE_AXI_B_CHANGED, RULE_AXI_B_X, RULE_AXI_B_UNEXPECTED: begin
                v_addr = b_addr;
                v_id = b_head_id;
            end
            RULE_AXI_R_VALID_DROPPED, RULE_AXI_R_CHANGED, RULE_AXI_R_X,
            RULE_AXI_R_UNEXPECTED, RULE_AXI_RLAST_EARLY, RULE_AXI_RLAST_MISSING: begin
                v_addr = r_addr;
                v_id = r_head_id;
            end
            default: begin
                v_addr = ov_addr;
                v_id = clean_id(ov_id);
            end
        endcase
        if (n != 32'd0) begin
            violation_count <= violation_count + n;
            if (!violation) begin
                violation <= 1'b1;
                violation_rule <= first;
                violation_addr <= v_addr;
                violation_id <= v_id;
            end
        end
    end
end
/* verilator lint_on BLKSEQ */

endmodule

`resetall
