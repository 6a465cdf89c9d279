// bench/peers.hpp - the maps sync_map is measured against, behind one small interface,
// and the key sets every benchmark shares.
//
// Every adapter offers, for its key_type (uint64_t, or std::string for the string-key
// rows) and uint64_t values:
//   bool load(key, value&) const   copies the value out; false if absent
//   void store(key, value)         inserts or replaces
//   bool erase(key)                true if the key was there
//   uint64_t range_sum() const     visits every entry once, returns a checksum (uint64 keys)
//   size_t size() const
// Each adapter uses its map the way that map's documentation recommends for this job, with
// the map's default hash and allocator unless a comment says otherwise.
//
// This header includes no syncmap header and no liburcu header: the cds_lfht adapter is
// implemented in sync_map_lfht.cpp, the one translation unit that includes liburcu's own
// headers (they define macros such as rcu_barrier and call_rcu that would rewrite
// syncmap::detail names).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>
#include <libcuckoo/cuckoohash_map.hh>
#include <oneapi/tbb/concurrent_hash_map.h>

struct cds_lfht;  // liburcu's table, opaque here

namespace syncmap_bench {

__extension__ typedef unsigned __int128 uint128;  // __extension__: quiet under -Wpedantic

// ---- Key sets ------------------------------------------------------------------------

// The preloaded entry count of every benchmark ("1M uint64 keys").
inline constexpr std::size_t key_count = 1'000'000;
// Length of the precomputed lookup stream; a power of two so positions wrap with a mask.
inline constexpr std::size_t stream_size = std::size_t{1} << 20;
inline constexpr std::size_t stream_mask = stream_size - 1;

// splitmix64: a bijective step, so key_count consecutive outputs are distinct keys.
constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// The value every preloaded key maps to.
constexpr std::uint64_t value_of(std::uint64_t key) noexcept { return key ^ 0x5bd1e9955bd1e995ULL; }

struct key_sets {
    std::vector<std::uint64_t> keys;    // key_count distinct random keys, preloaded
    std::vector<std::uint64_t> stream;  // stream_size keys drawn uniformly from `keys`
    std::vector<std::uint64_t> misses;  // stream_size random keys, none of them in `keys`
};

// Built once, from fixed seeds, so every map and every run sees the same keys in the same
// order; nothing random is drawn while a benchmark is timed.
inline const key_sets& shared_keys() {
    static const key_sets sets = [] {
        key_sets s;
        s.keys.reserve(key_count);
        std::uint64_t key_state = 0x243f6a8885a308d3ULL;
        for (std::size_t i = 0; i < key_count; ++i) s.keys.push_back(splitmix64(key_state));
        s.stream.reserve(stream_size);
        std::uint64_t pick_state = 0x13198a2e03707344ULL;
        for (std::size_t i = 0; i < stream_size; ++i) {
            // Multiply-shift maps a uniform 64-bit draw onto [0, key_count) without modulo bias
            // worth mentioning (key_count / 2^64).
            const auto r = static_cast<uint128>(splitmix64(pick_state)) * key_count;
            s.stream.push_back(s.keys[static_cast<std::size_t>(r >> 64)]);
        }
        // Absent keys: random draws from another seed, each checked against the key set (a
        // collision is about 2^-24 likely per run of 2^20; it would just be drawn again).
        std::vector<std::uint64_t> sorted = s.keys;
        std::sort(sorted.begin(), sorted.end());
        s.misses.reserve(stream_size);
        std::uint64_t miss_state = 0xa4093822299f31d0ULL;
        while (s.misses.size() < stream_size) {
            const std::uint64_t k = splitmix64(miss_state);
            if (!std::binary_search(sorted.begin(), sorted.end(), k)) s.misses.push_back(k);
        }
        return s;
    }();
    return sets;
}

// The string key of a uint64 key: "key:" and 17 decimal digits, 21 characters, past
// libstdc++'s 15-character small-string buffer, so every key owns a heap block (as in
// go_map_bench.cpp).
inline std::string string_key_of(std::uint64_t k) {
    return "key:" + std::to_string(10'000'000'000'000'000ULL + k % 90'000'000'000'000'000ULL);
}

// The same sets for std::string keys: string_keys().keys[i] is the string of
// shared_keys().keys[i] and maps to the same value; the stream is the uint64 stream's keys
// as strings, each its own std::string allocated in stream order.
struct string_key_sets {
    std::vector<std::string> keys;
    std::vector<std::string> stream;
};

inline const string_key_sets& string_keys() {
    static const string_key_sets sets = [] {
        string_key_sets s;
        const key_sets& u = shared_keys();
        s.keys.reserve(key_count);
        for (std::uint64_t k : u.keys) s.keys.push_back(string_key_of(k));
        // The reduction modulo 9 * 10^16 could in principle merge two keys; it does not for
        // these seeds, and this check keeps it that way.
        if (std::unordered_set<std::string>(s.keys.begin(), s.keys.end()).size() != key_count) {
            std::fprintf(stderr, "string keys are not distinct\n");
            std::abort();
        }
        s.stream.reserve(stream_size);
        for (std::uint64_t k : u.stream) s.stream.push_back(string_key_of(k));
        return s;
    }();
    return sets;
}

// The preloaded keys, the stream of present keys and the stream of absent keys, by key type.
template <class Key>
const std::vector<Key>& preload_keys();
template <class Key>
const std::vector<Key>& hit_stream();
template <class Key>
const std::vector<Key>& miss_stream();

template <>
inline const std::vector<std::uint64_t>& preload_keys<std::uint64_t>() { return shared_keys().keys; }
template <>
inline const std::vector<std::uint64_t>& hit_stream<std::uint64_t>() { return shared_keys().stream; }
template <>
inline const std::vector<std::uint64_t>& miss_stream<std::uint64_t>() { return shared_keys().misses; }
template <>
inline const std::vector<std::string>& preload_keys<std::string>() { return string_keys().keys; }
template <>
inline const std::vector<std::string>& hit_stream<std::string>() { return string_keys().stream; }

// Stores every preloaded key, in key order, from the calling thread; the i-th key of either
// key type maps to value_of(shared_keys().keys[i]).
template <class Map>
void preload(Map& map) {
    const std::vector<typename Map::key_type>& keys = preload_keys<typename Map::key_type>();
    const std::vector<std::uint64_t>& numbers = shared_keys().keys;
    for (std::size_t i = 0; i < key_count; ++i) map.store(keys[i], value_of(numbers[i]));
}

// ---- Adapters ------------------------------------------------------------------------

// boost::unordered_flat_map: open addressing with SIMD metadata, entries inline, no
// synchronisation. The single-threaded limit; concurrent use is limited to read-only runs
// (const lookups with no writer are safe).
template <class Key>
class basic_boost_flat {
public:
    using key_type = Key;
    static constexpr const char* name = "boost_flat";
    static constexpr bool concurrent_writes = false;

