"""Machinery of the module-level unit benches (tb/sims/units): clock, reset, seeding, an AXI RAM with error ranges."""
