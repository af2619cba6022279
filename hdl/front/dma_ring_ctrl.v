`resetall
`timescale 1ns / 1ps
`default_nettype none

// dma_ring_ctrl -- state machine of one descriptor ring (IDLE/RUN/DRAIN/STOPPED).
//
// Owns the ring's CTRL.ENABLE bit and TAIL doorbell, samples the configuration
// (BASE, SIZE_LOG2, CACHE_LINE) when the ring is enabled, checks it, and
// latches the first error reported by one of the ring's units (or a TAIL
// overrun) as (code, index).
//
//   IDLE     CTRL.ENABLE=1 -> start: `clear` pulses for one cycle (units empty
//            their FIFOs, indices and TAIL go to 0), configuration sampled and
//            checked: good -> RUN, bad -> STOPPED with ERR_BAD_CONFIG.
//   RUN      `run` = 1. An error or a TAIL overrun -> DRAIN; ENABLE=0 -> DRAIN.
//   DRAIN    `run` = 0. When `busy` is low: STOPPED if an error was latched
//            (`stop_irq` pulses), else IDLE.
//   STOPPED  a write of CTRL with ENABLE=1 restarts (as from IDLE); with
//            ENABLE=0 -> IDLE.
// `force_drain` (soft reset pending) sends every state to DRAIN and holds it
// there; the soft reset itself then resets this module.
//
// TAIL: a write in RUN is accepted only when TAIL - HEAD (mod 2**16) stays
// within the ring size and TAIL does not move backwards; otherwise the ring
// stops with ERR_TAIL_OVERRUN (index = the TAIL value written) and TAIL keeps
// its old value (so no unit ever sees a TAIL beyond the ring). Writes in other
// states are stored as they are (a start sets TAIL to 0 anyway).
module dma_ring_ctrl (
    input  wire        clk,
    input  wire        rst,

    // register writes (from dma_csr)
    input  wire        ctrl_we,
    input  wire        ctrl_enable,      // CTRL.ENABLE value being written
    input  wire        tail_we,
    input  wire [15:0] tail_wdata,
    input  wire        force_drain,

    // configuration registers (sampled at start)
    input  wire [63:0] cfg_base,
    input  wire [31:0] cfg_size_log2,
    input  wire [31:0] cfg_cache_line,

    // from the ring's units
    input  wire [15:0] head,
    input  wire        busy,
    input  wire [2:0]  err_valid,        // one per unit, lowest index wins a tie
    input  wire [23:0] err_code,         // unit u: [u*8 +: 8]
    input  wire [47:0] err_index,        // unit u: [u*16 +: 16]

    // state and sampled configuration
    output wire [1:0]  ring_state,
    output wire        enable,
    output wire        run,
    output wire        clear,
    output wire [63:0] base,
    output wire [3:0]  size_log2,
    output wire [1:0]  line_log2,        // log2(descriptors per cache line): 1, 2 or 3
    output wire [15:0] tail,
    output wire [7:0]  status_err_code,
    output wire [15:0] status_err_index,
    output wire        stop_irq          // pulse: the ring entered STOPPED
);

/* verilator lint_off UNUSEDPARAM */
`include "dma_regs.vh"
/* verilator lint_on UNUSEDPARAM */

// ring states (the encoding of RING_STATUS[1:0])
localparam [1:0] ST_IDLE    = RING_STATE_IDLE;
localparam [1:0] ST_RUN     = RING_STATE_RUN;
localparam [1:0] ST_DRAIN   = RING_STATE_DRAIN;
localparam [1:0] ST_STOPPED = RING_STATE_STOPPED;

reg [1:0]  ring_state_reg, ring_state_next;
reg        enable_reg, enable_next;
reg        clear_reg, clear_next;
reg        stop_irq_reg, stop_irq_next;
reg [15:0] tail_reg, tail_next;
reg        err_flag_reg, err_flag_next;
reg [7:0]  err_code_reg, err_code_next;
reg [15:0] err_index_reg, err_index_next;
reg [63:0] base_reg, base_next;
reg [3:0]  size_log2_reg, size_log2_next;
reg [1:0]  line_log2_reg, line_log2_next;

reg        start;
reg        cfg_ok;
reg [1:0]  cfg_line_log2;
reg [15:0] ring_size;
reg [15:0] diff_new;
reg [15:0] diff_old;
reg        overrun;
reg        unit_err;
reg [7:0]  unit_code;
reg [15:0] unit_index;

