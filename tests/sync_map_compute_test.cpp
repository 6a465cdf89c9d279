// sync_map's atomic read-modify-write members (compute, load_or_compute, try_emplace,
// erase_if by key and map-wide), on both storages: what each returns and leaves in the
// map, that snapshots taken before keep their view (S2), that a throwing callback leaves
// the map unchanged and usable (L4), that a callback writing the same map is refused with
// std::logic_error instead of deadlocking, and atomicity under concurrency (counters
// incremented through compute reach the exact total; load_or_compute runs its callback
// once per inserted key).
#include <syncmap/sync_map.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "map_types.hpp"
#include "sync_map_types.hpp"

namespace syncmap_test {
namespace {

using u64 = std::uint64_t;

template <class Map>
class Compute : public ::testing::Test {};
using compute_maps = ::testing::Types<syncmap::sync_map<u64, u64>, u64_nodes_map,
                                      syncmap::sync_map<small_key, small_value>,
                                      syncmap::sync_map<std::string, u64>, syncmap::sync_map<u64, std::string>>;
TYPED_TEST_SUITE(Compute, compute_maps, map_type_names);

template <class Map>
using key_t = typename Map::key_type;
template <class Map>
using value_t = typename Map::mapped_type;

TYPED_TEST(Compute, InsertsReplacesAndErasesAsTheCallbackSays) {
    using K = key_t<TypeParam>;
    using V = value_t<TypeParam>;
    TypeParam m;
    // Absent, f returns a value: inserted.
    std::optional<V> r = m.compute(make<K>(1), [](const V* current) -> std::optional<V> {
        EXPECT_EQ(current, nullptr);
        return make<V>(10);
    });
    EXPECT_EQ(r, make<V>(10));
    EXPECT_EQ(m.load(make<K>(1)), make<V>(10));
    // Present: f sees the value and replaces it.
    r = m.compute(make<K>(1), [](const V* current) -> std::optional<V> {
        EXPECT_NE(current, nullptr);
        return make<V>(id_of(*current) + 1);
    });
    EXPECT_EQ(r, make<V>(11));
    EXPECT_EQ(m.load(make<K>(1)), make<V>(11));
    // Present, nullopt: erased.
    r = m.compute(make<K>(1), [](const V*) -> std::optional<V> { return std::nullopt; });
    EXPECT_EQ(r, std::nullopt);
    EXPECT_FALSE(m.contains(make<K>(1)));
    // Absent, nullopt: stays absent.
    r = m.compute(make<K>(2), [](const V* current) -> std::optional<V> {
        EXPECT_EQ(current, nullptr);
        return std::nullopt;
    });
    EXPECT_EQ(r, std::nullopt);
    EXPECT_EQ(m.size(), 0u);
    // Over many keys (splits on the way): a counter per key.
    for (int round = 0; round < 3; ++round) {
        for (u64 i = 0; i < 2000; ++i) {
            m.compute(make<K>(i), [](const V* c) -> std::optional<V> { return make<V>(c ? id_of(*c) + 1 : 0); });
        }
    }
    EXPECT_EQ(m.size(), 2000u);
    for (u64 i = 0; i < 2000; ++i) ASSERT_EQ(m.load(make<K>(i)), make<V>(2)) << i;
}

TYPED_TEST(Compute, LoadOrComputeRunsTheCallbackOnlyWhenAbsent) {
    using K = key_t<TypeParam>;
    using V = value_t<TypeParam>;
    TypeParam m;
    int calls = 0;
    auto [v1, inserted1] = m.load_or_compute(make<K>(7), [&] {
        ++calls;
        return make<V>(70);
    });
    EXPECT_TRUE(inserted1);
    EXPECT_EQ(v1, make<V>(70));
    auto [v2, inserted2] = m.load_or_compute(make<K>(7), [&] {
        ++calls;
        return make<V>(71);
    });
    EXPECT_FALSE(inserted2);
    EXPECT_EQ(v2, make<V>(70));
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(m.load(make<K>(7)), make<V>(70));
}

TYPED_TEST(Compute, TryEmplaceInsertsOnlyWhenAbsent) {
    using K = key_t<TypeParam>;
    using V = value_t<TypeParam>;
    TypeParam m;
    EXPECT_TRUE(m.try_emplace(make<K>(3), make<V>(30)));
    EXPECT_FALSE(m.try_emplace(make<K>(3), make<V>(31)));
    EXPECT_EQ(m.load(make<K>(3)), make<V>(30));
    K moved = make<K>(4);
    EXPECT_TRUE(m.try_emplace(std::move(moved), make<V>(40)));
    EXPECT_EQ(m.load(make<K>(4)), make<V>(40));
}

TYPED_TEST(Compute, EraseIfByKeyErasesOnlyWhenThePredicateHolds) {
    using K = key_t<TypeParam>;
    using V = value_t<TypeParam>;
    TypeParam m;
    m.store(make<K>(5), make<V>(50));
    EXPECT_FALSE(m.erase_if(make<K>(5), [](const V& v) { return id_of(v) != 50; }));
    EXPECT_TRUE(m.contains(make<K>(5)));
    EXPECT_TRUE(m.erase_if(make<K>(5), [](const V& v) { return id_of(v) == 50; }));
    EXPECT_FALSE(m.contains(make<K>(5)));
    EXPECT_FALSE(m.erase_if(make<K>(5), [](const V&) { return true; }));
}

TYPED_TEST(Compute, MapWideEraseIfErasesWhatThePredicateSelects) {
    using K = key_t<TypeParam>;
    using V = value_t<TypeParam>;
    TypeParam m;
    for (u64 i = 0; i < 3000; ++i) m.store(make<K>(i), make<V>(i));
    const std::size_t erased = m.erase_if([](const K& k, const V& v) {
        EXPECT_EQ(id_of(k), id_of(v));
        return id_of(k) % 3 == 0;
    });
    EXPECT_EQ(erased, 1000u);
    EXPECT_EQ(m.size(), 2000u);
    for (u64 i = 0; i < 3000; ++i) ASSERT_EQ(m.contains(make<K>(i)), i % 3 != 0) << i;
    EXPECT_EQ(m.erase_if([](const K&, const V&) { return false; }), 0u);
}

// Every commit goes through the same path as store and erase: a snapshot taken before
// keeps the old value, the absence of an inserted key, and an erased key (S2), and the
// copies it needed go with it.
TYPED_TEST(Compute, SnapshotsTakenBeforeKeepTheirView) {
    using K = key_t<TypeParam>;
    using V = value_t<TypeParam>;
    TypeParam m;
    for (u64 i = 0; i < 500; ++i) m.store(make<K>(i), make<V>(i));
    {
        const auto snap = m.snapshot();
        m.compute(make<K>(1), [](const V* c) -> std::optional<V> { return make<V>(id_of(*c) + 1000); });
        m.compute(make<K>(2), [](const V*) -> std::optional<V> { return std::nullopt; });
        m.compute(make<K>(9001), [](const V*) -> std::optional<V> { return make<V>(1); });
        m.load_or_compute(make<K>(9002), [] { return make<V>(2); });
        m.try_emplace(make<K>(9003), make<V>(3));
        m.erase_if(make<K>(3), [](const V&) { return true; });
        EXPECT_EQ(m.erase_if([](const K& k, const V&) { return id_of(k) >= 400 && id_of(k) < 500; }), 100u);
        EXPECT_GT(m.stats().versions_retained, 0);
        EXPECT_EQ(snap.load(make<K>(1)), make<V>(1));
        EXPECT_EQ(snap.load(make<K>(2)), make<V>(2));
        EXPECT_EQ(snap.load(make<K>(3)), make<V>(3));
        EXPECT_FALSE(snap.contains(make<K>(9001)));
        EXPECT_FALSE(snap.contains(make<K>(9002)));
        EXPECT_FALSE(snap.contains(make<K>(9003)));
        EXPECT_EQ(snap.size(), 500u);
        std::size_t seen = 0;
        for (const auto& [k, v] : snap) {
            ASSERT_EQ(id_of(k), id_of(v));
            ++seen;
        }
        EXPECT_EQ(seen, 500u);
        EXPECT_EQ(m.load(make<K>(1)), make<V>(1001));
        EXPECT_EQ(m.size(), 500u - 2 - 100 + 3);  // keys 2 and 3, 400..499 erased; three inserted
    }
    EXPECT_EQ(m.stats().versions_retained, 0);
}

struct callback_failure : std::runtime_error {
    callback_failure() : std::runtime_error("callback failure") {}
};

// A throwing callback: the exception reaches the caller, the map is unchanged, its lock
// is released (later writes to the same keys proceed).
TYPED_TEST(Compute, ThrowingCallbacksLeaveTheMapUnchangedAndUsable) {
    using K = key_t<TypeParam>;
    using V = value_t<TypeParam>;
    TypeParam m;
    for (u64 i = 0; i < 100; ++i) m.store(make<K>(i), make<V>(i));
    const auto snap = m.snapshot();
    auto fail_compute = [](const V*) -> std::optional<V> { throw callback_failure(); };
    EXPECT_THROW(m.compute(make<K>(1), fail_compute), callback_failure);
    EXPECT_THROW(m.compute(make<K>(1000), fail_compute), callback_failure);
    EXPECT_THROW(m.load_or_compute(make<K>(1001), []() -> V { throw callback_failure(); }), callback_failure);
    EXPECT_THROW(m.erase_if(make<K>(2), [](const V&) -> bool { throw callback_failure(); }), callback_failure);
    EXPECT_THROW(m.erase_if([](const K&, const V&) -> bool { throw callback_failure(); }), callback_failure);
    EXPECT_THROW(m.range([](const K&, const V&) { throw callback_failure(); }), callback_failure);
    EXPECT_THROW(m.visit(make<K>(3), [](const V&) { throw callback_failure(); }), callback_failure);
    EXPECT_THROW(m.scan(syncmap::cursor{}, 10, [](const K&, const V&) { throw callback_failure(); }), callback_failure);
    EXPECT_THROW(snap.range([](const K&, const V&) { throw callback_failure(); }), callback_failure);
    EXPECT_THROW(snap.visit(make<K>(3), [](const V&) { throw callback_failure(); }), callback_failure);
    EXPECT_EQ(m.size(), 100u);
    EXPECT_FALSE(m.contains(make<K>(1000)));
    EXPECT_FALSE(m.contains(make<K>(1001)));
    for (u64 i = 0; i < 100; ++i) ASSERT_EQ(m.load(make<K>(i)), make<V>(i));
    // Usable: the same keys (same leaves, same locks) take writes.
    m.compute(make<K>(1), [](const V*) -> std::optional<V> { return make<V>(5); });
    m.store(make<K>(1000), make<V>(6));
    EXPECT_TRUE(m.erase(make<K>(2)));
    EXPECT_EQ(m.load(make<K>(1)), make<V>(5));
    EXPECT_EQ(m.load(make<K>(1000)), make<V>(6));
    EXPECT_EQ(snap.load(make<K>(1)), make<V>(1));
    EXPECT_EQ(snap.size(), 100u);
}

// A callback that runs under a leaf lock and calls a write member of the same map would
// deadlock on that lock: it throws std::logic_error instead, and nothing changes. Reads
// are allowed; so is writing another map.
TYPED_TEST(Compute, CallbacksThatWriteTheSameMapAreRefused) {
    using K = key_t<TypeParam>;
    using V = value_t<TypeParam>;
    TypeParam m;
    TypeParam other;
    m.store(make<K>(1), make<V>(1));
    m.store(make<K>(2), make<V>(2));
    const std::vector<std::function<void()>> writes = {
        [&] { m.store(make<K>(1), make<V>(9)); },
        [&] { m.store(make<K>(77), make<V>(9)); },
        [&] { m.erase(make<K>(2)); },
        [&] { m.erase(make<K>(12345)); },  // absent: refused all the same (deterministic)
        [&] { m.exchange(make<K>(1), make<V>(9)); },
        [&] { m.load_or_store(make<K>(78), make<V>(9)); },
        [&] { m.load_and_delete(make<K>(2)); },
        [&] { m.compare_and_swap(make<K>(1), make<V>(1), make<V>(9)); },
        [&] { m.compare_and_delete(make<K>(1), make<V>(1)); },
        [&] { m.compute(make<K>(1), [](const V*) -> std::optional<V> { return std::nullopt; }); },
        [&] { m.load_or_compute(make<K>(79), [] { return make<V>(9); }); },
        [&] { m.try_emplace(make<K>(80), make<V>(9)); },
        [&] { m.erase_if(make<K>(1), [](const V&) { return true; }); },
        [&] { m.erase_if([](const K&, const V&) { return true; }); },
        [&] { m.clear(); },
        [&] { (void)m.snapshot(); },
    };
    for (std::size_t i = 0; i < writes.size(); ++i) {
        SCOPED_TRACE(i);
        EXPECT_THROW(m.compute(make<K>(1),
                               [&](const V* c) -> std::optional<V> {
                                   writes[i]();
                                   return *c;
                               }),
                     std::logic_error);
        EXPECT_THROW(m.load_or_compute(make<K>(50), [&] {
            writes[i]();
            return make<V>(50);
        }),
                     std::logic_error);
        EXPECT_THROW(m.erase_if(make<K>(2),
                                [&](const V&) {
                                    writes[i]();
                                    return true;
                                }),
                     std::logic_error);
        EXPECT_THROW(m.erase_if([&](const K&, const V&) {
            writes[i]();
            return true;
        }),
                     std::logic_error);
        ASSERT_EQ(m.size(), 2u);
        ASSERT_EQ(m.load(make<K>(1)), make<V>(1));
        ASSERT_EQ(m.load(make<K>(2)), make<V>(2));
    }
    // Reads of the same map, and writes of another, are fine; afterwards writes work again.
    auto r = m.compute(make<K>(1), [&](const V* c) -> std::optional<V> {
        EXPECT_EQ(m.load(make<K>(1)), *c);
        EXPECT_TRUE(m.contains(make<K>(2)));
        std::size_t n = 0;
        m.range([&](const K&, const V&) { ++n; });
        EXPECT_EQ(n, 2u);
        other.store(make<K>(1), *c);
        return make<V>(id_of(*c) + 1);
    });
    EXPECT_EQ(r, make<V>(2));
    EXPECT_EQ(other.load(make<K>(1)), make<V>(1));
    m.store(make<K>(3), make<V>(3));
    EXPECT_EQ(m.size(), 3u);
    // A range callback (no lock held) may still write (W5), compute included.
    m.range([&](const K& k, const V&) {
        m.compute(k, [](const V* c) -> std::optional<V> { return make<V>(id_of(*c) + 10); });
    });
    EXPECT_EQ(m.load(make<K>(3)), make<V>(13));
}

// ---- Concurrency --------------------------------------------------------------------

template <class Map>
class ComputeConcurrency : public ::testing::Test {};
using counter_maps = ::testing::Types<syncmap::sync_map<u64, u64>, u64_nodes_map>;
TYPED_TEST_SUITE(ComputeConcurrency, counter_maps, map_type_names);

// compute is atomic per key: increments from every thread on shared counters, with
// snapshots, erasures of other keys and splits going on, add up exactly.
TYPED_TEST(ComputeConcurrency, IncrementsAddUpExactly) {
    TypeParam m;
    constexpr int threads = 4;
    constexpr u64 counters = 16;
    constexpr int increments = 4000;
    std::atomic<bool> stop{false};
    std::thread churn([&] {  // splits, erasures and snapshots meanwhile
        u64 next = 1000;
        while (!stop.load(std::memory_order_relaxed)) {
            m.store(next, 0);
            if (next % 4 == 0) m.erase(next - 2);
            if (next % 64 == 0) {
                const auto snap = m.snapshot();
                (void)snap.size();
            }
            ++next;
        }
    });
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (int i = 0; i < increments; ++i) {
                m.compute(static_cast<u64>(i + t) % counters,
                          [](const u64* c) -> std::optional<u64> { return c != nullptr ? *c + 1 : 1; });
            }
        });
    }
    for (auto& w : workers) w.join();
    stop.store(true);
    churn.join();
    u64 total = 0;
    for (u64 c = 0; c < counters; ++c) total += m.load(c).value_or(0);
    EXPECT_EQ(total, u64{threads} * increments);
}

// load_or_compute runs f at most once per inserted key, whatever the number of threads
// asking for it at the same time; every caller gets the one value inserted.
TYPED_TEST(ComputeConcurrency, LoadOrComputeRunsOncePerInsertedKey) {
    TypeParam m;
    constexpr int threads = 4;
    constexpr u64 keys = 3000;
    std::vector<std::atomic<int>> calls(keys);
    std::atomic<u64> inserted{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (u64 i = 0; i < keys; ++i) {
                const u64 k = (i * 7 + static_cast<u64>(t) * 11) % keys;
                auto [v, was_inserted] = m.load_or_compute(k, [&] {
                    calls[k].fetch_add(1, std::memory_order_relaxed);
                    return k * 3 + 1;
                });
                EXPECT_EQ(v, k * 3 + 1);
                if (was_inserted) inserted.fetch_add(1, std::memory_order_relaxed);
            }
        });
    }
    for (auto& w : workers) w.join();
    EXPECT_EQ(inserted.load(), keys);
    for (u64 k = 0; k < keys; ++k) ASSERT_EQ(calls[k].load(), 1) << k;
    EXPECT_EQ(m.size(), keys);
}

}  // namespace
}  // namespace syncmap_test
