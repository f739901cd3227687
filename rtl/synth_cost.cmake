# The cost of a top's option: synthesise TOP twice, with BASE_PARAMS and with
# PARAMS ("name=value;..."), pack both for the iCE40UP5K-SG48, and report
# logic cells, EBR and DSP of each and the difference. Fails on any yosys
# warning in either build; reports, without failing, whether the optioned
# build fits the device (the packer's count; placement is synth_pnr.cmake's).
#
#   cmake -DYOSYS=yosys -DNEXTPNR=nextpnr-ice40 -DTOP=module
#         -DSOURCES="a.sv;b.sv" -DWORK_DIR=dir -DBASE_PARAMS="P=0"
#         -DPARAMS="P=1" -P synth_cost.cmake

foreach(var YOSYS NEXTPNR TOP SOURCES WORK_DIR BASE_PARAMS PARAMS)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "synth_cost.cmake: -D${var}=... is required")
  endif()
endforeach()

set(SYNTH_FLAGS "-dsp")
set(top_dir "${WORK_DIR}")
set(with_params "${PARAMS}")
foreach(build base with)
  if(build STREQUAL "base")
    set(PARAMS "${BASE_PARAMS}")
  else()
    set(PARAMS "${with_params}")
  endif()
  set(WORK_DIR "${top_dir}/${build}")
  include("${CMAKE_CURRENT_LIST_DIR}/synth_yosys.cmake")
  execute_process(COMMAND "${NEXTPNR}" --up5k --package sg48 --json "${json}"
      --pcf-allow-unconstrained --pack-only
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  file(WRITE "${WORK_DIR}/${TOP}.pack.log" "${out}${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "nextpnr-ice40 --pack-only failed (${rc}); see ${WORK_DIR}/${TOP}.pack.log")
  endif()
  foreach(res ICESTORM_LC ICESTORM_RAM ICESTORM_DSP)
    string(REGEX MATCH "${res}: +([0-9]+)/ *([0-9]+)" m "${out}${err}")
    if(NOT m)
      message(FATAL_ERROR "no ${res} count in ${WORK_DIR}/${TOP}.pack.log")
    endif()
    set(${build}_${res} "${CMAKE_MATCH_1}")
    set(cap_${res} "${CMAKE_MATCH_2}")
  endforeach()
endforeach()

set(fits TRUE)
set(lines "")
foreach(res ICESTORM_LC ICESTORM_RAM ICESTORM_DSP)
  math(EXPR delta "${with_${res}} - ${base_${res}}")
  string(REPLACE "ICESTORM_" "" name "${res}")
  string(APPEND lines "\n  ${name}: ${base_${res}} -> ${with_${res}} of ${cap_${res}} (+${delta})")
  if(with_${res} GREATER cap_${res})
    set(fits FALSE)
  endif()
endforeach()
message(STATUS "${TOP}: cost of ${with_params} over ${BASE_PARAMS}:${lines}")
if(fits)
  message(STATUS "${TOP} with ${with_params} fits the iCE40UP5K (packed)")
else()
  math(EXPR over "${with_ICESTORM_LC} - ${cap_ICESTORM_LC}")
  message(STATUS "${TOP} with ${with_params} does NOT fit the iCE40UP5K: ${over} logic cells over")
endif()
