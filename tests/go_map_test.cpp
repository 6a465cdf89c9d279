// go_map: the std::unordered_map-style interface, a differential test against
// std::unordered_map, iteration order (G2), layout under colliding hashes, exception
// safety, copies and moves.
#include <syncmap/go_map.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || defined(SYNCMAP_TSAN)
constexpr int scale = 4;  // sanitizer builds run the same checks on fewer iterations
#else
constexpr int scale = 1;
#endif

using u64_map = syncmap::go_map<std::uint64_t, std::uint64_t>;
using str_map = syncmap::go_map<std::string, std::string>;

template <class Map>
std::vector<typename Map::key_type> pass_keys(const Map& m) {
    std::vector<typename Map::key_type> keys;
    for (const auto& kv : m) {
        keys.push_back(kv.first);
    }
    return keys;
}

template <class Map>
std::map<typename Map::key_type, typename Map::mapped_type> contents(const Map& m) {
    std::map<typename Map::key_type, typename Map::mapped_type> out;
    for (const auto& [k, v] : m) {
        EXPECT_TRUE(out.emplace(k, v).second) << "a key was yielded twice";
    }
    return out;
}

template <class K, class V>
std::map<K, V> contents(const std::unordered_map<K, V>& m) {
    return std::map<K, V>(m.begin(), m.end());
}

TEST(GoMap, EmptyMapAllocatesNothingAndFindsNothing) {
    u64_map m;
    EXPECT_TRUE(m.empty());
    EXPECT_EQ(m.size(), 0u);
    EXPECT_EQ(m.find(1), m.end());
    EXPECT_FALSE(m.contains(1));
    EXPECT_EQ(m.count(1), 0u);
    EXPECT_EQ(m.begin(), m.end());
    EXPECT_EQ(m.erase(1), 0u);
    EXPECT_EQ(m.debug_structure().leaves, 0u);
    m.clear();
    m.reserve(0);
    EXPECT_EQ(m.debug_structure().leaves, 0u);
}

TEST(GoMap, PointOperations) {
    u64_map m;
    m[1] = 10;
    EXPECT_EQ(m.at(1), 10u);
    auto [it, inserted] = m.try_emplace(2, 20);
    EXPECT_TRUE(inserted);
    EXPECT_EQ(it->first, 2u);
    EXPECT_EQ(it->second, 20u);
    auto [it2, inserted2] = m.try_emplace(2, 99);
    EXPECT_FALSE(inserted2);
    EXPECT_EQ(it2->second, 20u);
    auto [it3, inserted3] = m.insert_or_assign(2, 21);
    EXPECT_FALSE(inserted3);
    EXPECT_EQ(it3->second, 21u);
    EXPECT_TRUE(m.insert({3, 30}).second);
    EXPECT_FALSE(m.insert({3, 31}).second);
    EXPECT_EQ(m.at(3), 30u);
    EXPECT_TRUE(m.emplace(4, 40).second);
    EXPECT_TRUE(m.emplace(std::pair<std::uint64_t, std::uint64_t>(5, 50)).second);
    EXPECT_TRUE(m.emplace(std::piecewise_construct, std::forward_as_tuple(6), std::forward_as_tuple(60)).second);
    EXPECT_EQ(m.size(), 6u);
    EXPECT_TRUE(m.contains(6));
    EXPECT_EQ(m.count(6), 1u);
    EXPECT_EQ(m.erase(6), 1u);
    EXPECT_EQ(m.erase(6), 0u);
    EXPECT_EQ(m.size(), 5u);
    const u64_map& cm = m;
    EXPECT_EQ(cm.at(1), 10u);
    EXPECT_EQ(cm.find(4)->second, 40u);
    m.find(4)->second = 41;
    EXPECT_EQ(m.at(4), 41u);
}

TEST(GoMap, AtThrowsOutOfRangeNamingTheProblem) {
    u64_map m;
    m[1] = 1;
    try {
        (void)m.at(2);
        FAIL() << "at() of an absent key did not throw";
    } catch (const std::out_of_range& e) {
        EXPECT_NE(std::string_view(e.what()).find("key not found"), std::string_view::npos) << e.what();
    }
}

