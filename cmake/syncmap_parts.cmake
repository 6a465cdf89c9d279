# Which optional parts of the build (test suite, benchmarks, lab) to configure.
#
# Each SYNCMAP_BUILD_<PART> is AUTO, ON or OFF. AUTO, the default when syncmap is the
# top-level project, builds the part when the Debian packages it needs are installed and
# otherwise leaves it out with a message naming them; ON requires them (configure fails
# without them); OFF skips the part. As a subproject every part defaults to OFF.
#
# syncmap_resolve_part(<option> <what> <missing...>) turns the option into ON or OFF for
# the rest of the configure: it sets a normal variable of the same name, which shadows the
# cache entry, so every `if(SYNCMAP_BUILD_<PART>)` below sees the decision, and AUTO is
# decided again at every configure (installing a package later is enough).
function(syncmap_resolve_part option what)
  set(missing ${ARGN})
  string(TOUPPER "${${option}}" value)
  if(value STREQUAL "AUTO")
    if(missing)
      list(JOIN missing ", " missing_text)
      message(NOTICE "syncmap: ${what} left out (${option}=AUTO): missing ${missing_text}. "
                     "Install them and configure again, or pass -D${option}=OFF to leave it out without this message.")
      set(${option} OFF PARENT_SCOPE)
    else()
      set(${option} ON PARENT_SCOPE)
    endif()
  elseif(${option})
    set(${option} ON PARENT_SCOPE)
  else()
    set(${option} OFF PARENT_SCOPE)
  endif()
endfunction()

# What each part needs, probed quietly; each probe returns the missing Debian packages.
function(syncmap_missing_for_tests out)
  set(missing "")
  find_package(GTest QUIET)
  if(NOT TARGET GTest::gtest OR NOT TARGET GTest::gmock)
    list(APPEND missing "GoogleTest and GoogleMock (libgtest-dev libgmock-dev)")
  endif()
  set(${out} ${missing} PARENT_SCOPE)
endfunction()

function(syncmap_missing_for_bench out)
  set(missing "")
  find_package(benchmark QUIET)
  if(NOT benchmark_FOUND)
    list(APPEND missing "Google Benchmark (libbenchmark-dev)")
  endif()
  find_package(Boost 1.81 QUIET)
  if(NOT Boost_FOUND)
    list(APPEND missing "Boost 1.81 (libboost1.81-dev)")
  endif()
  find_package(libcuckoo QUIET)
  if(NOT libcuckoo_FOUND)
    list(APPEND missing "libcuckoo (libcuckoo-dev)")
  endif()
  find_package(TBB QUIET)
  if(NOT TBB_FOUND)
    list(APPEND missing "oneTBB (libtbb-dev)")
  endif()
  find_package(absl QUIET)
  if(NOT absl_FOUND)
    list(APPEND missing "Abseil (libabsl-dev)")
  endif()
  find_package(PkgConfig QUIET)
  if(NOT PKG_CONFIG_FOUND)
    list(APPEND missing "pkg-config (pkg-config)")
  else()
    pkg_check_modules(SYNCMAP_PROBE_URCU QUIET liburcu-bp liburcu-cds liburcu-memb)
    if(NOT SYNCMAP_PROBE_URCU_FOUND)
      list(APPEND missing "liburcu (liburcu-dev)")
    endif()
  endif()
  set(${out} ${missing} PARENT_SCOPE)
endfunction()
