// syncmap/sync_map.hpp - Go's sync.Map API with lock-free reads and three ways to walk a
// map that changes under you: a weakly consistent range, an O(1) point-in-time snapshot,
// and a resumable, cancellable scan with a serializable cursor.
//
// Design (docs/DESIGN.md has the reasons and the measurements)
//
//   directory ──► leaf ──► slot {key, value word}                 (inline entries)
//                      └─► slot ──► node {hash, key, value}       (node storage)
//                 leaf ──before──► preserved copy ──before──► ...  (for live snapshots)
//
// - Every key has a 64-bit seeded hash (hash.hpp, clause H1). The directory is an array of
//   2^global_depth leaf pointers indexed by the hash's top bits (extendible hashing); a leaf
//   owns the keys whose hash starts with its prefix. Directory order is hash order, so a
//   traversal's position is simply a hash value, which no growth or split can invalidate:
//   range() moves from leaf to leaf by position, and a cursor *is* a position.
// - A leaf is a small Swiss-style open-addressing table. Small trivially copyable keys and
//   values live in its slots (storage.hpp, entry_slot.hpp): the key written once before
//   its control byte publishes it, the value one atomic word replaced in place. Other
//   types live in immutable nodes behind the slots. Readers take no lock and never retry
//   (L2); writers take the leaf's lock, which waits on a futex rather than spinning
//   (leaf_lock.hpp). A full leaf is never rehashed in place: it is rebuilt, split in two,
//   or (for a degenerate hash) grown, on the side, then published, and the old leaf is
//   frozen and retired. Entries never move inside a live leaf.
// - Snapshots: a version clock ticks once per snapshot(). A writer about to change a leaf
//   that a live snapshot still reads live first preserves a copy of the leaf (copy-on-write
//   per leaf, leaf.hpp); a snapshot at version S reads, per leaf, the leaf itself or the
//   newest preserved copy written at or before S. Writers hold a shared gate across that
//   decision and their stores (writer_gate.hpp); snapshot() closes it only to bump the
//   clock (S1).
// - Memory is reclaimed through RCU (rcu.hpp). Readers hold a read-side section for one
//   lookup, or for one leaf of a traversal; writers retire and never wait for a grace
//   period, so traversal callbacks may call any member (W5).
//
// Locks, in the only order they are ever taken: snapshot_mutex_ (snapshot registry;
// snapshot(), snapshot destruction, clear()), structure_mutex_ (splits, directory
// doubling, clear, sweeps), leaf locks, then the writer gate (shared). A writer holds one
// leaf lock for a few stores; it drops it before taking structure_mutex_ to make room.
// compute, load_or_compute and erase_if run the user's callback under the key's leaf lock
// (before the gate); a write member of the same map called from it throws rather than
// wait on that lock (detail/locked_callback.hpp).
//
// What the API leaves out, and why
// - Iterators over the live map: a C++ iterator must pin what it points to between
//   increments; range() pins one leaf at a time instead and resumes by hash position.
//   Snapshots do have iterators: a snapshot pins exactly what it can see.
// - Returning references to values: a value may be replaced and freed by another thread at
//   any moment; load() copies, visit() lends the value for the duration of a callback.
// - Allocators: nodes, leaves and directories come from the global operator new (which
//   may throw std::bad_alloc; every operation then leaves the map unchanged, L4).
#pragma once

#include "detail/config.hpp"

#include <algorithm>
#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <ranges>
#include <stop_token>
#include <type_traits>
#include <utility>
#include <vector>

#include "cursor.hpp"
#include "detail/directory.hpp"
#include "detail/entry_buffer.hpp"
#include "detail/entry_slot.hpp"
#include "detail/go_api.hpp"
#include "detail/leaf.hpp"
#include "detail/locked_callback.hpp"
#include "detail/rcu.hpp"
#include "detail/writer_gate.hpp"
#include "equal_to.hpp"
#include "hash.hpp"
#include "tiebreak_hash.hpp"
#include "stats.hpp"
#include "storage.hpp"

namespace syncmap {

template <class K, class V, class Hash = syncmap::hash<K>, class KeyEqual = syncmap::equal_to<K>,
          class Storage = storage::automatic>
class sync_map : public detail::go_api<sync_map<K, V, Hash, KeyEqual, Storage>, K, V, Hash, KeyEqual> {
    friend class detail::go_lookup_api<sync_map, K, V, Hash, KeyEqual>;
    friend class detail::go_api<sync_map, K, V, Hash, KeyEqual>;

    static_assert(std::is_same_v<Storage, storage::automatic> || std::is_same_v<Storage, storage::inline_entries> ||
                      std::is_same_v<Storage, storage::nodes>,
                  "sync_map: Storage must be storage::automatic, storage::inline_entries or storage::nodes");
    static_assert(!std::is_same_v<Storage, storage::inline_entries> || storage::inlinable<K, V>,
                  "sync_map: storage::inline_entries needs trivially copyable K and V with sizeof(V) <= 8 and "
                  "sizeof(K) + sizeof(V) <= 16 (see storage.hpp)");
    static_assert(detail::usable_hasher<Hash, K>,
                  "syncmap::sync_map: Hash cannot hash K. For the default syncmap::hash<K>, K must be an integer, "
                  "enum, pointer or string, or have a std::hash<K> specialisation; or pass a Hash callable as "
                  "h(const K&) or h(const K&, std::uint64_t seed)");
    static_assert(std::is_invocable_r_v<bool, const KeyEqual&, const K&, const K&>,
                  "syncmap::sync_map: KeyEqual must be callable as bool(const K&, const K&) (default: K's operator==)");

public:
    // Whether entries live in the leaves' slots (true) or in nodes behind them.
    static constexpr bool inline_storage = storage::uses_inline_entries<Storage, K, V>;

private:
    using slot_type = std::conditional_t<inline_storage, detail::inline_slot<K, V>, detail::node_slot<K, V>>;
    using node_type = detail::node<K, V>;
    using leaf = detail::leaf<slot_type>;
    using directory = detail::directory<leaf>;

    template <class Q>
    static constexpr bool heterogeneous = detail::heterogeneous_key<Q, K, Hash, KeyEqual>;

    static constexpr std::uint64_t no_snapshot_newest = 0;

public:
    using key_type = K;
    using mapped_type = V;
    using hasher = Hash;
    using key_equal = KeyEqual;
    using storage_type = Storage;
    class snapshot_type;

    // An empty map with a fresh random seed. Allocates one leaf and a one-entry directory.
    sync_map() : sync_map(detail::random_seed()) {}

    // An empty map with a fixed seed: hash order, and so traversal order, become
    // reproducible.
    explicit sync_map(std::uint64_t seed, const Hash& hash = Hash(), const KeyEqual& equal = KeyEqual())
        : seed_(seed),
          tag_(map_tag(seed)),
          hash_(hash),
          equal_(equal) {
        fresh_tree tree;
        dir_.store(std::exchange(tree.dir, nullptr), std::memory_order_relaxed);
        generation_.store(tree.gen.release(), std::memory_order_relaxed);
        anchor_ = tree.anchor.release();
        anchor_->map = this;
    }

    // A map holding the given entries (a later duplicate key replaces an earlier one, as
    // store does), sized for them first (reserve). Random seed.
    sync_map(std::initializer_list<std::pair<K, V>> init) : sync_map() { insert(init.begin(), init.end()); }
    template <std::input_iterator It, std::sentinel_for<It> End>
    sync_map(It first, End last) : sync_map() {
        insert(std::move(first), std::move(last));
    }

    // Preconditions: no other thread uses the map, and no snapshot of it is alive (a live
    // snapshot ends the process with a message: it would read freed memory). Frees
    // everything the map still owns; what it retired earlier is freed after a grace period.
    ~sync_map() {
        if (live_snapshot_count_.load(std::memory_order_relaxed) != 0) {
            std::fputs("syncmap: a sync_map was destroyed while a snapshot of it was alive\n", stderr);
            std::abort();
        }
        destroy_tree(dir_.load(std::memory_order_relaxed));
        delete generation_.load(std::memory_order_relaxed);
        delete anchor_;
    }

    sync_map(const sync_map&) = delete;
    sync_map& operator=(const sync_map&) = delete;

    // Moves the contents, seed, hash, equality and statistics; `other` is left empty (with a
    // fresh tree, its seed unchanged) and usable. Snapshots of `other` taken before the move
    // stay valid and read through this map from then on (they must be destroyed before it).
    // Precondition: no other thread uses either map or their snapshots meanwhile (as
    // Boost's concurrent_flat_map). Allocates `other`'s fresh tree first: may throw
    // std::bad_alloc, and then nothing has moved. O(1).
    sync_map(sync_map&& other)
        : seed_(other.seed_), tag_(other.tag_), hash_(other.hash_), equal_(other.equal_) {
        fresh_tree replacement;  // may throw: nothing has moved
        take_contents(other, replacement);
    }

    // Move assignment: as the move constructor, after destroying this map's contents.
    // Preconditions: those of the destructor for this map (no live snapshot of it), and no
    // other thread uses either map meanwhile. May throw std::bad_alloc (nothing changes).
    sync_map& operator=(sync_map&& other) {
        if (this == &other) return *this;
        fresh_tree replacement;  // may throw: nothing has changed
        if (live_snapshot_count_.load(std::memory_order_relaxed) != 0) {
            std::fputs("syncmap: a sync_map was move-assigned to while a snapshot of it was alive\n", stderr);
            std::abort();
        }
        destroy_tree(dir_.load(std::memory_order_relaxed));
        delete generation_.load(std::memory_order_relaxed);
        delete anchor_;
        seed_ = other.seed_;
        tag_ = other.tag_;
        hash_ = other.hash_;
        equal_ = other.equal_;
        take_contents(other, replacement);
        return *this;
    }

    // ---- Go's sync.Map members (detail/go_api.hpp) ----------------------------------
    //
    // load, contains, visit, store, load_or_store, load_and_delete, erase, exchange,
    // compare_and_swap, compare_and_delete: each for a `const K&` key and for any key the
    // hash and equality accept transparently (a std::string_view or const char* for a
    // std::string key, with the defaults). Lookups never build a K; writes build one only
    // for an entry they store (with node storage a replacing store makes a new node, which
    // holds a K). On this map:
    //
    // Reads never wait for a writer (L2): load (the value the key held at some instant of
    // the call, L1), contains and visit are lock-free (wait-free unless hashing or
    // comparing blocks), O(1) expected. visit's f(const V&) gets a reference valid only
    // during f (with inline storage, to a copy) and may call any member of this map.
    //
    // Writes block on one leaf lock for a few stores: store, and every write that changes
    // the map, is O(1) expected, amortised over the occasional leaf split. Writes that
    // change nothing take no lock and allocate nothing (L3): load_or_store of a present key,
    // load_and_delete and erase of an absent key, compare_and_swap and compare_and_delete
    // when the key is absent or its value differs. compare_and_swap and compare_and_delete
    // need an equality-comparable V.

    // ---- Atomic read-modify-write of one key (GUARANTEES.md, "Read-modify-write") -------
    //
    // The callbacks of compute, load_or_compute and erase_if(key, pred) run under the key's
    // leaf lock: no other write to the keys of that leaf (about 60-120 keys) happens
    // meanwhile, so they see the value they replace. They may read this map (load, contains,
    // visit, range, scan, size, snapshots' reads) but not write it, take a snapshot of it or
    // destroy one: a write member called from such a callback throws std::logic_error (it
    // would deadlock on the lock the callback runs under); destroying a snapshot there ends
    // the process with a message. Keep them short: writers of the same leaf wait.
    // If a callback throws, the exception propagates and the map is unchanged (L4).

    // Atomically replaces the key's value with f(current), where `current` is a `const V*`
    // to the present value (valid only during f) or nullptr if the key is absent. f returns
    // std::optional<V> (or something convertible to it): a value to store, or nullopt to
    // leave the key absent (erasing it if present). Returns what the map holds for the key
    // afterwards: f's result. f runs exactly once. Blocking (leaf lock); O(1) expected.
    // Constructs K from the argument only when it inserts.
    template <class F>
    std::optional<V> compute(const K& key, F&& f) {
        return compute_impl(key, f);
    }
    template <class Q, class F>
        requires heterogeneous<Q>
    std::optional<V> compute(const Q& key, F&& f) {
        return compute_impl(key, f);
    }

    // The key's value if present; otherwise stores f() and returns it (computeIfAbsent).
    // Returns (the value now held, whether this call inserted it). f runs only when the key
    // is absent, under the leaf lock, so at most once per value inserted: concurrent calls
    // for one absent key run f once, the others return its result. Lock-free and
    // allocation-free when the key is present (L3); otherwise blocking (leaf lock).
    template <class F>
    std::pair<V, bool> load_or_compute(const K& key, F&& f) {
        return load_or_compute_impl(key, f);
    }
    template <class Q, class F>
        requires heterogeneous<Q>
    std::pair<V, bool> load_or_compute(const Q& key, F&& f) {
        return load_or_compute_impl(key, f);
    }

    // Inserts V(args...) if the key is absent; returns whether it inserted. V (and K, from
    // the argument) are constructed only when inserting, under the leaf lock. Lock-free and
    // allocation-free when the key is present (L3).
    template <class... Args>
    bool try_emplace(const K& key, Args&&... args) {
        return try_emplace_impl(key, std::forward<Args>(args)...);
    }
    template <class... Args>
    bool try_emplace(K&& key, Args&&... args) {
        return try_emplace_impl(std::move(key), std::forward<Args>(args)...);
    }
    template <class Q, class... Args>
        requires heterogeneous<Q>
    bool try_emplace(const Q& key, Args&&... args) {
        return try_emplace_impl(key, std::forward<Args>(args)...);
    }

