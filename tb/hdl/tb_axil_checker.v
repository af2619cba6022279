`resetall
`timescale 1ns / 1ps
`default_nettype none

// tb_axil_checker -- passive AXI-Lite protocol checker (one per bus; test bench only).
//
// Ports (every bus signal is an input):
//   clk, rst                      clock; synchronous active-high reset (clears everything)
//   awaddr awprot awvalid awready
//   wdata wstrb wvalid wready
//   bresp bvalid bready
//   araddr arprot arvalid arready
//   rdata rresp rvalid rready
//   violation        out  rises at the first violation after reset and stays high until rst
//   violation_rule   out  [7:0] code of that first violation (tb_checker_rules.vh, RULE_AXIL_*)
//   violation_addr   out  [63:0] address of the request concerned (0 when none is known)
//   violation_count  out  [31:0] every violation seen since reset; several rules broken in
//                         one cycle count one each, and the lowest code is the one reported
//
// Timing: sampled at each rising edge of clk; `violation` rises at that same edge.
//
// Rules, checked every cycle while rst is low:
// * AW, W, B, AR, R: VALID held until READY (RULE_AXIL_*_VALID_DROPPED); payload stable
//   while VALID && !READY (RULE_AXIL_*_CHANGED); no X/Z on VALID or READY, nor on AWADDR,
//   WSTRB, BRESP, ARADDR, RRESP of a valid channel (RULE_AXIL_*_X; data may be X).
// * One response per request: a write is complete when both its AW and its W are taken
//   (in either order); a B with no complete write awaiting a response is
//   RULE_AXIL_B_UNEXPECTED, an R with no read awaiting one RULE_AXIL_R_UNEXPECTED. A
//   missing response shows at the end in `pending_b` / `pending_r` (RULE_AXIL_NOT_DRAINED,
//   reported by the Python watcher tb/checkers/protocol.py).
// * Capacity: MAX_OUTSTANDING requests of each kind in flight; more is
//   RULE_AXIL_TRACK_OVERFLOW.
// The address reported is the channel's own (AW, AR), the oldest AW still without its W
// (W), the oldest write awaiting B (B), the oldest read awaiting R (R).
//
// Internal counters the Python watcher reads at the end of a test (not ports):
// `pending_b` writes (AW or W taken) awaiting B, `pending_r` reads awaiting R.
//
// Implementation: one clocked block with blocking updates of its own state, a few
// statements per idle cycle (Icarus charges about 0.1 us per statement; see
// tb_axi4_checker.v). Same-cycle order is B, R, AW, AR, W: a response never answers a
// request of its own cycle. Not synthesizable (=== on X).
module tb_axil_checker #(
    // AXI-Lite address width in bits, 1..64
    parameter ADDR_WIDTH = 12,
    // AXI-Lite data width in bits: 32 or 64
    parameter DATA_WIDTH = 32,
    // requests tracked at once per kind; a power of two, 2..256
    parameter MAX_OUTSTANDING = 16
) (
    input  wire                    clk,
    input  wire                    rst,

    input  wire [ADDR_WIDTH-1:0]   awaddr,
    input  wire [2:0]              awprot,
    input  wire                    awvalid,
    input  wire                    awready,
    input  wire [DATA_WIDTH-1:0]   wdata,
    input  wire [DATA_WIDTH/8-1:0] wstrb,
    input  wire                    wvalid,
    input  wire                    wready,
    input  wire [1:0]              bresp,
    input  wire                    bvalid,
    input  wire                    bready,
    input  wire [ADDR_WIDTH-1:0]   araddr,
    input  wire [2:0]              arprot,
    input  wire                    arvalid,
    input  wire                    arready,
    input  wire [DATA_WIDTH-1:0]   rdata,
    input  wire [1:0]              rresp,
    input  wire                    rvalid,
    input  wire                    rready,

    output reg                     violation,
    output reg  [7:0]              violation_rule,
    output reg  [63:0]             violation_addr,
    output reg  [31:0]             violation_count
);

/* verilator lint_off UNUSEDPARAM */
`include "tb_checker_rules.vh"
/* verilator lint_on UNUSEDPARAM */

// bits of a queue index
localparam PW = $clog2(MAX_OUTSTANDING);
// queue pointer difference of a full queue
localparam [PW:0] QFULL = {1'b1, {PW{1'b0}}};
// bits of an AW / AR payload
localparam AXP = ADDR_WIDTH + 3;
// bits of a W payload
localparam WP = DATA_WIDTH + DATA_WIDTH / 8;
// bits of an R payload
localparam RP = DATA_WIDTH + 2;
// no rule broken yet this cycle (above every code)
localparam [7:0] NO_HIT = 8'hFF;

