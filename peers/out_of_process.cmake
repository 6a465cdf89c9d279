# The out-of-process peers (docs/LAB.md, "Out-of-process peers"): the Go program built
# with Debian's golang-1.19-go, the Java program compiled with javac. Neither touches the
# network: Go builds with the standard library only (GOFLAGS=-mod=vendor, GOPROXY=off),
# with its cache inside the build directory. A toolchain missing here leaves its peers
# listed as "not installed". Included from lab/CMakeLists.txt.
set(_peers_dir ${PROJECT_SOURCE_DIR}/peers)

find_program(SYNCMAP_GO go PATHS /usr/lib/go-1.19/bin NO_DEFAULT_PATH)
if(NOT SYNCMAP_GO)
  find_program(SYNCMAP_GO go)
endif()
if(SYNCMAP_GO)
  set(_go_out ${CMAKE_CURRENT_BINARY_DIR}/peers/syncmap-go-peer)
  file(GLOB _go_sources CONFIGURE_DEPENDS ${_peers_dir}/go/*.go)
  add_custom_command(
    OUTPUT ${_go_out}
    COMMAND ${CMAKE_COMMAND} -E env GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local GO111MODULE=on
            GOCACHE=${CMAKE_CURRENT_BINARY_DIR}/go-cache GOPATH=${CMAKE_CURRENT_BINARY_DIR}/go-path CGO_ENABLED=0
            ${SYNCMAP_GO} build -trimpath -o ${_go_out} .
    WORKING_DIRECTORY ${_peers_dir}/go
    DEPENDS ${_go_sources} ${_peers_dir}/go/go.mod
    COMMENT "Building the Go peers (go build, standard library only)"
    VERBATIM)
  add_custom_target(syncmap-go-peer DEPENDS ${_go_out})
  add_dependencies(syncmap-lab syncmap-go-peer)
  target_compile_definitions(syncmap-lab PRIVATE SYNCMAP_LAB_GO_PEER="${_go_out}")
else()
  message(STATUS "syncmap-lab: no Go toolchain (golang-1.19-go): Go peers reported as not installed")
endif()

find_program(SYNCMAP_JAVAC javac)
find_program(SYNCMAP_JAVA java)
if(SYNCMAP_JAVAC AND SYNCMAP_JAVA)
  set(_java_classes ${CMAKE_CURRENT_BINARY_DIR}/java-classes)
  set(_java_stamp ${_java_classes}/SyncmapJavaPeer.class)
  add_custom_command(
    OUTPUT ${_java_stamp}
    COMMAND ${SYNCMAP_JAVAC} -Xlint:all -Werror -d ${_java_classes} ${_peers_dir}/java/SyncmapJavaPeer.java
    DEPENDS ${_peers_dir}/java/SyncmapJavaPeer.java
    COMMENT "Compiling the Java peers (javac)"
    VERBATIM)
  add_custom_target(syncmap-java-peer DEPENDS ${_java_stamp})
  add_dependencies(syncmap-lab syncmap-java-peer)
  target_compile_definitions(syncmap-lab PRIVATE SYNCMAP_LAB_JAVA="${SYNCMAP_JAVA}"
                                                 SYNCMAP_LAB_JAVA_CLASSES="${_java_classes}")
else()
  message(STATUS "syncmap-lab: no JDK (openjdk-17-jdk-headless): Java peers reported as not installed")
endif()

# One test per peer: a tiny scenario through the lab's own path; its history must parse and
# pass L1 (G1 for the built-in Go map). Skipped, visibly, when the runtime is missing.
if(SYNCMAP_BUILD_TESTS)
  add_executable(peer_smoke_test ${_peers_dir}/peer_smoke_test.cpp ${_peers_dir}/peers.cpp ${_peers_dir}/out_of_process.cpp
                 ${_peers_dir}/etcd_map.cpp ${_peers_dir}/etcd_cluster.cpp ${_peers_dir}/http_json.cpp)
  target_link_libraries(peer_smoke_test PRIVATE syncmap_lab_core)
  get_target_property(_lab_defs syncmap-lab COMPILE_DEFINITIONS)
  foreach(_d IN LISTS _lab_defs)
    if(_d MATCHES "^SYNCMAP_LAB_(GO_PEER|JAVA|JAVA_CLASSES)=")
      target_compile_definitions(peer_smoke_test PRIVATE "${_d}")
    endif()
  endforeach()
  if(SYNCMAP_LAB_HIREDIS_FOUND)
    target_sources(peer_smoke_test PRIVATE ${_peers_dir}/redis_map.cpp ${_peers_dir}/redis_server.cpp)
    target_link_libraries(peer_smoke_test PRIVATE PkgConfig::SYNCMAP_LAB_HIREDIS)
    target_compile_definitions(peer_smoke_test PRIVATE SYNCMAP_LAB_HAVE_HIREDIS=1)
  endif()
  foreach(_dep syncmap-go-peer syncmap-java-peer)
    if(TARGET ${_dep})
      add_dependencies(peer_smoke_test ${_dep})
    endif()
  endforeach()
  foreach(_peer go_sync_map go_map_rwmutex go_builtin_map java_chm java_skiplist redis_scan redis_hscan redis_cluster_scan etcd_range)
    add_test(NAME peer_${_peer} COMMAND peer_smoke_test ${_peer})
    set_tests_properties(peer_${_peer} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120 LABELS "no-sanitizer;lab;peers")
  endforeach()
endif()
