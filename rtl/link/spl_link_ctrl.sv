// The board's link layer (docs/link.md sections 1 and 2): between the
// framer (spl_link_framer) and the neuron core (spl_core).
//
// Host frames are taken one at a time. A frame is first stored whole (its
// body in one EBR, its first six body bytes also in flip-flops), because a
// frame with an invalid body must have no effect at all and its length is
// only known at its end. Then, in order: the sequence check (ERROR host
// frames lost), the type and body check (ERROR unknown type / malformed,
// rx_malformed), the action with its reply, and CREDIT after the reply to
// every command. Replies are built in a nine-byte shift register, loaded a
// chunk at a time (a header, then one register, counter or memory word per
// chunk), so no reply needs a buffer.
//
// Frames to the host come from the processor above and from the spike
// batcher (spl_link_batcher); the tx mux gives the framer to the batcher
// while it is inside a frame, else to the processor, and writes the 8-bit
// sequence number into byte 1 of every frame. While the processor wants the
// transmitter (hold), the batcher closes its batch and opens none, so
// replies, ERRORs and CREDITs are never held behind spike data for longer
// than it takes to close the open batch.
//
// Timesteps: STEP adds to the link's owed count; owed timesteps are handed
// to the core one at a time, each only when the core is idle and its output
// FIFO empty (lossless step mode). START/STOP drive the core's real-time
// mode directly.
module spl_link_ctrl #(
  parameter int          N         = 256,
  parameter int          E         = 256,
  parameter bit          Plastic   = 1'b1,
  parameter int unsigned ClockHz   = 24_000_000,
  // The core's input FIFO depth: IDENTIFY's event_credits, CREDIT's event_free.
  parameter int          EventCredits = 256,
  localparam int EfW   = $clog2(EventCredits + 1),
  localparam int NeurW = $clog2(N),
  localparam int ChanW = $clog2(E)
) (
  input  logic              clk_i,
  input  logic              rst_ni,

  // Identity (IDENTIFY, registers 0x0002-0x0004): constants at the top.
  input  logic [15:0]       board_id_i,
  input  logic [7:0]        gw_major_i,
  input  logic [7:0]        gw_minor_i,
  input  logic [7:0]        gw_patch_i,
  input  logic [31:0]       build_hash_i,
  // One clock: the next frame sets the expected sequence number, as the
  // first frame after reset does (a frame at its sequence check in this
  // clock is still checked). The boot loader's end.
  input  logic              seq_resync_i,
  // Register BOOT_STATUS (0x0024)
  input  logic [1:0]        boot_status_i,

  // Received frames from the framer: header+body
  input  logic [7:0]        rx_data_i,
  input  logic              rx_valid_i,
  input  logic              rx_last_i,
  output logic              rx_ready_o,

  // Frames to the framer: header+body
  output logic [7:0]        tx_data_o,
  output logic              tx_valid_o,
  output logic              tx_last_o,
  input  logic              tx_ready_i,

  // The framer's counters, ids 0..8, 32 bits each (id 0 in the low bits),
  // and their clear (RESET 1)
  input  logic [9*32-1:0]   cnt_framer_i,
  output logic              cnt_clr_o,
  // One pulse per byte the UART receiver lost (counter 15)
  input  logic              uart_err_i,

  // The core's host memory port
  output logic              mem_req_o,
  output logic              mem_we_o,
  output logic [1:0]        mem_space_o,
  output logic [15:0]       mem_addr_o,
  output logic [15:0]       mem_wdata_o,
  input  logic              mem_gnt_i,
  input  logic              mem_rvalid_i,
  input  logic [15:0]       mem_rdata_i,

  // Input events to the core
  output logic              in_valid_o,
  output logic [ChanW-1:0]  in_channel_o,
  output logic [15:0]       in_time_o,
  input  logic              in_full_i,
  input  logic [EfW-1:0]    in_count_i,

  // Output spikes from the core
  input  logic              out_valid_i,
  output logic              out_ready_o,
  input  logic [NeurW-1:0]  out_neuron_i,
  input  logic [31:0]       out_time_i,
  input  logic              out_empty_i,

  // Core control
  output logic              clear_o,
  output logic              step_o,
  output logic [31:0]       step_count_o,
  output logic              rt_enable_o,
  output logic [31:0]       tick_cycles_o,
  input  logic              busy_i,
  input  logic [31:0]       time_i,

  // The core's counters: in_dropped, out_dropped, late, acc_saturated,
  // tick_overrun, spikes, events, sops, pulses_pot, pulses_dep,
  // rate_unslotted (in_dropped in the low bits)
  input  logic [11*32-1:0]  cnt_core_i,

  output logic [2:0]        led_o
);

  // ---------------------------------------------------------------------
  // Constants
  // ---------------------------------------------------------------------
  localparam logic [7:0] TSpikes = 8'h01, TIdReq = 8'h02, TIdentify = 8'h03, TRegWrite = 8'h04,
                         TRegRead = 8'h05, TRegData = 8'h06, TMemWrite = 8'h07, TMemRead = 8'h08,
                         TMemData = 8'h09, TControl = 8'h0A, TAck = 8'h0B, TCredit = 8'h0C,
                         TCntReq = 8'h0D, TCounters = 8'h0E, TError = 8'h0F;
  localparam logic [7:0] StOk = 8'h00, StUnknown = 8'h01, StMalformed = 8'h02, StBadAddr = 8'h03,
                         StNoCredit = 8'h04, StSeqGap = 8'h05, StUnsupported = 8'h07;
  localparam logic [31:0] Magic    = 32'h4C4B5053;
  localparam logic [31:0] Caps     = {29'h0, Plastic, 2'b11};
  localparam logic [7:0]  Levels   = Plastic ? 8'd64 : 8'd0;
  logic [31:0] gw_ver;
  assign gw_ver = {8'h0, gw_major_i, gw_minor_i, gw_patch_i};
  localparam logic [31:0] Shape    = (32'(E) << 16) | 32'(N);
  // Memory spaces in 16-bit words (docs/link.md 1.1)
  // Every space fits the core's 16-bit word address (at most 2^16 words),
  // so memory address arithmetic is 17 bits wide (MaW): a start address at
  // or above 2^16 (m_hi) is beyond every space, and the host's 32-bit
  // address is read back from the frame's body (hb_q) where it is echoed.
  localparam int          MaW      = 17;
  localparam logic [MaW-1:0] Size0 = MaW'(N * 8);
  localparam logic [MaW-1:0] Size1 = MaW'((E + N) * N / 2);
  localparam logic [MaW-1:0] Size2 = MaW'(1024);
  localparam logic [MaW-1:0] Size3 = MaW'(N * 4);
  localparam int          CreditQuiet = 16384;
  // ctimer_q counts up to CreditQuiet, a power of two, and stops there:
  // it has reached it when its top bit is set.
  localparam int          CqBit       = $clog2(CreditQuiet);
  localparam logic [31:0] ClockHzW = ClockHz;
  localparam logic [15:0] EcW      = 16'(EventCredits);
  // Reply table: a byte's source
  localparam logic [4:0] SConst = 5'd0, SSeq = 5'd1, SType = 5'd2,
                         SW0 = 5'd3, SW1 = 5'd4, SW2 = 5'd5, SW3 = 5'd6,
                         SHb0 = 5'd7, SHb1 = 5'd8, SHb2 = 5'd9, SHb3 = 5'd10, SHb4 = 5'd11,
                         SEf0 = 5'd12, SEf1 = 5'd13, SMaj = 5'd14, SMin = 5'd15, SPat = 5'd16,
                         SBid0 = 5'd17, SBid1 = 5'd18,
                         SHash0 = 5'd19, SHash1 = 5'd20, SHash2 = 5'd21, SHash3 = 5'd22;
  // ... what the chunk's word captures at its load
  localparam logic [2:0] WVal = 3'd0, WMem = 3'd1, WDseq = 3'd2, WLen = 3'd3, WFb = 3'd4,
                         WDrops = 3'd5;
  // ... and where each chunk starts in it
  localparam logic [7:0] RCredit = 8'd0;
  localparam logic [7:0] RErrSeq = 8'd6;
  localparam logic [7:0] RErrMal = 8'd15;
  localparam logic [7:0] RErrUnk = 8'd24;
  localparam logic [7:0] RErrBadW = 8'd33;
  localparam logic [7:0] RErrNoCr = 8'd42;
  localparam logic [7:0] RErrBadHb0 = 8'd51;
  localparam logic [7:0] RErrBad48 = 8'd60;
  localparam logic [7:0] RErrBadStart = 8'd69;
  localparam logic [7:0] RErrBadSize0 = 8'd78;
  localparam logic [7:0] RErrBadSize1 = 8'd87;
  localparam logic [7:0] RErrBadSize2 = 8'd96;
  localparam logic [7:0] RErrBadSize3 = 8'd105;
  localparam logic [7:0] RAckOk = 8'd114;
  localparam logic [7:0] RAckBad = 8'd119;
  localparam logic [7:0] RAckUns = 8'd124;
  localparam logic [7:0] RIdentify = 8'd129;
  localparam logic [7:0] RRegData = 8'd165;
  localparam logic [7:0] RCntHdr = 8'd170;
  localparam logic [7:0] RItem = 8'd174;
  localparam logic [7:0] RMemHdr = 8'd178;
  localparam logic [7:0] RMemWord = 8'd186;

  typedef enum logic [4:0] {
    PIdle,
    PRx,       // storing a frame
    PSeq,      // sequence check
    PCheck,    // type and body check, dispatch
    PSpk,      // SPIKES: records to the core, two clocks each
    PSpkEnd,   // the last event's drop is seen a clock later
    PSpkBad,
    PSpkDrop,
    PId,       // IDENTIFY, four chunks of nine bytes
    PRw,       // REG_WRITE items, six bytes each
    PRwAck,
    PRrScan,   // REG_READ: range check, an address a clock
    PRr,       // REG_READ: REG_DATA header, or ERROR bad address
    PItem,     // REG_DATA / COUNTERS values
    PCr,       // COUNTERS_REQ: range check, COUNTERS header
    PMr,       // MEM_READ: range check
    PMemWait,  // memory commands wait for no timestep owed
    PMw,       // MEM_WRITE words
    PMwEnd,
    PMrHdr,
    PMrReq,
    PMrGnt,
    PMrData,
    PCtl,
    PDone      // the frame is processed: CREDIT after a command
  } pst_e;

  // ---------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------
  pst_e        st_d, st_q;
  logic [7:0]  type_d, type_q;
  logic [7:0]  seq_d, seq_q;
  logic [7:0]  rx_idx_d, rx_idx_q;     // byte of the frame being stored
  logic [7:0]  len_d, len_q;           // body length
  logic [2:0]  m6_d, m6_q;             // body length mod 6
  logic [47:0] hb_d, hb_q;             // body bytes 0..5; then a REG_WRITE item being assembled
  logic [7:0]  exp_d, exp_q;           // expected sequence number
  logic        have_exp_d, have_exp_q;
  // The last host frame processed is seq_q while idle: seq_q changes only
  // when a frame is stored (PRx), and every frame leaves through PDone.

  logic [7:0]  rd_ptr_d, rd_ptr_q;     // body buffer: rdata shows byte rd_ptr_q
  logic [7:0]  buf_rdata;
  logic        buf_we;
  logic [7:0]  buf_waddr;

  logic [1:0]  ph_d, ph_q;             // phase within a record / word
  logic [7:0]  lo_d, lo_q;
  logic [2:0]  bcnt_d, bcnt_q;
  // SPIKES: time of the record, mod 2^16 (the core takes time mod 2^16)
  logic [15:0] cur_t_d, cur_t_q;
  logic        bad_d, bad_q;           // a bad address / a word beyond the end
  // The first bad address: a SPIKES channel, a register, or a MEM_WRITE word
  // below 2^MaW (one at or above it is the command's start address, m_start)
  logic [MaW-1:0] first_bad_d, first_bad_q;
  logic [7:0]  drops_d, drops_q;       // events of this frame the core dropped
  logic        skipped_d, skipped_q;
  // REG_READ / COUNTERS: the next register; memory commands: the word
  // address, its low MaW bits
  logic [MaW-1:0] addr_d, addr_q;
  logic [7:0]  cnt_d, cnt_q;           // items left
  logic [1:0]  space_d, space_q;

  // Replies (docs/link.md 4.1): a chunk of a reply is a run of entries in
  // the reply table (one EBR), each naming the source of one byte: a
  // constant, or a field the chunk's load captured (the command's sequence
  // number and type, a 32-bit word) or that stays put while it is sent
  // (the body's first bytes, the last event_free reported, the identity).
  // ld starts the run at ld_addr; the entry with its end bit set is the
  // chunk's last byte, and ld_fin makes it the frame's last.
  logic        sh_take;
  logic        ld;
  logic [7:0]  ld_addr;
  logic [2:0]  ld_w;                   // what the word captures (W*)
  logic        ld_fin;
  logic [7:0]  rp_d, rp_q;             // table entry of the byte being sent
  logic        act_d, act_q;           // a chunk is being sent
  logic        fin_q;
  logic [13:0] rom_e, rom_q;           // entry rp_q: {end, source, constant}
  logic        r_end;
  logic [4:0]  r_src;
  logic [7:0]  r_byte;
  logic [7:0]  r_seq_q, r_type_q;      // the command's seq and type at the load
  logic [31:0] w_d, w_q;               // the chunk's word
  logic        want;                   // the processor wants the transmitter

  // Core side
  logic        in_valid_d, in_valid_q;
  // An event's channel and time are not registered apart: the clock its
  // in_valid_q is high, lo_q still holds its record's low byte and cur_t_q
  // its time (the core's input FIFO takes them only with in_valid_o).
  logic [ChanW-1:0] in_chan;
  logic        mreq_d, mreq_q;
  logic        mwe_d, mwe_q;
  logic        clear_d, clear_q;
  logic        step_go, step_q;
  logic        rt_d, rt_q;
  logic [31:0] owed_d, owed_q;

  // Registers
  logic [31:0] tick_d, tick_q;
  logic [31:0] bper_d, bper_q;
  logic [31:0] flush_d, flush_q;
  logic [31:0] scratch_d, scratch_q;

  // Link counters
  // Link counters (ids 9, 10, 12, 15; below) and the amount each adds this
  // clock; fclr (RESET 1) zeroes them all. Only their low bits are kept:
  // the counter RAM holds their counts.
  logic [9:0]  c_seq_q;
  logic [5:0]  c_mal_q, c_bad_q, c_uart_q;
  logic [7:0]  c_seq_add;
  logic        c_mal_add, c_bad_add;
  logic        fclr;                   // RESET 1: zero the framer's counters

  // Credits
  logic [EfW-1:0] ef;                  // event_free
  logic [EfW-1:0] last_ef_d, last_ef_q; // event_free last reported
  logic        unrep_d, unrep_q;       // a processed frame not named by a CREDIT
  logic [CqBit:0] ctimer_d, ctimer_q;
  logic        credit_due;

  // Tx mux
  logic        b_busy, b_open;
  logic [7:0]  b_data;
  logic        b_valid, b_last;
  logic [1:0]  pos_q;
  logic [7:0]  tx_seq_q;
  logic        tx_take;
  logic        idle;
  logic        drop_q;
  // LED 2 without 32-bit compares: the link and framer counters of LED 2 are
  // zeroed only by RESET 1 (fclr), so "non-zero" is "has counted since":
  // sticky flags (they differ only after exactly 2^32 counts). The framer's
  // ids 1..5 and 8 count by one, so a count toggles bit 0.
  logic [5:0]  fb0_q;                  // bit 0 of framer ids 1..5, 8 a clock ago
  logic [5:0]  fb0;
  logic        cnt_nz_q;               // one of them has counted since RESET 1
  // ... and the core's ids 11 and 14, which any RESET zeroes (a clock
  // after clear_o reaches the core): bit 0 a clock ago, and a flag.
  logic [1:0]  cb0, cb0_q;
  logic        core_nz_q;
  logic [1:0]  clr_dly_q;              // clear_q and fclr a clock and two ago
  logic [1:0]  fclr_dly_q;

  // Counter RAM (spl_link_cnt_ram): slot = id for ids 0..15 (the framer's
  // 0..8, the link's 9, 10, 12, 15, the core's 11, 13, 14), 16..19 for the
  // core's 32..35. The link reads only each source's low bits, enough for
  // what it can add between two visits (about 30 clocks apart at most):
  // 6 for the counters that count at most one a clock; 9 for
  // rx_bytes_discarded (a whole group, up to 256 bytes, at once, at most a
  // byte a clock on average); 10 for rx_seq_lost (up to 127 per frame, an
  // ERROR of nine bytes each); for acc_saturated a timestep's swept-ahead
  // saturations at once (below 2^(NeurW+9)); for events a pass's rows at
  // once (below 2^SrcW, ahead below 2^(NeurW+1)). The core's sops and
  // plasticity counters stay outside (sops is a DSP).
  localparam int CntLoSat = NeurW + 10;
  localparam int CntLoEv  = $clog2(E + N) + 3;
  localparam int CntLoMax = CntLoSat > CntLoEv ? CntLoSat : CntLoEv;
  localparam logic [5*20-1:0] CntLoWs = {
    5'(CntLoEv), 5'd6, 5'd6, 5'(CntLoSat),        // 19..16: ids 35, 34, 33, 32
    5'd6, 5'd6, 5'd6, 5'd6, 5'd6, 5'd6, 5'd10,    // 15..9
    5'd6, 5'd6, 5'd9, 5'd6, 5'd6, 5'd6, 5'd6, 5'd6, 5'd6};  // 8..0
  logic [20*CntLoMax-1:0] cr_lo;
  logic [19:0] cr_clr;
  logic        cr_req, cr_ack, cr_valid;
  logic [31:0] cr_data;
  logic        cr_busy_q;              // a read is on its way
  logic        cr_ok_q;                // cr_data is addr_q's counter

  // ---------------------------------------------------------------------
  // Helpers
  // ---------------------------------------------------------------------
  // x >= c for a constant c (operands zero-extended to 32 bits), as logic:
  // yosys builds a comparator as a carry chain, a logic cell a bit, where
  // a comparison with a constant needs a few LUTs.
  function automatic logic f_ge(input logic [31:0] x, input logic [31:0] c);
    logic r;
    r = 1'b1;
    for (int i = 0; i < 32; i++) begin
      r = c[i] ? (x[i] && r) : (x[i] || r);
    end
    f_ge = r;
  endfunction

  // A counter by id (docs/link.md 2.1); ids not listed read 0.
  // Ids 0..15 and 32..35 are read from the counter RAM (spl_link_cnt_ram,
  // below): cslot is the id's slot there, cram whether the id has one.
  logic [5:0]  cid;
  logic [31:0] cval;
  logic [4:0]  cslot;
  logic        cram;
  assign cram  = cid[5:4] == 2'b00 || cid[5:2] == 4'b1000;  // 0..15, 32..35
  assign cslot = cid[5] ? {3'b100, cid[1:0]} : cid[4:0];
  always_comb begin
    cval = cram ? cr_data : '0;
    unique case (cid)
      6'd36:   cval = cnt_core_i[32*7 +: 32];
      6'd37:   cval = cnt_core_i[32*8 +: 32];
      6'd38:   cval = cnt_core_i[32*9 +: 32];
      6'd39:   cval = cnt_core_i[32*10 +: 32];
      default: ;
    endcase
  end

  // The register at addr_q (docs/link.md 2); counters at 0x100 + id.
  // Read only in PItem, where addr_q is always a register: REG_READ checked
  // every address of its range (rd_ok), COUNTERS_REQ its ids (0..47). So
  // the value is picked by the few address bits that tell registers apart.
  logic [31:0] rval;
  assign cid = addr_q[5:0];
  always_comb begin
    rval = '0;
    if (addr_q[8]) begin
      rval = cval;
    end else begin
      unique case (addr_q[5:4])
        2'd0: begin            // 0x0000-0x0007
          unique case (addr_q[2:0])
            3'd0:    rval = Magic;
            3'd1:    rval = {16'h0, 8'(1), 8'(0)};
            3'd2:    rval = gw_ver;
            3'd3:    rval = build_hash_i;
            3'd4:    rval = {16'h0, board_id_i};
            3'd5:    rval = ClockHzW;
            3'd6:    rval = Shape;
            default: rval = Caps;
          endcase
        end
        2'd1: begin            // 0x0010-0x0013
          unique case (addr_q[1:0])
            2'd0:    rval = tick_q;
            2'd1:    rval = bper_q;
            2'd2:    rval = flush_q;
            default: rval = scratch_q;
          endcase
        end
        default: begin         // 0x0020-0x0024
          unique case (addr_q[2:0])
            3'd0:    rval = {29'h0, !out_empty_i || b_open, busy_i || owed_q != '0 || step_q, rt_q};
            3'd1:    rval = time_i;
            3'd2:    rval = 32'(ef);
            3'd3:    rval = owed_q;
            default: rval = {30'h0, boot_status_i};
          endcase
        end
      endcase
    end
  end

  // Whether addr_q is a register (docs/link.md 1.4: 0x0000-0x0007,
  // 0x0010-0x0013, 0x0020-0x0024, 0x0100-0x012F). REG_READ checks its range
  // an address a clock, so the first unreadable one is where it stops.
  logic rd_ok;
  assign rd_ok = addr_q[MaW-1:9] == '0
                 && (addr_q[8] ? (addr_q[7:6] == 2'b00 && addr_q[5:4] != 2'b11)  // <= 0x2F
                               : (addr_q[7:6] == 2'b00
                                  && (addr_q[5:3] == 3'd0 || ((addr_q[5:4] == 2'd1 || addr_q[5:4] == 2'd2)
                                                              && addr_q[3:2] == 2'd0)
                                  || addr_q[5:0] == 6'h24)));

  // ---------------------------------------------------------------------
  // Body buffer: one EBR
  // ---------------------------------------------------------------------
  assign buf_we    = st_q == PRx && rx_valid_i && rx_idx_q[7:1] != 7'd0;  // rx_idx_q >= 2
  assign buf_waddr = rx_idx_q - 8'd2;

  spl_ram_1r1w #(
    .Width (8),
    .Depth (256)
  ) u_body (
    .clk_i   (clk_i),
    .we_i    (buf_we),
    .waddr_i (buf_waddr),
    .wdata_i (rx_data_i),
    .re_i    (1'b1),
    .raddr_i (rd_ptr_d),
    .rdata_o (buf_rdata)
  );

  // ---------------------------------------------------------------------
  // Credits
  // ---------------------------------------------------------------------
  assign ef = EfW'(EventCredits) - in_count_i;
  // ef >= last_ef_q + 64: their difference (both at most EventCredits,
  // so it fits EfW bits and a sign) is not negative and at least 64.
  logic [EfW:0] ef_gain;
  assign ef_gain    = {1'b0, ef} - {1'b0, last_ef_q};
  assign credit_due = have_exp_q
                      && ((!ef_gain[EfW] && ef_gain[EfW-1:6] != '0) || (unrep_q && ctimer_q[CqBit]));

  // ---------------------------------------------------------------------
  // Processor
  // ---------------------------------------------------------------------
  logic        sh_empty;
  logic [7:0]  d_seq;
  logic        known, valid;
  logic [31:0] ctl_arg;
  logic [15:0] rec;
  logic [15:0] rec_t;
  logic [MaW-1:0] m_end;
  logic [8:0]  cr_end;                 // COUNTERS_REQ: first id + count
  logic        m_beyond;
  logic        m_hi;                   // it is 2^16 or more
  logic        stepping;               // STEP adds its argument this clock
  logic [31:0] owed_add;
  logic [32:0] owed_sum;

  // Owed timesteps go to the core one at a time: only when it is idle
  // and its output FIFO is empty, so step mode never overflows it. STEP
  // adds its argument to what is owed after this clock's step (one adder).
  // One adder: STEP adds its argument (no step goes in that clock), a
  // step adds -1; STEP's sum saturates.
  assign stepping = st_q == PCtl && sh_empty && hb_q[7:0] == 8'd4;
  assign owed_add = stepping ? ctl_arg : {32{step_go}};
  assign owed_sum = 33'(owed_q) + 33'(owed_add);
  assign sh_empty = !act_q;
  assign d_seq    = seq_q - exp_q;
  assign ctl_arg  = {hb_q[39:32], hb_q[31:24], hb_q[23:16], hb_q[15:8]};
  assign rec      = {buf_rdata, lo_q};
  if (ChanW <= 8) begin : g_chan_lo
    assign in_chan = lo_q[ChanW-1:0];
  end else begin : g_chan_hi
    // Channels above 255: the record's high byte is gone a clock later.
    logic [ChanW-9:0] chan_hi_q;
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        chan_hi_q <= '0;
      end else begin
        chan_hi_q <= buf_rdata[ChanW-9:0];
      end
    end
    assign in_chan = {chan_hi_q, lo_q};
  end
  // One adder for both record kinds: a time advance (dt 0xF) adds its
  // 12-bit amount, an event its 4-bit dt.
  assign rec_t    = cur_t_q + (rec[15:12] == 4'hF ? 16'(rec[11:0]) : 16'(rec[15:12]));
  assign m_hi     = hb_q[39:24] != 16'h0;
  // Below 2^16 + 2^8: no carry out of MaW bits.
  assign m_end    = addr_q + MaW'(cnt_q);
  assign cr_end   = 9'(hb_q[7:0]) + 9'(hb_q[15:8]);
  // addr_q >= m_size and m_end > m_size, against the space's constant
  logic m_ge_size, m_end_over;
  always_comb begin
    unique case (space_q)
      2'd0: begin
        m_ge_size  = f_ge(32'(addr_q), 32'(Size0));
        m_end_over = f_ge(32'(m_end), 32'(Size0) + 32'd1);
      end
      2'd1: begin
        m_ge_size  = f_ge(32'(addr_q), 32'(Size1));
        m_end_over = f_ge(32'(m_end), 32'(Size1) + 32'd1);
      end
      2'd2: begin
        m_ge_size  = f_ge(32'(addr_q), 32'(Size2));
        m_end_over = f_ge(32'(m_end), 32'(Size2) + 32'd1);
      end
      default: begin
        m_ge_size  = f_ge(32'(addr_q), 32'(Size3));
        m_end_over = f_ge(32'(m_end), 32'(Size3) + 32'd1);
      end
    endcase
  end
  assign m_beyond = m_hi || m_ge_size;

  always_comb begin
    known = 1'b1;
    valid = 1'b0;
    unique case (type_q)
      TSpikes:   valid = f_ge(32'(len_q), 4) && !len_q[0];
      TIdReq:    valid = len_q == 8'd0;
      TRegWrite: valid = m6_q == 3'd0 && len_q != 8'd0 && !f_ge(32'(len_q), 247);
      TRegRead:  valid = len_q == 8'd3 && hb_q[23:16] != 8'd0 && !f_ge(32'(hb_q[23:16]), 62);
      TMemWrite: valid = f_ge(32'(len_q), 7) && len_q[0] && !f_ge(32'(len_q), 248)
                         && hb_q[7:2] == 6'd0;
      TMemRead:  valid = len_q == 8'd6 && hb_q[7:2] == 6'd0 && hb_q[47:40] != 8'd0
                         && !f_ge(32'(hb_q[47:40]), 122);
      TControl:  valid = len_q == 8'd5 && hb_q[7:0] != 8'd0 && !f_ge(32'(hb_q[7:0]), 6)
                         && (hb_q[7:0] != 8'd1 || ctl_arg[31:1] == 31'd0);
      TCntReq:   valid = len_q == 8'd2 && hb_q[15:8] != 8'd0 && !f_ge(32'(hb_q[15:8]), 62);
      default:   known = 1'b0;
    endcase
  end

  always_comb begin
    st_d        = st_q;
    type_d      = type_q;
    seq_d       = seq_q;
    rx_idx_d    = rx_idx_q;
    len_d       = len_q;
    m6_d        = m6_q;
    hb_d        = hb_q;
    exp_d       = exp_q;
    have_exp_d  = have_exp_q;
    rd_ptr_d    = rd_ptr_q;
    ph_d        = ph_q;
    lo_d        = lo_q;
    bcnt_d      = bcnt_q;
    cur_t_d     = cur_t_q;
    bad_d       = bad_q;
    first_bad_d = first_bad_q;
    drops_d     = drops_q + 8'(in_valid_q && in_full_i);
    skipped_d   = skipped_q;
    addr_d      = addr_q;
    cnt_d       = cnt_q;
    space_d     = space_q;
    in_valid_d  = 1'b0;
    mreq_d      = mreq_q;
    mwe_d       = mwe_q;
    clear_d     = 1'b0;
    rt_d        = rt_q;
    tick_d      = tick_q;
    bper_d      = bper_q;
    flush_d     = flush_q;
    scratch_d   = scratch_q;
    c_seq_add   = 8'd0;
    c_mal_add   = 1'b0;
    c_bad_add   = 1'b0;
    fclr        = 1'b0;
    last_ef_d   = last_ef_q;
    unrep_d     = unrep_q;
    ctimer_d    = (unrep_q && !ctimer_q[CqBit]) ? ctimer_q + (CqBit+1)'(1) : ctimer_q;
    rx_ready_o  = 1'b0;
    want        = 1'b0;
    ld          = 1'b0;
    ld_addr     = RCredit;
    ld_w        = WVal;
    ld_fin      = 1'b0;
    owed_d      = owed_sum[31:0];

    unique case (st_q)
      PIdle: begin
        if (credit_due) begin
          want = 1'b1;
          if (sh_empty) begin
            ld        = 1'b1;
            ld_addr   = RCredit;
            ld_fin    = 1'b1;
            last_ef_d = ef;
            unrep_d   = 1'b0;
            ctimer_d  = '0;
          end
        end else begin
          rx_ready_o = 1'b1;
          if (rx_valid_i) begin
            type_d   = rx_data_i;
            rx_idx_d = 8'd1;
            m6_d     = '0;
            len_d    = '0;
            st_d     = rx_last_i ? PSeq : PRx;
          end
        end
      end

      PRx: begin
        rx_ready_o = 1'b1;
        if (rx_valid_i) begin
          rx_idx_d = rx_idx_q + 8'd1;
          if (rx_idx_q == 8'd1) begin
            seq_d = rx_data_i;
          end else begin
            for (int k = 0; k < 6; k++) begin
              if (rx_idx_q == 8'(k + 2)) begin
                hb_d[8*k +: 8] = rx_data_i;
              end
            end
            m6_d = m6_q == 3'd5 ? 3'd0 : m6_q + 3'd1;
          end
          if (rx_last_i) begin
            len_d = rx_idx_q - 8'd1;
            st_d  = PSeq;
          end
        end
      end

      PSeq: begin
        if (have_exp_q && d_seq != 8'd0 && !d_seq[7]) begin
          want = 1'b1;
          if (sh_empty) begin
            ld      = 1'b1;
            ld_addr = RErrSeq;
            ld_w    = WDseq;
            ld_fin  = 1'b1;
            c_seq_add = d_seq;
            exp_d   = seq_q + 8'd1;
            st_d    = PCheck;
          end
        end else begin
          exp_d      = seq_q + 8'd1;
          have_exp_d = 1'b1;
          st_d       = PCheck;
        end
      end

      PCheck: begin
        bad_d     = 1'b0;
        skipped_d = 1'b0;
        ph_d      = '0;
        bcnt_d    = '0;
        drops_d   = '0;
        if (!known || !valid) begin
          want = 1'b1;
          if (sh_empty) begin
            ld      = 1'b1;
            ld_addr = known ? RErrMal : RErrUnk;
            ld_w    = WLen;
            ld_fin  = 1'b1;
            c_mal_add = 1'b1;
            st_d    = PDone;
          end
        end else begin
          unique case (type_q)
            TSpikes: begin
              rd_ptr_d = 8'd4;
              cur_t_d  = hb_q[15:0];
              st_d     = len_q == 8'd4 ? PSpkEnd : PSpk;
            end
            TIdReq: begin
              st_d  = PId;
            end
            TRegWrite: begin
              rd_ptr_d = 8'd0;
              st_d     = PRw;
            end
            TRegRead: begin
              addr_d = MaW'({hb_q[15:8], hb_q[7:0]});
              cnt_d  = hb_q[23:16];
              st_d   = PRrScan;
            end
            TMemWrite: begin
              rd_ptr_d = 8'd5;
              space_d  = hb_q[1:0];
              addr_d  = {1'b0, hb_q[23:16], hb_q[15:8]};
              cnt_d    = {1'b0, len_q[7:1]} - 8'd2;   // words: (len - 5) / 2
              st_d     = PMemWait;
            end
            TMemRead: begin
              space_d = hb_q[1:0];
              addr_d = {1'b0, hb_q[23:16], hb_q[15:8]};
              cnt_d   = hb_q[47:40];
              st_d    = PMr;
            end
            TControl: st_d = PCtl;
            default: begin  // TCntReq
              addr_d = MaW'({8'h01, hb_q[7:0]});
              cnt_d  = hb_q[15:8];
              st_d   = PCr;
            end
          endcase
        end
      end

      // SPIKES: a record every two clocks; events are registered to the core.
      PSpk: begin
        rd_ptr_d = rd_ptr_q + 8'd1;
        if (ph_q == 2'd0) begin
          lo_d = buf_rdata;
          ph_d = 2'd1;
        end else begin
          ph_d = 2'd0;
          if (rec[15:12] == 4'hF) begin
            cur_t_d = rec_t;
          end else begin
            cur_t_d = rec_t;
            if (!f_ge(32'(rec[11:0]), E)) begin
              in_valid_d = 1'b1;
            end else begin
              c_bad_add = 1'b1;
              if (!bad_q) begin
                bad_d       = 1'b1;
                first_bad_d = MaW'(rec[11:0]);
              end
            end
          end
          if (rd_ptr_q + 8'd1 == len_q) begin
            st_d = PSpkEnd;
          end
        end
      end
      PSpkEnd: st_d = PSpkBad;
      PSpkBad: begin
        if (bad_q) begin
          want = 1'b1;
          if (sh_empty) begin
            ld      = 1'b1;
            ld_addr = RErrBadW;
            ld_w    = WFb;
            ld_fin  = 1'b1;
            st_d    = PSpkDrop;
          end
        end else begin
          st_d = PSpkDrop;
        end
      end
      PSpkDrop: begin
        if (drops_q != 8'd0) begin
          want = 1'b1;
          if (sh_empty) begin
            ld      = 1'b1;
            ld_addr = RErrNoCr;
            ld_w    = WDrops;
            ld_fin  = 1'b1;
            st_d    = PDone;
          end
        end else begin
          st_d = PDone;
        end
      end

      PId: begin
        want = 1'b1;
        if (sh_empty) begin
          ld      = 1'b1;
          ld_addr = RIdentify;
          ld_fin  = 1'b1;
          st_d    = PDone;
        end
      end

      PRw: begin
        rd_ptr_d = rd_ptr_q + 8'd1;
        hb_d     = {buf_rdata, hb_q[47:8]};
        bcnt_d   = bcnt_q + 3'd1;
        if (bcnt_q == 3'd5) begin
          bcnt_d = '0;
          unique case (hb_d[15:0])
            16'h0010: tick_d    = hb_d[47:16];
            16'h0011: bper_d    = hb_d[47:16];
            16'h0012: flush_d   = hb_d[47:16];
            16'h0013: scratch_d = hb_d[47:16];
            default:  skipped_d = 1'b1;
          endcase
          if (rd_ptr_q + 8'd1 == len_q) begin
            st_d = PRwAck;
          end
        end
      end
      PRwAck: begin
        want = 1'b1;
        if (sh_empty) begin
          ld      = 1'b1;
          ld_addr = skipped_q ? RAckBad : RAckOk;
          ld_fin  = 1'b1;
          st_d    = PDone;
        end
      end

      PRrScan: begin
        want = 1'b1;
        if (!rd_ok) begin
          bad_d       = 1'b1;
          first_bad_d = MaW'(addr_q);
          st_d        = PRr;
        end else begin
          addr_d = addr_q + MaW'(1);
          cnt_d  = cnt_q - 8'd1;
          if (cnt_q == 8'd1) begin
            st_d = PRr;
          end
        end
      end
      PRr: begin
        want = 1'b1;
        if (sh_empty) begin
          ld = 1'b1;
          if (bad_q) begin
            ld_addr = RErrBadW;
            ld_w    = WFb;
            ld_fin  = 1'b1;
            st_d    = PDone;
          end else begin
            // The range again, for the values.
            addr_d  = MaW'({hb_q[15:8], hb_q[7:0]});
            cnt_d   = hb_q[23:16];
            ld_addr = RRegData;
            st_d    = PItem;
          end
        end
      end
      PCr: begin
        want = 1'b1;
        if (sh_empty) begin
          ld = 1'b1;
          if (f_ge(32'(cr_end), 49)) begin
            ld_addr = f_ge(32'(hb_q[7:0]), 49) ? RErrBadHb0 : RErrBad48;
            ld_fin  = 1'b1;
            st_d    = PDone;
          end else begin
            ld_addr = RCntHdr;
            st_d    = PItem;
          end
        end
      end
      PItem: begin
        want = 1'b1;
        if (sh_empty && !(addr_q[8] && cram && !cr_ok_q)) begin
          ld      = 1'b1;
          ld_addr = RItem;
          ld_fin  = cnt_q == 8'd1;
          addr_d  = addr_q + MaW'(1);
          cnt_d   = cnt_q - 8'd1;
          if (cnt_q == 8'd1) begin
            st_d = PDone;
          end
        end
      end

      PMr: begin
        if (m_hi || m_end_over) begin
          want = 1'b1;
          if (sh_empty) begin
            ld      = 1'b1;
            if (m_beyond) begin
              ld_addr = RErrBadStart;
            end else begin
              unique case (space_q)
                2'd0:    ld_addr = RErrBadSize0;
                2'd1:    ld_addr = RErrBadSize1;
                2'd2:    ld_addr = RErrBadSize2;
                default: ld_addr = RErrBadSize3;
              endcase
            end
            ld_fin  = 1'b1;
            st_d    = PDone;
          end
        end else begin
          st_d = PMemWait;
        end
      end
      // A memory command waits for no timestep owed (the core grants its
      // port only between timesteps). The transmitter is not held while
      // waiting: spikes must drain for owed steps to start.
      PMemWait: begin
        if (owed_q == '0 && !step_q) begin
          st_d = type_q == TMemWrite ? PMw : PMrHdr;
        end
      end
      PMw: begin
        unique case (ph_q)
          2'd0: begin
            lo_d     = buf_rdata;
            rd_ptr_d = rd_ptr_q + 8'd1;
            ph_d     = 2'd1;
          end
          // The word's high byte stays on buf_rdata (rd_ptr_q holds) until
          // the word is written: {buf_rdata, lo_q} is mem_wdata_o.
          2'd1: begin
            if (m_beyond) begin
              if (!bad_q) begin
                bad_d       = 1'b1;
                first_bad_d = addr_q;
              end
              rd_ptr_d = rd_ptr_q + 8'd1;
              addr_d   = addr_q + MaW'(1);
              cnt_d   = cnt_q - 8'd1;
              ph_d    = 2'd0;
              if (cnt_q == 8'd1) begin
                st_d = PMwEnd;
              end
            end else begin
              mreq_d = 1'b1;
              mwe_d  = 1'b1;
              ph_d   = 2'd2;
            end
          end
          default: begin
            if (mem_gnt_i) begin
              mreq_d   = 1'b0;
              mwe_d    = 1'b0;
              rd_ptr_d = rd_ptr_q + 8'd1;
              addr_d   = addr_q + MaW'(1);
              cnt_d   = cnt_q - 8'd1;
              ph_d    = 2'd0;
              if (cnt_q == 8'd1) begin
                st_d = PMwEnd;
              end
            end
          end
        endcase
      end
      PMwEnd: begin
        want = 1'b1;
        if (sh_empty) begin
          ld      = 1'b1;
          ld_addr = !bad_q ? RAckOk : (m_hi ? RErrBadStart : RErrBadW);
          ld_w    = WFb;
          ld_fin  = 1'b1;
          st_d    = PDone;
        end
      end
      PMrHdr: begin
        want = 1'b1;
        if (sh_empty) begin
          ld      = 1'b1;
          ld_addr = RMemHdr;
          st_d    = PMrReq;
        end
      end
      PMrReq: begin
        want = 1'b1;
        if (sh_empty) begin
          mreq_d = 1'b1;
          mwe_d  = 1'b0;
          st_d   = PMrGnt;
        end
      end
      PMrGnt: begin
        want = 1'b1;
        if (mem_gnt_i) begin
          mreq_d = 1'b0;
          st_d   = PMrData;
        end
      end
      PMrData: begin
        // The word arrives the clock after the grant.
        want = 1'b1;
        if (mem_rvalid_i) begin
          ld      = 1'b1;
          ld_addr = RMemWord;
          ld_w    = WMem;
          ld_fin  = cnt_q == 8'd1;
          addr_d = addr_q + MaW'(1);
          cnt_d   = cnt_q - 8'd1;
          st_d    = cnt_q == 8'd1 ? PDone : PMrReq;
        end
      end

      PCtl: begin
        want = 1'b1;
        if (sh_empty) begin
          ld      = 1'b1;
          ld_addr = hb_q[7:0] == 8'd5 ? RAckUns : RAckOk;
          ld_fin  = 1'b1;
          st_d    = PDone;
          unique case (hb_q[7:0])
            8'd1: begin  // RESET
              clear_d = 1'b1;
              rt_d    = 1'b0;
              owed_d  = '0;
              if (ctl_arg[0]) begin
                fclr     = 1'b1;
              end
            end
            8'd2: rt_d = 1'b1;
            8'd3: rt_d = 1'b0;
            8'd4: begin  // STEP: owe arg more, saturating
              owed_d = owed_sum[32] ? 32'hFFFF_FFFF : owed_sum[31:0];
            end
            default: ;
          endcase
        end
      end

      PDone: begin
        if (type_q != TSpikes) begin
          // A command: CREDIT right after its reply.
          want = 1'b1;
          if (sh_empty) begin
            ld        = 1'b1;
            ld_addr   = RCredit;
            ld_fin    = 1'b1;
            last_ef_d = ef;
            unrep_d   = 1'b0;
            ctimer_d  = '0;
            st_d      = PIdle;
          end
        end else begin
          if (!unrep_q) begin
            ctimer_d = '0;
          end
          unrep_d = 1'b1;
          st_d    = PIdle;
        end
      end

      default: st_d = PIdle;
    endcase
  end

  // ---------------------------------------------------------------------
  // Replies: a chunk is loaded only when the last one has been sent.
  // ---------------------------------------------------------------------
  always_comb begin
    rp_d  = rp_q;
    act_d = act_q;
    if (sh_take) begin
      if (r_end) begin
        act_d = 1'b0;
      end else begin
        rp_d = rp_q + 8'd1;
      end
    end
    if (ld) begin
      rp_d  = ld_addr;
      act_d = 1'b1;
    end
  end

  // The word: a register or counter value, a memory word, or an ERROR's
  // detail (the rest of the word is not sent then).
  always_comb begin
    w_d = rval;
    unique case (ld_w)
      WMem:    w_d[15:0] = mem_rdata_i;
      WDseq:   w_d[7:0]  = d_seq;
      WLen:    w_d[7:0]  = len_q;
      WFb:     w_d[23:0] = 24'(first_bad_q);
      WDrops:  w_d[7:0]  = drops_q;
      default: ;
    endcase
  end

  // The table (an EBR: a case of constants with a registered read).
  always_comb begin
    unique case (rp_d)
      8'd0: rom_e = {1'b0, SConst, TCredit};
      8'd1: rom_e = {1'b0, SConst, 8'h00};
      8'd2: rom_e = {1'b0, SSeq, 8'h00};
      8'd3: rom_e = {1'b0, SEf0, 8'h00};
      8'd4: rom_e = {1'b0, SEf1, 8'h00};
      8'd5: rom_e = {1'b1, SConst, 8'h01};
      8'd6: rom_e = {1'b0, SConst, TError};
      8'd7: rom_e = {1'b0, SConst, 8'h00};
      8'd8: rom_e = {1'b0, SConst, StSeqGap};
      8'd9: rom_e = {1'b0, SSeq, 8'h00};
      8'd10: rom_e = {1'b0, SType, 8'h00};
      8'd11: rom_e = {1'b0, SW0, 8'h00};
      8'd12: rom_e = {1'b0, SConst, 8'h00};
      8'd13: rom_e = {1'b0, SConst, 8'h00};
      8'd14: rom_e = {1'b1, SConst, 8'h00};
      8'd15: rom_e = {1'b0, SConst, TError};
      8'd16: rom_e = {1'b0, SConst, 8'h00};
      8'd17: rom_e = {1'b0, SConst, StMalformed};
      8'd18: rom_e = {1'b0, SSeq, 8'h00};
      8'd19: rom_e = {1'b0, SType, 8'h00};
      8'd20: rom_e = {1'b0, SW0, 8'h00};
      8'd21: rom_e = {1'b0, SConst, 8'h00};
      8'd22: rom_e = {1'b0, SConst, 8'h00};
      8'd23: rom_e = {1'b1, SConst, 8'h00};
      8'd24: rom_e = {1'b0, SConst, TError};
      8'd25: rom_e = {1'b0, SConst, 8'h00};
      8'd26: rom_e = {1'b0, SConst, StUnknown};
      8'd27: rom_e = {1'b0, SSeq, 8'h00};
      8'd28: rom_e = {1'b0, SType, 8'h00};
      8'd29: rom_e = {1'b0, SType, 8'h00};
      8'd30: rom_e = {1'b0, SConst, 8'h00};
      8'd31: rom_e = {1'b0, SConst, 8'h00};
      8'd32: rom_e = {1'b1, SConst, 8'h00};
      8'd33: rom_e = {1'b0, SConst, TError};
      8'd34: rom_e = {1'b0, SConst, 8'h00};
      8'd35: rom_e = {1'b0, SConst, StBadAddr};
      8'd36: rom_e = {1'b0, SSeq, 8'h00};
      8'd37: rom_e = {1'b0, SType, 8'h00};
      8'd38: rom_e = {1'b0, SW0, 8'h00};
      8'd39: rom_e = {1'b0, SW1, 8'h00};
      8'd40: rom_e = {1'b0, SW2, 8'h00};
      8'd41: rom_e = {1'b1, SConst, 8'h00};
      8'd42: rom_e = {1'b0, SConst, TError};
      8'd43: rom_e = {1'b0, SConst, 8'h00};
      8'd44: rom_e = {1'b0, SConst, StNoCredit};
      8'd45: rom_e = {1'b0, SSeq, 8'h00};
      8'd46: rom_e = {1'b0, SType, 8'h00};
      8'd47: rom_e = {1'b0, SW0, 8'h00};
      8'd48: rom_e = {1'b0, SConst, 8'h00};
      8'd49: rom_e = {1'b0, SConst, 8'h00};
      8'd50: rom_e = {1'b1, SConst, 8'h00};
      8'd51: rom_e = {1'b0, SConst, TError};
      8'd52: rom_e = {1'b0, SConst, 8'h00};
      8'd53: rom_e = {1'b0, SConst, StBadAddr};
      8'd54: rom_e = {1'b0, SSeq, 8'h00};
      8'd55: rom_e = {1'b0, SType, 8'h00};
      8'd56: rom_e = {1'b0, SHb0, 8'h00};
      8'd57: rom_e = {1'b0, SConst, 8'h00};
      8'd58: rom_e = {1'b0, SConst, 8'h00};
      8'd59: rom_e = {1'b1, SConst, 8'h00};
      8'd60: rom_e = {1'b0, SConst, TError};
      8'd61: rom_e = {1'b0, SConst, 8'h00};
      8'd62: rom_e = {1'b0, SConst, StBadAddr};
      8'd63: rom_e = {1'b0, SSeq, 8'h00};
      8'd64: rom_e = {1'b0, SType, 8'h00};
      8'd65: rom_e = {1'b0, SConst, 8'd48};
      8'd66: rom_e = {1'b0, SConst, 8'h00};
      8'd67: rom_e = {1'b0, SConst, 8'h00};
      8'd68: rom_e = {1'b1, SConst, 8'h00};
      8'd69: rom_e = {1'b0, SConst, TError};
      8'd70: rom_e = {1'b0, SConst, 8'h00};
      8'd71: rom_e = {1'b0, SConst, StBadAddr};
      8'd72: rom_e = {1'b0, SSeq, 8'h00};
      8'd73: rom_e = {1'b0, SType, 8'h00};
      8'd74: rom_e = {1'b0, SHb1, 8'h00};
      8'd75: rom_e = {1'b0, SHb2, 8'h00};
      8'd76: rom_e = {1'b0, SHb3, 8'h00};
      8'd77: rom_e = {1'b1, SHb4, 8'h00};
      8'd78: rom_e = {1'b0, SConst, TError};
      8'd79: rom_e = {1'b0, SConst, 8'h00};
      8'd80: rom_e = {1'b0, SConst, StBadAddr};
      8'd81: rom_e = {1'b0, SSeq, 8'h00};
      8'd82: rom_e = {1'b0, SType, 8'h00};
      8'd83: rom_e = {1'b0, SConst, Size0[7:0]};
      8'd84: rom_e = {1'b0, SConst, Size0[15:8]};
      8'd85: rom_e = {1'b0, SConst, 8'(Size0[16])};
      8'd86: rom_e = {1'b1, SConst, 8'h00};
      8'd87: rom_e = {1'b0, SConst, TError};
      8'd88: rom_e = {1'b0, SConst, 8'h00};
      8'd89: rom_e = {1'b0, SConst, StBadAddr};
      8'd90: rom_e = {1'b0, SSeq, 8'h00};
      8'd91: rom_e = {1'b0, SType, 8'h00};
      8'd92: rom_e = {1'b0, SConst, Size1[7:0]};
      8'd93: rom_e = {1'b0, SConst, Size1[15:8]};
      8'd94: rom_e = {1'b0, SConst, 8'(Size1[16])};
      8'd95: rom_e = {1'b1, SConst, 8'h00};
      8'd96: rom_e = {1'b0, SConst, TError};
      8'd97: rom_e = {1'b0, SConst, 8'h00};
      8'd98: rom_e = {1'b0, SConst, StBadAddr};
      8'd99: rom_e = {1'b0, SSeq, 8'h00};
      8'd100: rom_e = {1'b0, SType, 8'h00};
      8'd101: rom_e = {1'b0, SConst, Size2[7:0]};
      8'd102: rom_e = {1'b0, SConst, Size2[15:8]};
      8'd103: rom_e = {1'b0, SConst, 8'(Size2[16])};
      8'd104: rom_e = {1'b1, SConst, 8'h00};
      8'd105: rom_e = {1'b0, SConst, TError};
      8'd106: rom_e = {1'b0, SConst, 8'h00};
      8'd107: rom_e = {1'b0, SConst, StBadAddr};
      8'd108: rom_e = {1'b0, SSeq, 8'h00};
      8'd109: rom_e = {1'b0, SType, 8'h00};
      8'd110: rom_e = {1'b0, SConst, Size3[7:0]};
      8'd111: rom_e = {1'b0, SConst, Size3[15:8]};
      8'd112: rom_e = {1'b0, SConst, 8'(Size3[16])};
      8'd113: rom_e = {1'b1, SConst, 8'h00};
      8'd114: rom_e = {1'b0, SConst, TAck};
      8'd115: rom_e = {1'b0, SConst, 8'h00};
      8'd116: rom_e = {1'b0, SSeq, 8'h00};
      8'd117: rom_e = {1'b0, SType, 8'h00};
      8'd118: rom_e = {1'b1, SConst, StOk};
      8'd119: rom_e = {1'b0, SConst, TAck};
      8'd120: rom_e = {1'b0, SConst, 8'h00};
      8'd121: rom_e = {1'b0, SSeq, 8'h00};
      8'd122: rom_e = {1'b0, SType, 8'h00};
      8'd123: rom_e = {1'b1, SConst, StBadAddr};
      8'd124: rom_e = {1'b0, SConst, TAck};
      8'd125: rom_e = {1'b0, SConst, 8'h00};
      8'd126: rom_e = {1'b0, SSeq, 8'h00};
      8'd127: rom_e = {1'b0, SType, 8'h00};
      8'd128: rom_e = {1'b1, SConst, StUnsupported};
      8'd129: rom_e = {1'b0, SConst, TIdentify};
      8'd130: rom_e = {1'b0, SConst, 8'h00};
      8'd131: rom_e = {1'b0, SConst, Magic[7:0]};
      8'd132: rom_e = {1'b0, SConst, Magic[15:8]};
      8'd133: rom_e = {1'b0, SConst, Magic[23:16]};
      8'd134: rom_e = {1'b0, SConst, Magic[31:24]};
      8'd135: rom_e = {1'b0, SConst, 8'h01};
      8'd136: rom_e = {1'b0, SConst, 8'h00};
      8'd137: rom_e = {1'b0, SMaj, 8'h00};
      8'd138: rom_e = {1'b0, SMin, 8'h00};
      8'd139: rom_e = {1'b0, SPat, 8'h00};
      8'd140: rom_e = {1'b0, SConst, 8'h00};
      8'd141: rom_e = {1'b0, SBid0, 8'h00};
      8'd142: rom_e = {1'b0, SBid1, 8'h00};
      8'd143: rom_e = {1'b0, SHash0, 8'h00};
      8'd144: rom_e = {1'b0, SHash1, 8'h00};
      8'd145: rom_e = {1'b0, SHash2, 8'h00};
      8'd146: rom_e = {1'b0, SHash3, 8'h00};
      8'd147: rom_e = {1'b0, SConst, ClockHzW[7:0]};
      8'd148: rom_e = {1'b0, SConst, ClockHzW[15:8]};
      8'd149: rom_e = {1'b0, SConst, ClockHzW[23:16]};
      8'd150: rom_e = {1'b0, SConst, ClockHzW[31:24]};
      8'd151: rom_e = {1'b0, SConst, Shape[7:0]};
      8'd152: rom_e = {1'b0, SConst, Shape[15:8]};
      8'd153: rom_e = {1'b0, SConst, Shape[23:16]};
      8'd154: rom_e = {1'b0, SConst, Shape[31:24]};
      8'd155: rom_e = {1'b0, SConst, 8'd8};
      8'd156: rom_e = {1'b0, SConst, Levels};
      8'd157: rom_e = {1'b0, SConst, EcW[7:0]};
      8'd158: rom_e = {1'b0, SConst, EcW[15:8]};
      8'd159: rom_e = {1'b0, SConst, 8'h01};
      8'd160: rom_e = {1'b0, SConst, 8'h00};
      8'd161: rom_e = {1'b0, SConst, Caps[7:0]};
      8'd162: rom_e = {1'b0, SConst, Caps[15:8]};
      8'd163: rom_e = {1'b0, SConst, Caps[23:16]};
      8'd164: rom_e = {1'b1, SConst, Caps[31:24]};
      8'd165: rom_e = {1'b0, SConst, TRegData};
      8'd166: rom_e = {1'b0, SConst, 8'h00};
      8'd167: rom_e = {1'b0, SSeq, 8'h00};
      8'd168: rom_e = {1'b0, SHb0, 8'h00};
      8'd169: rom_e = {1'b1, SHb1, 8'h00};
      8'd170: rom_e = {1'b0, SConst, TCounters};
      8'd171: rom_e = {1'b0, SConst, 8'h00};
      8'd172: rom_e = {1'b0, SSeq, 8'h00};
      8'd173: rom_e = {1'b1, SHb0, 8'h00};
      8'd174: rom_e = {1'b0, SW0, 8'h00};
      8'd175: rom_e = {1'b0, SW1, 8'h00};
      8'd176: rom_e = {1'b0, SW2, 8'h00};
      8'd177: rom_e = {1'b1, SW3, 8'h00};
      8'd178: rom_e = {1'b0, SConst, TMemData};
      8'd179: rom_e = {1'b0, SConst, 8'h00};
      8'd180: rom_e = {1'b0, SSeq, 8'h00};
      8'd181: rom_e = {1'b0, SHb0, 8'h00};
      8'd182: rom_e = {1'b0, SHb1, 8'h00};
      8'd183: rom_e = {1'b0, SHb2, 8'h00};
      8'd184: rom_e = {1'b0, SHb3, 8'h00};
      8'd185: rom_e = {1'b1, SHb4, 8'h00};
      8'd186: rom_e = {1'b0, SW0, 8'h00};
      8'd187: rom_e = {1'b1, SW1, 8'h00};
      default: rom_e = '0;
    endcase
  end

  always_ff @(posedge clk_i) begin
    rom_q <= rom_e;
  end

  assign r_end = rom_q[13];
  assign r_src = rom_q[12:8];

  always_comb begin
    unique case (r_src)
      SSeq:    r_byte = r_seq_q;
      SType:   r_byte = r_type_q;
      SW0:     r_byte = w_q[7:0];
      SW1:     r_byte = w_q[15:8];
      SW2:     r_byte = w_q[23:16];
      SW3:     r_byte = w_q[31:24];
      SHb0:    r_byte = hb_q[7:0];
      SHb1:    r_byte = hb_q[15:8];
      SHb2:    r_byte = hb_q[23:16];
      SHb3:    r_byte = hb_q[31:24];
      SHb4:    r_byte = hb_q[39:32];
      SEf0:    r_byte = last_ef_q[7:0];
      SEf1:    r_byte = 8'(last_ef_q >> 8);
      SMaj:    r_byte = gw_major_i;
      SMin:    r_byte = gw_minor_i;
      SPat:    r_byte = gw_patch_i;
      SBid0:   r_byte = board_id_i[7:0];
      SBid1:   r_byte = board_id_i[15:8];
      SHash0:  r_byte = build_hash_i[7:0];
      SHash1:  r_byte = build_hash_i[15:8];
      SHash2:  r_byte = build_hash_i[23:16];
      SHash3:  r_byte = build_hash_i[31:24];
      default: r_byte = rom_q[7:0];
    endcase
  end

  assign idle    = !rt_q && owed_q == '0 && !step_q && !busy_i;
  assign step_go = owed_q != '0 && !busy_i && out_empty_i && !step_q && !clear_q && !stepping;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      st_q        <= PIdle;
      type_q      <= '0;
      seq_q       <= '0;
      rx_idx_q    <= '0;
      len_q       <= '0;
      m6_q        <= '0;
      hb_q        <= '0;
      exp_q       <= '0;
      have_exp_q  <= 1'b0;
      rd_ptr_q    <= '0;
      ph_q        <= '0;
      lo_q        <= '0;
      bcnt_q      <= '0;
      cur_t_q     <= '0;
      bad_q       <= 1'b0;
      first_bad_q <= '0;
      drops_q     <= '0;
      skipped_q   <= 1'b0;
      addr_q      <= '0;
      cnt_q       <= '0;
      space_q     <= '0;
      rp_q        <= '0;
      act_q       <= 1'b0;
      fin_q       <= 1'b0;
      r_seq_q     <= '0;
      r_type_q    <= '0;
      w_q         <= '0;
      in_valid_q  <= 1'b0;
      mreq_q      <= 1'b0;
      mwe_q       <= 1'b0;
      clear_q     <= 1'b0;
      step_q      <= 1'b0;
      rt_q        <= 1'b0;
      owed_q      <= '0;
      tick_q      <= ClockHz / 1000;
      bper_q      <= 32'd1000;
      flush_q     <= 32'd1024;
      scratch_q   <= '0;
      last_ef_q   <= EfW'(EventCredits);
      unrep_q     <= 1'b0;
      ctimer_q    <= '0;
    end else begin
      st_q        <= st_d;
      type_q      <= type_d;
      seq_q       <= seq_d;
      rx_idx_q    <= rx_idx_d;
      len_q       <= len_d;
      m6_q        <= m6_d;
      hb_q        <= hb_d;
      exp_q       <= exp_d;
      have_exp_q  <= have_exp_d && !seq_resync_i;
      rd_ptr_q    <= rd_ptr_d;
      ph_q        <= ph_d;
      lo_q        <= lo_d;
      bcnt_q      <= bcnt_d;
      cur_t_q     <= cur_t_d;
      bad_q       <= bad_d;
      first_bad_q <= first_bad_d;
      drops_q     <= drops_d;
      skipped_q   <= skipped_d;
      addr_q      <= addr_d;
      cnt_q       <= cnt_d;
      space_q     <= space_d;
      rp_q        <= rp_d;
      act_q       <= act_d;
      if (ld) begin
        fin_q    <= ld_fin;
        r_seq_q  <= seq_q;
        r_type_q <= type_q;
        w_q      <= w_d;
      end
      in_valid_q  <= in_valid_d;
      mreq_q      <= mreq_d;
      mwe_q       <= mwe_d;
      clear_q     <= clear_d;
      step_q      <= step_go;
      rt_q        <= rt_d;
      owed_q      <= owed_d;
      tick_q      <= tick_d;
      bper_q      <= bper_d;
      flush_q     <= flush_d;
      scratch_q   <= scratch_d;
      last_ef_q   <= last_ef_d;
      unrep_q     <= unrep_d;
      ctimer_q    <= ctimer_d;
    end
  end

  // The link's counters, their low bits (the counter RAM holds the counts)
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      c_seq_q  <= '0;
      c_mal_q  <= '0;
      c_bad_q  <= '0;
      c_uart_q <= '0;
    end else begin
      c_seq_q  <= fclr ? '0 : c_seq_q + 10'(c_seq_add);
      c_mal_q  <= fclr ? '0 : c_mal_q + 6'(c_mal_add);
      c_bad_q  <= fclr ? '0 : c_bad_q + 6'(c_bad_add);
      c_uart_q <= fclr ? '0 : c_uart_q + 6'(uart_err_i);
    end
  end

  // ---------------------------------------------------------------------
  // Spike batcher and the tx mux
  // ---------------------------------------------------------------------
  // With plasticity the core takes every DSP; else the batcher's time
  // arithmetic goes into four of them.
  spl_link_batcher #(
    .N   (N),
    .Dsp (!Plastic)
  ) u_batcher (
    .clk_i           (clk_i),
    .rst_ni          (rst_ni),
    .out_valid_i     (out_valid_i),
    .out_neuron_i    (out_neuron_i),
    .out_time_i      (out_time_i),
    .out_empty_i     (out_empty_i),
    .out_ready_o     (out_ready_o),
    .time_i          (time_i),
    .idle_i          (idle),
    .flush_cycles_i  (flush_q),
    .beacon_period_i (bper_q),
    .beacon_rst_i    (clear_q),
    .hold_i          (want || !sh_empty),
    .tx_data_o       (b_data),
    .tx_valid_o      (b_valid),
    .tx_last_o       (b_last),
    .tx_ready_i      (tx_ready_i && b_busy),
    .busy_o          (b_busy),
    .open_o          (b_open)
  );

  // The batcher keeps the framer while inside a frame; it opens none while
  // the processor holds the transmitter, so frames never interleave.
  assign tx_valid_o = b_busy ? b_valid : !sh_empty;
  assign tx_last_o  = b_busy ? b_last : (fin_q && r_end);
  // Kept as a net: the framer's CRC and encoder each take all eight bits,
  // and without the boundary the synthesiser copies the byte's mux into
  // every one of them.
  (* keep *) logic [7:0] tx_byte;
  assign tx_byte    = pos_q == 2'd1 ? tx_seq_q : (b_busy ? b_data : r_byte);
  assign tx_data_o  = tx_byte;
  assign tx_take    = tx_valid_o && tx_ready_i;
  assign sh_take    = !b_busy && !sh_empty && tx_ready_i;

  assign cb0 = {cnt_core_i[32*1], cnt_core_i[32*0]};

  // ---------------------------------------------------------------------
  // Counter RAM
  // ---------------------------------------------------------------------
  // Each source's low bits, as many as CntLoWs gives it.
  for (genvar i = 0; i < 9; i++) begin : g_cr_framer
    if (i == 6) begin : g_disc
      assign cr_lo[i*CntLoMax +: CntLoMax] = CntLoMax'(cnt_framer_i[32*i +: 9]);
    end else begin : g_one
      assign cr_lo[i*CntLoMax +: CntLoMax] = CntLoMax'(cnt_framer_i[32*i +: 6]);
    end
  end
  assign cr_lo[9*CntLoMax +: CntLoMax]  = CntLoMax'(c_seq_q);
  assign cr_lo[10*CntLoMax +: CntLoMax] = CntLoMax'(c_mal_q);
  assign cr_lo[11*CntLoMax +: CntLoMax] = CntLoMax'(cnt_core_i[32*0 +: 6]);
  assign cr_lo[12*CntLoMax +: CntLoMax] = CntLoMax'(c_bad_q);
  assign cr_lo[13*CntLoMax +: CntLoMax] = CntLoMax'(cnt_core_i[32*2 +: 6]);
  assign cr_lo[14*CntLoMax +: CntLoMax] = CntLoMax'(cnt_core_i[32*1 +: 6]);
  assign cr_lo[15*CntLoMax +: CntLoMax] = CntLoMax'(c_uart_q);
  assign cr_lo[16*CntLoMax +: CntLoMax] = CntLoMax'(cnt_core_i[32*3 +: CntLoSat]);
  assign cr_lo[17*CntLoMax +: CntLoMax] = CntLoMax'(cnt_core_i[32*4 +: 6]);
  assign cr_lo[18*CntLoMax +: CntLoMax] = CntLoMax'(cnt_core_i[32*5 +: 6]);
  assign cr_lo[19*CntLoMax +: CntLoMax] = CntLoMax'(cnt_core_i[32*6 +: CntLoEv]);
  // The framer and the link restart their counters the clock after fclr,
  // the core two clocks after clear_q: the marks are held over both.
  logic fgrp, cgrp;
  assign fgrp   = fclr || fclr_dly_q != 2'b00;
  assign cgrp   = clear_q || clr_dly_q != 2'b00;
  assign cr_clr = {{4{cgrp}}, fgrp, {2{cgrp}}, fgrp, cgrp, {2{fgrp}}, {9{fgrp}}};
  // A REG_DATA or COUNTERS item waits in PItem until its count is read.
  assign cr_req = st_q == PItem && addr_q[8] && cram && !cr_ok_q && !cr_busy_q;

  spl_link_cnt_ram #(
    .NSrc  (20),
    .LoMax (CntLoMax),
    .LoWs  (CntLoWs)
  ) u_cnt_ram (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .lo_i       (cr_lo),
    .clr_i      (cr_clr),
    .rd_req_i   (cr_req),
    .rd_slot_i  (cslot),
    .rd_ack_o   (cr_ack),
    .rd_valid_o (cr_valid),
    .rd_data_o  (cr_data)
  );

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cr_busy_q <= 1'b0;
      cr_ok_q   <= 1'b0;
    end else begin
      cr_busy_q <= cr_ack || (cr_busy_q && !cr_valid);
      // The item that used the count moves addr_q on.
      cr_ok_q   <= (cr_ok_q || cr_valid) && !(st_q == PItem && ld);
    end
  end

  assign fb0 = {cnt_framer_i[32*8], cnt_framer_i[32*5], cnt_framer_i[32*4],
                cnt_framer_i[32*3], cnt_framer_i[32*2], cnt_framer_i[32*1]};

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pos_q    <= '0;
      tx_seq_q <= '0;
      drop_q   <= 1'b0;
      fb0_q    <= '0;
      cnt_nz_q <= 1'b0;
      clr_dly_q  <= '0;
      fclr_dly_q <= '0;
      cb0_q      <= '0;
      core_nz_q  <= 1'b0;
    end else begin
      if (tx_take) begin
        pos_q <= tx_last_o ? 2'd0 : (pos_q == 2'd2 ? 2'd2 : pos_q + 2'd1);
        if (tx_last_o) begin
          tx_seq_q <= tx_seq_q + 8'd1;
        end
      end
      // LED 2: a counter of dropped or damaged traffic is non-zero. At
      // fclr the framer's counters restart from 0 plus this clock's count,
      // which the next clock sees as a toggle from 0.
      fb0_q    <= fclr ? 6'h0 : fb0;
      cnt_nz_q <= !fclr && (cnt_nz_q || fb0 != fb0_q
                            || c_seq_add != 8'd0 || c_mal_add || c_bad_add || uart_err_i);
      // The core zeroes its counters two clocks after clear_q: toggles
      // until then are not counts.
      clr_dly_q  <= {clr_dly_q[0], clear_q};
      fclr_dly_q <= {fclr_dly_q[0], fclr};
      cb0_q      <= cb0;
      core_nz_q  <= !(clear_q || clr_dly_q != 2'b00) && (core_nz_q || cb0 != cb0_q);
      drop_q     <= cnt_nz_q || core_nz_q
                    || (!(clear_q || clr_dly_q != 2'b00) && cb0 != cb0_q);
    end
  end

  // ---------------------------------------------------------------------
  // Outputs
  // ---------------------------------------------------------------------
  assign mem_req_o     = mreq_q;
  assign mem_we_o      = mwe_q;
  assign mem_space_o   = space_q;
  assign mem_addr_o    = addr_q[15:0];
  assign mem_wdata_o   = {buf_rdata, lo_q};
  assign in_valid_o    = in_valid_q;
  assign in_channel_o  = in_chan;
  assign in_time_o     = cur_t_q;
  assign clear_o       = clear_q;
  assign cnt_clr_o     = fclr;
  assign step_o        = step_q;
  assign step_count_o  = 32'd1;
  assign rt_enable_o   = rt_q;
  assign tick_cycles_o = tick_q;
  assign led_o         = {drop_q, busy_i || owed_q != '0 || step_q, rt_q};

endmodule
