// Clause S3, measured with an allocation counter: this binary replaces the global operator
// new and delete (so it stays its own executable) and counts
//   - per thread: the allocations and bytes the calling thread requested, to show that
//     snapshot() allocates nothing that depends on the map's size (O(1) creation, checked
//     without timing anything);
//   - process-wide: the bytes currently allocated (malloc_usable_size of every live block,
//     freed by whichever thread, the RCU callback thread included), to show that a live
//     snapshot retains what the map overwrote, erased or cleared since, and that all of it
//     comes back once the snapshot is destroyed and a grace period has passed
//     (syncmap::detail::rcu_barrier).
// Each measurement is compared with a twin map (same seed, same operations, no snapshot),
// so the map's own structure cancels out. In builds without a sanitizer, glibc's
// mallinfo2 gives the same figures from the allocator's side.
// Snapshots are copy-on-write per leaf: what a live snapshot retains is one copy of each
// leaf written since (its header and slots), plus, with node storage, the nodes only those
// copies still hold. The expected figures are computed from debug_structure() and the
// engine's types (sync_map_shape.hpp), and every test runs on both storages: uint64 inline
// (storage::automatic) and uint64 in nodes.
#include <syncmap/sync_map.hpp>

#include <gtest/gtest.h>

#include <malloc.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "map_types.hpp"
#include "sync_map_shape.hpp"

#if defined(SYNCMAP_TSAN) || defined(__SANITIZE_ADDRESS__)
#define SYNCMAP_TEST_SANITIZED 1
#endif

// ---- Counting global operator new ------------------------------------------------------

