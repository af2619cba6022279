`resetall
`timescale 1ns / 1ps
`default_nettype none

// dma_cpl_write -- completion write-back of one ring, coalesced per cache line.
//
// Store: DESC_DEPTH descriptors (slot = index mod DESC_DEPTH) as fetched
// (`shadow_*` writes from dma_desc_fetch), and beside them bytes 12-15 of each
// completion (`cpl_*`, taken in index order, always ready). Completions below
// `cpl_ptr` are done; descriptors below HEAD are written back.
//
// Line L (start `ls`, DPL = CACHE_LINE/16 descriptors) is written back when it
// holds a completion not yet written and
//   - every posted descriptor of L (below TAIL) is complete, or
//   - WB_DELAY cycles have passed since the oldest such completion, or
//   - a completion carried ERR, or `run` is low (flush everything held).
// When L is complete, the write also takes the whole lines after it that are
// complete too (up to WB_MAX descriptors, not past the ring's wrap): one write
// of several whole lines. Otherwise it covers [ls, min(ls + DPL, fetched_ptr))
// -- fetched_ptr <= TAIL. The data comes from the store: bytes 0-11 as
// fetched, bytes 12-15 from the completion for the descriptors complete when
// the write was issued, as fetched for the others (their DONE stays 0). One
// write is in flight at a time; the lines that complete meanwhile go out
// together in the next one, so the write-back keeps up with any completion
// rate while each write still covers whole lines. A write shorter than a line
// pulses `partial_inc` (WB_PARTIAL_COUNT).
//
// After the write's done: HEAD = ls + completions written; `irq_req` pulses if
// a newly written descriptor had CTRL.IRQ; `pkt_inc` = newly written
// descriptors with STATUS.EOP; when every descriptor written was complete
// (whole lines) `ls` moves past them. `fetch_limit` = ls + DESC_DEPTH keeps
// the fetch from overwriting a slot still needed. A write error reports
// ERR_WB_WRITE (index = HEAD) and stops write-back until `clear` (completions
// are still taken and dropped).
//
// Latency: a complete line issues its request the cycle after its last
// completion; HEAD moves the cycle after the back end's done pulse.
module dma_cpl_write #(
    // AXI data width in bits: 32, 64, 128 or 256
    parameter DATA_WIDTH = 64,
    // descriptor store entries, power of two 16..1024
    parameter DESC_DEPTH = 32
) (
    input  wire                  clk,
    input  wire                  rst,
    input  wire                  clear,
    input  wire                  run,

    // ring configuration
    input  wire [63:0]           base,
    input  wire [3:0]            size_log2,
    input  wire [1:0]            line_log2,
    input  wire [15:0]           tail,
    input  wire [31:0]           wb_delay,

    // descriptors as fetched
    input  wire                  shadow_we,
    input  wire [15:0]           shadow_index,
    input  wire [127:0]          shadow_desc,
    input  wire [15:0]           fetched_ptr,

    // completions, in index order
    input  wire                  cpl_valid,
    output wire                  cpl_ready,
    input  wire [15:0]           cpl_index,
    input  wire [15:0]           cpl_wb_len,
    input  wire [7:0]            cpl_status,
    input  wire [7:0]            cpl_err,

    // write client of dma_axi_wr
    output wire                  req_valid,
    input  wire                  req_ready,
    output wire [63:0]           req_addr,
    output wire [15:0]           req_len,
    output wire                  wdat_valid,
    input  wire                  wdat_ready,
    output wire [DATA_WIDTH-1:0] wdat_data,
    input  wire                  done_valid,
    input  wire                  done_err,

    output wire [15:0]           head,
    output wire [15:0]           fetch_limit,
    output wire                  irq_req,
    output wire [7:0]            pkt_inc,
    output wire                  partial_inc,

    output wire                  busy,
    output wire                  err_valid,
    output wire [7:0]            err_code,
    output wire [15:0]           err_index
);

/* verilator lint_off UNUSEDPARAM */
`include "dma_regs.vh"
/* verilator lint_on UNUSEDPARAM */

