"""The GTKWave layout: state names from the Verilog, groups, filters and the marker."""

from __future__ import annotations

from pathlib import Path

from tb.waves import Signal, state_filters, write_layout


def test_every_state_machine_of_the_engine_gets_its_names() -> None:
    filters = state_filters()
    assert filters[("dma_rx", "rx_state_reg")][1] == "X_GATHER"
    assert filters[("dma_ring_ctrl", "ring_state_reg")] == {
        0: "ST_IDLE", 1: "ST_RUN", 2: "ST_DRAIN", 3: "ST_STOPPED"}  # via dma_regs.vh
    machines = {reg for (_mod, reg) in filters}
    assert {"ring_state_reg", "fetch_state_reg", "wb_state_reg", "issue_state_reg",
            "ret_state_reg", "rx_state_reg"} <= machines


def test_layout_groups_filters_and_marker(tmp_path: Path) -> None:
    dut = "tb_top.dut"
    signals = [
        Signal(f"{dut}.clk", 1, "dma_engine"),
        Signal(f"{dut}.m_axi_araddr", 64, "dma_engine"),
        Signal(f"{dut}.m_axi_rdata", 64, "dma_engine"),
        Signal(f"{dut}.s_axis_rx_tkeep", 8, "dma_engine"),
        Signal(f"{dut}.csr_inst.irq_status_reg", 5, "dma_csr"),
        Signal(f"{dut}.tx_cpl_inst.head_reg", 16, "dma_cpl_write"),
        Signal(f"{dut}.tx_cpl_inst.fifo.rd_ptr_reg", 6, "dma_fifo"),  # not a ring pointer
        Signal(f"{dut}.rx_inst.rx_state_reg", 3, "dma_rx"),
    ]
    save = write_layout(signals=signals, dut_path=dut, dump_file=tmp_path / "x.fst",
                        save_file=tmp_path / "x.gtkw", marker_ps=1_234_000, marker_label="boom")
    text = save.read_text()
    for group in ("AXI4 read address (AR)", "AXI4 read data (R)", "AXI-Stream RX (from wire)",
                  "registers (dma_csr)", "ring pointers", "state machines"):
        assert f"-{group}" in text, group
    assert "tb_top.dut.m_axi_araddr[63:0]" in text
    assert "+{tx_cpl/head_reg} tb_top.dut.tx_cpl_inst.head_reg[15:0]" in text
    assert "rd_ptr_reg" not in text
    assert "[*] marker: boom" in text and "1234000" in text
    filt = tmp_path / "gtkw_filters" / "dma_rx.rx_state_reg.txt"
    assert str(filt) in text
    assert "1 X_GATHER" in filt.read_text().splitlines()
