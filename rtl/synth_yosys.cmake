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
file(WRITE "${ys}"
  "read_verilog -sv ${source_args}\n"
  "${chparams}"
  "synth_ice40 ${SYNTH_FLAGS} -top ${TOP} -json ${json}\n"
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
