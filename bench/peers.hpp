// bench/peers.hpp - the maps sync_map is measured against, behind one small interface,
// and the key sets every benchmark shares.
//
// Every adapter offers, for uint64_t keys and values:
//   bool load(key, value&) const   copies the value out; false if absent
//   void store(key, value)         inserts or replaces
//   bool erase(key)                true if the key was there
//   uint64_t range_sum() const     visits every entry once, returns a checksum
//   size_t size() const
// Each adapter uses its map the way that map's documentation recommends for this job, with
// the map's default hash and allocator unless a comment says otherwise.
//
// This header includes no syncmap header and no liburcu header: the cds_lfht adapter is
// implemented in sync_map_lfht.cpp, the one translation unit that includes liburcu's own
// headers (they define macros such as rcu_barrier and call_rcu that would rewrite
// syncmap::detail names).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
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
        return s;
    }();
    return sets;
}

// Stores every preloaded key, in key order, from the calling thread.
template <class Map>
void preload(Map& map) {
    for (std::uint64_t k : shared_keys().keys) map.store(k, value_of(k));
}

// ---- Adapters ------------------------------------------------------------------------

// boost::unordered_flat_map: open addressing with SIMD metadata, entries inline, no
// synchronisation. The single-threaded limit; concurrent use is limited to read-only runs
// (const lookups with no writer are safe).
class boost_flat {
public:
    static constexpr const char* name = "boost_flat";
    static constexpr bool concurrent_writes = false;

    bool load(std::uint64_t key, std::uint64_t& value) const {
        const auto it = map_.find(key);
        if (it == map_.end()) return false;
        value = it->second;
        return true;
    }
    void store(std::uint64_t key, std::uint64_t value) { map_.insert_or_assign(key, value); }
    bool erase(std::uint64_t key) { return map_.erase(key) != 0; }
    std::uint64_t range_sum() const {
        std::uint64_t sum = 0;
        for (const auto& [k, v] : map_) sum += k ^ v;
        return sum;
    }
    std::size_t size() const { return map_.size(); }

private:
    boost::unordered_flat_map<std::uint64_t, std::uint64_t> map_;
};

// libcuckoo::cuckoohash_map: bucketised cuckoo hashing with striped spinlocks; lookups
// take the two candidate buckets' locks.
class cuckoo_map {
public:
    static constexpr const char* name = "libcuckoo";
    static constexpr bool concurrent_writes = true;

    bool load(std::uint64_t key, std::uint64_t& value) const { return map_.find(key, value); }
    void store(std::uint64_t key, std::uint64_t value) { map_.insert_or_assign(key, value); }
    bool erase(std::uint64_t key) { return map_.erase(key); }
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
    mutable libcuckoo::cuckoohash_map<std::uint64_t, std::uint64_t> map_;
};

// tbb::concurrent_hash_map: chained buckets with a reader-writer lock per bucket and per
// element; accessors hold the element's lock. The allocator is a parameter so the memory
// measurement can use std::allocator (TBB's default allocator goes to tbbmalloc when
// present, which the C library's allocator statistics cannot see).
template <class Allocator = tbb::tbb_allocator<std::pair<const std::uint64_t, std::uint64_t>>>
class basic_tbb_map {
    using map_type = tbb::concurrent_hash_map<std::uint64_t, std::uint64_t,
                                              tbb::tbb_hash_compare<std::uint64_t>, Allocator>;

public:
    static constexpr const char* name = "tbb_chm";
    static constexpr bool concurrent_writes = true;

    bool load(std::uint64_t key, std::uint64_t& value) const {
        typename map_type::const_accessor a;
        if (!map_.find(a, key)) return false;
        value = a->second;
        return true;
    }
    void store(std::uint64_t key, std::uint64_t value) {
        typename map_type::accessor a;
        map_.insert(a, key);
        a->second = value;
    }
    bool erase(std::uint64_t key) { return map_.erase(key); }
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
using tbb_map = basic_tbb_map<>;

// std::unordered_map behind a std::shared_mutex: the textbook baseline.
class locked_std {
public:
    static constexpr const char* name = "locked_std";
    static constexpr bool concurrent_writes = true;

    bool load(std::uint64_t key, std::uint64_t& value) const {
        std::shared_lock lock(mutex_);
        const auto it = map_.find(key);
        if (it == map_.end()) return false;
        value = it->second;
        return true;
    }
    void store(std::uint64_t key, std::uint64_t value) {
        std::unique_lock lock(mutex_);
        map_.insert_or_assign(key, value);
    }
    bool erase(std::uint64_t key) {
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
    std::unordered_map<std::uint64_t, std::uint64_t> map_;
};

// liburcu's cds_lfht (split-ordered lock-free list with a bucket index), urcu-bp flavour
// so that its threads register themselves and stay independent of the urcu-memb
// registrations syncmap makes. Nodes are freed through call_rcu. Implemented in
// sync_map_lfht.cpp.
class lfht_map {
public:
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
    std::size_t size() const;

    // Waits until every node retired so far has been freed (for memory measurements).
    static void barrier();

private:
    ::cds_lfht* table_;
    std::uint64_t seed_;
};

}  // namespace syncmap_bench
