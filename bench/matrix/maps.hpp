// bench/matrix/maps.hpp - every in-process map of the benchmark matrix behind one interface.
//
// For its key_type (uint64_t or std::string) and uint64_t values, an adapter offers
//   bool load(key, value&) const; void store(key, value); bool erase(key);
//   std::size_t traverse(std::uint64_t& value_sum) const   one full pass, returns the count
// and describes itself:
//   name                 the row name in the report
//   what                 the map and how it is configured, for the report's peer table
//   concurrent_erase     erase may run concurrently with other operations; when false the
//                        mixes that erase run with one thread only (read-only mixes still
//                        run with every thread count)
//   traversal            how a pass behaves when writers run (traversal_kind); the writer
//                        latency cells run only where a pass may overlap writers
// Each adapter uses its map as that map's documentation recommends, with the map's default
// hash. Allocators: the defaults, except TBB's maps, which use std::allocator so that the
// C library's allocator statistics (the bytes-per-entry curve) can see them.
#pragma once

#include <cassert>  // before xenium, whose headers use assert without including it
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include <absl/container/flat_hash_map.h>
#include <boost/unordered/unordered_flat_map.hpp>
#include <libcuckoo/cuckoohash_map.hh>
#include <oneapi/tbb/concurrent_hash_map.h>
#include <oneapi/tbb/concurrent_unordered_map.h>
#include <syncmap/sync_map.hpp>
#if __has_include(<xenium/vyukov_hash_map.hpp>)
#include <xenium/reclamation/generic_epoch_based.hpp>
#include <xenium/vyukov_hash_map.hpp>
#define SYNCMAP_MATRIX_HAVE_XENIUM 1
#endif

#include "../peers.hpp"  // lfht_map (cds_lfht), compiled apart in sync_map_lfht.cpp

namespace syncmap_matrix {

// How one traversal pass coexists with writers.
enum class traversal_kind {
    never_blocks,        // writers proceed while a pass runs (lock-free or RCU read side)
    bucket_lock,         // the pass holds one bucket's lock at a time
    whole_table_lock,    // the pass holds a lock that every writer needs, for the whole pass
    not_under_writers,   // the map forbids traversal concurrent with erase
};

inline const char* name_of(traversal_kind t) {
    switch (t) {
        case traversal_kind::never_blocks: return "never blocks writers";
        case traversal_kind::bucket_lock: return "one bucket lock at a time";
        case traversal_kind::whole_table_lock: return "blocks writers for the whole pass";
        case traversal_kind::not_under_writers: return "not allowed under erasing writers";
    }
    return "";
}

template <class Key>
class sync_map_adapter {
public:
    using key_type = Key;
    static constexpr const char* name = "sync_map";
    static constexpr const char* what = "syncmap::sync_map, default storage; traversal by range()";
    static constexpr bool concurrent_erase = true;
    static constexpr traversal_kind traversal = traversal_kind::never_blocks;

    bool load(const Key& k, std::uint64_t& v) const {
        if (const auto found = map_.load(k)) {
            v = *found;
            return true;
        }
        return false;
    }
    void store(const Key& k, std::uint64_t v) { map_.store(k, v); }
    bool erase(const Key& k) { return map_.erase(k); }
    std::size_t traverse(std::uint64_t& sum) const {
        std::size_t n = 0;
        map_.range([&](const Key&, const std::uint64_t& v) {
            sum += v;
            ++n;
        });
        return n;
    }
    syncmap::sync_map<Key, std::uint64_t>& map() { return map_; }

private:
    syncmap::sync_map<Key, std::uint64_t> map_;
};

// boost::unordered_flat_map, unsynchronised: the single-threaded limit. Several threads
// only read it (const lookups without a writer are safe). Boost 1.81 (Debian 12) has no
// concurrent_flat_map; it arrived in 1.83.
template <class Key>
class boost_flat_adapter {
public:
    using key_type = Key;
    static constexpr const char* name = "boost_flat";
    static constexpr const char* what =
        "boost::unordered_flat_map (1.81), no synchronisation: writers only with one thread";
    static constexpr bool concurrent_erase = false;
    static constexpr traversal_kind traversal = traversal_kind::not_under_writers;

