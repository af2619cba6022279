`resetall
`timescale 1ns / 1ps
`default_nettype none

// tb_axil_master -- AXI-Lite master driven by Python one access at a time.
//
// Python writes `req` = {seq[15:0], write, strb[3:0], addr[11:0], data[31:0]}
// with a new seq; the transactor runs the access (AW and W together, then B;
// or AR, then R) and answers in `rsp` = {seq[15:0], resp[1:0], rdata[31:0]},
// one register, so Python wakes once on its change and reads it whole.
module tb_axil_master #(
    // AXI-Lite address width
    parameter ADDR_WIDTH = 12
) (
    input  wire                  clk,
    input  wire                  rst,

    output reg  [ADDR_WIDTH-1:0] m_axil_awaddr,
    output wire [2:0]            m_axil_awprot,
    output reg                   m_axil_awvalid,
    input  wire                  m_axil_awready,
    output reg  [31:0]           m_axil_wdata,
    output reg  [3:0]            m_axil_wstrb,
    output reg                   m_axil_wvalid,
    input  wire                  m_axil_wready,
    input  wire [1:0]            m_axil_bresp,
    input  wire                  m_axil_bvalid,
    output reg                   m_axil_bready,
    output reg  [ADDR_WIDTH-1:0] m_axil_araddr,
    output wire [2:0]            m_axil_arprot,
    output reg                   m_axil_arvalid,
    input  wire                  m_axil_arready,
    input  wire [31:0]           m_axil_rdata,
    input  wire [1:0]            m_axil_rresp,
    input  wire                  m_axil_rvalid,
    output reg                   m_axil_rready
);

// width of `req`
localparam REQ_BITS = 16 + 1 + 4 + 12 + 32;

// access states
localparam [1:0] ST_IDLE = 2'd0;
localparam [1:0] ST_WRITE = 2'd1;
localparam [1:0] ST_READ = 2'd2;

// written by Python
reg [REQ_BITS-1:0] req /* verilator public_flat_rw */;
// read by Python
reg [49:0] rsp;

reg [1:0]  state;
reg [15:0] done_seq;

wire [15:0] req_seq = req[REQ_BITS-1 -: 16];
wire        req_write = req[48];
wire [3:0]  req_strb = req[47:44];
wire [11:0] req_addr = req[43:32];
wire [31:0] req_data = req[31:0];

assign m_axil_awprot = 3'd0;
assign m_axil_arprot = 3'd0;

initial begin
    req = {REQ_BITS{1'b0}};
    rsp = 50'd0;
    done_seq = 16'd0;
    state = ST_IDLE;
    m_axil_awvalid = 1'b0;
    m_axil_wvalid = 1'b0;
    m_axil_bready = 1'b0;
    m_axil_arvalid = 1'b0;
    m_axil_rready = 1'b0;
end

always @(posedge clk) begin
    case (state)
        ST_IDLE: begin
            if (req_seq != done_seq && !rst) begin
                if (req_write) begin
                    m_axil_awaddr <= req_addr[ADDR_WIDTH-1:0];
                    m_axil_wdata <= req_data;
                    m_axil_wstrb <= req_strb;
                    m_axil_awvalid <= 1'b1;
                    m_axil_wvalid <= 1'b1;
                    m_axil_bready <= 1'b1;
                    state <= ST_WRITE;
                end else begin
                    m_axil_araddr <= req_addr[ADDR_WIDTH-1:0];
                    m_axil_arvalid <= 1'b1;
                    m_axil_rready <= 1'b1;
                    state <= ST_READ;
                end
            end
        end
        ST_WRITE: begin
            if (m_axil_awready) begin
                m_axil_awvalid <= 1'b0;
            end
            if (m_axil_wready) begin
                m_axil_wvalid <= 1'b0;
            end
            if (m_axil_bvalid && m_axil_bready) begin
                m_axil_bready <= 1'b0;
                rsp <= {req_seq, m_axil_bresp, 32'd0};
                done_seq <= req_seq;
                state <= ST_IDLE;
            end
        end
        ST_READ: begin
            if (m_axil_arready) begin
                m_axil_arvalid <= 1'b0;
            end
            if (m_axil_rvalid && m_axil_rready) begin
                m_axil_rready <= 1'b0;
                rsp <= {req_seq, m_axil_rresp, m_axil_rdata};
                done_seq <= req_seq;
                state <= ST_IDLE;
            end
        end
        default: state <= ST_IDLE;
    endcase
    if (rst) begin
        m_axil_awvalid <= 1'b0;
        m_axil_wvalid <= 1'b0;
        m_axil_bready <= 1'b0;
        m_axil_arvalid <= 1'b0;
        m_axil_rready <= 1'b0;
        state <= ST_IDLE;
    end
end

endmodule

`resetall
