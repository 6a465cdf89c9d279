// Concurrent stress for read_dirty_map and cow_map: writers, point readers and traversals
// at once, with values derived from keys so that every read can be checked.
//
// Keys come in three kinds:
//   stable  always present (stored before the threads start, then only overwritten);
//   churn   stored, erased, swapped, compared by every writer;
//   fresh   each writer stores new keys (w, c) for c = 0, 1, ..., announcing c (seq_cst)
//           before it calls store.
// A value is (key << 20) | generation, so a reader can tell a value of the wrong key.
// Checks, while everything runs:
//   - point reads: stable keys are always present; every value found belongs to its key;
//   - range: no key twice (W2); every stable key exactly once (W1); values belong to their
//     keys (W4); no fresh key announced after the traversal's first callback, hence stored
//     after the traversal started, is yielded (RD2 for read_dirty_map; cow_map's range
//     walks the contents at its start);
//   - cow_map snapshots: the stable keys all present, each once.
// A second test adds clear() to the writers' mix and checks what still must hold. A third
// races every kind of insert and delete on a few keys and checks that removals conserve
// values (each stored value is removed at most once).
// Iterations are bounded (no wall-clock limits); sanitizer builds run fewer.
#include <syncmap/cow_map.hpp>
#include <syncmap/read_dirty_map.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_set>
#include <vector>

namespace {

using u64 = std::uint64_t;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr u64 scale = 8;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr u64 scale = 8;
#else
constexpr u64 scale = 1;
#endif
#else
constexpr u64 scale = 1;
#endif

constexpr u64 stable = 256;
constexpr u64 churn_base = 1u << 16;
constexpr u64 churn = 256;
constexpr u64 fresh_base = u64{1} << 32;
constexpr int writers = 2;

constexpr u64 value_of(u64 key, u64 generation) { return (key << 20) | (generation & 0xFFFFF); }
constexpr u64 key_of(u64 value) { return value >> 20; }
constexpr u64 fresh_key(int w, u64 c) { return fresh_base + (static_cast<u64>(w) << 24) + c; }

template <class Map>
constexpr bool is_cow = !std::is_same_v<Map, syncmap::read_dirty_map<u64, u64>>;

// Writes per writer: cow_map copies its table on every write.
template <class Map>
constexpr u64 writes_per_writer = (is_cow<Map> ? 12000 : 200000) / scale;

template <class Map>
class Stress : public ::testing::Test {};

using maps = ::testing::Types<syncmap::read_dirty_map<u64, u64>, syncmap::cow_map<u64, u64>>;

struct map_names {
    template <class Map>
    static std::string GetName(int) {
        return is_cow<Map> ? "cow_map" : "read_dirty_map";
    }
};

TYPED_TEST_SUITE(Stress, maps, map_names);

struct shared_state {
    std::atomic<u64> announced[writers];  // per writer: the last fresh counter announced, plus one
    std::atomic<int> writers_running{writers};
    std::atomic<long> failures{0};
    std::atomic<long> ranges{0};

    shared_state() {
        for (auto& a : announced) a.store(0);
    }
    void fail() { failures.fetch_add(1); }
};

template <class Map>
void writer(Map& m, shared_state& s, int w, bool with_clear) {
    std::mt19937_64 rng(1000 + static_cast<u64>(w));
    u64 next_fresh = 0;
    for (u64 i = 0; i < writes_per_writer<Map>; ++i) {
        const u64 g = i * writers + static_cast<u64>(w);
        const unsigned pick = static_cast<unsigned>(rng() % 100);
        if (pick < 30) {
            const u64 k = rng() % stable;
            if (rng() & 1) {
                m.store(k, value_of(k, g));
            } else if (const auto previous = m.exchange(k, value_of(k, g)); previous && key_of(*previous) != k) {
                s.fail();
            }
        } else if (pick < 85) {
            const u64 k = churn_base + rng() % churn;
            switch (rng() % 6) {
                case 0: m.store(k, value_of(k, g)); break;
                case 1: m.erase(k); break;
                case 2:
                    if (const auto v = m.load_and_delete(k); v && key_of(*v) != k) s.fail();
                    break;
                case 3:
                    if (key_of(m.load_or_store(k, value_of(k, g)).first) != k) s.fail();
                    break;
                case 4:
                    if (const auto v = m.load(k)) m.compare_and_swap(k, *v, value_of(k, g));
                    break;
                default:
                    if (const auto v = m.load(k)) m.compare_and_delete(k, *v);
                    break;
            }
        } else if (pick < 99 || !with_clear) {
            const u64 c = next_fresh++;
            s.announced[w].store(c + 1, std::memory_order_seq_cst);  // before store is called
            const u64 k = fresh_key(w, c);
            m.store(k, value_of(k, g));
        } else {
            m.clear();
        }
    }
    s.writers_running.fetch_sub(1);
}

template <class Map>
void reader(const Map& m, shared_state& s, bool stable_present) {
    std::mt19937_64 rng(7);
    while (s.writers_running.load() > 0) {
        const u64 k = rng() % stable;
        const auto v = m.load(k);
        if (stable_present && !v) s.fail();
        if (v && key_of(*v) != k) s.fail();
        const u64 c = churn_base + rng() % churn;
        if (const auto w = m.load(c); w && key_of(*w) != c) s.fail();
        m.visit(c, [&](u64 x) {
            if (key_of(x) != c) s.fail();
        });
        if (stable_present && !m.contains(k)) s.fail();
        if constexpr (is_cow<Map>) {
            if ((rng() & 63) == 0) {
                const auto snap = m.snapshot();
                u64 stable_seen = 0;
                for (const auto& [key, value] : snap) {
                    if (key_of(value) != key) s.fail();
                    if (key < stable) ++stable_seen;
                }
                if (stable_present && stable_seen != stable) s.fail();
            }
        }
    }
}

template <class Map>
void ranger(const Map& m, shared_state& s, bool stable_present) {
    // Keep going until the writers are done, and at least a few passes.
    while (s.writers_running.load() > 0 || s.ranges.load() < 3) {
        std::unordered_set<u64> seen;
        u64 stable_seen = 0;
        bool first = true;
        u64 announced_at_start[writers] = {};
        m.range([&](u64 k, u64 v) {
            if (first) {
                // Everything announced after this point was stored after range began.
                for (int w = 0; w < writers; ++w) announced_at_start[w] = s.announced[w].load(std::memory_order_seq_cst);
                first = false;
            }
            if (!seen.insert(k).second) s.fail();  // W2
            if (key_of(v) != k) s.fail();          // W4
            if (k < stable) ++stable_seen;
            if (k >= fresh_base) {
                const int w = static_cast<int>((k - fresh_base) >> 24);
                const u64 c = (k - fresh_base) & 0xFFFFFF;
                if (c + 1 > announced_at_start[w]) s.fail();  // stored after the start (RD2)
            }
        });
        if (stable_present && stable_seen != stable) s.fail();  // W1
        s.ranges.fetch_add(1);
    }
}

template <class Map>
void run(bool with_clear) {
    Map m(99);
    for (u64 k = 0; k < stable; ++k) m.store(k, value_of(k, 0));
    shared_state s;
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w) threads.emplace_back([&, w] { writer(m, s, w, with_clear); });
    threads.emplace_back([&] { reader(m, s, !with_clear); });
    threads.emplace_back([&] { ranger(m, s, !with_clear); });
    for (auto& t : threads) t.join();
    EXPECT_EQ(s.failures.load(), 0);
    EXPECT_GE(s.ranges.load(), 3);
    // Quiescent: range, size and point reads agree.
    std::unordered_set<u64> keys;
    m.range([&](u64 k, u64 v) {
        EXPECT_TRUE(keys.insert(k).second);
        EXPECT_EQ(key_of(v), k);
        EXPECT_EQ(m.load(k), v);
    });
    EXPECT_EQ(m.size(), keys.size());
    if (!with_clear) {
        for (u64 k = 0; k < stable; ++k) EXPECT_TRUE(keys.count(k)) << k;
        for (int w = 0; w < writers; ++w) {
            for (u64 c = 0; c < s.announced[w].load(); ++c) EXPECT_TRUE(keys.count(fresh_key(w, c)));
        }
    }
}