    // Erases the key if pred(const V&) holds for its value, atomically (the value pred
    // approves is the one erased); returns whether it erased. pred may also run once more,
    // without the lock, on a value read first (so a key for which it is false costs no
    // lock). Lock-free when the key is absent or pred rejects the value read first.
    template <class Pred>
    bool erase_if(const K& key, Pred&& pred) {
        return erase_if_key(key, pred);
    }
    template <class Q, class Pred>
        requires heterogeneous<Q>
    bool erase_if(const Q& key, Pred&& pred) {
        return erase_if_key(key, pred);
    }

    // Erases every entry for which pred(const K&, const V&) holds (the callback shape of
    // range); returns how many it erased. A weakly consistent pass, like range (W1-W6 for
    // the entries it considers), with each erase atomic per key: a key is erased only if
    // pred holds for the value it holds at its erasure. Keys present throughout whose value
    // satisfies pred throughout are erased; keys inserted during the call may or may not
    // be considered. Not one atomic step: use snapshot() plus compare_and_delete for that.
    // Blocking per erased key (its leaf lock); O(n + leaves).
    template <class Pred>
    std::size_t erase_if(Pred&& pred) {
        static_assert(std::is_invocable_r_v<bool, Pred&, const K&, const V&>,
                      "syncmap::sync_map::erase_if(pred): pred must be callable as bool(const K&, const V&)");
        detail::locked_callback_frame::forbid_reentry(this, "syncmap::sync_map::erase_if");
        // pred may not write the map, whether it runs under a leaf lock or not: one frame
        // over the whole pass makes that deterministic.
        detail::locked_callback_frame frame(this);
        std::size_t erased = 0;
        range([&](const K& k, const V& v) {
            if (!pred(k, v)) return;
            if (erase_if_impl(k, [&](const V& current) { return static_cast<bool>(pred(k, current)); }, nothing,
                              nullptr)) {
                ++erased;
            }
        });
        return erased;
    }

    // ---- Bulk and sizing ---------------------------------------------------------------

    // Stores each (key, value) of [first, last) in turn, as store() does (a later duplicate
    // replaces an earlier one). The elements must be pair-like: `auto [k, v] = *first`.
    // With a forward range, reserves room for its length first. Not atomic as a whole:
    // concurrent readers may see a prefix of the range. Blocking, as store; O(length).
    template <std::input_iterator It, std::sentinel_for<It> End>
    void insert(It first, End last) {
        if constexpr (std::forward_iterator<It>) reserve(size() + static_cast<std::size_t>(std::ranges::distance(first, last)));
        for (; first != last; ++first) {
            const auto& [k, v] = *first;
            store_impl(k, v);
        }
    }
    void insert(std::initializer_list<std::pair<K, V>> init) { insert(init.begin(), init.end()); }

    // Builds the directory and leaves for n entries up front, so that inserting up to n
    // keys (with the map's seeded hash) splits no leaf: every leaf is split until the
    // expected count per leaf is at most half of what a leaf holds before it must split
    // (120 of 128 slots), which a leaf then exceeds with negligible probability (a
    // Poisson(60) variable above 120: below 1e-10 per leaf). Never shrinks. May run
    // concurrently with any other member: each step is an ordinary split, under
    // structure_mutex_ and the leaf's lock. May throw std::bad_alloc: the map's contents
    // are unchanged, part of the room may have been made. O(n) time and memory.
    void reserve(std::size_t n) {
        detail::locked_callback_frame::forbid_reentry(this, "syncmap::sync_map::reserve");
        constexpr std::size_t per_leaf = leaf::max_used_for(leaf::default_groups) / 2;
        unsigned depth = 0;
        while (depth < 40 && (std::size_t{1} << depth) * per_leaf < n) ++depth;
        if (depth == 0) return;
        std::lock_guard<std::mutex> structure(structure_mutex_);
        // Walks hash positions rather than directory indices: a split that doubles the
        // directory moves every index, never a position.
        std::uint64_t position = 0;
        for (;;) {
            directory* d = dir_.load(std::memory_order_relaxed);  // changes only under structure_mutex_
            leaf* l = d->leaf_for(position);                     // live: we hold structure_mutex_
            if (l->depth >= depth) {
                position = l->interval_end();
                if (position == 0) return;  // the leaf reaches the top of the hash space
                continue;
            }
            detail::leaf_lock_guard guard(l->lock);
            split_leaf(d, l, guard);  // unlocks and retires l; position now in its lower half
        }
    }

    // Go Clear: removes every entry, atomically (linearizable: the map goes from its
    // contents to empty at one instant; snapshots taken before keep their contents).
    // Blocking: takes every leaf lock. O(leaves); entries are freed after a grace period,
    // or when the last snapshot that can see them is destroyed. On a map that is empty
    // when its leaves are locked it changes nothing and allocates nothing; otherwise it
    // allocates a fresh leaf and directory, and may throw std::bad_alloc (the map is then
    // unchanged, L4).
    void clear();

    // ---- Traversal -------------------------------------------------------------------

    // Go Range: calls f(key, value) for the entries, leaf by leaf in ascending hash order
    // (the order within a leaf is unspecified: slot order, which is cheapest); f returns
    // bool (false stops the traversal) or void.
    //
    // Weakly consistent (W1-W6): every key present throughout the call is visited exactly
    // once; no key is visited twice, even if erased and re-inserted meanwhile; no key absent
    // throughout is visited; every value passed was the key's value at some instant of the
    // call. Keys inserted or erased during the call may or may not be visited.
    // Never blocks writers; f may call any member of this map (store, erase of the current
    // key, clear, snapshot, ...). Holds an RCU read-side section for one leaf at a time (so
    // a slow f delays reclamation of at most what was retired during one leaf's callbacks).
    // Lock-free; O(n + leaves). Stopping early costs O(1).
    template <class F>
    void range(F&& f) const {
        traverse(live_view(), {}, std::numeric_limits<std::size_t>::max(), f, nullptr, nullptr, leaf_order::any);
    }

    // The same, reporting what the traversal did.
    template <class F>
    void range(F&& f, traversal_stats& stats) const {
        traverse(live_view(), {}, std::numeric_limits<std::size_t>::max(), f, nullptr, &stats, leaf_order::any);
    }

    // Cancellable range: once `stop` is requested, at most stop_check_span more callbacks
    // start (W6; none if f returns bool), and it returns where it stopped, as a cursor that
    // scan() resumes (the pass then still meets W1-W4 as a whole, C2). Returns a done()
    // cursor if the traversal completed. If f returns false, the cursor resumes just after
    // that key.
    template <class F>
    cursor range(F&& f, std::stop_token stop, traversal_stats* stats = nullptr) const {
        return traverse(live_view(), {}, std::numeric_limits<std::size_t>::max(), f, &stop, stats, order_for<F>());
    }

    // Resumable, chunked traversal (C1-C5). Offers f(key, value) the entries from
    // `from`'s position on, leaf by leaf in ascending hash order, and returns the cursor to
    // pass next; done() when the pass is complete. A call offers at most `chunk` entries
    // (more only for keys that no cursor can separate: same 64-bit hash and no tiebreak
    // hash, see tiebreak_hash.hpp), and at least chunk / 2
    // unless the pass ends: it prefers to stop at a leaf boundary. A default-constructed cursor starts a pass.
    // A full pass made of any number of calls, with any mutation between or during them,
    // meets W1-W4 over [first call start, last call end], and never offers a key twice
    // (C2). Between calls nothing is held (C3). Resuming costs O(1) expected (C1).
    // Throws invalid_cursor for a chunk of 0 or a cursor of another map (C5, B1).
    // f may call any member of this map; f returns bool (false ends this chunk after that
    // key, as in range(f, stop)) or void.
    template <class F>
    cursor scan(cursor from, std::size_t chunk, F&& f, traversal_stats* stats = nullptr) const {
        if (chunk == 0) throw invalid_cursor("syncmap::sync_map::scan: chunk size must be at least 1, got 0");
        from.require_tag(tag_, "syncmap::sync_map::scan");
        if (from.done()) return from;
        return traverse(live_view(), {from.position(), from.tiebreak()}, chunk, f, nullptr, stats, order_for<F>());
    }

    // ---- Snapshots ---------------------------------------------------------------------

    // A point-in-time, immutable view of the whole map (S1-S4). O(1) in the map's size:
    // bumps the version clock, after waiting for writers already between reading the
    // clock and installing (a few stores each). Blocking only that briefly; lock-free
    // reads are never affected. Const: it observes the map (its bookkeeping is internal).
    // The snapshot must be destroyed before the map.
    snapshot_type snapshot() const;

    // ---- Size and diagnostics ----------------------------------------------------------

    // The number of entries. Exact when no writer runs; under concurrent writes, at least
    // the number of keys present throughout the call and at most the number of keys present
    // at some instant of it. Lock-free; O(leaves).
    std::size_t size() const {
        detail::rcu_reader reader;
        std::size_t n = 0;
        dir_.load(std::memory_order_acquire)->for_each_leaf([&](const leaf* l) {
            n += l->live.load(std::memory_order_relaxed);
        });
        return n;
    }

    bool empty() const { return size() == 0; }

    std::uint64_t seed() const noexcept { return seed_; }
    hasher hash_function() const { return hash_; }
    key_equal key_eq() const { return equal_; }

    // Counters since construction (structural changes, snapshots, retained versions,
    // memory retired but not yet reclaimed). O(1).
    map_stats stats() const {
        map_stats s;
        s.leaf_splits = splits_.load(std::memory_order_relaxed);
        s.leaf_rebuilds = rebuilds_.load(std::memory_order_relaxed);
        s.directory_growths = growths_.load(std::memory_order_relaxed);
        s.clears = clears_.load(std::memory_order_relaxed);
        s.live_snapshots = live_snapshot_count_.load(std::memory_order_relaxed);
        s.versions_retained = retained_.load(std::memory_order_relaxed);
        s.retired_bytes_pending = detail::rcu_pending_bytes.load(std::memory_order_relaxed);
        return s;
    }

    // The map's shape, for tests, diagnostics and the lab. Lock-free; O(capacity).
    struct structure_info {
        unsigned global_depth = 0;       // the directory has 2^global_depth entries
        std::size_t leaves = 0;
        unsigned min_local_depth = 0;    // a range visits leaves in ascending hash order: two
        unsigned max_local_depth = 0;    // consecutive keys out of order share a leaf
        std::size_t entries = 0;         // sum of the leaves' entry counts
        std::size_t slots = 0;           // sum of the leaves' slot counts
        std::size_t max_probe_groups = 0;  // longest probe sequence of any entry, in groups
        // Directory entries spanned by the leaves the walk visited, summed: 2^global_depth
        // exactly when it counted every hash interval once, splits notwithstanding
        // (directory::for_each_leaf); more if it counted one twice, less if it missed one.
        std::size_t entries_walked = 0;
    };
    structure_info debug_structure() const {
        detail::rcu_reader reader;
        structure_info info;
        const directory* d = dir_.load(std::memory_order_acquire);
        info.global_depth = d->global_depth;
        info.min_local_depth = d->global_depth;
        d->for_each_leaf([&](const leaf* l) {
            ++info.leaves;
            info.entries_walked += d->span_of(l);
            info.min_local_depth = std::min<unsigned>(info.min_local_depth, l->depth);
            info.max_local_depth = std::max<unsigned>(info.max_local_depth, l->depth);
            info.entries += l->live.load(std::memory_order_relaxed);
            info.slots += std::size_t{l->group_count()} * detail::group_width;
            info.max_probe_groups = std::max<std::size_t>(
                info.max_probe_groups, l->max_probe_groups([this](const slot_type& s, std::uint64_t& hash) {
                    if constexpr (inline_storage) {
                        hash = hash_of(s.key);  // an inline key never changes while its leaf lives
                    } else {
                        // acquire: pairs with the release that published the node. An erase
                        // may have emptied the slot since its control byte was read.
                        const node_type* n = s.ptr.load(std::memory_order_acquire);
                        if (n == nullptr) return false;
                        hash = n->hash;  // the node lives: we are inside a read-side section
                    }
                    return true;
                }));
        });
        return info;
    }

private:
    // The tag of this map's cursors: never 0, the tag of no map (cursor.hpp, C5).
    static std::uint32_t map_tag(std::uint64_t seed) noexcept {
        const auto t = static_cast<std::uint32_t>(detail::mix64(seed ^ 0x7a6b5c4d3e2f1011ULL) >> 32);
        return t != 0 ? t : 0x5a5a5a5au;
    }

    // ---- Generations: what clear() leaves behind for the snapshots taken before it ------

    // A tree unpublished by clear(): its directory and its leaves, with what they hold.
    struct tree_garbage : detail::rcu_retirable {
        directory* dir = nullptr;
        std::vector<leaf*> leaves;

        static void destroy_self(detail::rcu_retirable* p) noexcept {
            auto* g = static_cast<tree_garbage*>(p);
            for (leaf* l : g->leaves) destroy_leaf_and_entries(l);
            directory::destroy(g->dir);
            delete g;
        }
    };

