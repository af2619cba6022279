`resetall
`timescale 1ns / 1ps
`default_nettype none

// dma_csr -- register front end of dma_engine.
//
// AXI-Lite slave (12-bit address, 32-bit data) with every register of
// dma_regs.vh: device constants, CTRL (soft reset), CACHE_LINE, WB_DELAY,
// IRQ_STATUS (W1C) / IRQ_ENABLE, the RX drop/error and partial write-back
// counters, and one register block per ring. Each ring's state machine, ENABLE
// bit and TAIL doorbell live in a dma_ring_ctrl instance.
//
// AXI-Lite: a write is taken when AW and W are both valid (one cycle), its
// B response follows in the next cycle; a read is taken when AR is valid and
// no R is pending, its R follows in the next cycle. WSTRB is honoured byte by
// byte; unmapped addresses read 0 and ignore writes (OKAY).
//
// Soft reset: writing CTRL.SOFT_RESET=1 sets `quiesce` and forces both rings
// to DRAIN. When both rings are in DRAIN and nothing is busy (ring units, the
// AXI back ends, and dma_rx at a packet boundary), `soft_rst` pulses for one
// cycle: it resets every register here (the AXI-Lite handshake excepted) and,
// through dma_engine, every unit but the RX ingress. CTRL.SOFT_RESET reads 1
// until that cycle has passed.
module dma_csr #(
    // AXI data width in bits (DEV_DATA_BYTES)
    parameter DATA_WIDTH = 64,
    // longest AXI burst in beats (DEV_MAX_BURST)
    parameter MAX_BURST_LEN = 64,
    // AXI read bursts in flight (DEV_RD_OUTSTAND)
    parameter MAX_RD_OUTSTANDING = 8,
    // descriptor cache entries per ring (DEV_DESC_DEPTH)
    parameter DESC_DEPTH = 32
) (
    input  wire        clk,
    input  wire        rst,
    output wire        soft_rst,
    output wire        quiesce,

    // AXI-Lite slave
    input  wire [11:0] s_axil_awaddr,
    input  wire [2:0]  s_axil_awprot,
    input  wire        s_axil_awvalid,
    output wire        s_axil_awready,
    input  wire [31:0] s_axil_wdata,
    input  wire [3:0]  s_axil_wstrb,
    input  wire        s_axil_wvalid,
    output wire        s_axil_wready,
    output wire [1:0]  s_axil_bresp,
    output wire        s_axil_bvalid,
    input  wire        s_axil_bready,
    input  wire [11:0] s_axil_araddr,
    input  wire [2:0]  s_axil_arprot,
    input  wire        s_axil_arvalid,
    output wire        s_axil_arready,
    output wire [31:0] s_axil_rdata,
    output wire [1:0]  s_axil_rresp,
    output wire        s_axil_rvalid,
    input  wire        s_axil_rready,

    // TX ring
    output wire        tx_run,
    output wire        tx_clear,
    output wire [63:0] tx_base,
    output wire [3:0]  tx_size_log2,
    output wire [1:0]  tx_line_log2,
    output wire [15:0] tx_tail,
    input  wire [15:0] tx_head,
    input  wire        tx_busy,
    input  wire [2:0]  tx_err_valid,
    input  wire [23:0] tx_err_code,
    input  wire [47:0] tx_err_index,
    input  wire [7:0]  tx_pkt_inc,
    input  wire        tx_done_irq,
    input  wire        tx_partial_inc,

    // RX ring
    output wire        rx_run,
    output wire        rx_clear,
    output wire [63:0] rx_base,
    output wire [3:0]  rx_size_log2,
    output wire [1:0]  rx_line_log2,
    output wire [15:0] rx_tail,
    input  wire [15:0] rx_head,
    input  wire        rx_busy,
    input  wire [2:0]  rx_err_valid,
    input  wire [23:0] rx_err_code,
    input  wire [47:0] rx_err_index,
    input  wire [7:0]  rx_pkt_inc,
    input  wire        rx_done_irq,
    input  wire        rx_partial_inc,

    // global
    output wire [31:0] wb_delay,
    input  wire        rx_drop_inc,
    input  wire        rx_err_inc,
    input  wire        rx_boundary,
    input  wire        rd_busy,
    input  wire        wr_busy,
    output wire        irq
);

/* verilator lint_off UNUSEDPARAM */
`include "dma_regs.vh"
/* verilator lint_on UNUSEDPARAM */

