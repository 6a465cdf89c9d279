// peers/cuckoo_map.cpp - libcuckoo's cuckoohash_map (Debian libcuckoo-dev).
//
// Point operations lock the key's two buckets; every operation of the adapter is one
// libcuckoo call, so it is atomic. Iteration needs lock_table(), which takes every lock:
// the traversal sees one consistent state and all writers stall until it ends (the
// scenarios' writer latency figures show how long). Its callback must not call the map.
#include <libcuckoo/cuckoohash_map.hh>

#include "peers.hpp"

namespace syncmap::lab::peers {

namespace {

class cuckoo_map : public map_adapter {
public:
    [[nodiscard]] std::string name() const override { return "libcuckoo"; }
    [[nodiscard]] capabilities caps() const override {
        capabilities c;
        c.ops.fill(true);
        c.range = true;
        c.range_blocks_writers = true;
        c.range_stops_early = true;
        return c;
    }
    [[nodiscard]] promise promises(clause c) const override {
        switch (c) {
            case clause::L1: return promise::not_promised;
            case clause::W1:
            case clause::W2:
            case clause::W3:
            case clause::W4: return promise::promised;  // locked_table is exclusive
            default: return promise::not_supported;
        }
    }

    std::optional<value_type> load(key_type k) override {
        value_type v;
        if (!map_.find(k, v)) return std::nullopt;
        return v;
    }
    bool contains(key_type k) override { return map_.contains(k); }
    void store(key_type k, value_type v) override { map_.insert_or_assign(k, v); }
    std::pair<value_type, bool> load_or_store(key_type k, value_type v) override {
        value_type actual = v;
        const bool inserted = map_.uprase_fn(k, [&](value_type& cur) {
            actual = cur;
            return false;
        }, v);
        return {actual, !inserted};
    }
    std::optional<value_type> load_and_delete(key_type k) override {
        std::optional<value_type> out;
        map_.erase_fn(k, [&](value_type& cur) {
            out = cur;
            return true;
        });
        return out;
    }
    bool erase(key_type k) override { return map_.erase(k); }
    std::optional<value_type> exchange(key_type k, value_type v) override {
        std::optional<value_type> old;
        map_.uprase_fn(k, [&](value_type& cur) {
            old = cur;
            cur = v;
            return false;
        }, v);
        return old;
    }
    bool compare_and_swap(key_type k, value_type expected, value_type desired) override {
        bool swapped = false;
        map_.update_fn(k, [&](value_type& cur) {
            if (cur == expected) {
                cur = desired;
                swapped = true;
            }
        });
        return swapped;
    }
    bool compare_and_delete(key_type k, value_type expected) override {
        bool deleted = false;
        map_.erase_fn(k, [&](value_type& cur) { return deleted = cur == expected; });
        return deleted;
    }
    void range(range_callback f) override {
        auto table = map_.lock_table();
        for (const auto& [k, v] : table)
            if (!f(k, v)) return;
    }

private:
    libcuckoo::cuckoohash_map<key_type, value_type> map_;
};

}  // namespace

adapter_entry cuckoo_entry() {
    return {"libcuckoo", "peer", "libcuckoo::cuckoohash_map; range through lock_table() (writers stall)",
            [] { return std::make_unique<cuckoo_map>(); }};
}

}  // namespace syncmap::lab::peers
