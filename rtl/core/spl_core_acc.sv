// Synaptic accumulators: two sets of acc[n] (int16) for every neuron, in
// Lanes banks (8 by default; 4 or 2 on the small boards, which take fewer
// logic cells and more clocks) so that a crossbar sweep adds Lanes weights
// per clock. Below, "eight" and "8" stand for Lanes. Bank j
// holds the neurons n with n mod 8 = j; set s, chunk c = n / 8 is at bank
// address {s, c} (the sets ping-pong per timestep: while the update reads
// and zeroes one, the recurrent sweep of the next timestep fills the other).
//
// Sweep (two stages): stage 0 presents {sw_set_i, sw_chunk_i} with
// sw_valid_i and all banks are read; in stage 1 the eight weights of that
// chunk arrive on weights_i (lane j = neuron 8*chunk + j, bits 8j+7..8j,
// with its sign extension sign_i[j] and carry in cin_i[j]; see
// spl_core_synapses) and every lane writes back sat16(acc + w). sat_o
// counts the lanes that clamped, two clocks later (registered flags, then a
// registered population count), with sat_tag_o the sw_tag_i of their row. The caller may sweep
// the same chunk on consecutive clocks (rows swept chunk-major): then the
// read missed the previous clock's write and stage 1 takes that write's
// data instead (a registered bypass). Any longer gap reads the memory.
//
// Update (two stages): stage 0 presents upd_n_i with upd_valid_i; when
// upd_n_i is the first neuron of a chunk (n mod 8 = 0) the whole chunk
// {upd_set_i, n / 8} is read, and the caller must not present a sweep read
// on that clock (sw_valid_i low). In stage 1 upd_acc_o shows acc[n]; the
// chunk's words are kept for its other seven neurons and the chunk is
// zeroed in all banks (the write port is free: the sweep read nothing the
// clock before).
//
// Handover: sw_cap_i marks a sweep read whose write is the last one to its
// chunk while the update waits for that chunk. Stage 1 then writes zeros
// and keeps the eight sums for the update instead, which takes the chunk
// with upd_cap_i (no read, no zeroing, no clock taken from the sweep).
//
// clr_i zeroes address clr_addr_i in all banks; it wins over the other users.
module spl_core_acc #(
  parameter int N = 256,
  // Lanes (2, 4 or 8): the neurons of a chunk, one bank and one adder each.
  parameter int Lanes = 8,
  localparam int NeurW  = $clog2(N),
  localparam int LaneW  = $clog2(Lanes),
  localparam int ChunkW = NeurW - LaneW
) (
  input  logic              clk_i,
  input  logic              rst_ni,

  input  logic              sw_valid_i,
  input  logic              sw_set_i,
  input  logic              sw_tag_i,
  input  logic [ChunkW-1:0] sw_chunk_i,
  input  logic              sw_cap_i,
  input  logic [8*Lanes-1:0] weights_i,
  input  logic [Lanes-1:0]  sign_i,     // lane j adds {{9{sign_i[j]}}, weight} + cin_i[j]
  input  logic [Lanes-1:0]  cin_i,
  output logic [3:0]        sat_o,
  output logic              sat_tag_o,
  output logic              busy_o,     // a sweep write or clamp count in flight

  input  logic              upd_valid_i,
  input  logic              upd_set_i,
  input  logic              upd_cap_i,
  input  logic [NeurW-1:0]  upd_n_i,
  output logic [15:0]       upd_acc_o,

  input  logic              clr_i,
  input  logic [ChunkW:0]   clr_addr_i
);

  logic              sw_v_q;
  logic              sw_tag_q;
  logic [ChunkW:0]   sw_addr_q;
  logic              upd_rd;
  logic              upd_rd_q;
  logic [ChunkW:0]   upd_addr_q;
  logic [LaneW-1:0]  upd_lane_q;

  logic [ChunkW:0]   raddr;
  logic [16*Lanes-1:0] rdata;    // bank j in bits 16j+15..16j
  logic [16*Lanes-1:0] keep_q;   // the chunk kept for the update (lane 0: handover only)
  logic [16*Lanes-1:0] sums;     // stage 1's saturated sums
  logic              cap_q;    // stage 1 hands its sums over
  logic              upd_cap_q;
  logic [Lanes-1:0]  we;
  logic [ChunkW:0]   waddr;
  logic [16*Lanes-1:0] wdata;
  logic [16*Lanes-1:0] wdata_q;   // stage 1's write of the previous clock
  logic              byp_q;     // stage 1 adds to wdata_q instead of rdata
  logic [16*Lanes-1:0] base;
  logic [Lanes-1:0]  clamp;
  logic [Lanes-1:0]  clamp_q;
  logic              clamp_v_q, clamp_tag_q;
  logic [3:0]        sat_d, sat_q;
  logic              sat_v_q, sat_tag_q;

  assign upd_rd = upd_valid_i && upd_n_i[LaneW-1:0] == '0 && !upd_cap_i;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      sw_v_q     <= 1'b0;
      byp_q      <= 1'b0;
      sw_tag_q   <= 1'b0;
      sw_addr_q  <= '0;
      upd_rd_q   <= 1'b0;
      upd_addr_q <= '0;
      upd_lane_q <= '0;
      cap_q      <= 1'b0;
      upd_cap_q  <= 1'b0;
    end else begin
      cap_q      <= sw_valid_i && sw_cap_i && !clr_i;
      upd_cap_q  <= upd_cap_i;
      sw_v_q     <= sw_valid_i && !clr_i;
      byp_q      <= sw_v_q && sw_addr_q == {sw_set_i, sw_chunk_i};
      sw_tag_q   <= sw_tag_i;
      sw_addr_q  <= {sw_set_i, sw_chunk_i};
      upd_rd_q   <= upd_rd && !clr_i;
      upd_addr_q <= {upd_set_i, upd_n_i[NeurW-1:LaneW]};
      upd_lane_q <= upd_n_i[LaneW-1:0];
    end
  end

  always_comb begin
    sat_d = '0;
    for (int j = 0; j < Lanes; j++) begin
      sat_d = sat_d + {3'b000, clamp_q[j]};
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      clamp_q     <= '0;
      clamp_v_q   <= 1'b0;
      clamp_tag_q <= 1'b0;
      sat_q       <= '0;
      sat_v_q     <= 1'b0;
      sat_tag_q   <= 1'b0;
    end else begin
      clamp_q     <= clr_i ? '0 : clamp;
      clamp_v_q   <= sw_v_q && !clr_i;
      clamp_tag_q <= sw_tag_q;
      sat_q       <= clr_i ? 4'h0 : sat_d;
      sat_v_q     <= clamp_v_q && !clr_i;
      sat_tag_q   <= clamp_tag_q;
    end
  end

  assign sat_o     = sat_q;
  assign sat_tag_o = sat_tag_q;
  assign busy_o    = sw_v_q || clamp_v_q || sat_v_q;
  assign raddr     = upd_rd ? {upd_set_i, upd_n_i[NeurW-1:LaneW]} : {sw_set_i, sw_chunk_i};
  assign upd_acc_o = (upd_lane_q == '0 && !upd_cap_q) ? rdata[15:0] : keep_q[16*upd_lane_q +: 16];

  always_ff @(posedge clk_i) begin
    wdata_q <= wdata;
  end

  assign base = byp_q ? wdata_q : rdata;

  always_ff @(posedge clk_i) begin
    if (upd_rd_q) begin
      keep_q <= rdata;
    end else if (cap_q) begin
      keep_q <= sums;
    end
  end

  // Lane j: sat16(acc + w).
  for (genvar j = 0; j < Lanes; j++) begin : g_lane
    logic [16:0] sum;
    always_comb begin
      sum      = {base[16*j+15], base[16*j +: 16]} + {{9{sign_i[j]}}, weights_i[8*j +: 8]} + 17'(cin_i[j]);
      clamp[j] = sw_v_q && sum[16] != sum[15];
      if (sum[16] != sum[15]) begin
        sums[16*j +: 16] = sum[16] ? 16'h8000 : 16'h7FFF;
      end else begin
        sums[16*j +: 16] = sum[15:0];
      end
      wdata[16*j +: 16] = (clr_i || !sw_v_q || cap_q) ? 16'h0 : sums[16*j +: 16];
    end
  end

  always_comb begin
    we    = '0;
    waddr = sw_addr_q;
    if (clr_i) begin
      we    = '1;
      waddr = clr_addr_i;
    end else if (sw_v_q) begin
      we = '1;
    end else if (upd_rd_q) begin
      we    = '1;
      waddr = upd_addr_q;
    end
  end

  // Depth 256 although a bank needs only 2*N/8 words: it keeps each bank in
  // one EBR instead of letting the synthesiser spread it over flip-flops.
  for (genvar j = 0; j < Lanes; j++) begin : g_bank
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
