// dma_defs.vh -- encodings the engine's modules share with each other (Verilog only).
//
// The register map and descriptor layout, which the host sees, are in dma_regs.vh
// (with a Python copy). This file names what crosses the boundaries *inside* the
// engine: which back-end client port each unit uses, the kinds of the TX
// in-flight queue, which slot of a ring's error vectors belongs to which unit,
// the descriptor status values the movers write, and the RX gather window (the
// one value here the host model needs: tb/checkers/completion_rules.py
// RX_WINDOW). tests/test_hdl_encodings.py parses this file, checks the Python
// copy and hdl/README.md against it, and checks that no module writes one of
// these values as a bare literal.
//
// Include it inside a module body, after dma_regs.vh (STS_* use its bit numbers):
//     `include "dma_regs.vh"
//     `include "dma_defs.vh"

// ---------------------------------------------------------------------------
// Back-end clients: the index c of a unit's port on dma_axi_rd / dma_axi_wr
// (bits [c*W +: W] of each flattened vector). The AXI ID of a burst is its
// client index, so these are also the engine's ARID / AWID values.
// ---------------------------------------------------------------------------
localparam integer RD_CLIENT_TX_DESC   = 0;  // dma_desc_fetch, TX ring
localparam integer RD_CLIENT_RX_DESC   = 1;  // dma_desc_fetch, RX ring
localparam integer RD_CLIENT_TX_DATA   = 2;  // dma_tx: packet data
localparam integer RD_CLIENTS          = 3;  // read clients of dma_axi_rd

localparam integer WR_CLIENT_RX_DATA   = 0;  // dma_rx: packet data into posted buffers
localparam integer WR_CLIENT_TX_WB     = 1;  // dma_cpl_write, TX ring: descriptor write-back
localparam integer WR_CLIENT_RX_WB     = 2;  // dma_cpl_write, RX ring: descriptor write-back
localparam integer WR_CLIENTS          = 3;  // write clients of dma_axi_wr

// ---------------------------------------------------------------------------
// Ring units: slot u of a ring's error vectors (err_valid[u],
// err_code[u*8 +: 8], err_index[u*16 +: 16]) into dma_ring_ctrl, where the
// lowest slot wins when two units report in the same cycle.
// ---------------------------------------------------------------------------
localparam integer RING_UNIT_FETCH     = 0;  // dma_desc_fetch
localparam integer RING_UNIT_MOVER     = 1;  // dma_tx / dma_rx
localparam integer RING_UNIT_WB        = 2;  // dma_cpl_write
localparam integer RING_UNITS          = 3;

// ---------------------------------------------------------------------------
// TX in-flight queue (dma_tx_issue -> dma_tx_return): the kind of an entry
// ---------------------------------------------------------------------------
localparam integer TXQ_KIND_BITS       = 2;
localparam [1:0]   TXQ_KIND_DATA       = 2'd0;  // one chunk of a data descriptor, one read
localparam [1:0]   TXQ_KIND_NOP        = 2'd1;  // a NOP descriptor: completes at once
localparam [1:0]   TXQ_KIND_ZERO       = 2'd2;  // LEN 0: ERR_ZERO_LEN, the ring stops
localparam [1:0]   TXQ_KIND_LONG       = 2'd3;  // LEN > MAX_DESC_LEN: ERR_TOO_LONG
// bits of an entry's beat count (a chunk is at most 4 KiB + one beat)
localparam integer TXQ_BEAT_BITS       = 12;

// ---------------------------------------------------------------------------
// Descriptor STATUS byte values the movers hand to dma_cpl_write
// ---------------------------------------------------------------------------
localparam [7:0] STS_DONE              = 8'd1 << DESC_STS_DONE;
localparam [7:0] STS_EOP               = 8'd1 << DESC_STS_EOP;
localparam [7:0] STS_ERR               = 8'd1 << DESC_STS_ERR;

// ---------------------------------------------------------------------------
// RX: descriptors dma_rx gathers for one packet at most (more -> the packet is
// dropped and counted). The driver model relies on it (a bad descriptor ends
// the packets gathered up to RX_WINDOW - 1 descriptors before it).
// ---------------------------------------------------------------------------
localparam integer RX_WINDOW           = 8;
