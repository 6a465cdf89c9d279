// syncmap/detail/immutable_table.hpp - an open-addressing hash table kept in hash order,
// built once and then only read: every version of cow_map, and read_dirty_map's read view.
//
// Life cycle. A table is filled while one thread owns it privately (append in ascending
// hash order; or, for trivially copyable slots, clone and insert_at / erase_at in place), then
// published by storing its pointer with release ordering. From then on nobody writes it:
// readers need no synchronisation beyond the acquire load of the pointer, and a table is
// retired as a whole (through RCU and the reference count below), never edited.
//
// Layout: one allocation
//     [ header | group 0 | group 1 | ... ]      group = { control word, 8 cells }
// Each 64-bit control word sits right before its eight cells, so a probe that matches
// usually finds the cell on the cache line it already loaded. Control bytes as in
// control_bytes.hpp (full: h2, empty: 0x80; no tombstones: erase
// shifts instead). Every entry's full 64-bit hash is kept, in its cell or (for pointer
// slots, see HashOf) in the object the slot points to, so comparisons test the hash before
// calling the user's equality, and copying or growing a table never calls the user's hash.
//
// Ordered linear probing by groups (Amble and Knuth's ordered hash tables, with a group of
// eight slots as the probing unit). A hash's home group is its top `home_bits` bits, and
// there are 2^home_bits home groups plus overflow groups past the last one, so probing never
// wraps around. Invariants, for full slots i < j:
//   I1  hash(i) <= hash(j)                         cells are in ascending hash order;
//   I2  home_group(hash(i)) * 8 <= i               no cell sits before its home group;
//   I3  every slot in [home_group(hash(i)) * 8, i] is full: no gap between a cell and the
//       start of its home group.
// Consequences: a lookup scans groups from the home group and may stop after the first
// group that has an empty slot (I3); iterating slots in index order visits entries in
// ascending hash order (I1), which is the order every syncmap traversal uses; and because
// homes come from the top bits, hash order and index order agree across tables of any size.
//
// Reference count. `refs` counts owners of a published table: the map that publishes it
// holds one, dropped through rcu_retire after it unpublishes the table (so any reader that
// loaded the pointer inside an RCU read-side section can still take a reference), plus one
// per holder that must outlive a read-side section (a cow_map snapshot, a range in
// progress). Whoever drops the last one destroys the table.
#pragma once

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "control_bytes.hpp"

namespace syncmap::detail {

inline constexpr std::size_t table_npos = std::numeric_limits<std::size_t>::max();

// The home group of a hash in a table with 2^home_bits home groups: its top home_bits
// bits. Written as two shifts so that home_bits == 0 (one group) needs no branch.
constexpr std::size_t home_group_of(std::uint64_t hash, unsigned home_bits) noexcept {
    return static_cast<std::size_t>((hash >> 1) >> (63 - home_bits));
}

// The most entries a table with 2^home_bits home groups may hold: 3/4 of its home slots
// (6 per group). Ordered linear probing keeps probe sequences short up to about this load.
constexpr std::size_t table_max_entries(unsigned home_bits) noexcept {
    return std::size_t{6} << home_bits;
}

// The smallest home_bits whose table holds `entries` entries.
constexpr unsigned table_home_bits_for(std::size_t entries) noexcept {
    unsigned bits = 0;
    while (bits < 62 && table_max_entries(bits) < entries) ++bits;
    return bits;
}

// Sizes a table before it is allocated: feed it the hashes the table will receive, in
// ascending order, and it computes exactly how many groups the ordered layout needs.
// Appending any ascending subsequence of the fed hashes also fits (each cell then lands at
// or before the position the plan gave it).
class table_plan {
public:
    // A table for `entries` entries (which fixes the number of home groups), keeping
    // `spare_groups` entirely empty groups past the last slot the fed hashes need: room
    // for in-place inserts without an immediate rebuild.
    explicit table_plan(std::size_t entries, std::size_t spare_groups = 0) noexcept
        : home_bits_(table_home_bits_for(entries)), spare_groups_(spare_groups) {}

    void add(std::uint64_t hash) noexcept {
        const std::size_t home_start = home_group_of(hash, home_bits_) * group_width;
        next_slot_ = (home_start > next_slot_ ? home_start : next_slot_) + 1;
    }

