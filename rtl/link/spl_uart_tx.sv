// UART transmitter, 8N1, LSB first, ClksPerBit clocks per bit.
//
// The line idles high. ready_o is high when idle and in the last clock of a
// stop bit, so a byte offered back to back starts its start bit straight
// after exactly one stop bit. tx_o comes from a register.
module spl_uart_tx #(
  parameter int ClksPerBit = 8
) (
  input  logic       clk_i,
  input  logic       rst_ni,

  input  logic [7:0] data_i,
  input  logic       valid_i,
  output logic       ready_o,

  output logic       tx_o
);

  if (ClksPerBit < 4) begin : gen_bad_clks_per_bit
    $error("spl_uart_tx: ClksPerBit must be at least 4");
  end

  localparam int CntW = $clog2(ClksPerBit);
  localparam logic [CntW-1:0] LastClk = CntW'(ClksPerBit - 1);

  logic            busy_d, busy_q;
  logic [9:0]      shift_d, shift_q;      // bit 0 is on the line
  logic [CntW-1:0] clk_cnt_d, clk_cnt_q;  // clock within the current bit
  logic [3:0]      bit_idx_d, bit_idx_q;  // 0 start, 1..8 data, 9 stop
  logic            tx_d, tx_q;
  logic            last_clk;

  assign last_clk = (clk_cnt_q == LastClk);
  assign ready_o  = !busy_q || (last_clk && bit_idx_q == 4'd9);

  always_comb begin
    busy_d    = busy_q;
    shift_d   = shift_q;
    clk_cnt_d = clk_cnt_q;
    bit_idx_d = bit_idx_q;

    if (busy_q) begin
      if (last_clk) begin
        clk_cnt_d = '0;
        shift_d   = {1'b1, shift_q[9:1]};
        bit_idx_d = bit_idx_q + 4'd1;
        if (bit_idx_q == 4'd9) busy_d = 1'b0;
      end else begin
        clk_cnt_d = clk_cnt_q + CntW'(1);
      end
    end

    if (valid_i && ready_o) begin
      busy_d    = 1'b1;
      shift_d   = {1'b1, data_i, 1'b0};
      clk_cnt_d = '0;
      bit_idx_d = '0;
    end

    tx_d = busy_d ? shift_d[0] : 1'b1;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q    <= 1'b0;
      shift_q   <= '1;
      clk_cnt_q <= '0;
      bit_idx_q <= '0;
      tx_q      <= 1'b1;
    end else begin
      busy_q    <= busy_d;
      shift_q   <= shift_d;
      clk_cnt_q <= clk_cnt_d;
      bit_idx_q <= bit_idx_d;
      tx_q      <= tx_d;
    end
  end

  assign tx_o = tx_q;

endmodule
