// tests/map_api_suite.hpp - the API test suite shared by every container with sync_map's API.
//
// A googletest type-parameterized suite: the type parameter is the map type itself, e.g.
// syncmap::sync_map<std::uint64_t, std::uint64_t>. A container instantiates it in its own
// test file:
//
//     #include "map_api_suite.hpp"
//     using my_maps = ::testing::Types<my_map<std::uint64_t, std::uint64_t>,
//                                      my_map<std::string, std::uint64_t>>;
//     INSTANTIATE_TYPED_TEST_SUITE_P(MyMap, MapApi, my_maps, syncmap_test::map_type_names);
//
// Requirements on the map: default-constructible; key_type and mapped_type are unsigned
// integers, std::string or the small structs of map_types.hpp (see `codec` there); the
// members of sync_map's public API except seed() and debug_structure(). The suite uses
// nothing container-specific.
//
// What it checks (clause names from docs/GUARANTEES.md):
//   - each operation's result and effect, with Go's sync.Map semantics (L1 sequentially);
//   - random operation sequences, step by step against reference_map, over key spaces
//     large enough to force many leaf splits and directory doublings;
//   - range when nothing else runs: exactly the contents, each once (W1-W4); early stop (W6);
//   - range callbacks calling back into the same map: store, erase of the current key,
//     inserts that force growth, clear, loads, nested range, a throwing callback (W5), with
//     W1-W4 still holding for the keys the callback does not touch;
//   - clear and reuse, size and empty.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "map_types.hpp"
#include "reference_map.hpp"

