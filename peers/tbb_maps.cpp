// peers/tbb_maps.cpp - oneTBB's two concurrent hash maps.
//
// tbb::concurrent_unordered_map supports concurrent insertion, lookup and traversal, but
// erase (unsafe_erase) must not run concurrently with anything: the adapter offers no
// erase at all, and the scenarios that need one report "not supported". Its mapped values
// are not synchronized, so the adapter stores std::atomic values: overwrite, exchange and
// compare_and_swap act on the atomic of an existing element (the usual way to use it).
//
// tbb::concurrent_hash_map synchronizes each element with an accessor lock, so every point
// operation is supported, but its iterators are unsafe with any concurrent operation:
// traversal is "not supported" and never run.
#include <atomic>
#include <tbb/concurrent_hash_map.h>
#include <tbb/concurrent_unordered_map.h>

#include "peers.hpp"

namespace syncmap::lab::peers {

namespace {

class tbb_unordered_map : public map_adapter {
public:
    [[nodiscard]] std::string name() const override { return "tbb_unordered"; }
    [[nodiscard]] capabilities caps() const override {
        capabilities c;
        for (op_kind k : {op_kind::load, op_kind::contains, op_kind::store, op_kind::load_or_store,
                          op_kind::exchange, op_kind::compare_and_swap})
            c.ops[static_cast<std::size_t>(k)] = true;
        c.range = true;
        c.range_reentrant = true;  // inserting during traversal is allowed
        c.range_stops_early = true;
        return c;
    }
    [[nodiscard]] promise promises(clause c) const override {
        switch (c) {
            case clause::L1:
            case clause::W1:
            case clause::W2:
            case clause::W3:
            case clause::W4: return promise::not_promised;
            default: return promise::not_supported;
        }
    }

    std::optional<value_type> load(key_type k) override {
        auto it = map_.find(k);
        if (it == map_.end()) return std::nullopt;
        return it->second.load(std::memory_order_acquire);
    }
    void store(key_type k, value_type v) override {
        auto [it, inserted] = map_.emplace(k, v);
        if (!inserted) it->second.store(v, std::memory_order_release);
    }
    std::pair<value_type, bool> load_or_store(key_type k, value_type v) override {
        auto [it, inserted] = map_.emplace(k, v);
        if (inserted) return {v, false};
        return {it->second.load(std::memory_order_acquire), true};
    }
    std::optional<value_type> exchange(key_type k, value_type v) override {
        auto [it, inserted] = map_.emplace(k, v);
        if (inserted) return std::nullopt;
        return it->second.exchange(v, std::memory_order_acq_rel);
    }
    bool compare_and_swap(key_type k, value_type expected, value_type desired) override {
        auto it = map_.find(k);
        if (it == map_.end()) return false;
        return it->second.compare_exchange_strong(expected, desired, std::memory_order_acq_rel);
    }
    void range(range_callback f) override {
        for (auto& [k, v] : map_)
            if (!f(k, v.load(std::memory_order_acquire))) return;
    }

private:
    tbb::concurrent_unordered_map<key_type, std::atomic<value_type>> map_;
};

class tbb_hash_map : public map_adapter {
    using map_type = tbb::concurrent_hash_map<key_type, value_type>;

public:
    [[nodiscard]] std::string name() const override { return "tbb_hash_map"; }
    [[nodiscard]] capabilities caps() const override {
        capabilities c;
        c.ops.fill(true);
        return c;  // no range: iteration is unsafe with any concurrent operation
    }
    [[nodiscard]] promise promises(clause c) const override {
        return c == clause::L1 ? promise::not_promised : promise::not_supported;
    }

    std::optional<value_type> load(key_type k) override {
        map_type::const_accessor a;
        if (!map_.find(a, k)) return std::nullopt;
        return a->second;
    }
    void store(key_type k, value_type v) override {
        map_type::accessor a;
        map_.insert(a, k);
        a->second = v;
    }
    std::pair<value_type, bool> load_or_store(key_type k, value_type v) override {
        map_type::accessor a;
        if (map_.insert(a, k)) {
            a->second = v;
            return {v, false};
        }
        return {a->second, true};
    }
    // erase(accessor) fails if a concurrent erase(key) unlinked the element while this
    // thread held its lock (erase(key) unlinks first, then waits for the lock): the value
    // read was then already gone, so look again.
    std::optional<value_type> load_and_delete(key_type k) override {
        for (;;) {
            map_type::accessor a;
            if (!map_.find(a, k)) return std::nullopt;
            const value_type v = a->second;
            if (map_.erase(a)) return v;
        }
    }
    bool erase(key_type k) override { return map_.erase(k); }
    std::optional<value_type> exchange(key_type k, value_type v) override {
        map_type::accessor a;
        const bool inserted = map_.insert(a, k);
        const value_type old = a->second;
        a->second = v;
        if (inserted) return std::nullopt;
        return old;
    }
    bool compare_and_swap(key_type k, value_type expected, value_type desired) override {
        map_type::accessor a;
        if (!map_.find(a, k) || a->second != expected) return false;
        a->second = desired;
        return true;
    }
    bool compare_and_delete(key_type k, value_type expected) override {
        for (;;) {
            map_type::accessor a;
            if (!map_.find(a, k) || a->second != expected) return false;
            if (map_.erase(a)) return true;
        }
    }

private:
    map_type map_;
};

}  // namespace

adapter_entry tbb_unordered_entry() {
    return {"tbb_unordered", "peer",
            "tbb::concurrent_unordered_map<K, std::atomic<V>>; no concurrent erase",
            [] { return std::make_unique<tbb_unordered_map>(); }};
}

adapter_entry tbb_hash_map_entry() {
    return {"tbb_hash_map", "peer",
            "tbb::concurrent_hash_map; iteration unsafe under concurrent use (not run)",
            [] { return std::make_unique<tbb_hash_map>(); }};
}

}  // namespace syncmap::lab::peers
