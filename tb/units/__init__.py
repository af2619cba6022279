"""cocotb unit tests of the engine's primitives and back ends (one module per DUT)."""