TYPED_TEST(Stress, ReadersWritersAndRanges) { run<TypeParam>(false); }

TYPED_TEST(Stress, WithClear) { run<TypeParam>(true); }

// Every removal takes away one value that some insertion put there (L1). Threads race
// inserts, replacements and every kind of delete on a few keys of a fresh map, so that in
// read_dirty_map the keys are dirty-only at first, then promoted, deleted, expunged and
// revived; every stored value is unique. Checked after each round:
//   - no value is returned by two load_and_delete calls (a delete whose compare-and-swap
//     lost the race must not report the value it had read);
//   - conservation: insertions that found the key absent (exchange returning nullopt,
//     load_or_store storing) == successful deletes (load_and_delete with a value, erase,
//     compare_and_delete) + keys present at the end.
TYPED_TEST(Stress, DeletesConserveValues) {
    using Map = TypeParam;
    constexpr int threads = 4;
    constexpr u64 keys = 8;
    constexpr u64 rounds = (is_cow<Map> ? 40 : 200) / scale;
    constexpr u64 ops_per_thread = 2000;
    for (u64 round = 0; round < rounds; ++round) {
        Map m(round);
        std::atomic<u64> next_value{1};
        std::atomic<u64> inserted{0};
        std::atomic<u64> deleted{0};
        std::vector<std::vector<u64>> removed(threads);
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t) {
            pool.emplace_back([&, t] {
                std::mt19937_64 rng(round * threads + static_cast<u64>(t));
                u64 my_inserted = 0;
                u64 my_deleted = 0;
                for (u64 i = 0; i < ops_per_thread; ++i) {
                    const u64 k = rng() % keys;
                    const u64 v = next_value.fetch_add(1, std::memory_order_relaxed);
                    switch (rng() % 7) {
                        case 0:
                            if (!m.exchange(k, v)) ++my_inserted;
                            break;
                        case 1:
                            if (!m.load_or_store(k, v).second) ++my_inserted;
                            break;
                        case 2:
                            if (auto r = m.load_and_delete(k)) {
                                removed[t].push_back(*r);
                                ++my_deleted;
                            }
                            break;
                        case 3:
                            if (m.erase(k)) ++my_deleted;
                            break;
                        case 4:
                            if (auto c = m.load(k)) m.compare_and_swap(k, *c, v);
                            break;
                        case 5:
                            if (auto c = m.load(k); c && m.compare_and_delete(k, *c)) ++my_deleted;
                            break;
                        default:
                            (void)m.contains(k);
                            break;
                    }
                }
                inserted.fetch_add(my_inserted, std::memory_order_relaxed);
                deleted.fetch_add(my_deleted, std::memory_order_relaxed);
            });
        }
        for (auto& th : pool) th.join();
        std::unordered_set<u64> seen;
        for (const auto& list : removed) {
            for (u64 v : list) ASSERT_TRUE(seen.insert(v).second) << "value " << v << " deleted twice, round " << round;
        }
        u64 present = 0;
        for (u64 k = 0; k < keys; ++k) present += m.contains(k) ? 1 : 0;
        ASSERT_EQ(inserted.load(), deleted.load() + present) << "round " << round;
    }
}

}  // namespace
