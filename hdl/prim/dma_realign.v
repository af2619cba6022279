`resetall
`timescale 1ns / 1ps
`default_nettype none

// dma_realign -- byte-stream re-packer.
//
// A unit (a packet, or one buffer's share of a packet) comes in as beats whose
// valid bytes are lanes [in_lo, in_hi); the beat with in_end closes the unit.
// It goes out with its first byte in lane `start_lane` (sampled with the
// unit's first beat) and every later byte packed after it, so `out_keep` is
// contiguous: lanes [start_lane, BYTES) on the first beat, all lanes in the
// middle, [0, k) on the last (or [start_lane, k) when the unit fits one beat).
// Lanes outside out_keep carry 0.
// `out_user` is the OR of `in_user` over the unit, on the `out_last` beat.
//
// An empty beat (in_lo == in_hi) is allowed only with in_end. Closing a unit
// with an empty beat: bytes still held go out with out_last; if none are held
// but beats were already sent, one beat with out_keep = lane 0 and data 0 goes
// out with out_last (so a packet can always be closed, e.g. with out_user); if
// the unit sent nothing and holds nothing, nothing goes out.
//
// Structure: a window of 2*BYTES byte lanes. Bytes of the current unit sit in
// lanes [lo, fill). A beat is emitted from the window's low half whenever it
// is full (fill >= BYTES) or the unit has ended; in the same cycle the next
// input beat is placed right after the bytes left over. Emitted beats go into
// a two-entry output buffer, so `in_ready` is a function of registers only (no
// combinational path from out_ready to in_ready).
//
// Throughput: one beat in and one beat out per cycle when both sides are
// ready, for any lane offsets (a unit whose output needs one more beat than
// its input stalls the input for that one cycle). Latency: 2 cycles.
module dma_realign #(
    // data bus width in bits: 32, 64, 128 or 256
    parameter DATA_WIDTH = 64
) (
    input  wire                                clk,
    input  wire                                rst,
    input  wire                                clear,

    input  wire                                in_valid,
    output wire                                in_ready,
    input  wire [DATA_WIDTH-1:0]               in_data,
    input  wire [$clog2(DATA_WIDTH/8)-1:0]     in_lo,
    input  wire [$clog2(DATA_WIDTH/8):0]       in_hi,
    input  wire                                in_end,
    input  wire                                in_user,
    input  wire [$clog2(DATA_WIDTH/8)-1:0]     start_lane,

    output wire                                out_valid,
    input  wire                                out_ready,
    output wire [DATA_WIDTH-1:0]               out_data,
    output wire [DATA_WIDTH/8-1:0]             out_keep,
    output wire                                out_last,
    output wire                                out_user
);

// byte lanes per beat
localparam BYTES = DATA_WIDTH / 8;
// bits of a lane index
localparam LW = $clog2(BYTES);
// bits of an output-buffer entry: data, keep, last, user
localparam OW = DATA_WIDTH + BYTES + 2;

initial begin
    if (DATA_WIDTH != 32 && DATA_WIDTH != 64 && DATA_WIDTH != 128 && DATA_WIDTH != 256) begin
        $fatal(1, "dma_realign: DATA_WIDTH must be 32, 64, 128 or 256, not %0d (instance %m)",
            DATA_WIDTH);
    end
end

// window state
reg [2*DATA_WIDTH-1:0] win_reg;
reg [LW:0]             fill_reg;      // lanes [0, fill) in use
reg [LW-1:0]           lo_reg;        // first lane of unit bytes
reg                    end_reg;       // the unit's end beat is in
reg                    user_reg;
reg                    emitted_reg;   // a beat of the unit went out
reg                    open_reg;      // the unit's first beat is in

// two-entry output buffer: entry 0 drives the outputs
reg          o0_valid_reg;
reg          o1_valid_reg;
reg [OW-1:0] o0_reg;
reg [OW-1:0] o1_reg;

// emit stage (from registers)
reg                    full_beat;
reg                    has_bytes;
reg                    emit;
reg                    drop;
reg                    e_last;
reg [BYTES-1:0]        e_keep;

// window after the emit
reg [LW:0]             pe_fill;
reg [LW-1:0]           pe_lo;
reg                    pe_end;
reg                    pe_user;
reg                    pe_emitted;
reg                    pe_open;
reg                    pe_shift;   // the emit moves the high half of the window down

assign in_ready  = !pe_end && !pe_fill[LW];
assign out_valid = o0_valid_reg;
assign out_data  = o0_reg[OW-1 -: DATA_WIDTH];
assign out_keep  = o0_reg[BYTES+1:2];
assign out_last  = o0_reg[1];
assign out_user  = o0_reg[0];

// Wide values: the lane masks are continuous assignments (they change only when
// the window's bounds do, rarely in the middle of a unit); the data is masked and
// placed in the clocked block, and only when a beat is taken or emitted. Icarus
// evaluates wide bitwise logic in a continuous assignment one bit at a time, and a
// combinational block at every change of any of its inputs.
// lanes [lo, fill) of the low half of the window (none when it holds no bytes)
wire [DATA_WIDTH-1:0]   data_mask  = ({DATA_WIDTH{1'b1}} << {lo_reg, 3'b000})
                                     & ~({DATA_WIDTH{1'b1}} << {fill_reg, 3'b000});

always @* begin
    // ---- emit one beat from the low half of the window ----
    full_beat = fill_reg[LW];
    has_bytes = fill_reg > {1'b0, lo_reg};
    e_last    = end_reg && (!fill_reg[LW] || fill_reg[LW-1:0] == {LW{1'b0}});
    drop      = end_reg && !has_bytes && !emitted_reg;
    emit      = (full_beat || (end_reg && (has_bytes || emitted_reg))) && !o1_valid_reg;
    if (has_bytes) begin
        e_keep = ({BYTES{1'b1}} << lo_reg) & ~({BYTES{1'b1}} << fill_reg);
    end else begin
        e_keep = {{BYTES-1{1'b0}}, 1'b1};
    end

    pe_shift   = 1'b0;
    pe_fill    = fill_reg;
    pe_lo      = lo_reg;
    pe_end     = end_reg;
    pe_user    = user_reg;
    pe_emitted = emitted_reg;
    pe_open    = open_reg;
    if ((emit && e_last) || drop) begin
        pe_fill    = {LW+1{1'b0}};
        pe_lo      = {LW{1'b0}};
        pe_end     = 1'b0;
        pe_user    = 1'b0;
        pe_emitted = 1'b0;
        pe_open    = 1'b0;
    end else if (emit) begin
        pe_shift   = 1'b1;
        pe_fill    = {1'b0, fill_reg[LW-1:0]};
        pe_lo      = {LW{1'b0}};
        pe_emitted = 1'b1;
    end
end

// ---- absorb one input beat right after the bytes left over ----
// The window registers (like the data) are loaded in the clocked block, and only
// in a cycle with a take, an emit or a drop: the input signals settle in several
// steps each cycle, and Icarus would re-run a combinational block at every step.
wire       take  = in_valid && in_ready;
wire [LW:0] place = pe_open ? pe_fill : {1'b0, start_lane};
// lanes from `place` up take the input; lanes below keep the window
wire [2*DATA_WIDTH-1:0] place_mask = {2*DATA_WIDTH{1'b1}} << {place, 3'b000};

// ---- output buffer ----
wire rst_any     = rst || clear;
wire head_leaves = o0_valid_reg && out_ready;
// entry 0 is occupied once the head has left (before this cycle's emit)
wire o0_kept     = head_leaves ? o1_valid_reg : o0_valid_reg;

always @(posedge clk) begin
    // the input goes right after the bytes left over by the emit (whose beat leaves
    // the low half: pe_shift moves the high half down)
    if (take) begin
        win_reg <= ((pe_shift ? {{DATA_WIDTH{1'b0}}, win_reg[2*DATA_WIDTH-1:DATA_WIDTH]} : win_reg)
                    & ~place_mask)
                 | (({{DATA_WIDTH{1'b0}}, in_data >> {in_lo, 3'b000}} << {place, 3'b000})
                    & place_mask);
    end else if (emit) begin
        win_reg <= pe_shift ? {{DATA_WIDTH{1'b0}}, win_reg[2*DATA_WIDTH-1:DATA_WIDTH]} : win_reg;
    end
    // the emitted beat (lanes outside keep are 0) goes to the first free entry
    if (emit && !o0_kept) begin
        o0_reg <= {win_reg[DATA_WIDTH-1:0] & data_mask, e_keep, e_last, e_last && user_reg};
    end else begin
        if (head_leaves) begin
            o0_reg <= o1_reg;
        end
        if (emit) begin
            o1_reg <= {win_reg[DATA_WIDTH-1:0] & data_mask, e_keep, e_last, e_last && user_reg};
        end
    end

    if (rst_any) begin
        fill_reg     <= {LW+1{1'b0}};
        lo_reg       <= {LW{1'b0}};
        end_reg      <= 1'b0;
        user_reg     <= 1'b0;
        emitted_reg  <= 1'b0;
        open_reg     <= 1'b0;
        o0_valid_reg <= 1'b0;
        o1_valid_reg <= 1'b0;
    end else begin
        if (take) begin
            fill_reg     <= place + (in_hi - {1'b0, in_lo});
            lo_reg       <= pe_open ? pe_lo : start_lane;
            end_reg      <= in_end;
            user_reg     <= pe_user || in_user;
            emitted_reg  <= pe_emitted;
            open_reg     <= 1'b1;
        end else if (emit || drop) begin
            fill_reg     <= pe_fill;
            lo_reg       <= pe_lo;
            end_reg      <= pe_end;
            user_reg     <= pe_user;
            emitted_reg  <= pe_emitted;
            open_reg     <= pe_open;
        end
        if (emit || head_leaves) begin
            // emit implies the second entry is free
            o0_valid_reg <= o0_kept || emit;
            o1_valid_reg <= emit ? o0_kept : (o1_valid_reg && !head_leaves);
        end
    end
end

endmodule

`resetall
