// syncmap/detail/node.hpp - the immutable entry node of sync_map's node storage.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

namespace syncmap::detail {

// One entry of a sync_map whose K or V cannot live in a slot (storage::nodes): a heap
// object behind an atomic pointer in its slot.
//
// `hash`, `key` and `value` never change after the node is published into a slot: an
// update installs a new node, so a lock-free reader may copy the key and value of any K
// and V without synchronising with writers beyond the acquire load of the slot.
//
// `link_` counts the structures whose slots hold the node: the live leaf, and every copy of
// a leaf preserved for snapshots (leaf.hpp). Whoever drops the count to zero frees the node
// through RCU, a grace period after the last of those structures stopped offering it to
// new readers. Readers never touch it. Once the count is zero the field is free, and
// chains the node into a list of garbage (no allocation is needed to retire it).
template <class K, class V>
struct node {
    const std::uint64_t hash;  // seeded hash of the key; a traversal's position is a hash value
    std::atomic<std::uintptr_t> link_{1};
    const K key;
    const V value;

    template <class KArg, class VArg>
    node(std::uint64_t h, KArg&& k, VArg&& v) : hash(h), key(std::forward<KArg>(k)), value(std::forward<VArg>(v)) {}

    // Constructs the value from `args` in place (try_emplace).
    template <class KArg, class... Args>
    node(std::uint64_t h, std::in_place_t, KArg&& k, Args&&... args)
        : hash(h), key(std::forward<KArg>(k)), value(std::forward<Args>(args)...) {}

    node(const node&) = delete;
    node& operator=(const node&) = delete;

    static void destroy(void* p) noexcept { delete static_cast<node*>(p); }

    // Adds a holder (under the lock of a leaf that already holds the node).
    void acquire_ref() noexcept { link_.fetch_add(1, std::memory_order_relaxed); }

    // Drops a holder; true if it was the last (the caller then retires the node).
    // acq_rel: the last holder's view of the node happens before its destruction.
    bool release_ref() noexcept { return link_.fetch_sub(1, std::memory_order_acq_rel) == 1; }

    // After the last release_ref: the next node of a garbage list (owned by the releaser).
    void link_garbage(node* next) noexcept {
        link_.store(reinterpret_cast<std::uintptr_t>(next), std::memory_order_relaxed);
    }
    node* next_garbage() const noexcept { return reinterpret_cast<node*>(link_.load(std::memory_order_relaxed)); }
};

}  // namespace syncmap::detail
