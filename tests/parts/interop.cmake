# sync_map beside the process around it: fork(), and an application using liburcu.
syncmap_add_test(NAME sync_map_fork_test SOURCES sync_map_fork_test.cpp TIMEOUT 60)

# liburcu (urcu-memb) in the same process as syncmap's own RCU. Its calls live in a source
# of their own, as an application's would, sharing nothing with syncmap's.
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(SYNCMAP_TEST_URCU QUIET IMPORTED_TARGET liburcu-memb)
endif()
# Not under ThreadSanitizer: liburcu is not instrumented, so TSan cannot see its ordering.
if(SYNCMAP_TEST_URCU_FOUND AND NOT SYNCMAP_SANITIZE STREQUAL "thread")
  syncmap_add_test(NAME sync_map_beside_liburcu_test
    SOURCES sync_map_beside_liburcu_test.cpp liburcu_side.cpp
    LIBS PkgConfig::SYNCMAP_TEST_URCU TIMEOUT 60)
else()
  message(STATUS "syncmap tests: liburcu-memb not found (liburcu-dev): sync_map_beside_liburcu_test left out")
endif()