    // The tree that snapshots read. clear() starts a new generation only when snapshots hold
    // the current one; the old tree is then frozen (every leaf dead, never written again)
    // and stays alive until the last snapshot that can see it is destroyed.
    struct generation {
        // One reference for the map while current, one per live snapshot of it.
        std::atomic<std::uint32_t> refs{1};
        // Set (release) by clear() before it publishes the new tree: a snapshot that finds
        // it non-null reads the frozen tree instead of the map's current one.
        std::atomic<directory*> frozen{nullptr};
        tree_garbage* frozen_tree = nullptr;

        void release() noexcept {
            if (refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
            if (frozen_tree != nullptr) detail::rcu_retire_object(frozen_tree);
            delete this;
        }
    };

    // ---- Entries: what a lookup or a traversal copies out of a slot -----------------------

    // A traversal's copy of one inline entry: its hash (computed from the key), its slot's
    // index in the leaf (the tie-break that keeps snapshot order fixed for equal hashes),
    // and copies of the key and value. K and V need not be default constructible.
    struct inline_entry {
        std::uint64_t hash;
        std::uint32_t order;
        union {
            K key;
        };
        union {
            V value;
        };
        inline_entry() noexcept {}
        inline_entry(std::uint32_t o, const K& k, const V& v) noexcept : hash(0), order(o), key(k), value(v) {}
    };
    using entry_type = std::conditional_t<inline_storage, inline_entry, const node_type*>;

    static std::uint64_t entry_hash(const inline_entry& e) noexcept { return e.hash; }
    static std::uint64_t entry_hash(const node_type* n) noexcept { return n->hash; }
    static const K& entry_key(const inline_entry& e) noexcept { return e.key; }
    static const K& entry_key(const node_type* n) noexcept { return n->key; }
    static const V& entry_value(const inline_entry& e) noexcept { return e.value; }
    static const V& entry_value(const node_type* n) noexcept { return n->value; }
    // Where a traversal stands: every entry ordered below (hash, tiebreak) has been offered
    // (cursor.hpp). A tiebreak of 0 is the start of the hash's run. For keys without a
    // tiebreak hash (ordinal_ties), the tiebreak counts the entries of the hash's run
    // already offered, in the leaf's fixed tie order (entry_less).
    static constexpr bool ordinal_ties = !detail::has_tiebreak_hash<K>;
    struct pass_position {
        std::uint64_t hash = 0;
        std::uint64_t tiebreak = 0;
    };

    // The second key hash that orders a run of equal hashes (tiebreak_hash.hpp), or 0 for
    // keys without one. Computed only inside such runs, so a seeded hash never pays for it.
    std::uint64_t tiebreak_of(const K& key) const noexcept {
        if constexpr (detail::has_tiebreak_hash<K>) {
            return static_cast<std::uint64_t>(tiebreak_hash<K>{}(key, seed_));
        } else {
            return 0;
        }
    }
    // The traversal order: by hash, then by tiebreak.
    bool entry_before(const entry_type& a, const pass_position& p) const noexcept {
        return entry_hash(a) != p.hash ? entry_hash(a) < p.hash : tiebreak_of(entry_key(a)) < p.tiebreak;
    }
    // Whether a and b, adjacent in traversal order, fall at the same position, so that no
    // cursor can stand between them (two keys whose hash and tiebreak hash both collide).
    bool entry_tied(const entry_type& a, const entry_type& b) const noexcept {
        if constexpr (ordinal_ties) {
            return false;  // an ordinal separates any two
        } else {
            return entry_hash(a) == entry_hash(b) && tiebreak_of(entry_key(a)) == tiebreak_of(entry_key(b));
        }
    }
    // The traversal order, then a tie-break fixed for a given leaf state (S4): slot index
    // (inline) or node address.
    bool entry_less(const entry_type& a, const entry_type& b) const noexcept {
        if (entry_hash(a) != entry_hash(b)) return entry_hash(a) < entry_hash(b);
        const std::uint64_t ta = tiebreak_of(entry_key(a));
        const std::uint64_t tb = tiebreak_of(entry_key(b));
        if (ta != tb) return ta < tb;
        if constexpr (inline_storage) {
            return a.order < b.order;
        } else {
            return std::less<>{}(a, b);
        }
    }

    // ---- Views: which leaf state a reader reads ------------------------------------------

    // The live map: each leaf as it is.
    struct live_view_t {
        const sync_map* map;
        const directory* dir() const noexcept { return map->dir_.load(std::memory_order_acquire); }
        static constexpr bool snapshot = false;
    };
    live_view_t live_view() const noexcept { return {this}; }

    // A snapshot at version `at`: each leaf's state at `at` (leaf::state_at).
    struct snapshot_view_t {
        const sync_map* map;
        const generation* gen;
        std::uint64_t at;
        const directory* dir() const noexcept {
            // Order matters: clear() sets gen->frozen before publishing the new tree, so if
            // the directory loaded first is already the new tree, `frozen` is visible.
            const directory* d = map->dir_.load(std::memory_order_acquire);
            const directory* f = gen->frozen.load(std::memory_order_acquire);
            return f != nullptr ? f : d;
        }
        static constexpr bool snapshot = true;
    };

    // Reads `l` as `view` sees it: read(x) is called on the leaf state to read, and again
    // on a preserved copy if a writer changed the live leaf while it was read (then the
    // first result is discarded). Caller holds an rcu_reader. Returns the state read.
    template <class View, class Read>
    static const leaf* read_leaf(const View& view, const leaf* l, Read&& read) {
        if constexpr (!View::snapshot) {
            read(l);
            return l;
        } else {
            // acquire: pairs with link_copy's release store of written_at (the link to the
            // copy is visible with it).
            SYNCMAP_SCHEDULE_POINT();
            const std::uint64_t seen = l->written_at.load(std::memory_order_acquire);
            if (seen <= view.at) {
                read(l);
                if (l->unchanged_since(seen)) return l;
                // A writer preserved a copy and changed the leaf meanwhile: the copy holds
                // the state at `at` (the writer links it before its first store).
            }
            const leaf* x = l->state_at(view.at);  // a preserved copy: immutable
            read(x);
            return x;
        }
    }

    // ---- Small helpers -----------------------------------------------------------------

    template <class Q>
    std::uint64_t hash_of(const Q& key) const {
        if constexpr (!detail::usable_hasher<Hash, Q>) {
            return 0;  // the class's static_assert reports the mistake
        } else {
            return detail::seeded_hash(hash_, key, seed_);
        }
    }

    std::uint64_t hash_of_slot(const slot_type& s) const {
        if constexpr (inline_storage) {
            return hash_of(s.key);
        } else {
            return s.ptr.load(std::memory_order_relaxed)->hash;
        }
    }

    // Finds the key in the leaf state `x` (with group mask `mask`) and calls f(const V&)
    // with its value; returns whether it was found. Lock-free: loads the slot once. Caller
    // holds an rcu_reader.
    template <class Q, class F>
    bool find_in(const leaf* x, std::uint32_t mask, std::uint64_t h, const Q& key, F&& f) const {
        if constexpr (inline_storage) {
            const slot_type* s = leaf::find(x, mask, h, [&](const slot_type& c) { return equal_(c.key, key); });
            if (s == nullptr) return false;
            f(s->load_value());
            return true;
        } else {
            const node_type* found = nullptr;
            leaf::find(x, mask, h, [&](const slot_type& c) {
                const node_type* n = c.load();
                if (n == nullptr || n->hash != h || !equal_(n->key, key)) return false;
                found = n;
                return true;
            });
            if (found == nullptr) return false;
            f(found->value);
            return true;
        }
    }

    // Calls f(const V&) with the key's value in `view`; returns whether it was present. In a
    // snapshot view the value is only used once the read is known to be the state at the
    // snapshot's version (read_leaf may read twice).
    template <class View, class Q, class F>
    bool visit_in(const View& view, std::uint64_t h, const Q& key, F& f) const {
        detail::rcu_reader reader;
        if constexpr (!View::snapshot) {
            const auto ref = view.dir()->ref_for(h);
            return find_in(ref.l, ref.group_mask, h, key, f);
        } else {
            const leaf* l = view.dir()->leaf_for(h);
            using held_type = std::conditional_t<inline_storage, std::optional<V>, const node_type*>;
            held_type held{};
            read_leaf(view, l, [&](const leaf* x) {
                held = held_type{};
                if constexpr (inline_storage) {
                    find_in(x, x->group_mask, h, key, [&](const V& v) { held.emplace(v); });
                } else {
                    x->find(h, [&](const slot_type& c) {
                        const node_type* n = c.load();
                        if (n == nullptr || n->hash != h || !equal_(n->key, key)) return false;
                        held = n;
                        return true;
                    });
                }
            });
            if (!held) return false;
            if constexpr (inline_storage) {
                f(*held);
            } else {
                f(held->value);
            }
            return true;
        }
    }

    template <class Q, class F>
    bool visit_hashed(std::uint64_t h, const Q& key, F&& f) const {
        return visit_in(live_view(), h, key, f);
    }

    template <class Q>
    std::optional<V> load_hashed(std::uint64_t h, const Q& key) const {
        std::optional<V> out;
        visit_hashed(h, key, [&](const V& v) { out.emplace(v); });
        return out;
    }

    template <class Q>
    std::optional<V> load_impl(const Q& key) const {
        if constexpr (!std::is_copy_constructible_v<V>) {
            static_assert(std::is_copy_constructible_v<V>,
                          "syncmap::sync_map::load returns a copy of the value, so V must be copy-constructible; "
                          "read a move-only V in place with visit(key, f)");
            return std::nullopt;
        } else {
            return load_hashed(hash_of(key), key);
        }
    }

    template <class Q, class F>
    bool visit_impl(const Q& key, F& f) const {
        return visit_hashed(hash_of(key), key, f);
    }

    // ---- Writing -------------------------------------------------------------------------

    // A leaf locked by this thread, live (not dead), with the key's position in it: found,
    // or a free slot.
    struct locked_leaf {
        leaf* l;
        detail::leaf_lock_guard guard;
        typename leaf::position pos;
    };

    // Runs `finish` when its scope is left normally, after the function's return value has
    // been constructed: a return value whose construction throws leaves the map unchanged
    // (L4). Declared after the objects it refers to, so destroyed first.
    template <class Finish>
    struct on_normal_return {
        Finish finish;
        int exceptions = std::uncaught_exceptions();
        ~on_normal_return() {
            if (std::uncaught_exceptions() == exceptions) finish();
        }
    };
    template <class Finish>
    on_normal_return(Finish) -> on_normal_return<Finish>;

    // The writer gate, held (shared) over one write's commit point, with the copy of the leaf
    // that a live snapshot reading the leaf live needs (leaf.hpp, "Snapshots"), prepared
    // before anything changes. Constructed under the leaf lock; may throw (allocating the
    // copy) with nothing changed. While it is held no snapshot() can bump the clock, so the
    // decision "a copy is needed" cannot go stale before the stores it covers (S1, S2).
    class commit_scope {
    public:
        commit_scope(const sync_map& m, leaf* l) : map_(m), l_(l) {
            for (;;) {
                stripe_ = map_.gate_.enter();
                entered_ = true;
                if (copy_ != nullptr || !map_.needs_copy(l_)) return;
                // A live snapshot reads this leaf live: copy it outside the gate (it may
                // throw), then check again.
                leave();
                copy_ = map_.clone_leaf(l_);
            }
        }
        ~commit_scope() {
            leave();
            if (copy_ != nullptr) map_.discard_clone(copy_);
        }
        commit_scope(const commit_scope&) = delete;
        commit_scope& operator=(const commit_scope&) = delete;

        // Before the first store to the leaf's slots: links the prepared copy as the leaf's
        // newest preserved state if a live snapshot reads the leaf live, or frees it if the
        // snapshot it was made for is gone. (Freeing it later, after the write, could drop
        // the last count of a node the write has meanwhile released from the leaf.)
        void preserve() noexcept {
            if (copy_ == nullptr) return;
            if (map_.needs_copy(l_)) {
                map_.link_copy(l_, copy_);
            } else {
                map_.discard_clone(copy_);
            }
            copy_ = nullptr;
        }

        void leave() noexcept {
            if (entered_) {
                map_.gate_.leave(stripe_);
                entered_ = false;
            }
        }

    private:
        const sync_map& map_;
        leaf* l_;
        leaf* copy_ = nullptr;
        unsigned stripe_ = 0;
        bool entered_ = false;
    };

    // Whether a live snapshot reads `l` live (its version >= l->written_at). Inside the
    // gate, or as a hint outside it. relaxed: the gate orders these loads after
    // snapshot()'s clock bump and registry update (writer_gate.hpp).
    bool needs_copy(const leaf* l) const noexcept {
        const std::uint64_t newest = newest_live_.load(std::memory_order_relaxed);
        return newest != no_snapshot_newest && l->written_at.load(std::memory_order_relaxed) <= newest;
    }

    // Under l's lock: a copy of l for a snapshot (not yet linked). May throw.
    leaf* clone_leaf(const leaf* l) const {
        return l->clone([](const slot_type& s) {
            if constexpr (!inline_storage) s.ptr.load(std::memory_order_relaxed)->acquire_ref();
        });
    }

    // Under l's lock, before the write changes l: frees a copy that was never linked.
    static void discard_clone(leaf* c) noexcept {
        if constexpr (!inline_storage) {
            // The unchanged live leaf holds every node the copy counted: no count reaches zero.
            c->for_each_position([](auto, slot_type& s) { s.ptr.load(std::memory_order_relaxed)->release_ref(); });
        }
        leaf::destroy(c);
    }

