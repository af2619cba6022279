// tb_checker_rules.vh -- rule codes of the bus-protocol checkers (Verilog copy).
//
// tb_axi4_checker, tb_axil_checker and tb_axis_checker report the first rule
// they see broken on `violation_rule[7:0]`. The one other copy is
// tb/checkers/protocol_rules.py (ProtocolRule, whose descriptions are these
// comments word for word); tests/test_checker_rules_agreement.py parses this
// file and proves the two agree. Include it inside a module body:
//     `include "tb_checker_rules.vh"
// When several rules break in the same cycle the lowest code is reported
// (all of them are counted in `violation_count`).
// Codes 0x01-0x1F: AXI4; 0x40-0x5F: AXI-Lite; 0x60-0x7F: AXI-Stream.
// The *_NOT_DRAINED codes are reported by the Python watcher at the end of a
// test (ProtocolChecker.check_drained), from the checker's `pending` count.

localparam [7:0] RULE_NONE                 = 8'h00;  // no violation

// ---------------------------------------------------------------------------
// AXI4 (tb_axi4_checker)
// ---------------------------------------------------------------------------
localparam [7:0] RULE_AXI_AW_VALID_DROPPED = 8'h01;  // AWVALID fell before AWREADY
localparam [7:0] RULE_AXI_W_VALID_DROPPED  = 8'h02;  // WVALID fell before WREADY
localparam [7:0] RULE_AXI_B_VALID_DROPPED  = 8'h03;  // BVALID fell before BREADY
localparam [7:0] RULE_AXI_AR_VALID_DROPPED = 8'h04;  // ARVALID fell before ARREADY
localparam [7:0] RULE_AXI_R_VALID_DROPPED  = 8'h05;  // RVALID fell before RREADY
localparam [7:0] RULE_AXI_AW_CHANGED       = 8'h06;  // AW payload changed while AWVALID waited for AWREADY
localparam [7:0] RULE_AXI_W_CHANGED        = 8'h07;  // W payload (WDATA, WSTRB, WLAST) changed while WVALID waited for WREADY
localparam [7:0] RULE_AXI_B_CHANGED        = 8'h08;  // B payload (BID, BRESP) changed while BVALID waited for BREADY
localparam [7:0] RULE_AXI_AR_CHANGED       = 8'h09;  // AR payload changed while ARVALID waited for ARREADY
localparam [7:0] RULE_AXI_R_CHANGED        = 8'h0A;  // R payload (RID, RDATA, RRESP, RLAST) changed while RVALID waited for RREADY
localparam [7:0] RULE_AXI_AW_X             = 8'h0B;  // X or Z on AWVALID or AWREADY, or on AWID, AWADDR, AWLEN, AWSIZE, AWBURST of a valid AW
localparam [7:0] RULE_AXI_W_X              = 8'h0C;  // X or Z on WVALID or WREADY, or on WSTRB, WLAST of a valid W beat
localparam [7:0] RULE_AXI_B_X              = 8'h0D;  // X or Z on BVALID or BREADY, or on BID, BRESP of a valid B
localparam [7:0] RULE_AXI_AR_X             = 8'h0E;  // X or Z on ARVALID or ARREADY, or on ARID, ARADDR, ARLEN, ARSIZE, ARBURST of a valid AR
localparam [7:0] RULE_AXI_R_X              = 8'h0F;  // X or Z on RVALID or RREADY, or on RID, RRESP, RLAST of a valid R beat
localparam [7:0] RULE_AXI_AW_4K            = 8'h10;  // INCR write burst crosses a 4 KiB boundary
localparam [7:0] RULE_AXI_AR_4K            = 8'h11;  // INCR read burst crosses a 4 KiB boundary
localparam [7:0] RULE_AXI_AW_SIZE          = 8'h12;  // AWSIZE wider than the data bus
localparam [7:0] RULE_AXI_AR_SIZE          = 8'h13;  // ARSIZE wider than the data bus
localparam [7:0] RULE_AXI_AW_BURST         = 8'h14;  // AWBURST reserved, or a WRAP burst not of 2, 4, 8 or 16 beats or not aligned to AWSIZE
localparam [7:0] RULE_AXI_AR_BURST         = 8'h15;  // ARBURST reserved, or a WRAP burst not of 2, 4, 8 or 16 beats or not aligned to ARSIZE
localparam [7:0] RULE_AXI_WLAST_EARLY      = 8'h16;  // WLAST on a beat before the last (AWLEN+1) of the write burst
localparam [7:0] RULE_AXI_WLAST_MISSING    = 8'h17;  // no WLAST on the last (AWLEN+1) beat of the write burst
localparam [7:0] RULE_AXI_WSTRB_LANES      = 8'h18;  // WSTRB sets a byte lane outside the lanes of the beat's address and AWSIZE
localparam [7:0] RULE_AXI_B_UNEXPECTED     = 8'h19;  // B for an ID with no completed write burst (AW and WLAST) awaiting its response
localparam [7:0] RULE_AXI_R_UNEXPECTED     = 8'h1A;  // R beat for an ID with no outstanding read burst
localparam [7:0] RULE_AXI_RLAST_EARLY      = 8'h1B;  // RLAST on a beat before the last (ARLEN+1) of the read burst
localparam [7:0] RULE_AXI_RLAST_MISSING    = 8'h1C;  // no RLAST on the last (ARLEN+1) beat of the read burst
localparam [7:0] RULE_AXI_TRACK_OVERFLOW   = 8'h1D;  // more bursts in flight than the checker tracks (raise its MAX_OUTSTANDING)
localparam [7:0] RULE_AXI_NOT_DRAINED      = 8'h1E;  // at the end of the test a burst still awaits W beats, its B or R beats

