# Script mode (cmake -P), run by the install_consumer CTest test: installs the syncmap build
# tree into a fresh prefix, then configures, builds and runs the consumer against it.
# Inputs: SYNCMAP_BINARY_DIR, CONSUMER_SOURCE_DIR, WORK_DIR, CONSUMER_GENERATOR,
# CONSUMER_CXX_COMPILER.
foreach(var SYNCMAP_BINARY_DIR CONSUMER_SOURCE_DIR WORK_DIR CONSUMER_GENERATOR CONSUMER_CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_install_test.cmake: ${var} is not set")
  endif()
endforeach()

set(prefix ${WORK_DIR}/prefix)
set(build ${WORK_DIR}/build)
file(REMOVE_RECURSE ${WORK_DIR})

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "install test: ${what} failed (${rc})")
  endif()
endfunction()

run_step("installing" ${CMAKE_COMMAND} --install ${SYNCMAP_BINARY_DIR} --prefix ${prefix})
# Only the scratch prefix may provide the package: no package registry, no environment.
run_step("configuring the consumer" ${CMAKE_COMMAND} -G ${CONSUMER_GENERATOR}
  -S ${CONSUMER_SOURCE_DIR} -B ${build}
  -DCMAKE_CXX_COMPILER=${CONSUMER_CXX_COMPILER}
  -DCMAKE_BUILD_TYPE=Release
  -DCMAKE_PREFIX_PATH=${prefix}
  -DEXPECTED_PREFIX=${prefix}
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
run_step("building the consumer" ${CMAKE_COMMAND} --build ${build})
run_step("running the consumer" ${build}/consumer)
