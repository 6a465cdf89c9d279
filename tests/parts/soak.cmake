# The soak's heap verdict rule (soak/heap_verdict.cpp), on made-up series. The soak itself
# has a smoke run registered in soak/CMakeLists.txt.
syncmap_add_test(NAME soak_heap_verdict_test
  SOURCES soak_heap_verdict_test.cpp ${PROJECT_SOURCE_DIR}/soak/heap_verdict.cpp TIMEOUT 60)
target_include_directories(soak_heap_verdict_test PRIVATE ${PROJECT_SOURCE_DIR}/soak)
