// The synapse crossbar W[s][n] (signed bytes) in the four SPRAMs of the
// UP5K, read eight weights per clock.
//
// Row s is N/8 chunks; chunk c holds neurons 8c..8c+7. SPRAM k keeps, at
// address {s, c}, the 16-bit word with W[s][8c+2k] in its low byte and
// W[s][8c+2k+1] in its high byte. That is exactly the host's word address
// s*(N/2) + n/2 of memory space 1 split as {SPRAM address, k}, so a host
// word is one SPRAM word.
//
// Sweep: sw_valid_i with {sw_src_i, sw_chunk_i} reads all four; raw_o
// (lane j = neuron 8c+j in bits 8j+7..8j) shows the stored bytes one clock
// later, and lane j adds {{9{sign_o[j]}}, weights_o[8j+7..8j]} + neg_o[j]
// to its accumulator. Static mode: the byte, sign-extended. Plastic mode
// (plastic_i): a byte is {group, level} and adds 2*level, or subtracts it
// for an inhibitory group (inh_i[group]; docs/plasticity.md): the addend is
// then the complement of 2*level with a carry in, which keeps the mapping
// to one LUT a bit in front of the accumulator's adder.
// Learning engine: eng_en_i reads {s, c} like a sweep (raw_o a clock later)
// or, with eng_we_i, writes the byte eng_byte_i into byte eng_hi_i of
// SPRAM eng_k_i's word there (the SPRAM's nibble mask keeps the other).
// Host: host_we_i writes host_wdata_i at host_addr_i; host_re_i reads it and
// host_rdata_o shows it one clock later. The core never overlaps the two.
module spl_core_synapses #(
  parameter int N = 256,
  parameter int E = 256,
  // Weights per clock (2, 4 or 8): lanes j of chunk c are neurons
  // Lanes*c + j, in part c mod (8/Lanes) of the 64-bit word of SPRAM
  // address {s, c*Lanes/8}.
  parameter int Lanes = 8,
  localparam int LaneW  = $clog2(Lanes),
  localparam int ChunkW = $clog2(N) - LaneW,
  localparam int SrcW   = $clog2(E + N)
) (
  input  logic              clk_i,
  input  logic              rst_ni,

  input  logic              sw_valid_i,
  input  logic [SrcW-1:0]   sw_src_i,
  input  logic [ChunkW-1:0] sw_chunk_i,
  output logic [8*Lanes-1:0] weights_o,
  output logic [Lanes-1:0]  sign_o,
  output logic [Lanes-1:0]  neg_o,
  output logic [63:0]       raw_o,
  input  logic              plastic_i,
  input  logic [3:0]        inh_i,

  input  logic              eng_en_i,
  input  logic              eng_we_i,
  input  logic [13:0]       eng_addr_i,
  input  logic [1:0]        eng_k_i,
  input  logic              eng_hi_i,
  input  logic [7:0]        eng_byte_i,

  input  logic              host_re_i,
  input  logic              host_we_i,
  input  logic [15:0]       host_addr_i,
  input  logic [15:0]       host_wdata_i,
  output logic [15:0]       host_rdata_o
);

  logic [13:0] addr;
  logic [1:0]  host_k_q;
  logic [8*Lanes-1:0] part;   // the lanes' bytes of the word read

  assign addr = sw_valid_i ? 14'({sw_src_i, sw_chunk_i[ChunkW-1:3-LaneW]})
              : eng_en_i ? eng_addr_i : host_addr_i[15:2];

  for (genvar k = 0; k < 4; k++) begin : g_spram
    spl_spram_16kx16 u_spram (
      .clk_i   (clk_i),
      .en_i    (sw_valid_i || host_re_i || (host_we_i && host_addr_i[1:0] == 2'(k))
                || (eng_en_i && (!eng_we_i || eng_k_i == 2'(k)))),
      .we_i    (!sw_valid_i && (host_we_i || eng_we_i)),
      .mask_i  (!eng_en_i ? 4'b1111 : (eng_hi_i ? 4'b1100 : 4'b0011)),
      .addr_i  (addr),
      .wdata_i (eng_en_i ? {eng_byte_i, eng_byte_i} : host_wdata_i),
      .rdata_o (raw_o[16*k +: 16])
    );
  end

  if (Lanes == 8) begin : g_whole
    assign part = raw_o;
  end else begin : g_part
    // Which part of the word a sweep read, for the clock its data shows.
    logic [2-LaneW:0] sel_q;
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        sel_q <= '0;
      end else if (sw_valid_i) begin
        sel_q <= sw_chunk_i[2-LaneW:0];
      end
    end
    assign part = raw_o[8*Lanes*sel_q +: 8*Lanes];
  end

  for (genvar j = 0; j < Lanes; j++) begin : g_map
    logic [7:0] b;
    logic       neg;
    assign b   = part[8*j +: 8];
    assign neg = plastic_i && inh_i[b[7:6]];
    assign weights_o[8*j +: 8] = plastic_i ? {1'b0, b[5:0], 1'b0} ^ {8{neg}} : b;
    assign sign_o[j] = plastic_i ? neg : b[7];
    assign neg_o[j]  = neg;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      host_k_q <= '0;
    end else if (host_re_i) begin
      host_k_q <= host_addr_i[1:0];
    end
  end

  assign host_rdata_o = raw_o[16*host_k_q +: 16];

endmodule
