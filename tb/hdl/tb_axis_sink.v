`resetall
`timescale 1ns / 1ps
`default_nettype none

// tb_axis_sink -- AXI-Stream sink that hands Python one packet (or chunk) at a time.
//
// Beats are collected into chunk slot n % NBUF: chk_seg[(n % NBUF)*NSEG + s] =
// {tkeep of each beat, tdata of each beat} (SEG_BEATS beats per word, beat 0
// lowest). A chunk ends at TLAST or when its buffer is full; then
// chk_info[n % NBUF] = {time_ns of its last beat[63:0], time_ns of its first
// beat[63:0], tuser of the last beat, tlast, beats[15:0]} and the chunk count
// goes up. `count` lags the chunk count by one cycle (an entry
// below it is complete); Python reads the chunk and writes `acked` = n + 1 to
// free the slot. TREADY is low while every slot is full, and each cycle with
// probability cfg_pause/256 (seeded LCG; +STREAM_PAUSE=, +BP_SEED= set
// the defaults).
module tb_axis_sink #(
    // AXI-Stream data width in bits
    parameter DATA_WIDTH = 64,
    // bytes per chunk buffer, a multiple of SEG_BEATS beats
    parameter BUF_BYTES = 16384,
    // chunk buffers, power of two >= 2
    parameter NBUF = 4,
    // beats per word of chk_seg, power of two dividing the beats of a buffer
    parameter SEG_BEATS = (2048 / DATA_WIDTH),
    // mixed into the seed so that two streams on one seed differ
    parameter SEED_SALT = 32'h0000_0002
) (
    input  wire                    clk,
    input  wire                    rst,

    input  wire [DATA_WIDTH-1:0]   s_axis_tdata,
    input  wire [DATA_WIDTH/8-1:0] s_axis_tkeep,
    input  wire                    s_axis_tlast,
    input  wire                    s_axis_tvalid,
    output wire                    s_axis_tready,
    input  wire                    s_axis_tuser
);

// bytes per beat
localparam BYTES = DATA_WIDTH / 8;
// beats per buffer
localparam BUF_BEATS = BUF_BYTES / BYTES;
// the last beat index of a chunk, sized for `beat`
localparam [15:0] LAST_BEAT = BUF_BEATS[15:0] - 16'd1;
// chk_seg words per buffer
localparam NSEG = BUF_BEATS / SEG_BEATS;
// data bits of a chk_seg word (tkeep sits above them)
localparam SEG_DATA_BITS = SEG_BEATS * DATA_WIDTH;
// log2(SEG_BEATS)
localparam SEG_SHIFT = $clog2(SEG_BEATS);
// slot index bits
localparam PTR_BITS = $clog2(NBUF);

initial begin
    if (BUF_BYTES % (BYTES * SEG_BEATS) != 0) begin
        $fatal(1, "tb_axis_sink: BUF_BYTES must be a multiple of SEG_BEATS beats, not %0d (instance %m)",
            BUF_BYTES);
    end
    if (NBUF < 2 || (NBUF & (NBUF - 1)) != 0) begin
        $fatal(1, "tb_axis_sink: NBUF must be a power of two >= 2, not %0d (instance %m)", NBUF);
    end
end

// read by Python
reg [SEG_DATA_BITS+SEG_BEATS*BYTES-1:0] chk_seg [0:NBUF*NSEG-1];
reg [145:0] chk_info [0:NBUF-1];
reg [31:0] count;
// written by Python
reg [31:0] acked /* verilator public_flat_rw */;
reg [31:0] cfg_pause /* verilator public_flat_rw */;
reg [31:0] cfg_seed /* verilator public_flat_rw */;

reg [31:0] chk_cnt;   // chunks complete
reg [15:0] beat;      // beat index in the chunk being filled
reg [63:0] t_first;   // when the chunk's first beat was taken

// pause generator: a 64-bit LCG (MMIX constants) stepped only while TVALID is high
localparam [63:0] LCG_A = 64'd6364136223846793005;
localparam [63:0] LCG_C = 64'd1442695040888963407;
reg [63:0] rnd;
// the seed last applied: a new cfg_seed (from Python) restarts the generator at
// the next clock edge (synchronous, so every simulator agrees on the cycle)
reg [31:0] seed_q;
wire pause = {24'd0, rnd[63:56]} < cfg_pause;


// something to take or report (Icarus charges per statement: idle, do nothing)
wire busy = rst || s_axis_tvalid || count != chk_cnt;

assign s_axis_tready = !rst && (chk_cnt - acked) < NBUF && !pause;

wire [PTR_BITS-1:0] slot = chk_cnt[PTR_BITS-1:0];
wire [31:0] word = slot * NSEG + ({16'd0, beat} >> SEG_SHIFT);
wire [31:0] lane = {16'd0, beat} & (SEG_BEATS - 1);

initial begin
    count = 32'd0;
    acked = 32'd0;
    chk_cnt = 32'd0;
    beat = 16'd0;
    cfg_pause = 32'd0;
    cfg_seed = 32'd1;
    if ($value$plusargs("STREAM_PAUSE=%d", cfg_pause)) begin end
    if ($value$plusargs("BP_SEED=%d", cfg_seed)) begin end
    rnd = {cfg_seed ^ SEED_SALT, cfg_seed ^ 32'h3C6E_F372};
    seed_q = cfg_seed;
end

always @(posedge clk) begin
    if (cfg_seed != seed_q) begin
        seed_q <= cfg_seed;
        rnd <= {cfg_seed ^ SEED_SALT, cfg_seed ^ 32'h3C6E_F372};
    end else if (busy && cfg_pause != 32'd0 && s_axis_tvalid) begin
        rnd <= rnd * LCG_A + LCG_C;
    end
    if (busy) begin
        if (s_axis_tvalid && s_axis_tready) begin
            chk_seg[word][lane * DATA_WIDTH +: DATA_WIDTH] <= s_axis_tdata;
            chk_seg[word][SEG_DATA_BITS + lane * BYTES +: BYTES] <= s_axis_tkeep;
            if (beat == 16'd0) begin
                t_first <= $time;
            end
            if (s_axis_tlast || beat == LAST_BEAT) begin
                chk_info[slot] <= {$time, beat == 16'd0 ? $time : t_first, s_axis_tuser,
                                   s_axis_tlast, beat + 16'd1};
                chk_cnt <= chk_cnt + 32'd1;
                beat <= 16'd0;
            end else begin
                beat <= beat + 16'd1;
            end
        end
        count <= chk_cnt;
        if (rst) begin
            // a chunk cut by the reset is dropped
            beat <= 16'd0;
        end
    end
end

endmodule

`resetall
