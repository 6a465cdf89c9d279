# The install test: installs this build tree into a scratch prefix, then configures, builds
# and runs tests/install_consumer against the installed package only
# (find_package(syncmap CONFIG REQUIRED), syncmap::syncmap).
if(SYNCMAP_INSTALL)
  add_test(NAME install_consumer
    COMMAND ${CMAKE_COMMAND}
      -DSYNCMAP_BINARY_DIR=${PROJECT_BINARY_DIR}
      -DCONSUMER_SOURCE_DIR=${CMAKE_CURRENT_SOURCE_DIR}/install_consumer
      -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/install_consumer
      -DCONSUMER_GENERATOR=${CMAKE_GENERATOR}
      -DCONSUMER_CXX_COMPILER=${CMAKE_CXX_COMPILER}
      -P ${CMAKE_CURRENT_SOURCE_DIR}/install_consumer/run_install_test.cmake)
  set_tests_properties(install_consumer PROPERTIES LABELS "no-sanitizer" TIMEOUT 300)
endif()
