`resetall
`timescale 1ns / 1ps
`default_nettype none

// dma_tx -- TX data mover: descriptors -> AXI4 reads -> AXI-Stream packets.
//
// Structure (see each module's header):
//   dma_tx_issue   descriptors -> read requests (per chunk, credit-checked)
//                  and in-flight queue entries
//   queue FIFO     QUEUE_DEPTH entries, one per read / data-less descriptor
//   data FIFO      TX_FIFO_BEATS beats of read data ({rsp_err, rsp_data});
//                  never full when R data arrives (credits)
//   dma_tx_return  strips bytes outside each chunk, completes descriptors,
//                  handles errors
//   dma_realign    packs the bytes from lane 0 onto m_axis_tx_*
//
// `busy` covers everything in flight: a request not yet taken, queued
// entries, buffered beats, a packet not yet fully out of the realigner.
module dma_tx #(
    // AXI data width in bits: 32, 64, 128 or 256
    parameter DATA_WIDTH = 64,
    // TX data buffer in beats (power of two)
    parameter TX_FIFO_BEATS = 1024,
    // in-flight queue entries (reads and data-less descriptors in flight), power of two
    parameter QUEUE_DEPTH = 32
) (
    input  wire                    clk,
    input  wire                    rst,
    input  wire                    clear,
    input  wire                    run,

    // descriptors from dma_desc_fetch
    input  wire                    d_valid,
    output wire                    d_ready,
    input  wire [15:0]             d_index,
    input  wire [127:0]            d_desc,

    // read client of dma_axi_rd
    output wire                    req_valid,
    input  wire                    req_ready,
    output wire [63:0]             req_addr,
    output wire [15:0]             req_len,
    input  wire                    rsp_valid,
    output wire                    rsp_ready,
    input  wire [DATA_WIDTH-1:0]   rsp_data,
    input  wire                    rsp_last,
    input  wire                    rsp_err,

    // packets toward the wire
    output wire [DATA_WIDTH-1:0]   m_axis_tx_tdata,
    output wire [DATA_WIDTH/8-1:0] m_axis_tx_tkeep,
    output wire                    m_axis_tx_tlast,
    output wire                    m_axis_tx_tvalid,
    input  wire                    m_axis_tx_tready,
    output wire                    m_axis_tx_tuser,

    // completions to dma_cpl_write
    output wire                    cpl_valid,
    input  wire                    cpl_ready,
    output wire [15:0]             cpl_index,
    output wire [15:0]             cpl_wb_len,
    output wire [7:0]              cpl_status,
    output wire [7:0]              cpl_err,

    output wire                    err_valid,
    output wire [7:0]              err_code,
    output wire [15:0]             err_index,
    output wire                    busy
);

/* verilator lint_off UNUSEDPARAM */
`include "dma_regs.vh"
`include "dma_defs.vh"
/* verilator lint_on UNUSEDPARAM */

// bytes per beat
localparam BYTES = DATA_WIDTH / 8;
// bits of a lane index
localparam LW = $clog2(BYTES);
// bits of a queue entry: kind, index, len, eop, last, lo, hi, beats
localparam QW = TXQ_KIND_BITS + 16 + 16 + 1 + 1 + LW + (LW + 1) + TXQ_BEAT_BITS;
// bits of a data FIFO count
localparam DCW = $clog2(TX_FIFO_BEATS) + 1;
// bits of a queue FIFO count
localparam QCW = $clog2(QUEUE_DEPTH) + 1;

// ---- issue stage ----
wire          halt;
wire          issue_idle;
wire          iq_valid;
wire          iq_ready;
wire [TXQ_KIND_BITS-1:0] iq_kind;
wire [15:0]   iq_index;
wire [15:0]   iq_len;
wire          iq_eop;
wire          iq_last;
wire [LW-1:0] iq_lo;
wire [LW:0]   iq_hi;
wire [TXQ_BEAT_BITS-1:0] iq_beats;
wire          credit_ret;

dma_tx_issue #(
    .DATA_WIDTH(DATA_WIDTH),
    .TX_FIFO_BEATS(TX_FIFO_BEATS)
) issue_inst (
    .clk(clk),
    .rst(rst),
    .clear(clear),
    .run(run),
    .halt(halt),
    .d_valid(d_valid),
    .d_ready(d_ready),
    .d_index(d_index),
    .d_desc(d_desc),
    .req_valid(req_valid),
    .req_ready(req_ready),
    .req_addr(req_addr),
    .req_len(req_len),
    .q_valid(iq_valid),
    .q_ready(iq_ready),
    .q_kind(iq_kind),
    .q_index(iq_index),
    .q_len(iq_len),
    .q_eop(iq_eop),
    .q_last(iq_last),
    .q_lo(iq_lo),
    .q_hi(iq_hi),
    .q_beats(iq_beats),
    .credit_ret(credit_ret),
    .idle(issue_idle)
);

// ---- in-flight queue ----
wire          q_valid;
wire          q_ready;
wire [QW-1:0] q_data;
wire [QCW-1:0] q_count;

dma_fifo #(
    .WIDTH(QW),
    .DEPTH(QUEUE_DEPTH)
) queue_inst (
    .clk(clk),
    .rst(rst),
    .clear(clear),
    .in_valid(iq_valid),
    .in_ready(iq_ready),
    .in_data({iq_kind, iq_index, iq_len, iq_eop, iq_last, iq_lo, iq_hi, iq_beats}),
    .out_valid(q_valid),
    .out_ready(q_ready),
    .out_data(q_data),
    .count(q_count)
);

wire [TXQ_KIND_BITS-1:0] q_kind;
wire [15:0]   q_index;
wire [15:0]   q_len;
wire          q_eop;
wire          q_last;
wire [LW-1:0] q_lo;
wire [LW:0]   q_hi;
wire [TXQ_BEAT_BITS-1:0] q_beats;

assign {q_kind, q_index, q_len, q_eop, q_last, q_lo, q_hi, q_beats} = q_data;

// ---- data buffer ----
wire                  d_out_valid;
wire                  d_out_ready;
wire [DATA_WIDTH:0]   d_out;
wire [DCW-1:0]        d_count;

dma_fifo #(
    .WIDTH(DATA_WIDTH + 1),
    .DEPTH(TX_FIFO_BEATS)
) data_inst (
    .clk(clk),
    .rst(rst),
    .clear(clear),
    .in_valid(rsp_valid),
    .in_ready(rsp_ready),
    .in_data({rsp_err, rsp_data}),
    .out_valid(d_out_valid),
    .out_ready(d_out_ready),
    .out_data(d_out),
    .count(d_count)
);

// beats are counted per chunk; the request's last-beat flag is not needed
wire unused_rsp_last = rsp_last;

assign credit_ret = d_out_valid && d_out_ready;

// ---- return stage ----
wire                  ra_valid;
wire                  ra_ready;
wire [DATA_WIDTH-1:0] ra_data;
wire [LW-1:0]         ra_lo;
wire [LW:0]           ra_hi;
wire                  ra_end;
wire                  ra_user;
wire                  ret_busy;

dma_tx_return #(
    .DATA_WIDTH(DATA_WIDTH)
) return_inst (
    .clk(clk),
    .rst(rst),
    .clear(clear),
    .run(run),
    .q_valid(q_valid),
    .q_ready(q_ready),
    .q_kind(q_kind),
    .q_index(q_index),
    .q_len(q_len),
    .q_eop(q_eop),
    .q_last(q_last),
    .q_lo(q_lo),
    .q_hi(q_hi),
    .q_beats(q_beats),
    .q_empty(q_count == {QCW{1'b0}}),
    .issue_idle(issue_idle),
    .d_valid(d_out_valid),
    .d_ready(d_out_ready),
    .d_data(d_out[DATA_WIDTH-1:0]),
    .d_err(d_out[DATA_WIDTH]),
    .ra_valid(ra_valid),
    .ra_ready(ra_ready),
    .ra_data(ra_data),
    .ra_lo(ra_lo),
    .ra_hi(ra_hi),
    .ra_end(ra_end),
    .ra_user(ra_user),
    .unit_done(m_axis_tx_tvalid && m_axis_tx_tready && m_axis_tx_tlast),
    .cpl_valid(cpl_valid),
    .cpl_ready(cpl_ready),
    .cpl_index(cpl_index),
    .cpl_wb_len(cpl_wb_len),
    .cpl_status(cpl_status),
    .cpl_err(cpl_err),
    .err_valid(err_valid),
    .err_code(err_code),
    .err_index(err_index),
    .halt(halt),
    .busy(ret_busy)
);

// ---- packing onto the stream, from lane 0 ----
dma_realign #(
    .DATA_WIDTH(DATA_WIDTH)
) realign_inst (
    .clk(clk),
    .rst(rst),
    .clear(clear),
    .in_valid(ra_valid),
    .in_ready(ra_ready),
    .in_data(ra_data),
    .in_lo(ra_lo),
    .in_hi(ra_hi),
    .in_end(ra_end),
    .in_user(ra_user),
    .start_lane({LW{1'b0}}),
    .out_valid(m_axis_tx_tvalid),
    .out_ready(m_axis_tx_tready),
    .out_data(m_axis_tx_tdata),
    .out_keep(m_axis_tx_tkeep),
    .out_last(m_axis_tx_tlast),
    .out_user(m_axis_tx_tuser)
);

assign busy = ret_busy || !issue_idle || q_count != {QCW{1'b0}} || d_count != {DCW{1'b0}};

endmodule

`resetall