    unsigned home_bits() const noexcept { return home_bits_; }

    std::size_t groups() const noexcept {
        const std::size_t home_groups = std::size_t{1} << home_bits_;
        const std::size_t used_groups = (next_slot_ + group_width - 1) / group_width;
        return (used_groups > home_groups ? used_groups : home_groups) + spare_groups_;
    }

private:
    unsigned home_bits_;
    std::size_t spare_groups_;
    std::size_t next_slot_ = 0;  // one past the last slot the fed hashes occupy
};

// Where a table keeps each entry's full hash: in the cell next to the Slot (the default),
// or in the object a pointer Slot points to, read through HashOf::get(slot) (which halves
// the cell of a pointer slot: the pointee is dereferenced anyway to compare keys).
struct hash_in_cell {};

// A slot's storage: the full hash (unless the Slot holds it), and the Slot, constructed
// only while the slot's control byte says full. For a trivial Slot the cell is trivially
// copyable, so a whole table can be cloned with memcpy.
template <class Slot, bool StoreHash, bool Trivial = std::is_trivial_v<Slot>>
struct table_cell {
    std::uint64_t hash;
    Slot value;
};

template <class Slot>
struct table_cell<Slot, true, false> {
    std::uint64_t hash;
    union {
        Slot value;
    };
    table_cell() noexcept {}
    ~table_cell() {}
};

template <class Slot>
struct table_cell<Slot, false, true> {
    Slot value;
};

struct table_no_extra {};

// Slot: what a cell holds. Extra: a trivially copyable value the owner keeps in the header
// (cow_map keeps its version record there). HashOf: hash_in_cell, or a type whose static
// get(const Slot&) returns the hash the Slot was inserted with (then Slot must be trivial).
template <class Slot, class Extra = table_no_extra, class HashOf = hash_in_cell>
class immutable_table {
    static constexpr bool stores_hash = std::is_same_v<HashOf, hash_in_cell>;
    static_assert(stores_hash || std::is_trivial_v<Slot>, "an external hash needs a trivial (pointer) slot");

public:
    using cell = table_cell<Slot, stores_hash>;

    // Eight slots: their control word, then their cells.
    struct group {
        std::uint64_t ctrl;
        cell cells[group_width];
    };

    // Owners of the published table (see the file comment). Starts at 1: the creator's.
    std::atomic<std::size_t> refs{1};

    // The owner's data, written before publication.
    [[no_unique_address]] Extra extra{};

    // ---- Creation and destruction ---------------------------------------------------

    // An empty table shaped by `plan`. May throw std::bad_alloc.
    static immutable_table* allocate(const table_plan& plan) {
        const std::size_t groups = plan.groups();
        const std::size_t bytes = groups_offset() + groups * sizeof(group);
        void* raw = ::operator new(bytes, std::align_val_t{block_alignment});
        auto* t = ::new (raw) immutable_table(plan.home_bits(), groups, bytes);
        std::uninitialized_default_construct_n(t->group_array_, groups);
        for (std::size_t g = 0; g < groups; ++g) t->group_array_[g].ctrl = ctrl_all_empty;
        return t;
    }

    // An empty table for `entries` entries. May throw std::bad_alloc.
    static immutable_table* allocate_empty(std::size_t entries = 0, std::size_t spare_groups = 0) {
        return allocate(table_plan(entries, spare_groups));
    }

    // A copy of `from` sized for `entries` entries with `spare_groups` empty groups past the
    // last used one. Copies the Slots (which may throw; the copy is then freed and the
    // exception propagates) but never rehashes.
    static immutable_table* copy_of(const immutable_table& from, std::size_t entries, std::size_t spare_groups) {
        table_plan plan(entries > from.size() ? entries : from.size(), spare_groups);
        for (auto it = from.begin(); it != from.end(); ++it) plan.add(it.hash());
        std::unique_ptr<immutable_table, deleter> t(allocate(plan));
        for (auto it = from.begin(); it != from.end(); ++it) t->append(it.hash(), *it);
        return t.release();
    }

