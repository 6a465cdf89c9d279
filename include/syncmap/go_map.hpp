// syncmap/go_map.hpp - Go's built-in map, in C++: a single-threaded hash map whose
// iterators survive every mutation (G1), whose iteration order is randomized (G2), and
// which detects concurrent misuse best-effort and ends the process with Go's messages (G3).
//
// Why it exists. std::unordered_map and the flat maps (Boost, Abseil) make "insert or erase
// while iterating" undefined behaviour, so code ported from Go, where `for k, v := range m
// { delete(m, k); m[f(k)] = v }` is legal and common, has to collect changes first. go_map
// gives Go's rules instead (clauses in docs/GUARANTEES.md):
//   G1  While iterating, the same thread may insert, erase (the current entry included),
//       assign, clear, or cause growth. Entries present throughout are yielded exactly
//       once; erased entries not yet reached are not yielded; inserted entries may or may
//       not be yielded, never twice; a modified entry yields its latest value. No mutation
//       invalidates a pass iterator. As in Go, "entry" means one insertion of a key: a key
//       erased after it was yielded and inserted again is a new entry, which the same pass
//       may yield again.
//   G2  Iteration order is randomized per pass; a seed fixes it for reproducible tests.
//   G3  Concurrent misuse from two threads ends the process with "fatal error: concurrent
//       map writes" / "... read and map write" / "... iteration and map write".
//   G4  Starting an iteration allocates nothing and is O(1); a whole pass is O(capacity).
//
// Layout (the extendible hashing of sync_map, without atomics, and Go 1.24's swiss map):
// a directory of 2^global_depth entries indexed by the top bits of the 64-bit seeded hash,
// each pointing at a leaf (detail/go_map_leaf.hpp) that covers one interval of the hash
// space: a small open-addressing table of up to 1024 slots with Swiss-table control
// bytes, 8 per group (matched with SSE2 on x86-64, SWAR elsewhere), entries stored inline. A full leaf doubles; at 1024 slots it splits in two by the
// next hash bit, and the directory doubles when the leaf was as deep as the directory. No
// rehash ever happens in place: growth, splitting and tombstone clean-up build fresh leaves
// and retire the old one, so entries never move inside a live leaf.
//
// Iteration (G1, G2). A pass visits the leaves in hash order, starting at the leaf that
// holds a random hash and wrapping around the 64-bit space back to it; inside each leaf it
// scans the slots from a random offset, wrapping around the leaf. Its position is the first
// hash of the leaf being scanned, which a split never invalidates: a split leaf's interval
// is exactly the union of its children's. If the leaf being scanned is retired meanwhile,
// the pass keeps scanning it, frozen, in its old order (the retired leaf kept copies of its
// keys because the pass pinned it) and looks each key up in the live map, yielding the
// current value or skipping the key if it is gone: Go 1.24's Iter does the same with
// grownKeyElem. So an entry present throughout is met once: in the frozen scan if its
// leaf was retired, else in the one live leaf that holds it, where it cannot move.
//
// What the API leaves out, and why:
//   - No bucket interface, no hint that means anything, no node handles (entries are
//     inline; extract/merge would copy).
//   - K must be copy-constructible (as every Go key is): a leaf retired under a live pass
//     keeps a copy of each key for the pass to follow.
//   - No allocator parameter: leaves outlive the map while a pass pins them, so they free
//     themselves through the global aligned operator new/delete.
//   - Iterators from find, insert, emplace and try_emplace are *positions*: they pin nothing
//     (find must stay as cheap as a flat map's), so growth that rebuilds their leaf
//     invalidates them, as rehashing invalidates std::unordered_map's. Using a stale
//     position is detected and ends the process with a message instead of undefined
//     behaviour. Advancing a position makes it a pass (it pins its leaf from then on), and
//     copies of pass iterators are passes: only passes survive growth (G1).
//
// Thread safety: like Go's map and the standard containers, const members (find, at,
// count, contains, begin/end and iteration) may run concurrently in several threads;
// anything else needs exclusive access, and violations are what G3 detects.
#pragma once

#include <syncmap/detail/config.hpp>

#include <syncmap/detail/control_bytes.hpp>
#include <syncmap/detail/go_map_checks.hpp>
#include <syncmap/detail/go_map_leaf.hpp>
#include <syncmap/detail/go_map_seed.hpp>
#include <syncmap/equal_to.hpp>
#include <syncmap/hash.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <memory>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

// 1 (default, as in Go): misuse detection on. 0: off. The two settings name different
// types (basic_go_map<..., true/false>), so translation units built with different settings
// can be linked into one program without violating the one-definition rule.
#ifndef SYNCMAP_GO_MAP_CHECKS
#define SYNCMAP_GO_MAP_CHECKS 1
#endif

namespace syncmap {

namespace detail {
// Declared, never defined here: a test may define it to reach a map's leaves and build the
// torn states racing writers leave behind (go_map_death_test).
template <class Map>
struct go_map_test_access;

template <class T>
inline constexpr bool is_std_pair = false;
template <class A, class B>
inline constexpr bool is_std_pair<std::pair<A, B>> = true;
}  // namespace detail

template <class K, class V, class Hash, class KeyEqual, bool Checked>
class basic_go_map {
    static_assert(std::is_copy_constructible_v<K>,
                  "go_map needs a copy-constructible key: a leaf retired under a live pass keeps copies of its "
                  "keys so the pass can finish it (G1)");

    // A key type the members also accept in place of K (hash.hpp).
    template <class Q>
    static constexpr bool heterogeneous = detail::heterogeneous_key<Q, K, Hash, KeyEqual>;

public:
    using key_type = K;
    using mapped_type = V;
    using value_type = std::pair<const K, V>;
    using size_type = std::size_t;
    using difference_type = std::ptrdiff_t;
    using hasher = Hash;
    using key_equal = KeyEqual;
    using reference = value_type&;
    using const_reference = const value_type&;
    using pointer = value_type*;
    using const_pointer = const value_type*;
    static constexpr bool checks_enabled = Checked;

    template <bool Const>
    class basic_iterator;
    using iterator = basic_iterator<false>;
    using const_iterator = basic_iterator<true>;

    // What an iterator is doing, for tests and debugging (see basic_iterator::debug_state).
    struct iterator_state {
        bool at_end = false;     // the pass is over (or a default/end iterator)
        bool pending = false;    // begin() not positioned yet: no slot examined (G4)
        bool pinned = false;     // a pass holding a reference on its leaf; false for a position
        bool following = false;  // its leaf has been split or rebuilt since it began scanning it
        std::uint64_t origin = 0;     // first hash of the pass; it ends when it wraps back here
        std::uint64_t position = 0;   // first hash of the leaf being scanned
        const void* leaf = nullptr;   // identity of that leaf (live or retired)
        unsigned local_depth = 0;     // it covers [position, position + 2^(64 - local_depth))
        std::uint32_t capacity = 0;   // its slots
        std::uint32_t slot_offset = 0;  // the pass scans slot (i + slot_offset) mod capacity at step i
        std::uint32_t scanned = 0;      // slots of the leaf examined so far
        std::uint32_t slot = 0;         // slot of the current entry (scanned - 1 + offset, wrapped)
    };

    struct structure_info {
        unsigned global_depth = 0;  // the directory has 2^global_depth entries
        std::size_t leaves = 0;
        unsigned max_local_depth = 0;
        std::size_t capacity = 0;   // slots over all leaves
        std::size_t entries = 0;    // full slots over all leaves (== size())
        std::size_t tombstones = 0;
        std::size_t max_probe_groups = 0;  // longest probe sequence of any entry, in groups
    };

    // -- construction ------------------------------------------------------------------

    // A random hash seed and a random iteration sequence (G2, H1).
    basic_go_map() : basic_go_map(detail::go_map_random(), detail::go_map_random(), false, Hash(), KeyEqual()) {}

    // A fixed seed fixes both the hash and the sequence of iteration orders: the same
    // operations on two maps with the same seed iterate identically (G2, for tests). A fixed
    // seed gives up the flooding defence of a secret one (H1).
    explicit basic_go_map(std::uint64_t seed, const Hash& hash = Hash(), const KeyEqual& equal = KeyEqual())
        : basic_go_map(seed, detail::mix64(seed ^ 0x6f72646572ULL), true, hash, equal) {}

    basic_go_map(std::initializer_list<value_type> init) : basic_go_map() { insert(init.begin(), init.end()); }

    template <std::input_iterator It>
    basic_go_map(It first, It last) : basic_go_map() {
        insert(first, last);
    }

    // Same seed and layout as `other`; a fresh iteration sequence unless `other` was seeded.
    basic_go_map(const basic_go_map& other)
        : basic_go_map(other.seed_, other.seeded_ ? detail::mix64(other.pass_rng_.load(std::memory_order_relaxed))
                                                  : detail::go_map_random(),
                       other.seeded_, other.hash_, other.eq_) {
        other.writing_.check_read();
        copy_leaves_from(other);
    }

    // Steals the leaves; `other` is left empty, and its passes end (as after clear()).
    basic_go_map(basic_go_map&& other) noexcept
        : seed_(other.seed_),
          seeded_(other.seeded_),
          pass_rng_(other.pass_rng_.load(std::memory_order_relaxed)),
          hash_(std::move(other.hash_)),
          eq_(std::move(other.eq_)) {
        take_leaves(other);
    }

    basic_go_map& operator=(const basic_go_map& other) {
        if (this != &other) {
            basic_go_map copy(other);
            *this = std::move(copy);
        }
        return *this;
    }

