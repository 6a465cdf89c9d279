// sync_map's API: the shared typed suite (map_api_suite.hpp) on both storages: uint64 and a
// small struct key and value inline, uint64 forced into nodes, std::string keys and values
// in nodes; the suite run against reference_map itself (so a broken suite shows up as a
// failure there), and what only sync_map has: heterogeneous lookup, visit without copying,
// hash order and per-map seeds, resistance to hash flooding (H1) checked through
// debug_structure(), degenerate user hashes, and misuse through callbacks (B1).
#include <syncmap/sync_map.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "map_api_suite.hpp"
#include "reference_map.hpp"
#include "sync_map_types.hpp"

namespace syncmap_test {

static_assert(syncmap::sync_map<std::uint64_t, std::uint64_t>::inline_storage);
static_assert(syncmap::sync_map<small_key, small_value>::inline_storage);
static_assert(!u64_nodes_map::inline_storage);
static_assert(!syncmap::sync_map<std::string, std::uint64_t>::inline_storage);
using sync_maps = ::testing::Types<syncmap::sync_map<std::uint64_t, std::uint64_t>,
                                   u64_nodes_map,
                                   syncmap::sync_map<small_key, small_value>,
                                   syncmap::sync_map<std::string, std::uint64_t>,
                                   syncmap::sync_map<std::uint64_t, std::string>,
                                   syncmap::sync_map<std::string, std::string>>;
INSTANTIATE_TYPED_TEST_SUITE_P(SyncMap, MapApi, sync_maps, map_type_names);

using reference_maps = ::testing::Types<reference_map<std::uint64_t, std::uint64_t>>;
INSTANTIATE_TYPED_TEST_SUITE_P(ReferenceMap, MapApi, reference_maps, map_type_names);

namespace {

using u64_map = syncmap::sync_map<std::uint64_t, std::uint64_t>;
using transparent_string_map =
    syncmap::sync_map<std::string, int, syncmap::hash<std::string>, std::equal_to<>>;

// ---- Heterogeneous lookup -------------------------------------------------------------

TEST(SyncMapLookup, HeterogeneousWithStringView) {
    transparent_string_map m;
    const std::string long_key(100, 'x');
    m.store("alpha", 1);
    m.store(long_key, 2);

    EXPECT_EQ(m.load(std::string_view("alpha")), 1);
    EXPECT_EQ(m.load(std::string_view(long_key)), 2);
    EXPECT_EQ(m.load(std::string_view("beta")), std::nullopt);
    EXPECT_TRUE(m.contains(std::string_view("alpha")));
    EXPECT_FALSE(m.contains(std::string_view("alph")));
    EXPECT_TRUE(m.contains("alpha"));  // const char*
    int seen = 0;
    EXPECT_TRUE(m.visit(std::string_view(long_key), [&](const int& v) { seen = v; }));
    EXPECT_EQ(seen, 2);
    // A view into a longer buffer: only the viewed characters count.
    const std::string buffer = "alphabet";
    EXPECT_EQ(m.load(std::string_view(buffer).substr(0, 5)), 1);

    EXPECT_TRUE(m.erase(std::string_view("alpha")));
    EXPECT_FALSE(m.erase(std::string_view("alpha")));
    EXPECT_FALSE(m.contains("alpha"));
    EXPECT_EQ(m.size(), 1u);
}

// The string_view and std::string forms of one key hash alike: a key stored through one is
// found through the other, for many keys (so across many leaves).
TEST(SyncMapLookup, HeterogeneousAgreesWithKeyType) {
    transparent_string_map m;
    for (int i = 0; i < 5000; ++i) m.store(make<std::string>(i), i);
    for (int i = 0; i < 5000; ++i) {
        const std::string k = make<std::string>(i);
        ASSERT_EQ(m.load(std::string_view(k)), i) << k;
    }
    for (int i = 0; i < 5000; i += 2) ASSERT_TRUE(m.erase(std::string_view(make<std::string>(i))));
    EXPECT_EQ(m.size(), 2500u);
}

// Heterogeneous overloads exist only when both Hash and KeyEqual are transparent.
template <class Map, class Q>
concept loadable_with = requires(const Map& m, const Q& q) { m.load(q); };
static_assert(loadable_with<transparent_string_map, std::string_view>);
static_assert(loadable_with<syncmap::sync_map<std::string, int>, std::string_view>,
              "the default equality of string keys is transparent (equal_to.hpp)");
static_assert(!loadable_with<syncmap::sync_map<std::string, int, syncmap::hash<std::string>, std::equal_to<std::string>>,
                             std::string_view>,
              "std::equal_to<std::string> is not transparent");

// ---- visit lends the value -------------------------------------------------------------

struct copy_counted {
    static inline thread_local int copies = 0;
    std::uint64_t v = 0;
    explicit copy_counted(std::uint64_t x) : v(x) {}
    copy_counted(const copy_counted& o) : v(o.v) { ++copies; }
    copy_counted(copy_counted&& o) noexcept : v(o.v) { ++copies; }
    copy_counted& operator=(const copy_counted&) = delete;
    friend bool operator==(const copy_counted& a, const copy_counted& b) { return a.v == b.v; }
};

TEST(SyncMapLookup, VisitAndRangeDoNotCopyValues) {
    syncmap::sync_map<std::uint64_t, copy_counted> m;
    for (std::uint64_t i = 0; i < 1000; ++i) m.store(i, copy_counted(i));
    copy_counted::copies = 0;
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; i < 1000; ++i) {
        EXPECT_TRUE(m.visit(i, [&](const copy_counted& c) { sum += c.v; }));
    }
    EXPECT_EQ(sum, 999u * 1000 / 2);
    EXPECT_EQ(copy_counted::copies, 0) << "visit copied the value";
    m.range([&](const std::uint64_t& k, const copy_counted& c) { EXPECT_EQ(k, c.v); });
    EXPECT_EQ(copy_counted::copies, 0) << "range copied a value";
    EXPECT_TRUE(m.contains(5));
    EXPECT_EQ(copy_counted::copies, 0) << "contains copied the value";
    EXPECT_EQ(m.load(5), copy_counted(5));
    EXPECT_EQ(copy_counted::copies, 1) << "load copies the value exactly once";
}

// ---- Hash order and seeds --------------------------------------------------------------

template <class Map>
std::vector<typename Map::key_type> range_order(const Map& m) {
    std::vector<typename Map::key_type> order;
    m.range([&](const auto& k, const auto&) { order.push_back(k); });
    return order;
}

template <class Map>
std::vector<std::uint64_t> range_hashes(const Map& m) {
    std::vector<std::uint64_t> hashes;
    m.range([&](const auto& k, const auto&) {
        hashes.push_back(syncmap::detail::seeded_hash(m.hash_function(), k, m.seed()));
    });
    return hashes;
}

// The documented order (sync_map.hpp, range): leaf by leaf in ascending hash order, the
// order within a leaf unspecified. So wherever a hash is smaller than the one before it,
// the two entries share a leaf, and hence at least the top min_local_depth hash bits.
// A snapshot iterates in ascending hash order, entry by entry.
template <class Map>
void expect_hash_order(const Map& m) {
    const auto hashes = range_hashes(m);
    EXPECT_EQ(hashes.size(), m.size());
    const unsigned shared_bits = m.debug_structure().min_local_depth;
    ASSERT_GT(shared_bits, 0u) << "fixture too small to have more than one leaf";
    for (std::size_t i = 1; i < hashes.size(); ++i) {
        if (hashes[i] >= hashes[i - 1]) continue;
        EXPECT_EQ(hashes[i] >> (64 - shared_bits), hashes[i - 1] >> (64 - shared_bits))
            << "entry " << i << " goes back to an earlier leaf";
    }
    std::vector<std::uint64_t> snapshot_hashes;
    const auto snap = const_cast<Map&>(m).snapshot();
    for (const auto& [k, v] : snap) {
        snapshot_hashes.push_back(syncmap::detail::seeded_hash(m.hash_function(), k, m.seed()));
    }
    EXPECT_TRUE(std::is_sorted(snapshot_hashes.begin(), snapshot_hashes.end()));
    auto sorted = hashes;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, snapshot_hashes);
}

