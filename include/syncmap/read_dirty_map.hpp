// syncmap/read_dirty_map.hpp - Go's sync.Map as it was up to Go 1.23: a read-only view
// that readers use without locking, a mutex-protected dirty map for new keys, a miss
// counter that decides when the dirty map is promoted, and the `expunged` sentinel.
//
// Why it exists next to sync_map: it is the classic algorithm, reproduced faithfully
// (clauses RD1, RD2) so that its behaviour can be measured against sync_map's on the same
// workloads. It wins when the key set is stable (every read hits the read view: one atomic
// load, one probe, no lock, no shared write) and loses when new keys keep arriving (the
// first new key after each promotion copies the whole read view into a new dirty map, and
// reads of keys not yet promoted take the mutex). docs/DESIGN.md has the comparison.
//
// Structure (each field's invariants are documented where it is declared):
//
//   read_ ──► table (immutable_table, hash order) ──► entry {key, p, owners} ──► value_node
//   dirty_ ─► table (private, edited under mu_) ──────┘ (the same entries)
//
// - An entry is Go's *entry: one per key, shared by the read view and the dirty map. Its
//   atomic pointer `p` is nullptr (deleted), `expunged` (deleted and missing from dirty),
//   or a value node. Values are replaced by compare-and-swap on p, without mu_, as long as
//   p is not expunged; the replaced node is retired through RCU.
// - Promotion (misses >= len(dirty), or range on an amended map) publishes the dirty
//   table as the new read view: O(1), the table simply stops being edited.
// - The first new key after a promotion copies the read view into a new dirty table,
//   expunging deleted entries on the way (dirtyLocked and tryExpungeLocked in Go).
//
// Deliberate differences from Go, each needed by a C++ contract:
// - Lifetime. Go's garbage collector frees an entry once no map references it. Here each
//   entry counts the tables that hold it (`owners`); a published table is freed after its
//   owners are done (RCU for readers, a reference count for range()), and frees the entries
//   only it still held. An entry dropped from an unpublished dirty table goes through RCU.
// - Exception safety (L4). Every value that is returned or stored is copied before the
//   compare-and-swap that commits the operation, and every allocation precedes it, so a
//   throwing copy, hash, comparison or allocation leaves the map unchanged.
// - range and keys that come back (RD2). In Go, a key deleted before Range starts and
//   stored again during it can be yielded, because its entry lingers in the read view with
//   p == nil and is revived in place. Each value node here records `present_since`, a
//   clock reading taken before the store that made the key present (inherited when a
//   present key's value is replaced); range yields only values present since before it
//   started, so no key stored after the start is ever yielded.
// - Go's Range runs with the read map pinned by the garbage collector; here range holds a
//   reference on the read view's table and an RCU read-side section for one group of eight
//   slots at a time, so a slow callback pins one table, not every retired object.
// - size() and empty() do not exist in Go; they count entries with a value, in the read
//   view or (when it is amended) in dirty, without promoting.
#pragma once

#include "detail/config.hpp"

#include <atomic>
#include <cassert>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include "detail/control_bytes.hpp"
#include "detail/go_api.hpp"
#include "detail/immutable_table.hpp"
#include "detail/rcu.hpp"
#include "equal_to.hpp"
#include "hash.hpp"

namespace syncmap {

namespace detail {

// The base of every read_dirty_map value node, so that Go's `expunged` can be a value
// pointer that points to no value: the address of this one object.
struct rd_value_base {};
inline rd_value_base rd_expunged_marker;

}  // namespace detail

template <class K, class V, class Hash = syncmap::hash<K>, class KeyEqual = syncmap::equal_to<K>>
class read_dirty_map : public detail::go_api<read_dirty_map<K, V, Hash, KeyEqual>, K, V, Hash, KeyEqual> {
    friend class detail::go_lookup_api<read_dirty_map, K, V, Hash, KeyEqual>;
    friend class detail::go_api<read_dirty_map, K, V, Hash, KeyEqual>;

    template <class Q>
    static constexpr bool heterogeneous = detail::heterogeneous_key<Q, K, Hash, KeyEqual>;

public:
    using key_type = K;
    using mapped_type = V;
    using hasher = Hash;
    using key_equal = KeyEqual;

    // An empty map with a fresh random seed (H1). Allocates nothing (Go's zero Map).
    read_dirty_map() : read_dirty_map(detail::random_seed()) {}

    // An empty map with a fixed seed: hash order, and so range order, become reproducible.
    explicit read_dirty_map(std::uint64_t seed, const Hash& hash = Hash(), const KeyEqual& equal = KeyEqual())
        : seed_(seed), hash_(hash), equal_(equal) {}

    // Precondition: no other thread uses the map and no range() is running. Frees what the
    // map owns; tables retired earlier are freed by the RCU reclaimer thread (with the
    // entries only they still hold).
    ~read_dirty_map() {
        if (table* r = unpack(read_.load(std::memory_order_relaxed)).view) release_read_view(r);
        if (dirty_ != nullptr) destroy_dirty(dirty_);
    }

    read_dirty_map(const read_dirty_map&) = delete;
    read_dirty_map& operator=(const read_dirty_map&) = delete;

    // ---- Reads ----------------------------------------------------------------------
    //
    // Progress: a key in the read view, or any key while the read view is not amended, is
    // found without a lock (RD1, L2): wait-free apart from the user's hash and equality.
    // A key missing from an amended read view is looked up in dirty under mu_ and counts a
    // miss (Go's Load), which may promote dirty. O(1) expected.