    // A byte-for-byte copy of `from` (same shape, same entries), ready for in-place edits
    // before publication. For trivial slots only. May throw std::bad_alloc.
    static immutable_table* clone(const immutable_table& from) {
        static_assert(std::is_trivial_v<Slot>, "clone copies cells with memcpy");
        void* raw = ::operator new(from.bytes_, std::align_val_t{block_alignment});
        auto* t = ::new (raw) immutable_table(from.home_bits_, from.groups_, from.bytes_);
        std::memcpy(static_cast<void*>(t->group_array_), from.group_array_, from.bytes_ - groups_offset());
        t->size_ = from.size_;
        t->next_append_ = from.next_append_;
        return t;
    }

    // Destroys the Slots and frees the block. The caller owns the table exclusively.
    static void destroy(immutable_table* t) noexcept {
        if constexpr (!std::is_trivially_destructible_v<Slot>) {
            for (std::size_t i = t->first_full(0); i < t->slot_count(); i = t->first_full(i + 1)) {
                std::destroy_at(&t->cell_ref(i).value);
            }
        }
        std::destroy_n(t->group_array_, t->groups_);
        t->~immutable_table();
        ::operator delete(static_cast<void*>(t), std::align_val_t{block_alignment});
    }

    struct deleter {
        void operator()(immutable_table* t) const noexcept { destroy(t); }
    };

    immutable_table(const immutable_table&) = delete;
    immutable_table& operator=(const immutable_table&) = delete;

    // ---- Reading (any thread, once published) ------------------------------------------

    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    unsigned home_bits() const noexcept { return home_bits_; }
    std::size_t group_count() const noexcept { return groups_; }
    std::size_t slot_count() const noexcept { return groups_ * group_width; }
    std::size_t byte_size() const noexcept { return bytes_; }
    std::uint64_t control_word(std::size_t g) const noexcept { return group_array_[g].ctrl; }
    bool full_at(std::size_t i) const noexcept { return ctrl_at(control_word(i / group_width), i % group_width) < 0x80; }
    const cell& cell_at(std::size_t i) const noexcept { return group_array_[i / group_width].cells[i % group_width]; }

    // The full hash of the entry in full slot i.
    std::uint64_t hash_at(std::size_t i) const noexcept {
        if constexpr (stores_hash) {
            return cell_ref(i).hash;
        } else {
            return HashOf::get(cell_ref(i).value);
        }
    }

    // The Slot of full slot i, for replacement in place before publication.
    Slot& slot_at(std::size_t i) noexcept { return cell_ref(i).value; }

    // The longest probe of any entry, in groups: 1 + (its group - its home group). A
    // measure of clustering, for tests (clause H1). O(slots).
    std::size_t max_probe_groups() const noexcept {
        std::size_t longest = 0;
        for (std::size_t i = first_full(0); i < slot_count(); i = first_full(i + 1)) {
            const std::size_t probe = i / group_width - home_group_of(hash_at(i), home_bits_) + 1;
            if (probe > longest) longest = probe;
        }
        return longest;
    }

    // The index of the entry with hash `hash` for which eq(const Slot&) holds, or
    // table_npos. eq runs only on slots whose full hash equals `hash`; it may throw, which
    // propagates (nothing is changed). O(1) expected.
    template <class Eq>
    std::size_t find_index(std::uint64_t hash, Eq&& eq) const {
        const std::uint8_t h2 = h2_of(hash);
        for (std::size_t g = home_group_of(hash, home_bits_); g < groups_; ++g) {
            const std::uint64_t word = group_array_[g].ctrl;
            // match_h2's false positives are full slots (see control_bytes.hpp): the hash
            // comparison filters them, and never reads an unconstructed cell.
            for (slot_mask m = match_h2(word, h2); m; m.remove_lowest()) {
                const std::size_t i = g * group_width + m.lowest();
                if (hash_at(i) == hash && eq(cell_ref(i).value)) return i;
            }
            if (match_empty(word)) return table_npos;  // I3: the key cannot lie further on
        }
        return table_npos;
    }

    template <class Eq>
    const Slot* find(std::uint64_t hash, Eq&& eq) const {
        const std::size_t i = find_index(hash, std::forward<Eq>(eq));
        return i == table_npos ? nullptr : &cell_ref(i).value;
    }

