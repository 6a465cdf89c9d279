// syncmap/cow_map.hpp - a copy-on-write map: readers look keys up in an immutable table
// published through one atomic pointer; writers copy the table, change the copy, and
// publish it. Go's atomic.Value "read-mostly map" pattern, with sync_map's API.
//
// Design
// - The table is detail::immutable_table: open addressing in hash order, built once,
//   never edited after publication. Its cells point to immutable nodes {key, value}
//   (cow_versions.hpp). A lookup is one acquire load and one probe inside an RCU
//   read-side section: wait-free (CW1), touching no shared counter, so read throughput
//   scales with cores.
// - Writers serialise on one mutex (readers never take it). A single-key write clones the
//   current table with memcpy (cells are {hash, node pointer}: no key or value is copied),
//   edits the clone in place (ordered insert, backward-shift erase, or a pointer swap),
//   and publishes it with a release store. update(fn) applies a whole batch with one
//   ordered merge and one publish (CW2). Either way a write is O(n) in pointer copies,
//   plus one node per key written.
// - snapshot() takes a reference on the current table: O(1), one pointer copy and a
//   counter increment (CW1). A snapshot is an immutable map: exactly the contents at one
//   instant (S1), unchanged afterwards (S2), with plain iterators (S4).
// - Reclamation: a table is freed when its last owner lets go: the map (whose reference is
//   dropped through RCU after the table is replaced, so concurrent readers are safe), each
//   snapshot, each range in progress. Nodes are shared between versions and freed in
//   version order (cow_versions.hpp): a live snapshot retains exactly the nodes
//   overwritten or erased since it was taken.
//
// When to use it: reads vastly outnumber writes, and writes can be batched. Prefer
// sync_map when writes are frequent: every write here costs O(n).
//
// What the API leaves out: iterators over the live map (a snapshot gives them, for free);
// references to values of the live map (load() copies, visit() lends for one call).
#pragma once

#include "detail/config.hpp"

#include <algorithm>
#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "detail/cow_versions.hpp"
#include "detail/go_api.hpp"
#include "detail/immutable_table.hpp"
#include "detail/rcu.hpp"
#include "equal_to.hpp"
#include "hash.hpp"

namespace syncmap {

namespace detail {

// The types one cow_map instantiation and its snapshots share.
template <class K, class V>
struct cow_parts {
    using node = cow_node<K, V>;
    using versions = cow_versions<node>;
    using record = typename versions::record;
    using table = immutable_table<node*, record*, typename node::hash_of>;

    // Drops one reference on a published table; the last one frees the table and lets
    // the version chain free what no remaining version holds.
    static void release(table* t) noexcept {
        if (t->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
        record* r = t->extra;
        table::destroy(t);
        r->owner->version_died(r);
    }

    // Forward iterator over a table's entries as std::pair<const K, V>, in hash order.
    class const_iterator {
    public:
        using value_type = std::pair<const K, V>;
        using reference = const value_type&;
        using pointer = const value_type*;
        using difference_type = std::ptrdiff_t;
        using iterator_category = std::forward_iterator_tag;

        const_iterator() noexcept = default;
        explicit const_iterator(typename table::const_iterator it) noexcept : it_(it) {}
        reference operator*() const noexcept { return (*it_)->kv; }
        pointer operator->() const noexcept { return &(*it_)->kv; }
        const_iterator& operator++() noexcept {
            ++it_;
            return *this;
        }
        const_iterator operator++(int) noexcept {
            const_iterator before = *this;
            ++it_;
            return before;
        }
        friend bool operator==(const const_iterator& a, const const_iterator& b) noexcept {
            return a.it_ == b.it_;
        }

    private:
        typename table::const_iterator it_;
    };
};

}  // namespace detail

template <class K, class V, class Hash, class KeyEqual>
class cow_map;

// An immutable map: the contents of a cow_map at the instant snapshot() was called.
// Valid and unchanged whatever the map does afterwards, including being destroyed. Every
// member is const and wait-free; copying a snapshot shares the table (one counter
// increment). Iteration yields std::pair<const K, V> in ascending hash order, the same
// order every time; the iterators stay valid as long as some copy of the snapshot lives.
// A moved-from snapshot is empty.
template <class K, class V, class Hash = syncmap::hash<K>, class KeyEqual = syncmap::equal_to<K>>
class cow_snapshot : public detail::go_lookup_api<cow_snapshot<K, V, Hash, KeyEqual>, K, V, Hash, KeyEqual> {
    friend class detail::go_lookup_api<cow_snapshot, K, V, Hash, KeyEqual>;

