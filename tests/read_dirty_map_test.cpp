// read_dirty_map: Go's sync.Map up to Go 1.23, checked step by step through debug_state()
// and debug_key() (RD1), range's fixed key set (RD2), lock-free reads of promoted keys
// while a writer holds the mutex (RD1, L2, L3), and reclamation of values, expunged
// entries and tables.
#include <syncmap/read_dirty_map.hpp>

#include <gtest/gtest.h>

#include "parking_equal.hpp"

#include <atomic>
#include <cstdint>
#include <latch>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using u64 = std::uint64_t;
using map_t = syncmap::read_dirty_map<u64, u64>;
using state = map_t::entry_state;

constexpr u64 n = 100;

// A map holding keys 0..n-1 (value = key), all promoted: the read view has them, dirty
// is gone.
void fill_and_promote(map_t& m) {
    for (u64 i = 0; i < n; ++i) m.store(i, i);
    for (u64 i = 0; i < n; ++i) ASSERT_EQ(m.load(i), i);
    const auto d = m.debug_state();
    ASSERT_FALSE(d.amended);
    ASSERT_FALSE(d.has_dirty);
    ASSERT_EQ(d.read_entries, n);
}

// RD1: new keys go to dirty; each load that has to look there counts a miss; the miss
// that brings misses to len(dirty) promotes; after that, loads take no lock and count
// nothing.
TEST(ReadDirtyMap, MissesPromoteDirtyAtLenDirty) {
    map_t m(7);
    for (u64 i = 0; i < n; ++i) m.store(i, i);
    auto d = m.debug_state();
    EXPECT_EQ(d.read_entries, 0u);
    EXPECT_TRUE(d.amended);
    EXPECT_TRUE(d.has_dirty);
    EXPECT_EQ(d.dirty_entries, n);
    EXPECT_EQ(d.dirty_copies, 1u);  // the first key copied the (empty) read view
    EXPECT_EQ(d.misses, 0u);        // Store never counts a miss
    for (u64 i = 0; i + 1 < n; ++i) {
        ASSERT_EQ(m.load(i), i);
        ASSERT_EQ(m.debug_state().misses, i + 1);
        ASSERT_EQ(m.debug_state().promotions, 0u);
    }
    ASSERT_EQ(m.load(n - 1), n - 1);  // misses == len(dirty): promote
    d = m.debug_state();
    EXPECT_EQ(d.promotions, 1u);
    EXPECT_EQ(d.misses, 0u);
    EXPECT_FALSE(d.amended);
    EXPECT_FALSE(d.has_dirty);
    EXPECT_EQ(d.read_entries, n);
    // Promoted keys and absent keys (read view not amended) are decided without mu_.
    for (u64 i = 0; i < 2 * n; ++i) EXPECT_EQ(m.load(i), i < n ? std::optional<u64>(i) : std::nullopt);
    EXPECT_EQ(m.debug_state().misses, 0u);
    EXPECT_EQ(m.debug_state().promotions, 1u);
}

// RD1: the first new key after a promotion copies the read view into a new dirty map,
// expunging deleted entries; later new keys do not copy again.
TEST(ReadDirtyMap, FirstNewKeyAfterPromotionCopiesReadView) {
    map_t m(7);
    fill_and_promote(m);
    for (u64 i = 0; i < 10; ++i) EXPECT_TRUE(m.erase(i));  // p = nil in the read view
    auto d = m.debug_state();
    EXPECT_EQ(d.read_deleted, 10u);
    EXPECT_FALSE(d.has_dirty);
    EXPECT_EQ(d.dirty_copies, 1u);

    m.store(n, n);  // the first new key
    d = m.debug_state();
    EXPECT_EQ(d.dirty_copies, 2u);
    EXPECT_TRUE(d.has_dirty);
    EXPECT_TRUE(d.amended);
    EXPECT_EQ(d.dirty_entries, n - 10 + 1);  // live read entries plus the new key
    EXPECT_EQ(d.read_expunged, 10u);
    EXPECT_EQ(d.read_deleted, 0u);

    auto k = m.debug_key(3);
    EXPECT_EQ(k.in_read, state::expunged);
    EXPECT_EQ(k.in_dirty, state::absent);
    k = m.debug_key(50);
    EXPECT_EQ(k.in_read, state::live);
    EXPECT_EQ(k.in_dirty, state::live);
    EXPECT_TRUE(k.same_entry);  // one entry shared by both maps
    k = m.debug_key(n);
    EXPECT_EQ(k.in_read, state::absent);
    EXPECT_EQ(k.in_dirty, state::live);

    m.store(n + 1, n + 1);
    d = m.debug_state();
    EXPECT_EQ(d.dirty_copies, 2u);  // no second copy
    EXPECT_EQ(d.dirty_entries, n - 10 + 2);

    // A key deleted after the copy stays in dirty as a deleted entry (Go's p == nil case).
    EXPECT_TRUE(m.erase(60));
    k = m.debug_key(60);
    EXPECT_EQ(k.in_read, state::deleted);
    EXPECT_EQ(k.in_dirty, state::deleted);
    EXPECT_TRUE(k.same_entry);
}

