`resetall
`timescale 1ns / 1ps
`default_nettype none

// dma_desc_fetch -- reads one ring's descriptors ahead of need, in whole cache lines.
//
// `fetch_ptr` is the next index to request. When idle and `run` is high it
// requests [fetch_ptr, end) with
//     end = min(TAIL, fetch_limit, ring wrap, fetch_ptr + DESC_DEPTH/2)
// and, unless end == TAIL, end rounded down to a cache-line boundary (if that
// leaves nothing it waits). One read is in flight at a time.
//
// Each descriptor, as it arrives (little-endian, assembled from 16/BYTES beats
// or taken from its half of a 256-bit beat; a read may start in the upper
// half), is pushed into the mover FIFO as {index, desc} and written to the
// completion unit's store (`shadow_*`); `fetched_ptr` counts them.
//
// A beat with rsp_err: nothing from that beat on is pushed, ERR_DESC_READ is
// reported with the request's first index, the rest of the request is drained
// and fetching stops until `clear`.
//
// `ring_empty`: nothing posted is left to fetch or hand out (fetch_ptr == TAIL,
// no read in flight, FIFO empty). `busy`: a read is requested or in flight.
module dma_desc_fetch #(
    // AXI data width in bits: 32, 64, 128 or 256
    parameter DATA_WIDTH = 64,
    // descriptor cache entries (mover FIFO depth), power of two 16..1024
    parameter DESC_DEPTH = 32
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
// longest request in descriptors
localparam [15:0] HALF_DEPTH = DESC_DEPTH / 2;
// bits of a FIFO count
localparam FCW = $clog2(DESC_DEPTH) + 1;

initial begin
    if (DATA_WIDTH != 32 && DATA_WIDTH != 64 && DATA_WIDTH != 128 && DATA_WIDTH != 256) begin
        $fatal(1, "dma_desc_fetch: DATA_WIDTH must be 32, 64, 128 or 256, not %0d (instance %m)",
            DATA_WIDTH);
    end
    if (DESC_DEPTH < 16 || DESC_DEPTH > 1024 || (DESC_DEPTH & (DESC_DEPTH - 1)) != 0) begin
        $fatal(1, "dma_desc_fetch: DESC_DEPTH must be a power of two 16..1024, not %0d (instance %m)",
            DESC_DEPTH);
    end
end

// fetch states
localparam [2:0] F_IDLE  = 3'd0;  // waiting for something to fetch
localparam [2:0] F_REQ   = 3'd1;  // read request offered to the back end
localparam [2:0] F_RSP   = 3'd2;  // receiving descriptors
localparam [2:0] F_DRAIN = 3'd3;  // read error: discarding the rest of the request
localparam [2:0] F_HALT  = 3'd4;  // stopped after a read error, until clear

reg [2:0]    fetch_state_reg, fetch_state_next;
reg [15:0]   fetch_ptr_reg;
reg [15:0]   fetched_ptr_reg;
reg [15:0]   first_reg;                  // first index of the request
reg [15:0]   rem_reg;                    // descriptors still to arrive
reg [PW-1:0] pos_reg;
reg [63:0]   req_addr_reg;
reg [15:0]   req_len_reg;
reg          err_valid_reg, err_valid_next;
reg [15:0]   err_index_reg;

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
    if (HALF_DEPTH < n0) begin
        n0 = HALF_DEPTH;
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

// ---- beat decoding: the descriptor this cycle would push ----
// The read data bus is shared by every read client; here it is held at 0 while no
// beat is for this unit, so the assembly below (wide continuous concatenations,
// which Icarus evaluates at every change, bit by bit) does not follow the TX data
// beats. Only a beat with rsp_valid is ever used.
wire [DATA_WIDTH-1:0] rsp_beat = rsp_valid ? rsp_data : {DATA_WIDTH{1'b0}};

wire [127:0] beat_desc;     // candidate descriptor
wire         beat_complete; // the candidate is whole in this cycle
wire         beat_used;     // the beat is used up once the candidate (if any) is pushed

generate
    if (BYTES == 8) begin : g_two
        // a descriptor spans two beats, lowest bytes first
        reg [63:0] asm_reg;
        assign beat_desc     = {rsp_beat, asm_reg};
        assign beat_complete = pos_reg == 1'b1;
        assign beat_used     = 1'b1;
        always @(posedge clk) begin
            if (rsp_valid && rsp_ready) begin
                asm_reg <= rsp_data;
            end
        end
    end else if (BYTES == 4) begin : g_four
        // a descriptor spans four beats, lowest bytes first
        reg [95:0] asm_reg;
        assign beat_desc     = {rsp_beat, asm_reg};
        assign beat_complete = pos_reg == 2'd3;
        assign beat_used     = 1'b1;
        always @(posedge clk) begin
            if (rsp_valid && rsp_ready) begin
                asm_reg <= {rsp_data, asm_reg[95:32]};
            end
        end
    end else if (BYTES == 16) begin : g_one
        assign beat_desc     = rsp_beat;
        assign beat_complete = 1'b1;
        assign beat_used     = 1'b1;
        wire [PW-1:0] unused_pos = pos_reg;
    end else begin : g_wide
        // DPB descriptors per beat; a request may start in any of them
        assign beat_desc     = rsp_beat[pos_reg*128 +: 128];
        assign beat_complete = 1'b1;
        // position of the last descriptor in a beat
        localparam integer POS_LAST_I = DPB - 1;
        // the same, as a position value
        localparam [PW-1:0] POS_LAST = POS_LAST_I[PW-1:0];
        assign beat_used     = pos_reg == POS_LAST || rem_reg == 16'd1;
    end
endgenerate

// Simulation speed: the state machine computes the next state, the handshakes
// and the strobes; the pointers and the request are loaded in the clocked block
// under those strobes, so an idle ring costs next to nothing per cycle (Icarus
// pays for every statement it runs, and clocked blocks run every cycle).
reg push;
reg rsp_ready_int;
reg req_go;     // a request [fetch_ptr, fetch_ptr + n_req) is made
reg pos_step;   // the position moves on to the next descriptor or beat

always @* begin
    fetch_state_next = fetch_state_reg;
    err_valid_next   = 1'b0;
    push             = 1'b0;
    rsp_ready_int    = 1'b0;
    req_go           = 1'b0;
    pos_step         = 1'b0;

    case (fetch_state_reg)
        F_IDLE: begin
            if (run && n_req != 16'd0) begin
                req_go           = 1'b1;
                fetch_state_next = F_REQ;
            end
        end
        F_REQ: begin
            if (req_ready) begin
                fetch_state_next = F_RSP;
            end
        end
        F_RSP: begin
            if (rsp_valid && rsp_err) begin
                // the beat is consumed in F_DRAIN
                err_valid_next   = 1'b1;
                fetch_state_next = F_DRAIN;
            end else if (rsp_valid) begin
                push          = beat_complete && fifo_in_ready;
                rsp_ready_int = beat_complete ? (fifo_in_ready && beat_used) : 1'b1;
                if (DPB > 1) begin
                    pos_step = push;
                end else begin
                    pos_step = rsp_ready_int && BPD > 1;
                end
                if (push && rem_reg == 16'd1) begin
                    fetch_state_next = F_IDLE;
                end
            end
        end
        F_DRAIN: begin
            rsp_ready_int = 1'b1;
            if (rsp_valid && rsp_last) begin
                fetch_state_next = F_HALT;
            end
        end
        default: begin // F_HALT
        end
    endcase
end

// nothing below changes in a cycle without one of these (the block is skipped)
wire touch = fetch_state_reg == F_REQ || fetch_state_reg == F_RSP || fetch_state_reg == F_DRAIN
             || req_go || err_valid_reg || rst || clear;

always @(posedge clk) begin
    if (touch) begin
        if (req_go) begin
            req_addr_reg <= base + {44'd0, ring_pos[15:0], 4'd0};
            req_len_reg  <= {n_req[11:0], 4'd0};
            first_reg    <= fetch_ptr_reg;
        end
        if (err_valid_next) begin
            err_index_reg <= first_reg;
        end

        if (rst || clear) begin
            fetch_state_reg <= F_IDLE;
            fetch_ptr_reg   <= 16'd0;
            fetched_ptr_reg <= 16'd0;
            rem_reg         <= 16'd0;
            pos_reg         <= {PW{1'b0}};
            err_valid_reg   <= 1'b0;
        end else begin
            fetch_state_reg <= fetch_state_next;
            if (req_go) begin
                rem_reg       <= n_req;
                fetch_ptr_reg <= fetch_ptr_reg + n_req;
                // a 256-bit beat holds two descriptors: an odd index starts in the upper half
                pos_reg       <= (DPB > 1) ? fetch_ptr_reg[PW-1:0] : {PW{1'b0}};
            end
            if (pos_step) begin
                pos_reg <= pos_reg + 1'b1;
            end
            if (push) begin
                fetched_ptr_reg <= fetched_ptr_reg + 16'd1;
                rem_reg         <= rem_reg - 16'd1;
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

assign req_valid    = fetch_state_reg == F_REQ;
assign req_addr     = req_addr_reg;
assign req_len      = req_len_reg;
assign rsp_ready    = rsp_ready_int;

assign shadow_we    = push;
assign shadow_index = fetched_ptr_reg;
assign shadow_desc  = beat_desc;
assign fetched_ptr  = fetched_ptr_reg;

assign ring_empty   = fetch_ptr_reg == tail && fetch_state_reg == F_IDLE
                      && fifo_count == {FCW{1'b0}};
assign busy         = fetch_state_reg == F_REQ || fetch_state_reg == F_RSP
                      || fetch_state_reg == F_DRAIN;
assign err_valid    = err_valid_reg;
assign err_code     = ERR_DESC_READ;
assign err_index    = err_index_reg;

endmodule

`resetall
