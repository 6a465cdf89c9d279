// sync_map snapshots, clauses S1-S4 and C4, checked against a std::map model.
//   - S1 (sequentially): snapshots taken at random points of random operation sequences
//     equal the model's contents at that point, and keep equalling them through later
//     writes, erasures, growth and clear(), with several snapshots alive at once, destroyed
//     (or moved over) in random orders.
//   - S2: load, contains, visit, size, iteration, range and scan over a snapshot agree with
//     each other and never change, also while other threads write, erase, clear and grow
//     the map and several threads read the same snapshot.
//   - S3 (the part that needs no allocation counter; sync_map_snapshot_memory_test has the
//     rest): versions_retained is 0 right after snapshot(), grows while the map is
//     overwritten and erased under a live snapshot, and is 0 again once the last snapshot
//     that needed the versions is destroyed.
//   - S4: iteration yields each entry once, in ascending hash order, the same order every
//     time, equal to range() and to a chunked scan; the iterator is a C++20 forward
//     iterator usable with range-for and std::ranges, copies are independent (multipass),
//     and nothing is pinned between increments (no RCU read-side section is held).
//   - C4: a snapshot scanned in chunks of any sizes yields exactly its contents, each entry
//     once, whatever the live map does between chunks; cursors of the live map, of another
//     snapshot and of a snapshot of another map are rejected.
#include <syncmap/sync_map.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <map>
#include <optional>
#include <random>
#include <ranges>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "map_types.hpp"
#include "sync_map_types.hpp"