    // Passes over this map end at their next step (G1: as after clear()).
    basic_go_map& operator=(basic_go_map&& other) noexcept {
        if (this != &other) {
            detail::go_write_scope<Checked> scope(writing_);
            drop_leaves();
            seed_ = other.seed_;
            seeded_ = other.seeded_;
            pass_rng_.store(other.pass_rng_.load(std::memory_order_relaxed), std::memory_order_relaxed);
            hash_ = std::move(other.hash_);
            eq_ = std::move(other.eq_);
            take_leaves(other);
        }
        return *this;
    }

    basic_go_map& operator=(std::initializer_list<value_type> init) {
        clear();
        insert(init.begin(), init.end());
        return *this;
    }

    // Precondition: no pass of this map is advanced afterwards (destroying one is fine: a
    // leaf it pins outlives the map and is freed with the iterator).
    ~basic_go_map() { drop_leaves(); }

    // -- capacity ----------------------------------------------------------------------

    size_type size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    size_type max_size() const noexcept { return std::numeric_limits<difference_type>::max() / sizeof(value_type); }
    std::uint64_t seed() const noexcept { return seed_; }
    hasher hash_function() const { return hash_; }
    key_equal key_eq() const { return eq_; }

    // Makes room for `n` entries in total, so that inserting up to n does not rebuild a
    // leaf (with the seeded hash's even spread). Rebuilds leaves that are too small; passes
    // follow rebuilt leaves as after any growth (G1). Strong guarantee on the contents:
    // if it throws, some leaves may have been rebuilt, but the entries are unchanged.
    // O(size + n).
    void reserve(size_type n) {
        if (n > max_size()) {
            throw std::length_error("syncmap::go_map::reserve: n exceeds max_size()");
        }
        detail::go_write_scope<Checked> scope(writing_);
        reserve_leaves(n);
    }

    // -- iteration (G1, G2, G4) ----------------------------------------------------------

    // Starts a pass: O(1), allocates nothing (G4); the first entry is found lazily by the
    // first comparison, dereference or increment. The order is random per pass (G2).
    iterator begin() noexcept { return start_pass<false>(); }
    const_iterator begin() const noexcept { return start_pass<true>(); }
    const_iterator cbegin() const noexcept { return start_pass<true>(); }
    iterator end() noexcept { return iterator(); }
    const_iterator end() const noexcept { return const_iterator(); }
    const_iterator cend() const noexcept { return const_iterator(); }

    // -- lookup ---------------------------------------------------------------------------
    // O(1) expected; never allocate, never move anything; safe to call concurrently with
    // other const members. Each checks that no write is in progress (G3). find returns a
    // position (see the iterator notes below) or end().

    iterator find(const K& key) { return find_impl<false>(key); }
    const_iterator find(const K& key) const { return find_impl<true>(key); }
    template <class Q>
        requires heterogeneous<Q>
    iterator find(const Q& key) {
        return find_impl<false>(key);
    }
    template <class Q>
        requires heterogeneous<Q>
    const_iterator find(const Q& key) const {
        return find_impl<true>(key);
    }

    bool contains(const K& key) const { return find_slot(key) != nullptr; }
    template <class Q>
        requires heterogeneous<Q>
    bool contains(const Q& key) const {
        return find_slot(key) != nullptr;
    }
    size_type count(const K& key) const { return find_slot(key) != nullptr ? 1 : 0; }
    template <class Q>
        requires heterogeneous<Q>
    size_type count(const Q& key) const {
        return find_slot(key) != nullptr ? 1 : 0;
    }

    // Throws std::out_of_range if the key is absent.
    V& at(const K& key) { return at_impl(key); }
    const V& at(const K& key) const { return at_impl(key); }
    template <class Q>
        requires heterogeneous<Q>
    V& at(const Q& key) {
        return at_impl(key);
    }
    template <class Q>
        requires heterogeneous<Q>
    const V& at(const Q& key) const {
        return at_impl(key);
    }

    // -- insertion ------------------------------------------------------------------------
    // O(1) amortised. Each is a write (G3). Inserting may rebuild the leaf it lands in
    // (growth, split, tombstone clean-up): positions into that leaf become stale; passes
    // continue (G1). Assigning to an existing entry moves nothing. Strong guarantee: if the
    // hash, the key comparison, a copy/move of K or V, or an allocation throws, the map is
    // unchanged (values need a non-throwing move or a copy constructor for that, as in std).
    // The returned iterator is a position at the entry.

    // Go's m[k] = v: for a floating-point key already present, the key given replaces the
    // stored one too (equal is not identical: -0.0 over +0.0), as Go's mapassign does; so
    // does insert_or_assign. try_emplace, insert and emplace leave a present entry alone.
    V& operator[](const K& key) { return subscript_key(key).slot->second; }
    V& operator[](K&& key) { return subscript_key(std::move(key)).slot->second; }
    // Heterogeneous forms (a std::string_view for a std::string key, ...): K is built from
    // the argument only when the key is inserted.
    template <class Q>
        requires heterogeneous<Q>
    V& operator[](const Q& key) {
        return subscript_key(key).slot->second;
    }
    template <class Q, class... Args>
        requires heterogeneous<Q>
    std::pair<iterator, bool> try_emplace(const Q& key, Args&&... args) {
        return as_result(emplace_key(key, std::forward<Args>(args)...));
    }
    template <class Q, class M>
        requires heterogeneous<Q>
    std::pair<iterator, bool> insert_or_assign(const Q& key, M&& value) {
        return as_result(assign_key(key, std::forward<M>(value)));
    }

    template <class... Args>
    std::pair<iterator, bool> try_emplace(const K& key, Args&&... args) {
        return as_result(emplace_key(key, std::forward<Args>(args)...));
    }
    template <class... Args>
    std::pair<iterator, bool> try_emplace(K&& key, Args&&... args) {
        return as_result(emplace_key(std::move(key), std::forward<Args>(args)...));
    }
    template <class... Args>
    iterator try_emplace(const_iterator, const K& key, Args&&... args) {
        return try_emplace(key, std::forward<Args>(args)...).first;
    }
    template <class... Args>
    iterator try_emplace(const_iterator, K&& key, Args&&... args) {
        return try_emplace(std::move(key), std::forward<Args>(args)...).first;
    }

    template <class M>
    std::pair<iterator, bool> insert_or_assign(const K& key, M&& value) {
        return as_result(assign_key(key, std::forward<M>(value)));
    }
    template <class M>
    std::pair<iterator, bool> insert_or_assign(K&& key, M&& value) {
        return as_result(assign_key(std::move(key), std::forward<M>(value)));
    }
    template <class M>
    iterator insert_or_assign(const_iterator, const K& key, M&& value) {
        return insert_or_assign(key, std::forward<M>(value)).first;
    }
    template <class M>
    iterator insert_or_assign(const_iterator, K&& key, M&& value) {
        return insert_or_assign(std::move(key), std::forward<M>(value)).first;
    }

    std::pair<iterator, bool> insert(const value_type& value) { return try_emplace(value.first, value.second); }
    std::pair<iterator, bool> insert(value_type&& value) {
        return try_emplace(value.first, std::move(value.second));
    }
    template <class P>
        requires std::is_constructible_v<value_type, P&&>
    std::pair<iterator, bool> insert(P&& value) {
        return emplace(std::forward<P>(value));
    }
    iterator insert(const_iterator, const value_type& value) { return insert(value).first; }
    iterator insert(const_iterator, value_type&& value) { return insert(std::move(value)).first; }
    template <std::input_iterator It>
    void insert(It first, It last) {
        for (; first != last; ++first) {
            emplace(*first);
        }
    }
    void insert(std::initializer_list<value_type> init) { insert(init.begin(), init.end()); }

    // emplace(key, value args...) constructs in place; other argument forms build the pair
    // first, as std::unordered_map does, then move it in.
    template <class... Args>
    std::pair<iterator, bool> emplace(Args&&... args) {
        return as_result(emplace_pair(std::forward<Args>(args)...));
    }
    template <class... Args>
    iterator emplace_hint(const_iterator, Args&&... args) {
        return emplace(std::forward<Args>(args)...).first;
    }

    // -- erasure ------------------------------------------------------------------------
    // O(1) expected. A write (G3). Erasure never moves or frees anything else: positions
    // and passes stay valid (G1), except that the erased entry may no longer be
    // dereferenced.

    // Returns the number erased (0 or 1).
    size_type erase(const K& key) { return erase_key(key); }
    template <class Q>
        requires(heterogeneous<std::remove_cvref_t<Q>> && !std::is_convertible_v<Q, iterator> &&
                 !std::is_convertible_v<Q, const_iterator>)
    size_type erase(Q&& key) {
        return erase_key(key);
    }

    // Erases the entry at `pos` (which must be dereferenceable) and returns the iterator
    // after it in the same pass: a pass, valid under G1 whatever happens next.
    iterator erase(iterator pos) { return erase_at(const_iterator(std::move(pos))); }
    iterator erase(const_iterator pos) { return erase_at(std::move(pos)); }
    // Erases from `first` (advancing it as a pass) until it equals `last`.
    iterator erase(const_iterator first, const_iterator last) {
        while (first != last) {
            first = erase_at(std::move(first));
        }
        return to_mutable(std::move(first));
    }

    // Destroys every entry; keeps the leaves (as Go and std::unordered_map do). Passes end
    // at their next step (G1: a cleared map ends the iteration). O(capacity).
    void clear() noexcept {
        detail::go_write_scope<Checked> scope(writing_);
        if (dir_[0].node() != ops::sentinel()) {
            for_each_leaf([](leaf* l) { ops::reset(l); });
        }
        size_ = 0;
        ++clear_epoch_;
        ++layout_version_;
    }