TEST(GoMap, HeterogeneousLookupWithStringView) {
    syncmap::go_map<std::string, int, syncmap::hash<std::string>, std::equal_to<>> m;
    m["alpha"] = 1;
    m["beta"] = 2;
    const std::string_view key = "alpha";
    EXPECT_TRUE(m.contains(key));
    EXPECT_EQ(m.find(key)->second, 1);
    EXPECT_EQ(m.at(std::string_view("beta")), 2);
    EXPECT_EQ(m.count("gamma"), 0u);
    EXPECT_EQ(m.erase(std::string_view("beta")), 1u);
    EXPECT_FALSE(m.contains("beta"));
}

TEST(GoMap, MoveOnlyValues) {
    syncmap::go_map<int, std::unique_ptr<int>> m;
    for (int i = 0; i < 3000; ++i) {
        m.try_emplace(i, std::make_unique<int>(i));
    }
    for (int i = 0; i < 3000; ++i) {
        ASSERT_EQ(*m.at(i), i);
    }
    int seen = 0;
    for (auto it = m.begin(); it != m.end(); ++it) {
        ASSERT_EQ(*it->second, it->first);
        m.try_emplace(10000 + seen, std::make_unique<int>(10000 + seen));  // growth while iterating
        ++seen;
    }
    EXPECT_GE(seen, 3000);
}

// Every operation of the interface against std::unordered_map, on random sequences that
// mix point operations, erasure through iterators, clear, reserve and full comparisons.
template <class K, class V, class Hash, class MakeKey>
void differential(std::uint64_t seed, int steps, MakeKey make_key, std::uint64_t key_range) {
    syncmap::go_map<K, V, Hash> m(seed);
    std::unordered_map<K, V> ref;
    std::mt19937_64 rng(seed);
    auto key = [&] { return make_key(rng() % key_range); };
    auto value = [&] { return static_cast<V>(rng() % 1000); };
    for (int step = 0; step < steps; ++step) {
        const unsigned op = static_cast<unsigned>(rng() % 100);
        if (op < 25) {
            const K k = key();
            const V v = value();
            m[k] = v;
            ref[k] = v;
        } else if (op < 35) {
            const K k = key();
            const V v = value();
            const auto [it, inserted] = m.try_emplace(k, v);
            const auto [rit, rinserted] = ref.try_emplace(k, v);
            ASSERT_EQ(inserted, rinserted);
            ASSERT_EQ(it->second, rit->second);
        } else if (op < 42) {
            const K k = key();
            const V v = value();
            const auto [it, inserted] = m.insert_or_assign(k, v);
            ASSERT_EQ(inserted, ref.insert_or_assign(k, v).second);
            ASSERT_EQ(it->second, v);
        } else if (op < 47) {
            const K k = key();
            const V v = value();
            ASSERT_EQ(m.emplace(k, v).second, ref.emplace(k, v).second);
        } else if (op < 65) {
            const K k = key();
            ASSERT_EQ(m.erase(k), ref.erase(k));
        } else if (op < 70) {
            // Erase through find's position; the result continues a pass.
            const K k = key();
            auto it = m.find(k);
            ASSERT_EQ(it == m.end(), !ref.contains(k));
            if (it != m.end()) {
                m.erase(it);
                ref.erase(k);
            }
        } else if (op < 90) {
            const K k = key();
            auto it = m.find(k);
            auto rit = ref.find(k);
            ASSERT_EQ(it == m.end(), rit == ref.end());
            if (rit != ref.end()) {
                ASSERT_EQ(it->second, rit->second);
                ASSERT_EQ(m.at(k), rit->second);
            } else {
                ASSERT_THROW((void)m.at(k), std::out_of_range);
            }
            ASSERT_EQ(m.contains(k), ref.contains(k));
            ASSERT_EQ(m.count(k), ref.count(k));
        } else if (op < 93) {
            // Erase about a third of the entries through a pass.
            for (auto it = m.begin(); it != m.end();) {
                if (rng() % 3 == 0) {
                    ref.erase(it->first);
                    it = m.erase(it);
                } else {
                    ++it;
                }
            }
        } else if (op < 94) {
            m.clear();
            ref.clear();
        } else if (op < 96) {
            const std::size_t n = ref.size() + rng() % 2000;
            m.reserve(n);
        } else {
            ASSERT_EQ(contents(m), contents(ref));
        }
        ASSERT_EQ(m.size(), ref.size());
    }
    ASSERT_EQ(contents(m), contents(ref));
    const auto info = m.debug_structure();
    ASSERT_EQ(info.entries, ref.size());
}

