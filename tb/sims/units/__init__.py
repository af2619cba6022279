"""cocotb test modules of the unit benches: one per HDL module under test."""
