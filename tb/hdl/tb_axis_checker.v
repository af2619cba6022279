`resetall
`timescale 1ns / 1ps
`default_nettype none

// tb_axis_checker -- passive AXI-Stream checker for a packed byte stream with a 1-bit
// error flag on the last beat (the engine's m_axis_tx_* and s_axis_rx_*; test bench only).
//
// Ports (every stream signal is an input):
//   clk, rst                      clock; synchronous active-high reset (clears everything)
//   tdata tkeep tlast tvalid tready tuser
//   violation        out  rises at the first violation after reset and stays high until rst
//   violation_rule   out  [7:0] code of that first violation (tb_checker_rules.vh, RULE_AXIS_*)
//   violation_packet out  [31:0] packets completed (TLAST taken) before the one concerned
//   violation_beat   out  [31:0] beats of that packet taken before the beat concerned
//   violation_count  out  [31:0] every violation seen since reset; several rules broken in
//                         one cycle count one each, and the lowest code is the one reported
//
// Timing: sampled at each rising edge of clk; `violation` rises at that same edge.
//
// Rules, checked every cycle while rst is low:
// * TVALID held until TREADY (RULE_AXIS_VALID_DROPPED); TDATA, TKEEP, TLAST, TUSER stable
//   while TVALID && !TREADY (RULE_AXIS_CHANGED); no X/Z on TVALID or TREADY, nor on
//   TKEEP, TLAST of a valid beat, nor on TUSER of a valid TLAST beat (RULE_AXIS_X).
// * Each beat, when first presented: TKEEP not all zero (TKEEP_ZERO); all ones before
//   TLAST (TKEEP_SPARSE); on the TLAST beat contiguous from lane 0 (TKEEP_UNPACKED);
//   TUSER (the packet error flag) only on the TLAST beat (TUSER_NOT_LAST).
//
// Implementation: one clocked block with blocking temporaries (see tb_axi4_checker.v).
module tb_axis_checker #(
    // stream data width in bits: a multiple of 8, 8..1024
    parameter DATA_WIDTH = 64
) (
    input  wire                    clk,
    input  wire                    rst,

    input  wire [DATA_WIDTH-1:0]   tdata,
    input  wire [DATA_WIDTH/8-1:0] tkeep,
    input  wire                    tlast,
    input  wire                    tvalid,
    input  wire                    tready,
    input  wire                    tuser,

    output reg                     violation,
    output reg  [7:0]              violation_rule,
    output reg  [31:0]             violation_packet,
    output reg  [31:0]             violation_beat,
    output reg  [31:0]             violation_count
);

/* verilator lint_off UNUSEDPARAM */
`include "tb_checker_rules.vh"
/* verilator lint_on UNUSEDPARAM */

// byte lanes per beat
localparam KEEP_WIDTH = DATA_WIDTH / 8;
// bits of a beat's payload
localparam PL = DATA_WIDTH + KEEP_WIDTH + 2;
// first AXI-Stream rule code, and how many codes the flag scan covers
localparam [7:0] FIRST = RULE_AXIS_VALID_DROPPED;
localparam NRULE = 32;
// flag vector, indexed by the 8-bit rule code itself
localparam FW = 256;

initial begin
    if (DATA_WIDTH < 8 || DATA_WIDTH > 1024 || KEEP_WIDTH * 8 != DATA_WIDTH)
        $fatal(1, "DATA_WIDTH must be a multiple of 8, 8..1024, not %0d (instance %m)",
               DATA_WIDTH);
end

// previous cycle: TVALID && !TREADY, and the payload then
reg          wait_reg;
reg [PL-1:0] pl_reg;
// packets completed, beats of the packet in progress
reg [31:0]   packet_reg, beat_reg;

/* verilator lint_off BLKSEQ */
always @(posedge clk) begin : check
    reg v, r, hx, px, hs, fresh;
    reg [PL-1:0] pl;
    reg [FW-1:0] f;
    reg [KEEP_WIDTH:0] keep_inc;
    reg [7:0] first;
    reg [31:0] n;
    integer i;

    if (rst) begin
        wait_reg <= 1'b0;
        packet_reg <= 32'd0;
        beat_reg <= 32'd0;
        violation <= 1'b0;
        violation_rule <= RULE_NONE;
        violation_packet <= 32'd0;
        violation_beat <= 32'd0;
        violation_count <= 32'd0;
    end else begin
        f = {FW{1'b0}};
        pl = {tdata, tkeep, tlast, tuser};
        v = (tvalid === 1'b1);
        r = (tready === 1'b1);
        hx = ((^{tvalid, tready}) === 1'bx);
        px = v && ((((^{tkeep, tlast}) === 1'bx)) || (tlast === 1'b1 && (tuser !== 1'b0 && tuser !== 1'b1)));
        hs = v && r && !px;
        fresh = v && !wait_reg && !px;
        f[RULE_AXIS_VALID_DROPPED] = wait_reg && !v && !hx;
        f[RULE_AXIS_CHANGED] = wait_reg && v && (pl !== pl_reg);
        f[RULE_AXIS_X] = hx || px;
        if (fresh) begin
            keep_inc = {1'b0, tkeep} + {{KEEP_WIDTH{1'b0}}, 1'b1};
            f[RULE_AXIS_TKEEP_ZERO] = (tkeep == {KEEP_WIDTH{1'b0}});
            f[RULE_AXIS_TKEEP_SPARSE] = !tlast && (tkeep != {KEEP_WIDTH{1'b1}});
            // contiguous from lane 0: tkeep + 1 is a power of two
            f[RULE_AXIS_TKEEP_UNPACKED] = tlast && ((keep_inc & {1'b0, tkeep}) != {(KEEP_WIDTH + 1){1'b0}});
            f[RULE_AXIS_TUSER_NOT_LAST] = !tlast && (tuser === 1'b1);
        end

        wait_reg <= v && !r && !hx;
        pl_reg <= pl;
        if (hs) begin
            if (tlast) begin
                packet_reg <= packet_reg + 32'd1;
                beat_reg <= 32'd0;
            end else begin
                beat_reg <= beat_reg + 32'd1;
            end
        end

        first = RULE_NONE;
        n = 32'd0;
        for (i = NRULE - 1; i >= 0; i = i - 1) begin
            if (f[FIRST + i[7:0]]) begin
                first = FIRST + i[7:0];
                n = n + 32'd1;
            end
        end
        if (n != 32'd0) begin
            violation_count <= violation_count + n;
            if (!violation) begin
                violation <= 1'b1;
                violation_rule <= first;
                violation_packet <= packet_reg;
                violation_beat <= beat_reg;
            end
        end
    end
end
/* verilator lint_on BLKSEQ */

endmodule

`resetall
