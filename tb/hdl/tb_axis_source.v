`resetall
`timescale 1ns / 1ps
`default_nettype none

// tb_axis_source -- AXI-Stream source fed by Python one packet (or load) at a time.
//
// Python writes a load into slot n % NBUF: its bytes into
// buf_seg[(n % NBUF)*NSEG + s] (byte i of the load at bits 8*i of the buffer,
// SEG_BEATS beats per word), then buf_ctl[n % NBUF] = {hole_byte[14:0], hole,
// tuser, last, length[23:0]}, then `loaded` = n + 1. The transactor streams
// loads in order, beat after beat, and bumps `consumed` when a load's final beat
// has left the buffer (the slot is free again). A packet longer than a buffer is
// several loads; only the final one has `last` (TLAST) set, and every load but
// the final one holds a whole number of beats. `tuser` is driven with TLAST (on
// the packet's last beat). `hole` makes a malformed packet on purpose: TKEEP
// of byte `hole_byte` of the load is 0 (a test of how the receiver treats a
// hole in TKEEP). With loads queued the packets follow each other without a
// bubble. Each cycle TVALID
// drops with probability cfg_pause/256 (seeded LCG; +STREAM_PAUSE=,
// +BP_SEED= set the defaults).
module tb_axis_source #(
    // AXI-Stream data width in bits
    parameter DATA_WIDTH = 64,
    // bytes per load (per buffer), a multiple of the beat
    parameter BUF_BYTES = 16384,
    // load buffers, power of two >= 2 (2 = double buffering)
    parameter NBUF = 2,
    // beats per word of buf_seg, power of two dividing the beats of a buffer
    parameter SEG_BEATS = (2048 / DATA_WIDTH),
    // mixed into the seed so that two streams on one seed differ
    parameter SEED_SALT = 32'h0000_0001
) (
    input  wire                    clk,
    input  wire                    rst,

    output reg  [DATA_WIDTH-1:0]   m_axis_tdata,
    output reg  [DATA_WIDTH/8-1:0] m_axis_tkeep,
    output reg                     m_axis_tlast,
    output reg                     m_axis_tvalid,
    input  wire                    m_axis_tready,
    output reg                     m_axis_tuser
);

// bytes per beat
localparam BYTES = DATA_WIDTH / 8;
// beats per buffer
localparam BUF_BEATS = BUF_BYTES / BYTES;
// buf_seg words per buffer
localparam NSEG = BUF_BEATS / SEG_BEATS;
// log2(SEG_BEATS)
localparam SEG_SHIFT = $clog2(SEG_BEATS);
// log2(BYTES)
localparam BYTE_SHIFT = $clog2(BYTES);
// slot index bits
localparam PTR_BITS = $clog2(NBUF);
// a whole beat's byte count, sized for `tail`
localparam [BYTE_SHIFT:0] BYTES_W = BYTES[BYTE_SHIFT:0];

initial begin
    if (BUF_BYTES % (BYTES * SEG_BEATS) != 0) begin
        $fatal(1, "tb_axis_source: BUF_BYTES must be a multiple of SEG_BEATS beats, not %0d (instance %m)",
            BUF_BYTES);
    end
    if (NBUF < 2 || (NBUF & (NBUF - 1)) != 0) begin
        $fatal(1, "tb_axis_source: NBUF must be a power of two >= 2, not %0d (instance %m)", NBUF);
    end
end

// written by Python
reg [SEG_BEATS*DATA_WIDTH-1:0] buf_seg [0:NBUF*NSEG-1] /* verilator public_flat_rw */;
reg [41:0] buf_ctl [0:NBUF-1] /* verilator public_flat_rw */;
reg [31:0] loaded /* verilator public_flat_rw */;
reg [31:0] cfg_pause /* verilator public_flat_rw */;
reg [31:0] cfg_seed /* verilator public_flat_rw */;
// read by Python
reg [31:0] consumed;

// the beat going into the output register next
reg [15:0] beat;

// pause generator: a 64-bit LCG (MMIX constants) stepped only while streaming
localparam [63:0] LCG_A = 64'd6364136223846793005;
localparam [63:0] LCG_C = 64'd1442695040888963407;
reg [63:0] rnd;
// the seed last applied: a new cfg_seed (from Python) restarts the generator at
// the next clock edge (synchronous, so every simulator agrees on the cycle)
reg [31:0] seed_q;
wire pause = {24'd0, rnd[63:56]} < cfg_pause;


wire [PTR_BITS-1:0] slot = consumed[PTR_BITS-1:0];
wire [41:0] ctl = buf_ctl[slot];
wire [23:0] len = ctl[23:0];
// the byte of the load whose TKEEP bit is 0 when ctl[26] (hole) is set
wire [15:0] hole_byte = {1'b0, ctl[41:27]};
// beats of the load, minus one
wire [23:0] last_beat = (len - 24'd1) >> BYTE_SHIFT;
// valid bytes of the final beat
wire [BYTE_SHIFT:0] tail = len[BYTE_SHIFT-1:0] == 0 ? BYTES_W : {1'b0, len[BYTE_SHIFT-1:0]};
wire final_beat = {8'd0, beat} == last_beat;
// something to stream (Icarus charges per statement: idle, do nothing)
wire busy = rst || m_axis_tvalid || loaded != consumed;
wire [31:0] word = slot * NSEG + ({16'd0, beat} >> SEG_SHIFT);
wire [31:0] lane = {16'd0, beat} & (SEG_BEATS - 1);

initial begin
    loaded = 32'd0;
    consumed = 32'd0;
    beat = 16'd0;
    cfg_pause = 32'd0;
    cfg_seed = 32'd1;
    if ($value$plusargs("STREAM_PAUSE=%d", cfg_pause)) begin end
    if ($value$plusargs("BP_SEED=%d", cfg_seed)) begin end
    rnd = {cfg_seed ^ SEED_SALT, cfg_seed ^ 32'h6A09_E667};
    seed_q = cfg_seed;
    m_axis_tvalid = 1'b0;
end

always @(posedge clk) begin
    if (cfg_seed != seed_q) begin
        seed_q <= cfg_seed;
        rnd <= {cfg_seed ^ SEED_SALT, cfg_seed ^ 32'h6A09_E667};
    end else if (busy && cfg_pause != 32'd0) begin
        rnd <= rnd * LCG_A + LCG_C;
    end
    if (busy) begin
        if (!m_axis_tvalid || m_axis_tready) begin
            if (loaded != consumed && !pause) begin
                m_axis_tvalid <= 1'b1;
                m_axis_tdata <= buf_seg[word][lane * DATA_WIDTH +: DATA_WIDTH];
                m_axis_tkeep <= final_beat ? ~({BYTES{1'b1}} << tail) : {BYTES{1'b1}};
                if (ctl[26] && beat == hole_byte >> BYTE_SHIFT) begin
                    m_axis_tkeep[hole_byte[BYTE_SHIFT-1:0]] <= 1'b0;
                end
                m_axis_tlast <= final_beat && ctl[24];
                m_axis_tuser <= final_beat && ctl[24] && ctl[25];
                if (final_beat) begin
                    beat <= 16'd0;
                    consumed <= consumed + 32'd1;
                end else begin
                    beat <= beat + 16'd1;
                end
            end else begin
                m_axis_tvalid <= 1'b0;
            end
        end
        if (rst) begin
            // queued loads are dropped
            m_axis_tvalid <= 1'b0;
            consumed <= loaded;
            beat <= 16'd0;
        end
    end
end

endmodule

`resetall
