# Included by synth_fit.cmake and synth_pnr.cmake (cmake -P scripts): runs
# yosys synth_ice40 on SOURCES with top TOP into WORK_DIR, with SYNTH_FLAGS
# added and the top's parameters set from PARAMS, and fails on any yosys
# warning. Leaves ${json} and the stat report
# ${WORK_DIR}/${TOP}.stat.
file(MAKE_DIRECTORY "${WORK_DIR}")
string(REPLACE ";" " " source_args "${SOURCES}")
set(json "${WORK_DIR}/${TOP}.json")
set(ys "${WORK_DIR}/${TOP}.ys")
# PARAMS: "name=value;..." parameters of the top.
set(chparams "")
foreach(p IN LISTS PARAMS)
  string(REPLACE "=" " " p "${p}")
  string(APPEND chparams "chparam -set ${p} ${TOP}\n")
endforeach()
if(SYNTH_FLAGS MATCHES "-dsp")
  # With -dsp, yosys 0.23's ice40_dsp takes every SB_MAC16 in the design
  # for a multiplier and rebuilds it as one, including those the RTL
  # instantiates as adders and accumulators (spl_acc32, spl_sub32), which
  # then multiply. So synth_ice40's coarse step runs here as yosys 0.23
  # has it, with ice40_dsp kept off the SB_MAC16s the RTL instantiates
  # (marked before the multipliers are mapped).
  set(synth_cmds
    "synth_ice40 ${SYNTH_FLAGS} -top ${TOP} -run :coarse\n"
    "setattr -set spl_rtl_dsp 1 t:SB_MAC16\n"
    "opt_expr\nopt_clean\ncheck\nopt -nodffe -nosdff\nfsm\nopt\nwreduce\npeepopt\nopt_clean\nshare\n"
    "techmap -map +/cmp2lut.v -D LUT_WIDTH=4\nopt_expr\nopt_clean\nmemory_dff\nwreduce t:\$mul\n"
    "techmap -map +/mul2dsp.v -map +/ice40/dsp_map.v -D DSP_A_MAXWIDTH=16 -D DSP_B_MAXWIDTH=16 "
    "-D DSP_A_MINWIDTH=2 -D DSP_B_MINWIDTH=2 -D DSP_Y_MINWIDTH=11 -D DSP_NAME=\$__MUL16X16\n"
    "select a:mul2dsp\nsetattr -unset mul2dsp\nopt_expr -fine\nwreduce\nselect -clear\n"
    "ice40_dsp a:spl_rtl_dsp %n\n"
    "chtype -set \$mul t:\$__soft_mul\nalumacc\nopt\nmemory -nomap\nopt_clean\n"
    "synth_ice40 ${SYNTH_FLAGS} -top ${TOP} -json ${json} -run map_ram:\n")
  string(JOIN "" synth_cmds ${synth_cmds})
else()
  set(synth_cmds "synth_ice40 ${SYNTH_FLAGS} -top ${TOP} -json ${json}\n")
endif()
file(WRITE "${ys}"
  "read_verilog -sv ${source_args}\n"
  "${chparams}"
  "${synth_cmds}"
  "tee -o ${WORK_DIR}/${TOP}.stat stat\n")

execute_process(COMMAND "${YOSYS}" -q -l "${WORK_DIR}/${TOP}.yosys.log" -s "${ys}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "yosys failed (${rc}); see ${WORK_DIR}/${TOP}.yosys.log")
endif()

# yosys warnings point at real RTL problems (several drivers, latches) that
# simulation may hide, so any warning fails the check. ABC's note that a
# network is combinational is not about the design.
file(STRINGS "${WORK_DIR}/${TOP}.yosys.log" warnings REGEX "[Ww]arning")
list(FILTER warnings EXCLUDE REGEX "ABC: Warning: The network is combinational")
if(warnings)
  list(JOIN warnings "\n  " text)
  message(FATAL_ERROR "yosys warned about ${TOP}:\n  ${text}\nsee ${WORK_DIR}/${TOP}.yosys.log")
endif()
