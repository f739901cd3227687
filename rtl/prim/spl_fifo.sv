// First-word-fall-through FIFO on a 1R1W RAM (EBR), one push and one pop per
// clock, exactly Depth entries.
//
// The RAM is read every clock at the address the head will have after this
// clock's pop, so rdata_o always shows the head without an extra register.
// The one exception is a push into the slot being read on the same edge (the
// FIFO was empty, or is about to be): the RAM then returns the old word, so
// valid_o stays low for one clock while the read repeats. A push while full
// is ignored (the caller counts the drop). clr_i empties the FIFO.
module spl_fifo #(
  parameter int Width = 8,
  parameter int Depth = 256,
  localparam int AddrW = $clog2(Depth)
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             clr_i,

  input  logic             push_i,
  input  logic [Width-1:0] wdata_i,
  output logic             full_o,
  output logic             empty_o,

  output logic             valid_o,
  output logic [Width-1:0] rdata_o,
  input  logic             pop_i
);

  logic [AddrW-1:0] wptr_d, wptr_q;
  logic [AddrW-1:0] rptr_d, rptr_q;
  logic [AddrW:0]   count_d, count_q;
  logic             fresh_d, fresh_q;
  logic             push_ok;
  logic             pop_ok;

  assign full_o  = (count_q == (AddrW+1)'(Depth));
  assign empty_o = (count_q == '0);
  assign valid_o = !empty_o && !fresh_q;
  assign push_ok = push_i && !full_o;
  assign pop_ok  = pop_i && valid_o;

  always_comb begin
    wptr_d  = wptr_q + AddrW'(push_ok);
    rptr_d  = rptr_q + AddrW'(pop_ok);
    count_d = count_q + (AddrW+1)'(push_ok) - (AddrW+1)'(pop_ok);
    // The push lands on the slot read this clock (wptr_q == rptr_d) exactly
    // when the FIFO holds no entry after this clock's pop; decided from the
    // count so that the pop does not sit in front of an address compare.
    fresh_d = push_ok && (count_q == (AddrW+1)'(pop_ok));
    if (clr_i) begin
      wptr_d  = '0;
      rptr_d  = '0;
      count_d = '0;
      fresh_d = 1'b0;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wptr_q  <= '0;
      rptr_q  <= '0;
      count_q <= '0;
      fresh_q <= 1'b0;
    end else begin
      wptr_q  <= wptr_d;
      rptr_q  <= rptr_d;
      count_q <= count_d;
      fresh_q <= fresh_d;
    end
  end

  spl_ram_1r1w #(
    .Width (Width),
    .Depth (Depth)
  ) u_ram (
    .clk_i   (clk_i),
    .we_i    (push_ok && !clr_i),
    .waddr_i (wptr_q),
    .wdata_i (wdata_i),
    .re_i    (1'b1),
    .raddr_i (rptr_d),
    .rdata_o (rdata_o)
  );

endmodule