    void swap(basic_go_map& other) noexcept {
        if (this == &other) {
            return;
        }
        detail::go_write_scope<Checked> scope(writing_);
        basic_go_map tmp(std::move(other));
        other.take_leaves_and_identity(*this);
        take_leaves_and_identity(tmp);
    }
    friend void swap(basic_go_map& a, basic_go_map& b) noexcept { a.swap(b); }

    // Same keys with equal values (V must be equality-comparable). O(size).
    friend bool operator==(const basic_go_map& a, const basic_go_map& b) {
        if (a.size() != b.size()) {
            return false;
        }
        bool equal = true;
        a.for_each_entry([&](const value_type& e) {
            const value_type* other = b.find_slot(e.first);
            if (other == nullptr || !(other->second == e.second)) {
                equal = false;
            }
        });
        return equal;
    }

    // Layout statistics for tests and the lab. O(size) (it rehashes every key).
    structure_info debug_structure() const {
        structure_info info;
        info.global_depth = global_depth_;
        if (dir_[0].node() == ops::sentinel()) {
            return info;
        }
        for_each_leaf([&](const leaf* l) {
            ++info.leaves;
            info.max_local_depth = std::max<unsigned>(info.max_local_depth, l->local_depth);
            info.capacity += l->capacity;
            info.entries += l->used;
            info.tombstones += detail::go_leaf_max_load(l->capacity) - l->used - l->growth_left;
            const unsigned char* base = ops::base(l);
            const std::uint64_t mask = l->groups() - 1;
            ops::for_each_full(l, [&](std::uint32_t s) {
                const std::uint64_t h = hash_of(ops::slot(base, s)->first);
                std::uint64_t g = h & mask;
                std::size_t groups = 1;
                for (std::uint64_t step = 1; g != s / detail::group_width; ++step, ++groups) {
                    if (step > mask) [[unlikely]] {
                        detail::go_map_fatal(detail::go_msg_read);
                    }
                    g = (g + step) & mask;
                }
                info.max_probe_groups = std::max(info.max_probe_groups, groups);
            });
        });
        return info;
    }

private:
    template <class>
    friend struct detail::go_map_test_access;
    using leaf = detail::go_leaf;
    using ops = detail::go_leaf_ops<value_type>;

    // One directory slot: what a lookup needs of the leaf covering it, its base (slot 0,
    // control words below) and group mask; 16 bytes, so the directory of a million-entry
    // map fits in L1 and find never touches a leaf header. Every slot in the
    // 2^(global_depth - local_depth) run that covers a leaf holds the same values.
    struct dir_entry {
        unsigned char* base;
        std::uint64_t group_mask;
        leaf* node() const noexcept { return ops::leaf_of(base, group_mask); }
    };

    struct slot_ref {
        value_type* slot;
        const dir_entry* where;  // the directory slot that led to it
        std::uint64_t hash;
        bool inserted;
    };

    basic_go_map(std::uint64_t seed, std::uint64_t pass_seed, bool seeded, const Hash& hash, const KeyEqual& equal)
        : seed_(seed), seeded_(seeded), pass_rng_(pass_seed), hash_(hash), eq_(equal) {
        reset_to_sentinel();
    }

    // -- hashing and probing ------------------------------------------------------------

    template <class Q>
    std::uint64_t hash_of(const Q& key) const {
        return detail::seeded_hash(hash_, key, seed_);
    }

    // The top global_depth bits (global_depth >= 1, so the shift is at most 63).
    std::size_t dir_index(std::uint64_t h) const noexcept { return static_cast<std::size_t>(h >> dir_shift_); }
    std::size_t dir_size() const noexcept { return std::size_t{1} << global_depth_; }

    static dir_entry entry_for(leaf* l) noexcept { return dir_entry{ops::base(l), l->groups() - std::uint64_t{1}}; }
    static dir_entry sentinel_entry() noexcept { return dir_entry{ops::sentinel_base(), 0}; }

    // Starts loading the slots of group g while its control word is read: a hit almost
    // always matches in its first group, so the slot's cache miss overlaps the control
    // word's instead of following it (measured +25% for hits at 1M entries; misses unchanged).
    static void prefetch_group(const value_type* group) noexcept {
        const auto* first = reinterpret_cast<const unsigned char*>(group);
        for (std::size_t off = 0; off < detail::group_width * sizeof(value_type) && off < 128; off += 64) {
            __builtin_prefetch(first + off);
        }
    }

    // Triangular probing over groups (visits every group once when their number is a power
    // of two); stops at the first group with an empty slot. A consistent leaf always has one
    // (load limit 7/8), so a probe that has visited every group without meeting one is
    // looking at a leaf a racing writer filled: it ends the process with `misuse` (G3).
    template <class Q>
    value_type* probe(const dir_entry& d, const Q& key, std::uint64_t h, const char* misuse) const {
        unsigned char* const base = d.base;
        const detail::go_h2_matcher match(detail::h2_of(h));
        std::uint64_t g = h & d.group_mask;
        for (std::uint64_t step = 1;; ++step) {
            value_type* const group = ops::slot(base, g * detail::group_width);
            prefetch_group(group);
            const std::uint64_t word = ops::ctrl(base, g);
            for (auto m = match(word); m; m.remove_lowest()) {
                value_type* s = group + m.lowest();
                if (eq_(s->first, key)) [[likely]] {
                    return s;
                }
            }
            if (detail::match_empty(word)) [[likely]] {
                return nullptr;
            }
            if (step > d.group_mask) [[unlikely]] {
                detail::go_map_fatal(misuse);
            }
            g = (g + step) & d.group_mask;
        }
    }

    template <class Q>
    value_type* lookup(const Q& key, std::uint64_t h, const char* misuse) const {
        return probe(dir_[dir_index(h)], key, h, misuse);
    }

    template <class Q>
    value_type* find_slot(const Q& key) const {
        writing_.check_read();
        return lookup(key, hash_of(key), detail::go_msg_read);
    }

    template <bool Const, class Q>
    basic_iterator<Const> find_impl(const Q& key) const {
        writing_.check_read();
        const std::uint64_t h = hash_of(key);
        const dir_entry& d = dir_[dir_index(h)];
        value_type* s = probe(d, key, h, detail::go_msg_read);
        if (s == nullptr) {
            return basic_iterator<Const>();
        }
        return position_at<Const>(s, d, h);
    }

    template <class Q>
    V& at_impl(const Q& key) const {
        value_type* s = find_slot(key);
        if (s == nullptr) {
            throw std::out_of_range("syncmap::go_map::at: key not found");
        }
        return s->second;
    }

    // -- iterators --------------------------------------------------------------------------

    template <bool Const>
    basic_iterator<Const> start_pass() const noexcept {
        basic_iterator<Const> it;
        if (size_ == 0) {
            return it;  // Go: a pass over an empty map yields nothing, whatever is inserted later
        }
        // Relaxed: the counter only has to hand distinct values to concurrent const passes.
        const std::uint64_t r = detail::mix64(pass_rng_.fetch_add(0x9e3779b97f4a7c15ULL, std::memory_order_relaxed));
        leaf* l = dir_[dir_index(r)].node();
        ops::pin(l);
        it.map_ = this;
        it.leaf_ = l;
        it.pinned_ = true;
        it.origin_ = l->prefix;
        it.position_ = l->prefix;
        it.offset_ = static_cast<std::uint32_t>(r);  // low bits; the leaf came from the top ones
        it.version_ = layout_version_;
        it.epoch_ = clear_epoch_;
        return it;
    }

    // A position: the entry at `s`, found through directory slot `d` with hash `h`.
    template <bool Const>
    basic_iterator<Const> position_at(value_type* s, const dir_entry& d, std::uint64_t h) const noexcept {
        basic_iterator<Const> it;
        it.map_ = this;
        it.leaf_ = d.node();
        it.entry_ = s;
        it.version_ = layout_version_;
        it.epoch_ = clear_epoch_;
        it.origin_ = h;    // an anchor inside the leaf until the position becomes a pass
        it.position_ = h;
        it.offset_ = ops::index_of(d.base, s);
        it.next_ = 1;
        return it;
    }

    std::pair<iterator, bool> as_result(const slot_ref& r) noexcept {
        return {position_at<false>(r.slot, *r.where, r.hash), r.inserted};
    }

    // Whether an unpinned position made at `version` still designates a live leaf: the leaf
    // the directory holds for its anchor hash is the same object, built no later than the
    // position (a newer leaf could reuse a freed one's address), and nothing was cleared.
    bool still_live(const leaf* l, std::uint64_t anchor, std::uint64_t version, std::uint64_t epoch) const noexcept {
        if (epoch != clear_epoch_) {
            return false;
        }
        const leaf* live = dir_[dir_index(anchor)].node();
        return live == l && live->born_version <= version;
    }