namespace {

#if defined(SYNCMAP_TSAN)
constexpr std::size_t work_divisor = 8;
#elif defined(__SANITIZE_ADDRESS__)
constexpr std::size_t work_divisor = 4;
#else
constexpr std::size_t work_divisor = 1;
#endif

constexpr std::size_t iterations(std::size_t n) { return std::max<std::size_t>(1, n / work_divisor); }

// Numbers to keys and values of the types under test. Strings mix short (inline) and long
// (heap-allocated) forms, so that a node freed too early is a use-after-free ASan sees.
template <class T>
T make(std::uint64_t n);
template <>
std::uint64_t make<std::uint64_t>(std::uint64_t n) {
    return n;
}
template <>
std::string make<std::string>(std::uint64_t n) {
    std::string s = std::to_string(n);
    if (n % 3 == 0) s += std::string(40, static_cast<char>('a' + n % 26));
    return s;
}

template <class K, class V>
using map_of = syncmap::sync_map<K, V>;
using u64_map = map_of<std::uint64_t, std::uint64_t>;
// The same keys and values in nodes (u64_map keeps them inline).
using syncmap_test::u64_nodes_map;
static_assert(u64_map::inline_storage && !u64_nodes_map::inline_storage);
using both_storages = ::testing::Types<u64_map, u64_nodes_map>;

template <class Map>
using model_of = std::map<typename Map::key_type, typename Map::mapped_type>;

// The most entries a leaf of the map's default size can hold (at most all its slots).
template <class Map>
std::size_t leaf_capacity() {
    return Map().debug_structure().slots;
}

template <class Map>
std::uint64_t hash_in(const Map& m, const typename Map::key_type& k) {
    return syncmap::detail::seeded_hash(m.hash_function(), k, m.seed());
}

// Every read path of a snapshot, as a sequence in yield order.
template <class K, class V>
struct reads {
    std::vector<std::pair<K, V>> range, iteration, scan;
};

template <class Snapshot, class K = std::remove_cvref_t<decltype((*std::declval<Snapshot&>().begin()).first)>,
          class V = std::remove_cvref_t<decltype((*std::declval<Snapshot&>().begin()).second)>>
reads<K, V> read_all(const Snapshot& s, std::size_t chunk) {
    reads<K, V> r;
    s.range([&](const K& k, const V& v) { r.range.emplace_back(k, v); });
    for (auto&& [k, v] : s) r.iteration.emplace_back(k, v);
    syncmap::cursor c;
    while (!c.done()) c = s.scan(c, chunk, [&](const K& k, const V& v) { r.scan.emplace_back(k, v); });
    return r;
}

// The whole of S2 for one snapshot against the contents it must have: every read path
// yields exactly `expected`, in one order shared by all of them, and point reads agree;
// keys from `absent_probes` not in `expected` are absent.
template <class Map, class Snapshot>
void expect_snapshot_is(const Map& m, const Snapshot& s, const model_of<Map>& expected,
                        const std::vector<typename Map::key_type>& absent_probes, std::size_t chunk,
                        const std::string& context) {
    using K = typename Map::key_type;
    using V = typename Map::mapped_type;
    SCOPED_TRACE(context);
    const reads<K, V> r = read_all(s, chunk);
    ASSERT_EQ(r.range.size(), expected.size());
    EXPECT_EQ(model_of<Map>(r.range.begin(), r.range.end()), expected);
    EXPECT_EQ(r.iteration, r.range) << "iteration and range differ";
    EXPECT_EQ(r.scan, r.range) << "a chunked scan (chunk " << chunk << ") and range differ";
    // Ascending hash order; so each key once.
    for (std::size_t i = 1; i < r.range.size(); ++i) {
        ASSERT_LE(hash_in(m, r.range[i - 1].first), hash_in(m, r.range[i].first)) << "at " << i;
    }
    EXPECT_EQ(s.size(), expected.size());
    EXPECT_EQ(s.empty(), expected.empty());
    for (const auto& [k, v] : expected) {
        const std::optional<V> got = s.load(k);
        ASSERT_TRUE(got.has_value()) << "a key of the snapshot is not found";
        EXPECT_EQ(*got, v);
        EXPECT_TRUE(s.contains(k));
        bool visited = false;
        EXPECT_TRUE(s.visit(k, [&](const V& x) { visited = x == v; }));
        EXPECT_TRUE(visited);
    }
    for (const K& k : absent_probes) {
        if (expected.count(k) != 0) continue;
        EXPECT_FALSE(s.load(k).has_value());
        EXPECT_FALSE(s.contains(k));
        EXPECT_FALSE(s.visit(k, [](const V&) {}));
    }
}

// ---- S1 and S2, sequentially, over random operation sequences ---------------------------

template <class Map>
class SnapshotModel : public ::testing::Test {};

// Both storages; std::string keys and values live in nodes.
using model_types = ::testing::Types<u64_map, u64_nodes_map, map_of<std::string, std::string>>;
using model_type_names = syncmap_test::map_type_names;
TYPED_TEST_SUITE(SnapshotModel, model_types, model_type_names);

// Random operations of every kind on a map and its model; snapshots taken at random
// points and kept (up to 6 at once) with a copy of the model. After each operation one
// live snapshot is probed (point reads of the key just written); every 64 operations one
// is checked completely; each is checked completely once more right before it is
// destroyed. Bursts of fresh keys force leaf splits and directory doublings; clear() runs
// now and then, also with snapshots alive.
TYPED_TEST(SnapshotModel, SnapshotsStayEqualToTheModelAtTheirInstant) {
    using map_type = TypeParam;
    using K = typename map_type::key_type;
    using V = typename map_type::mapped_type;
    using model = model_of<map_type>;
    using snapshot = typename map_type::snapshot_type;

    struct kept {
        snapshot snap;
        model contents;
        std::size_t taken_at;
    };

    // uint64 in nodes repeats the inline sequences at half the seeds (its allocations make
    // it the slowest of the three).
    const std::size_t seeds = std::is_same_v<map_type, u64_nodes_map> ? 2 : 4;
    const std::size_t steps = iterations(std::is_same_v<K, std::string> ? 1500 : 3000);
    for (std::size_t seed = 0; seed < seeds; ++seed) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        std::mt19937_64 rng(seed * 1000003 + 17);
        map_type m(rng());
        model ref;
        std::vector<kept> alive;
        std::uint64_t next_fresh = 1'000'000;
        std::uint64_t value_counter = 0;
        std::size_t destroyed = 0, clears_with_snapshots = 0;
        auto pick_key = [&]() -> std::uint64_t {
            return rng() % 4 == 0 ? rng() % 64 : rng() % 3000;  // a hot set, and a wider one
        };
        auto probes = [&](std::size_t n) {
            std::vector<K> out;
            for (std::size_t i = 0; i < n; ++i) out.push_back(make<K>(pick_key()));
            return out;
        };
        auto destroy_one = [&](std::size_t step) {
            const std::size_t victim = rng() % alive.size();
            expect_snapshot_is(m, alive[victim].snap, alive[victim].contents, probes(8), 1 + rng() % 100,
                               "before destroying the snapshot taken at step " +
                                   std::to_string(alive[victim].taken_at) + ", now step " + std::to_string(step));
            if (rng() % 4 == 0 && alive.size() > 1) {
                // Move another snapshot over it: the overwritten one is released.
                const std::size_t other = (victim + 1) % alive.size();
                alive[victim].snap = std::move(alive[other].snap);
                alive[victim].contents = std::move(alive[other].contents);
                alive[victim].taken_at = alive[other].taken_at;
                alive.erase(alive.begin() + static_cast<std::ptrdiff_t>(other));
            } else {
                alive.erase(alive.begin() + static_cast<std::ptrdiff_t>(victim));
            }
            ++destroyed;
            ASSERT_EQ(m.stats().live_snapshots, alive.size());
        };

        for (std::size_t step = 0; step < steps; ++step) {
            const std::uint64_t kn = pick_key();
            const K k = make<K>(kn);
            const V v = make<V>(++value_counter);
            switch (rng() % 20) {
            case 0: case 1: case 2: case 3: case 4: case 5:
                m.store(k, v);
                ref.insert_or_assign(k, v);
                break;
            case 6: case 7: case 8:
                EXPECT_EQ(m.erase(k), ref.erase(k) != 0);
                break;
            case 9: {
                const auto [actual, loaded] = m.load_or_store(k, v);
                const auto [it, inserted] = ref.try_emplace(k, v);
                EXPECT_EQ(loaded, !inserted);
                EXPECT_EQ(actual, it->second);
                break;
            }
            case 10: {
                auto it = ref.find(k);
                EXPECT_EQ(m.exchange(k, v), it == ref.end() ? std::nullopt : std::optional<V>(it->second));
                ref.insert_or_assign(k, v);
                break;
            }
            case 11: {
                auto it = ref.find(k);
                const V expected = it != ref.end() && rng() % 2 == 0 ? it->second : make<V>(0);
                const bool swapped = it != ref.end() && it->second == expected;
                EXPECT_EQ(m.compare_and_swap(k, expected, v), swapped);
                if (swapped) it->second = v;
                break;
            }
            case 12: {
                auto it = ref.find(k);
                const V expected = it != ref.end() && rng() % 2 == 0 ? it->second : make<V>(0);
                const bool erased = it != ref.end() && it->second == expected;
                EXPECT_EQ(m.compare_and_delete(k, expected), erased);
                if (erased) ref.erase(it);
                break;
            }
            case 13: {
                auto it = ref.find(k);
                EXPECT_EQ(m.load_and_delete(k), it == ref.end() ? std::nullopt : std::optional<V>(it->second));
                if (it != ref.end()) ref.erase(it);
                break;
            }
            case 14: case 15:
                // Take a snapshot (at most 6 alive; make room first).
                if (alive.size() == 6) destroy_one(step);
                {
                    const auto before = m.stats();
                    snapshot s = m.snapshot();
                    const auto after = m.stats();
                    EXPECT_EQ(after.live_snapshots, before.live_snapshots + 1);
                    EXPECT_EQ(after.versions_retained, before.versions_retained);  // creating copies nothing
                    alive.push_back({std::move(s), ref, step});
                }
                break;
            case 16:
                if (!alive.empty()) destroy_one(step);
                break;
            case 17:
                EXPECT_EQ(m.load(k), ref.count(k) ? std::optional<V>(ref.at(k)) : std::nullopt);
                break;
            case 18:
                // A burst of fresh keys: splits and, often, a directory doubling.
                for (std::size_t i = 0, n = 50 + rng() % 400; i < n; ++i) {
                    const K fk = make<K>(next_fresh++);
                    const V fv = make<V>(++value_counter);
                    m.store(fk, fv);
                    ref.insert_or_assign(fk, fv);
                }
                break;
            default:
                if (rng() % 8 == 0) {
                    if (!alive.empty()) ++clears_with_snapshots;
                    m.clear();
                    ref.clear();
                } else {
                    EXPECT_EQ(m.load(k), ref.count(k) ? std::optional<V>(ref.at(k)) : std::nullopt);
                }
            }
            if (::testing::Test::HasFatalFailure()) return;
            if (!alive.empty()) {
                // The key just written reads as it did when each snapshot was taken.
                for (const kept& a : alive) {
                    auto it = a.contents.find(k);
                    ASSERT_EQ(a.snap.load(k), it == a.contents.end() ? std::nullopt : std::optional<V>(it->second))
                        << "snapshot taken at step " << a.taken_at << " changed at step " << step;
                }
                if (step % 128 == 0) {
                    const kept& a = alive[rng() % alive.size()];
                    expect_snapshot_is(m, a.snap, a.contents, probes(16), 1 + rng() % 300,
                                       "snapshot taken at step " + std::to_string(a.taken_at) + ", now step " +
                                           std::to_string(step));
                    if (::testing::Test::HasFatalFailure()) return;
                }
            }
        }
        while (!alive.empty()) {
            destroy_one(steps);
            if (::testing::Test::HasFatalFailure()) return;
        }
        // Nothing is kept for snapshots once none is alive; the live map equals the model.
        const syncmap::map_stats st = m.stats();
        EXPECT_EQ(st.live_snapshots, 0u);
        EXPECT_EQ(st.versions_retained, 0);
        EXPECT_GT(st.leaf_splits, 0u);
        EXPECT_GT(destroyed, 0u);
        model live;
        m.range([&](const K& key, const V& value) { live.emplace(key, value); });
        EXPECT_EQ(live, ref);
        std::printf("[ snapshots ] seed %zu: %zu snapshots destroyed, %zu clears with snapshots alive, %llu splits\n",
                    seed, destroyed, clears_with_snapshots, static_cast<unsigned long long>(st.leaf_splits));
    }
}

