// libFuzzer target: operation sequences on sync_map, checked step by step against
// reference_map (tests/reference_map.hpp).
//
// Input layout (FuzzedDataProvider): a map seed, a key type (uint64 or std::string with
// heterogeneous lookup), a key-space size, then operations until the input runs out. Bulk
// inserts and erases let short inputs reach leaf splits, directory doubling and rebuilds
// of tombstone-filled leaves. Range operations check the whole contents (each key once,
// right values), stop early, or mutate the current key from the
// callback on both maps alike (W5). Any disagreement aborts with a message.
#include <fuzzer/FuzzedDataProvider.h>

#include <syncmap/sync_map.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "reference_map.hpp"

namespace {

[[noreturn]] void fail(const char* what, std::uint64_t key_id) {
    std::fprintf(stderr, "sync_map_fuzz: %s (key #%llu)\n", what, static_cast<unsigned long long>(key_id));
    std::abort();
}

void check(bool ok, const char* what, std::uint64_t key_id) {
    if (!ok) fail(what, key_id);
}

template <class T>
struct codec;

template <>
struct codec<std::uint64_t> {
    static std::uint64_t make(std::uint64_t n) { return n; }
};

template <>
struct codec<std::string> {
    static std::string make(std::uint64_t n) {
        std::string s = std::to_string(n);
        if (n % 4 == 1) s.append(40, 'x');  // past the small-string buffer
        return s;
    }
};

enum op : int {
    op_load, op_contains, op_visit, op_store, op_store_moved, op_load_or_store, op_load_and_delete,
    op_erase, op_exchange, op_compare_and_swap, op_compare_and_delete, op_size, op_bulk_store,
    op_bulk_erase, op_range_check, op_range_stop, op_range_mutate, op_clear, op_heterogeneous,
    op_last = op_heterogeneous
};

template <class K, class V>
class driver {
    using map_type = std::conditional_t<std::is_same_v<K, std::string>,
                                        syncmap::sync_map<K, V, syncmap::hash<std::string>, std::equal_to<>>,
                                        syncmap::sync_map<K, V>>;

public:
    driver(FuzzedDataProvider& in, std::uint64_t seed, std::uint64_t key_space)
        : in_(in), map_(seed), key_space_(key_space) {}

    void run() {
        while (in_.remaining_bytes() > 0) step();
        check_all();
    }

private:
    static K key(std::uint64_t n) { return codec<K>::make(n); }
    static V val(std::uint64_t n) { return codec<V>::make(n); }

    std::uint64_t next_key() { return in_.ConsumeIntegralInRange<std::uint64_t>(0, key_space_ - 1); }
    V next_value() { return val(in_.ConsumeIntegralInRange<std::uint64_t>(0, 15)); }

    void step() {
        const int o = in_.ConsumeIntegralInRange<int>(0, op_last);
        const std::uint64_t id = next_key();
        const K k = key(id);
        switch (o) {
            case op_load: check(map_.load(k) == ref_.load(k), "load", id); break;
            case op_contains: check(map_.contains(k) == ref_.contains(k), "contains", id); break;
            case op_visit: {
                std::optional<V> seen;
                const bool found = map_.visit(k, [&](const V& v) { seen = v; });
                check(found == seen.has_value() && seen == ref_.load(k), "visit", id);
                break;
            }
            case op_store: {
                const V v = next_value();
                map_.store(k, v);
                ref_.store(k, v);
                break;
            }
            case op_store_moved: {
                const V v = next_value();
                K k2 = k;
                V v2 = v;
                map_.store(std::move(k2), std::move(v2));
                ref_.store(k, v);
                break;
            }
            case op_load_or_store: {
                const V v = next_value();
                check(map_.load_or_store(k, v) == ref_.load_or_store(k, v), "load_or_store", id);
                break;
            }
            case op_load_and_delete: check(map_.load_and_delete(k) == ref_.load_and_delete(k), "load_and_delete", id); break;
            case op_erase: check(map_.erase(k) == ref_.erase(k), "erase", id); break;
            case op_exchange: {
                const V v = next_value();
                check(map_.exchange(k, v) == ref_.exchange(k, v), "exchange", id);
                break;
            }
            case op_compare_and_swap: {
                const V desired = next_value();
                const V expected = in_.ConsumeBool() ? ref_.load(k).value_or(desired) : next_value();
                check(map_.compare_and_swap(k, expected, desired) == ref_.compare_and_swap(k, expected, desired),
                      "compare_and_swap", id);
                break;
            }
            case op_compare_and_delete: {
                const V expected = in_.ConsumeBool() ? ref_.load(k).value_or(next_value()) : next_value();
                check(map_.compare_and_delete(k, expected) == ref_.compare_and_delete(k, expected),
                      "compare_and_delete", id);
                break;
            }
            case op_size: check(map_.size() == ref_.size() && map_.empty() == ref_.empty(), "size", id); break;
            case op_bulk_store: {
                // Up to 1024 consecutive keys: enough to split leaves and double the directory.
                const std::uint64_t n = in_.ConsumeIntegralInRange<std::uint64_t>(1, 1024);
                const std::uint64_t v = in_.ConsumeIntegralInRange<std::uint64_t>(0, 15);
                for (std::uint64_t i = 0; i < n; ++i) {
                    const std::uint64_t kid = (id + i) % key_space_;
                    map_.store(key(kid), val(v + i % 3));
                    ref_.store(key(kid), val(v + i % 3));
                }
                break;
            }
            case op_bulk_erase: {
                // Every stride-th key of a run: leaves fill with tombstones and get rebuilt.
                const std::uint64_t n = in_.ConsumeIntegralInRange<std::uint64_t>(1, 1024);
                const std::uint64_t stride = in_.ConsumeIntegralInRange<std::uint64_t>(1, 4);
                for (std::uint64_t i = 0; i < n; i += stride) {
                    const std::uint64_t kid = (id + i) % key_space_;
                    check(map_.erase(key(kid)) == ref_.erase(key(kid)), "bulk erase", kid);
                }
                break;
            }
            case op_range_check: check_all(); break;
            case op_range_stop: {
                const std::size_t stop = in_.ConsumeIntegralInRange<std::size_t>(1, 300);
                std::size_t calls = 0;
                map_.range([&](const K& rk, const V& rv) {
                    check(ref_.load(rk) == rv, "range (stopping) yielded a wrong entry", id);
                    return ++calls < stop;
                });
                check(calls == std::min(stop, ref_.size()), "range did not stop when told", calls);
                break;
            }
            case op_range_mutate: range_mutate(); break;
            case op_clear:
                // Rare: only when the key drawn is 0, so that maps get large first.
                if (id == 0) {
                    map_.clear();
                    ref_.clear();
                }
                break;
            case op_heterogeneous:
                if constexpr (std::is_same_v<K, std::string>) {
                    const std::string_view view(k);
                    check(map_.load(view) == ref_.load(k), "load(string_view)", id);
                    check(map_.contains(view) == ref_.contains(k), "contains(string_view)", id);
                    if (in_.ConsumeBool()) check(map_.erase(view) == ref_.erase(k), "erase(string_view)", id);
                }
                break;
        }
    }