    // The live entry of slot `slot` of a retired leaf a pass is following, or null if it is
    // gone: a lookup of its key (Go's grownKeyElem), or, for a key not equal to itself
    // (NaN), which no lookup finds, the chain of forwards recorded when the leaf and its
    // successors were rebuilt (go_leaf::forwards). Go returns such an entry from its old
    // table instead; go_map's old tables gave their values away, and the entry stays
    // reachable for erase(it) this way.
    value_type* resolve_frozen(leaf* frozen, std::uint32_t slot) const {
        const K& key = ops::slot(ops::base(frozen), slot)->first;
        if (value_type* live = lookup(key, hash_of(key), detail::go_msg_iterate)) {
            return live;
        }
        leaf* l = frozen;
        std::uint32_t s = slot;
        while (l->forwards != nullptr && l->forwards[s].leaf != nullptr) {
            const detail::go_forward f = l->forwards[s];
            if (f.leaf->born_version <= l->born_version || f.slot >= f.leaf->capacity) [[unlikely]] {
                detail::go_map_fatal(detail::go_msg_iterate);  // forwards only lead to newer leaves
            }
            l = f.leaf;
            s = f.slot;
            if (!l->retired) {
                // Still there, unless erased since (through an iterator: nothing else reaches
                // it). A slot refilled since holds a new entry: yielded only if it is also a
                // key no lookup finds, which no other forward or lookup leads to.
                unsigned char* b = ops::base(l);
                if (detail::ctrl_at(ops::ctrl(b, s / detail::group_width), s % detail::group_width) >=
                    detail::ctrl_empty) {
                    return nullptr;
                }
                value_type* e = ops::slot(b, s);
                return eq_(e->first, e->first) ? nullptr : e;
            }
        }
        return nullptr;
    }

    static iterator to_mutable(const_iterator&& it) noexcept {
        iterator out;
        out.take(it);
        return out;
    }

    // -- insertion ---------------------------------------------------------------------

    // The one insertion path. Finds `key`; if absent, calls construct(slot) to build the
    // entry in place, else found(slot). The write flag (G3) is held from after hashing to
    // the end, as in Go. Strong guarantee: if construct, an allocation, the hash or the key
    // comparison throws, the map is unchanged.
    template <class Q, class Construct, class Found>
    slot_ref find_or_construct(const Q& key, Construct&& construct, Found&& found) {
        const std::uint64_t h = hash_of(key);
        detail::go_write_scope<Checked> scope(writing_);
        const std::uint8_t h2 = detail::h2_of(h);
        const detail::go_h2_matcher match(h2);
        for (unsigned grown = 0;; ++grown) {
            const dir_entry& d = dir_[dir_index(h)];
            unsigned char* const base = d.base;
            std::uint64_t g = h & d.group_mask;
            std::uint64_t target = ~std::uint64_t{0};
            std::uint64_t target_word = 0;  // the control word holding `target`, as read
            for (std::uint64_t step = 1;; ++step) {
                value_type* const group = ops::slot(base, g * detail::group_width);
                const std::uint64_t word = ops::ctrl(base, g);
                for (auto m = match(word); m; m.remove_lowest()) {
                    value_type* s = group + m.lowest();
                    if (eq_(s->first, key)) [[likely]] {
                        found(s);
                        return slot_ref{s, &d, h, false};
                    }
                }
                if (target == ~std::uint64_t{0}) {
                    // Go's choice: the first deleted or empty slot of the probe sequence.
                    if (const detail::slot_mask free = detail::match_empty_or_deleted(word)) {
                        target = g * detail::group_width + free.lowest();
                        target_word = word;
                    }
                }
                if (detail::match_empty(word)) [[likely]] {
                    break;
                }
                if (step > d.group_mask) [[unlikely]] {
                    detail::go_map_fatal(detail::go_msg_writes);  // no empty slot anywhere: see probe
                }
                g = (g + step) & d.group_mask;
            }
            leaf* node = d.node();
            const auto t = static_cast<std::uint32_t>(target);
            const unsigned lane = t % detail::group_width;
            const bool was_empty = detail::ctrl_at(target_word, lane) == detail::ctrl_empty;
            if (was_empty && node->growth_left == 0) [[unlikely]] {
                // One growth always makes room for the key (every rebuilt leaf has room for
                // its share plus one); needing more means a racing writer undid it.
                if (grown >= 2) [[unlikely]] {
                    detail::go_map_fatal(detail::go_msg_writes);
                }
                grow(node);  // retires `node`; look again in the new leaf
                continue;
            }
            value_type* s = ops::slot(base, t);
            construct(s);
            // A whole-word store: the next insertion into this group reads the word back,
            // and a byte store there would stall store-to-load forwarding.
            ops::ctrl(base, t / detail::group_width) = detail::with_ctrl(target_word, lane, h2);
            ++node->used;
            node->growth_left -= was_empty ? 1 : 0;
            ++size_;
            return slot_ref{s, &d, h, true};
        }
    }

    template <class KArg, class... Args>
    slot_ref emplace_key(KArg&& key, Args&&... args) {
        return find_or_construct(
            key,
            [&](value_type* s) {
                std::construct_at(s, std::piecewise_construct, std::forward_as_tuple(std::forward<KArg>(key)),
                                  std::forward_as_tuple(std::forward<Args>(args)...));
            },
            [](value_type*) {});
    }

    template <class KArg, class M>
    slot_ref assign_key(KArg&& key, M&& value) {
        return find_or_construct(
            key,
            [&](value_type* s) {
                std::construct_at(s, std::piecewise_construct, std::forward_as_tuple(std::forward<KArg>(key)),
                                  std::forward_as_tuple(std::forward<M>(value)));
            },
            [&](value_type* s) {
                s->second = std::forward<M>(value);
                replace_key(s, key);  // after the value: if assigning it throws, nothing changed
            });
    }

    template <class KArg>
    slot_ref subscript_key(KArg&& key) {
        return find_or_construct(
            key,
            [&](value_type* s) {
                std::construct_at(s, std::piecewise_construct, std::forward_as_tuple(std::forward<KArg>(key)),
                                  std::forward_as_tuple());
            },
            [&](value_type* s) { replace_key(s, key); });
    }

    // Go's key update on assignment (mapassign's needkeyupdate), for the keys where equal
    // does not mean identical under std::equal_to: floating point (+0.0 and -0.0). The hash
    // and control byte stay valid, since equal keys hash alike. Strings need no update
    // here: equal std::strings hold the same characters (Go updates them to share memory).
    template <class Q>
    static void replace_key(value_type* s, const Q& key) noexcept {
        if constexpr (std::is_floating_point_v<K> && std::is_same_v<Q, K>) {
            std::construct_at(const_cast<K*>(&s->first), key);
        }
    }

    template <class A, class B>
        requires std::is_same_v<std::remove_cvref_t<A>, K>
    slot_ref emplace_pair(A&& key, B&& value) {
        return emplace_key(std::forward<A>(key), std::forward<B>(value));
    }
    template <class P>
        requires detail::is_std_pair<std::remove_cvref_t<P>>
    slot_ref emplace_pair(P&& p) {
        return emplace_pair(std::get<0>(std::forward<P>(p)), std::get<1>(std::forward<P>(p)));
    }
    template <class... Args>
    slot_ref emplace_pair(Args&&... args) {
        std::pair<K, V> tmp(std::forward<Args>(args)...);
        return emplace_key(std::move(tmp.first), std::move(tmp.second));
    }

    // -- erasure ------------------------------------------------------------------------

    // Go's rule: a slot whose group still has an empty slot may become empty itself (no
    // probe sequence ever passed that group); otherwise it becomes a tombstone.
    void erase_slot(leaf* l, unsigned char* base, std::uint32_t index) noexcept {
        std::destroy_at(ops::slot(base, index));
        std::uint64_t& word = ops::ctrl(base, index / detail::group_width);
        if (detail::match_empty(word)) {
            word = detail::with_ctrl(word, index % detail::group_width, detail::ctrl_empty);
            ++l->growth_left;
        } else {
            word = detail::with_ctrl(word, index % detail::group_width, detail::ctrl_deleted);
        }
        --l->used;
        --size_;
    }

    template <class Q>
    size_type erase_key(const Q& key) {
        const std::uint64_t h = hash_of(key);
        detail::go_write_scope<Checked> scope(writing_);
        const dir_entry& d = dir_[dir_index(h)];
        value_type* s = probe(d, key, h, detail::go_msg_writes);
        if (s == nullptr) {
            return 0;
        }
        erase_slot(d.node(), d.base, ops::index_of(d.base, s));
        return 1;
    }

    iterator erase_at(const_iterator pos) {
        pos.sync();
        if (pos.entry_ == nullptr) {
            return iterator();  // erase(end()): nothing to erase
        }
        value_type* e = pos.entry_;
        if (pos.following_) {
            // A pass following a retired leaf holds an entry of some live leaf: find which.
            const std::uint64_t h = hash_of(e->first);
            detail::go_write_scope<Checked> scope(writing_);
            const dir_entry& d = dir_[dir_index(h)];
            erase_slot(d.node(), d.base, ops::index_of(d.base, e));
        } else {
            detail::go_write_scope<Checked> scope(writing_);
            unsigned char* base = ops::base(pos.leaf_);
            erase_slot(pos.leaf_, base, ops::index_of(base, e));
        }
        iterator next = to_mutable(std::move(pos));
        next.advance();
        return next;
    }

    // -- growth -------------------------------------------------------------------------

    // Owns freshly allocated leaves until they are installed; frees them (with no entries
    // left in them) if the rebuild fails. Room for two inline: growth and a split allocate
    // nothing else.
    class leaf_batch {
    public:
        leaf_batch() = default;
        leaf_batch(const leaf_batch&) = delete;
        leaf_batch& operator=(const leaf_batch&) = delete;
        ~leaf_batch() {
            for (std::size_t i = 0; i < size_; ++i) {
                ops::deallocate((*this)[i]);
            }
        }
        void reserve(std::size_t n) {
            if (n > inline_capacity) {
                heap_.reserve(n);
            }
        }
        // After reserve(): cannot throw.
        void add(leaf* l) {
            if (size_ < inline_capacity && heap_.empty()) {
                inline_[size_] = l;
            } else {
                if (heap_.empty()) {
                    heap_.assign(inline_, inline_ + size_);
                }
                heap_.push_back(l);
            }
            ++size_;
        }
        leaf* operator[](std::size_t i) const noexcept { return heap_.empty() ? inline_[i] : heap_[i]; }
        std::size_t size() const noexcept { return size_; }
        void release() noexcept { size_ = 0; }

