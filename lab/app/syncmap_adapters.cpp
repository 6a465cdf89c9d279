// The containers sharing sync_map's API (sync_map, read_dirty_map, cow_map) go through one
// adapter template, which offers each optional capability (snapshot, scan, counters) when
// the container has it; a container is compiled in when its header exists.
#include "syncmap_adapters.hpp"

#include <cstring>
#include <sstream>
#include <type_traits>

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

// The lab carries a container's cursor as opaque bytes (adapter.hpp: scan_cursor).
template <class Cursor>
Cursor to_cursor(const scan_cursor& c) {
    static_assert(std::is_trivially_copyable_v<Cursor> && sizeof(Cursor) <= sizeof(scan_cursor::bytes),
                  "scan_cursor must be able to carry the container's cursor");
    Cursor out{};
    if (c.started) std::memcpy(static_cast<void*>(&out), c.bytes.data(), sizeof out);
    return out;
}

template <class Cursor>
scan_cursor from_cursor(const Cursor& c) {
    scan_cursor out;
    std::memcpy(out.bytes.data(), static_cast<const void*>(&c), sizeof c);
    out.started = true;
    out.done = c.done();
    return out;
}

// One scan call of a live map or a snapshot: `stoppable` picks the bool callback (f may
// end the chunk), otherwise the void one (the container's unordered, cheaper path).
template <class Scannable, class Cursor>
scan_cursor scan_call(const Scannable& s, const scan_cursor& from, std::size_t chunk, range_callback f,
                      bool stoppable) {
    const Cursor c = to_cursor<Cursor>(from);
    if (stoppable) return from_cursor(s.scan(c, chunk, [&](const key_type& k, const value_type& v) { return f(k, v); }));
    return from_cursor(s.scan(c, chunk, [&](const key_type& k, const value_type& v) { f(k, v); }));
}

template <class Map>
concept has_snapshot = requires(Map& m) { m.snapshot(); };
template <class Map>
concept has_scan = requires(const Map& m, syncmap::cursor c) {
    m.scan(c, std::size_t{1}, [](const key_type&, const value_type&) {});
};
template <class Snap>
concept snapshot_has_scan = requires(const Snap& s, syncmap::cursor c) {
    s.scan(c, std::size_t{1}, [](const key_type&, const value_type&) {});
};
// A write member whose callback runs under the lock other writers wait for.
template <class Map>
concept has_compute = requires(Map& m, key_type k) {
    m.compute(k, [](const value_type*) { return std::optional<value_type>{}; });
};
template <class Map>
concept has_update = requires(Map& m) { m.update([](auto&) {}); };
template <class Map>
concept has_stats = requires(const Map& m) { m.stats().versions_retained; };
template <class Map>
concept has_debug_state = requires(const Map& m) { m.debug_state().versions_retained; };

// A container's snapshot behind the lab's snapshot_view.
template <class Snap>
class snapshot_adapter final : public snapshot_view {
public:
    explicit snapshot_adapter(Snap s) : snap_(std::move(s)) {}