    bool load(const Key& key, std::uint64_t& value) const {
        const auto it = map_.find(key);
        if (it == map_.end()) return false;
        value = it->second;
        return true;
    }
    void store(const Key& key, std::uint64_t value) { map_.insert_or_assign(key, value); }
    bool erase(const Key& key) { return map_.erase(key) != 0; }
    std::uint64_t range_sum() const {
        std::uint64_t sum = 0;
        for (const auto& [k, v] : map_) sum += k ^ v;
        return sum;
    }
    std::size_t size() const { return map_.size(); }

private:
    boost::unordered_flat_map<Key, std::uint64_t> map_;
};
using boost_flat = basic_boost_flat<std::uint64_t>;

// libcuckoo::cuckoohash_map: bucketised cuckoo hashing with striped spinlocks; lookups
// take the two candidate buckets' locks.
template <class Key>
class basic_cuckoo_map {
public:
    using key_type = Key;
    static constexpr const char* name = "libcuckoo";
    static constexpr bool concurrent_writes = true;

    bool load(const Key& key, std::uint64_t& value) const { return map_.find(key, value); }
    void store(const Key& key, std::uint64_t value) { map_.insert_or_assign(key, value); }
    bool erase(const Key& key) { return map_.erase(key); }
    // Traversal takes every lock (libcuckoo's locked_table).
    std::uint64_t range_sum() const {
        std::uint64_t sum = 0;
        const auto locked = map_.lock_table();
        for (const auto& [k, v] : locked) sum += k ^ v;
        return sum;
    }
    std::size_t size() const { return map_.size(); }

private:
    // mutable: lock_table() is non-const, although the traversal above only reads.
    mutable libcuckoo::cuckoohash_map<Key, std::uint64_t> map_;
};
using cuckoo_map = basic_cuckoo_map<std::uint64_t>;

// tbb::concurrent_hash_map: chained buckets with a reader-writer lock per bucket and per
// element; accessors hold the element's lock. The allocator is a parameter so the memory
// measurement can use std::allocator (TBB's default allocator goes to tbbmalloc when
// present, which the C library's allocator statistics cannot see).
template <class Key, class Allocator = tbb::tbb_allocator<std::pair<const Key, std::uint64_t>>>
class basic_tbb_map {
    using map_type = tbb::concurrent_hash_map<Key, std::uint64_t, tbb::tbb_hash_compare<Key>, Allocator>;

public:
    using key_type = Key;
    static constexpr const char* name = "tbb_chm";
    static constexpr bool concurrent_writes = true;

