# go_map against the single-threaded maps it replaces.
#   go_map-bench   find hit/miss, insert, erase, full iteration; uint64 and string keys;
#                  1K and 1M entries; go_map with and without misuse detection (G3)
# Peers (Debian packages, scripts/bootstrap "peers"): libboost1.81-dev (unordered_flat_map),
# libabsl-dev (flat_hash_map).
find_package(Boost 1.81 REQUIRED)
find_package(absl REQUIRED)

add_executable(go_map-bench go_map_bench.cpp)
target_link_libraries(go_map-bench PRIVATE syncmap::syncmap Boost::headers absl::hash absl::raw_hash_set
  benchmark::benchmark syncmap_project_options)
