// sync_map's cursors inside runs of keys whose 64-bit hashes are equal (a constant or
// two-valued user hash): clauses C2, C4 and W6 make no exception for such hashes.
//   - A pass whose bool callback stops every few keys, resumed each time from the cursor's
//     text form, offers every key exactly once: the cursor stands inside the run (by the
//     keys' tiebreak hash, or, for a key type without one, by rank in the leaf).
//   - Chunks cut runs: no call offers more than its chunk.
//   - A stop token fired in a callback lets no further callback start when the whole map
//     is one oversized leaf (one run), and the pass resumes exactly.
//   - With keys erased, re-inserted and added between calls (leaf rebuilds and doublings
//     included), W1-W3 hold over the pass for keys with a tiebreak hash.
//   - Snapshot passes (C4) are exact for every key type while the live map changes.
// Each runs on uint64 keys stored inline and in nodes, std::string keys, and a key type
// without a tiebreak hash.
#include <syncmap/sync_map.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "map_types.hpp"

namespace {

using syncmap_test::id_of;
using syncmap_test::make;

#if defined(SYNCMAP_TSAN) || defined(__SANITIZE_ADDRESS__)
constexpr std::uint64_t key_count = 600;
#else
constexpr std::uint64_t key_count = 2000;
#endif

// A key type syncmap has no tiebreak hash for: not trivially copyable, not a string.
struct opaque_key {
    std::string name;
    friend bool operator==(const opaque_key&, const opaque_key&) = default;
};
static_assert(!syncmap::detail::has_tiebreak_hash<opaque_key>);
static_assert(syncmap::detail::has_tiebreak_hash<std::uint64_t> && syncmap::detail::has_tiebreak_hash<std::string>);

template <class K>
K key_of(std::uint64_t n) {
    if constexpr (std::is_same_v<K, opaque_key>) {
        return {make<std::string>(n)};
    } else {
        return make<K>(n);
    }
}
template <class K>
std::uint64_t number_of(const K& k) {
    if constexpr (std::is_same_v<K, opaque_key>) {
        return id_of(k.name);
    } else {
        return id_of(k);
    }
}

// Every key hashes alike: the whole map is one run.
struct constant_hash {
    template <class K>
    std::size_t operator()(const K&) const noexcept {
        return 42;
    }
};
// Two runs: odd and even keys.
struct two_valued_hash {
    template <class K>
    std::size_t operator()(const K& k) const {
        return number_of(k) & 1;
    }
};

template <class K, class Hash, class Storage = syncmap::storage::automatic>
using map_of = syncmap::sync_map<K, std::uint64_t, Hash, std::equal_to<K>, Storage>;

template <class Map>
class CollidingCursor : public ::testing::Test {};

using colliding_maps = ::testing::Types<
    map_of<std::uint64_t, constant_hash>, map_of<std::uint64_t, constant_hash, syncmap::storage::nodes>,
    map_of<std::string, constant_hash>, map_of<opaque_key, constant_hash>, map_of<std::uint64_t, two_valued_hash>,
    map_of<std::string, two_valued_hash>, map_of<opaque_key, two_valued_hash>>;
TYPED_TEST_SUITE(CollidingCursor, colliding_maps);

template <class Map>
using key_t = typename Map::key_type;

template <class Map>
void fill(Map& m, std::uint64_t n) {
    for (std::uint64_t i = 0; i < n; ++i) m.store(key_of<key_t<Map>>(i), i);
}

// C2 without writes: a callback that stops every few keys, a resume from the text form.
TYPED_TEST(CollidingCursor, StoppingCallbacksResumeInsideARunOfEqualHashes) {
    std::mt19937_64 rng(11);
    TypeParam m(rng());
    fill(m, key_count);
    std::vector<int> offered(key_count, 0);
    std::size_t calls = 0, inside_runs = 0;
    for (syncmap::cursor c; !c.done();) {
        std::size_t k = 1 + rng() % 30, got = 0;
        c = m.scan(syncmap::cursor::from_string(c.to_string()), 1 + rng() % 200,
                   [&](const key_t<TypeParam>& key, std::uint64_t) {
                       ++offered[number_of(key)];
                       return ++got < k;
                   });
        inside_runs += c.tiebreak() != 0 ? 1 : 0;
        ASSERT_LT(++calls, 10 * key_count) << "no progress";
    }
    for (std::uint64_t i = 0; i < key_count; ++i) ASSERT_EQ(offered[i], 1) << "key " << i;
    EXPECT_GT(inside_runs, calls / 2) << "the cursors should mostly stand inside runs";
}

// C1/C2: a chunk cuts a run; every call offers between 1 and `chunk` keys.
TYPED_TEST(CollidingCursor, ChunksCutRunsOfEqualHashes) {
    std::mt19937_64 rng(12);
    TypeParam m(rng());
    fill(m, key_count);
    std::vector<int> offered(key_count, 0);
    for (syncmap::cursor c; !c.done();) {
        const std::size_t chunk = 1 + rng() % 100;
        std::size_t got = 0;
        c = m.scan(c, chunk, [&](const key_t<TypeParam>& key, std::uint64_t) {
            ++offered[number_of(key)];
            ++got;
        });
        ASSERT_LE(got, chunk);
        if (!c.done()) {
            ASSERT_GE(got, 1u);
        }
    }
    for (std::uint64_t i = 0; i < key_count; ++i) ASSERT_EQ(offered[i], 1) << "key " << i;
}

// W6: the whole map is one leaf here, larger than a default leaf, so the token is checked
// before every callback and stops the range at once.
TYPED_TEST(CollidingCursor, StopTokenIsObservedBeforeTheNextCallback) {
    std::mt19937_64 rng(13);
    TypeParam m(rng());
    fill(m, key_count);
    for (std::size_t stop_at : {std::size_t{1}, std::size_t{2}, std::size_t{17}, std::size_t{key_count / 2},
                                std::size_t{key_count - 1}}) {
        SCOPED_TRACE("stop at " + std::to_string(stop_at));
        std::stop_source stop;
        std::vector<int> offered(key_count, 0);
        std::size_t calls = 0;
        syncmap::cursor c = m.range(
            [&](const key_t<TypeParam>& key, std::uint64_t) {
                ++offered[number_of(key)];
                if (++calls == stop_at) stop.request_stop();
            },
            stop.get_token());
        ASSERT_EQ(calls, stop_at) << "callbacks ran after the stop was requested";
        while (!c.done()) {
            c = m.scan(c, 1 + rng() % 300, [&](const key_t<TypeParam>& key, std::uint64_t) { ++offered[number_of(key)]; });
        }
        for (std::uint64_t i = 0; i < key_count; ++i) ASSERT_EQ(offered[i], 1) << "key " << i;
    }
}

// C2 with writes between calls, for keys with a tiebreak hash (for the others, a rank in
// the leaf is exact only while the run is not written: documented, not promised).
template <class Map>
class CollidingCursorWithWrites : public ::testing::Test {};

using tiebreak_maps =
    ::testing::Types<map_of<std::uint64_t, constant_hash>, map_of<std::uint64_t, constant_hash, syncmap::storage::nodes>,
                     map_of<std::string, constant_hash>, map_of<std::uint64_t, two_valued_hash>>;
TYPED_TEST_SUITE(CollidingCursorWithWrites, tiebreak_maps);

TYPED_TEST(CollidingCursorWithWrites, WritesBetweenCallsKeepW1ToW3) {
    using K = key_t<TypeParam>;
    {
        std::mt19937_64 rng(14);
        for (int pass = 0; pass < 4; ++pass) {
            TypeParam m(rng());
            fill(m, key_count);
            std::set<std::uint64_t> ever{}, erased{};
            for (std::uint64_t i = 0; i < key_count; ++i) ever.insert(i);
            std::map<std::uint64_t, int> offered;
            std::uint64_t next_new = key_count;
            for (syncmap::cursor c; !c.done();) {
                std::size_t k = 1 + rng() % 40, got = 0;
                auto f = [&](const K& key, std::uint64_t v) {
                    EXPECT_EQ(v, number_of(key)) << "W4";
                    ++offered[number_of(key)];
                    return ++got < k;
                };
                c = pass % 2 == 0 ? m.scan(syncmap::cursor::from_string(c.to_string()), 1 + rng() % 150, f)
                                  : m.scan(c, 1 + rng() % 150, [&](const K& key, std::uint64_t v) { (void)f(key, v); });
                // Between calls: erase keys (offered or not), put erased ones back, add new
                // ones (enough to make inline leaves rebuild and grow).
                for (int w = 0; w < 12; ++w) {
                    const std::uint64_t x = rng() % next_new;
                    switch (rng() % 3) {
                        case 0:
                            if (m.erase(key_of<K>(x))) erased.insert(x);
                            break;
                        case 1:
                            if (erased.count(x) != 0) m.store(key_of<K>(x), x);
                            break;
                        default:
                            m.store(key_of<K>(next_new), next_new);
                            ever.insert(next_new++);
                    }
                }
            }
            for (const auto& [key, times] : offered) {
                ASSERT_EQ(times, 1) << "W2: key " << key << " offered " << times << " times";
                ASSERT_EQ(ever.count(key), 1u) << "W3";
            }
            for (std::uint64_t i = 0; i < key_count; ++i) {
                if (erased.count(i) == 0) {
                    ASSERT_EQ(offered.count(i), 1u) << "W1: key " << i << " present throughout";
                }
            }
        }
    }
}

// C4: a snapshot's leaves never change, so its passes are exact for every key type, rank
// positions included, whatever happens to the live map between calls.
TYPED_TEST(CollidingCursor, SnapshotPassesAreExactWhileTheMapChanges) {
    using K = key_t<TypeParam>;
    std::mt19937_64 rng(15);
    TypeParam m(rng());
    fill(m, key_count);
    const auto snap = m.snapshot();
    std::vector<int> offered(key_count, 0);
    std::uint64_t next_new = key_count;
    for (syncmap::cursor c; !c.done();) {
        std::size_t k = 1 + rng() % 30, got = 0;
        c = snap.scan(syncmap::cursor::from_string(c.to_string()), 1 + rng() % 200, [&](const K& key, std::uint64_t) {
            ++offered[number_of(key)];
            return ++got < k;
        });
        for (int w = 0; w < 8; ++w) {
            m.erase(key_of<K>(rng() % key_count));
            m.store(key_of<K>(next_new), next_new);
            ++next_new;
        }
    }
    for (std::uint64_t i = 0; i < key_count; ++i) ASSERT_EQ(offered[i], 1) << "key " << i;
}

// Without a tiebreak hash and without writes, a pass of rank positions is exact too.
TEST(CollidingCursorRanks, ALiveRunThatIsNotWrittenIsWalkedExactly) {
    map_of<opaque_key, constant_hash> m(7);
    fill(m, key_count);
    std::vector<int> offered(key_count, 0);
    std::size_t calls = 0;
    for (syncmap::cursor c; !c.done(); ++calls) {
        std::size_t got = 0;
        c = m.scan(c, key_count, [&](const opaque_key& key, std::uint64_t) {
            ++offered[number_of(key)];
            return ++got < 7;
        });
        if (!c.done()) {
            EXPECT_EQ(c.tiebreak(), 7 * (calls + 1)) << "the rank of the next key in the run";
        }
    }
    for (std::uint64_t i = 0; i < key_count; ++i) ASSERT_EQ(offered[i], 1) << "key " << i;
}

}  // namespace
