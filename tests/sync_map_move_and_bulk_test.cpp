// sync_map's value semantics and bulk members, on both storages: moving a map (the
// moved-from map is empty and usable; snapshots taken before the move stay valid, read
// the contents where they went, and keep their view while the destination changes),
// std::vector<sync_map> growth, a struct holding a map; construction from an
// initializer_list and from an iterator range, insert(first, last), and reserve(n), after
// which inserting n keys splits no leaf.
#include <syncmap/sync_map.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <list>
#include <string>
#include <utility>
#include <vector>

#include "map_types.hpp"
#include "sync_map_types.hpp"

namespace syncmap_test {
namespace {

using u64 = std::uint64_t;

template <class Map>
class MoveAndBulk : public ::testing::Test {};
using maps = ::testing::Types<syncmap::sync_map<u64, u64>, u64_nodes_map, syncmap::sync_map<std::string, u64>>;
TYPED_TEST_SUITE(MoveAndBulk, maps, map_type_names);

template <class Map>
void fill(Map& m, u64 from, u64 to) {
    for (u64 i = from; i < to; ++i) m.store(make<typename Map::key_type>(i), i);
}

template <class Map>
void expect_holds(const Map& m, u64 from, u64 to) {
    EXPECT_EQ(m.size(), to - from);
    for (u64 i = from; i < to; ++i) ASSERT_EQ(m.load(make<typename Map::key_type>(i)), i) << i;
}

TYPED_TEST(MoveAndBulk, MoveConstructionTakesTheContentsAndLeavesAnEmptyUsableMap) {
    using K = typename TypeParam::key_type;
    TypeParam a(42);
    fill(a, 0, 3000);
    const auto splits = a.stats().leaf_splits;
    TypeParam b(std::move(a));
    expect_holds(b, 0, 3000);
    EXPECT_EQ(b.seed(), 42u);
    EXPECT_EQ(b.stats().leaf_splits, splits);
    // The moved-from map: empty, and every member works.
    EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): specified
    EXPECT_FALSE(a.contains(make<K>(1)));
    fill(a, 5000, 6000);
    expect_holds(a, 5000, 6000);
    {
        const auto snap = a.snapshot();
        EXPECT_EQ(snap.size(), 1000u);
    }
    a.clear();
    EXPECT_TRUE(a.empty());
    expect_holds(b, 0, 3000);
}

TYPED_TEST(MoveAndBulk, MoveAssignmentReplacesTheContents) {
    TypeParam a;
    TypeParam b;
    fill(a, 0, 500);
    fill(b, 1000, 1200);
    b = std::move(a);
    expect_holds(b, 0, 500);
    EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move)
    fill(a, 7, 9);
    expect_holds(a, 7, 9);
    b = std::move(b);  // self-move: no change
    expect_holds(b, 0, 500);
}

// Snapshots follow the contents: taken before the move, read after it, through the map
// that holds the contents now; writes to that map still preserve what they saw (S2), and
// the copies made for them go when they do.
TYPED_TEST(MoveAndBulk, SnapshotsTakenBeforeAMoveStayValid) {
    using K = typename TypeParam::key_type;
    TypeParam a;
    fill(a, 0, 2000);
    auto snap = a.snapshot();
    TypeParam b(std::move(a));
    for (u64 i = 0; i < 2000; i += 2) b.store(make<K>(i), i + 1);
    for (u64 i = 1; i < 2000; i += 4) b.erase(make<K>(i));
    fill(b, 5000, 6000);
    TypeParam c;
    c = std::move(b);  // and once more, by assignment
    c.clear();
    EXPECT_EQ(snap.size(), 2000u);
    for (u64 i = 0; i < 2000; ++i) ASSERT_EQ(snap.load(make<K>(i)), i) << i;
    std::size_t seen = 0;
    for (const auto& [k, v] : snap) {
        ASSERT_EQ(id_of(k), v);
        ++seen;
    }
    EXPECT_EQ(seen, 2000u);
    EXPECT_EQ(c.stats().live_snapshots, 1u);
    // The moved-from maps know nothing of it.
    EXPECT_EQ(a.stats().live_snapshots, 0u);  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(b.stats().live_snapshots, 0u);  // NOLINT(bugprone-use-after-move)
    { auto gone = std::move(snap); }
    EXPECT_EQ(c.stats().live_snapshots, 0u);
    EXPECT_EQ(c.stats().versions_retained, 0);
}

