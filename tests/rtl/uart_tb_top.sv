// Test top for the UART PHY (tests/rtl/uart_test.cpp): the transmitter and
// the receiver side by side. loop_i = 1 feeds the receiver from the
// transmitter's line, else from line_i, which the test drives bit by bit.
module uart_tb_top #(
  parameter int ClksPerBit = 8
) (
  input  logic       clk_i,
  input  logic       rst_ni,

  input  logic [7:0] tx_data_i,
  input  logic       tx_valid_i,
  output logic       tx_ready_o,
  output logic       tx_o,

  input  logic       loop_i,
  input  logic       line_i,
  output logic [7:0] rx_data_o,
  output logic       rx_valid_o,
  output logic       rx_err_o
);

  logic rx_line;
  assign rx_line = loop_i ? tx_o : line_i;

  spl_uart_tx #(.ClksPerBit(ClksPerBit)) u_tx (
    .clk_i,
    .rst_ni,
    .data_i  (tx_data_i),
    .valid_i (tx_valid_i),
    .ready_o (tx_ready_o),
    .tx_o
  );

  spl_uart_rx #(.ClksPerBit(ClksPerBit)) u_rx (
    .clk_i,
    .rst_ni,
    .rx_i    (rx_line),
    .data_o  (rx_data_o),
    .valid_o (rx_valid_o),
    .err_o   (rx_err_o)
  );

endmodule
