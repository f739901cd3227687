// Plasticity registers: memory space 2 of the host port (docs/plasticity.md
// §6), read back as written, with the reset values the spec lists.
//
//   0x000          bit 0 plastic mode, bit 1 learning on          flip-flops
//   0x001..0x004   c2c_seed, d2d_seed (16-bit halves)              flip-flops
//   0x005          d2d_amp (7..0), c2c_amp (15..8)                 flip-flops
//   0x010+8g+0     rule (1..0; 3 stores 0), inhibitory (2), levels-1 (13..8,
//                  0 stores 1: at least two levels)                flip-flops
//   0x010+8g+1..4  W+, W-, rate window, thresholds                 EBR (cfg)
//   0x010+8g+5..7  read 0, writes ignored
//   0x040+k        rate slot k: valid (15), source (8..0)          flip-flops
//   0x100+64g+l    pot (7..0) and dep (15..8) steps                EBR (tables)
//   anything else  reads 0, writes ignored
//
// The two EBRs take their reset values (W+ 100, W- 37, window 1000,
// thresholds 20/5; every step 16) when the FPGA is configured, not on
// rst_ni; the flip-flops take theirs on rst_ni.
//
// A read granted on one clock shows its word on host_rdata_o the next.
module spl_core_plast (
  input  logic        clk_i,
  input  logic        rst_ni,

  input  logic        host_re_i,
  input  logic        host_we_i,
  input  logic [15:0] host_addr_i,
  input  logic [15:0] host_wdata_i,
  output logic [15:0] host_rdata_o,

  output logic        plastic_o,
  output logic        learn_o,
  output logic [3:0]  inh_o,        // group g inhibitory
  output logic [7:0]  rule_o,       // group g's rule in bits 2g+1..2g
  output logic [23:0] lvl_top_o,    // group g's levels-1 in bits 6g+5..6g
  output logic [31:0] c2c_seed_o,
  output logic [31:0] d2d_seed_o,
  output logic [7:0]  d2d_amp_o,
  output logic [7:0]  c2c_amp_o,
  output logic [7:0]  slot_valid_o,
  output logic [71:0] slot_src_o,   // slot k's source in bits 9k+8..9k
  output logic        c2c_seed_we_o // a seed half was written: the LFSR restarts
);

  logic        plastic_q, learn_q;
  logic [31:0] c2c_seed_q, d2d_seed_q;
  logic [7:0]  d2d_amp_q, c2c_amp_q;
  logic [7:0]  rule_q;
  logic [3:0]  inh_q;
  logic [23:0] lvl_q;
  logic [7:0]  slot_valid_q;
  logic [71:0] slot_src_q;

  logic        a_ctl, a_seed, a_grp, a_grp0, a_cfg, a_slot, a_tab;
  logic [15:0] ff_rdata, ff_rdata_q;
  logic        ebr_sel_q, tab_sel_q;
  logic [15:0] cfg_rdata, tab_rdata;
  logic [1:0]  ag;
  logic [2:0]  ak;

  assign a_ctl  = host_addr_i == 16'h0000;
  assign a_seed = host_addr_i >= 16'h0001 && host_addr_i <= 16'h0005;
  assign a_grp  = host_addr_i[15:6] == 10'h000
                  && (host_addr_i[5:4] == 2'b01 || host_addr_i[5:4] == 2'b10);  // 0x010..0x02F
  assign ag     = 2'(host_addr_i[5:3] - 3'd2);
  assign a_grp0 = a_grp && host_addr_i[2:0] == 3'd0;
  assign a_cfg  = a_grp && host_addr_i[2:0] >= 3'd1 && host_addr_i[2:0] <= 3'd4;
  assign a_slot = host_addr_i[15:3] == 13'h0008;  // 0x040..0x047
  assign ak     = host_addr_i[2:0];
  assign a_tab  = host_addr_i[15:8] == 8'h01;

  always_comb begin
    ff_rdata = '0;
    if (a_ctl) begin
      ff_rdata = {14'h0, learn_q, plastic_q};
    end else if (a_seed) begin
      unique case (host_addr_i[2:0])
        3'd1:    ff_rdata = c2c_seed_q[15:0];
        3'd2:    ff_rdata = c2c_seed_q[31:16];
        3'd3:    ff_rdata = d2d_seed_q[15:0];
        3'd4:    ff_rdata = d2d_seed_q[31:16];
        default: ff_rdata = {c2c_amp_q, d2d_amp_q};
      endcase
    end else if (a_grp0) begin
      ff_rdata = {2'b00, lvl_q[6*ag +: 6], 5'h0, inh_q[ag], rule_q[2*ag +: 2]};
    end else if (a_slot) begin
      ff_rdata = {slot_valid_q[ak], 6'h0, slot_src_q[9*ak +: 9]};
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      plastic_q    <= 1'b0;
      learn_q      <= 1'b1;
      c2c_seed_q   <= 32'h1;
      d2d_seed_q   <= 32'h0;
      d2d_amp_q    <= '0;
      c2c_amp_q    <= '0;
      rule_q       <= '0;
      inh_q        <= '0;
      lvl_q        <= {4{6'd63}};
      slot_valid_q <= '0;
      slot_src_q   <= '0;
      ff_rdata_q   <= '0;
      ebr_sel_q    <= 1'b0;
      tab_sel_q    <= 1'b0;
      c2c_seed_we_o <= 1'b0;
    end else begin
      c2c_seed_we_o <= host_we_i && a_seed && host_addr_i[2:0] <= 3'd2;
      if (host_re_i) begin
        ff_rdata_q <= ff_rdata;
        ebr_sel_q  <= a_cfg;
        tab_sel_q  <= a_tab;
      end
      if (host_we_i) begin
        if (a_ctl) begin
          plastic_q <= host_wdata_i[0];
          learn_q   <= host_wdata_i[1];
        end
        if (a_seed) begin
          unique case (host_addr_i[2:0])
            3'd1:    c2c_seed_q[15:0]  <= host_wdata_i;
            3'd2:    c2c_seed_q[31:16] <= host_wdata_i;
            3'd3:    d2d_seed_q[15:0]  <= host_wdata_i;
            3'd4:    d2d_seed_q[31:16] <= host_wdata_i;
            default: begin
              d2d_amp_q <= host_wdata_i[7:0];
              c2c_amp_q <= host_wdata_i[15:8];
            end
          endcase
        end
        if (a_grp0) begin
          rule_q[2*ag +: 2] <= host_wdata_i[1:0] == 2'd3 ? 2'd0 : host_wdata_i[1:0];
          inh_q[ag]         <= host_wdata_i[2];
          lvl_q[6*ag +: 6]  <= host_wdata_i[13:8] == 6'd0 ? 6'd1 : host_wdata_i[13:8];
        end
        if (a_slot) begin
          slot_valid_q[ak]      <= host_wdata_i[15];
          slot_src_q[9*ak +: 9] <= host_wdata_i[15] ? host_wdata_i[8:0] : 9'h0;
        end
      end
    end
  end

  // Group words 1..4 at {g, w}; the tables at {g, level}.
  spl_core_plast_ram #(.Kind (0)) u_cfg (
    .clk_i   (clk_i),
    .we_i    (host_we_i && a_cfg),
    .waddr_i ({3'b000, ag, host_addr_i[2:0]}),
    .wdata_i (host_wdata_i),
    .re_i    (host_re_i),
    .raddr_i ({3'b000, ag, host_addr_i[2:0]}),
    .rdata_o (cfg_rdata)
  );

  spl_core_plast_ram #(.Kind (1)) u_tab (
    .clk_i   (clk_i),
    .we_i    (host_we_i && a_tab),
    .waddr_i (host_addr_i[7:0]),
    .wdata_i (host_wdata_i),
    .re_i    (host_re_i),
    .raddr_i (host_addr_i[7:0]),
    .rdata_o (tab_rdata)
  );

  assign host_rdata_o = ebr_sel_q ? cfg_rdata : tab_sel_q ? tab_rdata : ff_rdata_q;

  assign plastic_o    = plastic_q;
  assign learn_o      = learn_q;
  assign inh_o        = inh_q;
  assign rule_o       = rule_q;
  assign lvl_top_o    = lvl_q;
  assign c2c_seed_o   = c2c_seed_q;
  assign d2d_seed_o   = d2d_seed_q;
  assign d2d_amp_o    = d2d_amp_q;
  assign c2c_amp_o    = c2c_amp_q;
  assign slot_valid_o = slot_valid_q;
  assign slot_src_o   = slot_src_q;

endmodule
