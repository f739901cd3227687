// Synaptic accumulators: acc[n] (int16) for every neuron, in eight banks so
// that a crossbar sweep adds eight weights per clock. Bank j holds the
// neurons n with n mod 8 = j, at address n / 8 (a chunk).
//
// Sweep (two stages): stage 0 presents chunk sw_chunk_i with sw_valid_i and
// all banks are read; in stage 1 the eight weights of that chunk arrive on
// weights_i (lane j = neuron 8*chunk + j, bits 8j+7..8j) and every lane
// writes back sat16(acc + w). sat_o counts the lanes that clamped, two
// clocks later (registered flags, then a registered population count). A bank
// address is read again at the earliest N/8 clocks after its write, so the
// read-modify-write needs no bypass.
//
// Update (two stages): stage 0 presents upd_n_i with upd_valid_i; in stage 1
// upd_acc_o shows acc[n] and acc[n] is zeroed.
//
// clr_i zeroes chunk clr_chunk_i in all banks; it wins over the other users.
module spl_core_acc #(
  parameter int N = 256,
  localparam int NeurW  = $clog2(N),
  localparam int ChunkW = NeurW - 3
) (
  input  logic              clk_i,
  input  logic              rst_ni,

  input  logic              sw_valid_i,
  input  logic [ChunkW-1:0] sw_chunk_i,
  input  logic [63:0]       weights_i,
  output logic [3:0]        sat_o,
  output logic              busy_o,

  input  logic              upd_valid_i,
  input  logic [NeurW-1:0]  upd_n_i,
  output logic [15:0]       upd_acc_o,

  input  logic              clr_i,
  input  logic [ChunkW-1:0] clr_chunk_i
);

  logic              sw_v_q;
  logic [ChunkW-1:0] sw_chunk_q;
  logic              upd_v_q;
  logic [NeurW-1:0]  upd_n_q;

  logic [ChunkW-1:0] raddr;
  logic [127:0]      rdata;   // bank j in bits 16j+15..16j
  logic [7:0]        we;
  logic [ChunkW-1:0] waddr;
  logic [127:0]      wdata;
  logic [135:0]      sum;     // lane j in bits 17j+16..17j
  logic [7:0]        clamp;
  logic [7:0]        clamp_q;
  logic [3:0]        sat_d, sat_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      sw_v_q     <= 1'b0;
      sw_chunk_q <= '0;
      upd_v_q    <= 1'b0;
      upd_n_q    <= '0;
    end else begin
      sw_v_q     <= sw_valid_i && !clr_i;
      sw_chunk_q <= sw_chunk_i;
      upd_v_q    <= upd_valid_i && !clr_i;
      upd_n_q    <= upd_n_i;
    end
  end

  always_comb begin
    sat_d = '0;
    for (int j = 0; j < 8; j++) begin
      sat_d = sat_d + {3'b000, clamp_q[j]};
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      clamp_q <= '0;
      sat_q   <= '0;
    end else begin
      clamp_q <= clr_i ? 8'h00 : clamp;
      sat_q   <= clr_i ? 4'h0 : sat_d;
    end
  end

  assign sat_o     = sat_q;
  assign busy_o    = sw_v_q;
  assign raddr     = sw_valid_i ? sw_chunk_i : upd_n_i[NeurW-1:3];
  assign upd_acc_o = rdata[16*upd_n_q[2:0] +: 16];

  always_comb begin
    we    = '0;
    waddr = sw_chunk_q;
    clamp = '0;
    for (int j = 0; j < 8; j++) begin
      sum[17*j +: 17]  = {rdata[16*j+15], rdata[16*j +: 16]}
                         + {{9{weights_i[8*j+7]}}, weights_i[8*j +: 8]};
      wdata[16*j +: 16] = sum[17*j +: 16];
      if (sum[17*j+16] != sum[17*j+15]) begin
        wdata[16*j +: 16] = sum[17*j+16] ? 16'h8000 : 16'h7FFF;
        clamp[j]          = sw_v_q;
      end
    end
    if (sw_v_q) begin
      we = 8'hFF;
    end else if (upd_v_q) begin
      waddr             = upd_n_q[NeurW-1:3];
      we[upd_n_q[2:0]]  = 1'b1;
      wdata = '0;
    end
    if (clr_i) begin
      we    = 8'hFF;
      waddr = clr_chunk_i;
      wdata = '0;
    end
  end

  // Depth 256 although a bank needs only N/8 words: it keeps each bank in one
  // EBR instead of letting the synthesiser spread it over flip-flops.
  for (genvar j = 0; j < 8; j++) begin : g_bank
    spl_ram_1r1w #(
      .Width (16),
      .Depth (256)
    ) u_bank (
      .clk_i   (clk_i),
      .we_i    (we[j]),
      .waddr_i (8'(waddr)),
      .wdata_i (wdata[16*j +: 16]),
      .re_i    (1'b1),
      .raddr_i (8'(raddr)),
      .rdata_o (rdata[16*j +: 16])
    );
  end

endmodule