// RD1: storing into an expunged entry first puts it back into dirty (unexpungeLocked),
// through the locked path; Swap and LoadOrStore both do it.
TEST(ReadDirtyMap, ExpungedEntryReturnsThroughDirty) {
    map_t m(7);
    fill_and_promote(m);
    for (u64 i = 0; i < 10; ++i) m.erase(i);
    m.store(n, n);
    ASSERT_EQ(m.debug_state().read_expunged, 10u);
    const std::size_t dirty_before = m.debug_state().dirty_entries;

    EXPECT_EQ(m.exchange(3, 33), std::nullopt);
    auto k = m.debug_key(3);
    EXPECT_EQ(k.in_read, state::live);
    EXPECT_EQ(k.in_dirty, state::live);
    EXPECT_TRUE(k.same_entry);
    EXPECT_EQ(m.load(3), 33u);

    EXPECT_EQ(m.load_or_store(4, 44), std::make_pair(u64{44}, false));
    k = m.debug_key(4);
    EXPECT_EQ(k.in_read, state::live);
    EXPECT_TRUE(k.same_entry);

    auto d = m.debug_state();
    EXPECT_EQ(d.read_expunged, 8u);
    EXPECT_EQ(d.dirty_entries, dirty_before + 2);
    // The expunged keys stay absent for every reader.
    EXPECT_FALSE(m.contains(5));
    EXPECT_FALSE(m.compare_and_delete(5, 5));
    EXPECT_FALSE(m.compare_and_swap(5, 5, 6));
    EXPECT_EQ(m.load_and_delete(5), std::nullopt);

    // After promotion the expunged entries are gone from the read view.
    while (m.debug_state().promotions == 1) m.load(n);
    d = m.debug_state();
    EXPECT_EQ(d.read_expunged, 0u);
    EXPECT_EQ(d.read_entries, n - 10 + 1 + 2);
    EXPECT_EQ(m.debug_key(5).in_read, state::absent);
}

// RD1: misses are counted exactly where Go counts them.
TEST(ReadDirtyMap, MissesCountedWhereGoCountsThem) {
    map_t m(7);
    fill_and_promote(m);
    const u64 x = n;      // will live in dirty only
    const u64 y = n + 1;  // likewise
    const u64 absent = 10 * n;
    m.store(x, 1);
    ASSERT_TRUE(m.debug_state().amended);
    auto misses = [&] { return m.debug_state().misses; };
    ASSERT_EQ(misses(), 0u);

    m.exchange(x, 2);  // Swap: found in dirty, no miss
    m.store(x, 3);
    EXPECT_EQ(misses(), 0u);
    EXPECT_EQ(m.load(absent), std::nullopt);  // Load: a miss whether found or not
    EXPECT_EQ(misses(), 1u);
    EXPECT_TRUE(m.contains(x));
    EXPECT_EQ(misses(), 2u);
    EXPECT_EQ(m.load_or_store(x, 9), std::make_pair(u64{3}, true));  // found in dirty
    EXPECT_EQ(misses(), 3u);
    EXPECT_EQ(m.load_or_store(y, 4), std::make_pair(u64{4}, false));  // new key: no miss
    EXPECT_EQ(misses(), 3u);
    EXPECT_FALSE(m.compare_and_swap(x, 99, 5));  // found in dirty: a miss
    EXPECT_EQ(misses(), 4u);
    EXPECT_FALSE(m.compare_and_swap(absent, 1, 2));  // in neither: no miss
    EXPECT_EQ(misses(), 4u);
    EXPECT_FALSE(m.compare_and_delete(x, 99));  // Load-like: a miss
    EXPECT_EQ(misses(), 5u);
    EXPECT_EQ(m.load_and_delete(absent), std::nullopt);  // a miss
    EXPECT_EQ(misses(), 6u);
    const std::size_t dirty_before = m.debug_state().dirty_entries;
    EXPECT_TRUE(m.erase(y));  // dirty only: removed from dirty, and a miss
    EXPECT_EQ(misses(), 7u);
    EXPECT_EQ(m.debug_state().dirty_entries, dirty_before - 1);
    EXPECT_EQ(m.debug_key(y).in_dirty, state::absent);
    EXPECT_EQ(m.load(5), 5u);  // in the read view: no miss
    EXPECT_TRUE(m.compare_and_swap(5, 5, 6));
    EXPECT_EQ(misses(), 7u);
    EXPECT_EQ(m.debug_state().promotions, 1u);
}

