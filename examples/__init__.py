"""Examples of the verification kit (tb/vip) on DMA engines written for them."""
