// Clause L4 for sync_map: strong exception safety. If hashing, comparing, copying or moving
// K or V, or an allocation, throws, the map is unchanged and nothing leaks.
//
// Method: every place where a user-supplied operation or an allocation can fail is a
// numbered *fault point*: the key type's hash and equality, the key's and value's copy and
// move, the value's operator==, and this binary's replacement of the global operator new.
// For each mutating operation, from a map built the same way each time (fixed seed), the
// sweep arms the Nth fault point for N = 1, 2, ... until the operation completes without
// meeting it. After every injected throw:
//   - the contents (range, size, load of every key) equal the state before, exactly;
//   - after rcu_barrier, the live allocation count equals the count before the call, plus
//     one per leaf split that completed before the fault (contents unchanged; the map owns
//     the new leaf, and a later insertion would have split it anyway);
//   - the same operation, retried with faults off, succeeds with the expected result
//     (so no lock and no read-side section was left held);
//   - once the sweep's maps are destroyed, the live allocation count is back where it was
//     before the sweep.
// The states are chosen so that insertions hit a leaf with room, a leaf split without
// directory growth, a directory doubling, and a leaf that a live snapshot forces to be
// copied. The sweeps run on both storages: node storage (throwing and string types, and
// uint64 forced into nodes) and inline entries (uint64, a small struct key and value). With
// types whose only fault points are allocations each sweep also runs with this thread's RCU
// retire batch absent, so that allocating the batch is itself a fault point.
//
// The replaced operator new lives in this binary only. It counts allocations made through
// operator new and delete from every thread (the RCU reclaimer thread frees retired nodes) and
// fails only on the thread that armed the fault. It allocates through malloc, so
// AddressSanitizer still sees every block.
#include <syncmap/sync_map.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "map_types.hpp"

namespace fault {

enum class site { hash, equality, key_copy, value_copy, value_compare, allocation };

struct injected : std::exception {
    const char* what() const noexcept override { return "injected fault"; }
};

inline const char* name(site s) noexcept {
    switch (s) {
        case site::hash: return "hash";
        case site::equality: return "key equality";
        case site::key_copy: return "key copy/move";
        case site::value_copy: return "value copy/move";
        case site::value_compare: return "value operator==";
        case site::allocation: return "operator new";
    }
    return "?";
}

// 0: disarmed. Otherwise the fault point that brings it to 0 fails.
thread_local long countdown = 0;
thread_local long points_met = 0;
thread_local site last_failed = site::hash;  // where the last injected fault was

// Counts every fault point met while armed; true when this one must fail.
inline bool trip(site s) noexcept {
    if (countdown == 0) return false;
    ++points_met;
    if (--countdown != 0) return false;
    last_failed = s;
    return true;
}

inline void point(site s) {
    if (trip(s)) throw injected{};
}

// Runs f with the nth fault point armed and disarms on every exit. The result is returned
// by guaranteed copy elision, so no copy or move of it runs while armed.
template <class F>
decltype(auto) armed(long n, F&& f) {
    struct disarm_on_exit {
        ~disarm_on_exit() { countdown = 0; }
    } guard;
    countdown = n;
    points_met = 0;
    return f();
}

}  // namespace fault

// ---- Counting, failing global operator new -------------------------------------------

namespace {

std::atomic<long> live_allocations{0};

void* counted_allocate(std::size_t size, std::size_t alignment) {
    if (fault::trip(fault::site::allocation)) throw std::bad_alloc();
    void* p = nullptr;
    if (alignment <= alignof(std::max_align_t)) {
        p = std::malloc(size == 0 ? 1 : size);
    } else if (posix_memalign(&p, alignment, size == 0 ? alignment : size) != 0) {
        p = nullptr;
    }
    if (p == nullptr) throw std::bad_alloc();
    live_allocations.fetch_add(1, std::memory_order_relaxed);
    return p;
}

void counted_free(void* p) noexcept {
    if (p == nullptr) return;
    live_allocations.fetch_sub(1, std::memory_order_relaxed);
    std::free(p);
}

}  // namespace

