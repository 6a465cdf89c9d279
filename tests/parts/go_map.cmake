# go_map: Go's built-in map semantics (clauses G1-G4).
syncmap_add_test(NAME go_map_test SOURCES go_map_test.cpp TIMEOUT 120)
syncmap_add_test(NAME go_map_iteration_test SOURCES go_map_iteration_test.cpp TIMEOUT 120)
syncmap_add_test(NAME go_map_death_test SOURCES go_map_death_test.cpp TIMEOUT 120)
# Replaces the global operator new: must stay its own executable.
syncmap_add_test(NAME go_map_alloc_test SOURCES go_map_alloc_test.cpp TIMEOUT 120)
syncmap_add_test(NAME go_map_unchecked_test SOURCES go_map_unchecked_test.cpp TIMEOUT 60)
