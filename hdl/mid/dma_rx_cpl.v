`resetall
`timescale 1ns / 1ps
`default_nettype none

// dma_rx_cpl -- RX completions: each buffer's write, then its completion, in order.
//
// dma_rx records every data write it requests (`push`: index, WB_LEN, EOP) in a
// ring of PEND_DEPTH entries. The write back end's `done` pulses come in
// request order and mark the oldest unmarked entry (with ERR_DATA_WRITE if the
// write failed; the first such error is also reported to the ring). Marked
// entries leave in order through the completion register (`cpl_*`), so a
// descriptor is never written back before its data is in memory, while the
// writes themselves are issued without waiting for earlier dones. After a
// failed write has been completed no further completion is passed on (the
// ring stops; the driver recovers by re-enabling it).
//
// `dir_*` completes a descriptor without a write (buffers handed back unused,
// a bad descriptor); it is taken only while no write is pending, so order holds.
//
// `idle`: nothing pending, nothing in the completion register.
module dma_rx_cpl (
    input  wire        clk,
    input  wire        rst,
    input  wire        clear,

    // writes requested by dma_rx
    input  wire        push,
    input  wire [15:0] push_index,
    input  wire [15:0] push_len,
    input  wire        push_eop,
    output wire        full,

    // write dones from dma_axi_wr (client WR_CLIENT_RX_DATA)
    input  wire        done_valid,
    input  wire        done_err,

    // completions without a write
    input  wire        dir_valid,
    output wire        dir_ready,
    input  wire [15:0] dir_index,
    input  wire [7:0]  dir_status,
    input  wire [7:0]  dir_err,

    // completions to dma_cpl_write
    output wire        cpl_valid,
    input  wire        cpl_ready,
    output wire [15:0] cpl_index,
    output wire [15:0] cpl_wb_len,
    output wire [7:0]  cpl_status,
    output wire [7:0]  cpl_err,

    output wire        err_valid,
    output wire [15:0] err_index,
    output wire        idle
);

/* verilator lint_off UNUSEDPARAM */
`include "dma_regs.vh"
`include "dma_defs.vh"
/* verilator lint_on UNUSEDPARAM */

// writes awaiting completion
localparam PEND_DEPTH = 16;
// bits of a ring index
localparam PW = $clog2(PEND_DEPTH);
// a full ring, as a pointer distance
localparam [PW:0] PEND_FULL = {1'b1, {PW{1'b0}}};

// ring: [rd, dn) done, [dn, wr) awaiting their done
reg [15:0]           p_index_mem [0:PEND_DEPTH-1];
reg [15:0]           p_len_mem [0:PEND_DEPTH-1];
reg [PEND_DEPTH-1:0] p_eop_reg;
reg [PEND_DEPTH-1:0] p_err_reg;
reg [PW:0]           wr_ptr_reg;
reg [PW:0]           dn_ptr_reg;
reg [PW:0]           rd_ptr_reg;

reg        stop_reg;                   // a failed write was completed
reg        err_seen_reg;
reg        err_valid_reg;
reg [15:0] err_index_reg;
reg        cpl_valid_reg;
reg [15:0] cpl_index_reg;
reg [15:0] cpl_wb_len_reg;
reg [7:0]  cpl_status_reg;
reg [7:0]  cpl_err_reg;

wire [PW-1:0] rd_slot  = rd_ptr_reg[PW-1:0];
wire [15:0]   rd_index = p_index_mem[rd_slot];
wire [15:0]   rd_len   = p_len_mem[rd_slot];
wire [15:0]   dn_index = p_index_mem[dn_ptr_reg[PW-1:0]];
wire          have_done = rd_ptr_reg != dn_ptr_reg;
wire          cpl_free  = !cpl_valid_reg || cpl_ready;
wire          dir_take  = dir_valid && dir_ready;

// Simulation speed: no combinational block; every register is loaded under the
// event that moves it (Icarus re-runs an always block in full whenever any of its
// inputs changes, and pays per statement).
// the oldest done entry leaves the ring (dropped once stopped)
wire rd_go     = have_done && (stop_reg || cpl_free);
// it goes into the completion register
wire ring_cpl  = have_done && !stop_reg && cpl_free;
// a completion goes into the completion register (a done entry first)
wire cpl_load  = ring_cpl || (!have_done && dir_take);
// the first failed write
wire first_err = done_valid && done_err && !err_seen_reg;
// nothing below changes in a cycle without one of these (the block is skipped)
wire touch     = push || done_valid || have_done || dir_take || err_valid_reg || cpl_valid_reg
                 || rst || clear;

always @(posedge clk) begin
    if (touch) begin
        if (first_err) begin
            err_index_reg <= dn_index;
        end
        if (cpl_load) begin
            if (have_done) begin
                cpl_index_reg  <= rd_index;
                cpl_wb_len_reg <= rd_len;
                cpl_status_reg <= STS_DONE | (p_eop_reg[rd_slot] ? STS_EOP : 8'd0)
                                  | (p_err_reg[rd_slot] ? STS_ERR : 8'd0);
                cpl_err_reg    <= p_err_reg[rd_slot] ? ERR_DATA_WRITE : ERR_NONE;
            end else begin
                cpl_index_reg  <= dir_index;
                cpl_wb_len_reg <= 16'd0;
                cpl_status_reg <= dir_status;
                cpl_err_reg    <= dir_err;
            end
        end
        if (push) begin
            p_index_mem[wr_ptr_reg[PW-1:0]] <= push_index;
            p_len_mem[wr_ptr_reg[PW-1:0]]   <= push_len;
            p_eop_reg[wr_ptr_reg[PW-1:0]]   <= push_eop;
        end
        if (done_valid) begin
            p_err_reg[dn_ptr_reg[PW-1:0]] <= done_err;
        end

        if (rst || clear) begin
            wr_ptr_reg    <= {PW+1{1'b0}};
            dn_ptr_reg    <= {PW+1{1'b0}};
            rd_ptr_reg    <= {PW+1{1'b0}};
            stop_reg      <= 1'b0;
            err_seen_reg  <= 1'b0;
            err_valid_reg <= 1'b0;
            cpl_valid_reg <= 1'b0;
        end else begin
            if (push) begin
                wr_ptr_reg <= wr_ptr_reg + 1'b1;
            end
            if (done_valid) begin
                dn_ptr_reg <= dn_ptr_reg + 1'b1;
            end
            if (rd_go) begin
                rd_ptr_reg <= rd_ptr_reg + 1'b1;
            end
            if (ring_cpl && p_err_reg[rd_slot]) begin
                stop_reg <= 1'b1;
            end
            if (first_err) begin
                err_seen_reg <= 1'b1;
            end
            if (first_err || err_valid_reg) begin
                err_valid_reg <= first_err;
            end
            if (cpl_load || cpl_ready) begin
                cpl_valid_reg <= cpl_load;
            end
        end
    end
end

assign full       = (wr_ptr_reg - rd_ptr_reg) == PEND_FULL;
assign dir_ready  = cpl_free && wr_ptr_reg == rd_ptr_reg;
assign cpl_valid  = cpl_valid_reg;
assign cpl_index  = cpl_index_reg;
assign cpl_wb_len = cpl_wb_len_reg;
assign cpl_status = cpl_status_reg;
assign cpl_err    = cpl_err_reg;
assign err_valid  = err_valid_reg;
assign err_index  = err_index_reg;
assign idle       = wr_ptr_reg == rd_ptr_reg && !cpl_valid_reg;

endmodule

`resetall
