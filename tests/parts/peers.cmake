# The out-of-process peer protocol: the history parser on well-formed and malformed
# histories, and the child-process runner the lab starts peers and servers with.
include(${PROJECT_SOURCE_DIR}/lab/core.cmake)

syncmap_add_test(NAME peer_protocol_test SOURCES peer_protocol_test.cpp LIBS syncmap_lab_core TIMEOUT 60)
