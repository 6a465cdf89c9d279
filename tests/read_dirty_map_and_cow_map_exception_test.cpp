// Clause L4 for read_dirty_map and cow_map: if hashing, comparing, copying or moving K or
// V, or an allocation, throws, the map is unchanged and nothing leaks.
//
// Method: every place where a user-supplied operation or an allocation can fail is a
// numbered fault point: the key's hash and equality, copies, moves and copy assignments of
// keys and values,
// the value's operator==, and this binary's replacement of the global operator new. For
// each mutating operation, from a map built the same way each time, the sweep makes the
// Nth fault point throw, for N = 0, 1, 2, ... until the operation completes without
// meeting it. After every injected throw:
//   - the contents (range, size, and a load of every key) equal the state before;
//   - the same operation, retried with faults off, succeeds with the expected result and
//     effect (so no lock or read-side section was left held).
// After each sweep, with everything destroyed and reclaimed (rcu_barrier), the numbers
// of live keys and values are back where they were: nothing leaked, nothing was freed
// twice (AddressSanitizer checks the latter too).
// read_dirty_map is swept from three states: every key only in dirty; every key promoted
// to the read view; and promoted with deleted, expunged and dirty-only keys. cow_map is
// swept at two sizes: one where an insert edits a clone, one where it must rebuild.
//
// The replaced operator new lives in this binary only. It fails only on the thread that
// armed the fault (never the RCU reclaimer thread), and allocates through malloc, so
// AddressSanitizer still sees every block.
#include <syncmap/cow_map.hpp>
#include <syncmap/read_dirty_map.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstddef>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fault {

struct injected : std::exception {
    const char* what() const noexcept override { return "injected fault"; }
};

// Fault points left before the one that throws on this thread; negative: disarmed.
inline thread_local long countdown = -1;

inline bool reached() noexcept {
    if (countdown < 0) return false;
    return countdown-- == 0;
}

inline void point() {
    if (reached()) throw injected{};
}

inline void arm(long n) noexcept { countdown = n; }

// Disarms; true if the armed fault point was never reached.
inline bool disarm() noexcept {
    const bool unreached = countdown >= 0;
    countdown = -1;
    return unreached;
}

}  // namespace fault

namespace fault {

// The replaced operator new and delete, out of line (so that the compiler does not pair
// an inlined malloc with an inlined free and warn about mismatched allocation functions).
[[gnu::noinline]] void* allocate(std::size_t n, std::size_t align) {
    if (reached()) throw std::bad_alloc();
    void* p = align <= alignof(std::max_align_t) ? std::malloc(n != 0 ? n : 1)
                                                 : std::aligned_alloc(align, (n + align - 1) / align * align);
    if (p == nullptr) throw std::bad_alloc();
    return p;
}

[[gnu::noinline]] void release(void* p) noexcept { std::free(p); }

}  // namespace fault