#include "replaced_global_new.hpp"
#include "sync_map_types.hpp"

namespace {

// ---- Types whose every operation is a fault point ----------------------------------------

struct fragile_key {
    std::uint64_t id;
    explicit fragile_key(std::uint64_t i) : id(i) {}
    fragile_key(const fragile_key& o) : id(o.id) { fault::point(fault::site::key_copy); }
    fragile_key(fragile_key&& o) : id(o.id) { fault::point(fault::site::key_copy); }
    fragile_key& operator=(const fragile_key& o) {
        fault::point(fault::site::key_copy);
        id = o.id;
        return *this;
    }
    fragile_key& operator=(fragile_key&& o) {
        fault::point(fault::site::key_copy);
        id = o.id;
        return *this;
    }
    ~fragile_key() = default;
};

// Not seeded and not avalanching (the identity): the map must mix it with its seed.
struct fragile_hash {
    std::size_t operator()(const fragile_key& k) const {
        fault::point(fault::site::hash);
        return k.id;
    }
};

struct fragile_equal {
    bool operator()(const fragile_key& a, const fragile_key& b) const {
        fault::point(fault::site::equality);
        return a.id == b.id;
    }
};

struct fragile_value {
    std::uint64_t id;
    explicit fragile_value(std::uint64_t i) : id(i) {}
    fragile_value(const fragile_value& o) : id(o.id) { fault::point(fault::site::value_copy); }
    fragile_value(fragile_value&& o) : id(o.id) { fault::point(fault::site::value_copy); }
    fragile_value& operator=(const fragile_value& o) {
        fault::point(fault::site::value_copy);
        id = o.id;
        return *this;
    }
    fragile_value& operator=(fragile_value&& o) {
        fault::point(fault::site::value_copy);
        id = o.id;
        return *this;
    }
    friend bool operator==(const fragile_value& a, const fragile_value& b) {
        fault::point(fault::site::value_compare);
        return a.id == b.id;
    }
};

using fragile_map = syncmap::sync_map<fragile_key, fragile_value, fragile_hash, fragile_equal>;
// Strings longer than the small-string buffer: every copy allocates.
using string_map = syncmap::sync_map<std::string, std::string>;
// Only allocations can fail. Inline storage (storage::automatic) for uint64 and for the small
// structs of map_types.hpp, and uint64 forced into nodes.
using u64_map = syncmap::sync_map<std::uint64_t, std::uint64_t>;
using syncmap_test::u64_nodes_map;
using small_map = syncmap::sync_map<syncmap_test::small_key, syncmap_test::small_value>;
static_assert(u64_map::inline_storage && small_map::inline_storage && !u64_nodes_map::inline_storage);
static_assert(!fragile_map::inline_storage && !string_map::inline_storage);

template <class T>
T make(std::uint64_t id);
template <>
fragile_key make<fragile_key>(std::uint64_t id) {
    return fragile_key(id);
}
template <>
fragile_value make<fragile_value>(std::uint64_t id) {
    return fragile_value(id);
}
template <>
std::string make<std::string>(std::uint64_t id) {
    return std::to_string(id) + "/padding that keeps the string out of small-string storage";
}
template <>
std::uint64_t make<std::uint64_t>(std::uint64_t id) {
    return id;
}
template <>
syncmap_test::small_key make<syncmap_test::small_key>(std::uint64_t id) {
    return syncmap_test::make<syncmap_test::small_key>(id);
}
template <>
syncmap_test::small_value make<syncmap_test::small_value>(std::uint64_t id) {
    return syncmap_test::make<syncmap_test::small_value>(id);
}

std::uint64_t ident(const fragile_key& k) { return k.id; }
std::uint64_t ident(const fragile_value& v) { return v.id; }
std::uint64_t ident(std::uint64_t v) { return v; }
std::uint64_t ident(const syncmap_test::small_key& k) { return syncmap_test::id_of(k); }
std::uint64_t ident(const syncmap_test::small_value& v) { return syncmap_test::id_of(v); }
std::uint64_t ident(const std::string& s) {
    std::uint64_t n = 0;
    std::from_chars(s.data(), s.data() + s.size(), n);
    return n;
}
template <class T>
std::optional<std::uint64_t> ident(const std::optional<T>& v) {
    if (!v) return std::nullopt;
    return ident(*v);
}
template <class T>
std::pair<std::uint64_t, bool> ident(const std::pair<T, bool>& p) {
    return {ident(p.first), p.second};
}
inline bool ident(bool b) { return b; }

using contents = std::map<std::uint64_t, std::uint64_t>;  // key id -> value id

template <class Map>
contents contents_of(const Map& m) {
    contents c;
    bool duplicate = false;
    m.range([&](const auto& k, const auto& v) { duplicate |= !c.emplace(ident(k), ident(v)).second; });
    EXPECT_FALSE(duplicate);
    return c;
}

// Waits until everything retired has been freed, and leaves this thread with an empty,
// reserved retire batch, so that counts taken after it are comparable.
void quiesce() {
    syncmap::detail::rcu_barrier();
    syncmap::detail::rcu_retire_reserve(1);
}

// Leaves this thread without a pending retire batch: the next writer must allocate one.
void drop_retire_batch() {
    syncmap::detail::rcu_retire_reserve(1);
    syncmap::detail::rcu_retire(new int(0));
    syncmap::detail::rcu_barrier();
}

constexpr std::uint64_t fixed_seed = 0x5eed5eed5eed5eedULL;

// The value id stored for key id k in the prepared states.
constexpr std::uint64_t value_for(std::uint64_t k) { return k * 10 + 1; }

template <class Map>
std::unique_ptr<Map> build(const std::vector<std::uint64_t>& keys) {
    using K = typename Map::key_type;
    using V = typename Map::mapped_type;
    auto m = std::make_unique<Map>(fixed_seed);
    for (std::uint64_t k : keys) m->store(make<K>(k), make<V>(value_for(k)));
    return m;
}

contents as_contents(const std::vector<std::uint64_t>& keys) {
    contents c;
    for (std::uint64_t k : keys) c.emplace(k, value_for(k));
    return c;
}

struct sweep_result {
    long fault_points = 0;  // how many injected faults the operation met before succeeding
};

// Sweeps every fault point of `op` on the map built from `keys`. `op(map)` runs the
// operation and returns its result; `after` is the expected contents on success, and
// `expected` the expected result (as ids).
//
// Each rcu_barrier() waits for a grace period, so
// the sweep uses two per fault point (after building the map, after the failed call) and
// checks for leaks across the whole sweep once, after the last map is destroyed. The start
// without a retire batch adds a fault point only where allocations are the only fault
// source (uint64 keys and values); the batch's allocation does not depend on K or V.
// `prepare(map)` runs on each freshly built map before the counts are taken (faults off).
template <class Map, class Prepare, class Op, class Expected>
sweep_result sweep_prepared(const char* what, const std::vector<std::uint64_t>& keys, Prepare prepare, Op op,
                            const contents& after, const Expected& expected) {
    constexpr bool only_allocations_fail =
        std::is_same_v<Map, u64_map> || std::is_same_v<Map, u64_nodes_map> || std::is_same_v<Map, small_map>;
    sweep_result result;
    const contents before = as_contents(keys);
    for (bool without_batch : {false, true}) {
        if (without_batch && !only_allocations_fail) break;
        quiesce();
        const long before_sweep = live_allocations.load();
        for (long n = 1;; ++n) {
            if (n > 100000) {
                ADD_FAILURE() << what << ": the fault sweep does not end";
                return result;
            }
            bool threw = false;
            auto m = build<Map>(keys);
            prepare(*m);
            quiesce();
            const long before_call = live_allocations.load();
            const std::size_t leaves_before = m->debug_structure().leaves;
            if (without_batch) drop_retire_batch();
            try {
                auto r = fault::armed(n, [&]() { return op(*m); });
                EXPECT_EQ(ident(r), expected) << what << ": wrong result";
                EXPECT_EQ(contents_of(*m), after) << what << ": wrong contents";
                EXPECT_EQ(m->size(), after.size()) << what;
            } catch (const fault::injected&) {
                threw = true;
            } catch (const std::bad_alloc&) {
                threw = true;
            }
            if (threw) {
                ++result.fault_points;
                // A fixed buffer: a heap-allocated message would skew the allocation count.
                char where[96];
                std::snprintf(where, sizeof where, " (fault point %ld: %s%s)", n, fault::name(fault::last_failed),
                              without_batch ? ", no retire batch" : "");
                EXPECT_EQ(contents_of(*m), before) << what << ": changed by a failed call" << where;
                EXPECT_EQ(m->size(), before.size()) << what << where;
                for (const auto& [k, v] : before) {
                    using K = typename Map::key_type;
                    EXPECT_EQ(ident(m->load(make<K>(k))), std::optional<std::uint64_t>(v))
                        << what << where << ", key " << k;
                }
                // A split that completed before the fault may stay (the contents are
                // unchanged; the map owns the new leaf, and the next insertion there would
                // split anyway): one more leaf, one more block. Anything else is a leak.
                const std::size_t leaves_after = m->debug_structure().leaves;
                EXPECT_GE(leaves_after, leaves_before) << what << where;
                quiesce();
                EXPECT_EQ(live_allocations.load(), before_call + static_cast<long>(leaves_after - leaves_before))
                    << what << ": allocations leaked by a failed call" << where;
                // Nothing stayed held: the same operation now completes.
                auto r = op(*m);
                EXPECT_EQ(ident(r), expected) << what << ": retry after" << where;
                EXPECT_EQ(contents_of(*m), after) << what << ": retry after" << where;
            }
            m.reset();
            if (::testing::Test::HasFailure()) return result;
            if (!threw) break;
        }
        quiesce();
        EXPECT_EQ(live_allocations.load(), before_sweep) << what << ": leak across the sweep (maps destroyed)";
    }
    return result;
}

template <class Map, class Op, class Expected>
sweep_result sweep(const char* what, const std::vector<std::uint64_t>& keys, Op op, const contents& after,
                   const Expected& expected) {
    return sweep_prepared<Map>(what, keys, [](Map&) {}, op, after, expected);
}

// Key ids 0, 1, 2, ... inserted in order into a fixed-seed map: finds how many keys to
// insert before the next insertion splits a leaf without growing the directory, and before
// the next one doubles the directory. Both are needed as "before" states.
template <class Map>
struct growth_points {
    std::size_t split_only = 0;
    std::size_t directory_growth = 0;
};

template <class Map>
growth_points<Map> find_growth_points() {
    using K = typename Map::key_type;
    using V = typename Map::mapped_type;
    growth_points<Map> g;
    Map m(fixed_seed);
    auto prev = m.debug_structure();
    for (std::uint64_t k = 0; k < 100000 && (g.split_only == 0 || g.directory_growth == 0); ++k) {
        m.store(make<K>(k), make<V>(value_for(k)));
        const auto now = m.debug_structure();
        if (now.global_depth > prev.global_depth && g.directory_growth == 0) g.directory_growth = k;
        if (now.global_depth == prev.global_depth && now.leaves > prev.leaves && g.split_only == 0)
            g.split_only = k;
        prev = now;
    }
    return g;
}

std::vector<std::uint64_t> first_keys(std::size_t n) {
    std::vector<std::uint64_t> keys(n);
    for (std::size_t i = 0; i < n; ++i) keys[i] = i;
    return keys;
}

template <class Map>
class SyncMapExceptionSafety : public ::testing::Test {};

using map_types = ::testing::Types<fragile_map, string_map, u64_map, u64_nodes_map, small_map>;

struct map_names {
    template <class Map>
    static std::string GetName(int) {
        if constexpr (std::is_same_v<Map, fragile_map>) return "throwing_key_and_value";
        if constexpr (std::is_same_v<Map, string_map>) return "string_copies_allocate";
        if constexpr (std::is_same_v<Map, u64_nodes_map>) return "u64_nodes_allocations_only";
        if constexpr (std::is_same_v<Map, small_map>) return "small_struct_inline_allocations_only";
        return "u64_inline_allocations_only";
    }
};

TYPED_TEST_SUITE(SyncMapExceptionSafety, map_types, map_names);

#define SYNCMAP_EXCEPTION_ALIASES           \
    using Map = TypeParam;                  \
    using K = typename Map::key_type;       \
    using V = typename Map::mapped_type;    \
    [[maybe_unused]] auto key = [](std::uint64_t n) { return make<K>(n); }; \
    [[maybe_unused]] auto val = [](std::uint64_t n) { return make<V>(n); }

TYPED_TEST(SyncMapExceptionSafety, InsertIntoLeafWithRoom) {
    SYNCMAP_EXCEPTION_ALIASES;
    const auto keys = first_keys(3);
    contents after = as_contents(keys);
    after[100] = 7;
    const auto r = sweep<Map>("store(new key)", keys, [&](Map& m) {
        m.store(key(100), val(7));
        return true;
    }, after, true);
    if constexpr (Map::inline_storage) {
        // An inline entry is written into a free slot of the leaf: with no snapshot alive
        // and room in the leaf, an insertion meets no allocation (nor, for these types, any
        // other fault point), with or without a retire batch.
        EXPECT_EQ(r.fault_points, 0);
    } else {
        // An insertion allocates at least a node, so a failure point must exist.
        EXPECT_GT(r.fault_points, 0);
    }
    sweep<Map>("store(K&&, V&&) of a new key", keys, [&](Map& m) {
        K k = key(100);
        V v = val(7);
        // The sweep arms faults before this lambda: building k and v is part of it, which is
        // fine, since a throw there leaves the map untouched as well.
        m.store(std::move(k), std::move(v));
        return true;
    }, after, true);
    sweep<Map>("load_or_store(new key)", keys, [&](Map& m) { return m.load_or_store(key(100), val(7)); },
               after, std::make_pair(std::uint64_t{7}, false));
    sweep<Map>("exchange(new key)", keys, [&](Map& m) { return m.exchange(key(100), val(7)); }, after,
               std::optional<std::uint64_t>{});
}

// A write to a leaf that a live snapshot reads live first copies the leaf (the preserved
// copy): an allocation, so a fault point for every storage, and a failure there must leave
// both the map and the snapshot's view unchanged. The snapshot is taken inside the swept
// call (a fault in snapshot() itself changes nothing either) and destroyed before it returns.
// The map's snapshot registry keeps its capacity once allocated: one snapshot taken and
// dropped before the counts makes later ones allocate nothing that stays.
TYPED_TEST(SyncMapExceptionSafety, WriteThatCopiesALeafForASnapshot) {
    SYNCMAP_EXCEPTION_ALIASES;
    const auto keys = first_keys(3);
    auto warm_registry = [](Map& m) { (void)m.snapshot(); };
    contents inserted = as_contents(keys);
    inserted[100] = 7;
    const auto r = sweep_prepared<Map>("store(new key) with a snapshot alive", keys, warm_registry, [&](Map& m) {
        const auto s = m.snapshot();
        m.store(key(100), val(7));
        return true;
    }, inserted, true);
    // At least the copy of the leaf, whatever the storage.
    EXPECT_GT(r.fault_points, 0);
    contents overwritten = as_contents(keys);
    overwritten[1] = 7;
    sweep_prepared<Map>("store(existing key) with a snapshot alive", keys, warm_registry, [&](Map& m) {
        const auto s = m.snapshot();
        m.store(key(1), val(7));
        return true;
    }, overwritten, true);
    contents erased = as_contents(keys);
    erased.erase(1);
    sweep_prepared<Map>("erase with a snapshot alive", keys, warm_registry, [&](Map& m) {
        const auto s = m.snapshot();
        return m.erase(key(1));
    }, erased, true);
}

TYPED_TEST(SyncMapExceptionSafety, InsertThatSplitsALeaf) {
    SYNCMAP_EXCEPTION_ALIASES;
    const auto g = find_growth_points<Map>();
    ASSERT_GT(g.split_only, 0u) << "no insertion split a leaf without doubling the directory";
    const auto keys = first_keys(g.split_only);
    contents after = as_contents(keys);
    after[g.split_only] = value_for(g.split_only);
    const std::uint64_t k = g.split_only;
    const auto r = sweep<Map>("store(new key) splitting a leaf", keys, [&](Map& m) {
        m.store(key(k), val(value_for(k)));
        return true;
    }, after, true);
    EXPECT_GT(r.fault_points, 1);
    sweep<Map>("load_or_store(new key) splitting a leaf", keys,
               [&](Map& m) { return m.load_or_store(key(k), val(value_for(k))); }, after,
               std::make_pair(value_for(k), false));
    sweep<Map>("exchange(new key) splitting a leaf", keys,
               [&](Map& m) { return m.exchange(key(k), val(value_for(k))); }, after,
               std::optional<std::uint64_t>{});
}

TYPED_TEST(SyncMapExceptionSafety, InsertThatDoublesTheDirectory) {
    SYNCMAP_EXCEPTION_ALIASES;
    const auto g = find_growth_points<Map>();
    ASSERT_GT(g.directory_growth, 0u) << "no insertion doubled the directory";
    const auto keys = first_keys(g.directory_growth);
    contents after = as_contents(keys);
    const std::uint64_t k = g.directory_growth;
    after[k] = value_for(k);
    const auto r = sweep<Map>("store(new key) doubling the directory", keys, [&](Map& m) {
        m.store(key(k), val(value_for(k)));
        return true;
    }, after, true);
    EXPECT_GT(r.fault_points, 1);
    sweep<Map>("load_or_store(new key) doubling the directory", keys,
               [&](Map& m) { return m.load_or_store(key(k), val(value_for(k))); }, after,
               std::make_pair(value_for(k), false));
}

TYPED_TEST(SyncMapExceptionSafety, OverwriteAndExchange) {
    SYNCMAP_EXCEPTION_ALIASES;
    const auto keys = first_keys(40);
    contents after = as_contents(keys);
    after[5] = 777;
    sweep<Map>("store(existing key)", keys, [&](Map& m) {
        m.store(key(5), val(777));
        return true;
    }, after, true);
    sweep<Map>("exchange(existing key)", keys, [&](Map& m) { return m.exchange(key(5), val(777)); }, after,
               std::optional<std::uint64_t>(value_for(5)));
    sweep<Map>("compare_and_swap (match)", keys,
               [&](Map& m) { return m.compare_and_swap(key(5), val(value_for(5)), val(777)); }, after, true);
    sweep<Map>("compare_and_swap (mismatch)", keys,
               [&](Map& m) { return m.compare_and_swap(key(5), val(1), val(777)); }, as_contents(keys), false);
    sweep<Map>("compare_and_swap (missing key)", keys,
               [&](Map& m) { return m.compare_and_swap(key(500), val(1), val(777)); }, as_contents(keys), false);
    sweep<Map>("load_or_store (present)", keys, [&](Map& m) { return m.load_or_store(key(5), val(777)); },
               as_contents(keys), std::make_pair(value_for(5), true));
}

TYPED_TEST(SyncMapExceptionSafety, Removal) {
    SYNCMAP_EXCEPTION_ALIASES;
    const auto keys = first_keys(40);
    contents after = as_contents(keys);
    after.erase(5);
    sweep<Map>("erase(present)", keys, [&](Map& m) { return m.erase(key(5)); }, after, true);
    sweep<Map>("erase(absent)", keys, [&](Map& m) { return m.erase(key(500)); }, as_contents(keys), false);
    sweep<Map>("load_and_delete(present)", keys, [&](Map& m) { return m.load_and_delete(key(5)); }, after,
               std::optional<std::uint64_t>(value_for(5)));
    sweep<Map>("load_and_delete(absent)", keys, [&](Map& m) { return m.load_and_delete(key(500)); },
               as_contents(keys), std::optional<std::uint64_t>{});
    sweep<Map>("compare_and_delete (match)", keys,
               [&](Map& m) { return m.compare_and_delete(key(5), val(value_for(5))); }, after, true);
    sweep<Map>("compare_and_delete (mismatch)", keys,
               [&](Map& m) { return m.compare_and_delete(key(5), val(3)); }, as_contents(keys), false);
}

TYPED_TEST(SyncMapExceptionSafety, Clear) {
    SYNCMAP_EXCEPTION_ALIASES;
    const auto g = find_growth_points<Map>();
    // Several leaves and a directory of more than one entry.
    const auto keys = first_keys(g.directory_growth + g.split_only + 10);
    sweep<Map>("clear", keys, [&](Map& m) {
        m.clear();
        return true;
    }, contents{}, true);
}

// Reads never change the map; a throw in them (hash, equality, copying the value out) must
// not leak or leave anything held either.
TYPED_TEST(SyncMapExceptionSafety, Reads) {
    SYNCMAP_EXCEPTION_ALIASES;
    const auto keys = first_keys(40);
    const contents same = as_contents(keys);
    sweep<Map>("load(present)", keys, [&](Map& m) { return m.load(key(5)); }, same,
               std::optional<std::uint64_t>(value_for(5)));
    sweep<Map>("load(absent)", keys, [&](Map& m) { return m.load(key(500)); }, same,
               std::optional<std::uint64_t>{});
    sweep<Map>("contains", keys, [&](Map& m) { return m.contains(key(5)); }, same, true);
    sweep<Map>("visit", keys, [&](Map& m) {
        std::uint64_t seen = 0;
        m.visit(key(5), [&](const V& v) { seen = ident(v); });
        return seen == value_for(5);
    }, same, true);
}

// Whole-map lifetime: destroying a large map, clearing it repeatedly and overwriting keys
// many times free everything once reclamation has run.
TYPED_TEST(SyncMapExceptionSafety, NothingLeaksAcrossGrowthClearAndOverwrite) {
    SYNCMAP_EXCEPTION_ALIASES;
    quiesce();
    const long start = live_allocations.load();
    {
        Map m(fixed_seed);
        for (std::uint64_t k = 0; k < 20000; ++k) m.store(key(k), val(k));
        for (std::uint64_t k = 0; k < 20000; k += 2) m.erase(key(k));
    }
    quiesce();
    EXPECT_EQ(live_allocations.load(), start) << "destroying a grown map";

    Map m(fixed_seed);
    long after_first_cycle = 0;
    for (int cycle = 0; cycle < 4; ++cycle) {
        for (std::uint64_t k = 0; k < 5000; ++k) m.store(key(k), val(k));
        m.clear();
        quiesce();
        if (cycle == 0) after_first_cycle = live_allocations.load();
        EXPECT_EQ(live_allocations.load(), after_first_cycle) << "clear cycle " << cycle;
    }
    m.store(key(1), val(1));
    quiesce();
    const long one_entry = live_allocations.load();
    for (std::uint64_t i = 0; i < 10000; ++i) m.store(key(1), val(i));
    EXPECT_TRUE(m.compare_and_swap(key(1), val(9999), val(1)));
    quiesce();
    EXPECT_EQ(live_allocations.load(), one_entry) << "overwriting one key 10000 times";
}

// The probe: the fault injection itself reaches the map's allocations (so the sweeps
// above are not vacuous).
TEST(SyncMapExceptionSafetyProbe, AllocationFailureReachesTheMap) {
    u64_map m(fixed_seed);
    bool threw = false;
    try {
        fault::armed(1, [&] {
            for (std::uint64_t k = 0; k < 1000; ++k) m.store(k, k);
            return true;
        });
    } catch (const std::bad_alloc&) {
        threw = true;
    }
    EXPECT_TRUE(threw);
    EXPECT_LT(m.size(), 1000u);
}

}  // namespace
