`resetall
`timescale 1ns / 1ps
`default_nettype none

// memcpy_dma -- a descriptor-driven memcpy engine with one AXI4 master port.
//
// The verification kit's example engine (tb/vip, examples/README.md): small on
// purpose, and unrelated to hdl/dma_engine.
//
// Software writes the address of a chain of descriptors in host memory and
// sets CTRL.START; for each descriptor the engine copies LEN bytes from SRC to
// DST, writes the descriptor's STATUS and follows NEXT, until NEXT is 0 or a
// copy fails; then it raises `irq`. Layout and register map:
// memcpy_dma_defs.vh (Python copy: examples/memcpy_dma/layout.py).
//
//   descriptor (32 bytes)   SRC 0x00, DST 0x08, NEXT 0x10 (64-bit); LEN 0x18,
//                           STATUS 0x1C (32-bit): DONE, ERR, error code [1:0]
//   registers               DESC_LO 0x0, DESC_HI 0x4, CTRL 0x8 (START, IRQ_CLEAR),
//                           written by reg_wr_en at a rising edge
//   busy                    from START until irq
//   irq                     the chain ended; held until IRQ_CLEAR or START
//   error                   the error code of the last chain (ERR_NONE: all done)
//
// SRC and DST are aligned to the bus width (their low bits are ignored); LEN
// may be any byte count (the last beat strobes only its bytes; 0 copies
// nothing, the STATUS is still written). The bus: one burst at a time, ID 0,
// INCR bursts of full-width beats, at most MAX_BURST_LEN beats, never across a
// 4 KiB boundary of SRC or DST. A burst is read into a buffer and then written,
// AW and W together (W beats may be accepted before the AW). An error response
// stops the chain: the failing descriptor's STATUS gets ERR and the code,
// except when the descriptor itself could not be read (ERR_DESC, no STATUS).
module memcpy_dma #(
    // AXI data width in bits: 32, 64, 128, 256 or 512
    parameter DATA_WIDTH = 64,
    // AXI address width in bits, 32..64 (descriptor addresses are cut to it)
    parameter ADDR_WIDTH = 64,
    // AXI ID width in bits (every burst uses ID 0)
    parameter ID_WIDTH = 4,
    // longest burst in beats, power of two 2..256
    parameter MAX_BURST_LEN = 16
) (
    input  wire                    clk,
    input  wire                    rst,

    // register port
    input  wire                    reg_wr_en,
    input  wire [3:0]              reg_wr_addr,
    input  wire [31:0]             reg_wr_data,
    output wire                    busy,
    output wire                    irq,
    output wire [1:0]              error,

    // AXI4 master
    output wire [ID_WIDTH-1:0]     m_axi_awid,
    output wire [ADDR_WIDTH-1:0]   m_axi_awaddr,
    output wire [7:0]              m_axi_awlen,
    output wire [2:0]              m_axi_awsize,
    output wire [1:0]              m_axi_awburst,
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
    output wire                    m_axi_arvalid,
    input  wire                    m_axi_arready,
    input  wire [ID_WIDTH-1:0]     m_axi_rid,
    input  wire [DATA_WIDTH-1:0]   m_axi_rdata,
    input  wire [1:0]              m_axi_rresp,
    input  wire                    m_axi_rlast,
    input  wire                    m_axi_rvalid,
    output wire                    m_axi_rready
);

/* verilator lint_off UNUSEDPARAM */
`include "memcpy_dma_defs.vh"
/* verilator lint_on UNUSEDPARAM */

