# ctest registers each doctest case by name; a ';' in a name would split it
# into two ctest entries, one of which matches no case and passes vacuously.
file(GLOB_RECURSE sources ${SOURCE_DIR}/tests/*.cpp)
set(bad "")
foreach(f ${sources})
  file(STRINGS ${f} lines REGEX "TEST_CASE\\(\".*\;.*\"\\)")
  if(lines)
    list(APPEND bad "${f}")
  endif()
endforeach()
if(bad)
  message(FATAL_ERROR "test case names with ';' (ctest cannot register them): ${bad}")
endif()
