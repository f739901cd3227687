# Builds one board's bitstream (cmake -P; firmware/CMakeLists.txt runs it
# for target bitstream_<board> and test synth_<board>): yosys synth_ice40,
# nextpnr-ice40 with the board's pins and clock, icepack. Writes into
# OUT_DIR: <TOP>.json, .asc, .bin, the report <TOP>.report.txt and the
# machine-readable <TOP>.build.json (docs/boards.md), and fails unless the
# design fits the device and meets its clock.
#
#   cmake -DYOSYS=.. -DNEXTPNR=.. -DICEPACK=.. -DRTL_DIR=rtl -DSOURCE_DIR=.
#         -DBOARD=icebreaker -DBOARD_ID=1 -DTOP=spikelink_icebreaker
#         -DSOURCES="a.sv|b.sv" -DPCF=x.pcf -DDEVICE=up5k -DPACKAGE=sg48
#         -DCLOCK_HZ=24000000 -DSEED=1 -DPARAMS="N=256|..."
#         -DVERSION=0.1.0 -DOUT_DIR=dir -P bitstream.cmake

foreach(var YOSYS NEXTPNR ICEPACK RTL_DIR SOURCE_DIR BOARD BOARD_ID TOP SOURCES PCF
            DEVICE PACKAGE CLOCK_HZ SEED VERSION OUT_DIR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "bitstream.cmake: -D${var}=... is required")
  endif()
endforeach()

# SOURCES and PARAMS come with '|' between items (firmware/CMakeLists.txt).
string(REPLACE "|" ";" SOURCES "${SOURCES}")
string(REPLACE "|" ";" PARAMS "${PARAMS}")

