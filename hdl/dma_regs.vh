// dma_regs.vh -- register map and descriptor layout of dma_engine (Verilog copy).
//
// The one other copy is pymodel/device.py; tests/test_regmap_agreement.py parses
// this file and proves the two agree. Include it inside a module body:
//     `include "dma_regs.vh"
// Every name is a localparam, so the including module stays Verilog-2005 clean.

// ---------------------------------------------------------------------------
// AXI-Lite register map (32-bit registers, byte offsets)
// ---------------------------------------------------------------------------
localparam [11:0] REG_DEV_ID           = 12'h000;  // RO  DEV_ID_VALUE
localparam [11:0] REG_DEV_DATA_BYTES   = 12'h004;  // RO  AXI data width in bytes
localparam [11:0] REG_DEV_MAX_BURST    = 12'h008;  // RO  maximum AXI burst length in beats
localparam [11:0] REG_DEV_RD_OUTSTAND  = 12'h00C;  // RO  maximum outstanding AXI read bursts
localparam [11:0] REG_DEV_MAX_DESC_LEN = 12'h010;  // RO  MAX_DESC_LEN
localparam [11:0] REG_DEV_DESC_DEPTH   = 12'h014;  // RO  descriptor cache entries per ring
localparam [11:0] REG_CTRL             = 12'h020;  // RW  bit CTRL_SOFT_RESET (reads 1 until done)
localparam [11:0] REG_CACHE_LINE       = 12'h024;  // RW  cache-line size in bytes: 32, 64 or 128
localparam [11:0] REG_WB_DELAY         = 12'h028;  // RW  cycles a part-completed line may wait
localparam [11:0] REG_IRQ_STATUS       = 12'h02C;  // W1C IRQ_* bits
localparam [11:0] REG_IRQ_ENABLE       = 12'h030;  // RW  IRQ_* bits; irq = |(STATUS & ENABLE)
localparam [11:0] REG_RX_DROP_COUNT    = 12'h034;  // RO  packets dropped: no buffer, ring stopped
localparam [11:0] REG_RX_ERR_COUNT     = 12'h038;  // RO  packets dropped: tuser error, overlong, bad tkeep
localparam [11:0] REG_WB_PARTIAL_COUNT = 12'h03C;  // RO  descriptor write-backs shorter than a line

// Ring register blocks: TX at RING_TX_BASE, RX at RING_RX_BASE, same layout.
localparam [11:0] RING_TX_BASE         = 12'h100;
localparam [11:0] RING_RX_BASE         = 12'h200;
localparam [11:0] RING_BASE_LO         = 12'h000;  // RW  ring logical address [31:0]
localparam [11:0] RING_BASE_HI         = 12'h004;  // RW  ring logical address [63:32]
localparam [11:0] RING_SIZE_LOG2       = 12'h008;  // RW  ring holds 2**n descriptors
localparam [11:0] RING_CTRL            = 12'h00C;  // RW  bit RING_CTRL_ENABLE
localparam [11:0] RING_TAIL            = 12'h010;  // RW  producer index (free-running 16 bit), doorbell
localparam [11:0] RING_HEAD            = 12'h014;  // RO  descriptors written back (free-running 16 bit)
localparam [11:0] RING_STATUS          = 12'h018;  // RO  [1:0] state, [15:8] error code, [31:16] error index
localparam [11:0] RING_PKT_COUNT       = 12'h01C;  // RO  packets completed (written back with EOP)

localparam [31:0] DEV_ID_VALUE         = 32'h444D_4131;  // "DMA1"
localparam integer CTRL_SOFT_RESET     = 0;
localparam integer RING_CTRL_ENABLE    = 0;

// RING_STATUS[1:0]
localparam [1:0] RING_STATE_IDLE       = 2'd0;  // disabled, nothing in flight
localparam [1:0] RING_STATE_RUN        = 2'd1;  // enabled and working
localparam [1:0] RING_STATE_DRAIN      = 2'd2;  // stopping: waiting for transactions to retire
localparam [1:0] RING_STATE_STOPPED    = 2'd3;  // stopped on an error, nothing in flight