// ---- clear() with snapshots alive ---------------------------------------------------------

TEST(SnapshotClear, SnapshotsKeepTheirContentsThroughClearAndRegrowth) {
    u64_map m(42);
    model_of<u64_map> ref;
    std::vector<std::pair<u64_map::snapshot_type, model_of<u64_map>>> alive;
    std::vector<std::uint64_t> probes;
    for (std::uint64_t i = 0; i < 100; ++i) probes.push_back(i * 97);
    // Five generations: fill (growing), snapshot, maybe snapshot again after an overwrite,
    // clear. Snapshots of every generation stay alive across the later clears.
    for (std::uint64_t gen = 0; gen < 5; ++gen) {
        for (std::uint64_t i = 0; i < 1500 + gen * 700; ++i) {
            m.store(i * 3 + gen, gen * 1'000'000 + i);
            ref.insert_or_assign(i * 3 + gen, gen * 1'000'000 + i);
        }
        alive.emplace_back(m.snapshot(), ref);
        if (gen % 2 == 0) {
            for (std::uint64_t i = 0; i < 300; ++i) {
                m.store(i * 3 + gen, 7);
                ref.insert_or_assign(i * 3 + gen, 7);
                m.erase(i * 3 + gen + 900);
                ref.erase(i * 3 + gen + 900);
            }
            alive.emplace_back(m.snapshot(), ref);
        }
        m.clear();
        ref.clear();
        EXPECT_TRUE(m.empty());
        EXPECT_EQ(m.stats().versions_retained, 0);  // the new tree keeps nothing yet
        // A snapshot of the cleared map is empty.
        const auto empty = m.snapshot();
        EXPECT_EQ(empty.size(), 0u);
        EXPECT_TRUE(empty.begin() == empty.end());
        for (std::size_t i = 0; i < alive.size(); ++i) {
            expect_snapshot_is(m, alive[i].first, alive[i].second, probes, 1 + i * 37,
                               "generation " + std::to_string(gen) + ", snapshot " + std::to_string(i));
        }
    }
    EXPECT_EQ(m.stats().clears, 5u);
    EXPECT_EQ(m.stats().live_snapshots, alive.size());
    // Destroy in an interleaved order: oldest, newest, the middle ones; the rest must not notice.
    std::mt19937_64 rng(7);
    while (!alive.empty()) {
        const std::size_t victim = rng() % alive.size();
        alive.erase(alive.begin() + static_cast<std::ptrdiff_t>(victim));
        for (std::size_t i = 0; i < alive.size(); ++i) {
            expect_snapshot_is(m, alive[i].first, alive[i].second, probes, 50, "after a destruction");
        }
    }
    EXPECT_EQ(m.stats().live_snapshots, 0u);
    EXPECT_EQ(m.stats().versions_retained, 0);
}

TEST(SnapshotClear, ClearFromASnapshotRangeCallback) {
    u64_map m;
    for (std::uint64_t i = 0; i < 2000; ++i) m.store(i, i);
    const auto s = m.snapshot();
    std::size_t n = 0;
    // f may call any member of the map, clear included (W5); the snapshot is unaffected.
    s.range([&](std::uint64_t k, std::uint64_t v) {
        EXPECT_EQ(k, v);
        if (++n % 500 == 0) m.clear();
        m.store(k + 10'000, k);
    });
    EXPECT_EQ(n, 2000u);
    EXPECT_EQ(s.size(), 2000u);
    std::size_t again = 0;
    for (auto&& [k, v] : s) again += k == v && k < 2000 ? 1 : 0;
    EXPECT_EQ(again, 2000u);
}

// ---- S2 under concurrency -----------------------------------------------------------------

// Readers on several threads read the same snapshots through every path while writers
// overwrite, erase, insert fresh keys (splits, directory doublings) and clear.
TEST(SnapshotConcurrency, SnapshotsNeverChangeWhateverOtherThreadsDo) {
    u64_map m;
    model_of<u64_map> ref;
    for (std::uint64_t i = 0; i < 3000; ++i) {
        m.store(i, i * 10);
        ref.emplace(i, i * 10);
    }
    const auto quiet = m.snapshot();  // taken with known contents
    std::atomic<bool> go{false};
    std::atomic<std::size_t> writers_done{0};
    constexpr unsigned writer_count = 2;
    const std::size_t writer_ops = iterations(200000);
    std::vector<std::thread> threads;
    for (unsigned w = 0; w < writer_count; ++w) {
        threads.emplace_back([&, w] {
            std::mt19937_64 rng(w + 1);
            while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
            std::uint64_t fresh = 100'000 + w * 10'000'000;
            for (std::size_t i = 0; i < writer_ops; ++i) {
                const std::uint64_t k = rng() % 4000;
                switch (rng() % 8) {
                case 0: case 1: case 2:
                    m.store(k, rng());
                    break;
                case 3: case 4:
                    m.erase(k);
                    break;
                case 5: case 6:
                    m.store(fresh++, 1);
                    break;
                default:
                    if (w == 0 && rng() % 2000 == 0) m.clear();
                }
            }
            writers_done.fetch_add(1, std::memory_order_release);
        });
    }
    // The reference reading of a snapshot taken in the middle of the churn, made once by
    // the thread that took it; other threads compare with it.
    std::optional<u64_map::snapshot_type> busy;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> busy_reference;
    std::atomic<bool> busy_ready{false};
    std::atomic<std::size_t> failures{0}, rounds{0};
    const std::size_t min_rounds = iterations(40);
    auto reader = [&](unsigned id) {
        std::mt19937_64 rng(100 + id);
        while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
        for (std::size_t round = 0;
             round < min_rounds || (writers_done.load(std::memory_order_acquire) < writer_count && round < 50 * min_rounds);
             ++round) {
            const auto r = read_all(quiet, 1 + rng() % 500);
            bool ok = r.range.size() == ref.size() && r.iteration == r.range && r.scan == r.range &&
                      model_of<u64_map>(r.range.begin(), r.range.end()) == ref && quiet.size() == ref.size();
            for (int i = 0; i < 50; ++i) {
                const std::uint64_t k = rng() % 4000;
                const auto it = ref.find(k);
                ok = ok && quiet.load(k) == (it == ref.end() ? std::nullopt : std::optional<std::uint64_t>(it->second));
            }
            if (busy_ready.load(std::memory_order_acquire)) {
                const auto b = read_all(*busy, 1 + rng() % 100);
                ok = ok && b.range == busy_reference && b.iteration == busy_reference && b.scan == busy_reference &&
                     busy->size() == busy_reference.size();
            }
            if (!ok) failures.fetch_add(1, std::memory_order_relaxed);
            rounds.fetch_add(1, std::memory_order_relaxed);
        }
    };
    threads.emplace_back(reader, 0);
    threads.emplace_back([&] {
        while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
        for (int i = 0; i < 200; ++i) std::this_thread::yield();
        busy.emplace(m.snapshot());
        busy->range([&](std::uint64_t k, std::uint64_t v) { busy_reference.emplace_back(k, v); });
        busy_ready.store(true, std::memory_order_release);
        reader(1);
    });
    go.store(true, std::memory_order_release);
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0u) << "of " << rounds.load() << " reading rounds";
    EXPECT_GE(rounds.load(), 2 * min_rounds);
    // Once quiescent, the busy snapshot still reads the same.
    ASSERT_TRUE(busy.has_value());
    std::vector<std::uint64_t> probes;
    for (std::uint64_t k = 0; k < 4000; k += 7) probes.push_back(k);
    expect_snapshot_is(m, *busy, model_of<u64_map>(busy_reference.begin(), busy_reference.end()), probes, 33,
                       "busy snapshot, after the writers");
    expect_snapshot_is(m, quiet, ref, probes, 77, "quiet snapshot, after the writers");
    busy.reset();
}

