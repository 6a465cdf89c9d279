// Compiled (never run) by tests/headers/version_matches_project.cmake with the project()
// version of CMakeLists.txt as EXPECTED_*.
#include <syncmap/version.hpp>

static_assert(SYNCMAP_VERSION_MAJOR == EXPECTED_MAJOR, "SYNCMAP_VERSION_MAJOR differs from CMakeLists.txt");
static_assert(SYNCMAP_VERSION_MINOR == EXPECTED_MINOR, "SYNCMAP_VERSION_MINOR differs from CMakeLists.txt");
static_assert(SYNCMAP_VERSION_PATCH == EXPECTED_PATCH, "SYNCMAP_VERSION_PATCH differs from CMakeLists.txt");
static_assert(SYNCMAP_VERSION == EXPECTED_VERSION, "SYNCMAP_VERSION is not MAJOR * 10000 + MINOR * 100 + PATCH");

// The umbrella header must bring the version too.
#include <syncmap/syncmap.hpp>
#if !defined(SYNCMAP_VERSION)
#error "syncmap/syncmap.hpp lost SYNCMAP_VERSION"
#endif

int main() { return 0; }
