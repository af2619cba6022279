`resetall
`timescale 1ns / 1ps
`default_nettype none

// tb_watchdog -- a no-progress cycle counter: a hung simulation fails in seconds,
// not at a simulated-time deadline minutes of wall time away.
//
// Passive. `progress` is high in a cycle where something moved (tb_top: any
// AXI4 handshake, an AXI-Stream beat on either port, an AXI-Lite write, i.e. a
// register changed); `idle_cycles` counts the cycles since the last one
// (saturating). `stalled` rises at the clock edge where `idle_cycles` reaches
// `limit` and falls with the next progress; `limit` = 0 turns the watchdog off
// (and restarts the count: a deliberate quiet stretch is not held against it).
// Python watches `stalled` (a notifier source of tb_top, tb/phase.py) and
// fails the test with the state of the engine (tb/watchdog.py): this module
// costs no Python per cycle.
module tb_watchdog (
    input  wire        clk,
    input  wire        rst,
    // cycles without progress that are a stall; 0 = off (written by Python)
    input  wire [31:0] limit,
    // something moved this cycle
    input  wire        progress,
    // cycles since the last progress (saturates at 2**32 - 1)
    output reg  [31:0] idle_cycles,
    // no progress for `limit` cycles
    output reg         stalled
);

localparam [31:0] IDLE_MAX = 32'hFFFF_FFFF;

always @(posedge clk) begin
    if (rst || progress || limit == 32'd0) begin
        idle_cycles <= 32'd0;
        stalled <= 1'b0;
    end else begin
        if (idle_cycles != IDLE_MAX) begin
            idle_cycles <= idle_cycles + 32'd1;
        end
        // idle_cycles + 1 cycles without progress at the end of this cycle
        stalled <= limit != 32'd0 && idle_cycles + 32'd1 >= limit;
    end
end

endmodule

`resetall
