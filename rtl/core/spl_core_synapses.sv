// The synapse crossbar W[s][n] (signed bytes) in the four SPRAMs of the
// UP5K, read eight weights per clock.
//
// Row s is N/8 chunks; chunk c holds neurons 8c..8c+7. SPRAM k keeps, at
// address {s, c}, the 16-bit word with W[s][8c+2k] in its low byte and
// W[s][8c+2k+1] in its high byte. That is exactly the host's word address
// s*(N/2) + n/2 of memory space 1 split as {SPRAM address, k}, so a host
// word is one SPRAM word.
//
// Sweep: sw_valid_i with {sw_src_i, sw_chunk_i} reads all four; weights_o
// (lane j = neuron 8c+j in bits 8j+7..8j) follows one clock later.
// Host: host_we_i writes host_wdata_i at host_addr_i; host_re_i reads it and
// host_rdata_o shows it one clock later. The core never overlaps the two.
module spl_core_synapses #(
  parameter int N = 256,
  parameter int E = 256,
  localparam int ChunkW = $clog2(N) - 3,
  localparam int SrcW   = $clog2(E + N)
) (
  input  logic              clk_i,
  input  logic              rst_ni,

  input  logic              sw_valid_i,
  input  logic [SrcW-1:0]   sw_src_i,
  input  logic [ChunkW-1:0] sw_chunk_i,
  output logic [63:0]       weights_o,

  input  logic              host_re_i,
  input  logic              host_we_i,
  input  logic [15:0]       host_addr_i,
  input  logic [15:0]       host_wdata_i,
  output logic [15:0]       host_rdata_o
);

  logic [13:0] addr;
  logic [1:0]  host_k_q;

  assign addr = sw_valid_i ? 14'({sw_src_i, sw_chunk_i}) : host_addr_i[15:2];

  for (genvar k = 0; k < 4; k++) begin : g_spram
    spl_spram_16kx16 u_spram (
      .clk_i   (clk_i),
      .en_i    (sw_valid_i || host_re_i || (host_we_i && host_addr_i[1:0] == 2'(k))),
      .we_i    (!sw_valid_i && host_we_i),
      .addr_i  (addr),
      .wdata_i (host_wdata_i),
      .rdata_o (weights_o[16*k +: 16])
    );
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      host_k_q <= '0;
    end else if (host_re_i) begin
      host_k_q <= host_addr_i[1:0];
    end
  end

  assign host_rdata_o = weights_o[16*host_k_q +: 16];

endmodule