// clear (Go 1.23): an empty unamended read view, an emptied dirty, misses reset.
TEST(ReadDirtyMap, ClearKeepsGoShape) {
    map_t m(7);
    fill_and_promote(m);
    m.store(n, n);
    m.load(n);
    ASSERT_EQ(m.debug_state().misses, 1u);
    m.clear();
    auto d = m.debug_state();
    EXPECT_EQ(d.read_entries, 0u);
    EXPECT_FALSE(d.amended);
    EXPECT_TRUE(d.has_dirty);  // Go empties dirty in place
    EXPECT_EQ(d.dirty_entries, 0u);
    EXPECT_EQ(d.misses, 0u);
    EXPECT_TRUE(m.empty());
    m.store(1, 1);  // dirty exists: no copy
    d = m.debug_state();
    EXPECT_EQ(d.dirty_copies, 2u);
    EXPECT_TRUE(d.amended);
    EXPECT_EQ(m.load(1), 1u);
}

// RD2: range promotes first, so the read view is complete before the first callback.
TEST(ReadDirtyMap, RangePromotesBeforeTheFirstCallback) {
    map_t m(7);
    fill_and_promote(m);
    m.store(n, n);
    ASSERT_TRUE(m.debug_state().amended);
    std::size_t calls = 0;
    m.range([&](u64, u64) {
        if (calls++ == 0) {
            const auto d = m.debug_state();
            EXPECT_FALSE(d.amended);
            EXPECT_FALSE(d.has_dirty);
            EXPECT_EQ(d.promotions, 2u);
            EXPECT_EQ(d.read_entries, n + 1);
        }
    });
    EXPECT_EQ(calls, n + 1);
    // size() and empty() count without promoting (dirty holds every key while amended).
    m.store(n + 1, 0);
    m.erase(3);
    ASSERT_TRUE(m.debug_state().amended);
    EXPECT_EQ(m.size(), n + 1);
    EXPECT_FALSE(m.empty());
    EXPECT_EQ(m.debug_state().promotions, 2u);
}

// The setup of the RD2 tests: keys 0..n-1 promoted, then every key divisible by 4 erased
// (its entry lingers in the read view with p == nil).
std::set<u64> setup_with_deleted(map_t& m) {
    fill_and_promote(m);
    std::set<u64> present;
    for (u64 i = 0; i < n; ++i) {
        if (i % 4 == 0) {
            m.erase(i);
        } else {
            present.insert(i);
        }
    }
    return present;
}

// What the RD2 writers do: store fresh keys, store the deleted keys again (reviving their
// entries in place, lock-free), and move every present key to value key + 1000.
void write_during_range(map_t& m) {
    for (u64 i = 0; i < 50; ++i) m.store(n + i, n + i);
    for (u64 i = 0; i < n; i += 4) m.store(i, i);
    for (u64 i = 0; i < n; ++i) {
        if (i % 4 != 0) m.store(i, i + 1000);
    }
}

void check_rd2(const std::map<u64, std::vector<u64>>& yielded, const std::set<u64>& present, u64 first_key) {
    std::set<u64> keys;
    for (const auto& [k, values] : yielded) {
        keys.insert(k);
        ASSERT_EQ(values.size(), 1u) << "key " << k << " yielded more than once";
        // Values are read live: the first key with its old value, the rest updated.
        EXPECT_EQ(values[0], k == first_key ? k : k + 1000) << "key " << k;
    }
    EXPECT_EQ(keys, present);  // no fresh key, no revived key, every present key
}

