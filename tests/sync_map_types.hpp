// tests/sync_map_types.hpp - sync_map instantiations the sync_map tests share.
#pragma once

#include <syncmap/sync_map.hpp>

#include <cstdint>

namespace syncmap_test {

// uint64 -> uint64 with every entry in a heap node (storage::nodes forced): the same keys
// and values as the default, inline, sync_map<uint64, uint64>, through the other storage.
using u64_nodes_map = syncmap::sync_map<std::uint64_t, std::uint64_t, syncmap::hash<std::uint64_t>,
                                        syncmap::equal_to<std::uint64_t>, syncmap::storage::nodes>;

}  // namespace syncmap_test