struct identity_hash {  // what std::hash<std::uint64_t> is on libstdc++; no seed, no mixing
    std::size_t operator()(std::uint64_t k) const noexcept { return k; }
};

template <class Check>
void for_each_order_fixture(Check check) {
    u64_map m;
    syncmap::sync_map<std::string, int> s;
    syncmap::sync_map<std::uint64_t, int, identity_hash> weak;
    std::mt19937_64 rng(3);
    for (int i = 0; i < 20000; ++i) {
        m.store(rng(), i);
        s.store(make<std::string>(rng() % 100000), i);
        weak.store(std::uint64_t(i) << 32, i);
    }
    // Also after erasures (tombstones) and rebuilds.
    for (int i = 0; i < 20000; i += 3) weak.erase(std::uint64_t(i) << 32);
    check(m);
    check(s);
    check(weak);
}

TEST(SyncMapOrder, RangeIsInAscendingHashOrder) {
    for_each_order_fixture([](const auto& m) { expect_hash_order(m); });
}

template <class Map>
std::vector<typename Map::key_type> snapshot_order(Map& m) {
    std::vector<typename Map::key_type> order;
    const auto snap = m.snapshot();
    for (const auto& [k, v] : snap) order.push_back(k);
    return order;
}

// With a fixed seed, a snapshot's order is a function of the keys alone: the same keys
// inserted in another order, or with erasures in between, iterate identically. range's
// order is reproduced by the same history of operations.
TEST(SyncMapOrder, FixedSeedReproducesOrder) {
    u64_map a(42);
    u64_map b(42);
    u64_map c(42);
    EXPECT_EQ(a.seed(), 42u);
    for (std::uint64_t i = 0; i < 3000; ++i) a.store(i, i);
    for (std::uint64_t i = 6000; i-- > 0;) b.store(i, i);  // another order, and more keys
    for (std::uint64_t i = 3000; i < 6000; ++i) b.erase(i);
    for (std::uint64_t i = 0; i < 3000; ++i) c.store(i, i);  // a's history again
    EXPECT_EQ(snapshot_order(a), snapshot_order(b));
    EXPECT_EQ(range_order(a), range_order(c));
}

