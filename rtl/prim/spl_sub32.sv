// a - b and a >= b (unsigned) on 32 bits. With Dsp set, in one SB_MAC16 on
// the iCE40UP5K, the DSP's two 16-bit adders cascaded as one combinational
// subtracter, so the difference and the comparison cost no logic cells;
// else in logic.
//
// DSP configuration (Lattice TN1295; yosys's SB_MAC16 simulation model):
// each adder's upper input is C (top) or D (bottom), its lower input A or
// B, all unregistered; ADDSUB 1 makes an adder compute upper - lower, its
// carry out then being the borrow; the top adder takes the bottom's
// (TOPADDSUB_CARRYSELECT 2), the bottom none. O is the adders' outputs
// unregistered (OUTPUT_SELECT 0), and CO is upper >= lower over all 32
// bits. The multipliers are unused (MODE_8x8 keeps them powered down).
module spl_sub32 #(
  parameter bit Dsp = 1'b1
) (
  input  logic [31:0] a_i,
  input  logic [31:0] b_i,
  output logic [31:0] d_o,   // a_i - b_i
  output logic        ge_o   // a_i >= b_i
);

`ifdef SYNTHESIS
  if (Dsp) begin : g_dsp
    SB_MAC16 #(
      .TOPOUTPUT_SELECT      (2'b00),
      .TOPADDSUB_LOWERINPUT  (2'b00),
      .TOPADDSUB_UPPERINPUT  (1'b1),
      .TOPADDSUB_CARRYSELECT (2'b10),
      .BOTOUTPUT_SELECT      (2'b00),
      .BOTADDSUB_LOWERINPUT  (2'b00),
      .BOTADDSUB_UPPERINPUT  (1'b1),
      .BOTADDSUB_CARRYSELECT (2'b00),
      .MODE_8x8              (1'b1)
    ) u_mac (
      .CLK        (1'b0),
      .CE         (1'b0),
      .C          (a_i[31:16]),
      .A          (b_i[31:16]),
      .B          (b_i[15:0]),
      .D          (a_i[15:0]),
      .AHOLD      (1'b0),
      .BHOLD      (1'b0),
      .CHOLD      (1'b0),
      .DHOLD      (1'b0),
      .IRSTTOP    (1'b0),
      .IRSTBOT    (1'b0),
      .ORSTTOP    (1'b0),
      .ORSTBOT    (1'b0),
      .OLOADTOP   (1'b0),
      .OLOADBOT   (1'b0),
      .ADDSUBTOP  (1'b1),
      .ADDSUBBOT  (1'b1),
      .OHOLDTOP   (1'b0),
      .OHOLDBOT   (1'b0),
      .CI         (1'b0),
      .ACCUMCI    (1'b0),
      .SIGNEXTIN  (1'b0),
      .O          (d_o),
      .CO         (ge_o),
      .ACCUMCO    (),
      .SIGNEXTOUT ()
    );
  end else begin : g_logic
    assign d_o  = a_i - b_i;
    assign ge_o = a_i >= b_i;
  end
`else
  logic unused_dsp;
  assign unused_dsp = Dsp;
  assign d_o  = a_i - b_i;
  assign ge_o = a_i >= b_i;
`endif

endmodule