// IRQ_STATUS / IRQ_ENABLE bits
localparam integer IRQ_TX_DONE         = 0;  // a TX descriptor with DESC_CTRL_IRQ was written back
localparam integer IRQ_RX_DONE         = 1;  // an RX descriptor with DESC_CTRL_IRQ was written back
localparam integer IRQ_TX_ERR          = 2;  // the TX ring stopped on an error
localparam integer IRQ_RX_ERR          = 3;  // the RX ring stopped on an error
localparam integer IRQ_RX_DROP         = 4;  // an RX packet was dropped and counted

// Reset values
localparam [31:0] CACHE_LINE_RESET     = 32'd64;
localparam [31:0] WB_DELAY_RESET       = 32'd256;

// ---------------------------------------------------------------------------
// Descriptor: 16 bytes, little-endian, same layout for TX and RX rings
// ---------------------------------------------------------------------------
localparam integer DESC_BYTES          = 16;
localparam integer DESC_ADDR_LSB       = 0;    // [63:0]    buffer logical address      (driver)
localparam integer DESC_ADDR_BITS      = 64;
localparam integer DESC_LEN_LSB        = 64;   // [79:64]   TX bytes to send / RX buffer size (driver)
localparam integer DESC_LEN_BITS       = 16;
localparam integer DESC_CTRL_LSB       = 80;   // [87:80]   DESC_CTRL_* flags             (driver)
localparam integer DESC_CTRL_BITS      = 8;
localparam integer DESC_WB_LEN_LSB     = 96;   // [111:96]  bytes moved                  (device)
localparam integer DESC_WB_LEN_BITS    = 16;
localparam integer DESC_STATUS_LSB     = 112;  // [119:112] DESC_STS_* flags             (device)
localparam integer DESC_STATUS_BITS    = 8;
localparam integer DESC_ERR_LSB        = 120;  // [127:120] ERR_* code                    (device)
localparam integer DESC_ERR_BITS       = 8;

// DESC_CTRL bits (driver-written)
localparam integer DESC_CTRL_EOP       = 0;  // TX: last buffer of the packet (RX: ignored)
localparam integer DESC_CTRL_IRQ       = 1;  // raise IRQ_*_DONE when this descriptor is written back
localparam integer DESC_CTRL_NOP       = 2;  // TX: no data, complete at once (pads a cache line)

// DESC_STATUS bits (device-written)
localparam integer DESC_STS_DONE       = 0;  // the device has finished with the descriptor
localparam integer DESC_STS_EOP        = 1;  // last buffer of a packet
localparam integer DESC_STS_ERR        = 2;  // see DESC_ERR code

// Limits
localparam integer MAX_DESC_LEN        = 16384;  // longest buffer one descriptor may name
localparam integer MAX_RX_PKT_LEN      = 16383;  // longer RX packets are dropped and counted

// Error codes: DESC_ERR and RING_STATUS[15:8]
localparam [7:0] ERR_NONE              = 8'd0;
localparam [7:0] ERR_DESC_READ         = 8'd1;  // bus error reading descriptors
localparam [7:0] ERR_DATA_READ         = 8'd2;  // bus error reading TX data
localparam [7:0] ERR_DATA_WRITE        = 8'd3;  // bus error writing RX data
localparam [7:0] ERR_WB_WRITE          = 8'd4;  // bus error writing descriptors back
localparam [7:0] ERR_ZERO_LEN          = 8'd5;  // descriptor length 0 (and not NOP)
localparam [7:0] ERR_TOO_LONG          = 8'd6;  // descriptor length > MAX_DESC_LEN
localparam [7:0] ERR_BAD_CONFIG        = 8'd7;  // ring base, size or cache-line size invalid
localparam [7:0] ERR_TAIL_OVERRUN      = 8'd8;  // TAIL moved more than the ring size past HEAD
