// 256 x 16 EBR with configuration-time contents: Kind 0 the group words
// (address 8g+w: W+ 100, W- 37, window 1000, thresholds 20 | 5 << 8, else
// 0), Kind 1 the step tables (0x1010: one level per pulse).
module spl_core_plast_ram #(
  parameter int Kind = 0
) (
  input  logic        clk_i,
  input  logic        we_i,
  input  logic [7:0]  waddr_i,
  input  logic [15:0] wdata_i,
  input  logic        re_i,
  input  logic [7:0]  raddr_i,
  output logic [15:0] rdata_o
);

  (* no_rw_check *)
  logic [15:0] mem [0:255];

  // yosys 0.23 reads neither `return` nor `int` loop variables in initial
  // blocks well: plain assignments.
  initial begin
    for (integer a = 0; a < 256; a = a + 1) begin
      if (Kind == 1) mem[a] = 16'h1010;
      else if (a % 8 == 1) mem[a] = 16'd100;
      else if (a % 8 == 2) mem[a] = 16'd37;
      else if (a % 8 == 3) mem[a] = 16'd1000;
      else if (a % 8 == 4) mem[a] = 16'h0514;
      else mem[a] = 16'h0000;
    end
  end

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