    // Under l's lock and inside the gate, before the first slot store of a write: makes the
    // copy the newest preserved state of l and stamps l with the clock, so that snapshots
    // taken before read the copy from now on.
    void link_copy(leaf* l, leaf* c) const noexcept {
        c->before.store(l->before.load(std::memory_order_relaxed), std::memory_order_relaxed);
        // release: the copy is fully built before a reader can reach it.
        SYNCMAP_SCHEDULE_POINT();
        l->before.store(c, std::memory_order_release);
        SYNCMAP_SCHEDULE_POINT();
        // relaxed: the gate orders it after snapshot()'s bump.
        const std::uint64_t now = clock_.load(std::memory_order_relaxed);
        // release: a reader that sees the new written_at sees the link.
        l->written_at.store(now, std::memory_order_release);
        // Slot stores that follow must not become visible before written_at: a reader of
        // the live leaf re-checks written_at after its slot loads (leaf::unchanged_since).
        std::atomic_thread_fence(std::memory_order_release);
        SYNCMAP_SCHEDULE_POINT();
        retained_.fetch_add(c->live.load(std::memory_order_relaxed), std::memory_order_relaxed);
    }

    // Drops one `before` pointer to a preserved copy. When it was the last, the copy, and
    // each copy behind it whose last pointer that was, can no longer be reached by a new
    // reader: the run is retired as one object, with the nodes whose last holder it was,
    // and freed a grace period from now. Requires rcu_retire_reserve(1).
    void release_preserved(leaf* c) const noexcept {
        std::uint32_t run = 0;
        std::size_t bytes = 0;
        for (leaf* x = c; x != nullptr && x->refs.fetch_sub(1, std::memory_order_acq_rel) == 1;
             x = x->before.load(std::memory_order_relaxed)) {
            ++run;
            bytes += x->byte_size();
            retained_.fetch_sub(x->live.load(std::memory_order_relaxed), std::memory_order_relaxed);
            if constexpr (!inline_storage) {
                // Nodes held by nothing else go with the copy: no new reader can reach them
                // (the live leaves dropped them earlier, and the copy is unlinked), and the
                // grace period covers older readers. They are chained through their (now
                // unused) reference count.
                node_type* garbage = nullptr;
                x->for_each_position([&](auto, slot_type& s) {
                    node_type* n = s.ptr.load(std::memory_order_relaxed);
                    if (n->release_ref()) {
                        n->link_garbage(garbage);
                        garbage = n;
                        bytes += sizeof(node_type);
                    }
                });
                x->garbage = garbage;  // lock-free readers never look at it
            }
        }
        if (run == 0) return;
        c->used = run;  // a copy is never written again: `used` now counts the run to free
        detail::rcu_retire(c, &destroy_preserved, bytes);
    }

    static void destroy_preserved(void* p) noexcept {
        leaf* x = static_cast<leaf*>(p);
        for (std::uint32_t n = x->used; n-- > 0;) {
            leaf* next = x->before.load(std::memory_order_relaxed);
            if constexpr (!inline_storage) {
                for (node_type* g = static_cast<node_type*>(x->garbage); g != nullptr;) {
                    node_type* following = g->next_garbage();
                    delete g;
                    g = following;
                }
            }
            leaf::destroy(x);
            x = next;
        }
    }

    // A node allocated before the lock (copying K and V may throw: nothing has changed yet,
    // L4), with room reserved to retire the node it may replace. None for inline storage.
    template <class KArg, class VArg>
    std::unique_ptr<node_type> make_node(std::uint64_t h, KArg&& key, VArg&& value) const {
        if constexpr (inline_storage) {
            return nullptr;
        } else {
            std::unique_ptr<node_type> n(new node_type(h, std::forward<KArg>(key), std::forward<VArg>(value)));
            detail::rcu_retire_reserve(1);
            return n;
        }
    }

    // The value at a found position, under the lock.
    V current_value(const locked_leaf& locked) const {
        if constexpr (inline_storage) {
            return slot_type::from_word(locked.l->slot_at(locked.pos).value.load(std::memory_order_relaxed));
        } else {
            return locked.l->slot_at(locked.pos).ptr.load(std::memory_order_relaxed)->value;
        }
    }
    decltype(auto) current_value_ref(const locked_leaf& locked) const {
        if constexpr (inline_storage) {
            return current_value(locked);
        } else {
            return static_cast<const V&>(locked.l->slot_at(locked.pos).ptr.load(std::memory_order_relaxed)->value);
        }
    }

    // Commit steps, under the lock and inside the gate, after commit_scope::preserve().
    // Inserts at a free position.
    template <class KArg>
    void insert_at(locked_leaf& locked, std::uint64_t h, const KArg& key, const V& value,
                   std::unique_ptr<node_type>& fresh) noexcept {
        slot_type& s = locked.l->slot_at(locked.pos);
        if constexpr (inline_storage) {
            s.fill(key_of(key), value);
        } else {
            s.publish(fresh.release());
        }
        locked.l->publish(locked.pos, h);
    }
    // The key to store in an inline slot: K itself, or a K built from a heterogeneous key.
    static const K& key_of(const K& key) noexcept { return key; }
    template <class Q>
        requires(!std::is_same_v<std::remove_cvref_t<Q>, K>)
    static K key_of(const Q& key) {
        return K(key);
    }
    // make_node, under the lock: the retire room was reserved before locking.
    template <class Q>
    std::unique_ptr<node_type> make_node_here(std::uint64_t h, const Q& key, const V& value) const {
        return std::unique_ptr<node_type>(new node_type(h, key, value));
    }
    // Replaces the value at a found position; returns the node to retire, if any.
    node_type* replace_at(locked_leaf& locked, const V& value, std::unique_ptr<node_type>& fresh) noexcept {
        slot_type& s = locked.l->slot_at(locked.pos);
        if constexpr (inline_storage) {
            s.replace_value(value);
            return nullptr;
        } else {
            node_type* old = s.ptr.load(std::memory_order_relaxed);
            s.publish(fresh.release());
            return old->release_ref() ? old : nullptr;
        }
    }
    // Erases at a found position; returns the node to retire, if any.
    node_type* erase_at(locked_leaf& locked) noexcept {
        slot_type& s = locked.l->slot_at(locked.pos);
        locked.l->mark_deleted(locked.pos);
        if constexpr (inline_storage) {
            return nullptr;  // the slot keeps its key and value, never reused (entry_slot.hpp)
        } else {
            node_type* old = s.ptr.load(std::memory_order_relaxed);
            s.publish(nullptr);
            return old->release_ref() ? old : nullptr;
        }
    }

    // After the unlock: retires a node no structure holds any more. Requires the room
    // make_node or erase reserved.
    static void retire_node(node_type* n) noexcept {
        if constexpr (!inline_storage) {
            if (n != nullptr) detail::rcu_retire(n, &node_type::destroy, sizeof(node_type));
        }
    }

    // Returns the live leaf owning hash h, locked by the caller's thread. A locked live
    // leaf cannot be retired (retiring requires its lock), so the result stays valid after
    // the read-side section that found it.
    leaf* lock_live_leaf(std::uint64_t h) const {
        for (;;) {
            detail::rcu_reader reader;
            leaf* l = dir_.load(std::memory_order_acquire)->leaf_for(h);
            l->lock.lock();
            // relaxed: `dead` is only written under the lock we now hold.
            if (!l->dead.load(std::memory_order_relaxed)) return l;
            l->lock.unlock();
        }
    }

    template <class Q>
    auto slot_matches(std::uint64_t h, const Q& key) const {
        return [this, h, &key](const slot_type& s) {
            if constexpr (inline_storage) {
                return static_cast<bool>(equal_(s.key, key));
            } else {
                const node_type* n = s.ptr.load(std::memory_order_relaxed);  // under the lock
                return n != nullptr && n->hash == h && static_cast<bool>(equal_(n->key, key));
            }
        };
    }

    template <class Q>
    locked_leaf lock_existing(std::uint64_t h, const Q& key) {
        leaf* l = lock_live_leaf(h);
        detail::leaf_lock_guard guard(l->lock, std::adopt_lock);
        const typename leaf::position pos = l->locate(h, slot_matches(h, key));  // may throw: guard unlocks
        return {l, std::move(guard), pos};
    }

    // Locks the key's leaf and locates the key; when it is absent, first makes sure the
    // leaf has room for it, restructuring if needed. Restructuring retires the old leaf
    // (and directory) from this thread's retire batch, which may use up or flush the room
    // reserved for the write's own retirement: reserve it again before relocking.
    template <class Q>
    locked_leaf lock_with_room(std::uint64_t h, const Q& key) {
        for (;;) {
            locked_leaf locked = lock_existing(h, key);
            if (locked.pos.found || locked.l->used < locked.l->max_used()) return locked;
            locked.guard.unlock();
            make_room(h);
            if constexpr (!inline_storage) detail::rcu_retire_reserve(1);  // may throw: nothing changed
        }
    }

    template <class KArg, class VArg>
    void store_impl(KArg&& key, VArg&& value) {
        detail::locked_callback_frame::forbid_reentry(this, "syncmap::sync_map::store");
        const std::uint64_t h = hash_of(key);
        if constexpr (inline_storage) {
            std::unique_ptr<node_type> none;
            store_hashed(h, key, value, none);
        } else {
            // The key and value move into the node (a move-only V can be stored); the
            // lookup then goes through the node's copy of the key.
            std::unique_ptr<node_type> fresh = make_node(h, std::forward<KArg>(key), std::forward<VArg>(value));
            store_hashed(h, fresh->key, fresh->value, fresh);
        }
    }

    // store past hashing and building the node. `key` and `value` may live in `fresh`.
    template <class Q>
    void store_hashed(std::uint64_t h, const Q& key, const V& value, std::unique_ptr<node_type>& fresh) {
        locked_leaf locked = lock_with_room(h, key);
        node_type* garbage = nullptr;
        {
            commit_scope scope(*this, locked.l);
            scope.preserve();
            if (locked.pos.found) {
                garbage = replace_at(locked, value, fresh);
            } else {
                insert_at(locked, h, key, value, fresh);
            }
        }
        locked.guard.unlock();
        retire_node(garbage);
    }

    static constexpr auto always = [](const V&) { return true; };
    static constexpr auto nothing = [](const V&) {};

    // Erases the key if should_erase(value) holds, calling before_erase(value) under the
    // lock just before the commit point; true if it erased. Lock-free when the key is
    // absent or should_erase is false for the value seen without the lock.
    // `member` names the public member for the re-entry check (nullptr: the caller checked).
    template <class Q, class Predicate, class BeforeErase>
    bool erase_if_impl(const Q& key, Predicate&& should_erase, BeforeErase&& before_erase, const char* member) {
        if (member != nullptr) detail::locked_callback_frame::forbid_reentry(this, member);
        const std::uint64_t h = hash_of(key);
        {
            bool erase = false;
            if (!visit_hashed(h, key, [&](const V& v) { erase = should_erase(v); }) || !erase) return false;
        }
        if constexpr (!inline_storage) detail::rcu_retire_reserve(1);
        locked_leaf locked = lock_existing(h, key);
        if (!locked.pos.found) return false;
        {
            decltype(auto) v = current_value_ref(locked);
            if (!should_erase(v)) return false;
            before_erase(v);
        }
        node_type* garbage = nullptr;
        {
            commit_scope scope(*this, locked.l);
            scope.preserve();
            garbage = erase_at(locked);
        }
        locked.guard.unlock();
        retire_node(garbage);
        return true;
    }

    template <class Q>
    std::pair<V, bool> load_or_store_impl(const Q& key, const V& value) {
        detail::locked_callback_frame::forbid_reentry(this, "syncmap::sync_map::load_or_store");
        const std::uint64_t h = hash_of(key);
        if (std::optional<V> found = load_hashed(h, key)) return {std::move(*found), true};
        std::unique_ptr<node_type> fresh = make_node(h, key, value);
        locked_leaf locked = lock_with_room(h, key);
        if (locked.pos.found) return {current_value(locked), true};
        commit_scope scope(*this, locked.l);
        // The commit point runs after the returned pair has been built (its copy of V may
        // throw), when the guard below goes out of scope (L4).
        on_normal_return commit{[&]() noexcept {
            scope.preserve();
            insert_at(locked, h, key, value, fresh);
        }};
        return {value, false};
    }

    template <class Q>
    bool erase_impl(const Q& key) {
        return erase_if_impl(key, always, nothing, "syncmap::sync_map::erase");
    }

    template <class Q>
    bool compare_and_delete_impl(const Q& key, const V& expected) {
        return erase_if_impl(
            key, [&](const V& v) { return v == expected; }, nothing, "syncmap::sync_map::compare_and_delete");
    }

    template <class Q>
    std::optional<V> load_and_delete_impl(const Q& key) {
        std::optional<V> removed;
        erase_if_impl(
            key, always,
            [&](const V& v) {
                removed.emplace(v);  // copy before the commit point: may throw (L4)
            },
            "syncmap::sync_map::load_and_delete");
        return removed;
    }

