// Neuron core: N leaky integrate-and-fire neurons with adaptation and a
// refractory period, an (E+N) x N crossbar of signed 8-bit weights, and the
// timestep schedule of docs/neuron-model.md, bit for bit.
//
// Every accumulator sees the spec's order: the recurrent rows (spikes of
// t-1, ascending), the input events due (arrival order), then the neuron
// update, one neuron per clock. The core overlaps these where no result can
// change: spikes are swept ahead into a second accumulator set while the
// update that makes them runs, and a timestep's remaining rows are swept
// chunk-major (eight weights per clock) alongside its update, which takes
// each chunk once it is final (see "Sequencer" below). docs/rtl-core.md has
// the ports, the pipeline and the cycle counts.
//
// Host memory port (req/gnt, then rvalid): a request is granted only while
// the core is idle between timesteps with none owed and no clear running;
// a granted read returns its word with mem_rvalid_o on the next clock.
//   space 0: neuron parameters, word n*8+p
//   space 1: weights, word s*(N/2)+n/2 (low byte W[s][n], n even)
//   space 2: plasticity registers and step tables (docs/plasticity.md)
//   space 3: neuron state, word n*4+f (f 0: v, 1: a, 2: r, 3: reads 0)
// After each timestep's update the learning engine (spl_core_learn) records
// the spike histories and applies the plasticity pulses; the timestep ends
// when it is done.
module spl_core #(
  parameter int N = 256,
  parameter int E = 256,
  // The learning engine (docs/plasticity.md). Without it space 2 reads 0,
  // ignores writes, and the synapses are static.
  parameter bit Plastic = 1'b1,
  // Input FIFO depth (a power of two): the link's event credits.
  parameter int InDepth = 256,
  // Accumulator lanes (2, 4 or 8): neurons a sweep adds to per clock, the
  // neurons of a chunk. Fewer take fewer logic cells and more clocks: a row
  // takes N/Lanes clocks. The results do not depend on it.
  parameter int Lanes = 8,
  localparam int InCntW = $clog2(InDepth + 1),
  localparam int NeurW  = $clog2(N),
  localparam int ChanW  = $clog2(E),
  localparam int LaneW  = $clog2(Lanes),
  localparam int ChunkW = NeurW - LaneW,
  localparam int SrcW   = $clog2(E + N),
  // Spikes of t from neurons below this are swept ahead during the update of
  // t (a row then ends before the update does); later ones wait for t+1.
  localparam int AheadCut = N / Lanes <= 32 ? N - 40 : N - N / Lanes - 8
) (
  input  logic             clk_i,
  input  logic             rst_ni,

  // Host memory access
  input  logic             mem_req_i,
  input  logic             mem_we_i,
  input  logic [1:0]       mem_space_i,
  input  logic [15:0]      mem_addr_i,
  input  logic [15:0]      mem_wdata_i,
  output logic             mem_gnt_o,
  output logic             mem_rvalid_o,
  output logic [15:0]      mem_rdata_o,

  // Input events, any clock; dropped (and counted) while in_full_o.
  input  logic             in_valid_i,
  input  logic [ChanW-1:0] in_channel_i,
  input  logic [15:0]      in_time_i,     // target timestep, low 16 bits
  output logic             in_full_o,
  output logic [InCntW-1:0] in_count_o,   // entries in the input FIFO (0..InDepth)

  // Output spikes
  output logic             out_valid_o,
  input  logic             out_ready_i,
  output logic [NeurW-1:0] out_neuron_o,
  output logic [31:0]      out_time_o,
  output logic             out_empty_o,   // no report held (out_valid_o may lag a push by a clock)

  // Control
  input  logic             clear_i,       // zero state, accumulators, FIFOs, time, counters
  input  logic             step_i,        // owe step_count_i more timesteps
  input  logic [31:0]      step_count_i,
  input  logic             rt_enable_i,   // real-time mode: a tick every tick_cycles_i clocks
  input  logic [31:0]      tick_cycles_i,
  output logic             busy_o,        // a timestep or clear runs, or timesteps are owed
  output logic [31:0]      time_o,        // completed timesteps

  output logic [31:0]      cnt_in_dropped_o,
  output logic [31:0]      cnt_out_dropped_o,
  output logic [31:0]      cnt_late_o,
  output logic [31:0]      cnt_acc_saturated_o,
  output logic [31:0]      cnt_tick_overrun_o,
  output logic [31:0]      cnt_spikes_o,
  output logic [31:0]      cnt_events_o,
  output logic [31:0]      cnt_sops_o,
  output logic [31:0]      cnt_pulses_pot_o,
  output logic [31:0]      cnt_pulses_dep_o,
  output logic [31:0]      cnt_rate_unslotted_o
);

  typedef enum logic [2:0] {
    StIdle,
    StZero,     // zeroing this timestep's accumulator set before a re-sweep
    StIn,       // gathering the input events due into the sweep list, sweeping it
    StUpd,      // issuing neurons 0..N-1 into the update pipeline
    StUpdWait,  // update pipeline and the row swept ahead draining
    StLearn,    // the learning engine records histories and applies pulses
    StClear     // zeroing state and accumulators
  } state_e;

  // The sweep list: the sources to sweep for a timestep, in the spec's order
  // (recurrent spikes of t-1 ascending, then the input events due in arrival
  // order). Two halves of 2^SrcW entries, half T[0] for timestep T: while
  // timestep t sweeps its half, its update writes its spikes into the other.
  localparam int IdxW = SrcW;

  state_e            state_d, state_q;
  logic [31:0]       time_d, time_q;
  logic [31:0]       owed_d, owed_q;
  logic [31:0]       div_d, div_q;
  logic [IdxW-1:0]   lst_idx_d, lst_idx_q;   // next list entry to sweep
  logic [IdxW-1:0]   lst_wr_d, lst_wr_q;     // list entries written
  logic [IdxW-1:0]   lst_vis_d, lst_vis_q;   // lst_wr_q a clock later: entries readable
  logic [NeurW-1:0]  upd_n_d, upd_n_q;
  logic [NeurW-1:0]  clr_n_d, clr_n_q;

  // Sweep engine: stage 0 of the crossbar/accumulator pipeline. A sweep is
  // a pass over list entries [sw_beg_q, sw_end_q) of one half, chunk-major:
  // chunk 0 of every row, then chunk 1, ... (every accumulator still sees
  // the rows in order). The engine holds (issues nothing) on the clocks the
  // update reads an accumulator chunk. The list output always shows entry
  // sw_nxt_q (raddr is its next value), the row issued after this one.
  logic              sw_act_d, sw_act_q;
  logic              sw_set_d, sw_set_q;      // accumulator set and list half of the pass
  logic              sw_ahead_d, sw_ahead_q;  // a recurrent row swept ahead for t+1
  logic [SrcW-1:0]   sw_src_d, sw_src_q;      // source of the row issued now
  logic [ChunkW-1:0] sw_chunk_d, sw_chunk_q;
  logic [IdxW-1:0]   sw_beg_d, sw_beg_q;
  logic [IdxW-1:0]   sw_end_d, sw_end_q;
  logic [IdxW-1:0]   sw_nxt_d, sw_nxt_q;
  logic [IdxW-1:0]   sw_nxt_inc;
  logic              sw_issue;
  logic              sw_last;
  logic              pass_go;                 // a pass starts this clock
  logic              pass_ahead;
  logic [IdxW-1:0]   pass_end;
  logic [IdxW-1:0]   pass_len;
  logic              lst_more;                // list entries not swept yet
  logic              gather_end;
  logic [ChunkW:0]   cur_ready_d, cur_ready_q;  // chunks of set t[0] final for the update
  logic              upd_go;                  // a neuron enters the update this clock
  logic              upd_rd;                  // the update reads an accumulator chunk
  logic              sw_cap;                  // this read is the last to the chunk the update waits for
  logic              cap_q;                   // its sums are handed to the update now

  logic [31:0] cnt_in_dropped_q;
  logic [31:0] cnt_out_dropped_d, cnt_out_dropped_q;
  logic [31:0] cnt_late_d, cnt_late_q;
  logic [31:0] cnt_acc_sat_d, cnt_acc_sat_q;
  logic [31:0] cnt_overrun_d, cnt_overrun_q;
  logic [31:0] cnt_spikes_d, cnt_spikes_q;
  logic [31:0] cnt_events_d, cnt_events_q;
  logic [31:0] sops_add;     // to the sops counter (a DSP accumulator)
  logic [NeurW+8:0] sat_add;     // to the clamp counter
  logic [IdxW:0]    events_add;  // to the event counter
  // Counts of the rows swept ahead: they belong to timestep t+1 and join
  // the counters when it starts (or are dropped if it re-sweeps).
  logic [NeurW:0]    ahead_events_d, ahead_events_q;
  logic [NeurW+8:0]  ahead_sat_d, ahead_sat_q;
  logic              dirty_d, dirty_q;        // weights written since the sweep ahead
  logic              start;                   // a timestep starts (leaves StIdle)

  // Submodule wiring
  logic [8*Lanes-1:0] weights;
  logic [Lanes-1:0] w_sign, w_neg;
  logic [3:0]       acc_sat;
  logic             acc_sat_ahead;
  logic             acc_busy;
  logic             acc_clr;
  logic [ChunkW:0]  acc_clr_addr;
  logic [15:0]      upd_acc;
  logic             upd_valid;
  logic             nrn_busy;
  logic             spike;
  logic             nrn_spike;       // from the pipeline, before the clear mask
  logic [NeurW-1:0] spike_n;
  logic             clr;
  logic             clear_q;         // clear_i, registered

  logic             in_head_valid;
  logic [ChanW+15:0] in_head;
  logic             in_due, in_late;
  logic             in_pop;

  logic             out_full;
  logic             out_push;
  logic [NeurW+31:0] out_head;

  logic             lst_we;
  logic [IdxW:0]    lst_waddr;
  logic [SrcW-1:0]  lst_wdata;
  logic [IdxW:0]    lst_raddr;
  logic [SrcW-1:0]  lst_rdata;

  logic             grant;
  logic             host_re, host_we;
  logic             rvalid_q;
  logic [1:0]       rspace_q;
  logic [15:0]      syn_rdata, nrn_rdata;
  logic             tick_d, tick_q;      // divider expired (registered)
  logic [15:0]      lrn_rdata;
  logic             lrn_busy;
  logic             lrn_pulse;
  logic             lrn_plastic;
  logic [3:0]       lrn_inh;
  logic [IdxW:0]    lrn_lst_raddr;
  logic [IdxW-1:0]  del_cnt_q;           // deliveries of this timestep (list half t[0])
  logic             syn_eng_en, syn_eng_we;
  logic [13:0]      syn_eng_addr;
  logic [1:0]       syn_eng_k;
  logic             syn_eng_hi;
  logic [7:0]       syn_eng_byte;
  logic [63:0]      syn_raw;
  logic             step_q;              // step_i, registered
  logic [31:0]      step_cnt_q;
  logic [31:0]      owed_delta;
  logic             finish;
  logic             late_q;              // counted a clock later, off the sweep's path
  logic [IdxW-1:0]  pass_cnt_q;          // rows of a pass of t (counted a clock later)
  logic             ahead_take_q;        // a row swept ahead (counted a clock later)

  // ---------------------------------------------------------------------
  // Host port
  // ---------------------------------------------------------------------
  assign grant     = mem_req_i && state_q == StIdle && owed_q == '0 && !step_q && !tick_q
                     && !clear_i && !clear_q && !lrn_busy;
  assign mem_gnt_o = grant;
  assign host_re   = grant && !mem_we_i;
  assign host_we   = grant && mem_we_i;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rvalid_q  <= 1'b0;
      rspace_q  <= '0;
      clear_q   <= 1'b0;
      cnt_in_dropped_q <= '0;
    end else begin
      rvalid_q  <= host_re;
      clear_q   <= clear_i;
      // Counted at once (the harness reads it right after a push), in a
      // flip-flop block of its own so the sequencer reads no core input.
      cnt_in_dropped_q <= clear_q ? 32'h0
                          : cnt_in_dropped_q + 32'(in_valid_i && in_full_o && !clear_i);
      if (host_re) begin
        rspace_q <= mem_space_i;
      end
    end
  end

  assign mem_rvalid_o = rvalid_q;
  always_comb begin
    unique case (rspace_q)
      2'd0, 2'd3: mem_rdata_o = nrn_rdata;
      2'd1:       mem_rdata_o = syn_rdata;
      default:    mem_rdata_o = lrn_rdata;
    endcase
  end

  // ---------------------------------------------------------------------
  // FIFOs and the sweep list
  // ---------------------------------------------------------------------
  assign clr = state_q == StClear;
  // A clear that lands while the pipeline is emitting must not let the
  // neuron in flight report, count, or queue a recurrent row.
  assign spike = nrn_spike && !clear_q && !clr;

  spl_fifo #(
    .Width (ChanW + 16),
    .Depth (InDepth)
  ) u_in_fifo (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .clr_i   (clear_q),
    .push_i  (in_valid_i),
    .wdata_i ({in_channel_i, in_time_i}),
    .full_o  (in_full_o),
    .empty_o (),
    .valid_o (in_head_valid),
    .rdata_o (in_head),
    .pop_i   (in_pop)
  );

  // The input FIFO's fill level for the link's credits (docs/link.md 1.2),
  // counted beside the FIFO exactly as it counts: a push lands unless full,
  // a pop whenever the sequencer takes the head, the clear empties it.
  logic [InCntW-1:0] in_count_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      in_count_q <= '0;
    end else if (clear_q) begin
      in_count_q <= '0;
    end else begin
      in_count_q <= in_count_q + InCntW'(in_valid_i && !in_full_o) - InCntW'(in_pop);
    end
  end
  assign in_count_o = in_count_q;

  // Due: int16(head - t) <= 0, that is head - t - 1 = head + ~t negative,
  // or head - t = 0x8000 (-32768, where head - t - 1 wraps), that is head
  // equal to t with its top bit flipped. One carry chain and a comparison
  // beside it, no zero test after the chain: this is on the path to the
  // sweep list's read address.
  // Late: due and not for t (counted a clock later, off that path).
  logic [15:0] in_dm1;   // only its sign is used
  logic        in_due_t;
  assign in_dm1   = in_head[15:0] + ~time_q[15:0];
  assign in_due_t = in_dm1[15] || in_head[15:0] == {!time_q[15], time_q[14:0]};
  assign in_due   = in_head_valid && in_due_t;
  assign in_late  = in_due_t && in_head[15:0] != time_q[15:0];

  assign out_push = spike && !out_full;

  spl_fifo #(
    .Width (NeurW + 32),
    .Depth (256)
  ) u_out_fifo (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .clr_i   (clear_q),
    .push_i  (out_push),
    .wdata_i ({spike_n, time_q}),
    .full_o  (out_full),
    .empty_o (out_empty_o),
    .valid_o (out_valid_o),
    .rdata_o (out_head),
    .pop_i   (out_ready_i)
  );

  assign out_neuron_o = out_head[NeurW+31:32];
  assign out_time_o   = out_head[31:0];

  // Written by the update (spikes of t into half !t[0]) and by the input
  // gathering (events due into half t[0], after the spikes of t-1); never
  // both at once. A half holds at most 2^IdxW - 1 deliveries, so the
  // learning engine finds every delivery of t in half t[0] and every spike
  // of t in half !t[0] when the update is done. An entry is read only from the clock after the one that
  // wrote it (lst_vis_q lags lst_wr_q; a pass starts once it has caught up).
  assign lst_we    = spike || in_pop;
  assign lst_waddr = {spike ? !time_q[0] : time_q[0], lst_wr_q};
  assign lst_wdata = spike ? SrcW'(E) + SrcW'(spike_n) : SrcW'(in_head[ChanW+15:16]);
  // This is {sw_set_d, sw_nxt_d} while a pass runs (sw_act_d) and the idle
  // address otherwise, written so that the late signals (sw_issue, held by
  // the update's chunk reads; pass_go, from the input FIFO's head) select
  // among addresses made of registers only: the 24 MHz path of the core.
  logic [IdxW:0] lst_raddr_idle;
  assign lst_raddr_idle = state_q == StLearn ? lrn_lst_raddr
                        : {state_q == StUpd ? !time_q[0] : time_q[0], lst_idx_d};
  always_comb begin
    if (sw_act_q && !clear_q) begin
      // A pass runs (pass_go is low): it holds, moves on, or ends.
      if (!sw_issue) begin
        lst_raddr = {sw_set_q, sw_nxt_q};
      end else if (sw_chunk_q == '1 && sw_nxt_q == sw_beg_q) begin
        lst_raddr = lst_raddr_idle;
      end else begin
        lst_raddr = {sw_set_q, sw_nxt_inc == sw_end_q ? sw_beg_q : sw_nxt_inc};
      end
    end else if (pass_go && !clear_q) begin
      lst_raddr = {pass_ahead ? !time_q[0] : time_q[0],
                   lst_idx_q + IdxW'(1) == pass_end ? lst_idx_q : lst_idx_q + IdxW'(1)};
    end else begin
      lst_raddr = lst_raddr_idle;
    end
  end

  spl_ram_1r1w #(
    .Width (SrcW),
    .Depth (2 << IdxW)
  ) u_list (
    .clk_i   (clk_i),
    .we_i    (lst_we),
    .waddr_i (lst_waddr),
    .wdata_i (lst_wdata),
    .re_i    (1'b1),
    .raddr_i (lst_raddr),
    .rdata_o (lst_rdata)
  );

  // ---------------------------------------------------------------------
  // Sequencer
  // ---------------------------------------------------------------------
  // Timestep t accumulates into set t[0]. The recurrent spikes of t are
  // swept into set !t[0] one row at a time while the update of t runs (they
  // come out in ascending order, as the spec sweeps them at the start of
  // t+1), as long as a row ends before the update does. Timestep t+1 then
  // appends its input events due to the list and sweeps the rest of it in
  // one pass, chunk-major, so that chunk c of set t[0] is final early; the
  // update enters neuron 8c only once chunk c is final (cur_ready_q > c), so
  // it runs alongside that pass. Weights written between the timesteps
  // invalidate the sweep ahead: t+1 then zeroes its set and sweeps the whole
  // list again.
  assign upd_go   = state_q == StUpd
                    && (upd_n_q[LaneW-1:0] != '0 || {1'b0, upd_n_q[NeurW-1:LaneW]} < cur_ready_q
                        || cap_q);
  assign upd_valid = upd_go;
  assign upd_rd   = upd_go && upd_n_q[LaneW-1:0] == '0 && !cap_q;
  // While the update waits for chunk c (neuron 8c next, held by
  // cur_ready_q) the pass of set t[0] sweeps its last row of chunk c: the
  // sums go straight to the update, which takes the chunk the clock after.
  assign sw_cap   = state_q == StUpd && !sw_ahead_q && sw_nxt_q == sw_beg_q
                    && upd_n_q[LaneW-1:0] == '0 && sw_chunk_q == upd_n_q[NeurW-1:LaneW];
  assign sw_issue = sw_act_q && !upd_rd;
  // The row issued now is the pass's last of its chunk when the next wraps.
  assign sw_last  = sw_issue && sw_chunk_q == '1 && sw_nxt_q == sw_beg_q;
  assign sw_nxt_inc = sw_nxt_q + IdxW'(1);

  assign lst_more = lst_idx_q != lst_vis_q;
  // Gathering (StIn, engine idle): the events due join the list, one per
  // clock, up to 2^IdxW - 1 deliveries in the timestep (spikes of t-1
  // included); events due beyond that wait for the next timestep.
  assign in_pop     = state_q == StIn && !sw_act_q && in_due && lst_wr_q != '1;
  assign gather_end = state_q == StIn && !sw_act_q && !in_pop && lst_vis_q == lst_wr_q;
  // (An event due left behind by a full list ends the gathering too.)

  always_comb begin
    pass_go    = 1'b0;
    pass_ahead = 1'b0;
    pass_end   = lst_vis_q;
    if (state_q == StUpd && upd_n_q < NeurW'(AheadCut)) begin
      // One spike row ahead, once the engine is idle (the list must have
      // shown entry lst_idx_q for a clock).
      pass_go    = lst_more && !sw_act_q;
      pass_ahead = 1'b1;
      pass_end   = lst_idx_q + IdxW'(1);
    end else if (gather_end) begin
      pass_go = lst_more;
    end
  end
  assign pass_len = pass_end - lst_idx_q;

  // Real-time tick divider. The tick and the step request are registered
  // before they reach the owed-timestep counter, to keep the adders apart.
  always_comb begin
    div_d  = 32'h0;
    tick_d = 1'b0;
    if (rt_enable_i) begin
      div_d = div_q + 32'd1;
      if (div_d >= tick_cycles_i) begin
        tick_d = 1'b1;
        div_d  = 32'h0;
      end
    end
  end

  assign finish = state_q == StUpdWait && !nrn_busy && !spike && lst_vis_q == lst_wr_q
                  && !sw_act_q && !acc_busy;
  assign start  = state_q == StIdle && !lrn_busy
                  && (owed_q != '0 || (step_q && step_cnt_q != '0) || tick_q);
  always_comb begin
    unique case ({tick_q, finish})
      2'b10:   owed_delta = 32'h0000_0001;
      2'b01:   owed_delta = 32'hFFFF_FFFF;
      default: owed_delta = 32'h0;
    endcase
  end

  always_comb begin
    state_d    = state_q;
    time_d     = time_q;
    lst_idx_d  = lst_idx_q;
    lst_wr_d   = lst_wr_q + IdxW'(lst_we);
    lst_vis_d  = lst_wr_q;
    upd_n_d    = upd_n_q;
    clr_n_d    = clr_n_q;
    sw_act_d   = sw_act_q;
    sw_set_d   = sw_set_q;
    sw_ahead_d = sw_ahead_q;
    sw_src_d   = sw_src_q;
    sw_chunk_d = sw_chunk_q;
    sw_beg_d   = sw_beg_q;
    sw_end_d   = sw_end_q;
    sw_nxt_d   = sw_nxt_q;
    // Weights, the plastic mapping or a pulse changed what a row adds.
    dirty_d    = dirty_q || (host_we && (mem_space_i == 2'd1 || mem_space_i == 2'd2)) || lrn_pulse;

    cnt_out_dropped_d = cnt_out_dropped_q + 32'(spike && out_full);
    cnt_late_d        = cnt_late_q + 32'(late_q);
    cnt_overrun_d     = cnt_overrun_q + 32'(tick_q && (state_q != StIdle || owed_q != '0));
    cnt_spikes_d      = cnt_spikes_q + 32'(spike);
    ahead_events_d    = ahead_events_q + (NeurW+1)'(ahead_take_q);
    ahead_sat_d       = ahead_sat_q + (acc_sat_ahead ? (NeurW+9)'(acc_sat) : '0);
    // One adder per counter: the addend is muxed, not the sum.
    if (start) begin
      // Nothing sweeps while idle: the counts of the rows swept ahead join
      // (or, for a re-sweep, are dropped) without a race.
      sat_add        = dirty_q ? '0 : ahead_sat_q;
      events_add     = dirty_q ? '0 : (IdxW+1)'(ahead_events_q);
      ahead_events_d = '0;
      ahead_sat_d    = '0;
    end else begin
      sat_add        = acc_sat_ahead ? '0 : (NeurW+9)'(acc_sat);
      events_add     = (IdxW+1)'(pass_cnt_q);
    end
    cnt_acc_sat_d  = cnt_acc_sat_q + 32'(sat_add);
    cnt_events_d   = cnt_events_q + 32'(events_add);
    sops_add       = 32'(events_add) * 32'(N);

    owed_d = owed_q + (step_q ? step_cnt_q : 32'h0) + owed_delta;

    // The pass: the list shows entry sw_nxt_q; issuing moves it on, and a
    // wrap to sw_beg_q moves to the next chunk.
    if (sw_issue) begin
      sw_src_d = lst_rdata;
      sw_nxt_d = sw_nxt_inc == sw_end_q ? sw_beg_q : sw_nxt_inc;
      if (sw_nxt_q == sw_beg_q) begin
        sw_chunk_d = sw_chunk_q + ChunkW'(1);
      end
    end
    if (pass_go) begin
      // The list shows entry lst_idx_q now (the read address follows it).
      sw_act_d   = 1'b1;
      sw_set_d   = pass_ahead ? !time_q[0] : time_q[0];
      sw_ahead_d = pass_ahead;
      sw_src_d   = lst_rdata;
      sw_chunk_d = '0;
      sw_beg_d   = lst_idx_q;
      sw_end_d   = pass_end;
      sw_nxt_d   = lst_idx_q + IdxW'(1) == pass_end ? lst_idx_q : lst_idx_q + IdxW'(1);
      lst_idx_d  = pass_end;
    end else if (sw_last) begin
      sw_act_d = 1'b0;
    end

    unique case (state_q)
      StIdle: begin
        if (start) begin
          dirty_d = 1'b0;
          if (dirty_q && lst_idx_q != '0) begin
            state_d   = StZero;
            clr_n_d   = '0;
            lst_idx_d = '0;
          end else begin
            state_d = StIn;
          end
        end
      end
      StZero: begin
        clr_n_d = clr_n_q + NeurW'(1);
        if (clr_n_q[ChunkW-1:0] == '1) begin
          state_d = StIn;
        end
      end
      StIn: begin
        // No more input due (or the list is full): the pass starting now
        // (if any) is the last of t's set, and the update starts, held
        // chunk by chunk.
        if (gather_end && (!in_due || lst_wr_q == '1)) begin
          state_d   = StUpd;
          upd_n_d   = '0;
          lst_wr_d  = '0;
          lst_vis_d = '0;
          lst_idx_d = '0;
        end
      end
      StUpd: begin
        upd_n_d = upd_n_q + NeurW'(upd_go);
        if (upd_go && upd_n_q == NeurW'(N - 1)) begin
          state_d = StUpdWait;
        end
      end
      StUpdWait: begin
        if (finish) begin
          state_d = StLearn;
        end
      end
      StLearn: begin
        if (!lrn_busy) begin
          state_d = StIdle;
          time_d  = time_q + 32'd1;
        end
      end
      StClear: begin
        clr_n_d = clr_n_q + NeurW'(1);
        if (clr_n_q == NeurW'(N - 1)) begin
          state_d = StIdle;
        end
      end
      default: state_d = StIdle;
    endcase

    // Chunks below cur_ready_q were last issued two clocks before, so their
    // writes have landed when the update reads them.
    if (state_d != StUpd && state_d != StUpdWait) begin
      cur_ready_d = '0;
    end else if (sw_act_q && !sw_ahead_q) begin
      cur_ready_d = {1'b0, sw_chunk_q};
    end else if (sw_act_d && !sw_ahead_d) begin
      cur_ready_d = '0;
    end else begin
      cur_ready_d = (ChunkW+1)'(N / Lanes);
    end

    if (clear_q) begin
      cnt_out_dropped_d = '0;
      cnt_late_d        = '0;
      cnt_acc_sat_d     = '0;
      cnt_overrun_d     = '0;
      cnt_spikes_d      = '0;
      cnt_events_d      = '0;
      ahead_events_d    = '0;
      ahead_sat_d       = '0;
      cur_ready_d       = '0;
      dirty_d   = 1'b0;
      state_d   = StClear;
      clr_n_d   = '0;
      time_d    = '0;
      owed_d    = '0;
      lst_idx_d = '0;
      lst_wr_d  = '0;
      lst_vis_d = '0;
      sw_act_d  = 1'b0;
    end
  end

  assign acc_clr      = state_q == StClear || state_q == StZero;
  assign acc_clr_addr = state_q == StZero ? {time_q[0], clr_n_q[ChunkW-1:0]} : clr_n_q[ChunkW:0];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q    <= StIdle;
      time_q     <= '0;
      owed_q     <= '0;
      div_q      <= '0;
      tick_q     <= 1'b0;
      step_q     <= 1'b0;
      step_cnt_q <= '0;
      late_q     <= 1'b0;
      pass_cnt_q <= '0;
      ahead_take_q <= 1'b0;
      cap_q      <= 1'b0;
      del_cnt_q  <= '0;
      lst_idx_q  <= '0;
      lst_wr_q   <= '0;
      lst_vis_q  <= '0;
      upd_n_q    <= '0;
      clr_n_q    <= '0;
      sw_act_q   <= 1'b0;
      sw_set_q   <= 1'b0;
      sw_ahead_q <= 1'b0;
      sw_src_q   <= '0;
      sw_chunk_q <= '0;
      sw_beg_q   <= '0;
      sw_end_q   <= '0;
      sw_nxt_q   <= '0;
      cur_ready_q <= '0;
      dirty_q    <= 1'b0;
      ahead_events_q <= '0;
      ahead_sat_q    <= '0;
      cnt_out_dropped_q <= '0;
      cnt_late_q        <= '0;
      cnt_acc_sat_q     <= '0;
      cnt_overrun_q     <= '0;
      cnt_spikes_q      <= '0;
      cnt_events_q      <= '0;
    end else begin
      state_q    <= state_d;
      time_q     <= time_d;
      owed_q     <= owed_d;
      div_q      <= clear_q ? 32'h0 : div_d;
      tick_q     <= tick_d && !clear_q;
      step_q     <= step_i && !clear_i && !clear_q;
      step_cnt_q <= step_count_i;
      late_q     <= in_pop && in_late && !clear_q;
      pass_cnt_q <= (pass_go && !pass_ahead && !clear_q) ? pass_len : '0;
      ahead_take_q <= pass_go && pass_ahead && !clear_q;
      cap_q      <= sw_issue && sw_cap && !clear_q;
      if (state_q == StIn && state_d == StUpd) begin
        del_cnt_q <= lst_wr_q;
      end
      lst_idx_q  <= lst_idx_d;
      lst_wr_q   <= lst_wr_d;
      lst_vis_q  <= lst_vis_d;
      upd_n_q    <= upd_n_d;
      clr_n_q    <= clr_n_d;
      sw_act_q   <= sw_act_d;
      sw_set_q   <= sw_set_d;
      sw_ahead_q <= sw_ahead_d;
      sw_src_q   <= sw_src_d;
      sw_chunk_q <= sw_chunk_d;
      sw_beg_q   <= sw_beg_d;
      sw_end_q   <= sw_end_d;
      sw_nxt_q   <= sw_nxt_d;
      cur_ready_q <= cur_ready_d;
      dirty_q    <= dirty_d;
      ahead_events_q <= ahead_events_d;
      ahead_sat_q    <= ahead_sat_d;
      cnt_out_dropped_q <= cnt_out_dropped_d;
      cnt_late_q        <= cnt_late_d;
      cnt_acc_sat_q     <= cnt_acc_sat_d;
      cnt_overrun_q     <= cnt_overrun_d;
      cnt_spikes_q      <= cnt_spikes_d;
      cnt_events_q      <= cnt_events_d;
    end
  end

  assign busy_o              = state_q != StIdle || owed_q != '0 || step_q || tick_q || clear_q
                               || lrn_busy;
  assign time_o              = time_q;
  assign cnt_in_dropped_o    = cnt_in_dropped_q;
  assign cnt_out_dropped_o   = cnt_out_dropped_q;
  assign cnt_late_o          = cnt_late_q;
  assign cnt_acc_saturated_o = cnt_acc_sat_q;
  assign cnt_tick_overrun_o  = cnt_overrun_q;
  assign cnt_spikes_o        = cnt_spikes_q;
  assign cnt_events_o        = cnt_events_q;
  spl_acc32 u_cnt_sops (.clk_i (clk_i), .rst_ni (rst_ni), .clr_i (clear_q),
                        .add_i (sops_add), .q_o (cnt_sops_o));

  // ---------------------------------------------------------------------
  // Datapath
  // ---------------------------------------------------------------------
  spl_core_synapses #(
    .N     (N),
    .E     (E),
    .Lanes (Lanes)
  ) u_synapses (
    .clk_i        (clk_i),
    .rst_ni       (rst_ni),
    .sw_valid_i   (sw_issue),
    .sw_src_i     (sw_src_q),
    .sw_chunk_i   (sw_chunk_q),
    .weights_o    (weights),
    .sign_o       (w_sign),
    .neg_o        (w_neg),
    .raw_o        (syn_raw),
    .plastic_i    (lrn_plastic),
    .inh_i        (lrn_inh),
    .eng_en_i     (syn_eng_en),
    .eng_we_i     (syn_eng_we),
    .eng_addr_i   (syn_eng_addr),
    .eng_k_i      (syn_eng_k),
    .eng_hi_i     (syn_eng_hi),
    .eng_byte_i   (syn_eng_byte),
    .host_re_i    (host_re && mem_space_i == 2'd1),
    .host_we_i    (host_we && mem_space_i == 2'd1),
    .host_addr_i  (mem_addr_i),
    .host_wdata_i (mem_wdata_i),
    .host_rdata_o (syn_rdata)
  );

  spl_core_acc #(
    .N     (N),
    .Lanes (Lanes)
  ) u_acc (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .sw_valid_i  (sw_issue),
    .sw_set_i    (sw_set_q),
    .sw_tag_i    (sw_ahead_q),
    .sw_chunk_i  (sw_chunk_q),
    .sw_cap_i    (sw_cap),
    .weights_i   (weights),
    .sign_i      (w_sign),
    .cin_i       (w_neg),
    .sat_o       (acc_sat),
    .sat_tag_o   (acc_sat_ahead),
    .busy_o      (acc_busy),
    .upd_valid_i (upd_valid),
    .upd_set_i   (time_q[0]),
    .upd_cap_i   (upd_go && cap_q),
    .upd_n_i     (upd_n_q),
    .upd_acc_o   (upd_acc),
    .clr_i       (acc_clr),
    .clr_addr_i  (acc_clr_addr)
  );

  spl_core_neuron #(
    .N (N)
  ) u_neuron (
    .clk_i         (clk_i),
    .rst_ni        (rst_ni),
    .upd_valid_i   (upd_valid),
    .upd_n_i       (upd_n_q),
    .acc_i         (upd_acc),
    .spike_o       (nrn_spike),
    .spike_n_o     (spike_n),
    .busy_o        (nrn_busy),
    .host_re_i     (host_re && (mem_space_i == 2'd0 || mem_space_i == 2'd3)),
    .host_we_i     (host_we && (mem_space_i == 2'd0 || mem_space_i == 2'd3)),
    .host_state_i  (mem_space_i == 2'd3),
    .host_addr_i   (mem_addr_i[NeurW+2:0]),
    .host_wdata_i  (mem_wdata_i),
    .host_rdata_o  (nrn_rdata),
    .clr_i         (clr),
    .clr_n_i       (clr_n_q)
  );

  if (Plastic) begin : g_learn
    spl_core_learn #(
      .N (N),
      .E (E)
    ) u_learn (
      .clk_i           (clk_i),
      .rst_ni          (rst_ni),
      .host_re_i       (host_re && mem_space_i == 2'd2),
      .host_we_i       (host_we && mem_space_i == 2'd2),
      .host_addr_i     (mem_addr_i),
      .host_wdata_i    (mem_wdata_i),
      .host_rdata_o    (lrn_rdata),
      .start_i         (finish),
      .clear_i         (clear_q),
      .time_i          (time_q[14:0]),
      .del_cnt_i       (del_cnt_q),
      .spk_cnt_i       (lst_wr_q),
      .lst_raddr_o     (lrn_lst_raddr),
      .lst_rdata_i     (lst_rdata),
      .syn_en_o        (syn_eng_en),
      .syn_we_o        (syn_eng_we),
      .syn_addr_o      (syn_eng_addr),
      .syn_k_o         (syn_eng_k),
      .syn_hi_o        (syn_eng_hi),
      .syn_byte_o      (syn_eng_byte),
      .syn_raw_i       (syn_raw),
      .busy_o          (lrn_busy),
      .pulse_o         (lrn_pulse),
      .plastic_o       (lrn_plastic),
      .inh_o           (lrn_inh),
      .cnt_pot_o       (cnt_pulses_pot_o),
      .cnt_dep_o       (cnt_pulses_dep_o),
      .cnt_unslotted_o (cnt_rate_unslotted_o)
    );
  end else begin : g_static
    logic unused_static;
    assign unused_static  = ^{del_cnt_q, syn_raw};
    assign lrn_rdata      = '0;
    assign lrn_busy       = 1'b0;
    assign lrn_pulse      = 1'b0;
    assign lrn_plastic    = 1'b0;
    assign lrn_inh        = '0;
    assign lrn_lst_raddr  = '0;
    assign syn_eng_en     = 1'b0;
    assign syn_eng_we     = 1'b0;
    assign syn_eng_addr   = '0;
    assign syn_eng_k      = '0;
    assign syn_eng_hi     = 1'b0;
    assign syn_eng_byte   = '0;
    assign cnt_pulses_pot_o     = '0;
    assign cnt_pulses_dep_o     = '0;
    assign cnt_rate_unslotted_o = '0;
  end

endmodule