    using parts = detail::cow_parts<K, V>;
    using table = typename parts::table;
    using node = typename parts::node;

    template <class Q>
    static constexpr bool heterogeneous = detail::heterogeneous_key<Q, K, Hash, KeyEqual>;

public:
    using key_type = K;
    using mapped_type = V;
    using value_type = std::pair<const K, V>;
    using size_type = std::size_t;
    using hasher = Hash;
    using key_equal = KeyEqual;
    using const_iterator = typename parts::const_iterator;
    using iterator = const_iterator;

    cow_snapshot(const cow_snapshot& other)
        : seed_(other.seed_), hash_(other.hash_), equal_(other.equal_), table_(other.table_) {
        if (table_ != nullptr) table_->refs.fetch_add(1, std::memory_order_relaxed);
    }
    cow_snapshot(cow_snapshot&& other) noexcept(std::is_nothrow_move_constructible_v<Hash> &&
                                                std::is_nothrow_move_constructible_v<KeyEqual>)
        : seed_(other.seed_),
          hash_(std::move(other.hash_)),
          equal_(std::move(other.equal_)),
          table_(std::exchange(other.table_, nullptr)) {}
    cow_snapshot& operator=(const cow_snapshot& other) {
        if (this != &other) {
            cow_snapshot copy(other);
            swap(copy);
        }
        return *this;
    }
    cow_snapshot& operator=(cow_snapshot&& other) noexcept(std::is_nothrow_swappable_v<Hash> &&
                                                           std::is_nothrow_swappable_v<KeyEqual>) {
        swap(other);
        return *this;
    }
    ~cow_snapshot() {
        if (table_ != nullptr) parts::release(table_);
    }

    void swap(cow_snapshot& other) noexcept(std::is_nothrow_swappable_v<Hash> && std::is_nothrow_swappable_v<KeyEqual>) {
        using std::swap;
        swap(seed_, other.seed_);
        swap(hash_, other.hash_);
        swap(equal_, other.equal_);
        swap(table_, other.table_);
    }

    // load, contains and visit (detail/go_api.hpp), for K and heterogeneous keys: O(1)
    // expected, no lock.

    // The entry for the key, or end(). O(1) expected.
    const_iterator find(const K& key) const { return find_impl(key); }
    template <class Q>
        requires heterogeneous<Q>
    const_iterator find(const Q& key) const {
        return find_impl(key);
    }

    // f(const K&, const V&) returning bool (false stops) or void, in iteration order.
    template <class F>
    void range(F&& f) const {
        for (const value_type& kv : *this) {
            if constexpr (std::is_void_v<std::invoke_result_t<std::remove_reference_t<F>&, const K&, const V&>>) {
                std::invoke(f, kv.first, kv.second);
            } else {
                if (!static_cast<bool>(std::invoke(f, kv.first, kv.second))) return;
            }
        }
    }

    size_type size() const noexcept { return table_ != nullptr ? table_->size() : 0; }
    bool empty() const noexcept { return size() == 0; }
    const_iterator begin() const noexcept { return table_ != nullptr ? const_iterator(table_->begin()) : const_iterator(); }
    const_iterator end() const noexcept { return table_ != nullptr ? const_iterator(table_->end()) : const_iterator(); }
    std::uint64_t seed() const noexcept { return seed_; }

private:
    template <class, class, class, class>
    friend class cow_map;

    // Holds no table yet: cow_map::snapshot() installs one after every member that may
    // throw has been constructed.
    cow_snapshot(std::uint64_t seed, const Hash& hash, const KeyEqual& equal)
        : seed_(seed), hash_(hash), equal_(equal) {}

    template <class Q>
    const_iterator find_impl(const Q& key) const {
        if (table_ == nullptr) return end();
        const std::uint64_t h = detail::seeded_hash(hash_, key, seed_);
        const std::size_t i = table_->find_index(h, [&](const node* n) { return equal_(n->kv.first, key); });
        return i == detail::table_npos ? end() : const_iterator(table_->iterator_at(i));
    }

    template <class Q>
    std::optional<V> load_impl(const Q& key) const {
        const const_iterator it = find_impl(key);
        if (it == end()) return std::nullopt;
        return it->second;
    }

    template <class Q, class F>
    bool visit_impl(const Q& key, F& f) const {
        const const_iterator it = find_impl(key);
        if (it == end()) return false;
        std::invoke(f, std::as_const(it->second));
        return true;
    }

