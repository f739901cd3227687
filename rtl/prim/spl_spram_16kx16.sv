// Single-port RAM, 16K words of 16 bits, one clock, registered read.
//
// On the iCE40UP5K this is one SB_SPRAM256KA (yosys defines SYNTHESIS); for
// simulation it is a plain array. A cycle with en_i and we_i writes the
// nibbles of the word that mask_i enables (bit k: bits 4k+3..4k); a cycle with en_i and not we_i loads rdata_o with the word at addr_i
// on the clock edge. rdata_o holds its value while en_i is low. What rdata_o
// shows after a write is undefined (the primitive leaves it unspecified), so
// callers only look at it after a read.
module spl_spram_16kx16 (
  input  logic        clk_i,
  input  logic        en_i,
  input  logic        we_i,
  input  logic [3:0]  mask_i,
  input  logic [13:0] addr_i,
  input  logic [15:0] wdata_i,
  output logic [15:0] rdata_o
);

`ifdef SYNTHESIS
  SB_SPRAM256KA u_spram (
    .ADDRESS    (addr_i),
    .DATAIN     (wdata_i),
    .MASKWREN   (mask_i),
    .WREN       (we_i),
    .CHIPSELECT (en_i),
    .CLOCK      (clk_i),
    .STANDBY    (1'b0),
    .SLEEP      (1'b0),
    .POWEROFF   (1'b1),
    .DATAOUT    (rdata_o)
  );
`else
  logic [15:0] mem [0:16383];

  always_ff @(posedge clk_i) begin
    if (en_i) begin
      if (we_i) begin
        for (int k = 0; k < 4; k++) begin
          if (mask_i[k]) mem[addr_i][4*k +: 4] <= wdata_i[4*k +: 4];
        end
      end else begin
        rdata_o <= mem[addr_i];
      end
    end
  end
`endif

endmodule