    bool load(const Key& k, std::uint64_t& v) const {
        const auto it = map_.find(k);
        if (it == map_.end()) return false;
        v = it->second;
        return true;
    }
    void store(const Key& k, std::uint64_t v) { map_.insert_or_assign(k, v); }
    bool erase(const Key& k) { return map_.erase(k) != 0; }
    std::size_t traverse(std::uint64_t& sum) const {
        for (const auto& e : map_) sum += e.second;
        return map_.size();
    }

private:
    boost::unordered_flat_map<Key, std::uint64_t> map_;
};

template <class Key>
class cuckoo_adapter {
public:
    using key_type = Key;
    static constexpr const char* name = "libcuckoo";
    static constexpr const char* what = "libcuckoo::cuckoohash_map (0.3.1); traversal through lock_table()";
    static constexpr bool concurrent_erase = true;
    static constexpr traversal_kind traversal = traversal_kind::whole_table_lock;

    bool load(const Key& k, std::uint64_t& v) const { return map_.find(k, v); }
    void store(const Key& k, std::uint64_t v) { map_.insert_or_assign(k, v); }
    bool erase(const Key& k) { return map_.erase(k); }
    std::size_t traverse(std::uint64_t& sum) const {
        std::size_t n = 0;
        const auto locked = map_.lock_table();
        for (const auto& e : locked) {
            sum += e.second;
            ++n;
        }
        return n;
    }

private:
    mutable libcuckoo::cuckoohash_map<Key, std::uint64_t> map_;  // lock_table() is non-const
};

template <class Key>
class tbb_hash_map_adapter {
    using map_type = tbb::concurrent_hash_map<Key, std::uint64_t, tbb::tbb_hash_compare<Key>,
                                              std::allocator<std::pair<const Key, std::uint64_t>>>;

public:
    using key_type = Key;
    static constexpr const char* name = "tbb_chm";
    static constexpr const char* what = "tbb::concurrent_hash_map (oneTBB 2021.8), std::allocator; accessors";
    static constexpr bool concurrent_erase = true;
    static constexpr traversal_kind traversal = traversal_kind::not_under_writers;

    bool load(const Key& k, std::uint64_t& v) const {
        typename map_type::const_accessor a;
        if (!map_.find(a, k)) return false;
        v = a->second;
        return true;
    }
    void store(const Key& k, std::uint64_t v) {
        typename map_type::accessor a;
        map_.insert(a, k);
        a->second = v;
    }
    bool erase(const Key& k) { return map_.erase(k); }
    std::size_t traverse(std::uint64_t& sum) const {
        for (const auto& e : map_) sum += e.second;
        return map_.size();
    }

private:
    map_type map_;
};

// tbb::concurrent_unordered_map: concurrent insert and find, but erase is unsafe_erase
// (not concurrency-safe), so its erasing mixes run with one thread only.
template <class Key>
class tbb_unordered_adapter {
    using map_type = tbb::concurrent_unordered_map<Key, std::uint64_t, std::hash<Key>, std::equal_to<Key>,
                                                   std::allocator<std::pair<const Key, std::uint64_t>>>;

public:
    using key_type = Key;
    static constexpr const char* name = "tbb_cum";
    static constexpr const char* what =
        "tbb::concurrent_unordered_map (oneTBB 2021.8), std::allocator; erase is unsafe_erase";
    static constexpr bool concurrent_erase = false;
    static constexpr traversal_kind traversal = traversal_kind::not_under_writers;

    bool load(const Key& k, std::uint64_t& v) const {
        const auto it = map_.find(k);
        if (it == map_.end()) return false;
        v = it->second;
        return true;
    }
    void store(const Key& k, std::uint64_t v) {
        const auto [it, inserted] = map_.emplace(k, v);
        if (!inserted) it->second = v;
    }
    bool erase(const Key& k) { return map_.unsafe_erase(k) != 0; }
    std::size_t traverse(std::uint64_t& sum) const {
        std::size_t n = 0;
        for (const auto& e : map_) {
            sum += e.second;
            ++n;
        }
        return n;
    }

private:
    map_type map_;
};

// A single-threaded map behind one std::shared_mutex: shared for loads and traversal,
// exclusive for writes.
template <class Map, const char* Name, const char* What>
class locked_adapter {
public:
    using key_type = typename Map::key_type;
    static constexpr const char* name = Name;
    static constexpr const char* what = What;
    static constexpr bool concurrent_erase = true;
    static constexpr traversal_kind traversal = traversal_kind::whole_table_lock;

