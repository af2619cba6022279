`resetall
`timescale 1ns / 1ps
`default_nettype none

// tb_phase_top -- the smallest bench on which tb/phase.py's rule is checked under
// every simulator (tests/test_sim_phase_rule.py): two hand-off counters that change at the
// same rising edge, in the order Verilog gives no guarantee about, and a value
// Python writes that the HDL must sample at the next rising edge.
module tb_phase_top #(
    // clock period in ns
    parameter CLK_PERIOD_NS = 4
) ();

reg clk;
initial clk = 1'b0;
always #(CLK_PERIOD_NS / 2.0) clk = ~clk;

// written by Python
reg        go /* verilator public_flat_rw */;
reg [31:0] py_word /* verilator public_flat_rw */;
// both count the rising edges at which `go` was high
reg [31:0] first;
reg [31:0] second;
// rising edges so far; the last py_word a rising edge sampled, and `edges` then
reg [31:0] edges;
reg [31:0] seen_word;
reg [31:0] seen_at;

initial begin
    go = 1'b0;
    py_word = 32'd0;
    first = 32'd0;
    second = 32'd0;
    seen_word = 32'd0;
    seen_at = 32'd0;
    edges = 32'd0;
end

always @(posedge clk) begin
    edges <= edges + 32'd1;
    if (py_word != seen_word) begin
        seen_word <= py_word;
        seen_at <= edges;
    end
    if (go) begin
        first <= first + 32'd1;
        second <= second + 32'd1;
    end
end

endmodule

`resetall
