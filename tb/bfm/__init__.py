"""Bus models that serve dma_engine's ports (see ``tb/bfm/README.md``).

``fast``: HDL transactors in ``tb/hdl`` with Python touched once per burst or
packet (:mod:`tb.bfm.fast`). ``reference``: cocotbext-axi's per-beat Python
models (:mod:`tb.bfm.reference`), the yardstick the fast models are checked
against. :func:`tb.bfm.models.make_bus_models` picks one; both carry the same
passive :class:`tb.bfm.monitor.AxiBurstMonitor`.
"""