TYPED_TEST(MoveAndBulk, AVectorOfMapsGrows) {
    std::vector<TypeParam> maps;
    for (u64 i = 0; i < 40; ++i) {  // several reallocations, each moving every map
        maps.emplace_back();
        fill(maps.back(), i * 100, i * 100 + 50);
    }
    for (u64 i = 0; i < 40; ++i) expect_holds(maps[i], i * 100, i * 100 + 50);
    maps.erase(maps.begin() + 3);  // move assignment down the vector
    expect_holds(maps[3], 400, 450);
}

TYPED_TEST(MoveAndBulk, AStructHoldingAMapMoves) {
    struct holder {
        std::string name;
        TypeParam map;
    };
    holder a{"a", TypeParam()};
    fill(a.map, 0, 100);
    holder b = std::move(a);
    expect_holds(b.map, 0, 100);
    holder c{"c", TypeParam()};
    c = std::move(b);
    expect_holds(c.map, 0, 100);
    EXPECT_TRUE(b.map.empty());  // NOLINT(bugprone-use-after-move)
}

TYPED_TEST(MoveAndBulk, ConstructionFromAListAndARange) {
    using K = typename TypeParam::key_type;
    const TypeParam from_list{{make<K>(1), 10}, {make<K>(2), 20}, {make<K>(1), 11}};
    EXPECT_EQ(from_list.size(), 2u);
    EXPECT_EQ(from_list.load(make<K>(1)), 11u) << "a later duplicate replaces an earlier one";
    EXPECT_EQ(from_list.load(make<K>(2)), 20u);

    std::vector<std::pair<K, u64>> entries;
    for (u64 i = 0; i < 1000; ++i) entries.emplace_back(make<K>(i), i);
    const TypeParam from_range(entries.begin(), entries.end());
    expect_holds(from_range, 0, 1000);
    // A forward range is reserved for: its only splits are those reserve() makes.
    TypeParam reserved;
    reserved.reserve(entries.size());
    EXPECT_EQ(from_range.stats().leaf_splits, reserved.stats().leaf_splits);

    std::list<std::pair<K, u64>> more;  // another iterator category
    for (u64 i = 1000; i < 1100; ++i) more.emplace_back(make<K>(i), i);
    TypeParam m;
    m.insert(entries.begin(), entries.end());
    m.insert(more.begin(), more.end());
    m.insert({{make<K>(2000), 2000}});
    EXPECT_EQ(m.size(), 1101u);
    EXPECT_EQ(m.load(make<K>(1050)), 1050u);
}

// reserve(n) makes all the room up front: inserting n keys afterwards splits nothing.
TYPED_TEST(MoveAndBulk, InsertingWhatWasReservedSplitsNoLeaf) {
    for (const u64 n : {u64{100}, u64{5000}, u64{50000}}) {
        TypeParam m;
        m.reserve(n);
        const syncmap::map_stats before = m.stats();
        EXPECT_GT(m.debug_structure().leaves, n / 120) << n;
        fill(m, 0, n);
        const syncmap::map_stats after = m.stats();
        EXPECT_EQ(after.leaf_splits, before.leaf_splits) << n;
        EXPECT_EQ(after.directory_growths, before.directory_growths) << n;
        EXPECT_EQ(after.leaf_rebuilds, before.leaf_rebuilds) << n;
        expect_holds(m, 0, n);
        m.reserve(n / 2);  // never shrinks, and changes nothing when there is room
        EXPECT_EQ(m.stats().leaf_splits, after.leaf_splits);
    }
    // Without reserve the same insertions do split (so the check above can fail).
    TypeParam m;
    fill(m, 0, 5000);
    EXPECT_GT(m.stats().leaf_splits, 0u);
}

// reserve on a map with entries and a live snapshot: an ordinary split, so the snapshot
// keeps its view.
TYPED_TEST(MoveAndBulk, ReserveKeepsContentsAndSnapshots) {
    using K = typename TypeParam::key_type;
    TypeParam m;
    fill(m, 0, 300);
    const auto snap = m.snapshot();
    m.reserve(20000);
    m.store(make<K>(0), 77);
    expect_holds(snap, 0, 300);
    EXPECT_EQ(m.size(), 300u);
    EXPECT_EQ(m.load(make<K>(0)), 77u);
}

}  // namespace
}  // namespace syncmap_test
