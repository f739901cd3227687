// Neuron parameters, neuron state and the update pipeline of
// docs/neuron-model.md section 4, phase 3: one neuron per clock.
//
// Each memory word is read by the stage before the one that uses it (each
// block RAM's read address is that stage's neuron), so no parameter or state
// word is carried down the pipeline in flip-flops.
// Stage 0: upd_valid_i/upd_n_i enter.
// Stage 1: acc_i (the neuron's accumulator) arrives; v, a, v_rest,
//          v_thresh, k_leak, w_scale and k_adapt are read.
// Stage 2: d = sat16(v_rest - v), thr = sat16(v_thresh + a); the three
//          products (SB_MAC16 on the UP5K, which also adds v * 2^15 to the
//          leak's).
// Stage 3: v1 = sat16(v + leak), sat16(I * w_scale), decayed a; r, t_ref,
//          v_reset and a_inc are read.
// Stage 4: v2 = sat16(v1 + input), the spike decision: new v, a, r.
// Stage 5: the state is written back.
// Stage 6: spike_o/spike_n_o report a spike.
// A neuron's state is written four clocks after its read and the sweep
// moves on by one neuron per clock, so no read sees a stale word.
//
// The host reads and writes parameters (space 0) and state (space 3) only
// while no update runs (the core grants it then), when every read address
// is the host's. Host read data appear on host_rdata_o the clock after
// host_re_i. clr_i zeroes v, a and r of neuron clr_n_i and cancels the
// pipeline.
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

  // ---------------------------------------------------------------------
  // Pipeline valid bits and neuron numbers
  // ---------------------------------------------------------------------
  logic             s1_v, s2_v, s3_v, s4_v, s5_v, s6_v;
  logic [NeurW-1:0] s1_n, s2_n, s3_n, s4_n, s5_n, s6_n;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s1_v <= 1'b0;
      s2_v <= 1'b0;
      s3_v <= 1'b0;
      s4_v <= 1'b0;
      s5_v <= 1'b0;
      s6_v <= 1'b0;
      s1_n <= '0;
      s2_n <= '0;
      s3_n <= '0;
      s4_n <= '0;
      s5_n <= '0;
      s6_n <= '0;
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
    end
  end

  // ---------------------------------------------------------------------
  // Memories
  // ---------------------------------------------------------------------
  // The neuron of a host access: word n*8+p in space 0, n*4+f in space 3.
  logic [NeurW-1:0] host_n;
  logic [2:0]       host_prm_p;
  logic [1:0]       host_st_f;

  assign host_n     = host_state_i ? host_addr_i[NeurW+1:2] : host_addr_i[NeurW+2:3];
  assign host_prm_p = host_addr_i[2:0];
  assign host_st_f  = host_addr_i[1:0];

  // Read addresses: the neuron in stage 1 for the words stage 2 uses, the
  // one in stage 3 for stage 4's; the host's while the pipeline is empty.
  logic [NeurW-1:0] rd1_n, rd3_n;
  assign rd1_n = s1_v ? s1_n : host_n;
  assign rd3_n = s3_v ? s3_n : host_n;

  // State write port (below): clear, then the pipeline (stage 5), then the
  // host.
  logic             st_host;        // the host has the state write port
  logic [NeurW-1:0] st_waddr;
  logic [15:0]      v_wd, a_wd;
  logic [7:0]       r_wd;
  logic             v_we, a_we, r_we;

  logic [127:0]     prm;            // parameter p in bits 16p+15..16p
  logic [6:0]       prm_we;
  logic             tref_we;        // parameter word 4 (and its copy) written

  // Word 7 is reserved: writes are ignored and it reads 0, which keeps its
  // block RAM for the learning engine.
  assign prm[127:112] = 16'h0;
  for (genvar p = 0; p < 7; p++) begin : g_prm
    // v_reset (1) and a_inc (5) are used at stage 4, the others at stage 2.
    logic [NeurW-1:0] raddr;
    assign raddr = (p == 1 || p == 5) ? rd3_n : rd1_n;
    // Word 4 is written only with the state port (its t_ref has a copy in
    // the r memory); the host has both whenever it writes.
    assign prm_we[p] = host_we_i && !host_state_i && host_prm_p == 3'(p)
                       && (p != 4 || st_host);
    spl_ram_1r1w #(
      .Width (16),
      .Depth (N)
    ) u_prm (
      .clk_i   (clk_i),
      .we_i    (prm_we[p]),
      .waddr_i (host_n),
      .wdata_i (host_wdata_i),
      .re_i    (1'b1),
      .raddr_i (raddr),
      .rdata_o (prm[16*p +: 16])
    );
  end

  logic [15:0] v_rd, a_rd;
  logic [7:0]  r_rd, tref_rd;

  spl_ram_1r1w #(.Width (16), .Depth (N)) u_v (
    .clk_i (clk_i), .we_i (v_we), .waddr_i (st_waddr), .wdata_i (v_wd),
    .re_i (1'b1), .raddr_i (rd1_n), .rdata_o (v_rd));
  spl_ram_1r1w #(.Width (16), .Depth (N)) u_a (
    .clk_i (clk_i), .we_i (a_we), .waddr_i (st_waddr), .wdata_i (a_wd),
    .re_i (1'b1), .raddr_i (rd1_n), .rdata_o (a_rd));

  // r in the low byte. The high byte holds a copy of t_ref (bits 15..8 of
  // parameter word 4), written whenever word 4 is, so that stage 4 gets r
  // and t_ref in one read (word 4 itself is read at stage 1, for w_scale).
  // Both start out zero (block RAM contents at configuration, and in
  // simulation). One block RAM with byte write enables; callers never read
  // the word being written.
  (* no_rw_check *)
  logic [15:0] r_mem [0:N-1];
  always_ff @(posedge clk_i) begin
    if (r_we) begin
      r_mem[st_waddr][7:0] <= r_wd;
    end
    if (tref_we) begin
      r_mem[st_waddr][15:8] <= host_wdata_i[15:8];
    end
  end
  always_ff @(posedge clk_i) begin
    {tref_rd, r_rd} <= r_mem[rd3_n];
  end

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
  // Data registers have no reset: only those of valid neurons are used.
  // Some values are kept inverted: on iCE40 a subtraction costs a LUT per
  // bit more than an addition unless its inverted operand comes out of a
  // LUT, and an inversion costs nothing where a LUT already drives the
  // register.
  logic [15:0] s2_i;
  logic [31:0] s3_pleak;   // d * k[14:0] + v * 2^15
  logic [31:0] s3_pin;     // I * w_scale
  logic [31:0] s3_padapt;  // a * k_adapt
  logic [15:0] s3_dk;      // k[15] ? d : 0
  logic [15:0] s3_na;      // ~a
  logic [15:0] s3_nthr;    // ~thr
  logic [15:0] s4_v1, s4_in, s4_adec;
  logic [16:0] s4_ny;      // ~(thr - input)
  logic        s4_thrmin;  // thr = -32768
  logic        s5_spike, s5_vwe;
  logic [15:0] s5_v_new, s5_a_new;
  logic [7:0]  s5_r_new;
  logic        s6_spike;

  // Stage 2. k_leak is split into bits 14..0 and bit 15 so each product is
  // a 16x16 signed multiply (one SB_MAC16); stage 3 adds the bit-15 part
  // back exactly. Adding v * 2^15 to the leak's product (exact:
  // |d * k[14:0] + v * 2^15| < 2^31) makes its bits 31..15
  // v + (d * k[14:0] >>> 15).
  logic [16:0] s2_diff;
  logic [17:0] s2_tsum;
  logic [15:0] s2_d, s2_kleak, s2_thr;
  logic [31:0] s2_lprod, s2_pleak, s2_pin, s2_padapt;
  always_comb begin
    s2_kleak  = prm[16*3 +: 16];
    s2_diff   = {prm[16*0+15], prm[16*0 +: 16]} - {v_rd[15], v_rd};
    s2_d      = sat16({{15{s2_diff[16]}}, s2_diff});
    s2_tsum   = {{2{prm[16*2+15]}}, prm[16*2 +: 16]} + {2'b00, a_rd};
    s2_thr    = sat16({{14{s2_tsum[17]}}, s2_tsum});
    s2_lprod  = $signed(s2_d) * $signed({1'b0, s2_kleak[14:0]});
    s2_pleak  = s2_lprod + {v_rd[15], v_rd, 15'h0};
    s2_pin    = $signed(s2_i) * $signed({8'h00, prm[16*4 +: 8]});
    s2_padapt = a_rd * prm[16*6 +: 16];
  end

  // Stage 3. The spike test, sat16(v1 + input) >= thr, is v1 >= thr - input
  // or thr = -32768 (which any v2 reaches): thr - input is formed here, off
  // stage 4's path, as ~(thr - input) = input + ~thr.
  logic [17:0] s3_vsum;
  logic [15:0] s3_v1, s3_in, s3_nadec;
  logic [16:0] s3_ny;
  always_comb begin
    // v + (d * k >>> 15) with k = k[14:0] + k[15] * 2^15: the 2^15 part
    // adds d exactly, since it is a whole multiple of the divisor.
    s3_vsum  = {s3_pleak[31], s3_pleak[31:15]} + {{2{s3_dk[15]}}, s3_dk};
    s3_v1    = sat16({{14{s3_vsum[17]}}, s3_vsum});
    // |I * w_scale| < 2^23: bits 31..23 are copies of the sign.
    s3_in    = sat16({{8{s3_pin[23]}}, s3_pin[23:0]});
    // ~a + (a * k_adapt >> 16) = ~(a - (a * k_adapt >> 16)), no wrap.
    s3_nadec = s3_na + s3_padapt[31:16];
    s3_ny    = {s3_in[15], s3_in} + {s3_nthr[15], s3_nthr};
  end

  // Stage 4
  logic [17:0] s4_ge;      // v1 - (thr - input)
  logic [16:0] s4_vs, s4_asum;
  logic [15:0] s4_v2, s4_v_new, s4_a_new;
  logic [7:0]  s4_r_new;
  logic        s4_rz, s4_spike;
  always_comb begin
    s4_vs     = {s4_v1[15], s4_v1} + {s4_in[15], s4_in};
    s4_v2     = sat16({{15{s4_vs[16]}}, s4_vs});
    s4_ge     = {{2{s4_v1[15]}}, s4_v1} + {s4_ny[16], s4_ny} + 18'd1;
    s4_rz     = r_rd == 8'd0;
    s4_spike  = s4_rz && (!s4_ge[17] || s4_thrmin);
    s4_v_new  = s4_spike ? prm[16*1 +: 16] : s4_v2;
    s4_r_new  = s4_rz ? (s4_spike ? tref_rd : 8'd0) : r_rd - 8'd1;
    s4_asum   = {1'b0, s4_adec} + {1'b0, prm[16*5 +: 16]};
    s4_a_new  = !s4_spike ? s4_adec : s4_asum[16] ? 16'hFFFF : s4_asum[15:0];
  end

  always_ff @(posedge clk_i) begin
    s2_i      <= acc_i;

    s3_pleak  <= s2_pleak;
    s3_pin    <= s2_pin;
    s3_padapt <= s2_padapt;
    s3_dk     <= s2_kleak[15] ? s2_d : 16'h0;
    s3_na     <= ~a_rd;
    s3_nthr   <= ~s2_thr;

    s4_v1     <= s3_v1;
    s4_in     <= s3_in;
    s4_adec   <= ~s3_nadec;
    s4_ny     <= s3_ny;
    s4_thrmin <= s3_nthr == 16'h7FFF;

    s5_spike  <= s4_spike;
    s5_vwe    <= s4_rz;      // v is held while refractory: not written
    s5_v_new  <= s4_v_new;
    s5_a_new  <= s4_a_new;
    s5_r_new  <= s4_r_new;

    s6_spike  <= s5_spike;
  end

  // The products keep 32 bits so that their registers go into the SB_MAC16s.
  logic unused_bits;
  assign unused_bits = ^{s3_pleak[14:0], s3_pin[31:24], s3_padapt[15:0], s4_ge[16:0]};

  assign spike_o   = s6_v && s6_spike;
  assign spike_n_o = s6_n;
  // Stage 6 is not busy: its spike is reported at the clock's edge.
  assign busy_o    = s1_v || s2_v || s3_v || s4_v || s5_v;

  // State write port: clear, then the pipeline, then the host.
  assign st_host = !clr_i && !s5_v;
  assign tref_we = prm_we[4];
  always_comb begin
    st_waddr = s5_n;
    v_wd     = s5_v_new;
    a_wd     = s5_a_new;
    r_wd     = s5_r_new;
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
    end else if (s5_v) begin
      v_we = s5_vwe;
      a_we = 1'b1;
      r_we = 1'b1;
    end else begin
      st_waddr = host_n;
      v_wd     = host_wdata_i;
      a_wd     = host_wdata_i;
      r_wd     = host_wdata_i[7:0];
      v_we     = host_we_i && host_state_i && host_st_f == 2'd0;
      a_we     = host_we_i && host_state_i && host_st_f == 2'd1;
      r_we     = host_we_i && host_state_i && host_st_f == 2'd2;
    end
  end

endmodule
