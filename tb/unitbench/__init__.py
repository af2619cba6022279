"""Machinery of the module-level unit benches (``tb/sims/units``).

Clock, reset and seeding; an AXI RAM with error ranges and a handshake rule.
"""
