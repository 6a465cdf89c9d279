// syncmap/sync_map.hpp - Go's sync.Map API with lock-free reads and three ways to walk a
// map that changes under you: a weakly consistent range, an O(1) point-in-time snapshot,
// and a resumable, cancellable scan with a serializable cursor.
//
// Design (docs/DESIGN.md has the reasons and the measurements)
//
//   directory ──► leaf ──► slot ──► node {hash, version, key, value} ──older──► node ...
//
// - Every key has a 64-bit seeded hash (hash.hpp, clause H1). The directory is an array of
//   2^global_depth leaf pointers indexed by the hash's top bits (extendible hashing); a leaf
//   owns the keys whose hash starts with its prefix. Directory order is hash order, so a
//   traversal's position is simply a hash value, which no growth or split can invalidate:
//   range() moves from leaf to leaf by position, and a cursor *is* a position.
// - A leaf is a small Swiss-style open-addressing table whose slots point to immutable
//   nodes. Readers take no lock (L2); writers take the leaf's lock, which waits on a futex
//   rather than spinning (leaf_lock.hpp). A full leaf is never rehashed in place: it is
//   rebuilt, split in two, or (for a degenerate hash) grown, on the side, then published,
//   and the old leaf is frozen and retired. Entries never move inside a live leaf.
// - Snapshots: a version clock ticks once per snapshot(); a write stamps its node with the
//   clock and, while a snapshot may still see the node it supersedes, links it behind the
//   new one (an erase leaves a tombstone). A snapshot at version S reads, per slot, the
//   newest node with version <= S. Writers hold a shared gate from reading the clock to
//   installing (writer_gate.hpp); snapshot() closes it only to bump the clock (S1).
// - Memory is reclaimed through liburcu (rcu.hpp). Readers hold an RCU read-side section
//   for one lookup, or for one leaf of a traversal; writers retire and never wait for a
//   grace period, so traversal callbacks may call any member (W5).
//
// Locks, in the only order they are ever taken: snapshot_mutex_ (snapshot registry;
// snapshot(), snapshot destruction, clear()), structure_mutex_ (splits, directory
// doubling, clear, sweeps), leaf locks, then the writer gate (shared). A writer holds one leaf lock for a few stores; it drops it before
// taking structure_mutex_ to make room.
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

#include <algorithm>
#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <utility>
#include <vector>

#include "cursor.hpp"
#include "detail/directory.hpp"
#include "detail/entry_buffer.hpp"
#include "detail/leaf.hpp"
#include "detail/node.hpp"
#include "detail/rcu.hpp"
#include "detail/writer_gate.hpp"
#include "hash.hpp"
#include "stats.hpp"
#include "storage.hpp"

namespace syncmap {

template <class K, class V, class Hash = syncmap::hash<K>, class KeyEqual = std::equal_to<K>,
          class Storage = storage::automatic>
class sync_map {
    using node_type = detail::node<K, V>;
    using node_header = detail::node_header;
    using leaf = detail::leaf;
    using directory = detail::directory;

    template <class Q>
    static constexpr bool heterogeneous =
        detail::transparent<Hash> && detail::transparent<KeyEqual> && !std::is_same_v<Q, K>;

    static constexpr std::uint64_t no_snapshot_oldest = std::numeric_limits<std::uint64_t>::max();
    static constexpr std::uint64_t no_snapshot_newest = 0;

public:
    using key_type = K;
    using mapped_type = V;
    using hasher = Hash;
    using key_equal = KeyEqual;
    class snapshot_type;

    // An empty map with a fresh random seed. Allocates one leaf and a one-entry directory.
    sync_map() : sync_map(detail::random_seed()) {}

    // An empty map with a fixed seed: hash order, and so traversal order, become
    // reproducible.
    explicit sync_map(std::uint64_t seed, const Hash& hash = Hash(), const KeyEqual& equal = KeyEqual())
        : seed_(seed),
          tag_(static_cast<std::uint32_t>(detail::mix64(seed ^ 0x7a6b5c4d3e2f1011ULL) >> 32)),
          hash_(hash),
          equal_(equal) {
        std::unique_ptr<generation> gen(new generation);
        dir_.store(new_root_directory(), std::memory_order_relaxed);
        generation_.store(gen.release(), std::memory_order_relaxed);
    }

    // Preconditions: no other thread uses the map, and no snapshot of it is alive (a live
    // snapshot ends the process with a message: it would read freed memory). Frees
    // everything the map still owns; what it retired earlier is freed by liburcu's
    // call_rcu thread.
    ~sync_map() {
        if (live_snapshot_count_.load(std::memory_order_relaxed) != 0) {
            std::fputs("syncmap: a sync_map was destroyed while a snapshot of it was alive\n", stderr);
            std::abort();
        }
        destroy_tree(dir_.load(std::memory_order_relaxed));
        delete generation_.load(std::memory_order_relaxed);
    }

    sync_map(const sync_map&) = delete;
    sync_map& operator=(const sync_map&) = delete;

    // ---- Reads: lock-free, never wait for a writer (L2) -----------------------------

    // Go Load. The value the key held at some instant of the call (L1), or nullopt.
    // Lock-free (wait-free unless hashing or comparing blocks); O(1) expected.
    std::optional<V> load(const K& key) const { return load_impl(key); }
    template <class Q>
        requires heterogeneous<Q>
    std::optional<V> load(const Q& key) const {
        return load_impl(key);
    }

    // Whether the key is present. Lock-free; O(1) expected.
    bool contains(const K& key) const { return visit(key, [](const V&) {}); }
    template <class Q>
        requires heterogeneous<Q>
    bool contains(const Q& key) const {
        return visit(key, [](const V&) {});
    }

