# The install test: installs this build tree into a scratch prefix, then builds and runs
# tests/install_consumer against the installed package only, through find_package (a
# compatible version, and a refused major version) and through pkg-config (syncmap.pc).
if(SYNCMAP_INSTALL)
  find_program(SYNCMAP_PKG_CONFIG NAMES pkg-config pkgconf DOC "pkg-config, for the install test (Debian: pkg-config)")
  add_test(NAME install_consumer
    COMMAND ${CMAKE_COMMAND}
      -DSYNCMAP_BINARY_DIR=${PROJECT_BINARY_DIR}
      -DCONSUMER_SOURCE_DIR=${CMAKE_CURRENT_SOURCE_DIR}/install_consumer
      -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/install_consumer
      -DCONSUMER_GENERATOR=${CMAKE_GENERATOR}
      -DCONSUMER_CXX_COMPILER=${CMAKE_CXX_COMPILER}
      -DVERSION_MAJOR=${PROJECT_VERSION_MAJOR}
      -DVERSION_MINOR=${PROJECT_VERSION_MINOR}
      -DVERSION_PATCH=${PROJECT_VERSION_PATCH}
      -DPKG_CONFIG_EXECUTABLE=${SYNCMAP_PKG_CONFIG}
      -P ${CMAKE_CURRENT_SOURCE_DIR}/install_consumer/run_install_test.cmake)
  set_tests_properties(install_consumer PROPERTIES LABELS "no-sanitizer" TIMEOUT 300)
endif()
