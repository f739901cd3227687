// CRC-32C (Castagnoli) update by one byte, combinational.
//
// Reflected polynomial 0x82F63B78, least significant bit first. The register
// is not inverted here: callers start from 0xFFFFFFFF and invert at the end
// (or check the residue 0xB798B438 after running over data plus its CRC).
module spl_crc32c_byte (
  input  logic [31:0] crc_i,
  input  logic [7:0]  data_i,
  output logic [31:0] crc_o
);

  localparam logic [31:0] Poly = 32'h82F63B78;

  always_comb begin
    crc_o = crc_i ^ {24'h0, data_i};
    for (int i = 0; i < 8; i++) begin
      crc_o = {1'b0, crc_o[31:1]} ^ (crc_o[0] ? Poly : 32'h0);
    end
  end

endmodule
