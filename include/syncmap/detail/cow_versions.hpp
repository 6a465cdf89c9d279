// syncmap/detail/cow_versions.hpp - cow_map's nodes and the rule that frees them.
//
// cow_map's tables hold pointers to immutable nodes {key, value}, and consecutive versions
// (published tables) share every node their writes did not touch: copying a table copies
// pointers, never keys or values. A node therefore lives in a contiguous run of versions
// [a, b): stored by the write that published version a, dropped (overwritten, erased,
// cleared) by the write that published version b. It may be freed once every version
// older than b is gone, whoever holds them: the map itself (until a grace period after
// the version is replaced), a snapshot, or a range in progress.
//
// The bookkeeping: one record per published version, in publication order. The writer
// that publishes version b links the nodes it dropped into the garbage list of version
// b-1's record. When a version's table is freed, its record is marked dead, and dead
// records are popped from the oldest end, freeing their garbage. A live snapshot thus
// retains exactly the nodes overwritten or erased since it was taken (plus one small
// record per later version), and releases them when it is destroyed.
//
// The records outlive the map when snapshots do: the last record popped after the map is
// gone frees the chain.
#pragma once

#include <cstddef>
#include <mutex>
#include <utility>


namespace syncmap::detail {

template <class K, class V>
struct cow_node {
    template <class... Args>
    explicit cow_node(Args&&... args) : kv(std::forward<Args>(args)...) {}
    cow_node(const cow_node&) = delete;
    cow_node& operator=(const cow_node&) = delete;

    // The key's seeded hash. Set once, before the node is published; tables read it
    // through cow_node::hash_of instead of storing it in their cells.
    std::uint64_t hash = 0;
    std::pair<const K, V> kv;

    struct hash_of {
        static std::uint64_t get(const cow_node* n) noexcept { return n->hash; }
    };

    // The next node in a record's garbage list. Written once, under the map's writer
    // mutex, by the write that drops the node, before it publishes the version without the
    // node; read only when the node is freed. Readers never touch it.
    cow_node* next_garbage = nullptr;
};

template <class Node>
class cow_versions {
public:
    struct record {
        cow_versions* owner;
        record* newer = nullptr;  // the next version published; guarded by owner->mutex_
        bool dead = false;        // the version's table has been freed; guarded by owner->mutex_
        // Nodes this version holds that the next version dropped. Written by the writer
        // while this version is the current one (alive: the map holds it); read when the
        // record is popped.
        Node* garbage = nullptr;
    };

    cow_versions() = default;
    cow_versions(const cow_versions&) = delete;
    cow_versions& operator=(const cow_versions&) = delete;

    // A record for a version about to be published. May throw std::bad_alloc.
    record* new_record() { return new record{this}; }

    // Appends the record of a version being published, as the newest.
    void link(record* r) noexcept {
        std::lock_guard<std::mutex> lock(mutex_);
        if (newest_ != nullptr) {
            newest_->newer = r;
        } else {
            oldest_ = r;
        }
        newest_ = r;
        ++records_;
    }

    // Records that `n`, held by the current version `r`, is not in the version about to be
    // published. Caller holds the map's writer mutex.
    static void drop(record* r, Node* n) noexcept {
        n->next_garbage = r->garbage;
        r->garbage = n;
    }

    // The table of r's version has been freed. Pops every dead record from the oldest end,
    // freeing their garbage; frees the chain if the map is gone and nothing is left.
    void version_died(record* r) noexcept {
        Node* garbage = nullptr;
        bool last = false;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            r->dead = true;
            while (oldest_ != nullptr && oldest_->dead) {
                record* popped = oldest_;
                oldest_ = popped->newer;
                // Chain the popped garbage; freed outside the lock (destructors may be slow).
                for (Node* n = popped->garbage; n != nullptr;) {
                    Node* next = n->next_garbage;
                    n->next_garbage = garbage;
                    garbage = n;
                    n = next;
                }
                delete popped;
                --records_;
            }
            if (oldest_ == nullptr) newest_ = nullptr;
            last = orphaned_ && oldest_ == nullptr;
        }
        while (garbage != nullptr) {
            Node* next = garbage->next_garbage;
            delete garbage;
            garbage = next;
        }
        if (last) delete this;  // no table is left to call back
    }

    // The map is destroyed (after releasing its reference on the current version).
    void map_gone() noexcept {
        bool last = false;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            orphaned_ = true;
            last = oldest_ == nullptr;
        }
        if (last) delete this;
    }

    // Versions whose record is still kept (the current one included). For tests and stats.
    std::size_t records() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return records_;
    }

private:
    mutable std::mutex mutex_;
    record* oldest_ = nullptr;
    record* newest_ = nullptr;
    std::size_t records_ = 0;
    bool orphaned_ = false;  // the map is gone
};

}  // namespace syncmap::detail
