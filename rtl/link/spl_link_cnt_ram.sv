// Event counters kept in block RAM (docs/link.md 4.1).
//
// Each source s is a counter of its own that only has to keep its low
// W = LoWs[s] bits (the synthesiser removes the rest when nothing else
// reads them): the true count modulo 2^W. The RAM holds every source's
// full 32-bit count as of its last visit. A scanner visits one source a
// clock, in turn: new = {old[31:W] + (lo < old[W-1:0]), lo}, the carry
// being a wrap of the source's low bits since the visit before. That is
// exact as long as a source advances by less than 2^W between two visits
// of it (NSrc clocks, plus one per read the link makes meanwhile): for a
// source that counts at most one a clock, 2^W > 2 * NSrc is ample; one
// that adds up to B at once needs 2^W > B + 2 * NSrc * (its rate a clock).
//
// A source whose counter restarts from 0 raises its clr_i bit until its
// counter is 0 plus what it counted since: visits while the bit is high,
// and the first after, write {0, lo}. The RAM is not reset; after reset
// every source is marked so. A read while a source's clr_i is high
// returns {0, lo} whether or not the source has restarted yet: read a
// source only once its restart is done.
//
// Reads: rd_req_i (held) asks for slot rd_slot_i's count; rd_ack_o takes
// the request, rd_valid_o comes two clocks later with rd_data_o, which
// holds until the next read. A read visits the slot out of turn but does
// not write, so it cannot race the scanner's write of the same slot; a
// read of the slot being written this clock waits a clock.
module spl_link_cnt_ram #(
  parameter int NSrc  = 14,
  // The widest source's low bits (the stride of lo_i), at most 31
  parameter int LoMax = 6,
  // Source s keeps LoWs[5*s +: 5] low bits (1..LoMax)
  parameter logic [5*NSrc-1:0] LoWs = {NSrc{5'd6}},
  localparam int SlotW = $clog2(NSrc)
) (
  input  logic                clk_i,
  input  logic                rst_ni,

  input  logic [NSrc*LoMax-1:0] lo_i,     // low bits of source s at [s*LoMax +: LoMax]
  input  logic [NSrc-1:0]     clr_i,      // source s restarts from 0

  input  logic                rd_req_i,
  input  logic [SlotW-1:0]    rd_slot_i,
  output logic                rd_ack_o,
  output logic                rd_valid_o,
  output logic [31:0]         rd_data_o
);

  logic [SlotW-1:0] scan_q, raddr;
  logic [SlotW-1:0] c_slot_q;      // the slot whose RAM word shows now
  logic             c_valid_q;
  logic             c_forced_q;    // it was a read's visit
  logic [NSrc-1:0]  mark_q;        // next visit writes {0, lo}
  logic [31:0]      rdata, nv;
  logic [31:0]      lo;            // the visited source's low bits, masked
  logic [31:0]      mask;          // its 2^W - 1
  logic [31:0]      unit;          // 2^W
  logic             mark;
  logic             we;
  logic             rv_q;
  logic [31:0]      rd_q;

  assign we       = c_valid_q && !c_forced_q;
  assign rd_ack_o = rd_req_i && !(we && c_slot_q == rd_slot_i);
  assign raddr    = rd_ack_o ? rd_slot_i : scan_q;

  spl_ram_1r1w #(
    .Width (32),
    .Depth (2 ** SlotW)
  ) u_ram (
    .clk_i   (clk_i),
    .we_i    (we),
    .waddr_i (c_slot_q),
    .wdata_i (nv),
    .re_i    (1'b1),
    .raddr_i (raddr),
    .rdata_o (rdata)
  );

  always_comb begin
    mask = '0;
    unit = '0;
    lo   = '0;
    mark = 1'b0;
    for (int i = 0; i < NSrc; i++) begin
      if (c_slot_q == SlotW'(i)) begin
        mask = 32'((64'd1 << LoWs[5*i +: 5]) - 64'd1);
        unit = 32'(64'd1 << LoWs[5*i +: 5]);
        lo   = 32'(lo_i[i*LoMax +: LoMax]) & mask;
        mark = mark_q[i];
      end
    end
    // A wrap adds 2^W (unit) to the bits above the low ones. The low bits
    // are at most LoMax wide, so their comparison is.
    nv = mark ? lo
              : (((rdata & ~mask) + ((lo[LoMax-1:0] < (rdata[LoMax-1:0] & mask[LoMax-1:0]))
                                     ? unit : 32'd0)) | lo);
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      scan_q     <= '0;
      c_slot_q   <= '0;
      c_valid_q  <= 1'b0;
      c_forced_q <= 1'b0;
      mark_q     <= '1;
      rv_q       <= 1'b0;
      rd_q       <= '0;
    end else begin
      c_slot_q   <= raddr;
      c_valid_q  <= 1'b1;
      c_forced_q <= rd_ack_o;
      if (!rd_ack_o) begin
        scan_q <= scan_q == SlotW'(NSrc - 1) ? '0 : scan_q + SlotW'(1);
      end
      for (int i = 0; i < NSrc; i++) begin
        if (clr_i[i]) begin
          mark_q[i] <= 1'b1;
        end else if (we && c_slot_q == SlotW'(i)) begin
          mark_q[i] <= 1'b0;
        end
      end
      rv_q <= c_valid_q && c_forced_q;
      if (c_valid_q && c_forced_q) begin
        rd_q <= nv;
      end
    end
  end

  assign rd_valid_o = rv_q;
  assign rd_data_o  = rd_q;

endmodule