// ---- S3: versions retained while a snapshot lives -------------------------------------------
//
// Snapshots are copy-on-write per leaf: the first write to a leaf that a live snapshot reads
// live copies the whole leaf (the preserved copy); versions_retained counts the entries held
// in those copies, a copy counting every entry the leaf had when copied. The figures below
// are exact: the writes reach every leaf (thousands of writes over a few hundred leaves at
// most), so each pass of writes copies every leaf once, and the copies together hold exactly
// the entries the map had at that moment. Both storages behave alike.

template <class Map>
class SnapshotRetention : public ::testing::Test {};
TYPED_TEST_SUITE(SnapshotRetention, both_storages, syncmap_test::map_type_names);

TYPED_TEST(SnapshotRetention, VersionsRetainedGrowWhileASnapshotLivesAndReturnToZero) {
    using map_type = TypeParam;
    using snapshot = typename map_type::snapshot_type;
    constexpr std::uint64_t n = 5000;
    constexpr std::int64_t whole = static_cast<std::int64_t>(n);
    map_type m;
    for (std::uint64_t i = 0; i < n; ++i) m.store(i, i);
    for (std::uint64_t i = 0; i < n; ++i) m.store(i, i + 1);  // no snapshot: nothing kept
    EXPECT_EQ(m.stats().versions_retained, 0);
    const std::size_t leaves = m.debug_structure().leaves;
    ASSERT_GT(leaves, 8u);
    {
        const auto s = m.snapshot();
        EXPECT_EQ(m.stats().versions_retained, 0) << "creating a snapshot copies nothing";
        EXPECT_EQ(m.stats().live_snapshots, 1u);
        // The first write copies its leaf, whole: between 1 and a leaf's capacity of entries.
        m.store(0, 2);
        const std::int64_t first = m.stats().versions_retained;
        EXPECT_GT(first, 0);
        EXPECT_LE(first, static_cast<std::int64_t>(leaf_capacity<map_type>()));
        std::int64_t last = first;
        for (std::uint64_t i = 1; i < n; ++i) {
            m.store(i, i + 2);
            if (i % 500 == 499) {
                const std::int64_t now = m.stats().versions_retained;
                EXPECT_GE(now, last);
                EXPECT_LE(now, whole);
                last = now;
            }
        }
        // Every leaf copied once: exactly the snapshot's entries; overwriting again adds none.
        EXPECT_EQ(m.stats().versions_retained, whole);
        for (std::uint64_t i = 0; i < n; ++i) m.store(i, i + 3);
        EXPECT_EQ(m.stats().versions_retained, whole);
        // Erasing copies nothing more either: the leaves were copied already.
        for (std::uint64_t i = 0; i < n; i += 2) m.erase(i);
        EXPECT_EQ(m.stats().versions_retained, whole);
        EXPECT_EQ(m.size(), n / 2);
        // Growth (splits, directory doublings) hands the copies to the new leaves without
        // copying again, and the snapshot still reads its values.
        const auto before_growth = m.stats();
        for (std::uint64_t i = n; i < 4 * n; ++i) m.store(i, i);
        EXPECT_GT(m.stats().leaf_splits, before_growth.leaf_splits);
        EXPECT_GT(m.stats().directory_growths, before_growth.directory_growths);
        EXPECT_EQ(m.stats().versions_retained, whole);
        std::size_t checked = 0;
        for (auto&& [k, v] : s) checked += v == k + 1 && k < n ? 1 : 0;
        EXPECT_EQ(checked, n);
    }
    EXPECT_EQ(m.stats().live_snapshots, 0u);
    EXPECT_EQ(m.stats().versions_retained, 0) << "destroying the last snapshot sweeps what it kept";
    EXPECT_EQ(m.size(), n / 2 + 3 * n);
    // Two snapshots with writes between them: one copy per leaf for each.
    const std::int64_t at_older = static_cast<std::int64_t>(m.size());  // 3.5 n
    std::optional<snapshot> older(m.snapshot());
    for (std::uint64_t i = 0; i < n; ++i) m.store(i, 0);
    EXPECT_EQ(m.stats().versions_retained, at_older);
    const std::int64_t at_newer = static_cast<std::int64_t>(m.size());  // 4 n
    std::optional<snapshot> newer(m.snapshot());
    for (std::uint64_t i = 0; i < n; ++i) m.store(i, 1);
    EXPECT_EQ(m.stats().versions_retained, at_older + at_newer);
    // Destroying the newer drops exactly its copies and keeps what the older needs.
    newer.reset();
    EXPECT_EQ(m.stats().versions_retained, at_older);
    EXPECT_EQ(older->load(1), std::optional<std::uint64_t>(4));
    EXPECT_EQ(older->load(2), std::nullopt);
    older.reset();
    EXPECT_EQ(m.stats().versions_retained, 0);
    // clear() with a snapshot alive: the old tree goes to the snapshot, the new one keeps nothing.
    std::optional<snapshot> held(m.snapshot());
    for (std::uint64_t i = 0; i < n; ++i) m.store(i, 5);
    EXPECT_EQ(m.stats().versions_retained, static_cast<std::int64_t>(4 * n));
    m.clear();
    EXPECT_EQ(m.stats().versions_retained, 0);
    EXPECT_EQ(held->size(), 4 * n);
    held.reset();
    EXPECT_EQ(m.stats().versions_retained, 0);
    EXPECT_EQ(m.stats().live_snapshots, 0u);
}

