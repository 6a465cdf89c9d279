// Deliberately broken maps for the lab's checker self-tests. Each wraps the correct
// reference (std::unordered_map + std::shared_mutex) and breaks exactly one promise.
#pragma once

#include <map>
#include <mutex>
#include <vector>

#include "../peers/shared_mutex_map.hpp"

namespace syncmap::lab::broken {

// Forwards everything to the reference; subclasses override what they break.
class wrapper : public map_adapter {
public:
    [[nodiscard]] capabilities caps() const override { return inner_.caps(); }
    [[nodiscard]] promise promises(clause c) const override { return inner_.promises(c); }
    std::optional<value_type> load(key_type k) override { return inner_.load(k); }
    void store(key_type k, value_type v) override { inner_.store(k, v); }
    std::pair<value_type, bool> load_or_store(key_type k, value_type v) override { return inner_.load_or_store(k, v); }
    std::optional<value_type> load_and_delete(key_type k) override { return inner_.load_and_delete(k); }
    bool erase(key_type k) override { return inner_.erase(k); }
    std::optional<value_type> exchange(key_type k, value_type v) override { return inner_.exchange(k, v); }
    bool compare_and_swap(key_type k, value_type e, value_type d) override { return inner_.compare_and_swap(k, e, d); }
    bool compare_and_delete(key_type k, value_type e) override { return inner_.compare_and_delete(k, e); }
    void range(range_callback f) override { inner_.range(f); }

protected:
    std::vector<std::pair<key_type, value_type>> items() {
        std::vector<std::pair<key_type, value_type>> out;
        inner_.range([&](key_type k, value_type v) {
            out.emplace_back(k, v);
            return true;
        });
        return out;
    }
    peers::shared_mutex_map inner_;
};

// range() silently skips the smallest key it meets (W1).
class drops_key_in_range : public wrapper {
public:
    [[nodiscard]] std::string name() const override { return "drops_key_in_range"; }
    void range(range_callback f) override {
        auto all = items();
        if (all.empty()) return;
        auto smallest = std::min_element(all.begin(), all.end());
        all.erase(smallest);
        for (auto [k, v] : all)
            if (!f(k, v)) return;
    }
};

// range() yields its first key a second time at the end (W2).
class yields_key_twice : public wrapper {
public:
    [[nodiscard]] std::string name() const override { return "yields_key_twice"; }
    void range(range_callback f) override {
        auto all = items();
        for (auto [k, v] : all)
            if (!f(k, v)) return;
        if (!all.empty()) f(all.front().first, all.front().second);
    }
};

// range() also yields the most recently erased entry that is not in the map (W3).
class yields_erased_key : public wrapper {
public:
    [[nodiscard]] std::string name() const override { return "yields_erased_key"; }
    std::optional<value_type> load_and_delete(key_type k) override {
        auto v = inner_.load_and_delete(k);
        if (v) remember(k, *v);
        return v;
    }
    bool erase(key_type k) override { return load_and_delete(k).has_value(); }
    bool compare_and_delete(key_type k, value_type e) override {
        if (!inner_.compare_and_delete(k, e)) return false;
        remember(k, e);
        return true;
    }
    void range(range_callback f) override {
        auto all = items();
        for (auto [k, v] : all)
            if (!f(k, v)) return;
        std::lock_guard lock(mutex_);
        for (auto it = graveyard_.rbegin(); it != graveyard_.rend(); ++it) {
            const bool present = std::any_of(all.begin(), all.end(), [&](auto& kv) { return kv.first == it->first; });
            if (!present) {
                f(it->first, it->second);
                return;
            }
        }
    }

private:
    void remember(key_type k, value_type v) {
        std::lock_guard lock(mutex_);
        graveyard_.emplace_back(k, v);
        if (graveyard_.size() > 64) graveyard_.erase(graveyard_.begin());
    }
    std::mutex mutex_;
    std::vector<std::pair<key_type, value_type>> graveyard_;
};

// range() yields, for keys overwritten at least once, the value before the last overwrite (W4).
class yields_old_value : public wrapper {
public:
    [[nodiscard]] std::string name() const override { return "yields_old_value"; }
    void store(key_type k, value_type v) override {
        std::lock_guard lock(mutex_);
        if (auto old = inner_.load(k)) previous_[k] = *old;
        inner_.store(k, v);
    }
    void range(range_callback f) override {
        auto all = items();
        std::lock_guard lock(mutex_);
        for (auto [k, v] : all) {
            auto it = previous_.find(k);
            if (!f(k, it != previous_.end() ? it->second : v)) return;
        }
    }

private:
    std::mutex mutex_;
    std::map<key_type, value_type> previous_;
};

// load() returns the value before the last overwrite, when there was one (L1).
class load_returns_old_value : public wrapper {
public:
    [[nodiscard]] std::string name() const override { return "load_returns_old_value"; }
    void store(key_type k, value_type v) override {
        std::lock_guard lock(mutex_);
        if (auto old = inner_.load(k)) previous_[k] = *old;
        inner_.store(k, v);
    }
    std::optional<value_type> load(key_type k) override {
        std::lock_guard lock(mutex_);
        auto current = inner_.load(k);
        auto it = previous_.find(k);
        if (current && it != previous_.end()) return it->second;
        return current;
    }

private:
    std::mutex mutex_;
    std::map<key_type, value_type> previous_;
};

}  // namespace syncmap::lab::broken
