// syncmap/detail/leaf.hpp - one leaf of sync_map's extendible-hashing directory.
//
// A leaf owns one hash interval: every key whose hash starts with the `depth`-bit
// `prefix`. Inside, a small open-addressing table in the Swiss-table style: groups of
// eight slots, one 64-bit word of control bytes per group (control_bytes.hpp), slots
// holding atomic pointers to immutable nodes (node.hpp).
//
// Concurrency protocol
//   - Writers hold `lock` for every store to a control word, a slot or a counter.
//   - Readers take no lock. They load a control word (acquire), then a slot (acquire), and
//     must tolerate a null slot or a node of another key behind a matching control byte.
//   - Entries never move inside a live leaf: an update replaces the node pointer in its
//     slot; an erase leaves a tombstone; an insert takes the first empty-or-deleted slot of
//     its probe sequence. Slots never become empty again, so a key present throughout a
//     reader's probe is always found, and a reader scanning the slots sees every entry at
//     most once per slot.
//   - When the leaf runs out of room it is never rehashed in place: the map builds one or
//     two fresh leaves on the side, publishes them, and marks this one `dead` (under lock).
//     A dead leaf never changes again; readers that still hold it see the state it had
//     when it was unpublished, which is a state the map really had while they ran.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>

#include "control_bytes.hpp"
#include "leaf_lock.hpp"
#include "node.hpp"

namespace syncmap::detail {

struct leaf_group {
    std::atomic<std::uint64_t> ctrl{ctrl_all_empty};
    std::atomic<node_header*> slots[group_width] = {};
};

class leaf {
public:
    static constexpr std::uint32_t default_groups = 16;  // 128 slots
    // Writers restructure a leaf once full + deleted slots reach 7/8 of its slots, so
    // every probe sequence meets an empty slot and ends.
    static constexpr std::uint32_t max_used_per_group = 7;

    leaf_lock lock;
    // Set under `lock` when the leaf is unpublished; never cleared. A writer that locks a
    // dead leaf retries from the directory. Relaxed loads suffice under the lock (the
    // lock's acquire orders them); lock-free readers never look at it.
    std::atomic<bool> dead{false};
    const std::uint8_t depth;         // number of hash bits in prefix (0..63)
    const std::uint32_t group_mask;   // groups - 1; groups is a power of two
    std::uint32_t used = 0;           // full + deleted slots; only under lock
    std::uint32_t full = 0;           // slots holding a node (tombstones included); only under lock
    std::atomic<std::uint32_t> live{0};  // slots holding a non-tombstone node; written under
                                         // lock, read relaxed by size()
    const std::uint64_t prefix;       // hash >> (64 - depth) for every key in the leaf

    static leaf* create(unsigned depth, std::uint64_t prefix, std::uint32_t groups) {
        void* raw = ::operator new(bytes_for(groups));
        auto* l = new (raw) leaf(depth, prefix, groups);
        leaf_group* g = l->groups();
        for (std::uint32_t i = 0; i < groups; ++i) new (&g[i]) leaf_group();
        return l;
    }

    // Frees the leaf, not the nodes it points to.
    static void destroy(void* p) noexcept {
        auto* l = static_cast<leaf*>(p);
        l->~leaf();  // leaf_group and leaf are trivially destructible apart from atomics
        ::operator delete(p);  // unsized: clang before 19 lacks sized delete by default
    }

    static constexpr std::size_t bytes_for(std::uint32_t groups) noexcept {
        return sizeof(leaf) + std::size_t{groups} * sizeof(leaf_group);
    }

    leaf_group* groups() noexcept { return reinterpret_cast<leaf_group*>(this + 1); }
    const leaf_group* groups() const noexcept { return reinterpret_cast<const leaf_group*>(this + 1); }
    std::uint32_t group_count() const noexcept { return group_mask + 1; }
    std::uint32_t max_used() const noexcept { return group_count() * max_used_per_group; }
    std::size_t byte_size() const noexcept { return bytes_for(group_count()); }

