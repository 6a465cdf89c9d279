// syncmap/detail/node.hpp - the immutable entry node of sync_map, and its version chain.
#pragma once

#include <atomic>
#include <cstdint>
#include <new>
#include <utility>

namespace syncmap::detail {

// The part of an entry the type-erased leaf and directory code needs.
//
// A node's key, value and version never change after it is published into a slot: an
// update installs a new node and retires (or keeps, see below) the old one, so a lock-free
// reader may copy the key and value of any K and V without synchronising with writers
// beyond the acquire load of the slot.
//
// Versions (snapshots). `version` is the map's version clock when the node was written.
// While a snapshot is alive, a write does not drop the node it supersedes if the snapshot
// may still see it: the new node's `older` points to it, and an erase installs a
// tombstone (a node with no value) instead of emptying the slot. A snapshot taken at
// version S reads, from the slot's head, the first node of the chain with version <= S.
// Chains are strictly decreasing in version and at most one node longer than the number
// of live snapshots; writers cut the part no live snapshot can reach.
struct node_header {
    static constexpr std::uint64_t tombstone_bit = std::uint64_t{1} << 63;

    const std::uint64_t hash;  // seeded hash of the key; a traversal's position is a hash value
    std::uint64_t stamp = 0;   // version | tombstone_bit; set before publication, then immutable
    // The superseded node a live snapshot may still read, or nullptr. Written under the
    // leaf lock: before publication, and later only to cut an unreachable tail (to nullptr).
    std::atomic<node_header*> older{nullptr};

    explicit node_header(std::uint64_t h) noexcept : hash(h) {}

    std::uint64_t version() const noexcept { return stamp & ~tombstone_bit; }
    bool is_tombstone() const noexcept { return (stamp & tombstone_bit) != 0; }
    node_header* next_older() const noexcept { return older.load(std::memory_order_acquire); }

    // The node a snapshot at version `at` sees in this chain, or nullptr (key absent then).
    const node_header* visible_at(std::uint64_t at) const noexcept {
        const node_header* n = this;
        while (n != nullptr && n->version() > at) n = n->next_older();
        return (n == nullptr || n->is_tombstone()) ? nullptr : n;
    }
};

template <class K, class V>
struct node : node_header {
    const K key;
    union {
        const V value;  // absent in a tombstone
    };

    struct tombstone_tag {};

    template <class KArg, class VArg>
    node(std::uint64_t h, KArg&& k, VArg&& v)
        : node_header(h), key(std::forward<KArg>(k)), value(std::forward<VArg>(v)) {}

    template <class KArg>
    node(std::uint64_t h, KArg&& k, tombstone_tag) : node_header(h), key(std::forward<KArg>(k)) {
        stamp = tombstone_bit;
    }

    ~node() {
        if (!is_tombstone()) value.~V();
    }

    node(const node&) = delete;
    node& operator=(const node&) = delete;

    static void destroy(void* p) noexcept { delete static_cast<node*>(p); }

    // Frees a node and every node reachable through `older` (a cut-off tail, or the whole
    // chain of an unpublished slot).
    static void destroy_chain(void* p) noexcept {
        auto* n = static_cast<node_header*>(p);
        while (n != nullptr) {
            node_header* next = n->older.load(std::memory_order_relaxed);
            delete static_cast<node*>(n);
            n = next;
        }
    }
};

}  // namespace syncmap::detail
