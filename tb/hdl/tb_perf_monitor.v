`resetall
`timescale 1ns / 1ps
`default_nettype none

// tb_perf_monitor -- where a DMA engine's cycles go, seen from its ports only.
//
// Passive. Counts, since reset, for every AXI4 channel and both AXI-Stream
// ports: cycles with a transfer (VALID and READY), cycles the sender waited
// (VALID, not READY), and the AXI4 read and write bursts in flight (AR or AW
// accepted, last R beat or B not yet): cycles with none, cycles at or above
// `RD_LIMIT` / `WR_LIMIT` (the engine's own limit: it could not have issued
// another), and their sum over cycles (mean = sum / cycles). Python reads the
// counters at the start and end of a measurement window (scripts/bench_engine.py)
// and reports the differences. Counters are 48 bits: ~2.8e14 cycles.
// Per AXI ID 0..2 (the engine's back-end clients, hdl/dma_defs.vh): R beats
// (`r_id*`) and W beats (`w_id*`; a W beat belongs to the oldest AW whose data is
// not complete: the engine writes data in AW order, without interleaving), so a
// benchmark counts each client's payload where it crosses the bus, at the cycle.
module tb_perf_monitor #(
    // bursts in flight at which the engine stops issuing reads (MAX_RD_OUTSTANDING)
    parameter RD_LIMIT = 8,
    // bursts in flight at which the engine stops issuing writes (MAX_WR_OUTSTANDING)
    parameter WR_LIMIT = 8,
    // AXI4 ID width
    parameter ID_WIDTH = 4
) (
    input  wire clk,
    input  wire rst,

    input  wire arvalid,
    input  wire arready,
    input  wire [ID_WIDTH-1:0] rid,
    input  wire rvalid,
    input  wire rready,
    input  wire rlast,
    input  wire [ID_WIDTH-1:0] awid,
    input  wire awvalid,
    input  wire awready,
    input  wire wvalid,
    input  wire wready,
    input  wire wlast,
    input  wire bvalid,
    input  wire bready,
    input  wire tx_tvalid,
    input  wire tx_tready,
    input  wire rx_tvalid,
    input  wire rx_tready
);

localparam W = 48;

// read by Python: {transfer, wait} per channel
reg [W-1:0] cycles;
reg [W-1:0] ar_xfer, ar_wait, r_xfer, r_wait, aw_xfer, aw_wait, w_xfer, w_wait, b_xfer, b_wait;
reg [W-1:0] tx_xfer, tx_wait, rx_xfer, rx_wait;
// bursts in flight and the cycles at none / at the engine's limit, and their sum
reg [15:0]  rd_flight, wr_flight;
reg [W-1:0] rd_none, rd_full, rd_sum, wr_none, wr_full, wr_sum;

wire ar_go = arvalid && arready;
wire r_end = rvalid && rready && rlast;
wire aw_go = awvalid && awready;
wire b_go = bvalid && bready;

// per-ID beats
reg [W-1:0] r_id0, r_id1, r_id2, w_id0, w_id1, w_id2;
// AW IDs whose W data is not complete, oldest first
reg [ID_WIDTH-1:0] awq [0:255];
reg [7:0] awq_wr, awq_rd;
wire [ID_WIDTH-1:0] w_id = (awq_wr == awq_rd && aw_go) ? awid : awq[awq_rd];
wire r_go = rvalid && rready;
wire w_go = wvalid && wready;

always @(posedge clk) begin
    if (rst) begin
        r_id0 <= {W{1'b0}}; r_id1 <= {W{1'b0}}; r_id2 <= {W{1'b0}};
        w_id0 <= {W{1'b0}}; w_id1 <= {W{1'b0}}; w_id2 <= {W{1'b0}};
        awq_wr <= 8'd0; awq_rd <= 8'd0;
    end else begin
        if (aw_go) begin
            awq[awq_wr] <= awid;
            awq_wr <= awq_wr + 8'd1;
        end
        if (w_go && wlast) begin
            awq_rd <= awq_rd + 8'd1;
        end
        if (r_go) begin
            if (rid == 0) r_id0 <= r_id0 + 1'b1;
            if (rid == 1) r_id1 <= r_id1 + 1'b1;
            if (rid == 2) r_id2 <= r_id2 + 1'b1;
        end
        if (w_go) begin
            if (w_id == 0) w_id0 <= w_id0 + 1'b1;
            if (w_id == 1) w_id1 <= w_id1 + 1'b1;
            if (w_id == 2) w_id2 <= w_id2 + 1'b1;
        end
    end
end

always @(posedge clk) begin
    if (rst) begin
        cycles <= {W{1'b0}};
        ar_xfer <= {W{1'b0}}; ar_wait <= {W{1'b0}};
        r_xfer <= {W{1'b0}};  r_wait <= {W{1'b0}};
        aw_xfer <= {W{1'b0}}; aw_wait <= {W{1'b0}};
        w_xfer <= {W{1'b0}};  w_wait <= {W{1'b0}};
        b_xfer <= {W{1'b0}};  b_wait <= {W{1'b0}};
        tx_xfer <= {W{1'b0}}; tx_wait <= {W{1'b0}};
        rx_xfer <= {W{1'b0}}; rx_wait <= {W{1'b0}};
        rd_flight <= 16'd0;   wr_flight <= 16'd0;
        rd_none <= {W{1'b0}}; rd_full <= {W{1'b0}}; rd_sum <= {W{1'b0}};
        wr_none <= {W{1'b0}}; wr_full <= {W{1'b0}}; wr_sum <= {W{1'b0}};
    end else begin
        cycles <= cycles + 1'b1;
        if (arvalid) begin
            if (arready) ar_xfer <= ar_xfer + 1'b1; else ar_wait <= ar_wait + 1'b1;
        end
        if (rvalid) begin
            if (rready) r_xfer <= r_xfer + 1'b1; else r_wait <= r_wait + 1'b1;
        end
        if (awvalid) begin
            if (awready) aw_xfer <= aw_xfer + 1'b1; else aw_wait <= aw_wait + 1'b1;
        end
        if (wvalid) begin
            if (wready) w_xfer <= w_xfer + 1'b1; else w_wait <= w_wait + 1'b1;
        end
        if (bvalid) begin
            if (bready) b_xfer <= b_xfer + 1'b1; else b_wait <= b_wait + 1'b1;
        end
        if (tx_tvalid) begin
            if (tx_tready) tx_xfer <= tx_xfer + 1'b1; else tx_wait <= tx_wait + 1'b1;
        end
        if (rx_tvalid) begin
            if (rx_tready) rx_xfer <= rx_xfer + 1'b1; else rx_wait <= rx_wait + 1'b1;
        end
        rd_flight <= rd_flight + {15'd0, ar_go} - {15'd0, r_end};
        wr_flight <= wr_flight + {15'd0, aw_go} - {15'd0, b_go};
        rd_sum <= rd_sum + {{(W - 16){1'b0}}, rd_flight};
        wr_sum <= wr_sum + {{(W - 16){1'b0}}, wr_flight};
        if (rd_flight == 16'd0) rd_none <= rd_none + 1'b1;
        if ({16'd0, rd_flight} >= RD_LIMIT) rd_full <= rd_full + 1'b1;
        if (wr_flight == 16'd0) wr_none <= wr_none + 1'b1;
        if ({16'd0, wr_flight} >= WR_LIMIT) wr_full <= wr_full + 1'b1;
    end
end

endmodule

`resetall