    // Go's Load (the key's value at some instant of the call, L1, or nullopt), and
    // contains and visit (detail/go_api.hpp), for K and heterogeneous keys (a
    // std::string_view for a std::string key, ...). visit's f(const V&) gets a reference
    // valid only during f; f runs without mu_ and may call any member of this map.

    // ---- Writes ---------------------------------------------------------------------
    //
    // Progress: replacing or deleting the value of a key in the read view is lock-free
    // (one compare-and-swap on the entry, retried only if another writer won); adding a key
    // missing from the read view takes mu_, and the first such key after a promotion copies
    // the read view (O(n)). O(1) amortised otherwise.

    // Go's Store, Swap (exchange), LoadOrStore, LoadAndDelete, Delete (erase),
    // CompareAndSwap and CompareAndDelete (detail/go_api.hpp), for K and heterogeneous
    // keys: K is built from the argument only when the key is inserted.
    // - exchange builds its result before the commit and returns it without a copy or
    //   move after it (L4).
    // - load_or_store is lock-free when the key is present in the read view (L3); it needs
    //   V copy-assignable or nothrow move-constructible (a store that loses a race loads
    //   instead, into the result built before the commit).
    // - compare_and_swap is lock-free when the key is in the read view, or absent from a
    //   read view that is not amended (L3); otherwise it is decided under mu_ (and counted
    //   as a miss when the key is found in dirty, as in Go). compare_and_delete makes the
    //   same progress as load(). Both need an equality-comparable V.

    // Go Clear (Go 1.23): publishes an empty read view and empties dirty. Linearizable.
    // Takes mu_ unless the map is already empty; O(1): the old tables and entries are
    // freed later, after every reader and range that could see them is done.
    void clear();

    // ---- Traversal ------------------------------------------------------------------

    // Go Range: calls f(const K&, const V&) for each key; f returns bool (false stops) or
    // void. If the read view is amended, dirty is promoted first (under mu_, O(1)), so the
    // set of keys range walks is fixed when it starts (RD2); values are read live, one
    // entry at a time. Guarantees, for keys and the interval [start, end] of the call:
    //   - a key present throughout is yielded exactly once (W1), no key twice (W2), no key
    //     absent throughout (W3), each with a value it held during the call (W4);
    //   - a key stored after the start (new, or stored again after a delete) is never
    //     yielded (RD2), even if f stores it itself.
    // Order: ascending hash order of the read view. f may call any member of this map;
    // range holds no lock while f runs, never blocks writers (W5), and holds an RCU
    // read-side section only across one group of eight slots. Stopping early is O(1) (W6).
    // Not wait-free: the promotion takes mu_. O(n).
    template <class F>
    void range(F&& f) const {
        range_impl(f);
    }

    // The number of keys with a value. Does not promote: counts the read view's entries
    // without a lock when the read view is complete (not amended), otherwise dirty's
    // entries under mu_ (dirty then holds every key). Exact when no writer runs. Under
    // concurrent writes, at least the number of keys present throughout the call and at
    // most the number of distinct keys present at some instant of it (each counted key was
    // present when its entry was read). O(n).
    std::size_t size() const {
        std::size_t n = 0;
        for_each_live_entry([&n] {
            ++n;
            return true;
        });
        return n;
    }

    // size() == 0, stopping at the first key found.
    bool empty() const {
        bool any = false;
        for_each_live_entry([&any] {
            any = true;
            return false;
        });
        return !any;
    }

    std::uint64_t seed() const noexcept { return seed_; }
    hasher hash_function() const { return hash_; }
    key_equal key_eq() const { return equal_; }

    // ---- Observing the algorithm (tests, the lab) -------------------------------------

    // The state RD1 is about, read under mu_.
    struct debug_info {
        std::size_t read_entries = 0;   // entries in the read view (live, deleted or expunged)
        std::size_t read_deleted = 0;   // of which p == nullptr
        std::size_t read_expunged = 0;  // of which p == expunged
        bool amended = false;           // dirty holds a key the read view lacks
        bool has_dirty = false;         // dirty exists (Go: m.dirty != nil)
        std::size_t dirty_entries = 0;  // len(dirty)
        std::size_t misses = 0;
        std::uint64_t promotions = 0;    // dirty published as the read view, since construction
        std::uint64_t dirty_copies = 0;  // read view copied into a new dirty (dirtyLocked)
    };
    debug_info debug_state() const {
        std::lock_guard<std::mutex> lock(mu_);
        debug_info info;
        const read_only r = unpack(read_.load(std::memory_order_relaxed));
        info.amended = r.amended;
        if (r.view != nullptr) {
            info.read_entries = r.view->size();
            for (entry* e : *r.view) {
                const detail::rd_value_base* p = e->p.load(std::memory_order_acquire);
                if (p == nullptr) ++info.read_deleted;
                if (p == expunged()) ++info.read_expunged;
            }
        }
        info.has_dirty = dirty_ != nullptr;
        info.dirty_entries = dirty_ != nullptr ? dirty_->size() : 0;
        info.misses = misses_;
        info.promotions = promotions_;
        info.dirty_copies = dirty_copies_;
        return info;
    }

    // Where one key's entry is, and the state of its value pointer.
    enum class entry_state { absent, live, deleted, expunged };
    struct debug_key_info {
        entry_state in_read = entry_state::absent;   // the read view's entry for the key
        entry_state in_dirty = entry_state::absent;  // dirty's entry for the key
        bool same_entry = false;                     // both hold the same entry (Go's invariant)
    };
    debug_key_info debug_key(const K& key) const {
        const std::uint64_t h = hash_of(key);
        std::lock_guard<std::mutex> lock(mu_);
        debug_key_info info;
        entry* in_read = find_in(unpack(read_.load(std::memory_order_relaxed)).view, h, key);
        entry* in_dirty = find_in(dirty_, h, key);
        info.in_read = state_of(in_read);
        info.in_dirty = state_of(in_dirty);
        info.same_entry = in_read != nullptr && in_read == in_dirty;
        return info;
    }

private:
    // ---- Values -----------------------------------------------------------------------

