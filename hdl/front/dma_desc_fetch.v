`resetall
`timescale 1ns / 1ps
`default_nettype none

// dma_desc_fetch -- reads one ring's descriptors ahead of need, in whole cache lines.
//
// `fetch_ptr` is the next index to request. When idle and `run` is high it
// requests [fetch_ptr, end) with
//     end = min(TAIL, fetch_limit, ring wrap, fetch_ptr + DESC_DEPTH/2)
// and, unless end == TAIL, end rounded down to a cache-line boundary (if that
// leaves nothing it waits). Up to FETCH_READS reads are requested or in flight
// at once (the back end returns them in order); each covers at most REQ_MAX =
// DESC_DEPTH / 2 with one read, max(8, DESC_DEPTH / FETCH_READS) with more (so the
// reads in flight can cover the whole cache: fetch_limit bounds them all).
//
// Each descriptor, as it arrives (little-endian, assembled from 16/BYTES beats
// or taken from its half of a 256-bit beat; a read may start in the upper
// half), is pushed into the mover FIFO as {index, desc} and written to the
// completion unit's store (`shadow_*`); `fetched_ptr` counts them.
//
// A beat with rsp_err: nothing from that beat on is pushed, ERR_DESC_READ is
// reported with the request's first index, the rest of that request and every
// later read already requested are drained, and fetching stops until `clear`.
//
// `ring_empty`: nothing posted is left to fetch or hand out (fetch_ptr == TAIL,
// no read in flight, FIFO empty). `busy`: a read is requested or in flight.
// The reads in order, from request to last descriptor: a small queue of their
// first and end indices (`rq_*`).
module dma_desc_fetch #(
    // AXI data width in bits: 32, 64, 128 or 256
    parameter DATA_WIDTH = 64,
    // descriptor cache entries (mover FIFO depth), power of two 16..1024
    parameter DESC_DEPTH = 32,
    // descriptor reads requested or in flight at once, power of two 1..16
    parameter FETCH_READS = 1
) (
    input  wire                  clk,
    input  wire                  rst,
    input  wire                  clear,
    input  wire                  run,

    // ring configuration (sampled by dma_ring_ctrl)
    input  wire [63:0]           base,
    input  wire [3:0]            size_log2,
    input  wire [1:0]            line_log2,
    input  wire [15:0]           tail,
    input  wire [15:0]           fetch_limit,

    // read client of dma_axi_rd
    output wire                  req_valid,
    input  wire                  req_ready,
    output wire [63:0]           req_addr,
    output wire [15:0]           req_len,
    input  wire                  rsp_valid,
    output wire                  rsp_ready,
    input  wire [DATA_WIDTH-1:0] rsp_data,
    input  wire                  rsp_last,
    input  wire                  rsp_err,

    // descriptors to the mover
    output wire                  m_valid,
    input  wire                  m_ready,
    output wire [15:0]           m_index,
    output wire [127:0]          m_desc,

    // shadow copy to dma_cpl_write
    output wire                  shadow_we,
    output wire [15:0]           shadow_index,
    output wire [127:0]          shadow_desc,
    output wire [15:0]           fetched_ptr,

    output wire                  ring_empty,
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
// beats per descriptor (1 when a beat holds one or more descriptors)
localparam BPD = (BYTES < 16) ? 16 / BYTES : 1;
// descriptors per beat (1 when a descriptor spans beats)
localparam DPB = (BYTES > 16) ? BYTES / 16 : 1;
// bits of the position counter (beat in descriptor, or descriptor in beat)
localparam PW = (BPD > DPB) ? $clog2(BPD) : ((DPB > 1) ? $clog2(DPB) : 1);
// longest request in descriptors (>= 8: a whole 128-byte line always fits)
localparam integer REQ_DIV_I = (FETCH_READS == 1) ? 2 : FETCH_READS;
localparam integer REQ_MAX_I = (DESC_DEPTH / REQ_DIV_I < 8) ? 8 : DESC_DEPTH / REQ_DIV_I;
// the same, 16 bits
localparam [15:0] REQ_MAX = REQ_MAX_I[15:0];
// bits of a FIFO count
localparam FCW = $clog2(DESC_DEPTH) + 1;
// read queue: entries (>= 2), pointer and count bits
localparam RQ_DEPTH = (FETCH_READS < 2) ? 2 : FETCH_READS;
localparam RQW = $clog2(RQ_DEPTH);
localparam RCW = $clog2(FETCH_READS) + 1;
localparam integer FETCH_READS_I = FETCH_READS;
// the most reads at once, as a count
localparam [RCW-1:0] READS_MAX = FETCH_READS_I[RCW-1:0];
localparam integer ONE_I = 1;
// one read, as a count
localparam [RCW-1:0] READS_ONE = ONE_I[RCW-1:0];

initial begin
    if (DATA_WIDTH != 32 && DATA_WIDTH != 64 && DATA_WIDTH != 128 && DATA_WIDTH != 256) begin
        $fatal(1, "dma_desc_fetch: DATA_WIDTH must be 32, 64, 128 or 256, not %0d (instance %m)",
            DATA_WIDTH);
    end
    if (DESC_DEPTH < 16 || DESC_DEPTH > 1024 || (DESC_DEPTH & (DESC_DEPTH - 1)) != 0) begin
        $fatal(1, "dma_desc_fetch: DESC_DEPTH must be a power of two 16..1024, not %0d (instance %m)",
            DESC_DEPTH);
    end
    if (FETCH_READS < 1 || FETCH_READS > 16 || (FETCH_READS & (FETCH_READS - 1)) != 0) begin
        $fatal(1, "dma_desc_fetch: FETCH_READS must be a power of two 1..16, not %0d (instance %m)",
            FETCH_READS);
    end
end

// fetch states (of the response side; requests are made in F_RUN)
localparam [1:0] F_RUN   = 2'd0;  // requesting and receiving descriptors
localparam [1:0] F_DRAIN = 2'd1;  // read error: discarding the rest of every read in flight
localparam [1:0] F_HALT  = 2'd2;  // stopped after a read error, until clear

reg [1:0]     fetch_state_reg, fetch_state_next;
reg [15:0]    fetch_ptr_reg;
reg [15:0]    fetched_ptr_reg;
reg           req_pend_reg;               // a request is offered to the back end
reg [RCW-1:0] reads_reg;                  // reads requested and not yet wholly received
reg [15:0]    rq_first_mem [0:RQ_DEPTH-1];  // first index of each read, oldest at rq_rd
reg [15:0]    rq_end_mem [0:RQ_DEPTH-1];    // index after its last descriptor
reg [RQW-1:0] rq_wr_reg, rq_rd_reg;
reg [PW-1:0]  pos_reg;
reg [63:0]    req_addr_reg;
reg [15:0]    req_len_reg;
reg           err_valid_reg, err_valid_next;
reg [15:0]    err_index_reg;

wire [FCW-1:0] fifo_count;
wire           fifo_in_ready;

// ---- request size ----
reg [15:0] ring_size;
reg [15:0] ring_pos;
reg [15:0] avail_tail;
reg [15:0] avail_lim;
reg [15:0] avail_wrap;
reg [15:0] n0;
reg [15:0] line_mask;
reg [15:0] end_mod;
reg [15:0] n_req;

always @* begin
    ring_size  = 16'd1 << size_log2;
    ring_pos   = fetch_ptr_reg & (ring_size - 16'd1);
    avail_tail = tail - fetch_ptr_reg;
    avail_lim  = fetch_limit - fetch_ptr_reg;
    avail_wrap = ring_size - ring_pos;
    n0 = avail_tail;
    if (avail_lim < n0) begin
        n0 = avail_lim;
    end
    if (avail_wrap < n0) begin
        n0 = avail_wrap;
    end
    if (REQ_MAX < n0) begin
        n0 = REQ_MAX;
    end
    line_mask = (16'd1 << line_log2) - 16'd1;
    end_mod   = (fetch_ptr_reg + n0) & line_mask;
    if (n0 == avail_tail) begin
        n_req = n0;
    end else if (end_mod >= n0) begin
        n_req = 16'd0;
    end else begin
        n_req = n0 - end_mod;
    end
end

// ---- read beats ----
// A beat holds DPB descriptors but one is pushed per cycle: with DPB > 1 the beats
// wait in a small FIFO (a request's worth), so the shared read data bus never
// stalls on this unit while TX data queues behind its descriptors.
wire                  b_valid;
wire [DATA_WIDTH-1:0] b_data;
wire                  b_last;
wire                  b_err;
reg                   rsp_ready_int;

generate
    if (DPB > 1) begin : g_beat_fifo
        wire [DATA_WIDTH+1:0] bf_out;
        wire [4:0]            unused_bf_count;
        dma_fifo #(
            .WIDTH(DATA_WIDTH + 2),
            .DEPTH(16)
        ) beat_fifo_inst (
            .clk(clk),
            .rst(rst),
            .clear(clear),
            .in_valid(rsp_valid),
            .in_ready(rsp_ready),
            .in_data({rsp_err, rsp_last, rsp_data}),
            .out_valid(b_valid),
            .out_ready(rsp_ready_int),
            .out_data(bf_out),
            .count(unused_bf_count)
        );
        assign b_data = bf_out[DATA_WIDTH-1:0];
        assign b_last = bf_out[DATA_WIDTH];
        assign b_err  = bf_out[DATA_WIDTH+1];
    end else begin : g_beat_direct
        assign b_valid   = rsp_valid;
        assign b_data    = rsp_data;
        assign b_last    = rsp_last;
        assign b_err     = rsp_err;
        assign rsp_ready = rsp_ready_int;
    end
endgenerate

// ---- beat decoding: the descriptor this cycle would push ----
// The read data bus is shared by every read client; here it is held at 0 while no
// beat is for this unit, so the assembly below (wide continuous concatenations,
// which Icarus evaluates at every change, bit by bit) does not follow the TX data
// beats. Only a beat with rsp_valid is ever used.
wire [DATA_WIDTH-1:0] rsp_beat = b_valid ? b_data : {DATA_WIDTH{1'b0}};

// the descriptor about to arrive is the last of the oldest read
wire [15:0]  rq_end   = rq_end_mem[rq_rd_reg];
wire         last_desc = fetched_ptr_reg + 16'd1 == rq_end;
// position in a beat (DPB > 1: descriptors are contiguous, so the index tells) or of
// the beat in a descriptor (BPD > 1)
wire [PW-1:0] beat_pos = (DPB > 1) ? fetched_ptr_reg[PW-1:0] : pos_reg;

wire [127:0] beat_desc;     // candidate descriptor
wire         beat_complete; // the candidate is whole in this cycle
wire         beat_used;     // the beat is used up once the candidate (if any) is pushed

generate
    if (BYTES == 8) begin : g_two
        // a descriptor spans two beats, lowest bytes first
        reg [63:0] asm_reg;
        assign beat_desc     = {rsp_beat, asm_reg};
        assign beat_complete = beat_pos == 1'b1;
        assign beat_used     = 1'b1;
        always @(posedge clk) begin
            if (b_valid && rsp_ready_int) begin
                asm_reg <= b_data;
            end
        end
    end else if (BYTES == 4) begin : g_four
        // a descriptor spans four beats, lowest bytes first
        reg [95:0] asm_reg;
        assign beat_desc     = {rsp_beat, asm_reg};
        assign beat_complete = beat_pos == 2'd3;
        assign beat_used     = 1'b1;
        always @(posedge clk) begin
            if (b_valid && rsp_ready_int) begin
                asm_reg <= {b_data, asm_reg[95:32]};
            end
        end
    end else if (BYTES == 16) begin : g_one
        assign beat_desc     = rsp_beat;
        assign beat_complete = 1'b1;
        assign beat_used     = 1'b1;
        wire [PW-1:0] unused_pos = beat_pos;
    end else begin : g_wide
        // DPB descriptors per beat; a request may start in any of them
        assign beat_desc     = rsp_beat[beat_pos*128 +: 128];
        assign beat_complete = 1'b1;
        // position of the last descriptor in a beat
        localparam integer POS_LAST_I = DPB - 1;
        // the same, as a position value
        localparam [PW-1:0] POS_LAST = POS_LAST_I[PW-1:0];
        assign beat_used     = beat_pos == POS_LAST || last_desc;
    end
endgenerate

// Simulation speed: the state machine computes the next state, the handshakes
// and the strobes; the pointers and the request are loaded in the clocked block
// under those strobes, so an idle ring costs next to nothing per cycle (Icarus
// pays for every statement it runs, and clocked blocks run every cycle).
reg push;
reg req_go;     // a request [fetch_ptr, fetch_ptr + n_req) is made
reg pos_step;   // the beat position in a descriptor moves on (BPD > 1)
reg rq_pop;     // the oldest read is wholly received (or drained)

wire req_acc = req_pend_reg && req_ready;

always @* begin
    fetch_state_next = fetch_state_reg;
    err_valid_next   = 1'b0;
    push             = 1'b0;
    rsp_ready_int    = 1'b0;
    req_go           = 1'b0;
    pos_step         = 1'b0;
    rq_pop           = 1'b0;

    case (fetch_state_reg)
        F_RUN: begin
            if (run && !req_pend_reg && reads_reg != READS_MAX && n_req != 16'd0) begin
                req_go = 1'b1;
            end
            if (b_valid && b_err) begin
                // the beat is consumed in F_DRAIN; no new request from now on
                req_go           = 1'b0;
                err_valid_next   = 1'b1;
                fetch_state_next = F_DRAIN;
            end else if (b_valid) begin
                push          = beat_complete && fifo_in_ready;
                rsp_ready_int = beat_complete ? (fifo_in_ready && beat_used) : 1'b1;
                pos_step      = rsp_ready_int && BPD > 1;
                rq_pop        = push && last_desc;
            end
        end
        F_DRAIN: begin
            // the request still offered, if any, stays offered; its beats are drained too
            rsp_ready_int = 1'b1;
            if (b_valid && b_last) begin
                rq_pop = 1'b1;
                if (reads_reg == READS_ONE) begin
                    fetch_state_next = F_HALT;
                end
            end
        end
        default: begin // F_HALT
        end
    endcase
end

// nothing below changes in a cycle without one of these (the block is skipped)
wire touch = req_pend_reg || reads_reg != {RCW{1'b0}} || req_go || err_valid_reg || rst || clear;

always @(posedge clk) begin
    if (touch) begin
        if (req_go) begin
            req_addr_reg <= base + {44'd0, ring_pos[15:0], 4'd0};
            req_len_reg  <= {n_req[11:0], 4'd0};
            rq_first_mem[rq_wr_reg] <= fetch_ptr_reg;
            rq_end_mem[rq_wr_reg]   <= fetch_ptr_reg + n_req;
        end
        if (err_valid_next) begin
            err_index_reg <= rq_first_mem[rq_rd_reg];
        end

        if (rst || clear) begin
            fetch_state_reg <= F_RUN;
            fetch_ptr_reg   <= 16'd0;
            fetched_ptr_reg <= 16'd0;
            req_pend_reg    <= 1'b0;
            reads_reg       <= {RCW{1'b0}};
            rq_wr_reg       <= {RQW{1'b0}};
            rq_rd_reg       <= {RQW{1'b0}};
            pos_reg         <= {PW{1'b0}};
            err_valid_reg   <= 1'b0;
        end else begin
            fetch_state_reg <= fetch_state_next;
            if (req_go) begin
                fetch_ptr_reg <= fetch_ptr_reg + n_req;
                req_pend_reg  <= 1'b1;
                rq_wr_reg     <= rq_wr_reg + 1'b1;
            end else if (req_acc) begin
                req_pend_reg  <= 1'b0;
            end
            if (req_go != rq_pop) begin
                reads_reg <= req_go ? reads_reg + 1'b1 : reads_reg - 1'b1;
            end
            if (rq_pop) begin
                rq_rd_reg <= rq_rd_reg + 1'b1;
            end
            if (pos_step) begin
                pos_reg <= pos_reg + 1'b1;
            end
            if (push) begin
                fetched_ptr_reg <= fetched_ptr_reg + 16'd1;
            end
            if (err_valid_next || err_valid_reg) begin
                err_valid_reg <= err_valid_next;
            end
        end
    end
end

// ---- mover FIFO ----
wire [143:0] fifo_out;

dma_fifo #(
    .WIDTH(144),
    .DEPTH(DESC_DEPTH)
) desc_fifo_inst (
    .clk(clk),
    .rst(rst),
    .clear(clear),
    .in_valid(push),
    .in_ready(fifo_in_ready),
    .in_data({fetched_ptr_reg, beat_desc}),
    .out_valid(m_valid),
    .out_ready(m_ready),
    .out_data(fifo_out),
    .count(fifo_count)
);

assign m_index = fifo_out[143:128];
assign m_desc  = fifo_out[127:0];

assign req_valid    = req_pend_reg;
assign req_addr     = req_addr_reg;
assign req_len      = req_len_reg;

assign shadow_we    = push;
assign shadow_index = fetched_ptr_reg;
assign shadow_desc  = beat_desc;
assign fetched_ptr  = fetched_ptr_reg;

assign ring_empty   = fetch_ptr_reg == tail && fetch_state_reg == F_RUN
                      && reads_reg == {RCW{1'b0}} && fifo_count == {FCW{1'b0}};
assign busy         = reads_reg != {RCW{1'b0}};
assign err_valid    = err_valid_reg;
assign err_code     = ERR_DESC_READ;
assign err_index    = err_index_reg;

endmodule

`resetall
