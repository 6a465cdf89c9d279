# Script mode (cmake -P), run by the install_consumer CTest test: installs the syncmap build
# tree into a fresh prefix, then, against that prefix only:
#   1. find_package(syncmap MAJOR.MINOR): configures, builds and runs the consumer; and
#      find_package(syncmap MAJOR.0) configures too (any older minor of the same major);
#   2. find_package(syncmap MAJOR+1.0): configuring must fail on the version
#      (syncmapConfigVersion.cmake, SameMajorVersion);
#   3. pkg-config: `pkg-config --modversion` says the project version, and the consumer
#      builds with `c++ -std=c++20 $(pkg-config --cflags --libs syncmap) main.cpp` and runs;
# and checks that the license is installed.
# Inputs: SYNCMAP_BINARY_DIR, CONSUMER_SOURCE_DIR, WORK_DIR, CONSUMER_GENERATOR,
# CONSUMER_CXX_COMPILER, VERSION_MAJOR, VERSION_MINOR, VERSION_PATCH, PKG_CONFIG_EXECUTABLE.
foreach(var SYNCMAP_BINARY_DIR CONSUMER_SOURCE_DIR WORK_DIR CONSUMER_GENERATOR CONSUMER_CXX_COMPILER
            VERSION_MAJOR VERSION_MINOR VERSION_PATCH PKG_CONFIG_EXECUTABLE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_install_test.cmake: ${var} is not set")
  endif()
endforeach()
if(NOT PKG_CONFIG_EXECUTABLE)
  message(FATAL_ERROR "install test: pkg-config is needed to check syncmap.pc (Debian: pkg-config)")
endif()

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
if(NOT EXISTS ${prefix}/share/doc/syncmap/LICENSE)
  message(FATAL_ERROR "install test: the license is not installed as share/doc/syncmap/LICENSE")
endif()

# Only the scratch prefix may provide the package: no package registry, no environment.
set(consumer_configure ${CMAKE_COMMAND} -G ${CONSUMER_GENERATOR}
  -S ${CONSUMER_SOURCE_DIR}
  -DCMAKE_CXX_COMPILER=${CONSUMER_CXX_COMPILER}
  -DCMAKE_BUILD_TYPE=Release
  -DCMAKE_PREFIX_PATH=${prefix}
  -DEXPECTED_PREFIX=${prefix}
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)

# 1. The installed version, as a consumer asks for it.
run_step("configuring the consumer (find_package(syncmap ${VERSION_MAJOR}.${VERSION_MINOR}))"
  ${consumer_configure} -B ${build} -DREQUESTED_VERSION=${VERSION_MAJOR}.${VERSION_MINOR})
run_step("building the consumer" ${CMAKE_COMMAND} --build ${build})
run_step("running the consumer" ${build}/consumer)
if(VERSION_MINOR GREATER 0)
  run_step("configuring the consumer (find_package(syncmap ${VERSION_MAJOR}.0))"
    ${consumer_configure} -B ${WORK_DIR}/build-older-minor -DREQUESTED_VERSION=${VERSION_MAJOR}.0)
endif()

# 2. Another major version must be refused, and for its version.
math(EXPR next_major "${VERSION_MAJOR} + 1")
execute_process(COMMAND ${consumer_configure} -B ${WORK_DIR}/build-next-major -DREQUESTED_VERSION=${next_major}.0
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0)
  message(FATAL_ERROR "install test: find_package(syncmap ${next_major}.0) accepted the installed "
                      "${VERSION_MAJOR}.${VERSION_MINOR}.${VERSION_PATCH}")
endif()
if(NOT out MATCHES "compatible with requested version")
  message(FATAL_ERROR "install test: find_package(syncmap ${next_major}.0) failed, but not on the version:\n${out}")
endif()
message(STATUS "find_package(syncmap ${next_major}.0) is refused, as it must be")

# 3. pkg-config, seeing only the scratch prefix.
set(pkg_config ${CMAKE_COMMAND} -E env PKG_CONFIG_LIBDIR=${prefix}/share/pkgconfig PKG_CONFIG_PATH=
  ${PKG_CONFIG_EXECUTABLE})
execute_process(COMMAND ${pkg_config} --modversion syncmap
  RESULT_VARIABLE rc OUTPUT_VARIABLE pc_version ERROR_VARIABLE pc_error OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT rc EQUAL 0 OR NOT pc_version STREQUAL "${VERSION_MAJOR}.${VERSION_MINOR}.${VERSION_PATCH}")
  message(FATAL_ERROR "install test: pkg-config --modversion syncmap gave '${pc_version}' (${rc}) ${pc_error}, "
                      "expected ${VERSION_MAJOR}.${VERSION_MINOR}.${VERSION_PATCH}")
endif()
execute_process(COMMAND ${pkg_config} --cflags --libs syncmap
  RESULT_VARIABLE rc OUTPUT_VARIABLE pc_flags ERROR_VARIABLE pc_error OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install test: pkg-config --cflags --libs syncmap failed: ${pc_error}")
endif()
message(STATUS "pkg-config --cflags --libs syncmap: ${pc_flags}")
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
math(EXPR version_number "${VERSION_MAJOR} * 10000 + ${VERSION_MINOR} * 100 + ${VERSION_PATCH}")
run_step("building the consumer with pkg-config's flags"
  ${CONSUMER_CXX_COMPILER} -std=c++20 ${pc_flags} -DEXPECTED_SYNCMAP_VERSION=${version_number}
  ${CONSUMER_SOURCE_DIR}/main.cpp -o ${WORK_DIR}/consumer-pkg-config)
run_step("running the consumer built with pkg-config's flags" ${WORK_DIR}/consumer-pkg-config)