// Preserved copies are dropped precisely: a copy that holds the state for versions [a, b) is
// kept only while a live snapshot's version lies in [a, b). One long-lived snapshot and a
// stream of short ones, each taken, overwritten under, and destroyed: the long one keeps one
// copy per leaf, each short one adds one while it lives, and destroying it drops exactly
// that copy. A sweep that kept copies newer than the oldest live snapshot (or only dropped
// copies once no snapshot at all is alive) would pile up one copy per leaf per short snapshot.
TYPED_TEST(SnapshotRetention, CopiesForShortSnapshotsGoWithThemWhileALongOneLives) {
    using map_type = TypeParam;
    constexpr std::uint64_t keys = 1000;
    constexpr std::int64_t whole = static_cast<std::int64_t>(keys);
    map_type m;
    for (std::uint64_t k = 0; k < keys; ++k) m.store(k, 0);
    const auto held = m.snapshot();
    for (std::uint64_t k = 0; k < keys; ++k) m.store(k, 1);
    EXPECT_EQ(m.stats().versions_retained, whole);
    for (std::uint64_t round = 2; round < 102; ++round) {
        {
            const auto brief = m.snapshot();
            for (std::uint64_t k = 0; k < keys; ++k) m.store(k, round);
            ASSERT_EQ(m.stats().versions_retained, 2 * whole) << "round " << round;
            ASSERT_EQ(brief.load(7), std::optional<std::uint64_t>(round - 1));
        }
        ASSERT_EQ(m.stats().versions_retained, whole) << "round " << round << ": the short snapshot's copies stayed";
    }
    EXPECT_EQ(held.load(7), std::optional<std::uint64_t>(0));
    EXPECT_EQ(held.size(), keys);
}

// The same under concurrency: writer threads overwrite 1,000 keys while one snapshot is
// held and short snapshots are taken and released one at a time. At any moment at most
// (live snapshots + 1) copies per leaf exist (one per live snapshot, plus one a writer may
// have linked for a snapshot that was being destroyed), i.e. versions_retained stays within
// (live + 1) * 1000, however many short snapshots were taken.
TYPED_TEST(SnapshotRetention, ShortSnapshotsUnderConcurrentWritesStayBounded) {
    using map_type = TypeParam;
    constexpr std::uint64_t keys = 1000;
    const std::size_t shorts = iterations(60);
    map_type m;
    for (std::uint64_t k = 0; k < keys; ++k) m.store(k, k);
    std::optional<typename map_type::snapshot_type> held(m.snapshot());
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> written{0};
    std::vector<std::thread> writers;
    for (unsigned w = 0; w < 2; ++w) {
        writers.emplace_back([&, w] {
            std::uint64_t i = w;
            while (!stop.load(std::memory_order_relaxed)) {
                m.store(i % keys, keys + i);
                i += 2;
                written.fetch_add(1, std::memory_order_relaxed);
            }
        });
    }
    // Each short snapshot lives until the writers have made 1000 more writes (over 1000
    // keys: most leaves get copied for it).
    auto wait_for_writes = [&](std::uint64_t from, std::uint64_t count) {
        while (written.load(std::memory_order_relaxed) < from + count) std::this_thread::yield();
    };
    wait_for_writes(0, 2 * keys);
    std::int64_t worst_with_one = 0, worst_with_two = 0;
    for (std::size_t i = 0; i < shorts; ++i) {
        {
            const auto brief = m.snapshot();
            wait_for_writes(written.load(std::memory_order_relaxed), keys);
            const std::int64_t now = m.stats().versions_retained;
            worst_with_two = std::max(worst_with_two, now);
        }
        const std::int64_t now = m.stats().versions_retained;
        worst_with_one = std::max(worst_with_one, now);
        // (Checked after the writers stop: a failed assertion must not leave them running.)
        if (worst_with_two > 3 * static_cast<std::int64_t>(keys) || worst_with_one > 2 * static_cast<std::int64_t>(keys)) {
            ADD_FAILURE() << "copies piled up after " << i + 1 << " short snapshots";
            break;
        }
    }
    stop.store(true);
    for (auto& t : writers) t.join();
    EXPECT_LE(worst_with_two, 3 * static_cast<std::int64_t>(keys));
    EXPECT_LE(worst_with_one, 2 * static_cast<std::int64_t>(keys));
    // The check had teeth: the short snapshots did get copies of their own.
    EXPECT_GT(worst_with_two, static_cast<std::int64_t>(keys));
    EXPECT_EQ(held->size(), keys);
    for (std::uint64_t k = 0; k < keys; k += 97) EXPECT_EQ(held->load(k), std::optional<std::uint64_t>(k));
    held.reset();
    EXPECT_EQ(m.stats().versions_retained, 0);
    std::printf("[ retention ] %zu short snapshots: versions_retained at most %lld with two alive, %lld with one\n",
                shorts, static_cast<long long>(worst_with_two), static_cast<long long>(worst_with_one));
}

// S3: a snapshot retains only versions it can see. A snapshot taken before clear() reads
// the old tree, which clear() hands to it whole; nothing written to the new tree can ever be
// visible to it (every later write is stamped past its version), so the new tree must keep
// nothing on its behalf: no copy of any leaf.
TYPED_TEST(SnapshotRetention, ASnapshotOfAClearedTreeKeepsNothingOfTheNewTree) {
    using map_type = TypeParam;
    constexpr std::uint64_t n = 1000;
    map_type m(31);
    map_type twin(31);  // the same operations, no snapshot
    for (std::uint64_t k = 0; k < n; ++k) {
        m.store(k, k);
        twin.store(k, k);
    }
    const auto s = m.snapshot();
    m.clear();
    twin.clear();
    for (map_type* x : {&m, &twin}) {
        for (std::uint64_t k = 0; k < n; ++k) x->store(k, k + 1);
        for (std::uint64_t k = 0; k < n; ++k) x->store(k, k + 2);
        for (std::uint64_t k = 0; k < n; ++k) x->erase(k);
    }
    EXPECT_EQ(m.stats().versions_retained, 0) << "versions kept for a snapshot that cannot see them";
    EXPECT_EQ(s.size(), n);
    EXPECT_EQ(s.load(5), std::optional<std::uint64_t>(5));
}

