// Neuron parameters, neuron state and the update pipeline of
// docs/neuron-model.md section 4, phase 3: one neuron per clock.
//
// Stage 0: upd_valid_i/upd_n_i address the parameter and state memories.
// Stage 1: memory words (and acc_i, the neuron's accumulator) arrive;
//          d = sat16(v_rest - v) and thr = sat16(v_thresh + a).
// Stage 2: the three products (DSP on the UP5K).
// Stage 3: v1 = sat16(v + leak), sat16(I * w_scale), decayed a.
// Stage 4: v2 = sat16(v1 + input), satu16(a + a_inc).
// Stage 5: spike decision, refractory and adaptation.
// Stage 6: the state is written back and spike_o/spike_n_o report a spike.
// A neuron's state is written six clocks after it is read and the sweep
// moves on by one neuron per clock, so no read sees a stale word.
//
// The host reads and writes parameters (space 0) and state (space 3) only
// while no update runs (the core grants it then). Host read data appear on
// host_rdata_o the clock after host_re_i. clr_i zeroes v, a and r of neuron
// clr_n_i and cancels the pipeline.
module spl_core_neuron #(
  parameter int N = 256,
  localparam int NeurW = $clog2(N)
) (
  input  logic             clk_i,
  input  logic             rst_ni,

  input  logic             upd_valid_i,
  input  logic [NeurW-1:0] upd_n_i,
  input  logic [15:0]      acc_i,

  output logic             spike_o,
  output logic [NeurW-1:0] spike_n_o,
  output logic             busy_o,      // a neuron in stages 1-5

  input  logic             host_re_i,
  input  logic             host_we_i,
  input  logic             host_state_i,  // 1: space 3 (state), 0: space 0 (parameters)
  input  logic [NeurW+2:0] host_addr_i,   // word address within the space
  input  logic [15:0]      host_wdata_i,
  output logic [15:0]      host_rdata_o,

  input  logic             clr_i,
  input  logic [NeurW-1:0] clr_n_i
);

  // Clamp a sign-extended value to int16.
  function automatic logic [15:0] sat16(input logic [31:0] x);
    logic [15:0] r;
    if (x[31:15] == '0 || x[31:15] == '1) begin
      r = x[15:0];
    end else begin
      r = x[31] ? 16'h8000 : 16'h7FFF;
    end
    sat16 = r;
  endfunction

  function automatic logic [31:0] sext16(input logic [15:0] x);
    sext16 = {{16{x[15]}}, x};
  endfunction

  // ---------------------------------------------------------------------
  // Memories
  // ---------------------------------------------------------------------
  logic [NeurW-1:0] prm_raddr;
  logic [NeurW-1:0] st_raddr;
  logic [127:0]     prm;     // parameter p in bits 16p+15..16p
  logic [15:0]      v_rd, a_rd;
  logic [7:0]       r_rd;

  logic [NeurW-1:0] st_waddr;
  logic [15:0]      v_wd, a_wd;
  logic [7:0]       r_wd;
  logic             v_we, a_we, r_we;

  logic [NeurW-1:0] host_prm_n;
  logic [2:0]       host_prm_p;
  logic [NeurW-1:0] host_st_n;
  logic [1:0]       host_st_f;

  assign host_prm_n = host_addr_i[NeurW+2:3];
  assign host_prm_p = host_addr_i[2:0];
  assign host_st_n  = host_addr_i[NeurW+1:2];
  assign host_st_f  = host_addr_i[1:0];

  assign prm_raddr = upd_valid_i ? upd_n_i : host_prm_n;
  assign st_raddr  = upd_valid_i ? upd_n_i : host_st_n;

  // Word 7 is reserved: writes are ignored and it reads 0, which keeps its
  // block RAM for the learning engine.
  assign prm[127:112] = 16'h0;
  for (genvar p = 0; p < 7; p++) begin : g_prm
    spl_ram_1r1w #(
      .Width (16),
      .Depth (N)
    ) u_prm (
      .clk_i   (clk_i),
      .we_i    (host_we_i && !host_state_i && host_prm_p == 3'(p)),
      .waddr_i (host_prm_n),
      .wdata_i (host_wdata_i),
      .re_i    (1'b1),
      .raddr_i (prm_raddr),
      .rdata_o (prm[16*p +: 16])
    );
  end

  spl_ram_1r1w #(.Width (16), .Depth (N)) u_v (
    .clk_i (clk_i), .we_i (v_we), .waddr_i (st_waddr), .wdata_i (v_wd),
    .re_i (1'b1), .raddr_i (st_raddr), .rdata_o (v_rd));
  spl_ram_1r1w #(.Width (16), .Depth (N)) u_a (
    .clk_i (clk_i), .we_i (a_we), .waddr_i (st_waddr), .wdata_i (a_wd),
    .re_i (1'b1), .raddr_i (st_raddr), .rdata_o (a_rd));
  spl_ram_1r1w #(.Width (8), .Depth (N)) u_r (
    .clk_i (clk_i), .we_i (r_we), .waddr_i (st_waddr), .wdata_i (r_wd),
    .re_i (1'b1), .raddr_i (st_raddr), .rdata_o (r_rd));

  // Host read data: the word selected by the access of the previous clock.
  logic       host_state_q;
  logic [2:0] host_sel_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      host_state_q <= 1'b0;
      host_sel_q   <= '0;
    end else if (host_re_i) begin
      host_state_q <= host_state_i;
      host_sel_q   <= host_addr_i[2:0];
    end
  end

  always_comb begin
    host_rdata_o = prm[16*host_sel_q +: 16];
    if (host_state_q) begin
      unique case (host_sel_q[1:0])
        2'd0:    host_rdata_o = v_rd;
        2'd1:    host_rdata_o = a_rd;
        2'd2:    host_rdata_o = {8'h00, r_rd};
        default: host_rdata_o = '0;
      endcase
    end
  end

  // ---------------------------------------------------------------------
  // Update pipeline
  // ---------------------------------------------------------------------
  logic             s1_v, s2_v, s3_v, s4_v, s5_v, s6_v;
  logic [NeurW-1:0] s1_n, s2_n, s3_n, s4_n, s5_n, s6_n;

  // Stage 2 registers
  logic [15:0] s2_d, s2_kleak, s2_v_mem, s2_i, s2_a, s2_kadapt, s2_vreset, s2_thr, s2_ainc;
  logic [7:0]  s2_wscale, s2_r, s2_tref;
  // Stage 3 registers
  logic [16:0] s3_pleak;   // d * k[14:0] >>> 15
  logic [31:0] s3_pin;
  logic [15:0] s3_padapt;  // a * k_adapt >> 16
  logic [15:0] s3_d, s3_v_mem, s3_a, s3_vreset, s3_thr, s3_ainc;
  logic        s3_k15;
  logic [7:0]  s3_r, s3_tref;
  // Stage 4 registers
  logic [15:0] s4_v1, s4_in, s4_adec, s4_v_mem, s4_vreset, s4_thr, s4_ainc;
  logic [7:0]  s4_r, s4_tref;
  // Stage 5 registers
  logic [15:0] s5_v2, s5_ainc_sat, s5_adec, s5_v_mem, s5_vreset, s5_thr;
  logic [7:0]  s5_r, s5_tref;
  // Stage 6 registers
  logic        s6_spike;
  logic [15:0] s6_v_new, s6_a_new;
  logic [7:0]  s6_r_new;

  // Stage 1 combinational
  logic [15:0] s1_d, s1_thr;
  always_comb begin
    s1_d   = sat16(sext16(prm[16*0 +: 16]) - sext16(v_rd));
    s1_thr = sat16(sext16(prm[16*2 +: 16]) + {16'h0, a_rd});
  end

  // Stage 2 combinational: the products. k_leak is split into bits 14..0
  // and bit 15 so each product is a 16x16 signed multiply (one SB_MAC16);
  // stage 3 adds the bit-15 part back exactly.
  logic [31:0] s2_pleak, s2_pin, s2_padapt;
  always_comb begin
    s2_pleak  = $signed(s2_d) * $signed({1'b0, s2_kleak[14:0]});
    s2_pin    = $signed(s2_i) * $signed({8'h00, s2_wscale});
    s2_padapt = s2_a * s2_kadapt;
  end

  // Stage 3 combinational
  logic [31:0] s3_leak;
  logic [15:0] s3_v1, s3_in, s3_adec;
  always_comb begin
    // (d * k) >>> 15 with k = k[14:0] + k[15] * 2^15: the 2^15 part adds d
    // exactly, since it is a whole multiple of the divisor.
    s3_leak = {{15{s3_pleak[16]}}, s3_pleak} + (s3_k15 ? sext16(s3_d) : 32'h0);
    s3_v1   = sat16(sext16(s3_v_mem) + s3_leak);
    s3_in   = sat16(s3_pin);
    s3_adec = s3_a - s3_padapt;
  end

  // Stage 4 combinational
  logic [15:0] s4_v2, s4_ainc_sat;
  logic [16:0] s4_asum;
  always_comb begin
    s4_v2       = sat16(sext16(s4_v1) + sext16(s4_in));
    s4_asum     = {1'b0, s4_adec} + {1'b0, s4_ainc};
    s4_ainc_sat = s4_asum[16] ? 16'hFFFF : s4_asum[15:0];
  end

  // Stage 5 combinational
  logic [15:0] s5_v_new, s5_a_new;
  logic [7:0]  s5_r_new;
  logic        s5_spike;
  always_comb begin
    s5_spike = 1'b0;
    s5_v_new = s5_v_mem;
    s5_r_new = s5_r - 8'd1;
    if (s5_r == 8'd0) begin
      s5_spike = $signed(s5_v2) >= $signed(s5_thr);
      s5_v_new = s5_spike ? s5_vreset : s5_v2;
      s5_r_new = s5_spike ? s5_tref : 8'd0;
    end
    s5_a_new = s5_spike ? s5_ainc_sat : s5_adec;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s1_v <= 1'b0;
      s2_v <= 1'b0;
      s3_v <= 1'b0;
      s4_v <= 1'b0;
      s1_n <= '0;
      s2_n <= '0;
      s3_n <= '0;
      s4_n <= '0;
      s5_v <= 1'b0;
      s6_v <= 1'b0;
      s5_n <= '0;
      s6_n <= '0;
      s5_v2 <= '0; s5_ainc_sat <= '0; s5_adec <= '0; s5_v_mem <= '0; s5_vreset <= '0;
      s5_thr <= '0; s5_r <= '0; s5_tref <= '0;
      s6_spike <= 1'b0; s6_v_new <= '0; s6_a_new <= '0; s6_r_new <= '0;
      s2_d <= '0; s2_kleak <= '0; s2_v_mem <= '0; s2_i <= '0; s2_a <= '0;
      s2_kadapt <= '0; s2_vreset <= '0; s2_thr <= '0; s2_ainc <= '0;
      s2_wscale <= '0; s2_r <= '0; s2_tref <= '0;
      s3_pleak <= '0; s3_pin <= '0; s3_padapt <= '0;
      s3_d <= '0; s3_v_mem <= '0; s3_a <= '0; s3_vreset <= '0; s3_thr <= '0;
      s3_ainc <= '0; s3_k15 <= 1'b0; s3_r <= '0; s3_tref <= '0;
      s4_v1 <= '0; s4_in <= '0; s4_adec <= '0; s4_v_mem <= '0; s4_vreset <= '0;
      s4_thr <= '0; s4_ainc <= '0; s4_r <= '0; s4_tref <= '0;
    end else begin
      s1_v <= upd_valid_i && !clr_i;
      s2_v <= s1_v && !clr_i;
      s3_v <= s2_v && !clr_i;
      s4_v <= s3_v && !clr_i;
      s5_v <= s4_v && !clr_i;
      s6_v <= s5_v && !clr_i;
      s1_n <= upd_n_i;
      s2_n <= s1_n;
      s3_n <= s2_n;
      s4_n <= s3_n;
      s5_n <= s4_n;
      s6_n <= s5_n;

      s2_d      <= s1_d;
      s2_kleak  <= prm[16*3 +: 16];
      s2_v_mem  <= v_rd;
      s2_i      <= acc_i;
      s2_a      <= a_rd;
      s2_kadapt <= prm[16*6 +: 16];
      s2_vreset <= prm[16*1 +: 16];
      s2_thr    <= s1_thr;
      s2_ainc   <= prm[16*5 +: 16];
      s2_wscale <= prm[16*4 +: 8];
      s2_tref   <= prm[16*4+8 +: 8];
      s2_r      <= r_rd;

      s3_pleak  <= s2_pleak[31:15];
      s3_pin    <= s2_pin;
      s3_padapt <= s2_padapt[31:16];
      s3_d      <= s2_d;
      s3_k15    <= s2_kleak[15];
      s3_v_mem  <= s2_v_mem;
      s3_a      <= s2_a;
      s3_vreset <= s2_vreset;
      s3_thr    <= s2_thr;
      s3_ainc   <= s2_ainc;
      s3_r      <= s2_r;
      s3_tref   <= s2_tref;

      s4_v1     <= s3_v1;
      s4_in     <= s3_in;
      s4_adec   <= s3_adec;
      s4_v_mem  <= s3_v_mem;
      s4_vreset <= s3_vreset;
      s4_thr    <= s3_thr;
      s4_ainc   <= s3_ainc;
      s4_r      <= s3_r;
      s4_tref   <= s3_tref;

      s5_v2       <= s4_v2;
      s5_ainc_sat <= s4_ainc_sat;
      s5_adec     <= s4_adec;
      s5_v_mem    <= s4_v_mem;
      s5_vreset   <= s4_vreset;
      s5_thr      <= s4_thr;
      s5_r        <= s4_r;
      s5_tref     <= s4_tref;

      s6_spike <= s5_spike;
      s6_v_new <= s5_v_new;
      s6_a_new <= s5_a_new;
      s6_r_new <= s5_r_new;
    end
  end

  assign spike_o       = s6_v && s6_spike;
  assign spike_n_o     = s6_n;
  // Stage 6 is not busy: its write and spike happen at the clock's edge.
  assign busy_o        = s1_v || s2_v || s3_v || s4_v || s5_v;

  // State write port: clear, then the pipeline, then the host.
  always_comb begin
    st_waddr = s6_n;
    v_wd     = s6_v_new;
    a_wd     = s6_a_new;
    r_wd     = s6_r_new;
    v_we     = 1'b0;
    a_we     = 1'b0;
    r_we     = 1'b0;
    if (clr_i) begin
      st_waddr = clr_n_i;
      v_wd     = '0;
      a_wd     = '0;
      r_wd     = '0;
      v_we     = 1'b1;
      a_we     = 1'b1;
      r_we     = 1'b1;
    end else if (s6_v) begin
      v_we = 1'b1;
      a_we = 1'b1;
      r_we = 1'b1;
    end else if (host_we_i && host_state_i) begin
      st_waddr = host_st_n;
      v_wd     = host_wdata_i;
      a_wd     = host_wdata_i;
      r_wd     = host_wdata_i[7:0];
      v_we     = host_st_f == 2'd0;
      a_we     = host_st_f == 2'd1;
      r_we     = host_st_f == 2'd2;
    end
  end

endmodule