    std::uint64_t seed_;
    [[no_unique_address]] Hash hash_;
    [[no_unique_address]] KeyEqual equal_;
    table* table_ = nullptr;  // one reference owned by this snapshot; nullptr when moved from
};

template <class K, class V, class Hash = syncmap::hash<K>, class KeyEqual = syncmap::equal_to<K>>
class cow_map : public detail::go_api<cow_map<K, V, Hash, KeyEqual>, K, V, Hash, KeyEqual> {
    friend class detail::go_lookup_api<cow_map, K, V, Hash, KeyEqual>;
    friend class detail::go_api<cow_map, K, V, Hash, KeyEqual>;

    using parts = detail::cow_parts<K, V>;
    using node = typename parts::node;
    using versions = typename parts::versions;
    using record = typename parts::record;
    using table = typename parts::table;
    using table_ptr = std::unique_ptr<table, typename table::deleter>;

    template <class Q>
    static constexpr bool heterogeneous = detail::heterogeneous_key<Q, K, Hash, KeyEqual>;

    // A table being prepared, with the record it will be published under. Frees both if
    // the write fails before publishing (the nodes it points to belong to others).
    struct pending {
        table_ptr t;
        std::unique_ptr<record> r;
    };

public:
    using key_type = K;
    using mapped_type = V;
    using value_type = std::pair<const K, V>;
    using hasher = Hash;
    using key_equal = KeyEqual;
    using snapshot_type = cow_snapshot<K, V, Hash, KeyEqual>;
    class builder;

    // An empty map with a fresh random seed (H1). Allocates one empty table.
    cow_map() : cow_map(detail::random_seed()) {}

    // An empty map with a fixed seed: hash order, and so iteration order, become reproducible.
    explicit cow_map(std::uint64_t seed, const Hash& hash = Hash(), const KeyEqual& equal = KeyEqual())
        : seed_(seed), hash_(hash), equal_(equal) {
        std::unique_ptr<versions> chain(new versions);
        table_ptr first(table::allocate_empty(0, 1));
        first->extra = chain->new_record();
        chain->link(first->extra);
        versions_ = chain.release();
        current_.store(first.release(), std::memory_order_relaxed);
    }

    // Precondition: no other thread uses the map. Snapshots taken from it stay valid; the
    // contents are freed when the last of them is gone.
    ~cow_map() {
        table* t = current_.load(std::memory_order_relaxed);
        // The map's end drops every node of the current version, like a final clear().
        for (node* n : *t) versions::drop(t->extra, n);
        versions* chain = versions_;
        parts::release(t);
        chain->map_gone();
    }

    cow_map(const cow_map&) = delete;
    cow_map& operator=(const cow_map&) = delete;

    // ---- Reads: wait-free lookups in the current table (CW1, L2) -----------------------

    // Go's Load, and contains and visit (detail/go_api.hpp), for K and heterogeneous keys
    // (a std::string_view for a std::string key, ...): wait-free lookups in the current
    // table, O(1) expected. visit's f(const V&) gets a reference valid only during f and
    // may call any member of this map.

    // The contents at one instant of the call: a reference to the current table.
    // Wait-free, O(1) (CW1, S1-S4).
    snapshot_type snapshot() const {
        snapshot_type s(seed_, hash_, equal_);  // may throw before any reference is taken
        s.table_ = acquire_current();
        return s;
    }

    // The number of entries: exact and linearizable. Wait-free, O(1).
    std::size_t size() const noexcept {
        detail::rcu_reader reader;
        return current_.load(std::memory_order_acquire)->size();
    }
    bool empty() const noexcept { return size() == 0; }

    // Go Range over the contents at the instant range starts (a snapshot): each key present
    // then is yielded exactly once with its value of that instant; nothing stored later is
    // yielded. f(const K&, const V&) returns bool (false stops) or void; ascending hash
    // order. f may call any member of this map; range holds a table reference, no lock and
    // no RCU read-side section while f runs. O(n); stopping early is O(1).
    template <class F>
    void range(F&& f) const {
        struct table_ref {
            table* t;
            ~table_ref() { parts::release(t); }
        } hold{acquire_current()};
        for (const node* n : *hold.t) {
            if constexpr (std::is_void_v<std::invoke_result_t<std::remove_reference_t<F>&, const K&, const V&>>) {
                std::invoke(f, n->kv.first, n->kv.second);
            } else {
                if (!static_cast<bool>(std::invoke(f, n->kv.first, n->kv.second))) return;
            }
        }
    }

    // ---- Writes: copy, change, publish (CW2) --------------------------------------------
    //
    // Every write that changes the map publishes a new table: O(n) pointer copies under
    // the writers' mutex (readers never wait for it), plus one node for the key written.
    // Writes that change nothing (erasing an absent key, a failing compare, load_or_store
    // of a present key) take no lock (L3) and copy nothing. If a hash, comparison, copy or
    // allocation throws, nothing is published (L4). Calling a write member from inside
    // update() on the same map throws std::logic_error (it would deadlock).