    // The first full slot at index >= i, or slot_count().
    std::size_t first_full(std::size_t i) const noexcept {
        std::size_t g = i / group_width;
        if (g >= groups_) return slot_count();
        // Drop the slots of the first group that lie before i.
        std::uint64_t mask = match_full(group_array_[g].ctrl).bits() & (~std::uint64_t{0} << ((i % group_width) * 8));
        for (;;) {
            if (mask != 0) return g * group_width + slot_mask(mask).lowest();
            if (++g == groups_) return slot_count();
            mask = match_full(group_array_[g].ctrl).bits();
        }
    }

    // Forward iteration over the entries in ascending hash order (I1).
    class const_iterator {
    public:
        using value_type = Slot;
        using reference = const Slot&;
        using pointer = const Slot*;
        using difference_type = std::ptrdiff_t;
        using iterator_category = std::forward_iterator_tag;

        const_iterator() noexcept = default;
        reference operator*() const noexcept { return table_->cell_ref(index_).value; }
        pointer operator->() const noexcept { return &table_->cell_ref(index_).value; }
        std::uint64_t hash() const noexcept { return table_->hash_at(index_); }
        std::size_t index() const noexcept { return index_; }
        const_iterator& operator++() noexcept {
            index_ = table_->first_full(index_ + 1);
            return *this;
        }
        const_iterator operator++(int) noexcept {
            const_iterator before = *this;
            ++*this;
            return before;
        }
        friend bool operator==(const const_iterator& a, const const_iterator& b) noexcept {
            return a.index_ == b.index_;
        }

    private:
        friend class immutable_table;
        const_iterator(const immutable_table* t, std::size_t i) noexcept : table_(t), index_(i) {}
        const immutable_table* table_ = nullptr;
        std::size_t index_ = 0;
    };

    const_iterator begin() const noexcept { return const_iterator(this, first_full(0)); }
    const_iterator end() const noexcept { return const_iterator(this, slot_count()); }
    const_iterator iterator_at(std::size_t i) const noexcept { return const_iterator(this, i); }

    // ---- Filling (the owning thread, before publication) -------------------------------

    // Adds an entry after every entry already present: `hash` must be >= each of theirs,
    // and the table must have been planned with a superset of the appended hashes.
    // Constructs the Slot from args; if that throws, the table is as before.
    template <class... Args>
    Slot& append(std::uint64_t hash, Args&&... args) {
        const std::size_t home_start = home_group_of(hash, home_bits_) * group_width;
        const std::size_t i = home_start > next_append_ ? home_start : next_append_;
        assert(i < slot_count() && "table_plan was not fed these hashes");
        cell& c = cell_ref(i);
        std::construct_at(&c.value, std::forward<Args>(args)...);
        if constexpr (stores_hash) c.hash = hash;
        assert(hash_at(i) == hash);
        set_ctrl(i, h2_of(hash));
        next_append_ = i + 1;
        ++size_;
        return c.value;
    }

    // In-place insertion, for tables of trivially copyable slots only (cells shift).
    // The slot index where an entry with `hash` would go, or table_npos if the table must
    // be rebuilt first (it would exceed its maximum load, or no empty slot lies between
    // that index and the end of the table). Precondition: the key is absent.
    std::size_t insert_position(std::uint64_t hash) const noexcept {
        static_assert(std::is_trivially_copyable_v<Slot>, "in-place insertion moves cells");
        if (size_ + 1 > table_max_entries(home_bits_)) return table_npos;
        const std::size_t n = slot_count();
        std::size_t i = home_group_of(hash, home_bits_) * group_width;
        while (i < n && full_at(i) && hash_at(i) <= hash) ++i;  // keep I1 (and I2: start at home)
        std::size_t j = i;
        while (j < n && full_at(j)) ++j;  // the empty slot that absorbs the shift
        return j < n ? i : table_npos;
    }

