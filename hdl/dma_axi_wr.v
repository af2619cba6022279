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
    // write bursts awaiting B at once, power of two 1..32
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
    if (MAX_OUTSTANDING < 1 || MAX_OUTSTANDING > 32
            || (MAX_OUTSTANDING & (MAX_OUTSTANDING - 1)) != 0) begin
        $fatal(1, "dma_axi_wr: MAX_OUTSTANDING must be a power of two 1..32, not %0d (instance %m)",
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
reg           aw0_valid_reg, aw0_valid_next;
reg           aw1_valid_reg, aw1_valid_next;
reg [AQW-1:0] aw0_reg, aw0_next;
reg [AQW-1:0] aw1_reg, aw1_next;

reg [OCW-1:0] outstanding_reg, outstanding_next;

// W command FIFO (combinational read of the head)
reg [WCW-1:0] wcmd_mem [0:FD-1];
reg [FPW:0]   wc_wptr_reg;
reg [FPW:0]   wc_rptr_reg, wc_rptr_next;

// per-client FIFOs of "this burst ends its request", in AW order
reg [CLIENTS*FD-1:0]  flag_reg, flag_next;
reg [CLIENTS*FPW-1:0] fw_ptr_reg, fw_ptr_next;
reg [CLIENTS*FPW-1:0] fr_ptr_reg, fr_ptr_next;

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
reg                  w_active_reg, w_active_next;
reg [CW-1:0]         w_client_reg, w_client_next;
reg [7:0]            w_left_reg, w_left_next;          // beats after this one
reg                  w_first_reg, w_first_next;
reg [BYTES-1:0]      w_sf_reg, w_sf_next;
reg [BYTES-1:0]      w_sl_reg, w_sl_next;

// W output buffer: entry 0 drives the bus
reg           wo0_valid_reg, wo0_valid_next;
reg           wo1_valid_reg, wo1_valid_next;
reg [WOW-1:0] wo0_reg;
reg [WOW-1:0] wo1_reg;

wire [WCW-1:0] wc_head = wcmd_mem[wc_rptr_reg[FPW-1:0]];
wire           wc_avail = wc_wptr_reg != wc_rptr_reg;

reg                  sel_wvalid;
reg                  w_take;
reg                  beat_last;
reg [CLIENTS-1:0]    wdat_ready_int;
integer c;

// the granted client's beat (wide data stays out of the control logic: it is only
// copied, in the clocked block, when a beat is taken)
wire [DATA_WIDTH-1:0] sel_wdata  = wdat_data[w_client_reg*DATA_WIDTH +: DATA_WIDTH];
wire [BYTES-1:0]      beat_strb  = (w_first_reg ? w_sf_reg : {BYTES{1'b1}})
                                   & (beat_last ? w_sl_reg : {BYTES{1'b1}});
wire [WOW-1:0]        beat_entry = {sel_wdata, beat_strb, beat_last};
// output entry 0 is occupied once the head has left (before this cycle's take)
wire                  wo_head_leaves = wo0_valid_reg && m_axi_wready;
wire                  wo0_kept       = wo_head_leaves ? wo1_valid_reg : wo0_valid_reg;

always @* begin
    sel_wvalid     = 1'b0;
    wdat_ready_int = {CLIENTS{1'b0}};
    for (c = 0; c < CLIENTS; c = c + 1) begin
        if (w_client_reg == c[CW-1:0]) begin
            sel_wvalid        = wdat_valid[c];
            wdat_ready_int[c] = w_active_reg && !wo1_valid_reg;
        end
    end
    w_take     = w_active_reg && sel_wvalid && !wo1_valid_reg;
    beat_last  = w_left_reg == 8'd0;

    w_active_next = w_active_reg;
    w_client_next = w_client_reg;
    w_left_next   = w_left_reg;
    w_first_next  = w_first_reg;
    w_sf_next     = w_sf_reg;
    w_sl_next     = w_sl_reg;
    wc_rptr_next  = wc_rptr_reg;
    if (w_take) begin
        w_first_next = 1'b0;
        w_left_next  = w_left_reg - 8'd1;
        if (beat_last) begin
            w_active_next = 1'b0;
        end
    end
    if ((!w_active_reg || (w_take && beat_last)) && wc_avail) begin
        // next burst's command, back to back with the previous burst
        w_active_next = 1'b1;
        w_first_next  = 1'b1;
        {w_client_next, w_left_next, w_sf_next, w_sl_next} = wc_head;
        wc_rptr_next  = wc_rptr_reg + 1'b1;
    end

    wo0_valid_next = wo0_kept;
    wo1_valid_next = wo_head_leaves ? 1'b0 : wo1_valid_reg;
    if (w_take) begin
        // w_take implies the second entry is free
        if (!wo0_kept) begin
            wo0_valid_next = 1'b1;
        end else begin
            wo1_valid_next = 1'b1;
        end
    end
end

assign wdat_ready = wdat_ready_int;

// ---------------------------------------------------------------------------
// AW queue, outstanding count, request-end flags, B handling
// ---------------------------------------------------------------------------
wire b_hs = m_axi_bvalid && m_axi_bready;

reg [CLIENTS-1:0] bid_hit;
reg [CLIENTS-1:0] err_acc_reg, err_acc_next;
reg [CLIENTS-1:0] done_valid_reg, done_valid_next;
reg [CLIENTS-1:0] done_err_reg, done_err_next;
reg [FD-1:0]      flags;
reg [FPW-1:0]     ptr;
reg               b_err;

always @* begin
    aw0_valid_next = aw0_valid_reg;
    aw1_valid_next = aw1_valid_reg;
    aw0_next       = aw0_reg;
    aw1_next       = aw1_reg;
    if (aw0_valid_reg && m_axi_awready) begin
        aw0_valid_next = aw1_valid_reg;
        aw0_next       = aw1_reg;
        aw1_valid_next = 1'b0;
    end
    if (issue) begin
        // issue implies the second entry is free
        if (!aw0_valid_next) begin
            aw0_valid_next = 1'b1;
            aw0_next       = {cur_id, cur_addr_reg, burst_beats[7:0] - 8'd1};
        end else begin
            aw1_valid_next = 1'b1;
            aw1_next       = {cur_id, cur_addr_reg, burst_beats[7:0] - 8'd1};
        end
    end

    outstanding_next = outstanding_reg;
    if (issue && !b_hs) begin
        outstanding_next = outstanding_reg + 1'b1;
    end else if (b_hs && !issue) begin
        outstanding_next = outstanding_reg - 1'b1;
    end

    b_err           = m_axi_bresp[1];
    flag_next       = flag_reg;
    fw_ptr_next     = fw_ptr_reg;
    fr_ptr_next     = fr_ptr_reg;
    err_acc_next    = err_acc_reg;
    done_valid_next = {CLIENTS{1'b0}};
    done_err_next   = {CLIENTS{1'b0}};
    flags           = {FD{1'b0}};
    ptr             = {FPW{1'b0}};
    for (c = 0; c < CLIENTS; c = c + 1) begin
        bid_hit[c] = m_axi_bid == c[ID_WIDTH-1:0];
        if (issue && cur_client_reg == c[CW-1:0]) begin
            flags = flag_reg[c*FD +: FD];
            ptr   = fw_ptr_reg[c*FPW +: FPW];
            flags[ptr] = burst_last;
            flag_next[c*FD +: FD]     = flags;
            fw_ptr_next[c*FPW +: FPW] = ptr + 1'b1;
        end
        if (b_hs && bid_hit[c]) begin
            flags = flag_reg[c*FD +: FD];
            ptr   = fr_ptr_reg[c*FPW +: FPW];
            fr_ptr_next[c*FPW +: FPW] = ptr + 1'b1;
            if (flags[ptr]) begin
                // last burst of the request: report it
                done_valid_next[c] = 1'b1;
                done_err_next[c]   = err_acc_reg[c] || b_err;
                err_acc_next[c]    = 1'b0;
            end else begin
                err_acc_next[c]    = err_acc_reg[c] || b_err;
            end
        end
    end
end

always @(posedge clk) begin
    cur_client_reg <= cur_client_next;
    cur_addr_reg   <= cur_addr_next;
    cur_beats_reg  <= cur_beats_next;
    cur_first_reg  <= cur_first_next;
    cur_sf_reg     <= cur_sf_next;
    cur_sl_reg     <= cur_sl_next;
    aw0_reg        <= aw0_next;
    aw1_reg        <= aw1_next;
    flag_reg       <= flag_next;
    w_client_reg   <= w_client_next;
    w_left_reg     <= w_left_next;
    w_first_reg    <= w_first_next;
    w_sf_reg       <= w_sf_next;
    w_sl_reg       <= w_sl_next;
    if (w_take && !wo0_kept) begin
        wo0_reg <= beat_entry;
    end else if (wo_head_leaves) begin
        wo0_reg <= wo1_reg;
    end
    if (w_take && wo0_kept) begin
        wo1_reg <= beat_entry;
    end
    if (issue) begin
        wcmd_mem[wc_wptr_reg[FPW-1:0]] <= wcmd_entry;
    end

    if (rst) begin
        cur_valid_reg   <= 1'b0;
        aw0_valid_reg   <= 1'b0;
        aw1_valid_reg   <= 1'b0;
        outstanding_reg <= {OCW{1'b0}};
        wc_wptr_reg     <= {FPW+1{1'b0}};
        wc_rptr_reg     <= {FPW+1{1'b0}};
        fw_ptr_reg      <= {CLIENTS*FPW{1'b0}};
        fr_ptr_reg      <= {CLIENTS*FPW{1'b0}};
        w_active_reg    <= 1'b0;
        wo0_valid_reg   <= 1'b0;
        wo1_valid_reg   <= 1'b0;
        err_acc_reg     <= {CLIENTS{1'b0}};
        done_valid_reg  <= {CLIENTS{1'b0}};
        done_err_reg    <= {CLIENTS{1'b0}};
    end else begin
        cur_valid_reg   <= cur_valid_next;
        aw0_valid_reg   <= aw0_valid_next;
        aw1_valid_reg   <= aw1_valid_next;
        outstanding_reg <= outstanding_next;
        if (issue) begin
            wc_wptr_reg <= wc_wptr_reg + 1'b1;
        end
        wc_rptr_reg     <= wc_rptr_next;
        fw_ptr_reg      <= fw_ptr_next;
        fr_ptr_reg      <= fr_ptr_next;
        w_active_reg    <= w_active_next;
        wo0_valid_reg   <= wo0_valid_next;
        wo1_valid_reg   <= wo1_valid_next;
        err_acc_reg     <= err_acc_next;
        done_valid_reg  <= done_valid_next;
        done_err_reg    <= done_err_next;
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
