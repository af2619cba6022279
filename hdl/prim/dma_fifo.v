`resetall
`timescale 1ns / 1ps
`default_nettype none

// dma_fifo -- synchronous FIFO with valid/ready on both sides.
//
// Storage is a plain register array (no reset) read through a registered read
// port, so it maps to block RAM and simulates fast at any depth. The head entry
// falls through on its own. An entry that arrives while the array is empty and
// the output is free (or leaving) bypasses the array into a second output
// register, so the latency from an accepted `in` beat to `out_valid` is one
// cycle and a FIFO of any depth >= 2 passes one entry per cycle in and out at
// the same time. Entries that wait in the array come out through the RAM read
// register; `out_data` selects between the two registers.
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
reg [AW:0] wr_ptr_reg;
reg [AW:0] rd_ptr_reg;
reg [AW:0] count_reg;
reg        out_valid_reg;
reg        out_sel_reg;          // 1: output from the RAM read register
reg [WIDTH-1:0] ram_q_reg;
reg [WIDTH-1:0] bypass_reg;

wire push       = in_valid && in_ready;
wire pop        = out_valid_reg && out_ready;
wire mem_empty  = wr_ptr_reg == rd_ptr_reg;
wire out_free   = !out_valid_reg || out_ready;
// move the oldest array entry to the output
wire load       = !mem_empty && out_free;
// an entry that finds the array empty and the output free goes straight out
wire bypass     = push && mem_empty && out_free;
wire write      = push && !bypass;

assign in_ready  = count_reg != FULL_COUNT;
assign out_valid = out_valid_reg;
assign out_data  = out_sel_reg ? ram_q_reg : bypass_reg;
assign count     = count_reg;

// the output register is loaded (from the RAM or by a bypass)
wire out_load   = load || bypass;
wire rst_any    = rst || clear;
// anything to do this cycle (a write or a bypass is a push)
wire touch      = push || pop || load || rst_any;

// One clocked process, each register touched only when it changes, and nothing
// evaluated at all in a cycle without a push, pop or load: a FIFO sits idle most
// cycles, and Icarus pays for every statement it runs (each read of a signal in
// a procedural block costs about as much as a small continuous assignment).
always @(posedge clk) begin
    if (touch) begin
        if (write) begin
            mem[wr_ptr_reg[AW-1:0]] <= in_data;
        end
        if (load) begin
            ram_q_reg <= mem[rd_ptr_reg[AW-1:0]];
        end
        if (bypass) begin
            bypass_reg <= in_data;
        end
        if (out_load) begin
            out_sel_reg <= load;
        end

        if (rst_any) begin
            wr_ptr_reg    <= {AW+1{1'b0}};
            rd_ptr_reg    <= {AW+1{1'b0}};
            count_reg     <= {AW+1{1'b0}};
            out_valid_reg <= 1'b0;
        end else begin
            if (write) begin
                wr_ptr_reg <= wr_ptr_reg + 1'b1;
            end
            if (load) begin
                rd_ptr_reg <= rd_ptr_reg + 1'b1;
            end
            if (out_load) begin
                out_valid_reg <= 1'b1;
            end else if (pop) begin
                out_valid_reg <= 1'b0;
            end
            if (push != pop) begin
                count_reg <= push ? count_reg + 1'b1 : count_reg - 1'b1;
            end
        end
    end
end

endmodule

`resetall
