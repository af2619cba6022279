`resetall
`timescale 1ns / 1ps
`default_nettype none

// dma_axi_rd -- AXI4 read back end shared by CLIENTS read clients.
//
// Request (per client c): req_valid[c] / req_ready[c], byte address
// req_addr[c*ADDR_WIDTH +: ADDR_WIDTH] (any alignment), byte count
// req_len[c*LEN_WIDTH +: LEN_WIDTH] (>= 1). Requests are taken round-robin, one
// request per grant. A request covers ceil((addr % BYTES + len) / BYTES) beats
// starting at the beat that holds `addr`.
//
// Splitting: each request becomes INCR bursts of full-width beats that never
// cross a 4 KiB boundary and are at most MAX_BURST_LEN beats long. ARADDR is
// always beat aligned (addr & ~(BYTES-1)): the first beat is the same either
// way, and aligned addresses are the simplest for slaves. ARID = client index.
//
// Responses: R beats go straight to the client named by RID (no register):
// rsp_valid[rid] = rvalid, rready = rvalid && rsp_ready[rid], shared rsp_data, rsp_err =
// RRESP[1] (SLVERR/DECERR) for this beat, rsp_last on the last beat of the
// client's request (a per-client FIFO records, in AR order, which bursts end a
// request; AXI keeps each ID in order). Every beat of every request is
// delivered, error or not.
//
// Pipelining: ARs go out through a two-entry queue, one per cycle, while data
// of earlier bursts returns; the next request is accepted in the cycle its
// predecessor's last burst is queued. At most MAX_OUTSTANDING bursts are in
// flight (counted from the time a burst is queued until its last R beat).
// Latency: ARVALID is high two cycles after the request handshake cycle; then
// one AR per cycle.
// `busy` is high while a request is being split or a burst is in flight.
module dma_axi_rd #(
    // AXI data width in bits: 32, 64, 128 or 256
    parameter DATA_WIDTH = 64,
    // AXI address width in bits (>= 16)
    parameter ADDR_WIDTH = 64,
    // AXI ID width in bits (must hold CLIENTS-1)
    parameter ID_WIDTH = 4,
    // number of read clients
    parameter CLIENTS = 3,
    // width of a request's byte count (>= 12)
    parameter LEN_WIDTH = 16,
    // longest burst in beats, power of two 1..256
    parameter MAX_BURST_LEN = 64,
    // read bursts in flight at once, power of two 1..256
    parameter MAX_OUTSTANDING = 8
) (
    input  wire                            clk,
    input  wire                            rst,

    // requests
    input  wire [CLIENTS-1:0]              req_valid,
    output wire [CLIENTS-1:0]              req_ready,
    input  wire [CLIENTS*ADDR_WIDTH-1:0]   req_addr,
    input  wire [CLIENTS*LEN_WIDTH-1:0]    req_len,

    // responses
    output wire [CLIENTS-1:0]              rsp_valid,
    input  wire [CLIENTS-1:0]              rsp_ready,
    output wire [DATA_WIDTH-1:0]           rsp_data,
    output wire                            rsp_last,
    output wire                            rsp_err,

    output wire                            busy,

    // AXI4 read master
    output wire [ID_WIDTH-1:0]             m_axi_arid,
    output wire [ADDR_WIDTH-1:0]           m_axi_araddr,
    output wire [7:0]                      m_axi_arlen,
    output wire [2:0]                      m_axi_arsize,
    output wire [1:0]                      m_axi_arburst,
    output wire                            m_axi_arlock,
    output wire [3:0]                      m_axi_arcache,
    output wire [2:0]                      m_axi_arprot,
    output wire                            m_axi_arvalid,
    input  wire                            m_axi_arready,
    input  wire [ID_WIDTH-1:0]             m_axi_rid,
    input  wire [DATA_WIDTH-1:0]           m_axi_rdata,
    input  wire [1:0]                      m_axi_rresp,
    input  wire                            m_axi_rlast,
    input  wire                            m_axi_rvalid,
    output wire                            m_axi_rready
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
// bits of a per-client burst-flag FIFO pointer
localparam FPW = (MAX_OUTSTANDING > 1) ? $clog2(MAX_OUTSTANDING) : 1;
// entries of a per-client burst-flag FIFO
localparam FD = 1 << FPW;
// bits of the in-flight counter
localparam OCW = $clog2(MAX_OUTSTANDING) + 1;
// in-flight limit, as a counter value
localparam [OCW-1:0] MAX_OUT = MAX_OUTSTANDING[OCW-1:0];
// bits of an AR queue entry: id, address, len
localparam AQW = ID_WIDTH + ADDR_WIDTH + 8;

initial begin
    if (DATA_WIDTH != 32 && DATA_WIDTH != 64 && DATA_WIDTH != 128 && DATA_WIDTH != 256) begin
        $fatal(1, "dma_axi_rd: DATA_WIDTH must be 32, 64, 128 or 256, not %0d (instance %m)",
            DATA_WIDTH);
    end
    if (ADDR_WIDTH < 16) begin
        $fatal(1, "dma_axi_rd: ADDR_WIDTH must be >= 16, not %0d (instance %m)", ADDR_WIDTH);
    end
    if (CLIENTS < 1 || (CLIENTS > 1 && ID_WIDTH < CW)) begin
        $fatal(1, "dma_axi_rd: ID_WIDTH %0d cannot name %0d clients (instance %m)",
            ID_WIDTH, CLIENTS);
    end
    if (LEN_WIDTH < 12) begin
        $fatal(1, "dma_axi_rd: LEN_WIDTH must be >= 12, not %0d (instance %m)", LEN_WIDTH);
    end
    if (MAX_BURST_LEN < 1 || MAX_BURST_LEN > 256 || (MAX_BURST_LEN & (MAX_BURST_LEN - 1)) != 0) begin
        $fatal(1, "dma_axi_rd: MAX_BURST_LEN must be a power of two 1..256, not %0d (instance %m)",
            MAX_BURST_LEN);
    end
    if (MAX_OUTSTANDING < 1 || MAX_OUTSTANDING > 256
            || (MAX_OUTSTANDING & (MAX_OUTSTANDING - 1)) != 0) begin
        $fatal(1, "dma_axi_rd: MAX_OUTSTANDING must be a power of two 1..256, not %0d (instance %m)",
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

// AR queue
reg           ar0_valid_reg;
reg           ar1_valid_reg;
reg [AQW-1:0] ar0_reg;
reg [AQW-1:0] ar1_reg;

reg [OCW-1:0] inflight_reg;

// per-client FIFOs of "this burst ends its request", in AR order
reg [CLIENTS*FD-1:0]  flag_reg;
reg [CLIENTS*FPW-1:0] fw_ptr_reg;
reg [CLIENTS*FPW-1:0] fr_ptr_reg;

reg [BW-1:0]         page_left;
reg [BW-1:0]         burst_limit;
reg [BW-1:0]         burst_beats;
reg                  burst_last;
reg                  issue;
reg [ID_WIDTH-1:0]   cur_id;
reg [ADDR_WIDTH-1:0] sel_addr;
reg [LEN_WIDTH-1:0]  sel_len;
reg [BW-1:0]         sel_beats;

always @* begin
    // ---- the next burst of the current request ----
    page_left   = PAGE_BEATS - {{BW-12+LW{1'b0}}, cur_addr_reg[11:LW]};
    burst_limit = (MAX_BURST < page_left) ? MAX_BURST : page_left;
    burst_beats = (cur_beats_reg < burst_limit) ? cur_beats_reg : burst_limit;
    burst_last  = burst_beats == cur_beats_reg;
    issue       = cur_valid_reg && !ar1_valid_reg && inflight_reg != MAX_OUT;
    cur_id      = {ID_WIDTH{1'b0}};
    cur_id[CW-1:0] = cur_client_reg;
end

assign take_req  = grant_valid && (!cur_valid_reg || (issue && burst_last));
assign req_ready = take_req ? grant : {CLIENTS{1'b0}};

always @* begin
    // ---- the granted request ----
    sel_addr  = req_addr[grant_index*ADDR_WIDTH +: ADDR_WIDTH];
    sel_len   = req_len[grant_index*LEN_WIDTH +: LEN_WIDTH];
    sel_beats = ({{BW-LW{1'b0}}, sel_addr[LW-1:0]} + {1'b0, sel_len}
                 + {{BW-LW{1'b0}}, {LW{1'b1}}}) >> LW;

    cur_valid_next  = cur_valid_reg;
    cur_client_next = cur_client_reg;
    cur_addr_next   = cur_addr_reg;
    cur_beats_next  = cur_beats_reg;
    if (issue) begin
        cur_addr_next  = cur_addr_reg
                         + {{ADDR_WIDTH-9-LW{1'b0}}, burst_beats[8:0], {LW{1'b0}}};
        cur_beats_next = cur_beats_reg - burst_beats;
        if (burst_last) begin
            cur_valid_next = 1'b0;
        end
    end
    if (take_req) begin
        cur_valid_next  = 1'b1;
        cur_client_next = grant_index;
        cur_addr_next   = {sel_addr[ADDR_WIDTH-1:LW], {LW{1'b0}}};
        cur_beats_next  = sel_beats;
    end
end

// ---------------------------------------------------------------------------
// AR queue, in-flight count, request-end flags, R routing
// ---------------------------------------------------------------------------
reg [CLIENTS-1:0] rid_hit;
reg               rsp_last_flag;
reg [FD-1:0]      flags;
reg [FPW-1:0]     ptr;
integer c;

always @* begin
    rsp_last_flag = 1'b0;
    flags         = {FD{1'b0}};
    ptr           = {FPW{1'b0}};
    for (c = 0; c < CLIENTS; c = c + 1) begin
        rid_hit[c] = m_axi_rid == c[ID_WIDTH-1:0];
        if (rid_hit[c]) begin
            flags = flag_reg[c*FD +: FD];
            ptr   = fr_ptr_reg[c*FPW +: FPW];
            rsp_last_flag = flags[ptr];
        end
    end
end

wire r_hs   = m_axi_rvalid && m_axi_rready;
wire r_done = r_hs && m_axi_rlast;

// Simulation speed: the AR queue, the in-flight count and the flag FIFOs are
// registers loaded under the events that move them (a burst issued, an AR taken,
// a burst's last R beat), with no combinational block of their own: Icarus
// re-runs an always block in full whenever any input changes, and pays for every
// signal read there.
wire               ar_pop   = ar0_valid_reg && m_axi_arready;
// entry 0 stays occupied after this cycle's AR handshake (before this cycle's issue)
wire               ar0_kept = ar_pop ? ar1_valid_reg : ar0_valid_reg;
wire [AQW-1:0]     ar_entry = {cur_id, cur_addr_reg, burst_beats[7:0] - 8'd1};
wire [FPW-1:0]     i_ptr    = fw_ptr_reg[cur_client_reg*FPW +: FPW];
// the last beat of a burst for a client (an ID outside the clients only retires the burst)
wire               r_take   = r_done && (|rid_hit);
wire [CW-1:0]      r_client = m_axi_rid[CW-1:0];
// nothing below changes in a cycle without one of these (the block is skipped)
wire               touch    = issue || take_req || ar_pop || r_done || rst;

always @(posedge clk) begin
    if (touch) begin
        if (issue || take_req) begin
            cur_client_reg <= cur_client_next;
            cur_addr_reg   <= cur_addr_next;
            cur_beats_reg  <= cur_beats_next;
        end
        if (issue) begin
            flag_reg[cur_client_reg*FD + i_ptr] <= burst_last;
        end
        if (issue && ar0_kept) begin
            ar1_reg <= ar_entry;
        end
        if (issue && !ar0_kept) begin
            ar0_reg <= ar_entry;
        end else if (ar_pop) begin
            ar0_reg <= ar1_reg;
        end

        if (rst) begin
            cur_valid_reg <= 1'b0;
            ar0_valid_reg <= 1'b0;
            ar1_valid_reg <= 1'b0;
            inflight_reg  <= {OCW{1'b0}};
            fw_ptr_reg    <= {CLIENTS*FPW{1'b0}};
            fr_ptr_reg    <= {CLIENTS*FPW{1'b0}};
        end else begin
            if (issue || take_req) begin
                cur_valid_reg <= cur_valid_next;
            end
            if (issue || ar_pop) begin
                // issue implies the second entry is free
                ar0_valid_reg <= ar0_kept || issue;
                ar1_valid_reg <= issue ? ar0_kept : (ar1_valid_reg && !ar_pop);
            end
            if (issue != r_done) begin
                inflight_reg <= issue ? inflight_reg + 1'b1 : inflight_reg - 1'b1;
            end
            if (issue) begin
                fw_ptr_reg[cur_client_reg*FPW +: FPW] <= i_ptr + 1'b1;
            end
            if (r_take) begin
                fr_ptr_reg[r_client*FPW +: FPW] <= fr_ptr_reg[r_client*FPW +: FPW] + 1'b1;
            end
        end
    end
end

assign m_axi_arid    = ar0_reg[ID_WIDTH+ADDR_WIDTH+7 -: ID_WIDTH];
assign m_axi_araddr  = ar0_reg[ADDR_WIDTH+7 -: ADDR_WIDTH];
assign m_axi_arlen   = ar0_reg[7:0];
assign m_axi_arsize  = LW[2:0];
assign m_axi_arburst = 2'b01;
assign m_axi_arlock  = 1'b0;
assign m_axi_arcache = 4'b0011;
assign m_axi_arprot  = 3'b000;
assign m_axi_arvalid = ar0_valid_reg;

assign rsp_valid    = m_axi_rvalid ? rid_hit : {CLIENTS{1'b0}};
// gated by RVALID so an undriven RID between bursts never makes RREADY unknown
assign m_axi_rready = m_axi_rvalid && |(rsp_ready & rid_hit);
assign rsp_data     = m_axi_rdata;
assign rsp_last     = m_axi_rlast && rsp_last_flag;
assign rsp_err      = m_axi_rresp[1];
// RRESP[0] only tells EXOKAY from OKAY and DECERR from SLVERR
wire unused_rresp0 = m_axi_rresp[0];

assign busy = cur_valid_reg || inflight_reg != {OCW{1'b0}};

endmodule

`resetall
