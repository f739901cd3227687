// Frame transmitter: appends CRC-32C to header+body, COBS-encodes the raw
// frame into one of two buffer slots, and streams each finished slot to the
// wire followed by the 0x00 delimiter. One slot fills while the other drains.
//
// Encoding writes every data byte straight to its final place and leaves a
// hole for the block's code byte, which is written back when the block
// closes. That is one RAM write per cycle except when a block fills up at 254
// data bytes: closing it takes one extra cycle (frame_ready_o low), and it can
// only happen in a frame whose raw bytes are all non-zero. The final block is
// closed without opening an empty one, so the output is byte-identical to
// standard COBS and exactly raw length + 1 bytes long.
//
// Header+body longer than 250 bytes (raw frame over 254) is dropped whole and
// counted in cnt_dropped_long_o. No minimum length is enforced here; the link
// layer always sends at least type and sequence bytes.
module spl_frame_tx (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        cnt_clr_i,   // zero the counters (RESET 1)

  input  logic [7:0]  frame_data_i,
  input  logic        frame_valid_i,
  input  logic        frame_last_i,
  output logic        frame_ready_o,

  output logic [7:0]  tx_data_o,
  output logic        tx_valid_o,
  input  logic        tx_ready_i,

  // A frame is being accepted, encoded or sent.
  output logic        busy_o,

  output logic [31:0] cnt_frames_o,
  output logic [31:0] cnt_dropped_long_o
);

  localparam logic [31:0] CrcInit    = 32'hFFFFFFFF;
  localparam logic [7:0]  MaxBodyLen = 8'd250;  // header+body

  typedef enum logic [1:0] {
    WrData,   // accepting header+body bytes
    WrCrc,    // encoding the four CRC bytes, least significant first
    WrClose,  // writing the last code byte and handing the slot over
    WrDrop    // swallowing the rest of a frame that is too long
  } wr_state_e;

  wr_state_e   state_d, state_q;
  logic [7:0]  wp_d, wp_q;             // next free buffer position
  logic [7:0]  code_ptr_d, code_ptr_q; // hole for the open block's code byte
  logic [7:0]  code_d, code_q;         // open block's code: data bytes + 1
  logic [7:0]  body_len_d, body_len_q; // header+body bytes accepted
  logic [31:0] crc_d, crc_q;
  logic [1:0]  crc_idx_d, crc_idx_q;

  logic [1:0]  slot_full_d, slot_full_q;
  logic [7:0]  slot0_len_d, slot0_len_q;
  logic [7:0]  slot1_len_d, slot1_len_q;
  logic        wr_slot_d, wr_slot_q;
  logic        rd_slot_d, rd_slot_q;

  logic [31:0] cnt_frames_d, cnt_frames_q;
  logic [31:0] cnt_drop_d, cnt_drop_q;
  // cnt_clr_i: the counters restart from 0 (this clock's counts still count)
  logic [31:0] cnt_frames_b;
  assign cnt_frames_b = cnt_clr_i ? 32'h0 : cnt_frames_q;
  logic [31:0] cnt_drop_b;
  assign cnt_drop_b = cnt_clr_i ? 32'h0 : cnt_drop_q;

  logic        block_full;
  logic        enc;          // encode enc_data this cycle
  logic [7:0]  enc_data;
  logic [31:0] crc_out;      // CRC as sent: register inverted
  logic [31:0] crc_next;

  logic        ram_we;
  logic [7:0]  ram_waddr;
  logic [7:0]  ram_wdata;
  logic        ram_re;
  logic [7:0]  ram_raddr;
  logic [7:0]  ram_rdata;
  logic        slot_done;

  assign block_full = (code_q == 8'hFF);
  assign crc_out    = ~crc_q;

  spl_crc32c_byte u_crc (
    .crc_i  (crc_q),
    .data_i (frame_data_i),
    .crc_o  (crc_next)
  );

  always_comb begin
    state_d       = state_q;
    wp_d          = wp_q;
    code_ptr_d    = code_ptr_q;
    code_d        = code_q;
    body_len_d    = body_len_q;
    crc_d         = crc_q;
    crc_idx_d     = crc_idx_q;
    slot_full_d   = slot_full_q;
    slot0_len_d   = slot0_len_q;
    slot1_len_d   = slot1_len_q;
    wr_slot_d     = wr_slot_q;
    rd_slot_d     = rd_slot_q;
    cnt_frames_d  = cnt_frames_b;
    cnt_drop_d    = cnt_drop_b;
    frame_ready_o = 1'b0;
    enc           = 1'b0;
    enc_data      = frame_data_i;
    ram_we        = 1'b0;
    ram_waddr     = code_ptr_q;
    ram_wdata     = code_q;

    unique case (state_q)
      WrData: begin
        frame_ready_o = ~slot_full_q[wr_slot_q] & ~block_full;
        if (!slot_full_q[wr_slot_q] && block_full) begin
          // More bytes follow (at least the CRC), so the full block closes now.
          ram_we     = 1'b1;
          code_ptr_d = wp_q;
          wp_d       = wp_q + 8'd1;
          code_d     = 8'd1;
        end else if (frame_ready_o && frame_valid_i) begin
          if (body_len_q == MaxBodyLen) begin
            // Restart the encoder on this slot; nothing was handed over.
            wp_d       = 8'd1;
            code_ptr_d = '0;
            code_d     = 8'd1;
            body_len_d = '0;
            crc_d      = CrcInit;
            if (frame_last_i) begin
              cnt_drop_d = cnt_drop_b + 32'd1;
            end else begin
              state_d = WrDrop;
            end
          end else begin
            enc        = 1'b1;
            body_len_d = body_len_q + 8'd1;
            crc_d      = crc_next;
            if (frame_last_i) begin
              state_d   = WrCrc;
              crc_idx_d = '0;
            end
          end
        end
      end

      WrCrc: begin
        enc_data = crc_out[8*crc_idx_q +: 8];
        if (block_full) begin
          ram_we     = 1'b1;
          code_ptr_d = wp_q;
          wp_d       = wp_q + 8'd1;
          code_d     = 8'd1;
        end else begin
          enc       = 1'b1;
          crc_idx_d = crc_idx_q + 2'd1;
          if (crc_idx_q == 2'd3) begin
            state_d = WrClose;
          end
        end
      end

      WrClose: begin
        ram_we                 = 1'b1;
        slot_full_d[wr_slot_q] = 1'b1;
        if (wr_slot_q) begin
          slot1_len_d = wp_q;
        end else begin
          slot0_len_d = wp_q;
        end
        wr_slot_d  = ~wr_slot_q;
        wp_d       = 8'd1;
        code_ptr_d = '0;
        code_d     = 8'd1;
        body_len_d = '0;
        crc_d      = CrcInit;
        state_d    = WrData;
      end

      WrDrop: begin
        frame_ready_o = 1'b1;
        if (frame_valid_i && frame_last_i) begin
          cnt_drop_d = cnt_drop_b + 32'd1;
          state_d    = WrData;
        end
      end

      default: begin
        state_d = WrData;
      end
    endcase

    if (enc) begin
      ram_we = 1'b1;
      wp_d   = wp_q + 8'd1;
      if (enc_data == 8'h00) begin
        // A zero ends the block: its code goes into the hole, a new hole opens.
        code_ptr_d = wp_q;
        code_d     = 8'd1;
      end else begin
        ram_waddr = wp_q;
        ram_wdata = enc_data;
        code_d    = code_q + 8'd1;
      end
    end

    if (slot_done) begin
      slot_full_d[rd_slot_q] = 1'b0;
      rd_slot_d              = ~rd_slot_q;
      cnt_frames_d           = cnt_frames_b + 32'd1;
    end
  end

  spl_ram_1r1w #(
    .Width (8),
    .Depth (512)
  ) u_buf (
    .clk_i   (clk_i),
    .we_i    (ram_we),
    .waddr_i ({wr_slot_q, ram_waddr}),
    .wdata_i (ram_wdata),
    .re_i    (ram_re),
    .raddr_i ({rd_slot_q, ram_raddr}),
    .rdata_o (ram_rdata)
  );

  spl_slot_reader #(
    .AppendZero (1'b1)
  ) u_reader (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .slot_full_i (slot_full_q[rd_slot_q]),
    .slot_len_i  (rd_slot_q ? slot1_len_q : slot0_len_q),
    .slot_done_o (slot_done),
    .ram_re_o    (ram_re),
    .ram_raddr_o (ram_raddr),
    .ram_rdata_i (ram_rdata),
    .data_o      (tx_data_o),
    .valid_o     (tx_valid_o),
    .last_o      (),
    .ready_i     (tx_ready_i)
  );

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q      <= WrData;
      wp_q         <= 8'd1;
      code_ptr_q   <= '0;
      code_q       <= 8'd1;
      body_len_q   <= '0;
      crc_q        <= CrcInit;
      crc_idx_q    <= '0;
      slot_full_q  <= '0;
      slot0_len_q  <= '0;
      slot1_len_q  <= '0;
      wr_slot_q    <= 1'b0;
      rd_slot_q    <= 1'b0;
      cnt_frames_q <= '0;
      cnt_drop_q   <= '0;
    end else begin
      state_q      <= state_d;
      wp_q         <= wp_d;
      code_ptr_q   <= code_ptr_d;
      code_q       <= code_d;
      body_len_q   <= body_len_d;
      crc_q        <= crc_d;
      crc_idx_q    <= crc_idx_d;
      slot_full_q  <= slot_full_d;
      slot0_len_q  <= slot0_len_d;
      slot1_len_q  <= slot1_len_d;
      wr_slot_q    <= wr_slot_d;
      rd_slot_q    <= rd_slot_d;
      cnt_frames_q <= cnt_frames_d;
      cnt_drop_q   <= cnt_drop_d;
    end
  end

  assign busy_o = (state_q != WrData) || (body_len_q != 8'd0) || (|slot_full_q);

  assign cnt_frames_o       = cnt_frames_q;
  assign cnt_dropped_long_o = cnt_drop_q;

endmodule
