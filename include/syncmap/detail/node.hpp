// syncmap/detail/node.hpp - the immutable entry node of sync_map.
#pragma once

#include <cstdint>
#include <utility>

namespace syncmap::detail {

// The part of an entry the type-erased leaf and directory code needs.
//
// A node never changes after it is published into a slot: an update installs a new node
// and retires the old one, so a lock-free reader may copy the key and value of any K and
// V without synchronising with writers beyond the acquire load of the slot.
struct node_header {
    std::uint64_t hash;  // seeded hash of the key; a traversal's position is a hash value
    // Reserved for snapshots: the version-clock value at which this node was written, and
    // the node it superseded while a snapshot still needs it. Always 0 / nullptr today.
    std::uint64_t version = 0;
    node_header* older = nullptr;

    explicit node_header(std::uint64_t h) noexcept : hash(h) {}
};

template <class K, class V>
struct node : node_header {
    const K key;
    const V value;

    template <class KArg, class VArg>
    node(std::uint64_t h, KArg&& k, VArg&& v)
        : node_header(h), key(std::forward<KArg>(k)), value(std::forward<VArg>(v)) {}

    static void destroy(void* p) noexcept { delete static_cast<node*>(p); }
};

}  // namespace syncmap::detail
