// syncmap/detail/entry_slot.hpp - what one slot of a sync_map leaf holds: an entry stored
// inline, or a pointer to a node.
//
// Both kinds keep one rule that lets readers work without locks: a reader that found a
// full control byte for a slot (acquire) reads a key that was written before that byte
// was published, and a value that the key really held at some instant since.
//
//   inline_slot  {key, value word}. The key is written once, before the control byte
//                publishes it, and never changes while the leaf is live: an erased slot
//                keeps its key and is never reused until the leaf is rebuilt (so a reader
//                that matched the key can never read another key's value, whatever
//                happens to the slot meanwhile: no ABA). The value is one atomic word,
//                replaced in place with one release store and read with one acquire load.
//   node_slot    an atomic pointer to an immutable node (node.hpp). An erase empties the
//                pointer and marks the byte deleted; an insert may reuse a deleted slot,
//                so a reader checks the node's hash and key after loading it.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>

#include "node.hpp"
#include "schedule_point.hpp"

namespace syncmap::detail {

// The unsigned integer type whose size is the smallest of 1, 2, 4, 8 bytes that holds n bytes.
template <std::size_t N>
using word_for = std::conditional_t<
    N <= 1, std::uint8_t,
    std::conditional_t<N <= 2, std::uint16_t, std::conditional_t<N <= 4, std::uint32_t, std::uint64_t>>>;

template <class K, class V>
struct inline_slot {
    using word = word_for<sizeof(V)>;
    static_assert(std::atomic<word>::is_always_lock_free, "an inline value must fit one lock-free atomic word");
    static constexpr bool reuse_deleted = false;

    union {
        K key;  // constructed by fill(), before the control byte publishes the slot
    };
    std::atomic<word> value;

    inline_slot() noexcept {}

    static word to_word(const V& v) noexcept {
        word w = 0;
        std::memcpy(&w, &v, sizeof(V));
        return w;
    }
    static V from_word(word w) noexcept {
        // V is trivially copyable, not necessarily default constructible.
        union holder {
            V v;
            holder() noexcept {}
        } h;
        std::memcpy(&h.v, &w, sizeof(V));
        return h.v;
    }

    // Writer, before publication (the slot is empty and unpublished).
    void fill(const K& k, const V& v) noexcept {
        std::construct_at(&key, k);
        SYNCMAP_SCHEDULE_POINT();
        value.store(to_word(v), std::memory_order_relaxed);  // published by the control byte
        SYNCMAP_SCHEDULE_POINT();
    }
    // Writer, under the leaf lock: replaces the value of a published slot.
    // release: a reader that loads the new word sees nothing older than this write.
    void replace_value(const V& v) noexcept {
        SYNCMAP_SCHEDULE_POINT();
        value.store(to_word(v), std::memory_order_release);
        SYNCMAP_SCHEDULE_POINT();
    }
    // Reader: the current value. acquire pairs with replace_value.
    V load_value() const noexcept {
        SYNCMAP_SCHEDULE_POINT();
        return from_word(value.load(std::memory_order_acquire));
    }
    // Copies a published slot into an unpublished one (rebuilds, preserved copies).
    void copy_from(const inline_slot& other) noexcept {
        std::construct_at(&key, other.key);
        value.store(other.value.load(std::memory_order_relaxed), std::memory_order_relaxed);
    }
};

template <class K, class V>
struct node_slot {
    using node_type = node<K, V>;
    static constexpr bool reuse_deleted = true;

    std::atomic<node_type*> ptr{nullptr};

    // acquire: pairs with the release store that published the node, so its contents are
    // visible.
    node_type* load() const noexcept {
        SYNCMAP_SCHEDULE_POINT();
        return ptr.load(std::memory_order_acquire);
    }
    // Writer: publishes a node (release: its contents are visible to whoever loads it).
    void publish(node_type* n) noexcept {
        SYNCMAP_SCHEDULE_POINT();
        ptr.store(n, std::memory_order_release);
        SYNCMAP_SCHEDULE_POINT();
    }
    // Copies a published slot into an unpublished one (rebuilds, preserved copies).
    void copy_from(const node_slot& other) noexcept {
        ptr.store(other.ptr.load(std::memory_order_relaxed), std::memory_order_relaxed);
    }
};

}  // namespace syncmap::detail