    // Inserts at the index insert_position(hash) returned (nothing changed in between),
    // shifting the run of full slots that starts there one slot to the right. Each shifted
    // cell stays at or after its home (I2) and the run stays gap-free (I3). Never throws.
    void insert_at(std::size_t i, std::uint64_t hash, const Slot& value) noexcept {
        std::size_t j = i;
        while (full_at(j)) ++j;
        for (std::size_t k = j; k > i; --k) move_cell(k - 1, k);
        std::construct_at(&cell_ref(i).value, value);
        if constexpr (stores_hash) cell_ref(i).hash = hash;
        assert(hash_at(i) == hash);
        set_ctrl(i, h2_of(hash));
        ++size_;
        next_append_ = slot_count();  // appending after in-place edits is not supported
    }

    // Removes the entry at slot i by backward-shift deletion: each following cell that may
    // move one slot left without passing the start of its home group does so, until an
    // empty slot or a cell already at its home start. Keeps I1-I3 without tombstones.
    // Never throws.
    void erase_at(std::size_t i) noexcept {
        static_assert(std::is_trivially_copyable_v<Slot>, "in-place erasure moves cells");
        std::destroy_at(&cell_ref(i).value);
        const std::size_t n = slot_count();
        std::size_t k = i;
        while (k + 1 < n && full_at(k + 1) && home_group_of(hash_at(k + 1), home_bits_) * group_width <= k) {
            move_cell(k + 1, k);
            ++k;
        }
        set_ctrl(k, ctrl_empty);
        --size_;
        next_append_ = slot_count();
    }

    // I1-I3 and the bookkeeping, checked slot by slot. For tests. O(slots * probe length).
    bool check_invariants() const noexcept {
        std::size_t count = 0;
        bool have_previous = false;
        std::uint64_t previous = 0;
        for (std::size_t i = 0; i < slot_count(); ++i) {
            const std::uint8_t c = ctrl_at(group_array_[i / group_width].ctrl, i % group_width);
            if (c == ctrl_empty) continue;
            if (c >= 0x80) return false;  // neither full nor empty
            const std::uint64_t h = hash_at(i);
            if (c != h2_of(h)) return false;
            if (have_previous && h < previous) return false;  // I1
            const std::size_t home_start = home_group_of(h, home_bits_) * group_width;
            if (home_start > i) return false;  // I2
            for (std::size_t k = home_start; k < i; ++k) {
                if (!full_at(k)) return false;  // I3
            }
            have_previous = true;
            previous = h;
            ++count;
        }
        return count == size_;
    }

private:
    static constexpr std::size_t block_alignment =
        alignof(group) > alignof(std::max_align_t) ? alignof(group) : alignof(std::max_align_t);

    static constexpr std::size_t round_up(std::size_t n, std::size_t a) noexcept { return (n + a - 1) / a * a; }

    static constexpr std::size_t groups_offset() noexcept { return round_up(sizeof(immutable_table), alignof(group)); }

    immutable_table(unsigned home_bits, std::size_t groups, std::size_t bytes) noexcept
        : home_bits_(home_bits),
          groups_(groups),
          bytes_(bytes),
          group_array_(reinterpret_cast<group*>(reinterpret_cast<unsigned char*>(this) + groups_offset())) {}
    ~immutable_table() = default;

    cell& cell_ref(std::size_t i) noexcept { return group_array_[i / group_width].cells[i % group_width]; }
    const cell& cell_ref(std::size_t i) const noexcept { return group_array_[i / group_width].cells[i % group_width]; }

    void set_ctrl(std::size_t i, std::uint8_t c) noexcept {
        std::uint64_t& word = group_array_[i / group_width].ctrl;
        word = with_ctrl(word, static_cast<unsigned>(i % group_width), c);
    }

    // Moves a full cell of a trivially copyable Slot from `from` to the empty slot `to`.
    void move_cell(std::size_t from, std::size_t to) noexcept {
        std::construct_at(&cell_ref(to).value, cell_ref(from).value);
        if constexpr (stores_hash) cell_ref(to).hash = cell_ref(from).hash;
        set_ctrl(to, ctrl_at(group_array_[from / group_width].ctrl, from % group_width));
        set_ctrl(from, ctrl_empty);
    }

    const unsigned home_bits_;
    const std::size_t groups_;         // home groups plus overflow groups
    const std::size_t bytes_;          // size of the whole block
    group* const group_array_;         // groups_ groups
    std::size_t size_ = 0;             // full slots
    std::size_t next_append_ = 0;      // append() places the next entry at or after this slot
};

}  // namespace syncmap::detail