    // Calls f(const V&) on the key's value without copying it; returns whether the key was
    // present. The reference is valid only during f. f may call any member of this map.
    // Lock-free; O(1) expected.
    template <class F>
    bool visit(const K& key, F&& f) const {
        return visit_impl(key, f);
    }
    template <class Q, class F>
        requires heterogeneous<Q>
    bool visit(const Q& key, F&& f) const {
        return visit_impl(key, f);
    }

    // ---- Writes: blocking on one leaf lock for a few stores --------------------------

    // Go Store. Inserts or replaces. Blocking (leaf lock); O(1) expected, amortised over
    // the occasional leaf split.
    void store(const K& key, const V& value) { store_impl(key, value); }
    void store(K&& key, V&& value) { store_impl(std::move(key), std::move(value)); }
    void store(const K& key, V&& value) { store_impl(key, std::move(value)); }
    void store(K&& key, const V& value) { store_impl(std::move(key), value); }

    // Go LoadOrStore: (the value now held, whether it was already there). Lock-free and
    // allocation-free when the key is present (L3); otherwise like store().
    std::pair<V, bool> load_or_store(const K& key, const V& value) {
        const std::uint64_t h = hash_of(key);
        if (std::optional<V> found = load_hashed(h, key)) return {std::move(*found), true};
        std::unique_ptr<node_type> fresh(new node_type(h, key, value));
        detail::rcu_retire_reserve(2);
        locked_leaf locked = lock_with_room(h, key);
        if (locked.pos.found && !locked.head()->is_tombstone()) return {locked.head()->value, true};
        // The commit point runs after the returned pair has been built (its copy of V may
        // throw), when the guard below goes out of scope (L4).
        install_on_return commit{this, &locked, &fresh};
        return {value, false};
    }

    // Go LoadAndDelete: the removed value, or nullopt. Lock-free when the key is absent.
    std::optional<V> load_and_delete(const K& key) {
        std::optional<V> removed;
        const bool erased = erase_if_impl(key, always, [&](const node_type* n) {
            removed.emplace(n->value);  // copy before the commit point: may throw (L4)
        });
        // An attempt that copied the value may have retried (a snapshot appeared) and then
        // found the key gone: the copy is only a result if this call erased it.
        if (!erased) removed.reset();
        return removed;
    }

    // Go Delete; true if the key was present. Lock-free when the key is absent.
    bool erase(const K& key) { return erase_if_impl(key, always, nothing); }
    template <class Q>
        requires heterogeneous<Q>
    bool erase(const Q& key) {
        return erase_if_impl(key, always, nothing);
    }

    // Go Swap: stores value and returns the previous one (nullopt if none).
    std::optional<V> exchange(const K& key, const V& value) {
        const std::uint64_t h = hash_of(key);
        std::unique_ptr<node_type> fresh(new node_type(h, key, value));
        detail::rcu_retire_reserve(2);
        locked_leaf locked = lock_with_room(h, key);
        const bool had_value = locked.pos.found && !locked.head()->is_tombstone();
        install_on_return commit{this, &locked, &fresh};
        if (!had_value) return std::nullopt;
        return std::optional<V>(locked.head()->value);  // built before the commit point (L4)
    }

    // Go CompareAndSwap: replaces the value with `desired` if it equals `expected`.
    // Lock-free when it changes nothing because the key is absent or its value differs (L3).
    bool compare_and_swap(const K& key, const V& expected, const V& desired)
        requires std::equality_comparable<V>
    {
        const std::uint64_t h = hash_of(key);
        {
            detail::rcu_reader reader;
            const node_type* n = find_live(h, key);
            if (n == nullptr || !(n->value == expected)) return false;
        }
        std::unique_ptr<node_type> fresh(new node_type(h, key, desired));
        detail::rcu_retire_reserve(2);
        locked_leaf locked = lock_existing(h, key);
        if (!locked.pos.found || locked.head()->is_tombstone() || !(locked.head()->value == expected)) {
            return false;
        }
        install(locked, fresh.release());
        return true;
    }

    // Go CompareAndDelete: erases the key if its value equals `expected`.
    // Lock-free when it changes nothing (L3).
    bool compare_and_delete(const K& key, const V& expected)
        requires std::equality_comparable<V>
    {
        return erase_if_impl(
            key, [&](const node_type* n) { return n->value == expected; }, nothing);
    }

    // Go Clear: removes every entry, atomically (linearizable: the map goes from its
    // contents to empty at one instant; snapshots taken before keep their contents).
    // Blocking: takes every leaf lock. O(leaves); entries are freed after a grace period,
    // or when the last snapshot that can see them is destroyed.
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
        traverse(live_view(), 0, std::numeric_limits<std::size_t>::max(), f, nullptr, nullptr, leaf_order::any);
    }

    // The same, reporting what the traversal did.
    template <class F>
    void range(F&& f, traversal_stats& stats) const {
        traverse(live_view(), 0, std::numeric_limits<std::size_t>::max(), f, nullptr, &stats, leaf_order::any);
    }

    // Cancellable range: checks `stop` before each leaf and returns where it stopped, as a
    // cursor that scan() resumes (the pass then still meets W1-W4 as a whole, C2). Returns a
    // done() cursor if the traversal completed. If f returns false, the cursor resumes
    // after that key's hash (keys sharing all 64 hash bits with it, if any, are skipped).
    template <class F>
    cursor range(F&& f, std::stop_token stop, traversal_stats* stats = nullptr) const {
        return traverse(live_view(), 0, std::numeric_limits<std::size_t>::max(), f, &stop, stats, order_for<F>());
    }

