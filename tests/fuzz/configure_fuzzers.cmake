# Script mode (cmake -P), run by the fuzz_configure CTest fixture: configures the nested fuzz
# project with clang++ and empties each target's scratch corpus. The fuzz_build_<target>
# fixtures then build one target each.
# Inputs: FUZZ_SOURCE_DIR, FUZZ_BINARY_DIR, SYNCMAP_SOURCE_DIR, FUZZ_CXX_COMPILER,
# FUZZ_GENERATOR.
foreach(var FUZZ_SOURCE_DIR FUZZ_BINARY_DIR SYNCMAP_SOURCE_DIR FUZZ_CXX_COMPILER FUZZ_GENERATOR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "configure_fuzzers.cmake: ${var} is not set")
  endif()
endforeach()

execute_process(
  COMMAND ${CMAKE_COMMAND} -G ${FUZZ_GENERATOR} -S ${FUZZ_SOURCE_DIR} -B ${FUZZ_BINARY_DIR}
    -DCMAKE_CXX_COMPILER=${FUZZ_CXX_COMPILER}
    -DSYNCMAP_SOURCE_DIR=${SYNCMAP_SOURCE_DIR}
  RESULT_VARIABLE configured)
if(NOT configured EQUAL 0)
  message(FATAL_ERROR "configuring the fuzz targets failed (${configured})")
endif()

file(GLOB sources ${FUZZ_SOURCE_DIR}/*_fuzz.cpp)
foreach(source IN LISTS sources)
  get_filename_component(target ${source} NAME_WE)
  file(REMOVE_RECURSE ${FUZZ_BINARY_DIR}/corpus/${target})
  file(MAKE_DIRECTORY ${FUZZ_BINARY_DIR}/corpus/${target})
endforeach()
