// Streams one stored frame out of a registered-read RAM slot, with
// backpressure, at one byte per clock.
//
// The RAM answers one cycle after a read is issued, so a read is only issued
// while at most one byte would then be waiting (output register plus a skid
// register hold two). This keeps full throughput without ever dropping a byte
// when ready_i falls.
//
// AppendZero = 1 adds one extra item, a 0x00 byte, after the stored bytes
// (the COBS frame delimiter on the transmit side); it needs no RAM read.
module spl_slot_reader #(
  parameter bit AppendZero = 1'b0
) (
  input  logic       clk_i,
  input  logic       rst_ni,

  // The slot to read holds a frame of slot_len_i bytes (1..255).
  input  logic       slot_full_i,
  input  logic [7:0] slot_len_i,
  // Pulses when the final item was accepted downstream: the slot is free.
  output logic       slot_done_o,

  output logic       ram_re_o,
  output logic [7:0] ram_raddr_o,
  input  logic [7:0] ram_rdata_i,

  output logic [7:0] data_o,
  output logic       valid_o,
  output logic       last_o,
  input  logic       ready_i
);

  logic [8:0] len9;
  logic [8:0] idx_inc;
  logic       more;                     // issue_idx_q < slot_len_i + AppendZero
  logic [8:0] issue_idx_d, issue_idx_q;
  logic       issue;
  logic       issue_zero, issue_last;

  logic       pend_d, pend_q;           // RAM data (or the zero) arrives this cycle
  logic       pend_zero_d, pend_zero_q;
  logic       pend_last_d, pend_last_q;

  logic [7:0] out_data_d, out_data_q;
  logic       out_last_d, out_last_q;
  logic       out_valid_d, out_valid_q;
  logic [7:0] skid_data_d, skid_data_q;
  logic       skid_last_d, skid_last_q;
  logic       skid_valid_d, skid_valid_q;

  logic       pop;
  logic [1:0] held_after_pop;
  logic [7:0] arr_data;

  // The item count is slot_len_i + AppendZero; compared without adding it.
  assign len9    = {1'b0, slot_len_i};
  assign idx_inc = issue_idx_q + 9'd1;
  if (AppendZero) begin : g_zero
    assign more       = issue_idx_q <= len9;
    assign issue_last = issue_idx_q == len9;
  end else begin : g_plain
    assign more       = issue_idx_q < len9;
    assign issue_last = idx_inc == len9;
  end
  assign pop   = out_valid_q & ready_i;

  // Bytes held or in flight once this cycle's pop has happened.
  assign held_after_pop = {1'b0, out_valid_q} + {1'b0, skid_valid_q} + {1'b0, pend_q}
                        - {1'b0, pop};

  assign issue      = slot_full_i && more && (held_after_pop < 2'd2);
  assign issue_zero = AppendZero && (issue_idx_q == len9);

  assign ram_re_o    = issue & ~issue_zero;
  assign ram_raddr_o = issue_idx_q[7:0];

  assign arr_data = pend_zero_q ? 8'h00 : ram_rdata_i;

  always_comb begin
    issue_idx_d  = issue_idx_q;
    pend_d       = issue;
    pend_zero_d  = issue & issue_zero;
    pend_last_d  = issue & issue_last;
    out_data_d   = out_data_q;
    out_last_d   = out_last_q;
    out_valid_d  = out_valid_q;
    skid_data_d  = skid_data_q;
    skid_last_d  = skid_last_q;
    skid_valid_d = skid_valid_q;
    slot_done_o  = 1'b0;

    if (issue) begin
      issue_idx_d = idx_inc;
    end

    if (pop) begin
      if (out_last_q) begin
        slot_done_o = 1'b1;
        issue_idx_d = '0;
      end
      out_valid_d  = skid_valid_q;
      out_data_d   = skid_data_q;
      out_last_d   = skid_last_q;
      skid_valid_d = 1'b0;
    end

    if (pend_q) begin
      // The skid register is only used while the output register is held.
      if (!out_valid_d) begin
        out_valid_d = 1'b1;
        out_data_d  = arr_data;
        out_last_d  = pend_last_q;
      end else begin
        skid_valid_d = 1'b1;
        skid_data_d  = arr_data;
        skid_last_d  = pend_last_q;
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      issue_idx_q  <= '0;
      pend_q       <= 1'b0;
      pend_zero_q  <= 1'b0;
      pend_last_q  <= 1'b0;
      out_data_q   <= '0;
      out_last_q   <= 1'b0;
      out_valid_q  <= 1'b0;
      skid_data_q  <= '0;
      skid_last_q  <= 1'b0;
      skid_valid_q <= 1'b0;
    end else begin
      issue_idx_q  <= issue_idx_d;
      pend_q       <= pend_d;
      pend_zero_q  <= pend_zero_d;
      pend_last_q  <= pend_last_d;
      out_data_q   <= out_data_d;
      out_last_q   <= out_last_d;
      out_valid_q  <= out_valid_d;
      skid_data_q  <= skid_data_d;
      skid_last_q  <= skid_last_d;
      skid_valid_q <= skid_valid_d;
    end
  end

  assign data_o  = out_data_q;
  assign valid_o = out_valid_q;
  assign last_o  = out_last_q;

endmodule