    // First hash past this leaf's interval; 0 when the interval reaches 2^64 - 1.
    std::uint64_t interval_end() const noexcept {
        if (depth == 0) return 0;
        return (prefix + 1) << (64 - depth);
    }
    std::uint64_t interval_begin() const noexcept {
        return depth == 0 ? 0 : prefix << (64 - depth);
    }

    // The probe sequence: triangular over the groups, which visits every group once when
    // the group count is a power of two. Starts from hash bits the directory does not use.
    class probe {
    public:
        probe(std::uint64_t hash, std::uint32_t mask) noexcept
            : group_(static_cast<std::uint32_t>(hash) & mask), mask_(mask) {}
        std::uint32_t group() const noexcept { return group_; }
        void next() noexcept {
            ++step_;
            group_ = (group_ + step_) & mask_;
        }
        std::uint32_t steps() const noexcept { return step_; }

    private:
        std::uint32_t group_;
        std::uint32_t mask_;
        std::uint32_t step_ = 0;
    };

    // Lock-free lookup: the node whose hash equals `hash` and for which `same_key(node)`
    // holds, or nullptr. Readers and writers both use it; writers hold the lock.
    template <class SameKey>
    node_header* find(std::uint64_t hash, SameKey&& same_key) const {
        const std::uint8_t h2 = h2_of(hash);
        probe p(hash, group_mask);
        for (;;) {
            const leaf_group& g = groups()[p.group()];
            // acquire: pairs with the writer's release store of the control word, which
            // follows its store of the slot, so a matching byte implies a visible slot.
            const std::uint64_t word = g.ctrl.load(std::memory_order_acquire);
            for (slot_mask m = match_h2(word, h2); m; m.remove_lowest()) {
                node_header* n = g.slots[m.lowest()].load(std::memory_order_acquire);
                if (n != nullptr && n->hash == hash && same_key(n)) return n;
            }
            if (match_empty(word)) return nullptr;
            p.next();
            if (p.steps() > group_mask) return nullptr;
        }
    }

    // Where a key lives (under lock): its group and slot, or where it would be inserted.
    struct position {
        std::uint32_t group;
        unsigned slot;
        bool found;
    };

    // Writers only (under lock). Returns the key's position if present, else the first
    // empty-or-deleted slot of its probe sequence (leaf never full: used < max_used or the
    // caller restructures first).
    template <class SameKey>
    position locate(std::uint64_t hash, SameKey&& same_key) const {
        const std::uint8_t h2 = h2_of(hash);
        probe p(hash, group_mask);
        position free_slot{0, 0, false};
        bool have_free = false;
        for (;;) {
            const leaf_group& g = groups()[p.group()];
            const std::uint64_t word = g.ctrl.load(std::memory_order_relaxed);
            for (slot_mask m = match_h2(word, h2); m; m.remove_lowest()) {
                node_header* n = g.slots[m.lowest()].load(std::memory_order_relaxed);
                if (n != nullptr && n->hash == hash && same_key(n)) return {p.group(), m.lowest(), true};
            }
            if (!have_free) {
                if (slot_mask f = match_empty_or_deleted(word)) {
                    free_slot = {p.group(), f.lowest(), false};
                    have_free = true;
                }
            }
            if (match_empty(word) || p.steps() >= group_mask) return free_slot;
            p.next();
        }
    }

    node_header* node_at(position pos) const noexcept {
        return groups()[pos.group].slots[pos.slot].load(std::memory_order_relaxed);
    }

    // Under lock: replaces the node at a found position (either may be a tombstone).
    void replace(position pos, node_header* n) noexcept {
        const node_header* old = node_at(pos);
        // release: the node's contents are visible to whoever loads the pointer.
        groups()[pos.group].slots[pos.slot].store(n, std::memory_order_release);
        add_live(static_cast<int>(!n->is_tombstone()) - static_cast<int>(!old->is_tombstone()));
    }