// RD2: keys stored from the callback after range started are never yielded: neither new
// keys nor deleted keys stored again (a literal port of Go's Range would yield the
// latter, as their entries sit in the read view being walked).
TEST(ReadDirtyMap, KeysStoredFromTheCallbackAreNeverYielded) {
    map_t m(7);
    const std::set<u64> present = setup_with_deleted(m);
    std::map<u64, std::vector<u64>> yielded;
    u64 first_key = 0;
    m.range([&](u64 k, u64 v) {
        if (yielded.empty()) {
            first_key = k;
            yielded[k].push_back(v);
            write_during_range(m);
            return;
        }
        yielded[k].push_back(v);
    });
    check_rd2(yielded, present, first_key);
    // Afterwards everything written is there.
    EXPECT_EQ(m.size(), n + 50);
    EXPECT_EQ(m.load(0), 0u);
    EXPECT_EQ(m.load(1), 1001u);
}

// RD2, the same stores made by another thread while range is paused in its first callback.
TEST(ReadDirtyMap, KeysStoredByAnotherThreadAfterStartAreNeverYielded) {
    map_t m(7);
    const std::set<u64> present = setup_with_deleted(m);
    std::latch go(1);
    std::latch done(1);
    std::thread writer([&] {
        go.wait();
        write_during_range(m);
        done.count_down();
    });
    std::map<u64, std::vector<u64>> yielded;
    u64 first_key = 0;
    m.range([&](u64 k, u64 v) {
        if (yielded.empty()) {
            first_key = k;
            go.count_down();
            done.wait();
        }
        yielded[k].push_back(v);
    });
    writer.join();
    check_rd2(yielded, present, first_key);
}

// range holds its read view while the callback clears the map, promotes new dirty maps
// and expunges entries: the walk continues over the old view (Go semantics: entries keep
// their values after Clear), yielding each original key once. Under ASan this also
// checks that nothing the walk still uses is freed: the old views, dirty maps and entries
// dropped by the callback are retired at once, and the reclaimer frees them while the long
// walk continues.
TEST(ReadDirtyMap, RangeSurvivesPromotionsAndClearFromTheCallback) {
    constexpr u64 big = 20000;
    map_t m(7);
    for (u64 i = 0; i < big; ++i) m.store(i, i);
    for (u64 i = 0; i < big; ++i) m.load(i);
    ASSERT_FALSE(m.debug_state().amended);
    std::map<u64, int> times;
    m.range([&](u64 k, u64 v) {
        EXPECT_EQ(v, k);
        if (times.empty()) {
            m.clear();
            for (u64 round = 0; round < 3; ++round) {
                for (u64 i = 0; i < 20; ++i) m.store(big + 100 * round + i, 1);
                const u64 promoted = m.debug_state().promotions;
                while (m.debug_state().promotions == promoted) m.load(big + 100 * round);  // misses
                m.erase(big + 100 * round);  // deleted; expunged by the next round's copy
            }
        }
        ++times[k];
    });
    EXPECT_EQ(times.size(), big);
    for (const auto& [k, t] : times) ASSERT_EQ(t, 1) << k;
    EXPECT_GE(m.debug_state().promotions, 4u);
    EXPECT_EQ(m.size(), 57u);
}

// Instances of keys and values alive, for reclamation checks.
struct counted {
    static inline std::atomic<long> live{0};
    explicit counted(u64 x = 0) : v(x) { ++live; }
    counted(const counted& o) : v(o.v) { ++live; }
    ~counted() { --live; }
    counted& operator=(const counted&) = default;
    bool operator==(const counted& o) const { return v == o.v; }
    u64 v;
};
struct counted_hash {
    u64 operator()(const counted& c) const { return c.v; }
};