    template <class Q>
    std::optional<V> exchange_impl(const Q& key, const V& value) {
        detail::locked_callback_frame::forbid_reentry(this, "syncmap::sync_map::exchange");
        const std::uint64_t h = hash_of(key);
        std::unique_ptr<node_type> fresh = make_node(h, key, value);
        locked_leaf locked = lock_with_room(h, key);
        commit_scope scope(*this, locked.l);
        if (!locked.pos.found) {
            scope.preserve();
            insert_at(locked, h, key, value, fresh);
            return std::nullopt;
        }
        // The commit point runs after the returned copy of the old value has been built
        // (it may throw), when the guard below goes out of scope (L4).
        on_normal_return commit{[&]() noexcept {
            scope.preserve();
            node_type* garbage = replace_at(locked, value, fresh);
            scope.leave();
            locked.guard.unlock();
            retire_node(garbage);
        }};
        return std::optional<V>(current_value(locked));
    }

    template <class Q>
    bool compare_and_swap_impl(const Q& key, const V& expected, const V& desired) {
        detail::locked_callback_frame::forbid_reentry(this, "syncmap::sync_map::compare_and_swap");
        const std::uint64_t h = hash_of(key);
        {
            bool equal = false;
            if (!visit_hashed(h, key, [&](const V& v) { equal = v == expected; }) || !equal) return false;
        }
        // The new node copies the stored key, not the argument: K is built from a
        // heterogeneous key only by an insertion.
        std::unique_ptr<node_type> fresh;
        if constexpr (!inline_storage) detail::rcu_retire_reserve(1);
        locked_leaf locked = lock_existing(h, key);
        if (!locked.pos.found || !(current_value_ref(locked) == expected)) return false;
        fresh = node_for_replace(locked, desired);
        node_type* garbage = nullptr;
        {
            commit_scope scope(*this, locked.l);
            scope.preserve();
            garbage = replace_at(locked, desired, fresh);
        }
        locked.guard.unlock();
        retire_node(garbage);
        return true;
    }

    // Under the lock, at a found position: the node that replaces the value (it copies the
    // stored key). None for inline storage. May throw: nothing has changed yet (L4).
    template <class VArg>
    std::unique_ptr<node_type> node_for_replace(const locked_leaf& locked, VArg&& value) const {
        if constexpr (inline_storage) {
            return nullptr;
        } else {
            const node_type* old = locked.l->slot_at(locked.pos).ptr.load(std::memory_order_relaxed);
            return std::unique_ptr<node_type>(new node_type(old->hash, old->key, std::forward<VArg>(value)));
        }
    }

    // Replaces, inserts or erases at the locked position, as `result` says; the commit
    // path of store, insert and erase (commit_scope: snapshots keep their view, S2).
    // `fresh` is the node holding *result (node storage), built under the lock.
    template <class Q>
    void commit_result(locked_leaf& locked, std::uint64_t h, const Q& key, const std::optional<V>& result,
                       std::unique_ptr<node_type>& fresh) {
        if (!result && !locked.pos.found) return;
        node_type* garbage = nullptr;
        {
            commit_scope scope(*this, locked.l);  // may throw: nothing has changed yet
            scope.preserve();
            if (!result) {
                garbage = erase_at(locked);
            } else if (locked.pos.found) {
                garbage = replace_at(locked, *result, fresh);
            } else {
                insert_at(locked, h, key, *result, fresh);
            }
        }
        locked.guard.unlock();
        retire_node(garbage);
    }

    template <class Q, class F>
    std::optional<V> compute_impl(const Q& key, F& f) {
        static_assert(std::is_invocable_v<F&, const V*>,
                      "syncmap::sync_map::compute(key, f): f must be callable as f(const V* current), "
                      "current being nullptr when the key is absent");
        static_assert(std::is_convertible_v<std::invoke_result_t<F&, const V*>, std::optional<V>>,
                      "syncmap::sync_map::compute(key, f): f must return std::optional<V> (nullopt: no value)");
        detail::locked_callback_frame::forbid_reentry(this, "syncmap::sync_map::compute");
        const std::uint64_t h = hash_of(key);
        if constexpr (!inline_storage) detail::rcu_retire_reserve(1);  // for the node replaced or erased
        locked_leaf locked = lock_with_room(h, key);
        std::optional<V> result = [&]() -> std::optional<V> {
            detail::locked_callback_frame frame(this);
            if (!locked.pos.found) return f(static_cast<const V*>(nullptr));
            decltype(auto) current = current_value_ref(locked);  // a copy for inline storage
            return f(static_cast<const V*>(std::addressof(current)));
        }();
        std::unique_ptr<node_type> fresh;
        if constexpr (!inline_storage) {
            if (result) fresh = locked.pos.found ? node_for_replace(locked, *result) : make_node_here(h, key, *result);
        }
        commit_result(locked, h, key, result, fresh);
        return result;
    }

    template <class Q, class F>
    std::pair<V, bool> load_or_compute_impl(const Q& key, F& f) {
        static_assert(std::is_invocable_v<F&>, "syncmap::sync_map::load_or_compute(key, f): f must be callable as f()");
        static_assert(std::is_convertible_v<std::invoke_result_t<F&>, V>,
                      "syncmap::sync_map::load_or_compute(key, f): f() must return a V (or something convertible)");
        detail::locked_callback_frame::forbid_reentry(this, "syncmap::sync_map::load_or_compute");
        const std::uint64_t h = hash_of(key);
        if (std::optional<V> found = load_hashed(h, key)) return {std::move(*found), false};
        locked_leaf locked = lock_with_room(h, key);
        if (locked.pos.found) return {current_value(locked), false};
        std::optional<V> made;
        {
            detail::locked_callback_frame frame(this);
            made.emplace(f());
        }
        std::unique_ptr<node_type> fresh;
        if constexpr (!inline_storage) fresh = make_node_here(h, key, *made);
        // The returned pair is built (a copy of V: may throw) before the commit point (L4).
        std::pair<V, bool> out{*made, true};
        commit_result(locked, h, key, made, fresh);
        return out;
    }

    template <class KArg, class... Args>
    bool try_emplace_impl(KArg&& key, Args&&... args) {
        detail::locked_callback_frame::forbid_reentry(this, "syncmap::sync_map::try_emplace");
        const std::uint64_t h = hash_of(key);
        if (visit_hashed(h, key, [](const V&) {})) return false;
        locked_leaf locked = lock_with_room(h, key);
        if (locked.pos.found) return false;
        std::unique_ptr<node_type> fresh;
        std::optional<V> made;  // inline storage: the value the slot receives
        if constexpr (inline_storage) {
            made.emplace(std::forward<Args>(args)...);
        } else {
            fresh.reset(new node_type(h, std::in_place, std::forward<KArg>(key), std::forward<Args>(args)...));
        }
        {
            commit_scope scope(*this, locked.l);  // may throw: nothing has changed yet
            scope.preserve();
            slot_type& s = locked.l->slot_at(locked.pos);
            if constexpr (inline_storage) {
                s.fill(key_of(key), *made);
            } else {
                s.publish(fresh.release());
            }
            locked.l->publish(locked.pos, h);
        }
        return true;
    }

    template <class Q, class Pred>
    bool erase_if_key(const Q& key, Pred& pred) {
        static_assert(std::is_invocable_r_v<bool, Pred&, const V&>,
                      "syncmap::sync_map::erase_if(key, pred): pred must be callable as bool(const V&)");
        detail::locked_callback_frame::forbid_reentry(this, "syncmap::sync_map::erase_if");
        detail::locked_callback_frame frame(this);
        return erase_if_impl(key, [&](const V& v) { return static_cast<bool>(pred(v)); }, nothing, nullptr);
    }

    // ---- Traversal engine --------------------------------------------------------------

    // Fills `out` with the entries of leaf `l`, as `view` sees it, at or past `position` in
    // traversal order, each key once, sorted by entry_less if `sorted`; `cut_possible`
    // says whether the caller may cut the batch by hash (a chunk): if not, and `hashed` is
    // given, inline entries may be left without their hashes (*hashed = false); returns the end of
    // the interval read (a preserved copy read for a snapshot may span more than `l`). Each
    // slot is read once, without a lock and without retrying (a retry loop could starve
    // under churn). In the live view, a key erased and re-inserted into another slot while
    // the slots were read can be met twice; the leaf's lock version tells whether any writer
    // ran meanwhile, and only then are duplicates removed.
    using batch_type = detail::entry_buffer<entry_type, std::size_t{leaf::default_groups} * detail::group_width>;

    static void shrink(batch_type& b, std::size_t n) noexcept { b.resize_down(n); }
    static void shrink(std::vector<entry_type>& b, std::size_t n) noexcept { b.resize(n); }

    template <class View, class Out>
    std::uint64_t collect(const View& view, const leaf* l, pass_position position, bool sorted, Out& out,
                          bool cut_possible = true, bool* hashed = nullptr) const {
        bool may_repeat = false;
        const leaf* x = read_leaf(view, l, [&](const leaf* state) {
            out.clear();
            const std::uint32_t before = state->lock.read_word();
            if constexpr (inline_storage) {
                std::uint32_t order = 0;
                for (std::uint32_t gi = 0; gi <= state->group_mask; ++gi) {
                    // acquire: the slots of full bytes were written before the byte.
                    SYNCMAP_SCHEDULE_POINT();
                    const std::uint64_t word = state->ctrl(gi).load(std::memory_order_acquire);
                    for (detail::slot_mask m = detail::match_full(word); m; m.remove_lowest()) {
                        const slot_type& s = state->slot(gi, m.lowest());
                        out.push_back(inline_entry(order + m.lowest(), s.key, s.load_value()));
                    }
                    order += detail::group_width;
                }
            } else {
                // Read each slot once and start fetching its node, so that the node misses
                // overlap instead of following one another.
                state->for_each_full([&](const slot_type& s) {
                    if (const node_type* n = s.load()) {
                        __builtin_prefetch(n);
                        out.push_back(n);
                    }
                });
            }
            if constexpr (!View::snapshot) {
                const std::uint32_t after = state->lock.read_word();
                may_repeat = before != after || detail::leaf_lock::is_locked(before);
            }
        });
        // Keep what is at or past the position. Inline entries get their hashes here, unless
        // nothing needs them: a whole leaf offered in slot order, without a chunk to cut.
        std::size_t kept = 0;
        if constexpr (inline_storage) {
            // (Written begin > hash: clang reads "position.hash <" as the start of a
            // template argument list, syncmap::hash being a template.)
            const bool whole = x->interval_begin() > position.hash ||
                               (position.hash == x->interval_begin() && position.tiebreak == 0);
            if (!sorted && !may_repeat && !cut_possible && whole && hashed != nullptr) {
                *hashed = false;
                return x->interval_end();
            }
            hash_entries(out);
        }
        if (position.tiebreak == 0 || ordinal_ties) {
            for (entry_type& e : out) {
                if (entry_hash(e) >= position.hash) out[kept++] = e;
            }
        } else {
            for (entry_type& e : out) {
                if (!entry_before(e, position)) out[kept++] = e;
            }
        }
        shrink(out, kept);
        const bool skip_ordinals = ordinal_ties && position.tiebreak != 0;
        if (sorted || may_repeat || skip_ordinals) {
            std::sort(out.begin(), out.end(), [this](const entry_type& a, const entry_type& b) { return entry_less(a, b); });
        }
        if (may_repeat) {
            kept = 0;
            for (std::size_t i = 0; i < out.size(); ++i) {
                bool duplicate = false;
                for (std::size_t j = kept; j-- > 0 && entry_hash(out[j]) == entry_hash(out[i]);) {
                    if (equal_(entry_key(out[j]), entry_key(out[i]))) {
                        duplicate = true;
                        break;
                    }
                }
                if (!duplicate) out[kept++] = out[i];
            }
            shrink(out, kept);
        }
        if (skip_ordinals) {
            // The run of position.hash leads the sorted batch; its first `tiebreak` entries
            // were offered before.
            std::size_t run = 0;
            while (run < out.size() && entry_hash(out[run]) == position.hash) ++run;
            const std::size_t skip = static_cast<std::size_t>(std::min<std::uint64_t>(position.tiebreak, run));
            std::move(out.begin() + static_cast<std::ptrdiff_t>(skip), out.end(), out.begin());
            shrink(out, out.size() - skip);
        }
        return x->interval_end();
    }

    // Computes the hashes of inline entries collected without them.
    template <class Out>
    void hash_entries(Out& out) const {
        if constexpr (inline_storage) {
            for (entry_type& e : out) e.hash = hash_of(e.key);
        }
    }

    // Starts loading a leaf's header, control words and first slots (no effect on
    // correctness: the leaf is read again, with the usual loads, when its turn comes).
    static void prefetch_leaf(const leaf* l) noexcept {
        const char* p = reinterpret_cast<const char*>(l);
        for (std::size_t offset = 0; offset < 1024; offset += 64) __builtin_prefetch(p + offset);
    }

    // Every traversal calls its callback through here: the one place that says what shape
    // it must have (a static_assert instead of an overload-resolution failure in the engine).
    template <class F>
    static bool call(F& f, const K& k, const V& v) {
        if constexpr (!std::is_invocable_v<F&, const K&, const V&>) {
            static_assert(std::is_invocable_v<F&, const K&, const V&>,
                          "syncmap::sync_map: a traversal callback (range, scan, a snapshot's range or scan) must be "
                          "callable as f(const K& key, const V& value), returning bool (false stops) or void");
            return false;
        } else if constexpr (std::is_void_v<std::invoke_result_t<F&, const K&, const V&>>) {
            f(k, v);
            return true;
        } else {
            return static_cast<bool>(f(k, v));
        }
    }

