// syncmap/detail/directory.hpp - the extendible-hashing directory of sync_map.
//
// An array of 2^global_depth leaf pointers indexed by the top global_depth bits of a
// key's hash, so directory order is hash order. A leaf of depth d occupies the
// 2^(global_depth - d) consecutive entries that share its d-bit prefix.
//
// Entries are atomics: a split rewrites the entries of one leaf in place while readers
// index the same directory. An entry is the leaf's address with log2 of its group count
// in the low bits (leaves are 64-byte aligned), so a lookup finds the leaf's control words
// and slots without loading its header (leaf.hpp, "Layout"). The directory itself is replaced (copy, publish, retire) only
// when it doubles or when the map is cleared; all such changes happen under the map's
// structure mutex, and a directory that has been replaced is never written again.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <new>

#include "schedule_point.hpp"


namespace syncmap::detail {

template <class leaf>
class alignas(std::atomic<std::uintptr_t>) directory {
    using entry = std::atomic<std::uintptr_t>;
    static constexpr std::uintptr_t tag_mask = 63;
    static_assert(alignof(leaf) >= 64, "entries keep log2(groups) in the leaf address's low 6 bits");

public:
    const unsigned global_depth;

    // A leaf with its group mask, as a lookup needs them.
    struct leaf_ref {
        const leaf* l;
        std::uint32_t group_mask;
    };

    static directory* create(unsigned global_depth) {
        const std::size_t n = std::size_t{1} << global_depth;
        void* raw = ::operator new(bytes_for(global_depth));
        auto* d = new (raw) directory(global_depth);
        for (std::size_t i = 0; i < n; ++i) new (&d->entries()[i]) entry(0);
        return d;
    }

    static void destroy(void* p) noexcept {
        auto* d = static_cast<directory*>(p);
        d->~directory();
        ::operator delete(p);  // unsized: clang before 19 lacks sized delete by default
    }

    static constexpr std::size_t bytes_for(unsigned global_depth) noexcept {
        return sizeof(directory) + (std::size_t{1} << global_depth) * sizeof(entry);
    }

    std::size_t size() const noexcept { return std::size_t{1} << global_depth; }

    // The top global_depth bits (none when the depth is 0), without a branch.
    std::size_t index_of(std::uint64_t hash) const noexcept {
        return static_cast<std::size_t>((hash >> 1) >> (63 - global_depth));
    }

    // acquire: pairs with the release store that published the leaf, so its header and
    // slots are initialised when seen.
    leaf* leaf_for(std::uint64_t hash) const noexcept { return at(index_of(hash)); }

    leaf_ref ref_for(std::uint64_t hash) const noexcept {
        const std::uintptr_t e = entries()[index_of(hash)].load(std::memory_order_acquire);
        return {reinterpret_cast<const leaf*>(e & ~tag_mask),
                static_cast<std::uint32_t>((std::uintptr_t{1} << (e & tag_mask)) - 1)};
    }

    leaf* at(std::size_t i) const noexcept {
        return reinterpret_cast<leaf*>(entries()[i].load(std::memory_order_acquire) & ~tag_mask);
    }

    void set(std::size_t i, leaf* l) noexcept {
        const auto log2_groups = static_cast<std::uintptr_t>(std::countr_zero(l->group_count()));
        entries()[i].store(reinterpret_cast<std::uintptr_t>(l) | log2_groups, std::memory_order_release);
    }

    // Number of directory entries a leaf of local depth d spans.
    std::size_t span_of(const leaf* l) const noexcept {
        return std::size_t{1} << (global_depth - l->depth);
    }

    // First entry of the run that belongs to `l`.
    std::size_t first_index_of(const leaf* l) const noexcept {
        return l->depth == 0 ? 0 : static_cast<std::size_t>(l->prefix) << (global_depth - l->depth);
    }

    // Visits each distinct leaf once, in hash order, even while splits rewrite entries:
    // a split publishes the upper half of its range before the lower half (see
    // sync_map::split_leaf), so a walker that meets the new lower leaf also meets the new
    // upper one, and a walker that meets the old leaf skips its whole range. The schedule
    // point before each entry load lets tests/split_publication_test.cpp interleave a
    // walker with every store of a split.
    template <class F>
    void for_each_leaf(F&& f) const {
        for (std::size_t i = 0; i < size();) {
            SYNCMAP_SCHEDULE_POINT();
            leaf* l = at(i);
            f(l);
            i = first_index_of(l) + span_of(l);
        }
    }

private:
    explicit directory(unsigned depth) noexcept : global_depth(depth) {}

    entry* entries() noexcept { return reinterpret_cast<entry*>(this + 1); }
    const entry* entries() const noexcept { return reinterpret_cast<const entry*>(this + 1); }
};

}  // namespace syncmap::detail
