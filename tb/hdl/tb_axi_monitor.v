`resetall
`timescale 1ns / 1ps
`default_nettype none

// tb_axi_monitor -- passive recorder of an AXI4 bus for the Python test bench.
//
// Records every AR handshake and every complete write burst (its AW and all of
// its W beats; W beats may come before their AW: the n-th W burst is paired
// with the n-th AW) in two rings that Python reads by hierarchical name, so
// Python wakes once per burst, never per beat:
//
//   ar_info[i], aw_info[i]  {in_flight[7:0], burst[1:0], size[2:0], time_ns[63:0],
//                            id[15:0], len[7:0], addr[63:0]}  (INFO_BITS)
//                           in_flight (AR only; 0 in aw_info): read bursts of this ID
//                           in flight at the handshake, this one included, and so is
//                           one whose RLAST is taken at the same edge (modulo 256)
//   w_info[i]               {time_ns[63:0] of the WLAST beat, beats[15:0]}
//   w_seg[i*NSEG + s]       beats s*SEG_BEATS .. +SEG_BEATS-1 of write burst i:
//                           {wstrb of each beat, wdata of each beat} (beat 0 lowest)
//
// Event n (counted from 0) lives in entry n % DEPTH. `counts` = {overrun,
// write bursts, read bursts recorded} (both counts 32-bit free running) in ONE
// register so a reader woken by its change sees them consistently; `overrun`
// sticks once W bursts ran DEPTH ahead of their AWs (or AWs ahead of W). It lags the handshakes by
// NOTIFY_DELAY cycles: every entry below it was written at least one edge
// before it changed, so a reader woken by `counts` never sees a half-written
// entry. The ring is not flow controlled: the reader must keep within DEPTH
// events (Python reads in the time step `counts` changes and checks for
// overrun).
module tb_axi_monitor #(
    // AXI4 data width in bits
    parameter DATA_WIDTH = 64,
    // AXI4 ID width, at most 16
    parameter ID_WIDTH = 4,
    // longest burst in beats (the engine's MAX_BURST_LEN); longer W bursts are cut
    parameter MAX_BURST_LEN = 64,
    // entries per ring, power of two >= 2
    parameter DEPTH = 16,
    // beats per word of w_seg, power of two <= MAX_BURST_LEN; a reader reads
    // only the words a burst covers
    parameter SEG_BEATS = (2048 / DATA_WIDTH < MAX_BURST_LEN) ? 2048 / DATA_WIDTH : MAX_BURST_LEN,
    // cycles from a handshake to its count in `counts`, 1 or 2
    parameter NOTIFY_DELAY = 1
) (
    input  wire                    clk,
    input  wire                    rst,

    input  wire [ID_WIDTH-1:0]     arid,
    input  wire [63:0]             araddr,
    input  wire [7:0]              arlen,
    input  wire [2:0]              arsize,
    input  wire [1:0]              arburst,
    input  wire                    arvalid,
    input  wire                    arready,

    // R: only the end of each read burst (RLAST taken) is counted, per ID
    input  wire [ID_WIDTH-1:0]     rid,
    input  wire                    rlast,
    input  wire                    rvalid,
    input  wire                    rready,

    input  wire [ID_WIDTH-1:0]     awid,
    input  wire [63:0]             awaddr,
    input  wire [7:0]              awlen,
    input  wire [2:0]              awsize,
    input  wire [1:0]              awburst,
    input  wire                    awvalid,
    input  wire                    awready,

    input  wire [DATA_WIDTH-1:0]   wdata,
    input  wire [DATA_WIDTH/8-1:0] wstrb,
    input  wire                    wlast,
    input  wire                    wvalid,
    input  wire                    wready,

    // {overrun, write bursts recorded, read bursts recorded}, NOTIFY_DELAY cycles late
    output wire [64:0]             counts
);

// bytes per beat
localparam BYTES = DATA_WIDTH / 8;
// w_seg words per burst
localparam NSEG = MAX_BURST_LEN / SEG_BEATS;
// data bits of a w_seg word (the strobes sit above them)
localparam SEG_DATA_BITS = SEG_BEATS * DATA_WIDTH;
// width of a w_seg word
localparam SEG_BITS = SEG_DATA_BITS + SEG_BEATS * BYTES;
// log2(SEG_BEATS)
localparam SEG_SHIFT = $clog2(SEG_BEATS);
// ring index bits
localparam PTR_BITS = $clog2(DEPTH);
// beat index within a w_seg word
localparam [15:0] SEG_MASK = SEG_BEATS[15:0] - 16'd1;
// width of an ar_info / aw_info entry
localparam INFO_BITS = 8 + 2 + 3 + 64 + 16 + 8 + 64;
// IDs whose read bursts in flight are counted
localparam IDS = 1 << ID_WIDTH;

initial begin
    if (ID_WIDTH < 1 || ID_WIDTH > 16) begin
        $fatal(1, "tb_axi_monitor: ID_WIDTH must be 1..16, not %0d (instance %m)", ID_WIDTH);
    end
    if (DEPTH < 2 || (DEPTH & (DEPTH - 1)) != 0) begin
        $fatal(1, "tb_axi_monitor: DEPTH must be a power of two >= 2, not %0d (instance %m)", DEPTH);
    end
    if (SEG_BEATS < 1 || SEG_BEATS > MAX_BURST_LEN || (SEG_BEATS & (SEG_BEATS - 1)) != 0) begin
        $fatal(1, "tb_axi_monitor: SEG_BEATS must be a power of two 1..MAX_BURST_LEN, not %0d (instance %m)",
            SEG_BEATS);
    end
    if (NOTIFY_DELAY != 1 && NOTIFY_DELAY != 2) begin
        $fatal(1, "tb_axi_monitor: NOTIFY_DELAY must be 1 or 2, not %0d (instance %m)", NOTIFY_DELAY);
    end
end

reg [INFO_BITS-1:0] ar_info [0:DEPTH-1];
reg [INFO_BITS-1:0] aw_info [0:DEPTH-1];
reg [79:0]          w_info  [0:DEPTH-1];
reg [SEG_BITS-1:0]  w_seg   [0:DEPTH*NSEG-1];

// handshakes so far: AR, AW, and W bursts ended by WLAST (never reset: the
// reader's indices must stay in step with them; a reset brings AW and W level)
reg [31:0] ar_cnt;
reg [31:0] aw_cnt;
reg [31:0] w_cnt;
// beat index inside the W burst being recorded
reg [15:0] w_beat;
// write bursts with both their AW and their last W beat: min(aw_cnt, w_cnt)
wire [31:0] wr_done = (aw_cnt - w_cnt) >= 32'h8000_0000 ? aw_cnt : w_cnt;
wire [31:0] wr_done_max = (aw_cnt - w_cnt) >= 32'h8000_0000 ? w_cnt : aw_cnt;

// read bursts in flight per ID: AR taken, RLAST not yet (modulo 256)
reg [7:0] rd_flight [0:IDS-1];
// the AR and the RLAST of one ID at one edge leave its count as it was
wire ar_take = arvalid && arready;
wire r_end = rvalid && rready && rlast;
wire same_id = arid == rid;
integer i;

// unpaired W data or AW info was overwritten (sticky)
reg overrun;
reg [64:0] counts_d1;
reg [64:0] counts_d2;
assign counts = NOTIFY_DELAY == 2 ? counts_d2 : counts_d1;

// IDs zero-extended to the 16 bits of an info entry
wire [15:0] arid16;
wire [15:0] awid16;
generate
if (ID_WIDTH < 16) begin : g_id_pad
    assign arid16 = {{(16 - ID_WIDTH){1'b0}}, arid};
    assign awid16 = {{(16 - ID_WIDTH){1'b0}}, awid};
end else begin : g_id_full
    assign arid16 = arid;
    assign awid16 = awid;
end
endgenerate
wire [PTR_BITS-1:0] ar_slot = ar_cnt[PTR_BITS-1:0];
wire [PTR_BITS-1:0] aw_slot = aw_cnt[PTR_BITS-1:0];
wire [PTR_BITS-1:0] w_slot = w_cnt[PTR_BITS-1:0];
wire [15:0] w_lane = w_beat & SEG_MASK;
wire [31:0] w_word = w_slot * NSEG + ({16'd0, w_beat} >> SEG_SHIFT);

initial begin
    ar_cnt = 32'd0;
    aw_cnt = 32'd0;
    w_cnt = 32'd0;
    w_beat = 16'd0;
    overrun = 1'b0;
    counts_d1 = 65'd0;
    counts_d2 = 65'd0;
    for (i = 0; i < IDS; i = i + 1) begin
        rd_flight[i] = 8'd0;
    end
end

always @(posedge clk) begin
    if (ar_take) begin
        ar_info[ar_slot] <= {rd_flight[arid] + 8'd1, arburst, arsize, $time, arid16, arlen, araddr};
        ar_cnt <= ar_cnt + 32'd1;
        if (!(r_end && same_id)) begin
            rd_flight[arid] <= rd_flight[arid] + 8'd1;
        end
    end
    if (r_end && !(ar_take && same_id)) begin
        rd_flight[rid] <= rd_flight[rid] - 8'd1;
    end
    if (awvalid && awready) begin
        aw_info[aw_slot] <= {8'd0, awburst, awsize, $time, awid16, awlen, awaddr};
        aw_cnt <= aw_cnt + 32'd1;
        if (aw_cnt - w_cnt >= DEPTH && aw_cnt - w_cnt < 32'h8000_0000) begin
            overrun <= 1'b1;
        end
    end
    if (wvalid && wready) begin
        if ({16'd0, w_beat} < MAX_BURST_LEN) begin
            w_seg[w_word][w_lane * DATA_WIDTH +: DATA_WIDTH] <= wdata;
            w_seg[w_word][SEG_DATA_BITS + w_lane * BYTES +: BYTES] <= wstrb;
        end
        if (wlast) begin
            if (w_cnt - aw_cnt >= DEPTH && w_cnt - aw_cnt < 32'h8000_0000) begin
                overrun <= 1'b1;
            end
            w_info[w_slot] <= {$time, w_beat + 16'd1};
            w_cnt <= w_cnt + 32'd1;
            w_beat <= 16'd0;
        end else begin
            w_beat <= w_beat + 16'd1;
        end
    end
    if (rst) begin
        // a burst cut by the reset is dropped; AW and W counts meet so the
        // next AW pairs with the next W burst
        w_beat <= 16'd0;
        aw_cnt <= wr_done_max;
        w_cnt <= wr_done_max;
        // every read in flight is dropped
        for (i = 0; i < IDS; i = i + 1) begin
            rd_flight[i] <= 8'd0;
        end
    end
    // (Icarus charges per statement executed: skip the copies when nothing moved)
    if (counts_d1 != {overrun, wr_done, ar_cnt}) begin
        counts_d1 <= {overrun, wr_done, ar_cnt};
    end
    if (NOTIFY_DELAY == 2 && counts_d2 != counts_d1) begin
        counts_d2 <= counts_d1;
    end
end

endmodule

`resetall