    // Resumable, chunked traversal (C1-C5). Offers f(key, value) the entries from
    // `from`'s position on, leaf by leaf in ascending hash order, and returns the cursor to
    // pass next; done() when the pass is complete. A call offers at most `chunk` entries
    // (more only to finish a run of keys sharing all 64 hash bits), and at least chunk / 2
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
        return traverse(live_view(), from.position(), chunk, f, nullptr, stats, order_for<F>());
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
    };
    structure_info debug_structure() const {
        detail::rcu_reader reader;
        structure_info info;
        const directory* d = dir_.load(std::memory_order_acquire);
        info.global_depth = d->global_depth;
        info.min_local_depth = d->global_depth;
        d->for_each_leaf([&](const leaf* l) {
            ++info.leaves;
            info.min_local_depth = std::min<unsigned>(info.min_local_depth, l->depth);
            info.max_local_depth = std::max<unsigned>(info.max_local_depth, l->depth);
            info.entries += l->live.load(std::memory_order_relaxed);
            info.slots += std::size_t{l->group_count()} * detail::group_width;
            info.max_probe_groups = std::max<std::size_t>(info.max_probe_groups, l->max_probe_groups());
        });
        return info;
    }

private:
    // ---- Generations: what clear() leaves behind for the snapshots taken before it ------

    // A tree unpublished by clear(): its directory, its leaves and their node chains.
    struct tree_garbage : detail::rcu_retirable {
        directory* dir = nullptr;
        std::vector<leaf*> leaves;

        static void destroy_self(detail::rcu_retirable* p) noexcept {
            auto* g = static_cast<tree_garbage*>(p);
            for (leaf* l : g->leaves) destroy_leaf_and_nodes(l);
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

    // ---- Views: what a traversal reads from each slot -----------------------------------

    // The live map: a slot's head node, unless it is a tombstone.
    struct live_view_t {
        const sync_map* map;
        const directory* dir() const noexcept { return map->dir_.load(std::memory_order_acquire); }
        static const node_type* visible(const node_header* head) noexcept {
            return head->is_tombstone() ? nullptr : static_cast<const node_type*>(head);
        }
        static constexpr bool stable = false;  // slots may change while being read
    };
    live_view_t live_view() const noexcept { return {this}; }

    // A snapshot at version `at`.
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
        const node_type* visible(const node_header* head) const noexcept {
            return static_cast<const node_type*>(head->visible_at(at));
        }
        static constexpr bool stable = true;  // what a snapshot sees never changes
    };

    // ---- Small helpers -----------------------------------------------------------------

    template <class Q>
    std::uint64_t hash_of(const Q& key) const {
        return detail::seeded_hash(hash_, key, seed_);
    }

    template <class Q>
    auto same_key(const Q& key) const {
        return [this, &key](const node_header* n) { return equal_(static_cast<const node_type*>(n)->key, key); };
    }

    // The key's head node (possibly a tombstone) in the tree of `dir`. Caller holds an
    // rcu_reader.
    template <class Q>
    const node_header* find_head(const directory* dir, std::uint64_t h, const Q& key) const {
        return dir->leaf_for(h)->find(h, same_key(key));
    }

    // The key's current node, or nullptr. Caller holds an rcu_reader.
    template <class Q>
    const node_type* find_live(std::uint64_t h, const Q& key) const {
        const node_header* head = find_head(dir_.load(std::memory_order_acquire), h, key);
        return head == nullptr ? nullptr : live_view_t::visible(head);
    }

    template <class Q>
    std::optional<V> load_hashed(std::uint64_t h, const Q& key) const {
        detail::rcu_reader reader;
        if (const node_type* n = find_live(h, key)) return n->value;
        return std::nullopt;
    }

    template <class Q>
    std::optional<V> load_impl(const Q& key) const {
        return load_hashed(hash_of(key), key);
    }

    template <class Q, class F>
    bool visit_impl(const Q& key, F& f) const {
        const std::uint64_t h = hash_of(key);
        detail::rcu_reader reader;
        const node_type* n = find_live(h, key);
        if (n == nullptr) return false;
        f(n->value);
        return true;
    }

    // ---- Writing -------------------------------------------------------------------------

    // A leaf locked by this thread, live (not dead), with the key's position in it: found
    // (the head may be a tombstone), or a free slot.
    struct locked_leaf {
        leaf* l;
        detail::leaf_lock_guard guard;
        leaf::position pos;
        const node_type* head() const { return static_cast<const node_type*>(l->node_at(pos)); }
    };

    // Installs a prepared node when its scope is left normally, after the function's
    // return value has been constructed: a return value whose construction throws leaves
    // the map unchanged (L4). Declared after the objects it refers to, so destroyed first.
    struct install_on_return {
        sync_map* map;
        locked_leaf* locked;
        std::unique_ptr<node_type>* fresh;
        int exceptions = std::uncaught_exceptions();
        ~install_on_return() {
            if (std::uncaught_exceptions() == exceptions) map->install(*locked, fresh->release());
        }
    };

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
    locked_leaf lock_existing(std::uint64_t h, const Q& key) {
        leaf* l = lock_live_leaf(h);
        detail::leaf_lock_guard guard(l->lock, std::adopt_lock);
        const leaf::position pos = l->locate(h, same_key(key));  // may throw: guard unlocks
        return {l, std::move(guard), pos};
    }

    // Locks the key's leaf and locates the key; when it is absent, first makes sure the
    // leaf has room for it, restructuring if needed. Restructuring retires the old leaf
    // (and directory) from this thread's retire batch, which may use up or flush the room
    // the caller reserved for install(): reserve it again before relocking.
    template <class Q>
    locked_leaf lock_with_room(std::uint64_t h, const Q& key) {
        for (;;) {
            locked_leaf locked = lock_existing(h, key);
            if (locked.pos.found || locked.l->used < locked.l->max_used()) return locked;
            locked.guard.unlock();
            make_room(h);
            detail::rcu_retire_reserve(2);  // what install() may retire; may throw: nothing changed
        }
    }

    // What a write unlinked, retired after the leaf is unlocked (each may be null): a
    // superseded head no snapshot can see (freed alone: its `older` still leads into the
    // live chain), and a chain no reader can reach any more (freed with all it links).
    struct unlinked {
        node_header* single = nullptr;
        node_header* chain = nullptr;

        // Requires rcu_retire_reserve(2) beforehand.
        void retire() noexcept {
            if (single != nullptr) detail::rcu_retire(single, &node_type::destroy, sizeof(node_type));
            if (chain != nullptr) {
                std::size_t n = 0;
                for (const node_header* x = chain; x != nullptr; x = x->older.load(std::memory_order_relaxed)) ++n;
                detail::rcu_retire(chain, &node_type::destroy_chain, n * sizeof(node_type));
            }
        }
    };

    static std::int64_t chain_length(const node_header* x) noexcept {
        std::int64_t n = 0;
        for (; x != nullptr; x = x->older.load(std::memory_order_relaxed)) ++n;
        return n;
    }

    // Cuts, after the first node of `chain` with version <= oldest, what no live snapshot
    // can reach: every live snapshot has version >= oldest, so its walk stops there.
    // Returns the cut-off tail (exclusively garbage) or nullptr.
    node_header* prune_chain(node_header* chain, std::uint64_t oldest) const noexcept {
        for (node_header* x = chain; x != nullptr; x = x->older.load(std::memory_order_relaxed)) {
            if (x->version() <= oldest) {
                node_header* tail = x->older.load(std::memory_order_relaxed);
                if (tail == nullptr) return nullptr;
                x->older.store(nullptr, std::memory_order_release);
                retained_.fetch_sub(chain_length(tail), std::memory_order_relaxed);
                return tail;
            }
        }
        return nullptr;
    }

    // The commit point of every write. Under the leaf lock: stamps `fresh` (a node, or a
    // tombstone for an erase) with the version clock and makes it the key's head at
    // locked.pos, keeping the superseded head in the chain if a live snapshot may read it.
    // Then unlocks and retires what it unlinked. Requires rcu_retire_reserve(2).
    void install(locked_leaf& locked, node_type* fresh) noexcept {
        unlinked garbage;
        {
            detail::writer_gate_pass pass(gate_);
            // relaxed: the gate orders these loads after snapshot()'s clock bump and
            // registry update (see writer_gate.hpp).
            fresh->stamp |= clock_.load(std::memory_order_relaxed);
            const std::uint64_t newest = newest_live_.load(std::memory_order_relaxed);
            const std::uint64_t oldest = oldest_live_.load(std::memory_order_relaxed);
            if (!locked.pos.found) {
                locked.l->insert(locked.pos, fresh);
            } else {
                node_header* head = locked.l->node_at(locked.pos);
                if (newest == no_snapshot_newest) {
                    // No snapshot: the old head and anything behind it are garbage.
                    if (const std::int64_t kept = chain_length(head) - (head->is_tombstone() ? 0 : 1)) {
                        retained_.fetch_sub(kept, std::memory_order_relaxed);
                    }
                    garbage.chain = head;
                } else {
                    node_header* rest;
                    if (head->version() <= newest) {
                        rest = head;  // some live snapshot sees it: keep it
                        retained_.fetch_add(head->is_tombstone() ? 0 : 1, std::memory_order_relaxed);
                    } else {
                        rest = head->older.load(std::memory_order_relaxed);
                        garbage.single = head;
                        if (head->is_tombstone()) retained_.fetch_sub(1, std::memory_order_relaxed);
                    }
                    garbage.chain = prune_chain(rest, oldest);
                    fresh->older.store(rest, std::memory_order_relaxed);  // published by the slot store
                }
                if (fresh->is_tombstone()) retained_.fetch_add(1, std::memory_order_relaxed);
                locked.l->replace(locked.pos, fresh);
            }
        }
        locked.guard.unlock();
        garbage.retire();
    }

    template <class KArg, class VArg>
    void store_impl(KArg&& key, VArg&& value) {
        const std::uint64_t h = hash_of(key);
        std::unique_ptr<node_type> fresh(new node_type(h, std::forward<KArg>(key), std::forward<VArg>(value)));
        detail::rcu_retire_reserve(2);
        locked_leaf locked = lock_with_room(h, fresh->key);
        install(locked, fresh.release());
    }

    static constexpr auto always = [](const node_type*) { return true; };
    static constexpr auto nothing = [](const node_type*) {};

    // Erases the key if should_erase(node) holds, calling before_erase(node) under the lock
    // just before the commit point; true if it erased. Lock-free when the key is absent or
    // should_erase is false for the value seen without the lock. While a snapshot is alive
    // the key's slot keeps a tombstone, so the snapshot still finds the erased value.
    template <class Q, class Predicate, class BeforeErase>
    bool erase_if_impl(const Q& key, Predicate&& should_erase, BeforeErase&& before_erase) {
        const std::uint64_t h = hash_of(key);
        {
            detail::rcu_reader reader;
            const node_type* n = find_live(h, key);
            if (n == nullptr || !should_erase(n)) return false;
        }
        detail::rcu_retire_reserve(2);
        std::unique_ptr<node_type> tombstone;
        for (;;) {
            // A tombstone is needed only while snapshots live; allocate it outside the lock
            // when one might be, and retry in the rare case one appeared meanwhile.
            if (!tombstone && newest_live_.load(std::memory_order_relaxed) != no_snapshot_newest) {
                const K* k = nullptr;
                std::optional<K> owned;
                if constexpr (std::is_same_v<Q, K>) {
                    k = &key;
                } else {
                    owned.emplace(key);
                    k = &*owned;
                }
                tombstone.reset(new node_type(h, *k, typename node_type::tombstone_tag{}));
            }
            locked_leaf locked = lock_existing(h, key);
            if (!locked.pos.found || locked.head()->is_tombstone()) return false;
            if (!should_erase(locked.head())) return false;
            before_erase(locked.head());
            if (tombstone) {
                install(locked, tombstone.release());
                return true;
            }
            {
                detail::writer_gate_pass pass(gate_);
                if (newest_live_.load(std::memory_order_relaxed) != no_snapshot_newest) continue;  // retry
                // Still no snapshot, and none can start while we hold the gate.
                node_header* head = locked.l->node_at(locked.pos);
                if (const std::int64_t kept = chain_length(head) - 1) retained_.fetch_sub(kept, std::memory_order_relaxed);
                locked.l->remove(locked.pos);
                locked.guard.unlock();
                unlinked garbage;
                garbage.chain = head;
                garbage.retire();
            }
            return true;
        }
    }

    // ---- Traversal engine --------------------------------------------------------------

    // Fills `out` with the entries of leaf `l` visible in `view` whose hash is at or past
    // `position`, each key once, sorted by (hash, node address) if `sorted`. Each slot is
    // read once, without a lock and without retrying (a retry loop could starve under
    // churn). In the live view, a key erased and re-inserted into another slot while the
    // slots were read can be met twice; the leaf's lock version tells whether any writer ran
    // meanwhile, and only then are duplicates removed.
    using batch_type = detail::entry_buffer<const node_type*, std::size_t{leaf::default_groups} * detail::group_width>;

    static void shrink(batch_type& b, std::size_t n) noexcept { b.resize_down(n); }
    static void shrink(std::vector<const node_type*>& b, std::size_t n) noexcept { b.resize(n); }

    template <class View, class Out>
    void collect(const View& view, const leaf* l, std::uint64_t position, bool sorted, Out& out) const {
        out.clear();
        const std::uint32_t before = l->lock.read_word();
        // Phase 1: read each slot once and start fetching its node, so that the node
        // misses overlap instead of following one another.
        l->for_each_node([&](const node_header* head) {
            __builtin_prefetch(head);
            out.push_back(static_cast<const node_type*>(head));
        });
        bool may_repeat = false;
        if constexpr (!View::stable) {
            const std::uint32_t after = l->lock.read_word();
            may_repeat = before != after || detail::leaf_lock::is_locked(before);
        }
        // Phase 2: keep what is at or past the position and visible in the view.
        std::size_t kept = 0;
        for (const node_type* head : out) {
            if (head->node_header::hash < position) continue;
            if (const node_type* n = view.visible(head)) out[kept++] = n;
        }
        shrink(out, kept);
        if (!sorted && !may_repeat) return;
        std::sort(out.begin(), out.end(), [](const node_type* a, const node_type* b) {
            return a->node_header::hash != b->node_header::hash ? a->node_header::hash < b->node_header::hash
                                                                : std::less<>{}(a, b);
        });
        if (!may_repeat) return;
        kept = 0;
        for (std::size_t i = 0; i < out.size(); ++i) {
            bool duplicate = false;
            for (std::size_t j = kept; j-- > 0 && out[j]->node_header::hash == out[i]->node_header::hash;) {
                if (equal_(out[j]->key, out[i]->key)) {
                    duplicate = true;
                    break;
                }
            }
            if (!duplicate) out[kept++] = out[i];
        }
        shrink(out, kept);
    }

    template <class F>
    static bool call(F& f, const K& k, const V& v) {
        if constexpr (std::is_void_v<std::invoke_result_t<F&, const K&, const V&>>) {
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
    // stops at an exact hash. `sorted`: ascending (hash, node address), needed when the
    // callback may stop the traversal at any entry (it returns bool) and for snapshot
    // iteration, whose order must be the same every time (S4).
    enum class leaf_order { any, sorted };

    template <class F>
    static constexpr leaf_order order_for() {
        return std::is_void_v<std::invoke_result_t<F&, const K&, const V&>> ? leaf_order::any : leaf_order::sorted;
    }

    static std::uint64_t hash_of_node(const node_type* n) noexcept { return n->node_header::hash; }

    // The one traversal loop behind range, scan and the snapshots' range and scan. Walks
    // leaves by hash position from `position`, one RCU read-side section per leaf, and
    // returns where it stopped: every entry with a hash below the returned position has
    // been offered, none at or above it. `chunk` bounds how many entries to offer (a run of
    // equal hashes is never split, so a chunk may exceed it); `stop` is checked before each
    // leaf.
    template <class View, class F>
    cursor traverse(const View& view, std::uint64_t position, std::size_t chunk, F& f, const std::stop_token* stop,
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
        constexpr std::uint64_t top = std::numeric_limits<std::uint64_t>::max();
        batch_type batch;
        for (;;) {
            if (stop != nullptr && stop->stop_requested()) return finish(cursor::make(tag, position, false));
            detail::rcu_reader reader;
            const leaf* l = view.dir()->leaf_for(position);
            // Prefer ending a chunk at a leaf boundary: once half the chunk is offered, a
            // leaf that would overflow it is left whole for the next call, which then
            // neither re-reads a half-consumed leaf nor selects within it. (live is a
            // relaxed count: a heuristic only; positions stay exact either way.)
            if (yielded > 0 && yielded >= chunk / 2 && yielded + l->live.load(std::memory_order_relaxed) > chunk) {
                return finish(cursor::make(tag, position, false));
            }
            ++leaves;
            collect(view, l, position, order == leaf_order::sorted, batch);
            std::size_t count = batch.size();
            std::uint64_t next = l->interval_end();
            bool done = next == 0;  // the leaf reaches the top of the hash space
            bool partial = false;
            const std::size_t room = chunk - yielded;  // > 0: we return once it reaches 0
            if (count > room) {
                std::size_t cut = room;
                std::uint64_t cut_hash;
                if (order == leaf_order::sorted) {
                    while (cut < count && hash_of_node(batch[cut]) == hash_of_node(batch[cut - 1])) ++cut;
                    cut_hash = cut < count ? hash_of_node(batch[cut]) : 0;
                } else {
                    auto by_hash = [](const node_type* a, const node_type* b) { return hash_of_node(a) < hash_of_node(b); };
                    std::nth_element(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(room), batch.end(), by_hash);
                    cut_hash = hash_of_node(batch[room]);
                    // Offer exactly the entries below the pivot's hash...
                    cut = static_cast<std::size_t>(std::partition(batch.begin(), batch.end(), [&](const node_type* n) {
                                                       return hash_of_node(n) < cut_hash;
                                                   }) - batch.begin());
                    if (cut == 0) {
                        // ...or, if the pivot's hash is the smallest, its whole run.
                        cut = static_cast<std::size_t>(std::partition(batch.begin(), batch.end(), [&](const node_type* n) {
                                                           return hash_of_node(n) == cut_hash;
                                                       }) - batch.begin());
                        if (cut_hash == top) {
                            cut_hash = 0;
                            done = true;
                        } else {
                            ++cut_hash;
                        }
                    }
                }
                if (cut < count) {
                    count = cut;
                    next = cut_hash;
                    partial = true;
                    done = done && next == 0;
                }
            }
            for (std::size_t i = 0; i < count; ++i) {
                const node_type* n = batch[i];
                ++yielded;
                if (!call(f, n->key, n->value)) {
                    const std::uint64_t h = hash_of_node(n);
                    return finish(cursor::make(tag, h + 1, h == top));
                }
            }
            if (done) return finish(cursor::make(tag, 0, true));
            position = next;
            if (partial || yielded >= chunk) return finish(cursor::make(tag, position, false));
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

        if (l->full <= l->max_used() / 2) {
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

    // Rebuilds `l` into one fresh leaf of the same interval with `groups` groups.
    void replace_leaf(directory* d, leaf* l, detail::leaf_lock_guard& guard, std::uint32_t groups) {
        detail::rcu_retire_reserve();                              // may throw: nothing changed
        leaf* fresh = leaf::create(l->depth, l->prefix, groups);  // may throw: nothing changed
        l->for_each_node([&](node_header* n) { fresh->build_insert(n); });
        const std::size_t first = d->first_index_of(l);
        const std::size_t span = d->span_of(l);
        for (std::size_t i = first; i < first + span; ++i) d->set(i, fresh);
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
        // No allocation below this point: nothing can throw.
        l->for_each_node([&](node_header* n) {
            const bool up = ((n->hash >> (63 - l->depth)) & 1) != 0;
            (up ? upper : lower)->build_insert(n);
        });
        if (doubled) {
            for (std::size_t i = 0; i < d->size(); ++i) {
                leaf* x = d->at(i);
                target->set(2 * i, x);
                target->set(2 * i + 1, x);
            }
        }
        // Upper half first, then lower half: directory::for_each_leaf relies on it.
        const std::size_t first = target->first_index_of(l);
        const std::size_t half = target->span_of(l) / 2;
        for (std::size_t i = first + 2 * half; i-- > first + half;) target->set(i, upper.get());
        for (std::size_t i = first + half; i-- > first;) target->set(i, lower.get());
        upper.release();
        lower.release();
        ++leaf_count_;
        splits_.fetch_add(1, std::memory_order_relaxed);
        if (doubled) {
            // release: the doubled directory is fully written before it is seen.
            dir_.store(doubled.release(), std::memory_order_release);
            growths_.fetch_add(1, std::memory_order_relaxed);
            detail::rcu_retire(d, &directory::destroy, directory::bytes_for(d->global_depth));
        }
        retire_unpublished(l, guard);
    }

    // Freezes an unpublished leaf and retires its memory (not its nodes, which moved).
    static void retire_unpublished(leaf* l, detail::leaf_lock_guard& guard) noexcept {
        l->dead.store(true, std::memory_order_relaxed);  // read under the lock only
        guard.unlock();
        detail::rcu_retire(l, &leaf::destroy, l->byte_size());
    }

    // After the last snapshot that could see them is gone, frees the superseded versions
    // and tombstones it kept: one pass over the leaves, one leaf lock at a time.
    void sweep_versions() const noexcept;

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

    static void destroy_leaf_and_nodes(leaf* l) noexcept {
        l->for_each_node([](node_header* n) { node_type::destroy_chain(n); });
        leaf::destroy(l);
    }

    static void destroy_tree(directory* d) noexcept {
        for (std::size_t i = 0; i < d->size();) {
            leaf* l = d->at(i);
            i = d->first_index_of(l) + d->span_of(l);  // read before the leaf is freed
            destroy_leaf_and_nodes(l);
        }
        directory::destroy(d);
    }

    void unregister_snapshot(std::uint64_t version, generation* gen) const noexcept;

    // The published directory. Replaced (release store) only under structure_mutex_, when
    // it doubles or on clear(); the old one is retired (or frozen for snapshots), never
    // written again.
    std::atomic<directory*> dir_{nullptr};
    // Serialises every structural change: splits, rebuilds, directory doubling, clear(),
    // version sweeps.
    mutable std::mutex structure_mutex_;
    // Number of distinct leaves in the published directory; under structure_mutex_ only.
    std::size_t leaf_count_ = 1;

    // The version clock: ticks once per snapshot(), under the closed gate. Every node is
    // stamped with its value at the write; a snapshot at S sees versions <= S.
    mutable std::atomic<std::uint64_t> clock_{1};
    mutable detail::writer_gate gate_;
    // Live snapshots' versions (sorted, duplicates allowed) and their bounds, written under
    // snapshot_mutex_ (additions also under the closed gate, so every writer inside the gate
    // sees them); writers read the bounds inside the gate.
    mutable std::mutex snapshot_mutex_;
    mutable std::vector<std::uint64_t> live_versions_;
    mutable std::atomic<std::uint64_t> oldest_live_{no_snapshot_oldest};
    mutable std::atomic<std::uint64_t> newest_live_{no_snapshot_newest};
    mutable std::atomic<std::size_t> live_snapshot_count_{0};
    // The generation snapshots taken now would read; replaced by clear() inside the gate.
    std::atomic<generation*> generation_{nullptr};

    // Statistics (relaxed counters).
    std::atomic<std::uint64_t> splits_{0};
    std::atomic<std::uint64_t> rebuilds_{0};
    std::atomic<std::uint64_t> growths_{0};
    std::atomic<std::uint64_t> clears_{0};
    mutable std::atomic<std::int64_t> retained_{0};  // chain nodes and tombstone heads in the live tree

    const std::uint64_t seed_;
    const std::uint32_t tag_;  // identifies this map's cursors
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
class sync_map<K, V, Hash, KeyEqual, Storage>::snapshot_type {
    friend class sync_map;

public:
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

    std::optional<V> load(const K& key) const {
        std::optional<V> out;
        visit(key, [&](const V& v) { out.emplace(v); });
        return out;
    }
    bool contains(const K& key) const {
        return visit(key, [](const V&) {});
    }
    template <class F>
    bool visit(const K& key, F&& f) const {
        const std::uint64_t h = map_->hash_of(key);
        detail::rcu_reader reader;
        const view_t v = view();
        const node_header* head = map_->find_head(v.dir(), h, key);
        const node_type* n = head == nullptr ? nullptr : v.visible(head);
        if (n == nullptr) return false;
        f(n->value);
        return true;
    }

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
        map_->traverse(view(), 0, std::numeric_limits<std::size_t>::max(), f, nullptr, nullptr, leaf_order::sorted,
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
        return map_->traverse(view(), from.position(), chunk, f, nullptr, stats, leaf_order::sorted, tag());
    }

    // A forward iterator over the snapshot's entries (S4). It holds the entries of one
    // leaf interval at a time, copied as node pointers that the snapshot keeps alive, so
    // nothing but the snapshot itself is pinned between increments.
    class iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using iterator_concept = std::forward_iterator_tag;
        using value_type = std::pair<const K&, const V&>;
        using reference = std::pair<const K&, const V&>;
        using difference_type = std::ptrdiff_t;

        iterator() = default;

        reference operator*() const { return {batch_[index_]->key, batch_[index_]->value}; }

        struct arrow_proxy {
            reference r;
            const reference* operator->() const noexcept { return &r; }
        };
        arrow_proxy operator->() const { return {**this}; }

        iterator& operator++() {
            if (++index_ == batch_.size()) fill(next_position_, next_done_);
            return *this;
        }
        iterator operator++(int) {
            iterator old = *this;
            ++*this;
            return old;
        }
        friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.current() == b.current(); }

    private:
        friend class snapshot_type;
        explicit iterator(const snapshot_type* s) : snap_(s) { fill(0, false); }

        const node_type* current() const noexcept { return index_ < batch_.size() ? batch_[index_] : nullptr; }

        // Loads the next non-empty leaf interval at or after `position`.
        void fill(std::uint64_t position, bool done) {
            batch_.clear();
            index_ = 0;
            while (!done && batch_.empty()) {
                detail::rcu_reader reader;
                const view_t v = snap_->view();
                const leaf* l = v.dir()->leaf_for(position);
                snap_->map_->collect(v, l, position, true, batch_);
                position = l->interval_end();
                done = position == 0;
            }
            next_position_ = position;
            next_done_ = done;
        }

        const snapshot_type* snap_ = nullptr;
        std::vector<const node_type*> batch_;
        std::size_t index_ = 0;
        std::uint64_t next_position_ = 0;
        bool next_done_ = true;
    };
    using const_iterator = iterator;

    iterator begin() const { return iterator(this); }
    iterator end() const noexcept { return iterator(); }

private:
    using view_t = snapshot_view_t;
    static constexpr std::size_t unknown_size = std::numeric_limits<std::size_t>::max();

    snapshot_type(const sync_map* map, generation* gen, std::uint64_t at) noexcept : map_(map), gen_(gen), at_(at) {}

    view_t view() const noexcept { return {map_, gen_, at_}; }
    std::uint32_t tag() const noexcept {
        return static_cast<std::uint32_t>(detail::mix64(map_->seed_ ^ (at_ * 0x9e3779b97f4a7c15ULL)) >> 32) | 1u;
    }

    void release() noexcept {
        if (map_ == nullptr) return;
        map_->unregister_snapshot(at_, gen_);
        map_ = nullptr;
        gen_ = nullptr;
    }

    const sync_map* map_;
    generation* gen_;
    std::uint64_t at_;
    mutable std::atomic<std::size_t> size_{unknown_size};
};

// ---- Out-of-class members ------------------------------------------------------------

template <class K, class V, class Hash, class KeyEqual, class Storage>
auto sync_map<K, V, Hash, KeyEqual, Storage>::snapshot() const -> snapshot_type {
    std::lock_guard<std::mutex> registry(snapshot_mutex_);
    live_versions_.reserve(live_versions_.size() + 1);  // may throw: nothing changed yet
    gate_.close();
    // Inside the closed gate no writer is between reading the clock and installing: every
    // node stamped <= at is in its slot, and every later write is stamped > at (S1).
    const std::uint64_t at = clock_.load(std::memory_order_relaxed);
    clock_.store(at + 1, std::memory_order_relaxed);
    live_versions_.insert(std::upper_bound(live_versions_.begin(), live_versions_.end(), at), at);
    oldest_live_.store(live_versions_.front(), std::memory_order_relaxed);
    newest_live_.store(live_versions_.back(), std::memory_order_relaxed);
    live_snapshot_count_.fetch_add(1, std::memory_order_relaxed);
    generation* gen = generation_.load(std::memory_order_relaxed);
    gen->refs.fetch_add(1, std::memory_order_relaxed);
    gate_.open();
    return snapshot_type(this, gen, at);
}

template <class K, class V, class Hash, class KeyEqual, class Storage>
void sync_map<K, V, Hash, KeyEqual, Storage>::unregister_snapshot(std::uint64_t version, generation* gen) const noexcept {
    bool sweep = false;
    {
        std::lock_guard<std::mutex> registry(snapshot_mutex_);
        live_snapshot_count_.fetch_sub(1, std::memory_order_relaxed);
        if (gen != generation_.load(std::memory_order_relaxed)) {
            // A snapshot of a tree clear() froze: it was dropped from live_versions_ then.
            gen->release();
            return;
        }
        auto it = std::lower_bound(live_versions_.begin(), live_versions_.end(), version);
        live_versions_.erase(it);
        oldest_live_.store(live_versions_.empty() ? no_snapshot_oldest : live_versions_.front(),
                           std::memory_order_relaxed);
        newest_live_.store(live_versions_.empty() ? no_snapshot_newest : live_versions_.back(),
                           std::memory_order_relaxed);
        sweep = retained_.load(std::memory_order_relaxed) > 0 &&
                (live_versions_.empty() || version < live_versions_.front());
    }
    gen->release();
    if (sweep) sweep_versions();
}

template <class K, class V, class Hash, class KeyEqual, class Storage>
void sync_map<K, V, Hash, KeyEqual, Storage>::sweep_versions() const noexcept {
    std::lock_guard<std::mutex> structure(structure_mutex_);
    const directory* d = dir_.load(std::memory_order_relaxed);
    // Leaves of the published directory cannot die while we hold structure_mutex_.
    d->for_each_leaf([&](leaf* l) {
        try {
            detail::rcu_retire_reserve();
        } catch (...) {
            return;  // out of memory: leave this leaf's versions to its next writes
        }
        detail::leaf_lock_guard guard(l->lock);
        const std::uint64_t oldest = oldest_live_.load(std::memory_order_relaxed);
        // Cut-off tails no reader can reach; linked into one list through `older`.
        node_header* garbage = nullptr;
        node_header* garbage_end = nullptr;
        auto add = [&](node_header* chain) {
            if (chain == nullptr) return;
            if (garbage == nullptr) {
                garbage = chain;
            } else {
                garbage_end->older.store(chain, std::memory_order_relaxed);
            }
            garbage_end = chain;
            while (node_header* next = garbage_end->older.load(std::memory_order_relaxed)) garbage_end = next;
        };
        l->for_each_position([&](leaf::position pos, node_header* head) {
            if (oldest == no_snapshot_oldest) {
                node_header* rest = head->older.load(std::memory_order_relaxed);
                if (head->is_tombstone()) {
                    // No snapshot at all: the tombstone and its chain go, the slot empties.
                    retained_.fetch_sub(chain_length(head), std::memory_order_relaxed);
                    l->remove(pos);
                    add(head);
                } else if (rest != nullptr) {
                    retained_.fetch_sub(chain_length(rest), std::memory_order_relaxed);
                    head->older.store(nullptr, std::memory_order_release);
                    add(rest);
                }
            } else {
                add(prune_chain(head, oldest));
            }
        });
        guard.unlock();
        if (garbage != nullptr) {
            detail::rcu_retire(garbage, &node_type::destroy_chain,
                               static_cast<std::size_t>(chain_length(garbage)) * sizeof(node_type));
        }
    });
}

template <class K, class V, class Hash, class KeyEqual, class Storage>
void sync_map<K, V, Hash, KeyEqual, Storage>::clear() {
    // The registry first (lock order): if snapshots hold this tree, they stop counting as
    // live for the new one, whose writers must not keep versions for them.
    std::lock_guard<std::mutex> registry(snapshot_mutex_);
    std::lock_guard<std::mutex> structure(structure_mutex_);
    directory* old_dir = dir_.load(std::memory_order_relaxed);
    // Everything that may throw happens first: nothing has changed yet (L4).
    std::unique_ptr<tree_garbage> garbage(new tree_garbage);
    garbage->dir = old_dir;
    garbage->leaves.reserve(leaf_count_);
    std::unique_ptr<generation> next_gen(new generation);
    directory* fresh_dir = new_root_directory();
    old_dir->for_each_leaf([&](leaf* l) { garbage->leaves.push_back(l); });
    for (leaf* l : garbage->leaves) l->lock.lock();
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
            oldest_live_.store(no_snapshot_oldest, std::memory_order_relaxed);
            newest_live_.store(no_snapshot_newest, std::memory_order_relaxed);
        }
        retained_.store(0, std::memory_order_relaxed);  // the new tree retains nothing yet
        // release: the new directory and its leaf are initialised for whoever loads it.
        dir_.store(fresh_dir, std::memory_order_release);
    }
    for (leaf* l : garbage->leaves) {
        l->dead.store(true, std::memory_order_relaxed);
        l->lock.unlock();
    }
    leaf_count_ = 1;
    clears_.fetch_add(1, std::memory_order_relaxed);
    // The old tree's versions leave the live tree's accounting.
    std::int64_t bytes = static_cast<std::int64_t>(directory::bytes_for(old_dir->global_depth));
    std::int64_t nodes = 0;
    for (const leaf* l : garbage->leaves) {
        bytes += static_cast<std::int64_t>(l->byte_size());
        l->for_each_node([&](const node_header* n) { nodes += chain_length(n); });
    }
    garbage->bytes = static_cast<std::size_t>(bytes + nodes * static_cast<std::int64_t>(sizeof(node_type)));
    garbage->destroy = &tree_garbage::destroy_self;
    if (frozen_gen != nullptr) {
        frozen_gen->frozen_tree = garbage.release();
        frozen_gen->release();  // the map's reference; the snapshots hold the rest
    } else {
        detail::rcu_retire_object(garbage.release());
    }
}

}  // namespace syncmap