    bool load(const key_type& k, std::uint64_t& v) const {
        std::shared_lock lock(mutex_);
        const auto it = map_.find(k);
        if (it == map_.end()) return false;
        v = it->second;
        return true;
    }
    void store(const key_type& k, std::uint64_t v) {
        std::unique_lock lock(mutex_);
        map_.insert_or_assign(k, v);
    }
    bool erase(const key_type& k) {
        std::unique_lock lock(mutex_);
        return map_.erase(k) != 0;
    }
    std::size_t traverse(std::uint64_t& sum) const {
        std::shared_lock lock(mutex_);
        for (const auto& e : map_) sum += e.second;
        return map_.size();
    }

private:
    mutable std::shared_mutex mutex_;
    Map map_;
};

inline constexpr char locked_std_name[] = "locked_std";
inline constexpr char locked_std_what[] = "std::unordered_map + std::shared_mutex";
inline constexpr char absl_locked_name[] = "absl_locked";
inline constexpr char absl_locked_what[] = "absl::flat_hash_map (20220623) + std::shared_mutex";

template <class Key>
using locked_std_adapter =
    locked_adapter<std::unordered_map<Key, std::uint64_t>, locked_std_name, locked_std_what>;
template <class Key>
using absl_locked_adapter =
    locked_adapter<absl::flat_hash_map<Key, std::uint64_t>, absl_locked_name, absl_locked_what>;

// liburcu's cds_lfht (uint64 keys only); the adapter of bench/peers.hpp, sized for 1024
// entries and left to resize itself as the map grows.
class lfht_adapter {
public:
    using key_type = std::uint64_t;
    static constexpr const char* name = "cds_lfht";
    static constexpr const char* what = "liburcu 0.13 cds_lfht, urcu-bp flavour, auto-resize from 1024 buckets";
    static constexpr bool concurrent_erase = true;
    static constexpr traversal_kind traversal = traversal_kind::never_blocks;

    lfht_adapter() : map_(1024) {}
    bool load(std::uint64_t k, std::uint64_t& v) const { return map_.load(k, v); }
    void store(std::uint64_t k, std::uint64_t v) { map_.store(k, v); }
    bool erase(std::uint64_t k) { return map_.erase(k); }
    std::size_t traverse(std::uint64_t& sum) const { return map_.range_visit(sum); }

private:
    syncmap_bench::lfht_map map_;
};

#ifdef SYNCMAP_MATRIX_HAVE_XENIUM
// xenium's vyukov_hash_map: lock-free lookups, bucket locks for updates; its iterator
// holds the current bucket's lock. Epoch-based reclamation. uint64 keys only: with
// std::string keys (which need a non-trivial value type too), xenium 0.0.2 crashed in the
// matrix's first cell with two threads erasing (a segmentation fault inside a lookup).
class xenium_adapter {
    using map_type = xenium::vyukov_hash_map<std::uint64_t, std::uint64_t,
                                             xenium::policy::reclaimer<xenium::reclamation::epoch_based<>>>;

public:
    using key_type = std::uint64_t;
    static constexpr const char* name = "xenium";
    static constexpr const char* what =
        "xenium::vyukov_hash_map (0.0.2), epoch_based reclamation; traversal by iterator";
    static constexpr bool concurrent_erase = true;
    static constexpr traversal_kind traversal = traversal_kind::bucket_lock;

    xenium_adapter() : map_(1024) {}
    bool load(std::uint64_t k, std::uint64_t& v) const {
        typename map_type::accessor a;
        if (!map_.try_get_value(k, a)) return false;
        v = *a;
        return true;
    }
    // vyukov_hash_map has no insert-or-assign: a store that finds its key present erases it
    // and emplaces again (not atomic: a concurrent load may miss the key in between). The
    // matrix stores almost only absent keys, so this path is rare.
    void store(std::uint64_t k, std::uint64_t v) {
        if (!map_.emplace(k, v)) {
            map_.erase(k);
            map_.emplace(k, v);
        }
    }
    bool erase(std::uint64_t k) { return map_.erase(k); }
    std::size_t traverse(std::uint64_t& sum) const {
        std::size_t n = 0;
        for (auto it = map_.begin(); it != map_.end(); ++it) {
            sum += (*it).second;
            ++n;
        }
        return n;
    }

private:
    mutable map_type map_;  // begin() is non-const
};
#endif

}  // namespace syncmap_matrix
