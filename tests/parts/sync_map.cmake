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
