// syncmap/detail/go_map_leaf.hpp - the leaf of go_map: a small Swiss table covering one
// interval of the hash space.
//
// Memory layout of one leaf (a single allocation):
//
//   +0     go_leaf header (64 bytes, one cache line)
//   ...    control words, one per group of 8 slots (detail/control_bytes.hpp), stored
//          downwards: group g's word sits just below the word of group g - 1
//   base   the slots, capacity of T = std::pair<const K, V> (base is aligned for T)
//
// so one pointer, `base`, addresses both: slot i at base + i * sizeof(T), control word g at
// base - 8 * (g + 1). The control bytes stay a dense array apart from the slots, as in
// Abseil and Boost: for a map of a million entries they take 1 MB and stay in cache, so a
// miss costs no memory access beyond them and a hit one (interleaving them with the slots,
// Go's layout, measured 3x slower misses at that size). Entries are stored inline: go_map
// is single-threaded, so nothing needs the stable addresses that sync_map's entry nodes
// provide. A slot holds a constructed T exactly when its control byte is full.
//
// Invariants of a live leaf (reachable from the directory):
//   - it covers the hashes whose top `local_depth` bits equal those of `prefix`;
//   - entries never move within it: erase marks the slot empty or deleted, and a rebuild
//     (growth, split, tombstone clean-up) builds fresh leaves and retires this one, so an
//     iterator scanning a live leaf slot by slot meets each entry at most once (G1);
//   - growth_left + used + (deleted slots) == max_load(capacity), so at least one slot
//     per probe sequence stays empty and every probe terminates.
// A retired leaf is frozen: the map never writes to it again. If an iterator still pins
// it, its full slots keep valid keys (copied, not moved, when the leaf was retired) so the
// iterator can finish scanning it in its old order and look each key up in the live map.
#pragma once

#include <syncmap/detail/control_bytes.hpp>

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>

#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#define SYNCMAP_GO_MAP_SSE2 1
#endif

namespace syncmap::detail {

// 128 groups: a probe start then uses hash bits 0..6 only, disjoint from h2 (bits 7..13)
// and from the directory index (top bits). A leaf grows past this only when a split would
// not separate its keys (a user hash that collides), see go_map::rebuild.
inline constexpr std::uint32_t go_leaf_max_slots = 1024;
inline constexpr std::uint32_t go_leaf_min_slots = group_width;
// The deepest split: 2^48 directory entries would not fit in memory anyway; past this a
// leaf only grows, which keeps a degenerate hash from doubling the directory forever.
inline constexpr unsigned go_max_depth = 48;

// Load limit 7/8, as Abseil, Boost.Unordered and Go use; for one group (8 slots) it is 7,
// so every probe sequence ends at an empty slot.
constexpr std::uint32_t go_leaf_max_load(std::uint32_t capacity) noexcept {
    return capacity - capacity / 8;
}

// Smallest leaf capacity (a power of two) that holds `entries` with room for one more.
// Stops at 2^31 slots rather than wrapping round to 0 and looping forever on a count no
// leaf can hold (a `used` counter torn by racing writers; go_map::rebuild rejects those).
constexpr std::uint32_t go_leaf_capacity_for(std::size_t entries) noexcept {
    std::uint32_t capacity = go_leaf_min_slots;
    while (capacity < (std::uint32_t{1} << 31) && go_leaf_max_load(capacity) <= entries) {
        capacity *= 2;
    }
    return capacity;
}

struct go_leaf;

// Where an entry of a retired leaf went when the leaf was rebuilt: its new leaf and slot.
// Kept only for keys that are not equal to themselves (NaN), which a pass following the
// retired leaf cannot look up (see go_leaf::forwards).
struct go_forward {
    go_leaf* leaf = nullptr;  // null: no entry to follow from this slot
    std::uint32_t slot = 0;
};

struct alignas(64) go_leaf {
    constexpr go_leaf(std::uint32_t capacity_, std::uint8_t depth, std::uint64_t prefix_, std::uint64_t born,
                      std::uint32_t growth) noexcept
        : refs(1),
          capacity(capacity_),
          used(0),
          growth_left(growth),
          prefix(prefix_),
          born_version(born),
          local_depth(depth),
          retired(false),
          forwards(nullptr) {}

    // 1 for the map while the leaf is live, plus 1 per iterator pinning it (a pass). The
    // leaf is freed when it drops to 0. Atomic because const iteration may run in several
    // threads at once (allowed, as for any const member): increments are relaxed (the
    // pinning thread already reaches the leaf), the decrement is acq_rel so that the
    // thread freeing the leaf sees every other user's accesses completed (as shared_ptr).
    std::atomic<std::uint32_t> refs;
    std::uint32_t capacity;     // slots, a power of two >= 8
    std::uint32_t used;         // full slots
    std::uint32_t growth_left;  // empty slots that may still be filled before a rebuild
    std::uint64_t prefix;       // first hash of the covered interval (low 64-depth bits zero)
    // The map's layout version when this leaf was built. An unpinned iterator made at
    // version v that finds its leaf pointer in the directory with born_version <= v knows
    // it is the same leaf, not a new one that reuses the address.
    std::uint64_t born_version;
    std::uint8_t local_depth;   // covers 2^(64 - local_depth) hashes
    bool retired;               // split or rebuilt; frozen from then on
    // Set when a pinned leaf holding keys not equal to themselves (NaN) is retired: one
    // go_forward per slot, naming the new slot of each such entry, with a reference held
    // on each leaf named, so that a pass following this leaf can still reach those
    // entries (a lookup cannot find them; Go's grownKeyElem has the same problem). A named
    // leaf rebuilt later is then pinned, so it records its own forwards: a chain, freed
    // with this leaf. Null otherwise (always, for keys that equal themselves).
    go_forward* forwards;

