# The lab's checking core: history recorder, workload generator, checkers and scenarios.
# It includes no syncmap header and no peer library, so the checker self-tests (tests/)
# can build it in every configuration, sanitizer builds included. window_checker.cpp uses
# the project's history checker, tests/history_checkers.hpp (header-only, standard library). Included from
# lab/CMakeLists.txt and tests/parts/lab.cmake, whichever comes first.
if(NOT TARGET syncmap_lab_core)
  set(_lab_dir ${PROJECT_SOURCE_DIR}/lab)
  add_library(syncmap_lab_core STATIC
    ${_lab_dir}/core/history.cpp
    ${_lab_dir}/core/workload.cpp
    ${_lab_dir}/core/linearizability.cpp
    ${_lab_dir}/core/write_index.cpp
    ${_lab_dir}/core/traversal_checker.cpp
    ${_lab_dir}/core/rank_correlation.cpp
    ${_lab_dir}/core/window_checker.cpp
    ${_lab_dir}/core/iteration_checker.cpp
    ${_lab_dir}/core/peer_protocol.cpp
    ${_lab_dir}/core/child_process.cpp
    ${_lab_dir}/scenarios/common.cpp
    ${_lab_dir}/scenarios/ranged.cpp
    ${_lab_dir}/scenarios/registry.cpp
    ${_lab_dir}/scenarios/point_ops.cpp
    ${_lab_dir}/scenarios/store_during_range.cpp
    ${_lab_dir}/scenarios/erase_during_range.cpp
    ${_lab_dir}/scenarios/churn_during_range.cpp
    ${_lab_dir}/scenarios/two_ranges.cpp
    ${_lab_dir}/scenarios/growth_during_range.cpp
    ${_lab_dir}/scenarios/retired_memory.cpp
    ${_lab_dir}/scenarios/snapshot_under_churn.cpp
    ${_lab_dir}/scenarios/snapshot_race.cpp
    ${_lab_dir}/scenarios/snapshot_memory.cpp
    ${_lab_dir}/scenarios/scan_pass.cpp
    ${_lab_dir}/scenarios/go_map_iteration.cpp
    ${_lab_dir}/scenarios/pitfall_measures.cpp
    ${_lab_dir}/scenarios/out_of_process.cpp)
  target_include_directories(syncmap_lab_core PUBLIC ${_lab_dir})
  target_compile_features(syncmap_lab_core PUBLIC cxx_std_20)
  find_package(Threads REQUIRED)
  # PUBLIC: the sanitizer flags must also reach whatever links the library.
  target_link_libraries(syncmap_lab_core PUBLIC Threads::Threads syncmap_project_options)
endif()