    private:
        static constexpr std::size_t inline_capacity = 2;
        leaf* inline_[inline_capacity] = {};
        std::vector<leaf*> heap_;
        std::size_t size_ = 0;
    };

    static leaf* allocate_into(leaf_batch& batch, std::uint32_t capacity, unsigned depth, std::uint64_t prefix,
                               std::uint64_t born) {
        leaf* l = ops::allocate(capacity, depth, prefix, born);
        batch.add(l);
        return l;
    }

    // Writes one control byte. A byte store where bytes are laid out in slot order (little
    // endian), so that placing entries in a row is not a chain of word read-modify-writes.
    static void set_ctrl(leaf* l, std::uint32_t index, std::uint8_t ctrl) noexcept {
        std::uint64_t& word = ops::ctrl(ops::base(l), index / detail::group_width);
        if constexpr (std::endian::native == std::endian::little) {
            reinterpret_cast<unsigned char*>(&word)[index % detail::group_width] = ctrl;
        } else {
            word = detail::with_ctrl(word, index % detail::group_width, ctrl);
        }
    }

    static constexpr bool hash_nothrow = [] {
        if constexpr (detail::seeded_hasher<Hash, K>) {
            return noexcept(std::declval<const Hash&>()(std::declval<const K&>(), std::uint64_t{}));
        } else {
            return noexcept(std::declval<const Hash&>()(std::declval<const K&>()));
        }
    }();
    static constexpr bool value_nothrow_move = std::is_nothrow_move_constructible_v<V>;
    // Values move when that cannot throw, or when they cannot be copied at all.
    static constexpr bool move_values = value_nothrow_move || !std::is_copy_constructible_v<V>;

    // Grows the leaf that has no room left for an insertion.
    void grow(leaf* node) {
        if (node == ops::sentinel()) {
            install_fresh(0, detail::go_leaf_min_slots);
            return;
        }
        const std::uint32_t capacity = node->capacity;
        if (node->used < detail::go_leaf_max_load(capacity) / 2) {
            rebuild(node, 0, capacity, false);  // mostly tombstones: a fresh leaf of the same size
        } else if (capacity < detail::go_leaf_max_slots) {
            rebuild(node, 0, capacity * 2, false);
        } else {
            rebuild(node, 1, capacity, true);  // split (or grow, if the split would not separate keys)
        }
    }

    // Replaces the sentinel with 2^depth empty leaves of `capacity` slots.
    void install_fresh(unsigned depth, std::uint32_t capacity) {
        const std::size_t n = std::size_t{1} << depth;
        const unsigned dir_depth = std::max(depth, min_global_depth);
        std::unique_ptr<dir_entry[]> dir;
        if (dir_depth > min_global_depth) {
            dir.reset(new dir_entry[std::size_t{1} << dir_depth]);
        }
        leaf_batch batch;
        batch.reserve(n);
        const std::uint64_t born = layout_version_ + 1;
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint64_t prefix = depth == 0 ? 0 : static_cast<std::uint64_t>(i) << (64 - depth);
            allocate_into(batch, capacity, depth, prefix, born);
        }
        dir_entry* target = dir ? dir.get() : inline_dir_;
        const std::size_t span = std::size_t{1} << (dir_depth - depth);
        for (std::size_t i = 0; i < n; ++i) {
            std::fill_n(target + i * span, span, entry_for(batch[i]));
        }
        dir_ = dir ? dir.release() : inline_dir_;
        batch.release();
        global_depth_ = static_cast<std::uint8_t>(dir_depth);
        dir_shift_ = static_cast<std::uint8_t>(64 - dir_depth);
        ++layout_version_;
    }

    // A directory of 2^depth slots (depth > global_depth_) replicating the current one.
    std::unique_ptr<dir_entry[]> wider_directory(unsigned depth) const {
        const unsigned extra = depth - global_depth_;
        std::unique_ptr<dir_entry[]> dir(new dir_entry[std::size_t{1} << depth]);
        for (std::size_t i = 0, n = dir_size(); i < n; ++i) {
            std::fill_n(dir.get() + (i << extra), std::size_t{1} << extra, dir_[i]);
        }
        return dir;
    }

    void install_directory(std::unique_ptr<dir_entry[]> dir, unsigned depth) noexcept {
        if (dir_ != inline_dir_) {
            delete[] dir_;
        }
        dir_ = dir.release();
        global_depth_ = static_cast<std::uint8_t>(depth);
        dir_shift_ = static_cast<std::uint8_t>(64 - depth);
    }

    static std::size_t child_of(std::uint64_t h, unsigned depth, unsigned k) noexcept {
        return k == 0 ? 0 : static_cast<std::size_t>((h << depth) >> (64 - k));
    }

    // Rebuilds `old` into 2^k fresh leaves k levels deeper, each with at least
    // `min_capacity` slots and room for its share plus one, then retires `old`. With
    // `may_fall_back`, a split that would leave one child nearly full (keys whose hashes
    // agree on the next bit: a colliding user hash) grows the leaf instead.
    //
    // Strong guarantee: hashing, allocation and copying happen before anything is installed;
    // if they throw, moved values are moved back and the map is unchanged.
    void rebuild(leaf* old, unsigned k, std::uint32_t min_capacity, bool may_fall_back) {
        // `used` sizes everything below; more than the leaf's slots means racing writers.
        if (old->used > old->capacity) [[unlikely]] {
            detail::go_map_fatal(detail::go_msg_writes);
        }
        // A pinned leaf will be followed by a pass, which needs its keys: they are copied.
        const bool keep_keys = ops::pinned(old);
        // ... and where its NaN keys went, which it cannot look up (before any allocation:
        // the comparison may throw).
        std::unique_ptr<detail::go_forward[]> forwards = keep_keys ? irreflexive_slots(old) : nullptr;
        const bool nothrow_transfer = hash_nothrow && value_nothrow_move &&
                                      (keep_keys ? std::is_nothrow_copy_constructible_v<K>
                                                 : std::is_nothrow_move_constructible_v<K>);
        if (k == 0 && nothrow_transfer) {
            regrow(old, std::max(min_capacity, detail::go_leaf_capacity_for(old->used)), keep_keys,
                   std::move(forwards));
            return;
        }
        const unsigned depth = old->local_depth;
        unsigned char* const from = ops::base(old);
        const std::uint32_t n = old->used;

        // 1. Every entry's hash, in slot order. After an entry is placed its cell is reused
        //    to record where it went (child << 32 | slot), for the rollback. A leaf with
        //    more full slots than `used` (lost updates of racing writers) would overrun it.
        std::unique_ptr<std::uint64_t[]> cells(new std::uint64_t[n == 0 ? 1 : n]);
        {
            std::uint32_t i = 0;
            ops::for_each_full(old, [&](std::uint32_t s) {
                if (i == n) [[unlikely]] {
                    detail::go_map_fatal(detail::go_msg_writes);
                }
                cells[i++] = hash_of(ops::slot(from, s)->first);
            });
            if (i != n) [[unlikely]] {
                detail::go_map_fatal(detail::go_msg_writes);
            }
        }

        // 2. Split or grow.
        if (may_fall_back && k == 1) {
            std::uint32_t ones = 0;
            for (std::uint32_t i = 0; i < n; ++i) {
                ones += static_cast<std::uint32_t>((cells[i] >> (63 - depth)) & 1);
            }
            const std::uint32_t larger = std::max(ones, n - ones);
            if (depth + 1 > detail::go_max_depth || larger > detail::go_leaf_max_load(min_capacity) * 3 / 4) {
                k = 0;
                min_capacity = old->capacity * 2;
            }
        }
        const unsigned child_depth = depth + k;
        const std::size_t children = std::size_t{1} << k;
        std::vector<std::uint32_t> counts(children, 0);
        for (std::uint32_t i = 0; i < n; ++i) {
            ++counts[child_of(cells[i], depth, k)];
        }

        // 3. Allocate: a wider directory if the children are deeper than it, and the children.
        std::unique_ptr<dir_entry[]> wider;
        if (child_depth > global_depth_) {
            wider = wider_directory(child_depth);
        }
        leaf_batch batch;
        batch.reserve(children);
        const std::uint64_t born = layout_version_ + 1;
        for (std::size_t j = 0; j < children; ++j) {
            const std::uint64_t prefix =
                k == 0 ? old->prefix : old->prefix | (static_cast<std::uint64_t>(j) << (64 - child_depth));
            allocate_into(batch, std::max(min_capacity, detail::go_leaf_capacity_for(counts[j])), child_depth,
                          prefix, born);
        }

        // 4. Move or copy the entries across (the only step that may throw after allocating).
        transfer(old, cells.get(), n, batch, depth, k, keep_keys, forwards.get());
        for (std::size_t j = 0; j < children; ++j) {
            batch[j]->used = counts[j];
            batch[j]->growth_left -= counts[j];
        }

        // 5. Commit; nothing below throws.
        if (wider) {
            install_directory(std::move(wider), child_depth);
        }
        const std::size_t first = dir_index(old->prefix);
        const std::size_t span = std::size_t{1} << (global_depth_ - child_depth);
        for (std::size_t j = 0; j < children; ++j) {
            std::fill_n(dir_ + first + j * span, span, entry_for(batch[j]));
        }
        batch.release();
        retire(old, std::move(forwards));
    }

