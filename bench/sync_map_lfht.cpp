// bench/sync_map_lfht.cpp - the cds_lfht peer (liburcu's lock-free resizable hash table).
//
// The only translation unit of the benchmarks that includes liburcu's own headers: they
// define object-like macros (rcu_barrier, call_rcu, rcu_read_lock, ...) that would rewrite
// syncmap::detail names, so no syncmap header may be included here. peers.hpp goes first,
// before any liburcu macro exists.
//
// Flavour: urcu-bp. Its threads register themselves on their first read-side section, so
// benchmark threads need no extra call, and its registry is separate from the urcu-memb one
// that syncmap uses (registering one thread twice with the same flavour is an error).
// _LGPL_SOURCE inlines the read-side lock and unlock, as liburcu recommends for speed.
#include "peers.hpp"

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

#define _LGPL_SOURCE
#include <urcu/urcu-bp.h>
#include <urcu/rculfhash.h>

namespace syncmap_bench {
namespace {

// One entry: the table's link first, so a node pointer converts back by a cast.
struct lfht_entry {
    cds_lfht_node link;
    std::uint64_t key;
    std::uint64_t value;
    rcu_head rcu;  // for the deferred free after removal
};
static_assert(offsetof(lfht_entry, link) == 0, "entry_of() casts from the link");

lfht_entry* entry_of(cds_lfht_node* n) noexcept { return reinterpret_cast<lfht_entry*>(n); }

lfht_entry* entry_of(rcu_head* h) noexcept {
    return reinterpret_cast<lfht_entry*>(reinterpret_cast<char*>(h) - offsetof(lfht_entry, rcu));
}

void free_entry(rcu_head* h) { delete entry_of(h); }

int match_key(cds_lfht_node* n, const void* key) {
    return entry_of(n)->key == *static_cast<const std::uint64_t*>(key);
}

// lfht orders by the bit-reversed hash and indexes buckets by its low bits: every bit
// must be mixed. Same finaliser family as splitmix64.
unsigned long hash_of(std::uint64_t key, std::uint64_t seed) noexcept {
    std::uint64_t z = key ^ seed;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return static_cast<unsigned long>(z ^ (z >> 31));
}

unsigned long power_of_two_at_least(std::size_t n) noexcept {
    unsigned long p = 1;
    while (p < n) p <<= 1;
    return p;
}

// RAII for one read-side critical section.
struct read_section {
    read_section() noexcept { urcu_bp_read_lock(); }
    ~read_section() { urcu_bp_read_unlock(); }
    read_section(const read_section&) = delete;
    read_section& operator=(const read_section&) = delete;
};

}  // namespace

lfht_map::lfht_map(std::size_t expected_entries)
    : table_(cds_lfht_new_flavor(power_of_two_at_least(expected_entries), 1, 0,
                                 CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, &urcu_bp_flavor, nullptr)),
      seed_(0x452821e638d01377ULL) {
    if (table_ == nullptr) throw std::bad_alloc();
}

lfht_map::~lfht_map() {
    // cds_lfht_destroy requires an empty table. Unlink everything (deleting the node an
    // iterator stands on is allowed), wait for readers, then free directly.
    std::vector<lfht_entry*> removed;
    {
        read_section section;
        cds_lfht_iter it;
        for (cds_lfht_first(table_, &it); cds_lfht_node* n = cds_lfht_iter_get_node(&it); cds_lfht_next(table_, &it)) {
            if (cds_lfht_del(table_, n) == 0) removed.push_back(entry_of(n));
        }
    }
    urcu_bp_synchronize_rcu();
    for (lfht_entry* e : removed) delete e;
    cds_lfht_destroy(table_, nullptr);
}

bool lfht_map::load(std::uint64_t key, std::uint64_t& value) const {
    read_section section;
    cds_lfht_iter it;
    cds_lfht_lookup(table_, hash_of(key, seed_), match_key, &key, &it);
    cds_lfht_node* n = cds_lfht_iter_get_node(&it);
    if (n == nullptr) return false;
    value = entry_of(n)->value;
    return true;
}

void lfht_map::store(std::uint64_t key, std::uint64_t value) {
    auto* e = new lfht_entry;
    cds_lfht_node_init(&e->link);
    e->key = key;
    e->value = value;
    cds_lfht_node* old;
    {
        read_section section;
        old = cds_lfht_add_replace(table_, hash_of(key, seed_), match_key, &key, &e->link);
    }
    if (old != nullptr) urcu_bp_call_rcu(&entry_of(old)->rcu, free_entry);
}

bool lfht_map::erase(std::uint64_t key) {
    cds_lfht_node* n;
    {
        read_section section;
        cds_lfht_iter it;
        cds_lfht_lookup(table_, hash_of(key, seed_), match_key, &key, &it);
        n = cds_lfht_iter_get_node(&it);
        // del fails if a concurrent erase or replace removed the node first.
        if (n == nullptr || cds_lfht_del(table_, n) != 0) return false;
    }
    urcu_bp_call_rcu(&entry_of(n)->rcu, free_entry);
    return true;
}

std::uint64_t lfht_map::range_sum() const {
    read_section section;
    std::uint64_t sum = 0;
    cds_lfht_iter it;
    for (cds_lfht_first(table_, &it); cds_lfht_node* n = cds_lfht_iter_get_node(&it); cds_lfht_next(table_, &it)) {
        const lfht_entry* e = entry_of(n);
        sum += e->key ^ e->value;
    }
    return sum;
}

std::size_t lfht_map::range_visit(std::uint64_t& value_sum) const {
    read_section section;
    std::size_t count = 0;
    cds_lfht_iter it;
    for (cds_lfht_first(table_, &it); cds_lfht_node* n = cds_lfht_iter_get_node(&it); cds_lfht_next(table_, &it)) {
        value_sum += entry_of(n)->value;
        ++count;
    }
    return count;
}

std::size_t lfht_map::size() const {
    read_section section;
    long before = 0;
    unsigned long count = 0;
    long after = 0;
    cds_lfht_count_nodes(table_, &before, &count, &after);
    return count;
}

void lfht_map::barrier() { urcu_bp_barrier(); }

}  // namespace syncmap_bench
