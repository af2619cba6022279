"""cocotb test modules: one per simulation, run through tb.runner.run_sim (pytest launchers in tests/test_sim_*.py)."""
