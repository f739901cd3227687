// Synthesis top: spikelink_top with its identity inputs tied to constants
// (parameters here), as a board top ties them, so that synthesis measures
// what a board gets: the identity costs no pins and no logic.
module spikelink_syn_top #(
  parameter int          N            = 256,
  parameter int          E            = 256,
  parameter bit          Plastic      = 1'b1,
  parameter int unsigned ClockHz      = 24_000_000,
  parameter int          ClksPerBit   = 8,
  parameter int          EventCredits = 512,
  parameter logic [15:0] BoardId      = 16'd0,
  parameter logic [7:0]  GwMajor      = 8'd0,
  parameter logic [7:0]  GwMinor      = 8'd1,
  parameter logic [7:0]  GwPatch      = 8'd0,
  parameter logic [31:0] BuildHash    = 32'h0
) (
  input  logic       clk_i,
  input  logic       rst_ni,

  input  logic       uart_rx_i,
  output logic       uart_tx_o,

  input  logic       byte_mode_i,
  input  logic [7:0] byte_rx_data_i,
  input  logic       byte_rx_valid_i,
  output logic       byte_rx_ready_o,
  output logic [7:0] byte_tx_data_o,
  output logic       byte_tx_valid_o,
  input  logic       byte_tx_ready_i,

  output logic       flash_csn_o,
  output logic       flash_sck_o,
  output logic       flash_mosi_o,
  input  logic       flash_miso_i,

  output logic [2:0] led_o
);

  spikelink_top #(
    .N            (N),
    .E            (E),
    .Plastic      (Plastic),
    .ClockHz      (ClockHz),
    .ClksPerBit   (ClksPerBit),
    .EventCredits (EventCredits)
  ) u_top (
    .clk_i           (clk_i),
    .rst_ni          (rst_ni),
    .board_id_i      (BoardId),
    .gw_major_i      (GwMajor),
    .gw_minor_i      (GwMinor),
    .gw_patch_i      (GwPatch),
    .build_hash_i    (BuildHash),
    .uart_rx_i       (uart_rx_i),
    .uart_tx_o       (uart_tx_o),
    .byte_mode_i     (byte_mode_i),
    .byte_rx_data_i  (byte_rx_data_i),
    .byte_rx_valid_i (byte_rx_valid_i),
    .byte_rx_ready_o (byte_rx_ready_o),
    .byte_tx_data_o  (byte_tx_data_o),
    .byte_tx_valid_o (byte_tx_valid_o),
    .byte_tx_ready_i (byte_tx_ready_i),
    .flash_csn_o     (flash_csn_o),
    .flash_sck_o     (flash_sck_o),
    .flash_mosi_o    (flash_mosi_o),
    .flash_miso_i    (flash_miso_i),
    .led_o           (led_o)
  );

endmodule