// DEV_DATA_BYTES value
localparam [31:0] DEV_DATA_BYTES_VALUE = DATA_WIDTH / 8;
// DEV_MAX_BURST value
localparam [31:0] DEV_MAX_BURST_VALUE = MAX_BURST_LEN;
// DEV_RD_OUTSTAND value
localparam [31:0] DEV_RD_OUTSTAND_VALUE = MAX_RD_OUTSTANDING;
// DEV_MAX_DESC_LEN value
localparam [31:0] DEV_MAX_DESC_LEN_VALUE = MAX_DESC_LEN;
// DEV_DESC_DEPTH value
localparam [31:0] DEV_DESC_DEPTH_VALUE = DESC_DEPTH;
// ring block selector: address bits [11:8]
localparam [3:0] TX_BLOCK = RING_TX_BASE[11:8];
// ring block selector: address bits [11:8]
localparam [3:0] RX_BLOCK = RING_RX_BASE[11:8];

initial begin
    if (DATA_WIDTH != 32 && DATA_WIDTH != 64 && DATA_WIDTH != 128 && DATA_WIDTH != 256) begin
        $fatal(1, "dma_csr: DATA_WIDTH must be 32, 64, 128 or 256, not %0d (instance %m)",
            DATA_WIDTH);
    end
end

// internal reset: external reset or the soft-reset pulse
reg  soft_rst_reg, soft_rst_next;
wire rst_int = rst || soft_rst_reg;

// ---------------------------------------------------------------------------
// AXI-Lite handshakes (reset by `rst` only: a soft reset never loses a response)
// ---------------------------------------------------------------------------
reg        bvalid_reg;
reg        rvalid_reg;
reg [31:0] rdata_reg;

wire do_write = s_axil_awvalid && s_axil_wvalid && !bvalid_reg;
wire do_read  = s_axil_arvalid && !rvalid_reg;

assign s_axil_awready = do_write;
assign s_axil_wready  = do_write;
assign s_axil_bresp   = 2'b00;
assign s_axil_bvalid  = bvalid_reg;
assign s_axil_arready = do_read;
assign s_axil_rdata   = rdata_reg;
assign s_axil_rresp   = 2'b00;
assign s_axil_rvalid  = rvalid_reg;

// protection bits carry no meaning here; registers are word aligned
wire [9:0] unused_prot = {s_axil_awprot, s_axil_arprot, s_axil_awaddr[1:0], s_axil_araddr[1:0]};

