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
// Implementation: one clocked block with blocking updates of its own state and a few
// statements per beat (Icarus charges about 0.1 us per statement; see tb_axi4_checker.v).
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
// every byte lane
localparam [KEEP_WIDTH-1:0] ALL_LANES = {KEEP_WIDTH{1'b1}};
// no rule broken yet this cycle (above every code)
localparam [7:0] NO_HIT = 8'hFF;

initial begin
    if (DATA_WIDTH < 8 || DATA_WIDTH > 1024 || KEEP_WIDTH * 8 != DATA_WIDTH)
        $fatal(1, "DATA_WIDTH must be a multiple of 8, 8..1024, not %0d (instance %m)",
               DATA_WIDTH);
end

// previous cycle: TVALID && !TREADY, and the payload then
reg          wait_reg;
reg [PL-1:0] pl_reg;
// packets completed, beats of the packet in progress
reg [31:0]   packet_count, beat_count;
// violations of this cycle: how many, and the lowest code
reg [31:0]   hit_count;
reg [7:0]    hit_rule;

// X when TVALID or TREADY is X or Z (a net: re-evaluated only when one of them changes)
wire handshake_x = ^{tvalid, tready};

/* verilator lint_off BLKSEQ */
// note a broken rule
task hit;
    input [7:0] code;
    begin
        hit_count = hit_count + 32'd1;
        if (code < hit_rule)
            hit_rule = code;
    end
endtask

// a beat first presented: X on control, TKEEP, TUSER
task check_beat;
    begin
        if ((^{tkeep, tlast}) === 1'bx || (tlast === 1'b1 && tuser !== 1'b0 && tuser !== 1'b1)) begin
            hit(RULE_AXIS_X);
        end else if (tlast) begin
            if (tkeep == {KEEP_WIDTH{1'b0}})
                hit(RULE_AXIS_TKEEP_ZERO);
            else if ((({1'b0, tkeep} + 1'b1) & {1'b0, tkeep}) != {(KEEP_WIDTH + 1){1'b0}})
                // contiguous from lane 0: TKEEP + 1 is a power of two
                hit(RULE_AXIS_TKEEP_UNPACKED);
        end else begin
            if (tkeep != ALL_LANES) begin
                if (tkeep == {KEEP_WIDTH{1'b0}})
                    hit(RULE_AXIS_TKEEP_ZERO);
                else
                    hit(RULE_AXIS_TKEEP_SPARSE);
            end
            if (tuser === 1'b1)
                hit(RULE_AXIS_TUSER_NOT_LAST);
        end
    end
endtask

always @(posedge clk) begin
    if (rst) begin
        wait_reg = 1'b0;
        packet_count = 32'd0;
        beat_count = 32'd0;
        hit_count = 32'd0;
        hit_rule = NO_HIT;
        violation <= 1'b0;
        violation_rule <= RULE_NONE;
        violation_packet <= 32'd0;
        violation_beat <= 32'd0;
        violation_count <= 32'd0;
    end else begin
        if (handshake_x === 1'bx) begin
            // X or Z on TVALID or TREADY: the beat counts as not waiting
            hit(RULE_AXIS_X);
            wait_reg = 1'b0;
        end
        if (tvalid === 1'b1) begin
            if (tready === 1'b1) begin
                if (wait_reg) begin
                    if ({tdata, tkeep, tlast, tuser} !== pl_reg)
                        hit(RULE_AXIS_CHANGED);
                    wait_reg = 1'b0;
                end else begin
                    check_beat;
                end
            end else if (wait_reg) begin
                if ({tdata, tkeep, tlast, tuser} !== pl_reg) begin
                    hit(RULE_AXIS_CHANGED);
                    pl_reg = {tdata, tkeep, tlast, tuser};
                end
            end else begin
                check_beat;
                pl_reg = {tdata, tkeep, tlast, tuser};
                wait_reg = (tready === 1'b0);
            end
        end else if (wait_reg) begin
            hit(RULE_AXIS_VALID_DROPPED);
            wait_reg = 1'b0;
        end

        if (hit_count != 32'd0) begin
            violation_count <= violation_count + hit_count;
            if (!violation) begin
                violation <= 1'b1;
                violation_rule <= hit_rule;
                violation_packet <= packet_count;
                violation_beat <= beat_count;
            end
            hit_count = 32'd0;
            hit_rule = NO_HIT;
        end

        // position of the next beat
        if (tvalid === 1'b1 && tready === 1'b1) begin
            if (tlast === 1'b1) begin
                packet_count = packet_count + 32'd1;
                beat_count = 32'd0;
            end else begin
                beat_count = beat_count + 32'd1;
            end
        end
    end
end
/* verilator lint_on BLKSEQ */

endmodule

`resetall
