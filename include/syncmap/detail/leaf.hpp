// syncmap/detail/leaf.hpp - one leaf of sync_map's extendible-hashing directory.
//
// A leaf owns one hash interval: every key whose hash starts with the `depth`-bit
// `prefix`. Inside, a small open-addressing table in the Swiss-table style: groups of
// eight slots, one 64-bit word of control bytes per group (control_bytes.hpp), slots
// holding the entries inline or pointers to nodes (entry_slot.hpp).
//
// Layout: one 64-byte-aligned allocation, [header | control words | slots]. The control
// words of all groups are dense (a 16-group leaf's fit in two cache lines), apart from the
// slots, so a lookup that misses, or probes past its first group, touches the slots only
// where a control byte matches. A lookup needs nothing from the header: the directory
// entry carries the group count (directory.hpp), and both arrays sit at offsets that
// follow from it.
//
// Concurrency protocol
//   - Writers hold `lock` for every store to a control word, a slot or a counter.
//   - Readers take no lock. They load a control word (acquire), then the slots its bytes
//     point at; a reader finishes whatever writers do, so no retry loop a preempted writer
//     could hold up (clause L2).
//   - Entries never move inside a live leaf: an update replaces a value (or node pointer)
//     in its slot; an erase marks the byte deleted; an insert takes the first empty slot of
//     its probe sequence (or, for node slots, the first empty-or-deleted one). Slots never
//     become empty again, so a key present throughout a reader's probe is always found, and
//     a reader scanning the slots sees every entry at most once per slot.
//   - When the leaf runs out of room it is never rehashed in place: the map builds one or
//     two fresh leaves on the side, publishes them, and marks this one `dead` (under lock).
//     A dead leaf never changes again; readers that still hold it see the state it had
//     when it was unpublished, which is a state the map really had while they ran.
//
// Snapshots: copy-on-write per leaf
//   `written_at` and `before` keep, for live snapshots, the states the leaf had before its
//   latest writes. Invariant: for every live snapshot at version S with written_at <= S,
//   the leaf's content is the map's state of its interval at S; otherwise the chain
//   `before` -> `before` ... (preserved copies, strictly decreasing written_at) holds a copy
//   whose content is that state, the first one with written_at <= S. A writer about to
//   change a leaf that a live snapshot reads live (written_at <= newest live snapshot)
//   first preserves a copy of it, links it as `before`, and sets written_at to the current
//   clock, all before its first store to a slot and inside the writer gate
//   (writer_gate.hpp). A preserved copy is immutable and may be shared by both halves of
//   a split leaf: `refs` counts the `before` pointers to it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>

#include "control_bytes.hpp"
#include "leaf_lock.hpp"
#include "schedule_point.hpp"

namespace syncmap::detail {

template <class Slot>
class alignas(64) leaf {
public:
    static constexpr std::uint32_t default_groups = 16;  // 128 slots
    // Writers restructure a leaf once full + deleted slots reach 15/16 of its slots, so
    // every probe sequence meets an empty slot and ends. (Probes stay short: a group of
    // eight is full at that load with probability under 0.6, and leaves average about 60%.)
    static constexpr std::uint32_t max_used_for(std::uint32_t groups) noexcept {
        return groups * group_width / 16 * 15;
    }

    leaf_lock lock;
    // Set under `lock` when the leaf is unpublished; never cleared. A writer that locks a
    // dead leaf retries from the directory. Relaxed loads suffice under the lock (the
    // lock's acquire orders them); lock-free readers never look at it.
    std::atomic<bool> dead{false};
    const std::uint8_t depth;         // number of hash bits in prefix (0..63)
    const std::uint32_t group_mask;   // groups - 1; groups is a power of two
    std::uint32_t used = 0;           // full + deleted slots; only under lock
    std::atomic<std::uint32_t> live{0};  // full slots; written under lock, read relaxed by size()
    const std::uint64_t prefix;       // hash >> (64 - depth) for every key in the leaf
    // Snapshots (see above). written_at: the version clock at the write that last preserved
    // a copy (0: never); stored (release, then a release fence) before the first slot store
    // it covers. before: the newest preserved copy, or nullptr; stored (release) before
    // written_at changes. Both are written under `lock` inside the writer gate.
    std::atomic<std::uint64_t> written_at{0};
    std::atomic<leaf*> before{nullptr};
    // Preserved copies only: the number of `before` pointers to this copy, and, once it is
    // unlinked for good, the nodes (node storage) it was the last holder of, freed with it.
    std::atomic<std::uint32_t> refs{1};
    void* garbage = nullptr;