TEST(GoMapDifferential, Uint64KeysManySeeds) {
    for (std::uint64_t seed = 1; seed <= static_cast<std::uint64_t>(24 / scale); ++seed) {
        // Small key ranges churn (tombstone rebuilds), large ones grow and split.
        const std::uint64_t range = seed % 3 == 0 ? 64 : (seed % 3 == 1 ? 5000 : 100000);
        differential<std::uint64_t, std::uint64_t, syncmap::hash<std::uint64_t>>(
            seed, 20000 / scale, [](std::uint64_t x) { return x; }, range);
    }
}

TEST(GoMapDifferential, StringKeys) {
    for (std::uint64_t seed = 100; seed < 100 + static_cast<std::uint64_t>(8 / scale); ++seed) {
        differential<std::string, std::uint64_t, syncmap::hash<std::string>>(
            seed, 15000 / scale, [](std::uint64_t x) { return "key-" + std::to_string(x * 7919); },
            seed % 2 ? 300 : 20000);
    }
}

// A user hash with few distinct values: leaves cannot split them apart and must grow
// instead (rebuild's fall-back); the directory must stay shallow.
struct few_values_hash {
    std::size_t operator()(std::uint64_t x) const noexcept { return x % 3; }
};
TEST(GoMapDifferential, CollidingUserHashStaysCorrectAndShallow) {
    differential<std::uint64_t, std::uint64_t, few_values_hash>(
        7, 6000 / scale, [](std::uint64_t x) { return x; }, 3000);
    syncmap::go_map<std::uint64_t, int, few_values_hash> m(1);
    for (std::uint64_t i = 0; i < 2500; ++i) {
        m[i] = 1;
    }
    const auto info = m.debug_structure();
    EXPECT_EQ(info.entries, 2500u);
    EXPECT_LE(info.global_depth, 2u) << "splits that separate nothing doubled the directory";
    for (std::uint64_t i = 0; i < 2500; ++i) {
        ASSERT_TRUE(m.contains(i));
    }
}

TEST(GoMapLayout, GrowsBySplittingLeavesWithShortProbes) {
    u64_map m(3);
    for (std::uint64_t i = 0; i < 200000 / static_cast<std::uint64_t>(scale); ++i) {
        m[i] = i;
    }
    const auto info = m.debug_structure();
    EXPECT_EQ(info.entries, m.size());
    EXPECT_GT(info.leaves, 1u);
    EXPECT_EQ(info.tombstones, 0u);
    // Leaves cap at 1024 slots; the load stays between the post-split 7/16 and 7/8.
    EXPECT_LE(info.capacity, info.leaves * 1024);
    EXPECT_GE(static_cast<double>(info.entries) / static_cast<double>(info.capacity), 0.4);
    EXPECT_LE(info.max_probe_groups, 32u);
    EXPECT_GE(info.global_depth, info.max_local_depth);
}

TEST(GoMapLayout, ReserveAvoidsRebuildsAndKeepsContents) {
    u64_map m(5);
    for (std::uint64_t i = 0; i < 1000; ++i) {
        m[i] = i;
    }
    m.reserve(100000);
    const auto before = m.debug_structure();
    EXPECT_GE(before.leaves, 100000u / 1024);
    for (std::uint64_t i = 1000; i < 100000; ++i) {
        m[i] = i;
    }
    const auto after = m.debug_structure();
    EXPECT_EQ(after.leaves, before.leaves) << "reserve(n) left too little room for n entries";
    for (std::uint64_t i = 0; i < 100000; ++i) {
        ASSERT_EQ(m.at(i), i);
    }
    EXPECT_THROW(m.reserve(std::numeric_limits<std::size_t>::max()), std::length_error);
    EXPECT_EQ(m.size(), 100000u);
    u64_map fresh;
    fresh.reserve(500);
    const auto small = fresh.debug_structure();
    EXPECT_EQ(small.leaves, 1u);
    EXPECT_GE(small.capacity * 7 / 8, 500u);
}

TEST(GoMapLayout, TombstoneChurnDoesNotGrowForever) {
    u64_map m(9);
    for (std::uint64_t i = 0; i < 200000 / static_cast<std::uint64_t>(scale); ++i) {
        m[i] = i;
        if (i >= 500) {
            ASSERT_EQ(m.erase(i - 500), 1u);
        }
    }
    EXPECT_EQ(m.size(), 500u);
    EXPECT_LE(m.debug_structure().capacity, 4096u);
}

