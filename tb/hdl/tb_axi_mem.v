`resetall
`timescale 1ns / 1ps
`default_nettype none

// tb_axi_mem -- AXI4 memory slave whose contents live in Python (tb/bfm/fast.py).
//
// The cycle-level work (handshakes, latency, outstanding limits, random
// back-pressure, response ordering) is done here; Python is touched once per
// burst:
//   * Python learns of every AR and every complete write burst from the AXI
//     monitor on the same bus (tb_top's u_mon), in the order they were accepted;
//   * read burst n: Python writes its data and per-beat error bits into
//     rd_seg[(n % DEPTH)*NSEG + s] = {err[SEG_BEATS-1:0], data[SEG_BEATS*DATA_WIDTH-1:0]}
//     for the words the burst covers, then rd_filled = n + 1;
//   * write burst n: Python applies it to host memory, writes wr_resp[n % DEPTH]
//     (OKAY or SLVERR), then wr_acked = n + 1.
// Read data leaves in AR order, the first beat no earlier than cfg_rd_latency
// cycles after the AR handshake; B leaves in AW order cfg_wr_latency cycles
// after both the AW and the last W beat. At most cfg_rd_outstanding read and
// cfg_wr_outstanding write bursts are accepted and not yet answered (both
// capped at DEPTH). Each cycle every channel pauses (READY low on AR/AW/W,
// VALID low on R/B) with probability cfg_pause/256, from a seeded LCG.
//
// Run-time settings: parameters give the defaults, plusargs override them
// (+MEM_RD_LATENCY=, +MEM_WR_LATENCY=, +MEM_RD_OUTSTANDING=, +MEM_WR_OUTSTANDING=,
// +AXI_PAUSE= (0..256), +BP_SEED=), and Python may write the cfg_* registers.
// `rst` holds READY and VALID low and drops every burst in flight (the counters
// are not cleared but brought level, so Python, which re-reads them when it
// starts, stays in step with the ring slots).
module tb_axi_mem #(
    // AXI4 data width in bits
    parameter DATA_WIDTH = 64,
    // AXI4 ID width, at most 16
    parameter ID_WIDTH = 4,
    // longest burst in beats (the engine's MAX_BURST_LEN)
    parameter MAX_BURST_LEN = 64,
    // ring slots per direction: the most read (write) bursts in flight, power of two
    parameter DEPTH = 32,
    // beats per word of the data rings, power of two <= MAX_BURST_LEN
    parameter SEG_BEATS = (2048 / DATA_WIDTH < MAX_BURST_LEN) ? 2048 / DATA_WIDTH : MAX_BURST_LEN,
    // default cycles from AR to the first R beat
    parameter RD_LATENCY = 200,
    // default cycles from a complete write burst to its B
    parameter WR_LATENCY = 20,
    // default read bursts accepted and not yet answered
    parameter RD_OUTSTANDING = 16,
    // default write bursts accepted and not yet answered
    parameter WR_OUTSTANDING = 16
) (
    input  wire                    clk,
    input  wire                    rst,

    input  wire [ID_WIDTH-1:0]     s_axi_awid,
    input  wire [63:0]             s_axi_awaddr,
    input  wire [7:0]              s_axi_awlen,
    input  wire [2:0]              s_axi_awsize,
    input  wire [1:0]              s_axi_awburst,
    input  wire                    s_axi_awvalid,
    output wire                    s_axi_awready,
    input  wire [DATA_WIDTH-1:0]   s_axi_wdata,
    input  wire [DATA_WIDTH/8-1:0] s_axi_wstrb,
    input  wire                    s_axi_wlast,
    input  wire                    s_axi_wvalid,
    output wire                    s_axi_wready,
    output reg  [ID_WIDTH-1:0]     s_axi_bid,
    output reg  [1:0]              s_axi_bresp,
    output reg                     s_axi_bvalid,
    input  wire                    s_axi_bready,
    input  wire [ID_WIDTH-1:0]     s_axi_arid,
    input  wire [63:0]             s_axi_araddr,
    input  wire [7:0]              s_axi_arlen,
    input  wire [2:0]              s_axi_arsize,
    input  wire [1:0]              s_axi_arburst,
    input  wire                    s_axi_arvalid,
    output wire                    s_axi_arready,
    output reg  [ID_WIDTH-1:0]     s_axi_rid,
    output reg  [DATA_WIDTH-1:0]   s_axi_rdata,
    output reg  [1:0]              s_axi_rresp,
    output reg                     s_axi_rlast,
    output reg                     s_axi_rvalid,
    input  wire                    s_axi_rready
);

// bytes per beat
localparam BYTES = DATA_WIDTH / 8;
// rd_seg words per burst
localparam NSEG = MAX_BURST_LEN / SEG_BEATS;
// data bits of a rd_seg word (the error bits sit above them)
localparam SEG_DATA_BITS = SEG_BEATS * DATA_WIDTH;
// log2(SEG_BEATS)
localparam SEG_SHIFT = $clog2(SEG_BEATS);
// ring index bits
localparam PTR_BITS = $clog2(DEPTH);
// AXI responses
localparam [1:0] RESP_OKAY = 2'b00;
localparam [1:0] RESP_SLVERR = 2'b10;

initial begin
    if (DEPTH < 2 || (DEPTH & (DEPTH - 1)) != 0) begin
        $fatal(1, "tb_axi_mem: DEPTH must be a power of two >= 2, not %0d (instance %m)", DEPTH);
    end
end

// ---------------------------------------------------------------- settings
reg [31:0] cfg_rd_latency /* verilator public_flat_rw */;
reg [31:0] cfg_wr_latency /* verilator public_flat_rw */;
reg [31:0] cfg_rd_outstanding /* verilator public_flat_rw */;
reg [31:0] cfg_wr_outstanding /* verilator public_flat_rw */;
reg [31:0] cfg_pause /* verilator public_flat_rw */;
reg [31:0] cfg_seed /* verilator public_flat_rw */;
// pause generator state (see below)
reg [63:0] rnd;
// the seed last applied: a new cfg_seed (from Python) restarts the generator at
// the next clock edge (synchronous, so every simulator agrees on the cycle)
reg [31:0] seed_q;

// ---------------------------------------------------------- Python hand-off
reg [SEG_DATA_BITS+SEG_BEATS-1:0] rd_seg [0:DEPTH*NSEG-1] /* verilator public_flat_rw */;
reg [31:0] rd_filled /* verilator public_flat_rw */;
reg [1:0]  wr_resp [0:DEPTH-1] /* verilator public_flat_rw */;
reg [31:0] wr_acked /* verilator public_flat_rw */;

initial begin
    cfg_rd_latency = RD_LATENCY;
    cfg_wr_latency = WR_LATENCY;
    cfg_rd_outstanding = RD_OUTSTANDING;
    cfg_wr_outstanding = WR_OUTSTANDING;
    cfg_pause = 32'd0;
    cfg_seed = 32'd1;
    if ($value$plusargs("MEM_RD_LATENCY=%d", cfg_rd_latency)) begin end
    if ($value$plusargs("MEM_WR_LATENCY=%d", cfg_wr_latency)) begin end
    if ($value$plusargs("MEM_RD_OUTSTANDING=%d", cfg_rd_outstanding)) begin end
    if ($value$plusargs("MEM_WR_OUTSTANDING=%d", cfg_wr_outstanding)) begin end
    if ($value$plusargs("AXI_PAUSE=%d", cfg_pause)) begin end
    if ($value$plusargs("BP_SEED=%d", cfg_seed)) begin end
    rnd = {cfg_seed ^ 32'h9E37_79B9, cfg_seed ^ 32'h7F4A_7C15};
    seed_q = cfg_seed;
    rd_filled = 32'd0;
    wr_acked = 32'd0;
end

// ------------------------------------------------------------ random pauses
// A 64-bit LCG (MMIX constants), stepped only while some channel is busy; each
// channel compares its own byte of the top 40 bits with cfg_pause. (Icarus
// charges per statement executed: the idle transactor must do almost nothing.)
localparam [63:0] LCG_A = 64'd6364136223846793005;
localparam [63:0] LCG_C = 64'd1442695040888963407;

wire ar_pause = {24'd0, rnd[63:56]} < cfg_pause;
wire r_pause  = {24'd0, rnd[55:48]} < cfg_pause;
wire aw_pause = {24'd0, rnd[47:40]} < cfg_pause;
wire w_pause  = {24'd0, rnd[39:32]} < cfg_pause;
wire b_pause  = {24'd0, rnd[31:24]} < cfg_pause;


// free-running cycle count (latency deadlines compare against it, wrap-safe)
reg [31:0] cycle;

initial begin
    cycle = 32'd0;
end

// ------------------------------------------------------------------- reads
reg [31:0] ar_cnt;     // AR handshakes
reg [31:0] r_cnt;      // read bursts whose last beat was taken
reg [31:0] r_ld_cnt;   // burst whose next beat goes into the R register
reg [7:0]  r_ld_beat;  // that beat
reg [ID_WIDTH-1:0] ar_id_q  [0:DEPTH-1];
reg [7:0]          ar_len_q [0:DEPTH-1];
reg [31:0]         ar_due   [0:DEPTH-1];

wire [31:0] rd_limit = cfg_rd_outstanding > DEPTH ? DEPTH : cfg_rd_outstanding;
assign s_axi_arready = !rst && (ar_cnt - r_cnt) < rd_limit && !ar_pause;

wire [PTR_BITS-1:0] ar_slot = ar_cnt[PTR_BITS-1:0];
wire [PTR_BITS-1:0] r_slot = r_ld_cnt[PTR_BITS-1:0];
wire [31:0] r_word = r_slot * NSEG + ({24'd0, r_ld_beat} >> SEG_SHIFT);
wire [31:0] r_lane = {24'd0, r_ld_beat} & (SEG_BEATS - 1);
// the next beat may go out: its burst is due and Python has filled it
reg         r_go;

// ------------------------------------------------------------------ writes
reg [31:0] aw_cnt;     // AW handshakes
reg [31:0] w_cnt;      // W bursts ended by WLAST
reg [31:0] b_cnt;      // B handshakes
reg [31:0] b_ld_cnt;   // burst whose B goes into the B register next
reg [ID_WIDTH-1:0] aw_id_q [0:DEPTH-1];
reg [31:0]         aw_due  [0:DEPTH-1];
reg [31:0]         w_due   [0:DEPTH-1];

wire [31:0] wr_limit = cfg_wr_outstanding > DEPTH ? DEPTH : cfg_wr_outstanding;
assign s_axi_awready = !rst && (aw_cnt - b_cnt) < wr_limit && !aw_pause;
assign s_axi_wready = !rst && (w_cnt - b_cnt) < DEPTH && !w_pause;

wire [PTR_BITS-1:0] aw_slot = aw_cnt[PTR_BITS-1:0];
wire [PTR_BITS-1:0] w_slot = w_cnt[PTR_BITS-1:0];
wire [PTR_BITS-1:0] b_slot = b_ld_cnt[PTR_BITS-1:0];
// the next B may go out: AW and last W both due and Python has answered
reg b_go;

// something to do on some channel: step the pause generator, count cycles
wire busy = rst || s_axi_arvalid || s_axi_awvalid || s_axi_wvalid || s_axi_rvalid
    || s_axi_bvalid || r_ld_cnt != ar_cnt || b_ld_cnt != aw_cnt || b_ld_cnt != w_cnt;
// on reset every accepted burst counts as answered (AW and W counts meet at the larger)
wire [31:0] wr_meet = (aw_cnt - w_cnt) >= 32'h8000_0000 ? w_cnt : aw_cnt;

initial begin
    ar_cnt = 32'd0;
    r_cnt = 32'd0;
    r_ld_cnt = 32'd0;
    r_ld_beat = 8'd0;
    aw_cnt = 32'd0;
    w_cnt = 32'd0;
    b_cnt = 32'd0;
    b_ld_cnt = 32'd0;
    s_axi_rvalid = 1'b0;
    s_axi_bvalid = 1'b0;
end

always @(posedge clk) begin
    cycle <= cycle + 32'd1;
    if (cfg_seed != seed_q) begin
        seed_q <= cfg_seed;
        rnd <= {cfg_seed ^ 32'h9E37_79B9, cfg_seed ^ 32'h7F4A_7C15};
    end else if (busy && cfg_pause != 32'd0) begin
        rnd <= rnd * LCG_A + LCG_C;
    end
    if (busy) begin
        // read channel
        if (s_axi_arvalid && s_axi_arready) begin
            ar_id_q[ar_slot] <= s_axi_arid;
            ar_len_q[ar_slot] <= s_axi_arlen;
            ar_due[ar_slot] <= cycle + cfg_rd_latency;
            ar_cnt <= ar_cnt + 32'd1;
        end
        if (s_axi_rvalid && s_axi_rready && s_axi_rlast) begin
            r_cnt <= r_cnt + 32'd1;
        end
        if (!s_axi_rvalid || s_axi_rready) begin
            r_go = r_ld_cnt != ar_cnt && !r_pause
                && (cycle - ar_due[r_slot]) < 32'h8000_0000
                && (rd_filled - r_ld_cnt - 32'd1) < 32'h7FFF_FFFF;
            if (r_go) begin
                s_axi_rvalid <= 1'b1;
                s_axi_rid <= ar_id_q[r_slot];
                s_axi_rdata <= rd_seg[r_word][r_lane * DATA_WIDTH +: DATA_WIDTH];
                s_axi_rresp <= rd_seg[r_word][SEG_DATA_BITS + r_lane] ? RESP_SLVERR : RESP_OKAY;
                s_axi_rlast <= r_ld_beat == ar_len_q[r_slot];
                if (r_ld_beat == ar_len_q[r_slot]) begin
                    r_ld_beat <= 8'd0;
                    r_ld_cnt <= r_ld_cnt + 32'd1;
                end else begin
                    r_ld_beat <= r_ld_beat + 8'd1;
                end
            end else begin
                s_axi_rvalid <= 1'b0;
            end
        end

        // write channels
        if (s_axi_awvalid && s_axi_awready) begin
            aw_id_q[aw_slot] <= s_axi_awid;
            aw_due[aw_slot] <= cycle + cfg_wr_latency;
            aw_cnt <= aw_cnt + 32'd1;
        end
        if (s_axi_wvalid && s_axi_wready && s_axi_wlast) begin
            w_due[w_slot] <= cycle + cfg_wr_latency;
            w_cnt <= w_cnt + 32'd1;
        end
        if (s_axi_bvalid && s_axi_bready) begin
            b_cnt <= b_cnt + 32'd1;
        end
        if (!s_axi_bvalid || s_axi_bready) begin
            b_go = b_ld_cnt != aw_cnt && b_ld_cnt != w_cnt && !b_pause
                && (cycle - aw_due[b_slot]) < 32'h8000_0000
                && (cycle - w_due[b_slot]) < 32'h8000_0000
                && (wr_acked - b_ld_cnt - 32'd1) < 32'h7FFF_FFFF;
            if (b_go) begin
                s_axi_bvalid <= 1'b1;
                s_axi_bid <= aw_id_q[b_slot];
                s_axi_bresp <= wr_resp[b_slot];
                b_ld_cnt <= b_ld_cnt + 32'd1;
            end else begin
                s_axi_bvalid <= 1'b0;
            end
        end

        if (rst) begin
            s_axi_rvalid <= 1'b0;
            s_axi_bvalid <= 1'b0;
            r_cnt <= ar_cnt;
            r_ld_cnt <= ar_cnt;
            r_ld_beat <= 8'd0;
            aw_cnt <= wr_meet;
            w_cnt <= wr_meet;
            b_cnt <= wr_meet;
            b_ld_cnt <= wr_meet;
        end
    end
end

endmodule

`resetall
