# syncmap-traversal-bench: snapshot creation, writes under a live snapshot, chunked scans
# against one range, resuming by cursor against resuming by re-sorting, snapshot memory.
add_executable(syncmap-traversal-bench sync_map_traversal_bench.cpp)
target_link_libraries(syncmap-traversal-bench PRIVATE syncmap::syncmap benchmark::benchmark syncmap_project_options)
