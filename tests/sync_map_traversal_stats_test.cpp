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
//     must be.
#include <syncmap/sync_map.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <vector>

namespace {

using map_type = syncmap::sync_map<std::uint64_t, std::uint64_t>;

std::uint64_t structural(const syncmap::map_stats& s) {
    return s.leaf_splits + s.leaf_rebuilds + s.directory_growths + s.clears;
}

TEST(TraversalStats, QuietMapWholeRange) {
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

TEST(TraversalStats, EachScanCallReportsItsOwnWork) {
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

TEST(TraversalStats, StructuralChangesCountWhatHappenedDuringTheTraversal) {
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
    const auto s = m.snapshot();
    syncmap::traversal_stats st3;
    std::uint64_t snap_calls = 0;
    const syncmap::cursor c = s.scan({}, 100000, [&](std::uint64_t, std::uint64_t) {
        ++snap_calls;
        for (int i = 0; i < 10; ++i) m.store(fresh++, 0);
    }, &st3);
    EXPECT_TRUE(c.done());
    EXPECT_EQ(snap_calls, 1000u);
    EXPECT_EQ(st3.entries_yielded, 1000u);
    EXPECT_GT(st3.structural_changes, 0u);
    EXPECT_EQ(st3.live_snapshots, 1u);
    EXPECT_EQ(st3.versions_retained, 0) << "fresh keys supersede nothing, so nothing is kept for the snapshot";
}

TEST(TraversalStats, EndOfTraversalFiguresMatchTheMap) {
    map_type m;
    for (std::uint64_t k = 0; k < 3000; ++k) m.store(k, k);
    std::optional<map_type::snapshot_type> a(m.snapshot()), b(m.snapshot());
    for (std::uint64_t k = 0; k < 3000; k += 3) m.store(k, 0);
    for (std::uint64_t k = 1; k < 3000; k += 3) m.erase(k);
    syncmap::traversal_stats st;
    m.range([](std::uint64_t, std::uint64_t) {}, st);
    const auto ms = m.stats();
    EXPECT_EQ(st.live_snapshots, 2u);
    EXPECT_EQ(ms.live_snapshots, 2u);
    EXPECT_EQ(st.versions_retained, ms.versions_retained);
    // 1000 overwritten values kept; 1000 erased values kept, each behind a tombstone.
    EXPECT_EQ(ms.versions_retained, 3000);
    EXPECT_EQ(st.entries_yielded, 2000u);
    a.reset();
    EXPECT_EQ(m.stats().live_snapshots, 1u);
    b.reset();
    EXPECT_EQ(m.stats().live_snapshots, 0u);
    EXPECT_EQ(m.stats().versions_retained, 0);
}

TEST(MapStats, CountersFollowTheStructure) {
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
    // Erasing and re-inserting many keys fills leaves with deleted slots: rebuilds.
    for (std::uint64_t k = 0; k < 100; ++k) m.store(k, k);
    for (int round = 0; round < 50; ++round) {
        for (std::uint64_t k = 0; k < 100; ++k) m.erase(k);
        for (std::uint64_t k = 0; k < 100; ++k) m.store(k + (round + 1) * 100, k);
        for (std::uint64_t k = 0; k < 100; ++k) m.erase(k + (round + 1) * 100);
        for (std::uint64_t k = 0; k < 100; ++k) m.store(k, k);
    }
    EXPECT_GT(m.stats().leaf_rebuilds, 0u);
    EXPECT_EQ(m.size(), 100u);
}

TEST(MapStats, RetiredBytesPendingUntilAGracePeriod) {
    map_type m;
    constexpr std::uint64_t n = 20000;
    for (std::uint64_t k = 0; k < n; ++k) m.store(k, k);
    syncmap::detail::rcu_barrier();
    EXPECT_EQ(m.stats().retired_bytes_pending, 0);
    {
        // While this thread is in a read-side section no grace period can end, so what clear()
        // retires stays pending, and a traversal reports it too.
        syncmap::detail::rcu_reader hold;
        m.clear();
        const auto st = m.stats();
        EXPECT_GE(st.retired_bytes_pending,
                  static_cast<std::int64_t>(n * sizeof(syncmap::detail::node<std::uint64_t, std::uint64_t>)));
        syncmap::traversal_stats ts;
        m.range([](std::uint64_t, std::uint64_t) {}, ts);
        EXPECT_EQ(ts.retired_bytes_pending, st.retired_bytes_pending);
        EXPECT_EQ(ts.entries_yielded, 0u);
    }
    syncmap::detail::rcu_barrier();
    EXPECT_EQ(m.stats().retired_bytes_pending, 0);
    // With a snapshot alive the old tree is not retired by clear(): it goes to the snapshot,
    // and is retired when the snapshot goes.
    for (std::uint64_t k = 0; k < n; ++k) m.store(k, k);
    syncmap::detail::rcu_barrier();
    std::optional<map_type::snapshot_type> s(m.snapshot());
    {
        syncmap::detail::rcu_reader hold;
        m.clear();
        EXPECT_LT(m.stats().retired_bytes_pending,
                  static_cast<std::int64_t>(n * sizeof(syncmap::detail::node<std::uint64_t, std::uint64_t>)));
        EXPECT_EQ(s->size(), n);
        s.reset();
        EXPECT_GE(m.stats().retired_bytes_pending,
                  static_cast<std::int64_t>(n * sizeof(syncmap::detail::node<std::uint64_t, std::uint64_t>)));
    }
    syncmap::detail::rcu_barrier();
    EXPECT_EQ(m.stats().retired_bytes_pending, 0);
}

}  // namespace
