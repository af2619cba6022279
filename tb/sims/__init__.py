"""cocotb test modules: one per simulation, run through ``tb.runner.run_sim``.

Their pytest launchers are ``tests/test_sim_*.py``.
"""