// bytes per beat
localparam BYTES = DATA_WIDTH / 8;
// log2 of beats per descriptor (0 when a beat holds one or two descriptors)
localparam BPD_LOG = (BYTES == 4) ? 2 : ((BYTES == 8) ? 1 : 0);
// bits of a store slot
localparam DSW = $clog2(DESC_DEPTH);
// DESC_DEPTH as an integer index distance
localparam integer DEPTH_I = DESC_DEPTH;
// DESC_DEPTH as an index distance
localparam [15:0] DEPTH16 = DEPTH_I[15:0];
// most descriptors one write covers (whole lines of up to 8): 32, or half the store
localparam integer WB_MAX_I = (DESC_DEPTH / 2 < 32) ? DESC_DEPTH / 2 : 32;
// the same, as a count
localparam [15:0] WB_MAX = WB_MAX_I[15:0];

initial begin
    if (DATA_WIDTH != 32 && DATA_WIDTH != 64 && DATA_WIDTH != 128 && DATA_WIDTH != 256) begin
        $fatal(1, "dma_cpl_write: DATA_WIDTH must be 32, 64, 128 or 256, not %0d (instance %m)",
            DATA_WIDTH);
    end
    if (DESC_DEPTH < 16 || DESC_DEPTH > 1024 || (DESC_DEPTH & (DESC_DEPTH - 1)) != 0) begin
        $fatal(1, "dma_cpl_write: DESC_DEPTH must be a power of two 16..1024, not %0d (instance %m)",
            DESC_DEPTH);
    end
end

// write-back states
localparam [2:0] WB_IDLE = 3'd0;  // waiting for a line to write
localparam [2:0] WB_REQ  = 3'd1;  // write request offered
localparam [2:0] WB_DATA = 3'd2;  // write data beats
localparam [2:0] WB_WAIT = 3'd3;  // waiting for the write's done
localparam [2:0] WB_HALT = 3'd4;  // write-back failed, until clear

// ---- store ----
reg [127:0] shadow_mem [0:DESC_DEPTH-1];
reg [31:0]  cpl_mem [0:DESC_DEPTH-1];

wire cpl_take = cpl_valid;
// slots use the low index bits only
wire [31-2*DSW:0] unused_index = {shadow_index[15:DSW], cpl_index[15:DSW]};

always @(posedge clk) begin
    if (shadow_we) begin
        shadow_mem[shadow_index[DSW-1:0]] <= shadow_desc;
    end
    if (cpl_take) begin
        cpl_mem[cpl_index[DSW-1:0]] <= {cpl_err, cpl_status, cpl_wb_len};
    end
end

reg [2:0]  wb_state_reg, wb_state_next;
reg [15:0] ls_reg;                    // first index of the current line
reg [15:0] head_reg;
reg [15:0] cpl_ptr_reg;
reg [31:0] timer_reg;
reg        err_seen_reg;
reg [5:0]  wb_snap_reg;               // of them complete (from ls)
reg [3:0]  wb_hoff_reg;               // HEAD - ls when issued
reg        wb_full_reg;               // whole complete lines: ls moves past them when done
reg [7:0]  beat_reg;
reg [7:0]  beats_reg;
reg        acc_irq_reg;
reg [7:0]  acc_eop_reg;
reg [63:0] req_addr_reg;
reg [15:0] req_len_reg;
reg        irq_req_reg;
reg [7:0]  pkt_inc_reg;
reg        partial_reg;
reg        err_valid_reg;
reg [15:0] err_index_reg;

// ---- the write's data: beat `beat_reg` of descriptors [ls, ls + wb_n) ----
wire [DATA_WIDTH-1:0] beat_data;
wire                  beat_irq;   // a newly written descriptor of this beat has CTRL.IRQ
wire [1:0]            beat_eops;  // newly written descriptors of this beat with STATUS.EOP

