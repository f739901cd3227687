// Frame receiver: COBS decode and CRC-32C check of the wire byte stream into
// a 512-byte ring buffer (one EBR), delivering good frames as header+body.
//
// The wire side has no backpressure: a byte may arrive on every clock. Every
// byte costs at most one buffer write (a data byte, or the implicit zero that
// a new COBS code byte stands for), so decoding keeps up with any input rate.
//
// A frame is written after the frames already waiting, one byte past its
// start. If it turns out bad, the write pointer simply is not advanced
// (rollback). If good, its header+body length is written into the byte kept
// free at its start (on the delimiter's clock, which writes nothing else) and
// the pointer advances past header+body, so the next frame overwrites the CRC.
// The reader fetches that length byte, then streams the frame. Space is freed
// a whole frame at a time, once it has been delivered. Unlike two fixed
// 256-byte slots, this does not lose short frames that arrive back to back
// while a long one still drains: only the ring's 512 bytes bound the backlog.
//
// Counters follow docs/protocol.md, and match the host decoder's counters for
// the same byte stream, except rx_overflow, which only the RTL has: a good
// frame that did not fit (ring or length FIFO full) counts as overflow
// instead of ok, and its bytes count as discarded. room_o tells a wire side
// that can wait (the simulation's byte port) when to hold bytes back so that
// this never happens; the UART cannot wait, and the link's credits bound it.
module spl_frame_rx (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        cnt_clr_i,   // zero the counters (RESET 1)

  input  logic [7:0]  rx_data_i,
  input  logic        rx_valid_i,

  output logic [7:0]  frame_data_o,
  output logic        frame_valid_o,
  output logic        frame_last_o,
  input  logic        frame_ready_i,

  // A frame is stored and not yet fully delivered.
  output logic        busy_o,
  // The ring has room for a whole maximal frame after the frames stored:
  // a wire side that holds bytes back while this is low never overflows.
  output logic        room_o,

  output logic [31:0] cnt_ok_o,
  output logic [31:0] cnt_crc_o,
  output logic [31:0] cnt_cobs_o,
  output logic [31:0] cnt_short_o,
  output logic [31:0] cnt_long_o,
  output logic [31:0] cnt_overflow_o,
  output logic [31:0] cnt_bytes_discarded_o
);

  localparam logic [31:0] CrcInit    = 32'hFFFFFFFF;
  localparam logic [31:0] CrcResidue = 32'hB798B438;
  localparam logic [8:0]  MaxGroup   = 9'd255; // COBS of the longest raw frame

  // ---------------------------------------------------------------------------
  // Decoder state for the group of bytes since the last 0x00
  // ---------------------------------------------------------------------------
  logic [8:0]  grp_len_d, grp_len_q;     // encoded bytes so far; 0: no group open
  logic [7:0]  blk_rem_d, blk_rem_q;     // data bytes still owed by the current block
  logic        zero_pend_d, zero_pend_q; // current block ends in an implicit zero
  logic [7:0]  raw_len_d, raw_len_q;     // decoded bytes so far (header+body+CRC)
  logic [31:0] crc_d, crc_q;
  logic        discard_d, discard_q;     // group too long: skip to the next 0x00
  logic        store_d, store_q;         // this group is being written to a slot

  // Ring pointers carry one extra bit so a full ring differs from an empty one.
  logic [9:0]  wr_base_d, wr_base_q;     // where the frame being received starts
  logic [9:0]  rd_base_d, rd_base_q;     // start of the oldest undelivered frame
  logic [9:0]  wr_addr;
  logic        ring_full;

  logic [8:0]  frames_d, frames_q;       // good frames stored, not yet delivered
  logic        commit;

  // Reader: fetch a frame's length byte, then stream the frame.
  typedef enum logic [1:0] {
    RdIdle,   // waiting for a stored frame; the length read goes out now
    RdLen,    // the length byte arrives
    RdData    // spl_slot_reader streams header+body
  } rd_state_e;

  rd_state_e   rd_state_d, rd_state_q;
  logic [7:0]  cur_len_d, cur_len_q;

  logic [31:0] cnt_ok_d, cnt_ok_q;
  logic [31:0] cnt_crc_d, cnt_crc_q;
  logic [31:0] cnt_cobs_d, cnt_cobs_q;
  logic [31:0] cnt_short_d, cnt_short_q;
  logic [31:0] cnt_long_d, cnt_long_q;
  logic [31:0] cnt_overflow_d, cnt_overflow_q;
  logic [31:0] cnt_disc_d, cnt_disc_q;
  // cnt_clr_i: the counters restart from 0 (this clock's counts still count)
  logic [31:0] cnt_ok_b;
  assign cnt_ok_b = cnt_clr_i ? 32'h0 : cnt_ok_q;
  logic [31:0] cnt_crc_b;
  assign cnt_crc_b = cnt_clr_i ? 32'h0 : cnt_crc_q;
  logic [31:0] cnt_cobs_b;
  assign cnt_cobs_b = cnt_clr_i ? 32'h0 : cnt_cobs_q;
  logic [31:0] cnt_short_b;
  assign cnt_short_b = cnt_clr_i ? 32'h0 : cnt_short_q;
  logic [31:0] cnt_long_b;
  assign cnt_long_b = cnt_clr_i ? 32'h0 : cnt_long_q;
  logic [31:0] cnt_overflow_b;
  assign cnt_overflow_b = cnt_clr_i ? 32'h0 : cnt_overflow_q;
  logic [31:0] cnt_disc_b;
  assign cnt_disc_b = cnt_clr_i ? 32'h0 : cnt_disc_q;

  // Decoded byte produced by this input byte, if any.
  logic        emit;
  logic [7:0]  emit_data;
  logic [31:0] crc_next;

  logic        ram_we;
  logic [8:0]  ram_waddr;
  logic [7:0]  ram_wdata;
  logic        ram_re;
  logic [8:0]  ram_raddr;
  logic        rdr_re;
  logic [7:0]  rdr_raddr;
  logic [7:0]  ram_rdata;
  logic        slot_done;

  // a + b + 1 on one adder: the 1 is the carry out of an extra low bit.
  logic       unused_wr_c, unused_rd_c, unused_ra_c;
  logic [9:0] rd_next;                   // past the frame being delivered
  logic [8:0] rd_byte;                   // its byte rdr_raddr

  // Byte 0 of a frame's space holds its length; decoded bytes follow.
  assign {wr_addr, unused_wr_c} = {wr_base_q, 1'b1} + {2'b00, raw_len_q, 1'b1};
  // 512 bytes held and not yet delivered: the next write would overrun.
  logic [8:0] unused_held;
  assign {ring_full, unused_held} = wr_addr - rd_base_q;

  spl_crc32c_byte u_crc (
    .crc_i  (crc_q),
    .data_i (emit_data),
    .crc_o  (crc_next)
  );

  always_comb begin
    grp_len_d      = grp_len_q;
    blk_rem_d      = blk_rem_q;
    zero_pend_d    = zero_pend_q;
    raw_len_d      = raw_len_q;
    crc_d          = crc_q;
    discard_d      = discard_q;
    store_d        = store_q;
    wr_base_d      = wr_base_q;
    frames_d       = frames_q;
    commit         = 1'b0;
    cnt_ok_d       = cnt_ok_b;
    cnt_crc_d      = cnt_crc_b;
    cnt_cobs_d     = cnt_cobs_b;
    cnt_short_d    = cnt_short_b;
    cnt_long_d     = cnt_long_b;
    cnt_overflow_d = cnt_overflow_b;
    cnt_disc_d     = cnt_disc_b;
    emit           = 1'b0;
    emit_data      = rx_data_i;

    if (rx_valid_i) begin
      if (rx_data_i == 8'h00) begin
        // Delimiter: close the group (an empty group is idle fill).
        if (discard_q) begin
          discard_d = 1'b0;
        end else if (grp_len_q != 9'd0) begin
          if (blk_rem_q != 8'd0) begin
            cnt_cobs_d = cnt_cobs_b + 32'd1;
            cnt_disc_d = cnt_disc_b + {23'h0, grp_len_q};
          end else if (raw_len_q[7:3] == 5'd0 && raw_len_q[2:1] != 2'b11) begin  // below 6: header (2) + CRC (4)
            cnt_short_d = cnt_short_b + 32'd1;
            cnt_disc_d  = cnt_disc_b + {23'h0, grp_len_q};
          end else if (crc_q != CrcResidue) begin
            cnt_crc_d  = cnt_crc_b + 32'd1;
            cnt_disc_d = cnt_disc_b + {23'h0, grp_len_q};
          end else if (!store_q) begin
            cnt_overflow_d = cnt_overflow_b + 32'd1;
            cnt_disc_d     = cnt_disc_b + {23'h0, grp_len_q};
          end else begin
            // Keep length and header+body; the next frame starts over the CRC.
            cnt_ok_d  = cnt_ok_b + 32'd1;
            commit    = 1'b1;
            wr_base_d = wr_addr - 10'd4;   // raw_len_q >= 6 here
          end
        end
        grp_len_d = '0;
        store_d   = 1'b0;
      end else if (discard_q) begin
        cnt_disc_d = cnt_disc_b + 32'd1;
      end else if (grp_len_q == MaxGroup) begin
        // The 256th byte without a delimiter: no valid frame is this long.
        cnt_long_d = cnt_long_b + 32'd1;
        cnt_disc_d = cnt_disc_b + {23'h0, MaxGroup} + 32'd1;
        discard_d  = 1'b1;
        grp_len_d  = '0;
        store_d    = 1'b0;
      end else begin
        grp_len_d = grp_len_q + 9'd1;
        if (grp_len_q == 9'd0) begin
          // First code byte of a frame.
          blk_rem_d   = rx_data_i - 8'd1;
          zero_pend_d = (rx_data_i != 8'hFF);
          raw_len_d   = '0;
          crc_d       = CrcInit;
          store_d     = 1'b1;
        end else if (blk_rem_q == 8'd0) begin
          // Next code byte: the previous block's implicit zero, if it had one.
          emit        = zero_pend_q;
          emit_data   = 8'h00;
          blk_rem_d   = rx_data_i - 8'd1;
          zero_pend_d = (rx_data_i != 8'hFF);
        end else begin
          emit      = 1'b1;
          blk_rem_d = blk_rem_q - 8'd1;
        end
      end
    end

    if (emit) begin
      crc_d     = crc_next;
      raw_len_d = raw_len_q + 8'd1;
      if (ring_full) begin
        // No room: keep checking the frame, but it can no longer be delivered.
        store_d = 1'b0;
      end
    end

    if (commit != slot_done) begin
      frames_d = commit ? frames_q + 9'd1 : frames_q - 9'd1;
    end
  end

  // The delimiter that commits a frame never decodes to a byte, so the length
  // write and data writes never fall on the same clock.
  always_comb begin
    ram_we    = 1'b0;
    ram_waddr = wr_addr[8:0];
    ram_wdata = emit_data;
    if (commit) begin
      ram_we    = 1'b1;
      ram_waddr = wr_base_q[8:0];
      ram_wdata = raw_len_q - 8'd4;
    end else if (emit && store_q && !ring_full) begin
      ram_we = 1'b1;
    end
  end

  always_comb begin
    rd_state_d = rd_state_q;
    cur_len_d  = cur_len_q;
    rd_base_d  = rd_base_q;
    ram_re     = 1'b0;
    ram_raddr  = rd_base_q[8:0];

    unique case (rd_state_q)
      RdIdle: begin
        if (frames_q != 9'd0) begin
          ram_re     = 1'b1;
          rd_state_d = RdLen;
        end
      end
      RdLen: begin
        cur_len_d  = ram_rdata;
        rd_state_d = RdData;
      end
      RdData: begin
        ram_re    = rdr_re;
        ram_raddr = rd_byte;
        if (slot_done) begin
          rd_base_d  = rd_next;
          rd_state_d = RdIdle;
        end
      end
      default: begin
        rd_state_d = RdIdle;
      end
    endcase
  end

  assign {rd_byte, unused_ra_c} = {rd_base_q[8:0], 1'b1} + {1'b0, rdr_raddr, 1'b1};
  assign {rd_next, unused_rd_c} = {rd_base_q, 1'b1} + {2'b00, cur_len_q, 1'b1};

  spl_ram_1r1w #(
    .Width (8),
    .Depth (512)
  ) u_buf (
    .clk_i   (clk_i),
    .we_i    (ram_we),
    .waddr_i (ram_waddr),
    .wdata_i (ram_wdata),
    .re_i    (ram_re),
    .raddr_i (ram_raddr),
    .rdata_o (ram_rdata)
  );

  spl_slot_reader #(
    .AppendZero (1'b0)
  ) u_reader (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .slot_full_i (rd_state_q == RdData),
    .slot_len_i  (cur_len_q),
    .slot_done_o (slot_done),
    .ram_re_o    (rdr_re),
    .ram_raddr_o (rdr_raddr),
    .ram_rdata_i (ram_rdata),
    .data_o      (frame_data_o),
    .valid_o     (frame_valid_o),
    .last_o      (frame_last_o),
    .ready_i     (frame_ready_i)
  );

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      grp_len_q      <= '0;
      blk_rem_q      <= '0;
      zero_pend_q    <= 1'b0;
      raw_len_q      <= '0;
      crc_q          <= CrcInit;
      discard_q      <= 1'b0;
      store_q        <= 1'b0;
      wr_base_q      <= '0;
      rd_base_q      <= '0;
      frames_q       <= '0;
      rd_state_q     <= RdIdle;
      cur_len_q      <= '0;
      cnt_ok_q       <= '0;
      cnt_crc_q      <= '0;
      cnt_cobs_q     <= '0;
      cnt_short_q    <= '0;
      cnt_long_q     <= '0;
      cnt_overflow_q <= '0;
      cnt_disc_q     <= '0;
    end else begin
      grp_len_q      <= grp_len_d;
      blk_rem_q      <= blk_rem_d;
      zero_pend_q    <= zero_pend_d;
      raw_len_q      <= raw_len_d;
      crc_q          <= crc_d;
      discard_q      <= discard_d;
      store_q        <= store_d;
      wr_base_q      <= wr_base_d;
      rd_base_q      <= rd_base_d;
      frames_q       <= frames_d;
      rd_state_q     <= rd_state_d;
      cur_len_q      <= cur_len_d;
      cnt_ok_q       <= cnt_ok_d;
      cnt_crc_q      <= cnt_crc_d;
      cnt_cobs_q     <= cnt_cobs_d;
      cnt_short_q    <= cnt_short_d;
      cnt_long_q     <= cnt_long_d;
      cnt_overflow_q <= cnt_overflow_d;
      cnt_disc_q     <= cnt_disc_d;
    end
  end

  assign busy_o                = (frames_q != 9'd0);
  // A frame takes at most 1 + 254 bytes from its start (length byte, then
  // header+body+CRC; the delimiter writes nothing), so 256 free bytes behind
  // wr_base always hold the one being received.
  logic [9:0] stored;
  assign stored                = wr_base_q - rd_base_q;
  assign room_o                = !stored[9] && (!stored[8] || stored[7:0] == 8'd0);  // <= 256
  assign cnt_ok_o              = cnt_ok_q;
  assign cnt_crc_o             = cnt_crc_q;
  assign cnt_cobs_o            = cnt_cobs_q;
  assign cnt_short_o           = cnt_short_q;
  assign cnt_long_o            = cnt_long_q;
  assign cnt_overflow_o        = cnt_overflow_q;
  assign cnt_bytes_discarded_o = cnt_disc_q;

endmodule
