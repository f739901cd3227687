// Framing layer of the host link: the COBS/CRC-32C receiver and transmitter
// side by side. The wire side faces the PHY (UART today, a synchronous FIFO
// bridge later); the frame side carries header+body to the link layer.
module spl_link_framer (
  input  logic        clk_i,
  input  logic        rst_ni,
  // Zero all nine counters (the link's RESET 1); counts of this clock still count.
  input  logic        cnt_clr_i,

  // Wire bytes from the host; no backpressure, up to one byte per clock.
  input  logic [7:0]  rx_data_i,
  input  logic        rx_valid_i,

  // Good received frames, header+body, CRC stripped.
  output logic [7:0]  rx_frame_data_o,
  output logic        rx_frame_valid_o,
  output logic        rx_frame_last_o,
  input  logic        rx_frame_ready_i,

  // Frames to send, header+body (2..250 bytes).
  input  logic [7:0]  tx_frame_data_i,
  input  logic        tx_frame_valid_i,
  input  logic        tx_frame_last_i,
  output logic        tx_frame_ready_o,

  // Wire bytes to the host: COBS, each frame ended by 0x00.
  output logic [7:0]  tx_data_o,
  output logic        tx_valid_o,
  input  logic        tx_ready_i,

  output logic        rx_busy_o,
  // The receive ring has room for a whole maximal frame (spl_frame_rx room_o).
  output logic        rx_room_o,
  output logic        tx_busy_o,

  output logic [31:0] cnt_rx_ok_o,
  output logic [31:0] cnt_rx_crc_o,
  output logic [31:0] cnt_rx_cobs_o,
  output logic [31:0] cnt_rx_short_o,
  output logic [31:0] cnt_rx_long_o,
  output logic [31:0] cnt_rx_overflow_o,
  output logic [31:0] cnt_rx_bytes_discarded_o,
  output logic [31:0] cnt_tx_frames_o,
  output logic [31:0] cnt_tx_dropped_long_o
);

  spl_frame_rx u_rx (
    .clk_i                 (clk_i),
    .rst_ni                (rst_ni),
    .cnt_clr_i             (cnt_clr_i),
    .rx_data_i             (rx_data_i),
    .rx_valid_i            (rx_valid_i),
    .frame_data_o          (rx_frame_data_o),
    .frame_valid_o         (rx_frame_valid_o),
    .frame_last_o          (rx_frame_last_o),
    .frame_ready_i         (rx_frame_ready_i),
    .busy_o                (rx_busy_o),
    .room_o                (rx_room_o),
    .cnt_ok_o              (cnt_rx_ok_o),
    .cnt_crc_o             (cnt_rx_crc_o),
    .cnt_cobs_o            (cnt_rx_cobs_o),
    .cnt_short_o           (cnt_rx_short_o),
    .cnt_long_o            (cnt_rx_long_o),
    .cnt_overflow_o        (cnt_rx_overflow_o),
    .cnt_bytes_discarded_o (cnt_rx_bytes_discarded_o)
  );

  spl_frame_tx u_tx (
    .clk_i              (clk_i),
    .rst_ni             (rst_ni),
    .cnt_clr_i          (cnt_clr_i),
    .frame_data_i       (tx_frame_data_i),
    .frame_valid_i      (tx_frame_valid_i),
    .frame_last_i       (tx_frame_last_i),
    .frame_ready_o      (tx_frame_ready_o),
    .tx_data_o          (tx_data_o),
    .tx_valid_o         (tx_valid_o),
    .tx_ready_i         (tx_ready_i),
    .busy_o             (tx_busy_o),
    .cnt_frames_o       (cnt_tx_frames_o),
    .cnt_dropped_long_o (cnt_tx_dropped_long_o)
  );

endmodule