// -- G2: iteration order --------------------------------------------------------------

TEST(GoMapOrder, DiffersBetweenPasses) {
    u64_map m;
    for (std::uint64_t i = 0; i < 300; ++i) {
        m[i] = i;
    }
    std::set<std::vector<std::uint64_t>> orders;
    for (int pass = 0; pass < 20; ++pass) {
        const auto keys = pass_keys(m);
        ASSERT_EQ(keys.size(), 300u);
        orders.insert(keys);
    }
    // 20 passes from random starting slots of a 512-slot leaf: all equal has odds < 2^-100.
    EXPECT_GE(orders.size(), 5u);
}

TEST(GoMapOrder, DiffersBetweenPassesOverManyLeaves) {
    u64_map m;
    for (std::uint64_t i = 0; i < 20000; ++i) {
        m[i] = i;
    }
    std::set<std::uint64_t> first_keys;
    for (int pass = 0; pass < 20; ++pass) {
        first_keys.insert(m.begin()->first);
    }
    EXPECT_GE(first_keys.size(), 5u);
}

// The cyclic order (order up to the random starting point) depends on the map's hash seed.
std::vector<std::uint64_t> cyclic_order(const u64_map& m) {
    std::vector<std::uint64_t> keys = pass_keys(m);
    std::rotate(keys.begin(), std::min_element(keys.begin(), keys.end()), keys.end());
    return keys;
}

TEST(GoMapOrder, DiffersBetweenMaps) {
    u64_map a;
    u64_map b;
    for (std::uint64_t i = 0; i < 300; ++i) {
        a[i] = i;
        b[i] = i;
    }
    EXPECT_NE(cyclic_order(a), cyclic_order(b));
    EXPECT_EQ(cyclic_order(a), cyclic_order(a)) << "a pass differs only in its starting point";
}

TEST(GoMapOrder, FixedUnderASeed) {
    auto build = [](std::uint64_t seed) {
        u64_map m(seed);
        for (std::uint64_t i = 0; i < 5000; ++i) {
            m[i * 31] = i;
        }
        for (std::uint64_t i = 0; i < 5000; i += 7) {
            m.erase(i * 31);
        }
        return m;
    };
    u64_map a = build(42);
    u64_map b = build(42);
    u64_map c = build(43);
    std::vector<std::vector<std::uint64_t>> pa;
    std::vector<std::vector<std::uint64_t>> pb;
    std::vector<std::vector<std::uint64_t>> pc;
    for (int pass = 0; pass < 5; ++pass) {
        pa.push_back(pass_keys(a));
        pb.push_back(pass_keys(b));
        pc.push_back(pass_keys(c));
    }
    EXPECT_EQ(pa, pb) << "the same seed and operations must iterate identically";
    EXPECT_NE(pa, pc);
    EXPECT_NE(pa[0], pa[1]) << "a seed fixes the sequence of orders, not one order for every pass";
}

// -- iterators ---------------------------------------------------------------------------

TEST(GoMapIterators, APositionAdvancedIsAFullPassFromItsEntry) {
    u64_map m;
    for (std::uint64_t i = 0; i < 5000; ++i) {
        m[i] = i;
    }
    auto it = m.find(1234);
    ASSERT_FALSE(it.debug_state().pinned);
    std::multiset<std::uint64_t> seen;
    for (; it != m.end(); ++it) {
        seen.insert(it->first);
        ASSERT_EQ(it.debug_state().pinned, seen.size() > 1) << "advancing a position makes it a pass";
    }
    EXPECT_EQ(seen.size(), 5000u);
    EXPECT_EQ(std::set<std::uint64_t>(seen.begin(), seen.end()).size(), 5000u);
}

TEST(GoMapIterators, CopiesArePassesThatContinueIndependently) {
    u64_map m;
    for (std::uint64_t i = 0; i < 4000; ++i) {
        m[i] = i;
    }
    auto it = m.begin();
    for (int i = 0; i < 1000; ++i) {
        ++it;
    }
    auto copy = it;
    EXPECT_EQ(copy, it);
    std::vector<std::uint64_t> rest_a;
    std::vector<std::uint64_t> rest_b;
    for (; it != m.end(); it++) {
        rest_a.push_back(it->first);
    }
    for (; copy != m.end(); ++copy) {
        rest_b.push_back(copy->first);
    }
    EXPECT_EQ(rest_a, rest_b);
    EXPECT_EQ(rest_a.size(), 3000u);
}

