// The learning engine of the neuron core: memory space 2 (the plasticity
// registers of docs/plasticity.md section 6), the spike histories, and the
// pulses of section 4, applied by one read-modify-write sequence on the
// crossbar SPRAMs after each timestep's update.
//
// Memories
//   hist (768 x 16, three EBR): words 0..E+N-1 the last delivery of each
//     source as {valid, t[14:0]}; words 0x200 + 32k + 0..20 rate slot k's
//     ring of its last 21 deliveries, word 0x200 + 32k + 21 its write
//     pointer; words 0x200 + 32i' + 24..31 (i' < 7) the register shadow
//     that host reads return (section 6's words below 0x100, sanitised as
//     the model reads them back). The engine reads windows, thresholds,
//     levels and rate slots from the shadow when a synapse needs them:
//     logic cells, not block RAM, are what the UP5K runs short of. The
//     rules, signs, seeds and amplitudes stay in flip-flops. A neuron's last spike
//     is not stored: its spikes are delivered as source E+n the timestep
//     after, so while timestep T learns, last_post(n) = last_pre(E+n) - 1.
//   tab (256 x 16, one EBR): the step tables, word {g, level}.
// Timestamps keep 15 bits of time. A scrubber visits history word t mod
// 1024 every timestep and invalidates a stamp 16384 or more timesteps old,
// so every valid stamp is younger than 2^15 and its modular age is exact;
// windows are at most 16383, so the scrubber never changes a decision.
//
// Per timestep (start_i, the core idle in its learning state), in order:
//   A  record the deliveries of t (list half t[0], entries 0..del_cnt_i-1):
//      last_pre and the rate slot rings (every mode, frozen or not);
//   B  plastic mode, learning on, some group STDP: for each delivery, each
//      target with an STDP synapse whose neuron spiked within W- before:
//      a depression pulse;
//   C  plastic mode, learning on, some group plastic: for each neuron that
//      fired at t (list half !t[0]), each source: STDP potentiation or the
//      rate rule;
//   E  scrub one history word.
// A pulse is a table read (and the group's levels), the device-to-device
// offset, 16 LFSR steps and the noise when cycle-to-cycle noise is on, the
// rounded steps, the unclamped level, then the new byte written through the
// SPRAM's nibble mask: 6 to 23 clocks.
module spl_core_learn #(
  parameter int N = 256,
  parameter int E = 256,
  localparam int NeurW = $clog2(N),
  localparam int SrcW  = $clog2(E + N),
  localparam int IdxW  = SrcW
) (
  input  logic             clk_i,
  input  logic             rst_ni,

  // Host port, memory space 2 (granted only while busy_o is low)
  input  logic             host_re_i,
  input  logic             host_we_i,
  input  logic [15:0]      host_addr_i,
  input  logic [15:0]      host_wdata_i,
  output logic [15:0]      host_rdata_o,   // the clock after host_re_i

  input  logic             start_i,        // learn for timestep time_i
  input  logic             clear_i,        // forget every history
  input  logic [14:0]      time_i,
  input  logic [IdxW-1:0]  del_cnt_i,      // deliveries of t in list half t[0]
  input  logic [IdxW-1:0]  spk_cnt_i,      // spikes of t in list half !t[0]
  output logic [IdxW:0]    lst_raddr_o,
  input  logic [SrcW-1:0]  lst_rdata_i,

  // Crossbar access (the sweep is idle while busy_o)
  output logic             syn_en_o,
  output logic             syn_we_o,
  output logic [13:0]      syn_addr_o,
  output logic [1:0]       syn_k_o,
  output logic             syn_hi_o,       // write the high byte of the word
  output logic [7:0]       syn_byte_o,
  input  logic [63:0]      syn_raw_i,

  output logic             busy_o,
  output logic             pulse_o,        // a synapse was written
  output logic             plastic_o,
  output logic [3:0]       inh_o,

  output logic [31:0]      cnt_pot_o,
  output logic [31:0]      cnt_dep_o,
  output logic [31:0]      cnt_unslotted_o
);

  localparam logic [1:0] RuleStdp = 2'd1;
  localparam logic [1:0] RuleRate = 2'd2;
  localparam int HistDepth = 768;
  localparam int RingLen   = 21;

  typedef enum logic [4:0] {
    SInit,       // after reset: default registers and tables
    SClear,      // histories invalid
    SRingClr,    // a rate slot was written: its ring invalid
    SIdle,
    SPhase,      // dispatch to the next phase
    SSeed0, SSeed1, SSeed2,   // the LFSR reloads from the c2c seed words
    SARd, SAWr, SARing, SAWp, SAWp2,
    SHead, SHeadW, SRd, SEv, SEw,
    SSlot,       // find the source's rate slot: the lowest holding it
    SR1, SR2, SR3,
    SP0, SP1, SPD, SPL, SPC, SPR, SPA, SP2,
    SE0, SE1
  } state_e;

  state_e st_q, st_d;
  logic [1:0]       ph_q, ph_d;
  logic [IdxW-1:0]  idx_q, idx_d;
  logic [SrcW-1:0]  src_q, src_d;
  logic [NeurW-1:0] n_q, n_d;
  logic [9:0]       cnt_q, cnt_d;
  logic [7:0]       pb_q, pb_d;       // the synapse byte a pulse acts on
  logic             ppot_q, ppot_d;
  logic [7:0]       q_q, q_d;         // the step, Q4.4, after d2d
  logic [5:0]       top_q, top_d;     // levels - 1 of the pulse's group
  logic [4:0]       steps_q;          // the pulse's steps (SPR)
  logic signed [7:0] lvl_q;           // level +- steps, unclamped (SPA)
  logic [2:0]       slot_q, slot_d;
  logic [13:0]      win_q, win_d;
  logic [4:0]       rcnt_q, rcnt_d;
  logic [14:0]      age_q, age_d;     // of the synapse waiting for its window
  logic             hv_q, hv_d;

  // Registers (section 6)
  logic             plastic_q, learning_q;
  logic [31:0]      seed_d_q, lfsr_q, lfsr_d;
  logic [7:0]       amp_d_q, amp_c_q;
  logic [7:0]       rule_q;     // group g in bits 2g+1..2g
  logic [3:0]       inh_q;
  logic [7:0]       slot_v_q;
  logic             cnt_pot_inc, cnt_dep_inc, cnt_uns_inc;

  // Memories' ports
  logic             h_we;
  logic [9:0]       h_waddr, h_raddr;
  logic [15:0]      h_wdata, h_rdata;
  logic             t_we;
  logic [7:0]       t_waddr, t_raddr;
  logic [15:0]      t_wdata, t_rdata;

  spl_ram_1r1w #(.Width (16), .Depth (HistDepth)) u_hist (
    .clk_i (clk_i), .we_i (h_we), .waddr_i (h_waddr), .wdata_i (h_wdata),
    .re_i (1'b1), .raddr_i (h_raddr), .rdata_o (h_rdata));
  spl_ram_1r1w #(.Width (16), .Depth (256)) u_tab (
    .clk_i (clk_i), .we_i (t_we), .waddr_i (t_waddr), .wdata_i (t_wdata),
    .re_i (1'b1), .raddr_i (t_raddr), .rdata_o (t_rdata));

  // ---------------------------------------------------------------------
  // Host decode: register index i (0..55) of a word below 0x100, or a table
  // word. Shadow word of index i: 0x200 + 32*i[5:3] + 24 + i[2:0].
  // ---------------------------------------------------------------------
  logic [8:0]  ha;
  logic        h_top;       // address below 0x200
  logic        h_is_tab, h_is_reg;
  logic [5:0]  h_idx;
  logic [15:0] h_clean;     // the word as it reads back
  logic [1:0]  h_g;

  function automatic logic [9:0] shadow_addr(input logic [5:0] i);
    shadow_addr = {2'b10, i[5:3], 2'b11, i[2:0]};
  endfunction

  assign ha      = host_addr_i[8:0];
  assign h_top   = host_addr_i[15:9] == '0;
  assign h_is_tab = h_top && ha[8];
  assign h_g     = ha[4:3] - 2'd2;
  always_comb begin
    h_is_reg = 1'b0;
    h_idx    = ha[5:0];
    if (h_top && !ha[8] && ha[7:6] == 2'b00) begin
      if (ha[5:0] <= 6'h05) begin
        h_is_reg = 1'b1;
      end else if (ha[5:4] != 2'b00 && ha[5:4] != 2'b11 && ha[2:0] <= 3'd4) begin
        h_is_reg = 1'b1;                       // 0x10..0x2F, fields 0..4
      end
    end else if (h_top && !ha[8] && ha[7:3] == 5'b01000) begin
      h_is_reg = 1'b1;                         // 0x40..0x47: rate slots
      h_idx    = {3'b110, ha[2:0]};
    end
  end

  always_comb begin
    h_clean = host_wdata_i;
    if (h_idx == 6'd0) begin
      h_clean = {14'h0, host_wdata_i[1:0]};
    end else if (h_idx[5:4] == 2'b11) begin
      h_clean = host_wdata_i[15] ? {1'b1, 6'h0, host_wdata_i[8:0]} : 16'h0;
    end else if (h_idx >= 6'd16) begin
      unique case (h_idx[2:0])
        3'd0: h_clean = {2'b00,
                         host_wdata_i[13:8] == '0 ? 6'd1 : host_wdata_i[13:8],
                         5'h0, host_wdata_i[2],
                         host_wdata_i[1:0] == 2'd3 ? 2'd0 : host_wdata_i[1:0]};
        3'd1, 3'd2, 3'd3: h_clean = {2'b00, host_wdata_i[13:0]};
        default: h_clean = host_wdata_i;
      endcase
    end
  end

  logic rd_tab_q, rd_reg_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_tab_q <= 1'b0;
      rd_reg_q <= 1'b0;
    end else if (host_re_i) begin
      rd_tab_q <= h_is_tab;
      rd_reg_q <= h_is_reg;
    end
  end
  assign host_rdata_o = rd_tab_q ? t_rdata : (rd_reg_q ? h_rdata : 16'h0);

  // The reset value of a shadow word (section 6, "After reset").
  function automatic logic [15:0] shadow_default(input logic [5:0] i);
    logic [15:0] v;
    v = 16'h0;
    if (i == 6'd0) begin
      v = 16'h0002;
    end else if (i == 6'd1) begin
      v = 16'h0001;
    end else if (i >= 6'd16 && i < 6'd48) begin
      unique case (i[2:0])
        3'd0: v = 16'h3F00;
        3'd1: v = 16'd100;
        3'd2: v = 16'd37;
        3'd3: v = 16'd1000;
        3'd4: v = 16'h0514;
        default: v = 16'h0;
      endcase
    end
    shadow_default = v;
  endfunction

  // ---------------------------------------------------------------------
  // The synapse under evaluation: byte n_q[2:0] of the SPRAM word read at
  // {src_q, n_q / 8}, and the history word read with it (phase B: the
  // target's source word E+n, phase C: the source's).
  // ---------------------------------------------------------------------
  logic [7:0]  b_cur;
  logic [1:0]  g_cur;
  logic [1:0]  rule_cur;
  logic [14:0] age;          // of h_rdata
  logic        h_valid;
  logic        any_stdp, any_plastic;
  logic        ph_b;         // the scan is phase B (else C)

  assign b_cur   = syn_raw_i[8*n_q[2:0] +: 8];
  assign g_cur   = b_cur[7:6];
  assign age     = time_i - h_rdata[14:0];
  assign h_valid = h_rdata[15];
  assign ph_b    = ph_q == 2'd1;

  // Constant part-selects only: yosys turns a variable one into a shifter.
  always_comb begin
    rule_cur    = '0;
    any_stdp    = 1'b0;
    any_plastic = 1'b0;
    for (int g = 0; g < 4; g++) begin
      if (g_cur == 2'(g)) begin
        rule_cur = rule_q[2*g +: 2];
      end
      any_stdp    = any_stdp || rule_q[2*g +: 2] == RuleStdp;
      any_plastic = any_plastic || rule_q[2*g +: 2] != 2'd0;
    end
  end

  // Slot k's register word in the shadow, and whether it holds src_q.
  logic slot_match;
  assign slot_match = h_rdata[15] && h_rdata[SrcW-1:0] == src_q;

  // ---------------------------------------------------------------------
  // Pulse datapath (docs/plasticity.md section 2)
  // ---------------------------------------------------------------------
  function automatic logic [7:0] clamp8(input logic signed [9:0] x);
    clamp8 = x < 0 ? 8'h00 : (x > 10'sd255 ? 8'hFF : x[7:0]);
  endfunction

  // One multiplier and one clamped add serve both offsets, one clock each:
  // the device-to-device offset in SPD, the cycle-to-cycle noise in SPC.
  logic [31:0]        hash;
  logic [4:0]         mul_x;          // the 5-bit draw, offset by -16
  logic [7:0]         mul_amp;
  logic signed [14:0] prod;
  logic [7:0]         q_adj;
  logic               round_up;
  logic [4:0]         steps;
  logic signed [7:0]  lvl_sum;
  logic [5:0]         lvl_new;
  logic [7:0]         byte_new;

  always_comb begin
    hash = {15'h0, src_q, n_q} ^ seed_d_q;
    for (int r = 0; r < 3; r++) begin
      hash = hash ^ (hash << 13);
      hash = hash ^ (hash >> 17);
      hash = hash ^ (hash << 5);
    end
    mul_x   = st_q == SPD ? hash[31:27] : lfsr_q[4:0];
    mul_amp = st_q == SPD ? amp_d_q : amp_c_q;
    prod    = $signed({1'b0, mul_x} - 6'd16) * $signed({1'b0, mul_amp});
    q_adj   = clamp8({2'b00, q_q} + 10'(prod >>> 4));
    // Nearest, (q + 8) >> 4, or stochastic rounding with the LFSR's bits.
    round_up = amp_c_q == '0 ? q_q[3] : lfsr_q[12:9] < q_q[3:0];
    steps    = {1'b0, q_q[7:4]} + {4'b0000, round_up};
    // Registered in SPR and SPA: a pulse's last steps are three clocks, not
    // one long path (the core meets 24 MHz).
    lvl_sum = $signed({2'b00, pb_q[5:0]}) + (ppot_q ? $signed({3'b000, steps_q}) : -$signed({3'b000, steps_q}));
    if (lvl_q < 0) begin
      lvl_new = 6'd0;
    end else if (lvl_q > $signed({2'b00, top_q})) begin
      lvl_new = ppot_q ? top_q : lvl_q[5:0];
    end else begin
      lvl_new = lvl_q[5:0];
    end
    byte_new = {pb_q[7:6], lvl_new};
  end

  // The engine's own choices, before the host and the clear override them.
  state_e           st_e;
  logic [9:0]       cnt_e;
  logic [2:0]       slot_e;
  logic             h_we_e, t_we_e;
  logic [9:0]       h_waddr_e, h_raddr_e;
  logic [15:0]      h_wdata_e, t_wdata_e;
  logic [7:0]       t_waddr_e, t_raddr_e;

  // ---------------------------------------------------------------------
  // Sequencer
  // ---------------------------------------------------------------------
  logic            a_adv;      // phase A: done with this delivery
  logic            adv;        // done with this synapse: on to the next
  logic            adv_now;    // ... whose reads went out this clock (SEv, SEw)
  logic            scan_last;
  logic [SrcW-1:0]  nxt_src;   // the scan's next synapse
  logic [NeurW-1:0] nxt_n;
  logic [9:0]       nxt_hist;  // and its history word
  logic [IdxW-1:0] lim;        // list entries of the phase

  assign scan_last = ph_b ? n_q == '1 : src_q == SrcW'(E + N - 1);
  assign nxt_src   = ph_b ? src_q : src_q + SrcW'(1);
  assign nxt_n     = ph_b ? n_q + NeurW'(1) : n_q;
  assign nxt_hist  = ph_b ? 10'(SrcW'(E) + SrcW'(nxt_n)) : 10'(nxt_src);
  assign lim       = ph_b ? del_cnt_i : spk_cnt_i;

  always_comb begin
    st_e    = st_q;
    ph_d    = ph_q;
    idx_d   = idx_q;
    src_d   = src_q;
    n_d     = n_q;
    cnt_e   = cnt_q;
    pb_d    = pb_q;
    ppot_d  = ppot_q;
    q_d     = q_q;
    top_d   = top_q;
    slot_e  = slot_q;
    win_d   = win_q;
    rcnt_d  = rcnt_q;
    age_d   = age_q;
    hv_d    = hv_q;
    lfsr_d  = lfsr_q;
    adv     = 1'b0;
    adv_now = 1'b0;
    a_adv   = 1'b0;

    h_we_e    = 1'b0;
    h_waddr_e = 10'(src_q);
    h_wdata_e = {1'b1, time_i};
    h_raddr_e = ph_b ? 10'(SrcW'(E) + SrcW'(n_q)) : 10'(src_q);
    t_we_e    = 1'b0;
    t_waddr_e = cnt_q[7:0];
    t_wdata_e = 16'h1010;
    t_raddr_e = pb_q;
    // The list shows entry idx_q in SARd and SHead, and the next entry in
    // every other state, so that moving on to it needs no address that
    // waits for a decision (the 24 MHz path into the list RAM).
    lst_raddr_o = {ph_q == 2'd2 ? !time_i[0] : time_i[0],
                   idx_q + IdxW'(st_q == SARd || st_q == SHead ? 0 : 1)};
    syn_en_o    = 1'b0;
    syn_we_o    = 1'b0;
    syn_addr_o  = 14'({src_q, n_q[NeurW-1:3]});
    syn_k_o     = n_q[2:1];
    syn_hi_o    = n_q[0];
    syn_byte_o  = byte_new;
    pulse_o     = 1'b0;
    cnt_pot_inc = 1'b0;
    cnt_dep_inc = 1'b0;
    cnt_uns_inc = 1'b0;

    unique case (st_q)
      // Fills: after reset the register defaults and linear tables, after
      // a clear every history word, after a rate slot write its ring.
      SInit, SClear, SRingClr: begin
        h_we_e    = !(st_q == SClear && cnt_q[9:8] == 2'b10 && cnt_q[4:3] == 2'b11);
        h_waddr_e = st_q == SRingClr ? {2'b10, slot_q, cnt_q[4:0]} : cnt_q;
        h_wdata_e = (st_q == SInit && cnt_q[9:8] == 2'b10 && cnt_q[4:3] == 2'b11)
                  ? shadow_default({cnt_q[7:5], cnt_q[2:0]}) : 16'h0;
        t_we_e    = st_q == SInit && cnt_q[9:8] == 2'b00;
        cnt_e   = cnt_q + 10'd1;
        if (cnt_q == (st_q == SRingClr ? 10'(RingLen) : 10'(HistDepth - 1))) begin
          st_e = st_q == SClear ? SSeed0 : SIdle;
        end
      end
      SIdle: begin
        if (start_i) begin
          ph_d  = 2'd0;
          idx_d = '0;
          st_e  = del_cnt_i != '0 ? SARd : SPhase;
        end
      end
      SPhase: begin
        // After A (ph 0) or B (ph 1): the next phase with work, or scrub.
        idx_d = '0;
        st_e  = SE0;
        if (ph_q == 2'd0 && del_cnt_i != '0 && plastic_q && learning_q && any_stdp) begin
          ph_d = 2'd1;
          st_e = SHead;
        end else if (ph_q != 2'd2 && spk_cnt_i != '0 && plastic_q && learning_q && any_plastic) begin
          ph_d = 2'd2;
          st_e = SHead;
        end
      end

      // The LFSR restarts from the c2c seed (1 if the seed is 0).
      SSeed0: begin
        h_raddr_e = shadow_addr(6'd1);
        st_e    = SSeed1;
      end
      SSeed1: begin
        lfsr_d[15:0] = h_rdata;
        h_raddr_e = shadow_addr(6'd2);
        st_e    = SSeed2;
      end
      SSeed2: begin
        lfsr_d = {h_rdata, lfsr_q[15:0]} == '0 ? 32'h1 : {h_rdata, lfsr_q[15:0]};
        st_e   = SIdle;
      end

      // A: record the deliveries
      SARd: begin
        st_e = SAWr;
      end
      SAWr: begin
        src_d   = lst_rdata_i;
        h_we_e    = 1'b1;
        h_waddr_e = 10'(lst_rdata_i);
        st_e    = SARing;
      end
      SARing: begin
        // Rate slots in use: the source's slot, if any, records it.
        if (slot_v_q != '0) begin
          h_raddr_e = shadow_addr(6'd48);
          cnt_e   = '0;
          st_e    = SSlot;
        end else begin
          a_adv = 1'b1;
        end
      end
      SSlot: begin
        // Slot cnt_q's word arrives; the next one's read is issued.
        cnt_e   = cnt_q + 10'd1;
        h_raddr_e = shadow_addr({3'b110, cnt_e[2:0]});
        if (slot_match) begin
          slot_e = cnt_q[2:0];
          if (ph_q == 2'd0) begin
            h_raddr_e = {2'b10, cnt_q[2:0], 5'(RingLen)};   // the ring's write pointer
            st_e    = SAWp;
          end else begin
            h_raddr_e = shadow_addr({3'd2 + {1'b0, pb_q[7:6]}, 3'd3});   // the rate window
            st_e    = SR1;
          end
        end else if (cnt_q[2:0] == 3'd7) begin
          a_adv       = ph_q == 2'd0;
          cnt_uns_inc = ph_q != 2'd0;
          adv         = ph_q != 2'd0;
        end
      end
      SAWp: begin
        h_we_e    = 1'b1;
        h_waddr_e = {2'b10, slot_q, h_rdata[4:0]};
        cnt_e   = 10'(h_rdata[4:0]);
        st_e    = SAWp2;
      end
      SAWp2: begin
        h_we_e    = 1'b1;
        h_waddr_e = {2'b10, slot_q, 5'(RingLen)};
        h_wdata_e = {11'h0, cnt_q[4:0] == 5'(RingLen - 1) ? 5'd0 : cnt_q[4:0] + 5'd1};
        a_adv   = 1'b1;
      end

      // B and C: scans. B: the targets n of delivery src; C: the sources
      // src of the neuron n that fired.
      SHead: begin
        st_e = SHeadW;
      end
      SHeadW: begin
        if (ph_b) begin
          src_d = lst_rdata_i;
          n_d   = '0;
        end else begin
          src_d = '0;
          n_d   = NeurW'(lst_rdata_i - SrcW'(E));
        end
        st_e = SRd;
      end
      SRd: begin
        syn_en_o = 1'b1;
        st_e     = SEv;
      end
      SEv: begin
        pb_d   = b_cur;
        ppot_d = !ph_b;
        age_d  = age;
        hv_d   = h_valid;
        // The next synapse's reads go out whatever this one needs: its
        // address does not wait for a decision (the 24 MHz path). A pulse
        // or a rate evaluation re-reads it afterwards (SRd).
        syn_en_o   = 1'b1;
        syn_addr_o = 14'({nxt_src, nxt_n[NeurW-1:3]});
        h_raddr_e    = nxt_hist;
        if (rule_cur == RuleStdp) begin
          // The group's window: W- for a delivery (B), W+ for a spike (C).
          h_raddr_e = shadow_addr({3'd2 + {1'b0, g_cur}, ph_b ? 3'd2 : 3'd1});
          st_e    = SEw;
        end else if (rule_cur == RuleRate && !ph_b && slot_v_q != '0) begin
          h_raddr_e = shadow_addr(6'd48);
          cnt_e   = '0;
          st_e    = SSlot;
        end else begin
          cnt_uns_inc = rule_cur == RuleRate && !ph_b;
          adv_now     = 1'b1;
        end
      end
      SEw: begin
        syn_en_o   = 1'b1;
        syn_addr_o = 14'({nxt_src, nxt_n[NeurW-1:3]});
        h_raddr_e    = nxt_hist;
        if (hv_q && (ph_b ? age_q < 15'(h_rdata[13:0]) : age_q <= 15'(h_rdata[13:0]))) begin
          st_e = SP0;
        end else begin
          adv_now = 1'b1;
        end
      end

      // The rate rule: the group's window and thresholds, then the ring.
      SR1: begin
        win_d   = h_rdata[13:0];
        h_raddr_e = {2'b10, slot_q, 5'd0};
        cnt_e   = '0;
        rcnt_d  = '0;
        st_e    = SR2;
      end
      SR2: begin
        // Ring entry cnt_q arrives; the read of the next is issued.
        if (h_valid && age < 15'(win_q)) rcnt_d = rcnt_q + 5'd1;
        cnt_e   = cnt_q + 10'd1;
        h_raddr_e = {2'b10, slot_q, cnt_e[4:0]};
        if (cnt_q == 10'(RingLen - 1)) begin
          h_raddr_e = shadow_addr({3'd2 + {1'b0, pb_q[7:6]}, 3'd4});
          st_e    = SR3;
        end
      end
      SR3: begin
        // The thresholds: more than high potentiates, fewer than low depresses.
        ppot_d = 8'(rcnt_q) > h_rdata[7:0];
        if (8'(rcnt_q) > h_rdata[7:0] || 8'(rcnt_q) < h_rdata[15:8]) begin
          st_e = SP0;
        end else begin
          adv = 1'b1;
        end
      end

      // A pulse on (src_q, n_q), byte pb_q
      SP0: begin
        h_raddr_e = shadow_addr({3'd2 + {1'b0, pb_q[7:6]}, 3'd0});   // the group's levels
        st_e    = SP1;
      end
      SP1: begin
        top_d = h_rdata[13:8];
        q_d   = ppot_q ? t_rdata[7:0] : t_rdata[15:8];
        cnt_e = '0;
        st_e  = amp_d_q != '0 ? SPD : (amp_c_q != '0 ? SPL : SPR);
      end
      SPD: begin
        q_d  = q_adj;
        st_e = amp_c_q != '0 ? SPL : SPR;
      end
      SPL: begin
        lfsr_d = {1'b0, lfsr_q[31:1]} ^ (lfsr_q[0] ? 32'h8020_0003 : 32'h0);
        cnt_e  = cnt_q + 10'd1;
        if (cnt_q[3:0] == 4'd15) st_e = SPC;
      end
      SPC: begin
        q_d  = q_adj;
        st_e = SPR;
      end
      SPR: begin
        st_e = SPA;
      end
      SPA: begin
        st_e = SP2;
      end
      SP2: begin
        syn_en_o    = 1'b1;
        syn_we_o    = 1'b1;
        pulse_o     = 1'b1;
        cnt_pot_inc = ppot_q;
        cnt_dep_inc = !ppot_q;
        adv         = 1'b1;
      end

      // E: scrub history word t mod 1024 (not the register shadow)
      SE0: begin
        h_raddr_e = time_i[9:0];
        st_e    = SIdle;
        if (time_i[9:0] < 10'(HistDepth) && !(time_i[9:8] == 2'b10 && time_i[4:3] == 2'b11)) begin
          st_e = SE1;
        end
      end
      SE1: begin
        h_waddr_e = time_i[9:0];
        h_wdata_e = 16'h0;
        h_we_e    = h_valid && age[14];
        st_e    = SIdle;
      end
      default: st_e = SIdle;
    endcase

    // Phase A: on to the next delivery.
    if (a_adv) begin
      idx_d = idx_q + IdxW'(1);
      st_e  = idx_d == del_cnt_i ? SPhase : SAWr;
    end

    // On to the next synapse of the scan, or the next list entry. After a
    // pulse (the SPRAM written) or a rate evaluation, SRd reads it first.
    if (adv || adv_now) begin
      if (scan_last) begin
        idx_d = idx_q + IdxW'(1);
        st_e  = idx_d == lim ? SPhase : SHeadW;
      end else begin
        src_d = nxt_src;
        n_d   = nxt_n;
        st_e  = SRd;
        if (adv_now) begin
          st_e = SEv;   // its reads went out this clock
        end
      end
    end

  end

  // The host's accesses and the clear override the engine (a separate block:
  // the engine's logic then depends on no core input, so Verilator does not
  // evaluate it again whenever an input moves).
  always_comb begin
    st_d    = st_e;
    cnt_d   = cnt_e;
    slot_d  = slot_e;
    h_raddr = h_raddr_e;
    h_we    = h_we_e;
    h_waddr = h_waddr_e;
    h_wdata = h_wdata_e;
    t_raddr = t_raddr_e;
    t_we    = t_we_e;
    t_waddr = t_waddr_e;
    t_wdata = t_wdata_e;
    // Host accesses (only while idle).
    if (host_re_i) begin
      h_raddr = shadow_addr(h_idx);
      t_raddr = ha[7:0];
    end
    if (host_we_i && h_is_reg) begin
      h_we    = 1'b1;
      h_waddr = shadow_addr(h_idx);
      h_wdata = h_clean;
      if (h_idx[5:4] == 2'b11) begin
        st_d   = SRingClr;
        slot_d = h_idx[2:0];
        cnt_d  = '0;
      end
    end
    if (host_we_i && h_is_tab) begin
      t_we    = 1'b1;
      t_waddr = ha[7:0];
      t_wdata = host_wdata_i;
    end
    if (host_we_i && h_is_reg && (h_idx == 6'd1 || h_idx == 6'd2)) begin
      st_d = SSeed0;
    end
    if (clear_i && st_q != SInit) begin   // SInit clears the histories too
      st_d   = SClear;
      cnt_d  = '0;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      st_q    <= SInit;
      ph_q    <= '0;
      idx_q   <= '0;
      src_q   <= '0;
      n_q     <= '0;
      cnt_q   <= '0;
      pb_q    <= '0;
      ppot_q  <= 1'b0;
      q_q     <= '0;
      top_q   <= '0;
      slot_q  <= '0;
      win_q   <= '0;
      rcnt_q  <= '0;
      age_q   <= '0;
      hv_q    <= 1'b0;
      lfsr_q  <= 32'h1;
    end else begin
      st_q    <= st_d;
      ph_q    <= ph_d;
      idx_q   <= idx_d;
      src_q   <= src_d;
      n_q     <= n_d;
      cnt_q   <= cnt_d;
      pb_q    <= pb_d;
      ppot_q  <= ppot_d;
      q_q     <= q_d;
      top_q   <= top_d;
      slot_q  <= slot_d;
      win_q   <= win_d;
      rcnt_q  <= rcnt_d;
      age_q   <= age_d;
      hv_q    <= hv_d;
      lfsr_q  <= lfsr_d;
    end
  end

  always_ff @(posedge clk_i) begin
    if (st_q == SPR) steps_q <= steps;
    if (st_q == SPA) lvl_q   <= lvl_sum;
  end

  // Register writes from the host
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      plastic_q  <= 1'b0;
      learning_q <= 1'b1;
      seed_d_q   <= '0;
      amp_d_q    <= '0;
      amp_c_q    <= '0;
      inh_q      <= '0;
      slot_v_q   <= '0;
      rule_q     <= '0;
    end else if (host_we_i && h_is_reg) begin
      if (h_idx == 6'd0) {learning_q, plastic_q} <= h_clean[1:0];
      if (h_idx == 6'd3) seed_d_q[15:0]  <= host_wdata_i;
      if (h_idx == 6'd4) seed_d_q[31:16] <= host_wdata_i;
      if (h_idx == 6'd5) {amp_c_q, amp_d_q} <= host_wdata_i;
      for (int g = 0; g < 4; g++) begin
        if (h_idx[5:4] != 2'b11 && h_idx >= 6'd16 && h_g == 2'(g)) begin
          unique case (h_idx[2:0])
            3'd0: begin
              rule_q[2*g +: 2] <= h_clean[1:0];
              inh_q[g]         <= h_clean[2];
            end
            default: ;
          endcase
        end
      end
      for (int k = 0; k < 8; k++) begin
        if (h_idx[5:4] == 2'b11 && h_idx[2:0] == 3'(k)) begin
          slot_v_q[k]                  <= h_clean[15];
        end
      end
    end
  end

  assign busy_o          = st_q != SIdle;
  assign plastic_o       = plastic_q;
  assign inh_o           = inh_q;
  // The counters in DSP blocks (spl_acc32): no logic cells.
  spl_acc32 u_cnt_pot (.clk_i (clk_i), .rst_ni (rst_ni), .clr_i (clear_i),
                       .add_i (32'(cnt_pot_inc)), .q_o (cnt_pot_o));
  spl_acc32 u_cnt_dep (.clk_i (clk_i), .rst_ni (rst_ni), .clr_i (clear_i),
                       .add_i (32'(cnt_dep_inc)), .q_o (cnt_dep_o));
  spl_acc32 u_cnt_uns (.clk_i (clk_i), .rst_ni (rst_ni), .clr_i (clear_i),
                       .add_i (32'(cnt_uns_inc)), .q_o (cnt_unslotted_o));

endmodule
