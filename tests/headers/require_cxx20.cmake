# Script mode (cmake -P), run by the public_headers_require_cxx20 CTest test: every public
# header, compiled as C++17, must stop with detail/config.hpp's `#error "syncmap requires
# C++20"` as its first error (the compiler is told to stop at the first one), and the
# umbrella header must compile as C++20 with the same command line (so a broken command
# cannot pass for a working guard).
# Inputs: CXX_COMPILER, CXX_COMPILER_ID, INCLUDE_DIR, WORK_DIR.
foreach(var CXX_COMPILER CXX_COMPILER_ID INCLUDE_DIR WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "require_cxx20.cmake: ${var} is not set")
  endif()
endforeach()

if(CXX_COMPILER_ID STREQUAL "GNU")
  set(first_error_only -fmax-errors=1)
elseif(CXX_COMPILER_ID MATCHES "Clang")
  set(first_error_only -ferror-limit=1)
else()
  message(FATAL_ERROR "require_cxx20.cmake: no first-error-only flag known for ${CXX_COMPILER_ID}")
endif()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
file(GLOB headers RELATIVE ${INCLUDE_DIR} ${INCLUDE_DIR}/syncmap/*.hpp)
list(LENGTH headers count)
if(count LESS 10)
  message(FATAL_ERROR "require_cxx20.cmake: only ${count} public headers found under ${INCLUDE_DIR}/syncmap")
endif()

function(compile standard header out_rc out_text)
  string(MAKE_C_IDENTIFIER ${header} stem)
  set(tu ${WORK_DIR}/${stem}_${standard}.cpp)
  file(WRITE ${tu} "#include <${header}>\nint main() { return 0; }\n")
  execute_process(
    COMMAND ${CXX_COMPILER} -std=${standard} -fsyntax-only ${first_error_only} -I${INCLUDE_DIR} ${tu}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  set(${out_rc} ${rc} PARENT_SCOPE)
  set(${out_text} "${out}" PARENT_SCOPE)
endfunction()

set(failed "")
foreach(header IN LISTS headers)
  compile(c++17 ${header} rc text)
  if(rc EQUAL 0 OR NOT text MATCHES "syncmap requires C\\+\\+20")
    list(APPEND failed ${header})
    message(STATUS "${header} as C++17: exit ${rc}, no '#error \"syncmap requires C++20\"' first:\n${text}")
  endif()
endforeach()
if(failed)
  message(FATAL_ERROR "public headers that do not stop C++17 with the C++20 message: ${failed}")
endif()

compile(c++20 syncmap/syncmap.hpp rc text)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "syncmap/syncmap.hpp does not compile as C++20:\n${text}")
endif()
message(STATUS "${count} public headers stop C++17 with the C++20 message; syncmap/syncmap.hpp compiles as C++20")