// ---------------------------------------------------------------------------
// AXI-Lite (tb_axil_checker)
// ---------------------------------------------------------------------------
localparam [7:0] RULE_AXIL_AW_VALID_DROPPED = 8'h40;  // AWVALID fell before AWREADY
localparam [7:0] RULE_AXIL_W_VALID_DROPPED  = 8'h41;  // WVALID fell before WREADY
localparam [7:0] RULE_AXIL_B_VALID_DROPPED  = 8'h42;  // BVALID fell before BREADY
localparam [7:0] RULE_AXIL_AR_VALID_DROPPED = 8'h43;  // ARVALID fell before ARREADY
localparam [7:0] RULE_AXIL_R_VALID_DROPPED  = 8'h44;  // RVALID fell before RREADY
localparam [7:0] RULE_AXIL_AW_CHANGED       = 8'h45;  // AWADDR or AWPROT changed while AWVALID waited for AWREADY
localparam [7:0] RULE_AXIL_W_CHANGED        = 8'h46;  // WDATA or WSTRB changed while WVALID waited for WREADY
localparam [7:0] RULE_AXIL_B_CHANGED        = 8'h47;  // BRESP changed while BVALID waited for BREADY
localparam [7:0] RULE_AXIL_AR_CHANGED       = 8'h48;  // ARADDR or ARPROT changed while ARVALID waited for ARREADY
localparam [7:0] RULE_AXIL_R_CHANGED        = 8'h49;  // RDATA or RRESP changed while RVALID waited for RREADY
localparam [7:0] RULE_AXIL_AW_X             = 8'h4A;  // X or Z on AWVALID or AWREADY, or on AWADDR of a valid AW
localparam [7:0] RULE_AXIL_W_X              = 8'h4B;  // X or Z on WVALID or WREADY, or on WSTRB of a valid W
localparam [7:0] RULE_AXIL_B_X              = 8'h4C;  // X or Z on BVALID or BREADY, or on BRESP of a valid B
localparam [7:0] RULE_AXIL_AR_X             = 8'h4D;  // X or Z on ARVALID or ARREADY, or on ARADDR of a valid AR
localparam [7:0] RULE_AXIL_R_X              = 8'h4E;  // X or Z on RVALID or RREADY, or on RRESP of a valid R
localparam [7:0] RULE_AXIL_B_UNEXPECTED     = 8'h4F;  // B with no write (both AW and W taken) awaiting its response
localparam [7:0] RULE_AXIL_R_UNEXPECTED     = 8'h50;  // R with no read awaiting its response
localparam [7:0] RULE_AXIL_TRACK_OVERFLOW   = 8'h51;  // more requests in flight than the checker tracks (raise its MAX_OUTSTANDING)
localparam [7:0] RULE_AXIL_NOT_DRAINED      = 8'h52;  // at the end of the test a write or read still awaits its response

// ---------------------------------------------------------------------------
// AXI-Stream (tb_axis_checker)
// ---------------------------------------------------------------------------
localparam [7:0] RULE_AXIS_VALID_DROPPED    = 8'h60;  // TVALID fell before TREADY
localparam [7:0] RULE_AXIS_CHANGED          = 8'h61;  // TDATA, TKEEP, TLAST or TUSER changed while TVALID waited for TREADY
localparam [7:0] RULE_AXIS_X                = 8'h62;  // X or Z on TVALID or TREADY, or on TKEEP, TLAST (and TUSER with TLAST) of a valid beat
localparam [7:0] RULE_AXIS_TKEEP_ZERO       = 8'h63;  // a valid beat with no TKEEP bit set
localparam [7:0] RULE_AXIS_TKEEP_SPARSE     = 8'h64;  // a beat before TLAST without every TKEEP bit set
localparam [7:0] RULE_AXIS_TKEEP_UNPACKED   = 8'h65;  // TKEEP of the TLAST beat not contiguous from lane 0
localparam [7:0] RULE_AXIS_TUSER_NOT_LAST   = 8'h66;  // TUSER set on a beat without TLAST