// byte lanes per beat
localparam BYTES = DATA_WIDTH / 8;
// bits of a byte lane index
localparam LW = $clog2(BYTES);
// byte lanes per beat, as a count of LW+1 bits
localparam [LW:0] BYTES_W = BYTES[LW:0];
// bits of a buffer index
localparam IW = $clog2(MAX_BURST_LEN);
// clears the byte-in-beat bits of an address
localparam [ADDR_WIDTH-1:0] BEAT_MASK = {{(ADDR_WIDTH - LW){1'b1}}, {LW{1'b0}}};
// offset of STATUS in a descriptor, as a 32-bit number
localparam [31:0] STATUS_OFFSET = DESC_STATUS;
// beats of a descriptor read (a 512-bit bus reads the one beat that holds it)
localparam integer DESC_BEATS_I = (DATA_WIDTH >= 256) ? 1 : 256 / DATA_WIDTH;
// ARLEN of a descriptor read
localparam [7:0] DESC_ARLEN = DESC_BEATS_I[7:0] - 8'd1;
// beats in a 4 KiB page
localparam integer PAGE_BEATS_I = 4096 / BYTES;
// beats in a 4 KiB page, as a 13-bit count
localparam [12:0] PAGE_BEATS = PAGE_BEATS_I[12:0];
// longest burst, as a 32-bit beat count
localparam [31:0] MAX_BURST = MAX_BURST_LEN;
// AxSIZE of a full-width beat
localparam [2:0] AXSIZE = LW[2:0];
// AxBURST INCR
localparam [1:0] BURST_INCR = 2'b01;
// a full beat's strobes
localparam [BYTES-1:0] STRB_ALL = {BYTES{1'b1}};
// the STATUS word's strobes at lane 0
localparam [BYTES-1:0] STRB_STATUS = {{(BYTES - 4){1'b0}}, 4'hF};

// states
localparam [3:0] S_IDLE     = 4'd0;  // waiting for START
localparam [3:0] S_DESC_AR  = 4'd1;  // descriptor read: AR
localparam [3:0] S_DESC_R   = 4'd2;  // descriptor read: R beats
localparam [3:0] S_RD_NEXT  = 4'd3;  // size the next burst of the copy
localparam [3:0] S_RD_AR    = 4'd4;  // source read: AR
localparam [3:0] S_RD_R     = 4'd5;  // source read: R beats into the buffer
localparam [3:0] S_WR_SETUP = 4'd6;  // destination write: AW and the first W beat
localparam [3:0] S_WR       = 4'd7;  // AW and W beats (a data burst or the STATUS word)
localparam [3:0] S_WR_B     = 4'd8;  // B of that write
localparam [3:0] S_STAT     = 4'd9;  // STATUS write: AW and its one W beat

initial begin
    if (DATA_WIDTH != 32 && DATA_WIDTH != 64 && DATA_WIDTH != 128 && DATA_WIDTH != 256
            && DATA_WIDTH != 512) begin
        $fatal(1, "memcpy_dma: DATA_WIDTH must be 32, 64, 128, 256 or 512, not %0d (instance %m)",
            DATA_WIDTH);
    end
    if (ADDR_WIDTH < 32 || ADDR_WIDTH > 64) begin
        $fatal(1, "memcpy_dma: ADDR_WIDTH must be 32..64, not %0d (instance %m)", ADDR_WIDTH);
    end
    if (ID_WIDTH < 1) begin
        $fatal(1, "memcpy_dma: ID_WIDTH must be at least 1, not %0d (instance %m)", ID_WIDTH);
    end
    if (MAX_BURST_LEN < 2 || MAX_BURST_LEN > 256 || (MAX_BURST_LEN & (MAX_BURST_LEN - 1)) != 0) begin
        $fatal(1, "memcpy_dma: MAX_BURST_LEN must be a power of two 2..256, not %0d (instance %m)",
            MAX_BURST_LEN);
    end
end

// ------------------------------------------------------------------ state
reg [3:0]            state_reg, state_next;
reg [63:0]           desc_lo_hi_reg, desc_lo_hi_next;  // DESC_HI:DESC_LO
reg [63:0]           desc_addr_reg, desc_addr_next;    // the descriptor being worked on
reg [ADDR_WIDTH-1:0] src_reg, src_next;
reg [ADDR_WIDTH-1:0] dst_reg, dst_next;
reg [63:0]           next_reg, next_next;
reg [31:0]           beats_left_reg, beats_left_next;  // beats of the copy not yet written
reg [BYTES-1:0]      last_strb_reg, last_strb_next;    // strobes of the copy's last beat
reg [8:0]            chunk_reg, chunk_next;            // beats of the current burst
reg [8:0]            beat_reg, beat_next;              // R beats taken / W beats loaded
reg                  stat_reg, stat_next;              // the write in flight is the STATUS
reg [1:0]            err_reg, err_next;                // error of the current descriptor
reg [1:0]            error_reg, error_next;            // error of the last chain
reg                  irq_reg, irq_next;

// AXI channel registers (VALIDs reset, payloads datapath)
reg                  arvalid_reg, arvalid_next;
reg [ADDR_WIDTH-1:0] araddr_reg, araddr_next;
reg [7:0]            arlen_reg, arlen_next;
reg                  awvalid_reg, awvalid_next;
reg [ADDR_WIDTH-1:0] awaddr_reg, awaddr_next;
reg [7:0]            awlen_reg, awlen_next;
reg                  wvalid_reg, wvalid_next;
reg [DATA_WIDTH-1:0] wdata_reg;                        // loaded by the datapath block below
reg [BYTES-1:0]      wstrb_reg, wstrb_next;
reg                  wlast_reg, wlast_next;
reg [255:0]          desc_buf_reg, desc_buf_next;      // descriptor beats collected so far

// one burst of source data
reg [DATA_WIDTH-1:0] buf_mem [0:MAX_BURST_LEN-1];

// ----------------------------------------------------------- combinational
wire rd_beat = m_axi_rvalid && (state_reg == S_DESC_R || state_reg == S_RD_R);
wire rd_err = m_axi_rresp[1];
wire wr_beat = wvalid_reg && m_axi_wready;
wire ctrl_wr = reg_wr_en && reg_wr_addr == REG_CTRL;

// the descriptor, complete at the last beat of its read
wire [255:0] desc_beat;
generate
if (DATA_WIDTH > 256) begin : g_desc_lane
    // the 256-bit lane of the one beat that holds it
    wire [DATA_WIDTH-1:0] lane_data = m_axi_rdata >> {desc_addr_reg[LW-1:5], 8'd0};
    assign desc_beat = lane_data[255:0];
    wire [DATA_WIDTH-257:0] unused_lanes = lane_data[DATA_WIDTH-1:256];
end else if (DATA_WIDTH == 256) begin : g_desc_beat
    assign desc_beat = m_axi_rdata;
end else begin : g_desc_beats
    // beats shift in from the top: beat 0 ends at the bottom
    assign desc_beat = {m_axi_rdata, desc_buf_reg[255:DATA_WIDTH]};
end
endgenerate

wire [63:0] desc_src = desc_beat[DESC_SRC * 8 +: 64];
wire [63:0] desc_dst = desc_beat[DESC_DST * 8 +: 64];
wire [63:0] desc_next = desc_beat[DESC_NEXT * 8 +: 64];
wire [31:0] desc_len = desc_beat[DESC_LEN * 8 +: 32];
wire [LW-1:0] desc_rem = desc_len[LW-1:0];
// beats of the copy: ceil(LEN / BYTES)
wire [32:0] desc_beats = ({1'b0, desc_len} + BYTES - 1) >> LW;

// the next burst: the beats left, cut at MAX_BURST_LEN and at the 4 KiB page of SRC and DST
wire [12:0] src_room = PAGE_BEATS - {{(13 - (12 - LW)){1'b0}}, src_reg[11:LW]};
wire [12:0] dst_room = PAGE_BEATS - {{(13 - (12 - LW)){1'b0}}, dst_reg[11:LW]};
reg  [31:0] burst_beats;
always @* begin
    burst_beats = beats_left_reg;
    if (burst_beats > MAX_BURST) begin
        burst_beats = MAX_BURST;
    end
    if (burst_beats > {19'd0, src_room}) begin
        burst_beats = {19'd0, src_room};
    end
    if (burst_beats > {19'd0, dst_room}) begin
        burst_beats = {19'd0, dst_room};
    end
end

// the STATUS word, its beat and its lanes
wire [63:0] status_addr = desc_addr_reg + {32'd0, STATUS_OFFSET};
wire [31:0] status_word = {1'b1, err_reg != ERR_NONE, 28'd0, err_reg};

// what the datapath loads into wdata_reg: a buffer beat (at index wload_idx) or the STATUS word
reg          wload_buf;
reg [IW-1:0] wload_idx;
reg          wload_status;

// ------------------------------------------------------------ next state
always @* begin
    state_next = state_reg;
    desc_lo_hi_next = desc_lo_hi_reg;
    desc_addr_next = desc_addr_reg;
    src_next = src_reg;
    dst_next = dst_reg;
    next_next = next_reg;
    beats_left_next = beats_left_reg;
    last_strb_next = last_strb_reg;
    chunk_next = chunk_reg;
    beat_next = beat_reg;
    stat_next = stat_reg;
    err_next = err_reg;
    error_next = error_reg;
    irq_next = irq_reg;
    arvalid_next = arvalid_reg;
    araddr_next = araddr_reg;
    arlen_next = arlen_reg;
    awvalid_next = awvalid_reg;
    awaddr_next = awaddr_reg;
    awlen_next = awlen_reg;
    wvalid_next = wvalid_reg;
    wstrb_next = wstrb_reg;
    wlast_next = wlast_reg;
    desc_buf_next = desc_buf_reg;
    wload_buf = 1'b0;
    wload_idx = {IW{1'b0}};
    wload_status = 1'b0;

    if (reg_wr_en && reg_wr_addr == REG_DESC_LO) begin
        desc_lo_hi_next[31:0] = reg_wr_data;
    end
    if (reg_wr_en && reg_wr_addr == REG_DESC_HI) begin
        desc_lo_hi_next[63:32] = reg_wr_data;
    end
    if (ctrl_wr && reg_wr_data[CTRL_IRQ_CLEAR]) begin
        irq_next = 1'b0;
    end

    case (state_reg)
        S_IDLE: begin
            if (ctrl_wr && reg_wr_data[CTRL_START]) begin
                irq_next = 1'b0;
                error_next = ERR_NONE;
                desc_addr_next = desc_lo_hi_reg;
                state_next = S_DESC_AR;
                arvalid_next = 1'b1;
                araddr_next = desc_lo_hi_reg[ADDR_WIDTH-1:0] & BEAT_MASK;
                arlen_next = DESC_ARLEN;
            end
        end
        S_DESC_AR, S_RD_AR: begin
            if (m_axi_arready) begin
                arvalid_next = 1'b0;
                beat_next = 9'd0;
                state_next = state_reg == S_DESC_AR ? S_DESC_R : S_RD_R;
            end
        end
        S_DESC_R: begin
            if (rd_beat) begin
                desc_buf_next = desc_beat;
                if (rd_err) begin
                    err_next = ERR_DESC;
                end
                if (m_axi_rlast) begin
                    if (rd_err || err_reg != ERR_NONE) begin
                        // no descriptor, no STATUS: the chain ends here
                        error_next = ERR_DESC;
                        irq_next = 1'b1;
                        state_next = S_IDLE;
                    end else begin
                        err_next = ERR_NONE;
                        src_next = desc_src[ADDR_WIDTH-1:0] & BEAT_MASK;
                        dst_next = desc_dst[ADDR_WIDTH-1:0] & BEAT_MASK;
                        next_next = desc_next;
                        beats_left_next = desc_beats[31:0];
                        last_strb_next = desc_rem == 0 ? STRB_ALL : STRB_ALL >> (BYTES_W - {1'b0, desc_rem});
                        state_next = desc_len == 32'd0 ? S_STAT : S_RD_NEXT;
                    end
                end
            end
        end
        S_RD_NEXT: begin
            chunk_next = burst_beats[8:0];
            arvalid_next = 1'b1;
            araddr_next = src_reg;
            arlen_next = burst_beats[7:0] - 8'd1;
            state_next = S_RD_AR;
        end
        S_RD_R: begin
            if (rd_beat) begin
                beat_next = beat_reg + 9'd1;
                if (rd_err) begin
                    err_next = ERR_SRC;
                end
                if (m_axi_rlast) begin
                    // a burst that failed is not written
                    state_next = (rd_err || err_reg != ERR_NONE) ? S_STAT : S_WR_SETUP;
                end
            end
        end
        S_WR_SETUP: begin
            stat_next = 1'b0;
            awvalid_next = 1'b1;
            awaddr_next = dst_reg;
            awlen_next = chunk_reg[7:0] - 8'd1;
            wvalid_next = 1'b1;
            wload_buf = 1'b1;
            wlast_next = chunk_reg == 9'd1;
            wstrb_next = (chunk_reg == 9'd1 && beats_left_reg == 32'd1) ? last_strb_reg : STRB_ALL;
            beat_next = 9'd1;
            state_next = S_WR;
        end
        S_STAT: begin
            stat_next = 1'b1;
            awvalid_next = 1'b1;
            awaddr_next = status_addr[ADDR_WIDTH-1:0] & BEAT_MASK;
            awlen_next = 8'd0;
            wvalid_next = 1'b1;
            wload_status = 1'b1;
            wlast_next = 1'b1;
            wstrb_next = STRB_STATUS << status_addr[LW-1:0];
            state_next = S_WR;
        end
        S_WR: begin
            if (awvalid_reg && m_axi_awready) begin
                awvalid_next = 1'b0;
            end
            if (wr_beat) begin
                if (wlast_reg) begin
                    wvalid_next = 1'b0;
                end else begin
                    wload_buf = 1'b1;
                    wload_idx = beat_reg[IW-1:0];
                    wlast_next = beat_reg == chunk_reg - 9'd1;
                    wstrb_next = (beat_reg == chunk_reg - 9'd1 && beats_left_reg == {23'd0, chunk_reg})
                        ? last_strb_reg : STRB_ALL;
                    beat_next = beat_reg + 9'd1;
                end
            end
            if (!awvalid_next && !wvalid_next) begin
                state_next = S_WR_B;
            end
        end
        S_WR_B: begin
            if (m_axi_bvalid) begin
                if (m_axi_bresp[1]) begin
                    err_next = ERR_DST;
                end
                if (stat_reg) begin
                    if (m_axi_bresp[1] || err_reg != ERR_NONE || next_reg == 64'd0) begin
                        error_next = m_axi_bresp[1] ? ERR_DST : err_reg;
                        irq_next = 1'b1;
                        state_next = S_IDLE;
                    end else begin
                        desc_addr_next = next_reg;
                        arvalid_next = 1'b1;
                        araddr_next = next_reg[ADDR_WIDTH-1:0] & BEAT_MASK;
                        arlen_next = DESC_ARLEN;
                        state_next = S_DESC_AR;
                    end
                end else begin
                    beats_left_next = beats_left_reg - {23'd0, chunk_reg};
                    src_next = src_reg + ({{(ADDR_WIDTH - 9){1'b0}}, chunk_reg} << LW);
                    dst_next = dst_reg + ({{(ADDR_WIDTH - 9){1'b0}}, chunk_reg} << LW);
                    if (m_axi_bresp[1] || beats_left_reg == {23'd0, chunk_reg}) begin
                        state_next = S_STAT;
                    end else begin
                        state_next = S_RD_NEXT;
                    end
                end
            end
        end
        default: begin
            state_next = S_IDLE;
        end
    endcase
end

// --------------------------------------------------------------- registers
always @(posedge clk) begin
    state_reg <= state_next;
    desc_lo_hi_reg <= desc_lo_hi_next;
    desc_addr_reg <= desc_addr_next;
    src_reg <= src_next;
    dst_reg <= dst_next;
    next_reg <= next_next;
    beats_left_reg <= beats_left_next;
    last_strb_reg <= last_strb_next;
    chunk_reg <= chunk_next;
    beat_reg <= beat_next;
    stat_reg <= stat_next;
    err_reg <= err_next;
    error_reg <= error_next;
    irq_reg <= irq_next;
    arvalid_reg <= arvalid_next;
    araddr_reg <= araddr_next;
    arlen_reg <= arlen_next;
    awvalid_reg <= awvalid_next;
    awaddr_reg <= awaddr_next;
    awlen_reg <= awlen_next;
    wvalid_reg <= wvalid_next;
    wstrb_reg <= wstrb_next;
    wlast_reg <= wlast_next;
    desc_buf_reg <= desc_buf_next;

    if (rst) begin
        state_reg <= S_IDLE;
        desc_lo_hi_reg <= 64'd0;
        err_reg <= ERR_NONE;
        error_reg <= ERR_NONE;
        irq_reg <= 1'b0;
        arvalid_reg <= 1'b0;
        awvalid_reg <= 1'b0;
        wvalid_reg <= 1'b0;
    end
end

// the burst buffer and the W data (datapath: not reset)
always @(posedge clk) begin
    if (rd_beat && state_reg == S_RD_R) begin
        buf_mem[beat_reg[IW-1:0]] <= m_axi_rdata;
    end
    if (wload_buf) begin
        wdata_reg <= buf_mem[wload_idx];
    end else if (wload_status) begin
        wdata_reg <= {(BYTES / 4){status_word}};
    end
end

// ----------------------------------------------------------------- outputs
assign busy = state_reg != S_IDLE;
assign irq = irq_reg;
assign error = error_reg;

assign m_axi_arid = {ID_WIDTH{1'b0}};
assign m_axi_araddr = araddr_reg;
assign m_axi_arlen = arlen_reg;
assign m_axi_arsize = AXSIZE;
assign m_axi_arburst = BURST_INCR;
assign m_axi_arvalid = arvalid_reg;
assign m_axi_rready = state_reg == S_DESC_R || state_reg == S_RD_R;

assign m_axi_awid = {ID_WIDTH{1'b0}};
assign m_axi_awaddr = awaddr_reg;
assign m_axi_awlen = awlen_reg;
assign m_axi_awsize = AXSIZE;
assign m_axi_awburst = BURST_INCR;
assign m_axi_awvalid = awvalid_reg;
assign m_axi_wdata = wdata_reg;
assign m_axi_wstrb = wstrb_reg;
assign m_axi_wlast = wlast_reg;
assign m_axi_wvalid = wvalid_reg;
assign m_axi_bready = state_reg == S_WR_B;

// inputs and descriptor bits the engine does not use
wire [2 * ID_WIDTH + 1:0] unused_axi = {m_axi_bid, m_axi_rid, m_axi_bresp[0], m_axi_rresp[0]};
wire [31:0] unused_desc_status = desc_buf_reg[DESC_STATUS * 8 +: 32];
wire [192:0] unused_addr_bits = {desc_src, desc_dst, status_addr, desc_beats[32]};

endmodule

`resetall