generate
    if (BYTES <= 16) begin : g_one_desc
        // one descriptor per beat or per 2**BPD_LOG beats
        wire [4:0]       d    = beat_reg[BPD_LOG+4:BPD_LOG];
        wire [15:0]      idx  = ls_reg + {11'd0, d};
        wire [DSW-1:0]   slot = idx[DSW-1:0];
        wire [15-DSW:0]  unused_idx = idx[15:DSW];
        wire [127:0]     sh   = shadow_mem[slot];
        wire [31:0]      cp   = cpl_mem[slot];
        wire             done = {1'b0, d} < wb_snap_reg;
        // the descriptor, with its completion merged when done (no function: Icarus
        // runs a function in a continuous assignment as a thread, at every change)
        wire [127:0]     desc = {done ? cp : sh[127:96], sh[95:0]};
        wire             first_part;
        if (BPD_LOG > 0) begin : g_parts
            wire [BPD_LOG-1:0] part = beat_reg[BPD_LOG-1:0];
            assign beat_data  = desc[part*DATA_WIDTH +: DATA_WIDTH];
            assign first_part = part == {BPD_LOG{1'b0}};
        end else begin : g_whole
            assign beat_data  = desc;
            assign first_part = 1'b1;
        end
        wire counted = first_part && done && d >= {1'b0, wb_hoff_reg};
        assign beat_irq  = counted && sh[DESC_CTRL_LSB + DESC_CTRL_IRQ];
        assign beat_eops = {1'b0, counted && cp[DESC_STATUS_LSB - 96 + DESC_STS_EOP]};
        wire [2-BPD_LOG:0] unused_hi = beat_reg[7:BPD_LOG+5];
    end else begin : g_two_desc
        // two descriptors per 256-bit beat
        wire [4:0]       d0    = {beat_reg[3:0], 1'b0};
        wire [4:0]       d1    = {beat_reg[3:0], 1'b1};
        wire [15:0]      idx0  = ls_reg + {11'd0, d0};
        wire [15:0]      idx1  = ls_reg + {11'd0, d1};
        wire [DSW-1:0]   slot0 = idx0[DSW-1:0];
        wire [DSW-1:0]   slot1 = idx1[DSW-1:0];
        wire [31-2*DSW:0] unused_idx = {idx0[15:DSW], idx1[15:DSW]};
        wire [127:0]     sh0   = shadow_mem[slot0];
        wire [127:0]     sh1   = shadow_mem[slot1];
        wire [31:0]      cp0   = cpl_mem[slot0];
        wire [31:0]      cp1   = cpl_mem[slot1];
        wire             done0 = {1'b0, d0} < wb_snap_reg;
        wire             done1 = {1'b0, d1} < wb_snap_reg;
        wire             cnt0  = done0 && d0 >= {1'b0, wb_hoff_reg};
        wire             cnt1  = done1 && d1 >= {1'b0, wb_hoff_reg};
        assign beat_data = {done1 ? cp1 : sh1[127:96], sh1[95:0],
                            done0 ? cp0 : sh0[127:96], sh0[95:0]};
        assign beat_irq  = (cnt0 && sh0[DESC_CTRL_LSB + DESC_CTRL_IRQ])
                           || (cnt1 && sh1[DESC_CTRL_LSB + DESC_CTRL_IRQ]);
        assign beat_eops = {1'b0, cnt0 && cp0[DESC_STATUS_LSB - 96 + DESC_STS_EOP]}
                           + {1'b0, cnt1 && cp1[DESC_STATUS_LSB - 96 + DESC_STS_EOP]};
        wire [3:0] unused_hi = beat_reg[7:4];
    end
endgenerate

// ---- decision ----
// Simulation speed: the write-back timer counts in a block of its own and the
// decision sees only whether it has expired, so the decision and the state
// machine are re-evaluated when a completion, a fetch or a write-back moves, not
// every cycle a line waits. The state machine computes the next state; the other
// registers are loaded in the clocked block under the events that move them.
reg [3:0]  dpl;
reg [15:0] line_mask;
reg [15:0] cpl_cnt;
reg        full;      // line ls is complete: write it and the complete lines after it
reg [15:0] ring_pos;
reg [15:0] to_wrap;
reg [15:0] full_n;    // descriptors of the whole complete lines from ls (capped)
reg [5:0]  snap;
reg [3:0]  hoff;
reg [15:0] tail_cnt;
reg [3:0]  posted;
reg [15:0] fet_cnt;
reg [5:0]  wr_n;
reg        pending;
reg        go;
reg [7:0]  wr_beats;

// WB_DELAY cycles have passed since the oldest unwritten completion
wire timer_due = timer_reg >= wb_delay;

always @* begin
    dpl       = 4'd1 << line_log2;
    line_mask = {12'd0, dpl} - 16'd1;
    cpl_cnt   = cpl_ptr_reg - ls_reg;
    full      = cpl_cnt >= {12'd0, dpl};
    ring_pos  = ls_reg & ((16'd1 << size_log2) - 16'd1);
    to_wrap   = (16'd1 << size_log2) - ring_pos;  // a multiple of DPL
    full_n    = (cpl_cnt < WB_MAX) ? cpl_cnt : WB_MAX;
    if (to_wrap < full_n) begin
        full_n = to_wrap;
    end
    full_n    = full_n & ~line_mask;
    hoff      = head_reg[3:0] - ls_reg[3:0];  // < DPL
    tail_cnt  = tail - ls_reg;
    posted    = (tail_cnt > {12'd0, dpl}) ? dpl : tail_cnt[3:0];
    fet_cnt   = fetched_ptr - ls_reg;
    if (full) begin
        snap = full_n[5:0];
        wr_n = full_n[5:0];
    end else begin
        snap = {2'b00, cpl_cnt[3:0]};
        wr_n = (fet_cnt > {12'd0, dpl}) ? {2'b00, dpl} : {2'b00, fet_cnt[3:0]};
    end
    pending   = cpl_ptr_reg != head_reg;
    go        = pending && (full || cpl_cnt[3:0] >= posted || timer_due || !run || err_seen_reg);
    if (BPD_LOG == 2) begin
        wr_beats = {wr_n, 2'b00};
    end else if (BPD_LOG == 1) begin
        wr_beats = {1'b0, wr_n, 1'b0};
    end else if (BYTES == 16) begin
        wr_beats = {2'b00, wr_n};
    end else begin
        wr_beats = {3'b000, wr_n[5:1]} + {7'd0, wr_n[0]};
    end
end

wire wb_idle   = wb_state_reg == WB_IDLE;
// a line write is issued
wire wb_issue  = wb_idle && go;
// a data beat is taken
wire beat_take = wb_state_reg == WB_DATA && wdat_ready;
// the write's done
wire wb_done   = wb_state_reg == WB_WAIT && done_valid;
wire wb_ok     = wb_done && !done_err;

always @* begin
    wb_state_next = wb_state_reg;

    case (wb_state_reg)
        WB_IDLE: begin
            if (go) begin
                wb_state_next = WB_REQ;
            end
        end
        WB_REQ: begin
            if (req_ready) begin
                wb_state_next = WB_DATA;
            end
        end
        WB_DATA: begin
            if (wdat_ready && beat_reg == beats_reg - 8'd1) begin
                wb_state_next = WB_WAIT;
            end
        end
        WB_WAIT: begin
            if (done_valid) begin
                wb_state_next = done_err ? WB_HALT : WB_IDLE;
            end
        end
        default: begin // WB_HALT
        end
    endcase
end

// the timer: cycles in WB_IDLE with a completion pending and no write due
// (below WB_DELAY, so it never needs to saturate)
always @(posedge clk) begin
    if (rst || clear) begin
        timer_reg <= 32'd0;
    end else if (wb_idle) begin
        if (pending && !go) begin
            timer_reg <= timer_reg + 32'd1;
        end else if (timer_reg != 32'd0) begin
            timer_reg <= 32'd0;
        end
    end
end

// nothing below changes in a cycle without one of these (the block is skipped)
wire touch = !wb_idle || go || cpl_take || partial_reg || irq_req_reg || pkt_inc_reg != 8'd0
             || err_valid_reg || rst || clear;

always @(posedge clk) begin
    if (touch) begin
        if (wb_issue) begin
            req_addr_reg <= base + {44'd0, ring_pos, 4'd0};
            req_len_reg  <= {6'd0, wr_n, 4'd0};
            wb_snap_reg  <= snap;
            wb_hoff_reg  <= hoff;
            wb_full_reg  <= full;
            beats_reg    <= wr_beats;
        end
        if (wb_done && done_err) begin
            err_index_reg <= head_reg;
        end

        if (rst || clear) begin
            wb_state_reg  <= WB_IDLE;
            ls_reg        <= 16'd0;
            head_reg      <= 16'd0;
            cpl_ptr_reg   <= 16'd0;
            err_seen_reg  <= 1'b0;
            beat_reg      <= 8'd0;
            acc_irq_reg   <= 1'b0;
            acc_eop_reg   <= 8'd0;
            irq_req_reg   <= 1'b0;
            pkt_inc_reg   <= 8'd0;
            partial_reg   <= 1'b0;
            err_valid_reg <= 1'b0;
        end else begin
            wb_state_reg <= wb_state_next;
            if (cpl_take) begin
                cpl_ptr_reg <= cpl_ptr_reg + 16'd1;
                if (cpl_status[DESC_STS_ERR]) begin
                    err_seen_reg <= 1'b1;
                end
            end
            if (wb_issue) begin
                beat_reg    <= 8'd0;
                acc_irq_reg <= 1'b0;
                acc_eop_reg <= 8'd0;
            end else if (beat_take) begin
                beat_reg    <= beat_reg + 8'd1;
                acc_irq_reg <= acc_irq_reg || beat_irq;
                acc_eop_reg <= acc_eop_reg + {6'd0, beat_eops};
            end
            if (wb_ok) begin
                head_reg <= ls_reg + {10'd0, wb_snap_reg};
                if (wb_full_reg) begin
                    ls_reg <= ls_reg + {10'd0, wb_snap_reg};
                end
            end
            // one-cycle pulses
            if (wb_issue || partial_reg) begin
                partial_reg <= wb_issue && wr_n < {2'b00, dpl};
            end
            if (wb_done || irq_req_reg || pkt_inc_reg != 8'd0 || err_valid_reg) begin
                irq_req_reg   <= wb_ok && acc_irq_reg;
                pkt_inc_reg   <= wb_ok ? acc_eop_reg : 8'd0;
                err_valid_reg <= wb_done && done_err;
            end
        end
    end
end

assign cpl_ready   = 1'b1;
assign req_valid   = wb_state_reg == WB_REQ;
assign req_addr    = req_addr_reg;
assign req_len     = req_len_reg;
assign wdat_valid  = wb_state_reg == WB_DATA;
assign wdat_data   = beat_data;
assign head        = head_reg;
assign fetch_limit = ls_reg + DEPTH16;
assign irq_req     = irq_req_reg;
assign pkt_inc     = pkt_inc_reg;
assign partial_inc = partial_reg;
assign busy        = wb_state_reg == WB_REQ || wb_state_reg == WB_DATA
                     || wb_state_reg == WB_WAIT || (wb_state_reg == WB_IDLE && pending);
assign err_valid   = err_valid_reg;
assign err_code    = ERR_WB_WRITE;
assign err_index   = err_index_reg;

endmodule

`resetall
