// go_map built with SYNCMAP_GO_MAP_CHECKS=0: the switch selects the unchecked map, which
// behaves the same in correct use. (This translation unit defines the macro itself.)
#define SYNCMAP_GO_MAP_CHECKS 0
#include <syncmap/go_map.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <type_traits>

namespace {

using map_type = syncmap::go_map<std::uint64_t, std::uint64_t>;
static_assert(!map_type::checks_enabled);
static_assert(std::is_same_v<map_type, syncmap::basic_go_map<std::uint64_t, std::uint64_t,
                                                             syncmap::hash<std::uint64_t>,
                                                             std::equal_to<std::uint64_t>, false>>);
static_assert(sizeof(map_type) <= sizeof(syncmap::basic_go_map<std::uint64_t, std::uint64_t,
                                                               syncmap::hash<std::uint64_t>,
                                                               std::equal_to<std::uint64_t>, true>));

TEST(GoMapUnchecked, SameBehaviourInCorrectUse) {
    map_type m;
    for (std::uint64_t i = 0; i < 10000; ++i) {
        m[i] = i;
    }
    std::uint64_t sum = 0;
    for (auto it = m.begin(); it != m.end();) {
        sum += it->second;
        it = it->first % 2 ? m.erase(it) : std::next(it);
    }
    EXPECT_EQ(sum, 9999u * 10000u / 2);
    EXPECT_EQ(m.size(), 5000u);
}

}  // namespace
