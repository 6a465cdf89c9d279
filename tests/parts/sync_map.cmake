# sync_map: the shared API suite and sync_map-only API tests, concurrency stress, and
# exception safety (L4; that binary replaces the global operator new, so it stays alone).
syncmap_add_test(NAME sync_map_api_test SOURCES sync_map_api_test.cpp TIMEOUT 300)
syncmap_add_test(NAME sync_map_concurrency_test SOURCES sync_map_concurrency_test.cpp TIMEOUT 600)

# The exception sweeps call rcu_barrier() after every fault point; three googletest shards
# let CTest run them in parallel (each barrier waits for a grace period, tens of
# microseconds).
syncmap_add_test(NAME sync_map_exception_test SOURCES sync_map_exception_test.cpp TIMEOUT 300)
set(syncmap_exception_shards 3)
set_tests_properties(sync_map_exception_test PROPERTIES
  ENVIRONMENT "GTEST_TOTAL_SHARDS=${syncmap_exception_shards};GTEST_SHARD_INDEX=0")
foreach(shard RANGE 1 2)
  add_test(NAME sync_map_exception_test_shard${shard} COMMAND sync_map_exception_test)
  set_tests_properties(sync_map_exception_test_shard${shard} PROPERTIES TIMEOUT 300
    ENVIRONMENT "GTEST_TOTAL_SHARDS=${syncmap_exception_shards};GTEST_SHARD_INDEX=${shard}")
endforeach()
# What allocates and what does not (replaces the global operator new: its own executable).
syncmap_add_test(NAME sync_map_alloc_test SOURCES sync_map_alloc_test.cpp TIMEOUT 60)
# Atomic read-modify-write (compute, load_or_compute, try_emplace, erase_if).
syncmap_add_test(NAME sync_map_compute_test SOURCES sync_map_compute_test.cpp TIMEOUT 120)
# Transparent string keys in every container (replaces the global operator new).
syncmap_add_test(NAME string_key_test SOURCES string_key_test.cpp TIMEOUT 60)
# Moving maps, bulk construction and insertion, reserve.
syncmap_add_test(NAME sync_map_move_and_bulk_test SOURCES sync_map_move_and_bulk_test.cpp TIMEOUT 120)
# Snapshot iteration in every range-for binding form.
syncmap_add_test(NAME sync_map_snapshot_iteration_test SOURCES sync_map_snapshot_iteration_test.cpp TIMEOUT 60)
