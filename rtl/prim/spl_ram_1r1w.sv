// Simple dual-port RAM: one write port, one registered read port, one clock.
//
// Written so yosys infers iCE40 EBR (SB_RAM40_4K) and Verilator models it
// directly. The read data register has no reset on purpose: EBR output
// registers cannot be reset, and callers only look at rdata_o the cycle after
// they asserted re_i. A read of the address being written in the same cycle
// returns the old contents (callers in this design never do that).
module spl_ram_1r1w #(
  parameter int Width = 8,
  parameter int Depth = 512,
  localparam int AddrW = $clog2(Depth)
) (
  input  logic             clk_i,
  input  logic             we_i,
  input  logic [AddrW-1:0] waddr_i,
  input  logic [Width-1:0] wdata_i,
  input  logic             re_i,
  input  logic [AddrW-1:0] raddr_i,
  output logic [Width-1:0] rdata_o
);

  // no_rw_check: callers never read the address being written, so yosys
  // need not build bypass logic to emulate read-first behaviour.
  (* no_rw_check *)
  logic [Width-1:0] mem [0:Depth-1];

  always_ff @(posedge clk_i) begin
    if (we_i) begin
      mem[waddr_i] <= wdata_i;
    end
  end

  always_ff @(posedge clk_i) begin
    if (re_i) begin
      rdata_o <= mem[raddr_i];
    end
  end

endmodule