    // Go's Store, Swap (exchange), LoadOrStore, LoadAndDelete, Delete (erase),
    // CompareAndSwap and CompareAndDelete (detail/go_api.hpp), for K and heterogeneous keys:
    // a write builds a node holding a K; lookups never build one. load_or_store needs V
    // copy-assignable or nothrow move-constructible; compare_and_swap and
    // compare_and_delete need an equality-comparable V, and are lock-free when they change
    // nothing (L3), as load_or_store of a present key is.

    // Go Clear: publishes an empty table. Linearizable. O(n) (the nodes are linked for
    // reclamation); the old table and nodes are freed once no reader, snapshot or range
    // holds them.
    void clear() {
        if (empty()) return;
        detail::rcu_retire_reserve();
        write_guard guard(*this);
        const table* base = current_.load(std::memory_order_relaxed);
        if (base->empty()) return;
        pending next = prepare(table::allocate_empty(0, 1));
        publish_locked(std::move(next), [&](record* r) {
            for (node* n : *base) versions::drop(r, n);
        });
    }

    // Applies a batch of changes with one copy and one publish (CW2): fn(builder&) stores,
    // erases, clears and loads through the builder, which starts from the current contents
    // and sees its own changes; when fn returns, the result is published at once (nothing
    // if fn changed nothing). Readers see the map before or after the whole batch, never in
    // between. If fn or the publish throws, the map is unchanged. fn runs under the
    // writers' mutex: it may read the map (load, snapshot, ...) but calling a write member
    // of the same map throws std::logic_error. Returns what fn returns.
    template <class F>
    std::invoke_result_t<F&, builder&> update(F&& fn) {
        using result_type = std::invoke_result_t<F&, builder&>;
        detail::rcu_retire_reserve();
        write_guard guard(*this);
        builder b(*this, current_.load(std::memory_order_relaxed));
        if constexpr (std::is_void_v<result_type>) {
            std::invoke(fn, b);
            commit_locked(b);
        } else {
            result_type result = std::invoke(fn, b);
            commit_locked(b);
            return result;
        }
    }

    std::uint64_t seed() const noexcept { return seed_; }
    hasher hash_function() const { return hash_; }
    key_equal key_eq() const { return equal_; }

    // Publication counts and the current table's shape, for tests and the lab.
    struct debug_info {
        std::uint64_t publishes = 0;       // tables published since construction (the first excluded)
        std::size_t versions_retained = 0;  // versions whose record is kept: 1 + those pinned by
                                            // snapshots, ranges, or readers not yet past a grace period
        std::size_t entries = 0;
        std::size_t groups = 0;            // 8-slot groups in the current table
        unsigned home_bits = 0;            // the current table has 2^home_bits home groups
        std::size_t max_probe_groups = 0;  // longest probe of any key, in groups (H1)
    };
    debug_info debug_state() const {
        detail::rcu_reader reader;
        const table* t = current_.load(std::memory_order_acquire);
        return {publishes_.load(std::memory_order_relaxed), versions_->records(), t->size(), t->group_count(),
                t->home_bits(), t->max_probe_groups()};
    }

    // The mutable view update() hands to its callback. Starts as the map's contents when
    // update() began and sees its own changes; records them without copying the table.
    // Each member either succeeds or throws leaving the builder unchanged.
    class builder {
    public:
        builder(const builder&) = delete;
        builder& operator=(const builder&) = delete;

        std::optional<V> load(const K& key) const { return load_impl(key); }
        template <class Q>
            requires heterogeneous<Q>
        std::optional<V> load(const Q& key) const {
            return load_impl(key);
        }

        bool contains(const K& key) const { return locate(map_.hash_of(key), key).present; }
        template <class Q>
            requires heterogeneous<Q>
        bool contains(const Q& key) const {
            return locate(map_.hash_of(key), key).present;
        }

        void store(const K& key, const V& value) { store_impl(key, value); }
        void store(K&& key, V&& value) { store_impl(std::move(key), std::move(value)); }
        void store(const K& key, V&& value) { store_impl(key, std::move(value)); }
        void store(K&& key, const V& value) { store_impl(std::move(key), value); }
        template <class Q>
            requires heterogeneous<Q>
        void store(const Q& key, const V& value) {
            store_impl(key, value);
        }
        template <class Q>
            requires heterogeneous<Q>
        void store(const Q& key, V&& value) {
            store_impl(key, std::move(value));
        }

