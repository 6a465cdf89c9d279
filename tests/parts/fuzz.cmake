# libFuzzer targets: every tests/fuzz/*_fuzz.cpp, built with clang++ (-fsanitize=fuzzer,
# address,undefined) in a nested CMake project, since the main build may use g++.
# CTest fixtures: fuzz_configure configures the nested project once; fuzz_build_<target>
# builds one target (so a target that fails to build fails only its own test); <target>
# then runs a short, bounded campaign. The targets carry their own sanitizers, so they are
# labelled no-sanitizer and never registered in a sanitizer build.
if(SYNCMAP_FUZZ AND SYNCMAP_SANITIZE STREQUAL "")
  find_program(SYNCMAP_FUZZ_CXX NAMES clang++-14 clang++ DOC "clang++ with libFuzzer (Debian: clang, libclang-rt-14-dev)")
  if(NOT SYNCMAP_FUZZ_CXX)
    message(FATAL_ERROR "SYNCMAP_FUZZ needs clang++ and libFuzzer: apt-get install clang libclang-rt-14-dev "
                        "(scripts/bootstrap fuzz), or configure with -DSYNCMAP_FUZZ=OFF")
  endif()
  # A bounded campaign per target: at most SYNCMAP_FUZZ_RUNS inputs and
  # SYNCMAP_FUZZ_SECONDS seconds, from the committed seed corpus (if any) into a scratch
  # corpus that fuzz_configure empties every run. With a fixed libFuzzer seed, `make test`
  # runs the same campaign every time; run the binaries by hand for longer campaigns.
  set(SYNCMAP_FUZZ_RUNS 20000 CACHE STRING "Inputs per fuzz target in the CTest run")
  set(SYNCMAP_FUZZ_SECONDS 30 CACHE STRING "Upper bound in seconds per fuzz target in the CTest run")

  set(syncmap_fuzz_dir ${CMAKE_CURRENT_BINARY_DIR}/fuzz)
  add_test(NAME fuzz_configure
    COMMAND ${CMAKE_COMMAND}
      -DFUZZ_SOURCE_DIR=${CMAKE_CURRENT_SOURCE_DIR}/fuzz
      -DFUZZ_BINARY_DIR=${syncmap_fuzz_dir}
      -DSYNCMAP_SOURCE_DIR=${PROJECT_SOURCE_DIR}
      -DFUZZ_CXX_COMPILER=${SYNCMAP_FUZZ_CXX}
      -DFUZZ_GENERATOR=${CMAKE_GENERATOR}
      -P ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/configure_fuzzers.cmake)
  set_tests_properties(fuzz_configure PROPERTIES FIXTURES_SETUP syncmap_fuzz_configured
    RESOURCE_LOCK syncmap_fuzz_build_dir LABELS "no-sanitizer;fuzz" TIMEOUT 300)

  file(GLOB syncmap_fuzz_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/*_fuzz.cpp)
  foreach(source IN LISTS syncmap_fuzz_sources)
    get_filename_component(target ${source} NAME_WE)
    add_test(NAME fuzz_build_${target} COMMAND ${CMAKE_COMMAND} --build ${syncmap_fuzz_dir} --target ${target})
    set_tests_properties(fuzz_build_${target} PROPERTIES
      FIXTURES_REQUIRED syncmap_fuzz_configured FIXTURES_SETUP syncmap_fuzz_${target}
      RESOURCE_LOCK syncmap_fuzz_build_dir LABELS "no-sanitizer;fuzz" TIMEOUT 900)

    set(seeds ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${target})
    set(seed_arg "")
    if(IS_DIRECTORY ${seeds})
      set(seed_arg ${seeds})
    endif()
    add_test(NAME ${target}
      COMMAND ${syncmap_fuzz_dir}/${target} ${syncmap_fuzz_dir}/corpus/${target} ${seed_arg}
        -runs=${SYNCMAP_FUZZ_RUNS} -max_total_time=${SYNCMAP_FUZZ_SECONDS} -seed=1
        -max_len=4096 -artifact_prefix=${syncmap_fuzz_dir}/${target}- -print_final_stats=1)
    set_tests_properties(${target} PROPERTIES FIXTURES_REQUIRED "syncmap_fuzz_configured;syncmap_fuzz_${target}"
      LABELS "no-sanitizer;fuzz" TIMEOUT 300)
  endforeach()
endif()
