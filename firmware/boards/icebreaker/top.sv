// spikelink_icebreaker: the gateware on the iCEBreaker (iCE40UP5K-SG48,
// 12 MHz oscillator, FT2232H, W25Q128JV SPI NOR), docs/boards.md.
//
// The PLL makes the core clock from the oscillator; the core is held in
// reset until the PLL locks and while BTN_N is pressed, and leaves reset
// through a synchroniser on the core clock. The link runs on the FT2232H's
// channel B UART. spikelink_top is board-independent; this file only adds
// the clock, the reset, the pins and the board's identity.
module spikelink_icebreaker #(
  // Gateware shape (firmware/boards/icebreaker/board.yaml, gateware:)
  parameter int          N            = 256,
  parameter int          E            = 256,
  parameter bit          Plastic      = 1'b0,
  parameter int          EventCredits = 512,
  parameter int          Lanes        = 8,
  parameter int unsigned ClockHz      = 24_000_000,
  parameter int          ClksPerBit   = 8,         // 3 Mbaud at 24 MHz
  // Identity (set by firmware/CMakeLists.txt): board id, the project
  // version, the first 32 bits of the source's git hash (0 outside git)
  parameter int unsigned BoardId      = 1,
  parameter int unsigned GwMajor      = 0,
  parameter int unsigned GwMinor      = 1,
  parameter int unsigned GwPatch      = 0,
  parameter logic [31:0] BuildHash    = 32'h0
) (
  input  logic clk_12m_i,    // pin 35, the 12 MHz oscillator
  input  logic btn_n_i,      // pin 10, BTN_N: pressed = low = reset request

  input  logic uart_rx_i,    // pin 6, from the FT2232H channel B TXD
  output logic uart_tx_o,    // pin 9, to the FT2232H channel B RXD

  output logic flash_csn_o,  // pin 16, FLASH_SSB
  output logic flash_sck_o,  // pin 15, FLASH_SCK
  output logic flash_mosi_o, // pin 14, FLASH_IO0
  input  logic flash_miso_i, // pin 17, FLASH_IO1

  output logic led_red_n_o,  // pin 11, LEDR_N (active low)
  output logic led_green_n_o // pin 37, LEDG_N (active low)
);

  // ---------------------------------------------------------------------
  // Clock: 12 MHz -> 24 MHz, as `icepll -i 12 -o 24` computes it:
  // F_PFD = 12 MHz / (DIVR+1) = 12 MHz, F_VCO = F_PFD * (DIVF+1) = 768 MHz
  // (in 533..1066), F_OUT = F_VCO / 2^DIVQ = 24 MHz; FILTER_RANGE 1 for a
  // 12 MHz PFD. Another core clock needs other divisors (icepll -i 12 -o F).
  // ---------------------------------------------------------------------
  if (ClockHz != 24_000_000) begin : gen_bad_clock
    $error("spikelink_icebreaker: the PLL divisors are for a 24 MHz core clock");
  end

  logic clk;
  logic pll_lock;

  SB_PLL40_PAD #(
    .FEEDBACK_PATH ("SIMPLE"),
    .DIVR          (4'b0000),    // 0
    .DIVF          (7'b0111111), // 63
    .DIVQ          (3'b101),     // 5
    .FILTER_RANGE  (3'b001)      // 1
  ) u_pll (
    .PACKAGEPIN    (clk_12m_i),
    .PLLOUTGLOBAL  (clk),
    .PLLOUTCORE    (),
    .LOCK          (pll_lock),
    .RESETB        (1'b1),
    .BYPASS        (1'b0),
    .EXTFEEDBACK   (),
    .DYNAMICDELAY  (),
    .LATCHINPUTVALUE (),
    .SDI           (),
    .SDO           (),
    .SCLK          ()
  );

  // ---------------------------------------------------------------------
  // Reset: asserted at once (asynchronously) while the PLL is unlocked or
  // BTN_N is pressed, released synchronously four clocks after both end.
  // The iCE40 configures every flip-flop to 0, so the gateware also starts
  // in reset. A bouncing button only restarts the release.
  // ---------------------------------------------------------------------
  logic       rst_req_n;
  logic [3:0] rst_sync_q;
  logic       rst_n;

  assign rst_req_n = pll_lock && btn_n_i;

  always_ff @(posedge clk or negedge rst_req_n) begin
    if (!rst_req_n) begin
      rst_sync_q <= '0;
    end else begin
      rst_sync_q <= {rst_sync_q[2:0], 1'b1};
    end
  end
  assign rst_n = rst_sync_q[3];

  // ---------------------------------------------------------------------
  // spikelink_top
  // ---------------------------------------------------------------------
  logic [2:0] led;

  spikelink_top #(
    .N            (N),
    .E            (E),
    .Plastic      (Plastic),
    .ClockHz      (ClockHz),
    .ClksPerBit   (ClksPerBit),
    .EventCredits (EventCredits),
    .Lanes        (Lanes)
  ) u_top (
    .clk_i           (clk),
    .rst_ni          (rst_n),
    .board_id_i      (16'(BoardId)),
    .gw_major_i      (8'(GwMajor)),
    .gw_minor_i      (8'(GwMinor)),
    .gw_patch_i      (8'(GwPatch)),
    .build_hash_i    (BuildHash),
    .flash_csn_o     (flash_csn_o),
    .flash_sck_o     (flash_sck_o),
    .flash_mosi_o    (flash_mosi_o),
    .flash_miso_i    (flash_miso_i),
    .uart_rx_i       (uart_rx_i),
    .uart_tx_o       (uart_tx_o),
    .byte_mode_i     (1'b0),
    .byte_rx_data_i  (8'h00),
    .byte_rx_valid_i (1'b0),
    .byte_rx_ready_o (),
    .byte_tx_data_o  (),
    .byte_tx_valid_o (),
    .byte_tx_ready_i (1'b0),
    .led_o           (led)
  );

  // Green: real-time mode or a timestep running or owed. Red: a drop
  // counter has counted since the last RESET 1 (docs/link.md 1.4).
  assign led_green_n_o = !(led[0] || led[1]);
  assign led_red_n_o   = !led[2];

endmodule
