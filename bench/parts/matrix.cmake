# syncmap-matrix: the whole benchmark matrix (sizes x threads x distributions x mixes x key
# types, traversal, snapshot and scan, bytes-per-entry curve, writer latency under a
# traversal) for the in-process maps, as result lines for bench/report/matrix_report.py.
# `make bench` runs it with the out-of-process peers and writes bench-report/.
# Peers (Debian packages, scripts/bootstrap "peers" and "bench-peers"): libboost1.81-dev,
# libcuckoo-dev, libtbb-dev, libabsl-dev, liburcu-dev, libxenium-dev (optional: the xenium
# rows are left out when its header is missing).
add_executable(syncmap-matrix matrix/matrix_main.cpp)
target_link_libraries(syncmap-matrix PRIVATE syncmap::syncmap syncmap_bench_peers absl::hash absl::raw_hash_set
  syncmap_project_options)