TEST(GoMapIterators, ConstIteratorsAndConversions) {
    u64_map m{{1, 1}, {2, 2}, {3, 3}};
    u64_map::const_iterator cit = m.begin();
    u64_map::iterator it = m.begin();
    EXPECT_NE(cit, m.cend());
    EXPECT_NE(it, m.cend());
    std::size_t n = 0;
    for (auto i = m.cbegin(); i != m.cend(); ++i) {
        ++n;
    }
    EXPECT_EQ(n, 3u);
    static_assert(std::forward_iterator<u64_map::iterator>);
    static_assert(std::forward_iterator<u64_map::const_iterator>);
}

TEST(GoMapIterators, EraseRangeEmptiesTheMap) {
    u64_map m;
    for (std::uint64_t i = 0; i < 3000; ++i) {
        m[i] = i;
    }
    auto it = m.erase(m.cbegin(), m.cend());
    EXPECT_EQ(it, m.end());
    EXPECT_TRUE(m.empty());
}

// -- value semantics -------------------------------------------------------------------

TEST(GoMapValue, CopyMoveSwapAndEquality) {
    str_map a;
    for (int i = 0; i < 3000; ++i) {
        a[std::to_string(i)] = std::string(i % 50, 'x');
    }
    str_map b = a;
    EXPECT_EQ(a, b);
    b["0"] = "changed";
    EXPECT_FALSE(a == b);
    EXPECT_EQ(a.at("0"), "");
    str_map c = std::move(b);
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(c.size(), 3000u);
    EXPECT_EQ(c.at("0"), "changed");
    b["only"] = "one";
    swap(b, c);
    EXPECT_EQ(b.size(), 3000u);
    EXPECT_EQ(c.size(), 1u);
    EXPECT_EQ(c.at("only"), "one");
    c = b;
    EXPECT_EQ(c, b);
    c = str_map{{"x", "y"}};
    EXPECT_EQ(c.size(), 1u);
    EXPECT_EQ(contents(c), (std::map<std::string, std::string>{{"x", "y"}}));
}

TEST(GoMapValue, PassOverAMapThatIsMovedFromOrAssignedEnds) {
    u64_map a;
    for (std::uint64_t i = 0; i < 3000; ++i) {
        a[i] = i;
    }
    auto it = a.begin();
    ++it;
    u64_map b = std::move(a);
    ++it;  // a was emptied: its pass ends
    EXPECT_EQ(it, a.end());
    auto jt = b.begin();
    ++jt;
    b = u64_map{{1, 1}};
    ++jt;
    EXPECT_EQ(jt, b.end());
}

// -- exception safety ----------------------------------------------------------------------

struct throw_control {
    static inline int copies_until_throw = -1;  // -1: never throw
};

// A value whose copy constructor throws on demand; its move is noexcept.
struct fragile {
    int v = 0;
    fragile() = default;
    explicit fragile(int x) : v(x) {}
    fragile(const fragile& o) : v(o.v) {
        if (throw_control::copies_until_throw == 0) {
            throw std::runtime_error("fragile copy");
        }
        if (throw_control::copies_until_throw > 0) {
            --throw_control::copies_until_throw;
        }
    }
    fragile(fragile&& o) noexcept : v(o.v) { o.v = -1; }
    fragile& operator=(const fragile&) = default;
    fragile& operator=(fragile&&) noexcept = default;
    bool operator==(const fragile&) const = default;
};

struct fragile_hash {
    std::size_t operator()(const fragile& f) const noexcept { return std::hash<int>{}(f.v); }
};

TEST(GoMapExceptions, ThrowingValueCopyLeavesTheMapUnchanged) {
    syncmap::go_map<int, fragile> m;
    for (int i = 0; i < 100; ++i) {
        m.try_emplace(i, i);
    }
    const fragile bad(1000);
    throw_control::copies_until_throw = 0;
    EXPECT_THROW(m.try_emplace(1000, bad), std::runtime_error);
    EXPECT_THROW(m.insert_or_assign(1001, bad), std::runtime_error);
    throw_control::copies_until_throw = -1;
    EXPECT_EQ(m.size(), 100u);
    EXPECT_FALSE(m.contains(1000));
    EXPECT_FALSE(m.contains(1001));
    for (int i = 0; i < 100; ++i) {
        ASSERT_EQ(m.at(i).v, i);
    }
}