    std::uint32_t groups() const noexcept { return capacity / group_width; }
    // One past the last hash of the interval, modulo 2^64 (depth 0 covers everything and
    // wraps back to its own prefix).
    std::uint64_t interval_end() const noexcept {
        return local_depth == 0 ? prefix : prefix + (std::uint64_t{1} << (64 - local_depth));
    }
};
static_assert(sizeof(go_leaf) == 64, "the leaf header is one cache line; control bytes start on the next");

// The slots of a group whose control byte equals h2. go_map's words are plain memory (no
// atomics, unlike sync_map's), so on x86-64 one SSE2 byte compare of the 8-byte word does
// it: exact (no SWAR carry false positives) and one bit per slot, ready for countr_zero
// (measured: 5% faster hits, 14% faster misses than the SWAR match on 1K entries).
// Elsewhere, the SWAR match of control_bytes.hpp. Either result is iterated with
// lowest() / remove_lowest().
#if defined(SYNCMAP_GO_MAP_SSE2)
class go_lane_mask {
public:
    explicit go_lane_mask(unsigned bits) noexcept : bits_(bits) {}
    explicit operator bool() const noexcept { return bits_ != 0; }
    unsigned lowest() const noexcept { return static_cast<unsigned>(std::countr_zero(bits_)); }
    void remove_lowest() noexcept { bits_ &= bits_ - 1; }

private:
    unsigned bits_;
};

class go_h2_matcher {
public:
    // The broadcast by multiplication: one imul and a movq, where _mm_set1_epi8 takes
    // three shuffles without SSSE3. Only the low 8 lanes are ever compared.
    explicit go_h2_matcher(std::uint8_t h2) noexcept
        : h2_(_mm_cvtsi64_si128(static_cast<long long>(ctrl_lsbs * h2))) {}
    go_lane_mask operator()(std::uint64_t word) const noexcept {
        const __m128i w = _mm_cvtsi64_si128(static_cast<long long>(word));
        return go_lane_mask(static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(w, h2_))) & 0xFFu);
    }

private:
    __m128i h2_;
};
#else
class go_h2_matcher {
public:
    explicit go_h2_matcher(std::uint8_t h2) noexcept : h2_(h2) {}
    slot_mask operator()(std::uint64_t word) const noexcept { return match_h2(word, h2_); }

private:
    std::uint8_t h2_;
};
#endif

// Allocation, slot addressing and lifetime of leaves holding T.
template <class T>
struct go_leaf_ops {
    static constexpr std::size_t round_up(std::size_t n, std::size_t a) noexcept { return (n + a - 1) / a * a; }

    static constexpr std::size_t alignment = alignof(T) > alignof(go_leaf) ? alignof(T) : alignof(go_leaf);

    // Offset of `base` (slot 0): the header and one control byte per slot, rounded up for T.
    static constexpr std::size_t base_offset(std::uint32_t capacity) noexcept {
        return round_up(sizeof(go_leaf) + capacity, alignof(T));
    }
    static constexpr std::size_t bytes(std::uint32_t capacity) noexcept {
        return base_offset(capacity) + std::size_t{capacity} * sizeof(T);
    }

    static unsigned char* base(go_leaf* leaf) noexcept {
        return reinterpret_cast<unsigned char*>(leaf) + base_offset(leaf->capacity);
    }
    static const unsigned char* base(const go_leaf* leaf) noexcept {
        return reinterpret_cast<const unsigned char*>(leaf) + base_offset(leaf->capacity);
    }
    static std::uint64_t& ctrl(unsigned char* base, std::size_t group) noexcept {
        return reinterpret_cast<std::uint64_t*>(base)[-static_cast<std::ptrdiff_t>(group) - 1];
    }
    static std::uint64_t ctrl(const unsigned char* base, std::size_t group) noexcept {
        return reinterpret_cast<const std::uint64_t*>(base)[-static_cast<std::ptrdiff_t>(group) - 1];
    }
    // The header of the leaf whose base is `base` and whose group mask is `group_mask`.
    static go_leaf* leaf_of(unsigned char* base, std::uint64_t group_mask) noexcept {
        const auto capacity = static_cast<std::uint32_t>((group_mask + 1) * group_width);
        return reinterpret_cast<go_leaf*>(base - base_offset(capacity));
    }
    static T* slot(unsigned char* base, std::size_t index) noexcept { return reinterpret_cast<T*>(base) + index; }
    static const T* slot(const unsigned char* base, std::size_t index) noexcept {
        return reinterpret_cast<const T*>(base) + index;
    }
    // The slot index of an entry of this leaf.
    static std::uint32_t index_of(const unsigned char* base, const T* entry) noexcept {
        return static_cast<std::uint32_t>(entry - reinterpret_cast<const T*>(base));
    }