    // The common growth: one leaf into one bigger (or tombstone-free) leaf, when nothing can
    // throw after the allocation, in a single pass.
    void regrow(leaf* old, std::uint32_t capacity, bool keep_keys, std::unique_ptr<detail::go_forward[]> forwards) {
        leaf_batch batch;  // frees the new leaf if the filler's allocation throws
        leaf* fresh = allocate_into(batch, capacity, old->local_depth, old->prefix, layout_version_ + 1);
        leaf_filler filler(fresh);
        batch.release();
        unsigned char* const from = ops::base(old);
        unsigned char* const to = filler.base();
        std::uint32_t placed = 0;
        ops::for_each_full(old, [&](std::uint32_t s) {
            value_type& src = *ops::slot(from, s);
            const std::uint32_t t = filler.place(hash_of(src.first));
            place(ops::slot(to, t), src, !keep_keys);
            if (forwards && forwards[s].leaf != nullptr) {
                forwards[s] = {fresh, t};
            }
            ++placed;
        });
        if (placed != old->used) [[unlikely]] {
            detail::go_map_fatal(detail::go_msg_writes);  // lost updates of `used`: racing writers
        }
        fresh->used = old->used;
        fresh->growth_left -= old->used;
        const std::size_t first = dir_index(old->prefix);
        std::fill_n(dir_ + first, std::size_t{1} << (global_depth_ - old->local_depth), entry_for(fresh));
        retire(old, std::move(forwards));
    }

    // Keys that may not equal themselves: floating point, or anything under a user's
    // comparison. Integers, enums and pointers under std::equal_to always do.
    static constexpr bool keys_reflexive =
        (std::is_integral_v<K> || std::is_enum_v<K> || std::is_pointer_v<K>) &&
        (std::is_same_v<KeyEqual, std::equal_to<K>> || std::is_same_v<KeyEqual, std::equal_to<>>);

    // For a pinned leaf about to be rebuilt: a forward table marking (leaf = old) the slots
    // whose key is not equal to itself, or null if there is none (the common case).
    std::unique_ptr<detail::go_forward[]> irreflexive_slots(leaf* old) const {
        std::unique_ptr<detail::go_forward[]> forwards;
        if constexpr (!keys_reflexive) {
            const unsigned char* from = ops::base(old);
            ops::for_each_full(old, [&](std::uint32_t s) {
                const K& key = ops::slot(from, s)->first;
                if (!eq_(key, key)) {
                    if (!forwards) {
                        forwards.reset(new detail::go_forward[old->capacity]());
                    }
                    forwards[s].leaf = old;
                }
            });
        }
        return forwards;
    }

    // Builds a relocated copy of `src` at `dst`. Moving out of the const key of a slot
    // that is about to be retired is what Boost.Unordered's flat containers do as well.
    static void place(value_type* dst, value_type& src, bool move_key) {
        auto&& value = [&]() -> decltype(auto) {
            if constexpr (move_values) {
                return std::move(src.second);
            } else {
                return static_cast<const V&>(src.second);
            }
        }();
        if (move_key) {
            std::construct_at(dst, std::piecewise_construct, std::forward_as_tuple(std::move(const_cast<K&>(src.first))),
                              std::forward_as_tuple(std::forward<decltype(value)>(value)));
        } else {
            std::construct_at(dst, std::piecewise_construct, std::forward_as_tuple(src.first),
                              std::forward_as_tuple(std::forward<decltype(value)>(value)));
        }
    }

    void retire(leaf* old, std::unique_ptr<detail::go_forward[]> forwards = nullptr) noexcept {
        ++layout_version_;  // unpinned positions and passes notice the change (G1)
        old->retired = true;
        if (forwards) {
            // The leaves the NaN entries went to stay allocated while `old` does.
            for (std::uint32_t s = 0; s < old->capacity; ++s) {
                if (forwards[s].leaf != nullptr) {
                    ops::pin(forwards[s].leaf);
                }
            }
            old->forwards = forwards.release();
        }
        ops::release(old);  // freed now unless a pass pins it and will follow it
    }

    void transfer(leaf* old, std::uint64_t* cells, std::uint32_t n, leaf_batch& batch, unsigned depth, unsigned k,
                  bool keep_keys, detail::go_forward* forwards) {
        unsigned char* const from = ops::base(old);
        // Keys move only when nothing in the transfer can throw, so a rollback never has to
        // put a key back.
        const bool move_keys = !keep_keys && std::is_nothrow_move_constructible_v<K> && value_nothrow_move;
        std::vector<leaf_filler> fillers;
        fillers.reserve(batch.size());
        for (std::size_t j = 0; j < batch.size(); ++j) {
            fillers.emplace_back(batch[j]);
        }
        std::uint32_t done = 0;
        try {
            ops::for_each_full(old, [&](std::uint32_t s) {
                if (done == n) [[unlikely]] {
                    detail::go_map_fatal(detail::go_msg_writes);  // a slot filled since step 1
                }
                const std::uint64_t h = cells[done];
                const std::size_t j = child_of(h, depth, k);
                const std::uint32_t t = fillers[j].place(h);
                place(ops::slot(fillers[j].base(), t), *ops::slot(from, s), move_keys);
                if (forwards != nullptr && forwards[s].leaf != nullptr) {
                    forwards[s] = {batch[j], t};
                }
                cells[done] = (static_cast<std::uint64_t>(j) << 32) | t;
                ++done;
            });
        } catch (...) {
            std::uint32_t i = 0;
            ops::for_each_full(old, [&](std::uint32_t s) {
                if (i < done) {
                    leaf* dst = batch[static_cast<std::size_t>(cells[i] >> 32)];
                    value_type* d = ops::slot(ops::base(dst), static_cast<std::uint32_t>(cells[i]));
                    if constexpr (move_values && value_nothrow_move) {
                        value_type* src = ops::slot(from, s);
                        std::destroy_at(&src->second);
                        std::construct_at(&src->second, std::move(d->second));
                    }
                    std::destroy_at(d);
                    ++i;
                }
            });
            throw;
        }
    }

    // Places entries into a fresh leaf. A fresh leaf fills each group from its lowest slot,
    // so a group's first empty slot is its fill count: counting per group, instead of
    // reading back control words just written, keeps a rebuild free of store-to-load
    // stalls (small leaves have few groups, so consecutive entries often share one).
    class leaf_filler {
    public:
        explicit leaf_filler(leaf* l) : base_(ops::base(l)), mask_(l->groups() - 1) {
            if (l->groups() > inline_groups) {
                heap_.reset(new std::uint8_t[l->groups()]());
            }
        }
        // The slot for the next entry with hash `h`; marks it full. A leaf is sized for the
        // entries it receives, so every group full means the source held more entries than
        // it counted (racing writers): G3's fatal error, not an endless probe.
        std::uint32_t place(std::uint64_t h) noexcept {
            std::uint8_t* fill = heap_ ? heap_.get() : inline_;
            std::uint64_t g = h & mask_;
            for (std::uint64_t step = 1; fill[g] == detail::group_width; ++step) {
                if (step > mask_) [[unlikely]] {
                    detail::go_map_fatal(detail::go_msg_writes);
                }
                g = (g + step) & mask_;
            }
            const unsigned lane = fill[g]++;
            std::uint64_t& word = ops::ctrl(base_, g);
            if constexpr (std::endian::native == std::endian::little) {
                reinterpret_cast<unsigned char*>(&word)[lane] = detail::h2_of(h);
            } else {
                word = detail::with_ctrl(word, lane, detail::h2_of(h));
            }
            return static_cast<std::uint32_t>(g * detail::group_width + lane);
        }
        unsigned char* base() const noexcept { return base_; }

    private:
        static constexpr std::size_t inline_groups = detail::go_leaf_max_slots / detail::group_width;
        unsigned char* base_;
        std::uint64_t mask_;
        std::uint8_t inline_[inline_groups] = {};
        std::unique_ptr<std::uint8_t[]> heap_;  // leaves past the usual maximum (colliding hashes)
    };

    void reserve_leaves(size_type n) {
        // Target: one leaf sized for n, or leaves of the largest size filled to ~3/4 of their
        // load limit on average, so that the seeded hash's spread leaves margin in each.
        constexpr std::size_t per_leaf = detail::go_leaf_max_load(detail::go_leaf_max_slots) * 3 / 4;
        unsigned depth = 0;
        std::uint32_t capacity = detail::go_leaf_max_slots;
        if (n < detail::go_leaf_max_load(detail::go_leaf_max_slots)) {
            capacity = detail::go_leaf_capacity_for(n > 0 ? n - 1 : 0);
        } else {
            while (depth < detail::go_max_depth && (std::size_t{1} << depth) * per_leaf < n) {
                ++depth;
            }
        }
        if (dir_[0].node() == ops::sentinel()) {
            if (n > 0) {
                install_fresh(depth, capacity);
            }
            return;
        }
        if (depth > global_depth_) {
            install_directory(wider_directory(depth), depth);
        }
        std::uint64_t pos = 0;
        do {
            leaf* l = dir_[dir_index(pos)].node();
            if (l->prefix != pos) [[unlikely]] {
                detail::go_map_fatal(detail::go_msg_writes);  // not a leaf boundary: the walk would not end
            }
            const std::uint64_t next = l->interval_end();
            if (l->local_depth < depth || l->capacity < capacity) {
                const unsigned k = l->local_depth < depth ? depth - l->local_depth : 0;
                rebuild(l, k, std::max(capacity, l->capacity), false);
            }
            pos = next;
        } while (pos != 0);
    }

    // -- whole-map helpers ------------------------------------------------------------

