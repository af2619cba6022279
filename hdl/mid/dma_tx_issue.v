`resetall
`timescale 1ns / 1ps
`default_nettype none

// dma_tx_issue -- TX issue stage: descriptors -> data read requests.
//
// Pops descriptors from the fetch FIFO while `run` is high and `halt` is low
// and hands every one to the return stage, in index order, through the
// in-flight queue (`q_*`, one entry per read request or per data-less
// descriptor):
//   NOP                  -> one TXQ_KIND_NOP entry, no read;
//   LEN 0 / LEN > 16384  -> one TXQ_KIND_ZERO / TXQ_KIND_LONG entry, no read, and
//                           the issue stage stops until `clear`;
//   otherwise            -> the buffer is cut into chunks that end at CHUNK
//                           byte boundaries (CHUNK = min(4 KiB, half the TX
//                           data buffer)), one read request + one TXQ_KIND_DATA
//                           entry per chunk (kinds: dma_defs.vh).
// A chunk is requested only when the TX data buffer has credits for all its
// beats (ceil((addr % BYTES + len) / BYTES)); a credit comes back per beat the
// return stage takes out of the buffer (`credit_ret`). So R data never waits
// for buffer space, and several reads are in flight at once.
//
// Once a descriptor's first chunk is requested its other chunks follow even if
// `run` drops (so it completes normally); `halt` (an error in the return stage)
// abandons it at once -- everything in flight is dropped anyway.
//
// Latency: a descriptor at the FIFO head is popped in one cycle and its first
// request is offered the next; then one chunk per cycle while credits last.
module dma_tx_issue #(
    // AXI data width in bits: 32, 64, 128 or 256
    parameter DATA_WIDTH = 64,
    // TX data buffer in beats (power of two)
    parameter TX_FIFO_BEATS = 1024
) (
    input  wire                             clk,
    input  wire                             rst,
    input  wire                             clear,
    input  wire                             run,
    input  wire                             halt,

    // descriptors from dma_desc_fetch
    input  wire                             d_valid,
    output wire                             d_ready,
    input  wire [15:0]                      d_index,
    input  wire [127:0]                     d_desc,

    // read client of dma_axi_rd
    output wire                             req_valid,
    input  wire                             req_ready,
    output wire [63:0]                      req_addr,
    output wire [15:0]                      req_len,

    // in-flight queue entry
    output wire                             q_valid,
    input  wire                             q_ready,
    output wire [1:0]                       q_kind,
    output wire [15:0]                      q_index,
    output wire [15:0]                      q_len,
    output wire                             q_eop,
    output wire                             q_last,
    output wire [$clog2(DATA_WIDTH/8)-1:0]  q_lo,
    output wire [$clog2(DATA_WIDTH/8):0]    q_hi,
    output wire [11:0]                      q_beats,

    input  wire                             credit_ret,
    output wire                             idle
);

/* verilator lint_off UNUSEDPARAM */
`include "dma_regs.vh"
`include "dma_defs.vh"
/* verilator lint_on UNUSEDPARAM */

// bytes per beat
localparam BYTES = DATA_WIDTH / 8;
// bits of a lane index
localparam LW = $clog2(BYTES);
// TX data buffer in bytes
localparam integer BUF_BYTES = TX_FIFO_BEATS * BYTES;
// chunk size in bytes: reads end at multiples of it
localparam integer CHUNK = (BUF_BYTES / 2 < 4096) ? BUF_BYTES / 2 : 4096;
// bits of an offset inside a chunk
localparam CHL = $clog2(CHUNK);
// most beats one chunk can take
localparam integer MAX_BEATS = CHUNK / BYTES + 1;
// bits of a beat count (MAX_BEATS <= 1025)
localparam BEAT_W = TXQ_BEAT_BITS;
// full credit
localparam integer CREDIT_FULL_I = TX_FIFO_BEATS;
// the same, 17 bits (a part-select: no truncation warning at any TX_FIFO_BEATS)
localparam [16:0] CREDIT_FULL = CREDIT_FULL_I[16:0];
// a chunk, as a byte count
localparam [16:0] CHUNK17 = CHUNK[16:0];
// BYTES - 1, as an integer
localparam integer BYTES_M1_I = BYTES - 1;
// BYTES - 1, as a byte count
localparam [16:0] BYTES_M1 = BYTES_M1_I[16:0];
// BYTES, as a lane end
localparam [LW:0] LANE_END = {1'b1, {LW{1'b0}}};

initial begin
    if (DATA_WIDTH != 32 && DATA_WIDTH != 64 && DATA_WIDTH != 128 && DATA_WIDTH != 256) begin
        $fatal(1, "dma_tx_issue: DATA_WIDTH must be 32, 64, 128 or 256, not %0d (instance %m)",
            DATA_WIDTH);
    end
    if (TX_FIFO_BEATS < 16 || (TX_FIFO_BEATS & (TX_FIFO_BEATS - 1)) != 0
            || TX_FIFO_BEATS > 32768 || BUF_BYTES < 256 || MAX_BEATS >= 4096) begin
        $fatal(1, "dma_tx_issue: TX_FIFO_BEATS must be a power of two >= 16 holding >= 256 bytes, not %0d (instance %m)",
            TX_FIFO_BEATS);
    end
end

// issue states
localparam [0:0] I_IDLE  = 1'b0;  // taking the next descriptor
localparam [0:0] I_CHUNK = 1'b1;  // requesting the chunks of a data descriptor

reg [0:0]     issue_state_reg, issue_state_next;
reg           halted_reg;                    // a bad descriptor was queued
reg [16:0]    credit_reg;
reg [63:0]    cur_addr_reg;
reg [15:0]    rem_reg;
reg [15:0]    len_reg;
reg [15:0]    index_reg;
reg           eop_reg;
reg           req_valid_reg;
reg [63:0]    req_addr_reg;
reg [15:0]    req_len_reg;

// descriptor fields
wire [63:0] d_addr = d_desc[DESC_ADDR_LSB +: DESC_ADDR_BITS];
wire [15:0] d_len  = d_desc[DESC_LEN_LSB +: DESC_LEN_BITS];
wire [7:0]  d_ctrl = d_desc[DESC_CTRL_LSB +: DESC_CTRL_BITS];
wire        d_nop  = d_ctrl[DESC_CTRL_NOP];
wire        d_zero = d_len == 16'd0;
wire        d_long = d_len > MAX_DESC_LEN[15:0];
// the rest of the descriptor is the device's or reserved
wire [45:0] unused_desc = {d_desc[127:88], d_ctrl[7:3], d_ctrl[1]};

// ---- the next chunk of the current descriptor ----
reg [16:0]       to_bound;
reg [15:0]       clen;
reg [LW-1:0]     c_lo;
reg [LW-1:0]     c_end;
reg [LW:0]       c_hi;
reg [16:0]       c_sum;
reg [BEAT_W-1:0] c_beats;
reg              c_last;

always @* begin
    to_bound = CHUNK17 - {{17-CHL{1'b0}}, cur_addr_reg[CHL-1:0]};
    clen     = ({1'b0, rem_reg} < to_bound) ? rem_reg : to_bound[15:0];
    c_lo     = cur_addr_reg[LW-1:0];
    c_end    = c_lo + clen[LW-1:0];
    c_hi     = (c_end == {LW{1'b0}}) ? LANE_END : {1'b0, c_end};
    c_sum    = {1'b0, clen} + {{17-LW{1'b0}}, c_lo} + BYTES_M1;
    c_beats  = c_sum[LW +: BEAT_W];  // < 4096
    c_last   = clen == rem_reg;
end

// only the beat count of the sum is used
wire [16:0] unused_c_sum = c_sum;

// Simulation speed: the state machine computes the handshakes, the next state
// and three strobes; the descriptor, chunk and credit registers are loaded in the
// clocked block under those strobes, and the queue entry is a continuous
// assignment. Icarus re-runs an always block in full whenever any of its inputs
// changes (the credits change with every beat) and pays per statement.
reg             d_ready_int;
reg             q_valid_int;
reg             dl_entry;      // a data-less entry (NOP, LEN 0, LEN too long) is offered
reg             desc_take;     // a data descriptor is popped
reg             chunk_go;      // a chunk is requested and queued

// the credits cover the next chunk
wire credit_ok = credit_reg >= {{17-BEAT_W{1'b0}}, c_beats};

always @* begin
    issue_state_next = issue_state_reg;
    d_ready_int      = 1'b0;
    q_valid_int      = 1'b0;
    dl_entry         = 1'b0;
    desc_take        = 1'b0;
    chunk_go         = 1'b0;

    case (issue_state_reg)
        I_IDLE: begin
            if (run && !halt && !halted_reg && d_valid) begin
                if (d_nop || d_zero || d_long) begin
                    // data-less entry, straight into the queue
                    q_valid_int = 1'b1;
                    dl_entry    = 1'b1;
                    d_ready_int = q_ready;
                end else begin
                    d_ready_int      = 1'b1;
                    desc_take        = 1'b1;
                    issue_state_next = I_CHUNK;
                end
            end
        end
        default: begin // I_CHUNK
            if (halt) begin
                issue_state_next = I_IDLE;
            end else if ((!req_valid_reg || req_ready) && q_ready && credit_ok) begin
                chunk_go    = 1'b1;
                q_valid_int = 1'b1;
                if (c_last) begin
                    issue_state_next = I_IDLE;
                end
            end
        end
    endcase
end

// anything but the credits moves (the clocked block skips the rest otherwise)
wire issue_event = desc_take || chunk_go || dl_entry || req_valid_reg || rst || clear;

always @(posedge clk) begin
    if (issue_event) begin
        if (desc_take) begin
            cur_addr_reg <= d_addr;
            rem_reg      <= d_len;
            len_reg      <= d_len;
            index_reg    <= d_index;
            eop_reg      <= d_ctrl[DESC_CTRL_EOP];
        end else if (chunk_go) begin
            cur_addr_reg <= cur_addr_reg + {48'd0, clen};
            rem_reg      <= rem_reg - clen;
        end
        if (chunk_go) begin
            req_addr_reg <= cur_addr_reg;
            req_len_reg  <= clen;
        end
    end

    if (rst || clear) begin
        issue_state_reg <= I_IDLE;
        halted_reg      <= 1'b0;
        credit_reg      <= CREDIT_FULL;
        req_valid_reg   <= 1'b0;
    end else begin
        issue_state_reg <= issue_state_next;
        if (issue_event) begin
            if (dl_entry && q_ready && !d_nop) begin
                halted_reg <= 1'b1;
            end
            if (chunk_go || req_ready) begin
                req_valid_reg <= chunk_go;
            end
        end
        if (chunk_go || credit_ret) begin
            credit_reg <= credit_reg - (chunk_go ? {{17-BEAT_W{1'b0}}, c_beats} : 17'd0)
                          + {16'd0, credit_ret};
        end
    end
end

assign d_ready   = d_ready_int;
assign req_valid = req_valid_reg;
assign req_addr  = req_addr_reg;
assign req_len   = req_len_reg;
assign q_valid   = q_valid_int;
assign q_kind    = dl_entry ? (d_nop ? TXQ_KIND_NOP : (d_zero ? TXQ_KIND_ZERO : TXQ_KIND_LONG))
                             : TXQ_KIND_DATA;
assign q_index   = dl_entry ? d_index : index_reg;
assign q_len     = dl_entry ? 16'd0 : len_reg;
assign q_eop     = dl_entry ? d_ctrl[DESC_CTRL_EOP] : eop_reg;
assign q_last    = dl_entry || c_last;
assign q_lo      = c_lo;
assign q_hi      = c_hi;
assign q_beats   = dl_entry ? {BEAT_W{1'b0}} : c_beats;
assign idle      = issue_state_reg == I_IDLE && !req_valid_reg;

endmodule

`resetall