    [[nodiscard]] std::optional<value_type> load(key_type k) const override { return snap_.load(k); }
    [[nodiscard]] bool contains(key_type k) const override { return snap_.contains(k); }
    [[nodiscard]] std::size_t size() const override { return snap_.size(); }
    void iterate(range_callback f) const override {
        for (auto&& [k, v] : snap_)
            if (!f(k, v)) return;
    }
    void range(range_callback f) const override {
        snap_.range([&](const key_type& k, const value_type& v) -> bool { return f(k, v); });
    }
    scan_cursor scan(const scan_cursor& from, std::size_t chunk, range_callback f, bool stoppable) const override {
        if constexpr (snapshot_has_scan<Snap>) {
            return scan_call<Snap, syncmap::cursor>(snap_, from, chunk, f, stoppable);
        } else {
            return snapshot_view::scan(from, chunk, f, stoppable);
        }
    }

private:
    Snap snap_;
};

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
        c.clear = true;            // Go's Clear: linearizable, concurrent with everything
        if constexpr (has_snapshot<Map>) {
            c.snapshot = true;
            c.snapshot_scan = snapshot_has_scan<typename Map::snapshot_type>;
        }
        c.scan = has_scan<Map>;
        c.counters = has_stats<Map> || has_debug_state<Map>;
        c.hold_writers = has_compute<Map> || has_update<Map>;
        return c;
    }
    [[nodiscard]] promise promises(clause c) const override {
        const capabilities k = caps();
        switch (c) {
            case clause::L1:
            case clause::W1:
            case clause::W2:
            case clause::W3:
            case clause::W4: return promise::promised;
            case clause::S1:
            case clause::S2: return k.snapshot ? promise::promised : promise::not_supported;
            case clause::C2: return k.scan ? promise::promised : promise::not_supported;
            case clause::C4: return k.snapshot_scan ? promise::promised : promise::not_supported;
            case clause::G1: return promise::not_supported;  // go_map's clause
        }
        return promise::not_supported;
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
    void clear() override { map_.clear(); }

    scan_cursor scan(const scan_cursor& from, std::size_t chunk, range_callback f, bool stoppable) override {
        if constexpr (has_scan<Map>) {
            return scan_call<Map, syncmap::cursor>(map_, from, chunk, f, stoppable);
        } else {
            return map_adapter::scan(from, chunk, f, stoppable);
        }
    }
    scan_cursor range_until_stopped(range_callback f, std::stop_token stop) override {
        if constexpr (has_scan<Map>) {
            return from_cursor(map_.range([&](const key_type& k, const value_type& v) -> bool { return f(k, v); },
                                          std::move(stop)));
        } else {
            return map_adapter::range_until_stopped(f, std::move(stop));
        }
    }
    std::unique_ptr<snapshot_view> snapshot() override {
        if constexpr (has_snapshot<Map>) {
            return std::make_unique<snapshot_adapter<typename Map::snapshot_type>>(map_.snapshot());
        } else {
            return map_adapter::snapshot();
        }
    }
    void hold_writers_of(key_type k, function_ref<void()> while_held) override {
        if constexpr (has_compute<Map>) {
            // Gives the current value back: the commit rewrites what was there.
            map_.compute(k, [&](const value_type* current) -> std::optional<value_type> {
                while_held();
                return current != nullptr ? std::optional<value_type>(*current) : std::nullopt;
            });
        } else if constexpr (has_update<Map>) {
            map_.update([&](auto&) { while_held(); });
        } else {
            map_adapter::hold_writers_of(k, while_held);
        }
    }
    [[nodiscard]] map_counters counters() const override {
        map_counters out;
        if constexpr (has_stats<Map>) {
            const syncmap::map_stats s = map_.stats();
            out.structural_changes = s.leaf_splits + s.leaf_rebuilds + s.directory_growths + s.clears;
            out.retained = s.versions_retained;
            out.retained_unit = "entries in preserved leaf copies (stats().versions_retained)";
        } else if constexpr (has_debug_state<Map>) {
            out.retained = static_cast<std::int64_t>(map_.debug_state().versions_retained);
            out.retained_unit = "table versions kept (debug_state().versions_retained)";
        }
        return out;
    }
    [[nodiscard]] std::int64_t pending_bytes() const override {
        // Through the public stats() where the map has it; it reads the same process-wide
        // counter as detail::rcu_pending_bytes.
        if constexpr (has_stats<Map>) {
            return map_.stats().retired_bytes_pending;
        } else {
            return syncmap::detail::rcu_pending_bytes.load(std::memory_order_relaxed);
        }
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
// one thread, where L1 reduces to agreeing with the sequential model, and its iteration
// with mutation (G1, scenario go-map-iteration); none of the concurrent scenarios.
class go_map_adapter : public map_adapter {
public:
    [[nodiscard]] std::string name() const override { return "go_map"; }
    [[nodiscard]] capabilities caps() const override {
        capabilities c;
        c.ops.fill(true);
        c.concurrent = false;
        c.clear = true;
        c.mutating_iteration = true;
        return c;
    }
    [[nodiscard]] promise promises(clause c) const override {
        return c == clause::L1 || c == clause::G1 ? promise::promised : promise::not_supported;
    }
    void clear() override { map_.clear(); }
    // A pass with go_map's own iterator; the callback mutates through this adapter. The
    // iterator survives every mutation (G1); erase(it) returns the next step.
    void iterate(iteration_callback f) override {
        for (auto it = map_.begin(); it != map_.end();) {
            const iteration_step step = f(it->first, it->second);
            if (step.assign_current != 0) it->second = step.assign_current;
            if (step.then == iteration_step::then_do::stop) return;
            if (step.then == iteration_step::then_do::erase_current) {
                it = map_.erase(it);
            } else {
                ++it;
            }
        }
    }
    [[nodiscard]] std::string structure() const override {
        const auto s = map_.debug_structure();
        return std::to_string(s.capacity) + " slots in " + std::to_string(s.leaves) + " leaves, depth " +
               std::to_string(s.global_depth);
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
        "sync_map", "syncmap::sync_map: lock-free reads, weakly consistent range in hash order; entries inline"));
    out.push_back(entry<syncmap::sync_map<key_type, value_type, syncmap::hash<key_type>, std::equal_to<key_type>,
                                          syncmap::storage::nodes>>(
        "sync_map_nodes", "syncmap::sync_map with storage::nodes forced: the same map, every entry in a heap node"));
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
    out.push_back({"go_map", "syncmap", "syncmap::go_map: single-threaded, Go's built-in map semantics; iterators survive mutation",
                   [] { return std::make_unique<go_map_adapter>(); }});
#endif
    return out;
}

}  // namespace syncmap::lab