    std::uint64_t structural_change_count() const noexcept {
        return splits_.load(std::memory_order_relaxed) + rebuilds_.load(std::memory_order_relaxed) +
               growths_.load(std::memory_order_relaxed) + clears_.load(std::memory_order_relaxed);
    }

    // How a traversal orders the entries of one leaf. `any`: slot order, the cheapest; a
    // chunk that must stop inside a leaf then selects its entries with nth_element and
    // stops at an exact hash. `sorted`: ascending (hash, tie-break), needed when the
    // callback may stop the traversal at any entry (it returns bool) and for snapshot
    // iteration, whose order must be the same every time (S4).
    enum class leaf_order { any, sorted };

    template <class F>
    static constexpr leaf_order order_for() {
        if constexpr (!std::is_invocable_v<F&, const K&, const V&>) {
            return leaf_order::any;  // call() reports the mistake
        } else {
            return std::is_void_v<std::invoke_result_t<F&, const K&, const V&>> ? leaf_order::any : leaf_order::sorted;
        }
    }

    // Where a pass stands between batch[i - 1] (offered) and batch[i] (not), adjacent in
    // traversal order: the start of batch[i]'s hash run if batch[i - 1] has a smaller hash
    // (no tiebreak needed: the common case), else batch[i]'s (hash, tiebreak), or, for keys
    // without a tiebreak hash, (hash, how many of the run precede it). If the two are tied
    // (hash and tiebreak hash both collide), that is also batch[i - 1]'s position, so a
    // resume offers the tied entries already offered again rather than skip the others.
    // `batch` was collected from `start` and is in traversal order up to i.
    template <class Batch>
    pass_position boundary(const Batch& batch, std::size_t i, const pass_position& start) const noexcept {
        const std::uint64_t h = entry_hash(batch[i]);
        if (entry_hash(batch[i - 1]) != h) return {h, 0};
        if constexpr (ordinal_ties) {
            std::size_t first = i;
            while (first > 0 && entry_hash(batch[first - 1]) == h) --first;
            return {h, (i - first) + (start.hash == h ? start.tiebreak : 0)};
        } else {
            return {h, tiebreak_of(entry_key(batch[i]))};
        }
    }

    // How many callbacks range(f, stop) with a void f may still start once the stop is
    // requested: a leaf of the default size is offered in slot order (sorting it would
    // add a sort's cost per entry to range), with the token checked before it; larger
    // leaves, and every leaf when f returns bool, are checked before each entry.
    static constexpr std::size_t stop_check_span = leaf::max_used_for(leaf::default_groups);

    // The one traversal loop behind range, scan and the snapshots' range and scan. Walks
    // leaves by position from `position`, one RCU read-side section per leaf, and returns
    // where it stopped: every entry ordered below the returned position (by hash, then
    // tiebreak hash) has been offered, none at or above it, except entries tied at one
    // position (keys without a tiebreak hash sharing all 64 hash bits), which a chunk never
    // splits and which a stop among them offers again on resume. `chunk` bounds how many
    // entries to offer (a tied run may exceed it); `stop` is checked as stop_check_span says.
    template <class View, class F>
    cursor traverse(const View& view, pass_position position, std::size_t chunk, F& f, const std::stop_token* stop,
                    traversal_stats* stats, leaf_order order, std::uint32_t tag = 0) const {
        if (tag == 0) tag = tag_;
        const std::uint64_t changes_before = stats != nullptr ? structural_change_count() : 0;
        std::uint64_t yielded = 0;
        std::uint64_t leaves = 0;
        auto finish = [&](cursor c) {
            if (stats != nullptr) {
                stats->entries_yielded = yielded;
                stats->leaves_visited = leaves;
                stats->structural_changes = structural_change_count() - changes_before;
                stats->live_snapshots = live_snapshot_count_.load(std::memory_order_relaxed);
                stats->versions_retained = retained_.load(std::memory_order_relaxed);
                stats->retired_bytes_pending = detail::rcu_pending_bytes.load(std::memory_order_relaxed);
            }
            return c;
        };
        auto stopped_at = [&](pass_position p) { return finish(cursor::make(tag, p.hash, p.tiebreak, false)); };
        constexpr std::uint64_t top = std::numeric_limits<std::uint64_t>::max();
        const bool sorted = order == leaf_order::sorted;
        batch_type batch;
        for (;;) {
            if (stop != nullptr && stop->stop_requested()) return stopped_at(position);
            detail::rcu_reader reader;
            const leaf* l = view.dir()->leaf_for(position.hash);
            // Prefer ending a chunk at a leaf boundary: once half the chunk is offered, a
            // leaf that would overflow it is left whole for the next call, which then
            // neither re-reads a half-consumed leaf nor selects within it. (live is a
            // relaxed count: a heuristic only; positions stay exact either way.)
            if (yielded > 0 && yielded >= chunk / 2 && yielded + l->live.load(std::memory_order_relaxed) > chunk) {
                return stopped_at(position);
            }
            ++leaves;
            const std::size_t room = chunk - yielded;  // > 0: we return once it reaches 0
            // A cut needs hashes; expect one only if the leaf may not fit (live is a relaxed
            // count: if it was stale, the hashes are computed below after all).
            bool hashed = true;
            const std::uint64_t end = collect(view, l, position, sorted, batch,
                                              l->live.load(std::memory_order_relaxed) > room, &hashed);
            pass_position next{end, 0};
            std::size_t count = batch.size();
            bool done = end == 0;  // the leaf reaches the top of the hash space
            // The next leaf sits elsewhere in memory: start fetching it while this one's
            // entries go to the callback.
            if (!done) prefetch_leaf(view.dir()->leaf_for(end));
            if (count > room) {
                if (!hashed) hash_entries(batch);
                auto less = [this](const entry_type& a, const entry_type& b) { return entry_less(a, b); };
                std::size_t cut = room;
                std::size_t run = count;     // batch[0, run) is in traversal order...
                bool in_order = sorted;      // ...if this is set
                if (!sorted) {
                    // Offer the entries whose hash is below the pivot's...
                    std::nth_element(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(room), batch.end(), less);
                    const std::uint64_t pivot = entry_hash(batch[room]);
                    cut = static_cast<std::size_t>(std::partition(batch.begin(), batch.end(), [&](const entry_type& e) {
                                                       return entry_hash(e) < pivot;
                                                   }) - batch.begin());
                    if (cut > 0) {
                        next = {pivot, 0};
                        count = cut;
                        done = false;
                    } else {
                        // ...or, if the pivot's hash is the smallest, its run (more than
                        // `room` keys sharing all 64 hash bits), cut in traversal order.
                        run = static_cast<std::size_t>(std::partition(batch.begin(), batch.end(), [&](const entry_type& e) {
                                                           return entry_hash(e) == pivot;
                                                       }) - batch.begin());
                        std::sort(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(run), less);
                        in_order = true;
                        cut = room;
                        if (run < count) {
                            // Whatever happens in the run, what lies past it is not offered now.
                            next = {pivot + 1, 0};  // < top: larger hashes follow
                            count = run;
                            done = false;
                        }
                    }
                }
                if (in_order) {
                    // Never separate tied entries: no position lies between them.
                    while (cut < run && entry_tied(batch[cut], batch[cut - 1])) ++cut;
                    if (cut < run) {
                        next = boundary(batch, cut, position);
                        count = cut;
                        done = false;
                    }
                }
            }
            // The cursor just after batch[i] when f returns false there.
            auto stopped_after = [&](std::size_t i) {
                if (!sorted) return finish(cursor::make(tag, 0, 0, false));  // plain range: no cursor
                // What follows batch[i] in the leaf is batch[i + 1], even past a cut: only
                // if it shares the hash does the position need a tiebreak.
                const std::uint64_t h = entry_hash(batch[i]);
                if (i + 1 < batch.size() && entry_hash(batch[i + 1]) == h) return stopped_at(boundary(batch, i + 1, position));
                return finish(cursor::make(tag, h + 1, 0, h == top));
            };
            if (stop == nullptr) {
                for (std::size_t i = 0; i < count; ++i) {
                    ++yielded;
                    if (!call(f, entry_key(batch[i]), entry_value(batch[i]))) return stopped_after(i);
                }
            } else {
                // A leaf offered in slot order was checked for the token before it (above):
                // at most stop_check_span entries. A larger one (keys crowding one hash
                // interval) is offered in traversal order, checking before every entry,
                // so that a stop may fall anywhere in it.
                const bool each = sorted || count > stop_check_span;
                if (each && !sorted) {
                    if (!hashed) hash_entries(batch);
                    std::sort(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(count),
                              [this](const entry_type& a, const entry_type& b) { return entry_less(a, b); });
                }
                for (std::size_t i = 0; i < count; ++i) {
                    if (each && stop->stop_requested()) return stopped_at(i == 0 ? position : boundary(batch, i, position));
                    ++yielded;
                    if (!call(f, entry_key(batch[i]), entry_value(batch[i]))) return stopped_after(i);
                }
            }
            if (done) return finish(cursor::make(tag, 0, 0, true));
            position = next;
            if (count < batch.size() || yielded >= chunk) return stopped_at(position);
        }
    }

    // ---- Restructuring (under structure_mutex_) --------------------------------------

    // Makes room in the leaf owning hash h: rebuilds it without deleted slots, splits it in
    // two, or, when the directory may not grow further, doubles its slot count.
    void make_room(std::uint64_t h) {
        std::lock_guard<std::mutex> structure(structure_mutex_);
        // relaxed: the directory pointer only changes under structure_mutex_.
        directory* d = dir_.load(std::memory_order_relaxed);
        // Live: leaves die only under structure_mutex_, which we hold.
        leaf* l = d->leaf_for(h);
        detail::leaf_lock_guard guard(l->lock);
        if (l->used < l->max_used()) return;  // another writer made room meanwhile

        // Rebuild (dropping deleted slots) while that leaves room for a quarter of the
        // limit; split otherwise. Inline leaves never reuse deleted slots, so under
        // erase/insert churn they fill with them: rebuilding in place keeps churn from
        // splitting leaves that hold few entries.
        if (l->live.load(std::memory_order_relaxed) <= l->max_used() / 4 * 3) {
            replace_leaf(d, l, guard, l->group_count());
        } else if (l->depth < d->global_depth || may_double(d)) {
            split_leaf(d, l, guard);
        } else {
            replace_leaf(d, l, guard, l->group_count() * 2);
        }
    }

    // The directory may double while it stays within 2^8 entries per leaf (plus a floor):
    // with seeded hashes a leaf would need ~112 keys in an interval 256 times narrower than
    // the average leaf's, which does not happen; with a degenerate user hash the leaves
    // grow instead, and the directory does not explode.
    bool may_double(const directory* d) const noexcept {
        if (d->global_depth >= 48) return false;
        const std::size_t limit = std::max<std::size_t>(std::size_t{1} << 12, leaf_count_ << 8);
        return (std::size_t{2} << d->global_depth) <= limit;
    }

    // A new leaf takes over the snapshot state of the leaf it replaces: same written_at,
    // same preserved copies (its content is the old leaf's, so the old leaf's invariant
    // carries over). `shares` is the number of new leaves taking it over.
    static void inherit_snapshot_state(leaf* fresh, const leaf* old) noexcept {
        fresh->written_at.store(old->written_at.load(std::memory_order_relaxed), std::memory_order_relaxed);
        fresh->before.store(old->before.load(std::memory_order_relaxed), std::memory_order_relaxed);
    }

    // Copies l's entries into unpublished leaves: place(hash) returns the leaf to put each
    // in. May throw (hashing an inline key): nothing is published yet.
    template <class Place>
    void copy_entries(leaf* l, Place&& place) const {
        l->for_each_position([&](auto, slot_type& s) {
            const std::uint64_t h = hash_of_slot(s);
            place(h)->build_slot(h).copy_from(s);  // node pointers move: their holder is the new leaf
        });
    }

    // Rebuilds `l` into one fresh leaf of the same interval with `groups` groups.
    void replace_leaf(directory* d, leaf* l, detail::leaf_lock_guard& guard, std::uint32_t groups) {
        detail::rcu_retire_reserve();  // may throw: nothing changed
        std::unique_ptr<leaf, leaf_deleter> fresh(leaf::create(l->depth, l->prefix, groups));
        copy_entries(l, [&](std::uint64_t) { return fresh.get(); });  // may throw: nothing changed
        inherit_snapshot_state(fresh.get(), l);
        const std::size_t first = d->first_index_of(l);
        const std::size_t span = d->span_of(l);
        for (std::size_t i = first; i < first + span; ++i) d->set(i, fresh.get());
        fresh.release();
        rebuilds_.fetch_add(1, std::memory_order_relaxed);
        retire_unpublished(l, guard);
    }