    // Under lock: fills a free position found by locate().
    void insert(position pos, node_header* n) noexcept {
        leaf_group& g = groups()[pos.group];
        const std::uint64_t word = g.ctrl.load(std::memory_order_relaxed);
        if (ctrl_at(word, pos.slot) == ctrl_empty) ++used;
        ++full;
        g.slots[pos.slot].store(n, std::memory_order_release);
        // release, after the slot store: a reader that sees the byte sees the slot.
        g.ctrl.store(with_ctrl(word, pos.slot, h2_of(n->hash)), std::memory_order_release);
        add_live(n->is_tombstone() ? 0 : 1);
    }

    // Under lock: turns a found position into a deleted slot.
    void remove(position pos) noexcept {
        leaf_group& g = groups()[pos.group];
        const node_header* old = node_at(pos);
        const std::uint64_t word = g.ctrl.load(std::memory_order_relaxed);
        g.ctrl.store(with_ctrl(word, pos.slot, ctrl_deleted), std::memory_order_release);
        g.slots[pos.slot].store(nullptr, std::memory_order_release);
        --full;
        add_live(old->is_tombstone() ? 0 : -1);
    }

    // Under lock: visits every occupied position with its head node.
    template <class F>
    void for_each_position(F&& f) {
        for (std::uint32_t gi = 0; gi <= group_mask; ++gi) {
            const std::uint64_t word = groups()[gi].ctrl.load(std::memory_order_relaxed);
            for (slot_mask m = match_full(word); m; m.remove_lowest()) {
                const position pos{gi, m.lowest(), true};
                if (node_header* n = node_at(pos)) f(pos, n);
            }
        }
    }

    // Building a fresh, unpublished leaf: no concurrent access, hashes are distinct keys.
    void build_insert(node_header* n) noexcept {
        probe p(n->hash, group_mask);
        for (;;) {
            leaf_group& g = groups()[p.group()];
            const std::uint64_t word = g.ctrl.load(std::memory_order_relaxed);
            if (slot_mask f = match_empty(word)) {
                g.slots[f.lowest()].store(n, std::memory_order_relaxed);
                g.ctrl.store(with_ctrl(word, f.lowest(), h2_of(n->hash)), std::memory_order_relaxed);
                ++used;
                ++full;
                add_live(n->is_tombstone() ? 0 : 1);
                return;
            }
            p.next();
        }
    }

    // Visits every head node of the leaf, tombstones included (lock-free readers: each slot
    // is read once).
    template <class F>
    void for_each_node(F&& f) const {
        for (std::uint32_t gi = 0; gi <= group_mask; ++gi) {
            const leaf_group& g = groups()[gi];
            const std::uint64_t word = g.ctrl.load(std::memory_order_acquire);
            for (slot_mask m = match_full(word); m; m.remove_lowest()) {
                node_header* n = g.slots[m.lowest()].load(std::memory_order_acquire);
                if (n != nullptr) f(n);
            }
        }
    }

    // Longest probe sequence (in groups) of any live key; for structure diagnostics.
    std::uint32_t max_probe_groups() const {
        std::uint32_t worst = 0;
        for_each_node([&](const node_header* n) {
            probe p(n->hash, group_mask);
            for (std::uint32_t steps = 1;; ++steps) {
                const leaf_group& g = groups()[p.group()];
                bool here = false;
                for (unsigned s = 0; s < group_width; ++s) {
                    if (g.slots[s].load(std::memory_order_relaxed) == n) here = true;
                }
                if (here || steps > group_mask) {
                    if (steps > worst) worst = steps;
                    return;
                }
                p.next();
            }
        });
        return worst;
    }

private:
    void add_live(int delta) noexcept {
        live.store(live.load(std::memory_order_relaxed) + static_cast<std::uint32_t>(delta), std::memory_order_relaxed);
    }

    leaf(unsigned d, std::uint64_t p, std::uint32_t groups) noexcept
        : depth(static_cast<std::uint8_t>(d)), group_mask(groups - 1), prefix(p) {}
};

static_assert(sizeof(leaf) % alignof(leaf_group) == 0, "groups follow the leaf header");

}  // namespace syncmap::detail