void* operator new(std::size_t n) { return fault::allocate(n, 0); }
void* operator new[](std::size_t n) { return fault::allocate(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) { return fault::allocate(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return fault::allocate(n, static_cast<std::size_t>(a)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    try {
        return fault::allocate(n, 0);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return ::operator new(n, t); }
void operator delete(void* p) noexcept { fault::release(p); }
void operator delete[](void* p) noexcept { fault::release(p); }
void operator delete(void* p, std::size_t) noexcept { fault::release(p); }
void operator delete[](void* p, std::size_t) noexcept { fault::release(p); }
void operator delete(void* p, std::align_val_t) noexcept { fault::release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { fault::release(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { fault::release(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { fault::release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { fault::release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { fault::release(p); }

namespace {

using u64 = std::uint64_t;

// A key or value whose copies and moves are fault points, counting live instances.
template <class Tag>
struct fragile {
    static inline std::atomic<long> live{0};
    explicit fragile(u64 x) : v(x) { ++live; }
    fragile(const fragile& o) : v(o.v) {
        fault::point();
        ++live;
    }
    fragile(fragile&& o) : v(o.v) {
        fault::point();
        ++live;
    }
    fragile& operator=(const fragile& o) {
        fault::point();
        v = o.v;
        return *this;
    }
    ~fragile() { --live; }
    u64 v;
};

struct key_tag {};
struct value_tag {};
using tkey = fragile<key_tag>;

struct tval : fragile<value_tag> {
    using fragile::fragile;
    friend bool operator==(const tval& a, const tval& b) {
        fault::point();
        return a.v == b.v;
    }
};

struct thash {
    u64 operator()(const tkey& k, u64 seed) const {
        fault::point();
        return syncmap::detail::mix64(k.v ^ seed);
    }
};
struct tequal {
    bool operator()(const tkey& a, const tkey& b) const {
        fault::point();
        return a.v == b.v;
    }
};

using rd_map = syncmap::read_dirty_map<tkey, tval, thash, tequal>;
using cow = syncmap::cow_map<tkey, tval, thash, tequal>;
using model = std::map<u64, u64>;

// What an operation returned, with the keys and values reduced to numbers.
struct outcome {
    bool flag = false;
    std::optional<u64> value;
    bool operator==(const outcome&) const = default;
};

outcome of(bool b) { return {b, std::nullopt}; }
outcome of(const std::optional<tval>& v) { return {false, v ? std::optional<u64>(v->v) : std::nullopt}; }
outcome of(const std::pair<tval, bool>& p) { return {p.second, p.first.v}; }

template <class Map>
model contents(const Map& m) {
    model out;
    m.range([&](const tkey& k, const tval& v) { EXPECT_TRUE(out.emplace(k.v, v.v).second) << "key " << k.v << " twice"; });
    EXPECT_EQ(m.size(), out.size());
    for (const auto& [k, v] : out) {
        const std::optional<tval> got = m.load(tkey(k));
        EXPECT_TRUE(got.has_value() && got->v == v) << "key " << k;
    }
    return out;
}

// One operation: what it does to the map, and what it should return and leave, given
// the contents before.
template <class Map>
struct operation {
    std::string name;
    std::function<outcome(Map&)> run;
    std::function<outcome(model&)> apply;  // the same on the model, returning the expected outcome
};

template <class Map>
std::vector<operation<Map>> point_operations(u64 k) {
    const std::string at = " on key " + std::to_string(k);
    std::vector<operation<Map>> ops;
    ops.push_back({"store" + at, [k](Map& m) { m.store(tkey(k), tval(7)); return outcome{}; },
                   [k](model& m) { m[k] = 7; return outcome{}; }});
    ops.push_back({"store(const&)" + at,
                   [k](Map& m) {
                       const tkey key(k);
                       const tval value(8);
                       m.store(key, value);
                       return outcome{};
                   },
                   [k](model& m) { m[k] = 8; return outcome{}; }});
    ops.push_back({"exchange" + at, [k](Map& m) { return of(m.exchange(tkey(k), tval(9))); },
                   [k](model& m) {
                       std::optional<u64> previous;
                       if (m.count(k)) previous = m[k];
                       m[k] = 9;
                       return outcome{false, previous};
                   }});
    ops.push_back({"load_or_store" + at, [k](Map& m) { return of(m.load_or_store(tkey(k), tval(10))); },
                   [k](model& m) {
                       const bool loaded = m.count(k) == 1;
                       if (!loaded) m[k] = 10;
                       return outcome{loaded, m[k]};
                   }});
    ops.push_back({"load_and_delete" + at, [k](Map& m) { return of(m.load_and_delete(tkey(k))); },
                   [k](model& m) {
                       std::optional<u64> previous;
                       if (m.count(k)) previous = m[k];
                       m.erase(k);
                       return outcome{false, previous};
                   }});
    ops.push_back({"erase" + at, [k](Map& m) { return of(m.erase(tkey(k))); },
                   [k](model& m) { return of(m.erase(k) == 1); }});
    ops.push_back({"load" + at, [k](Map& m) { return of(m.load(tkey(k))); },
                   [k](model& m) { return outcome{false, m.count(k) ? std::optional<u64>(m[k]) : std::nullopt}; }});
    return ops;
}

// compare_and_swap and compare_and_delete with `expected` equal to the value before the
// call (so that they succeed when the key is present).
template <class Map>
std::vector<operation<Map>> compare_operations(u64 k, const model& before) {
    const std::string at = " on key " + std::to_string(k);
    const u64 expected = before.count(k) ? before.at(k) : 0;
    std::vector<operation<Map>> ops;
    ops.push_back({"compare_and_swap" + at,
                   [k, expected](Map& m) { return of(m.compare_and_swap(tkey(k), tval(expected), tval(11))); },
                   [k](model& m) {
                       const bool present = m.count(k) == 1;
                       if (present) m[k] = 11;
                       return of(present);
                   }});
    ops.push_back({"compare_and_delete" + at,
                   [k, expected](Map& m) { return of(m.compare_and_delete(tkey(k), tval(expected))); },
                   [k](model& m) { return of(m.erase(k) == 1); }});
    return ops;
}

template <class Map>
operation<Map> clear_operation() {
    return {"clear", [](Map& m) { m.clear(); return outcome{}; }, [](model& m) { m.clear(); return outcome{}; }};
}

// Runs the sweep of one operation from the state `setup` builds. Returns the number of
// faults injected.
template <class Map, class Setup>
long sweep(const char* state, Setup&& setup, const operation<Map>& op) {
    long injected = 0;
    for (long n = 0;; ++n) {
        EXPECT_LT(n, 5000) << op.name << " from " << state << ": the sweep does not end";
        if (n >= 5000) return injected;
        Map m(42);
        const model before = setup(m);
        model after = before;
        const outcome expected = op.apply(after);
        // Hand this thread's retire batch to the reclaimer, so that the operation's reservation
        // sometimes has to allocate a new one (an allocation fault point of its own).
        syncmap::detail::rcu_this_thread().flush();
        fault::arm(n);
        std::optional<outcome> got;
        bool threw = false;
        try {
            got = op.run(m);
        } catch (const fault::injected&) {
            threw = true;
        } catch (const std::bad_alloc&) {
            threw = true;
        }
        const bool unreached = fault::disarm();
        if (threw) {
            ++injected;
            EXPECT_EQ(contents(m), before) << op.name << " from " << state << ", fault " << n << " threw and changed the map";
            EXPECT_EQ(op.run(m), expected) << op.name << " from " << state << ", retried after fault " << n;
            EXPECT_EQ(contents(m), after) << op.name << " from " << state << ", retried after fault " << n;
            continue;
        }
        EXPECT_TRUE(unreached) << op.name << " from " << state << ": fault " << n << " was reached but nothing threw";
        EXPECT_EQ(*got, expected) << op.name << " from " << state;
        EXPECT_EQ(contents(m), after) << op.name << " from " << state;
        return injected;
    }
}

template <class Map, class Setup>
void sweep_all(const char* state, Setup&& setup, const std::vector<u64>& keys, bool with_batch = false) {
    syncmap::detail::rcu_barrier();
    const long keys_before = tkey::live;
    const long values_before = tval::live;
    long injected = 0;
    for (u64 k : keys) {
        Map probe(42);
        const model before = setup(probe);
        std::vector<operation<Map>> ops = point_operations<Map>(k);
        for (auto& op : compare_operations<Map>(k, before)) ops.push_back(std::move(op));
        for (const auto& op : ops) injected += sweep(state, setup, op);
    }
    injected += sweep(state, setup, clear_operation<Map>());
    if constexpr (std::is_same_v<Map, cow>) {
        if (with_batch) {
            const operation<Map> batch{
                "update",
                [&](Map& m) {
                    m.update([&](auto& b) {
                        for (u64 k : keys) b.store(tkey(k), tval(k + 5));
                        b.erase(tkey(keys.front()));
                        b.store(tkey(99999), tval(1));
                    });
                    return outcome{};
                },
                [&](model& m) {
                    for (u64 k : keys) m[k] = k + 5;
                    m.erase(keys.front());
                    m[99999] = 1;
                    return outcome{};
                }};
            injected += sweep(state, setup, batch);
        }
    }
    EXPECT_GT(injected, 50) << state;
    syncmap::detail::rcu_barrier();
    EXPECT_EQ(tkey::live, keys_before) << state << ": keys leaked or freed twice";
    EXPECT_EQ(tval::live, values_before) << state << ": values leaked or freed twice";
}

constexpr u64 n = 40;

// read_dirty_map, every key only in dirty (the read view is empty and amended).
model rd_dirty_only(rd_map& m) {
    model out;
    for (u64 k = 0; k < n; ++k) {
        m.store(tkey(k), tval(k + 100));
        out[k] = k + 100;
    }
    return out;
}

// read_dirty_map, every key promoted to the read view; no dirty map.
model rd_promoted(rd_map& m) {
    model out = rd_dirty_only(m);
    for (u64 k = 0; k < n; ++k) m.load(tkey(k));
    return out;
}

// read_dirty_map, promoted, then: keys 0-4 deleted and expunged by the dirty copy that
// new keys n..n+4 caused, key 5 deleted afterwards (nil in both), key n+5 dirty-only.
model rd_mixed(rd_map& m) {
    model out = rd_promoted(m);
    for (u64 k = 0; k < 5; ++k) {
        m.erase(tkey(k));
        out.erase(k);
    }
    for (u64 k = n; k < n + 6; ++k) {
        m.store(tkey(k), tval(k + 100));
        out[k] = k + 100;
    }
    m.erase(tkey(5));
    out.erase(5);
    return out;
}

TEST(ExceptionSafety, ReadDirtyMapKeysOnlyInDirty) {
    sweep_all<rd_map>("dirty only", rd_dirty_only, {3, n + 50});
}

TEST(ExceptionSafety, ReadDirtyMapPromoted) {
    sweep_all<rd_map>("promoted", rd_promoted, {3, n + 50});
}

TEST(ExceptionSafety, ReadDirtyMapExpungedAndDirtyOnlyKeys) {
    rd_map probe(42);
    rd_mixed(probe);
    ASSERT_EQ(probe.debug_key(tkey(2)).in_read, rd_map::entry_state::expunged);
    ASSERT_EQ(probe.debug_key(tkey(5)).in_dirty, rd_map::entry_state::deleted);
    ASSERT_EQ(probe.debug_key(tkey(n + 5)).in_read, rd_map::entry_state::absent);
    // A read-view key, an expunged key, a deleted key, a dirty-only key, a new key.
    sweep_all<rd_map>("mixed", rd_mixed, {10, 2, 5, n + 5, n + 50});
}

// cow_map with 6 keys: a table at its maximum load, so an insert rebuilds it.
model cow_full(cow& m) {
    model out;
    for (u64 k = 0; k < 6; ++k) {
        m.store(tkey(k), tval(k + 100));
        out[k] = k + 100;
    }
    return out;
}

// cow_map with n keys: inserts edit a clone in place.
model cow_roomy(cow& m) {
    model out;
    for (u64 k = 0; k < n; ++k) {
        m.store(tkey(k), tval(k + 100));
        out[k] = k + 100;
    }
    return out;
}

TEST(ExceptionSafety, CowMapInsertRebuilds) {
    cow probe(42);
    cow_full(probe);
    ASSERT_EQ(probe.debug_state().entries, 6u);
    ASSERT_EQ(probe.debug_state().home_bits, 0u);
    sweep_all<cow>("full table", cow_full, {3, 500}, true);
}

TEST(ExceptionSafety, CowMapInsertEditsAClone) {
    sweep_all<cow>("roomy table", cow_roomy, {3, 500}, true);
}

}  // namespace
