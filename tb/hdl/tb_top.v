`resetall
`timescale 1ns / 1ps
`default_nettype none

// tb_top -- the toplevel of every system simulation: clock, reset, dma_engine
// (instance `dut`), the passive AXI4 monitor, and one of two sets of bus models:
//
//   FAST = 1  HDL transactors (tb_axi_mem, tb_axil_master, tb_axis_source,
//             tb_axis_sink) with Python touched once per burst or packet
//             (tb/bfm/fast.py)
//   FAST = 0  reference: cocotbext-axi drives the ref_* signals (regs it drives,
//             wires mirroring the engine's outputs), so AxiBus.from_prefix(dut,
//             "ref_m_axi") and friends bind (tb/bfm/reference.py)
//
//   dut.m_axi_* --> u_mangle (tb_axi_mangler) --> mem_axi_* --> tb_axi_mem | ref_m_axi_*
//                                                    |
//        u_mon (tb_axi_monitor): every AR and write  +--> burst, for the Python checkers
//        u_axi_chk, u_axil_chk, u_tx_chk, u_rx_chk: per-cycle protocol checkers
//
// The clock runs in Verilog (Python never wakes on it unless it asks); Python
// drives `rst` (high from time 0 until Python releases it).
module tb_top #(
    // AXI4 and AXI-Stream data width in bits: 32, 64, 128 or 256
    parameter DATA_WIDTH = 64,
    // 1: HDL transactors; 0: reference (cocotbext-axi on the ref_* signals)
    parameter FAST = 1,
    // clock period in ns
    parameter CLK_PERIOD_NS = 4,
    // engine: AXI4 ID width
    parameter ID_WIDTH = 4,
    // engine: longest AXI4 burst in beats
    parameter MAX_BURST_LEN = 64,
    // engine: AXI4 read bursts in flight (the engine's default)
    parameter MAX_RD_OUTSTANDING = (DATA_WIDTH >= 256) ? 128 : 64,
    // engine: AXI4 write bursts awaiting B (the engine's default)
    parameter MAX_WR_OUTSTANDING = 32,
    // engine: descriptor cache entries per ring (the engine's default)
    parameter DESC_DEPTH = (DATA_WIDTH >= 256) ? 256 : 128,
    // engine: descriptor reads in flight per ring (the engine's default)
    parameter DESC_FETCH_READS = 4,
    // engine: TX data buffer in beats
    parameter TX_FIFO_BEATS = 1024,
    // fast memory: ring slots per direction (bound on its outstanding limits; also
    // the bursts per ID the AXI4 protocol checker tracks)
    parameter MEM_DEPTH = 32,
    // fast memory: default cycles from AR to the first R beat (+MEM_RD_LATENCY=)
    parameter MEM_RD_LATENCY = 200,
    // fast memory: default cycles from a complete write burst to B (+MEM_WR_LATENCY=)
    parameter MEM_WR_LATENCY = 20,
    // fast memory: default read bursts it accepts before answering (+MEM_RD_OUTSTANDING=)
    parameter MEM_RD_OUTSTANDING = 16,
    // fast memory: default write bursts it accepts before answering (+MEM_WR_OUTSTANDING=)
    parameter MEM_WR_OUTSTANDING = 16,
    // monitor ring entries per direction
    parameter MON_DEPTH = 64,
    // fast streams: bytes per source load / sink chunk buffer
    parameter STREAM_BUF_BYTES = 16384,
    // 1: count where the engine's cycles go (tb_perf_monitor, u_perf), for benchmarks
    parameter PERF = 0
) ();

initial begin
    if (FAST != 0 && FAST != 1) begin
        $fatal(1, "tb_top: FAST must be 0 or 1, not %0d (instance %m)", FAST);
    end
    if (CLK_PERIOD_NS < 2) begin
        $fatal(1, "tb_top: CLK_PERIOD_NS must be at least 2, not %0d (instance %m)", CLK_PERIOD_NS);
    end
end

// ---------------------------------------------------------------- clock, reset
reg clk;
reg rst /* verilator public_flat_rw */;
initial begin
    clk = 1'b0;
    rst = 1'b1;
end
always #(CLK_PERIOD_NS / 2.0) clk = ~clk;

wire irq;

// ------------------------------------------------------- engine-side buses
wire [ID_WIDTH-1:0] m_axi_awid;
wire [63:0] m_axi_awaddr;
wire [7:0] m_axi_awlen;
wire [2:0] m_axi_awsize;
wire [1:0] m_axi_awburst;
wire m_axi_awlock;
wire [3:0] m_axi_awcache;
wire [2:0] m_axi_awprot;
wire m_axi_awvalid;
wire m_axi_awready;
wire [DATA_WIDTH-1:0] m_axi_wdata;
wire [DATA_WIDTH/8-1:0] m_axi_wstrb;
wire m_axi_wlast;
wire m_axi_wvalid;
wire m_axi_wready;
wire [ID_WIDTH-1:0] m_axi_bid;
wire [1:0] m_axi_bresp;
wire m_axi_bvalid;
wire m_axi_bready;
wire [ID_WIDTH-1:0] m_axi_arid;
wire [63:0] m_axi_araddr;
wire [7:0] m_axi_arlen;
wire [2:0] m_axi_arsize;
wire [1:0] m_axi_arburst;
wire m_axi_arlock;
wire [3:0] m_axi_arcache;
wire [2:0] m_axi_arprot;
wire m_axi_arvalid;
wire m_axi_arready;
wire [ID_WIDTH-1:0] m_axi_rid;
wire [DATA_WIDTH-1:0] m_axi_rdata;
wire [1:0] m_axi_rresp;
wire m_axi_rlast;
wire m_axi_rvalid;
wire m_axi_rready;
wire [11:0] s_axil_awaddr;
wire [2:0] s_axil_awprot;
wire s_axil_awvalid;
wire s_axil_awready;
wire [31:0] s_axil_wdata;
wire [3:0] s_axil_wstrb;
wire s_axil_wvalid;
wire s_axil_wready;
wire [1:0] s_axil_bresp;
wire s_axil_bvalid;
wire s_axil_bready;
wire [11:0] s_axil_araddr;
wire [2:0] s_axil_arprot;
wire s_axil_arvalid;
wire s_axil_arready;
wire [31:0] s_axil_rdata;
wire [1:0] s_axil_rresp;
wire s_axil_rvalid;
wire s_axil_rready;
wire [DATA_WIDTH-1:0] m_axis_tx_tdata;
wire [DATA_WIDTH/8-1:0] m_axis_tx_tkeep;
wire m_axis_tx_tlast;
wire m_axis_tx_tvalid;
wire m_axis_tx_tready;
wire m_axis_tx_tuser;
wire [DATA_WIDTH-1:0] s_axis_rx_tdata;
wire [DATA_WIDTH/8-1:0] s_axis_rx_tkeep;
wire s_axis_rx_tlast;
wire s_axis_rx_tvalid;
wire s_axis_rx_tready;
wire s_axis_rx_tuser;

// ------------------------------------------------ memory side of the AXI4 bus
wire [ID_WIDTH-1:0] mem_axi_awid;
wire [63:0] mem_axi_awaddr;
wire [7:0] mem_axi_awlen;
wire [2:0] mem_axi_awsize;
wire [1:0] mem_axi_awburst;
wire mem_axi_awlock;
wire [3:0] mem_axi_awcache;
wire [2:0] mem_axi_awprot;
wire mem_axi_awvalid;
wire mem_axi_awready;
wire [DATA_WIDTH-1:0] mem_axi_wdata;
wire [DATA_WIDTH/8-1:0] mem_axi_wstrb;
wire mem_axi_wlast;
wire mem_axi_wvalid;
wire mem_axi_wready;
wire [ID_WIDTH-1:0] mem_axi_bid;
wire [1:0] mem_axi_bresp;
wire mem_axi_bvalid;
wire mem_axi_bready;
wire [ID_WIDTH-1:0] mem_axi_arid;
wire [63:0] mem_axi_araddr;
wire [7:0] mem_axi_arlen;
wire [2:0] mem_axi_arsize;
wire [1:0] mem_axi_arburst;
wire mem_axi_arlock;
wire [3:0] mem_axi_arcache;
wire [2:0] mem_axi_arprot;
wire mem_axi_arvalid;
wire mem_axi_arready;
wire [ID_WIDTH-1:0] mem_axi_rid;
wire [DATA_WIDTH-1:0] mem_axi_rdata;
wire [1:0] mem_axi_rresp;
wire mem_axi_rlast;
wire mem_axi_rvalid;
wire mem_axi_rready;

// Bus mangler between the engine (m_axi_*) and the memory side (mem_axi_*):
// a pass-through while `mangle_mode` is 0 (Python may set it before releasing
// reset, to make one transaction misbehave and prove a checker fires).
reg  [7:0] mangle_mode /* verilator public_flat_rw */;
wire       mangled;
initial mangle_mode = 8'd0;

tb_axi_mangler #(
    .DATA_WIDTH(DATA_WIDTH),
    .ADDR_WIDTH(64),
    .ID_WIDTH(ID_WIDTH)
) u_mangle (
    .clk(clk),
    .rst(rst),
    .mode(mangle_mode),
    .mangled(mangled),
    .s_axi_awid(m_axi_awid),
    .s_axi_awaddr(m_axi_awaddr),
    .s_axi_awlen(m_axi_awlen),
    .s_axi_awsize(m_axi_awsize),
    .s_axi_awburst(m_axi_awburst),
    .s_axi_awlock(m_axi_awlock),
    .s_axi_awcache(m_axi_awcache),
    .s_axi_awprot(m_axi_awprot),
    .s_axi_awvalid(m_axi_awvalid),
    .s_axi_awready(m_axi_awready),
    .s_axi_wdata(m_axi_wdata),
    .s_axi_wstrb(m_axi_wstrb),
    .s_axi_wlast(m_axi_wlast),
    .s_axi_wvalid(m_axi_wvalid),
    .s_axi_wready(m_axi_wready),
    .s_axi_bid(m_axi_bid),
    .s_axi_bresp(m_axi_bresp),
    .s_axi_bvalid(m_axi_bvalid),
    .s_axi_bready(m_axi_bready),
    .s_axi_arid(m_axi_arid),
    .s_axi_araddr(m_axi_araddr),
    .s_axi_arlen(m_axi_arlen),
    .s_axi_arsize(m_axi_arsize),
    .s_axi_arburst(m_axi_arburst),
    .s_axi_arlock(m_axi_arlock),
    .s_axi_arcache(m_axi_arcache),
    .s_axi_arprot(m_axi_arprot),
    .s_axi_arvalid(m_axi_arvalid),
    .s_axi_arready(m_axi_arready),
    .s_axi_rid(m_axi_rid),
    .s_axi_rdata(m_axi_rdata),
    .s_axi_rresp(m_axi_rresp),
    .s_axi_rlast(m_axi_rlast),
    .s_axi_rvalid(m_axi_rvalid),
    .s_axi_rready(m_axi_rready),
    .m_axi_awid(mem_axi_awid),
    .m_axi_awaddr(mem_axi_awaddr),
    .m_axi_awlen(mem_axi_awlen),
    .m_axi_awsize(mem_axi_awsize),
    .m_axi_awburst(mem_axi_awburst),
    .m_axi_awlock(mem_axi_awlock),
    .m_axi_awcache(mem_axi_awcache),
    .m_axi_awprot(mem_axi_awprot),
    .m_axi_awvalid(mem_axi_awvalid),
    .m_axi_awready(mem_axi_awready),
    .m_axi_wdata(mem_axi_wdata),
    .m_axi_wstrb(mem_axi_wstrb),
    .m_axi_wlast(mem_axi_wlast),
    .m_axi_wvalid(mem_axi_wvalid),
    .m_axi_wready(mem_axi_wready),
    .m_axi_bid(mem_axi_bid),
    .m_axi_bresp(mem_axi_bresp),
    .m_axi_bvalid(mem_axi_bvalid),
    .m_axi_bready(mem_axi_bready),
    .m_axi_arid(mem_axi_arid),
    .m_axi_araddr(mem_axi_araddr),
    .m_axi_arlen(mem_axi_arlen),
    .m_axi_arsize(mem_axi_arsize),
    .m_axi_arburst(mem_axi_arburst),
    .m_axi_arlock(mem_axi_arlock),
    .m_axi_arcache(mem_axi_arcache),
    .m_axi_arprot(mem_axi_arprot),
    .m_axi_arvalid(mem_axi_arvalid),
    .m_axi_arready(mem_axi_arready),
    .m_axi_rid(mem_axi_rid),
    .m_axi_rdata(mem_axi_rdata),
    .m_axi_rresp(mem_axi_rresp),
    .m_axi_rlast(mem_axi_rlast),
    .m_axi_rvalid(mem_axi_rvalid),
    .m_axi_rready(mem_axi_rready)
);

// ------------------------------------------------------------------ engine
dma_engine #(
    .DATA_WIDTH(DATA_WIDTH),
    .ID_WIDTH(ID_WIDTH),
    .MAX_BURST_LEN(MAX_BURST_LEN),
    .MAX_RD_OUTSTANDING(MAX_RD_OUTSTANDING),
    .MAX_WR_OUTSTANDING(MAX_WR_OUTSTANDING),
    .DESC_DEPTH(DESC_DEPTH),
    .DESC_FETCH_READS(DESC_FETCH_READS),
    .TX_FIFO_BEATS(TX_FIFO_BEATS)
) dut (
    .clk(clk),
    .rst(rst),
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
    .m_axi_rready(m_axi_rready),
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
    .m_axis_tx_tdata(m_axis_tx_tdata),
    .m_axis_tx_tkeep(m_axis_tx_tkeep),
    .m_axis_tx_tlast(m_axis_tx_tlast),
    .m_axis_tx_tvalid(m_axis_tx_tvalid),
    .m_axis_tx_tready(m_axis_tx_tready),
    .m_axis_tx_tuser(m_axis_tx_tuser),
    .s_axis_rx_tdata(s_axis_rx_tdata),
    .s_axis_rx_tkeep(s_axis_rx_tkeep),
    .s_axis_rx_tlast(s_axis_rx_tlast),
    .s_axis_rx_tvalid(s_axis_rx_tvalid),
    .s_axis_rx_tready(s_axis_rx_tready),
    .s_axis_rx_tuser(s_axis_rx_tuser),
    .irq(irq)
);

// -------------------------------------------------- monitor (both modes)
// One cycle after a handshake the monitor reports the burst; at the next falling
// edge Python gives it to the checkers and then (fast bus models) to the memory
// model, which serves the read or applies the write: a driver never sees
// device-written data before the checkers have judged the write
// {overrun, write bursts, read bursts} the monitor has recorded (Python wakes on it)
wire [64:0] mon_counts;

tb_axi_monitor #(
    .DATA_WIDTH(DATA_WIDTH),
    .ID_WIDTH(ID_WIDTH),
    .MAX_BURST_LEN(MAX_BURST_LEN),
    .DEPTH(MON_DEPTH),
    .NOTIFY_DELAY(1)
) u_mon (
    .clk(clk),
    .rst(rst),
    .arid(mem_axi_arid),
    .araddr(mem_axi_araddr),
    .arlen(mem_axi_arlen),
    .arsize(mem_axi_arsize),
    .arburst(mem_axi_arburst),
    .arvalid(mem_axi_arvalid),
    .arready(mem_axi_arready),
    .rid(mem_axi_rid),
    .rlast(mem_axi_rlast),
    .rvalid(mem_axi_rvalid),
    .rready(mem_axi_rready),
    .awid(mem_axi_awid),
    .awaddr(mem_axi_awaddr),
    .awlen(mem_axi_awlen),
    .awsize(mem_axi_awsize),
    .awburst(mem_axi_awburst),
    .awvalid(mem_axi_awvalid),
    .awready(mem_axi_awready),
    .wdata(mem_axi_wdata),
    .wstrb(mem_axi_wstrb),
    .wlast(mem_axi_wlast),
    .wvalid(mem_axi_wvalid),
    .wready(mem_axi_wready),
    .counts(mon_counts)
);

// ------------------------------------------ protocol checkers (both modes)
// Each channel is checked where its receiver sees it: AW, W and AR on the
// memory side of the mangler (the engine's requests as the bus carries them),
// B and R on the engine side (the responses as the engine receives them).
wire        axi_violation, axil_violation, tx_violation, rx_violation;
wire [7:0]  axi_violation_rule, axil_violation_rule, tx_violation_rule, rx_violation_rule;
wire [63:0] axi_violation_addr, axil_violation_addr;
wire [ID_WIDTH-1:0] axi_violation_id;
wire [31:0] axi_violation_count, axil_violation_count, tx_violation_count, rx_violation_count;
wire [31:0] tx_violation_packet, tx_violation_beat, rx_violation_packet, rx_violation_beat;

tb_axi4_checker #(
    .DATA_WIDTH(DATA_WIDTH),
    .ADDR_WIDTH(64),
    .ID_WIDTH(ID_WIDTH),
    .MAX_OUTSTANDING(MEM_DEPTH)
) u_axi_chk (
    .clk(clk),
    .rst(rst),
    .awid(mem_axi_awid),
    .awaddr(mem_axi_awaddr),
    .awlen(mem_axi_awlen),
    .awsize(mem_axi_awsize),
    .awburst(mem_axi_awburst),
    .awlock(mem_axi_awlock),
    .awcache(mem_axi_awcache),
    .awprot(mem_axi_awprot),
    .awvalid(mem_axi_awvalid),
    .awready(mem_axi_awready),
    .wdata(mem_axi_wdata),
    .wstrb(mem_axi_wstrb),
    .wlast(mem_axi_wlast),
    .wvalid(mem_axi_wvalid),
    .wready(mem_axi_wready),
    .arid(mem_axi_arid),
    .araddr(mem_axi_araddr),
    .arlen(mem_axi_arlen),
    .arsize(mem_axi_arsize),
    .arburst(mem_axi_arburst),
    .arlock(mem_axi_arlock),
    .arcache(mem_axi_arcache),
    .arprot(mem_axi_arprot),
    .arvalid(mem_axi_arvalid),
    .arready(mem_axi_arready),
    .bid(m_axi_bid),
    .bresp(m_axi_bresp),
    .bvalid(m_axi_bvalid),
    .bready(m_axi_bready),
    .rid(m_axi_rid),
    .rdata(m_axi_rdata),
    .rresp(m_axi_rresp),
    .rlast(m_axi_rlast),
    .rvalid(m_axi_rvalid),
    .rready(m_axi_rready),
    .violation(axi_violation),
    .violation_rule(axi_violation_rule),
    .violation_addr(axi_violation_addr),
    .violation_id(axi_violation_id),
    .violation_count(axi_violation_count)
);

tb_axil_checker #(
    .ADDR_WIDTH(12),
    .DATA_WIDTH(32)
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
    .violation(axil_violation),
    .violation_rule(axil_violation_rule),
    .violation_addr(axil_violation_addr),
    .violation_count(axil_violation_count)
);

tb_axis_checker #(
    .DATA_WIDTH(DATA_WIDTH)
) u_tx_chk (
    .clk(clk),
    .rst(rst),
    .tdata(m_axis_tx_tdata),
    .tkeep(m_axis_tx_tkeep),
    .tlast(m_axis_tx_tlast),
    .tvalid(m_axis_tx_tvalid),
    .tready(m_axis_tx_tready),
    .tuser(m_axis_tx_tuser),
    .violation(tx_violation),
    .violation_rule(tx_violation_rule),
    .violation_packet(tx_violation_packet),
    .violation_beat(tx_violation_beat),
    .violation_count(tx_violation_count)
);

tb_axis_checker #(
    .DATA_WIDTH(DATA_WIDTH)
) u_rx_chk (
    .clk(clk),
    .rst(rst),
    .tdata(s_axis_rx_tdata),
    .tkeep(s_axis_rx_tkeep),
    .tlast(s_axis_rx_tlast),
    .tvalid(s_axis_rx_tvalid),
    .tready(s_axis_rx_tready),
    .tuser(s_axis_rx_tuser),
    .violation(rx_violation),
    .violation_rule(rx_violation_rule),
    .violation_packet(rx_violation_packet),
    .violation_beat(rx_violation_beat),
    .violation_count(rx_violation_count)
);

// ------------------------------------------- where the cycles go (benchmarks)
generate
if (PERF) begin : g_perf
    tb_perf_monitor #(
        .RD_LIMIT(MAX_RD_OUTSTANDING),
        .WR_LIMIT(MAX_WR_OUTSTANDING),
        .ID_WIDTH(ID_WIDTH)
    ) u_perf (
        .clk(clk),
        .rst(rst),
        .arvalid(m_axi_arvalid),
        .arready(m_axi_arready),
        .rid(m_axi_rid),
        .rvalid(m_axi_rvalid),
        .rready(m_axi_rready),
        .rlast(m_axi_rlast),
        .awid(m_axi_awid),
        .awvalid(m_axi_awvalid),
        .awready(m_axi_awready),
        .wvalid(m_axi_wvalid),
        .wready(m_axi_wready),
        .wlast(m_axi_wlast),
        .bvalid(m_axi_bvalid),
        .bready(m_axi_bready),
        .tx_tvalid(m_axis_tx_tvalid),
        .tx_tready(m_axis_tx_tready),
        .rx_tvalid(s_axis_rx_tvalid),
        .rx_tready(s_axis_rx_tready)
    );
end
endgenerate

// ---------------------------------------------------------------- watchdog
// A cycle with progress: any AXI4 handshake on the engine's side of the mangler (a
// bus that stops answering is seen where the engine waits), an AXI-Stream beat, an
// AXI-Lite write (a register changed). AXI-Lite reads are not progress: a driver polling a
// hung engine's STATUS is still hung. `wd_limit` (Python, tb/watchdog.py): cycles
// without progress that fail the test; 0 = off (the default until Python arms it).
reg  [31:0] wd_limit /* verilator public_flat_rw */;
wire [31:0] wd_idle_cycles;
wire        wd_stalled;
initial wd_limit = 32'd0;

wire wd_progress = (m_axi_arvalid && m_axi_arready) || (m_axi_rvalid && m_axi_rready)
                || (m_axi_awvalid && m_axi_awready) || (m_axi_wvalid && m_axi_wready)
                || (m_axi_bvalid && m_axi_bready)
                || (m_axis_tx_tvalid && m_axis_tx_tready) || (s_axis_rx_tvalid && s_axis_rx_tready)
                || (s_axil_awvalid && s_axil_awready) || (s_axil_wvalid && s_axil_wready);

tb_watchdog u_wdog (
    .clk(clk),
    .rst(rst),
    .limit(wd_limit),
    .progress(wd_progress),
    .idle_cycles(wd_idle_cycles),
    .stalled(wd_stalled)
);

// ------------------------------------------------------ Python's wake-up
// tb/phase.py: py_notify changes at the falling edge after any of these sources
// changed (bit k of py_changed for source k, source 0 listed last), and Python
// runs their services in source order. Each line's comment is the signal Python
// watches for it: tb.phase.TB_TOP_SOURCES lists the same, in the same order
// (tests/test_phase.py). The fast bus models' sources are 0 in reference mode.
localparam PY_SOURCES = 10;
localparam PY_WIDTH = 65;
wire [31:0] py_tx_count;
wire [31:0] py_rx_consumed;
wire [49:0] py_axil_rsp;
// written by Python (tb/phase.py): wake it at the next falling edge anyway
reg         py_want /* verilator public_flat_rw */;
wire [31:0] py_notify;
wire [PY_SOURCES-1:0] py_changed;
initial py_want = 1'b0;

wire [PY_SOURCES*PY_WIDTH-1:0] py_src = {
    {{(PY_WIDTH - 1){1'b0}}, wd_stalled},            // 9: u_wdog.stalled
    {{(PY_WIDTH - 1){1'b0}}, irq},                   // 8: irq
    {{(PY_WIDTH - 1){1'b0}}, rx_violation},          // 7: u_rx_chk.violation
    {{(PY_WIDTH - 1){1'b0}}, tx_violation},          // 6: u_tx_chk.violation
    {{(PY_WIDTH - 1){1'b0}}, axil_violation},        // 5: u_axil_chk.violation
    {{(PY_WIDTH - 1){1'b0}}, axi_violation},         // 4: u_axi_chk.violation
    {{(PY_WIDTH - 50){1'b0}}, py_axil_rsp},          // 3: g_fast.u_axil.rsp
    {{(PY_WIDTH - 32){1'b0}}, py_rx_consumed},       // 2: g_fast.u_rx_src.consumed
    {{(PY_WIDTH - 32){1'b0}}, py_tx_count},          // 1: g_fast.u_tx_sink.count
    mon_counts                                       // 0: u_mon.counts (checkers, then the fast memory)
};

tb_py_notify #(
    .SOURCES(PY_SOURCES),
    .WIDTH(PY_WIDTH)
) u_py_notify (
    .clk(clk),
    .src(py_src),
    .want(py_want),
    .notify(py_notify),
    .changed(py_changed)
);

// ------------------------------------------------ reference-mode signals
// Declared in both modes (so their names never move); used only when FAST = 0.
reg [ID_WIDTH-1:0] ref_m_axi_awid;
reg [63:0] ref_m_axi_awaddr;
reg [7:0] ref_m_axi_awlen;
reg [2:0] ref_m_axi_awsize;
reg [1:0] ref_m_axi_awburst;
reg ref_m_axi_awlock;
reg [3:0] ref_m_axi_awcache;
reg [2:0] ref_m_axi_awprot;
reg ref_m_axi_awvalid;
reg ref_m_axi_awready /* verilator public_flat_rw */;
reg [DATA_WIDTH-1:0] ref_m_axi_wdata;
reg [DATA_WIDTH/8-1:0] ref_m_axi_wstrb;
reg ref_m_axi_wlast;
reg ref_m_axi_wvalid;
reg ref_m_axi_wready /* verilator public_flat_rw */;
reg [ID_WIDTH-1:0] ref_m_axi_bid /* verilator public_flat_rw */;
reg [1:0] ref_m_axi_bresp /* verilator public_flat_rw */;
reg ref_m_axi_bvalid /* verilator public_flat_rw */;
reg ref_m_axi_bready;
reg [ID_WIDTH-1:0] ref_m_axi_arid;
reg [63:0] ref_m_axi_araddr;
reg [7:0] ref_m_axi_arlen;
reg [2:0] ref_m_axi_arsize;
reg [1:0] ref_m_axi_arburst;
reg ref_m_axi_arlock;
reg [3:0] ref_m_axi_arcache;
reg [2:0] ref_m_axi_arprot;
reg ref_m_axi_arvalid;
reg ref_m_axi_arready /* verilator public_flat_rw */;
reg [ID_WIDTH-1:0] ref_m_axi_rid /* verilator public_flat_rw */;
reg [DATA_WIDTH-1:0] ref_m_axi_rdata /* verilator public_flat_rw */;
reg [1:0] ref_m_axi_rresp /* verilator public_flat_rw */;
reg ref_m_axi_rlast /* verilator public_flat_rw */;
reg ref_m_axi_rvalid /* verilator public_flat_rw */;
reg ref_m_axi_rready;
reg [11:0] ref_s_axil_awaddr /* verilator public_flat_rw */;
reg [2:0] ref_s_axil_awprot /* verilator public_flat_rw */;
reg ref_s_axil_awvalid /* verilator public_flat_rw */;
reg ref_s_axil_awready;
reg [31:0] ref_s_axil_wdata /* verilator public_flat_rw */;
reg [3:0] ref_s_axil_wstrb /* verilator public_flat_rw */;
reg ref_s_axil_wvalid /* verilator public_flat_rw */;
reg ref_s_axil_wready;
reg [1:0] ref_s_axil_bresp;
reg ref_s_axil_bvalid;
reg ref_s_axil_bready /* verilator public_flat_rw */;
reg [11:0] ref_s_axil_araddr /* verilator public_flat_rw */;
reg [2:0] ref_s_axil_arprot /* verilator public_flat_rw */;
reg ref_s_axil_arvalid /* verilator public_flat_rw */;
reg ref_s_axil_arready;
reg [31:0] ref_s_axil_rdata;
reg [1:0] ref_s_axil_rresp;
reg ref_s_axil_rvalid;
reg ref_s_axil_rready /* verilator public_flat_rw */;
reg [DATA_WIDTH-1:0] ref_m_axis_tx_tdata;
reg [DATA_WIDTH/8-1:0] ref_m_axis_tx_tkeep;
reg ref_m_axis_tx_tlast;
reg ref_m_axis_tx_tvalid;
reg ref_m_axis_tx_tready /* verilator public_flat_rw */;
reg ref_m_axis_tx_tuser;
reg [DATA_WIDTH-1:0] ref_s_axis_rx_tdata /* verilator public_flat_rw */;
reg [DATA_WIDTH/8-1:0] ref_s_axis_rx_tkeep /* verilator public_flat_rw */;
reg ref_s_axis_rx_tlast /* verilator public_flat_rw */;
reg ref_s_axis_rx_tvalid /* verilator public_flat_rw */;
reg ref_s_axis_rx_tready;
reg ref_s_axis_rx_tuser /* verilator public_flat_rw */;

// ------------------------------------------------------------- bus models
generate
if (FAST) begin : g_fast
    tb_axi_mem #(
        .DATA_WIDTH(DATA_WIDTH),
        .ID_WIDTH(ID_WIDTH),
        .MAX_BURST_LEN(MAX_BURST_LEN),
        .DEPTH(MEM_DEPTH),
        .RD_LATENCY(MEM_RD_LATENCY),
        .WR_LATENCY(MEM_WR_LATENCY),
        .RD_OUTSTANDING(MEM_RD_OUTSTANDING),
        .WR_OUTSTANDING(MEM_WR_OUTSTANDING)
    ) u_mem (
        .clk(clk),
        .rst(rst),
        .s_axi_awid(mem_axi_awid),
        .s_axi_awaddr(mem_axi_awaddr),
        .s_axi_awlen(mem_axi_awlen),
        .s_axi_awsize(mem_axi_awsize),
        .s_axi_awburst(mem_axi_awburst),
        .s_axi_awvalid(mem_axi_awvalid),
        .s_axi_awready(mem_axi_awready),
        .s_axi_wdata(mem_axi_wdata),
        .s_axi_wstrb(mem_axi_wstrb),
        .s_axi_wlast(mem_axi_wlast),
        .s_axi_wvalid(mem_axi_wvalid),
        .s_axi_wready(mem_axi_wready),
        .s_axi_bid(mem_axi_bid),
        .s_axi_bresp(mem_axi_bresp),
        .s_axi_bvalid(mem_axi_bvalid),
        .s_axi_bready(mem_axi_bready),
        .s_axi_arid(mem_axi_arid),
        .s_axi_araddr(mem_axi_araddr),
        .s_axi_arlen(mem_axi_arlen),
        .s_axi_arsize(mem_axi_arsize),
        .s_axi_arburst(mem_axi_arburst),
        .s_axi_arvalid(mem_axi_arvalid),
        .s_axi_arready(mem_axi_arready),
        .s_axi_rid(mem_axi_rid),
        .s_axi_rdata(mem_axi_rdata),
        .s_axi_rresp(mem_axi_rresp),
        .s_axi_rlast(mem_axi_rlast),
        .s_axi_rvalid(mem_axi_rvalid),
        .s_axi_rready(mem_axi_rready)
    );

    tb_axil_master #(
        .ADDR_WIDTH(12)
    ) u_axil (
        .clk(clk),
        .rst(rst),
        .m_axil_awaddr(s_axil_awaddr),
        .m_axil_awprot(s_axil_awprot),
        .m_axil_awvalid(s_axil_awvalid),
        .m_axil_awready(s_axil_awready),
        .m_axil_wdata(s_axil_wdata),
        .m_axil_wstrb(s_axil_wstrb),
        .m_axil_wvalid(s_axil_wvalid),
        .m_axil_wready(s_axil_wready),
        .m_axil_bresp(s_axil_bresp),
        .m_axil_bvalid(s_axil_bvalid),
        .m_axil_bready(s_axil_bready),
        .m_axil_araddr(s_axil_araddr),
        .m_axil_arprot(s_axil_arprot),
        .m_axil_arvalid(s_axil_arvalid),
        .m_axil_arready(s_axil_arready),
        .m_axil_rdata(s_axil_rdata),
        .m_axil_rresp(s_axil_rresp),
        .m_axil_rvalid(s_axil_rvalid),
        .m_axil_rready(s_axil_rready)
    );

    tb_axis_source #(
        .DATA_WIDTH(DATA_WIDTH),
        .BUF_BYTES(STREAM_BUF_BYTES),
        .NBUF(2),
        .SEED_SALT(32'h5258_0001)
    ) u_rx_src (
        .clk(clk),
        .rst(rst),
        .m_axis_tdata(s_axis_rx_tdata),
        .m_axis_tkeep(s_axis_rx_tkeep),
        .m_axis_tlast(s_axis_rx_tlast),
        .m_axis_tvalid(s_axis_rx_tvalid),
        .m_axis_tready(s_axis_rx_tready),
        .m_axis_tuser(s_axis_rx_tuser)
    );

    tb_axis_sink #(
        .DATA_WIDTH(DATA_WIDTH),
        .BUF_BYTES(STREAM_BUF_BYTES),
        .NBUF(4),
        .SEED_SALT(32'h5458_0002)
    ) u_tx_sink (
        .clk(clk),
        .rst(rst),
        .s_axis_tdata(m_axis_tx_tdata),
        .s_axis_tkeep(m_axis_tx_tkeep),
        .s_axis_tlast(m_axis_tx_tlast),
        .s_axis_tvalid(m_axis_tx_tvalid),
        .s_axis_tready(m_axis_tx_tready),
        .s_axis_tuser(m_axis_tx_tuser)
    );

    assign py_tx_count = u_tx_sink.count;
    assign py_rx_consumed = u_rx_src.consumed;
    assign py_axil_rsp = u_axil.rsp;
end else begin : g_ref
    assign py_tx_count = 32'd0;
    assign py_rx_consumed = 32'd0;
    assign py_axil_rsp = 50'd0;

    // What the engine drives reaches cocotbext-axi through registers loaded at the
    // falling edge: the models sample right after a rising edge, where Icarus still
    // shows the values from before the edge and Verilator those from after it; a
    // copy taken half a cycle earlier reads the same in both (tb/phase.py).
    always @(negedge clk) begin
        ref_m_axi_awid <= mem_axi_awid;
        ref_m_axi_awaddr <= mem_axi_awaddr;
        ref_m_axi_awlen <= mem_axi_awlen;
        ref_m_axi_awsize <= mem_axi_awsize;
        ref_m_axi_awburst <= mem_axi_awburst;
        ref_m_axi_awlock <= mem_axi_awlock;
        ref_m_axi_awcache <= mem_axi_awcache;
        ref_m_axi_awprot <= mem_axi_awprot;
        ref_m_axi_awvalid <= mem_axi_awvalid;
        ref_m_axi_wdata <= mem_axi_wdata;
        ref_m_axi_wstrb <= mem_axi_wstrb;
        ref_m_axi_wlast <= mem_axi_wlast;
        ref_m_axi_wvalid <= mem_axi_wvalid;
        ref_m_axi_bready <= mem_axi_bready;
        ref_m_axi_arid <= mem_axi_arid;
        ref_m_axi_araddr <= mem_axi_araddr;
        ref_m_axi_arlen <= mem_axi_arlen;
        ref_m_axi_arsize <= mem_axi_arsize;
        ref_m_axi_arburst <= mem_axi_arburst;
        ref_m_axi_arlock <= mem_axi_arlock;
        ref_m_axi_arcache <= mem_axi_arcache;
        ref_m_axi_arprot <= mem_axi_arprot;
        ref_m_axi_arvalid <= mem_axi_arvalid;
        ref_m_axi_rready <= mem_axi_rready;
        ref_s_axil_awready <= s_axil_awready;
        ref_s_axil_wready <= s_axil_wready;
        ref_s_axil_bresp <= s_axil_bresp;
        ref_s_axil_bvalid <= s_axil_bvalid;
        ref_s_axil_arready <= s_axil_arready;
        ref_s_axil_rdata <= s_axil_rdata;
        ref_s_axil_rresp <= s_axil_rresp;
        ref_s_axil_rvalid <= s_axil_rvalid;
        ref_m_axis_tx_tdata <= m_axis_tx_tdata;
        ref_m_axis_tx_tkeep <= m_axis_tx_tkeep;
        ref_m_axis_tx_tlast <= m_axis_tx_tlast;
        ref_m_axis_tx_tvalid <= m_axis_tx_tvalid;
        ref_m_axis_tx_tuser <= m_axis_tx_tuser;
        ref_s_axis_rx_tready <= s_axis_rx_tready;
    end
    assign mem_axi_awready = ref_m_axi_awready;
    assign mem_axi_wready = ref_m_axi_wready;
    assign mem_axi_bid = ref_m_axi_bid;
    assign mem_axi_bresp = ref_m_axi_bresp;
    assign mem_axi_bvalid = ref_m_axi_bvalid;
    assign mem_axi_arready = ref_m_axi_arready;
    assign mem_axi_rid = ref_m_axi_rid;
    assign mem_axi_rdata = ref_m_axi_rdata;
    assign mem_axi_rresp = ref_m_axi_rresp;
    assign mem_axi_rlast = ref_m_axi_rlast;
    assign mem_axi_rvalid = ref_m_axi_rvalid;
    assign s_axil_awaddr = ref_s_axil_awaddr;
    assign s_axil_awprot = ref_s_axil_awprot;
    assign s_axil_awvalid = ref_s_axil_awvalid;
    assign s_axil_wdata = ref_s_axil_wdata;
    assign s_axil_wstrb = ref_s_axil_wstrb;
    assign s_axil_wvalid = ref_s_axil_wvalid;
    assign s_axil_bready = ref_s_axil_bready;
    assign s_axil_araddr = ref_s_axil_araddr;
    assign s_axil_arprot = ref_s_axil_arprot;
    assign s_axil_arvalid = ref_s_axil_arvalid;
    assign s_axil_rready = ref_s_axil_rready;
    assign m_axis_tx_tready = ref_m_axis_tx_tready;
    assign s_axis_rx_tdata = ref_s_axis_rx_tdata;
    assign s_axis_rx_tkeep = ref_s_axis_rx_tkeep;
    assign s_axis_rx_tlast = ref_s_axis_rx_tlast;
    assign s_axis_rx_tvalid = ref_s_axis_rx_tvalid;
    assign s_axis_rx_tuser = ref_s_axis_rx_tuser;
end
endgenerate

endmodule

`resetall
