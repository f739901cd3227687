// Synthesis test top: spl_core (N=256, E=256) behind a small serial shim,
// so that the whole core fits the SG48's pins and nothing of it can be
// optimised away: every core input is driven from a command register and
// every core output can be shifted out.
//
// The shim runs in the core's clock domain. sdi_i is shifted into a 64-bit
// command register while sdi_en_i is high; go_i (one clock) executes it:
//   [63:60] 0: memory write  space [49:48], word address [47:32], data [15:0]
//           1: memory read   space, address as above; the word goes to result
//           2: input event   channel [23:16], target time [15:0]
//           3: step          count [31:0]
//           4: real time     enable [32], tick_cycles [31:0]
//           5: clear
//           6: counter       select [3:0] (0..10 counters, 11..15 time) to result
//           7: output spike  pop one into result {neuron, time} (bit 47: valid)
// The 48-bit result register shifts out MSB first on sdo_o while sdo_en_i.
// This is a test fixture, not the board's link: that one comes with the
// link layer.
module spl_core_syn_top #(
  parameter bit Plastic = 1'b1,
  parameter int Lanes   = 8
) (
  input  logic clk_i,
  input  logic rst_ni,
  input  logic sdi_i,
  input  logic sdi_en_i,
  input  logic go_i,
  input  logic sdo_en_i,
  output logic sdo_o,
  output logic busy_o,
  output logic spike_o
);

  logic [63:0] cmd_q;
  logic [47:0] res_q;
  logic        req_q, we_q;
  logic        in_valid_q, step_q, clear_q, pop_q, rt_en_q;
  logic [31:0] tick_cycles_q;

  logic [3:0]  op;
  logic        gnt, rvalid, in_full, out_valid, out_empty, busy;
  logic [15:0] rdata;
  logic [7:0]  out_neuron;
  logic [31:0] out_time, time_now;
  logic [351:0] cnt;     // counter k (0..10) in bits 32k+31..32k
  logic [31:0] cnt_sel;

  assign op = cmd_q[63:60];

  always_comb begin
    cnt_sel = time_now;
    if (cmd_q[3:0] < 4'd11) begin
      cnt_sel = cnt[32*cmd_q[3:0] +: 32];
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cmd_q         <= '0;
      res_q         <= '0;
      req_q         <= 1'b0;
      we_q          <= 1'b0;
      in_valid_q    <= 1'b0;
      step_q        <= 1'b0;
      clear_q       <= 1'b0;
      pop_q         <= 1'b0;
      rt_en_q       <= 1'b0;
      tick_cycles_q <= 32'd24000;
    end else begin
      in_valid_q <= 1'b0;
      step_q     <= 1'b0;
      clear_q    <= 1'b0;
      pop_q      <= 1'b0;
      if (sdi_en_i) begin
        cmd_q <= {cmd_q[62:0], sdi_i};
      end
      if (sdo_en_i) begin
        res_q <= {res_q[46:0], 1'b0};
      end
      if (gnt) begin
        req_q <= 1'b0;
      end
      if (rvalid) begin
        res_q <= {32'h0, rdata};
      end
      if (pop_q) begin
        res_q <= {out_valid, out_empty, in_full, 5'h0, out_neuron, out_time};
      end
      if (go_i) begin
        unique case (op)
          4'd0: begin req_q <= 1'b1; we_q <= 1'b1; end
          4'd1: begin req_q <= 1'b1; we_q <= 1'b0; end
          4'd2: in_valid_q <= 1'b1;
          4'd3: step_q <= 1'b1;
          4'd4: begin rt_en_q <= cmd_q[32]; tick_cycles_q <= cmd_q[31:0]; end
          4'd5: clear_q <= 1'b1;
          4'd6: res_q <= {16'h0, cnt_sel};
          4'd7: pop_q <= 1'b1;
          default: ;
        endcase
      end
    end
  end

  spl_core #(
    .N       (256),
    .E       (256),
    .Plastic (Plastic),
    .Lanes   (Lanes)
  ) u_core (
    .clk_i               (clk_i),
    .rst_ni              (rst_ni),
    .mem_req_i           (req_q),
    .mem_we_i            (we_q),
    .mem_space_i         (cmd_q[49:48]),
    .mem_addr_i          (cmd_q[47:32]),
    .mem_wdata_i         (cmd_q[15:0]),
    .mem_gnt_o           (gnt),
    .mem_rvalid_o        (rvalid),
    .mem_rdata_o         (rdata),
    .in_valid_i          (in_valid_q),
    .in_channel_i        (cmd_q[23:16]),
    .in_time_i           (cmd_q[15:0]),
    .in_full_o           (in_full),
    .out_valid_o         (out_valid),
    .out_ready_i         (pop_q),
    .out_neuron_o        (out_neuron),
    .out_time_o          (out_time),
    .out_empty_o         (out_empty),
    .clear_i             (clear_q),
    .step_i              (step_q),
    .step_count_i        (cmd_q[31:0]),
    .rt_enable_i         (rt_en_q),
    .tick_cycles_i       (tick_cycles_q),
    .busy_o              (busy),
    .time_o              (time_now),
    .cnt_in_dropped_o    (cnt[32*0 +: 32]),
    .cnt_out_dropped_o   (cnt[32*1 +: 32]),
    .cnt_late_o          (cnt[32*2 +: 32]),
    .cnt_acc_saturated_o (cnt[32*3 +: 32]),
    .cnt_tick_overrun_o  (cnt[32*4 +: 32]),
    .cnt_spikes_o        (cnt[32*5 +: 32]),
    .cnt_events_o        (cnt[32*6 +: 32]),
    .cnt_sops_o          (cnt[32*7 +: 32]),
    .cnt_pulses_pot_o    (cnt[32*8 +: 32]),
    .cnt_pulses_dep_o    (cnt[32*9 +: 32]),
    .cnt_rate_unslotted_o (cnt[32*10 +: 32])
  );

  assign sdo_o   = res_q[47];
  assign busy_o  = busy;
  assign spike_o = out_valid;

endmodule
