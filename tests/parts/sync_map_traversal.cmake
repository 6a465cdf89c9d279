# sync_map's traversal modes: snapshots (S1-S4, C4), scan cursors and cancellable range (C1-C3,
# C5, B1, W6), traversal statistics, and the history-based checks of S1 and C2 under
# concurrency, whose checker (tests/history_checkers.hpp) other tools may reuse.
syncmap_add_test(NAME sync_map_snapshot_test SOURCES sync_map_snapshot_test.cpp LABELS traversal TIMEOUT 300)
syncmap_add_test(NAME sync_map_cursor_test SOURCES sync_map_cursor_test.cpp LABELS traversal TIMEOUT 300)
syncmap_add_test(NAME sync_map_traversal_stats_test SOURCES sync_map_traversal_stats_test.cpp LABELS traversal TIMEOUT 300)
syncmap_add_test(NAME sync_map_history_test SOURCES sync_map_history_test.cpp LABELS traversal TIMEOUT 300)
# Replaces the global operator new to count allocations and bytes: must stay its own executable.
syncmap_add_test(NAME sync_map_snapshot_memory_test SOURCES sync_map_snapshot_memory_test.cpp LABELS traversal TIMEOUT 300)
# Cursors inside runs of keys whose 64-bit hashes are equal (C2, C4, W6 for any hash).
syncmap_add_test(NAME sync_map_cursor_collision_test SOURCES sync_map_cursor_collision_test.cpp LABELS traversal TIMEOUT 300)
