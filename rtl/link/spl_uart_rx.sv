// UART receiver, 8N1, LSB first, oversampling at the clock (ClksPerBit
// clocks per bit, at least 4).
//
// The line passes a 2-FF synchroniser. Each bit is decided by a 3-tap
// majority over the synchronised samples at the middle of the bit: clocks
// ClksPerBit/2 - 1 .. ClksPerBit/2 + 1 after the bit's start, counted from
// the first low sample of the start bit. Every byte re-synchronises on its
// own start edge, so the error budget is one frame (10 bits): at 8 clocks
// per bit the stop bit's taps stay inside the bit for a baud mismatch of
// well over 2 %.
//
// - A low pulse that is gone again at the start bit's middle is a glitch:
//   ignored, no error, hunting resumes at once.
// - A byte whose stop bit is low is dropped with an err_o pulse; the
//   receiver then waits for the line to be high before hunting for a start,
//   so a break or a stuck-low line counts one error, not one per bit time.
// - The stop bit is decided at its middle and hunting resumes there, so a
//   start bit that follows the stop bit at once (back-to-back bytes) is
//   caught.
module spl_uart_rx #(
  parameter int ClksPerBit = 8
) (
  input  logic       clk_i,
  input  logic       rst_ni,

  input  logic       rx_i,

  output logic [7:0] data_o,
  output logic       valid_o,  // one clock per good byte
  output logic       err_o     // one clock per byte dropped for a framing error
);

  if (ClksPerBit < 4) begin : gen_bad_clks_per_bit
    $error("spl_uart_rx: ClksPerBit must be at least 4");
  end

  localparam int CntW = $clog2(ClksPerBit);
  // The clock within a bit whose sample completes the majority window.
  localparam logic [CntW-1:0] DecideAt = CntW'(ClksPerBit / 2 + 1);
  localparam logic [CntW-1:0] LastClk  = CntW'(ClksPerBit - 1);

  typedef enum logic [2:0] {
    Hunt,      // line high, waiting for a start bit
    Start,     // inside the start bit, until its middle
    Data,      // eight data bits
    Stop,      // the stop bit, until its middle
    WaitHigh   // after a framing error: until the line is high
  } state_e;

  // Synchroniser and the majority window: sync_q[1] is the newest
  // synchronised sample, hist_q the two before it.
  logic [1:0]      sync_q;
  logic [1:0]      hist_q;
  logic            rx_s;
  logic            bit_val;

  state_e          state_d, state_q;
  logic [CntW-1:0] clk_cnt_d, clk_cnt_q;  // clock within the current bit
  logic [2:0]      bit_idx_d, bit_idx_q;  // data bit being received
  logic [7:0]      shift_d, shift_q;
  logic            valid_d, valid_q;
  logic            err_d, err_q;

  assign rx_s    = sync_q[1];
  assign bit_val = (hist_q[1] & hist_q[0]) | (hist_q[1] & rx_s) | (hist_q[0] & rx_s);

  always_comb begin
    state_d   = state_q;
    clk_cnt_d = (clk_cnt_q == LastClk) ? '0 : clk_cnt_q + CntW'(1);
    bit_idx_d = bit_idx_q;
    shift_d   = shift_q;
    valid_d   = 1'b0;
    err_d     = 1'b0;

    unique case (state_q)
      Hunt: begin
        clk_cnt_d = '0;
        if (!rx_s) begin
          // This sample is clock 0 of the start bit.
          state_d   = Start;
          clk_cnt_d = CntW'(1);
        end
      end
      Start: begin
        if (clk_cnt_q == DecideAt) begin
          if (bit_val) begin
            state_d = Hunt;  // a glitch, not a start bit
          end else begin
            state_d   = Data;
            bit_idx_d = '0;
          end
        end
      end
      Data: begin
        if (clk_cnt_q == DecideAt) begin
          shift_d = {bit_val, shift_q[7:1]};
          if (bit_idx_q == 3'd7) begin
            state_d = Stop;
          end else begin
            bit_idx_d = bit_idx_q + 3'd1;
          end
        end
      end
      Stop: begin
        if (clk_cnt_q == DecideAt) begin
          if (bit_val) begin
            state_d = Hunt;
            valid_d = 1'b1;
          end else begin
            state_d = WaitHigh;
            err_d   = 1'b1;
          end
        end
      end
      WaitHigh: begin
        clk_cnt_d = '0;
        if (rx_s) state_d = Hunt;
      end
      default: begin
        state_d = Hunt;
      end
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      sync_q    <= 2'b11;
      hist_q    <= 2'b11;
      state_q   <= Hunt;
      clk_cnt_q <= '0;
      bit_idx_q <= '0;
      shift_q   <= '0;
      valid_q   <= 1'b0;
      err_q     <= 1'b0;
    end else begin
      sync_q    <= {sync_q[0], rx_i};
      hist_q    <= {hist_q[0], rx_s};
      state_q   <= state_d;
      clk_cnt_q <= clk_cnt_d;
      bit_idx_q <= bit_idx_d;
      shift_q   <= shift_d;
      valid_q   <= valid_d;
      err_q     <= err_d;
    end
  end

  assign data_o  = shift_q;
  assign valid_o = valid_q;
  assign err_o   = err_q;

endmodule