// Abseil's IterationOrderChangesByInstance: each map draws its own seed, so two maps with
// the same keys traverse them in different orders, and no one can precompute a flood.
TEST(SyncMapOrder, SeedsAndOrderDifferBetweenMaps) {
    std::unordered_set<std::uint64_t> seeds;
    std::vector<std::vector<std::uint64_t>> orders;
    for (int i = 0; i < 8; ++i) {
        u64_map m;
        seeds.insert(m.seed());
        for (std::uint64_t k = 0; k < 100; ++k) m.store(k, k);
        orders.push_back(range_order(m));
    }
    EXPECT_EQ(seeds.size(), 8u);
    std::sort(orders.begin(), orders.end());
    EXPECT_EQ(std::unique(orders.begin(), orders.end()), orders.end()) << "two maps traversed alike";
}

// ---- Structure invariants --------------------------------------------------------------

template <class Map>
void expect_sound_structure(const Map& m) {
    const auto s = m.debug_structure();
    EXPECT_GE(s.leaves, 1u);
    EXPECT_LE(s.global_depth, 63u);
    EXPECT_LE(s.leaves, std::size_t{1} << s.global_depth);
    EXPECT_LE(s.max_local_depth, s.global_depth);
    EXPECT_EQ(s.entries, m.size());
    EXPECT_GE(s.slots, s.entries);
}

TEST(SyncMapStructure, InvariantsHoldWhileGrowingAndShrinking) {
    u64_map m;
    expect_sound_structure(m);
    std::mt19937_64 rng(5);
    for (int round = 0; round < 6; ++round) {
        for (int i = 0; i < 10000; ++i) m.store(rng() % 40000, i);
        expect_sound_structure(m);
        for (int i = 0; i < 8000; ++i) m.erase(rng() % 40000);
        expect_sound_structure(m);
    }
    m.clear();
    expect_sound_structure(m);
    EXPECT_EQ(m.debug_structure().entries, 0u);
}