    // Calls f(leaf*) once per live leaf, in hash order. f must not change the directory.
    template <class F>
    void for_each_leaf(F&& f) const {
        for (std::size_t i = 0, n = dir_size(); i < n;) {
            leaf* l = dir_[i].node();
            i += std::size_t{1} << (global_depth_ - l->local_depth);
            f(l);
        }
    }

    template <class F>
    void for_each_entry(F&& f) const {
        if (dir_[0].node() == ops::sentinel()) {
            return;
        }
        for_each_leaf([&](leaf* l) {
            unsigned char* base = ops::base(l);
            ops::for_each_full(l, [&](std::uint32_t s) { f(*ops::slot(base, s)); });
        });
    }

    void reset_to_sentinel() noexcept {
        std::fill_n(inline_dir_, 2, sentinel_entry());
        dir_ = inline_dir_;
        global_depth_ = min_global_depth;
        dir_shift_ = 64 - min_global_depth;
        size_ = 0;
    }

    // Destroys all entries and lets go of every leaf (a leaf still pinned by a pass lives on,
    // empty and retired, until the pass lets go; that pass ends at its next step).
    void drop_leaves() noexcept {
        if (dir_[0].node() != ops::sentinel()) {
            for_each_leaf([](leaf* l) {
                if (ops::pinned(l)) {
                    ops::reset(l);
                    l->retired = true;
                }
                ops::release(l);
            });
        }
        if (dir_ != inline_dir_) {
            delete[] dir_;
        }
        reset_to_sentinel();
        ++clear_epoch_;
        ++layout_version_;
    }

    // Takes `other`'s leaves and directory; `other` becomes empty and its passes end.
    void take_leaves(basic_go_map& other) noexcept {
        if (other.dir_ == other.inline_dir_) {
            std::copy_n(other.inline_dir_, 2, inline_dir_);
            dir_ = inline_dir_;
        } else {
            dir_ = other.dir_;
        }
        global_depth_ = other.global_depth_;
        dir_shift_ = other.dir_shift_;
        size_ = other.size_;
        // Versions only grow, so leaves built here later are born after every leaf taken.
        layout_version_ = std::max(layout_version_, other.layout_version_) + 1;
        ++clear_epoch_;
        other.reset_to_sentinel();
        ++other.clear_epoch_;
        ++other.layout_version_;
    }

    void take_leaves_and_identity(basic_go_map& other) noexcept {
        seed_ = other.seed_;
        seeded_ = other.seeded_;
        pass_rng_.store(other.pass_rng_.load(std::memory_order_relaxed), std::memory_order_relaxed);
        hash_ = std::move(other.hash_);
        eq_ = std::move(other.eq_);
        take_leaves(other);
    }

    // Copies `other`'s leaves as they are (same seed, so the same slots). Strong guarantee.
    void copy_leaves_from(const basic_go_map& other) {
        if (other.size_ == 0) {
            return;
        }
        const unsigned depth = other.global_depth_;
        std::unique_ptr<dir_entry[]> dir;
        dir_entry staged[2];  // the inline directory's contents, installed on success
        if (depth > min_global_depth) {
            dir.reset(new dir_entry[std::size_t{1} << depth]);
        }
        dir_entry* target = dir ? dir.get() : staged;
        leaf_batch batch;
        batch.reserve(other.dir_size());
        const std::uint64_t born = layout_version_ + 1;
        try {
            std::size_t i = 0;
            other.for_each_leaf([&](const leaf* src) {
                leaf* l = allocate_into(batch, src->capacity, src->local_depth, src->prefix, born);
                unsigned char* to = ops::base(l);
                const unsigned char* in = ops::base(src);
                ops::for_each_full(src, [&](std::uint32_t s) {
                    std::construct_at(ops::slot(to, s), *ops::slot(in, s));
                    set_ctrl(l, s, detail::ctrl_at(ops::ctrl(in, s / detail::group_width), s % detail::group_width));
                });
                // Same control words, tombstones included: probe sequences pass through them.
                for (std::uint32_t g = 0, n = src->groups(); g < n; ++g) {
                    ops::ctrl(to, g) = ops::ctrl(in, g);
                }
                l->used = src->used;
                l->growth_left = src->growth_left;
                const std::size_t span = std::size_t{1} << (depth - src->local_depth);
                if (src->local_depth > depth || i + span > (std::size_t{1} << depth)) [[unlikely]] {
                    detail::go_map_fatal(detail::go_msg_read);
                }
                std::fill_n(target + i, span, entry_for(l));
                i += span;
            });
        } catch (...) {
            for (std::size_t j = 0; j < batch.size(); ++j) {
                ops::destroy_entries(batch[j]);
            }
            throw;
        }
        if (dir) {
            dir_ = dir.release();
        } else {
            std::copy_n(staged, 2, inline_dir_);
            dir_ = inline_dir_;
        }
        batch.release();
        global_depth_ = static_cast<std::uint8_t>(depth);
        dir_shift_ = static_cast<std::uint8_t>(64 - depth);
        size_ = other.size_;
        ++layout_version_;
    }

    // -- state ----------------------------------------------------------------------------
    // The first cache line holds everything a lookup reads: dir_, seed_, dir_shift_ and
    // the write flag; for a map of one leaf, inline_dir_ as well.

    // The directory never has fewer than two slots (a single shift indexes it); a map of one
    // leaf has local depth 0 and fills both.
    static constexpr unsigned min_global_depth = 1;

    // 2^global_depth_ slots: inline_dir_ while global_depth_ == 1 (no allocation for small
    // maps), a heap array otherwise. Doubled by copying; never shrinks.
    dir_entry* dir_ = nullptr;
    std::uint64_t seed_;         // hash seed: fixed for the map's lifetime (H1)
    std::uint8_t dir_shift_ = 64 - min_global_depth;  // 64 - global_depth_ (see dir_index)
    std::uint8_t global_depth_ = min_global_depth;
    [[no_unique_address]] detail::go_write_flag<Checked> writing_;  // G3
    bool seeded_ = false;        // constructed with a fixed seed (copies keep the sequence)
    size_type size_ = 0;
    // Bumped whenever a leaf is retired or the map is cleared or replaced: the one number a
    // pass compares on each step to learn whether anything moved (G1).
    std::uint64_t layout_version_ = 0;
    // Bumped by clear, assignment, swap and move: passes started before end (G1).
    std::uint64_t clear_epoch_ = 0;
    dir_entry inline_dir_[2] = {};
    // Source of each pass's random start (G2): a Weyl sequence, mixed per pass.
    mutable std::atomic<std::uint64_t> pass_rng_;
    [[no_unique_address]] Hash hash_;
    [[no_unique_address]] KeyEqual eq_;

public:
    // An iterator is either a *pass* (from begin(), a copy of a pass, or any iterator that
    // has been advanced) or a *position* (from find/insert/emplace/try_emplace, never
    // advanced). A pass survives any mutation (G1); a position pins nothing and is
    // invalidated when growth rebuilds its leaf, which is detected.
    //
    // Its state, in the manner of Go's hiter/Iter (readable through debug_state()):
    //   map_       the map (passes of a destroyed map may only be destroyed)
    //   leaf_      the leaf being scanned; a pass holds a reference on it (pinned_), so it
    //              stays allocated after being split or rebuilt (retired)
    //   origin_    first hash of the pass: the prefix of the leaf it started in (for a
    //              position, the anchor hash of its entry until it becomes a pass)
    //   position_  first hash of leaf_'s interval (a position: its entry's hash). Leaves
    //              only ever split, so this stays a leaf boundary: the next leaf is the one
    //              holding leaf_'s interval end, and the pass ends when that is origin_
    //   offset_    random slot offset: step i of a leaf's scan examines slot
    //              (i + offset_) mod capacity (G2)
    //   next_      slots of leaf_ examined so far; the current entry's slot is
    //              (next_ - 1 + offset_) mod capacity
    //   following_ leaf_ has been retired since the scan began: keys come from its frozen
    //              slots, entries and values from a lookup in the live map (Go's
    //              grownKeyElem)
    //   entry_     the current entry in the live map; null before the first step (a fresh
    //              begin(), G4) and at the end
    //   version_   the map's layout version when entry_ was last confirmed; a mismatch
    //              sends the next access through the slow path that re-resolves it
    //   epoch_     the map's clear epoch at the start; if it changes the pass ends
    template <bool Const>
    class basic_iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using iterator_concept = std::forward_iterator_tag;
        using value_type = basic_go_map::value_type;
        using difference_type = std::ptrdiff_t;
        using reference = std::conditional_t<Const, const value_type&, value_type&>;
        using pointer = std::conditional_t<Const, const value_type*, value_type*>;

        basic_iterator() noexcept = default;

        // Copying a pass makes another pass (it pins the same leaf; one relaxed increment).
        basic_iterator(const basic_iterator& other) noexcept { copy_from(other); }
        basic_iterator(basic_iterator&& other) noexcept { take(other); }
        template <bool C = Const>
            requires C
        basic_iterator(const basic_iterator<false>& other) noexcept {
            copy_from(other);
        }
        template <bool C = Const>
            requires C
        basic_iterator(basic_iterator<false>&& other) noexcept {
            take(other);
        }
        basic_iterator& operator=(const basic_iterator& other) noexcept {
            if (this != &other) {
                basic_iterator copy(other);
                unpin();
                take(copy);
            }
            return *this;
        }
        basic_iterator& operator=(basic_iterator&& other) noexcept {
            if (this != &other) {
                unpin();
                take(other);
            }
            return *this;
        }
        ~basic_iterator() { unpin(); }

        // Precondition: dereferenceable (not end, current entry not erased since).
        [[gnu::always_inline]] inline reference operator*() const {
            sync();
            return *entry_;
        }
        [[gnu::always_inline]] inline pointer operator->() const {
            sync();
            return entry_;
        }

