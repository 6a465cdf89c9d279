// The containers sharing sync_map's API (sync_map, read_dirty_map, cow_map) go through one
// adapter template; a container is compiled in when its header exists.
#include "syncmap_adapters.hpp"

#include <sstream>

#include <syncmap/detail/rcu.hpp>

#if __has_include(<syncmap/sync_map.hpp>)
#include <syncmap/sync_map.hpp>
#define SYNCMAP_LAB_HAVE_SYNC_MAP 1
#endif
#if __has_include(<syncmap/read_dirty_map.hpp>)
#include <syncmap/read_dirty_map.hpp>
#define SYNCMAP_LAB_HAVE_READ_DIRTY_MAP 1
#endif
#if __has_include(<syncmap/cow_map.hpp>)
#include <syncmap/cow_map.hpp>
#define SYNCMAP_LAB_HAVE_COW_MAP 1
#endif
#if __has_include(<syncmap/go_map.hpp>)
#include <syncmap/go_map.hpp>
#define SYNCMAP_LAB_HAVE_GO_MAP 1
#endif

namespace syncmap::lab {

namespace {

// Map: a container with sync_map's API over <key_type, value_type>.
template <class Map>
class shared_api_adapter : public map_adapter {
public:
    explicit shared_api_adapter(std::string name) : name_(std::move(name)) {}

    [[nodiscard]] std::string name() const override { return name_; }
    [[nodiscard]] capabilities caps() const override {
        capabilities c;
        c.ops.fill(true);
        c.range = true;
        c.range_reentrant = true;  // W5: the callback may call any member
        c.range_stops_early = true;
        c.pending_bytes = true;    // retirement goes through detail::rcu_retire
        return c;
    }
    [[nodiscard]] promise promises(clause c) const override {
        switch (c) {
            case clause::L1:
            case clause::W1:
            case clause::W2:
            case clause::W3:
            case clause::W4: return promise::promised;
            default: return promise::not_supported;  // snapshot and scan are not wired in yet
        }
    }

    std::optional<value_type> load(key_type k) override { return map_.load(k); }
    bool contains(key_type k) override { return map_.contains(k); }
    void store(key_type k, value_type v) override { map_.store(k, v); }
    std::pair<value_type, bool> load_or_store(key_type k, value_type v) override { return map_.load_or_store(k, v); }
    std::optional<value_type> load_and_delete(key_type k) override { return map_.load_and_delete(k); }
    bool erase(key_type k) override { return map_.erase(k); }
    std::optional<value_type> exchange(key_type k, value_type v) override { return map_.exchange(k, v); }
    bool compare_and_swap(key_type k, value_type e, value_type d) override { return map_.compare_and_swap(k, e, d); }
    bool compare_and_delete(key_type k, value_type e) override { return map_.compare_and_delete(k, e); }
    void range(range_callback f) override {
        map_.range([&](const key_type& k, const value_type& v) -> bool { return f(k, v); });
    }
    [[nodiscard]] std::int64_t pending_bytes() const override {
        return syncmap::detail::rcu_pending_bytes.load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::string structure() const override {
        if constexpr (requires(const Map& m) { m.debug_structure().leaves; }) {
            const auto s = map_.debug_structure();
            std::ostringstream out;
            out << s.entries << " entries in " << s.leaves << " leaves, depth " << s.global_depth;
            return out.str();
        } else {
            return {};
        }
    }
    void quiesce() override { syncmap::detail::rcu_barrier(); }

private:
    std::string name_;
    Map map_;
};

#ifdef SYNCMAP_LAB_HAVE_GO_MAP
// go_map is single-threaded (Go's built-in map): the lab runs its point operations from
// one thread, where L1 reduces to agreeing with the sequential model, and runs none of the
// concurrent scenarios. Its iteration clause, G1, is not driven by the lab yet.
class go_map_adapter : public map_adapter {
public:
    [[nodiscard]] std::string name() const override { return "go_map"; }
    [[nodiscard]] capabilities caps() const override {
        capabilities c;
        c.ops.fill(true);
        c.concurrent = false;
        return c;
    }
    [[nodiscard]] promise promises(clause c) const override {
        return c == clause::L1 ? promise::promised : promise::not_supported;
    }
    std::optional<value_type> load(key_type k) override {
        auto it = map_.find(k);
        if (it == map_.end()) return std::nullopt;
        return it->second;
    }
    bool contains(key_type k) override { return map_.contains(k); }
    void store(key_type k, value_type v) override { map_.insert_or_assign(k, v); }
    std::pair<value_type, bool> load_or_store(key_type k, value_type v) override {
        auto [it, inserted] = map_.try_emplace(k, v);
        return {it->second, !inserted};
    }
    std::optional<value_type> load_and_delete(key_type k) override {
        auto it = map_.find(k);
        if (it == map_.end()) return std::nullopt;
        const value_type v = it->second;
        map_.erase(it);
        return v;
    }
    bool erase(key_type k) override { return map_.erase(k) != 0; }
    std::optional<value_type> exchange(key_type k, value_type v) override {
        auto [it, inserted] = map_.try_emplace(k, v);
        if (inserted) return std::nullopt;
        const value_type old = it->second;
        it->second = v;
        return old;
    }
    bool compare_and_swap(key_type k, value_type expected, value_type desired) override {
        auto it = map_.find(k);
        if (it == map_.end() || it->second != expected) return false;
        it->second = desired;
        return true;
    }
    bool compare_and_delete(key_type k, value_type expected) override {
        auto it = map_.find(k);
        if (it == map_.end() || it->second != expected) return false;
        map_.erase(it);
        return true;
    }

private:
    syncmap::go_map<key_type, value_type> map_;
};
#endif

template <class Map>
adapter_entry entry(std::string name, std::string description) {
    return {name, "syncmap", std::move(description),
            [name] { return std::make_unique<shared_api_adapter<Map>>(name); }};
}

}  // namespace

std::vector<adapter_entry> syncmap_containers() {
    std::vector<adapter_entry> out;
#ifdef SYNCMAP_LAB_HAVE_SYNC_MAP
    out.push_back(entry<syncmap::sync_map<key_type, value_type>>(
        "sync_map", "syncmap::sync_map: lock-free reads, weakly consistent range in hash order"));
#endif
#ifdef SYNCMAP_LAB_HAVE_READ_DIRTY_MAP
    out.push_back(entry<syncmap::read_dirty_map<key_type, value_type>>(
        "read_dirty_map", "syncmap::read_dirty_map: Go's sync.Map (read/dirty) up to Go 1.23"));
#endif
#ifdef SYNCMAP_LAB_HAVE_COW_MAP
    out.push_back(entry<syncmap::cow_map<key_type, value_type>>(
        "cow_map", "syncmap::cow_map: copy-on-write table published by one atomic pointer"));
#endif
#ifdef SYNCMAP_LAB_HAVE_GO_MAP
    out.push_back({"go_map", "syncmap", "syncmap::go_map: single-threaded, Go's built-in map semantics (point ops only here)",
                   [] { return std::make_unique<go_map_adapter>(); }});
#endif
    return out;
}

}  // namespace syncmap::lab
