# Synthesise one RTL top with yosys synth_ice40 and fail unless it fits the
# iCE40UP5K: at most 5280 logic cells and 30 EBR, or if yosys warns.
#
#   cmake -DYOSYS=yosys [-DNEXTPNR=nextpnr-ice40] -DTOP=module
#         -DSOURCES="a.sv;b.sv" -DWORK_DIR=dir -P synth_fit.cmake
#
# yosys alone only counts LUTs and flip-flops, and a flip-flop shares a logic
# cell with the LUT that feeds it, so without nextpnr the check uses
# LUT4 + DFF as an upper bound. With nextpnr-ice40 the packer's exact
# ICESTORM_LC count is used (no placement, so this stays quick).

foreach(var YOSYS TOP SOURCES WORK_DIR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "synth_fit.cmake: -D${var}=... is required")
  endif()
endforeach()

set(max_lc 5280)
set(max_ebr 30)

set(SYNTH_FLAGS "")
include("${CMAKE_CURRENT_LIST_DIR}/synth_yosys.cmake")

file(READ "${WORK_DIR}/${TOP}.stat" stat)
function(cell_count type out)
  set(total 0)
  string(REGEX MATCHALL "${type}[ \t]+[0-9]+" lines "${stat}")
  # stat lists the flattened top once; take the largest line for the type.
  foreach(line IN LISTS lines)
    string(REGEX REPLACE ".*[ \t]([0-9]+)$" "\\1" n "${line}")
    if(n GREATER total)
      set(total ${n})
    endif()
  endforeach()
  set(${out} ${total} PARENT_SCOPE)
endfunction()

cell_count("SB_LUT4" luts)
cell_count("SB_RAM40_4K" ebr)
set(dffs 0)
foreach(ff SB_DFF SB_DFFE SB_DFFR SB_DFFS SB_DFFER SB_DFFES SB_DFFSR SB_DFFSS SB_DFFESR SB_DFFESS)
  cell_count("${ff}" n)
  math(EXPR dffs "${dffs} + ${n}")
endforeach()
message(STATUS "${TOP}: yosys reports SB_LUT4 ${luts}, flip-flops ${dffs}, SB_RAM40_4K ${ebr}")

if(NEXTPNR)
  execute_process(COMMAND "${NEXTPNR}" --up5k --package sg48 --json "${json}"
      --pcf-allow-unconstrained --pack-only
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(REGEX MATCH "ICESTORM_LC: +([0-9]+)/" m "${err}${out}")
  if(rc EQUAL 0 AND m)
    set(lc ${CMAKE_MATCH_1})
    message(STATUS "${TOP}: nextpnr-ice40 packs into ${lc} logic cells")
  else()
    message(WARNING "nextpnr-ice40 --pack-only failed (${rc}); using the yosys bound")
  endif()
endif()
if(NOT DEFINED lc)
  math(EXPR lc "${luts} + ${dffs}")
  message(STATUS "${TOP}: at most ${lc} logic cells (LUT4 + DFF bound)")
endif()

if(lc GREATER max_lc OR ebr GREATER max_ebr)
  message(FATAL_ERROR "${TOP} does not fit the iCE40UP5K: ${lc}/${max_lc} LCs, ${ebr}/${max_ebr} EBR")
endif()
message(STATUS "${TOP} fits the iCE40UP5K: ${lc}/${max_lc} LCs, ${ebr}/${max_ebr} EBR")