namespace {

thread_local std::uint64_t thread_allocations = 0;
thread_local std::uint64_t thread_bytes = 0;
std::atomic<std::int64_t> live_bytes{0};

void* counted_allocate(std::size_t size, std::size_t alignment) {
    void* p = nullptr;
    if (alignment <= alignof(std::max_align_t)) {
        p = std::malloc(size == 0 ? 1 : size);
    } else if (posix_memalign(&p, alignment, size == 0 ? alignment : size) != 0) {
        p = nullptr;
    }
    if (p == nullptr) throw std::bad_alloc();
    ++thread_allocations;
    thread_bytes += size;
    live_bytes.fetch_add(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
    return p;
}

void counted_free(void* p) noexcept {
    if (p == nullptr) return;
    live_bytes.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
    std::free(p);
}

}  // namespace

#include "replaced_global_new.hpp"

namespace {

#if defined(SYNCMAP_TSAN)
constexpr std::uint64_t size_divisor = 8;
#elif defined(__SANITIZE_ADDRESS__)
constexpr std::uint64_t size_divisor = 4;
#else
constexpr std::uint64_t size_divisor = 1;
#endif

using inline_map = syncmap::sync_map<std::uint64_t, std::uint64_t>;
using nodes_map = syncmap::sync_map<std::uint64_t, std::uint64_t, syncmap::hash<std::uint64_t>,
                                    std::equal_to<std::uint64_t>, syncmap::storage::nodes>;
static_assert(inline_map::inline_storage && !nodes_map::inline_storage);

template <class Map>
class SnapshotMemory : public ::testing::Test {};
using both_storages = ::testing::Types<inline_map, nodes_map>;
TYPED_TEST_SUITE(SnapshotMemory, both_storages, syncmap_test::map_type_names);

// Everything retired so far is freed; the live byte count is then exact.
std::int64_t settled_bytes() {
    syncmap::detail::rcu_barrier();
    return live_bytes.load(std::memory_order_relaxed);
}

std::int64_t allocator_in_use() {
#ifdef SYNCMAP_TEST_SANITIZED
    return 0;
#else
    return static_cast<std::int64_t>(mallinfo2().uordblks);
#endif
}

struct creation_cost {
    std::uint64_t allocations;
    std::uint64_t bytes;
    std::int64_t retained_after;
};

// snapshot() on a fresh map of n entries, with `others` snapshots already alive.
template <class Map>
creation_cost measure_creation(std::uint64_t n, std::size_t others) {
    Map m(12345);
    for (std::uint64_t k = 0; k < n; ++k) m.store(k, k);
    std::vector<typename Map::snapshot_type> alive;
    for (std::size_t i = 0; i < others; ++i) alive.push_back(m.snapshot());
    const std::uint64_t a0 = thread_allocations, b0 = thread_bytes;
    typename Map::snapshot_type s = m.snapshot();
    const std::uint64_t a1 = thread_allocations, b1 = thread_bytes;
    return {a1 - a0, b1 - b0, m.stats().versions_retained};
}

TYPED_TEST(SnapshotMemory, CreationAllocatesNothingThatDependsOnSize) {
    using map_type = TypeParam;
    for (std::size_t others : {std::size_t{0}, std::size_t{1}, std::size_t{5}}) {
        // Up to a million entries once; up to 100000 with other snapshots alive.
        const std::uint64_t largest = (others == 0 ? 1'000'000 : 100'000) / size_divisor;
        const creation_cost small = measure_creation<map_type>(0, others);
        for (std::uint64_t n : {std::uint64_t{1}, std::uint64_t{1000}, std::uint64_t{10'000}, largest}) {
            const creation_cost c = measure_creation<map_type>(n, others);
            EXPECT_EQ(c.allocations, small.allocations) << n << " entries, " << others << " other snapshots";
            EXPECT_EQ(c.bytes, small.bytes) << n << " entries, " << others << " other snapshots";
            EXPECT_EQ(c.retained_after, 0) << "a snapshot is created without copying or keeping anything";
        }
        // At most the registry's one slot: a few machine words, whatever the map holds.
        EXPECT_LE(small.allocations, 1u);
        EXPECT_LE(small.bytes, 8 * (others + 1));
        std::printf("[ S3 creation ] with %zu other snapshots alive: %llu allocations, %llu bytes, at 0 to %llu entries\n",
                    others, static_cast<unsigned long long>(small.allocations),
                    static_cast<unsigned long long>(small.bytes), static_cast<unsigned long long>(largest));
    }
}

// One scenario of S3: the same operations on two maps with one seed, one of them with a
// snapshot alive throughout. Returns (retained while alive, left after destruction), in
// bytes relative to the twin without a snapshot, by the counter and by mallinfo2, with the
// map's shape when the snapshot was taken.
template <class Map>
struct retention {
    std::int64_t while_alive = 0;
    std::int64_t after = 0;
    std::int64_t allocator_while_alive = 0;
    std::int64_t allocator_after = 0;
    std::int64_t versions_while_alive = 0;
    typename Map::structure_info at_snapshot{};
    std::int64_t tree_at_snapshot = 0;  // leaves, nodes and directory
};

template <class Map, class Fill, class Ops>
retention<Map> measure_retention(Fill&& fill, Ops&& ops) {
    retention<Map> r;
    std::int64_t without_bytes, without_allocator;
    {
        Map twin(777);
        fill(twin);
        ops(twin);
        without_bytes = settled_bytes();
        without_allocator = allocator_in_use();
        // The twin is destroyed here; its memory is retired and freed below.
    }
    settled_bytes();
    Map m(777);
    fill(m);
    r.at_snapshot = m.debug_structure();
    r.tree_at_snapshot = syncmap_test::tree_bytes(m);
    {
        const typename Map::snapshot_type s = m.snapshot();
        ops(m);
        r.versions_while_alive = m.stats().versions_retained;
        r.while_alive = settled_bytes() - without_bytes;
        r.allocator_while_alive = allocator_in_use() - without_allocator;
    }
    EXPECT_EQ(m.stats().versions_retained, 0);
    EXPECT_EQ(m.stats().live_snapshots, 0u);
    r.after = settled_bytes() - without_bytes;
    r.allocator_after = allocator_in_use() - without_allocator;
    return r;
}

template <class Map>
void report(const char* what, std::uint64_t n, const retention<Map>& r) {
    std::printf("[ S3 retention ] %-6s %-34s n=%-7llu retained while alive %9lld B (%5.1f B/entry, %lld versions), "
                "after destruction %+lld B; allocator: %+lld B / %+lld B\n",
                syncmap_test::storage_name<Map>().c_str(), what, static_cast<unsigned long long>(n),
                static_cast<long long>(r.while_alive),
                static_cast<double>(r.while_alive) / static_cast<double>(n),
                static_cast<long long>(r.versions_while_alive), static_cast<long long>(r.after),
                static_cast<long long>(r.allocator_while_alive), static_cast<long long>(r.allocator_after));
}

// What may legitimately differ between the two maps after the snapshot is gone: one RCU
// retire batch of this thread and allocator rounding; nothing that grows with n.
constexpr std::int64_t tolerance = 16 * 1024;

// `expected` is what the engine requested for what the snapshot keeps (leaf copies, nodes,
// a frozen tree); the counter measures usable block sizes, which round each block up a
// little (at most a quarter for the smallest blocks, nodes).
template <class Map>
void expect_released(const retention<Map>& r, std::int64_t expected) {
    EXPECT_GE(r.while_alive, expected - tolerance) << "the snapshot must keep the leaf states it can see";
    EXPECT_LE(r.while_alive, expected + expected / 4 + tolerance) << "the snapshot kept more than the leaves written";
    EXPECT_LE(r.after, tolerance) << "destroying the snapshot did not release what it kept";
    EXPECT_GE(r.after, -tolerance);
#ifndef SYNCMAP_TEST_SANITIZED
    // The allocator agrees (its own bookkeeping and caches allow for a looser bound).
    EXPECT_GE(r.allocator_while_alive, expected * 9 / 10);
    EXPECT_LE(r.allocator_after, 16 * tolerance);
#endif
}

const std::uint64_t n = 200'000 / size_divisor;

auto fill_n = [](auto& m) {
    for (std::uint64_t k = 0; k < n; ++k) m.store(k, k);
};

TYPED_TEST(SnapshotMemory, OverwrittenValuesAreKeptThenReleased) {
    using map_type = TypeParam;
    const auto r = measure_retention<map_type>(fill_n, [](map_type& m) {
        for (int round = 0; round < 3; ++round) {
            for (std::uint64_t k = 0; k < n; ++k) m.store(k, k + 1 + static_cast<std::uint64_t>(round));
        }
    });
    report("overwrite every key 3 times", n, r);
    // Every leaf copied once, at its first write, whole: the n entries the snapshot sees.
    EXPECT_EQ(r.versions_while_alive, static_cast<std::int64_t>(n)) << "one copy per leaf, not three";
    expect_released(r, syncmap_test::leaf_bytes<map_type>(r.at_snapshot) + syncmap_test::entry_bytes<map_type>(n));
}

TYPED_TEST(SnapshotMemory, ErasedEntriesAreKeptThenReleased) {
    using map_type = TypeParam;
    const auto r = measure_retention<map_type>(fill_n, [](map_type& m) {
        for (std::uint64_t k = 0; k < n; ++k) m.erase(k);
    });
    report("erase every key", n, r);
    // Each leaf copied at its first erase, with all its entries; no tombstones.
    EXPECT_EQ(r.versions_while_alive, static_cast<std::int64_t>(n));
    expect_released(r, syncmap_test::leaf_bytes<map_type>(r.at_snapshot) + syncmap_test::entry_bytes<map_type>(n));
}

TYPED_TEST(SnapshotMemory, ClearedTreeIsKeptThenReleased) {
    using map_type = TypeParam;
    const auto r = measure_retention<map_type>(fill_n, [](map_type& m) {
        m.clear();
        for (std::uint64_t k = 0; k < n / 4; ++k) m.store(k + n, k);  // the new tree grows meanwhile
    });
    report("clear, then refill a quarter", n, r);
    EXPECT_EQ(r.versions_while_alive, 0) << "the new tree keeps nothing for the old snapshot";
    // The whole old tree: leaves, directory and (node storage) nodes.
    expect_released(r, r.tree_at_snapshot);
}

TYPED_TEST(SnapshotMemory, GrowthHandsCopiesOnAndKeepsNothingExtra) {
    using map_type = TypeParam;
    const auto r = measure_retention<map_type>(
        [](map_type& m) {
            for (std::uint64_t k = 0; k < n / 8; ++k) m.store(k, k);
        },
        [](map_type& m) {
            for (std::uint64_t k = 0; k < n / 8; ++k) m.store(k, 0);    // copies every leaf
            for (std::uint64_t k = n / 8; k < n; ++k) m.store(k, k);    // fresh keys: splits, growth
            for (std::uint64_t k = n / 8; k < n; ++k) m.store(k, 1);    // not seen by the snapshot: freed
        });
    report("overwrite 1/8, then grow 8x", n, r);
    // The leaves the snapshot saw, copied once each; their splits share the copies.
    EXPECT_EQ(r.versions_while_alive, static_cast<std::int64_t>(n / 8));
    expect_released(r, syncmap_test::leaf_bytes<map_type>(r.at_snapshot) + syncmap_test::entry_bytes<map_type>(n / 8));
}

TYPED_TEST(SnapshotMemory, NothingIsKeptWithoutASnapshot) {
    using map_type = TypeParam;
    map_type m(5);
    fill_n(m);
    const std::int64_t base = settled_bytes();
    for (int round = 0; round < 3; ++round) {
        for (std::uint64_t k = 0; k < n; ++k) m.store(k, k + 7);
    }
    EXPECT_EQ(m.stats().versions_retained, 0);
    const std::int64_t after = settled_bytes();
    EXPECT_LE(after - base, tolerance);
    EXPECT_GE(after - base, -tolerance);
    // A snapshot taken and destroyed with no write in between leaves nothing either.
    for (int i = 0; i < 100; ++i) (void)m.snapshot();
    EXPECT_LE(settled_bytes() - base, tolerance);
}

}  // namespace