        // True if the key was present.
        bool erase(const K& key) { return erase_impl(key); }
        template <class Q>
            requires heterogeneous<Q>
        bool erase(const Q& key) {
            return erase_impl(key);
        }

        // Removes everything, including what this batch stored so far.
        void clear() noexcept {
            cleared_ = true;
            changes_.clear();
            latest_.clear();
            size_ = 0;
        }

        std::size_t size() const noexcept { return size_; }
        bool empty() const noexcept { return size_ == 0; }

    private:
        friend class cow_map;

        // The batch's last word on one key.
        struct change {
            std::uint64_t hash;
            std::size_t base_index;     // the key's slot in the base table, or table_npos
            std::unique_ptr<node> fresh;  // the stored entry; nullptr for an erased base key
            bool present;               // false: the key is erased
        };

        // What the builder knows of a key: its change (if any) and whether it is present.
        struct located {
            std::size_t change = detail::table_npos;  // index in changes_
            std::size_t base_index = detail::table_npos;
            bool present = false;
        };

        builder(const cow_map& map, const table* base) : map_(map), base_(base), size_(base->size()) {}

        const K& key_of(const change& c) const noexcept {
            return c.fresh != nullptr ? c.fresh->kv.first : base_->cell_at(c.base_index).value->kv.first;
        }

        template <class Q>
        located locate(std::uint64_t h, const Q& key) const {
            located where;
            auto [first, last] = latest_.equal_range(h);
            for (; first != last; ++first) {
                const change& c = changes_[first->second];
                if (map_.equal_(key_of(c), key)) {
                    where.change = first->second;
                    where.base_index = c.base_index;
                    where.present = c.present;
                    return where;
                }
            }
            if (!cleared_) where.base_index = base_->find_index(h, map_.same_key(key));
            where.present = where.base_index != detail::table_npos;
            return where;
        }

        template <class Q>
        std::optional<V> load_impl(const Q& key) const {
            const located where = locate(map_.hash_of(key), key);
            if (!where.present) return std::nullopt;
            if (where.change != detail::table_npos) return changes_[where.change].fresh->kv.second;
            return base_->cell_at(where.base_index).value->kv.second;
        }

        // Appends a change for a key without one. If recording it fails, the builder is
        // as before and the exception propagates.
        void add_change(change&& c) {
            const std::uint64_t h = c.hash;
            changes_.push_back(std::move(c));
            try {
                latest_.emplace(h, changes_.size() - 1);
            } catch (...) {
                changes_.pop_back();
                throw;
            }
        }

        template <class KArg, class VArg>
        void store_impl(KArg&& key, VArg&& value) {
            const std::uint64_t h = map_.hash_of(key);
            const located where = locate(h, key);
            std::unique_ptr<node> fresh(new node(std::forward<KArg>(key), std::forward<VArg>(value)));
            fresh->hash = h;
            if (where.change != detail::table_npos) {
                change& c = changes_[where.change];
                c.fresh = std::move(fresh);
                c.present = true;
            } else {
                add_change(change{h, where.base_index, std::move(fresh), true});
            }
            if (!where.present) ++size_;
        }

        template <class Q>
        bool erase_impl(const Q& key) {
            const std::uint64_t h = map_.hash_of(key);
            const located where = locate(h, key);
            if (!where.present) return false;
            if (where.change != detail::table_npos) {
                changes_[where.change].present = false;  // the node stays: it names the key
            } else {
                add_change(change{h, where.base_index, nullptr, false});
            }
            --size_;
            return true;
        }

        const cow_map& map_;
        const table* base_;     // the current table when update() began; kept by the writers' mutex
        bool cleared_ = false;  // clear() was called: base_ no longer counts
        std::size_t size_;
        std::vector<change> changes_;  // at most one per key
        // hash -> index in changes_, for each key with a change.
        std::unordered_multimap<std::uint64_t, std::size_t> latest_;
    };

private:
    // Serialises writers and detects a write member called from inside update().
    class write_guard {
    public:
        explicit write_guard(const cow_map& map) : map_(map) {
            // relaxed: only this thread can have stored its own id here.
            if (map_.writer_.load(std::memory_order_relaxed) == std::this_thread::get_id()) {
                throw std::logic_error(
                    "syncmap::cow_map: a write member was called from inside update() on the same map; "
                    "use the builder passed to the update callback instead");
            }
            map_.write_mutex_.lock();
            map_.writer_.store(std::this_thread::get_id(), std::memory_order_relaxed);
        }
        ~write_guard() {
            map_.writer_.store(std::thread::id(), std::memory_order_relaxed);
            map_.write_mutex_.unlock();
        }
        write_guard(const write_guard&) = delete;
        write_guard& operator=(const write_guard&) = delete;

