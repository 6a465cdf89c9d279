// Transparent string keys by default, in every container: a map keyed by std::string with
// the default hash and equality takes std::string_view and const char* in every member
// that takes a key; lookups (and writes that change nothing) never build a std::string,
// checked by counting the calling thread's allocations; writes build one only for an
// entry they store.
//
// This binary replaces the global operator new to count allocations, so it stays a
// separate executable.
#include "counting_global_new.hpp"

#include <cstddef>
#include <cstdint>

#include <syncmap/cow_map.hpp>
#include <syncmap/go_map.hpp>
#include <syncmap/read_dirty_map.hpp>
#include <syncmap/sync_map.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>

namespace {

template <class F>
std::size_t allocations_of(F&& f) {
    const std::size_t before = allocations;
    f();
    return allocations - before;
}

// Longer than any small-string buffer: building a std::string from it allocates, so a
// lookup that built one would be counted.
const std::string long_key(64, 'k');
const std::string other_key(64, 'o');

// The defaults are transparent for string keys, and only there.
static_assert(syncmap::detail::transparent<syncmap::hash<std::string>>);
static_assert(syncmap::detail::transparent<syncmap::equal_to<std::string>>);
static_assert(!syncmap::detail::transparent<syncmap::equal_to<std::uint64_t>>);
template <class Map, class Q>
concept loadable_with = requires(const Map& m, const Q& q) { m.load(q); };
static_assert(loadable_with<syncmap::sync_map<std::string, int>, std::string_view>);
static_assert(loadable_with<syncmap::cow_map<std::string, int>, std::string_view>);
static_assert(loadable_with<syncmap::read_dirty_map<std::string, int>, std::string_view>);
// A user's non-transparent equality keeps the K-only overloads.
static_assert(!loadable_with<syncmap::sync_map<std::string, int, syncmap::hash<std::string>, std::equal_to<std::string>>,
                             std::string_view>);
// A key type the hash cannot take is not offered as heterogeneous.
static_assert(!loadable_with<syncmap::sync_map<std::string, int>, int>);

// The Go-style API shared by sync_map, read_dirty_map and cow_map.
template <class Map>
class StringKeys : public ::testing::Test {};
using go_style_maps = ::testing::Types<syncmap::sync_map<std::string, int>, syncmap::read_dirty_map<std::string, int>,
                                       syncmap::cow_map<std::string, int>>;
struct go_style_names {
    template <class Map>
    static std::string GetName(int i) {
        return i == 0 ? "sync_map" : i == 1 ? "read_dirty_map" : "cow_map";
    }
};
TYPED_TEST_SUITE(StringKeys, go_style_maps, go_style_names);

TYPED_TEST(StringKeys, EveryMemberTakesAStringViewAndACString) {
    TypeParam m;
    const std::string_view k = long_key;
    m.store(k, 1);
    m.store("short", 2);
    EXPECT_EQ(m.load(long_key), 1);  // stored through a view, found through the key type
    EXPECT_EQ(m.load(k), 1);
    EXPECT_EQ(m.load("short"), 2);
    EXPECT_TRUE(m.contains(k));
    int seen = 0;
    EXPECT_TRUE(m.visit(k, [&](const int& v) { seen = v; }));
    EXPECT_EQ(seen, 1);
    EXPECT_EQ(m.exchange(k, 3), std::optional<int>(1));
    EXPECT_EQ(m.load_or_store(k, 9), std::make_pair(3, true));
    EXPECT_EQ(m.load_or_store(std::string_view(other_key), 4), std::make_pair(4, false));
    EXPECT_TRUE(m.compare_and_swap(k, 3, 5));
    EXPECT_FALSE(m.compare_and_delete(k, 3));
    EXPECT_TRUE(m.compare_and_delete(k, 5));
    EXPECT_EQ(m.load_and_delete(std::string_view(other_key)), std::optional<int>(4));
    EXPECT_TRUE(m.erase("short"));
    EXPECT_EQ(m.size(), 0u);
    // A view into a longer buffer: only the viewed characters count.
    m.store(std::string_view("alphabet").substr(0, 5), 6);
    EXPECT_EQ(m.load("alpha"), 6);
    EXPECT_FALSE(m.contains("alphabet"));
}

TYPED_TEST(StringKeys, LookupsAndWritesThatChangeNothingBuildNoString) {
    TypeParam m;
    m.store(long_key, 1);
    const std::string_view k = long_key;
    const std::string_view absent = other_key;
    (void)m.load(k);  // first use on this thread: whatever per-thread set-up there is
    EXPECT_EQ(allocations_of([&] {
                  EXPECT_EQ(m.load(k), 1);
                  EXPECT_EQ(m.load(absent), std::nullopt);
                  EXPECT_TRUE(m.contains(k));
                  EXPECT_FALSE(m.contains(absent));
                  EXPECT_TRUE(m.visit(k, [](const int&) {}));
                  EXPECT_EQ(m.load(long_key.c_str()), 1);
                  EXPECT_FALSE(m.erase(absent));
                  EXPECT_EQ(m.load_and_delete(absent), std::nullopt);
                  EXPECT_FALSE(m.compare_and_swap(absent, 1, 2));
                  EXPECT_FALSE(m.compare_and_swap(k, 7, 2));
                  EXPECT_FALSE(m.compare_and_delete(k, 7));
                  EXPECT_EQ(m.load_or_store(k, 2), std::make_pair(1, true));
              }),
              0u);
}

// sync_map's own members, and its snapshots.
TEST(SyncMapStringKeys, ReadModifyWriteAndSnapshotsTakeViews) {
    syncmap::sync_map<std::string, int> m;
    const std::string_view k = long_key;
    EXPECT_TRUE(m.try_emplace(k, 1));
    EXPECT_FALSE(m.try_emplace(k, 2));
    EXPECT_EQ(m.compute(k, [](const int* c) -> std::optional<int> { return *c + 1; }), 2);
    EXPECT_EQ(m.load_or_compute("fresh", [] { return 7; }), std::make_pair(7, true));
    EXPECT_TRUE(m.erase_if("fresh", [](int v) { return v == 7; }));
    const auto snap = m.snapshot();
    (void)snap.load(k);
    EXPECT_EQ(allocations_of([&] {
                  EXPECT_EQ(snap.load(k), 2);
                  EXPECT_TRUE(snap.contains(k));
                  EXPECT_FALSE(snap.contains(std::string_view(other_key)));
                  EXPECT_TRUE(snap.visit(k, [](const int&) {}));
                  EXPECT_FALSE(m.try_emplace(k, 3));
                  EXPECT_EQ(m.load_or_compute(k, [] { return 9; }), std::make_pair(2, false));
                  EXPECT_FALSE(m.erase_if(std::string_view(other_key), [](int) { return true; }));
                  EXPECT_FALSE(m.erase_if(k, [](int) { return false; }));
              }),
              0u);
    // compute through a view that leaves an absent key absent builds no std::string.
    // (Fewest of several calls: reserving room to retire a node occasionally allocates a
    // retire batch.)
    std::size_t least = ~std::size_t{0};
    for (int i = 0; i < 8; ++i) {
        least = std::min(least, allocations_of([&] {
                             m.compute(std::string_view(other_key), [](const int*) -> std::optional<int> { return std::nullopt; });
                         }));
    }
    EXPECT_EQ(least, 0u);
}

// An insertion builds exactly the one std::string it stores.
TEST(SyncMapStringKeys, AnInsertionBuildsTheKeyOnce) {
    syncmap::sync_map<std::string, int> m;
    m.store("warm", 0);  // per-thread set-up, leaf created
    const std::string_view k = long_key;
    const std::size_t insert = allocations_of([&] { m.store(k, 1); });
    // The node and the key's buffer (the leaf has room: no split).
    EXPECT_EQ(insert, 2u);
}

TEST(GoMapStringKeys, EveryMemberTakesAStringViewAndLookupsBuildNoString) {
    syncmap::go_map<std::string, int> m;
    const std::string_view k = long_key;
    m[k] = 1;
    EXPECT_EQ(m.try_emplace(std::string_view(other_key), 2).second, true);
    EXPECT_EQ(m.try_emplace(k, 5).second, false);
    EXPECT_EQ(m.insert_or_assign("short", 3).second, true);
    EXPECT_EQ(m.insert_or_assign(k, 4).second, false);
    EXPECT_EQ(m.at(k), 4);
    EXPECT_EQ(m.size(), 3u);
    (void)m.find(k);
    EXPECT_EQ(allocations_of([&] {
                  EXPECT_EQ(m.find(k)->second, 4);
                  EXPECT_TRUE(m.contains(k));
                  EXPECT_EQ(m.count("short"), 1u);
                  EXPECT_EQ(m.at("short"), 3);
                  EXPECT_EQ(m.erase(std::string_view("absent")), 0u);
                  m[k] = 6;  // present: assigns, builds no key
                  EXPECT_FALSE(m.try_emplace(k, 7).second);
              }),
              0u);
    EXPECT_EQ(m.at(long_key), 6);
    EXPECT_EQ(m.erase(k), 1u);
}

}  // namespace
