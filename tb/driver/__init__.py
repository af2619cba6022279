"""The miniport driver model: a driver for dma_engine written as a driver."""

from tb.driver.miniport import DriverBugs, DriverConfig, DriverStats, MiniportDriver

__all__ = ["DriverBugs", "DriverConfig", "DriverStats", "MiniportDriver"]
