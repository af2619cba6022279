`resetall
`timescale 1ns / 1ps
`default_nettype none

// dma_rx -- RX data mover: buffered packets -> posted buffers -> completions.
//
// Takes one packet (length L from dma_rx_ingress) at a time:
//   error flag          -> drop its beats, `err_inc` (RX_ERR_COUNT);
//   ring not running    -> drop, `drop_inc` (RX_DROP_COUNT, IRQ_RX_DROP);
//   otherwise gather descriptors into a window of up to RX_WINDOW until their LEN
//   sum covers L. If the ring runs dry (`ring_empty`), the window is full, or
//   `run` drops first, the packet is dropped and counted (`drop_inc`) and the
//   gathered descriptors stay for the next packet.
//   A packet that fits the first descriptor when the window is empty takes the
//   short way: length, descriptor and write request in one cycle, in X_IDLE or
//   in the cycle the previous packet's last bytes go into the realigner (so
//   back-to-back one-buffer packets keep the write data moving every cycle).
//   Look-ahead: while the last buffer of a packet is being moved (its first beat
//   taken), the next packet may take the short way already -- its write request
//   and completion record go out at once, its length waits in `nxt_len_reg` --
//   so the back end has the next request well before its data comes.
//   A descriptor with LEN 0 or > 16384 reports its error at once; when the
//   writes already issued are done, the descriptors gathered before it are
//   handed back unused with its error (WB_LEN 0, DONE|ERR, its code: a DONE
//   with WB_LEN 0 and no error would tell the driver nothing it can act on)
//   so completions stay in index order, it completes with DONE|ERR and its
//   code, and the packet is dropped (counted).
// Covered: for each buffer a write request of min(remaining, LEN) bytes at
// ADDR, the bytes realigned to ADDR's lane (one dma_realign unit per buffer;
// a packet beat that straddles two buffers is fed twice, once per part).
//
// Completions (dma_rx_cpl): every write is recorded with {index, WB_LEN, EOP}
// and completed only after its done, in order; later writes are issued
// without waiting for earlier dones.
//
// `quiesce` (soft reset pending) holds the unit at a packet boundary;
// `boundary` says it is there. `busy` = a packet is being written or any
// write or completion is outstanding.
module dma_rx #(
    // AXI data width in bits: 32, 64, 128 or 256
    parameter DATA_WIDTH = 64
) (
    input  wire                  clk,
    input  wire                  rst,
    input  wire                  clear,
    input  wire                  run,
    input  wire                  quiesce,

    // packets from dma_rx_ingress
    input  wire                  len_valid,
    output wire                  len_ready,
    input  wire [15:0]           len_bytes,
    input  wire                  len_err,
    input  wire                  pkt_valid,
    output wire                  pkt_ready,
    input  wire [DATA_WIDTH-1:0] pkt_data,

    // descriptors from dma_desc_fetch
    input  wire                  d_valid,
    output wire                  d_ready,
    input  wire [15:0]           d_index,
    input  wire [127:0]          d_desc,
    input  wire                  ring_empty,

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

    // completions to dma_cpl_write
    output wire                  cpl_valid,
    input  wire                  cpl_ready,
    output wire [15:0]           cpl_index,
    output wire [15:0]           cpl_wb_len,
    output wire [7:0]            cpl_status,
    output wire [7:0]            cpl_err,

    output wire                  err_valid,
    output wire [7:0]            err_code,
    output wire [15:0]           err_index,
    output wire                  drop_inc,
    output wire                  err_inc,
    output wire                  busy,
    output wire                  boundary
);

/* verilator lint_off UNUSEDPARAM */
`include "dma_regs.vh"
`include "dma_defs.vh"
/* verilator lint_on UNUSEDPARAM */

// bytes per beat
localparam BYTES = DATA_WIDTH / 8;
// bits of a lane index
localparam LW = $clog2(BYTES);
// BYTES, as a lane count
localparam [LW:0] LANE_END = {1'b1, {LW{1'b0}}};
// BYTES - 1, as an integer
localparam integer BYTES_M1_I = BYTES - 1;
// BYTES - 1, as a byte count
localparam [16:0] BYTES_M1 = BYTES_M1_I[16:0];
// bits of a window count (RX_WINDOW: dma_defs.vh)
localparam WCW = $clog2(RX_WINDOW) + 1;

initial begin
    if (DATA_WIDTH != 32 && DATA_WIDTH != 64 && DATA_WIDTH != 128 && DATA_WIDTH != 256) begin
        $fatal(1, "dma_rx: DATA_WIDTH must be 32, 64, 128 or 256, not %0d (instance %m)",
            DATA_WIDTH);
    end
end

// packet states
localparam [2:0] X_IDLE   = 3'd0;  // waiting for a packet
localparam [2:0] X_GATHER = 3'd1;  // gathering descriptors until L is covered
localparam [2:0] X_SETUP  = 3'd2;  // requesting the write into the next buffer
localparam [2:0] X_DATA   = 3'd3;  // moving the buffer's bytes
localparam [2:0] X_DROP   = 3'd4;  // discarding the packet's beats
localparam [2:0] X_BAD    = 3'd5;  // bad descriptor: waiting for earlier writes
localparam [2:0] X_BADW   = 3'd6;  // bad descriptor: completing the window, then it

reg [2:0]    rx_state_reg, rx_state_next;
reg [15:0]   pkt_len_reg;
reg          nxt_valid_reg;              // the next packet was taken ahead (look-ahead)
reg [15:0]   nxt_len_reg;                // its length
reg          unit_taken_reg;             // a beat of the current buffer went in
reg [15:0]   rem_reg;                    // packet bytes still to write
reg [15:0]   brem_reg;                   // bytes still to write into this buffer
reg [LW-1:0] cur_lo_reg;                 // first unwritten lane of the head beat
reg [LW-1:0] start_lane_reg;
reg [15:0]   drop_beats_reg;
reg [17:0]   win_sum_reg;
reg [15:0]   bad_index_reg;
reg [7:0]    bad_code_reg;
reg          req_valid_reg;
reg [63:0]   req_addr_reg;
reg [15:0]   req_len_reg;
reg          bad_valid_reg, bad_valid_next;  // bad descriptor found (error pulse)
reg          drop_inc_reg, drop_inc_next;
reg          err_inc_reg, err_inc_next;

// ---- descriptor at the fetch FIFO head ----
wire [63:0] d_addr = d_desc[DESC_ADDR_LSB +: DESC_ADDR_BITS];
wire [15:0] d_len  = d_desc[DESC_LEN_LSB +: DESC_LEN_BITS];
wire        d_bad  = d_len == 16'd0 || d_len > MAX_DESC_LEN[15:0];
// the rest of the descriptor is the device's, reserved, or TX-only
wire [47:0] unused_desc = d_desc[127:80];

// ---- window of gathered descriptors ----
wire           win_in_ready;
wire           win_out_valid;
reg            win_out_ready;
wire [95:0]    win_out;
wire [WCW-1:0] win_count;
reg            win_push;
reg            fast_go;   // the packet, its one descriptor and the write at once
reg            pre_go;    // ... for the packet after the one being moved (look-ahead)
reg            nxt_take;  // the packet taken ahead starts
reg            next_go;   // the packet's next buffer set up as this one ends
wire [15:0]    w_index = win_out[95:80];
wire [15:0]    w_len   = win_out[79:64];
wire [63:0]    w_addr  = win_out[63:0];

dma_fifo #(
    .WIDTH(96),
    .DEPTH(RX_WINDOW)
) window_inst (
    .clk(clk),
    .rst(rst),
    .clear(clear),
    .in_valid(win_push),
    .in_ready(win_in_ready),
    .in_data({d_index, d_len, d_addr}),
    .out_valid(win_out_valid),
    .out_ready(win_out_ready),
    .out_data(win_out),
    .count(win_count)
);

// ---- realigner: packet bytes -> buffer lanes ----
// The bytes of the head beat that go into the current buffer, as continuous
// assignments: they change only when the walk moves, and Icarus re-runs an
// always block in full whenever any of its inputs changes.
wire [LW:0]   avail     = LANE_END - {1'b0, cur_lo_reg};
wire [15:0]   avail16   = {{15-LW{1'b0}}, avail};
wire [15:0]   take_pkt  = (rem_reg < avail16) ? rem_reg : avail16;
wire [15:0]   take16    = (brem_reg < take_pkt) ? brem_reg : take_pkt;
wire [LW:0]   take      = take16[LW:0];
wire [LW:0]   ra_hi     = {1'b0, cur_lo_reg} + take;
wire          ra_end    = take16 == brem_reg;
wire          pkt_end   = take16 == rem_reg;   // the packet's last bytes
wire          beat_pop  = ra_hi == LANE_END || pkt_end;
wire [16:0]   beats17   = ({1'b0, len_bytes} + BYTES_M1) >> LW;
wire [15:0]   setup_n   = (rem_reg < w_len) ? rem_reg : w_len;
// the same for the next buffer set up in the cycle this one's last bytes go in
wire [15:0]   rem_after = rem_reg - take16;
wire [15:0]   setup_n2  = (rem_after < w_len) ? rem_after : w_len;
// the short way: one good descriptor covers the packet, nothing gathered before it
wire          fast_ok   = !len_err && run && win_count == {WCW{1'b0}} && d_valid && !d_bad
                          && d_len >= len_bytes;
// what a write request records for its completion (the short way: straight from the
// descriptor and the length)
wire [15:0]   push_index = fast_go ? d_index : w_index;
wire [15:0]   push_n     = fast_go ? len_bytes : (next_go ? setup_n2 : setup_n);
wire          push_eop   = fast_go || (next_go ? setup_n2 == rem_after : setup_n == rem_reg);

wire ra_ready;
wire [DATA_WIDTH/8-1:0] unused_keep;
wire unused_last;
wire unused_user;

reg          ra_valid;

dma_realign #(
    .DATA_WIDTH(DATA_WIDTH)
) realign_inst (
    .clk(clk),
    .rst(rst),
    .clear(clear),
    .in_valid(ra_valid),
    .in_ready(ra_ready),
    .in_data(pkt_data),
    .in_lo(cur_lo_reg),
    .in_hi(ra_hi),
    .in_end(ra_end),
    .in_user(1'b0),
    .start_lane(start_lane_reg),
    .out_valid(wdat_valid),
    .out_ready(wdat_ready),
    .out_data(wdat_data),
    .out_keep(unused_keep),
    .out_last(unused_last),
    .out_user(unused_user)
);

// ---- completions, after the writes' dones ----
reg        pend_push;
wire       pend_full;
wire       cpl_idle;
reg        dir_valid;
wire       dir_ready;
wire       wr_err_valid;
wire [15:0] wr_err_index;
// X_BADW with the window empty: the bad descriptor itself (else one handed back unused,
// with its error too)
reg        dir_bad;
wire [15:0] dir_index  = dir_bad ? bad_index_reg : w_index;
wire [7:0]  dir_status = STS_DONE | STS_ERR;
wire [7:0]  dir_err    = bad_code_reg;

dma_rx_cpl cpl_inst (
    .clk(clk),
    .rst(rst),
    .clear(clear),
    .push(pend_push),
    .push_index(push_index),
    .push_len(push_n),
    .push_eop(push_eop),
    .full(pend_full),
    .done_valid(done_valid),
    .done_err(done_err),
    .dir_valid(dir_valid),
    .dir_ready(dir_ready),
    .dir_index(dir_index),
    .dir_status(dir_status),
    .dir_err(dir_err),
    .cpl_valid(cpl_valid),
    .cpl_ready(cpl_ready),
    .cpl_index(cpl_index),
    .cpl_wb_len(cpl_wb_len),
    .cpl_status(cpl_status),
    .cpl_err(cpl_err),
    .err_valid(wr_err_valid),
    .err_index(wr_err_index),
    .idle(cpl_idle)
);

// Simulation speed: the state machine computes the handshakes, the next state
// and the pulses; the walk registers are loaded in the clocked block under the
// handshakes that move them, so this block does little per packet beat.
reg        len_ready_int;
reg        pkt_ready_int;
reg        d_ready_int;
reg        data_take;    // a packet beat (or part of one) goes into the realigner

always @* begin
    rx_state_next  = rx_state_reg;
    bad_valid_next = 1'b0;
    drop_inc_next  = 1'b0;
    err_inc_next   = 1'b0;
    len_ready_int  = 1'b0;
    pkt_ready_int  = 1'b0;
    d_ready_int    = 1'b0;
    win_push       = 1'b0;
    fast_go        = 1'b0;
    pre_go         = 1'b0;
    nxt_take       = 1'b0;
    next_go        = 1'b0;
    win_out_ready  = 1'b0;
    pend_push      = 1'b0;
    ra_valid       = 1'b0;
    data_take      = 1'b0;
    dir_valid      = 1'b0;
    dir_bad        = 1'b0;

    case (rx_state_reg)
        X_IDLE: begin
            if (len_valid && !quiesce) begin
                len_ready_int = 1'b1;
                if (len_err) begin
                    err_inc_next  = 1'b1;
                    rx_state_next = X_DROP;
                end else if (!run) begin
                    drop_inc_next = 1'b1;
                    rx_state_next = X_DROP;
                end else if (fast_ok && (!req_valid_reg || req_ready) && !pend_full) begin
                    d_ready_int   = 1'b1;
                    fast_go       = 1'b1;
                    pend_push     = 1'b1;
                    rx_state_next = X_DATA;
                end else begin
                    rx_state_next = X_GATHER;
                end
            end
        end
        X_GATHER: begin
            if (!run) begin
                drop_inc_next = 1'b1;
                rx_state_next = X_DROP;
            end else if (win_sum_reg >= {2'b00, pkt_len_reg}) begin
                rx_state_next = X_SETUP;
            end else if (win_count == RX_WINDOW[WCW-1:0]) begin
                drop_inc_next = 1'b1;
                rx_state_next = X_DROP;
            end else if (d_valid) begin
                if (d_bad) begin
                    d_ready_int    = 1'b1;
                    bad_valid_next = 1'b1;
                    rx_state_next  = X_BAD;
                end else if (win_in_ready) begin
                    d_ready_int = 1'b1;
                    win_push    = 1'b1;
                end
            end else if (ring_empty) begin
                drop_inc_next = 1'b1;
                rx_state_next = X_DROP;
            end
        end
        X_SETUP: begin
            if (win_out_valid && (!req_valid_reg || req_ready) && !pend_full) begin
                win_out_ready = 1'b1;
                pend_push     = 1'b1;
                rx_state_next = X_DATA;
            end
        end
        X_DATA: begin
            ra_valid = pkt_valid;
            if (pkt_valid && ra_ready) begin
                data_take     = 1'b1;
                pkt_ready_int = beat_pop;
                if (ra_end) begin
                    rx_state_next = pkt_end ? X_IDLE : X_SETUP;
                    if (!pkt_end && win_out_valid && (!req_valid_reg || req_ready)
                            && !pend_full) begin
                        // the next buffer of this packet, without a cycle in X_SETUP
                        win_out_ready = 1'b1;
                        pend_push     = 1'b1;
                        next_go       = 1'b1;
                        rx_state_next = X_DATA;
                    end else if (pkt_end && nxt_valid_reg) begin
                        // the packet taken ahead
                        nxt_take      = 1'b1;
                        rx_state_next = X_DATA;
                    end else if (pkt_end && len_valid && !quiesce && fast_ok
                            && (!req_valid_reg || req_ready) && !pend_full) begin
                        // the next packet, the short way, at once
                        len_ready_int = 1'b1;
                        d_ready_int   = 1'b1;
                        fast_go       = 1'b1;
                        pend_push     = 1'b1;
                        rx_state_next = X_DATA;
                    end
                end
            end
            if (!nxt_valid_reg && !(data_take && ra_end) && brem_reg == rem_reg
                    && (unit_taken_reg || data_take) && len_valid && !quiesce && fast_ok
                    && (!req_valid_reg || req_ready) && !pend_full) begin
                // look-ahead: the next packet's request and record now, its walk later
                len_ready_int = 1'b1;
                d_ready_int   = 1'b1;
                fast_go       = 1'b1;
                pre_go        = 1'b1;
                pend_push     = 1'b1;
            end
        end
        X_DROP: begin
            pkt_ready_int = 1'b1;
            if (pkt_valid && drop_beats_reg == 16'd1) begin
                rx_state_next = X_IDLE;
            end
        end
        X_BAD: begin
            // every earlier write completed first, so completions stay in order
            if (cpl_idle && !req_valid_reg) begin
                rx_state_next = X_BADW;
            end
        end
        default: begin // X_BADW
            dir_bad = win_count == {WCW{1'b0}};
            if (!dir_bad) begin
                // gathered before the bad one: handed back unused, with its error
                dir_valid = win_out_valid;
                if (win_out_valid && dir_ready) begin
                    win_out_ready = 1'b1;
                end
            end else begin
                dir_valid = 1'b1;
                if (dir_ready) begin
                    drop_inc_next = 1'b1;
                    rx_state_next = X_DROP;
                end
            end
        end
    endcase
end

// anything but the packet walk moves (the clocked block skips the rest otherwise)
wire rx_event  = len_ready_int || pend_push || bad_valid_next || bad_valid_reg
                 || drop_inc_next || drop_inc_reg || err_inc_next || err_inc_reg
                 || win_push || win_out_ready || req_valid_reg || rst || clear;
wire drop_beat = rx_state_reg == X_DROP && pkt_valid;

always @(posedge clk) begin
    // registers loaded by the handshakes that move them (the states tell which)
    if (rx_event) begin
        if (len_ready_int && !pre_go) begin
            pkt_len_reg <= len_bytes;
        end
        if (pre_go) begin
            nxt_len_reg <= len_bytes;
        end
        if (pend_push) begin
            req_addr_reg   <= fast_go ? d_addr : w_addr;
            req_len_reg    <= push_n;
            start_lane_reg <= fast_go ? d_addr[LW-1:0] : w_addr[LW-1:0];
        end
        if (bad_valid_next) begin
            bad_index_reg <= d_index;
            bad_code_reg  <= (d_len == 16'd0) ? ERR_ZERO_LEN : ERR_TOO_LONG;
        end
    end

    // the packet walk is reset by `rst` only: `clear` comes while it is idle
    // or dropping, and a packet being dropped must be dropped to its end
    if (rst) begin
        rx_state_reg   <= X_IDLE;
        nxt_valid_reg  <= 1'b0;
        unit_taken_reg <= 1'b0;
        rem_reg        <= 16'd0;
        brem_reg       <= 16'd0;
        cur_lo_reg     <= {LW{1'b0}};
        drop_beats_reg <= 16'd0;
        drop_inc_reg   <= 1'b0;
        err_inc_reg    <= 1'b0;
    end else begin
        rx_state_reg <= rx_state_next;
        if (data_take) begin
            cur_lo_reg <= beat_pop ? {LW{1'b0}} : ra_hi[LW-1:0];
            rem_reg    <= rem_reg - take16;
            brem_reg   <= brem_reg - take16;
        end
        if (pre_go || nxt_take) begin
            nxt_valid_reg <= pre_go;
        end
        if (nxt_take) begin
            pkt_len_reg <= nxt_len_reg;
            rem_reg     <= nxt_len_reg;
            brem_reg    <= nxt_len_reg;
            cur_lo_reg  <= {LW{1'b0}};
        end
        // a new buffer starts (set up, or taken ahead) / a beat of it went in
        if ((pend_push && !pre_go) || nxt_take) begin
            unit_taken_reg <= 1'b0;
        end else if (data_take) begin
            unit_taken_reg <= 1'b1;
        end
        // after the walk: a packet taken the short way in its predecessor's last
        // cycle starts from its own length
        if (rx_event) begin
            drop_inc_reg <= drop_inc_next;
            err_inc_reg  <= err_inc_next;
            if (len_ready_int && !pre_go) begin
                rem_reg        <= len_bytes;
                cur_lo_reg     <= {LW{1'b0}};
                drop_beats_reg <= beats17[15:0];
            end
            if (pend_push && !pre_go) begin
                brem_reg <= push_n;
            end
        end
        if (drop_beat) begin
            drop_beats_reg <= drop_beats_reg - 16'd1;
        end
    end

    if (rx_event) begin
        if (rst || clear) begin
            win_sum_reg   <= 18'd0;
            req_valid_reg <= 1'b0;
            bad_valid_reg <= 1'b0;
        end else begin
            if (win_push) begin
                win_sum_reg <= win_sum_reg + {2'b00, d_len};
            end else if (win_out_ready) begin
                win_sum_reg <= win_sum_reg - {2'b00, w_len};
            end
            if (pend_push || req_ready) begin
                req_valid_reg <= pend_push;
            end
            bad_valid_reg <= bad_valid_next;
        end
    end
end

assign len_ready  = len_ready_int;
assign pkt_ready  = pkt_ready_int;
assign d_ready    = d_ready_int;
assign req_valid  = req_valid_reg;
assign req_addr   = req_addr_reg;
assign req_len    = req_len_reg;
// a failed write wins over a bad descriptor found in the same cycle (the ring
// keeps only its first error anyway)
assign err_valid  = wr_err_valid || bad_valid_reg;
assign err_code   = wr_err_valid ? ERR_DATA_WRITE : bad_code_reg;
assign err_index  = wr_err_valid ? wr_err_index : bad_index_reg;
assign drop_inc   = drop_inc_reg;
assign err_inc    = err_inc_reg;
assign busy       = (rx_state_reg != X_IDLE && rx_state_reg != X_DROP)
                    || !cpl_idle || req_valid_reg;
assign boundary   = rx_state_reg == X_IDLE;

// the beat count of a length never needs the top bit
wire unused_beats = beats17[16];

endmodule

`resetall
