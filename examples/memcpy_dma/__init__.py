"""memcpy_dma: a descriptor-driven memcpy engine (hdl/) and its test under tb.vip."""
