# sync_map against its peers.
#   syncmap-bench   throughput of point operations (1 to 8 threads) and range, Google Benchmark
#   syncmap-memory  bytes per entry as the allocator counts them
# Peers (Debian packages, scripts/bootstrap "peers"): libboost1.81-dev, libcuckoo-dev,
# libtbb-dev, liburcu-dev (cds_lfht).
find_package(Boost 1.81 REQUIRED)  # header-only: unordered_flat_map
find_package(libcuckoo REQUIRED)
find_package(TBB REQUIRED)
pkg_check_modules(SYNCMAP_URCU_BP REQUIRED IMPORTED_TARGET liburcu-bp)
pkg_check_modules(SYNCMAP_URCU_CDS REQUIRED IMPORTED_TARGET liburcu-cds)

# The peer adapters; the cds_lfht one is compiled apart because it includes liburcu's own
# headers, whose macros collide with syncmap::detail names.
add_library(syncmap_bench_peers STATIC sync_map_lfht.cpp)
target_compile_features(syncmap_bench_peers PUBLIC cxx_std_20)
target_link_libraries(syncmap_bench_peers
  PUBLIC Boost::headers libcuckoo::libcuckoo TBB::tbb Threads::Threads
  PRIVATE PkgConfig::SYNCMAP_URCU_CDS PkgConfig::SYNCMAP_URCU_BP syncmap_project_options)

add_executable(syncmap-bench sync_map_bench.cpp)
target_link_libraries(syncmap-bench PRIVATE syncmap::syncmap syncmap_bench_peers benchmark::benchmark
  syncmap_project_options)

add_executable(syncmap-memory memory_footprint.cpp)
target_link_libraries(syncmap-memory PRIVATE syncmap::syncmap syncmap_bench_peers syncmap_project_options)
