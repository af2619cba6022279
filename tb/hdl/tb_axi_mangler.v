`resetall
`timescale 1ns / 1ps
`default_nettype none

// tb_axi_mangler -- AXI4 pass-through that injects one misbehaviour on demand, so tests
// can prove the protocol and translation checkers fire (test bench only).
//
// Sits between an AXI4 master (s_axi_*: the master's outputs come in, its READY inputs
// and the R/B channels go back) and the bus (m_axi_*: towards the slave). With `mode` 0
// every signal passes straight through, combinationally (no added cycle). Any other mode
// misbehaves exactly once after reset, on the first transaction of its channel whose
// index (counting that channel's transactions from 0 after reset) is >= MANGLE_NTH and
// that qualifies (see the table), and is a pass-through before and after. `mangled`
// rises at the clock edge that ends the cycle of the misbehaviour (for the X and
// extra-beat modes, the cycle the misbehaving transfer was on the bus) and stays high
// until rst. Set `mode` before reset is released; the counts restart at every reset.
//
// Ports:
//   clk, rst        clock; synchronous active-high reset
//   mode [7:0]      MODE_* below; 0 = pass-through
//   mangled         out: the misbehaviour has happened
//   s_axi_*         slave port (connect the master): aw*/w*/ar* and bready/rready in,
//                   awready/wready/arready and b*/r* out
//   m_axi_*         master port (connect the bus / the slave): the mirror image
//
// Where to connect a protocol checker (tb_axi4_checker): each channel where its
// receiver sees it, i.e. AW, W, AR from m_axi_* (with m_axi_awready, m_axi_wready,
// m_axi_arready) and B, R from s_axi_* (with s_axi_bready, s_axi_rready). The AW/W/AR
// modes play a broken master, the R/B modes a broken slave; with mode 0 both sides of
// every channel are identical.
//
// | mode | name            | misbehaviour (transaction index >= MANGLE_NTH)            | checker rule       |
// |------|-----------------|-----------------------------------------------------------|--------------------|
// | 0    | PASS            | none                                                      | -                  |
// | 1    | AR_VALID_DROP   | an AR that waited a cycle for ARREADY: ARVALID low for one | AXI_AR_VALID_DROPPED |
// |      |                 | cycle (ARREADY to the master low too); needs a slave that  |                    |
// |      |                 | stalls AR                                                 |                    |
// | 2    | AR_ADDR_CHANGE  | an AR that waited a cycle: ARADDR bit log2(bytes per beat)| AXI_AR_CHANGED     |
// |      |                 | flipped for one cycle (if the slave takes the AR then, it |                    |
// |      |                 | takes the changed address)                                |                    |
// | 3    | AW_CROSS_4K     | an INCR AW of >= 2 beats moved to start one transfer      | AXI_AW_4K          |
// |      |                 | (2**AWSIZE bytes) before its 4 KiB page ends, so it crosses|                    |
// | 4    | AR_CROSS_4K     | the same for an INCR AR of >= 2 beats                     | AXI_AR_4K          |
// | 5    | WLAST_EARLY     | WLAST on the first beat of a W burst of >= 2 beats        | AXI_WLAST_EARLY    |
// | 6    | WLAST_MISSING   | no WLAST on the last beat of a W burst                    | AXI_WLAST_MISSING  |
// | 7    | AWVALID_X       | AWVALID = X for the first cycle an AW is presented        | AXI_AW_X           |
// |      |                 | (AWREADY to the master low that cycle)                    |                    |
// | 8    | R_EXTRA         | after the last beat of an R burst, one more beat to the   | AXI_R_UNEXPECTED   |
// |      |                 | master (same RID, RDATA, RRESP; RLAST=1); RREADY to the   | (or RLAST_EARLY if |
// |      |                 | slave held low meanwhile                                  | that ID has another read outstanding) |
// | 9    | RLAST_EARLY     | RLAST on a beat before the last of an R burst             | AXI_RLAST_EARLY    |
// | 10   | RLAST_MISSING   | no RLAST on the last beat of an R burst                   | AXI_RLAST_MISSING  |
// | 11   | B_EXTRA         | after a B, the same B once more to the master; BREADY to  | AXI_B_UNEXPECTED   |
// |      |                 | the slave held low meanwhile                              | (if that ID owes no other B) |
// | 12   | AR_ADDR_TRUNC   | an AR whose address is >= 4 GiB: ARADDR[63:32] cleared    | none (translation) |
// | 13   | AW_ADDR_TRUNC   | an AW whose address is >= 4 GiB: AWADDR[63:32] cleared    | none (translation) |
// | 14   | R_STALL         | the bus stops answering reads: from the first R beat of   | none (watchdog)    |
// |      |                 | an R burst, RVALID to the master and RREADY to the slave  |                    |
// |      |                 | stay low until reset (a hung interconnect)                |                    |
//
// Channel counts: AW and AR by handshakes on m_axi_*, W bursts by WLAST handshakes on
// s_axi_*, R bursts by RLAST handshakes on m_axi_*, B by handshakes on m_axi_*.
// Mode 14 is legal too (a slave may hold RVALID low as long as it likes): the engine
// waits for ever, which only the test bench's watchdog (tb_watchdog) reports.
// Modes 12 and 13 are not protocol violations: the bus stays legal, but the burst lands
// at an address the driver never mapped (a device that drops the upper address bits),
// which the translation checker must report; the protocol checker stays silent.
// Caution for Python slave models: in mode 7 the slave sees AWVALID = X for one cycle;
// cocotbext-axi raises on it, a Verilog slave (`if (awvalid && awready)`) reads it as 0.
module tb_axi_mangler #(
    // AXI data width in bits: a power of two, 16..1024
    parameter DATA_WIDTH = 64,
    // AXI address width in bits, 12..64
    parameter ADDR_WIDTH = 64,
    // AXI ID width in bits
    parameter ID_WIDTH = 4,
    // index (from 0 after reset, per channel) of the first transaction a mode may mangle
    parameter MANGLE_NTH = 1
) (
    input  wire                    clk,
    input  wire                    rst,
    input  wire [7:0]              mode,
    output reg                     mangled,

    // from / to the master
    input  wire [ID_WIDTH-1:0]     s_axi_awid,
    input  wire [ADDR_WIDTH-1:0]   s_axi_awaddr,
    input  wire [7:0]              s_axi_awlen,
    input  wire [2:0]              s_axi_awsize,
    input  wire [1:0]              s_axi_awburst,
    input  wire                    s_axi_awlock,
    input  wire [3:0]              s_axi_awcache,
    input  wire [2:0]              s_axi_awprot,
    input  wire                    s_axi_awvalid,
    output wire                    s_axi_awready,
    input  wire [DATA_WIDTH-1:0]   s_axi_wdata,
    input  wire [DATA_WIDTH/8-1:0] s_axi_wstrb,
    input  wire                    s_axi_wlast,
    input  wire                    s_axi_wvalid,
    output wire                    s_axi_wready,
    output wire [ID_WIDTH-1:0]     s_axi_bid,
    output wire [1:0]              s_axi_bresp,
    output wire                    s_axi_bvalid,
    input  wire                    s_axi_bready,
    input  wire [ID_WIDTH-1:0]     s_axi_arid,
    input  wire [ADDR_WIDTH-1:0]   s_axi_araddr,
    input  wire [7:0]              s_axi_arlen,
    input  wire [2:0]              s_axi_arsize,
    input  wire [1:0]              s_axi_arburst,
    input  wire                    s_axi_arlock,
    input  wire [3:0]              s_axi_arcache,
    input  wire [2:0]              s_axi_arprot,
    input  wire                    s_axi_arvalid,
    output wire                    s_axi_arready,
    output wire [ID_WIDTH-1:0]     s_axi_rid,
    output wire [DATA_WIDTH-1:0]   s_axi_rdata,
    output wire [1:0]              s_axi_rresp,
    output wire                    s_axi_rlast,
    output wire                    s_axi_rvalid,
    input  wire                    s_axi_rready,

    // to / from the bus
    output wire [ID_WIDTH-1:0]     m_axi_awid,
    output wire [ADDR_WIDTH-1:0]   m_axi_awaddr,
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
    output wire [ADDR_WIDTH-1:0]   m_axi_araddr,
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
    output wire                    m_axi_rready
);

// modes (Python copy: tb/checkers/protocol.py MangleMode)
/* verilator lint_off UNUSEDPARAM */
localparam [7:0] MODE_PASS           = 8'd0;   // no misbehaviour
localparam [7:0] MODE_AR_VALID_DROP  = 8'd1;   // ARVALID dropped for a cycle while waiting
localparam [7:0] MODE_AR_ADDR_CHANGE = 8'd2;   // ARADDR changed for a cycle while waiting
localparam [7:0] MODE_AW_CROSS_4K    = 8'd3;   // AWADDR moved so the burst crosses 4 KiB
localparam [7:0] MODE_AR_CROSS_4K    = 8'd4;   // ARADDR moved so the burst crosses 4 KiB
localparam [7:0] MODE_WLAST_EARLY    = 8'd5;   // WLAST on the first beat of a longer burst
localparam [7:0] MODE_WLAST_MISSING  = 8'd6;   // no WLAST on the last beat
localparam [7:0] MODE_AWVALID_X      = 8'd7;   // AWVALID X for one cycle
localparam [7:0] MODE_R_EXTRA        = 8'd8;   // one R beat more than the burst has
localparam [7:0] MODE_RLAST_EARLY    = 8'd9;   // RLAST before the last beat
localparam [7:0] MODE_RLAST_MISSING  = 8'd10;  // no RLAST on the last beat
localparam [7:0] MODE_B_EXTRA        = 8'd11;  // a second B for one write burst
localparam [7:0] MODE_AR_ADDR_TRUNC  = 8'd12;  // ARADDR >= 4 GiB truncated to 32 bits (legal)
localparam [7:0] MODE_AW_ADDR_TRUNC  = 8'd13;  // AWADDR >= 4 GiB truncated to 32 bits (legal)
localparam [7:0] MODE_R_STALL        = 8'd14;  // the R channel stops answering for ever (legal; the watchdog reports the hang)
/* verilator lint_on UNUSEDPARAM */

// byte lanes per beat, and the ARADDR bit mode 2 flips
localparam BYTES = DATA_WIDTH / 8;
localparam LW = $clog2(BYTES);
// address bits kept by the truncating modes
localparam [ADDR_WIDTH-1:0] LOW32 = {ADDR_WIDTH{1'b1}} >> ((ADDR_WIDTH > 32) ? ADDR_WIDTH - 32 : 0);
// the ARADDR bit mode 2 flips
localparam [ADDR_WIDTH-1:0] FLIP = {{(ADDR_WIDTH - 1){1'b0}}, 1'b1} << LW;
// transaction counts saturate here
localparam [15:0] CNT_MAX = 16'hFFFF;
// AxBURST INCR
localparam [1:0] BURST_INCR = 2'b01;

initial begin
    if (MANGLE_NTH < 0 || MANGLE_NTH > 65534)
        $fatal(1, "MANGLE_NTH must be 0..65534, not %0d (instance %m)", MANGLE_NTH);
    if (ADDR_WIDTH < 12 || ADDR_WIDTH > 64)
        $fatal(1, "ADDR_WIDTH must be 12..64, not %0d (instance %m)", ADDR_WIDTH);
end

// the first transaction that may be mangled
localparam [15:0] NTH = MANGLE_NTH[15:0];

// the address ADDR moved so a burst of 2**size-byte transfers starting there crosses 4 KiB
function [ADDR_WIDTH-1:0] cross_4k;
    input [ADDR_WIDTH-1:0] addr;
    input [2:0]            size;
    begin
        cross_4k = addr;
        cross_4k[11:0] = 12'd0 - (12'd1 << size);  // 4096 - 2**size
    end
endfunction

// per-channel transaction counts since reset
reg [15:0] aw_cnt_reg, ar_cnt_reg, w_cnt_reg, r_cnt_reg, b_cnt_reg;
// first beat of a W burst next (master side)
reg        w_first_reg;
// previous cycle: an AR waited on the bus (ARVALID && !ARREADY); an AW waited
reg        ar_wait_reg, aw_wait_reg;
// injected R / B beat pending towards the master, and what it carries
reg                  r_inj_reg, b_inj_reg;
reg [ID_WIDTH-1:0]   r_inj_id_reg, b_inj_id_reg;
reg [DATA_WIDTH-1:0] r_inj_data_reg;
reg [1:0]            r_inj_resp_reg, b_inj_resp_reg;
// mode 14: the R channel has stopped (until reset)
reg                  r_stall_reg;

// may this mode still act
wire armed = !mangled;
wire aw_due = armed && aw_cnt_reg >= NTH;
wire ar_due = armed && ar_cnt_reg >= NTH;
wire w_due = armed && w_cnt_reg >= NTH;
wire r_due = armed && r_cnt_reg >= NTH;
wire b_due = armed && b_cnt_reg >= NTH;

// the misbehaviour of this cycle
wire ar_drop_now  = mode == MODE_AR_VALID_DROP && ar_due && ar_wait_reg && s_axi_arvalid;
wire ar_chg_now   = mode == MODE_AR_ADDR_CHANGE && ar_due && ar_wait_reg && s_axi_arvalid;
wire ar_4k_now    = mode == MODE_AR_CROSS_4K && ar_due && s_axi_arvalid &&
                    s_axi_arburst == BURST_INCR && s_axi_arlen != 8'd0;
wire ar_trunc_now = mode == MODE_AR_ADDR_TRUNC && ar_due && s_axi_arvalid &&
                    (s_axi_araddr & ~LOW32) != {ADDR_WIDTH{1'b0}};
wire aw_4k_now    = mode == MODE_AW_CROSS_4K && aw_due && s_axi_awvalid &&
                    s_axi_awburst == BURST_INCR && s_axi_awlen != 8'd0;
wire aw_trunc_now = mode == MODE_AW_ADDR_TRUNC && aw_due && s_axi_awvalid &&
                    (s_axi_awaddr & ~LOW32) != {ADDR_WIDTH{1'b0}};
wire aw_x_now     = mode == MODE_AWVALID_X && aw_due && s_axi_awvalid && !aw_wait_reg;
wire wl_early_now = mode == MODE_WLAST_EARLY && w_due && s_axi_wvalid && w_first_reg &&
                    !s_axi_wlast;
wire wl_miss_now  = mode == MODE_WLAST_MISSING && w_due && s_axi_wvalid && s_axi_wlast;
wire rl_early_now = mode == MODE_RLAST_EARLY && r_due && m_axi_rvalid && !m_axi_rlast &&
                    !r_inj_reg;
wire rl_miss_now  = mode == MODE_RLAST_MISSING && r_due && m_axi_rvalid && m_axi_rlast &&
                    !r_inj_reg;
wire r_stall_now  = mode == MODE_R_STALL && r_due && m_axi_rvalid && !r_inj_reg;
wire r_stall      = r_stall_reg || r_stall_now;

// AW
assign m_axi_awid    = s_axi_awid;
assign m_axi_awaddr  = aw_4k_now ? cross_4k(s_axi_awaddr, s_axi_awsize) :
                       aw_trunc_now ? (s_axi_awaddr & LOW32) : s_axi_awaddr;
assign m_axi_awlen   = s_axi_awlen;
assign m_axi_awsize  = s_axi_awsize;
assign m_axi_awburst = s_axi_awburst;
assign m_axi_awlock  = s_axi_awlock;
assign m_axi_awcache = s_axi_awcache;
assign m_axi_awprot  = s_axi_awprot;
assign m_axi_awvalid = aw_x_now ? 1'bx : s_axi_awvalid;
assign s_axi_awready = m_axi_awready && !aw_x_now;
// W
assign m_axi_wdata   = s_axi_wdata;
assign m_axi_wstrb   = s_axi_wstrb;
assign m_axi_wlast   = wl_early_now ? 1'b1 : (wl_miss_now ? 1'b0 : s_axi_wlast);
assign m_axi_wvalid  = s_axi_wvalid;
assign s_axi_wready  = m_axi_wready;
// B
assign s_axi_bid     = b_inj_reg ? b_inj_id_reg : m_axi_bid;
assign s_axi_bresp   = b_inj_reg ? b_inj_resp_reg : m_axi_bresp;
assign s_axi_bvalid  = b_inj_reg || m_axi_bvalid;
assign m_axi_bready  = s_axi_bready && !b_inj_reg;
// AR
assign m_axi_arid    = s_axi_arid;
assign m_axi_araddr  = ar_chg_now ? (s_axi_araddr ^ FLIP) :
                       ar_4k_now ? cross_4k(s_axi_araddr, s_axi_arsize) :
                       ar_trunc_now ? (s_axi_araddr & LOW32) : s_axi_araddr;
assign m_axi_arlen   = s_axi_arlen;
assign m_axi_arsize  = s_axi_arsize;
assign m_axi_arburst = s_axi_arburst;
assign m_axi_arlock  = s_axi_arlock;
assign m_axi_arcache = s_axi_arcache;
assign m_axi_arprot  = s_axi_arprot;
assign m_axi_arvalid = s_axi_arvalid && !ar_drop_now;
assign s_axi_arready = m_axi_arready && !ar_drop_now;
// R
assign s_axi_rid     = r_inj_reg ? r_inj_id_reg : m_axi_rid;
assign s_axi_rdata   = r_inj_reg ? r_inj_data_reg : m_axi_rdata;
assign s_axi_rresp   = r_inj_reg ? r_inj_resp_reg : m_axi_rresp;
assign s_axi_rlast   = r_inj_reg ? 1'b1 :
                       rl_early_now ? 1'b1 : (rl_miss_now ? 1'b0 : m_axi_rlast);
assign s_axi_rvalid  = r_inj_reg || (m_axi_rvalid && !r_stall);
assign m_axi_rready  = s_axi_rready && !r_inj_reg && !r_stall;

// handshakes
wire aw_hs   = m_axi_awvalid === 1'b1 && m_axi_awready;
wire ar_hs   = m_axi_arvalid && m_axi_arready;
wire w_hs    = s_axi_wvalid && s_axi_wready;
wire r_hs    = m_axi_rvalid && m_axi_rready;
wire b_hs    = m_axi_bvalid && m_axi_bready;
wire r_inj_hs = r_inj_reg && s_axi_rready;
wire b_inj_hs = b_inj_reg && s_axi_bready;

always @(posedge clk) begin
    if (rst) begin
        mangled <= 1'b0;
        aw_cnt_reg <= 16'd0;
        ar_cnt_reg <= 16'd0;
        w_cnt_reg <= 16'd0;
        r_cnt_reg <= 16'd0;
        b_cnt_reg <= 16'd0;
        w_first_reg <= 1'b1;
        ar_wait_reg <= 1'b0;
        aw_wait_reg <= 1'b0;
        r_inj_reg <= 1'b0;
        b_inj_reg <= 1'b0;
        r_stall_reg <= 1'b0;
    end else if (mode != MODE_PASS) begin
        // (nothing to count in mode 0: `mode` is set before reset is released)
        if (aw_hs && aw_cnt_reg != CNT_MAX)
            aw_cnt_reg <= aw_cnt_reg + 16'd1;
        if (ar_hs && ar_cnt_reg != CNT_MAX)
            ar_cnt_reg <= ar_cnt_reg + 16'd1;
        if (w_hs && s_axi_wlast && w_cnt_reg != CNT_MAX)
            w_cnt_reg <= w_cnt_reg + 16'd1;
        if (r_hs && m_axi_rlast && r_cnt_reg != CNT_MAX)
            r_cnt_reg <= r_cnt_reg + 16'd1;
        if (b_hs && b_cnt_reg != CNT_MAX)
            b_cnt_reg <= b_cnt_reg + 16'd1;
        if (w_hs)
            w_first_reg <= s_axi_wlast;
        ar_wait_reg <= m_axi_arvalid && !m_axi_arready;
        aw_wait_reg <= s_axi_awvalid && !s_axi_awready;

        // one-cycle misbehaviours, and the ones that last until their transfer
        if (ar_drop_now || ar_chg_now || aw_x_now ||
            ((ar_4k_now || ar_trunc_now) && ar_hs) ||
            ((aw_4k_now || aw_trunc_now) && aw_hs) ||
            ((wl_early_now || wl_miss_now) && w_hs) ||
            ((rl_early_now || rl_miss_now) && r_hs) ||
            r_inj_reg || b_inj_reg ||  // an extra beat counts once presented: it may never be taken
            r_stall_now)
            mangled <= 1'b1;
        if (r_stall_now)
            r_stall_reg <= 1'b1;

        // extra beats: armed by the last beat of an R burst / by a B
        if (mode == MODE_R_EXTRA && r_due && !r_inj_reg && r_hs && m_axi_rlast) begin
            r_inj_reg <= 1'b1;
            r_inj_id_reg <= m_axi_rid;
            r_inj_data_reg <= m_axi_rdata;
            r_inj_resp_reg <= m_axi_rresp;
        end else if (r_inj_hs) begin
            r_inj_reg <= 1'b0;
        end
        if (mode == MODE_B_EXTRA && b_due && !b_inj_reg && b_hs) begin
            b_inj_reg <= 1'b1;
            b_inj_id_reg <= m_axi_bid;
            b_inj_resp_reg <= m_axi_bresp;
        end else if (b_inj_hs) begin
            b_inj_reg <= 1'b0;
        end
    end
end

endmodule

`resetall