    void split_leaf(directory* d, leaf* l, detail::leaf_lock_guard& guard) {
        const unsigned depth = l->depth + 1u;
        std::unique_ptr<leaf, leaf_deleter> lower(leaf::create(depth, l->prefix << 1, l->group_count()));
        std::unique_ptr<leaf, leaf_deleter> upper(leaf::create(depth, (l->prefix << 1) | 1, l->group_count()));
        directory* target = d;
        std::unique_ptr<directory, directory_deleter> doubled;
        if (l->depth == d->global_depth) {
            doubled.reset(directory::create(d->global_depth + 1));
            target = doubled.get();
        }
        detail::rcu_retire_reserve(2);
        copy_entries(l, [&](std::uint64_t h) {
            return ((h >> (63 - l->depth)) & 1) != 0 ? upper.get() : lower.get();
        });
        // Nothing can throw below this point.
        inherit_snapshot_state(lower.get(), l);
        inherit_snapshot_state(upper.get(), l);
        if (leaf* c = l->before.load(std::memory_order_relaxed)) {
            c->refs.fetch_add(1, std::memory_order_relaxed);  // two `before` pointers replace one
        }
        if (doubled) {
            for (std::size_t i = 0; i < d->size(); ++i) {
                leaf* x = d->at(i);
                target->set(2 * i, x);
                target->set(2 * i + 1, x);
            }
        }
        // Upper half first, then lower half: directory::for_each_leaf relies on it. A point
        // after every single store lets tests/split_publication_test.cpp walk the directory
        // between any two of them.
        const std::size_t first = target->first_index_of(l);
        const std::size_t half = target->span_of(l) / 2;
        for (std::size_t i = first + 2 * half; i-- > first + half;) {
            target->set(i, upper.get());
            SYNCMAP_SCHEDULE_POINT();
        }
        for (std::size_t i = first + half; i-- > first;) {
            target->set(i, lower.get());
            SYNCMAP_SCHEDULE_POINT();
        }
        upper.release();
        lower.release();
        ++leaf_count_;
        splits_.fetch_add(1, std::memory_order_relaxed);
        if (doubled) {
            // release: the doubled directory is fully written before it is seen.
            dir_.store(doubled.release(), std::memory_order_release);
            SYNCMAP_SCHEDULE_POINT();
            growths_.fetch_add(1, std::memory_order_relaxed);
            detail::rcu_retire(d, &directory::destroy, directory::bytes_for(d->global_depth));
        }
        retire_unpublished(l, guard);
    }

    // Freezes an unpublished leaf and retires its memory (not its entries' nodes nor its
    // preserved copies, which moved to the leaves that replace it).
    static void retire_unpublished(leaf* l, detail::leaf_lock_guard& guard) noexcept {
        l->dead.store(true, std::memory_order_relaxed);  // read under the lock only
        guard.unlock();
        detail::rcu_retire(l, &leaf::destroy, l->byte_size());
    }

    // After a snapshot is destroyed: drops the preserved copies that no remaining snapshot
    // reads. One pass over the leaves, one leaf lock at a time.
    void sweep_preserved(const std::vector<std::uint64_t>& live, std::uint64_t clock) const noexcept;

    struct leaf_deleter {
        void operator()(leaf* l) const noexcept { leaf::destroy(l); }
    };
    struct directory_deleter {
        void operator()(directory* d) const noexcept { directory::destroy(d); }
    };

    static directory* new_root_directory() {
        std::unique_ptr<leaf, leaf_deleter> root(leaf::create(0, 0, leaf::default_groups));
        directory* d = directory::create(0);
        d->set(0, root.release());
        return d;
    }

    // Frees a leaf nobody can reach any more, with what only it holds: nodes and
    // preserved copies whose count drops to zero (destruction of the map or of a tree
    // frozen by clear(): every holder of those goes in the same pass).
    static void destroy_leaf_and_entries(leaf* l) noexcept {
        destroy_chain(l->before.load(std::memory_order_relaxed));
        destroy_entries(l);
        leaf::destroy(l);
    }
    static void destroy_entries(leaf* l) noexcept {
        if constexpr (!inline_storage) {
            l->for_each_position([](auto, slot_type& s) {
                node_type* n = s.ptr.load(std::memory_order_relaxed);
                if (n->release_ref()) delete n;
            });
        }
    }
    static void destroy_chain(leaf* c) noexcept {
        while (c != nullptr && c->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            leaf* next = c->before.load(std::memory_order_relaxed);
            destroy_entries(c);
            leaf::destroy(c);
            c = next;
        }
    }

    static void destroy_tree(directory* d) noexcept {
        for (std::size_t i = 0; i < d->size();) {
            leaf* l = d->at(i);
            i = d->first_index_of(l) + d->span_of(l);  // read before the leaf is freed
            destroy_leaf_and_entries(l);
        }
        directory::destroy(d);
    }

    void unregister_snapshot(std::uint64_t version, generation* gen) const noexcept;

    // ---- Moving ----------------------------------------------------------------------

    // Where a map's snapshots find it: allocated with the map (so that snapshot() allocates
    // nothing more, S3), handed over by a move. A snapshot reaches its map only through it,
    // so a move retargets every snapshot of the moved contents with one store.
    struct snapshot_anchor {
        const sync_map* map;
    };
    // An empty tree, with its generation and snapshot anchor: a new map's, or the one a
    // move leaves behind (allocated before anything moves). Frees what it still holds.
    struct fresh_tree {
        std::unique_ptr<generation> gen{new generation};
        std::unique_ptr<snapshot_anchor> anchor{new snapshot_anchor{nullptr}};
        directory* dir = new_root_directory();
        fresh_tree() = default;
        fresh_tree(const fresh_tree&) = delete;
        fresh_tree& operator=(const fresh_tree&) = delete;
        ~fresh_tree() {
            if (dir != nullptr) destroy_tree(dir);
        }
    };

    // Takes other's contents and bookkeeping (tree, generation, snapshot registry, clock,
    // statistics, snapshot anchor) and gives `other` the fresh tree. No thread uses
    // either map (the move's precondition): relaxed accesses suffice.
    void take_contents(sync_map& other, fresh_tree& replacement) noexcept {
        constexpr auto r = std::memory_order_relaxed;
        dir_.store(other.dir_.exchange(std::exchange(replacement.dir, nullptr), r), r);
        generation_.store(other.generation_.exchange(replacement.gen.release(), r), r);
        leaf_count_ = std::exchange(other.leaf_count_, 1);
        clock_.store(other.clock_.exchange(1, r), r);
        live_versions_ = std::move(other.live_versions_);
        other.live_versions_.clear();
        newest_live_.store(other.newest_live_.exchange(no_snapshot_newest, r), r);
        live_snapshot_count_.store(other.live_snapshot_count_.exchange(0, r), r);
        splits_.store(other.splits_.exchange(0, r), r);
        rebuilds_.store(other.rebuilds_.exchange(0, r), r);
        growths_.store(other.growths_.exchange(0, r), r);
        clears_.store(other.clears_.exchange(0, r), r);
        retained_.store(other.retained_.exchange(0, r), r);
        anchor_ = std::exchange(other.anchor_, replacement.anchor.release());
        anchor_->map = this;  // the snapshots follow the contents
        other.anchor_->map = &other;
    }


    // Never null; replaced only by a move; freed with the map.
    snapshot_anchor* anchor_ = nullptr;

    // The published directory. Replaced (release store) only under structure_mutex_, when
    // it doubles or on clear(); the old one is retired (or frozen for snapshots), never
    // written again.
    std::atomic<directory*> dir_{nullptr};
    // Serialises every structural change: splits, rebuilds, directory doubling, clear(),
    // sweeps of preserved copies.
    mutable std::mutex structure_mutex_;
    // Number of distinct leaves in the published directory; under structure_mutex_ only.
    std::size_t leaf_count_ = 1;

    // The version clock: ticks once per snapshot(), under the closed gate. A write that
    // preserves a copy stamps the leaf with it; a snapshot at S reads leaf states stamped
    // <= S.
    mutable std::atomic<std::uint64_t> clock_{1};
    mutable detail::writer_gate gate_;
    // Live snapshots' versions (sorted, duplicates allowed) and the newest of them, written
    // under snapshot_mutex_ (additions also under the closed gate, so every writer inside
    // the gate sees them); writers read newest_live_ inside the gate.
    mutable std::mutex snapshot_mutex_;
    mutable std::vector<std::uint64_t> live_versions_;
    mutable std::atomic<std::uint64_t> newest_live_{no_snapshot_newest};
    mutable std::atomic<std::size_t> live_snapshot_count_{0};
    // The generation snapshots taken now would read; replaced by clear() inside the gate.
    std::atomic<generation*> generation_{nullptr};

    // Statistics (relaxed counters).
    std::atomic<std::uint64_t> splits_{0};
    std::atomic<std::uint64_t> rebuilds_{0};
    std::atomic<std::uint64_t> growths_{0};
    std::atomic<std::uint64_t> clears_{0};
    mutable std::atomic<std::int64_t> retained_{0};  // entries held in preserved copies of the live tree

    std::uint64_t seed_;  // changed only by move assignment
    std::uint32_t tag_;   // identifies this map's cursors
    [[no_unique_address]] Hash hash_;
    [[no_unique_address]] KeyEqual equal_;
};

// =====================================================================================
// snapshot_type
// =====================================================================================

// An immutable, point-in-time view of a sync_map (clauses S1-S4, C4).
//
// Reads through it are lock-free and see exactly the map's contents at one instant within
// the snapshot() call, whatever the map does afterwards. It keeps alive only the versions
// the map has overwritten or erased since (and, after a clear(), the old tree), and
// releases them when destroyed. Move-only; must be destroyed before its map. A snapshot
// may be read from several threads at once.
template <class K, class V, class Hash, class KeyEqual, class Storage>
class sync_map<K, V, Hash, KeyEqual, Storage>::snapshot_type
    : public detail::go_lookup_api<typename sync_map<K, V, Hash, KeyEqual, Storage>::snapshot_type, K, V, Hash, KeyEqual> {
    friend class sync_map;
    friend class detail::go_lookup_api<snapshot_type, K, V, Hash, KeyEqual>;

public:
    using key_type = K;
    using mapped_type = V;

    snapshot_type(snapshot_type&& other) noexcept
        : map_(std::exchange(other.map_, nullptr)),
          gen_(std::exchange(other.gen_, nullptr)),
          at_(other.at_),
          size_(other.size_.load(std::memory_order_relaxed)) {}
    snapshot_type& operator=(snapshot_type&& other) noexcept {
        if (this != &other) {
            release();
            map_ = std::exchange(other.map_, nullptr);
            gen_ = std::exchange(other.gen_, nullptr);
            at_ = other.at_;
            size_.store(other.size_.load(std::memory_order_relaxed), std::memory_order_relaxed);
        }
        return *this;
    }
    snapshot_type(const snapshot_type&) = delete;
    snapshot_type& operator=(const snapshot_type&) = delete;
    ~snapshot_type() { release(); }

    // The map's version clock value this snapshot reads at.
    std::uint64_t version() const noexcept { return at_; }

    // load, contains and visit (detail/go_api.hpp), for K and heterogeneous keys: the
    // snapshot's contents, read without locks, O(1) expected.

    // Entries in the snapshot. The first call counts them (O(n)); later calls are O(1).
    std::size_t size() const {
        std::size_t s = size_.load(std::memory_order_relaxed);
        if (s != unknown_size) return s;
        s = 0;
        range([&](const K&, const V&) { ++s; });
        size_.store(s, std::memory_order_relaxed);
        return s;
    }
    bool empty() const { return size() == 0; }

    // Calls f(key, value) for every entry, in ascending hash order, the same order every
    // time; f returns bool (false stops) or void. f may call any member of the map.
    template <class F>
    void range(F&& f) const {
        map_->traverse(view(), {}, std::numeric_limits<std::size_t>::max(), f, nullptr, nullptr, leaf_order::sorted,
                       tag());
    }

    // Chunked walk of the snapshot: together, the chunks of one pass offer exactly the
    // snapshot's contents, each entry once (C4), in the same order as range() and the
    // iterators. Same cursor rules as sync_map::scan; a
    // cursor of the live map or of another snapshot is rejected.
    template <class F>
    cursor scan(cursor from, std::size_t chunk, F&& f, traversal_stats* stats = nullptr) const {
        if (chunk == 0) throw invalid_cursor("syncmap::sync_map::snapshot_type::scan: chunk size must be at least 1, got 0");
        from.require_tag(tag(), "syncmap::sync_map::snapshot_type::scan");
        if (from.done()) return from;
        return map_->traverse(view(), {from.position(), from.tiebreak()}, chunk, f, nullptr, stats, leaf_order::sorted,
                              tag());
    }

    // A forward iterator over the snapshot's entries (S4). It holds the entries of one
    // leaf interval at a time (node pointers that the snapshot keeps alive, or copies of
    // inline entries), so nothing but the snapshot itself is pinned between increments.
    // *it is a const reference to a pair of const references (key, value) that the
    // iterator holds, so `for (auto& [k, v] : snap)`, `const auto&`, `auto&&` and `auto`
    // all bind; it (and k, v) stay valid until the iterator is incremented or destroyed.
    class iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using iterator_concept = std::forward_iterator_tag;
        using value_type = std::pair<const K&, const V&>;
        using reference = const value_type&;
        using pointer = const value_type*;
        using difference_type = std::ptrdiff_t;

        iterator() = default;
        // The held pair refers into this iterator's own batch: a copy builds its own.
        iterator(const iterator& other)
            : snap_(other.snap_),
              batch_(other.batch_),
              index_(other.index_),
              batch_position_(other.batch_position_),
              next_position_(other.next_position_),
              next_done_(other.next_done_) {}
        iterator(iterator&& other) noexcept
            : snap_(other.snap_),
              batch_(std::move(other.batch_)),
              index_(other.index_),
              batch_position_(other.batch_position_),
              next_position_(other.next_position_),
              next_done_(other.next_done_) {
            other.current_.reset();
        }
        iterator& operator=(const iterator& other) {
            if (this != &other) {
                current_.reset();
                snap_ = other.snap_;
                batch_ = other.batch_;
                index_ = other.index_;
                batch_position_ = other.batch_position_;
                next_position_ = other.next_position_;
                next_done_ = other.next_done_;
            }
            return *this;
        }
        iterator& operator=(iterator&& other) noexcept {
            if (this != &other) {
                current_.reset();
                other.current_.reset();
                snap_ = other.snap_;
                batch_ = std::move(other.batch_);
                index_ = other.index_;
                batch_position_ = other.batch_position_;
                next_position_ = other.next_position_;
                next_done_ = other.next_done_;
            }
            return *this;
        }

        reference operator*() const {
            current_.emplace(entry_key(batch_[index_]), entry_value(batch_[index_]));
            return *current_;
        }
        pointer operator->() const { return &**this; }

        iterator& operator++() {
            current_.reset();
            if (++index_ == batch_.size()) fill(next_position_, next_done_);
            return *this;
        }
        iterator operator++(int) {
            iterator old = *this;
            ++*this;
            return old;
        }
        // Two iterators of one snapshot are equal when both are at the end, or both are at
        // the same entry of the same leaf interval.
        friend bool operator==(const iterator& a, const iterator& b) noexcept {
            const bool a_end = a.index_ >= a.batch_.size();
            const bool b_end = b.index_ >= b.batch_.size();
            if (a_end || b_end) return a_end == b_end;
            return a.batch_position_ == b.batch_position_ && a.index_ == b.index_;
        }

    private:
        friend class snapshot_type;
        explicit iterator(const snapshot_type* s) : snap_(s) { fill(0, false); }

        // Loads the next non-empty leaf interval at or after `position`.
        void fill(std::uint64_t position, bool done) {
            batch_.clear();
            index_ = 0;
            while (!done && batch_.empty()) {
                detail::rcu_reader reader;
                const view_t v = snap_->view();
                const leaf* l = v.dir()->leaf_for(position);
                batch_position_ = position;
                position = snap_->map_->collect(v, l, {position, 0}, true, batch_);
                done = position == 0;
            }
            next_position_ = position;
            next_done_ = done;
        }

        const snapshot_type* snap_ = nullptr;
        std::vector<entry_type> batch_;  // node pointers the snapshot keeps alive, or copies
        mutable std::optional<value_type> current_;  // what *it refers to: batch_[index_]
        std::size_t index_ = 0;
        std::uint64_t batch_position_ = 0;
        std::uint64_t next_position_ = 0;
        bool next_done_ = true;
    };
    using const_iterator = iterator;

