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
// Implementation: one clocked block with blocking temporaries, so that Icarus evaluates
// the checks once per clock edge (see tb_axi4_checker.v). Not synthesizable.
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
// first AXI-Lite rule code, and the flag vector width (indexed by code - FIRST)
localparam [7:0] FIRST = RULE_AXIL_AW_VALID_DROPPED;
localparam NRULE = 32;
// flag vector, indexed by the 8-bit rule code itself
localparam FW = 256;

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
reg             aw_wait_reg, w_wait_reg, b_wait_reg, ar_wait_reg, r_wait_reg;
reg [AXP-1:0]   aw_pl_reg, ar_pl_reg;
reg [WP-1:0]    w_pl_reg;
reg [1:0]       b_pl_reg;
reg [RP-1:0]    r_pl_reg;

// AWs taken without their W yet, in order
reg [ADDR_WIDTH-1:0] aq_addr [0:MAX_OUTSTANDING-1];
reg [PW:0]           aq_wp_reg, aq_rp_reg;
// Ws taken without their AW yet
reg [PW:0]           w_ahead_reg;
// complete writes awaiting B, in order
reg [ADDR_WIDTH-1:0] bq_addr [0:MAX_OUTSTANDING-1];
reg [PW:0]           bq_wp_reg, bq_rp_reg;
// reads awaiting R, in order
reg [ADDR_WIDTH-1:0] rq_addr [0:MAX_OUTSTANDING-1];
reg [PW:0]           rq_wp_reg, rq_rp_reg;