// ---- H1: hash flooding -----------------------------------------------------------------
//
// Keys that all collide under std::hash (the identity on integers), in ways that defeat an
// unmixed table: equal low bits (probe start, h2), equal top bits (directory index), both.
// With a seeded, avalanching hash each family must shape the map like random keys do: the
// same number of leaves and directory depth within a small margin, and short probes. An
// unmixed hash fails every family: all keys start probing in one group, and the directory
// either doubles for every split or stops growing while leaves overflow.

struct flood_family {
    const char* name;
    std::uint64_t (*key)(std::uint64_t i);
};

const flood_family integer_floods[] = {
    {"multiples of 2^32 (low 32 bits zero)", [](std::uint64_t i) { return i << 32; }},
    {"same low 40 bits", [](std::uint64_t i) -> std::uint64_t { return (i << 40) | 0xabcdef1234; }},
    {"only bits 20..39 vary (top and low bits zero)", [](std::uint64_t i) { return i << 20; }},
    {"multiples of 1024", [](std::uint64_t i) { return i * 1024; }},
    {"top bit set, low bits zero", [](std::uint64_t i) { return (std::uint64_t{1} << 63) | (i << 24); }},
};

constexpr std::size_t flood_keys = 50000;
// Fixed seeds keep these tests deterministic; the families collide under std::hash, not
// under any particular seed, so any seed must do.
constexpr std::uint64_t flood_seeds[] = {1, 2, 3};

template <class Map, class KeyFn>
auto fill(Map& m, KeyFn key) {
    for (std::uint64_t i = 0; i < flood_keys; ++i) m.store(key(i), i);
    return m.debug_structure();
}

auto random_baseline(std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    u64_map m(seed);
    return fill(m, [&](std::uint64_t) { return rng(); });
}

// The shape of `flooded` must match that of random keys (`random`: same key count, same
// seed). Measured for 50000 random keys over 200 seeds: depth 10, 533-559 leaves, longest
// probe 6-13 groups. An unmixed hash on these families gives 13-23 leaves (the directory
// stops doubling at its cap) and probes of hundreds to thousands of groups.
template <class Flooded, class Random>
void expect_like_random(const char* family, const Flooded& flooded, const Random& random) {
    SCOPED_TRACE(family);
    EXPECT_EQ(flooded.entries, flood_keys);
    EXPECT_LE(flooded.leaves * 5, random.leaves * 6);
    EXPECT_GE(flooded.leaves * 6, random.leaves * 5);
    EXPECT_LE(flooded.global_depth, random.global_depth + 2);
    EXPECT_LE(flooded.max_probe_groups, 12u);
    // Absolute: a leaf holds at most 112 entries and a full one splits, so at least
    // flood_keys / 112 leaves, and far fewer than one per key.
    EXPECT_GE(flooded.leaves, flood_keys / 112);
    EXPECT_LE(flooded.leaves, flood_keys / 32);
    EXPECT_LE(flooded.global_depth, std::bit_width(flood_keys / 32) + 3u);
}

TEST(SyncMapHashFlooding, IntegerKeysCollidingUnderStdHash) {
    for (std::uint64_t seed : flood_seeds) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        const auto random = random_baseline(seed);
        for (const auto& family : integer_floods) {
            u64_map m(seed);
            const auto flooded = fill(m, family.key);
            expect_like_random(family.name, flooded, random);
            // And the map works: every key is there.
            for (std::uint64_t i = 0; i < flood_keys; i += 7) ASSERT_EQ(m.load(family.key(i)), i) << family.name;
        }
    }
}

// A user hash that is the identity (no seed): the map still mixes it with its seed.
TEST(SyncMapHashFlooding, WeakUserHashIsMixed) {
    for (std::uint64_t seed : flood_seeds) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        const auto random = random_baseline(seed);
        for (const auto& family : integer_floods) {
            syncmap::sync_map<std::uint64_t, std::uint64_t, identity_hash> m(seed);
            expect_like_random(family.name, fill(m, family.key), random);
        }
    }
}

