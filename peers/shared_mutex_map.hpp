// peers/shared_mutex_map.hpp - std::unordered_map behind one std::shared_mutex: the
// textbook concurrent map, and the lab's reference model. Every operation holds the lock,
// so it is linearizable; range holds the shared lock for the whole traversal, so it sees
// one consistent state (W1-W4 hold trivially) and every writer waits until it ends.
// basic_shared_mutex_map<Table> is the same over another table (the checker self-tests'
// ordered reference uses std::map).
#pragma once

#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <utility>

#include "../lab/core/adapter.hpp"

namespace syncmap::lab::peers {

template <class Table>
class basic_shared_mutex_map : public map_adapter {
public:
    [[nodiscard]] std::string name() const override { return "std_shared_mutex"; }
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
            case clause::L1:
            case clause::W1:
            case clause::W2:
            case clause::W3:
            case clause::W4: return promise::promised;  // by its lock
            default: return promise::not_supported;
        }
    }

    std::optional<value_type> load(key_type k) override {
        std::shared_lock lock(mutex_);
        auto it = map_.find(k);
        if (it == map_.end()) return std::nullopt;
        return it->second;
    }
    void store(key_type k, value_type v) override {
        std::unique_lock lock(mutex_);
        map_[k] = v;
    }
    std::pair<value_type, bool> load_or_store(key_type k, value_type v) override {
        std::unique_lock lock(mutex_);
        auto [it, inserted] = map_.try_emplace(k, v);
        return {it->second, !inserted};
    }
    std::optional<value_type> load_and_delete(key_type k) override {
        std::unique_lock lock(mutex_);
        auto it = map_.find(k);
        if (it == map_.end()) return std::nullopt;
        const value_type v = it->second;
        map_.erase(it);
        return v;
    }
    bool erase(key_type k) override {
        std::unique_lock lock(mutex_);
        return map_.erase(k) != 0;
    }
    std::optional<value_type> exchange(key_type k, value_type v) override {
        std::unique_lock lock(mutex_);
        auto [it, inserted] = map_.try_emplace(k, v);
        if (inserted) return std::nullopt;
        return std::exchange(it->second, v);
    }
    bool compare_and_swap(key_type k, value_type expected, value_type desired) override {
        std::unique_lock lock(mutex_);
        auto it = map_.find(k);
        if (it == map_.end() || it->second != expected) return false;
        it->second = desired;
        return true;
    }
    bool compare_and_delete(key_type k, value_type expected) override {
        std::unique_lock lock(mutex_);
        auto it = map_.find(k);
        if (it == map_.end() || it->second != expected) return false;
        map_.erase(it);
        return true;
    }
    void range(range_callback f) override {
        std::shared_lock lock(mutex_);
        for (const auto& [k, v] : map_)
            if (!f(k, v)) return;
    }

protected:
    std::shared_mutex mutex_;
    Table map_;
};

using shared_mutex_map = basic_shared_mutex_map<std::unordered_map<key_type, value_type>>;

}  // namespace syncmap::lab::peers