wire [11:0] waddr = {s_axil_awaddr[11:2], 2'b00};
wire [11:0] raddr = {s_axil_araddr[11:2], 2'b00};
wire [31:0] wmask = {{8{s_axil_wstrb[3]}}, {8{s_axil_wstrb[2]}},
                     {8{s_axil_wstrb[1]}}, {8{s_axil_wstrb[0]}}};
wire [31:0] wbits = s_axil_wdata & wmask;

// write strobes per register
wire we_ctrl   = do_write && waddr == REG_CTRL;
wire we_cline  = do_write && waddr == REG_CACHE_LINE;
wire we_wbdel  = do_write && waddr == REG_WB_DELAY;
wire we_irqs   = do_write && waddr == REG_IRQ_STATUS;
wire we_irqe   = do_write && waddr == REG_IRQ_ENABLE;
wire we_tx     = do_write && waddr[11:8] == TX_BLOCK;
wire we_rx     = do_write && waddr[11:8] == RX_BLOCK;
wire [11:0] woff = {4'd0, waddr[7:0]};

// ---------------------------------------------------------------------------
// Registers
// ---------------------------------------------------------------------------
reg        srst_pend_reg, srst_pend_next;
reg [31:0] cache_line_reg, cache_line_next;
reg [31:0] wb_delay_reg, wb_delay_next;
reg [4:0]  irq_status_reg, irq_status_next;
reg [4:0]  irq_enable_reg, irq_enable_next;
reg [31:0] rx_drop_count_reg, rx_drop_count_next;
reg [31:0] rx_err_count_reg, rx_err_count_next;
reg [31:0] wb_partial_count_reg, wb_partial_count_next;
reg [31:0] tx_base_lo_reg, tx_base_lo_next;
reg [31:0] tx_base_hi_reg, tx_base_hi_next;
reg [31:0] tx_size_reg, tx_size_next;
reg [31:0] tx_pkt_count_reg, tx_pkt_count_next;
reg [31:0] rx_base_lo_reg, rx_base_lo_next;
reg [31:0] rx_base_hi_reg, rx_base_hi_next;
reg [31:0] rx_size_reg, rx_size_next;
reg [31:0] rx_pkt_count_reg, rx_pkt_count_next;

// ring state machines
wire [1:0]  tx_state;
wire        tx_enable;
wire [7:0]  tx_status_code;
wire [15:0] tx_status_index;
wire        tx_stop_irq;
wire [1:0]  rx_state;
wire        rx_enable;
wire [7:0]  rx_status_code;
wire [15:0] rx_status_index;
wire        rx_stop_irq;

dma_ring_ctrl tx_ring_inst (
    .clk(clk),
    .rst(rst_int),
    .ctrl_we(we_tx && woff == RING_CTRL && s_axil_wstrb[0]),
    .ctrl_enable(s_axil_wdata[RING_CTRL_ENABLE]),
    .tail_we(we_tx && woff == RING_TAIL && (|s_axil_wstrb[1:0])),
    .tail_wdata((tx_tail & ~wmask[15:0]) | wbits[15:0]),
    .force_drain(srst_pend_reg),
    .cfg_base({tx_base_hi_reg, tx_base_lo_reg}),
    .cfg_size_log2(tx_size_reg),
    .cfg_cache_line(cache_line_reg),
    .head(tx_head),
    .busy(tx_busy),
    .err_valid(tx_err_valid),
    .err_code(tx_err_code),
    .err_index(tx_err_index),
    .ring_state(tx_state),
    .enable(tx_enable),
    .run(tx_run),
    .clear(tx_clear),
    .base(tx_base),
    .size_log2(tx_size_log2),
    .line_log2(tx_line_log2),
    .tail(tx_tail),
    .status_err_code(tx_status_code),
    .status_err_index(tx_status_index),
    .stop_irq(tx_stop_irq)
);

dma_ring_ctrl rx_ring_inst (
    .clk(clk),
    .rst(rst_int),
    .ctrl_we(we_rx && woff == RING_CTRL && s_axil_wstrb[0]),
    .ctrl_enable(s_axil_wdata[RING_CTRL_ENABLE]),
    .tail_we(we_rx && woff == RING_TAIL && (|s_axil_wstrb[1:0])),
    .tail_wdata((rx_tail & ~wmask[15:0]) | wbits[15:0]),
    .force_drain(srst_pend_reg),
    .cfg_base({rx_base_hi_reg, rx_base_lo_reg}),
    .cfg_size_log2(rx_size_reg),
    .cfg_cache_line(cache_line_reg),
    .head(rx_head),
    .busy(rx_busy),
    .err_valid(rx_err_valid),
    .err_code(rx_err_code),
    .err_index(rx_err_index),
    .ring_state(rx_state),
    .enable(rx_enable),
    .run(rx_run),
    .clear(rx_clear),
    .base(rx_base),
    .size_log2(rx_size_log2),
    .line_log2(rx_line_log2),
    .tail(rx_tail),
    .status_err_code(rx_status_code),
    .status_err_index(rx_status_index),
    .stop_irq(rx_stop_irq)
);

// merge the written bytes into a register value
function [31:0] merge;
    input [31:0] old;
    input [31:0] mask;
    input [31:0] bits;
    begin
        merge = (old & ~mask) | bits;
    end
endfunction

reg [4:0] irq_set;

always @* begin
    srst_pend_next        = srst_pend_reg;
    cache_line_next       = cache_line_reg;
    wb_delay_next         = wb_delay_reg;
    irq_enable_next       = irq_enable_reg;
    tx_base_lo_next       = tx_base_lo_reg;
    tx_base_hi_next       = tx_base_hi_reg;
    tx_size_next          = tx_size_reg;
    rx_base_lo_next       = rx_base_lo_reg;
    rx_base_hi_next       = rx_base_hi_reg;
    rx_size_next          = rx_size_reg;

    if (we_ctrl && wbits[CTRL_SOFT_RESET]) begin
        srst_pend_next = 1'b1;
    end
    if (we_cline) begin
        cache_line_next = merge(cache_line_reg, wmask, wbits);
    end
    if (we_wbdel) begin
        wb_delay_next = merge(wb_delay_reg, wmask, wbits);
    end
    if (we_irqe) begin
        irq_enable_next = wbits[4:0] | (irq_enable_reg & ~wmask[4:0]);
    end
    if (we_tx && woff == RING_BASE_LO) begin
        tx_base_lo_next = merge(tx_base_lo_reg, wmask, wbits);
    end
    if (we_tx && woff == RING_BASE_HI) begin
        tx_base_hi_next = merge(tx_base_hi_reg, wmask, wbits);
    end
    if (we_tx && woff == RING_SIZE_LOG2) begin
        tx_size_next = merge(tx_size_reg, wmask, wbits);
    end
    if (we_rx && woff == RING_BASE_LO) begin
        rx_base_lo_next = merge(rx_base_lo_reg, wmask, wbits);
    end
    if (we_rx && woff == RING_BASE_HI) begin
        rx_base_hi_next = merge(rx_base_hi_reg, wmask, wbits);
    end
    if (we_rx && woff == RING_SIZE_LOG2) begin
        rx_size_next = merge(rx_size_reg, wmask, wbits);
    end

    // interrupt status: events set, W1C clears (an event wins over a clear)
    irq_set = 5'd0;
    irq_set[IRQ_TX_DONE] = tx_done_irq;
    irq_set[IRQ_RX_DONE] = rx_done_irq;
    irq_set[IRQ_TX_ERR]  = tx_stop_irq;
    irq_set[IRQ_RX_ERR]  = rx_stop_irq;
    irq_set[IRQ_RX_DROP] = rx_drop_inc;
    irq_status_next = irq_status_reg;
    if (we_irqs) begin
        irq_status_next = irq_status_next & ~wbits[4:0];
    end
    irq_status_next = irq_status_next | irq_set;

    // counters
    rx_drop_count_next    = rx_drop_count_reg + {31'd0, rx_drop_inc};
    rx_err_count_next     = rx_err_count_reg + {31'd0, rx_err_inc};
    wb_partial_count_next = wb_partial_count_reg + {31'd0, tx_partial_inc}
                            + {31'd0, rx_partial_inc};
    tx_pkt_count_next     = tx_pkt_count_reg + {24'd0, tx_pkt_inc};
    rx_pkt_count_next     = rx_pkt_count_reg + {24'd0, rx_pkt_inc};

    // soft reset: both rings drained and nothing in flight anywhere
    soft_rst_next = srst_pend_reg && !soft_rst_reg
                    && tx_state == RING_STATE_DRAIN && rx_state == RING_STATE_DRAIN
                    && !tx_busy && !rx_busy && rx_boundary && !rd_busy && !wr_busy;
end

// Events that move the interrupt status (a W1C write or an interrupt source)
wire irq_upd = we_irqs || tx_done_irq || rx_done_irq || tx_stop_irq || rx_stop_irq
               || rx_drop_inc;

// a counter moves
wire cnt_upd = rx_drop_inc || rx_err_inc || tx_partial_inc || rx_partial_inc
               || tx_pkt_inc != 8'd0 || rx_pkt_inc != 8'd0;
// nothing below changes in a cycle without one of these
wire touch   = rst || rst_int || do_write || do_read || bvalid_reg || rvalid_reg
               || soft_rst_next || irq_upd || cnt_upd;

// Registers are loaded only in a cycle that changes them (the block is skipped in
// every other cycle), and the read mux is evaluated only for a read: Icarus pays
// for every statement it runs, and would re-run a combinational read mux whenever
// HEAD or a counter moves.
always @(posedge clk) begin
    if (touch) begin
        if (rst) begin
            bvalid_reg   <= 1'b0;
            rvalid_reg   <= 1'b0;
            soft_rst_reg <= 1'b0;
        end else begin
            soft_rst_reg <= soft_rst_next;
            if (do_write) begin
                bvalid_reg <= 1'b1;
            end else if (s_axil_bready) begin
                bvalid_reg <= 1'b0;
            end
            if (do_read) begin
                rvalid_reg <= 1'b1;
            end else if (s_axil_rready) begin
                rvalid_reg <= 1'b0;
            end
        end
        if (do_read) begin
            case (raddr)
                REG_DEV_ID:           rdata_reg <= DEV_ID_VALUE;
                REG_DEV_DATA_BYTES:   rdata_reg <= DEV_DATA_BYTES_VALUE;
                REG_DEV_MAX_BURST:    rdata_reg <= DEV_MAX_BURST_VALUE;
                REG_DEV_RD_OUTSTAND:  rdata_reg <= DEV_RD_OUTSTAND_VALUE;
                REG_DEV_MAX_DESC_LEN: rdata_reg <= DEV_MAX_DESC_LEN_VALUE;
                REG_DEV_DESC_DEPTH:   rdata_reg <= DEV_DESC_DEPTH_VALUE;
                REG_CTRL:             rdata_reg <= {31'd0, srst_pend_reg};
                REG_CACHE_LINE:       rdata_reg <= cache_line_reg;
                REG_WB_DELAY:         rdata_reg <= wb_delay_reg;
                REG_IRQ_STATUS:       rdata_reg <= {27'd0, irq_status_reg};
                REG_IRQ_ENABLE:       rdata_reg <= {27'd0, irq_enable_reg};
                REG_RX_DROP_COUNT:    rdata_reg <= rx_drop_count_reg;
                REG_RX_ERR_COUNT:     rdata_reg <= rx_err_count_reg;
                REG_WB_PARTIAL_COUNT: rdata_reg <= wb_partial_count_reg;
                RING_TX_BASE + RING_BASE_LO:   rdata_reg <= tx_base_lo_reg;
                RING_TX_BASE + RING_BASE_HI:   rdata_reg <= tx_base_hi_reg;
                RING_TX_BASE + RING_SIZE_LOG2: rdata_reg <= tx_size_reg;
                RING_TX_BASE + RING_CTRL:      rdata_reg <= {31'd0, tx_enable};
                RING_TX_BASE + RING_TAIL:      rdata_reg <= {16'd0, tx_tail};
                RING_TX_BASE + RING_HEAD:      rdata_reg <= {16'd0, tx_head};
                RING_TX_BASE + RING_STATUS:    rdata_reg <= {tx_status_index, tx_status_code, 6'd0, tx_state};
                RING_TX_BASE + RING_PKT_COUNT: rdata_reg <= tx_pkt_count_reg;
                RING_RX_BASE + RING_BASE_LO:   rdata_reg <= rx_base_lo_reg;
                RING_RX_BASE + RING_BASE_HI:   rdata_reg <= rx_base_hi_reg;
                RING_RX_BASE + RING_SIZE_LOG2: rdata_reg <= rx_size_reg;
                RING_RX_BASE + RING_CTRL:      rdata_reg <= {31'd0, rx_enable};
                RING_RX_BASE + RING_TAIL:      rdata_reg <= {16'd0, rx_tail};
                RING_RX_BASE + RING_HEAD:      rdata_reg <= {16'd0, rx_head};
                RING_RX_BASE + RING_STATUS:    rdata_reg <= {rx_status_index, rx_status_code, 6'd0, rx_state};
                RING_RX_BASE + RING_PKT_COUNT: rdata_reg <= rx_pkt_count_reg;
                default:                       rdata_reg <= 32'd0;
            endcase
        end

        if (rst_int) begin
            srst_pend_reg        <= 1'b0;
            cache_line_reg       <= CACHE_LINE_RESET;
            wb_delay_reg         <= WB_DELAY_RESET;
            irq_status_reg       <= 5'd0;
            irq_enable_reg       <= 5'd0;
            rx_drop_count_reg    <= 32'd0;
            rx_err_count_reg     <= 32'd0;
            wb_partial_count_reg <= 32'd0;
            tx_base_lo_reg       <= 32'd0;
            tx_base_hi_reg       <= 32'd0;
            tx_size_reg          <= 32'd0;
            tx_pkt_count_reg     <= 32'd0;
            rx_base_lo_reg       <= 32'd0;
            rx_base_hi_reg       <= 32'd0;
            rx_size_reg          <= 32'd0;
            rx_pkt_count_reg     <= 32'd0;
        end else begin
            if (do_write) begin
                srst_pend_reg    <= srst_pend_next;
                cache_line_reg   <= cache_line_next;
                wb_delay_reg     <= wb_delay_next;
                irq_enable_reg   <= irq_enable_next;
                tx_base_lo_reg   <= tx_base_lo_next;
                tx_base_hi_reg   <= tx_base_hi_next;
                tx_size_reg      <= tx_size_next;
                rx_base_lo_reg   <= rx_base_lo_next;
                rx_base_hi_reg   <= rx_base_hi_next;
                rx_size_reg      <= rx_size_next;
            end
            if (irq_upd) begin
                irq_status_reg <= irq_status_next;
            end
            if (rx_drop_inc) begin
                rx_drop_count_reg <= rx_drop_count_next;
            end
            if (rx_err_inc) begin
                rx_err_count_reg <= rx_err_count_next;
            end
            if (tx_partial_inc || rx_partial_inc) begin
                wb_partial_count_reg <= wb_partial_count_next;
            end
            if (tx_pkt_inc != 8'd0) begin
                tx_pkt_count_reg <= tx_pkt_count_next;
            end
            if (rx_pkt_inc != 8'd0) begin
                rx_pkt_count_reg <= rx_pkt_count_next;
            end
        end
    end
end

assign soft_rst = soft_rst_reg;
assign quiesce  = srst_pend_reg;
assign wb_delay = wb_delay_reg;
assign irq      = |(irq_status_reg & irq_enable_reg);

endmodule

`resetall
