`resetall
`timescale 1ns / 1ps
`default_nettype none

// dma_rx_ingress -- RX store-and-forward: AXI-Stream packets -> packet buffer + length FIFO.
//
// Every beat of a packet goes into the packet buffer (RX_FIFO_BEATS beats,
// bytes packed from lane 0 as they came); at `tlast` the packet's length and
// an error flag go into the length FIFO, so dma_rx starts on a packet only
// when all of it is here. The error flag is set for
//   - `tuser` on the `tlast` beat,
//   - more than MAX_RX_PKT_LEN bytes (beats past ceil(MAX_RX_PKT_LEN/BYTES)
//     are swallowed, not stored),
//   - `tkeep` not all ones on a beat before `tlast`, or not contiguous from
//     lane 0 (and non-zero) on the `tlast` beat.
// For a flagged packet the length is (stored beats) * BYTES, so dma_rx can
// drop exactly the beats that were stored.
//
// `tready` drops only while the packet buffer or the length FIFO is full. The
// buffer holds at least one longest packet, so a packet can always complete.
// This unit is reset by `rst` only (not by the soft reset): a packet half-way
// in is never cut in two.
module dma_rx_ingress #(
    // AXI-Stream data width in bits: 32, 64, 128 or 256
    parameter DATA_WIDTH = 64,
    // packet buffer in beats, power of two, >= ceil(MAX_RX_PKT_LEN / (DATA_WIDTH/8))
    parameter RX_FIFO_BEATS = 2048
) (
    input  wire                    clk,
    input  wire                    rst,

    input  wire [DATA_WIDTH-1:0]   s_axis_rx_tdata,
    input  wire [DATA_WIDTH/8-1:0] s_axis_rx_tkeep,
    input  wire                    s_axis_rx_tlast,
    input  wire                    s_axis_rx_tvalid,
    output wire                    s_axis_rx_tready,
    input  wire                    s_axis_rx_tuser,

    // packet beats to dma_rx
    output wire                    pkt_valid,
    input  wire                    pkt_ready,
    output wire [DATA_WIDTH-1:0]   pkt_data,

    // one entry per packet
    output wire                    len_valid,
    input  wire                    len_ready,
    output wire [15:0]             len_bytes,
    output wire                    len_err
);

/* verilator lint_off UNUSEDPARAM */
`include "dma_regs.vh"
/* verilator lint_on UNUSEDPARAM */

// bytes per beat
localparam BYTES = DATA_WIDTH / 8;
// bits of a lane index
localparam LW = $clog2(BYTES);
// most beats of a packet that are stored
localparam integer MAXB_I = (MAX_RX_PKT_LEN + BYTES - 1) / BYTES;
// the same, as a beat count
localparam [15:0] MAXB = MAXB_I[15:0];
// longest good packet, as a byte count
localparam [16:0] MAX_LEN = MAX_RX_PKT_LEN[16:0];
// length FIFO entries (packets buffered at once)
localparam LEN_DEPTH = 32;

initial begin
    if (DATA_WIDTH != 32 && DATA_WIDTH != 64 && DATA_WIDTH != 128 && DATA_WIDTH != 256) begin
        $fatal(1, "dma_rx_ingress: DATA_WIDTH must be 32, 64, 128 or 256, not %0d (instance %m)",
            DATA_WIDTH);
    end
    if (RX_FIFO_BEATS < MAXB_I || (RX_FIFO_BEATS & (RX_FIFO_BEATS - 1)) != 0) begin
        $fatal(1, "dma_rx_ingress: RX_FIFO_BEATS must be a power of two >= %0d, not %0d (instance %m)",
            MAXB_I, RX_FIFO_BEATS);
    end
end

reg [15:0] beats_reg;       // beats of the packet stored so far
reg        over_reg;        // beats were swallowed
reg        badkeep_reg;     // a beat before tlast had a hole

wire data_in_ready;
wire [$clog2(RX_FIFO_BEATS):0] unused_data_count;
wire [$clog2(LEN_DEPTH):0]     unused_len_count;
wire len_in_ready;
wire accept = s_axis_rx_tvalid && s_axis_rx_tready;
wire store  = beats_reg < MAXB;
wire len_push = accept && s_axis_rx_tlast;

reg [LW:0]      keep_ones;
reg             keep_ok;
reg [16:0]      total;
reg [16:0]      stored_bytes;
reg             pkt_err;
reg [15:0]      len_out;
integer i;

// The length FIFO entry of a packet, from its tlast beat. Only the tlast beat's
// value is ever pushed, so the rest of the packet skips the arithmetic: Icarus
// re-runs this block at every beat (beats_reg changes) and pays per statement.
always @* begin
    keep_ones    = {LW+1{1'b0}};
    keep_ok      = 1'b0;
    total        = 17'd0;
    stored_bytes = 17'd0;
    pkt_err      = 1'b0;
    len_out      = 16'd0;
    if (s_axis_rx_tlast) begin
        // bytes of this beat (every lane before tlast, else the packet is in error anyway)
        for (i = 0; i < BYTES; i = i + 1) begin
            keep_ones = keep_ones + {{LW{1'b0}}, s_axis_rx_tkeep[i]};
        end
        // ones from lane 0 up, nothing above, at least one byte
        keep_ok = s_axis_rx_tkeep != {BYTES{1'b0}}
                  && (s_axis_rx_tkeep & (s_axis_rx_tkeep + {{BYTES-1{1'b0}}, 1'b1}))
                     == {BYTES{1'b0}};
        total        = {1'b0, beats_reg << LW} + {{16-LW{1'b0}}, keep_ones};
        stored_bytes = {1'b0, beats_reg + {15'd0, store}} << LW;
        pkt_err      = s_axis_rx_tuser || badkeep_reg || !keep_ok || over_reg || !store
                       || total > MAX_LEN;
        len_out      = pkt_err ? stored_bytes[15:0] : total[15:0];
    end
end

always @(posedge clk) begin
    if (rst) begin
        beats_reg   <= 16'd0;
        over_reg    <= 1'b0;
        badkeep_reg <= 1'b0;
    end else if (accept) begin
        if (s_axis_rx_tlast) begin
            beats_reg   <= 16'd0;
            over_reg    <= 1'b0;
            badkeep_reg <= 1'b0;
        end else begin
            // a beat before tlast must have every lane
            beats_reg   <= beats_reg + {15'd0, store};
            over_reg    <= over_reg || !store;
            badkeep_reg <= badkeep_reg || !(&s_axis_rx_tkeep);
        end
    end
end

dma_fifo #(
    .WIDTH(DATA_WIDTH),
    .DEPTH(RX_FIFO_BEATS)
) data_inst (
    .clk(clk),
    .rst(rst),
    .clear(1'b0),
    .in_valid(accept && store),
    .in_ready(data_in_ready),
    .in_data(s_axis_rx_tdata),
    .out_valid(pkt_valid),
    .out_ready(pkt_ready),
    .out_data(pkt_data),
    .count(unused_data_count)
);

dma_fifo #(
    .WIDTH(17),
    .DEPTH(LEN_DEPTH)
) len_inst (
    .clk(clk),
    .rst(rst),
    .clear(1'b0),
    .in_valid(len_push),
    .in_ready(len_in_ready),
    .in_data({pkt_err, len_out}),
    .out_valid(len_valid),
    .out_ready(len_ready),
    .out_data({len_err, len_bytes}),
    .count(unused_len_count)
);

assign s_axis_rx_tready = data_in_ready && len_in_ready;

// the top bits of the sums never matter (lengths < 2**16)
wire unused_sums = total[16] ^ stored_bytes[16];

endmodule

`resetall