# The source hash: the first 32 bits of HEAD's commit id, 0 outside git.
set(hash "00000000")
set(dirty false)
find_program(GIT_BIN git)
if(GIT_BIN)
  execute_process(COMMAND "${GIT_BIN}" -C "${SOURCE_DIR}" rev-parse --short=8 HEAD
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(rc EQUAL 0 AND out MATCHES "^[0-9a-f]+$")
    string(SUBSTRING "${out}" 0 8 hash)
    execute_process(COMMAND "${GIT_BIN}" -C "${SOURCE_DIR}" status --porcelain --untracked-files=no
      RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(rc EQUAL 0 AND NOT out STREQUAL "")
      set(dirty true)
    endif()
  endif()
endif()

string(REPLACE "." ";" ver "${VERSION}")
list(APPEND ver 0 0 0)
list(GET ver 0 gw_major)
list(GET ver 1 gw_minor)
list(GET ver 2 gw_patch)
math(EXPR freq_mhz_x100 "${CLOCK_HZ} / 10000")
math(EXPR freq_int "${CLOCK_HZ} / 1000000")
math(EXPR freq_frac "(${CLOCK_HZ} % 1000000) / 10000")
if(freq_frac LESS 10)
  set(freq_frac "0${freq_frac}")
endif()
set(freq_mhz "${freq_int}.${freq_frac}")

file(MAKE_DIRECTORY "${OUT_DIR}")
file(REMOVE "${OUT_DIR}/${TOP}.bin" "${OUT_DIR}/${TOP}.build.json")

# ---------------------------------------------------------------------------
# yosys (rtl/synth_yosys.cmake: fails on any warning)
# ---------------------------------------------------------------------------
list(APPEND PARAMS "BoardId=${BOARD_ID}" "GwMajor=${gw_major}" "GwMinor=${gw_minor}"
                   "GwPatch=${gw_patch}" "BuildHash=32'h${hash}" "ClockHz=${CLOCK_HZ}")
set(WORK_DIR "${OUT_DIR}")
set(SYNTH_FLAGS "-dsp")
include("${RTL_DIR}/synth_yosys.cmake")

# ---------------------------------------------------------------------------
# nextpnr-ice40
# ---------------------------------------------------------------------------
set(pnr_log "${OUT_DIR}/${TOP}.nextpnr.log")
string(TIMESTAMP t0 "%s")
execute_process(COMMAND "${NEXTPNR}" --${DEVICE} --package ${PACKAGE} --json "${json}"
    --pcf "${PCF}" --freq ${freq_mhz} --seed ${SEED} --asc "${OUT_DIR}/${TOP}.asc"
  RESULT_VARIABLE pnr_rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(TIMESTAMP t1 "%s")
math(EXPR pnr_s "${t1} - ${t0}")
file(WRITE "${pnr_log}" "${out}${err}")
set(log "${out}${err}")

# Utilisation: "ICESTORM_LC:  4857/ 5280    91%"
set(fits TRUE)
set(util_json "")
set(util_txt "")
foreach(res LC RAM DSP SPRAM PLL)
  string(REGEX MATCH "ICESTORM_${res}: +([0-9]+)/ *([0-9]+)" m "${log}")
  if(m)
    set(used ${CMAKE_MATCH_1})
    set(avail ${CMAKE_MATCH_2})
    if(used GREATER avail)
      set(fits FALSE)
    endif()
  else()
    set(used -1)
    set(avail -1)
    set(fits FALSE)
  endif()
  string(TOLOWER "${res}" key)
  if(key STREQUAL "ram")
    set(key "ebr")
  endif()
  if(avail GREATER 0)
    math(EXPR pct "(100 * ${used} + ${avail} / 2) / ${avail}")
  else()
    set(pct "?")
  endif()
  string(APPEND util_txt "  ${key}: ${used} of ${avail} (${pct} %)\n")
  string(APPEND util_json "    \"${key}\": {\"used\": ${used}, \"available\": ${avail}},\n")
  set(${key}_used ${used})
  set(${key}_avail ${avail})
endforeach()
string(REGEX REPLACE ",\n$" "\n" util_json "${util_json}")

# Achieved clock: the routed timing report (after "Routing complete").
set(fmax "")
string(FIND "${log}" "Routing complete" at REVERSE)
if(at GREATER -1)
  string(SUBSTRING "${log}" ${at} -1 routed)
  string(REGEX MATCHALL "Max frequency for clock +'[^']*': [0-9.]+ MHz" lines "${routed}")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE ".*: ([0-9.]+) MHz" "\\1" f "${line}")
    if(fmax STREQUAL "" OR f LESS fmax)
      set(fmax "${f}")
    endif()
  endforeach()
endif()

set(meets FALSE)
if(NOT fmax STREQUAL "" AND NOT fmax LESS freq_mhz)
  set(meets TRUE)
endif()
if(NOT pnr_rc EQUAL 0)
  set(fits_word "no (nextpnr-ice40 failed, exit ${pnr_rc})")
  set(fits FALSE)
elseif(fits)
  set(fits_word "yes")
else()
  set(fits_word "no")
endif()
set(meets_word "no")
if(meets)
  set(meets_word "yes")
endif()
if(fmax STREQUAL "")
  set(fmax_txt "not reached (no routed design)")
  set(fmax_json "null")
else()
  set(fmax_txt "${fmax} MHz")
  set(fmax_json "${fmax}")
endif()

# ---------------------------------------------------------------------------
# icepack
# ---------------------------------------------------------------------------
set(bin_bytes 0)
if(fits AND meets)
  execute_process(COMMAND "${ICEPACK}" "${OUT_DIR}/${TOP}.asc" "${OUT_DIR}/${TOP}.bin"
    RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "icepack failed (${rc}): ${err}")
  endif()
  file(SIZE "${OUT_DIR}/${TOP}.bin" bin_bytes)
endif()

string(REPLACE ";" ", " params_txt "${PARAMS}")
set(dirty_txt "")
if(dirty)
  set(dirty_txt " (built with uncommitted changes)")
endif()
string(TIMESTAMP now "%Y-%m-%dT%H:%M:%SZ" UTC)
file(WRITE "${OUT_DIR}/${TOP}.report.txt"
  "spikelink bitstream report: board ${BOARD} (board_id ${BOARD_ID}), top ${TOP}\n"
  "built ${now}, gateware ${gw_major}.${gw_minor}.${gw_patch}, source hash ${hash}${dirty_txt}\n"
  "device ice40 ${DEVICE}-${PACKAGE}, nextpnr seed ${SEED}, place and route ${pnr_s} s\n"
  "parameters: ${params_txt}\n"
  "utilisation (used of available):\n${util_txt}"
  "clock: target ${freq_mhz} MHz, achieved ${fmax_txt}\n"
  "fits: ${fits_word}; meets the clock: ${meets_word}\n"
  "bitstream: ${bin_bytes} bytes\n")
file(READ "${OUT_DIR}/${TOP}.report.txt" report)
message(STATUS "${report}")

if(NOT fits OR NOT meets)
  message(FATAL_ERROR "${TOP} does not fit the iCE40${DEVICE}-${PACKAGE} or misses ${freq_mhz} MHz; "
                      "see ${OUT_DIR}/${TOP}.report.txt and ${pnr_log}")
endif()

# Read by the image packer (docs/boards.md, "build.json").
file(WRITE "${OUT_DIR}/${TOP}.build.json"
  "{\n"
  "  \"format\": 1,\n"
  "  \"board\": \"${BOARD}\",\n"
  "  \"board_id\": ${BOARD_ID},\n"
  "  \"top\": \"${TOP}\",\n"
  "  \"gateware_version\": {\"major\": ${gw_major}, \"minor\": ${gw_minor}, \"patch\": ${gw_patch}},\n"
  "  \"source_hash\": \"${hash}\",\n"
  "  \"source_dirty\": ${dirty},\n"
  "  \"build_time\": \"${now}\",\n"
  "  \"device\": \"${DEVICE}\",\n"
  "  \"package\": \"${PACKAGE}\",\n"
  "  \"clock_hz\": ${CLOCK_HZ},\n"
  "  \"fmax_mhz\": ${fmax_json},\n"
  "  \"seed\": ${SEED},\n"
  "  \"utilisation\": {\n${util_json}  },\n"
  "  \"bitstream\": \"${TOP}.bin\",\n"
  "  \"bitstream_bytes\": ${bin_bytes}\n"
  "}\n")
