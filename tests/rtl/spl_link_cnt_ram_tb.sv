// Self-checking testbench of spl_link_cnt_ram (rtl/link/): NSrc sources
// count at random (source 3 keeps 9 low bits and adds up to 99 at once,
// now and then; the others keep 5 and count at most one a clock), source 1 restarts from 0 now and then (its clear held from a
// clock before to a clock after the restart), and counts are read at
// random slots. Every read must return the source's exact count at the
// clock its RAM word showed (the clock after rd_ack_o), except while the
// source's clear is up (the module then reads {0, low bits}: the link
// never reads a counter then). Run by ctest
// rtl_cnt_ram (verilator --binary).
module spl_link_cnt_ram_tb;
  localparam int NSrc   = 5;
  localparam int LoMax  = 9;
  localparam logic [5*NSrc-1:0] LoWs = {5'd5, 5'd9, 5'd5, 5'd5, 5'd5};
  localparam int SlotW  = $clog2(NSrc);
  localparam int Clocks = 200000;

  logic clk = 1'b0;
  always #5 clk = ~clk;

  logic                rst_n;
  logic [31:0]         cnt [NSrc];
  logic [NSrc*LoMax-1:0] lo;
  logic [NSrc-1:0]     clr;
  logic                rd_req, rd_ack, rd_valid;
  logic [SlotW-1:0]    rd_slot, slot_q;
  logic [31:0]         rd_data, expect_q;
  logic                taken_q, pend_q, skip_q;
  int                  clr_left [NSrc];
  int                  reads, errors, cycle;

  for (genvar i = 0; i < NSrc; i++) begin : g_src
    assign lo[i*LoMax +: LoMax] = cnt[i][LoMax-1:0];
    assign clr[i] = clr_left[i] != 0;
  end

  spl_link_cnt_ram #(.NSrc (NSrc), .LoMax (LoMax), .LoWs (LoWs)) dut (
    .clk_i (clk), .rst_ni (rst_n), .lo_i (lo), .clr_i (clr),
    .rd_req_i (rd_req), .rd_slot_i (rd_slot), .rd_ack_o (rd_ack),
    .rd_valid_o (rd_valid), .rd_data_o (rd_data));

  initial begin
    rst_n = 1'b0;
    rd_req = 1'b0;
    rd_slot = '0;
    taken_q = 1'b0;
    pend_q = 1'b0;
    skip_q = 1'b0;
    expect_q = '0;
    slot_q = '0;
    reads = 0;
    errors = 0;
    cycle = 0;
    for (int i = 0; i < NSrc; i++) begin
      cnt[i] = '0;
      clr_left[i] = 0;
    end
    #22 rst_n = 1'b1;
  end

  always @(posedge clk) begin
    if (rst_n) begin
      cycle <= cycle + 1;
      if (cycle == Clocks) begin
        $display("spl_link_cnt_ram_tb: %0d reads, %0d errors", reads, errors);
        if (errors != 0 || reads < 1000) begin
          $fatal(1, "spl_link_cnt_ram_tb FAILED");
        end
        $finish;
      end
      // Reads: a request holds its slot until acknowledged.
      if (rd_req && rd_ack) begin
        rd_req <= 1'b0;
        slot_q <= rd_slot;
      end else if (!rd_req && ($urandom % 3) == 0) begin
        rd_req  <= 1'b1;
        rd_slot <= SlotW'($urandom % NSrc);
      end
      taken_q <= rd_req && rd_ack;
      pend_q  <= taken_q;
      if (taken_q) begin
        expect_q <= cnt[slot_q];
        skip_q   <= clr_left[slot_q] != 0;
      end
      if (rd_valid) begin
        reads <= reads + 1;
        if (!pend_q) begin
          errors <= errors + 1;
          $display("rd_valid without a read at cycle %0d", cycle);
        end else if (!skip_q && rd_data != expect_q) begin
          errors <= errors + 1;
          $display("slot %0d: read %0d, count %0d at cycle %0d", slot_q, rd_data, expect_q, cycle);
        end
      end
      // Sources
      for (int i = 0; i < NSrc; i++) begin
        if (clr_left[i] != 0) begin
          clr_left[i] <= clr_left[i] - 1;
          if (clr_left[i] == 2) begin
            cnt[i] <= 32'(($urandom % 2));   // the restart clock's own count still counts
          end else if (($urandom % 2) == 0) begin
            cnt[i] <= cnt[i] + 32'd1;
          end
        end else if (i == 1 && ($urandom % 3000) == 0) begin
          clr_left[i] <= 3;
        end else if (i == 3) begin
          if (($urandom % 64) == 0) begin
            cnt[i] <= cnt[i] + 32'($urandom % 100);
          end
        end else if (i == 4) begin
          cnt[i] <= cnt[i] + 32'd1;
        end else if (($urandom % 3) != 0) begin
          cnt[i] <= cnt[i] + 32'd1;
        end
      end
    end
  end
endmodule
