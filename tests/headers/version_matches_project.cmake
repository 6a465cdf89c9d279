# Script mode (cmake -P), run by the version_header_matches_project CTest test:
# include/syncmap/version.hpp must carry the project() version of CMakeLists.txt, which is
# the one source of the version (the CMake package version file and syncmap.pc are
# generated from it). Compiles tests/headers/version_check.cpp, whose static_asserts
# compare the macros with the expected numbers.
# Inputs: CXX_COMPILER, INCLUDE_DIR, CHECK_SOURCE, MAJOR, MINOR, PATCH.
foreach(var CXX_COMPILER INCLUDE_DIR CHECK_SOURCE MAJOR MINOR PATCH)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "version_matches_project.cmake: ${var} is not set")
  endif()
endforeach()
math(EXPR version "${MAJOR} * 10000 + ${MINOR} * 100 + ${PATCH}")
execute_process(
  COMMAND ${CXX_COMPILER} -std=c++20 -fsyntax-only -I${INCLUDE_DIR}
    -DEXPECTED_MAJOR=${MAJOR} -DEXPECTED_MINOR=${MINOR} -DEXPECTED_PATCH=${PATCH} -DEXPECTED_VERSION=${version}
    ${CHECK_SOURCE}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "include/syncmap/version.hpp does not say ${MAJOR}.${MINOR}.${PATCH} (SYNCMAP_VERSION ${version}), "
                      "the project() version of CMakeLists.txt:\n${out}")
endif()
message(STATUS "version.hpp says ${MAJOR}.${MINOR}.${PATCH} (SYNCMAP_VERSION ${version}), as CMakeLists.txt does")
