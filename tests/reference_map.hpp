// tests/reference_map.hpp - the trivially correct model every syncmap container is checked
// against: one std::mutex around one std::unordered_map, with the API of sync_map.
//
// Semantics are Go's sync.Map (and Go's own src/sync/map_reference_test.go): load_or_store
// returns (actual, loaded), exchange returns the previous value, compare_and_swap and
// compare_and_delete fail on a missing key, erase reports whether the key was there.
//
// range follows Go's RWMutexMap.Range: it copies the key set under the lock, then loads each
// key again without holding the lock while the callback runs. That makes it weakly
// consistent (W1-W4) and lets the callback call any member of the same map (W5), so the
// typed suite can run against the model itself as a check of the suite.
#pragma once

#include <concepts>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace syncmap_test {

template <class K, class V, class Hash = std::hash<K>, class KeyEqual = std::equal_to<K>>
class reference_map {
public:
    using key_type = K;
    using mapped_type = V;
    using hasher = Hash;
    using key_equal = KeyEqual;

    reference_map() = default;
    reference_map(const reference_map&) = delete;
    reference_map& operator=(const reference_map&) = delete;

    std::optional<V> load(const K& key) const {
        std::lock_guard lock(mutex_);
        auto it = map_.find(key);
        if (it == map_.end()) return std::nullopt;
        return it->second;
    }

    bool contains(const K& key) const {
        std::lock_guard lock(mutex_);
        return map_.find(key) != map_.end();
    }

    // The value is copied out so that f runs without the lock (and may call back in).
    template <class F>
    bool visit(const K& key, F&& f) const {
        std::optional<V> value = load(key);
        if (!value) return false;
        std::invoke(f, std::as_const(*value));
        return true;
    }

    template <class KK, class VV>
        requires std::constructible_from<K, KK&&> && std::constructible_from<V, VV&&>
    void store(KK&& key, VV&& value) {
        std::lock_guard lock(mutex_);
        map_.insert_or_assign(K(std::forward<KK>(key)), V(std::forward<VV>(value)));
    }

    std::pair<V, bool> load_or_store(const K& key, const V& value) {
        std::lock_guard lock(mutex_);
        auto [it, inserted] = map_.try_emplace(key, value);
        return {it->second, !inserted};
    }

    std::optional<V> load_and_delete(const K& key) {
        std::lock_guard lock(mutex_);
        auto it = map_.find(key);
        if (it == map_.end()) return std::nullopt;
        std::optional<V> previous(std::move(it->second));
        map_.erase(it);
        return previous;
    }

    bool erase(const K& key) {
        std::lock_guard lock(mutex_);
        return map_.erase(key) != 0;
    }

    std::optional<V> exchange(const K& key, const V& value) {
        std::lock_guard lock(mutex_);
        auto it = map_.find(key);
        if (it == map_.end()) {
            map_.emplace(key, value);
            return std::nullopt;
        }
        std::optional<V> previous(std::exchange(it->second, value));
        return previous;
    }

    bool compare_and_swap(const K& key, const V& expected, const V& desired) {
        std::lock_guard lock(mutex_);
        auto it = map_.find(key);
        if (it == map_.end() || !(it->second == expected)) return false;
        it->second = desired;
        return true;
    }

    bool compare_and_delete(const K& key, const V& expected) {
        std::lock_guard lock(mutex_);
        auto it = map_.find(key);
        if (it == map_.end() || !(it->second == expected)) return false;
        map_.erase(it);
        return true;
    }

    // f(const K&, const V&) returning bool (false stops) or void.
    template <class F>
    void range(F&& f) const {
        std::vector<K> keys;
        {
            std::lock_guard lock(mutex_);
            keys.reserve(map_.size());
            for (const auto& entry : map_) keys.push_back(entry.first);
        }
        for (const K& key : keys) {
            std::optional<V> value = load(key);
            if (!value) continue;
            if constexpr (std::is_void_v<std::invoke_result_t<F&, const K&, const V&>>) {
                std::invoke(f, key, std::as_const(*value));
            } else {
                if (!static_cast<bool>(std::invoke(f, key, std::as_const(*value)))) return;
            }
        }
    }

    void clear() {
        std::lock_guard lock(mutex_);
        map_.clear();
    }

    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return map_.size();
    }

    bool empty() const { return size() == 0; }

    // Not part of the shared API: the whole contents, for comparisons in tests.
    std::unordered_map<K, V, Hash, KeyEqual> contents() const {
        std::lock_guard lock(mutex_);
        return map_;
    }

private:
    mutable std::mutex mutex_;
    std::unordered_map<K, V, Hash, KeyEqual> map_;
};

}  // namespace syncmap_test