    private:
        const cow_map& map_;
    };

    template <class Q>
    std::uint64_t hash_of(const Q& key) const {
        return detail::seeded_hash(hash_, key, seed_);
    }

    template <class Q>
    auto same_key(const Q& key) const {
        return [this, &key](const node* n) { return equal_(n->kv.first, key); };
    }

    // A new reference on the current table. Wait-free: inside the read-side section the
    // map's own reference is still held (it is dropped only after a grace period).
    table* acquire_current() const noexcept {
        detail::rcu_reader reader;
        table* t = current_.load(std::memory_order_acquire);
        t->refs.fetch_add(1, std::memory_order_relaxed);
        return t;
    }

    template <class Q>
    std::optional<V> load_hashed(std::uint64_t h, const Q& key) const {
        detail::rcu_reader reader;
        const node* const* n = current_.load(std::memory_order_acquire)->find(h, same_key(key));
        if (n == nullptr) return std::nullopt;
        return (*n)->kv.second;
    }

    template <class Q>
    std::optional<V> load_impl(const Q& key) const {
        return load_hashed(hash_of(key), key);
    }

    template <class Q, class F>
    bool visit_impl(const Q& key, F&& f) const {
        const std::uint64_t h = hash_of(key);
        detail::rcu_reader reader;
        const node* const* n = current_.load(std::memory_order_acquire)->find(h, same_key(key));
        if (n == nullptr) return false;
        std::invoke(f, std::as_const((*n)->kv.second));
        return true;
    }

    // load_or_store past the lock-free check. Every return returns `result`, built as the
    // stored outcome before anything is published, so the compiler constructs it in the
    // caller's return slot and no V is copied or moved after the publish (L4).
    template <class Q>
    std::pair<V, bool> store_if_absent(std::uint64_t h, const Q& key, const V& value) {
        std::pair<V, bool> result(value, false);
        std::unique_ptr<node> fresh(new node(key, value));
        fresh->hash = h;
        detail::rcu_retire_reserve();
        write_guard guard(*this);
        const table* base = current_.load(std::memory_order_relaxed);
        const std::size_t i = base->find_index(h, same_key(key));
        if (i != detail::table_npos) {
            // Stored by another writer since the check: load it instead (nothing published).
            const V& current = base->cell_at(i).value->kv.second;
            if constexpr (std::is_copy_assignable_v<V>) {
                result.first = current;
            } else {
                static_assert(std::is_nothrow_move_constructible_v<V>,
                              "load_or_store needs V copy-assignable or nothrow move-constructible");
                V copy(current);
                std::destroy_at(&result.first);
                std::construct_at(&result.first, std::move(copy));
            }
            result.second = true;
        } else {
            write_one_locked(*base, h, i, std::move(fresh));
        }
        return result;
    }

    template <class Q>
    std::optional<V> exchange_impl(const Q& key, const V& value) {
        const std::uint64_t h = hash_of(key);
        std::unique_ptr<node> fresh(new node(key, value));
        fresh->hash = h;
        detail::rcu_retire_reserve();
        write_guard guard(*this);
        const table* base = current_.load(std::memory_order_relaxed);  // stored only under the guard
        const std::size_t i = base->find_index(h, same_key(key));
        std::optional<V> previous;
        if (i != detail::table_npos) previous.emplace(base->cell_at(i).value->kv.second);  // before publishing (L4)
        write_one_locked(*base, h, i, std::move(fresh));
        return previous;
    }

    template <class Q>
    std::pair<V, bool> load_or_store_impl(const Q& key, const V& value) {
        const std::uint64_t h = hash_of(key);
        {
            detail::rcu_reader reader;
            if (const node* const* n = current_.load(std::memory_order_acquire)->find(h, same_key(key))) {
                return {(*n)->kv.second, true};
            }
        }
        return store_if_absent(h, key, value);
    }

    template <class Q>
    bool erase_impl(const Q& key) {
        return erase_if_impl(key, any_value, [](const V&) {});
    }

    template <class Q>
    bool compare_and_delete_impl(const Q& key, const V& expected) {
        return erase_if_impl(key, [&](const V& v) { return v == expected; }, [](const V&) {});
    }

    template <class Q>
    std::optional<V> load_and_delete_impl(const Q& key) {
        std::optional<V> removed;
        erase_if_impl(key, any_value, [&](const V& v) {
            removed.emplace(v);  // copied before publishing (L4)
        });
        return removed;
    }

