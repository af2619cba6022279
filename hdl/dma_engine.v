`resetall
`timescale 1ns / 1ps
`default_nettype none

// dma_engine -- bus-master DMA engine of a NIC (structural top).
//
//   front/  dma_csr          AXI-Lite registers, ring state machines (dma_ring_ctrl),
//                            interrupts, soft reset
//           dma_desc_fetch   TX and RX: descriptors in whole cache lines, ahead of need
//   mid/    dma_tx           descriptors -> AXI4 reads -> m_axis_tx_*
//           dma_rx_ingress   s_axis_rx_* -> packet buffer (store and forward)
//           dma_rx           packets -> posted buffers -> completions
//           dma_cpl_write    TX and RX: descriptor store, line-coalesced write-back, HEAD
//   back/   dma_axi_rd       read back end, clients RD_CLIENT_* (dma_defs.vh)
//           dma_axi_wr       write back end, clients WR_CLIENT_* (dma_defs.vh)
//   prim/   dma_fifo, dma_rr_arbiter, dma_realign
//
// Reset: `rst` (synchronous, active high) resets everything; the soft reset
// (CTRL.SOFT_RESET) resets everything but the RX ingress and the AXI-Lite
// handshake. See hdl/README.md for the register map and unit behaviour.
module dma_engine #(
    // AXI4 and AXI-Stream data width in bits: 32, 64, 128 or 256
    parameter DATA_WIDTH = 64,
    // AXI4 ID width (>= 2: one ID per client)
    parameter ID_WIDTH = 4,
    // longest AXI4 burst in beats, power of two 1..256
    parameter MAX_BURST_LEN = 64,
    // AXI4 read bursts in flight at once, power of two 1..256 (hides the memory
    // latency: 64-byte packets at 200 cycles need about one burst per 3.5 cycles
    // at 256 bits, per 14 at 64)
    parameter MAX_RD_OUTSTANDING = (DATA_WIDTH >= 256) ? 128 : 64,
    // AXI4 write bursts awaiting their response, power of two 1..256
    parameter MAX_WR_OUTSTANDING = 32,
    // descriptor cache entries per ring, power of two 16..1024 (descriptors live
    // from their fetch to their write-back: about two memory latencies)
    parameter DESC_DEPTH = (DATA_WIDTH >= 256) ? 256 : 128,
    // descriptor read requests in flight per ring, power of two 1..16
    parameter DESC_FETCH_READS = 4,
    // TX data buffer in beats (read credits), power of two
    parameter TX_FIFO_BEATS = 1024,
    // RX store-and-forward buffer in beats, power of two, holds MAX_RX_PKT_LEN bytes
    parameter RX_FIFO_BEATS = 16384 * 8 / DATA_WIDTH
) (
    input  wire                    clk,
    input  wire                    rst,

    // AXI4 master to host memory
    output wire [ID_WIDTH-1:0]     m_axi_awid,
    output wire [63:0]             m_axi_awaddr,
    output wire [7:0]              m_axi_awlen,
    output wire [2:0]              m_axi_awsize,
    output wire [1:0]              m_axi_awburst,
    output wire                    m_axi_awlock,
    output wire [3:0]              m_axi_awcache,
    output wire [2:0]              m_axi_awprot,
    output wire                    m_axi_awvalid,
    input  wire                    m_axi_awready,
    output wire [DATA_WIDTH-1:0]   m_axi_wdata,
    output wire [DATA_WIDTH/8-1:0] m_axi_wstrb,
    output wire                    m_axi_wlast,
    output wire                    m_axi_wvalid,
    input  wire                    m_axi_wready,
    input  wire [ID_WIDTH-1:0]     m_axi_bid,
    input  wire [1:0]              m_axi_bresp,
    input  wire                    m_axi_bvalid,
    output wire                    m_axi_bready,
    output wire [ID_WIDTH-1:0]     m_axi_arid,
    output wire [63:0]             m_axi_araddr,
    output wire [7:0]              m_axi_arlen,
    output wire [2:0]              m_axi_arsize,
    output wire [1:0]              m_axi_arburst,
    output wire                    m_axi_arlock,
    output wire [3:0]              m_axi_arcache,
    output wire [2:0]              m_axi_arprot,
    output wire                    m_axi_arvalid,
    input  wire                    m_axi_arready,
    input  wire [ID_WIDTH-1:0]     m_axi_rid,
    input  wire [DATA_WIDTH-1:0]   m_axi_rdata,
    input  wire [1:0]              m_axi_rresp,
    input  wire                    m_axi_rlast,
    input  wire                    m_axi_rvalid,
    output wire                    m_axi_rready,

    // AXI-Lite slave: registers
    input  wire [11:0]             s_axil_awaddr,
    input  wire [2:0]              s_axil_awprot,
    input  wire                    s_axil_awvalid,
    output wire                    s_axil_awready,
    input  wire [31:0]             s_axil_wdata,
    input  wire [3:0]              s_axil_wstrb,
    input  wire                    s_axil_wvalid,
    output wire                    s_axil_wready,
    output wire [1:0]              s_axil_bresp,
    output wire                    s_axil_bvalid,
    input  wire                    s_axil_bready,
    input  wire [11:0]             s_axil_araddr,
    input  wire [2:0]              s_axil_arprot,
    input  wire                    s_axil_arvalid,
    output wire                    s_axil_arready,
    output wire [31:0]             s_axil_rdata,
    output wire [1:0]              s_axil_rresp,
    output wire                    s_axil_rvalid,
    input  wire                    s_axil_rready,

    // AXI-Stream master toward the wire
    output wire [DATA_WIDTH-1:0]   m_axis_tx_tdata,
    output wire [DATA_WIDTH/8-1:0] m_axis_tx_tkeep,
    output wire                    m_axis_tx_tlast,
    output wire                    m_axis_tx_tvalid,
    input  wire                    m_axis_tx_tready,
    output wire                    m_axis_tx_tuser,

    // AXI-Stream slave from the wire
    input  wire [DATA_WIDTH-1:0]   s_axis_rx_tdata,
    input  wire [DATA_WIDTH/8-1:0] s_axis_rx_tkeep,
    input  wire                    s_axis_rx_tlast,
    input  wire                    s_axis_rx_tvalid,
    output wire                    s_axis_rx_tready,
    input  wire                    s_axis_rx_tuser,

    output wire                    irq
);

/* verilator lint_off UNUSEDPARAM */
`include "dma_regs.vh"
`include "dma_defs.vh"
/* verilator lint_on UNUSEDPARAM */

// bytes per beat
localparam BYTES = DATA_WIDTH / 8;
// TX in-flight queue entries: a read request in flight or a data-less descriptor each
localparam TX_QUEUE_DEPTH = (MAX_RD_OUTSTANDING > 32) ? MAX_RD_OUTSTANDING : 32;

initial begin
    if (DATA_WIDTH != 32 && DATA_WIDTH != 64 && DATA_WIDTH != 128 && DATA_WIDTH != 256) begin
        $fatal(1, "dma_engine: DATA_WIDTH must be 32, 64, 128 or 256, not %0d (instance %m)",
            DATA_WIDTH);
    end
    if (ID_WIDTH < 2 || ID_WIDTH > 16) begin
        $fatal(1, "dma_engine: ID_WIDTH must be 2..16, not %0d (instance %m)", ID_WIDTH);
    end
    if (MAX_BURST_LEN < 1 || MAX_BURST_LEN > 256 || (MAX_BURST_LEN & (MAX_BURST_LEN - 1)) != 0) begin
        $fatal(1, "dma_engine: MAX_BURST_LEN must be a power of two 1..256, not %0d (instance %m)",
            MAX_BURST_LEN);
    end
    if (MAX_RD_OUTSTANDING < 1 || MAX_RD_OUTSTANDING > 256
            || (MAX_RD_OUTSTANDING & (MAX_RD_OUTSTANDING - 1)) != 0) begin
        $fatal(1, "dma_engine: MAX_RD_OUTSTANDING must be a power of two 1..256, not %0d (instance %m)",
            MAX_RD_OUTSTANDING);
    end
    if (MAX_WR_OUTSTANDING < 1 || MAX_WR_OUTSTANDING > 256
            || (MAX_WR_OUTSTANDING & (MAX_WR_OUTSTANDING - 1)) != 0) begin
        $fatal(1, "dma_engine: MAX_WR_OUTSTANDING must be a power of two 1..256, not %0d (instance %m)",
            MAX_WR_OUTSTANDING);
    end
    if (DESC_DEPTH < 16 || DESC_DEPTH > 1024 || (DESC_DEPTH & (DESC_DEPTH - 1)) != 0) begin
        $fatal(1, "dma_engine: DESC_DEPTH must be a power of two 16..1024, not %0d (instance %m)",
            DESC_DEPTH);
    end
    if (DESC_FETCH_READS < 1 || DESC_FETCH_READS > 16
            || (DESC_FETCH_READS & (DESC_FETCH_READS - 1)) != 0) begin
        $fatal(1, "dma_engine: DESC_FETCH_READS must be a power of two 1..16, not %0d (instance %m)",
            DESC_FETCH_READS);
    end
    if (TX_FIFO_BEATS < 16 || TX_FIFO_BEATS > 32768 || (TX_FIFO_BEATS & (TX_FIFO_BEATS - 1)) != 0
            || TX_FIFO_BEATS * BYTES < 256) begin
        $fatal(1, "dma_engine: TX_FIFO_BEATS must be a power of two 16..32768 holding >= 256 bytes, not %0d (instance %m)",
            TX_FIFO_BEATS);
    end
    if ((RX_FIFO_BEATS & (RX_FIFO_BEATS - 1)) != 0 || RX_FIFO_BEATS * BYTES < MAX_RX_PKT_LEN) begin
        $fatal(1, "dma_engine: RX_FIFO_BEATS must be a power of two holding MAX_RX_PKT_LEN bytes, not %0d (instance %m)",
            RX_FIFO_BEATS);
    end
end

// ---------------------------------------------------------------------------
// Register front end
// ---------------------------------------------------------------------------
wire        soft_rst;
wire        quiesce;
wire        rst_core = rst || soft_rst;
wire [31:0] wb_delay;

wire        tx_run, tx_clear, rx_run, rx_clear;
wire [63:0] tx_base, rx_base;
wire [3:0]  tx_size_log2, rx_size_log2;
wire [1:0]  tx_line_log2, rx_line_log2;
wire [15:0] tx_tail, rx_tail;
wire [15:0] tx_head, rx_head;
wire [7:0]  tx_pkt_inc, rx_pkt_inc;
wire        tx_done_irq, rx_done_irq;
wire        tx_partial_inc, rx_partial_inc;
wire        rx_drop_inc, rx_err_inc, rx_boundary;
wire        rd_busy, wr_busy;

// per ring, slot RING_UNIT_* (dma_defs.vh): descriptor fetch, data mover, write-back
wire [RING_UNITS-1:0]    tx_err_valid, rx_err_valid;
wire [RING_UNITS*8-1:0]  tx_err_code, rx_err_code;
wire [RING_UNITS*16-1:0] tx_err_index, rx_err_index;
wire        tx_fetch_busy, tx_mover_busy, tx_wb_busy;
wire        rx_fetch_busy, rx_mover_busy, rx_wb_busy;

dma_csr #(
    .DATA_WIDTH(DATA_WIDTH),
    .MAX_BURST_LEN(MAX_BURST_LEN),
    .MAX_RD_OUTSTANDING(MAX_RD_OUTSTANDING),
    .DESC_DEPTH(DESC_DEPTH)
) csr_inst (
    .clk(clk),
    .rst(rst),
    .soft_rst(soft_rst),
    .quiesce(quiesce),
    .s_axil_awaddr(s_axil_awaddr),
    .s_axil_awprot(s_axil_awprot),
    .s_axil_awvalid(s_axil_awvalid),
    .s_axil_awready(s_axil_awready),
    .s_axil_wdata(s_axil_wdata),
    .s_axil_wstrb(s_axil_wstrb),
    .s_axil_wvalid(s_axil_wvalid),
    .s_axil_wready(s_axil_wready),
    .s_axil_bresp(s_axil_bresp),
    .s_axil_bvalid(s_axil_bvalid),
    .s_axil_bready(s_axil_bready),
    .s_axil_araddr(s_axil_araddr),
    .s_axil_arprot(s_axil_arprot),
    .s_axil_arvalid(s_axil_arvalid),
    .s_axil_arready(s_axil_arready),
    .s_axil_rdata(s_axil_rdata),
    .s_axil_rresp(s_axil_rresp),
    .s_axil_rvalid(s_axil_rvalid),
    .s_axil_rready(s_axil_rready),
    .tx_run(tx_run),
    .tx_clear(tx_clear),
    .tx_base(tx_base),
    .tx_size_log2(tx_size_log2),
    .tx_line_log2(tx_line_log2),
    .tx_tail(tx_tail),
    .tx_head(tx_head),
    .tx_busy(tx_fetch_busy || tx_mover_busy || tx_wb_busy),
    .tx_err_valid(tx_err_valid),
    .tx_err_code(tx_err_code),
    .tx_err_index(tx_err_index),
    .tx_pkt_inc(tx_pkt_inc),
    .tx_done_irq(tx_done_irq),
    .tx_partial_inc(tx_partial_inc),
    .rx_run(rx_run),
    .rx_clear(rx_clear),
    .rx_base(rx_base),
    .rx_size_log2(rx_size_log2),
    .rx_line_log2(rx_line_log2),
    .rx_tail(rx_tail),
    .rx_head(rx_head),
    .rx_busy(rx_fetch_busy || rx_mover_busy || rx_wb_busy),
    .rx_err_valid(rx_err_valid),
    .rx_err_code(rx_err_code),
    .rx_err_index(rx_err_index),
    .rx_pkt_inc(rx_pkt_inc),
    .rx_done_irq(rx_done_irq),
    .rx_partial_inc(rx_partial_inc),
    .wb_delay(wb_delay),
    .rx_drop_inc(rx_drop_inc),
    .rx_err_inc(rx_err_inc),
    .rx_boundary(rx_boundary),
    .rd_busy(rd_busy),
    .wr_busy(wr_busy),
    .irq(irq)
);

// ---------------------------------------------------------------------------
// Back ends
// ---------------------------------------------------------------------------
// client c (RD_CLIENT_* / WR_CLIENT_*, dma_defs.vh) uses bits [c*W +: W]
wire [RD_CLIENTS-1:0]            rd_req_valid, rd_req_ready;
wire [RD_CLIENTS*64-1:0]         rd_req_addr;
wire [RD_CLIENTS*16-1:0]         rd_req_len;
wire [RD_CLIENTS-1:0]            rd_rsp_valid, rd_rsp_ready;
wire [DATA_WIDTH-1:0]            rd_rsp_data;
wire                             rd_rsp_last, rd_rsp_err;

wire [WR_CLIENTS-1:0]            wr_req_valid, wr_req_ready;
wire [WR_CLIENTS*64-1:0]         wr_req_addr;
wire [WR_CLIENTS*16-1:0]         wr_req_len;
wire [WR_CLIENTS-1:0]            wr_wdat_valid, wr_wdat_ready;
wire [WR_CLIENTS*DATA_WIDTH-1:0] wr_wdat_data;
wire [WR_CLIENTS-1:0]            wr_done_valid, wr_done_err;

dma_axi_rd #(
    .DATA_WIDTH(DATA_WIDTH),
    .ADDR_WIDTH(64),
    .ID_WIDTH(ID_WIDTH),
    .CLIENTS(RD_CLIENTS),
    .LEN_WIDTH(16),
    .MAX_BURST_LEN(MAX_BURST_LEN),
    .MAX_OUTSTANDING(MAX_RD_OUTSTANDING)
) axi_rd_inst (
    .clk(clk),
    .rst(rst_core),
    .req_valid(rd_req_valid),
    .req_ready(rd_req_ready),
    .req_addr(rd_req_addr),
    .req_len(rd_req_len),
    .rsp_valid(rd_rsp_valid),
    .rsp_ready(rd_rsp_ready),
    .rsp_data(rd_rsp_data),
    .rsp_last(rd_rsp_last),
    .rsp_err(rd_rsp_err),
    .busy(rd_busy),
    .m_axi_arid(m_axi_arid),
    .m_axi_araddr(m_axi_araddr),
    .m_axi_arlen(m_axi_arlen),
    .m_axi_arsize(m_axi_arsize),
    .m_axi_arburst(m_axi_arburst),
    .m_axi_arlock(m_axi_arlock),
    .m_axi_arcache(m_axi_arcache),
    .m_axi_arprot(m_axi_arprot),
    .m_axi_arvalid(m_axi_arvalid),
    .m_axi_arready(m_axi_arready),
    .m_axi_rid(m_axi_rid),
    .m_axi_rdata(m_axi_rdata),
    .m_axi_rresp(m_axi_rresp),
    .m_axi_rlast(m_axi_rlast),
    .m_axi_rvalid(m_axi_rvalid),
    .m_axi_rready(m_axi_rready)
);

dma_axi_wr #(
    .DATA_WIDTH(DATA_WIDTH),
    .ADDR_WIDTH(64),
    .ID_WIDTH(ID_WIDTH),
    .CLIENTS(WR_CLIENTS),
    .LEN_WIDTH(16),
    .MAX_BURST_LEN(MAX_BURST_LEN),
    .MAX_OUTSTANDING(MAX_WR_OUTSTANDING)
) axi_wr_inst (
    .clk(clk),
    .rst(rst_core),
    .req_valid(wr_req_valid),
    .req_ready(wr_req_ready),
    .req_addr(wr_req_addr),
    .req_len(wr_req_len),
    .wdat_valid(wr_wdat_valid),
    .wdat_ready(wr_wdat_ready),
    .wdat_data(wr_wdat_data),
    .done_valid(wr_done_valid),
    .done_err(wr_done_err),
    .busy(wr_busy),
    .m_axi_awid(m_axi_awid),
    .m_axi_awaddr(m_axi_awaddr),
    .m_axi_awlen(m_axi_awlen),
    .m_axi_awsize(m_axi_awsize),
    .m_axi_awburst(m_axi_awburst),
    .m_axi_awlock(m_axi_awlock),
    .m_axi_awcache(m_axi_awcache),
    .m_axi_awprot(m_axi_awprot),
    .m_axi_awvalid(m_axi_awvalid),
    .m_axi_awready(m_axi_awready),
    .m_axi_wdata(m_axi_wdata),
    .m_axi_wstrb(m_axi_wstrb),
    .m_axi_wlast(m_axi_wlast),
    .m_axi_wvalid(m_axi_wvalid),
    .m_axi_wready(m_axi_wready),
    .m_axi_bid(m_axi_bid),
    .m_axi_bresp(m_axi_bresp),
    .m_axi_bvalid(m_axi_bvalid),
    .m_axi_bready(m_axi_bready)
);

// ---------------------------------------------------------------------------
// TX ring
// ---------------------------------------------------------------------------
wire         tx_d_valid, tx_d_ready;
wire [15:0]  tx_d_index;
wire [127:0] tx_d_desc;
wire         tx_shadow_we;
wire [15:0]  tx_shadow_index;
wire [127:0] tx_shadow_desc;
wire [15:0]  tx_fetched_ptr;
wire [15:0]  tx_fetch_limit;
wire         unused_tx_ring_empty;
wire         tx_cpl_valid, tx_cpl_ready;
wire [15:0]  tx_cpl_index, tx_cpl_wb_len;
wire [7:0]   tx_cpl_status, tx_cpl_err;

dma_desc_fetch #(
    .DATA_WIDTH(DATA_WIDTH),
    .DESC_DEPTH(DESC_DEPTH),
    .FETCH_READS(DESC_FETCH_READS)
) tx_fetch_inst (
    .clk(clk),
    .rst(rst_core),
    .clear(tx_clear),
    .run(tx_run),
    .base(tx_base),
    .size_log2(tx_size_log2),
    .line_log2(tx_line_log2),
    .tail(tx_tail),
    .fetch_limit(tx_fetch_limit),
    .req_valid(rd_req_valid[RD_CLIENT_TX_DESC]),
    .req_ready(rd_req_ready[RD_CLIENT_TX_DESC]),
    .req_addr(rd_req_addr[RD_CLIENT_TX_DESC*64 +: 64]),
    .req_len(rd_req_len[RD_CLIENT_TX_DESC*16 +: 16]),
    .rsp_valid(rd_rsp_valid[RD_CLIENT_TX_DESC]),
    .rsp_ready(rd_rsp_ready[RD_CLIENT_TX_DESC]),
    .rsp_data(rd_rsp_data),
    .rsp_last(rd_rsp_last),
    .rsp_err(rd_rsp_err),
    .m_valid(tx_d_valid),
    .m_ready(tx_d_ready),
    .m_index(tx_d_index),
    .m_desc(tx_d_desc),
    .shadow_we(tx_shadow_we),
    .shadow_index(tx_shadow_index),
    .shadow_desc(tx_shadow_desc),
    .fetched_ptr(tx_fetched_ptr),
    .ring_empty(unused_tx_ring_empty),
    .busy(tx_fetch_busy),
    .err_valid(tx_err_valid[RING_UNIT_FETCH]),
    .err_code(tx_err_code[RING_UNIT_FETCH*8 +: 8]),
    .err_index(tx_err_index[RING_UNIT_FETCH*16 +: 16])
);

dma_tx #(
    .DATA_WIDTH(DATA_WIDTH),
    .TX_FIFO_BEATS(TX_FIFO_BEATS),
    .QUEUE_DEPTH(TX_QUEUE_DEPTH)
) tx_inst (
    .clk(clk),
    .rst(rst_core),
    .clear(tx_clear),
    .run(tx_run),
    .d_valid(tx_d_valid),
    .d_ready(tx_d_ready),
    .d_index(tx_d_index),
    .d_desc(tx_d_desc),
    .req_valid(rd_req_valid[RD_CLIENT_TX_DATA]),
    .req_ready(rd_req_ready[RD_CLIENT_TX_DATA]),
    .req_addr(rd_req_addr[RD_CLIENT_TX_DATA*64 +: 64]),
    .req_len(rd_req_len[RD_CLIENT_TX_DATA*16 +: 16]),
    .rsp_valid(rd_rsp_valid[RD_CLIENT_TX_DATA]),
    .rsp_ready(rd_rsp_ready[RD_CLIENT_TX_DATA]),
    .rsp_data(rd_rsp_data),
    .rsp_last(rd_rsp_last),
    .rsp_err(rd_rsp_err),
    .m_axis_tx_tdata(m_axis_tx_tdata),
    .m_axis_tx_tkeep(m_axis_tx_tkeep),
    .m_axis_tx_tlast(m_axis_tx_tlast),
    .m_axis_tx_tvalid(m_axis_tx_tvalid),
    .m_axis_tx_tready(m_axis_tx_tready),
    .m_axis_tx_tuser(m_axis_tx_tuser),
    .cpl_valid(tx_cpl_valid),
    .cpl_ready(tx_cpl_ready),
    .cpl_index(tx_cpl_index),
    .cpl_wb_len(tx_cpl_wb_len),
    .cpl_status(tx_cpl_status),
    .cpl_err(tx_cpl_err),
    .err_valid(tx_err_valid[RING_UNIT_MOVER]),
    .err_code(tx_err_code[RING_UNIT_MOVER*8 +: 8]),
    .err_index(tx_err_index[RING_UNIT_MOVER*16 +: 16]),
    .busy(tx_mover_busy)
);

dma_cpl_write #(
    .DATA_WIDTH(DATA_WIDTH),
    .DESC_DEPTH(DESC_DEPTH)
) tx_cpl_inst (
    .clk(clk),
    .rst(rst_core),
    .clear(tx_clear),
    .run(tx_run),
    .base(tx_base),
    .size_log2(tx_size_log2),
    .line_log2(tx_line_log2),
    .tail(tx_tail),
    .wb_delay(wb_delay),
    .shadow_we(tx_shadow_we),
    .shadow_index(tx_shadow_index),
    .shadow_desc(tx_shadow_desc),
    .fetched_ptr(tx_fetched_ptr),
    .cpl_valid(tx_cpl_valid),
    .cpl_ready(tx_cpl_ready),
    .cpl_index(tx_cpl_index),
    .cpl_wb_len(tx_cpl_wb_len),
    .cpl_status(tx_cpl_status),
    .cpl_err(tx_cpl_err),
    .req_valid(wr_req_valid[WR_CLIENT_TX_WB]),
    .req_ready(wr_req_ready[WR_CLIENT_TX_WB]),
    .req_addr(wr_req_addr[WR_CLIENT_TX_WB*64 +: 64]),
    .req_len(wr_req_len[WR_CLIENT_TX_WB*16 +: 16]),
    .wdat_valid(wr_wdat_valid[WR_CLIENT_TX_WB]),
    .wdat_ready(wr_wdat_ready[WR_CLIENT_TX_WB]),
    .wdat_data(wr_wdat_data[WR_CLIENT_TX_WB*DATA_WIDTH +: DATA_WIDTH]),
    .done_valid(wr_done_valid[WR_CLIENT_TX_WB]),
    .done_err(wr_done_err[WR_CLIENT_TX_WB]),
    .head(tx_head),
    .fetch_limit(tx_fetch_limit),
    .irq_req(tx_done_irq),
    .pkt_inc(tx_pkt_inc),
    .partial_inc(tx_partial_inc),
    .busy(tx_wb_busy),
    .err_valid(tx_err_valid[RING_UNIT_WB]),
    .err_code(tx_err_code[RING_UNIT_WB*8 +: 8]),
    .err_index(tx_err_index[RING_UNIT_WB*16 +: 16])
);

// ---------------------------------------------------------------------------
// RX ring
// ---------------------------------------------------------------------------
wire                  rx_len_valid, rx_len_ready, rx_len_err;
wire [15:0]           rx_len_bytes;
wire                  rx_pkt_valid, rx_pkt_ready;
wire [DATA_WIDTH-1:0] rx_pkt_data;
wire                  rx_d_valid, rx_d_ready;
wire [15:0]           rx_d_index;
wire [127:0]          rx_d_desc;
wire                  rx_ring_empty;
wire                  rx_shadow_we;
wire [15:0]           rx_shadow_index;
wire [127:0]          rx_shadow_desc;
wire [15:0]           rx_fetched_ptr;
wire [15:0]           rx_fetch_limit;
wire                  rx_cpl_valid, rx_cpl_ready;
wire [15:0]           rx_cpl_index, rx_cpl_wb_len;
wire [7:0]            rx_cpl_status, rx_cpl_err;

// reset by `rst` only: the soft reset never cuts a packet in two
dma_rx_ingress #(
    .DATA_WIDTH(DATA_WIDTH),
    .RX_FIFO_BEATS(RX_FIFO_BEATS)
) rx_ingress_inst (
    .clk(clk),
    .rst(rst),
    .s_axis_rx_tdata(s_axis_rx_tdata),
    .s_axis_rx_tkeep(s_axis_rx_tkeep),
    .s_axis_rx_tlast(s_axis_rx_tlast),
    .s_axis_rx_tvalid(s_axis_rx_tvalid),
    .s_axis_rx_tready(s_axis_rx_tready),
    .s_axis_rx_tuser(s_axis_rx_tuser),
    .pkt_valid(rx_pkt_valid),
    .pkt_ready(rx_pkt_ready),
    .pkt_data(rx_pkt_data),
    .len_valid(rx_len_valid),
    .len_ready(rx_len_ready),
    .len_bytes(rx_len_bytes),
    .len_err(rx_len_err)
);

dma_desc_fetch #(
    .DATA_WIDTH(DATA_WIDTH),
    .DESC_DEPTH(DESC_DEPTH),
    .FETCH_READS(DESC_FETCH_READS)
) rx_fetch_inst (
    .clk(clk),
    .rst(rst_core),
    .clear(rx_clear),
    .run(rx_run),
    .base(rx_base),
    .size_log2(rx_size_log2),
    .line_log2(rx_line_log2),
    .tail(rx_tail),
    .fetch_limit(rx_fetch_limit),
    .req_valid(rd_req_valid[RD_CLIENT_RX_DESC]),
    .req_ready(rd_req_ready[RD_CLIENT_RX_DESC]),
    .req_addr(rd_req_addr[RD_CLIENT_RX_DESC*64 +: 64]),
    .req_len(rd_req_len[RD_CLIENT_RX_DESC*16 +: 16]),
    .rsp_valid(rd_rsp_valid[RD_CLIENT_RX_DESC]),
    .rsp_ready(rd_rsp_ready[RD_CLIENT_RX_DESC]),
    .rsp_data(rd_rsp_data),
    .rsp_last(rd_rsp_last),
    .rsp_err(rd_rsp_err),
    .m_valid(rx_d_valid),
    .m_ready(rx_d_ready),
    .m_index(rx_d_index),
    .m_desc(rx_d_desc),
    .shadow_we(rx_shadow_we),
    .shadow_index(rx_shadow_index),
    .shadow_desc(rx_shadow_desc),
    .fetched_ptr(rx_fetched_ptr),
    .ring_empty(rx_ring_empty),
    .busy(rx_fetch_busy),
    .err_valid(rx_err_valid[RING_UNIT_FETCH]),
    .err_code(rx_err_code[RING_UNIT_FETCH*8 +: 8]),
    .err_index(rx_err_index[RING_UNIT_FETCH*16 +: 16])
);

dma_rx #(
    .DATA_WIDTH(DATA_WIDTH)
) rx_inst (
    .clk(clk),
    .rst(rst_core),
    .clear(rx_clear),
    .run(rx_run),
    .quiesce(quiesce),
    .len_valid(rx_len_valid),
    .len_ready(rx_len_ready),
    .len_bytes(rx_len_bytes),
    .len_err(rx_len_err),
    .pkt_valid(rx_pkt_valid),
    .pkt_ready(rx_pkt_ready),
    .pkt_data(rx_pkt_data),
    .d_valid(rx_d_valid),
    .d_ready(rx_d_ready),
    .d_index(rx_d_index),
    .d_desc(rx_d_desc),
    .ring_empty(rx_ring_empty),
    .req_valid(wr_req_valid[WR_CLIENT_RX_DATA]),
    .req_ready(wr_req_ready[WR_CLIENT_RX_DATA]),
    .req_addr(wr_req_addr[WR_CLIENT_RX_DATA*64 +: 64]),
    .req_len(wr_req_len[WR_CLIENT_RX_DATA*16 +: 16]),
    .wdat_valid(wr_wdat_valid[WR_CLIENT_RX_DATA]),
    .wdat_ready(wr_wdat_ready[WR_CLIENT_RX_DATA]),
    .wdat_data(wr_wdat_data[WR_CLIENT_RX_DATA*DATA_WIDTH +: DATA_WIDTH]),
    .done_valid(wr_done_valid[WR_CLIENT_RX_DATA]),
    .done_err(wr_done_err[WR_CLIENT_RX_DATA]),
    .cpl_valid(rx_cpl_valid),
    .cpl_ready(rx_cpl_ready),
    .cpl_index(rx_cpl_index),
    .cpl_wb_len(rx_cpl_wb_len),
    .cpl_status(rx_cpl_status),
    .cpl_err(rx_cpl_err),
    .err_valid(rx_err_valid[RING_UNIT_MOVER]),
    .err_code(rx_err_code[RING_UNIT_MOVER*8 +: 8]),
    .err_index(rx_err_index[RING_UNIT_MOVER*16 +: 16]),
    .drop_inc(rx_drop_inc),
    .err_inc(rx_err_inc),
    .busy(rx_mover_busy),
    .boundary(rx_boundary)
);

dma_cpl_write #(
    .DATA_WIDTH(DATA_WIDTH),
    .DESC_DEPTH(DESC_DEPTH)
) rx_cpl_inst (
    .clk(clk),
    .rst(rst_core),
    .clear(rx_clear),
    .run(rx_run),
    .base(rx_base),
    .size_log2(rx_size_log2),
    .line_log2(rx_line_log2),
    .tail(rx_tail),
    .wb_delay(wb_delay),
    .shadow_we(rx_shadow_we),
    .shadow_index(rx_shadow_index),
    .shadow_desc(rx_shadow_desc),
    .fetched_ptr(rx_fetched_ptr),
    .cpl_valid(rx_cpl_valid),
    .cpl_ready(rx_cpl_ready),
    .cpl_index(rx_cpl_index),
    .cpl_wb_len(rx_cpl_wb_len),
    .cpl_status(rx_cpl_status),
    .cpl_err(rx_cpl_err),
    .req_valid(wr_req_valid[WR_CLIENT_RX_WB]),
    .req_ready(wr_req_ready[WR_CLIENT_RX_WB]),
    .req_addr(wr_req_addr[WR_CLIENT_RX_WB*64 +: 64]),
    .req_len(wr_req_len[WR_CLIENT_RX_WB*16 +: 16]),
    .wdat_valid(wr_wdat_valid[WR_CLIENT_RX_WB]),
    .wdat_ready(wr_wdat_ready[WR_CLIENT_RX_WB]),
    .wdat_data(wr_wdat_data[WR_CLIENT_RX_WB*DATA_WIDTH +: DATA_WIDTH]),
    .done_valid(wr_done_valid[WR_CLIENT_RX_WB]),
    .done_err(wr_done_err[WR_CLIENT_RX_WB]),
    .head(rx_head),
    .fetch_limit(rx_fetch_limit),
    .irq_req(rx_done_irq),
    .pkt_inc(rx_pkt_inc),
    .partial_inc(rx_partial_inc),
    .busy(rx_wb_busy),
    .err_valid(rx_err_valid[RING_UNIT_WB]),
    .err_code(rx_err_code[RING_UNIT_WB*8 +: 8]),
    .err_index(rx_err_index[RING_UNIT_WB*16 +: 16])
);

endmodule

`resetall
