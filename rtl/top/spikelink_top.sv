// spikelink_top: the board-independent gateware, link plus core
// (docs/link.md section 4). The UART PHY or, in simulation, the byte port
// (byte_mode_i) feeds the framer; the link layer sits between the framer
// and the neuron core. After reset the boot loader (spl_flash_boot) has the
// framer's input first: it streams a network blob from the SPI flash, if
// the flash holds one, while the PHY's bytes are dropped (and counted) and
// the link's replies are discarded.
module spikelink_top #(
  parameter int          N          = 256,
  parameter int          E          = 256,
  parameter bit          Plastic    = 1'b1,
  parameter int unsigned ClockHz    = 24_000_000,
  parameter int          ClksPerBit = 8,
  // The core's input FIFO depth, the link's event credits (docs/link.md 1.2)
  parameter int          EventCredits = 512,
  // The core's accumulator lanes (2, 4 or 8; docs/rtl-core.md)
  parameter int          Lanes      = 8
) (
  input  logic        clk_i,
  input  logic        rst_ni,

  // Identity (IDENTIFY, registers 0x0002-0x0004): tie to constants.
  input  logic [15:0] board_id_i,
  input  logic [7:0]  gw_major_i,
  input  logic [7:0]  gw_minor_i,
  input  logic [7:0]  gw_patch_i,
  input  logic [31:0] build_hash_i,

  input  logic        uart_rx_i,
  output logic        uart_tx_o,

  input  logic        byte_mode_i,
  input  logic [7:0]  byte_rx_data_i,
  input  logic        byte_rx_valid_i,
  output logic        byte_rx_ready_o,  // room for a whole frame, not booting: offer bytes only while high
  output logic [7:0]  byte_tx_data_o,
  output logic        byte_tx_valid_o,
  input  logic        byte_tx_ready_i,

  // SPI NOR flash (the boot loader's; released, CS high, once it is done)
  output logic        flash_csn_o,
  output logic        flash_sck_o,
  output logic        flash_mosi_o,
  input  logic        flash_miso_i,

  output logic [2:0]  led_o
);

  localparam int NeurW = $clog2(N);
  localparam int ChanW = $clog2(E);

  // ---------------------------------------------------------------------
  // PHY: UART, or the byte port
  // ---------------------------------------------------------------------
  logic [7:0] uart_rx_data;
  logic       uart_rx_valid;
  logic       uart_rx_err;
  logic       uart_tx_ready;

  logic [7:0] wire_rx_data;
  logic       wire_rx_valid;
  logic [7:0] wire_tx_data;
  logic       wire_tx_valid;
  logic       wire_tx_ready;

  spl_uart_rx #(
    .ClksPerBit (ClksPerBit)
  ) u_uart_rx (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .rx_i    (uart_rx_i),
    .data_o  (uart_rx_data),
    .valid_o (uart_rx_valid),
    .err_o   (uart_rx_err)
  );

  spl_uart_tx #(
    .ClksPerBit (ClksPerBit)
  ) u_uart_tx (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .data_i  (wire_tx_data),
    .valid_i (wire_tx_valid && !byte_mode_i && !boot_busy),
    .ready_o (uart_tx_ready),
    .tx_o    (uart_tx_o)
  );

  // ---------------------------------------------------------------------
  // Boot loader: the framer's input until it is done
  // ---------------------------------------------------------------------
  logic [7:0] boot_data;
  logic       boot_valid, boot_busy, boot_resync;
  logic [1:0] boot_status;
  logic       rx_room, rx_busy, tx_busy, link_idle;
  logic       rxf_ready, txf_valid;
  logic       phy_rx_valid, boot_drop;

  spl_flash_boot u_boot (
    .clk_i        (clk_i),
    .rst_ni       (rst_ni),
    .flash_csn_o  (flash_csn_o),
    .flash_sck_o  (flash_sck_o),
    .flash_mosi_o (flash_mosi_o),
    .flash_miso_i (flash_miso_i),
    .data_o       (boot_data),
    .valid_o      (boot_valid),
    .ready_i      (rx_room),
    .link_idle_i  (link_idle),
    .busy_o       (boot_busy),
    .seq_resync_o (boot_resync),
    .status_o     (boot_status)
  );

  // No frame stored, being processed or being sent.
  assign link_idle = !rx_busy && rxf_ready && !txf_valid && !tx_busy;

  assign phy_rx_valid    = byte_mode_i ? byte_rx_valid_i : uart_rx_valid;
  assign boot_drop       = boot_busy && phy_rx_valid;
  assign wire_rx_data    = boot_busy ? boot_data : (byte_mode_i ? byte_rx_data_i : uart_rx_data);
  assign wire_rx_valid   = boot_busy ? boot_valid && rx_room : phy_rx_valid;
  assign byte_rx_ready_o = rx_room && !boot_busy;
  // While booting, the link's replies are taken and dropped.
  assign wire_tx_ready   = boot_busy || (byte_mode_i ? byte_tx_ready_i : uart_tx_ready);
  assign byte_tx_data_o  = wire_tx_data;
  assign byte_tx_valid_o = wire_tx_valid && byte_mode_i && !boot_busy;

  // ---------------------------------------------------------------------
  // Framer
  // ---------------------------------------------------------------------
  logic [7:0]      rxf_data;
  logic            rxf_valid, rxf_last;
  logic [7:0]      txf_data;
  logic            txf_last, txf_ready;
  logic [9*32-1:0] cnt_framer;
  logic            cnt_clr;

  spl_link_framer u_framer (
    .clk_i                    (clk_i),
    .rst_ni                   (rst_ni),
    .cnt_clr_i                (cnt_clr),
    .rx_data_i                (wire_rx_data),
    .rx_valid_i               (wire_rx_valid),
    .rx_frame_data_o          (rxf_data),
    .rx_frame_valid_o         (rxf_valid),
    .rx_frame_last_o          (rxf_last),
    .rx_frame_ready_i         (rxf_ready),
    .tx_frame_data_i          (txf_data),
    .tx_frame_valid_i         (txf_valid),
    .tx_frame_last_i          (txf_last),
    .tx_frame_ready_o         (txf_ready),
    .tx_data_o                (wire_tx_data),
    .tx_valid_o               (wire_tx_valid),
    .tx_ready_i               (wire_tx_ready),
    .rx_busy_o                (rx_busy),
    .rx_room_o                (rx_room),
    .tx_busy_o                (tx_busy),
    .cnt_rx_ok_o              (cnt_framer[32*0 +: 32]),
    .cnt_rx_crc_o             (cnt_framer[32*1 +: 32]),
    .cnt_rx_cobs_o            (cnt_framer[32*2 +: 32]),
    .cnt_rx_short_o           (cnt_framer[32*3 +: 32]),
    .cnt_rx_long_o            (cnt_framer[32*4 +: 32]),
    .cnt_rx_overflow_o        (cnt_framer[32*5 +: 32]),
    .cnt_rx_bytes_discarded_o (cnt_framer[32*6 +: 32]),
    .cnt_tx_frames_o          (cnt_framer[32*7 +: 32]),
    .cnt_tx_dropped_long_o    (cnt_framer[32*8 +: 32])
  );

  // ---------------------------------------------------------------------
  // Link layer
  // ---------------------------------------------------------------------
  logic             mem_req, mem_we, mem_gnt, mem_rvalid;
  logic [1:0]       mem_space;
  logic [15:0]      mem_addr, mem_wdata, mem_rdata;
  logic             in_valid, in_full;
  logic [ChanW-1:0] in_channel;
  logic [15:0]      in_time;
  logic [$clog2(EventCredits+1)-1:0] in_count;
  logic             out_valid, out_ready, out_empty;
  logic [NeurW-1:0] out_neuron;
  logic [31:0]      out_time;
  logic             clear, step, rt_enable, busy;
  logic [31:0]      step_count, tick_cycles, time_now;
  logic [11*32-1:0] cnt_core;

  spl_link_ctrl #(
    .N         (N),
    .E         (E),
    .Plastic   (Plastic),
    .ClockHz   (ClockHz),
    .EventCredits (EventCredits)
  ) u_ctrl (
    .clk_i         (clk_i),
    .rst_ni        (rst_ni),
    .board_id_i    (board_id_i),
    .gw_major_i    (gw_major_i),
    .gw_minor_i    (gw_minor_i),
    .gw_patch_i    (gw_patch_i),
    .build_hash_i  (build_hash_i),
    .seq_resync_i  (boot_resync),
    .boot_status_i (boot_status),
    .rx_data_i     (rxf_data),
    .rx_valid_i    (rxf_valid),
    .rx_last_i     (rxf_last),
    .rx_ready_o    (rxf_ready),
    .tx_data_o     (txf_data),
    .tx_valid_o    (txf_valid),
    .tx_last_o     (txf_last),
    .tx_ready_i    (txf_ready),
    .cnt_framer_i  (cnt_framer),
    .cnt_clr_o     (cnt_clr),
    // Bytes lost on the PHY: UART framing errors (the byte port has no line
    // to lose bytes on), and bytes of either port that come while booting.
    .uart_err_i    ((uart_rx_err && !byte_mode_i) || boot_drop),
    .mem_req_o     (mem_req),
    .mem_we_o      (mem_we),
    .mem_space_o   (mem_space),
    .mem_addr_o    (mem_addr),
    .mem_wdata_o   (mem_wdata),
    .mem_gnt_i     (mem_gnt),
    .mem_rvalid_i  (mem_rvalid),
    .mem_rdata_i   (mem_rdata),
    .in_valid_o    (in_valid),
    .in_channel_o  (in_channel),
    .in_time_o     (in_time),
    .in_full_i     (in_full),
    .in_count_i    (in_count),
    .out_valid_i   (out_valid),
    .out_ready_o   (out_ready),
    .out_neuron_i  (out_neuron),
    .out_time_i    (out_time),
    .out_empty_i   (out_empty),
    .clear_o       (clear),
    .step_o        (step),
    .step_count_o  (step_count),
    .rt_enable_o   (rt_enable),
    .tick_cycles_o (tick_cycles),
    .busy_i        (busy),
    .time_i        (time_now),
    .cnt_core_i    (cnt_core),
    .led_o         (led_o)
  );

  // ---------------------------------------------------------------------
  // Neuron core
  // ---------------------------------------------------------------------
  spl_core #(
    .N       (N),
    .E       (E),
    .Plastic (Plastic),
    .InDepth (EventCredits),
    .Lanes   (Lanes)
  ) u_core (
    .clk_i                (clk_i),
    .rst_ni               (rst_ni),
    .mem_req_i            (mem_req),
    .mem_we_i             (mem_we),
    .mem_space_i          (mem_space),
    .mem_addr_i           (mem_addr),
    .mem_wdata_i          (mem_wdata),
    .mem_gnt_o            (mem_gnt),
    .mem_rvalid_o         (mem_rvalid),
    .mem_rdata_o          (mem_rdata),
    .in_valid_i           (in_valid),
    .in_channel_i         (in_channel),
    .in_time_i            (in_time),
    .in_full_o            (in_full),
    .in_count_o           (in_count),
    .out_valid_o          (out_valid),
    .out_ready_i          (out_ready),
    .out_neuron_o         (out_neuron),
    .out_time_o           (out_time),
    .out_empty_o          (out_empty),
    .clear_i              (clear),
    .step_i               (step),
    .step_count_i         (step_count),
    .rt_enable_i          (rt_enable),
    .tick_cycles_i        (tick_cycles),
    .busy_o               (busy),
    .time_o               (time_now),
    .cnt_in_dropped_o     (cnt_core[32*0 +: 32]),
    .cnt_out_dropped_o    (cnt_core[32*1 +: 32]),
    .cnt_late_o           (cnt_core[32*2 +: 32]),
    .cnt_acc_saturated_o  (cnt_core[32*3 +: 32]),
    .cnt_tick_overrun_o   (cnt_core[32*4 +: 32]),
    .cnt_spikes_o         (cnt_core[32*5 +: 32]),
    .cnt_events_o         (cnt_core[32*6 +: 32]),
    .cnt_sops_o           (cnt_core[32*7 +: 32]),
    .cnt_pulses_pot_o     (cnt_core[32*8 +: 32]),
    .cnt_pulses_dep_o     (cnt_core[32*9 +: 32]),
    .cnt_rate_unslotted_o (cnt_core[32*10 +: 32])
  );

endmodule