    // A stored value. Immutable once published through an entry's p; replaced as a whole
    // and retired through RCU, so a reader inside a read-side section may use it freely.
    struct value_node : detail::rd_value_base {
        template <class... Args>
        explicit value_node(Args&&... args) : value(std::forward<Args>(args)...) {}

        // A reading of presence_clock_ taken before the store that made the key present
        // (absent -> present); a value replacing a present one inherits it. range() skips
        // values with present_since past its own starting reading (RD2). Written only
        // before the node is published.
        std::uint64_t present_since = 0;
        V value;
    };

    // Go's `expunged`: marks an entry deleted from the read view and missing from dirty.
    // Never dereferenced; only its address matters.
    static constexpr detail::rd_value_base* expunged() noexcept { return &detail::rd_expunged_marker; }

    static bool live(const detail::rd_value_base* p) noexcept { return p != nullptr && p != expunged(); }
    static const value_node* as_node(const detail::rd_value_base* p) noexcept {
        return static_cast<const value_node*>(p);
    }

    // ---- Entries: Go's *entry ---------------------------------------------------------

    struct entry {
        template <class KArg>
        entry(std::uint64_t h, KArg&& k, value_node* v) : hash(h), key(std::forward<KArg>(k)), p(v) {}
        ~entry() {
            // Runs when no table holds the entry and no reader can reach it: nothing else
            // can retire the value still installed here.
            const detail::rd_value_base* v = p.load(std::memory_order_relaxed);
            if (live(v)) delete as_node(v);
        }
        entry(const entry&) = delete;
        entry& operator=(const entry&) = delete;

        // The key's seeded hash; tables read it from here (entry_hash) instead of storing it.
        const std::uint64_t hash;
        const K key;

        // p points to the entry's value.
        //
        // If p == nullptr, the entry has been deleted, and either dirty_ == nullptr or
        // dirty_ holds this entry for its key.
        //
        // If p == expunged(), the entry has been deleted, dirty_ != nullptr, and the entry
        // is missing from dirty_.
        //
        // Otherwise the entry is valid and recorded in the read view and, if dirty_ !=
        // nullptr, in dirty_.
        //
        // An entry is deleted by atomically replacing its value with nullptr; when dirty_
        // is next created, nullptr is atomically replaced with expunged() and the entry is
        // left out of dirty_. A value is replaced atomically provided p != expunged(); if
        // p == expunged(), the entry must first be added to dirty_ (under mu_) and p
        // swapped back to nullptr, so that lookups through dirty_ find it.
        //
        // Transitions: nullptr <-> value and value -> value by compare-and-swap, with or
        // without mu_; nullptr -> expunged and expunged -> nullptr only under mu_. So under
        // mu_, p == expunged() is stable. acq_rel on success: release publishes the new
        // node, acquire orders the read of the node being replaced.
        std::atomic<detail::rd_value_base*> p;

        // How many tables hold this entry: the read view (current or retired and not yet
        // freed) and dirty_. Incremented under mu_ when a table takes the entry; decremented
        // when a table that held it is freed, or when dirty_ drops it. The entry is freed
        // when it reaches zero: at once if the last table was a published read view (its
        // readers are gone by then), through RCU if it was dirty_ (lookups under mu_ use
        // entries after unlocking).
        std::atomic<std::uint32_t> owners{1};
    };

    struct entry_hash {
        static std::uint64_t get(const entry* e) noexcept { return e->hash; }
    };
    using table = detail::immutable_table<entry*, detail::table_no_extra, entry_hash>;

    // Drops one owner; frees the entry if that was the last. Only for owners whose readers
    // are already gone (a read view being freed, or a dirty table retired through RCU).
    static void release_entry(entry* e) noexcept {
        if (e->owners.fetch_sub(1, std::memory_order_acq_rel) == 1) delete e;
    }

    // Frees a read view once its last owner is gone, with it the entries only it held.
    static void destroy_read_view(table* t) noexcept {
        for (entry* e : *t) release_entry(e);
        table::destroy(t);
    }

