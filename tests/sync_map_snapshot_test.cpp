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
#include <iterator>
#include <map>
#include <optional>
#include <random>
#include <ranges>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

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

template <class Map>
using model_of = std::map<typename Map::key_type, typename Map::mapped_type>;

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

template <class Pair>
class SnapshotModel : public ::testing::Test {};

using model_types = ::testing::Types<std::pair<std::uint64_t, std::uint64_t>, std::pair<std::string, std::string>>;

struct model_type_names {
    template <class T>
    static std::string GetName(int) {
        return std::is_same_v<typename T::first_type, std::string> ? "StringString" : "U64U64";
    }
};
TYPED_TEST_SUITE(SnapshotModel, model_types, model_type_names);

// Random operations of every kind on a map and its model; snapshots taken at random
// points and kept (up to 6 at once) with a copy of the model. After each operation one
// live snapshot is probed (point reads of the key just written); every 64 operations one
// is checked completely; each is checked completely once more right before it is
// destroyed. Bursts of fresh keys force leaf splits and directory doublings; clear() runs
// now and then, also with snapshots alive.
TYPED_TEST(SnapshotModel, SnapshotsStayEqualToTheModelAtTheirInstant) {
    using K = typename TypeParam::first_type;
    using V = typename TypeParam::second_type;
    using map_type = map_of<K, V>;
    using model = model_of<map_type>;
    using snapshot = typename map_type::snapshot_type;

    struct kept {
        snapshot snap;
        model contents;
        std::size_t taken_at;
    };

    const std::size_t seeds = 4;
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

TEST(SnapshotRetention, VersionsRetainedGrowWhileASnapshotLivesAndReturnToZero) {
    constexpr std::uint64_t n = 5000;
    u64_map m;
    for (std::uint64_t i = 0; i < n; ++i) m.store(i, i);
    for (std::uint64_t i = 0; i < n; ++i) m.store(i, i + 1);  // no snapshot: nothing kept
    EXPECT_EQ(m.stats().versions_retained, 0);
    {
        const auto s = m.snapshot();
        EXPECT_EQ(m.stats().versions_retained, 0) << "creating a snapshot copies nothing";
        EXPECT_EQ(m.stats().live_snapshots, 1u);
        std::int64_t last = 0;
        for (std::uint64_t i = 0; i < n; ++i) {
            m.store(i, i + 2);
            if (i % 500 == 499) {
                const std::int64_t now = m.stats().versions_retained;
                EXPECT_GT(now, last);
                last = now;
            }
        }
        // Each key keeps exactly the one version the snapshot sees; overwriting again adds none.
        EXPECT_EQ(m.stats().versions_retained, static_cast<std::int64_t>(n));
        for (std::uint64_t i = 0; i < n; ++i) m.store(i, i + 3);
        EXPECT_EQ(m.stats().versions_retained, static_cast<std::int64_t>(n));
        // Erasing leaves tombstones in front of the kept versions.
        for (std::uint64_t i = 0; i < n; i += 2) m.erase(i);
        EXPECT_EQ(m.stats().versions_retained, static_cast<std::int64_t>(n + n / 2));
        EXPECT_EQ(m.size(), n / 2);
        // Growth moves chains along: the snapshot still reads its values.
        for (std::uint64_t i = n; i < 4 * n; ++i) m.store(i, i);
        std::size_t checked = 0;
        for (auto&& [k, v] : s) checked += v == k + 1 && k < n ? 1 : 0;
        EXPECT_EQ(checked, n);
    }
    EXPECT_EQ(m.stats().live_snapshots, 0u);
    EXPECT_EQ(m.stats().versions_retained, 0) << "destroying the last snapshot sweeps what it kept";
    EXPECT_EQ(m.size(), n / 2 + 3 * n);
    // Two snapshots: destroying the newer keeps what the older needs.
    std::optional<u64_map::snapshot_type> older(m.snapshot());
    for (std::uint64_t i = 0; i < n; ++i) m.store(i, 0);
    std::optional<u64_map::snapshot_type> newer(m.snapshot());
    for (std::uint64_t i = 0; i < n; ++i) m.store(i, 1);
    const std::int64_t both = m.stats().versions_retained;
    EXPECT_GT(both, static_cast<std::int64_t>(n));
    newer.reset();
    EXPECT_GT(m.stats().versions_retained, 0);
    EXPECT_EQ(older->load(1), std::optional<std::uint64_t>(4));
    EXPECT_EQ(older->load(2), std::nullopt);
    older.reset();
    EXPECT_EQ(m.stats().versions_retained, 0);
    // clear() with a snapshot alive: the old tree goes to the snapshot, the new one keeps nothing.
    std::optional<u64_map::snapshot_type> held(m.snapshot());
    for (std::uint64_t i = 0; i < n; ++i) m.store(i, 5);
    EXPECT_GT(m.stats().versions_retained, 0);
    m.clear();
    EXPECT_EQ(m.stats().versions_retained, 0);
    EXPECT_EQ(held->size(), 4 * n);
    held.reset();
    EXPECT_EQ(m.stats().versions_retained, 0);
    EXPECT_EQ(m.stats().live_snapshots, 0u);
}

// S3: a snapshot retains only versions it can see. A snapshot taken before clear() reads
// the old tree, which clear() hands to it whole; nothing written to the new tree can ever be
// visible to it (every later write is stamped past its version), so the new tree must keep
// nothing on its behalf: no superseded value, no tombstone, no slot.
TEST(SnapshotRetention, ASnapshotOfAClearedTreeKeepsNothingOfTheNewTree) {
    constexpr std::uint64_t n = 1000;
    u64_map m(31);
    u64_map twin(31);  // the same operations, no snapshot
    for (std::uint64_t k = 0; k < n; ++k) {
        m.store(k, k);
        twin.store(k, k);
    }
    const auto s = m.snapshot();
    m.clear();
    twin.clear();
    for (u64_map* x : {&m, &twin}) {
        for (std::uint64_t k = 0; k < n; ++k) x->store(k, k + 1);
        for (std::uint64_t k = 0; k < n; ++k) x->store(k, k + 2);
        for (std::uint64_t k = 0; k < n; ++k) x->erase(k);
    }
    EXPECT_EQ(m.stats().versions_retained, 0) << "versions kept for a snapshot that cannot see them";
    EXPECT_EQ(s.size(), n);
    EXPECT_EQ(s.load(5), std::optional<std::uint64_t>(5));
}

// ---- S4: iteration ---------------------------------------------------------------------------

using snapshot_iterator = u64_map::snapshot_type::iterator;
static_assert(std::forward_iterator<snapshot_iterator>, "S4: a snapshot iterator is a forward iterator");
static_assert(std::ranges::forward_range<const u64_map::snapshot_type&>, "S4: a snapshot is a forward range");
static_assert(std::sentinel_for<snapshot_iterator, snapshot_iterator>);
static_assert(std::is_same_v<std::iter_reference_t<snapshot_iterator>, std::pair<const std::uint64_t&, const std::uint64_t&>>);

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