        // One step of the pass (G1). Checks that no write is in progress (G3). Amortised
        // O(capacity / size); never allocates.
        basic_iterator& operator++() {
            if (leaf_ != nullptr && entry_ == nullptr) {
                advance();  // a fresh pass: first reach its first entry
            }
            if (leaf_ != nullptr) {
                advance();
            }
            return *this;
        }
        basic_iterator operator++(int) {
            basic_iterator old(*this);
            ++*this;
            return old;
        }

        // Equal when both are at the end or at the same entry.
        template <bool C>
        [[gnu::always_inline]] inline bool operator==(const basic_iterator<C>& other) const {
            sync();
            other.sync();
            return entry_ == other.entry_;
        }

        // The documented state above, without moving the iterator.
        iterator_state debug_state() const noexcept {
            iterator_state s;
            if (leaf_ == nullptr) {
                s.at_end = true;
                return s;
            }
            s.pending = entry_ == nullptr;
            s.pinned = pinned_;
            s.origin = origin_;
            s.position = position_;
            s.leaf = leaf_;
            s.slot_offset = offset_;
            s.scanned = next_;
            if (pinned_ || map_->still_live(leaf_, position_, version_, epoch_)) {
                s.local_depth = leaf_->local_depth;
                s.capacity = leaf_->capacity;
                s.following = leaf_->retired;
                s.slot = next_ == 0 ? 0 : (next_ - 1 + offset_) & (leaf_->capacity - 1);
            }
            return s;
        }

    private:
        friend class basic_go_map;
        template <bool>
        friend class basic_iterator;

        template <bool C>
        void copy_from(const basic_iterator<C>& o) noexcept {
            map_ = o.map_;
            leaf_ = o.leaf_;
            entry_ = o.entry_;
            version_ = o.version_;
            epoch_ = o.epoch_;
            origin_ = o.origin_;
            position_ = o.position_;
            offset_ = o.offset_;
            next_ = o.next_;
            pinned_ = o.pinned_;
            following_ = o.following_;
            if (pinned_) {
                ops::pin(leaf_);
            }
        }
        template <bool C>
        void take(basic_iterator<C>& o) noexcept {
            map_ = o.map_;
            leaf_ = o.leaf_;
            entry_ = o.entry_;
            version_ = o.version_;
            epoch_ = o.epoch_;
            origin_ = o.origin_;
            position_ = o.position_;
            offset_ = o.offset_;
            next_ = o.next_;
            pinned_ = o.pinned_;
            following_ = o.following_;
            o.pinned_ = false;
            o.leaf_ = nullptr;
            o.entry_ = nullptr;
        }
        void unpin() const noexcept {
            if (pinned_) {
                pinned_ = false;
                ops::release(leaf_);
            }
        }
        void finish() const noexcept {
            unpin();
            leaf_ = nullptr;
            entry_ = nullptr;
        }
        [[noreturn]] static void stale() noexcept {
            detail::go_map_fatal(
                "go_map: iterator used after the map grew: an iterator from find/insert/emplace/try_emplace "
                "is a position, invalidated when its leaf is rebuilt; only a pass (begin(), or an iterator "
                "already advanced) survives growth (G1)");
        }

        // Brings entry_ up to date (lazy first step of a pass, or after the layout changed).
        // Always inlined: on the fast path it is two compares that the compiler folds away
        // for end() and for a position just returned by find.
        [[gnu::always_inline]] inline void sync() const {
            if (entry_ != nullptr) {
                if (version_ != map_->layout_version_) [[unlikely]] {
                    refresh();
                }
            } else if (leaf_ != nullptr) [[unlikely]] {
                first_step();
            }
        }

        [[gnu::noinline]] void first_step() const { advance(); }

        [[gnu::noinline]] void refresh() const {
            if (!pinned_) {
                if (!map_->still_live(leaf_, position_, version_, epoch_)) {
                    stale();
                }
                version_ = map_->layout_version_;  // live leaf: the entry has not moved
                return;
            }
            if (!catch_up()) {
                return;  // cleared: the pass is over
            }
            if (following_) {
                const std::uint32_t slot = (next_ - 1 + offset_) & (leaf_->capacity - 1);
                value_type* live = map_->resolve_frozen(leaf_, slot);
                // If the entry was erased meanwhile, dereferencing is a precondition
                // violation; keep a non-null entry so the pass does not look finished.
                entry_ = live != nullptr ? live : ops::slot(ops::base(leaf_), slot);
            }
        }

        // A pass saw the layout version change: end if the map was cleared, else note
        // whether leaf_ has been retired.
        bool catch_up() const noexcept {
            if (epoch_ != map_->clear_epoch_) {
                finish();
                return false;
            }
            following_ = leaf_->retired;
            version_ = map_->layout_version_;
            return true;
        }

        // A position becomes a pass: validate it, pin its leaf, and start the pass there
        // (its first leaf is scanned from the entry's slot round to it).
        void adopt() const {
            if (!map_->still_live(leaf_, position_, version_, epoch_)) {
                stale();
            }
            ops::pin(leaf_);
            pinned_ = true;
            origin_ = leaf_->prefix;
            position_ = leaf_->prefix;
            following_ = false;
            version_ = map_->layout_version_;
        }

        // Go's Iter.Next: the next entry of the pass, or the end.
        void advance() const {
            map_->writing_.check_iterate();
            if (!pinned_) [[unlikely]] {
                adopt();
            } else if (version_ != map_->layout_version_) [[unlikely]] {
                if (!catch_up()) {
                    return;
                }
            }
            while (!scan_leaf()) {
                if (!next_leaf()) {
                    return;
                }
            }
        }

        // Scans the rest of leaf_ for a full slot; sets entry_ and returns true if found.
        bool scan_leaf() const {
            unsigned char* const base = ops::base(leaf_);
            const std::uint32_t capacity = leaf_->capacity;
            const std::uint32_t mask = capacity - 1;
            while (next_ < capacity) {
                const std::uint32_t real = (next_ + offset_) & mask;
                const std::uint32_t lane = real % detail::group_width;
                const std::uint32_t remaining = capacity - next_;
                // Full slots at or after `lane` in this group, lane-relative; cut at the
                // scan's end (a scan from a random offset ends inside its first group).
                std::uint64_t full = detail::match_full(ops::ctrl(base, real / detail::group_width)).bits() >> (lane * 8);
                if (remaining < detail::group_width - lane) {
                    full &= (std::uint64_t{1} << (remaining * 8)) - 1;
                }
                if (full == 0) {
                    next_ += std::min(detail::group_width - lane, remaining);
                    continue;
                }
                const std::uint32_t step = static_cast<std::uint32_t>(std::countr_zero(full)) >> 3;
                next_ += step + 1;
                value_type* s = ops::slot(base, real + step);
                // The scan wraps round the leaf from a random slot and leaves are 16 KB
                // apart, too short a stream for the hardware prefetcher to lock on:
                // fetching 32 slots ahead measured +20% (u64) and +50% (string keys) for
                // a pass over 1M entries, and nothing lost at 1K.
                __builtin_prefetch(ops::slot(base, (real + 32) & mask));
                if (!following_) [[likely]] {
                    entry_ = s;
                    return true;
                }
                // Following a retired leaf: its slot order decides which keys remain, the
                // live map decides whether each still exists and with which value.
                if (value_type* live = map_->resolve_frozen(leaf_, real + step)) {
                    entry_ = live;
                    return true;
                }
            }
            return false;
        }

        // Moves to the live leaf holding the end of leaf_'s interval, or ends the pass.
        // Leaves only split, so that leaf starts exactly there and ends further on (or at
        // origin_): each step advances round the hash space, and the walk ends. A leaf that
        // breaks this was torn by a racing writer, and the walk might never end (G3).
        bool next_leaf() const noexcept {
            const std::uint64_t next = leaf_->interval_end();
            if (next == origin_) {
                finish();
                return false;
            }
            leaf* l = map_->dir_[map_->dir_index(next)].node();
            const std::uint64_t end = l->interval_end();
            if (l->prefix != next || (end != origin_ && end - origin_ <= next - origin_)) [[unlikely]] {
                detail::go_map_fatal(detail::go_msg_iterate);
            }
            ops::pin(l);
            ops::release(leaf_);
            leaf_ = l;
            position_ = next;
            next_ = 0;
            following_ = false;
            return true;
        }

        // Mutable: a fresh pass positions itself lazily, inside const comparisons and
        // dereferences (G4); an iterator is never shared between threads.
        const basic_go_map* map_ = nullptr;
        mutable leaf* leaf_ = nullptr;
        mutable basic_go_map::value_type* entry_ = nullptr;
        mutable std::uint64_t version_ = 0;
        std::uint64_t epoch_ = 0;
        mutable std::uint64_t origin_ = 0;
        mutable std::uint64_t position_ = 0;
        std::uint32_t offset_ = 0;
        mutable std::uint32_t next_ = 0;
        mutable bool pinned_ = false;
        mutable bool following_ = false;
    };
};

// go_map: checked or not according to SYNCMAP_GO_MAP_CHECKS in this translation unit. The
// inline namespace keeps the two spellings distinct entities across translation units.
#if SYNCMAP_GO_MAP_CHECKS
inline namespace go_map_checked {
#else
inline namespace go_map_unchecked {
#endif
template <class K, class V, class Hash = syncmap::hash<K>, class KeyEqual = syncmap::equal_to<K>>
using go_map = basic_go_map<K, V, Hash, KeyEqual, (SYNCMAP_GO_MAP_CHECKS != 0)>;
}

}  // namespace syncmap
