// syncmap/storage.hpp - how sync_map stores its entries, chosen from the types at compile
// time unless the user forces one.
//
//   storage::automatic  (default) inline_entries when storage::inlinable<K, V>, else nodes
//   storage::inline_entries  keys and values live in the leaf's slots: the key written
//                       once before its control byte publishes it, the value one atomic
//                       word updated in place. Requires storage::inlinable<K, V>.
//   storage::nodes      every entry is an immutable heap node behind its slot: any K and V.
//
// docs/DESIGN.md ("Entries: inline or in nodes") says how each keeps clauses L1-L4 and
// S1-S4, and what each costs.
#pragma once

#include "detail/config.hpp"

#include <cstddef>
#include <type_traits>

namespace syncmap::storage {

struct automatic {};
struct inline_entries {};
struct nodes {};

// Inline storage needs a key that can be copied bytewise (it is copied out of a slot that
// may be freed after a grace period, and into rebuilt leaves) and a value that fits one
// lock-free atomic word (it is replaced in place with one store, and read with one load).
template <class K, class V>
inline constexpr bool inlinable = std::is_trivially_copyable_v<K> && std::is_trivially_copyable_v<V> &&
                                  sizeof(K) <= 16 && sizeof(V) <= 8 && sizeof(K) + sizeof(V) <= 16 &&
                                  alignof(K) <= 8 && alignof(V) <= 8;

template <class Storage, class K, class V>
inline constexpr bool uses_inline_entries =
    std::is_same_v<Storage, inline_entries> || (std::is_same_v<Storage, automatic> && inlinable<K, V>);

}  // namespace syncmap::storage
