// syncmap/version.hpp - the library's version, for code that must test it at compile time:
//   #if SYNCMAP_VERSION >= 100  // 0.1.0 or later
// The numbers are the project() version of CMakeLists.txt, which also versions the CMake
// package (syncmapConfigVersion.cmake) and syncmap.pc; the version_header_matches_project
// test keeps them equal.
#pragma once

#include "detail/config.hpp"

#define SYNCMAP_VERSION_MAJOR 0
#define SYNCMAP_VERSION_MINOR 1
#define SYNCMAP_VERSION_PATCH 0
// One integer that orders versions: MAJOR * 10000 + MINOR * 100 + PATCH.
#define SYNCMAP_VERSION (SYNCMAP_VERSION_MAJOR * 10000 + SYNCMAP_VERSION_MINOR * 100 + SYNCMAP_VERSION_PATCH)
