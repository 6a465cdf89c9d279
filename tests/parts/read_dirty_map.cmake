# read_dirty_map: Go's sync.Map up to Go 1.23 (clauses RD1, RD2, L1-L4).
syncmap_add_test(NAME read_dirty_map_api_test SOURCES read_dirty_map_api_test.cpp
  LABELS read_dirty_map TIMEOUT 300)
syncmap_add_test(NAME read_dirty_map_test SOURCES read_dirty_map_test.cpp
  LABELS read_dirty_map TIMEOUT 120)

# Tests over both read_dirty_map and cow_map.
# Concurrent stress (W1-W4, RD2, snapshots) with values derived from keys.
syncmap_add_test(NAME read_dirty_map_and_cow_map_stress_test
  SOURCES read_dirty_map_and_cow_map_stress_test.cpp
  LABELS read_dirty_map cow_map TIMEOUT 300)
# Exception safety (L4). The binary replaces the global operator new (an allocation fault
# point), so it stays alone.
syncmap_add_test(NAME read_dirty_map_and_cow_map_exception_test
  SOURCES read_dirty_map_and_cow_map_exception_test.cpp
  LABELS read_dirty_map cow_map TIMEOUT 300)