    static void release_read_view(table* t) noexcept {
        if (t->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy_read_view(t);
    }

    // The map's reference on a read view it just unpublished, dropped after a grace
    // period, so that any reader that loaded the pointer may still take its own reference.
    // Requires a prior rcu_retire_reserve().
    static void retire_read_view(table* t) noexcept {
        detail::rcu_retire(
            t, [](void* p) noexcept { release_read_view(static_cast<table*>(p)); }, t->byte_size());
    }

    // A dirty table dropped by clear() (never published): its entries are released after a
    // grace period, because lookups under mu_ use entries after unlocking.
    static void destroy_dirty(table* t) noexcept { destroy_read_view(t); }
    static void retire_dirty(table* t) noexcept {
        detail::rcu_retire(
            t, [](void* p) noexcept { destroy_dirty(static_cast<table*>(p)); }, t->byte_size());
    }

    // ---- The read view: Go's `read atomic.Pointer[readOnly]` ---------------------------

    struct read_only {
        table* view;    // Go's readOnly.m; nullptr means empty
        bool amended;   // true if dirty_ contains some key not in table
    };
    static std::uintptr_t pack(table* t, bool amended) noexcept {
        return reinterpret_cast<std::uintptr_t>(t) | static_cast<std::uintptr_t>(amended);
    }
    static read_only unpack(std::uintptr_t word) noexcept {
        return {reinterpret_cast<table*>(word & ~std::uintptr_t{1}), (word & 1) != 0};
    }

    template <class Q>
    static entry* find_in(const table* t, std::uint64_t h, const Q& key, const KeyEqual& equal) {
        if (t == nullptr) return nullptr;
        entry* const* slot = t->find(h, [&](entry* const& e) { return equal(e->key, key); });
        return slot != nullptr ? *slot : nullptr;
    }
    template <class Q>
    entry* find_in(const table* t, std::uint64_t h, const Q& key) const {
        return find_in(t, h, key, equal_);
    }

    static entry_state state_of(const entry* e) noexcept {
        if (e == nullptr) return entry_state::absent;
        const detail::rd_value_base* p = e->p.load(std::memory_order_acquire);
        if (p == nullptr) return entry_state::deleted;
        if (p == expunged()) return entry_state::expunged;
        return entry_state::live;
    }

    template <class Q>
    std::uint64_t hash_of(const Q& key) const {
        return detail::seeded_hash(hash_, key, seed_);
    }

    std::uint64_t fresh_presence_stamp() const noexcept {
        // seq_cst, as range's reading: a store that begins after range read the clock
        // gets a larger stamp.
        return presence_clock_.fetch_add(1, std::memory_order_seq_cst) + 1;
    }

    // ---- Locked helpers (caller holds mu_) ---------------------------------------------

    // Go's missLocked: counts a miss and promotes dirty once the misses cover the cost of
    // copying it. Caller holds mu_, dirty_ != nullptr, and reserved one retirement.
    void miss_locked() const noexcept {
        assert(dirty_ != nullptr);
        if (++misses_ < dirty_->size()) return;
        promote_locked();
    }

    // Publishes dirty_ as the read view (unamended), in O(1): from now on the table is never
    // edited. Caller holds mu_, dirty_ != nullptr, and reserved one retirement.
    void promote_locked() const noexcept {
        table* old = unpack(read_.load(std::memory_order_relaxed)).view;
        // release: the dirty table's cells, edited under mu_, are visible to lock-free readers.
        read_.store(pack(dirty_, false), std::memory_order_release);
        dirty_ = nullptr;
        misses_ = 0;
        ++promotions_;
        if (old != nullptr) retire_read_view(old);
    }

    // Go's tryExpungeLocked: marks a deleted entry expunged (so it is left out of the new
    // dirty) and reports whether it is expunged.
    static bool try_expunge_locked(entry* e) noexcept {
        detail::rd_value_base* p = e->p.load(std::memory_order_acquire);
        while (p == nullptr) {
            if (e->p.compare_exchange_weak(p, expunged(), std::memory_order_acq_rel, std::memory_order_acquire)) {
                return true;
            }
        }
        return p == expunged();
    }

    // Allocates the table that dirtyLocked will fill from read view `r` (sized for its
    // entries plus one new key). May throw std::bad_alloc; changes nothing.
    static table* allocate_dirty_for(const table* r) {
        const std::size_t n = r != nullptr ? r->size() : 0;
        detail::table_plan plan(n + 1, 1);
        if (r != nullptr) {
            for (auto it = r->begin(); it != r->end(); ++it) plan.add(it.hash());
        }
        return table::allocate(plan);
    }

    // Go's dirtyLocked, second half: fills a fresh dirty table (from allocate_dirty_for)
    // with the read view's entries that are not expunged, in hash order. Never throws.
    void fill_dirty_locked(table* fresh, const table* r) const noexcept {
        if (r != nullptr) {
            for (auto it = r->begin(); it != r->end(); ++it) {
                entry* e = *it;
                if (try_expunge_locked(e)) continue;
                fresh->append(it.hash(), e);
                e->owners.fetch_add(1, std::memory_order_relaxed);  // under mu_; the read view still owns it
            }
        }
        dirty_ = fresh;
        ++dirty_copies_;
    }

    // The index where dirty_ takes a new entry with hash h, rebuilding dirty_ larger first
    // if it has no room. May throw std::bad_alloc before changing anything.
    std::size_t dirty_room_for(std::uint64_t h) const {
        std::size_t pos = dirty_->insert_position(h);
        if (pos != detail::table_npos) return pos;
        table* bigger = table::copy_of(*dirty_, 2 * dirty_->size() + 1, 1);
        // The old dirty table was never published and is only read under mu_: free it now.
        // The entries move to the new table with their owner counts unchanged.
        table::destroy(dirty_);
        dirty_ = bigger;
        pos = dirty_->insert_position(h);
        assert(pos != detail::table_npos);
        return pos;
    }

    // Swap's and LoadOrStore's unexpungeLocked followed by `m.dirty[key] = e`: e is in the
    // read view with p == expunged() (so dirty_ != nullptr). May throw std::bad_alloc
    // before changing anything.
    void unexpunge_locked(entry* e, std::uint64_t h) const {
        const std::size_t pos = dirty_room_for(h);
        detail::rd_value_base* p = expunged();
        // Succeeds: under mu_, expunged is stable.
        e->p.compare_exchange_strong(p, nullptr, std::memory_order_acq_rel, std::memory_order_acquire);
        assert(p == expunged());
        dirty_->insert_at(pos, h, e);
        e->owners.fetch_add(1, std::memory_order_relaxed);
    }

    // The new-key path of Swap and LoadOrStore: `if !read.amended { dirtyLocked();
    // read.Store(amended) }; m.dirty[key] = newEntry(value)`. Allocates everything first;
    // if anything throws, the map is unchanged and `node` is freed.
    template <class KArg>
    void add_entry_locked(std::uint64_t h, KArg&& key, std::unique_ptr<value_node> node, read_only r) const {
        node->present_since = fresh_presence_stamp();
        std::unique_ptr<entry> e(new entry(h, std::forward<KArg>(key), node.get()));
        node.release();  // owned by e from here on
        std::unique_ptr<table, typename table::deleter> fresh;
        std::size_t pos = 0;
        if (dirty_ == nullptr) {
            fresh.reset(allocate_dirty_for(r.view));
        } else {
            pos = dirty_room_for(h);
        }
        // Commit: nothing below throws.
        if (fresh != nullptr) {
            fill_dirty_locked(fresh.release(), r.view);
            pos = dirty_->insert_position(h);
            assert(pos != detail::table_npos);  // sized for one more entry, with a spare group
        }
        dirty_->insert_at(pos, h, e.release());
        if (!r.amended) {
            // We added the first new key to dirty: mark the read view incomplete.
            read_.store(pack(r.view, true), std::memory_order_release);
        }
    }

    // ---- Per-entry operations (Go's entry methods) --------------------------------------

    // trySwap / swapLocked: installs `node`, recording the previous value in *previous
    // (if given) before the commit. False if p is expunged (never the case under mu_
    // after unexpunge_locked).
    bool try_swap(entry* e, std::unique_ptr<value_node>& node, std::optional<V>* previous) const {
        detail::rd_value_base* p = e->p.load(std::memory_order_acquire);
        for (;;) {
            if (p == expunged()) return false;
            if (previous != nullptr) {
                if (p != nullptr) {
                    previous->emplace(as_node(p)->value);  // may throw: no change yet
                } else {
                    previous->reset();
                }
            }
            node->present_since = p != nullptr ? as_node(p)->present_since : fresh_presence_stamp();
            if (e->p.compare_exchange_weak(p, node.get(), std::memory_order_acq_rel, std::memory_order_acquire)) {
                node.release();
                if (p != nullptr) detail::rcu_retire(const_cast<value_node*>(as_node(p)));
                return true;
            }
        }
    }

    // Makes `result` (built as (value, false) before any commit) report the value at p as
    // loaded. Nothing has been committed when this runs; a throw leaves the map unchanged.
    static void load_into(std::pair<V, bool>& result, const detail::rd_value_base* p) {
        if constexpr (std::is_copy_assignable_v<V>) {
            result.first = as_node(p)->value;
        } else {
            static_assert(std::is_nothrow_move_constructible_v<V>,
                          "load_or_store needs V copy-assignable or nothrow move-constructible");
            V copy(as_node(p)->value);
            std::destroy_at(&result.first);
            std::construct_at(&result.first, std::move(copy));
        }
        result.second = true;
    }

    // tryLoadOrStore: stores `value` if the entry is deleted (result stays (value, false)),
    // or loads its value into result. False if the entry is expunged.
    bool try_load_or_store(entry* e, const V& value, std::pair<V, bool>& result) const {
        detail::rd_value_base* p = e->p.load(std::memory_order_acquire);
        if (p == expunged()) return false;
        if (p != nullptr) {
            load_into(result, p);
            return true;
        }
        std::unique_ptr<value_node> node(new value_node(value));
        for (;;) {
            node->present_since = fresh_presence_stamp();
            detail::rd_value_base* expected = nullptr;
            if (e->p.compare_exchange_weak(expected, node.get(), std::memory_order_acq_rel,
                                           std::memory_order_acquire)) {
                node.release();
                return true;
            }
            if (expected == expunged()) return false;
            if (expected != nullptr) {
                load_into(result, expected);
                return true;
            }
        }
    }

    // tryCompareAndSwap.
    bool try_compare_and_swap(entry* e, const V& expected, const V& desired) const {
        detail::rd_value_base* p = e->p.load(std::memory_order_acquire);
        if (!live(p) || !(as_node(p)->value == expected)) return false;
        std::unique_ptr<value_node> node(new value_node(desired));
        for (;;) {
            node->present_since = as_node(p)->present_since;  // present -> present
            if (e->p.compare_exchange_weak(p, node.get(), std::memory_order_acq_rel, std::memory_order_acquire)) {
                node.release();
                detail::rcu_retire(const_cast<value_node*>(as_node(p)));
                return true;
            }
            if (!live(p) || !(as_node(p)->value == expected)) return false;
        }
    }

    // entry.delete, and CompareAndDelete's loop when `expected` is given. Copies the value
    // into *out (if out) before the commit. *out is engaged exactly when this returns true:
    // a copy taken before a compare-and-swap that lost the race is discarded, because the
    // value it holds was replaced or deleted by another operation (which linearizes first).
    template <class Match>
    static bool delete_value(entry* e, std::optional<V>* out, Match&& match) {
        detail::rd_value_base* p = e->p.load(std::memory_order_acquire);
        for (;;) {
            if (!live(p) || !match(as_node(p)->value)) {
                if (out != nullptr) out->reset();
                return false;
            }
            if (out != nullptr) out->emplace(as_node(p)->value);  // may throw: no change yet
            if (e->p.compare_exchange_weak(p, nullptr, std::memory_order_acq_rel, std::memory_order_acquire)) {
                detail::rcu_retire(const_cast<value_node*>(as_node(p)));
                return true;
            }
        }
    }

    // ---- Operations ---------------------------------------------------------------------

    // Load's lookup: the read view, then (if amended) dirty under mu_, counting a miss.
    // Caller holds an rcu_reader (the entry is used after mu_ is released).
    template <class Q>
    entry* locate(std::uint64_t h, const Q& key) const {
        read_only r = unpack(read_.load(std::memory_order_acquire));
        entry* e = find_in(r.view, h, key);
        if (e != nullptr || !r.amended) return e;
        detail::rcu_retire_reserve();  // a miss may promote, retiring the read view
        std::lock_guard<std::mutex> lock(mu_);
        // Avoid reporting a spurious miss if dirty got promoted while we waited for mu_.
        r = unpack(read_.load(std::memory_order_relaxed));  // read_ is only stored under mu_
        e = find_in(r.view, h, key);
        if (e == nullptr && r.amended) {
            e = find_in(dirty_, h, key);
            // Found or not, this key takes the slow path until dirty is promoted.
            miss_locked();
        }
        return e;
    }

    template <class Q>
    std::optional<V> load_impl(const Q& key) const {
        const std::uint64_t h = hash_of(key);
        detail::rcu_reader reader;
        const entry* e = locate(h, key);
        if (e == nullptr) return std::nullopt;
        const detail::rd_value_base* p = e->p.load(std::memory_order_acquire);
        if (!live(p)) return std::nullopt;
        return as_node(p)->value;
    }

    template <class Q, class F>
    bool visit_impl(const Q& key, F&& f) const {
        const std::uint64_t h = hash_of(key);
        detail::rcu_reader reader;
        const entry* e = locate(h, key);
        if (e == nullptr) return false;
        const detail::rd_value_base* p = e->p.load(std::memory_order_acquire);
        if (!live(p)) return false;
        std::invoke(f, std::as_const(as_node(p)->value));
        return true;
    }

    template <class Q>
    std::pair<V, bool> store_or_load(std::uint64_t h, const Q& key, const V& value);
    template <class Q>
    bool compare_and_swap_impl(const Q& key, const V& expected, const V& desired);
    template <class Q>
    bool compare_and_delete_impl(const Q& key, const V& expected);

    // Go Swap (Store is Swap without the result): the previous value goes to *previous.
    template <class KArg, class VArg>
    void store_impl(KArg&& key, VArg&& value) {
        swap_impl(std::forward<KArg>(key), std::forward<VArg>(value), nullptr);
    }

    template <class Q>
    std::optional<V> load_and_delete_impl(const Q& key) {
        std::optional<V> removed;
        delete_impl(key, &removed);
        return removed;
    }

    template <class Q>
    bool erase_impl(const Q& key) {
        return delete_impl(key, nullptr);
    }

    template <class Q>
    std::optional<V> exchange_impl(const Q& key, const V& value) {
        std::optional<V> previous;
        swap_impl(key, value, &previous);
        return previous;
    }

    template <class Q>
    std::pair<V, bool> load_or_store_impl(const Q& key, const V& value) {
        const std::uint64_t h = hash_of(key);
        {
            // Go's clean hit: the key is in the read view with a value. Nothing changes.
            detail::rcu_reader reader;
            if (const entry* e = find_in(unpack(read_.load(std::memory_order_acquire)).view, h, key)) {
                const detail::rd_value_base* p = e->p.load(std::memory_order_acquire);
                if (live(p)) return {as_node(p)->value, true};
            }
        }
        return store_or_load(h, key, value);
    }

    template <class KArg, class VArg>
    void swap_impl(KArg&& key, VArg&& value, std::optional<V>* previous) {
        const std::uint64_t h = hash_of(key);
        std::unique_ptr<value_node> node(new value_node(std::forward<VArg>(value)));
        detail::rcu_retire_reserve();  // the replaced value
        detail::rcu_reader reader;
        read_only r = unpack(read_.load(std::memory_order_acquire));
        if (entry* e = find_in(r.view, h, key)) {
            if (try_swap(e, node, previous)) return;
        }
        std::lock_guard<std::mutex> lock(mu_);
        r = unpack(read_.load(std::memory_order_relaxed));
        if (entry* e = find_in(r.view, h, key)) {
            // An expunged entry is missing from dirty_ (which exists): put it back first.
            if (e->p.load(std::memory_order_relaxed) == expunged()) unexpunge_locked(e, h);
            try_swap(e, node, previous);
            return;
        }
        if (entry* e = find_in(dirty_, h, key)) {
            try_swap(e, node, previous);
            return;
        }
        if (previous != nullptr) previous->reset();
        add_entry_locked(h, std::forward<KArg>(key), std::move(node), r);
    }

    // Go LoadAndDelete (out != nullptr) and Delete.
    template <class Q>
    bool delete_impl(const Q& key, std::optional<V>* out) {
        const std::uint64_t h = hash_of(key);
        constexpr auto any = [](const V&) { return true; };
        detail::rcu_retire_reserve(3);  // the value, a dirty-only entry, a promoted-over read view
        detail::rcu_reader reader;
        read_only r = unpack(read_.load(std::memory_order_acquire));
        entry* e = find_in(r.view, h, key);
        if (e == nullptr && r.amended) {
            std::lock_guard<std::mutex> lock(mu_);
            r = unpack(read_.load(std::memory_order_relaxed));
            e = find_in(r.view, h, key);
            if (e == nullptr && r.amended) {
                const std::size_t i = dirty_->find_index(h, [&](entry* const& d) { return equal_(d->key, key); });
                bool deleted = false;
                if (i != detail::table_npos) {
                    entry* d = dirty_->cell_at(i).value;
                    // Go deletes the key from dirty, then deletes the entry's value after
                    // unlocking. Here the value is deleted first, still under mu_, so that
                    // the copy into *out happens before anything changes (L4): a throwing
                    // copy leaves the entry in dirty with its value. The order is otherwise
                    // immaterial. The entry is in no published table, but threads that
                    // found it in dirty earlier (locate) may still use it after unlocking;
                    // every value change on it is a compare-and-swap on its p, so at most one
                    // delete wins per value, as in Go.
                    deleted = delete_value(d, out, any);
                    dirty_->erase_at(i);
                    if (d->owners.fetch_sub(1, std::memory_order_acq_rel) == 1) detail::rcu_retire(d);
                }
                // Found or not, this key takes the slow path until dirty is promoted.
                miss_locked();
                return deleted;
            }
        }
        if (e == nullptr) return false;
        return delete_value(e, out, any);
    }

    template <class F>
    void range_impl(F&& f) const {
        // Read first: any store that begins after this point stamps its value later (RD2).
        const std::uint64_t start = presence_clock_.load(std::memory_order_seq_cst);
        table* t = acquire_view_for_range();
        if (t == nullptr) return;
        struct view_ref {
            table* t;
            ~view_ref() { release_read_view(t); }
        } hold{t};
        const std::size_t groups = t->group_count();
        for (std::size_t g = 0; g < groups; ++g) {
            detail::slot_mask full = detail::match_full(t->control_word(g));
            if (!full) continue;
            // One read-side section per group: values are read live and may be replaced and
            // retired meanwhile; entries are kept alive by the table reference.
            detail::rcu_reader reader;
            for (; full; full.remove_lowest()) {
                const entry* e = t->cell_at(g * detail::group_width + full.lowest()).value;
                const detail::rd_value_base* p = e->p.load(std::memory_order_acquire);
                if (!live(p)) continue;
                const value_node* n = as_node(p);
                if (n->present_since > start) continue;  // stored after range started (RD2)
                if constexpr (std::is_void_v<std::invoke_result_t<std::remove_reference_t<F>&, const K&, const V&>>) {
                    std::invoke(f, e->key, std::as_const(n->value));
                } else {
                    if (!static_cast<bool>(std::invoke(f, e->key, std::as_const(n->value)))) return;
                }
            }
        }
    }

    // Calls f() for each entry with a value in the table that holds every key: the read
    // view if it is not amended (inside one read-side section: entries and the view stay
    // alive), else dirty under mu_. Stops when f returns false.
    template <class F>
    void for_each_live_entry(F&& f) const {
        {
            detail::rcu_reader reader;
            const read_only r = unpack(read_.load(std::memory_order_acquire));
            if (!r.amended) {
                if (r.view != nullptr) {
                    for (const entry* e : *r.view) {
                        if (live(e->p.load(std::memory_order_acquire)) && !f()) return;
                    }
                }
                return;
            }
        }
        std::lock_guard<std::mutex> lock(mu_);
        const read_only r = unpack(read_.load(std::memory_order_relaxed));
        const table* t = r.amended ? dirty_ : r.view;
        if (t == nullptr) return;
        for (const entry* e : *t) {
            if (live(e->p.load(std::memory_order_acquire)) && !f()) return;
        }
    }

    // Go Range's prologue: promote dirty if the read view is amended, then take a reference
    // on the read view's table (nullptr if the map is empty).
    table* acquire_view_for_range() const {
        {
            detail::rcu_reader reader;
            const read_only r = unpack(read_.load(std::memory_order_acquire));
            if (!r.amended) {
                // Inside the read-side section the map's own reference is still held (it is
                // dropped only after a grace period), so the count is at least 1 here.
                if (r.view != nullptr) r.view->refs.fetch_add(1, std::memory_order_relaxed);
                return r.view;
            }
        }
        detail::rcu_retire_reserve();
        std::lock_guard<std::mutex> lock(mu_);
        // dirty contains keys not in the read view. range is O(n) anyway, so it amortises
        // the promotion: promote dirty now.
        if (unpack(read_.load(std::memory_order_relaxed)).amended) promote_locked();
        table* t = unpack(read_.load(std::memory_order_relaxed)).view;
        if (t != nullptr) t->refs.fetch_add(1, std::memory_order_relaxed);  // current: the map holds a reference
        return t;
    }

    // ---- State ------------------------------------------------------------------------
    //
    // Members are mutable because reads (load, contains, visit, range) count misses
    // and promote, exactly as Go's Load and Range do.

    // Go's `mu`: guards dirty_, misses_, the debug counters, and every store to read_.
    mutable std::mutex mu_;

    // read_ holds the portion of the map's contents that is safe for concurrent access
    // (with or without mu_ held): Go's readOnly{m, amended}, packed into one word (the
    // table pointer, nullptr when empty, with `amended` in bit 0).
    //
    // read_ itself is always safe to load (acquire), but is only stored with mu_ held
    // (release). The table it points to is never edited; its entries' values may be
    // updated concurrently without mu_, but updating a previously expunged entry requires
    // that the entry be copied to dirty_ and unexpunged with mu_ held.
    //
    // When dirty_ == nullptr, the read view holds no expunged entry.
    mutable std::atomic<std::uintptr_t> read_{0};

    // dirty_ holds the portion of the map's contents that requires mu_. To allow promoting
    // it to the read view in O(1), it also holds every entry of the read view that is not
    // expunged.
    //
    // Expunged entries are not in dirty_. An expunged entry in the read view must be
    // unexpunged and added to dirty_ before a new value can be stored in it.
    //
    // If dirty_ == nullptr, the next write of a new key initialises it with a copy of the
    // read view, leaving out (and expunging) deleted entries. Never published while it is
    // dirty_; edited in place (ordered insert and erase), rebuilt larger when full.
    mutable table* dirty_ = nullptr;

    // misses_ counts the lookups since the read view was last replaced that needed mu_ to
    // determine whether the key was present. Once the misses cover the cost of copying
    // dirty (misses_ >= dirty_->size()), dirty_ is promoted to the read view (unamended)
    // and the next new key makes a new dirty copy. Guarded by mu_.
    mutable std::size_t misses_ = 0;

    // Advanced by every store that makes an absent key present; see value_node::
    // present_since. Not in Go (see the file comment).
    mutable std::atomic<std::uint64_t> presence_clock_{0};

    // Guarded by mu_; for debug_state().
    mutable std::uint64_t promotions_ = 0;
    mutable std::uint64_t dirty_copies_ = 0;

    const std::uint64_t seed_;
    [[no_unique_address]] Hash hash_;
    [[no_unique_address]] KeyEqual equal_;
};

// ---- Out-of-line members: the longer Go operations ---------------------------------------

// Go's LoadOrStore past the clean hit. Every return returns `result`, built as the
// stored outcome before anything is committed, so the compiler constructs it in the
// caller's return slot and no V is copied or moved after the commit (L4).
template <class K, class V, class Hash, class KeyEqual>
template <class Q>
std::pair<V, bool> read_dirty_map<K, V, Hash, KeyEqual>::store_or_load(std::uint64_t h, const Q& key, const V& value) {
    std::pair<V, bool> result(value, false);
    detail::rcu_retire_reserve();  // a miss may promote
    detail::rcu_reader reader;
    read_only r = unpack(read_.load(std::memory_order_acquire));
    if (entry* e = find_in(r.view, h, key)) {
        if (try_load_or_store(e, value, result)) return result;
    }
    std::lock_guard<std::mutex> lock(mu_);
    r = unpack(read_.load(std::memory_order_relaxed));
    if (entry* e = find_in(r.view, h, key)) {
        if (e->p.load(std::memory_order_relaxed) == expunged()) unexpunge_locked(e, h);
        try_load_or_store(e, value, result);
    } else if (entry* d = find_in(dirty_, h, key)) {
        try_load_or_store(d, value, result);
        miss_locked();
    } else {
        add_entry_locked(h, key, std::unique_ptr<value_node>(new value_node(value)), r);
    }
    return result;
}

template <class K, class V, class Hash, class KeyEqual>
template <class Q>
bool read_dirty_map<K, V, Hash, KeyEqual>::compare_and_swap_impl(const Q& key, const V& expected, const V& desired) {
    const std::uint64_t h = hash_of(key);
    detail::rcu_retire_reserve(2);  // the replaced value; a promoted-over read view
    detail::rcu_reader reader;
    read_only r = unpack(read_.load(std::memory_order_acquire));
    if (entry* e = find_in(r.view, h, key)) return try_compare_and_swap(e, expected, desired);
    if (!r.amended) return false;  // no existing value for the key
    std::lock_guard<std::mutex> lock(mu_);
    r = unpack(read_.load(std::memory_order_relaxed));
    if (entry* e = find_in(r.view, h, key)) return try_compare_and_swap(e, expected, desired);
    if (entry* e = find_in(dirty_, h, key)) {
        const bool swapped = try_compare_and_swap(e, expected, desired);
        // We needed mu_ to find the entry and the key set did not change: count a miss so
        // that the map eventually reaches the efficient steady state.
        miss_locked();
        return swapped;
    }
    return false;
}

template <class K, class V, class Hash, class KeyEqual>
template <class Q>
bool read_dirty_map<K, V, Hash, KeyEqual>::compare_and_delete_impl(const Q& key, const V& expected) {
    const std::uint64_t h = hash_of(key);
    detail::rcu_retire_reserve(2);  // the value; a promoted-over read view (in locate)
    detail::rcu_reader reader;
    // Unlike LoadAndDelete, the entry stays in dirty: the comparison decides. An entry left
    // deleted is expunged when dirty is next rebuilt.
    entry* e = locate(h, key);
    if (e == nullptr) return false;
    return delete_value(e, nullptr, [&](const V& v) { return v == expected; });
}

template <class K, class V, class Hash, class KeyEqual>
void read_dirty_map<K, V, Hash, KeyEqual>::clear() {
    {
        detail::rcu_reader reader;
        const read_only r = unpack(read_.load(std::memory_order_acquire));
        // Nothing to do if the map is already empty and not amended.
        if ((r.view == nullptr || r.view->empty()) && !r.amended) return;
    }
    detail::rcu_retire_reserve(2);  // the read view and dirty
    std::lock_guard<std::mutex> lock(mu_);
    // Go empties dirty in place (clear(m.dirty)), so a dirty map stays allocated: here, a
    // fresh empty table replaces it. Allocated before anything changes (L4).
    std::unique_ptr<table, typename table::deleter> empty_dirty;
    if (dirty_ != nullptr) empty_dirty.reset(table::allocate_empty());
    table* old_read = unpack(read_.load(std::memory_order_relaxed)).view;
    read_.store(pack(nullptr, false), std::memory_order_release);  // the linearization point
    if (old_read != nullptr) retire_read_view(old_read);
    if (dirty_ != nullptr) {
        retire_dirty(dirty_);
        dirty_ = empty_dirty.release();
    }
    // Don't immediately promote the newly cleared dirty on the next operation.
    misses_ = 0;
}

}  // namespace syncmap