    template <class Q>
    bool compare_and_swap_impl(const Q& key, const V& expected, const V& desired) {
        const std::uint64_t h = hash_of(key);
        {
            detail::rcu_reader reader;
            const node* const* n = current_.load(std::memory_order_acquire)->find(h, same_key(key));
            if (n == nullptr || !((*n)->kv.second == expected)) return false;
        }
        std::unique_ptr<node> fresh(new node(key, desired));
        fresh->hash = h;
        detail::rcu_retire_reserve();
        write_guard guard(*this);
        const table* base = current_.load(std::memory_order_relaxed);
        const std::size_t i = base->find_index(h, same_key(key));
        if (i == detail::table_npos || !(base->cell_at(i).value->kv.second == expected)) return false;
        write_one_locked(*base, h, i, std::move(fresh));
        return true;
    }

    template <class KArg, class VArg>
    void store_impl(KArg&& key, VArg&& value) {
        // The node first, outside the mutex: the key and value are copied once, here.
        std::unique_ptr<node> fresh(new node(std::forward<KArg>(key), std::forward<VArg>(value)));
        const std::uint64_t h = hash_of(fresh->kv.first);
        fresh->hash = h;
        detail::rcu_retire_reserve();
        write_guard guard(*this);
        const table* base = current_.load(std::memory_order_relaxed);
        const std::size_t i = base->find_index(h, same_key(fresh->kv.first));
        write_one_locked(*base, h, i, std::move(fresh));
    }

    static constexpr auto any_value = [](const V&) { return true; };

    // Erases the key if match(value) holds, calling on_erase(value) first (it may throw:
    // nothing is published then). Lock-free when nothing is erased because the key is
    // absent or its value does not match (L3).
    template <class Q, class Match, class OnErase>
    bool erase_if_impl(const Q& key, Match&& match, OnErase&& on_erase) {
        const std::uint64_t h = hash_of(key);
        {
            detail::rcu_reader reader;
            const node* const* n = current_.load(std::memory_order_acquire)->find(h, same_key(key));
            if (n == nullptr || !match((*n)->kv.second)) return false;
        }
        detail::rcu_retire_reserve();
        write_guard guard(*this);
        const table* base = current_.load(std::memory_order_relaxed);
        const std::size_t i = base->find_index(h, same_key(key));
        if (i == detail::table_npos || !match(base->cell_at(i).value->kv.second)) return false;
        on_erase(base->cell_at(i).value->kv.second);
        pending next;
        if (base->size() - 1 < detail::table_max_entries(base->home_bits()) / 8 && base->home_bits() > 0) {
            // Mostly empty: rebuild smaller rather than clone.
            const std::size_t skipped[1] = {i};
            next = build(*base, false, skipped);
        } else {
            next = prepare(table::clone(*base));
            next.t->erase_at(i);
        }
        publish_locked(std::move(next), [&](record* r) { versions::drop(r, base->cell_at(i).value); });
        return true;
    }

    // Publishes the current table with one key written: `fresh` replaces the entry at slot
    // i, or is inserted (i == table_npos). Clones the table and edits the clone when the
    // shape allows, else rebuilds it larger.
    void write_one_locked(const table& base, std::uint64_t h, std::size_t i, std::unique_ptr<node> fresh) {
        pending next;
        if (i != detail::table_npos) {
            next = prepare(table::clone(base));
            next.t->slot_at(i) = fresh.get();
        } else if (const std::size_t pos = base.insert_position(h); pos != detail::table_npos) {
            next = prepare(table::clone(base));
            next.t->insert_at(pos, h, fresh.get());
        } else {
            node* adds[1] = {fresh.get()};
            next = build(base, false, {}, adds);
        }
        // Commit: nothing below throws.
        fresh.release();
        publish_locked(std::move(next), [&](record* r) {
            if (i != detail::table_npos) versions::drop(r, base.cell_at(i).value);
        });
    }

    // Allocates the record for a prepared table. May throw (then frees the table).
    pending prepare(table* t) {
        pending p{table_ptr(t), nullptr};
        p.r.reset(versions_->new_record());
        return p;
    }

    // The next table: `base` (nothing of it if `cleared`) without the slots in `skipped`
    // (ascending slot indices), merged with the nodes in `adds` (ascending hash). One
    // ordered merge in two passes: the first sizes the table exactly, the second fills it;
    // one spare group leaves room for single-key inserts. Only pointers are copied. May
    // throw std::bad_alloc.
    pending build(const table& base, bool cleared, std::span<const std::size_t> skipped, std::span<node* const> adds = {}) {
        const std::size_t kept = cleared ? 0 : base.size() - skipped.size();
        detail::table_plan plan(kept + adds.size(), 1);
        merge(base, cleared, skipped, adds, [&](node* n) { plan.add(n->hash); });
        pending next = prepare(table::allocate(plan));
        table* t = next.t.get();
        merge(base, cleared, skipped, adds, [&](node* n) { t->append(n->hash, n); });
        return next;
    }

