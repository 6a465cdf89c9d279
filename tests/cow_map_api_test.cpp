// The shared sync_map API suite (map_api_suite.hpp) over cow_map.
#include <syncmap/cow_map.hpp>

#include <cstdint>
#include <string>

#include "map_api_suite.hpp"

namespace syncmap_test {

// The suite is single-threaded: under ThreadSanitizer it checks only how writers hand
// tables to the RCU reclaimer thread, which one instantiation covers as well as two (and
// every cow_map write copies the table, which is slow under TSan). Other builds run both.
#if defined(__SANITIZE_THREAD__)
using cow_maps = ::testing::Types<syncmap::cow_map<std::uint64_t, std::uint64_t>>;
#else
using cow_maps = ::testing::Types<syncmap::cow_map<std::uint64_t, std::uint64_t>,
                                  syncmap::cow_map<std::string, std::uint64_t>>;
#endif
INSTANTIATE_TYPED_TEST_SUITE_P(CowMap, MapApi, cow_maps, map_type_names);

}  // namespace syncmap_test