// Replaced values, expunged entries and retired read views are all freed, and nothing
// is left after the map is destroyed.
TEST(ReadDirtyMap, ReclaimsValuesEntriesAndViews) {
    using cmap = syncmap::read_dirty_map<counted, counted, counted_hash>;
    syncmap::detail::rcu_barrier();
    const long base = counted::live;
    {
        cmap m(3);
        for (u64 i = 0; i < 1000; ++i) m.store(counted(i), counted(i));
        for (u64 round = 0; round < 5; ++round) {
            for (u64 i = 0; i < 1000; ++i) m.store(counted(i), counted(i + round));
        }
        syncmap::detail::rcu_barrier();
        EXPECT_EQ(counted::live - base, 2000);  // 1000 keys, 1000 current values

        for (u64 i = 0; i < 1000; ++i) m.load(counted(i));  // promote
        for (u64 i = 0; i < 1000; ++i) m.erase(counted(i));
        m.store(counted(5000), counted(1));  // the copy expunges all 1000 entries
        m.load(counted(5000));               // misses == len(dirty) == 1: promote
        ASSERT_EQ(m.debug_state().promotions, 2u);
        syncmap::detail::rcu_barrier();
        EXPECT_EQ(counted::live - base, 2);  // the expunged entries died with the old view

        m.range([&](const counted&, const counted&) {});
        m.clear();
        syncmap::detail::rcu_barrier();
        EXPECT_EQ(counted::live - base, 0);
        for (u64 i = 0; i < 100; ++i) m.store(counted(i), counted(i));
        for (u64 i = 0; i < 50; ++i) m.load(counted(i));
    }
    syncmap::detail::rcu_barrier();
    EXPECT_EQ(counted::live, base);
}

TEST(ReadDirtyMap, HeterogeneousLookup) {
    syncmap::read_dirty_map<std::string, int, syncmap::hash<std::string>, std::equal_to<>> m;
    m.store("alpha", 1);
    m.store(std::string(100, 'x'), 2);
    const std::string_view alpha = "alpha";
    EXPECT_EQ(m.load(alpha), 1);
    EXPECT_TRUE(m.contains("alpha"));
    EXPECT_TRUE(m.visit(std::string_view(std::string(100, 'x')), [](int v) { EXPECT_EQ(v, 2); }));
    EXPECT_TRUE(m.erase(alpha));
    EXPECT_FALSE(m.contains("alpha"));
}

TEST(ReadDirtyMap, SeedFixesRangeOrder) {
    auto order = [](u64 seed) {
        map_t m(seed);
        for (u64 i = 0; i < 200; ++i) m.store(i, i);
        std::vector<u64> keys;
        m.range([&](u64 k, u64) { keys.push_back(k); });
        return keys;
    };
    EXPECT_EQ(order(11), order(11));
    EXPECT_NE(order(11), order(12));
    // Ascending hash order.
    map_t m(11);
    u64 previous = 0;
    for (u64 k : order(11)) {
        const u64 h = syncmap::detail::seeded_hash(m.hash_function(), k, m.seed());
        EXPECT_GE(h, previous);
        previous = h;
    }
}

// RD1 / L2 / L3: while a writer is parked holding mu_ (in the middle of storing a key that
// is only in dirty), every operation on promoted keys completes, and so do operations that
// change nothing on them. If any of them took mu_, this test would hang.
TEST(ReadDirtyMap, PromotedKeysNeverWaitForTheMutex) {
    syncmap::read_dirty_map<u64, u64, syncmap::hash<u64>, parking_equal> m(5);
    for (u64 i = 0; i < n; ++i) m.store(i, i);
    for (u64 i = 0; i < n; ++i) m.load(i);
    ASSERT_FALSE(m.debug_state().amended);
    m.store(n, n);  // dirty only
    parking_equal::gate gate;
    parking_equal::g = &gate;
    std::thread writer([&] {
        gate.who = std::this_thread::get_id();
        gate.armed = true;
        m.store(n, n + 1);  // misses the read view, locks mu_, compares in dirty: parks
    });
    gate.parked.wait();
    for (u64 i = 0; i < n; ++i) {
        EXPECT_EQ(m.load(i), i);
        EXPECT_TRUE(m.contains(i));
        EXPECT_TRUE(m.visit(i, [&](u64 v) { EXPECT_EQ(v, i); }));
        EXPECT_EQ(m.load_or_store(i, 0), std::make_pair(i, true));
        EXPECT_FALSE(m.compare_and_swap(i, i + 1, 0));
        EXPECT_FALSE(m.compare_and_delete(i, i + 1));
        EXPECT_EQ(m.exchange(i, i), i);  // replacing a promoted key's value: lock-free
    }
    EXPECT_TRUE(m.erase(0));
    EXPECT_FALSE(m.contains(0));
    gate.release.count_down();
    writer.join();
    parking_equal::g = nullptr;
    EXPECT_EQ(m.load(n), n + 1);
}

}  // namespace
