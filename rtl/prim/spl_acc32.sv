// A 32-bit accumulator (q += add_i each clock; clr_i loads 0 instead), in
// one SB_MAC16 on the iCE40UP5K: the DSP's two 16-bit adders, cascaded,
// with their output registers as the accumulator. A counter built this way
// costs no logic cells, which the UP5K runs out of before it runs out of
// DSPs.
//
// DSP configuration (Lattice TN1295): each adder's upper input is its own
// output register (ADDSUB_UPPERINPUT 0), its lower input the A (top) or B
// (bottom) port unregistered (ADDSUB_LOWERINPUT 0); the top adder takes the
// bottom's carry (TOPADDSUB_CARRYSELECT 2); both outputs come from the
// registers (OUTPUT_SELECT 1); OLOAD loads them from C and D, tied to 0,
// which is the synchronous clear; ORST is the asynchronous reset. The
// multipliers are unused (MODE_8x8 keeps them powered down). Checked
// against the behavioural branch with yosys's SB_MAC16 simulation model.
module spl_acc32 (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        clr_i,
  input  logic [31:0] add_i,
  output logic [31:0] q_o
);

`ifdef SYNTHESIS
  SB_MAC16 #(
    .TOPOUTPUT_SELECT      (2'b01),
    .TOPADDSUB_LOWERINPUT  (2'b00),
    .TOPADDSUB_UPPERINPUT  (1'b0),
    .TOPADDSUB_CARRYSELECT (2'b10),
    .BOTOUTPUT_SELECT      (2'b01),
    .BOTADDSUB_LOWERINPUT  (2'b00),
    .BOTADDSUB_UPPERINPUT  (1'b0),
    .BOTADDSUB_CARRYSELECT (2'b00),
    .MODE_8x8              (1'b1)
  ) u_mac (
    .CLK        (clk_i),
    .CE         (1'b1),
    .C          (16'h0),
    .A          (add_i[31:16]),
    .B          (add_i[15:0]),
    .D          (16'h0),
    .AHOLD      (1'b0),
    .BHOLD      (1'b0),
    .CHOLD      (1'b0),
    .DHOLD      (1'b0),
    .IRSTTOP    (1'b0),
    .IRSTBOT    (1'b0),
    .ORSTTOP    (!rst_ni),
    .ORSTBOT    (!rst_ni),
    .OLOADTOP   (clr_i),
    .OLOADBOT   (clr_i),
    .ADDSUBTOP  (1'b0),
    .ADDSUBBOT  (1'b0),
    .OHOLDTOP   (1'b0),
    .OHOLDBOT   (1'b0),
    .CI         (1'b0),
    .ACCUMCI    (1'b0),
    .SIGNEXTIN  (1'b0),
    .O          (q_o),
    .CO         (),
    .ACCUMCO    (),
    .SIGNEXTOUT ()
  );
`else
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      q_o <= '0;
    end else begin
      q_o <= clr_i ? 32'h0 : q_o + add_i;
    end
  end
`endif

endmodule
