`resetall
`timescale 1ns / 1ps
`default_nettype none

// dma_tx_return -- TX return stage: read data -> packets, completions.
//
// Walks the in-flight queue in order. For a K_DATA entry (one chunk of a
// descriptor) it takes the chunk's beats from the TX data buffer, keeps only
// the lanes of the chunk (first beat from q_lo, last beat up to q_hi) and
// feeds them to dma_realign (packing from lane 0; `in_end` on the last beat of
// an EOP descriptor closes the packet). After a descriptor's last chunk it
// completes the descriptor (WB_LEN = LEN, DONE, EOP as CTRL.EOP). A K_NOP entry
// completes at once (DONE only; it does not touch the stream).
//
// Errors (a beat with rsp_err, or a K_ZERO / K_LONG entry): `halt` rises at
// once (the issue stage stops), a packet in progress is closed with an empty
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
/* verilator lint_on UNUSEDPARAM */

// bytes per beat
localparam BYTES = DATA_WIDTH / 8;
// bits of a lane index
localparam LW = $clog2(BYTES);
// BYTES, as a lane end
localparam [LW:0] LANE_END = {1'b1, {LW{1'b0}}};

// queue entry kinds (as in dma_tx_issue)
localparam [1:0] K_DATA = 2'd0;
localparam [1:0] K_NOP  = 2'd1;
localparam [1:0] K_ZERO = 2'd2;
localparam [1:0] K_LONG = 2'd3;

// descriptor status values
localparam [7:0] STS_DONE = 8'd1 << DESC_STS_DONE;
localparam [7:0] STS_EOP  = 8'd1 << DESC_STS_EOP;
localparam [7:0] STS_ERR  = 8'd1 << DESC_STS_ERR;

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
reg [11:0] beat_reg, beat_next;         // beat of the head entry
reg        pkt_open_reg, pkt_open_next; // bytes of an unfinished packet went to the realigner
reg [3:0]  units_reg, units_next;
reg        halt_reg, halt_next;
reg        close_err_reg, close_err_next;
reg [7:0]  e_code_reg, e_code_next;
reg [15:0] e_index_reg, e_index_next;
reg        err_valid_reg, err_valid_next;
reg        cpl_valid_reg, cpl_valid_next;
reg [15:0] cpl_index_reg, cpl_index_next;
reg [15:0] cpl_wb_len_reg, cpl_wb_len_next;
reg [7:0]  cpl_status_reg, cpl_status_next;
reg [7:0]  cpl_err_reg, cpl_err_next;

reg          q_ready_int;
reg          d_ready_int;
reg          ra_valid_int;
reg [LW-1:0] ra_lo_int;
reg [LW:0]   ra_hi_int;
reg          ra_end_int;
reg          ra_user_int;
reg          cpl_free;
reg          first_beat;
reg          last_beat;
reg          unit_fed;

always @* begin
    ret_state_next  = ret_state_reg;
    beat_next       = beat_reg;
    pkt_open_next   = pkt_open_reg;
    halt_next       = halt_reg;
    close_err_next  = close_err_reg;
    e_code_next     = e_code_reg;
    e_index_next    = e_index_reg;
    err_valid_next  = 1'b0;
    cpl_valid_next  = cpl_valid_reg && !cpl_ready;
    cpl_index_next  = cpl_index_reg;
    cpl_wb_len_next = cpl_wb_len_reg;
    cpl_status_next = cpl_status_reg;
    cpl_err_next    = cpl_err_reg;

    cpl_free     = !cpl_valid_reg || cpl_ready;
    first_beat   = beat_reg == 12'd0;
    last_beat    = beat_reg == q_beats - 12'd1;
    q_ready_int  = 1'b0;
    d_ready_int  = 1'b0;
    ra_valid_int = 1'b0;
    ra_lo_int    = first_beat ? q_lo : {LW{1'b0}};
    ra_hi_int    = last_beat ? q_hi : LANE_END;
    ra_end_int   = last_beat && q_last && q_eop;
    ra_user_int  = 1'b0;
    unit_fed     = 1'b0;

    case (ret_state_reg)
        R_RUN: begin
            if (q_valid) begin
                case (q_kind)
                    K_NOP: begin
                        if (cpl_free) begin
                            q_ready_int     = 1'b1;
                            cpl_valid_next  = 1'b1;
                            cpl_index_next  = q_index;
                            cpl_wb_len_next = 16'd0;
                            cpl_status_next = STS_DONE;
                            cpl_err_next    = ERR_NONE;
                        end
                    end
                    K_DATA: begin
                        if (d_valid && d_err) begin
                            halt_next      = 1'b1;
                            e_code_next    = ERR_DATA_READ;
                            e_index_next   = q_index;
                            close_err_next = 1'b1;
                            ret_state_next = pkt_open_reg ? R_CLOSE : R_ERRCPL;
                        end else if (d_valid) begin
                            // the last beat of a descriptor needs room for its completion
                            ra_valid_int = !(last_beat && q_last) || cpl_free;
                            if (ra_valid_int && ra_ready) begin
                                d_ready_int   = 1'b1;
                                pkt_open_next = !ra_end_int;
                                unit_fed      = ra_end_int;
                                if (last_beat) begin
                                    q_ready_int = 1'b1;
                                    beat_next   = 12'd0;
                                    if (q_last) begin
                                        cpl_valid_next  = 1'b1;
                                        cpl_index_next  = q_index;
                                        cpl_wb_len_next = q_len;
                                        cpl_status_next = STS_DONE | (q_eop ? STS_EOP : 8'd0);
                                        cpl_err_next    = ERR_NONE;
                                    end
                                end else begin
                                    beat_next = beat_reg + 12'd1;
                                end
                            end
                        end
                    end
                    K_ZERO, K_LONG: begin
                        q_ready_int    = 1'b1;
                        halt_next      = 1'b1;
                        e_code_next    = (q_kind == K_ZERO) ? ERR_ZERO_LEN : ERR_TOO_LONG;
                        e_index_next   = q_index;
                        close_err_next = 1'b1;
                        ret_state_next = pkt_open_reg ? R_CLOSE : R_ERRCPL;
                    end
                    default: begin
                    end
                endcase
            end else if (!run && pkt_open_reg && q_empty && issue_idle) begin
                // the ring stopped in the middle of a packet
                close_err_next = 1'b0;
                ret_state_next = R_CLOSE;
            end
        end
        R_CLOSE: begin
            ra_valid_int = 1'b1;
            ra_lo_int    = {LW{1'b0}};
            ra_hi_int    = {LW+1{1'b0}};
            ra_end_int   = 1'b1;
            ra_user_int  = 1'b1;
            if (ra_ready) begin
                pkt_open_next  = 1'b0;
                unit_fed       = 1'b1;
                ret_state_next = close_err_reg ? R_ERRCPL : R_RUN;
            end
        end
        R_ERRCPL: begin
            if (cpl_free) begin
                cpl_valid_next  = 1'b1;
                cpl_index_next  = e_index_reg;
                cpl_wb_len_next = 16'd0;
                cpl_status_next = STS_DONE | STS_ERR;
                cpl_err_next    = e_code_reg;
                err_valid_next  = 1'b1;
                ret_state_next  = R_DRAIN;
            end
        end
        R_DRAIN: begin
            if (q_valid) begin
                if (q_kind == K_DATA) begin
                    if (d_valid) begin
                        d_ready_int = 1'b1;
                        if (last_beat) begin
                            q_ready_int = 1'b1;
                            beat_next   = 12'd0;
                        end else begin
                            beat_next = beat_reg + 12'd1;
                        end
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

    units_next = units_reg;
    if (unit_fed && !unit_done) begin
        units_next = units_reg + 4'd1;
    end else if (unit_done && !unit_fed) begin
        units_next = units_reg - 4'd1;
    end
end

always @(posedge clk) begin
    close_err_reg   <= close_err_next;
    e_code_reg      <= e_code_next;
    e_index_reg     <= e_index_next;
    cpl_index_reg   <= cpl_index_next;
    cpl_wb_len_reg  <= cpl_wb_len_next;
    cpl_status_reg  <= cpl_status_next;
    cpl_err_reg     <= cpl_err_next;

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
        beat_reg      <= beat_next;
        pkt_open_reg  <= pkt_open_next;
        units_reg     <= units_next;
        halt_reg      <= halt_next;
        err_valid_reg <= err_valid_next;
        cpl_valid_reg <= cpl_valid_next;
    end
end

assign q_ready    = q_ready_int;
assign d_ready    = d_ready_int;
assign ra_valid   = ra_valid_int;
// a closing beat carries no bytes; zeros keep unused lanes defined
assign ra_data    = (ret_state_reg == R_CLOSE) ? {DATA_WIDTH{1'b0}} : d_data;
assign ra_lo      = ra_lo_int;
assign ra_hi      = ra_hi_int;
assign ra_end     = ra_end_int;
assign ra_user    = ra_user_int;
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