    // Each callback applies one operation, chosen by the input, to the key it was handed,
    // on both maps. Operations on distinct keys commute, so the two maps stay equal
    // whatever order the traversal takes. For original keys it may also insert one new
    // key (outside the key space); such keys may or may not be yielded, never twice.
    void range_mutate() {
        const int sub = in_.ConsumeIntegralInRange<int>(0, 7);
        const bool insert_new = in_.ConsumeBool();
        const std::uint64_t x = in_.ConsumeIntegralInRange<std::uint64_t>(0, 15);
        const auto before = ref_.contents();
        std::unordered_map<K, int> times;
        map_.range([&](const K& rk, const V& rv) {
            const std::uint64_t rid = id_of(rk);
            check(++times[rk] == 1, "range yielded a key twice", rid);
            check(ref_.load(rk) == rv, "range yielded a value the key does not hold", rid);
            const V nv = val(x);
            switch (sub) {
                case 0: map_.store(rk, nv); ref_.store(rk, nv); break;
                case 1: check(map_.erase(rk) == ref_.erase(rk), "erase in range", rid); break;
                case 2: check(map_.exchange(rk, nv) == ref_.exchange(rk, nv), "exchange in range", rid); break;
                case 3: check(map_.compare_and_swap(rk, rv, nv) == ref_.compare_and_swap(rk, rv, nv), "cas in range", rid); break;
                case 4: check(map_.compare_and_delete(rk, nv) == ref_.compare_and_delete(rk, nv), "cad in range", rid); break;
                case 5: check(map_.load_and_delete(rk) == ref_.load_and_delete(rk), "load_and_delete in range", rid); break;
                case 6: check(map_.load_or_store(rk, nv) == ref_.load_or_store(rk, nv), "load_or_store in range", rid); break;
                default: check(map_.load(rk) == ref_.load(rk), "load in range", rid); break;
            }
            if (insert_new && rid < key_space_) {
                const K fresh = key(rid + key_space_);
                map_.store(fresh, nv);
                ref_.store(fresh, nv);
            }
        });
        for (const auto& [bk, bv] : before) check(times.count(bk) == 1, "range missed a key present throughout", id_of(bk));
        check_all();
    }

    static std::uint64_t id_of(const K& k) {
        if constexpr (std::is_same_v<K, std::string>) {
            return std::strtoull(k.c_str(), nullptr, 10);
        } else {
            return k;
        }
    }

    // The whole contents: each key once, with the reference's value. (Traversal order is
    // checked in tests/sync_map_api_test.cpp.)
    void check_all() {
        const auto expected = ref_.contents();
        std::size_t calls = 0;
        std::unordered_map<K, int> times;
        map_.range([&](const K& rk, const V& rv) {
            ++calls;
            check(++times[rk] == 1, "range yielded a key twice", id_of(rk));
            const auto it = expected.find(rk);
            check(it != expected.end() && it->second == rv, "range yielded an entry the reference lacks", id_of(rk));
        });
        check(calls == expected.size(), "range yielded the wrong number of entries", calls);
        check(map_.size() == expected.size(), "size disagrees", map_.size());
        const auto s = map_.debug_structure();
        check(s.entries == expected.size(), "debug_structure().entries disagrees", s.entries);
        check(s.leaves <= (std::size_t{1} << s.global_depth) && s.max_local_depth <= s.global_depth,
              "directory invariants", s.global_depth);
    }

    FuzzedDataProvider& in_;
    map_type map_;
    syncmap_test::reference_map<K, V> ref_;
    std::uint64_t key_space_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const std::uint64_t seed = in.ConsumeIntegral<std::uint64_t>();
    const bool strings = in.ConsumeBool();
    static constexpr std::uint64_t key_spaces[] = {16, 300, 4096, 65536};
    const std::uint64_t key_space = key_spaces[in.ConsumeIntegralInRange<int>(0, 3)];
    if (strings) {
        driver<std::string, std::string>(in, seed, key_space).run();
    } else {
        driver<std::uint64_t, std::uint64_t>(in, seed, key_space).run();
    }
    return 0;
}
