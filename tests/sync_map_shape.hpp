// tests/sync_map_shape.hpp - what a sync_map's structure costs in bytes, computed from
// debug_structure() and the engine's own types, for tests that check memory figures
// exactly (retired_bytes_pending, bytes kept for snapshots) on both storages.
//   leaf_bytes      the leaves: header plus groups, as leaf::byte_size() counts them
//   entry_bytes     the nodes behind the slots (0 for inline entries)
//   tree_bytes      leaves, nodes and the directory: what clear() retires
#pragma once

#include <syncmap/sync_map.hpp>

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace syncmap_test {

template <class Map>
using slot_of = std::conditional_t<Map::inline_storage,
                                   syncmap::detail::inline_slot<typename Map::key_type, typename Map::mapped_type>,
                                   syncmap::detail::node_slot<typename Map::key_type, typename Map::mapped_type>>;
template <class Map>
using leaf_of = syncmap::detail::leaf<slot_of<Map>>;
template <class Map>
using node_of = syncmap::detail::node<typename Map::key_type, typename Map::mapped_type>;

// leaf::bytes_for(groups) is a header plus a cost per group, so the leaves together cost
// one header each plus the per-group cost of all their groups.
template <class Map>
std::int64_t leaf_bytes(const typename Map::structure_info& s) {
    using leaf = leaf_of<Map>;
    const std::size_t groups = s.slots / syncmap::detail::group_width;
    return static_cast<std::int64_t>(s.leaves * leaf::bytes_for(0) +
                                     (leaf::bytes_for(static_cast<std::uint32_t>(groups)) - leaf::bytes_for(0)));
}

template <class Map>
std::int64_t entry_bytes(std::size_t entries) {
    if constexpr (Map::inline_storage) {
        return 0;
    } else {
        return static_cast<std::int64_t>(entries * sizeof(node_of<Map>));
    }
}

template <class Map>
std::int64_t tree_bytes(const Map& m) {
    const auto s = m.debug_structure();
    return leaf_bytes<Map>(s) + entry_bytes<Map>(s.entries) +
           static_cast<std::int64_t>(syncmap::detail::directory<leaf_of<Map>>::bytes_for(s.global_depth));
}

}  // namespace syncmap_test