// requests awaiting a response (read by the Python watcher only)
/* verilator lint_off UNUSEDSIGNAL */
wire [31:0] pending_b = {{(31 - PW){1'b0}}, aq_wp_reg - aq_rp_reg} +
                        {{(31 - PW){1'b0}}, w_ahead_reg} +
                        {{(31 - PW){1'b0}}, bq_wp_reg - bq_rp_reg};
wire [31:0] pending_r = {{(31 - PW){1'b0}}, rq_wp_reg - rq_rp_reg};
/* verilator lint_on UNUSEDSIGNAL */

/* verilator lint_off BLKSEQ */
always @(posedge clk) begin : check
    reg aw_v, aw_r, aw_hx, aw_px, aw_hs;
    reg w_v,  w_r,  w_hx,  w_px,  w_hs;
    reg b_v,  b_r,  b_hx,  b_px,  b_hs;
    reg ar_v, ar_r, ar_hx, ar_px, ar_hs;
    reg r_v,  r_r,  r_hx,  r_px,  r_hs;
    reg [AXP-1:0] aw_pl, ar_pl;
    reg [WP-1:0]  w_pl;
    reg [1:0]     b_pl;
    reg [RP-1:0]  r_pl;
    reg [FW-1:0]  f;
    reg aq_empty, aq_full, bq_empty, bq_full, rq_empty, rq_full;
    reg aq_push, aq_pop, bq_push, bq_pop, rq_push, rq_pop, w_used;
    reg [ADDR_WIDTH-1:0] pair_addr;
    reg [PW:0] w_ahead;
    reg [63:0] ov_addr, w_addr, b_addr, r_addr, v_addr;
    reg [7:0] first;
    reg [31:0] n;
    integer i;

    if (rst) begin
        aw_wait_reg <= 1'b0;
        w_wait_reg <= 1'b0;
        b_wait_reg <= 1'b0;
        ar_wait_reg <= 1'b0;
        r_wait_reg <= 1'b0;
        aq_wp_reg <= {(PW + 1){1'b0}};
        aq_rp_reg <= {(PW + 1){1'b0}};
        w_ahead_reg <= {(PW + 1){1'b0}};
        bq_wp_reg <= {(PW + 1){1'b0}};
        bq_rp_reg <= {(PW + 1){1'b0}};
        rq_wp_reg <= {(PW + 1){1'b0}};
        rq_rp_reg <= {(PW + 1){1'b0}};
        violation <= 1'b0;
        violation_rule <= RULE_NONE;
        violation_addr <= 64'd0;
        violation_count <= 32'd0;
    end else begin
        f = {FW{1'b0}};

        // ---------------------------------------------------------------- handshakes
        aw_pl = {awaddr, awprot};
        aw_v = (awvalid === 1'b1);
        aw_r = (awready === 1'b1);
        aw_hx = ((^{awvalid, awready}) === 1'bx);
        aw_px = aw_v && ((^awaddr) === 1'bx);
        aw_hs = aw_v && aw_r && !aw_px;
        f[RULE_AXIL_AW_VALID_DROPPED] = aw_wait_reg && !aw_v && !aw_hx;
        f[RULE_AXIL_AW_CHANGED] = aw_wait_reg && aw_v && (aw_pl !== aw_pl_reg);
        f[RULE_AXIL_AW_X] = aw_hx || aw_px;

        w_pl = {wdata, wstrb};
        w_v = (wvalid === 1'b1);
        w_r = (wready === 1'b1);
        w_hx = ((^{wvalid, wready}) === 1'bx);
        w_px = w_v && ((^wstrb) === 1'bx);
        w_hs = w_v && w_r && !w_px;
        f[RULE_AXIL_W_VALID_DROPPED] = w_wait_reg && !w_v && !w_hx;
        f[RULE_AXIL_W_CHANGED] = w_wait_reg && w_v && (w_pl !== w_pl_reg);
        f[RULE_AXIL_W_X] = w_hx || w_px;

        b_pl = bresp;
        b_v = (bvalid === 1'b1);
        b_r = (bready === 1'b1);
        b_hx = ((^{bvalid, bready}) === 1'bx);
        b_px = b_v && ((^bresp) === 1'bx);
        b_hs = b_v && b_r && !b_px;
        f[RULE_AXIL_B_VALID_DROPPED] = b_wait_reg && !b_v && !b_hx;
        f[RULE_AXIL_B_CHANGED] = b_wait_reg && b_v && (b_pl !== b_pl_reg);
        f[RULE_AXIL_B_X] = b_hx || b_px;

        ar_pl = {araddr, arprot};
        ar_v = (arvalid === 1'b1);
        ar_r = (arready === 1'b1);
        ar_hx = ((^{arvalid, arready}) === 1'bx);
        ar_px = ar_v && ((^araddr) === 1'bx);
        ar_hs = ar_v && ar_r && !ar_px;
        f[RULE_AXIL_AR_VALID_DROPPED] = ar_wait_reg && !ar_v && !ar_hx;
        f[RULE_AXIL_AR_CHANGED] = ar_wait_reg && ar_v && (ar_pl !== ar_pl_reg);
        f[RULE_AXIL_AR_X] = ar_hx || ar_px;

        r_pl = {rdata, rresp};
        r_v = (rvalid === 1'b1);
        r_r = (rready === 1'b1);
        r_hx = ((^{rvalid, rready}) === 1'bx);
        r_px = r_v && ((^rresp) === 1'bx);
        r_hs = r_v && r_r && !r_px;
        f[RULE_AXIL_R_VALID_DROPPED] = r_wait_reg && !r_v && !r_hx;
        f[RULE_AXIL_R_CHANGED] = r_wait_reg && r_v && (r_pl !== r_pl_reg);
        f[RULE_AXIL_R_X] = r_hx || r_px;

        // ------------------------------------------------- writes: AW and W paired
        ov_addr = 64'd0;
        aq_empty = (aq_wp_reg == aq_rp_reg);
        aq_full = (aq_wp_reg == (aq_rp_reg ^ QFULL));
        bq_empty = (bq_wp_reg == bq_rp_reg);
        bq_full = (bq_wp_reg == (bq_rp_reg ^ QFULL));
        w_addr = aq_empty ? 64'd0 : clean_addr(aq_addr[aq_rp_reg[PW-1:0]]);
        b_addr = bq_empty ? 64'd0 : clean_addr(bq_addr[bq_rp_reg[PW-1:0]]);
        w_ahead = w_ahead_reg;
        aq_push = 1'b0;
        aq_pop = 1'b0;
        bq_push = 1'b0;
        pair_addr = awaddr;
        w_used = 1'b0;
        if (aw_hs) begin
            if (w_ahead != {(PW + 1){1'b0}}) begin
                // meets a W taken earlier
                bq_push = 1'b1;
                w_ahead = w_ahead - 1'b1;
            end else if (w_hs && aq_empty) begin
                // AW and W together
                bq_push = 1'b1;
                w_used = 1'b1;
            end else begin
                aq_push = 1'b1;
            end
        end
        if (w_hs && !w_used) begin
            if (!aq_empty) begin
                // meets the oldest AW waiting for its W
                aq_pop = 1'b1;
                bq_push = 1'b1;
                pair_addr = aq_addr[aq_rp_reg[PW-1:0]];
            end else if (w_ahead == QFULL) begin
                f[RULE_AXIL_TRACK_OVERFLOW] = 1'b1;
            end else begin
                w_ahead = w_ahead + 1'b1;
            end
        end
        if (aq_push && aq_full && !aq_pop) begin
            f[RULE_AXIL_TRACK_OVERFLOW] = 1'b1;
            ov_addr = clean_addr(awaddr);
            aq_push = 1'b0;
        end

        // --------------------------------------------------------------- B responses
        bq_pop = 1'b0;
        if (b_hs) begin
            if (bq_empty)
                f[RULE_AXIL_B_UNEXPECTED] = 1'b1;
            else
                bq_pop = 1'b1;
        end
        if (bq_push && bq_full && !bq_pop) begin
            f[RULE_AXIL_TRACK_OVERFLOW] = 1'b1;
            ov_addr = clean_addr(pair_addr);
            bq_push = 1'b0;
        end

        // --------------------------------------------------------------------- reads
        rq_empty = (rq_wp_reg == rq_rp_reg);
        rq_full = (rq_wp_reg == (rq_rp_reg ^ QFULL));
        r_addr = rq_empty ? 64'd0 : clean_addr(rq_addr[rq_rp_reg[PW-1:0]]);
        rq_pop = 1'b0;
        if (r_hs) begin
            if (rq_empty)
                f[RULE_AXIL_R_UNEXPECTED] = 1'b1;
            else
                rq_pop = 1'b1;
        end
        rq_push = ar_hs;
        if (rq_push && rq_full && !rq_pop) begin
            f[RULE_AXIL_TRACK_OVERFLOW] = 1'b1;
            ov_addr = clean_addr(araddr);
            rq_push = 1'b0;
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
        w_ahead_reg <= w_ahead;
        if (aq_push) begin
            aq_addr[aq_wp_reg[PW-1:0]] <= awaddr;
            aq_wp_reg <= aq_wp_reg + 1'b1;
        end
        if (aq_pop)
            aq_rp_reg <= aq_rp_reg + 1'b1;
        if (bq_push) begin
            bq_addr[bq_wp_reg[PW-1:0]] <= pair_addr;
            bq_wp_reg <= bq_wp_reg + 1'b1;
        end
        if (bq_pop)
            bq_rp_reg <= bq_rp_reg + 1'b1;
        if (rq_push) begin
            rq_addr[rq_wp_reg[PW-1:0]] <= araddr;
            rq_wp_reg <= rq_wp_reg + 1'b1;
        end
        if (rq_pop)
            rq_rp_reg <= rq_rp_reg + 1'b1;

        // -------------------------------------------------------------------- report
        first = RULE_NONE;
        n = 32'd0;
        for (i = NRULE - 1; i >= 0; i = i - 1) begin
            if (f[FIRST + i[7:0]]) begin
                first = FIRST + i[7:0];
                n = n + 32'd1;
            end
        end
        case (first)
            RULE_AXIL_AW_VALID_DROPPED, RULE_AXIL_AW_CHANGED:
                v_addr = clean_addr(aw_pl_reg[AXP-1 -: ADDR_WIDTH]);
            RULE_AXIL_AW_X:
                v_addr = clean_addr(awaddr);
            RULE_AXIL_AR_VALID_DROPPED, RULE_AXIL_AR_CHANGED:
                v_addr = clean_addr(ar_pl_reg[AXP-1 -: ADDR_WIDTH]);
            RULE_AXIL_AR_X:
                v_addr = clean_addr(araddr);
            RULE_AXIL_W_VALID_DROPPED, RULE_AXIL_W_CHANGED, RULE_AXIL_W_X:
                v_addr = w_addr;
            RULE_AXIL_B_VALID_DROPPED, RULE_AXIL_B_CHANGED, RULE_AXIL_B_X, RULE_AXIL_B_UNEXPECTED:
                v_addr = b_addr;
            RULE_AXIL_R_VALID_DROPPED, RULE_AXIL_R_CHANGED, RULE_AXIL_R_X, RULE_AXIL_R_UNEXPECTED:
                v_addr = r_addr;
            default:
                v_addr = ov_addr;
        endcase
        if (n != 32'd0) begin
            violation_count <= violation_count + n;
            if (!violation) begin
                violation <= 1'b1;
                violation_rule <= first;
                violation_addr <= v_addr;
            end
        end
    end
end
/* verilator lint_on BLKSEQ */

endmodule

`resetall
