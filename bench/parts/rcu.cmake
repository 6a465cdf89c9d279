# syncmap-rcu-bench: entering and leaving a read-side section, syncmap's RCU against
# liburcu's urcu-memb called out of line (Debian: liburcu-dev). Only this benchmark links
# liburcu-memb; syncmap itself does not.
pkg_check_modules(SYNCMAP_URCU_MEMB REQUIRED IMPORTED_TARGET liburcu-memb)
add_executable(syncmap-rcu-bench rcu_bench.cpp)
target_link_libraries(syncmap-rcu-bench PRIVATE syncmap::syncmap PkgConfig::SYNCMAP_URCU_MEMB
  benchmark::benchmark syncmap_project_options)
