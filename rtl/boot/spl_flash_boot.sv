// Boot loader (docs/link.md section 4.2): after reset, reads the image
// header (docs/image-format.md) from SPI NOR flash address 0 and, when it
// holds a network blob, streams the blob's bytes into the link's receive
// path, one at a time with valid/ready, as if the host had sent them.
//
// SPI mode 0, READ (0x03) with a 24-bit address, SCK = clk / (2 * SckHalf).
// MOSI changes while SCK is low; MISO is sampled at the end of SCK's high
// half (the flash drives it from the falling edge before). Between the bytes
// of the blob SCK simply pauses (low) while the link is not ready.
//
// The header is checked as it streams past, with no byte of it stored: the
// magic (a mismatch stops the read at once: an erased or absent flash costs
// one byte), format_major 1 and header_bytes 128 (bytes 8..9, 12..13), and
// the CRC-32C of bytes 0..123 against bytes 124..127, as the CRC's residue
// over all 128 bytes. Only flags bit 0 and the low 24 bits of
// network_offset and network_length are kept (a W25Q128 has 24-bit
// addresses); the offset is collected straight into the address register.
//
// Area (the UP5K is nearly full): the CRC is bit-serial, a bit a clock
// while SCK waits after each header byte, the byte register rotating
// (LSB first, as the reflected CRC wants): a third of the logic of
// spl_crc32c_byte's XOR trees, for 8 clocks a header byte. The command byte
// comes from the bit counter, so only the address is a shift register; one
// decrementer and one zero test serve the blob length.
//
// At the end, once the link has been idle for 32 clocks in a row
// (link_idle_i: no frame stored, being processed or sent), or at the
// latest 2^24 clocks after the blob's last byte, seq_resync_o pulses and
// busy_o falls; until then the top keeps the PHY out and drops the link's
// replies.
module spl_flash_boot #(
  // SCK half period in clocks (1: SCK is half the clock)
  parameter int unsigned SckHalf = 1
) (
  input  logic       clk_i,
  input  logic       rst_ni,

  output logic       flash_csn_o,
  output logic       flash_sck_o,
  output logic       flash_mosi_o,
  input  logic       flash_miso_i,

  // Blob bytes towards the framer
  output logic [7:0] data_o,
  output logic       valid_o,
  input  logic       ready_i,

  input  logic       link_idle_i,

  output logic       busy_o,
  output logic       seq_resync_o,
  // 0 no image (no magic), 1 network loaded, 2 valid image without a
  // network, 3 bad header (format major, header size or CRC)
  output logic [1:0] status_o
);

  localparam logic [31:0] Residue  = 32'hB798B438;
  localparam logic [31:0] Poly     = 32'h82F63B78;
  localparam logic [1:0]  StNone   = 2'd0;
  localparam logic [1:0]  StLoaded = 2'd1;
  localparam logic [1:0]  StNoNet  = 2'd2;
  localparam logic [1:0]  StBad    = 2'd3;

  typedef enum logic [2:0] {
    SCmd,   // command and address out
    SHdr,   // header bytes in
    SCrc,   // a header byte into the CRC, a bit a clock
    SChk,   // the checks
    SGap,   // CS high between the two reads
    SNet,   // blob bytes in and out
    SEnd,   // CS high; wait for the link to go idle
    SDone
  } state_e;

  state_e      st_d, st_q;
  logic        net_d, net_q;           // the second read: the blob
  logic        csn_d, csn_q;
  logic        sck_d, sck_q;
  logic [23:0] adr_d, adr_q;           // address, MSB first
  logic [7:0]  in_d, in_q;             // the byte being read, then offered
  logic [4:0]  bit_d, bit_q;           // bits of the command, of a byte; idle clocks
  logic [6:0]  idx_d, idx_q;           // header byte
  logic [23:0] len_d, len_q;           // blob bytes left, less one from SGap on
  logic [31:0] crc_d, crc_q;
  logic        have_d, have_q;         // in_q holds a blob byte not yet taken
  logic        flag_d, flag_q;         // header flags bit 0
  logic [1:0]  status_d, status_q;
  logic        resync_d, resync_q;

  // ---------------------------------------------------------------------
  // SCK timing: tick is one SCK half period
  // ---------------------------------------------------------------------
  logic tick;
  if (SckHalf > 1) begin : g_div
    localparam int DivW = $clog2(SckHalf);
    logic [DivW-1:0] div_q;
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        div_q <= '0;
      end else begin
        div_q <= div_q == DivW'(SckHalf - 1) ? '0 : div_q + DivW'(1);
      end
    end
    assign tick = div_q == DivW'(SckHalf - 1);
  end else begin : g_nodiv
    assign tick = 1'b1;
  end

  logic rise, fall;
  assign rise = tick && !sck_q;
  assign fall = tick && sck_q;

  // The byte completed on this falling edge
  logic [7:0] byte_in;
  assign byte_in = {in_q[6:0], flash_miso_i};

  logic [23:0] len_dec;
  logic        len_zero;
  assign len_dec  = len_q - 24'd1;
  assign len_zero = len_q == '0;

  // The header bytes with a fixed value: magic, format_major, header_bytes
  logic       fixed;
  logic [7:0] fixed_val;
  always_comb begin
    fixed     = 1'b1;
    fixed_val = 8'h00;
    unique case (idx_q)
      7'd0:    fixed_val = 8'h53;  // S
      7'd1:    fixed_val = 8'h50;  // P
      7'd2:    fixed_val = 8'h4B;  // K
      7'd3:    fixed_val = 8'h4C;  // L
      7'd4:    fixed_val = 8'h49;  // I
      7'd5:    fixed_val = 8'h4D;  // M
      7'd6:    fixed_val = 8'h47;  // G
      7'd7:    fixed_val = 8'h00;
      7'd8:    fixed_val = 8'h01;  // format_major 1
      7'd9:    fixed_val = 8'h00;
      7'd12:   fixed_val = 8'h80;  // header_bytes 128
      7'd13:   fixed_val = 8'h00;
      default: fixed = 1'b0;
    endcase
  end

  always_comb begin
    st_d     = st_q;
    net_d    = net_q;
    csn_d    = csn_q;
    sck_d    = sck_q;
    adr_d    = adr_q;
    in_d     = in_q;
    bit_d    = bit_q;
    idx_d    = idx_q;
    len_d    = len_q;
    crc_d    = crc_q;
    have_d   = have_q;
    flag_d   = flag_q;
    status_d = status_q;
    resync_d = 1'b0;

    unique case (st_q)
      SCmd: begin
        csn_d = 1'b0;
        if (!csn_q) begin
          if (rise) begin
            sck_d = 1'b1;
          end else if (fall) begin
            sck_d = 1'b0;
            bit_d = bit_q + 5'd1;
            if (bit_q[4:3] != 2'd0) begin
              adr_d = {adr_q[22:0], 1'b0};
            end
            if (bit_q == 5'd31) begin
              st_d = net_q ? SNet : SHdr;
            end
          end
        end
      end

      SHdr: begin
        if (rise) begin
          sck_d = 1'b1;
        end else if (fall) begin
          sck_d = 1'b0;
          in_d  = byte_in;
          bit_d = {2'b00, bit_q[2:0] + 3'd1};
          if (bit_q[2:0] == 3'd7) begin
            idx_d = idx_q + 7'd1;
            st_d  = SCrc;
            if (idx_q == 7'd19) begin
              flag_d = byte_in[0];
            end
            // network_offset bytes 44..46 into the address, network_length
            // bytes 48..50, least significant first
            if (idx_q[6:2] == 5'b01011 && idx_q[1:0] != 2'b11) begin      // 44..46
              adr_d = {byte_in, adr_q[23:8]};
            end
            if (idx_q[6:2] == 5'b01100 && idx_q[1:0] != 2'b11) begin      // 48..50
              len_d = {byte_in, len_q[23:8]};
            end
            if (fixed && byte_in != fixed_val) begin
              status_d = idx_q[6:3] == 4'd0 ? StNone : StBad;
              st_d     = SEnd;
            end
          end
        end
      end

      SCrc: begin
        crc_d = {1'b0, crc_q[31:1]} ^ ((crc_q[0] ^ in_q[0]) ? Poly : 32'h0);
        in_d  = {in_q[0], in_q[7:1]};
        bit_d = bit_q + 5'd1;
        if (bit_q[2:0] == 3'd7) begin
          bit_d = '0;
          st_d  = idx_q == '0 ? SChk : SHdr;
        end
      end

      SChk: begin
        if (crc_q != Residue) begin
          status_d = StBad;
          st_d     = SEnd;
        end else if (!flag_q || len_zero) begin
          status_d = StNoNet;
          st_d     = SEnd;
        end else begin
          len_d = len_dec;
          st_d  = SGap;
        end
      end

      SGap: begin
        // CS high for two SCK half periods before the second read
        csn_d = 1'b1;
        if (tick) begin
          bit_d = bit_q + 5'd1;
          if (bit_q[0]) begin
            bit_d = '0;
            net_d = 1'b1;
            st_d  = SCmd;
          end
        end
      end

      SNet: begin
        if (have_q) begin
          if (ready_i) begin
            have_d = 1'b0;
            len_d  = len_dec;
            if (len_zero) begin
              status_d = StLoaded;
              st_d     = SEnd;
            end
          end
        end else if (rise) begin
          sck_d = 1'b1;
        end else if (fall) begin
          sck_d = 1'b0;
          in_d  = byte_in;
          bit_d = {2'b00, bit_q[2:0] + 3'd1};
          if (bit_q[2:0] == 3'd7) begin
            have_d = 1'b1;
          end
        end
      end

      SEnd: begin
        // A blob that leaves the link busy for good (a network started in
        // real time that spikes without pause) must not hold the host off
        // for ever: the length register, all ones after the last byte,
        // counts down to a timeout of 2^24 clocks.
        csn_d = 1'b1;
        sck_d = 1'b0;
        len_d = len_dec;
        bit_d = link_idle_i ? bit_q + 5'd1 : 5'd0;
        if ((link_idle_i && bit_q == 5'd31) || len_zero) begin
          resync_d = 1'b1;
          st_d     = SDone;
        end
      end

      SDone: ;

      default: st_d = SEnd;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      st_q     <= SCmd;
      net_q    <= 1'b0;
      csn_q    <= 1'b1;
      sck_q    <= 1'b0;
      adr_q    <= '0;
      in_q     <= '0;
      bit_q    <= '0;
      idx_q    <= '0;
      len_q    <= '0;
      crc_q    <= '1;
      have_q   <= 1'b0;
      flag_q   <= 1'b0;
      status_q <= StNone;
      resync_q <= 1'b0;
    end else begin
      st_q     <= st_d;
      net_q    <= net_d;
      csn_q    <= csn_d;
      sck_q    <= sck_d;
      adr_q    <= adr_d;
      in_q     <= in_d;
      bit_q    <= bit_d;
      idx_q    <= idx_d;
      len_q    <= len_d;
      crc_q    <= crc_d;
      have_q   <= have_d;
      flag_q   <= flag_d;
      status_q <= status_d;
      resync_q <= resync_d;
    end
  end

  // The command byte 0x03 is bits 6 and 7 of the 32; then the address.
  assign flash_csn_o  = csn_q;
  assign flash_sck_o  = sck_q;
  assign flash_mosi_o = bit_q[4:3] == 2'd0 ? bit_q[2:1] == 2'b11 : adr_q[23];
  assign data_o       = in_q;
  assign valid_o      = have_q;
  assign busy_o       = st_q != SDone;
  assign seq_resync_o = resync_q;
  assign status_o     = status_q;

endmodule
