// Spike batcher and time beacons of the board's link layer (docs/link.md
// section 1.3).
//
// The core's output spikes are streamed straight into the framer as one
// SPIKES frame per batch: the header (type, a seq placeholder that the tx
// mux replaces, base time) goes out when the first spike opens the batch,
// and each record one spike later, because only the next spike (or a
// closing reason) tells whether a record is the frame's last. So a batch
// needs no buffer: one held record. A batch closes when it holds 122
// records, when the next spike is more than 14 timesteps after the last,
// when the processor holds the transmitter for a reply, ERROR or CREDIT
// (hold_i), or when no spike has joined it for flush_cycles_i clocks.
//
// A time beacon (an empty SPIKES frame at the core's time) goes out when the
// output FIFO is empty, no batch is open, and either the board has become
// idle with time moved since the last beacon, or time has moved
// beacon_period_i (0 means 1) timesteps since it.
module spl_link_batcher #(
  parameter int N = 256,
  // The time differences and comparisons in SB_MAC16s (spl_sub32)
  parameter bit Dsp = 1'b0,
  localparam int NeurW = $clog2(N)
) (
  input  logic             clk_i,
  input  logic             rst_ni,

  // The core's output spikes
  input  logic             out_valid_i,
  input  logic [NeurW-1:0] out_neuron_i,
  input  logic [31:0]      out_time_i,
  input  logic             out_empty_i,
  output logic             out_ready_o,

  input  logic [31:0]      time_i,          // completed timesteps
  input  logic             idle_i,          // no real-time mode, no step owed or running
  input  logic [31:0]      flush_cycles_i,
  input  logic [31:0]      beacon_period_i,
  input  logic             beacon_rst_i,    // RESET: the last beacon was at time 0
  input  logic             hold_i,          // the processor wants the transmitter

  // Frames to the tx mux (byte 1 is a placeholder for the sequence number)
  output logic [7:0]       tx_data_o,
  output logic             tx_valid_o,
  output logic             tx_last_o,
  input  logic             tx_ready_i,
  output logic             busy_o,          // inside a frame: the mux is ours
  output logic             open_o           // a batch is open
);

  localparam int MaxRecords = 122;

  typedef enum logic [1:0] {
    BIdle,
    BHdr,    // type, seq, base (6 bytes); a beacon ends here
    BOpen,   // one record held, waiting for the next spike or a reason to close
    BRec     // sending a record (the frame's last if closing)
  } bst_e;

  bst_e        state_d, state_q;
  logic [2:0]  idx_d, idx_q;
  logic        beacon_d, beacon_q;
  // The frame's base time while its header goes out (a batch's first spike
  // or a beacon's time), then the time of the held record's spike.
  logic [31:0] last_t_d, last_t_q;
  logic [15:0] held_d, held_q;
  logic [15:0] send_d, send_q;
  logic        closing_d, closing_q;
  logic [6:0]  nrec_d, nrec_q;
  logic [31:0] timer_d, timer_q;        // clocks since a spike last joined
  logic [31:0] bcn_t_d, bcn_t_q;        // time of the last beacon

  logic [31:0] dtv;
  logic [31:0] since_bcn;
  logic        beacon_due;
  logic        take;

  logic        bcn_ge, flush_ge;       // since_bcn >= period, timer_q >= flush
  logic        unused_dtv_ge, unused_sbc_ge;
  logic [31:0] unused_bge_d, unused_tge_d;

  spl_sub32 #(.Dsp (Dsp)) u_dtv (
    .a_i (out_time_i), .b_i (last_t_q), .d_o (dtv), .ge_o (unused_dtv_ge));
  spl_sub32 #(.Dsp (Dsp)) u_sbc (
    .a_i (time_i), .b_i (bcn_t_q), .d_o (since_bcn), .ge_o (unused_sbc_ge));
  spl_sub32 #(.Dsp (Dsp)) u_bge (
    .a_i (since_bcn), .b_i (beacon_period_i), .d_o (unused_bge_d), .ge_o (bcn_ge));
  spl_sub32 #(.Dsp (Dsp)) u_tge (
    .a_i (timer_q), .b_i (flush_cycles_i), .d_o (unused_tge_d), .ge_o (flush_ge));

  // Time has moved (since_bcn != 0) in both cases; a period of 0 means 1.
  assign beacon_due = out_empty_i && since_bcn != '0 && (idle_i || bcn_ge);
  assign take       = tx_valid_o && tx_ready_i;

  always_comb begin
    tx_data_o  = 8'h00;
    tx_last_o  = 1'b0;
    tx_valid_o = 1'b0;
    unique case (state_q)
      BHdr: begin
        tx_valid_o = 1'b1;
        unique case (idx_q)
          3'd0:    tx_data_o = 8'h01;
          3'd2:    tx_data_o = last_t_q[7:0];
          3'd3:    tx_data_o = last_t_q[15:8];
          3'd4:    tx_data_o = last_t_q[23:16];
          3'd5:    tx_data_o = last_t_q[31:24];
          default: tx_data_o = 8'h00;
        endcase
        tx_last_o = beacon_q && idx_q == 3'd5;
      end
      BRec: begin
        tx_valid_o = 1'b1;
        tx_data_o  = idx_q[0] ? send_q[15:8] : send_q[7:0];
        tx_last_o  = closing_q && idx_q[0];
      end
      default: ;
    endcase
  end

  always_comb begin
    state_d     = state_q;
    idx_d       = idx_q;
    beacon_d    = beacon_q;
    last_t_d    = last_t_q;
    held_d      = held_q;
    send_d      = send_q;
    closing_d   = closing_q;
    nrec_d      = nrec_q;
    timer_d     = timer_q == '1 ? timer_q : timer_q + 32'd1;
    bcn_t_d     = bcn_t_q;
    out_ready_o = 1'b0;

    unique case (state_q)
      BIdle: begin
        idx_d = '0;
        if (!hold_i && out_valid_i) begin
          out_ready_o = 1'b1;
          state_d  = BHdr;
          beacon_d = 1'b0;
          last_t_d = out_time_i;
          held_d   = {4'h0, 12'(out_neuron_i)};
          nrec_d   = 7'd1;
          timer_d  = '0;
        end else if (!hold_i && beacon_due) begin
          state_d  = BHdr;
          beacon_d = 1'b1;
          last_t_d = time_i;
          bcn_t_d  = time_i;
        end
      end
      BHdr: begin
        if (take) begin
          idx_d = idx_q + 3'd1;
          if (idx_q == 3'd5) begin
            idx_d   = '0;
            state_d = beacon_q ? BIdle : BOpen;
          end
        end
      end
      BOpen: begin
        idx_d = '0;
        if (nrec_q == 7'(MaxRecords) || hold_i) begin
          state_d   = BRec;
          send_d    = held_q;
          closing_d = 1'b1;
        end else if (out_valid_i && dtv[31:4] == 28'd0 && dtv[3:0] != 4'hF) begin  // dtv < 15
          out_ready_o = 1'b1;
          state_d   = BRec;
          send_d    = held_q;
          closing_d = 1'b0;
          held_d    = {dtv[3:0], 12'(out_neuron_i)};
          last_t_d  = out_time_i;
          nrec_d    = nrec_q + 7'd1;
          timer_d   = '0;
        end else if (out_valid_i || flush_ge) begin
          state_d   = BRec;
          send_d    = held_q;
          closing_d = 1'b1;
        end
      end
      BRec: begin
        if (take) begin
          idx_d = idx_q + 3'd1;
          if (idx_q[0]) begin
            idx_d   = '0;
            state_d = closing_q ? BIdle : BOpen;
          end
        end
      end
      default: state_d = BIdle;
    endcase

    if (beacon_rst_i) begin
      bcn_t_d = '0;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q   <= BIdle;
      idx_q     <= '0;
      beacon_q  <= 1'b0;
      last_t_q  <= '0;
      held_q    <= '0;
      send_q    <= '0;
      closing_q <= 1'b0;
      nrec_q    <= '0;
      timer_q   <= '0;
      bcn_t_q   <= '0;
    end else begin
      state_q   <= state_d;
      idx_q     <= idx_d;
      beacon_q  <= beacon_d;
      last_t_q  <= last_t_d;
      held_q    <= held_d;
      send_q    <= send_d;
      closing_q <= closing_d;
      nrec_q    <= nrec_d;
      timer_q   <= timer_d;
      bcn_t_q   <= bcn_t_d;
    end
  end

  assign busy_o = state_q != BIdle;
  assign open_o = state_q == BOpen || state_q == BRec || (state_q == BHdr && !beacon_q);

endmodule
