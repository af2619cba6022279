`resetall
`timescale 1ns / 1ps
`default_nettype none

// dma_tx_return -- TX return stage: read data -> packets, completions.
//
// Walks the in-flight queue in order (entry kinds TXQ_KIND_*: dma_defs.vh). For
// a TXQ_KIND_DATA entry (one chunk of a descriptor) it takes the chunk's beats
// from the TX data buffer, keeps only the lanes of the chunk (first beat from
// q_lo, last beat up to q_hi) and feeds them to dma_realign (packing from lane
// 0; `in_end` on the last beat of an EOP descriptor closes the packet). After a
// descriptor's last chunk it completes the descriptor (WB_LEN = LEN, DONE, EOP
// as CTRL.EOP). A TXQ_KIND_NOP entry completes at once (DONE only; it does not
// touch the stream).
//
// Errors (a beat with rsp_err, or a TXQ_KIND_ZERO / TXQ_KIND_LONG entry): `halt`
// rises at once (the issue stage stops), a packet in progress is closed with an empty
// end beat carrying in_user=1 (tlast with tuser=1 on the stream), the
// descriptor completes with DONE|ERR and its code (WB_LEN 0, no EOP), the ring
// error is reported, and the data of every later queued read is drained and
// dropped without completion. Then the stage halts until `clear`.
//
// When `run` is low and nothing is queued or being issued, a packet left open
// (its EOP descriptor never came) is closed with tuser=1.
//
// `units` counts packets fed to dma_realign whose tlast has not yet left it,
// so the ring never reports idle while a packet is still in the output.
//
// Throughput: one beat per cycle, across chunk and descriptor boundaries; a
// NOP takes one cycle; completions leave through a register (one per cycle).
module dma_tx_return #(
    // AXI data width in bits: 32, 64, 128 or 256
    parameter DATA_WIDTH = 64
) (
    input  wire                             clk,
    input  wire                             rst,
    input  wire                             clear,
    input  wire                             run,

    // in-flight queue head
    input  wire                             q_valid,
    output wire                             q_ready,
    input  wire [1:0]                       q_kind,
    input  wire [15:0]                      q_index,
    input  wire [15:0]                      q_len,
    input  wire                             q_eop,
    input  wire                             q_last,
    input  wire [$clog2(DATA_WIDTH/8)-1:0]  q_lo,
    input  wire [$clog2(DATA_WIDTH/8):0]    q_hi,
    input  wire [11:0]                      q_beats,
    input  wire                             q_empty,
    input  wire                             issue_idle,

    // TX data buffer head
    input  wire                             d_valid,
    output wire                             d_ready,
    input  wire [DATA_WIDTH-1:0]            d_data,
    input  wire                             d_err,

    // to dma_realign
    output wire                             ra_valid,
    input  wire                             ra_ready,
    output wire [DATA_WIDTH-1:0]            ra_data,
    output wire [$clog2(DATA_WIDTH/8)-1:0]  ra_lo,
    output wire [$clog2(DATA_WIDTH/8):0]    ra_hi,
    output wire                             ra_end,
    output wire                             ra_user,
    input  wire                             unit_done,

    // completions to dma_cpl_write
    output wire                             cpl_valid,
    input  wire                             cpl_ready,
    output wire [15:0]                      cpl_index,
    output wire [15:0]                      cpl_wb_len,
    output wire [7:0]                       cpl_status,
    output wire [7:0]                       cpl_err,

    output wire                             err_valid,
    output wire [7:0]                       err_code,
    output wire [15:0]                      err_index,
    output wire                             halt,
    output wire                             busy
);

/* verilator lint_off UNUSEDPARAM */
`include "dma_regs.vh"
`include "dma_defs.vh"
/* verilator lint_on UNUSEDPARAM */

// bytes per beat
localparam BYTES = DATA_WIDTH / 8;
// bits of a lane index
localparam LW = $clog2(BYTES);
// BYTES, as a lane end
localparam [LW:0] LANE_END = {1'b1, {LW{1'b0}}};

initial begin
    if (DATA_WIDTH != 32 && DATA_WIDTH != 64 && DATA_WIDTH != 128 && DATA_WIDTH != 256) begin
        $fatal(1, "dma_tx_return: DATA_WIDTH must be 32, 64, 128 or 256, not %0d (instance %m)",
            DATA_WIDTH);
    end
end

// return states
localparam [2:0] R_RUN    = 3'd0;  // moving data, completing descriptors
localparam [2:0] R_CLOSE  = 3'd1;  // closing the open packet with tuser=1
localparam [2:0] R_ERRCPL = 3'd2;  // completing the failed descriptor
localparam [2:0] R_DRAIN  = 3'd3;  // dropping everything still queued
localparam [2:0] R_HALT   = 3'd4;  // stopped after an error, until clear

reg [2:0]  ret_state_reg, ret_state_next;
reg [11:0] beat_reg;                    // beat of the head entry
reg        pkt_open_reg;                // bytes of an unfinished packet went to the realigner
reg [3:0]  units_reg;
reg        halt_reg;
reg        close_err_reg;
reg [7:0]  e_code_reg;
reg [15:0] e_index_reg;
reg        err_valid_reg;
reg        cpl_valid_reg;
reg [15:0] cpl_index_reg;
reg [15:0] cpl_wb_len_reg;
reg [7:0]  cpl_status_reg;
reg [7:0]  cpl_err_reg;

// Simulation speed: the state machine below computes only the handshakes, the
// next state and a few strobes; every other register is loaded under its strobe
// in the clocked block, and the lane bounds are continuous assignments. Icarus
// re-runs a combinational block in full whenever any of its inputs changes (here:
// every beat), and pays for each signal it reads or writes there.
reg        q_ready_int;
reg        d_ready_int;
reg        ra_valid_int;
reg        cpl_load;      // a completion goes into the completion register
reg        err_load;      // an error: halt, latch its code and index, close with tuser
reg        stop_close;    // `run` dropped in the middle of a packet: close it

wire closing    = ret_state_reg == R_CLOSE;
wire cpl_free   = !cpl_valid_reg || cpl_ready;
wire first_beat = beat_reg == 12'd0;
wire last_beat  = beat_reg == q_beats - 12'd1;
// a beat goes into the realigner (a data beat, or the empty beat closing a packet)
wire feed       = ra_valid_int && ra_ready;
// a packet or unit ends in the realigner with this beat
wire unit_fed   = feed && ra_end;

always @* begin
    ret_state_next = ret_state_reg;
    q_ready_int    = 1'b0;
    d_ready_int    = 1'b0;
    ra_valid_int   = 1'b0;
    cpl_load       = 1'b0;
    err_load       = 1'b0;
    stop_close     = 1'b0;

    case (ret_state_reg)
        R_RUN: begin
            if (q_valid) begin
                case (q_kind)
                    TXQ_KIND_NOP: begin
                        if (cpl_free) begin
                            q_ready_int = 1'b1;
                            cpl_load    = 1'b1;
                        end
                    end
                    TXQ_KIND_DATA: begin
                        if (d_valid && d_err) begin
                            err_load       = 1'b1;
                            ret_state_next = pkt_open_reg ? R_CLOSE : R_ERRCPL;
                        end else if (d_valid) begin
                            // the last beat of a descriptor needs room for its completion
                            ra_valid_int = !(last_beat && q_last) || cpl_free;
                            if (ra_valid_int && ra_ready) begin
                                d_ready_int = 1'b1;
                                if (last_beat) begin
                                    q_ready_int = 1'b1;
                                    cpl_load    = q_last;
                                end
                            end
                        end
                    end
                    TXQ_KIND_ZERO, TXQ_KIND_LONG: begin
                        q_ready_int    = 1'b1;
                        err_load       = 1'b1;
                        ret_state_next = pkt_open_reg ? R_CLOSE : R_ERRCPL;
                    end
                    default: begin
                    end
                endcase
            end else if (!run && pkt_open_reg && q_empty && issue_idle) begin
                // the ring stopped in the middle of a packet
                stop_close     = 1'b1;
                ret_state_next = R_CLOSE;
            end
        end
        R_CLOSE: begin
            ra_valid_int = 1'b1;
            if (ra_ready) begin
                ret_state_next = close_err_reg ? R_ERRCPL : R_RUN;
            end
        end
        R_ERRCPL: begin
            if (cpl_free) begin
                cpl_load       = 1'b1;
                ret_state_next = R_DRAIN;
            end
        end
        R_DRAIN: begin
            if (q_valid) begin
                if (q_kind == TXQ_KIND_DATA) begin
                    if (d_valid) begin
                        d_ready_int = 1'b1;
                        q_ready_int = last_beat;
                    end
                end else begin
                    q_ready_int = 1'b1;
                end
            end else if (q_empty && issue_idle) begin
                ret_state_next = R_HALT;
            end
        end
        default: begin // R_HALT
        end
    endcase
end

// an error or a completion moves (the clocked block skips their registers otherwise)
wire rare_event = err_load || stop_close || cpl_load || err_valid_reg || cpl_valid_reg;

always @(posedge clk) begin
    if (rare_event) begin
        // error: its code and index, and whether a packet must be closed first
        if (err_load) begin
            e_code_reg    <= (q_kind == TXQ_KIND_DATA) ? ERR_DATA_READ
                             : ((q_kind == TXQ_KIND_ZERO) ? ERR_ZERO_LEN : ERR_TOO_LONG);
            e_index_reg   <= q_index;
            close_err_reg <= 1'b1;
        end else if (stop_close) begin
            close_err_reg <= 1'b0;
        end
        // completion register contents
        if (cpl_load) begin
            if (ret_state_reg == R_ERRCPL) begin
                cpl_index_reg  <= e_index_reg;
                cpl_wb_len_reg <= 16'd0;
                cpl_status_reg <= STS_DONE | STS_ERR;
                cpl_err_reg    <= e_code_reg;
            end else if (q_kind == TXQ_KIND_NOP) begin
                cpl_index_reg  <= q_index;
                cpl_wb_len_reg <= 16'd0;
                cpl_status_reg <= STS_DONE;
                cpl_err_reg    <= ERR_NONE;
            end else begin
                cpl_index_reg  <= q_index;
                cpl_wb_len_reg <= q_len;
                cpl_status_reg <= STS_DONE | (q_eop ? STS_EOP : 8'd0);
                cpl_err_reg    <= ERR_NONE;
            end
        end
    end

    if (rst || clear) begin
        ret_state_reg <= R_RUN;
        beat_reg      <= 12'd0;
        pkt_open_reg  <= 1'b0;
        units_reg     <= 4'd0;
        halt_reg      <= 1'b0;
        err_valid_reg <= 1'b0;
        cpl_valid_reg <= 1'b0;
    end else begin
        ret_state_reg <= ret_state_next;
        if (d_ready_int) begin
            beat_reg <= last_beat ? 12'd0 : beat_reg + 12'd1;
        end
        if (feed) begin
            pkt_open_reg <= !ra_end;
        end
        if (unit_fed != unit_done) begin
            units_reg <= unit_fed ? units_reg + 4'd1 : units_reg - 4'd1;
        end
        if (rare_event) begin
            if (err_load) begin
                halt_reg <= 1'b1;
            end
            // the failed descriptor's completion reports the ring error
            err_valid_reg <= cpl_load && ret_state_reg == R_ERRCPL;
            cpl_valid_reg <= cpl_load || (cpl_valid_reg && !cpl_ready);
        end
    end
end

assign q_ready    = q_ready_int;
assign d_ready    = d_ready_int;
assign ra_valid   = ra_valid_int;
// a closing beat carries no bytes; zeros keep unused lanes defined
assign ra_data    = closing ? {DATA_WIDTH{1'b0}} : d_data;
assign ra_lo      = (first_beat && !closing) ? q_lo : {LW{1'b0}};
assign ra_hi      = closing ? {LW+1{1'b0}} : (last_beat ? q_hi : LANE_END);
assign ra_end     = closing || (last_beat && q_last && q_eop);
assign ra_user    = closing;
assign cpl_valid  = cpl_valid_reg;
assign cpl_index  = cpl_index_reg;
assign cpl_wb_len = cpl_wb_len_reg;
assign cpl_status = cpl_status_reg;
assign cpl_err    = cpl_err_reg;
assign err_valid  = err_valid_reg;
assign err_code   = e_code_reg;
assign err_index  = e_index_reg;
assign halt       = halt_reg;
assign busy       = (ret_state_reg != R_RUN && ret_state_reg != R_HALT)
                    || pkt_open_reg || units_reg != 4'd0 || cpl_valid_reg;

endmodule

`resetall
