// syncmap/sync_map.hpp - Go's sync.Map API with lock-free reads and a weakly consistent,
// hash-ordered range.
//
// Design (docs/DESIGN.md has the reasons and the measurements)
//
//   directory ──► leaf ──► slot ──► node {hash, key, value}
//
// - Every key has a 64-bit seeded hash (hash.hpp, clause H1). The directory is an array of
//   2^global_depth leaf pointers indexed by the hash's top bits (extendible hashing); a leaf
//   owns the keys whose hash starts with its prefix. Directory order is hash order, so a
//   traversal's position is simply a hash value, which no growth or split can invalidate.
// - A leaf is a small Swiss-style open-addressing table whose slots point to immutable
//   nodes. Readers take no lock (L2); writers take the leaf's lock, which waits on a futex
//   rather than spinning (leaf_lock.hpp). A full leaf is never rehashed in place: it is
//   rebuilt, split in two, or (for a degenerate hash) grown, on the side, then published,
//   and the old leaf is frozen and retired. Entries never move inside a live leaf.
// - Memory is reclaimed through liburcu (rcu.hpp). Readers hold an RCU read-side section
//   for one lookup, or for one leaf of a range; writers retire and never wait for a grace
//   period, so range() callbacks may call any member (W5).
//
// Locks, in the only order they are ever taken: structure_mutex_ (splits, directory
// doubling, clear), then leaf locks. A writer holds one leaf lock for a few stores; it
// drops it before taking structure_mutex_ to make room.
//
// What the API leaves out, and why
// - Iterators over the live map: a C++ iterator must pin what it points to between
//   increments; range() pins one leaf at a time instead and resumes by hash position.
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
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "detail/directory.hpp"
#include "detail/leaf.hpp"
#include "detail/node.hpp"
#include "detail/rcu.hpp"
#include "hash.hpp"

namespace syncmap {

template <class K, class V, class Hash = syncmap::hash<K>, class KeyEqual = std::equal_to<K>>
class sync_map {
    using node_type = detail::node<K, V>;
    using leaf = detail::leaf;
    using directory = detail::directory;

    template <class Q>
    static constexpr bool heterogeneous =
        detail::transparent<Hash> && detail::transparent<KeyEqual> && !std::is_same_v<Q, K>;

public:
    using key_type = K;
    using mapped_type = V;
    using hasher = Hash;
    using key_equal = KeyEqual;

    // An empty map with a fresh random seed. Allocates one leaf and a one-entry directory.
    sync_map() : sync_map(detail::random_seed()) {}

    // An empty map with a fixed seed: hash order, and so range order, become reproducible.
    explicit sync_map(std::uint64_t seed, const Hash& hash = Hash(), const KeyEqual& equal = KeyEqual())
        : seed_(seed), hash_(hash), equal_(equal) {
        dir_.store(new_root_directory(), std::memory_order_relaxed);
    }

    // Precondition: no other thread uses the map. Frees everything the map still owns;
    // what it retired earlier is freed by liburcu's call_rcu thread.
    ~sync_map() { destroy_tree(dir_.load(std::memory_order_relaxed)); }

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
        locked_leaf locked = lock_with_room(h, key);
        if (locked.pos.found) return {locked.node_at_pos()->value, true};
        std::pair<V, bool> result(value, false);  // copy before the commit point (L4)
        locked.l->insert(locked.pos, fresh.release());
        return result;
    }

    // Go LoadAndDelete: the removed value, or nullopt. Lock-free when the key is absent.
    std::optional<V> load_and_delete(const K& key) {
        std::optional<V> removed;
        erase_if_impl(key, always, [&](const node_type* n) {
            removed.emplace(n->value);  // copy before the commit point: may throw (L4)
        });
        return removed;
    }

    // Go Delete; true if the key was present. Lock-free when the key is absent.
    bool erase(const K& key) {
        return erase_if_impl(key, always, nothing);
    }
    template <class Q>
        requires heterogeneous<Q>
    bool erase(const Q& key) {
        return erase_if_impl(key, always, nothing);
    }

    // Go Swap: stores value and returns the previous one (nullopt if none).
    std::optional<V> exchange(const K& key, const V& value) {
        const std::uint64_t h = hash_of(key);
        std::unique_ptr<node_type> fresh(new node_type(h, key, value));
        detail::rcu_retire_reserve();
        locked_leaf locked = lock_with_room(h, key);
        if (locked.pos.found) {
            const node_type* old = locked.node_at_pos();
            std::optional<V> previous(old->value);  // copy before committing (L4)
            locked.l->replace(locked.pos, fresh.release());
            locked.guard.unlock();
            detail::rcu_retire(const_cast<node_type*>(old));
            return previous;
        }
        locked.l->insert(locked.pos, fresh.release());
        return std::nullopt;
    }

