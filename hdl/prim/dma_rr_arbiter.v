`resetall
`timescale 1ns / 1ps
`default_nettype none

// dma_rr_arbiter -- round-robin arbiter with a one-hot grant.
//
// The grant is combinational from `req` and the priority state: the first
// requester after the one served last, wrapping around. Two controls:
//   advance  the granted requester is served in this cycle; from the next cycle
//            on, the requester after it has the highest priority.
//   hold     keep this grant for the next cycle as well, whatever `req` does
//            (a multi-cycle transaction): assert it in every cycle of the
//            transaction except the last.
// Used per request (hold = 0, advance = request accepted), the grant can move
// to a higher-priority requester before the granted one is accepted; priority
// only rotates when someone is served, so every requester is served within
// PORTS grants.
module dma_rr_arbiter #(
    // number of requesters
    parameter PORTS = 4
) (
    input  wire                                          clk,
    input  wire                                          rst,

    input  wire [PORTS-1:0]                              req,
    input  wire                                          hold,
    input  wire                                          advance,

    output wire [PORTS-1:0]                              grant,
    output wire                                          grant_valid,
    output wire [((PORTS > 1) ? $clog2(PORTS) : 1)-1:0]  grant_index
);

// width of grant_index
localparam IW = (PORTS > 1) ? $clog2(PORTS) : 1;

initial begin
    if (PORTS < 1) begin
        $fatal(1, "dma_rr_arbiter: PORTS must be >= 1, not %0d (instance %m)", PORTS);
    end
end

// requesters that come after the one served last (they go first)
reg [PORTS-1:0] mask_reg, mask_next;
reg             locked_reg;
reg [PORTS-1:0] locked_grant_reg;
reg [IW-1:0]    locked_index_reg;

reg [PORTS-1:0] pick;
reg [IW-1:0]    pick_index;
reg             pick_found;
reg [PORTS-1:0] served_mask;
integer i;

always @* begin
    // first requester inside the mask, else the first requester at all
    pick       = {PORTS{1'b0}};
    pick_index = {IW{1'b0}};
    pick_found = 1'b0;
    for (i = 0; i < PORTS; i = i + 1) begin
        if (!pick_found && req[i] && mask_reg[i]) begin
            pick_found = 1'b1;
            pick[i]    = 1'b1;
            pick_index = i[IW-1:0];
        end
    end
    for (i = 0; i < PORTS; i = i + 1) begin
        if (!pick_found && req[i]) begin
            pick_found = 1'b1;
            pick[i]    = 1'b1;
            pick_index = i[IW-1:0];
        end
    end
end

assign grant       = locked_reg ? locked_grant_reg : pick;
assign grant_valid = locked_reg || pick_found;
assign grant_index = locked_reg ? locked_index_reg : pick_index;

always @* begin
    // every port above the granted one
    served_mask = {PORTS{1'b0}};
    for (i = 0; i < PORTS; i = i + 1) begin
        if (i > grant_index) begin
            served_mask[i] = 1'b1;
        end
    end
    mask_next = mask_reg;
    if (advance && grant_valid) begin
        mask_next = served_mask;
    end
end

// registers touched only when they change, and the block skipped in a cycle that
// changes none (Icarus pays for every statement a clocked block runs, and an
// arbiter is idle most cycles)
wire touch = advance || hold || locked_reg || rst;

always @(posedge clk) begin
    if (touch) begin
        if (grant_valid && hold) begin
            locked_grant_reg <= grant;
            locked_index_reg <= grant_index;
        end
        if (rst) begin
            mask_reg   <= {PORTS{1'b0}};
            locked_reg <= 1'b0;
        end else begin
            if (advance && grant_valid) begin
                mask_reg <= mask_next;
            end
            if (hold || locked_reg) begin
                locked_reg <= grant_valid && hold;
            end
        end
    end
end

endmodule

`resetall
