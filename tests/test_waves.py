"""The GTKWave layout: state names from the Verilog, groups, filters and the marker."""

from __future__ import annotations

from pathlib import Path

from tb.waves import GTKWAVE_ZOOM_UNIT, Signal, groups_for, state_filters, write_layout


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


def test_layout_is_the_same_whatever_order_the_simulator_lists_signals(tmp_path: Path) -> None:
    """Icarus lists signals as declared, Verilator alphabetically: one layout for both."""
    dut = "tb_top.dut"
    names = ["m_axi_arvalid", "m_axi_araddr", "m_axi_arid", "m_axi_arready", "m_axi_arlen",
             "s_axil_awvalid", "s_axil_awaddr", "clk", "irq", "rst"]
    signals = [Signal(f"{dut}.{n}", 8 if "addr" in n else 1, "dma_engine") for n in names]
    a = write_layout(signals=signals, dut_path=dut, dump_file=tmp_path / "x.fst",
                     save_file=tmp_path / "a.gtkw").read_text()
    b = write_layout(signals=list(reversed(signals)), dut_path=dut,
                     dump_file=tmp_path / "x.fst", save_file=tmp_path / "a.gtkw").read_text()
    assert a == b
    order = [line.rsplit(".", 1)[-1] for line in a.splitlines() if line.startswith(dut)]
    assert order[:3] == ["clk", "rst", "irq"]
    ar = [n.split("[")[0] for n in order if n.startswith("m_axi_ar")]
    assert ar == ["m_axi_arid", "m_axi_araddr", "m_axi_arlen", "m_axi_arvalid", "m_axi_arready"]
    assert [n.split("[")[0] for n in order if n.startswith("s_axil")] == [
        "s_axil_awaddr", "s_axil_awvalid"]


def test_one_bit_state_register_is_shown_by_name(tmp_path: Path) -> None:
    """GTKWave translates only vectors: a 1-bit state register becomes a 1-bit vector."""
    dut = "tb_top.dut"
    reg = f"{dut}.tx_inst.issue_inst.issue_state_reg"
    text = write_layout(signals=[Signal(reg, 1, "dma_tx_issue")], dut_path=dut,
                        dump_file=tmp_path / "x.fst", save_file=tmp_path / "x.gtkw").read_text()
    assert f"#{{{reg}_vec}} {reg}" in text
    filt = (tmp_path / "gtkw_filters" / "dma_tx_issue.issue_state_reg.txt").read_text()
    assert filt.splitlines() == ["0 I_IDLE", "1 I_CHUNK"]


def test_marker_opens_the_violated_bus_and_zooms_around_it(tmp_path: Path) -> None:
    from tb.checkers.protocol import ProtocolFinding, ProtocolRule
    from tb.checkers.violations import Finding, Rule

    read = Finding(rule=Rule.STALE_DEVICE_READ, time_ns=1070, la=1, pa=2, owner="o",
                   detail="d", channel="read")
    assert groups_for(read) == {"AXI4 read address (AR)", "AXI4 read data (R)"}
    write = Finding(rule=Rule.DIRTY_LINE, time_ns=5, la=1, pa=2, owner="o", detail="d",
                    channel="write")
    assert "AXI4 write data (W)" in groups_for(write)
    cpu = Finding(rule=Rule.STALE_CPU_READ, time_ns=5, la=1, pa=2, owner="o", detail="d")
    assert groups_for(cpu) == set()
    wlast = ProtocolFinding(bus="m_axi", rule=ProtocolRule.AXI_WLAST_EARLY, time_ns=5)
    assert groups_for(wlast) == {"AXI4 write data (W)"}
    axil = ProtocolFinding(bus="s_axil", rule=ProtocolRule.AXIL_AW_CHANGED, time_ns=5)
    assert groups_for(axil) == {"AXI-Lite registers port"}

    dut = "tb_top.dut"
    signals = [Signal(f"{dut}.m_axi_araddr", 64, "dma_engine"),
               Signal(f"{dut}.m_axi_awaddr", 64, "dma_engine")]
    text = write_layout(signals=signals, dut_path=dut, dump_file=tmp_path / "x.fst",
                        save_file=tmp_path / "x.gtkw", marker_ps=1_070_000,
                        open_groups=groups_for(read)).read_text()
    assert "@800200\n-AXI4 read address (AR)" in text  # open
    assert "@c00200\n-AXI4 write address (AW)" in text  # closed
    assert "[timestart] 770000" in text
    zoom = float(next(line for line in text.splitlines() if line.startswith("*"))[1:].split()[0])
    ps_per_pixel = 2 ** -zoom / GTKWAVE_ZOOM_UNIT
    assert 300 < ps_per_pixel < 360, ps_per_pixel  # 400 ns over the wave pane