// A pinned leaf is rebuilt with copied keys; a key copy that throws midway must put the
// moved values back and leave both the map and the pass intact.
TEST(GoMapExceptions, ThrowingKeyCopyDuringARebuildUnderAPass) {
    syncmap::go_map<fragile, std::string, fragile_hash> m(11);
    int next = 0;
    // Fill the only leaf to its load limit at 128 slots or more, so that the next insertion
    // rebuilds it while it holds more keys than the copies allowed below.
    auto at_limit = [&] {
        const auto info = m.debug_structure();
        return info.capacity >= 128 && info.entries == info.capacity - info.capacity / 8;
    };
    while (!at_limit()) {
        m.try_emplace(fragile(next), std::to_string(next));
        ++next;
    }
    auto it = m.begin();
    ASSERT_NE(it, m.end());  // the pass pins the only leaf
    const std::size_t size = m.size();
    for (int failing_copy = 0; failing_copy < 5; ++failing_copy) {
        throw_control::copies_until_throw = failing_copy * 7;
        EXPECT_THROW(m.try_emplace(fragile(100000 + failing_copy), "new"), std::runtime_error);
        throw_control::copies_until_throw = -1;
        ASSERT_EQ(m.size(), size);
        for (int i = 0; i < next; ++i) {
            ASSERT_EQ(m.at(fragile(i)), std::to_string(i)) << "a value was lost in the rollback";
        }
    }
    // The pass still works, and the rebuild does too once copies succeed.
    m.try_emplace(fragile(-5), "grown");
    EXPECT_TRUE(it.debug_state().following);
    std::set<int> seen;
    for (; it != m.end(); ++it) {
        ASSERT_TRUE(seen.insert(it->first.v).second);
        ASSERT_EQ(it->second, it->first.v == -5 ? "grown" : std::to_string(it->first.v));
    }
    EXPECT_GE(seen.size(), size);
}

struct throwing_hash {
    static inline bool armed = false;
    std::size_t operator()(int x) const {
        if (armed && x == 777) {
            throw std::runtime_error("hash");
        }
        return std::hash<int>{}(x);
    }
};

TEST(GoMapExceptions, ThrowingHashLeavesTheMapUsable) {
    syncmap::go_map<int, int, throwing_hash> m;
    m[1] = 1;
    throwing_hash::armed = true;
    EXPECT_THROW(m[777] = 1, std::runtime_error);
    EXPECT_THROW((void)m.find(777), std::runtime_error);
    throwing_hash::armed = false;
    m[2] = 2;  // the write flag was released: no "concurrent map writes"
    EXPECT_EQ(m.size(), 2u);
}


// As Go's mapassign: assigning with a key equal to the stored one but not identical (-0.0
// over +0.0) replaces the stored key too; only the forms that insert if absent keep it.
TEST(GoMap, AssignmentReplacesAnEqualButNotIdenticalKey) {
    syncmap::go_map<double, int> m;
    m[+0.0] = 1;
    m[-0.0] = 2;
    ASSERT_EQ(m.size(), 1u);
    auto only = [&] {
        std::size_t n = 0;
        std::pair<double, int> e{};
        for (const auto& [k, v] : m) {
            ++n;
            e = {k, v};
        }
        EXPECT_EQ(n, 1u);
        return e;
    };
    auto e = only();
    EXPECT_EQ(e.first, 0.0);
    EXPECT_TRUE(std::signbit(e.first)) << "m[-0.0] = 2 keeps -0.0, as Go does";
    EXPECT_EQ(e.second, 2);
    m.insert_or_assign(+0.0, 3);
    e = only();
    EXPECT_FALSE(std::signbit(e.first));
    EXPECT_EQ(e.second, 3);
    m.try_emplace(-0.0, 4);
    m.insert({-0.0, 5});
    m.emplace(-0.0, 6);
    e = only();
    EXPECT_FALSE(std::signbit(e.first)) << "insert-if-absent forms leave a present entry alone";
    EXPECT_EQ(e.second, 3);
    EXPECT_EQ(m.at(-0.0), 3);
    EXPECT_FALSE(std::signbit(m.find(-0.0)->first)) << "a read changes nothing";
}

}  // namespace
