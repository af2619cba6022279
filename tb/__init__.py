"""cocotb test bench of dma_engine: bus models, checkers, driver model, scoreboard."""