// Strings built to look alike (long shared prefixes, a varying tail, or varying only in the
// middle): hashed with the seeded byte hash, they too shape the map like random keys.
TEST(SyncMapHashFlooding, SimilarStrings) {
    const std::string prefix(200, 'p');
    const std::string tail(48, 't');
    const auto random = random_baseline(flood_seeds[0]);
    const std::vector<std::pair<const char*, std::string (*)(std::uint64_t, const std::string&)>> families = {
        {"shared 200-byte prefix", [](std::uint64_t i, const std::string& p) { return p + std::to_string(i); }},
        {"varying middle", [](std::uint64_t i, const std::string& t) { return t + std::to_string(i) + t; }},
        {"8-byte binary keys", [](std::uint64_t i, const std::string&) {
             return std::string(reinterpret_cast<const char*>(&i), sizeof i);
         }},
    };
    for (std::size_t f = 0; f < families.size(); ++f) {
        syncmap::sync_map<std::string, std::uint64_t> m(flood_seeds[0]);
        const std::string& pad = f == 0 ? prefix : tail;
        for (std::uint64_t i = 0; i < flood_keys; ++i) m.store(families[f].second(i, pad), i);
        const auto s = m.debug_structure();
        expect_like_random(families[f].first, s, random);
    }
}

// A user hash that maps every key to the same value defeats any hash table; the map must
// still be a correct map (the same full 64-bit hash for every key, so leaves cannot split
// the keys apart), and the directory must not grow without bound trying: its shape must
// not depend on the number of keys.
struct constant_hash {
    std::size_t operator()(std::uint64_t) const noexcept { return 42; }
};

TEST(SyncMapHashFlooding, ConstantUserHashStaysCorrect) {
    {
        syncmap::sync_map<std::uint64_t, std::uint64_t, constant_hash> small;
        syncmap::sync_map<std::uint64_t, std::uint64_t, constant_hash> large;
        for (std::uint64_t i = 0; i < 300; ++i) small.store(i, i);
        for (std::uint64_t i = 0; i < 2400; ++i) large.store(i, i);
        const auto s = small.debug_structure();
        const auto l = large.debug_structure();
        EXPECT_EQ(s.global_depth, l.global_depth) << "the directory kept doubling on identical hashes";
        EXPECT_EQ(s.leaves, l.leaves);
        EXPECT_LE(l.global_depth, 16u);
        EXPECT_EQ(l.entries, 2400u);
    }
    syncmap::sync_map<std::uint64_t, std::uint64_t, constant_hash> m;
    reference_map<std::uint64_t, std::uint64_t> ref;
    constexpr std::uint64_t n = 600;  // several leaves' worth
    for (std::uint64_t i = 0; i < n; ++i) {
        m.store(i, i);
        ref.store(i, i);
    }
    EXPECT_TRUE(same_contents(m, ref.contents()));
    for (std::uint64_t i = 0; i < n; i += 3) {
        EXPECT_EQ(m.load_and_delete(i), ref.load_and_delete(i));
        EXPECT_EQ(m.exchange(i + 1, 7), ref.exchange(i + 1, 7));
        EXPECT_EQ(m.compare_and_swap(i + 2, i + 2, 9), ref.compare_and_swap(i + 2, i + 2, 9));
    }
    EXPECT_TRUE(same_contents(m, ref.contents()));
    // A range whose callback erases the current key still visits each key once.
    std::unordered_set<std::uint64_t> seen;
    m.range([&](std::uint64_t k, std::uint64_t) {
        EXPECT_TRUE(seen.insert(k).second) << k;
        m.erase(k);
    });
    EXPECT_EQ(seen.size(), ref.size());
    EXPECT_TRUE(m.empty());
}

// ---- B1: misuse and bad input ----------------------------------------------------------
//
// Every key and value is valid input to the point operations. The arguments that can be
// invalid belong to scan(): a chunk size of 0, a cursor of another map, a malformed or
// corrupted cursor text. Each gets syncmap::invalid_cursor naming the offending value, the
// callback is never called, and the map does not change. A callback that throws must reach
// the caller with nothing held (no read-side section, no lock) and the map unchanged.

