`resetall
`timescale 1ns / 1ps
`default_nettype none

// memcpy_dma_harness -- memcpy_dma with the kit's HDL parts around it: the fast path.
//
// What a user writes to give tb.vip its HDL monitor (tb_axi_monitor, u_mon) and,
// with FAST = 1, its HDL memory (tb_axi_mem, u_mem): Python then touches the bus
// once per burst instead of every cycle. The bench attaches with
//     vip.attach(dut, "axi", ..., hdl_monitor=dut.u_mon, hdl_memory=dut.u_mem,
//                clock_period_ns=...)
// FAST = 0: the engine's AXI4 port leaves on axi_* (without ID signals: the engine
//           uses ID 0) for a memory in Python; u_mon watches it all the same, so the
//           kit's Python monitor and the HDL one can be compared on one bus.
// FAST = 1: u_mem serves the port; axi_* outputs mirror the bus, its inputs are unused.
module memcpy_dma_harness #(
    // AXI data width in bits: 32, 64, 128, 256 or 512
    parameter DATA_WIDTH = 64,
    // longest burst in beats, power of two 2..256
    parameter MAX_BURST_LEN = 16,
    // 1: tb_axi_mem serves the port; 0: the axi_* port does
    parameter FAST = 0
) (
    input  wire                    clk,
    input  wire                    rst,

    input  wire                    reg_wr_en,
    input  wire [3:0]              reg_wr_addr,
    input  wire [31:0]             reg_wr_data,
    output wire                    busy,
    output wire                    irq,
    output wire [1:0]              error,

    output wire [63:0]             axi_awaddr,
    output wire [7:0]              axi_awlen,
    output wire [2:0]              axi_awsize,
    output wire [1:0]              axi_awburst,
    output wire                    axi_awvalid,
    input  wire                    axi_awready,
    output wire [DATA_WIDTH-1:0]   axi_wdata,
    output wire [DATA_WIDTH/8-1:0] axi_wstrb,
    output wire                    axi_wlast,
    output wire                    axi_wvalid,
    input  wire                    axi_wready,
    input  wire [1:0]              axi_bresp,
    input  wire                    axi_bvalid,
    output wire                    axi_bready,
    output wire [63:0]             axi_araddr,
    output wire [7:0]              axi_arlen,
    output wire [2:0]              axi_arsize,
    output wire [1:0]              axi_arburst,
    output wire                    axi_arvalid,
    input  wire                    axi_arready,
    input  wire [DATA_WIDTH-1:0]   axi_rdata,
    input  wire [1:0]              axi_rresp,
    input  wire                    axi_rlast,
    input  wire                    axi_rvalid,
    output wire                    axi_rready
);

// the engine's bus
wire                    awready, wready, bvalid, arready, rlast, rvalid;
wire [1:0]              bresp, rresp;
wire [DATA_WIDTH-1:0]   rdata;
wire                    id_unused_aw, id_unused_ar;

memcpy_dma #(
    .DATA_WIDTH(DATA_WIDTH),
    .ADDR_WIDTH(64),
    .ID_WIDTH(1),
    .MAX_BURST_LEN(MAX_BURST_LEN)
) u_dma (
    .clk(clk),
    .rst(rst),
    .reg_wr_en(reg_wr_en),
    .reg_wr_addr(reg_wr_addr),
    .reg_wr_data(reg_wr_data),
    .busy(busy),
    .irq(irq),
    .error(error),
    .m_axi_awid(id_unused_aw),
    .m_axi_awaddr(axi_awaddr),
    .m_axi_awlen(axi_awlen),
    .m_axi_awsize(axi_awsize),
    .m_axi_awburst(axi_awburst),
    .m_axi_awvalid(axi_awvalid),
    .m_axi_awready(awready),
    .m_axi_wdata(axi_wdata),
    .m_axi_wstrb(axi_wstrb),
    .m_axi_wlast(axi_wlast),
    .m_axi_wvalid(axi_wvalid),
    .m_axi_wready(wready),
    .m_axi_bid(1'b0),
    .m_axi_bresp(bresp),
    .m_axi_bvalid(bvalid),
    .m_axi_bready(axi_bready),
    .m_axi_arid(id_unused_ar),
    .m_axi_araddr(axi_araddr),
    .m_axi_arlen(axi_arlen),
    .m_axi_arsize(axi_arsize),
    .m_axi_arburst(axi_arburst),
    .m_axi_arvalid(axi_arvalid),
    .m_axi_arready(arready),
    .m_axi_rid(1'b0),
    .m_axi_rdata(rdata),
    .m_axi_rresp(rresp),
    .m_axi_rlast(rlast),
    .m_axi_rvalid(rvalid),
    .m_axi_rready(axi_rready)
);

tb_axi_monitor #(
    .DATA_WIDTH(DATA_WIDTH),
    .ID_WIDTH(1),
    .MAX_BURST_LEN(MAX_BURST_LEN),
    .DEPTH(16)
) u_mon (
    .clk(clk),
    .rst(rst),
    .arid(1'b0),
    .araddr(axi_araddr),
    .arlen(axi_arlen),
    .arsize(axi_arsize),
    .arburst(axi_arburst),
    .arvalid(axi_arvalid),
    .arready(arready),
    .rid(1'b0),
    .rlast(rlast),
    .rvalid(rvalid),
    .rready(axi_rready),
    .awid(1'b0),
    .awaddr(axi_awaddr),
    .awlen(axi_awlen),
    .awsize(axi_awsize),
    .awburst(axi_awburst),
    .awvalid(axi_awvalid),
    .awready(awready),
    .wdata(axi_wdata),
    .wstrb(axi_wstrb),
    .wlast(axi_wlast),
    .wvalid(axi_wvalid),
    .wready(wready),
    .counts()
);

generate
if (FAST != 0) begin : g_fast
    wire bid_unused, rid_unused;

    tb_axi_mem #(
        .DATA_WIDTH(DATA_WIDTH),
        .ID_WIDTH(1),
        .MAX_BURST_LEN(MAX_BURST_LEN),
        .DEPTH(16),
        .RD_LATENCY(8),
        .WR_LATENCY(4)
    ) u_mem (
        .clk(clk),
        .rst(rst),
        .s_axi_awid(1'b0),
        .s_axi_awaddr(axi_awaddr),
        .s_axi_awlen(axi_awlen),
        .s_axi_awsize(axi_awsize),
        .s_axi_awburst(axi_awburst),
        .s_axi_awvalid(axi_awvalid),
        .s_axi_awready(awready),
        .s_axi_wdata(axi_wdata),
        .s_axi_wstrb(axi_wstrb),
        .s_axi_wlast(axi_wlast),
        .s_axi_wvalid(axi_wvalid),
        .s_axi_wready(wready),
        .s_axi_bid(bid_unused),
        .s_axi_bresp(bresp),
        .s_axi_bvalid(bvalid),
        .s_axi_bready(axi_bready),
        .s_axi_arid(1'b0),
        .s_axi_araddr(axi_araddr),
        .s_axi_arlen(axi_arlen),
        .s_axi_arsize(axi_arsize),
        .s_axi_arburst(axi_arburst),
        .s_axi_arvalid(axi_arvalid),
        .s_axi_arready(arready),
        .s_axi_rid(rid_unused),
        .s_axi_rdata(rdata),
        .s_axi_rresp(rresp),
        .s_axi_rlast(rlast),
        .s_axi_rvalid(rvalid),
        .s_axi_rready(axi_rready)
    );
end else begin : g_port
    assign awready = axi_awready;
    assign wready = axi_wready;
    assign bresp = axi_bresp;
    assign bvalid = axi_bvalid;
    assign arready = axi_arready;
    assign rdata = axi_rdata;
    assign rresp = axi_rresp;
    assign rlast = axi_rlast;
    assign rvalid = axi_rvalid;
end
endgenerate

endmodule

`resetall
