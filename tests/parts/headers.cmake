# Checks of the public headers as a whole (no GoogleTest; the compiler is run from CMake
# scripts in tests/headers/):
#   public_headers_require_cxx20   every public header stops C++17 with "syncmap requires C++20"
#   version_header_matches_project version.hpp says the project() version of CMakeLists.txt
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" OR CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  add_test(NAME public_headers_require_cxx20
    COMMAND ${CMAKE_COMMAND}
      -DCXX_COMPILER=${CMAKE_CXX_COMPILER}
      -DCXX_COMPILER_ID=${CMAKE_CXX_COMPILER_ID}
      -DINCLUDE_DIR=${PROJECT_SOURCE_DIR}/include
      -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/require_cxx20
      -P ${CMAKE_CURRENT_SOURCE_DIR}/headers/require_cxx20.cmake)
  set_tests_properties(public_headers_require_cxx20 PROPERTIES LABELS "no-sanitizer" TIMEOUT 300)
endif()
add_test(NAME version_header_matches_project
  COMMAND ${CMAKE_COMMAND}
    -DCXX_COMPILER=${CMAKE_CXX_COMPILER}
    -DINCLUDE_DIR=${PROJECT_SOURCE_DIR}/include
    -DCHECK_SOURCE=${CMAKE_CURRENT_SOURCE_DIR}/headers/version_check.cpp
    -DMAJOR=${PROJECT_VERSION_MAJOR} -DMINOR=${PROJECT_VERSION_MINOR} -DPATCH=${PROJECT_VERSION_PATCH}
    -P ${CMAKE_CURRENT_SOURCE_DIR}/headers/version_matches_project.cmake)
set_tests_properties(version_header_matches_project PROPERTIES LABELS "no-sanitizer" TIMEOUT 120)
