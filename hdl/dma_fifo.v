`resetall
`timescale 1ns / 1ps
`default_nettype none

// dma_fifo -- synchronous FIFO with valid/ready on both sides.
//
// Storage is a plain register array (no reset) written on `in` and read into
// an output register, so it maps to block RAM with a registered read port and
// simulates fast at any depth. The head entry falls through to the output
// register on its own: latency from an accepted `in` beat to `out_valid` is two
// cycles; throughput is one entry per cycle in and out at the same time.
//
// `count` is the number of entries held (array plus output register), at most
// DEPTH; `in_ready` is low while it equals DEPTH. `clear` empties the FIFO like
// `rst` (the array contents are left as they are).
module dma_fifo #(
    // bits per entry
    parameter WIDTH = 8,
    // entries, a power of two >= 2
    parameter DEPTH = 16
) (
    input  wire                   clk,
    input  wire                   rst,
    input  wire                   clear,

    input  wire                   in_valid,
    output wire                   in_ready,
    input  wire [WIDTH-1:0]       in_data,

    output wire                   out_valid,
    input  wire                   out_ready,
    output wire [WIDTH-1:0]       out_data,

    output wire [$clog2(DEPTH):0] count
);

// address bits of the storage array
localparam AW = $clog2(DEPTH);
// `count` value of a full FIFO
localparam [AW:0] FULL_COUNT = {1'b1, {AW{1'b0}}};

initial begin
    if (WIDTH < 1) begin
        $fatal(1, "dma_fifo: WIDTH must be >= 1, not %0d (instance %m)", WIDTH);
    end
    if (DEPTH < 2 || (1 << AW) != DEPTH) begin
        $fatal(1, "dma_fifo: DEPTH must be a power of two >= 2, not %0d (instance %m)", DEPTH);
    end
end

reg [WIDTH-1:0] mem [0:DEPTH-1];

// array pointers carry one extra wrap bit: equal pointers mean the array is empty
reg [AW:0] wr_ptr_reg = {AW+1{1'b0}}, wr_ptr_next;
reg [AW:0] rd_ptr_reg = {AW+1{1'b0}}, rd_ptr_next;
reg [AW:0] count_reg = {AW+1{1'b0}}, count_next;
reg        out_valid_reg = 1'b0, out_valid_next;
reg [WIDTH-1:0] out_data_reg;

wire push = in_valid && in_ready;
wire pop  = out_valid_reg && out_ready;
// move the oldest array entry into the output register
wire load = (wr_ptr_reg != rd_ptr_reg) && (!out_valid_reg || out_ready);

assign in_ready  = count_reg != FULL_COUNT;
assign out_valid = out_valid_reg;
assign out_data  = out_data_reg;
assign count     = count_reg;

always @* begin
    wr_ptr_next    = wr_ptr_reg;
    rd_ptr_next    = rd_ptr_reg;
    count_next     = count_reg;
    out_valid_next = out_valid_reg;

    if (push) begin
        wr_ptr_next = wr_ptr_reg + 1'b1;
    end
    if (load) begin
        rd_ptr_next    = rd_ptr_reg + 1'b1;
        out_valid_next = 1'b1;
    end else if (pop) begin
        out_valid_next = 1'b0;
    end
    if (push && !pop) begin
        count_next = count_reg + 1'b1;
    end else if (pop && !push) begin
        count_next = count_reg - 1'b1;
    end
end

always @(posedge clk) begin
    if (push) begin
        mem[wr_ptr_reg[AW-1:0]] <= in_data;
    end
    if (load) begin
        out_data_reg <= mem[rd_ptr_reg[AW-1:0]];
    end

    if (rst || clear) begin
        wr_ptr_reg    <= {AW+1{1'b0}};
        rd_ptr_reg    <= {AW+1{1'b0}};
        count_reg     <= {AW+1{1'b0}};
        out_valid_reg <= 1'b0;
    end else begin
        wr_ptr_reg    <= wr_ptr_next;
        rd_ptr_reg    <= rd_ptr_next;
        count_reg     <= count_next;
        out_valid_reg <= out_valid_next;
    end
end

endmodule

`resetall
