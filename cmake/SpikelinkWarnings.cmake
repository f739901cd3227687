# Warnings for the project's own C++ targets. SPIKELINK_WERROR (on in CI)
# turns them into errors.
function(spikelink_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
    -Wdouble-promotion -Wimplicit-fallthrough)
  if(SPIKELINK_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