    // Visits, in ascending hash order, the kept entries of `base` and the additions.
    template <class Visit>
    static void merge(const table& base, bool cleared, std::span<const std::size_t> skipped,
                      std::span<node* const> adds, Visit&& visit) {
        std::size_t i = cleared ? base.slot_count() : base.first_full(0);
        std::size_t s = 0;
        std::size_t a = 0;
        for (;;) {
            while (i < base.slot_count() && s < skipped.size() && i == skipped[s]) {
                i = base.first_full(i + 1);
                ++s;
            }
            const bool more_base = i < base.slot_count();
            if (!more_base && a == adds.size()) return;
            if (more_base && (a == adds.size() || base.hash_at(i) <= adds[a]->hash)) {
                visit(base.cell_at(i).value);
                i = base.first_full(i + 1);
            } else {
                visit(adds[a]);
                ++a;
            }
        }
    }

    // Publishes the batch a builder recorded, if it changed anything.
    void commit_locked(builder& b) {
        if (!b.cleared_ && b.changes_.empty()) return;
        const table* base = current_.load(std::memory_order_relaxed);
        std::vector<std::size_t> skipped;
        std::vector<node*> adds;
        skipped.reserve(b.changes_.size());
        adds.reserve(b.changes_.size());
        for (auto& c : b.changes_) {
            if (c.base_index != detail::table_npos) skipped.push_back(c.base_index);
            if (c.present) adds.push_back(c.fresh.get());
        }
        std::sort(skipped.begin(), skipped.end());
        std::sort(adds.begin(), adds.end(), [](const node* x, const node* y) { return (x->hash) < (y->hash); });
        pending next = build(*base, b.cleared_, skipped, adds);
        // Commit: nothing below throws. The published nodes now belong to the versions.
        for (auto& c : b.changes_) {
            if (c.present) c.fresh.release();
        }
        publish_locked(std::move(next), [&](record* r) {
            if (b.cleared_) {
                for (node* n : *base) versions::drop(r, n);
            } else {
                for (std::size_t i : skipped) versions::drop(r, base->cell_at(i).value);
            }
        });
    }

    // Installs a prepared table as the current one. drop(record*) hands the nodes the new
    // version no longer holds to the old version's record. Caller holds the write_guard and
    // reserved one retirement. Never throws.
    template <class Drop>
    void publish_locked(pending next, Drop&& drop) noexcept {
        table* old = current_.load(std::memory_order_relaxed);
        drop(old->extra);
        table* t = next.t.release();
        t->extra = next.r.release();
        versions_->link(t->extra);
        // release: the table's cells and the new nodes are visible to whoever loads the
        // pointer with acquire.
        current_.store(t, std::memory_order_release);
        publishes_.fetch_add(1, std::memory_order_relaxed);
        // `old` may be freed as soon as it is retired (this thread holds no read-side
        // section): nothing below may touch it.
        const std::size_t old_bytes = old->byte_size();
        detail::rcu_retire(
            old, [](void* p) noexcept { parts::release(static_cast<table*>(p)); }, old_bytes);
        // A large table should not wait in this thread's retire batch until 63 more
        // retirements fill it (64 tables of a big map are a lot of memory): hand it to the
        // reclaimer now, so that about one grace period's worth of tables is in flight.
        if (old_bytes >= eager_retire_bytes) detail::rcu_this_thread().flush();
    }

    static constexpr std::size_t eager_retire_bytes = std::size_t{256} << 10;

    // The current table; never nullptr. Loaded with acquire by readers (inside an RCU
    // read-side section, or to take a reference); stored with release only under
    // write_mutex_. The map owns one reference on it, dropped through RCU once replaced.
    std::atomic<table*> current_{nullptr};

    // The versions published so far whose nodes may still be in use (cow_versions.hpp).
    // Outlives the map if snapshots do.
    versions* versions_ = nullptr;

    // Serialises writers; readers never take it.
    mutable std::mutex write_mutex_;
    // The thread holding write_mutex_, or no thread: detects re-entry from update().
    mutable std::atomic<std::thread::id> writer_{};

    // Tables published since construction (debug_state()). Relaxed: a statistic.
    std::atomic<std::uint64_t> publishes_{0};

    const std::uint64_t seed_;
    [[no_unique_address]] Hash hash_;
    [[no_unique_address]] KeyEqual equal_;
};

}  // namespace syncmap