    // The header takes one cache line.
    static constexpr std::size_t header_bytes = 64;

    static leaf* create(unsigned depth, std::uint64_t prefix, std::uint32_t groups) {
        static_assert(sizeof(leaf) == header_bytes, "the header takes one cache line");
        void* raw = ::operator new(bytes_for(groups), std::align_val_t{alignof(leaf)});
        auto* l = new (raw) leaf(depth, prefix, groups);
        std::atomic<std::uint64_t>* c = ctrl_words(l, groups - 1);
        for (std::uint32_t i = 0; i < groups; ++i) new (&c[i]) std::atomic<std::uint64_t>(ctrl_all_empty);
        Slot* s = slots(l, groups - 1);
        for (std::uint32_t i = 0; i < groups * group_width; ++i) new (&s[i]) Slot();
        return l;
    }

    // Frees the leaf, not what its slots point to.
    static void destroy(void* p) noexcept {
        auto* l = static_cast<leaf*>(p);
        l->~leaf();  // groups: atomics and trivially destructible slots
        ::operator delete(p, std::align_val_t{alignof(leaf)});
    }

    static constexpr std::size_t bytes_for(std::uint32_t groups) noexcept {
        return sizeof(leaf) + std::size_t{groups} * (sizeof(std::atomic<std::uint64_t>) + group_width * sizeof(Slot));
    }

    // The arrays, from the leaf's address and group mask alone (no header load).
    static std::atomic<std::uint64_t>* ctrl_words(const leaf* l, std::uint32_t /*mask*/) noexcept {
        return reinterpret_cast<std::atomic<std::uint64_t>*>(const_cast<leaf*>(l) + 1);
    }
    static Slot* slots(const leaf* l, std::uint32_t mask) noexcept {
        return reinterpret_cast<Slot*>(ctrl_words(l, mask) + (std::size_t{mask} + 1));
    }
    std::atomic<std::uint64_t>& ctrl(std::uint32_t gi) noexcept { return ctrl_words(this, group_mask)[gi]; }
    const std::atomic<std::uint64_t>& ctrl(std::uint32_t gi) const noexcept { return ctrl_words(this, group_mask)[gi]; }
    Slot& slot(std::uint32_t gi, unsigned si) noexcept { return slots(this, group_mask)[gi * group_width + si]; }
    const Slot& slot(std::uint32_t gi, unsigned si) const noexcept {
        return slots(this, group_mask)[gi * group_width + si];
    }

    std::uint32_t group_count() const noexcept { return group_mask + 1; }
    std::uint32_t max_used() const noexcept { return max_used_for(group_count()); }
    std::size_t byte_size() const noexcept { return bytes_for(group_count()); }

    // First hash past this leaf's interval; 0 when the interval reaches 2^64 - 1.
    std::uint64_t interval_end() const noexcept {
        if (depth == 0) return 0;
        return (prefix + 1) << (64 - depth);
    }
    std::uint64_t interval_begin() const noexcept { return depth == 0 ? 0 : prefix << (64 - depth); }

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

    // Lock-free lookup: the slot whose control byte matches and for which `matches(slot)`
    // holds, or nullptr. Readers and writers both use it; writers hold the lock.
    template <class Matches>
    const Slot* find(std::uint64_t hash, Matches&& matches) const {
        return find(this, group_mask, hash, matches);
    }
    // The same, from the leaf's address and the group mask its directory entry carries.
    template <class Matches>
    static const Slot* find(const leaf* l, std::uint32_t mask, std::uint64_t hash, Matches&& matches) {
        const std::uint8_t h2 = h2_of(hash);
        const std::atomic<std::uint64_t>* ctrl = ctrl_words(l, mask);
        const Slot* slot = slots(l, mask);
        probe p(hash, mask);
        for (;;) {
            SYNCMAP_SCHEDULE_POINT();
            // acquire: pairs with the writer's release store of the control word, which
            // follows its stores to the slot, so a matching byte implies a written slot.
            const std::uint64_t word = ctrl[p.group()].load(std::memory_order_acquire);
            SYNCMAP_SCHEDULE_POINT();
            for (slot_mask m = match_h2(word, h2); m; m.remove_lowest()) {
                const Slot& s = slot[p.group() * group_width + m.lowest()];
                if (matches(s)) return &s;
            }
            if (match_empty(word)) return nullptr;
            p.next();
            if (p.steps() > mask) return nullptr;
        }
    }

