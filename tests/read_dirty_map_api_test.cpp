// The shared sync_map API suite (map_api_suite.hpp) over read_dirty_map.
#include <syncmap/read_dirty_map.hpp>

#include <cstdint>
#include <string>

#include "map_api_suite.hpp"

namespace syncmap_test {

using read_dirty_maps = ::testing::Types<syncmap::read_dirty_map<std::uint64_t, std::uint64_t>,
                                         syncmap::read_dirty_map<std::string, std::uint64_t>,
                                         syncmap::read_dirty_map<std::uint64_t, std::string>>;
INSTANTIATE_TYPED_TEST_SUITE_P(ReadDirtyMap, MapApi, read_dirty_maps, map_type_names);

}  // namespace syncmap_test