    // Go CompareAndSwap: replaces the value with `desired` if it equals `expected`.
    // Lock-free when it changes nothing because the key is absent or its value differs (L3).
    bool compare_and_swap(const K& key, const V& expected, const V& desired)
        requires std::equality_comparable<V>
    {
        const std::uint64_t h = hash_of(key);
        {
            detail::rcu_reader reader;
            const node_type* n = find_node(h, key);
            if (n == nullptr || !(n->value == expected)) return false;
        }
        std::unique_ptr<node_type> fresh(new node_type(h, key, desired));
        detail::rcu_retire_reserve();
        leaf* l = lock_live_leaf(h);
        detail::leaf_lock_guard guard(l->lock, std::adopt_lock);
        const leaf::position pos = l->locate(h, same_key(key));
        if (!pos.found) return false;
        const node_type* old = node_at(l, pos);
        if (!(old->value == expected)) return false;
        l->replace(pos, fresh.release());
        guard.unlock();
        detail::rcu_retire(const_cast<node_type*>(old));
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

    // Go Range: calls f(key, value) for the entries in ascending hash order; f returns bool
    // (false stops the traversal) or void.
    //
    // Weakly consistent (W1-W6): every key present throughout the call is visited exactly
    // once; no key is visited twice, even if erased and re-inserted meanwhile; no key absent
    // throughout is visited; every value passed was the key's value at some instant of the
    // call. Keys inserted or erased during the call may or may not be visited.
    // Never blocks writers; f may call any member of this map (store, erase of the current
    // key, clear, ...). Holds an RCU read-side section for one leaf at a time (so a slow f
    // delays reclamation of at most what was retired during one leaf's callbacks).
    // Lock-free; O(n + leaves). Stopping early costs O(1).
    template <class F>
    void range(F&& f) const {
        std::vector<const node_type*> batch;
        batch.reserve(std::size_t{leaf::default_groups} * detail::group_width);
        std::uint64_t position = 0;
        for (;;) {
            detail::rcu_reader reader;
            const leaf* l = dir_.load(std::memory_order_acquire)->leaf_for(position);
            collect_from(l, position, batch);
            for (std::size_t i = 0; i < batch.size(); ++i) {
                if (i + 4 < batch.size()) __builtin_prefetch(batch[i + 4]);
                const node_type* n = batch[i];
                if constexpr (std::is_void_v<std::invoke_result_t<F&, const K&, const V&>>) {
                    f(n->key, n->value);
                } else {
                    if (!static_cast<bool>(f(n->key, n->value))) return;
                }
            }
            position = l->interval_end();
            if (position == 0) return;  // the leaf reached the top of the hash space
        }
    }

    // Go Clear: removes every entry, atomically (linearizable: the map goes from its
    // contents to empty at one instant). Blocking: takes every leaf lock. O(leaves);
    // the entries are freed later, after a grace period.
    void clear() {
        std::lock_guard<std::mutex> structure(structure_mutex_);
        directory* old_dir = dir_.load(std::memory_order_relaxed);
        std::unique_ptr<tree_garbage> garbage(new tree_garbage{old_dir, {}});
        garbage->leaves.reserve(leaf_count_);
        detail::rcu_retire_reserve();
        directory* fresh_dir = new_root_directory();  // the last step that may throw
        old_dir->for_each_leaf([&](leaf* l) { garbage->leaves.push_back(l); });
        for (leaf* l : garbage->leaves) l->lock.lock();
        // release: the new directory and its leaf are initialised for whoever loads it.
        dir_.store(fresh_dir, std::memory_order_release);
        for (leaf* l : garbage->leaves) {
            l->dead.store(true, std::memory_order_relaxed);
            l->lock.unlock();
        }
        leaf_count_ = 1;
        const std::size_t bytes = garbage->bytes();
        detail::rcu_retire(garbage.release(), &tree_garbage::destroy, bytes);
    }

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

    // The map's shape, for tests, diagnostics and the lab. Lock-free; O(capacity).
    struct structure_info {
        unsigned global_depth = 0;       // the directory has 2^global_depth entries
        std::size_t leaves = 0;
        unsigned max_local_depth = 0;
        std::size_t entries = 0;         // sum of the leaves' entry counts
        std::size_t slots = 0;           // sum of the leaves' slot counts
        std::size_t max_probe_groups = 0;  // longest probe sequence of any entry, in groups
    };
    structure_info debug_structure() const {
        detail::rcu_reader reader;
        structure_info info;
        const directory* d = dir_.load(std::memory_order_acquire);
        info.global_depth = d->global_depth;
        d->for_each_leaf([&](const leaf* l) {
            ++info.leaves;
            info.max_local_depth = std::max<unsigned>(info.max_local_depth, l->depth);
            info.entries += l->live.load(std::memory_order_relaxed);
            info.slots += std::size_t{l->group_count()} * detail::group_width;
            info.max_probe_groups = std::max<std::size_t>(info.max_probe_groups, l->max_probe_groups());
        });
        return info;
    }

private:
    // A leaf locked by this thread, live (not dead), with the key's position in it: found,
    // or a free slot guaranteed (the leaf has room).
    struct locked_leaf {
        leaf* l;
        detail::leaf_lock_guard guard;
        leaf::position pos;
        const node_type* node_at_pos() const { return node_at(l, pos); }
    };

    // Everything a clear() unpublished: the old directory, its leaves and their nodes.
    struct tree_garbage {
        directory* dir;
        std::vector<leaf*> leaves;

        std::size_t bytes() const {
            std::size_t b = directory::bytes_for(dir->global_depth);
            for (const leaf* l : leaves) b += l->byte_size() + l->live.load(std::memory_order_relaxed) * sizeof(node_type);
            return b;
        }
        static void destroy(void* p) noexcept {
            auto* g = static_cast<tree_garbage*>(p);
            for (leaf* l : g->leaves) destroy_leaf_and_nodes(l);
            directory::destroy(g->dir);
            delete g;
        }
    };

    template <class Q>
    std::uint64_t hash_of(const Q& key) const {
        return detail::seeded_hash(hash_, key, seed_);
    }

    template <class Q>
    auto same_key(const Q& key) const {
        return [this, &key](const detail::node_header* n) {
            return equal_(static_cast<const node_type*>(n)->key, key);
        };
    }

    static const node_type* node_at(const leaf* l, leaf::position pos) {
        return static_cast<const node_type*>(
            l->groups()[pos.group].slots[pos.slot].load(std::memory_order_relaxed));
    }

    // Caller holds an rcu_reader.
    template <class Q>
    const node_type* find_node(std::uint64_t h, const Q& key) const {
        const leaf* l = dir_.load(std::memory_order_acquire)->leaf_for(h);
        return static_cast<const node_type*>(l->find(h, same_key(key)));
    }

    template <class Q>
    std::optional<V> load_hashed(std::uint64_t h, const Q& key) const {
        detail::rcu_reader reader;
        if (const node_type* n = find_node(h, key)) return n->value;
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
        const node_type* n = find_node(h, key);
        if (n == nullptr) return false;
        f(n->value);
        return true;
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

    // Locks the key's leaf and locates the key; when it is absent, first makes sure the
    // leaf has room for it, restructuring if needed.
    template <class Q>
    locked_leaf lock_with_room(std::uint64_t h, const Q& key) {
        for (;;) {
            leaf* l = lock_live_leaf(h);
            detail::leaf_lock_guard guard(l->lock, std::adopt_lock);
            const leaf::position pos = l->locate(h, same_key(key));  // may throw: guard unlocks
            if (pos.found || l->used < l->max_used()) return {l, std::move(guard), pos};
            guard.unlock();
            make_room(h);
        }
    }

    template <class KArg, class VArg>
    void store_impl(KArg&& key, VArg&& value) {
        const std::uint64_t h = hash_of(key);
        std::unique_ptr<node_type> fresh(new node_type(h, std::forward<KArg>(key), std::forward<VArg>(value)));
        detail::rcu_retire_reserve();
        locked_leaf locked = lock_with_room(h, fresh->key);
        if (locked.pos.found) {
            const node_type* old = locked.node_at_pos();
            locked.l->replace(locked.pos, fresh.release());
            locked.guard.unlock();
            detail::rcu_retire(const_cast<node_type*>(old));
            return;
        }
        locked.l->insert(locked.pos, fresh.release());
    }

    static constexpr auto always = [](const node_type*) { return true; };
    static constexpr auto nothing = [](const node_type*) {};

    // Erases the key if should_erase(node) holds, calling before_erase(node) under the lock
    // just before the commit point; true if it erased. Lock-free when the key is absent or
    // should_erase is false for the value seen without the lock.
    template <class Q, class Predicate, class BeforeErase>
    bool erase_if_impl(const Q& key, Predicate&& should_erase, BeforeErase&& before_erase) {
        const std::uint64_t h = hash_of(key);
        {
            detail::rcu_reader reader;
            const node_type* n = find_node(h, key);
            if (n == nullptr || !should_erase(n)) return false;
        }
        detail::rcu_retire_reserve();
        leaf* l = lock_live_leaf(h);
        detail::leaf_lock_guard guard(l->lock, std::adopt_lock);
        const leaf::position pos = l->locate(h, same_key(key));
        if (!pos.found) return false;
        const node_type* old = node_at(l, pos);
        if (!should_erase(old)) return false;
        before_erase(old);
        l->remove(pos);
        guard.unlock();
        detail::rcu_retire(const_cast<node_type*>(old));
        return true;
    }

    // Copies into `out` the nodes of leaf `l` whose hash is at or past `position`, each
    // key once. Each slot is read once, without a lock and without retrying (a retry loop
    // could starve under churn). A key erased and re-inserted into another slot while the
    // slots were read can be met twice; the leaf's lock version tells whether any writer
    // ran meanwhile, and only then are duplicates removed.
    void collect_from(const leaf* l, std::uint64_t position, std::vector<const node_type*>& out) const {
        out.clear();
        const std::uint32_t before = l->lock.read_word();
        l->for_each_node([&](const detail::node_header* n) {
            if (n->hash >= position) out.push_back(static_cast<const node_type*>(n));
        });
        std::atomic_thread_fence(std::memory_order_acquire);
        const std::uint32_t after = l->lock.read_word();
        if (before == after && !detail::leaf_lock::is_locked(before)) return;
        std::sort(out.begin(), out.end(), [](const node_type* a, const node_type* b) { return a->node_header::hash < b->node_header::hash; });
        std::size_t kept = 0;
        for (std::size_t i = 0; i < out.size(); ++i) {
            bool duplicate = false;
            for (std::size_t j = kept; j-- > 0 && out[j]->hash == out[i]->hash;) {
                if (equal_(out[j]->key, out[i]->key)) {
                    duplicate = true;
                    break;
                }
            }
            if (!duplicate) out[kept++] = out[i];
        }
        out.resize(kept);
    }

    // ---- Restructuring (under structure_mutex_) --------------------------------------

    // Makes room in the leaf owning hash h: rebuilds it without tombstones, splits it in
    // two, or, when the directory may not grow further, doubles its slot count.
    void make_room(std::uint64_t h) {
        std::lock_guard<std::mutex> structure(structure_mutex_);
        // relaxed: the directory pointer only changes under structure_mutex_.
        directory* d = dir_.load(std::memory_order_relaxed);
        // Live: leaves die only under structure_mutex_, which we hold.
        leaf* l = d->leaf_for(h);
        detail::leaf_lock_guard guard(l->lock);
        if (l->used < l->max_used()) return;  // another writer made room meanwhile

        const std::uint32_t live = l->live.load(std::memory_order_relaxed);
        if (live <= l->max_used() / 2) {
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
        l->for_each_node([&](detail::node_header* n) { fresh->build_insert(n); });
        const std::size_t first = d->first_index_of(l);
        const std::size_t span = d->span_of(l);
        for (std::size_t i = first; i < first + span; ++i) d->set(i, fresh);
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
        l->for_each_node([&](detail::node_header* n) {
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
        if (doubled) {
            // release: the doubled directory is fully written before it is seen.
            dir_.store(doubled.release(), std::memory_order_release);
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
        l->for_each_node([](detail::node_header* n) { node_type::destroy(n); });
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

    // The published directory. Replaced (release store) only under structure_mutex_, when
    // it doubles or on clear(); the old one is retired, never written again.
    std::atomic<directory*> dir_{nullptr};
    // Serialises every structural change: splits, rebuilds, directory doubling, clear().
    std::mutex structure_mutex_;
    // Number of distinct leaves in the published directory; under structure_mutex_ only.
    std::size_t leaf_count_ = 1;
    const std::uint64_t seed_;
    [[no_unique_address]] Hash hash_;
    [[no_unique_address]] KeyEqual equal_;
};

}  // namespace syncmap