    // Where a key lives (under lock): its group and slot, or where it would be inserted.
    struct position {
        std::uint32_t group;
        unsigned slot;
        bool found;
    };

    // Writers only (under lock). Returns the key's position if present, else the first free
    // slot of its probe sequence: empty, or deleted where the slot kind allows reuse. The
    // caller guarantees room (used < max_used) before inserting there.
    template <class Matches>
    position locate(std::uint64_t hash, Matches&& matches) const {
        const std::uint8_t h2 = h2_of(hash);
        probe p(hash, group_mask);
        position free_slot{0, 0, false};
        bool have_free = false;
        for (;;) {
            const std::uint64_t word = ctrl(p.group()).load(std::memory_order_relaxed);
            for (slot_mask m = match_h2(word, h2); m; m.remove_lowest()) {
                if (matches(slot(p.group(), m.lowest()))) return {p.group(), m.lowest(), true};
            }
            if (!have_free) {
                const slot_mask f = Slot::reuse_deleted ? match_empty_or_deleted(word) : match_empty(word);
                if (f) {
                    free_slot = {p.group(), f.lowest(), false};
                    have_free = true;
                }
            }
            if (match_empty(word) || p.steps() >= group_mask) return free_slot;
            p.next();
        }
    }

    Slot& slot_at(position pos) noexcept { return slot(pos.group, pos.slot); }
    const Slot& slot_at(position pos) const noexcept { return slot(pos.group, pos.slot); }

    // Under lock: publishes a free position found by locate(), whose slot the caller has
    // filled. release, after the slot stores: a reader that sees the byte sees the slot.
    void publish(position pos, std::uint64_t hash) noexcept {
        std::atomic<std::uint64_t>& c = ctrl(pos.group);
        const std::uint64_t word = c.load(std::memory_order_relaxed);
        if (ctrl_at(word, pos.slot) == ctrl_empty) ++used;
        SYNCMAP_SCHEDULE_POINT();
        c.store(with_ctrl(word, pos.slot, h2_of(hash)), std::memory_order_release);
        SYNCMAP_SCHEDULE_POINT();
        add_live(1);
    }

    // Under lock: turns a found position into a deleted slot. The slot's contents stay as
    // they are (an inline slot keeps its key and value; the caller empties a node slot).
    void mark_deleted(position pos) noexcept {
        std::atomic<std::uint64_t>& c = ctrl(pos.group);
        const std::uint64_t word = c.load(std::memory_order_relaxed);
        SYNCMAP_SCHEDULE_POINT();
        c.store(with_ctrl(word, pos.slot, ctrl_deleted), std::memory_order_release);
        SYNCMAP_SCHEDULE_POINT();
        add_live(-1);
    }

    // Visits every full slot. Lock-free readers may call it (each control word is loaded
    // once, acquire); f(const Slot&).
    template <class F>
    void for_each_full(F&& f) const {
        for (std::uint32_t gi = 0; gi <= group_mask; ++gi) {
            SYNCMAP_SCHEDULE_POINT();
            const std::uint64_t word = ctrl(gi).load(std::memory_order_acquire);
            for (slot_mask m = match_full(word); m; m.remove_lowest()) f(slot(gi, m.lowest()));
        }
    }

    // Under lock: visits every full slot with its position; f(position, Slot&).
    template <class F>
    void for_each_position(F&& f) {
        for (std::uint32_t gi = 0; gi <= group_mask; ++gi) {
            const std::uint64_t word = ctrl(gi).load(std::memory_order_relaxed);
            for (slot_mask m = match_full(word); m; m.remove_lowest()) {
                const position pos{gi, m.lowest(), true};
                f(pos, slot_at(pos));
            }
        }
    }

