`resetall
`timescale 1ns / 1ps
`default_nettype none

// dma_axi_wr -- AXI4 write back end shared by CLIENTS write clients.
//
// Request (per client c): req_valid[c] / req_ready[c], byte address
// req_addr[c*ADDR_WIDTH +: ADDR_WIDTH] (any alignment), byte count
// req_len[c*LEN_WIDTH +: LEN_WIDTH] (>= 1). Requests are taken round-robin, one
// request per grant.
//
// Data (per client c): wdat_valid[c] / wdat_ready[c],
// wdat_data[c*DATA_WIDTH +: DATA_WIDTH]: exactly
// ceil((addr % BYTES + len) / BYTES) beats per request, in request order,
// lane aligned (the byte at address A in lane A % BYTES). The back end makes
// WSTRB (exactly the request's bytes: first and last beat partial) and WLAST.
//
// Splitting: INCR bursts of full-width beats, never across a 4 KiB boundary,
// at most MAX_BURST_LEN beats; AWADDR beat aligned (addr & ~(BYTES-1)), the
// strobes mark the first byte; AWID = client index. A request's bursts are
// queued back to back and its W beats follow in AW order, so a granted
// request owns AW and W until its last beat and W is never interleaved.
//
// Done (per client): done_valid[c] pulses for one cycle per request, in
// request order, once every burst of the request has its B response;
// done_err[c] (with it) is set if any BRESP of the request was SLVERR/DECERR.
//
// Pipelining: AWs go out through a two-entry queue while W of earlier bursts
// streams; W beats go out through a two-entry register buffer (WVALID comes
// from a register, one beat per cycle). At most MAX_OUTSTANDING bursts await
// their B response (counted from the time a burst is queued until its B).
// WVALID never rises before the burst's AWVALID, but a W beat may be accepted
// before its AW (AXI4 allows it). BREADY is always 1. Latency: AWVALID is
// high two cycles after the request handshake cycle, its first WVALID two
// cycles after that (when the client's data is there); a burst's W follows
// the previous one's without a gap.
// `busy` is high from a request's acceptance until its done pulse.
module dma_axi_wr #(
    // AXI data width in bits: 32, 64, 128 or 256
    parameter DATA_WIDTH = 64,
    // AXI address width in bits (>= 16)
    parameter ADDR_WIDTH = 64,
    // AXI ID width in bits (must hold CLIENTS-1)
    parameter ID_WIDTH = 4,
    // number of write clients
    parameter CLIENTS = 3,
    // width of a request's byte count (>= 12)
    parameter LEN_WIDTH = 16,
    // longest burst in beats, power of two 1..256
    parameter MAX_BURST_LEN = 64,
    // write bursts awaiting B at once, power of two 1..256
    parameter MAX_OUTSTANDING = 8
) (
    input  wire                            clk,
    input  wire                            rst,

    // requests
    input  wire [CLIENTS-1:0]              req_valid,
    output wire [CLIENTS-1:0]              req_ready,
    input  wire [CLIENTS*ADDR_WIDTH-1:0]   req_addr,
    input  wire [CLIENTS*LEN_WIDTH-1:0]    req_len,

    // write data
    input  wire [CLIENTS-1:0]              wdat_valid,
    output wire [CLIENTS-1:0]              wdat_ready,
    input  wire [CLIENTS*DATA_WIDTH-1:0]   wdat_data,

    // completions
    output wire [CLIENTS-1:0]              done_valid,
    output wire [CLIENTS-1:0]              done_err,

    output wire                            busy,

    // AXI4 write master
    output wire [ID_WIDTH-1:0]             m_axi_awid,
    output wire [ADDR_WIDTH-1:0]           m_axi_awaddr,
    output wire [7:0]                      m_axi_awlen,
    output wire [2:0]                      m_axi_awsize,
    output wire [1:0]                      m_axi_awburst,
    output wire                            m_axi_awlock,
    output wire [3:0]                      m_axi_awcache,
    output wire [2:0]                      m_axi_awprot,
    output wire                            m_axi_awvalid,
    input  wire                            m_axi_awready,
    output wire [DATA_WIDTH-1:0]           m_axi_wdata,
    output wire [DATA_WIDTH/8-1:0]         m_axi_wstrb,
    output wire                            m_axi_wlast,
    output wire                            m_axi_wvalid,
    input  wire                            m_axi_wready,
    input  wire [ID_WIDTH-1:0]             m_axi_bid,
    input  wire [1:0]                      m_axi_bresp,
    input  wire                            m_axi_bvalid,
    output wire                            m_axi_bready
);

// byte lanes per beat
localparam BYTES = DATA_WIDTH / 8;
// bits of a lane index
localparam LW = $clog2(BYTES);
// bits of a client index
localparam CW = (CLIENTS > 1) ? $clog2(CLIENTS) : 1;
// bits of a request's beat count (and of burst-length arithmetic)
localparam BW = LEN_WIDTH + 1;
// beats in a 4 KiB page
localparam integer PAGE_BEATS_I = 4096 / BYTES;
// beats in a 4 KiB page, as a beat count
localparam [BW-1:0] PAGE_BEATS = PAGE_BEATS_I[BW-1:0];
// longest burst, as a beat count
localparam [BW-1:0] MAX_BURST = MAX_BURST_LEN[BW-1:0];
// bits of a FIFO pointer (per-client B flags, W commands)
localparam FPW = (MAX_OUTSTANDING > 1) ? $clog2(MAX_OUTSTANDING) : 1;
// FIFO entries (>= MAX_OUTSTANDING: neither FIFO can overflow)
localparam FD = 1 << FPW;
// bits of the outstanding counter
localparam OCW = $clog2(MAX_OUTSTANDING) + 1;
// outstanding limit, as a counter value
localparam [OCW-1:0] MAX_OUT = MAX_OUTSTANDING[OCW-1:0];
// bits of an AW queue entry: id, address, len
localparam AQW = ID_WIDTH + ADDR_WIDTH + 8;
// bits of a W command: client, len, first-beat strobe, last-beat strobe
localparam WCW = CW + 8 + 2 * BYTES;
// bits of a W buffer entry: data, strobe, last
localparam WOW = DATA_WIDTH + BYTES + 1;

initial begin
    if (DATA_WIDTH != 32 && DATA_WIDTH != 64 && DATA_WIDTH != 128 && DATA_WIDTH != 256) begin
        $fatal(1, "dma_axi_wr: DATA_WIDTH must be 32, 64, 128 or 256, not %0d (instance %m)",
            DATA_WIDTH);
    end
    if (ADDR_WIDTH < 16) begin
        $fatal(1, "dma_axi_wr: ADDR_WIDTH must be >= 16, not %0d (instance %m)", ADDR_WIDTH);
    end
    if (CLIENTS < 1 || (CLIENTS > 1 && ID_WIDTH < CW)) begin
        $fatal(1, "dma_axi_wr: ID_WIDTH %0d cannot name %0d clients (instance %m)",
            ID_WIDTH, CLIENTS);
    end
    if (LEN_WIDTH < 12) begin
        $fatal(1, "dma_axi_wr: LEN_WIDTH must be >= 12, not %0d (instance %m)", LEN_WIDTH);
    end
    if (MAX_BURST_LEN < 1 || MAX_BURST_LEN > 256 || (MAX_BURST_LEN & (MAX_BURST_LEN - 1)) != 0) begin
        $fatal(1, "dma_axi_wr: MAX_BURST_LEN must be a power of two 1..256, not %0d (instance %m)",
            MAX_BURST_LEN);
    end
    if (MAX_OUTSTANDING < 1 || MAX_OUTSTANDING > 256
            || (MAX_OUTSTANDING & (MAX_OUTSTANDING - 1)) != 0) begin
        $fatal(1, "dma_axi_wr: MAX_OUTSTANDING must be a power of two 1..256, not %0d (instance %m)",
            MAX_OUTSTANDING);
    end
end

// ---------------------------------------------------------------------------
// Arbitration: one request per grant
// ---------------------------------------------------------------------------
wire [CLIENTS-1:0] grant;
wire               grant_valid;
wire [CW-1:0]      grant_index;
wire               take_req;

dma_rr_arbiter #(
    .PORTS(CLIENTS)
) arbiter_inst (
    .clk(clk),
    .rst(rst),
    .req(req_valid),
    .hold(1'b0),
    .advance(take_req),
    .grant(grant),
    .grant_valid(grant_valid),
    .grant_index(grant_index)
);

// ---------------------------------------------------------------------------
// Splitter: the current request, cut into bursts
// ---------------------------------------------------------------------------
reg                  cur_valid_reg, cur_valid_next;
reg [CW-1:0]         cur_client_reg, cur_client_next;
reg [ADDR_WIDTH-1:0] cur_addr_reg, cur_addr_next;      // beat aligned
reg [BW-1:0]         cur_beats_reg, cur_beats_next;    // beats left, >= 1 while valid
reg                  cur_first_reg, cur_first_next;    // next burst is the request's first
reg [BYTES-1:0]      cur_sf_reg, cur_sf_next;          // strobe of the request's first beat
reg [BYTES-1:0]      cur_sl_reg, cur_sl_next;          // strobe of the request's last beat

// AW queue
reg           aw0_valid_reg;
reg           aw1_valid_reg;
reg [AQW-1:0] aw0_reg;
reg [AQW-1:0] aw1_reg;

reg [OCW-1:0] outstanding_reg;

// W command FIFO (combinational read of the head)
reg [WCW-1:0] wcmd_mem [0:FD-1];
reg [FPW:0]   wc_wptr_reg;
reg [FPW:0]   wc_rptr_reg;

// per-client FIFOs of "this burst ends its request", in AW order
reg [CLIENTS*FD-1:0]  flag_reg;
reg [CLIENTS*FPW-1:0] fw_ptr_reg;
reg [CLIENTS*FPW-1:0] fr_ptr_reg;

reg [BW-1:0]         page_left;
reg [BW-1:0]         burst_limit;
reg [BW-1:0]         burst_beats;
reg                  burst_last;
reg                  wc_full;
reg                  issue;
reg [ID_WIDTH-1:0]   cur_id;
reg [WCW-1:0]        wcmd_entry;
reg [ADDR_WIDTH-1:0] sel_addr;
reg [LEN_WIDTH-1:0]  sel_len;
reg [BW-1:0]         sel_beats;
reg [LW-1:0]         sel_end_lane;

always @* begin
    // ---- the next burst of the current request ----
    page_left   = PAGE_BEATS - {{BW-12+LW{1'b0}}, cur_addr_reg[11:LW]};
    burst_limit = (MAX_BURST < page_left) ? MAX_BURST : page_left;
    burst_beats = (cur_beats_reg < burst_limit) ? cur_beats_reg : burst_limit;
    burst_last  = burst_beats == cur_beats_reg;
    wc_full     = (wc_wptr_reg - wc_rptr_reg) == {1'b1, {FPW{1'b0}}};
    issue       = cur_valid_reg && !aw1_valid_reg && outstanding_reg != MAX_OUT && !wc_full;
    cur_id      = {ID_WIDTH{1'b0}};
    cur_id[CW-1:0] = cur_client_reg;
    wcmd_entry  = {cur_client_reg, burst_beats[7:0] - 8'd1,
                   cur_first_reg ? cur_sf_reg : {BYTES{1'b1}},
                   burst_last ? cur_sl_reg : {BYTES{1'b1}}};
end

assign take_req  = grant_valid && (!cur_valid_reg || (issue && burst_last));
assign req_ready = take_req ? grant : {CLIENTS{1'b0}};

always @* begin
    // ---- the granted request ----
    sel_addr     = req_addr[grant_index*ADDR_WIDTH +: ADDR_WIDTH];
    sel_len      = req_len[grant_index*LEN_WIDTH +: LEN_WIDTH];
    sel_beats    = ({{BW-LW{1'b0}}, sel_addr[LW-1:0]} + {1'b0, sel_len}
                    + {{BW-LW{1'b0}}, {LW{1'b1}}}) >> LW;
    sel_end_lane = sel_addr[LW-1:0] + sel_len[LW-1:0];

    cur_valid_next  = cur_valid_reg;
    cur_client_next = cur_client_reg;
    cur_addr_next   = cur_addr_reg;
    cur_beats_next  = cur_beats_reg;
    cur_first_next  = cur_first_reg;
    cur_sf_next     = cur_sf_reg;
    cur_sl_next     = cur_sl_reg;
    if (issue) begin
        cur_addr_next  = cur_addr_reg
                         + {{ADDR_WIDTH-9-LW{1'b0}}, burst_beats[8:0], {LW{1'b0}}};
        cur_beats_next = cur_beats_reg - burst_beats;
        cur_first_next = 1'b0;
        if (burst_last) begin
            cur_valid_next = 1'b0;
        end
    end
    if (take_req) begin
        cur_valid_next  = 1'b1;
        cur_client_next = grant_index;
        cur_addr_next   = {sel_addr[ADDR_WIDTH-1:LW], {LW{1'b0}}};
        cur_beats_next  = sel_beats;
        cur_first_next  = 1'b1;
        cur_sf_next     = {BYTES{1'b1}} << sel_addr[LW-1:0];
        cur_sl_next     = (sel_end_lane == {LW{1'b0}}) ? {BYTES{1'b1}}
                          : ~({BYTES{1'b1}} << sel_end_lane);
    end
end

// ---------------------------------------------------------------------------
// W stage: beats of the head W command, from its client, with strobes
// ---------------------------------------------------------------------------
// Simulation speed: from here on the logic is continuous assignments and
// registers loaded under the events that move them (a beat, a command, an AW,
// a B). Icarus re-runs an always block in full whenever any input changes and
// pays for every signal read there; these change with nearly every W beat.
reg                  w_active_reg;
reg [CW-1:0]         w_client_reg;
reg [7:0]            w_left_reg;                       // beats after this one
reg                  w_first_reg;
reg [BYTES-1:0]      w_sf_reg;
reg [BYTES-1:0]      w_sl_reg;

// W output buffer: entry 0 drives the bus
reg           wo0_valid_reg;
reg           wo1_valid_reg;
reg [WOW-1:0] wo0_reg;
reg [WOW-1:0] wo1_reg;

// one-hot client select
localparam [CLIENTS-1:0] ONE_CLIENT = 1;
// the client count, as an ID
localparam [ID_WIDTH:0] CLIENT_IDS = CLIENTS[ID_WIDTH:0];

wire [WCW-1:0]     wc_head   = wcmd_mem[wc_rptr_reg[FPW-1:0]];
wire               wc_avail  = wc_wptr_reg != wc_rptr_reg;
wire [CLIENTS-1:0] w_sel     = ONE_CLIENT << w_client_reg;
// a beat can be taken from the granted client (0 while no command is active)
wire               w_room    = w_active_reg && !wo1_valid_reg;
wire               w_take    = w_room && |(wdat_valid & w_sel);
wire               beat_last = w_left_reg == 8'd0;
// the next burst's command, back to back with the previous burst
wire               w_load    = (!w_active_reg || (w_take && beat_last)) && wc_avail;

// the strobes of this beat (its data is selected in the clocked block, only when a
// beat is taken: as a continuous assignment the select would be re-evaluated at
// every beat of every client)
wire [BYTES-1:0]      beat_strb  = (w_first_reg ? w_sf_reg : {BYTES{1'b1}})
                                   & (beat_last ? w_sl_reg : {BYTES{1'b1}});
// output entry 0 is occupied once the head has left (before this cycle's take)
wire                  wo_head_leaves = wo0_valid_reg && m_axi_wready;
wire                  wo0_kept       = wo_head_leaves ? wo1_valid_reg : wo0_valid_reg;

assign wdat_ready = w_room ? w_sel : {CLIENTS{1'b0}};

// ---------------------------------------------------------------------------
// AW queue, outstanding count, request-end flags, B handling
// ---------------------------------------------------------------------------
wire               b_hs     = m_axi_bvalid && m_axi_bready;
wire               b_err    = m_axi_bresp[1];
wire               aw_pop   = aw0_valid_reg && m_axi_awready;
// entry 0 stays occupied after this cycle's AW handshake (before this cycle's issue)
wire               aw0_kept = aw_pop ? aw1_valid_reg : aw0_valid_reg;
wire [AQW-1:0]     aw_entry = {cur_id, cur_addr_reg, burst_beats[7:0] - 8'd1};
// the B names a client (an ID outside the clients only retires an outstanding burst)
wire [CW-1:0]      b_client = m_axi_bid[CW-1:0];
wire               b_take   = b_hs && {1'b0, m_axi_bid} < CLIENT_IDS;
wire [CLIENTS-1:0] b_sel    = ONE_CLIENT << b_client;
wire [FPW-1:0]     b_ptr    = fr_ptr_reg[b_client*FPW +: FPW];
// the B of the last burst of a request: report the request
wire               b_done   = b_take && flag_reg[b_client*FD + b_ptr];
wire               b_fail   = err_acc_reg[b_client] || b_err;
wire [FPW-1:0]     i_ptr    = fw_ptr_reg[cur_client_reg*FPW +: FPW];

reg [CLIENTS-1:0] err_acc_reg;
reg [CLIENTS-1:0] done_valid_reg;
reg [CLIENTS-1:0] done_err_reg;

// each half of the clocked block is skipped in a cycle that changes none of its
// registers: requests, AWs and Bs come once per burst, W beats every cycle
wire aw_touch = issue || take_req || aw_pop || b_hs || done_valid_reg != {CLIENTS{1'b0}} || rst;
wire w_touch  = w_load || w_take || wo_head_leaves || rst;

always @(posedge clk) begin
    // ---- splitter, AW queue, flags, B handling ----
    if (aw_touch) begin
        if (issue || take_req) begin
            cur_client_reg <= cur_client_next;
            cur_addr_reg   <= cur_addr_next;
            cur_beats_reg  <= cur_beats_next;
            cur_first_reg  <= cur_first_next;
            cur_sf_reg     <= cur_sf_next;
            cur_sl_reg     <= cur_sl_next;
        end
        if (issue) begin
            wcmd_mem[wc_wptr_reg[FPW-1:0]] <= wcmd_entry;
            flag_reg[cur_client_reg*FD + i_ptr] <= burst_last;
        end
        if (issue && aw0_kept) begin
            aw1_reg <= aw_entry;
        end
        if (issue && !aw0_kept) begin
            aw0_reg <= aw_entry;
        end else if (aw_pop) begin
            aw0_reg <= aw1_reg;
        end

        if (rst) begin
            cur_valid_reg   <= 1'b0;
            aw0_valid_reg   <= 1'b0;
            aw1_valid_reg   <= 1'b0;
            outstanding_reg <= {OCW{1'b0}};
            wc_wptr_reg     <= {FPW+1{1'b0}};
            fw_ptr_reg      <= {CLIENTS*FPW{1'b0}};
            fr_ptr_reg      <= {CLIENTS*FPW{1'b0}};
            err_acc_reg     <= {CLIENTS{1'b0}};
            done_valid_reg  <= {CLIENTS{1'b0}};
            done_err_reg    <= {CLIENTS{1'b0}};
        end else begin
            if (issue || take_req) begin
                cur_valid_reg <= cur_valid_next;
            end
            if (issue) begin
                wc_wptr_reg <= wc_wptr_reg + 1'b1;
                fw_ptr_reg[cur_client_reg*FPW +: FPW] <= i_ptr + 1'b1;
            end
            if (issue || aw_pop) begin
                // issue implies the second entry is free
                aw0_valid_reg <= aw0_kept || issue;
                aw1_valid_reg <= issue ? aw0_kept : (aw1_valid_reg && !aw_pop);
            end
            if (issue != b_hs) begin
                outstanding_reg <= issue ? outstanding_reg + 1'b1 : outstanding_reg - 1'b1;
            end
            if (b_take) begin
                fr_ptr_reg[b_client*FPW +: FPW] <= b_ptr + 1'b1;
                err_acc_reg[b_client]           <= !b_done && b_fail;
            end
            if (b_done || done_valid_reg != {CLIENTS{1'b0}}) begin
                done_valid_reg <= b_done ? b_sel : {CLIENTS{1'b0}};
                done_err_reg   <= (b_done && b_fail) ? b_sel : {CLIENTS{1'b0}};
            end
        end
    end

    // ---- W stage ----
    if (w_touch) begin
        if (w_load) begin
            {w_client_reg, w_left_reg, w_sf_reg, w_sl_reg} <= wc_head;
            w_first_reg <= 1'b1;
        end else if (w_take) begin
            w_first_reg <= 1'b0;
            w_left_reg  <= w_left_reg - 8'd1;
        end
        // (the data select is written out twice so that it is evaluated only here)
        if (w_take && !wo0_kept) begin
            wo0_reg <= {wdat_data[w_client_reg*DATA_WIDTH +: DATA_WIDTH], beat_strb, beat_last};
        end else if (wo_head_leaves) begin
            wo0_reg <= wo1_reg;
        end
        if (w_take && wo0_kept) begin
            wo1_reg <= {wdat_data[w_client_reg*DATA_WIDTH +: DATA_WIDTH], beat_strb, beat_last};
        end

        if (rst) begin
            wc_rptr_reg   <= {FPW+1{1'b0}};
            w_active_reg  <= 1'b0;
            wo0_valid_reg <= 1'b0;
            wo1_valid_reg <= 1'b0;
        end else begin
            if (w_load) begin
                w_active_reg <= 1'b1;
                wc_rptr_reg  <= wc_rptr_reg + 1'b1;
            end else if (w_take && beat_last) begin
                w_active_reg <= 1'b0;
            end
            if (w_take || wo_head_leaves) begin
                // w_take implies the second entry is free
                wo0_valid_reg <= wo0_kept || w_take;
                wo1_valid_reg <= w_take ? wo0_kept : (wo1_valid_reg && !wo_head_leaves);
            end
        end
    end
end

assign m_axi_awid    = aw0_reg[ID_WIDTH+ADDR_WIDTH+7 -: ID_WIDTH];
assign m_axi_awaddr  = aw0_reg[ADDR_WIDTH+7 -: ADDR_WIDTH];
assign m_axi_awlen   = aw0_reg[7:0];
assign m_axi_awsize  = LW[2:0];
assign m_axi_awburst = 2'b01;
assign m_axi_awlock  = 1'b0;
assign m_axi_awcache = 4'b0011;
assign m_axi_awprot  = 3'b000;
assign m_axi_awvalid = aw0_valid_reg;

assign m_axi_wdata  = wo0_reg[WOW-1 -: DATA_WIDTH];
assign m_axi_wstrb  = wo0_reg[BYTES:1];
assign m_axi_wlast  = wo0_reg[0];
assign m_axi_wvalid = wo0_valid_reg;

// every B is taken at once
assign m_axi_bready = 1'b1;

assign done_valid = done_valid_reg;
assign done_err   = done_err_reg;

assign busy = cur_valid_reg || outstanding_reg != {OCW{1'b0}} || (|done_valid_reg);

// BRESP[0] only tells EXOKAY from OKAY and DECERR from SLVERR
wire unused_bresp0 = m_axi_bresp[0];

endmodule

`resetall
