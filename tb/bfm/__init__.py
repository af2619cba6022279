"""Bus models that serve dma_engine's ports.

``reference``: cocotbext-axi's per-beat Python models (the reference against
which faster models are checked).
"""
