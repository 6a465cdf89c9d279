// syncmap/detail/go_api.hpp - Go sync.Map's member set, written once for every container
// that offers it (sync_map, cow_map, read_dirty_map) and the read half for their snapshots.
//
// Each member exists for a `const K&` key and, when the container's hash and equality
// accept Q transparently (a std::string_view or const char* for a std::string key, with
// the defaults), for any such Q: lookups never build a K, writes build one only for an
// entry they store. A container derives from go_lookup_api (reads) or go_api (reads and
// writes), befriends it, and supplies each operation once, as a template over the key
// argument:
//
//   load_impl(q)                     -> std::optional<V>
//   visit_impl(q, f&)                -> bool            (f(const V&); contains passes a no-op)
//   store_impl(k, v)                 -> void            (k and v forwarded: K&&/V&& are moved)
//   exchange_impl(q, v)              -> std::optional<V>
//   load_or_store_impl(q, v)         -> std::pair<V, bool>
//   load_and_delete_impl(q)          -> std::optional<V>
//   erase_impl(q)                    -> bool
//   compare_and_swap_impl(q, e, d)   -> bool            (only called when V is equality-comparable)
//   compare_and_delete_impl(q, e)    -> bool            (likewise)
//
// The meaning of each member is Go's, stated below; what each costs on a given container
// (locks, progress, complexity) is in that container's public header, with its contract
// clauses in docs/GUARANTEES.md. The forwarding adds no copy or move: every result is a
// prvalue returned from the container's own function (guaranteed elision).
#pragma once

#include <syncmap/hash.hpp>

#include <concepts>
#include <optional>
#include <utility>

namespace syncmap::detail {

template <class Derived, class K, class V, class Hash, class KeyEqual>
class go_lookup_api {
    template <class Q>
    static constexpr bool heterogeneous = heterogeneous_key<Q, K, Hash, KeyEqual>;

    const Derived& self() const noexcept { return static_cast<const Derived&>(*this); }

public:
    // Go Load: the key's value, or nullopt.
    std::optional<V> load(const K& key) const { return self().load_impl(key); }
    template <class Q>
        requires heterogeneous<Q>
    std::optional<V> load(const Q& key) const {
        return self().load_impl(key);
    }

    // Whether the key is present.
    bool contains(const K& key) const { return visit_nothing(key); }
    template <class Q>
        requires heterogeneous<Q>
    bool contains(const Q& key) const {
        return visit_nothing(key);
    }

    // Calls f(const V&) on the key's value without copying it out of the call; returns
    // whether the key was present. The reference is valid only during f.
    template <class F>
    bool visit(const K& key, F&& f) const {
        return self().visit_impl(key, f);
    }
    template <class Q, class F>
        requires heterogeneous<Q>
    bool visit(const Q& key, F&& f) const {
        return self().visit_impl(key, f);
    }

protected:
    go_lookup_api() = default;

private:
    template <class Q>
    bool visit_nothing(const Q& key) const {
        auto nothing = [](const V&) noexcept {};
        return self().visit_impl(key, nothing);
    }
};

template <class Derived, class K, class V, class Hash, class KeyEqual>
class go_api : public go_lookup_api<Derived, K, V, Hash, KeyEqual> {
    template <class Q>
    static constexpr bool heterogeneous = heterogeneous_key<Q, K, Hash, KeyEqual>;

    Derived& self() noexcept { return static_cast<Derived&>(*this); }

public:
    // Go Store: inserts the key or replaces its value.
    void store(const K& key, const V& value) { self().store_impl(key, value); }
    void store(K&& key, V&& value) { self().store_impl(std::move(key), std::move(value)); }
    void store(const K& key, V&& value) { self().store_impl(key, std::move(value)); }
    void store(K&& key, const V& value) { self().store_impl(std::move(key), value); }
    template <class Q>
        requires heterogeneous<Q>
    void store(const Q& key, const V& value) {
        self().store_impl(key, value);
    }
    template <class Q>
        requires heterogeneous<Q>
    void store(const Q& key, V&& value) {
        self().store_impl(key, std::move(value));
    }

    // Go Swap: stores value and returns the previous one (nullopt if the key was absent).
    std::optional<V> exchange(const K& key, const V& value) { return self().exchange_impl(key, value); }
    template <class Q>
        requires heterogeneous<Q>
    std::optional<V> exchange(const Q& key, const V& value) {
        return self().exchange_impl(key, value);
    }

    // Go LoadOrStore: (the value now held, whether it was already there): stores value
    // only if the key is absent.
    std::pair<V, bool> load_or_store(const K& key, const V& value) { return self().load_or_store_impl(key, value); }
    template <class Q>
        requires heterogeneous<Q>
    std::pair<V, bool> load_or_store(const Q& key, const V& value) {
        return self().load_or_store_impl(key, value);
    }

    // Go LoadAndDelete: removes the key; returns the value it had, or nullopt.
    std::optional<V> load_and_delete(const K& key) { return self().load_and_delete_impl(key); }
    template <class Q>
        requires heterogeneous<Q>
    std::optional<V> load_and_delete(const Q& key) {
        return self().load_and_delete_impl(key);
    }

    // Go Delete: removes the key; true if it was present.
    bool erase(const K& key) { return self().erase_impl(key); }
    template <class Q>
        requires heterogeneous<Q>
    bool erase(const Q& key) {
        return self().erase_impl(key);
    }

    // Go CompareAndSwap: replaces the value with `desired` if it equals `expected`.
    bool compare_and_swap(const K& key, const V& expected, const V& desired)
        requires std::equality_comparable<V>
    {
        return self().compare_and_swap_impl(key, expected, desired);
    }
    template <class Q>
        requires heterogeneous<Q> && std::equality_comparable<V>
    bool compare_and_swap(const Q& key, const V& expected, const V& desired) {
        return self().compare_and_swap_impl(key, expected, desired);
    }

    // Go CompareAndDelete: removes the key if its value equals `expected`.
    bool compare_and_delete(const K& key, const V& expected)
        requires std::equality_comparable<V>
    {
        return self().compare_and_delete_impl(key, expected);
    }
    template <class Q>
        requires heterogeneous<Q> && std::equality_comparable<V>
    bool compare_and_delete(const Q& key, const V& expected) {
        return self().compare_and_delete_impl(key, expected);
    }

protected:
    go_api() = default;
};

}  // namespace syncmap::detail