always @* begin
    // ---- configuration check ----
    cfg_line_log2 = 2'd0;
    case (cfg_cache_line)
        32'd32:  cfg_line_log2 = 2'd1;
        32'd64:  cfg_line_log2 = 2'd2;
        32'd128: cfg_line_log2 = 2'd3;
        default: cfg_line_log2 = 2'd0;
    endcase
    cfg_ok = cfg_line_log2 != 2'd0
             && (cfg_base[6:0] & (cfg_cache_line[6:0] - 7'd1)) == 7'd0
             && cfg_size_log2 <= 32'd15
             && cfg_size_log2 >= {30'd0, cfg_line_log2};

    // ---- TAIL overrun (checked against the sampled ring size) ----
    ring_size = 16'd1 << size_log2_reg;
    diff_new  = tail_wdata - head;
    diff_old  = tail_reg - head;
    overrun   = tail_we && ring_state_reg == ST_RUN
                && (diff_new > ring_size || diff_new < diff_old);

    // ---- first error of the units, lowest index first ----
    unit_err   = |err_valid;
    unit_code  = err_code[7:0];
    unit_index = err_index[15:0];
    if (!err_valid[0] && err_valid[1]) begin
        unit_code  = err_code[15:8];
        unit_index = err_index[31:16];
    end else if (!err_valid[0] && !err_valid[1]) begin
        unit_code  = err_code[23:16];
        unit_index = err_index[47:32];
    end

    ring_state_next = ring_state_reg;
    enable_next     = ctrl_we ? ctrl_enable : enable_reg;
    clear_next      = 1'b0;
    stop_irq_next   = 1'b0;
    tail_next       = tail_reg;
    err_flag_next   = err_flag_reg;
    err_code_next   = err_code_reg;
    err_index_next  = err_index_reg;
    base_next       = base_reg;
    size_log2_next  = size_log2_reg;
    line_log2_next  = line_log2_reg;
    start           = 1'b0;

    if (tail_we && !overrun) begin
        tail_next = tail_wdata;
    end

    // latch the first error while the ring is running or draining
    if ((ring_state_reg == ST_RUN || ring_state_reg == ST_DRAIN) && !err_flag_reg) begin
        if (overrun) begin
            err_flag_next  = 1'b1;
            err_code_next  = ERR_TAIL_OVERRUN;
            err_index_next = tail_wdata;
        end else if (unit_err) begin
            err_flag_next  = 1'b1;
            err_code_next  = unit_code;
            err_index_next = unit_index;
        end
    end

    case (ring_state_reg)
        ST_IDLE: begin
            if (force_drain) begin
                ring_state_next = ST_DRAIN;
            end else if (enable_next) begin
                start = 1'b1;
            end
        end
        ST_RUN: begin
            if (force_drain || !enable_next || overrun || unit_err) begin
                ring_state_next = ST_DRAIN;
            end
        end
        ST_DRAIN: begin
            if (!busy && !force_drain) begin
                if (err_flag_reg) begin
                    ring_state_next = ST_STOPPED;
                    stop_irq_next   = 1'b1;
                end else begin
                    ring_state_next = ST_IDLE;
                end
            end
        end
        default: begin // ST_STOPPED
            if (force_drain) begin
                ring_state_next = ST_DRAIN;
            end else if (ctrl_we) begin
                if (ctrl_enable) begin
                    start = 1'b1;
                end else begin
                    ring_state_next = ST_IDLE;
                end
            end
        end
    endcase

    if (start) begin
        clear_next     = 1'b1;
        tail_next      = 16'd0;
        base_next      = cfg_base;
        size_log2_next = cfg_size_log2[3:0];
        line_log2_next = cfg_line_log2;
        if (cfg_ok) begin
            ring_state_next = ST_RUN;
            err_flag_next   = 1'b0;
            err_code_next   = ERR_NONE;
            err_index_next  = 16'd0;
        end else begin
            ring_state_next = ST_STOPPED;
            stop_irq_next   = 1'b1;
            err_flag_next   = 1'b1;
            err_code_next   = ERR_BAD_CONFIG;
            err_index_next  = 16'd0;
            // keep the unit arithmetic in range whatever was written
            line_log2_next  = 2'd2;
            size_log2_next  = 4'd15;
        end
    end
end

// Nothing above moves unless a register is written, a unit reports an error, a
// soft reset is pending, a pulse must end, the ring drains, or the ring is idle
// with ENABLE set; the clocked block is skipped in every other cycle (Icarus pays
// for every statement it runs).
wire ctrl_upd = ctrl_we || tail_we || (|err_valid) || force_drain || clear_reg || stop_irq_reg
                || ring_state_reg == ST_DRAIN || (ring_state_reg == ST_IDLE && enable_reg)
                || (ring_state_reg == ST_RUN && !enable_reg);

always @(posedge clk) begin
    if (start) begin
        base_reg <= base_next;
    end

    if (rst) begin
        size_log2_reg  <= 4'd0;
        line_log2_reg  <= 2'd2;
        ring_state_reg <= ST_IDLE;
        enable_reg     <= 1'b0;
        clear_reg      <= 1'b0;
        stop_irq_reg   <= 1'b0;
        tail_reg       <= 16'd0;
        err_flag_reg   <= 1'b0;
        err_code_reg   <= ERR_NONE;
        err_index_reg  <= 16'd0;
    end else if (ctrl_upd) begin
        size_log2_reg  <= size_log2_next;
        line_log2_reg  <= line_log2_next;
        ring_state_reg <= ring_state_next;
        enable_reg     <= enable_next;
        clear_reg      <= clear_next;
        stop_irq_reg   <= stop_irq_next;
        tail_reg       <= tail_next;
        err_flag_reg   <= err_flag_next;
        err_code_reg   <= err_code_next;
        err_index_reg  <= err_index_next;
    end
end

assign ring_state       = ring_state_reg;
assign enable           = enable_reg;
// units see `clear` alone in the first cycle of RUN
assign run              = ring_state_reg == ST_RUN && !clear_reg;
assign clear            = clear_reg;
assign base             = base_reg;
assign size_log2        = size_log2_reg;
assign line_log2        = line_log2_reg;
assign tail             = tail_reg;
assign status_err_code  = err_code_reg;
assign status_err_index = err_index_reg;
assign stop_irq         = stop_irq_reg;

endmodule

`resetall