    // The leaf of a map that has never held an entry: one control word of empty bytes and
    // no room (growth_left 0), so a lookup misses at once and the first insertion
    // allocates. Laid out like a real 8-slot leaf up to its base (no slot is ever
    // addressed), so the directory can locate its header from base and group mask as for
    // any leaf. Shared by every map of this value type, never written, never pinned
    // (begin() of an empty map is end()).
    struct sentinel_storage {
        static constexpr std::size_t words = (base_offset(go_leaf_min_slots) - sizeof(go_leaf)) / sizeof(std::uint64_t);
        constexpr sentinel_storage() : header(go_leaf_min_slots, 0, 0, 0, 0) {
            for (std::uint64_t& w : ctrl) {
                w = ctrl_all_empty;  // the last word is group 0's; any before it are padding
            }
        }
        alignas(alignment) go_leaf header;
        std::uint64_t ctrl[words];
    };
    static constinit inline sentinel_storage sentinel_leaf{};

    static go_leaf* sentinel() noexcept { return &sentinel_leaf.header; }
    static unsigned char* sentinel_base() noexcept {
        return reinterpret_cast<unsigned char*>(sentinel_leaf.ctrl + sentinel_storage::words);
    }

    static go_leaf* allocate(std::uint32_t capacity, unsigned depth, std::uint64_t prefix, std::uint64_t born) {
        void* p = ::operator new(bytes(capacity), std::align_val_t{alignment});
        auto* leaf = ::new (p) go_leaf(capacity, static_cast<std::uint8_t>(depth), prefix, born,
                                       go_leaf_max_load(capacity));
        unsigned char* b = base(leaf);
        for (std::uint32_t i = 0, n = leaf->groups(); i < n; ++i) {
            ::new (&ctrl(b, i)) std::uint64_t(ctrl_all_empty);
        }
        return leaf;
    }

    // Calls f(slot_index) for every full slot, in slot order.
    template <class F>
    static void for_each_full(const go_leaf* leaf, F&& f) {
        const unsigned char* b = base(leaf);
        for (std::uint32_t i = 0, n = leaf->groups(); i < n; ++i) {
            for (slot_mask m = match_full(ctrl(b, i)); m; m.remove_lowest()) {
                f(i * group_width + m.lowest());
            }
        }
    }

    static void destroy_entries(go_leaf* leaf) noexcept {
        if constexpr (!std::is_trivially_destructible_v<T>) {
            unsigned char* b = base(leaf);
            for_each_full(leaf, [b](std::uint32_t i) { std::destroy_at(slot(b, i)); });
        }
    }

    // Destroys the entries and marks every slot empty, keeping the allocation.
    static void reset(go_leaf* leaf) noexcept {
        destroy_entries(leaf);
        unsigned char* b = base(leaf);
        for (std::uint32_t i = 0, n = leaf->groups(); i < n; ++i) {
            ctrl(b, i) = ctrl_all_empty;
        }
        leaf->used = 0;
        leaf->growth_left = go_leaf_max_load(leaf->capacity);
    }

    static void deallocate(go_leaf* leaf) noexcept {
#if defined(__cpp_sized_deallocation)
        const std::size_t n = bytes(leaf->capacity);
        leaf->~go_leaf();
        ::operator delete(static_cast<void*>(leaf), n, std::align_val_t{alignment});
#else
        leaf->~go_leaf();  // clang enables sized deallocation only with -fsized-deallocation
        ::operator delete(static_cast<void*>(leaf), std::align_val_t{alignment});
#endif
    }

    static void pin(go_leaf* leaf) noexcept { leaf->refs.fetch_add(1, std::memory_order_relaxed); }

    static bool pinned(const go_leaf* leaf) noexcept {
        // Only the map's thread retires leaves, and no iterator may run concurrently with a
        // write (G3), so relaxed suffices: every pin/unpin already happened before.
        return leaf->refs.load(std::memory_order_relaxed) > 1;
    }

    // Drops one reference; the last one destroys whatever the full slots still hold (key
    // copies and moved-from values of a retired leaf) and frees the memory.
    static void release(go_leaf* leaf) noexcept {
        if (leaf->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            destroy_entries(leaf);
            if (go_forward* fw = leaf->forwards) {
                leaf->forwards = nullptr;
                for (std::uint32_t i = 0; i < leaf->capacity; ++i) {
                    if (fw[i].leaf != nullptr) {
                        release(fw[i].leaf);
                    }
                }
                delete[] fw;
            }
            deallocate(leaf);
        }
    }
};

}  // namespace syncmap::detail
