"""The miniport driver model: a driver for dma_engine written as a driver."""

from tb.driver.miniport import DriverConfig, DriverStats, MiniportDriver

__all__ = ["DriverConfig", "DriverStats", "MiniportDriver"]