// ---- Restructuring under a live snapshot --------------------------------------------------
//
// A leaf that splits (or is rebuilt, or the directory doubles) after a snapshot copied it
// hands the copy to the leaves that replace it: both halves of a split point at the same
// copy, which spans both their intervals. A snapshot must still read exactly its contents
// through every read path, for keys in either half. Several snapshots, taken between
// growth phases, each against its own model.
TYPED_TEST(SnapshotRetention, SplitsRebuildsAndDoublingsKeepEverySnapshotExact) {
    using map_type = TypeParam;
    using model = model_of<map_type>;
    map_type m(0xC0FFEE);
    model ref;
    std::vector<std::pair<typename map_type::snapshot_type, model>> alive;
    std::vector<std::uint64_t> probes;
    for (std::uint64_t k = 0; k < 30000; k += 37) probes.push_back(k);
    auto put = [&](std::uint64_t k, std::uint64_t v) {
        m.store(k, v);
        ref.insert_or_assign(k, v);
    };
    for (std::uint64_t k = 0; k < 200; ++k) put(k, k);
    std::uint64_t next = 200;
    for (int phase = 0; phase < 4; ++phase) {
        alive.emplace_back(m.snapshot(), ref);
        const auto before = m.stats();
        const auto shape = m.debug_structure();
        // Grow the map about 3x: the copies made by the first writes are split with their leaves.
        const std::uint64_t target = next * 3;
        for (; next < target; ++next) put(next, next * 10);
        if (phase % 2 == 1) {
            // Churn under another snapshot: erase three keys in four, then insert fresh keys
            // for half as many. Leaves left mostly deleted slots fill up and are rebuilt
            // (inline slots are never reused before a rebuild; node slots are, so node
            // storage may split or reuse instead).
            alive.emplace_back(m.snapshot(), ref);
            std::vector<std::uint64_t> present;
            for (const auto& [k, v] : ref) present.push_back(k);
            for (std::size_t i = 0; i < present.size(); ++i) {
                if (i % 4 == 0) continue;
                m.erase(present[i]);
                ref.erase(present[i]);
            }
            for (std::size_t i = 0; i < present.size() / 2; ++i, ++next) put(next, next * 10);
        }
        const auto after = m.stats();
        EXPECT_GT(after.leaf_splits, before.leaf_splits) << "phase " << phase;
        EXPECT_GT(after.directory_growths, before.directory_growths) << "phase " << phase;
        EXPECT_GT(m.debug_structure().leaves, shape.leaves);
        if constexpr (map_type::inline_storage) {
            if (phase % 2 == 1) {
                EXPECT_GT(after.leaf_rebuilds, before.leaf_rebuilds) << "phase " << phase;
            }
        }
        for (std::size_t i = 0; i < alive.size(); ++i) {
            expect_snapshot_is(m, alive[i].first, alive[i].second, probes, 1 + 37 * i,
                               "phase " + std::to_string(phase) + ", snapshot " + std::to_string(i));
        }
    }
    // Destroyed oldest first, then newest first, re-checking the rest each time.
    alive.erase(alive.begin());
    for (std::size_t i = 0; i < alive.size(); ++i) {
        expect_snapshot_is(m, alive[i].first, alive[i].second, probes, 64, "after the oldest went");
    }
    while (!alive.empty()) {
        alive.pop_back();
        for (std::size_t i = 0; i < alive.size(); ++i) {
            expect_snapshot_is(m, alive[i].first, alive[i].second, probes, 13, "after a newer one went");
        }
    }
    EXPECT_EQ(m.stats().versions_retained, 0);
    std::unordered_map<std::uint64_t, std::uint64_t> expected(ref.begin(), ref.end());
    std::size_t seen = 0;
    m.range([&](std::uint64_t k, std::uint64_t v) { seen += expected.count(k) != 0 && expected[k] == v; });
    EXPECT_EQ(seen, ref.size());
    EXPECT_EQ(m.size(), ref.size());
}

// A single leaf copied, then split by a directory doubling while the snapshot lives: the
// smallest case, where the copy spans both halves and the whole hash space.
TYPED_TEST(SnapshotRetention, TheFirstSplitSharesTheRootCopy) {
    using map_type = TypeParam;
    map_type m(7);
    for (std::uint64_t k = 0; k < 50; ++k) m.store(k, k);
    ASSERT_EQ(m.debug_structure().leaves, 1u);
    const auto s = m.snapshot();
    m.store(0, 1000);  // copies the root leaf
    EXPECT_EQ(m.stats().versions_retained, 50);
    for (std::uint64_t k = 50; k < 400; ++k) m.store(k, k);
    EXPECT_GE(m.stats().directory_growths, 1u);
    EXPECT_EQ(m.stats().versions_retained, 50) << "the halves share the copy";
    model_of<map_type> expected;
    for (std::uint64_t k = 0; k < 50; ++k) expected.emplace(k, k);
    std::vector<std::uint64_t> probes;
    for (std::uint64_t k = 0; k < 400; ++k) probes.push_back(k);
    expect_snapshot_is(m, s, expected, probes, 7, "after the first splits");
}

// ---- Node storage: nodes shared by preserved copies and live leaves ------------------------
//
// A preserved copy of a leaf points at the same nodes as the live leaf (each node counts its
// holders). A node must be freed exactly once, and only after its last holder is gone: the
// live leaf when overwritten or erased, the copy when no snapshot reads it any more (and a
// grace period later). A value type that counts its live objects checks the numbers; ASan
// turns an early or double free into an error (the values carry heap-allocated strings).

struct counted_value {
    static inline std::atomic<long> live{0};
    std::string payload;
    explicit counted_value(std::uint64_t n) : payload(std::to_string(n) + std::string(40, 'v')) { ++live; }
    counted_value(const counted_value& o) : payload(o.payload) { ++live; }
    counted_value(counted_value&& o) noexcept : payload(std::move(o.payload)) { ++live; }
    counted_value& operator=(const counted_value&) = default;
    counted_value& operator=(counted_value&&) = default;
    ~counted_value() { --live; }
    friend bool operator==(const counted_value&, const counted_value&) = default;
};

using counted_map = syncmap::sync_map<std::uint64_t, counted_value>;
static_assert(!counted_map::inline_storage);

long settled_values() {
    syncmap::detail::rcu_barrier();
    return counted_value::live.load();
}

TEST(SnapshotNodes, SharedNodesAreFreedOnceAfterTheirLastHolder) {
    constexpr std::uint64_t n = 3000;
    const long base = settled_values();
    {
        counted_map m(99);
        for (std::uint64_t k = 0; k < n; ++k) m.store(k, counted_value(k));
        EXPECT_EQ(settled_values() - base, static_cast<long>(n)) << "one value per entry";
        std::optional<counted_map::snapshot_type> s(m.snapshot());
        EXPECT_EQ(settled_values() - base, static_cast<long>(n)) << "creating a snapshot copies no value";
        // Under the snapshot: overwrite a third, erase a third, and grow the map 3x (splits,
        // directory doublings: the halves share the copies). The copies keep the 2000
        // superseded values; the untouched third is held by both a copy and the live leaf,
        // and exists once.
        for (std::uint64_t k = 0; k < n; k += 3) m.store(k, counted_value(k + 1'000'000));
        for (std::uint64_t k = 1; k < n; k += 3) m.erase(k);
        const auto growths = m.stats().directory_growths;
        for (std::uint64_t k = n; k < 4 * n; ++k) m.store(k, counted_value(k));
        EXPECT_GT(m.stats().directory_growths, growths);
        const long live_entries = static_cast<long>(m.size());
        EXPECT_EQ(live_entries, static_cast<long>(n - n / 3 + 3 * n));
        EXPECT_EQ(settled_values() - base, live_entries + static_cast<long>(2 * n / 3));
        // The snapshot reads the shared and the superseded values.
        std::size_t right = 0;
        s->range([&](std::uint64_t k, const counted_value& v) { right += v == counted_value(k); });
        EXPECT_EQ(right, n);
        // A second snapshot, more overwrites (of shared and of fresh entries): values held by
        // a copy of each snapshot, by both, or by a copy and the live leaf.
        std::optional<counted_map::snapshot_type> s2(m.snapshot());
        for (std::uint64_t k = 0; k < 4 * n; k += 2) m.store(k, counted_value(k + 2'000'000));
        s.reset();
        std::size_t right2 = 0;
        s2->range([&](std::uint64_t k, const counted_value& v) {
            right2 += v == counted_value(k % 3 == 0 && k < n ? k + 1'000'000 : k);
        });
        EXPECT_EQ(right2, static_cast<std::size_t>(live_entries));
        s2.reset();
        EXPECT_EQ(m.stats().versions_retained, 0);
        EXPECT_EQ(settled_values() - base, static_cast<long>(m.size())) << "values kept after every snapshot went";
        // clear() with a snapshot alive: the frozen tree and its copies go with the snapshot.
        const std::size_t at_s3 = m.size();
        std::optional<counted_map::snapshot_type> s3(m.snapshot());
        for (std::uint64_t k = 0; k < 4 * n; k += 5) m.store(k, counted_value(k));
        // Fresh keys: the copied leaves split, their halves sharing each copy, and clear()
        // then freezes halves that share copies (the frozen tree frees each copy once).
        const auto splits = m.stats().leaf_splits;
        for (std::uint64_t k = 4 * n; k < 7 * n; ++k) m.store(k, counted_value(k));
        EXPECT_GT(m.stats().leaf_splits, splits);
        m.clear();
        for (std::uint64_t k = 0; k < 100; ++k) m.store(k, counted_value(k));
        EXPECT_EQ(s3->size(), at_s3);
        s3.reset();
        EXPECT_EQ(settled_values() - base, 100);
    }
    EXPECT_EQ(settled_values(), base) << "destroying the map frees every value once";
}

