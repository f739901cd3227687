# Synthesise, place and route one RTL top for the iCE40UP5K-SG48 and fail
# unless it fits and meets its clock.
#
#   cmake -DYOSYS=yosys -DNEXTPNR=nextpnr-ice40 -DTOP=module
#         -DSOURCES="a.sv;b.sv" -DWORK_DIR=dir [-DFREQ_MHZ=24] [-DSEED=1]
#         -P synth_pnr.cmake
#
# yosys synth_ice40 -dsp (multipliers into SB_MAC16), then a full
# nextpnr-ice40 run with --freq; unconstrained pins are allowed (the test
# top is not a board pinout). Prints logic cells, EBR, SPRAM, DSP and the
# achieved clock. Any yosys warning fails, as in synth_fit.cmake.

foreach(var YOSYS NEXTPNR TOP SOURCES WORK_DIR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "synth_pnr.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT DEFINED FREQ_MHZ)
  set(FREQ_MHZ 24)
endif()
if(NOT DEFINED SEED)
  set(SEED 1)
endif()

set(SYNTH_FLAGS "-dsp")
include("${CMAKE_CURRENT_LIST_DIR}/synth_yosys.cmake")

set(pnr_log "${WORK_DIR}/${TOP}.nextpnr.log")
execute_process(COMMAND "${NEXTPNR}" --up5k --package sg48 --json "${json}"
    --pcf-allow-unconstrained --freq ${FREQ_MHZ} --seed ${SEED}
    --asc "${WORK_DIR}/${TOP}.asc"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
file(WRITE "${pnr_log}" "${out}${err}")

set(log "${out}${err}")
function(util name out)
  string(REGEX MATCH "${name}: +([0-9]+)/ *([0-9]+)" m "${log}")
  if(m)
    set(${out} "${CMAKE_MATCH_1}/${CMAKE_MATCH_2}" PARENT_SCOPE)
  else()
    set(${out} "?" PARENT_SCOPE)
  endif()
endfunction()
util(ICESTORM_LC lc)
util(ICESTORM_RAM ebr)
util(ICESTORM_SPRAM spram)
util(ICESTORM_DSP dsp)
file(READ "${WORK_DIR}/${TOP}.stat" stat)
string(REGEX MATCH "SB_LUT4 +([0-9]+)" m "${stat}")
set(luts "${CMAKE_MATCH_1}")
# The last report is the final, routed timing.
string(REGEX MATCHALL "Max frequency for clock '[^']*': [0-9.]+ MHz" fmaxes "${log}")
list(POP_BACK fmaxes fmax_line)
string(REGEX REPLACE ".*: ([0-9.]+) MHz" "\\1" fmax "${fmax_line}")

message(STATUS "${TOP}: SB_LUT4 ${luts}, logic cells ${lc}, EBR ${ebr}, SPRAM ${spram}, DSP ${dsp}, "
               "Fmax ${fmax} MHz (target ${FREQ_MHZ} MHz)")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nextpnr-ice40 failed (${rc}): ${TOP} does not fit or misses ${FREQ_MHZ} MHz; see ${pnr_log}")
endif()
if(fmax STREQUAL "" OR fmax LESS FREQ_MHZ)
  message(FATAL_ERROR "${TOP} reaches ${fmax} MHz, below ${FREQ_MHZ} MHz; see ${pnr_log}")
endif()
message(STATUS "${TOP} fits the iCE40UP5K-SG48 and meets ${FREQ_MHZ} MHz")
