// What sync_map tells about itself and about one traversal (stats.hpp).
//   - traversal_stats: entries_yielded equals the callbacks made; leaves_visited counts the
//     leaves read (all of them for a whole pass on a quiet map, at least one always);
//     structural_changes is 0 on a quiet map and counts exactly the splits, rebuilds,
//     directory doublings and clears that happened during the traversal (here caused from
//     its own callback); the end-of-traversal figures (live snapshots, versions retained,
//     retired bytes pending) match the map's. For range(f, stats), range(f, stop, &stats),
//     scan(..., &stats) and a snapshot's scan.
//   - map_stats: leaf_splits, directory_growths, clears, live_snapshots, versions_retained
//     and retired_bytes_pending against what the structure and the operations say they
//     must be: versions_retained counts the entries of the leaves copied for snapshots (a
//     leaf is copied whole, once, at its first write while a snapshot reads it live);
//     retired_bytes_pending after clear() is exactly the tree's leaves, directory and, for
//     node storage, nodes.
// Every test runs on both storages: uint64 inline (storage::automatic) and in nodes.
#include <syncmap/sync_map.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <vector>

#include "map_types.hpp"
#include "sync_map_shape.hpp"

namespace {

using inline_map = syncmap::sync_map<std::uint64_t, std::uint64_t>;
using nodes_map = syncmap::sync_map<std::uint64_t, std::uint64_t, syncmap::hash<std::uint64_t>,
                                    std::equal_to<std::uint64_t>, syncmap::storage::nodes>;
static_assert(inline_map::inline_storage && !nodes_map::inline_storage);
using both_storages = ::testing::Types<inline_map, nodes_map>;

template <class Map>
class TraversalStats : public ::testing::Test {};
TYPED_TEST_SUITE(TraversalStats, both_storages, syncmap_test::map_type_names);
template <class Map>
class MapStats : public ::testing::Test {};
TYPED_TEST_SUITE(MapStats, both_storages, syncmap_test::map_type_names);

std::uint64_t structural(const syncmap::map_stats& s) {
    return s.leaf_splits + s.leaf_rebuilds + s.directory_growths + s.clears;
}

TYPED_TEST(TraversalStats, QuietMapWholeRange) {
    using map_type = TypeParam;
    for (std::uint64_t n : {0u, 1u, 500u, 20000u}) {
        SCOPED_TRACE("n = " + std::to_string(n));
        map_type m;
        for (std::uint64_t k = 0; k < n; ++k) m.store(k, k);
        const auto shape = m.debug_structure();
        syncmap::traversal_stats st;
        std::uint64_t calls = 0;
        m.range([&](std::uint64_t, std::uint64_t) { ++calls; }, st);
        EXPECT_EQ(calls, n);
        EXPECT_EQ(st.entries_yielded, calls);
        EXPECT_EQ(st.leaves_visited, shape.leaves);
        EXPECT_GE(st.leaves_visited, 1u);
        EXPECT_EQ(st.structural_changes, 0u);
        EXPECT_EQ(st.live_snapshots, 0u);
        EXPECT_EQ(st.versions_retained, 0);
        // The cancellable form reports the same.
        syncmap::traversal_stats st2;
        calls = 0;
        const syncmap::cursor c = m.range([&](std::uint64_t, std::uint64_t) { ++calls; }, std::stop_token{}, &st2);
        EXPECT_TRUE(c.done());
        EXPECT_EQ(st2.entries_yielded, n);
        EXPECT_EQ(st2.leaves_visited, shape.leaves);
        EXPECT_EQ(st2.structural_changes, 0u);
    }
}

TYPED_TEST(TraversalStats, EachScanCallReportsItsOwnWork) {
    using map_type = TypeParam;
    map_type m;
    constexpr std::uint64_t n = 10000;
    for (std::uint64_t k = 0; k < n; ++k) m.store(k, k);
    const auto shape = m.debug_structure();
    std::uint64_t total_yielded = 0, total_leaves = 0, calls_total = 0;
    syncmap::cursor c;
    while (!c.done()) {
        syncmap::traversal_stats st;
        st.structural_changes = 12345;  // overwritten by the call
        std::uint64_t calls = 0;
        c = m.scan(c, 333, [&](std::uint64_t, std::uint64_t) { ++calls; }, &st);
        EXPECT_EQ(st.entries_yielded, calls);
        EXPECT_GE(st.leaves_visited, 1u);
        EXPECT_EQ(st.structural_changes, 0u);
        total_yielded += st.entries_yielded;
        total_leaves += st.leaves_visited;
        calls_total += calls;
    }
    EXPECT_EQ(total_yielded, n);
    EXPECT_EQ(calls_total, n);
    // A leaf cut by a chunk boundary is read by both calls, no leaf by more than that.
    EXPECT_GE(total_leaves, shape.leaves);
    EXPECT_LE(total_leaves, shape.leaves + n / 333 + 1);
}

TYPED_TEST(TraversalStats, StructuralChangesCountWhatHappenedDuringTheTraversal) {
    using map_type = TypeParam;
    map_type m;
    for (std::uint64_t k = 0; k < 1000; ++k) m.store(k, k);
    // Inserting from the callback splits leaves (and doubles the directory) mid-traversal.
    // (Bounded: inserted keys ahead of the position may be offered and insert more.)
    const auto before = m.stats();
    syncmap::traversal_stats st;
    std::uint64_t fresh = 1'000'000, calls = 0;
    m.range(
        [&](std::uint64_t, std::uint64_t) {
            ++calls;
            for (int i = 0; i < 10 && fresh < 1'010'000; ++i) m.store(fresh++, 0);
        },
        st);
    const auto after = m.stats();
    EXPECT_GT(st.structural_changes, 0u);
    EXPECT_EQ(st.structural_changes, structural(after) - structural(before));
    EXPECT_GT(after.leaf_splits, before.leaf_splits);
    EXPECT_GT(after.directory_growths, before.directory_growths);
    EXPECT_EQ(st.entries_yielded, calls);
    EXPECT_GE(calls, 1000u);  // every key present throughout, plus some inserted ones
    // A clear from the callback of a scan chunk counts too.
    syncmap::traversal_stats st2;
    bool cleared = false;
    m.scan({}, 1'000'000, [&](std::uint64_t, std::uint64_t) {
        if (!cleared) {
            cleared = true;
            m.clear();
        }
    }, &st2);
    EXPECT_EQ(st2.structural_changes, 1u);
    // A snapshot's traversal reports the map's restructuring while it ran.
    for (std::uint64_t k = 0; k < 1000; ++k) m.store(k, k);
    const auto leaves_at_snapshot = m.debug_structure().leaves;
    std::optional<typename map_type::snapshot_type> s(m.snapshot());
    EXPECT_EQ(m.stats().versions_retained, 0) << "creating a snapshot copies nothing";
    syncmap::traversal_stats st3;
    std::uint64_t snap_calls = 0;
    const syncmap::cursor c = s->scan({}, 100000, [&](std::uint64_t, std::uint64_t) {
        ++snap_calls;
        for (int i = 0; i < 10; ++i) m.store(fresh++, 0);
    }, &st3);
    EXPECT_TRUE(c.done());
    EXPECT_EQ(snap_calls, 1000u);
    EXPECT_EQ(st3.entries_yielded, 1000u);
    EXPECT_GT(st3.structural_changes, 0u);
    EXPECT_EQ(st3.live_snapshots, 1u);
    // An insert changes its leaf too: the first write to each leaf the snapshot reads live
    // copies it whole, once; later writes, and the splits they cause (the halves inherit
    // the copy), copy nothing more. The 10,000 inserts reach every one of the snapshot's
    // leaves, so the copies hold exactly its 1000 entries.
    EXPECT_GT(leaves_at_snapshot, 1u);
    EXPECT_EQ(st3.versions_retained, 1000);
    EXPECT_EQ(m.stats().versions_retained, 1000);
    s.reset();
    EXPECT_EQ(m.stats().versions_retained, 0) << "the last snapshot's copies go with it";
}

TYPED_TEST(TraversalStats, EndOfTraversalFiguresMatchTheMap) {
    using map_type = TypeParam;
    map_type m;
    for (std::uint64_t k = 0; k < 3000; ++k) m.store(k, k);
    std::optional<typename map_type::snapshot_type> a(m.snapshot()), b(m.snapshot());
    for (std::uint64_t k = 0; k < 3000; k += 3) m.store(k, 0);
    for (std::uint64_t k = 1; k < 3000; k += 3) m.erase(k);
    syncmap::traversal_stats st;
    m.range([](std::uint64_t, std::uint64_t) {}, st);
    const auto ms = m.stats();
    EXPECT_EQ(st.live_snapshots, 2u);
    EXPECT_EQ(ms.live_snapshots, 2u);
    EXPECT_EQ(st.versions_retained, ms.versions_retained);
    // The 2000 writes reach every leaf: each is copied once, whole, when first written, and
    // both snapshots (no write between them) share that copy: the 3000 entries they see.
    EXPECT_EQ(ms.versions_retained, 3000);
    EXPECT_EQ(st.entries_yielded, 2000u);
    a.reset();
    EXPECT_EQ(m.stats().live_snapshots, 1u);
    EXPECT_EQ(m.stats().versions_retained, 3000) << "b still reads every copy";
    b.reset();
    EXPECT_EQ(m.stats().live_snapshots, 0u);
    EXPECT_EQ(m.stats().versions_retained, 0);
}

TYPED_TEST(MapStats, CountersFollowTheStructure) {
    using map_type = TypeParam;
    map_type m;
    EXPECT_EQ(m.stats().leaf_splits, 0u);
    EXPECT_EQ(m.stats().directory_growths, 0u);
    EXPECT_EQ(m.stats().clears, 0u);
    std::uint64_t clears = 0;
    for (std::uint64_t round = 0; round < 3; ++round) {
        const auto start = m.stats();
        for (std::uint64_t k = 0; k < 20000 + round * 10000; ++k) m.store(k, k);
        const auto shape = m.debug_structure();
        const auto st = m.stats();
        // From one leaf and a one-entry directory: each split adds a leaf, each growth a level.
        EXPECT_EQ(st.leaf_splits - start.leaf_splits, shape.leaves - 1);
        EXPECT_EQ(st.directory_growths - start.directory_growths, shape.global_depth);
        EXPECT_EQ(st.leaf_rebuilds, start.leaf_rebuilds) << "inserts alone rebuild nothing";
        m.clear();
        ++clears;
        EXPECT_EQ(m.stats().clears, clears);
        EXPECT_EQ(m.debug_structure().leaves, 1u);
        EXPECT_EQ(m.debug_structure().global_depth, 0u);
        EXPECT_EQ(m.stats().leaf_splits, st.leaf_splits) << "counters count since construction";
    }
    // Erasing and re-inserting many keys fills inline leaves with deleted slots (never
    // reused before a rebuild): rebuilds. Node slots are reused by later inserts, so node
    // storage may never need one (it depends on the seed).
    for (std::uint64_t k = 0; k < 100; ++k) m.store(k, k);
    for (int round = 0; round < 50; ++round) {
        for (std::uint64_t k = 0; k < 100; ++k) m.erase(k);
        for (std::uint64_t k = 0; k < 100; ++k) m.store(k + (round + 1) * 100, k);
        for (std::uint64_t k = 0; k < 100; ++k) m.erase(k + (round + 1) * 100);
        for (std::uint64_t k = 0; k < 100; ++k) m.store(k, k);
    }
    if constexpr (map_type::inline_storage) {
        EXPECT_GT(m.stats().leaf_rebuilds, 0u);
    }
    EXPECT_EQ(m.size(), 100u);
}

// Inline storage never reuses an erased slot before its leaf is rebuilt (a reader that
// matched the key must never find another key there): each erase-then-insert of a new key
// takes a fresh slot. One leaf with 50 keys: step t inserts with 50 + t - 1 slots used, so
// the step that finds all `limit` usable slots used (t = limit - 49) rebuilds the leaf (49
// live entries: few enough to rebuild rather than split), which drops the deleted slots and
// starts the same cycle again. Node storage may put a new key into a deleted slot, so it
// rebuilds at most as often.
TYPED_TEST(MapStats, ErasedSlotsAreReclaimedOnlyByRebuilds) {
    using map_type = TypeParam;
    map_type m(3);
    for (std::uint64_t k = 0; k < 50; ++k) m.store(k, k);
    ASSERT_EQ(m.debug_structure().leaves, 1u);
    const std::uint64_t groups = m.debug_structure().slots / syncmap::detail::group_width;
    const std::uint64_t limit = syncmap_test::leaf_of<map_type>::max_used_for(static_cast<std::uint32_t>(groups));
    ASSERT_GT(limit, 100u);
    const std::uint64_t period = limit - 49;
    std::vector<std::uint64_t> rebuilt_at;
    for (std::uint64_t step = 1; step <= 3 * period; ++step) {
        const auto before = m.stats().leaf_rebuilds;
        // The oldest key goes: 0 .. 49, then 1001, 1002, ...
        ASSERT_TRUE(m.erase(step <= 50 ? step - 1 : 1000 + step - 50));
        m.store(1000 + step, step);
        if (m.stats().leaf_rebuilds != before) rebuilt_at.push_back(step);
    }
    EXPECT_EQ(m.debug_structure().leaves, 1u);
    EXPECT_EQ(m.stats().leaf_splits, 0u);
    EXPECT_EQ(m.size(), 50u);
    if constexpr (map_type::inline_storage) {
        EXPECT_EQ(rebuilt_at, (std::vector<std::uint64_t>{period, 2 * period, 3 * period}));
    } else {
        EXPECT_LE(rebuilt_at.size(), 3u);
    }
    for (std::uint64_t step = 3 * period - 49; step <= 3 * period; ++step) EXPECT_EQ(m.load(1000 + step), step);
}

TYPED_TEST(MapStats, RetiredBytesPendingUntilAGracePeriod) {
    using map_type = TypeParam;
    map_type m;
    constexpr std::uint64_t n = 20000;
    for (std::uint64_t k = 0; k < n; ++k) m.store(k, k);
    syncmap::detail::rcu_barrier();
    EXPECT_EQ(m.stats().retired_bytes_pending, 0);
    // What clear() retires: the leaves and the directory, and the nodes with node storage.
    const std::int64_t tree = syncmap_test::tree_bytes(m);
    {
        // While this thread is in a read-side section no grace period can end, so what clear()
        // retires stays pending, and a traversal reports it too.
        syncmap::detail::rcu_reader hold;
        m.clear();
        const auto st = m.stats();
        EXPECT_EQ(st.retired_bytes_pending, tree);
        syncmap::traversal_stats ts;
        m.range([](std::uint64_t, std::uint64_t) {}, ts);
        EXPECT_EQ(ts.retired_bytes_pending, st.retired_bytes_pending);
        EXPECT_EQ(ts.entries_yielded, 0u);
    }
    syncmap::detail::rcu_barrier();
    EXPECT_EQ(m.stats().retired_bytes_pending, 0);
    // With a snapshot alive the old tree is not retired by clear(): it goes to the snapshot,
    // and is retired, whole, when the snapshot goes.
    for (std::uint64_t k = 0; k < n; ++k) m.store(k, k);
    syncmap::detail::rcu_barrier();
    const std::int64_t tree2 = syncmap_test::tree_bytes(m);
    std::optional<typename map_type::snapshot_type> s(m.snapshot());
    {
        syncmap::detail::rcu_reader hold;
        m.clear();
        EXPECT_EQ(m.stats().retired_bytes_pending, 0);
        EXPECT_EQ(s->size(), n);
        s.reset();
        EXPECT_EQ(m.stats().retired_bytes_pending, tree2);
    }
    syncmap::detail::rcu_barrier();
    EXPECT_EQ(m.stats().retired_bytes_pending, 0);
}

}  // namespace