initial begin
    if (ADDR_WIDTH < 1 || ADDR_WIDTH > 64)
        $fatal(1, "ADDR_WIDTH must be 1..64, not %0d (instance %m)", ADDR_WIDTH);
    if (DATA_WIDTH != 32 && DATA_WIDTH != 64)
        $fatal(1, "DATA_WIDTH must be 32 or 64, not %0d (instance %m)", DATA_WIDTH);
    if (MAX_OUTSTANDING < 2 || MAX_OUTSTANDING > 256 || (1 << PW) != MAX_OUTSTANDING)
        $fatal(1, "MAX_OUTSTANDING must be a power of two, 2..256, not %0d (instance %m)",
               MAX_OUTSTANDING);
end

// a value with any X or Z bit reads as 0 (for the address reported)
function [63:0] clean_addr;
    input [ADDR_WIDTH-1:0] a;
    begin
        clean_addr = 64'd0;
        if ((^a) !== 1'bx)
            clean_addr[ADDR_WIDTH-1:0] = a;
    end
endfunction

// previous cycle: VALID && !READY, and the payload then
reg             aw_wait, w_wait, b_wait, ar_wait, r_wait;
reg [AXP-1:0]   aw_pl, ar_pl;
reg [WP-1:0]    w_pl;
reg [1:0]       b_pl;
reg [RP-1:0]    r_pl;

// AWs taken without their W yet, in order
reg [ADDR_WIDTH-1:0] aq_addr [0:MAX_OUTSTANDING-1];
reg [PW:0]           aq_wp, aq_rp;
// Ws taken without their AW yet
reg [PW:0]           w_ahead;
// complete writes awaiting B, in order
reg [ADDR_WIDTH-1:0] bq_addr [0:MAX_OUTSTANDING-1];
reg [PW:0]           bq_wp, bq_rp;
// reads awaiting R, in order
reg [ADDR_WIDTH-1:0] rq_addr [0:MAX_OUTSTANDING-1];
reg [PW:0]           rq_wp, rq_rp;

// requests awaiting a response (read by the Python watcher only)
/* verilator lint_off UNUSEDSIGNAL */
wire [31:0] pending_b = {{(31 - PW){1'b0}}, aq_wp - aq_rp} +
                        {{(31 - PW){1'b0}}, w_ahead} +
                        {{(31 - PW){1'b0}}, bq_wp - bq_rp};
wire [31:0] pending_r = {{(31 - PW){1'b0}}, rq_wp - rq_rp};
/* verilator lint_on UNUSEDSIGNAL */

// X when any VALID or READY is X or Z (a net: re-evaluated only when one of them changes)
wire handshake_x = ^{awvalid, awready, wvalid, wready, bvalid, bready,
                     arvalid, arready, rvalid, rready};

// violations of this cycle: how many, and the lowest code with its address
reg [31:0] hit_count;
reg [7:0]  hit_rule;
reg [63:0] hit_addr;

/* verilator lint_off BLKSEQ */
// note a broken rule
task hit;
    input [7:0]  code;
    input [63:0] addr;
    begin
        hit_count = hit_count + 32'd1;
        if (code < hit_rule) begin
            hit_rule = code;
            hit_addr = addr;
        end
    end
endtask

// the oldest entry of each queue (0 when empty)
function [63:0] aq_head;
    input [PW:0] rp;
    begin
        aq_head = (aq_wp == rp) ? 64'd0 : clean_addr(aq_addr[rp[PW-1:0]]);
    end
endfunction

function [63:0] bq_head;
    input [PW:0] rp;
    begin
        bq_head = (bq_wp == rp) ? 64'd0 : clean_addr(bq_addr[rp[PW-1:0]]);
    end
endfunction

function [63:0] rq_head;
    input [PW:0] rp;
    begin
        rq_head = (rq_wp == rp) ? 64'd0 : clean_addr(rq_addr[rp[PW-1:0]]);
    end
endfunction

// a write complete (AW and W taken): its B is owed
task owe_b;
    input [ADDR_WIDTH-1:0] addr;
    begin
        if (bq_wp == (bq_rp ^ QFULL)) begin
            hit(RULE_AXIL_TRACK_OVERFLOW, clean_addr(addr));
        end else begin
            bq_addr[bq_wp[PW-1:0]] = addr;
            bq_wp = bq_wp + 1'b1;
        end
    end
endtask

always @(posedge clk) begin
    if (rst) begin
        aw_wait = 1'b0;
        w_wait = 1'b0;
        b_wait = 1'b0;
        ar_wait = 1'b0;
        r_wait = 1'b0;
        aq_wp = {(PW + 1){1'b0}};
        aq_rp = {(PW + 1){1'b0}};
        w_ahead = {(PW + 1){1'b0}};
        bq_wp = {(PW + 1){1'b0}};
        bq_rp = {(PW + 1){1'b0}};
        rq_wp = {(PW + 1){1'b0}};
        rq_rp = {(PW + 1){1'b0}};
        hit_count = 32'd0;
        hit_rule = NO_HIT;
        violation <= 1'b0;
        violation_rule <= RULE_NONE;
        violation_addr <= 64'd0;
        violation_count <= 32'd0;
    end else begin
        // ------------------------------------------- X or Z on a VALID or READY (rare)
        if (handshake_x === 1'bx) begin
            if ((^{bvalid, bready}) === 1'bx) begin
                hit(RULE_AXIL_B_X, bq_head(bq_rp));
                b_wait = 1'b0;
            end
            if ((^{rvalid, rready}) === 1'bx) begin
                hit(RULE_AXIL_R_X, rq_head(rq_rp));
                r_wait = 1'b0;
            end
            if ((^{awvalid, awready}) === 1'bx) begin
                hit(RULE_AXIL_AW_X, clean_addr(awaddr));
                aw_wait = 1'b0;
            end
            if ((^{arvalid, arready}) === 1'bx) begin
                hit(RULE_AXIL_AR_X, clean_addr(araddr));
                ar_wait = 1'b0;
            end
            if ((^{wvalid, wready}) === 1'bx) begin
                hit(RULE_AXIL_W_X, aq_head(aq_rp));
                w_wait = 1'b0;
            end
        end

        // ----------------------------------------------------------------------- B
        if (bvalid === 1'b1) begin
            if (bready === 1'b1) begin
                if (b_wait && bresp !== b_pl)
                    hit(RULE_AXIL_B_CHANGED, bq_head(bq_rp));
                b_wait = 1'b0;
                if ((^bresp) === 1'bx)
                    hit(RULE_AXIL_B_X, bq_head(bq_rp));
                else if (bq_wp == bq_rp)
                    hit(RULE_AXIL_B_UNEXPECTED, 64'd0);
                else
                    bq_rp = bq_rp + 1'b1;
            end else if (b_wait) begin
                if (bresp !== b_pl) begin
                    hit(RULE_AXIL_B_CHANGED, bq_head(bq_rp));
                    b_pl = bresp;
                end
            end else begin
                if ((^bresp) === 1'bx)
                    hit(RULE_AXIL_B_X, bq_head(bq_rp));
                b_pl = bresp;
                b_wait = (bready === 1'b0);
            end
        end else if (b_wait) begin
            hit(RULE_AXIL_B_VALID_DROPPED, bq_head(bq_rp));
            b_wait = 1'b0;
        end

        // ----------------------------------------------------------------------- R
        if (rvalid === 1'b1) begin
            if (rready === 1'b1) begin
                if (r_wait && {rdata, rresp} !== r_pl)
                    hit(RULE_AXIL_R_CHANGED, rq_head(rq_rp));
                r_wait = 1'b0;
                if ((^rresp) === 1'bx)
                    hit(RULE_AXIL_R_X, rq_head(rq_rp));
                else if (rq_wp == rq_rp)
                    hit(RULE_AXIL_R_UNEXPECTED, 64'd0);
                else
                    rq_rp = rq_rp + 1'b1;
            end else if (r_wait) begin
                if ({rdata, rresp} !== r_pl) begin
                    hit(RULE_AXIL_R_CHANGED, rq_head(rq_rp));
                    r_pl = {rdata, rresp};
                end
            end else begin
                if ((^rresp) === 1'bx)
                    hit(RULE_AXIL_R_X, rq_head(rq_rp));
                r_pl = {rdata, rresp};
                r_wait = (rready === 1'b0);
            end
        end else if (r_wait) begin
            hit(RULE_AXIL_R_VALID_DROPPED, rq_head(rq_rp));
            r_wait = 1'b0;
        end

        // ---------------------------------------------------------------------- AW
        if (awvalid === 1'b1) begin
            if (awready === 1'b1) begin
                if (aw_wait && {awaddr, awprot} !== aw_pl)
                    hit(RULE_AXIL_AW_CHANGED, clean_addr(aw_pl[AXP-1 -: ADDR_WIDTH]));
                aw_wait = 1'b0;
                if ((^awaddr) === 1'bx) begin
                    hit(RULE_AXIL_AW_X, 64'd0);
                end else if (w_ahead != {(PW + 1){1'b0}}) begin
                    // meets a W taken earlier
                    w_ahead = w_ahead - 1'b1;
                    owe_b(awaddr);
                end else if (aq_wp == (aq_rp ^ QFULL)) begin
                    hit(RULE_AXIL_TRACK_OVERFLOW, clean_addr(awaddr));
                end else begin
                    aq_addr[aq_wp[PW-1:0]] = awaddr;
                    aq_wp = aq_wp + 1'b1;
                end
            end else if (aw_wait) begin
                if ({awaddr, awprot} !== aw_pl) begin
                    hit(RULE_AXIL_AW_CHANGED, clean_addr(aw_pl[AXP-1 -: ADDR_WIDTH]));
                    aw_pl = {awaddr, awprot};
                end
            end else begin
                if ((^awaddr) === 1'bx)
                    hit(RULE_AXIL_AW_X, 64'd0);
                aw_pl = {awaddr, awprot};
                aw_wait = (awready === 1'b0);
            end
        end else if (aw_wait) begin
            hit(RULE_AXIL_AW_VALID_DROPPED, clean_addr(aw_pl[AXP-1 -: ADDR_WIDTH]));
            aw_wait = 1'b0;
        end

        // ---------------------------------------------------------------------- AR
        if (arvalid === 1'b1) begin
            if (arready === 1'b1) begin
                if (ar_wait && {araddr, arprot} !== ar_pl)
                    hit(RULE_AXIL_AR_CHANGED, clean_addr(ar_pl[AXP-1 -: ADDR_WIDTH]));
                ar_wait = 1'b0;
                if ((^araddr) === 1'bx) begin
                    hit(RULE_AXIL_AR_X, 64'd0);
                end else if (rq_wp == (rq_rp ^ QFULL)) begin
                    hit(RULE_AXIL_TRACK_OVERFLOW, clean_addr(araddr));
                end else begin
                    rq_addr[rq_wp[PW-1:0]] = araddr;
                    rq_wp = rq_wp + 1'b1;
                end
            end else if (ar_wait) begin
                if ({araddr, arprot} !== ar_pl) begin
                    hit(RULE_AXIL_AR_CHANGED, clean_addr(ar_pl[AXP-1 -: ADDR_WIDTH]));
                    ar_pl = {araddr, arprot};
                end
            end else begin
                if ((^araddr) === 1'bx)
                    hit(RULE_AXIL_AR_X, 64'd0);
                ar_pl = {araddr, arprot};
                ar_wait = (arready === 1'b0);
            end
        end else if (ar_wait) begin
            hit(RULE_AXIL_AR_VALID_DROPPED, clean_addr(ar_pl[AXP-1 -: ADDR_WIDTH]));
            ar_wait = 1'b0;
        end

        // ----------------------------------------------------------------------- W
        if (wvalid === 1'b1) begin
            if (wready === 1'b1) begin
                if (w_wait && {wdata, wstrb} !== w_pl)
                    hit(RULE_AXIL_W_CHANGED, aq_head(aq_rp));
                w_wait = 1'b0;
                if ((^wstrb) === 1'bx) begin
                    hit(RULE_AXIL_W_X, aq_head(aq_rp));
                end else if (aq_wp != aq_rp) begin
                    // meets the oldest AW waiting for its W (maybe one of this cycle)
                    owe_b(aq_addr[aq_rp[PW-1:0]]);
                    aq_rp = aq_rp + 1'b1;
                end else if (w_ahead == QFULL) begin
                    hit(RULE_AXIL_TRACK_OVERFLOW, 64'd0);
                end else begin
                    w_ahead = w_ahead + 1'b1;
                end
            end else if (w_wait) begin
                if ({wdata, wstrb} !== w_pl) begin
                    hit(RULE_AXIL_W_CHANGED, aq_head(aq_rp));
                    w_pl = {wdata, wstrb};
                end
            end else begin
                if ((^wstrb) === 1'bx)
                    hit(RULE_AXIL_W_X, aq_head(aq_rp));
                w_pl = {wdata, wstrb};
                w_wait = (wready === 1'b0);
            end
        end else if (w_wait) begin
            hit(RULE_AXIL_W_VALID_DROPPED, aq_head(aq_rp));
            w_wait = 1'b0;
        end

        // -------------------------------------------------------------------- report
        if (hit_count != 32'd0) begin
            violation_count <= violation_count + hit_count;
            if (!violation) begin
                violation <= 1'b1;
                violation_rule <= hit_rule;
                violation_addr <= hit_addr;
            end
            hit_count = 32'd0;
            hit_rule = NO_HIT;
        end
    end
end
/* verilator lint_on BLKSEQ */

endmodule

`resetall