    iterator begin() const { return iterator(this); }
    iterator end() const noexcept { return iterator(); }

private:
    using view_t = snapshot_view_t;
    static constexpr std::size_t unknown_size = std::numeric_limits<std::size_t>::max();

    snapshot_type(snapshot_anchor* anchor, generation* gen, std::uint64_t at) noexcept
        : map_(anchor), gen_(gen), at_(at) {}

    // The snapshot's map, reached through the map's anchor, which a move of the map
    // retargets (the snapshot then reads the map its contents moved to). Null once released.
    class map_ref {
    public:
        map_ref(snapshot_anchor* a) noexcept : anchor_(a) {}
        map_ref(std::nullptr_t) noexcept {}
        const sync_map* operator->() const noexcept { return anchor_->map; }
        operator const sync_map*() const noexcept { return anchor_ != nullptr ? anchor_->map : nullptr; }

    private:
        snapshot_anchor* anchor_ = nullptr;
    };

    view_t view() const noexcept { return {map_, gen_, at_}; }
    template <class Q>
    std::optional<V> load_impl(const Q& key) const {
        std::optional<V> out;
        auto copy_out = [&](const V& v) { out.emplace(v); };
        visit_impl(key, copy_out);
        return out;
    }
    template <class Q, class F>
    bool visit_impl(const Q& key, F& f) const {
        return map_->visit_in(view(), map_->hash_of(key), key, f);
    }
    std::uint32_t tag() const noexcept {
        return static_cast<std::uint32_t>(detail::mix64(map_->seed_ ^ (at_ * 0x9e3779b97f4a7c15ULL)) >> 32) | 1u;
    }

    void release() noexcept {
        if (map_ == nullptr) return;
        if (detail::locked_callback_frame::active(map_)) {
            // Unregistering takes locks ordered before the leaf lock the callback runs under.
            std::fputs("syncmap: a snapshot was destroyed inside a compute, load_or_compute or erase_if callback "
                       "of its own map (it would deadlock)\n",
                       stderr);
            std::abort();
        }
        map_->unregister_snapshot(at_, gen_);
        map_ = nullptr;
        gen_ = nullptr;
    }

    map_ref map_;
    generation* gen_;
    std::uint64_t at_;
    mutable std::atomic<std::size_t> size_{unknown_size};
};

// ---- Out-of-class members ------------------------------------------------------------

template <class K, class V, class Hash, class KeyEqual, class Storage>
auto sync_map<K, V, Hash, KeyEqual, Storage>::snapshot() const -> snapshot_type {
    detail::locked_callback_frame::forbid_reentry(this, "syncmap::sync_map::snapshot");
    std::lock_guard<std::mutex> registry(snapshot_mutex_);
    live_versions_.reserve(live_versions_.size() + 1);  // may throw: nothing changed yet
    gate_.close();
    // Inside the closed gate no writer is between deciding whether to preserve its leaf and
    // its last store: every write made before is in its leaf, and every later write sees
    // this snapshot as live and preserves the leaf state it is about to change (S1).
    const std::uint64_t at = clock_.load(std::memory_order_relaxed);
    clock_.store(at + 1, std::memory_order_relaxed);
    live_versions_.insert(std::upper_bound(live_versions_.begin(), live_versions_.end(), at), at);
    newest_live_.store(live_versions_.back(), std::memory_order_relaxed);
    live_snapshot_count_.fetch_add(1, std::memory_order_relaxed);
    generation* gen = generation_.load(std::memory_order_relaxed);
    gen->refs.fetch_add(1, std::memory_order_relaxed);
    gate_.open();
    return snapshot_type(anchor_, gen, at);
}

template <class K, class V, class Hash, class KeyEqual, class Storage>
void sync_map<K, V, Hash, KeyEqual, Storage>::unregister_snapshot(std::uint64_t version, generation* gen) const noexcept {
    bool sweep = false;
    std::vector<std::uint64_t> live;
    std::uint64_t clock = 0;
    {
        std::lock_guard<std::mutex> registry(snapshot_mutex_);
        live_snapshot_count_.fetch_sub(1, std::memory_order_relaxed);
        if (gen != generation_.load(std::memory_order_relaxed)) {
            // A snapshot of a tree clear() froze: it was dropped from live_versions_ then.
            gen->release();
            return;
        }
        // Inside the closed gate: a writer that saw this snapshot as live has linked its copy
        // by now (and the sweep below finds it), and every later writer sees it gone.
        gate_.close();
        auto it = std::lower_bound(live_versions_.begin(), live_versions_.end(), version);
        live_versions_.erase(it);
        newest_live_.store(live_versions_.empty() ? no_snapshot_newest : live_versions_.back(),
                           std::memory_order_relaxed);
        gate_.open();
        sweep = retained_.load(std::memory_order_relaxed) > 0;
        if (sweep) {
            // Snapshots created from now on have versions >= clock.
            clock = clock_.load(std::memory_order_relaxed);
            try {
                live = live_versions_;
            } catch (...) {
                sweep = false;  // out of memory: the copies go at a later sweep
            }
        }
    }
    gen->release();
    if (sweep) sweep_preserved(live, clock);
}

// A preserved copy c in a chain  leaf -> ... -> p -> c -> ...  holds the state for the
// versions [c.written_at, p.written_at); it is dropped when no live snapshot is in that range.
// `live` lists the snapshots that were alive when the sweep began, and every snapshot
// created since has a version >= `clock`: a range reaching past `clock` is kept (a copy made
// for such a snapshot during the sweep has p.written_at > its version >= clock).
template <class K, class V, class Hash, class KeyEqual, class Storage>
void sync_map<K, V, Hash, KeyEqual, Storage>::sweep_preserved(const std::vector<std::uint64_t>& live,
                                                              std::uint64_t clock) const noexcept {
    std::lock_guard<std::mutex> structure(structure_mutex_);
    auto needed = [&](std::uint64_t from, std::uint64_t to) {  // a possibly live version in [from, to)?
        if (to > clock) return true;
        auto it = std::lower_bound(live.begin(), live.end(), from);
        return it != live.end() && *it < to;
    };
    // Leaves of the published directory cannot die while we hold structure_mutex_.
    dir_.load(std::memory_order_relaxed)->for_each_leaf([&](leaf* l) {
        if (l->before.load(std::memory_order_relaxed) == nullptr) return;
        detail::leaf_lock_guard guard(l->lock);
        std::atomic<leaf*>* link = &l->before;
        std::uint64_t newer = l->written_at.load(std::memory_order_relaxed);
        while (leaf* c = link->load(std::memory_order_relaxed)) {
            const std::uint64_t at = c->written_at.load(std::memory_order_relaxed);
            if (needed(at, newer)) {
                newer = at;
                link = &c->before;
                continue;
            }
            // Unlink c: readers already on it may still follow its `before`, which stays
            // valid until c is reclaimed.
            try {
                detail::rcu_retire_reserve(1);
            } catch (...) {
                return;  // out of memory: the rest of this chain waits for a later sweep
            }
            leaf* next = c->before.load(std::memory_order_relaxed);
            if (next != nullptr) next->refs.fetch_add(1, std::memory_order_relaxed);
            link->store(next, std::memory_order_release);
            release_preserved(c);
        }
    });
}

template <class K, class V, class Hash, class KeyEqual, class Storage>
void sync_map<K, V, Hash, KeyEqual, Storage>::clear() {
    detail::locked_callback_frame::forbid_reentry(this, "syncmap::sync_map::clear");
    // The registry first (lock order): if snapshots hold this tree, they stop counting as
    // live for the new one, whose writers must not preserve copies for them.
    std::lock_guard<std::mutex> registry(snapshot_mutex_);
    std::lock_guard<std::mutex> structure(structure_mutex_);
    directory* old_dir = dir_.load(std::memory_order_relaxed);
    // Every leaf locked: the map's contents stand still (the directory only changes under
    // structure_mutex_). Unlocked again on every way out but the commit below.
    struct all_leaves_locked {
        directory* d;
        bool held = true;
        explicit all_leaves_locked(directory* dir) noexcept : d(dir) {
            d->for_each_leaf([](leaf* l) { l->lock.lock(); });
        }
        ~all_leaves_locked() {
            if (held) d->for_each_leaf([](leaf* l) { l->lock.unlock(); });
        }
    } locked(old_dir);
    clears_.fetch_add(1, std::memory_order_relaxed);
    bool empty = true;
    old_dir->for_each_leaf([&](const leaf* l) { empty = empty && l->live.load(std::memory_order_relaxed) == 0; });
    if (empty) return;  // already empty at this instant: nothing to do, nothing allocated
    // Everything that may throw happens first: nothing has changed yet (L4).
    std::unique_ptr<tree_garbage> garbage(new tree_garbage);
    garbage->dir = old_dir;
    garbage->leaves.reserve(leaf_count_);
    std::unique_ptr<generation> next_gen(new generation);
    directory* fresh_dir = new_root_directory();
    old_dir->for_each_leaf([&](leaf* l) { garbage->leaves.push_back(l); });
    locked.held = false;  // from here on the leaves are unlocked below, after they die
    generation* frozen_gen = nullptr;
    {
        // Inside the gate, so that no snapshot() runs between deciding whether snapshots
        // hold this tree and publishing the new one.
        detail::writer_gate_pass pass(gate_);
        generation* gen = generation_.load(std::memory_order_relaxed);
        if (gen->refs.load(std::memory_order_acquire) > 1) {
            // Snapshots read this tree: freeze it for them (set before the new tree is
            // published, see snapshot_view_t::dir) and start a new generation.
            gen->frozen.store(old_dir, std::memory_order_release);
            generation_.store(next_gen.release(), std::memory_order_relaxed);
            frozen_gen = gen;
            // Those snapshots read the frozen tree only: the new tree has none to serve.
            live_versions_.clear();
            newest_live_.store(no_snapshot_newest, std::memory_order_relaxed);
        }
        retained_.store(0, std::memory_order_relaxed);  // the new tree preserves nothing yet
        // release: the new directory and its leaf are initialised for whoever loads it.
        dir_.store(fresh_dir, std::memory_order_release);
    }
    for (leaf* l : garbage->leaves) {
        l->dead.store(true, std::memory_order_relaxed);
        l->lock.unlock();
    }
    leaf_count_ = 1;
    std::size_t bytes = directory::bytes_for(old_dir->global_depth);
    for (const leaf* l : garbage->leaves) {
        bytes += l->byte_size();
        if constexpr (!inline_storage) bytes += std::size_t{l->live.load(std::memory_order_relaxed)} * sizeof(node_type);
    }
    garbage->bytes = bytes;
    garbage->destroy = &tree_garbage::destroy_self;
    if (frozen_gen != nullptr) {
        frozen_gen->frozen_tree = garbage.release();
        frozen_gen->release();  // the map's reference; the snapshots hold the rest
    } else {
        detail::rcu_retire_object(garbage.release());
    }
}

}  // namespace syncmap
