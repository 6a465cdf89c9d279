# Checker self-tests of syncmap-lab. They build the lab's core library themselves (it
# needs no peer library and no syncmap header), so they run in every configuration,
# sanitizer builds included, although those leave the lab executable out.
include(${PROJECT_SOURCE_DIR}/lab/core.cmake)

syncmap_add_test(NAME lab_checker_test SOURCES lab_checker_test.cpp LIBS syncmap_lab_core TIMEOUT 120)
syncmap_add_test(NAME lab_broken_maps_test SOURCES lab_broken_maps_test.cpp LIBS syncmap_lab_core TIMEOUT 300)
syncmap_add_test(NAME lab_broken_views_test SOURCES lab_broken_views_test.cpp LIBS syncmap_lab_core TIMEOUT 300)