    bool load(const Key& key, std::uint64_t& value) const {
        typename map_type::const_accessor a;
        if (!map_.find(a, key)) return false;
        value = a->second;
        return true;
    }
    void store(const Key& key, std::uint64_t value) {
        typename map_type::accessor a;
        map_.insert(a, key);
        a->second = value;
    }
    bool erase(const Key& key) { return map_.erase(key); }
    // Not safe against concurrent writers (TBB's iterators never are); used single-threaded.
    std::uint64_t range_sum() const {
        std::uint64_t sum = 0;
        for (const auto& [k, v] : map_) sum += k ^ v;
        return sum;
    }
    std::size_t size() const { return map_.size(); }

private:
    map_type map_;
};
using tbb_map = basic_tbb_map<std::uint64_t>;

// std::unordered_map behind a std::shared_mutex: the textbook baseline.
template <class Key>
class basic_locked_std {
public:
    using key_type = Key;
    static constexpr const char* name = "locked_std";
    static constexpr bool concurrent_writes = true;

    bool load(const Key& key, std::uint64_t& value) const {
        std::shared_lock lock(mutex_);
        const auto it = map_.find(key);
        if (it == map_.end()) return false;
        value = it->second;
        return true;
    }
    void store(const Key& key, std::uint64_t value) {
        std::unique_lock lock(mutex_);
        map_.insert_or_assign(key, value);
    }
    bool erase(const Key& key) {
        std::unique_lock lock(mutex_);
        return map_.erase(key) != 0;
    }
    std::uint64_t range_sum() const {
        std::shared_lock lock(mutex_);
        std::uint64_t sum = 0;
        for (const auto& [k, v] : map_) sum += k ^ v;
        return sum;
    }
    std::size_t size() const {
        std::shared_lock lock(mutex_);
        return map_.size();
    }

private:
    mutable std::shared_mutex mutex_;
    std::unordered_map<Key, std::uint64_t> map_;
};
using locked_std = basic_locked_std<std::uint64_t>;

// liburcu's cds_lfht (split-ordered lock-free list with a bucket index), urcu-bp flavour
// so that its threads register themselves and stay independent of the urcu-memb
// registrations syncmap makes. Nodes are freed through call_rcu. Implemented in
// sync_map_lfht.cpp.
class lfht_map {
public:
    using key_type = std::uint64_t;
    static constexpr const char* name = "cds_lfht";
    static constexpr bool concurrent_writes = true;

    // Sized up front for `expected_entries` (rounded to a power of two), with automatic
    // resizing left on: lfht resizes lazily in a background worker, and a table still
    // resizing while lookups are timed would measure the resize, not the table.
    explicit lfht_map(std::size_t expected_entries = key_count);
    ~lfht_map();
    lfht_map(const lfht_map&) = delete;
    lfht_map& operator=(const lfht_map&) = delete;

    bool load(std::uint64_t key, std::uint64_t& value) const;
    void store(std::uint64_t key, std::uint64_t value);
    bool erase(std::uint64_t key);
    std::uint64_t range_sum() const;
    // One pass adding every value to value_sum; returns the number of entries visited.
    std::size_t range_visit(std::uint64_t& value_sum) const;
    std::size_t size() const;

    // Waits until every node retired so far has been freed (for memory measurements).
    static void barrier();

private:
    ::cds_lfht* table_;
    std::uint64_t seed_;
};

}  // namespace syncmap_bench