// ---- S4: iteration ---------------------------------------------------------------------------

using snapshot_iterator = u64_map::snapshot_type::iterator;
static_assert(std::forward_iterator<snapshot_iterator>, "S4: a snapshot iterator is a forward iterator");
static_assert(std::ranges::forward_range<const u64_map::snapshot_type&>, "S4: a snapshot is a forward range");
static_assert(std::sentinel_for<snapshot_iterator, snapshot_iterator>);
// *it: a pair of references held by the iterator, so `auto& [k, v]` binds too.
static_assert(std::is_same_v<std::iter_reference_t<snapshot_iterator>,
                             const std::pair<const std::uint64_t&, const std::uint64_t&>&>);

TEST(SnapshotIteration, EachEntryOnceInOneOrderEveryTime) {
    for (std::uint64_t n : {0u, 1u, 2u, 111u, 112u, 113u, 5000u, 40000u}) {
        SCOPED_TRACE("n = " + std::to_string(n));
        u64_map m;
        model_of<u64_map> ref;
        for (std::uint64_t i = 0; i < n; ++i) {
            m.store(i * 2654435761u, i);
            ref.emplace(i * 2654435761u, i);
        }
        const auto s = m.snapshot();
        // Mutate the live map heavily; the snapshot's order and contents must not move.
        for (std::uint64_t i = 0; i < n; i += 3) m.erase(i * 2654435761u);
        for (std::uint64_t i = 0; i < n; ++i) m.store(i * 7 + 1, i);
        std::vector<std::pair<std::uint64_t, std::uint64_t>> first, second;
        for (auto&& [k, v] : s) first.emplace_back(k, v);
        for (auto it = s.begin(); it != s.end(); it++) second.emplace_back(it->first, it->second);
        EXPECT_EQ(first, second) << "two iterations differ";
        EXPECT_EQ(model_of<u64_map>(first.begin(), first.end()), ref);
        EXPECT_EQ(first.size(), n);
        const reads<std::uint64_t, std::uint64_t> r = read_all(s, 1 + n / 7);
        EXPECT_EQ(r.range, first);
        EXPECT_EQ(r.scan, first);
        for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{113}}) {
            std::vector<std::pair<std::uint64_t, std::uint64_t>> scanned;
            syncmap::cursor c;
            while (!c.done()) c = s.scan(c, chunk, [&](std::uint64_t k, std::uint64_t v) { scanned.emplace_back(k, v); });
            EXPECT_EQ(scanned, first) << "chunk " << chunk;
        }
        // std::ranges algorithms and counts.
        EXPECT_EQ(static_cast<std::uint64_t>(std::ranges::distance(s)), n);
        EXPECT_EQ(static_cast<std::uint64_t>(std::ranges::count_if(s, [](const auto& e) { return e.second % 2 == 0; })),
                  (n + 1) / 2);
        EXPECT_EQ(std::ranges::find_if(s, [](const auto& e) { return e.second == 1'000'000'000; }), s.end());
        if (n > 0) {
            const auto max = std::ranges::max_element(s, {}, [](const auto& e) { return e.second; });
            EXPECT_EQ((*max).second, n - 1);
        }
    }
}

TEST(SnapshotIteration, IteratorCopiesAreIndependent) {
    u64_map m;
    for (std::uint64_t i = 0; i < 3000; ++i) m.store(i, i * i);
    const auto s = m.snapshot();
    std::vector<std::uint64_t> keys;
    for (auto&& [k, v] : s) keys.push_back(k);
    ASSERT_EQ(keys.size(), 3000u);
    // Multipass: a copy taken at any point replays the rest of the sequence on its own.
    auto it = s.begin();
    std::size_t at = 0;
    for (std::size_t i = 0; i < keys.size(); i += 1 + i / 3) {
        for (; at < i; ++at) ++it;
        auto copy = it;
        const auto key_here = (*it).first;
        for (std::size_t j = i; j < std::min(keys.size(), i + 300); ++j, ++copy) {
            ASSERT_EQ((*copy).first, keys[j]);
            ASSERT_EQ((*copy).second, keys[j] * keys[j]);
        }
        EXPECT_EQ((*it).first, key_here) << "advancing a copy moved the original";
        EXPECT_TRUE(it == it);
        if (i + 300 < keys.size()) {
            EXPECT_FALSE(copy == it);
        }
    }
    // Post-increment returns the old position; end() == end(); a default iterator is end().
    auto a = s.begin();
    auto b = a++;
    EXPECT_EQ((*b).first, keys[0]);
    EXPECT_EQ((*a).first, keys[1]);
    EXPECT_TRUE(s.end() == snapshot_iterator());
    EXPECT_EQ(std::ranges::next(s.begin(), static_cast<std::ptrdiff_t>(keys.size())), s.end());
}

TEST(SnapshotIteration, NothingIsPinnedBetweenIncrements) {
    u64_map m;
    for (std::uint64_t i = 0; i < 4000; ++i) m.store(i, i);
    const auto s = m.snapshot();
    auto it = s.begin();
    EXPECT_EQ(syncmap::detail::rcu_read_ongoing(), 0) << "begin() left an RCU read-side section open";
    for (int i = 0; i < 1000; ++i) ++it;
    EXPECT_EQ(syncmap::detail::rcu_read_ongoing(), 0) << "an increment left an RCU read-side section open";
    const std::uint64_t at = (*it).first;
    // With the iterator parked mid-way: overwrite every key twice. The first overwrite's
    // versions are kept (the snapshot needs what they replaced), the second's are retired,
    // and a grace period frees them: the parked iterator holds nothing back.
    for (std::uint64_t i = 0; i < 4000; ++i) m.store(i, i + 1);
    for (std::uint64_t i = 0; i < 4000; ++i) m.store(i, i + 2);
    for (std::uint64_t i = 4000; i < 20000; ++i) m.store(i, i);  // splits retire old leaves
    syncmap::detail::rcu_barrier();
    EXPECT_EQ(syncmap::detail::rcu_pending_bytes.load(), 0);
    EXPECT_EQ((*it).first, at);
    std::size_t rest = 0;
    for (; it != s.end(); ++it) {
        EXPECT_EQ((*it).first, (*it).second);
        ++rest;
    }
    EXPECT_EQ(rest, 3000u);
}

// ---- C4: chunked scans of a snapshot ----------------------------------------------------------

TEST(SnapshotScan, ChunksOfAnySizeYieldExactlyTheContents) {
    std::mt19937_64 rng(3);
    u64_map m;
    model_of<u64_map> ref;
    for (std::uint64_t i = 0; i < 6000; ++i) {
        m.store(i, i);
        ref.emplace(i, i);
    }
    const auto s = m.snapshot();
    std::uint64_t fresh = 1'000'000;
    for (int pass = 0; pass < 40; ++pass) {
        std::vector<std::pair<std::uint64_t, std::uint64_t>> got;
        syncmap::cursor c;
        std::uint64_t last_position = 0;
        std::size_t calls = 0;
        while (!c.done()) {
            const std::size_t chunk = pass < 4 ? std::size_t{1} << (pass * 3) : 1 + rng() % (rng() % 2 ? 10 : 2000);
            std::size_t this_call = 0;
            c = s.scan(c, chunk, [&](std::uint64_t k, std::uint64_t v) {
                got.emplace_back(k, v);
                ++this_call;
            });
            ++calls;
            // Distinct 64-bit hashes here: a chunk never exceeds its size, and only the last
            // call of a pass may come back empty.
            EXPECT_LE(this_call, chunk);
            if (!c.done()) {
                EXPECT_GE(this_call, 1u);
            }
            if (!c.done()) {
                EXPECT_GT(c.position(), last_position);
                last_position = c.position();
            }
            // Between chunks the live map changes in every way: overwrite, erase, grow, clear.
            switch (rng() % 5) {
            case 0:
                for (int i = 0; i < 50; ++i) m.store(rng() % 6000, 0);
                break;
            case 1:
                for (int i = 0; i < 50; ++i) m.erase(rng() % 6000);
                break;
            case 2:
                for (int i = 0; i < 300; ++i) m.store(fresh++, 0);
                break;
            case 3:
                if (rng() % 10 == 0) m.clear();
                break;
            default:
                break;
            }
        }
        EXPECT_EQ(got.size(), ref.size()) << "pass " << pass << ", " << calls << " calls";
        EXPECT_EQ(model_of<u64_map>(got.begin(), got.end()), ref) << "pass " << pass;
        // Same order as range().
        std::vector<std::pair<std::uint64_t, std::uint64_t>> ranged;
        s.range([&](std::uint64_t k, std::uint64_t v) { ranged.emplace_back(k, v); });
        EXPECT_EQ(got, ranged);
    }
    // A done cursor stays done and yields nothing.
    syncmap::cursor c;
    while (!c.done()) c = s.scan(c, 1000, [](std::uint64_t, std::uint64_t) {});
    std::size_t calls = 0;
    EXPECT_EQ(s.scan(c, 5, [&](std::uint64_t, std::uint64_t) { ++calls; }), c);
    EXPECT_EQ(calls, 0u);
}

TEST(SnapshotScan, CursorsDoNotCrossBetweenMapAndSnapshots) {
    u64_map m;
    u64_map other;
    for (std::uint64_t i = 0; i < 1000; ++i) {
        m.store(i, i);
        other.store(i, i);
    }
    const auto s1 = m.snapshot();
    const auto s2 = m.snapshot();
    const auto s_other = other.snapshot();
    auto nothing = [](std::uint64_t, std::uint64_t) {};
    const syncmap::cursor live = m.scan({}, 10, nothing);
    const syncmap::cursor of_s1 = s1.scan({}, 10, nothing);
    const syncmap::cursor of_s2 = s2.scan({}, 10, nothing);
    const syncmap::cursor of_other = s_other.scan({}, 10, nothing);
    ASSERT_FALSE(live.done());
    ASSERT_FALSE(of_s1.done());
    std::size_t called = 0;
    auto count = [&](std::uint64_t, std::uint64_t) { ++called; };
    EXPECT_THROW(s1.scan(live, 10, count), syncmap::invalid_cursor);     // live map -> snapshot
    EXPECT_THROW(m.scan(of_s1, 10, count), syncmap::invalid_cursor);     // snapshot -> live map
    EXPECT_THROW(s2.scan(of_s1, 10, count), syncmap::invalid_cursor);    // snapshot -> another snapshot
    EXPECT_THROW(s1.scan(of_s2, 10, count), syncmap::invalid_cursor);
    EXPECT_THROW(s1.scan(of_other, 10, count), syncmap::invalid_cursor); // snapshot of another map
    EXPECT_THROW(other.scan(of_s1, 10, count), syncmap::invalid_cursor);
    EXPECT_EQ(called, 0u);
    try {
        s2.scan(of_s1, 10, count);
    } catch (const syncmap::invalid_cursor& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("another map or snapshot"), std::string::npos) << what;
        EXPECT_NE(what.find(of_s1.to_string()), std::string::npos) << "names the offending cursor: " << what;
    }
    // Each accepts its own, through the text form too.
    EXPECT_NO_THROW(s1.scan(syncmap::cursor::from_string(of_s1.to_string()), 10, count));
    EXPECT_NO_THROW(m.scan(syncmap::cursor::from_string(live.to_string()), 10, count));
    EXPECT_EQ(called, 20u);
    EXPECT_EQ(s1.size(), 1000u);
}

TEST(SnapshotLifetime, MovesTransferOwnership) {
    u64_map m;
    for (std::uint64_t i = 0; i < 500; ++i) m.store(i, i);
    auto a = m.snapshot();
    const std::uint64_t version_a = a.version();
    auto b = std::move(a);  // a is now empty; destroying it releases nothing
    EXPECT_EQ(m.stats().live_snapshots, 1u);
    EXPECT_EQ(b.version(), version_a);
    for (std::uint64_t i = 0; i < 500; ++i) m.store(i, 0);
    auto c = m.snapshot();
    EXPECT_GT(c.version(), b.version());
    EXPECT_EQ(m.stats().live_snapshots, 2u);
    c = std::move(b);  // c's own snapshot is released; c now reads b's
    EXPECT_EQ(m.stats().live_snapshots, 1u);
    EXPECT_EQ(c.load(7), std::optional<std::uint64_t>(7));
    EXPECT_EQ(c.size(), 500u);
    for (std::uint64_t i = 0; i < 500; ++i) m.store(i, 1);
    EXPECT_EQ(c.load(7), std::optional<std::uint64_t>(7));
}

}  // namespace
