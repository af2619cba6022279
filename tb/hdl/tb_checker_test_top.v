`resetall
`timescale 1ns / 1ps
`default_nettype none

// tb_checker_test_top -- harness that proves the protocol checkers and the mangler work
// (tb/units/test_protocol_checkers.py; test bench only).
//
//   s_axi_* (master: cocotbext-axi AxiMaster or hand-driven) -> u_mangler (mangle_mode)
//     -> m_axi_* (slave: cocotbext-axi AxiRam or hand-driven)
//   u_axi_chk   tb_axi4_checker on that bus, each channel where its receiver sees it:
//               AW, W, AR from m_axi_* and B, R from s_axi_* (see tb_axi_mangler.v)
//   s_axil_*    every signal an input (master and slave both driven from Python)
//               -> u_axil_chk tb_axil_checker
//   s_axis_*    every signal an input (source and sink both driven from Python)
//               -> u_axis_chk tb_axis_checker
//
// Nothing else is in here: the checkers' outputs are read through the instance
// handles (dut.u_axi_chk.violation, ...), as the system harness does.
module tb_checker_test_top #(
    // AXI4 and AXI-Stream data width in bits
    parameter DATA_WIDTH = 64,
    // AXI4 address width in bits
    parameter ADDR_WIDTH = 64,
    // AXI4 ID width in bits
    parameter ID_WIDTH = 4,
    // first transaction (per channel) the mangler may mangle
    parameter MANGLE_NTH = 1,
    // bursts the AXI4 checker tracks (kept small so the overflow rule can be shown)
    parameter AXI_MAX_OUTSTANDING = 16,
    // requests the AXI-Lite checker tracks (small, for the same reason)
    parameter AXIL_MAX_OUTSTANDING = 4
) (
    input  wire                      clk,
    input  wire                      rst,
    input  wire [7:0]                mangle_mode,
    output wire                      mangled,

    // AXI4 master side (drive it with a master model or by hand)
    input  wire [ID_WIDTH-1:0]       s_axi_awid,
    input  wire [ADDR_WIDTH-1:0]     s_axi_awaddr,
    input  wire [8-1:0]              s_axi_awlen,
    input  wire [3-1:0]              s_axi_awsize,
    input  wire [2-1:0]              s_axi_awburst,
    input  wire                      s_axi_awlock,
    input  wire [4-1:0]              s_axi_awcache,
    input  wire [3-1:0]              s_axi_awprot,
    input  wire                      s_axi_awvalid,
    output wire                      s_axi_awready,
    input  wire [DATA_WIDTH-1:0]     s_axi_wdata,
    input  wire [DATA_WIDTH/8-1:0]   s_axi_wstrb,
    input  wire                      s_axi_wlast,
    input  wire                      s_axi_wvalid,
    output wire                      s_axi_wready,
    output wire [ID_WIDTH-1:0]       s_axi_bid,
    output wire [2-1:0]              s_axi_bresp,
    output wire                      s_axi_bvalid,
    input  wire                      s_axi_bready,
    input  wire [ID_WIDTH-1:0]       s_axi_arid,
    input  wire [ADDR_WIDTH-1:0]     s_axi_araddr,
    input  wire [8-1:0]              s_axi_arlen,
    input  wire [3-1:0]              s_axi_arsize,
    input  wire [2-1:0]              s_axi_arburst,
    input  wire                      s_axi_arlock,
    input  wire [4-1:0]              s_axi_arcache,
    input  wire [3-1:0]              s_axi_arprot,
    input  wire                      s_axi_arvalid,
    output wire                      s_axi_arready,
    output wire [ID_WIDTH-1:0]       s_axi_rid,
    output wire [DATA_WIDTH-1:0]     s_axi_rdata,
    output wire [2-1:0]              s_axi_rresp,
    output wire                      s_axi_rlast,
    output wire                      s_axi_rvalid,
    input  wire                      s_axi_rready,
    // AXI4 bus side (answer it with a slave model or by hand)
    output wire [ID_WIDTH-1:0]       m_axi_awid,
    output wire [ADDR_WIDTH-1:0]     m_axi_awaddr,
    output wire [8-1:0]              m_axi_awlen,
    output wire [3-1:0]              m_axi_awsize,
    output wire [2-1:0]              m_axi_awburst,
    output wire                      m_axi_awlock,
    output wire [4-1:0]              m_axi_awcache,
    output wire [3-1:0]              m_axi_awprot,
    output wire                      m_axi_awvalid,
    input  wire                      m_axi_awready,
    output wire [DATA_WIDTH-1:0]     m_axi_wdata,
    output wire [DATA_WIDTH/8-1:0]   m_axi_wstrb,
    output wire                      m_axi_wlast,
    output wire                      m_axi_wvalid,
    input  wire                      m_axi_wready,
    input  wire [ID_WIDTH-1:0]       m_axi_bid,
    input  wire [2-1:0]              m_axi_bresp,
    input  wire                      m_axi_bvalid,
    output wire                      m_axi_bready,
    output wire [ID_WIDTH-1:0]       m_axi_arid,
    output wire [ADDR_WIDTH-1:0]     m_axi_araddr,
    output wire [8-1:0]              m_axi_arlen,
    output wire [3-1:0]              m_axi_arsize,
    output wire [2-1:0]              m_axi_arburst,
    output wire                      m_axi_arlock,
    output wire [4-1:0]              m_axi_arcache,
    output wire [3-1:0]              m_axi_arprot,
    output wire                      m_axi_arvalid,
    input  wire                      m_axi_arready,
    input  wire [ID_WIDTH-1:0]       m_axi_rid,
    input  wire [DATA_WIDTH-1:0]     m_axi_rdata,
    input  wire [2-1:0]              m_axi_rresp,
    input  wire                      m_axi_rlast,
    input  wire                      m_axi_rvalid,
    output wire                      m_axi_rready,

    // AXI-Lite (12-bit address, 32-bit data)
    input  wire [11:0]               s_axil_awaddr,
    input  wire [2:0]                s_axil_awprot,
    input  wire                      s_axil_awvalid,
    input  wire                      s_axil_awready,
    input  wire [31:0]               s_axil_wdata,
    input  wire [3:0]                s_axil_wstrb,
    input  wire                      s_axil_wvalid,
    input  wire                      s_axil_wready,
    input  wire [1:0]                s_axil_bresp,
    input  wire                      s_axil_bvalid,
    input  wire                      s_axil_bready,
    input  wire [11:0]               s_axil_araddr,
    input  wire [2:0]                s_axil_arprot,
    input  wire                      s_axil_arvalid,
    input  wire                      s_axil_arready,
    input  wire [31:0]               s_axil_rdata,
    input  wire [1:0]                s_axil_rresp,
    input  wire                      s_axil_rvalid,
    input  wire                      s_axil_rready,

    // AXI-Stream
    input  wire [DATA_WIDTH-1:0]     s_axis_tdata,
    input  wire [DATA_WIDTH/8-1:0]   s_axis_tkeep,
    input  wire                      s_axis_tlast,
    input  wire                      s_axis_tvalid,
    input  wire                      s_axis_tready,
    input  wire                      s_axis_tuser
);

tb_axi_mangler #(
    .DATA_WIDTH(DATA_WIDTH),
    .ADDR_WIDTH(ADDR_WIDTH),
    .ID_WIDTH(ID_WIDTH),
    .MANGLE_NTH(MANGLE_NTH)
) u_mangler (
    .clk(clk),
    .rst(rst),
    .mode(mangle_mode),
    .mangled(mangled),
    .s_axi_awid(s_axi_awid),
    .s_axi_awaddr(s_axi_awaddr),
    .s_axi_awlen(s_axi_awlen),
    .s_axi_awsize(s_axi_awsize),
    .s_axi_awburst(s_axi_awburst),
    .s_axi_awlock(s_axi_awlock),
    .s_axi_awcache(s_axi_awcache),
    .s_axi_awprot(s_axi_awprot),
    .s_axi_awvalid(s_axi_awvalid),
    .s_axi_awready(s_axi_awready),
    .s_axi_wdata(s_axi_wdata),
    .s_axi_wstrb(s_axi_wstrb),
    .s_axi_wlast(s_axi_wlast),
    .s_axi_wvalid(s_axi_wvalid),
    .s_axi_wready(s_axi_wready),
    .s_axi_bid(s_axi_bid),
    .s_axi_bresp(s_axi_bresp),
    .s_axi_bvalid(s_axi_bvalid),
    .s_axi_bready(s_axi_bready),
    .s_axi_arid(s_axi_arid),
    .s_axi_araddr(s_axi_araddr),
    .s_axi_arlen(s_axi_arlen),
    .s_axi_arsize(s_axi_arsize),
    .s_axi_arburst(s_axi_arburst),
    .s_axi_arlock(s_axi_arlock),
    .s_axi_arcache(s_axi_arcache),
    .s_axi_arprot(s_axi_arprot),
    .s_axi_arvalid(s_axi_arvalid),
    .s_axi_arready(s_axi_arready),
    .s_axi_rid(s_axi_rid),
    .s_axi_rdata(s_axi_rdata),
    .s_axi_rresp(s_axi_rresp),
    .s_axi_rlast(s_axi_rlast),
    .s_axi_rvalid(s_axi_rvalid),
    .s_axi_rready(s_axi_rready),
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
    .m_axi_bready(m_axi_bready),
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

/* verilator lint_off PINCONNECTEMPTY */
tb_axi4_checker #(
    .DATA_WIDTH(DATA_WIDTH),
    .ADDR_WIDTH(ADDR_WIDTH),
    .ID_WIDTH(ID_WIDTH),
    .MAX_OUTSTANDING(AXI_MAX_OUTSTANDING)
) u_axi_chk (
    .clk(clk),
    .rst(rst),
    .awid(m_axi_awid),
    .awaddr(m_axi_awaddr),
    .awlen(m_axi_awlen),
    .awsize(m_axi_awsize),
    .awburst(m_axi_awburst),
    .awlock(m_axi_awlock),
    .awcache(m_axi_awcache),
    .awprot(m_axi_awprot),
    .awvalid(m_axi_awvalid),
    .awready(m_axi_awready),
    .wdata(m_axi_wdata),
    .wstrb(m_axi_wstrb),
    .wlast(m_axi_wlast),
    .wvalid(m_axi_wvalid),
    .wready(m_axi_wready),
    .bid(s_axi_bid),
    .bresp(s_axi_bresp),
    .bvalid(s_axi_bvalid),
    .bready(s_axi_bready),
    .arid(m_axi_arid),
    .araddr(m_axi_araddr),
    .arlen(m_axi_arlen),
    .arsize(m_axi_arsize),
    .arburst(m_axi_arburst),
    .arlock(m_axi_arlock),
    .arcache(m_axi_arcache),
    .arprot(m_axi_arprot),
    .arvalid(m_axi_arvalid),
    .arready(m_axi_arready),
    .rid(s_axi_rid),
    .rdata(s_axi_rdata),
    .rresp(s_axi_rresp),
    .rlast(s_axi_rlast),
    .rvalid(s_axi_rvalid),
    .rready(s_axi_rready),
    .violation(),
    .violation_rule(),
    .violation_addr(),
    .violation_id(),
    .violation_count()
);

tb_axil_checker #(
    .ADDR_WIDTH(12),
    .DATA_WIDTH(32),
    .MAX_OUTSTANDING(AXIL_MAX_OUTSTANDING)
) u_axil_chk (
    .clk(clk),
    .rst(rst),
    .awaddr(s_axil_awaddr),
    .awprot(s_axil_awprot),
    .awvalid(s_axil_awvalid),
    .awready(s_axil_awready),
    .wdata(s_axil_wdata),
    .wstrb(s_axil_wstrb),
    .wvalid(s_axil_wvalid),
    .wready(s_axil_wready),
    .bresp(s_axil_bresp),
    .bvalid(s_axil_bvalid),
    .bready(s_axil_bready),
    .araddr(s_axil_araddr),
    .arprot(s_axil_arprot),
    .arvalid(s_axil_arvalid),
    .arready(s_axil_arready),
    .rdata(s_axil_rdata),
    .rresp(s_axil_rresp),
    .rvalid(s_axil_rvalid),
    .rready(s_axil_rready),
    .violation(),
    .violation_rule(),
    .violation_addr(),
    .violation_count()
);

tb_axis_checker #(
    .DATA_WIDTH(DATA_WIDTH)
) u_axis_chk (
    .clk(clk),
    .rst(rst),
    .tdata(s_axis_tdata),
    .tkeep(s_axis_tkeep),
    .tlast(s_axis_tlast),
    .tvalid(s_axis_tvalid),
    .tready(s_axis_tready),
    .tuser(s_axis_tuser),
    .violation(),
    .violation_rule(),
    .violation_packet(),
    .violation_beat(),
    .violation_count()
);
/* verilator lint_on PINCONNECTEMPTY */

endmodule

`resetall
