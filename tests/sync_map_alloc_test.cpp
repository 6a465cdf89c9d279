// sync_map: what allocates and what does not.
//
// - clear() on a map that is already empty allocates nothing (and so cannot throw), with
//   or without a live snapshot; on a non-empty map it allocates its fresh tree.
// - With inline entries (storage::inline_entries, chosen for uint64 -> uint64), reads never
//   allocate, and neither do store, exchange, load_or_store, erase into a leaf with room
//   while no snapshot is alive: an entry is a slot, not a node. With node storage forced,
//   the same store allocates its node.
// - While a snapshot is alive, the first write to a leaf allocates the leaf's preserved
//   copy, and later writes to that leaf allocate nothing more.
//
// This binary replaces the global operator new to count the calling thread's allocations,
// so it stays a separate executable.
#include "counting_global_new.hpp"

#include <cstddef>
#include <cstdint>

#include <syncmap/sync_map.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

using inline_map = syncmap::sync_map<std::uint64_t, std::uint64_t>;
using node_map = syncmap::sync_map<std::uint64_t, std::uint64_t, syncmap::hash<std::uint64_t>,
                                   std::equal_to<std::uint64_t>, syncmap::storage::nodes>;
static_assert(inline_map::inline_storage);
static_assert(!node_map::inline_storage);

// Allocations made by `f` on this thread.
template <class F>
std::size_t allocations_of(F&& f) {
    const std::size_t before = allocations;
    f();
    return allocations - before;
}

// Warms this thread's reclamation state (its first retire batch) outside the counts.
template <class Map>
void warm_up(Map& m) {
    m.store(~std::uint64_t{0}, 1);
    m.erase(~std::uint64_t{0});
    m.load(1);
}

TEST(SyncMapAllocations, ClearOfAnEmptyMapAllocatesNothing) {
    inline_map m(1);
    warm_up(m);
    EXPECT_EQ(allocations_of([&] { m.clear(); }), 0u) << "a fresh (empty) map";
    for (std::uint64_t k = 0; k < 1000; ++k) m.store(k, k);
    for (std::uint64_t k = 0; k < 1000; ++k) m.erase(k);
    ASSERT_TRUE(m.empty());
    EXPECT_EQ(allocations_of([&] { m.clear(); }), 0u) << "a map emptied by erase";
    {
        const auto s = m.snapshot();
        EXPECT_EQ(allocations_of([&] { m.clear(); }), 0u) << "an empty map with a snapshot alive";
    }
    EXPECT_EQ(m.stats().clears, 3u);
    m.store(1, 1);
    EXPECT_GT(allocations_of([&] { m.clear(); }), 0u) << "a non-empty map gets a fresh tree";
    EXPECT_TRUE(m.empty());
}

TEST(SyncMapAllocations, InlineEntriesAllocateNothingPerOperation) {
    inline_map m(2);
    warm_up(m);
    for (std::uint64_t k = 0; k < 50; ++k) m.store(k, k);  // one leaf, with room
    ASSERT_EQ(m.debug_structure().leaves, 1u);
    EXPECT_EQ(allocations_of([&] {
                  for (std::uint64_t k = 0; k < 50; ++k) {
                      EXPECT_EQ(m.load(k), k);
                      EXPECT_TRUE(m.contains(k));
                  }
                  EXPECT_FALSE(m.load(1000).has_value());
              }),
              0u);
    EXPECT_EQ(allocations_of([&] {
                  m.store(100, 1);                    // insert
                  m.store(100, 2);                    // overwrite
                  EXPECT_EQ(m.exchange(100, 3), 2u);  // replace
                  EXPECT_EQ(m.load_or_store(101, 4), std::make_pair(std::uint64_t{4}, false));
                  EXPECT_TRUE(m.compare_and_swap(101, 4, 5));
                  EXPECT_TRUE(m.erase(100));
                  EXPECT_EQ(m.load_and_delete(101), 5u);
              }),
              0u);
}

TEST(SyncMapAllocations, NodeStorageAllocatesItsNode) {
    node_map m(3);
    warm_up(m);
    for (std::uint64_t k = 0; k < 50; ++k) m.store(k, k);
    EXPECT_EQ(allocations_of([&] { EXPECT_EQ(m.load(7), 7u); }), 0u);
    EXPECT_EQ(allocations_of([&] { m.store(100, 1); }), 1u) << "one node per store";
    EXPECT_EQ(allocations_of([&] { m.store(100, 2); }), 1u) << "an overwrite replaces the node";
}

TEST(SyncMapAllocations, ASnapshotCostsOneCopyPerLeafWrittenSinceIt) {
    inline_map m(4);
    warm_up(m);
    for (std::uint64_t k = 0; k < 50; ++k) m.store(k, k);
    ASSERT_EQ(m.debug_structure().leaves, 1u);
    const std::size_t taking = allocations_of([&] {
        const auto s = m.snapshot();
        EXPECT_EQ(m.stats().versions_retained, 0) << "creating a snapshot copies nothing";
        EXPECT_EQ(allocations_of([&] { m.store(1, 100); }), 1u) << "the first write copies the leaf";
        EXPECT_EQ(m.stats().versions_retained, 50);
        EXPECT_EQ(allocations_of([&] {
                      for (std::uint64_t k = 0; k < 50; ++k) m.store(k, k + 1);
                      m.erase(3);
                  }),
                  0u)
            << "later writes to the same leaf copy nothing more";
        EXPECT_EQ(s.load(1), 1u);
        EXPECT_EQ(s.load(3), 3u);
    });
    (void)taking;
    EXPECT_EQ(m.stats().versions_retained, 0) << "the copy goes with the snapshot";
    EXPECT_EQ(allocations_of([&] { m.store(1, 7); }), 0u) << "no snapshot: no copy";
}

}  // namespace
