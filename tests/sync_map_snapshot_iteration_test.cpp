// Iterating a snapshot with range-for in every binding form: `auto& [k, v]`,
// `const auto& [k, v]`, `auto&& [k, v]`, `auto [k, v]`, and through std::ranges, on both
// storages; copies of an iterator iterate on their own.
#include <syncmap/sync_map.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <ranges>
#include <string>
#include <type_traits>

#include "map_types.hpp"
#include "sync_map_types.hpp"

namespace syncmap_test {
namespace {

using u64 = std::uint64_t;

template <class Map>
class SnapshotIteration : public ::testing::Test {};
using maps = ::testing::Types<syncmap::sync_map<u64, u64>, u64_nodes_map, syncmap::sync_map<std::string, u64>>;
TYPED_TEST_SUITE(SnapshotIteration, maps, map_type_names);

static_assert(std::forward_iterator<syncmap::sync_map<u64, u64>::snapshot_type::iterator>);
static_assert(std::ranges::forward_range<const syncmap::sync_map<u64, u64>::snapshot_type>);

TYPED_TEST(SnapshotIteration, EveryBindingFormWorks) {
    using K = typename TypeParam::key_type;
    TypeParam m;
    for (u64 i = 0; i < 1000; ++i) m.store(make<K>(i), i);
    const auto snap = m.snapshot();
    u64 sum = 0;
    std::size_t n = 0;
    for (auto& [k, v] : snap) {
        static_assert(std::is_same_v<decltype(k), const K&> || std::is_same_v<std::remove_reference_t<decltype(k)>, const K>);
        ASSERT_EQ(id_of(k), v);
        sum += v;
        ++n;
    }
    EXPECT_EQ(n, 1000u);
    EXPECT_EQ(sum, 999u * 1000 / 2);
    n = 0;
    for (const auto& [k, v] : snap) n += id_of(k) == v;
    EXPECT_EQ(n, 1000u);
    n = 0;
    for (auto&& [k, v] : snap) n += id_of(k) == v;
    EXPECT_EQ(n, 1000u);
    n = 0;
    for (auto [k, v] : snap) n += id_of(k) == v;
    EXPECT_EQ(n, 1000u);
    for (auto it = snap.begin(); it != snap.end(); ++it) ASSERT_EQ(id_of(it->first), it->second);
    EXPECT_EQ(std::ranges::count_if(snap, [](const auto& e) { return e.second % 2 == 0; }), 500);
}

// A copy iterates on its own: advancing one leaves the other, and its reference, where
// they were.
TYPED_TEST(SnapshotIteration, CopiesAreIndependent) {
    using K = typename TypeParam::key_type;
    TypeParam m;
    for (u64 i = 0; i < 300; ++i) m.store(make<K>(i), i);
    const auto snap = m.snapshot();
    auto a = snap.begin();
    std::advance(a, 150);
    auto b = a;
    const auto& [bk, bv] = *b;
    const u64 at = bv;
    std::advance(a, 100);
    EXPECT_EQ(bv, at);
    EXPECT_EQ(id_of(bk), at);
    EXPECT_EQ(std::distance(b, snap.end()), 150);
    EXPECT_EQ(std::distance(a, snap.end()), 50);
    auto c = std::move(a);
    EXPECT_EQ(std::distance(c, snap.end()), 50);
}

}  // namespace
}  // namespace syncmap_test
