// memcpy_dma_defs.vh -- the register map and descriptor layout of memcpy_dma (Verilog copy).
//
// The Python copy is examples/memcpy_dma/layout.py; tests/test_examples.py parses
// this file and proves the two agree. Include it inside the module body.

// registers: byte offsets on the register port
localparam [3:0] REG_DESC_LO      = 4'h0;  // first descriptor's address, bits 31:0
localparam [3:0] REG_DESC_HI      = 4'h4;  // first descriptor's address, bits 63:32
localparam [3:0] REG_CTRL         = 4'h8;  // control: the CTRL_* bits below
localparam integer CTRL_START     = 0;     // follow the chain from DESC (ignored while busy)
localparam integer CTRL_IRQ_CLEAR = 1;     // clear irq

// descriptor: 32 bytes in host memory, 32-byte aligned, little-endian
localparam integer DESC_BYTES     = 32;    // size of a descriptor
localparam integer DESC_SRC       = 0;     // 64-bit source address, aligned to the bus width
localparam integer DESC_DST       = 8;     // 64-bit destination address, aligned to the bus width
localparam integer DESC_NEXT      = 16;    // 64-bit address of the next descriptor, 0 = last
localparam integer DESC_LEN       = 24;    // 32-bit byte count
localparam integer DESC_STATUS    = 28;    // 32-bit status, written by the engine

// STATUS bits and error codes (also on the `error` output)
localparam integer STATUS_DONE    = 31;    // the engine is done with the descriptor
localparam integer STATUS_ERR     = 30;    // the copy failed; bits 1:0 say why
localparam [1:0] ERR_NONE         = 2'd0;  // no error
localparam [1:0] ERR_DESC         = 2'd1;  // the descriptor could not be read (STATUS not written)
localparam [1:0] ERR_SRC          = 2'd2;  // a source read answered SLVERR or DECERR
localparam [1:0] ERR_DST          = 2'd3;  // a destination (or STATUS) write answered an error
