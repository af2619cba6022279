`resetall
`timescale 1ns / 1ps
`default_nettype none

// tb_py_notify -- Python's one wake-up per clock cycle (tb/phase.py).
//
// The test bench's Python reacts to hand-off signals (burst counters, response
// words, interrupt and violation flags) that the HDL changes at rising edges.
// Instead of one Python callback per changed signal, each at a point of the time
// step that differs between simulators, this module looks at all of them at the
// falling edge: when any source differs from what it held at the previous
// falling edge (or Python set `want`), it records which ones in `changed` (bit k
// for source k) and bumps `notify`. Python wakes once on `notify`, with every
// rising-edge update settled, and runs the sources' services in source order.
module tb_py_notify #(
    // number of sources (bit k of `changed` is source k)
    parameter SOURCES = 10,
    // bits per source in `src` (narrower sources zero-extended by the instantiator)
    parameter WIDTH = 65
) (
    input  wire                       clk,
    // source k at bits [k*WIDTH +: WIDTH]
    input  wire [SOURCES*WIDTH-1:0]   src,
    // written by Python: wake me at the next falling edge even if nothing changed
    input  wire                       want,
    // changes at a falling edge where some source changed or `want` was set
    output reg  [31:0]                notify,
    // the sources that changed since the previous falling edge with a notify
    output reg  [SOURCES-1:0]         changed
);

initial begin
    if (SOURCES < 1 || SOURCES > 32) begin
        $fatal(1, "tb_py_notify: SOURCES must be 1..32, not %0d (instance %m)", SOURCES);
    end
end

// the sources as they were at the last notify
reg [SOURCES*WIDTH-1:0] snap;
// per-source difference, continuous: re-evaluated only when a source or snap moves
wire [SOURCES-1:0] diff;

genvar k;
generate
    for (k = 0; k < SOURCES; k = k + 1) begin : g_diff
        assign diff[k] = src[k*WIDTH +: WIDTH] != snap[k*WIDTH +: WIDTH];
    end
endgenerate

initial begin
    notify = 32'd0;
    changed = {SOURCES{1'b0}};
    snap = {(SOURCES*WIDTH){1'b0}};
end

always @(negedge clk) begin
    if (diff != {SOURCES{1'b0}} || want) begin
        snap <= src;
        changed <= diff;
        notify <= notify + 32'd1;
    end
end

endmodule

`resetall
