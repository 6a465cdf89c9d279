# cow_map: the copy-on-write map (clauses CW1, CW2, L1-L4), and the ordered immutable
# table it shares with read_dirty_map.
syncmap_add_test(NAME immutable_table_test SOURCES immutable_table_test.cpp
  LABELS cow_map read_dirty_map TIMEOUT 120)
syncmap_add_test(NAME cow_map_test SOURCES cow_map_test.cpp LABELS cow_map TIMEOUT 120)

# The shared API suite. Two of its tests make 20,000 and 30,000 single-key writes into a map
# of that size; every cow_map write copies the table (O(n) by design), so they make O(n^2)
# copies and a fresh table per write, which the sanitizers' allocators serve with new
# mappings. The sanitizer runs leave those two out; everything they check runs there at
# smaller sizes (this suite's other tests, cow_map_test, the stress and exception tests).
set(cow_map_api_args "")
if(SYNCMAP_SANITIZE)
  set(cow_map_api_args "--gtest_filter=-*.ClearThenReuse:*.RangeYieldsExactlyTheContents")
endif()
syncmap_add_test(NAME cow_map_api_test SOURCES cow_map_api_test.cpp
  LABELS cow_map TIMEOUT 300 ARGS ${cow_map_api_args})