namespace syncmap_test {

// True when built with AddressSanitizer or ThreadSanitizer: iteration counts shrink so the
// sanitizer runs stay within the CI budget.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool under_sanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool under_sanitizer = true;
#else
inline constexpr bool under_sanitizer = false;
#endif
#else
inline constexpr bool under_sanitizer = false;
#endif

// `n` normally, a quarter of it (at least 1) under a sanitizer.
constexpr std::size_t scaled(std::size_t n) noexcept {
    return under_sanitizer ? std::max<std::size_t>(1, n / 4) : n;
}

// Everything one range pass yielded: the last value per key and how often each key came.
template <class K, class V>
struct range_result {
    std::unordered_map<K, V> values;
    std::unordered_map<K, int> times;
    std::size_t calls = 0;
};

template <class Map>
range_result<typename Map::key_type, typename Map::mapped_type> collect(const Map& map) {
    range_result<typename Map::key_type, typename Map::mapped_type> r;
    map.range([&](const auto& key, const auto& value) {
        ++r.calls;
        ++r.times[key];
        r.values.insert_or_assign(key, value);
    });
    return r;
}

// Success when a quiescent range of `map` yields exactly `expected`, each key once, and
// size() and empty() agree with it. Reports the first few differences otherwise.
template <class Map, class Expected>
::testing::AssertionResult same_contents(const Map& map, const Expected& expected) {
    using K = typename Map::key_type;
    const auto got = collect(map);
    std::ostringstream why;
    int problems = 0;
    auto note = [&](const std::string& what, const K& key) {
        if (++problems <= 8) why << "\n  " << what << " key #" << id_of(key);
    };
    for (const auto& [key, times] : got.times) {
        if (times != 1) note("yielded " + std::to_string(times) + " times:", key);
    }
    for (const auto& [key, value] : got.values) {
        auto it = expected.find(key);
        if (it == expected.end()) {
            note("yielded but absent:", key);
        } else if (!(it->second == value)) {
            note("wrong value #" + std::to_string(id_of(value)) + " (expected #" +
                     std::to_string(id_of(it->second)) + ") for",
                 key);
        }
    }
    for (const auto& [key, value] : expected) {
        if (got.values.find(key) == got.values.end()) note("present but not yielded:", key);
    }
    if (map.size() != expected.size()) {
        ++problems;
        why << "\n  size() = " << map.size() << ", expected " << expected.size();
    }
    if (map.empty() != expected.empty()) {
        ++problems;
        why << "\n  empty() = " << map.empty();
    }
    if (problems == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << problems << " difference(s):" << why.str();
}

template <class Map>
class MapApi : public ::testing::Test {};

TYPED_TEST_SUITE_P(MapApi);

}  // namespace syncmap_test

// The aliases every test of the suite starts with.
#define SYNCMAP_SUITE_ALIASES                      \
    using Map = TypeParam;                         \
    using K = typename Map::key_type;              \
    using V = typename Map::mapped_type;           \
    [[maybe_unused]] auto key = [](std::uint64_t n) { return ::syncmap_test::make<K>(n); }; \
    [[maybe_unused]] auto val = [](std::uint64_t n) { return ::syncmap_test::make<V>(n); }

namespace syncmap_test {

TYPED_TEST_P(MapApi, EmptyMap) {
    SYNCMAP_SUITE_ALIASES;
    const Map m;
    EXPECT_EQ(m.size(), 0u);
    EXPECT_TRUE(m.empty());
    EXPECT_EQ(m.load(key(1)), std::nullopt);
    EXPECT_FALSE(m.contains(key(1)));
    bool called = false;
    EXPECT_FALSE(m.visit(key(1), [&](const V&) { called = true; }));
    EXPECT_FALSE(called);
    m.range([&](const K&, const V&) { called = true; });
    EXPECT_FALSE(called);

    Map w;
    EXPECT_FALSE(w.erase(key(1)));
    EXPECT_EQ(w.load_and_delete(key(1)), std::nullopt);
    EXPECT_FALSE(w.compare_and_swap(key(1), val(1), val(2)));
    EXPECT_FALSE(w.compare_and_delete(key(1), val(1)));
    w.clear();
    EXPECT_TRUE(w.empty());
    // None of the failed operations above may have inserted anything.
    EXPECT_FALSE(w.contains(key(1)));
    EXPECT_EQ(w.size(), 0u);
}

TYPED_TEST_P(MapApi, StoreThenLoad) {
    SYNCMAP_SUITE_ALIASES;
    Map m;
    m.store(key(1), val(10));
    EXPECT_EQ(m.load(key(1)), val(10));
    EXPECT_TRUE(m.contains(key(1)));
    EXPECT_FALSE(m.contains(key(2)));
    EXPECT_EQ(m.size(), 1u);

    // Store overwrites; size counts keys, not stores.
    m.store(key(1), val(11));
    EXPECT_EQ(m.load(key(1)), val(11));
    EXPECT_EQ(m.size(), 1u);

    // The rvalue overloads.
    K k2 = key(2);
    V v2 = val(20);
    m.store(std::move(k2), std::move(v2));
    EXPECT_EQ(m.load(key(2)), val(20));
    const K k3 = key(3);
    V v3 = val(30);
    m.store(k3, std::move(v3));
    EXPECT_EQ(m.load(key(3)), val(30));
    EXPECT_EQ(m.size(), 3u);
}

TYPED_TEST_P(MapApi, VisitSeesCurrentValue) {
    SYNCMAP_SUITE_ALIASES;
    Map m;
    m.store(key(5), val(50));
    int calls = 0;
    EXPECT_TRUE(m.visit(key(5), [&](const V& v) {
        ++calls;
        EXPECT_EQ(v, val(50));
    }));
    EXPECT_EQ(calls, 1);
    m.store(key(5), val(51));
    EXPECT_TRUE(m.visit(key(5), [&](const V& v) {
        ++calls;
        EXPECT_EQ(v, val(51));
    }));
    EXPECT_EQ(calls, 2);
    EXPECT_FALSE(m.visit(key(6), [&](const V&) { ++calls; }));
    EXPECT_EQ(calls, 2);
}

TYPED_TEST_P(MapApi, LoadOrStoreReturnsActualAndLoaded) {
    SYNCMAP_SUITE_ALIASES;
    Map m;
    // Absent: stores the given value, returns (given, false).
    EXPECT_EQ(m.load_or_store(key(1), val(10)), std::make_pair(val(10), false));
    EXPECT_EQ(m.load(key(1)), val(10));
    // Present: returns (existing, true) and does not overwrite.
    EXPECT_EQ(m.load_or_store(key(1), val(99)), std::make_pair(val(10), true));
    EXPECT_EQ(m.load(key(1)), val(10));
    EXPECT_EQ(m.size(), 1u);
    // After an erase the key is absent again.
    EXPECT_TRUE(m.erase(key(1)));
    EXPECT_EQ(m.load_or_store(key(1), val(12)), std::make_pair(val(12), false));
    EXPECT_EQ(m.load(key(1)), val(12));
}

TYPED_TEST_P(MapApi, LoadAndDelete) {
    SYNCMAP_SUITE_ALIASES;
    Map m;
    m.store(key(1), val(10));
    m.store(key(2), val(20));
    EXPECT_EQ(m.load_and_delete(key(1)), val(10));
    EXPECT_FALSE(m.contains(key(1)));
    EXPECT_EQ(m.load_and_delete(key(1)), std::nullopt);
    EXPECT_EQ(m.load(key(2)), val(20));
    EXPECT_EQ(m.size(), 1u);
}

TYPED_TEST_P(MapApi, EraseReportsPresence) {
    SYNCMAP_SUITE_ALIASES;
    Map m;
    EXPECT_FALSE(m.erase(key(1)));
    m.store(key(1), val(10));
    m.store(key(2), val(20));
    EXPECT_TRUE(m.erase(key(1)));
    EXPECT_FALSE(m.erase(key(1)));
    EXPECT_EQ(m.load(key(1)), std::nullopt);
    EXPECT_EQ(m.load(key(2)), val(20));
    EXPECT_EQ(m.size(), 1u);
}

TYPED_TEST_P(MapApi, ExchangeReturnsPrevious) {
    SYNCMAP_SUITE_ALIASES;
    Map m;
    // Absent: inserts and returns nothing (Go's Swap returns loaded == false).
    EXPECT_EQ(m.exchange(key(1), val(10)), std::nullopt);
    EXPECT_EQ(m.load(key(1)), val(10));
    EXPECT_EQ(m.exchange(key(1), val(11)), val(10));
    EXPECT_EQ(m.exchange(key(1), val(11)), val(11));
    EXPECT_EQ(m.load(key(1)), val(11));
    EXPECT_EQ(m.size(), 1u);
}

TYPED_TEST_P(MapApi, CompareAndSwap) {
    SYNCMAP_SUITE_ALIASES;
    Map m;
    // Missing key: fails and inserts nothing.
    EXPECT_FALSE(m.compare_and_swap(key(1), val(10), val(11)));
    EXPECT_FALSE(m.contains(key(1)));
    m.store(key(1), val(10));
    // Mismatch: fails, value unchanged.
    EXPECT_FALSE(m.compare_and_swap(key(1), val(9), val(11)));
    EXPECT_EQ(m.load(key(1)), val(10));
    // Match: replaces.
    EXPECT_TRUE(m.compare_and_swap(key(1), val(10), val(11)));
    EXPECT_EQ(m.load(key(1)), val(11));
    // expected == desired succeeds and leaves the value.
    EXPECT_TRUE(m.compare_and_swap(key(1), val(11), val(11)));
    EXPECT_EQ(m.load(key(1)), val(11));
    // The old value no longer matches.
    EXPECT_FALSE(m.compare_and_swap(key(1), val(10), val(12)));
    EXPECT_EQ(m.load(key(1)), val(11));
    EXPECT_EQ(m.size(), 1u);
}

TYPED_TEST_P(MapApi, CompareAndDelete) {
    SYNCMAP_SUITE_ALIASES;
    Map m;
    EXPECT_FALSE(m.compare_and_delete(key(1), val(10)));
    m.store(key(1), val(10));
    m.store(key(2), val(10));
    EXPECT_FALSE(m.compare_and_delete(key(1), val(11)));
    EXPECT_EQ(m.load(key(1)), val(10));
    EXPECT_TRUE(m.compare_and_delete(key(1), val(10)));
    EXPECT_FALSE(m.contains(key(1)));
    EXPECT_FALSE(m.compare_and_delete(key(1), val(10)));
    EXPECT_EQ(m.load(key(2)), val(10));
    EXPECT_EQ(m.size(), 1u);
}

TYPED_TEST_P(MapApi, ExtremeKeys) {
    SYNCMAP_SUITE_ALIASES;
    Map m;
    const std::uint64_t top = std::numeric_limits<std::uint64_t>::max();
    const std::uint64_t ids[] = {0, 1, top, top - 1, std::uint64_t{1} << 63, std::uint64_t{1} << 32};
    for (std::uint64_t id : ids) m.store(key(id), val(id % 1000));
    for (std::uint64_t id : ids) EXPECT_EQ(m.load(key(id)), val(id % 1000)) << "key #" << id;
    std::unordered_map<K, V> expected;
    for (std::uint64_t id : ids) expected.emplace(key(id), val(id % 1000));
    EXPECT_TRUE(same_contents(m, expected));
    for (std::uint64_t id : ids) EXPECT_TRUE(m.erase(key(id))) << "key #" << id;
    EXPECT_TRUE(m.empty());
}

TYPED_TEST_P(MapApi, SizeAndEmptyTrackContents) {
    SYNCMAP_SUITE_ALIASES;
    Map m;
    constexpr std::uint64_t n = 5000;
    for (std::uint64_t i = 1; i <= n; ++i) {
        m.store(key(i), val(i));
        ASSERT_EQ(m.size(), i);
    }
    EXPECT_FALSE(m.empty());
    for (std::uint64_t i = 1; i <= n; ++i) m.store(key(i), val(i + 1));  // overwrites
    EXPECT_EQ(m.size(), n);
    for (std::uint64_t i = 1; i <= n; i += 2) ASSERT_TRUE(m.erase(key(i)));
    EXPECT_EQ(m.size(), n / 2);
    for (std::uint64_t i = 2; i <= n; i += 2) ASSERT_EQ(m.load_and_delete(key(i)), val(i + 1));
    EXPECT_EQ(m.size(), 0u);
    EXPECT_TRUE(m.empty());
}

TYPED_TEST_P(MapApi, ClearThenReuse) {
    SYNCMAP_SUITE_ALIASES;
    Map m;
    constexpr std::uint64_t n = 20000;  // enough for many leaves and a deep directory
    for (std::uint64_t i = 0; i < n; ++i) m.store(key(i), val(i));
    ASSERT_EQ(m.size(), n);
    m.clear();
    EXPECT_TRUE(m.empty());
    EXPECT_EQ(m.size(), 0u);
    for (std::uint64_t i = 0; i < n; i += 97) EXPECT_FALSE(m.contains(key(i))) << i;
    EXPECT_TRUE(same_contents(m, std::unordered_map<K, V>{}));
    m.clear();  // clearing an empty map is fine
    EXPECT_TRUE(m.empty());

    // Reuse with an overlapping key set and new values.
    std::unordered_map<K, V> expected;
    for (std::uint64_t i = n / 2; i < n + n / 2; ++i) {
        EXPECT_EQ(m.load_or_store(key(i), val(i + 7)), std::make_pair(val(i + 7), false)) << i;
        expected.emplace(key(i), val(i + 7));
    }
    EXPECT_TRUE(same_contents(m, expected));
    m.clear();
    m.store(key(3), val(4));
    EXPECT_TRUE(same_contents(m, std::unordered_map<K, V>{{key(3), val(4)}}));
}

// Random operation sequences checked step by step against reference_map. Half the keys
// come from a small hot set (hits, overwrites, CAS successes), half from 1..key_space
// (growth: thousands of keys, so leaves split and the directory doubles many times).
// Values come from a small domain so that compare_and_swap and compare_and_delete with a
// guessed expected value sometimes succeed.
TYPED_TEST_P(MapApi, RandomOperationsMatchReference) {
    SYNCMAP_SUITE_ALIASES;
    const std::size_t seeds = scaled(16);
    const std::size_t ops = scaled(30000);
    constexpr std::uint64_t key_space = 50000;
    constexpr std::uint64_t hot_keys = 256;
    enum class op : int {
        load, contains, visit, store, store_moved, load_or_store, load_and_delete, erase,
        exchange, compare_and_swap, compare_and_delete, size, count
    };
    static constexpr const char* op_names[] = {
        "load", "contains", "visit", "store", "store(K&&, V&&)", "load_or_store",
        "load_and_delete", "erase", "exchange", "compare_and_swap", "compare_and_delete", "size"};
    constexpr int weights[] = {12, 6, 6, 14, 6, 12, 6, 8, 10, 10, 6, 3};
    static_assert(std::size(weights) == static_cast<std::size_t>(op::count));

    for (std::size_t seed = 1; seed <= seeds; ++seed) {
        std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ULL);
        std::discrete_distribution<int> pick(std::begin(weights), std::end(weights));
        Map m;
        reference_map<K, V> ref;
        std::size_t largest = 0;
        for (std::size_t step = 0; step < ops; ++step) {
            const std::uint64_t kid = (rng() & 1) ? 1 + rng() % hot_keys : 1 + rng() % key_space;
            const K k = key(kid);
            const V v = val(rng() % 16);
            const auto o = static_cast<op>(pick(rng));
            bool same = true;
            switch (o) {
                case op::load: same = m.load(k) == ref.load(k); break;
                case op::contains: same = m.contains(k) == ref.contains(k); break;
                case op::visit: {
                    std::optional<V> seen;
                    const bool found = m.visit(k, [&](const V& x) { seen = x; });
                    same = found == seen.has_value() && seen == ref.load(k);
                    break;
                }
                case op::store: m.store(k, v); ref.store(k, v); break;
                case op::store_moved: {
                    K k2 = k;
                    V v2 = v;
                    m.store(std::move(k2), std::move(v2));
                    ref.store(k, v);
                    break;
                }
                case op::load_or_store: same = m.load_or_store(k, v) == ref.load_or_store(k, v); break;
                case op::load_and_delete: same = m.load_and_delete(k) == ref.load_and_delete(k); break;
                case op::erase: same = m.erase(k) == ref.erase(k); break;
                case op::exchange: same = m.exchange(k, v) == ref.exchange(k, v); break;
                case op::compare_and_swap: {
                    // Half the time the current value (success if present), else a guess.
                    const V expected = (rng() & 1) ? ref.load(k).value_or(v) : val(rng() % 16);
                    same = m.compare_and_swap(k, expected, v) == ref.compare_and_swap(k, expected, v);
                    break;
                }
                case op::compare_and_delete: {
                    const V expected = (rng() & 1) ? ref.load(k).value_or(v) : val(rng() % 16);
                    same = m.compare_and_delete(k, expected) == ref.compare_and_delete(k, expected);
                    break;
                }
                case op::size: same = m.size() == ref.size() && m.empty() == ref.empty(); break;
                case op::count: break;
            }
            ASSERT_TRUE(same) << op_names[static_cast<int>(o)] << " on key #" << kid
                              << " disagrees with the reference (seed " << seed << ", step "
                              << step << ")";
            // A rare clear, so later steps run on a map that was cleared while large.
            if (rng() % 15000 == 0) {
                m.clear();
                ref.clear();
            }
            largest = std::max(largest, ref.size());
            if (step % 1024 == 1023) {
                ASSERT_TRUE(same_contents(m, ref.contents()))
                    << "seed " << seed << ", after step " << step;
            }
        }
        ASSERT_TRUE(same_contents(m, ref.contents())) << "seed " << seed << ", at the end";
        // The sequence really did grow the map (splits, directory doubling).
        EXPECT_GT(largest, scaled(2000)) << "seed " << seed;
    }
}

TYPED_TEST_P(MapApi, RangeYieldsExactlyTheContents) {
    SYNCMAP_SUITE_ALIASES;
    Map m;
    std::unordered_map<K, V> expected;
    EXPECT_TRUE(same_contents(m, expected));
    std::mt19937_64 rng(7);
    // Grow through many splits with erasures mixed in, checking at growing sizes.
    for (std::uint64_t i = 1; i <= 30000; ++i) {
        const std::uint64_t kid = rng() % 60000;
        if (rng() % 4 == 0) {
            m.erase(key(kid));
            expected.erase(key(kid));
        } else {
            m.store(key(kid), val(i));
            expected.insert_or_assign(key(kid), val(i));
        }
        if ((i & (i - 1)) == 0) {
            ASSERT_TRUE(same_contents(m, expected)) << "after " << i << " steps";
        }
    }
    ASSERT_TRUE(same_contents(m, expected));

    // A bool-returning callback that always continues sees the same.
    std::size_t calls = 0;
    m.range([&](const K& k, const V& v) {
        ++calls;
        EXPECT_EQ(expected.at(k), v);
        return true;
    });
    EXPECT_EQ(calls, expected.size());
}

TYPED_TEST_P(MapApi, RangeStopsWhenCallbackReturnsFalse) {
    SYNCMAP_SUITE_ALIASES;
    Map m;
    for (std::uint64_t i = 0; i < 4000; ++i) m.store(key(i), val(i));
    for (std::size_t stop_after : {std::size_t{1}, std::size_t{2}, std::size_t{10}, std::size_t{3999}}) {
        std::size_t calls = 0;
        std::unordered_set<K> seen;
        m.range([&](const K& k, const V& v) {
            ++calls;
            EXPECT_TRUE(seen.insert(k).second);
            EXPECT_EQ(v, val(id_of(k)));
            return calls < stop_after;
        });
        EXPECT_EQ(calls, stop_after);
    }
    // Returning true on the last entry finishes normally.
    std::size_t calls = 0;
    m.range([&](const K&, const V&) { return ++calls <= 4000; });
    EXPECT_EQ(calls, 4000u);
    EXPECT_EQ(m.size(), 4000u);
}

// W5: the callback overwrites the key it was handed. Each key is still yielded exactly
// once, with the value it held before its own callback ran.
TYPED_TEST_P(MapApi, RangeCallbackStoresCurrentKey) {
    SYNCMAP_SUITE_ALIASES;
    Map m;
    constexpr std::uint64_t n = 6000;
    for (std::uint64_t i = 0; i < n; ++i) m.store(key(i), val(i));
    std::unordered_map<K, int> times;
    m.range([&](const K& k, const V& v) {
        ++times[k];
        EXPECT_EQ(v, val(id_of(k)));
        m.store(k, val(id_of(k) + n));
        EXPECT_EQ(m.load(k), val(id_of(k) + n));
    });
    EXPECT_EQ(times.size(), n);
    for (const auto& [k, t] : times) EXPECT_EQ(t, 1) << "key #" << id_of(k);
    std::unordered_map<K, V> expected;
    for (std::uint64_t i = 0; i < n; ++i) expected.emplace(key(i), val(i + n));
    EXPECT_TRUE(same_contents(m, expected));
}

// W5: erasing the current key (Go's pattern for draining a map) visits everything once.
TYPED_TEST_P(MapApi, RangeCallbackErasesCurrentKey) {
    SYNCMAP_SUITE_ALIASES;
    Map m;
    constexpr std::uint64_t n = 6000;
    for (std::uint64_t i = 0; i < n; ++i) m.store(key(i), val(i));
    std::unordered_map<K, int> times;
    m.range([&](const K& k, const V& v) {
        ++times[k];
        EXPECT_EQ(v, val(id_of(k)));
        EXPECT_TRUE(m.erase(k));
        EXPECT_FALSE(m.contains(k));
    });
    EXPECT_EQ(times.size(), n);
    for (const auto& [k, t] : times) EXPECT_EQ(t, 1) << "key #" << id_of(k);
    EXPECT_TRUE(m.empty());
    EXPECT_EQ(m.size(), 0u);
}

// W5 with growth: every callback on an original key inserts two new keys, tripling the map
// (leaf splits and directory doublings while the traversal runs). Original keys: exactly
// once (W1, W2). New keys: at most once (W2). Keys never stored: never (W3).
TYPED_TEST_P(MapApi, RangeCallbackInsertsNewKeys) {
    SYNCMAP_SUITE_ALIASES;
    Map m;
    constexpr std::uint64_t n = 4000;
    for (std::uint64_t i = 0; i < n; ++i) m.store(key(i), val(i));
    std::unordered_map<K, int> times;
    m.range([&](const K& k, const V& v) {
        const std::uint64_t id = id_of(k);
        ++times[k];
        EXPECT_LT(id, 3 * n) << "yielded a key never stored";
        EXPECT_EQ(v, val(id));
        if (id < n) {
            m.store(key(n + 2 * id), val(n + 2 * id));
            EXPECT_EQ(m.load_or_store(key(n + 2 * id + 1), val(n + 2 * id + 1)),
                      std::make_pair(val(n + 2 * id + 1), false));
        }
    });
    for (std::uint64_t i = 0; i < n; ++i) EXPECT_EQ(times[key(i)], 1) << "original key #" << i;
    for (const auto& [k, t] : times) EXPECT_LE(t, 1) << "key #" << id_of(k);
    std::unordered_map<K, V> expected;
    for (std::uint64_t i = 0; i < 3 * n; ++i) expected.emplace(key(i), val(i));
    EXPECT_TRUE(same_contents(m, expected));
}

// W5: the callback erases keys other than its own (keys in the upper half, some already
// visited, some not). Keys never erased: exactly once. Erased keys: at most once, with
// their only value.
TYPED_TEST_P(MapApi, RangeCallbackErasesOtherKeys) {
    SYNCMAP_SUITE_ALIASES;
    Map m;
    constexpr std::uint64_t n = 6000;
    for (std::uint64_t i = 0; i < n; ++i) m.store(key(i), val(i));
    std::unordered_map<K, int> times;
    m.range([&](const K& k, const V& v) {
        const std::uint64_t id = id_of(k);
        ++times[k];
        EXPECT_EQ(v, val(id));
        if (id < n / 2) m.erase(key(id + n / 2));
    });
    for (std::uint64_t i = 0; i < n / 2; ++i) EXPECT_EQ(times[key(i)], 1) << "key #" << i;
    for (const auto& [k, t] : times) EXPECT_LE(t, 1) << "key #" << id_of(k);
    std::unordered_map<K, V> expected;
    for (std::uint64_t i = 0; i < n / 2; ++i) expected.emplace(key(i), val(i));
    EXPECT_TRUE(same_contents(m, expected));
}

// W5: clear from inside the callback, then store a few new keys. The traversal ends, no
// key comes twice, only keys that were stored come at all, and afterwards the map holds
// exactly what was stored after the clear.
TYPED_TEST_P(MapApi, RangeCallbackClears) {
    SYNCMAP_SUITE_ALIASES;
    Map m;
    constexpr std::uint64_t n = 6000;
    constexpr std::uint64_t fresh = 50;
    for (std::uint64_t i = 0; i < n; ++i) m.store(key(i), val(i));
    std::unordered_map<K, int> times;
    std::size_t calls = 0;
    m.range([&](const K& k, const V& v) {
        const std::uint64_t id = id_of(k);
        ++times[k];
        EXPECT_LT(id, n + fresh) << "yielded a key never stored";
        EXPECT_EQ(v, val(id));
        if (++calls == n / 3) {
            m.clear();
            EXPECT_TRUE(m.empty());
            EXPECT_FALSE(m.contains(k));
            for (std::uint64_t j = n; j < n + fresh; ++j) m.store(key(j), val(j));
        }
    });
    EXPECT_GE(calls, n / 3);
    for (const auto& [k, t] : times) EXPECT_EQ(t, 1) << "key #" << id_of(k);
    std::unordered_map<K, V> expected;
    for (std::uint64_t j = n; j < n + fresh; ++j) expected.emplace(key(j), val(j));
    EXPECT_TRUE(same_contents(m, expected));
}

// W5: point reads from the callback see the map as it is (nothing else runs): the yielded
// value, and a key the callback itself stored a moment ago.
TYPED_TEST_P(MapApi, RangeCallbackReads) {
    SYNCMAP_SUITE_ALIASES;
    Map m;
    constexpr std::uint64_t n = 3000;
    for (std::uint64_t i = 0; i < n; ++i) m.store(key(i), val(i));
    std::size_t calls = 0;
    m.range([&](const K& k, const V& v) {
        ++calls;
        EXPECT_EQ(m.load(k), v);
        EXPECT_TRUE(m.contains(k));
        EXPECT_TRUE(m.visit(k, [&](const V& x) { EXPECT_EQ(x, v); }));
        EXPECT_EQ(m.load(key(n + 1)), std::nullopt);
        EXPECT_EQ(m.size(), n);
        return true;
    });
    EXPECT_EQ(calls, n);
}

// W5: a traversal inside a traversal's callback.
TYPED_TEST_P(MapApi, NestedRange) {
    SYNCMAP_SUITE_ALIASES;
    Map m;
    constexpr std::uint64_t n = 2000;
    for (std::uint64_t i = 0; i < n; ++i) m.store(key(i), val(i));
    std::size_t outer = 0;
    m.range([&](const K&, const V&) {
        if (++outer > 3) return false;
        std::unordered_set<K> inner;
        m.range([&](const K& k, const V& v) {
            EXPECT_TRUE(inner.insert(k).second);
            EXPECT_EQ(v, val(id_of(k)));
        });
        EXPECT_EQ(inner.size(), n);
        return true;
    });
    EXPECT_EQ(outer, 4u);
}

// W5 checked against the model: each callback applies a random operation to the key it was
// handed, on the map and on the reference alike. Operations on distinct keys commute, so
// the results must agree whatever order the two traversals use, every original key is
// yielded exactly once, and the final contents must agree.
TYPED_TEST_P(MapApi, RangeCallbackRandomOperationsOnCurrentKey) {
    SYNCMAP_SUITE_ALIASES;
    for (std::uint64_t seed = 1; seed <= scaled(8); ++seed) {
        Map m;
        reference_map<K, V> ref;
        std::mt19937_64 fill(seed);
        for (int i = 0; i < 3000; ++i) {
            const K k = key(fill() % 5000);
            const V v = val(fill() % 8);
            m.store(k, v);
            ref.store(k, v);
        }
        const auto before = ref.contents();
        std::unordered_map<K, int> times;
        m.range([&](const K& k, const V& v) {
            ++times[k];
            EXPECT_EQ(ref.load(k), v) << "key #" << id_of(k);
            std::mt19937_64 r(seed * 1000003 + id_of(k));
            const V x = val(r() % 8);
            switch (r() % 7) {
                case 0: m.store(k, x); ref.store(k, x); break;
                case 1: EXPECT_EQ(m.erase(k), ref.erase(k)); break;
                case 2: EXPECT_EQ(m.exchange(k, x), ref.exchange(k, x)); break;
                case 3: EXPECT_EQ(m.compare_and_swap(k, v, x), ref.compare_and_swap(k, v, x)); break;
                case 4: EXPECT_EQ(m.compare_and_delete(k, x), ref.compare_and_delete(k, x)); break;
                case 5: EXPECT_EQ(m.load_and_delete(k), ref.load_and_delete(k)); break;
                default: EXPECT_EQ(m.load_or_store(k, x), ref.load_or_store(k, x)); break;
            }
        });
        EXPECT_EQ(times.size(), before.size()) << "seed " << seed;
        for (const auto& [k, t] : times) {
            EXPECT_EQ(t, 1) << "key #" << id_of(k);
            EXPECT_TRUE(before.count(k)) << "key #" << id_of(k) << " was never stored";
        }
        EXPECT_TRUE(same_contents(m, ref.contents())) << "seed " << seed;
    }
}

// A throwing callback: the exception reaches the caller, the map is unchanged, and
// nothing stays held (a later write, traversal and clear all complete).
TYPED_TEST_P(MapApi, RangeCallbackThrows) {
    SYNCMAP_SUITE_ALIASES;
    Map m;
    std::unordered_map<K, V> expected;
    for (std::uint64_t i = 0; i < 2000; ++i) {
        m.store(key(i), val(i));
        expected.emplace(key(i), val(i));
    }
    struct stop {};
    int calls = 0;
    EXPECT_THROW(m.range([&](const K&, const V&) {
        if (++calls == 5) throw stop{};
    }),
                 stop);
    EXPECT_EQ(calls, 5);
    EXPECT_TRUE(same_contents(m, expected));
    EXPECT_THROW(m.visit(key(1), [](const V&) { throw stop{}; }), stop);
    m.store(key(1), val(2));
    EXPECT_EQ(m.load(key(1)), val(2));
    m.clear();
    EXPECT_TRUE(m.empty());
}

REGISTER_TYPED_TEST_SUITE_P(MapApi, EmptyMap, StoreThenLoad, VisitSeesCurrentValue,
                            LoadOrStoreReturnsActualAndLoaded, LoadAndDelete, EraseReportsPresence,
                            ExchangeReturnsPrevious, CompareAndSwap, CompareAndDelete, ExtremeKeys,
                            SizeAndEmptyTrackContents, ClearThenReuse,
                            RandomOperationsMatchReference, RangeYieldsExactlyTheContents,
                            RangeStopsWhenCallbackReturnsFalse, RangeCallbackStoresCurrentKey,
                            RangeCallbackErasesCurrentKey, RangeCallbackInsertsNewKeys,
                            RangeCallbackErasesOtherKeys, RangeCallbackClears, RangeCallbackReads,
                            NestedRange, RangeCallbackRandomOperationsOnCurrentKey,
                            RangeCallbackThrows);

}  // namespace syncmap_test

#undef SYNCMAP_SUITE_ALIASES
