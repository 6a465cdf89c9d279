// syncmap/stats.hpp - what a map and a traversal can tell about themselves.
//
// The C++ counterpart of checking the garbage collector's activity around an iteration in
// Go: whether a traversal raced with restructuring, and whether snapshots or slow
// readers are holding memory back.
#pragma once

#include "detail/config.hpp"

#include <cstddef>
#include <cstdint>

namespace syncmap {

// Counters of one map since its construction. Each field is read with a relaxed load:
// a consistent picture when the map is quiescent, a close one otherwise.
struct map_stats {
    std::uint64_t leaf_splits = 0;        // a full leaf became two
    std::uint64_t leaf_rebuilds = 0;      // a leaf full of deleted slots was rebuilt (or grown)
    std::uint64_t directory_growths = 0;  // the directory doubled
    std::uint64_t clears = 0;             // clear() calls
    std::size_t live_snapshots = 0;       // snapshots of this map alive now
    // Entries held in leaf copies preserved for live snapshots (sync_map copies a leaf the
    // first time it is written after a snapshot that reads it; docs/DESIGN.md).
    std::int64_t versions_retained = 0;
    // Bytes retired by every syncmap container in the process and not yet freed by the
    // RCU callback thread (superseded nodes, old leaves and directories).
    std::int64_t retired_bytes_pending = 0;
};

// What one traversal (range, or one scan call) did.
struct traversal_stats {
    std::uint64_t entries_yielded = 0;
    std::uint64_t leaves_visited = 0;
    // Structural changes of the map between the traversal's start and end: leaf splits,
    // rebuilds, directory growths and clears. Nonzero means the traversal raced with
    // restructuring (its guarantees hold regardless).
    std::uint64_t structural_changes = 0;
    std::size_t live_snapshots = 0;       // at the end of the traversal
    std::int64_t versions_retained = 0;   // at the end of the traversal
    std::int64_t retired_bytes_pending = 0;  // at the end of the traversal
};

}  // namespace syncmap