    // Building a fresh, unpublished leaf: no concurrent access, distinct keys. Returns the
    // slot to fill; its byte is already set.
    Slot& build_slot(std::uint64_t hash) noexcept {
        probe p(hash, group_mask);
        for (;;) {
            std::atomic<std::uint64_t>& c = ctrl(p.group());
            const std::uint64_t word = c.load(std::memory_order_relaxed);
            if (slot_mask f = match_empty(word)) {
                c.store(with_ctrl(word, f.lowest(), h2_of(hash)), std::memory_order_relaxed);
                ++used;
                add_live(1);
                return slot(p.group(), f.lowest());
            }
            p.next();
        }
    }

    // A copy of this leaf's slots and counters (under its lock), for a snapshot: same
    // interval, same positions, same written_at; deleted slots stay deleted. Visits each
    // copied slot with on_copy(const Slot&) (node storage counts a holder per node).
    template <class OnCopy>
    leaf* clone(OnCopy&& on_copy) const {
        leaf* c = create(depth, prefix, group_count());
        for (std::uint32_t gi = 0; gi <= group_mask; ++gi) {
            const std::uint64_t word = ctrl(gi).load(std::memory_order_relaxed);
            for (slot_mask m = match_full(word); m; m.remove_lowest()) {
                c->slot(gi, m.lowest()).copy_from(slot(gi, m.lowest()));
                on_copy(slot(gi, m.lowest()));
            }
            c->ctrl(gi).store(word, std::memory_order_relaxed);
        }
        c->used = used;
        c->live.store(live.load(std::memory_order_relaxed), std::memory_order_relaxed);
        c->written_at.store(written_at.load(std::memory_order_relaxed), std::memory_order_relaxed);
        return c;
    }

    // The leaf a snapshot at version `at` reads for this leaf's interval (see above): this
    // one if written_at <= at, else the first preserved copy with written_at <= at.
    // Caller holds an rcu_reader and `at` is a live snapshot's version.
    const leaf* state_at(std::uint64_t at) const noexcept {
        const leaf* x = this;
        // acquire: pairs with the release store of written_at, which follows the store of
        // `before`; a copy's fields were initialised before it was linked.
        SYNCMAP_SCHEDULE_POINT();
        while (x->written_at.load(std::memory_order_acquire) > at) {
            SYNCMAP_SCHEDULE_POINT();
            x = x->before.load(std::memory_order_acquire);
        }
        return x;
    }

    // Whether a read of this live leaf's slots that began when written_at was `seen` still
    // describes the state at every version >= seen: no writer has preserved a copy since.
    // acquire fence: orders the slot loads before the re-load of written_at (the seqlock
    // read pattern; the writer stores written_at, then a release fence, then the slots).
    bool unchanged_since(std::uint64_t seen) const noexcept {
        std::atomic_thread_fence(std::memory_order_acquire);
        SYNCMAP_SCHEDULE_POINT();
        return written_at.load(std::memory_order_relaxed) == seen;
    }

    // Longest probe sequence (in groups) of any live key; for structure diagnostics, by
    // lock-free readers too. hash_of(const Slot&, std::uint64_t& hash) gives a full slot's
    // hash, or returns false if a concurrent erase emptied the slot after its control
    // byte was read (a node slot is then null); the slot is skipped.
    template <class HashOf>
    std::uint32_t max_probe_groups(HashOf&& hash_of) const {
        std::uint32_t worst = 0;
        for (std::uint32_t gi = 0; gi <= group_mask; ++gi) {
            const std::uint64_t word = ctrl(gi).load(std::memory_order_acquire);
            for (slot_mask m = match_full(word); m; m.remove_lowest()) {
                std::uint64_t hash = 0;
                if (!hash_of(slot(gi, m.lowest()), hash)) continue;
                probe p(hash, group_mask);
                std::uint32_t steps = 1;
                while (p.group() != gi && steps <= group_mask) {
                    p.next();
                    ++steps;
                }
                if (steps > worst) worst = steps;
            }
        }
        return worst;
    }

private:
    void add_live(int delta) noexcept {
        live.store(live.load(std::memory_order_relaxed) + static_cast<std::uint32_t>(delta), std::memory_order_relaxed);
    }

    leaf(unsigned d, std::uint64_t p, std::uint32_t groups) noexcept
        : depth(static_cast<std::uint8_t>(d)), group_mask(groups - 1), prefix(p) {}
};

}  // namespace syncmap::detail