TEST(SyncMapMisuse, ScanRejectsInvalidArguments) {
    u64_map m(7);
    u64_map other(8);
    std::unordered_map<std::uint64_t, std::uint64_t> expected;
    for (std::uint64_t i = 0; i < 3000; ++i) {
        m.store(i, i);
        other.store(i, i);
        expected.emplace(i, i);
    }
    std::size_t calls = 0;
    auto count = [&](std::uint64_t, std::uint64_t) { ++calls; };
    auto message_of = [](auto&& f) -> std::string {
        try {
            f();
        } catch (const syncmap::invalid_cursor& e) {
            return e.what();
        }
        return "(nothing thrown)";
    };

    const std::string zero = message_of([&] { m.scan(syncmap::cursor{}, 0, count); });
    EXPECT_NE(zero.find("got 0"), std::string::npos) << zero;

    const syncmap::cursor foreign = other.scan(syncmap::cursor{}, 10, count);
    ASSERT_FALSE(foreign.done());
    calls = 0;
    const std::string wrong_map = message_of([&] { m.scan(foreign, 10, count); });
    EXPECT_NE(wrong_map.find(foreign.to_string()), std::string::npos) << wrong_map;

    const std::string garbage = message_of([] { syncmap::cursor::from_string("not a cursor"); });
    EXPECT_NE(garbage.find("not a cursor"), std::string::npos) << garbage;
    // One digit of a valid text changed: the check byte catches it.
    const syncmap::cursor mine = m.scan(syncmap::cursor{}, 10, count);
    std::string corrupted = mine.to_string();
    corrupted[20] = corrupted[20] == '0' ? '1' : '0';
    const std::string bad_check = message_of([&] { syncmap::cursor::from_string(corrupted); });
    EXPECT_NE(bad_check.find(corrupted), std::string::npos) << bad_check;
    EXPECT_EQ(syncmap::cursor::from_string(mine.to_string()), mine);

    calls = 0;
    EXPECT_THROW(m.scan(mine, 0, count), syncmap::invalid_cursor);
    EXPECT_EQ(calls, 0u) << "a rejected scan called the callback";
    EXPECT_TRUE(same_contents(m, expected));
}

TEST(SyncMapMisuse, ThrowingCallbacksReleaseEverything) {
    u64_map m;
    for (std::uint64_t i = 0; i < 5000; ++i) m.store(i, i);
    struct boom {};
    EXPECT_EQ(syncmap::detail::rcu_read_ongoing(), 0);
    EXPECT_THROW(m.range([](std::uint64_t k, std::uint64_t) {
        if (k % 1000 == 999) throw boom{};
    }),
                 boom);
    EXPECT_EQ(syncmap::detail::rcu_read_ongoing(), 0) << "range left a read-side section open";
    EXPECT_THROW(m.visit(3, [](std::uint64_t) { throw boom{}; }), boom);
    EXPECT_EQ(syncmap::detail::rcu_read_ongoing(), 0) << "visit left a read-side section open";
    // A callback that throws after writing: the write stays (it completed), the rest holds.
    EXPECT_THROW(m.range([&](std::uint64_t k, std::uint64_t) {
        m.store(k, k + 1);
        throw boom{};
    }),
                 boom);
    EXPECT_EQ(syncmap::detail::rcu_read_ongoing(), 0);
    std::size_t changed = 0;
    m.range([&](std::uint64_t k, std::uint64_t v) { changed += (v != k); });
    EXPECT_EQ(changed, 1u);
    EXPECT_EQ(m.size(), 5000u);
    // Nothing stayed locked: every leaf accepts writes, and reclamation can complete.
    for (std::uint64_t i = 0; i < 5000; ++i) m.store(i, i);
    m.clear();
    syncmap::detail::rcu_barrier();
    EXPECT_TRUE(m.empty());
}

}  // namespace
}  // namespace syncmap_test
