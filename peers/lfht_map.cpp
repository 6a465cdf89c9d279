// peers/lfht_map.cpp - liburcu's lock-free resizable hash table, cds_lfht.
//
// This file includes liburcu's own headers, whose macros (rcu_read_lock, call_rcu,
// rcu_barrier, ...) would rewrite syncmap's identifiers: it must never include a syncmap
// header, and nothing else may include liburcu headers this way.
//
// Flavour: urcu-mb. syncmap registers its threads with the urcu-memb flavour through its
// own thread_local guard; a thread registered twice with one flavour is an error, and
// liburcu offers no "am I registered" query, so this table uses a different flavour,
// with its own registry and grace periods.
//
// Mapping. Nodes are immutable {key, value}; store is cds_lfht_add_replace with a new
// node; compare_and_swap is lookup + compare + cds_lfht_replace, retried if the node was
// replaced meanwhile; erase / load_and_delete / compare_and_delete are lookup +
// cds_lfht_del, retried likewise; load_or_store is cds_lfht_add_unique. Replaced and
// deleted nodes are freed through call_rcu and counted in pending_bytes until then.
//
// Traversal: cds_lfht_for_each under one read-side critical section for the whole pass
// (required: the iterator is only valid inside it). liburcu documents that a traversal
// sees every write that precedes it, none that follows it, may or may not see concurrent
// ones, and finds exactly one instance of a key replaced concurrently ("Ordering
// Guarantees" in rculfhash.c, and cds_lfht_add_replace in rculfhash.h). It says nothing
// about a key erased and re-inserted during the traversal (W2): measured, not promised.
// A whole pass in one read-side section also pins every node retired meanwhile.
#include <atomic>
#include <cstddef>

#include <urcu/urcu-mb.h>
#include <urcu/rculfhash.h>

#include "peers.hpp"

namespace syncmap::lab::peers {

namespace {

struct lfht_node {
    cds_lfht_node node;
    key_type key;
    value_type value;
    rcu_head rcu;
};

std::atomic<std::int64_t> lfht_pending_bytes{0};

void free_node(rcu_head* head) {
    delete caa_container_of(head, lfht_node, rcu);
    lfht_pending_bytes.fetch_sub(sizeof(lfht_node), std::memory_order_relaxed);
}

void retire(lfht_node* n) {
    lfht_pending_bytes.fetch_add(sizeof(lfht_node), std::memory_order_relaxed);
    urcu_mb_call_rcu(&n->rcu, free_node);
}

int match(cds_lfht_node* node, const void* key) {
    return caa_container_of(node, lfht_node, node)->key == *static_cast<const key_type*>(key);
}

unsigned long hash_of(key_type k) {
    std::uint64_t x = k + 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return static_cast<unsigned long>(x ^ (x >> 31));
}

// Registers the calling thread with the urcu-mb flavour on first use, unregisters at exit.
struct registration {
    registration() { urcu_mb_register_thread(); }
    ~registration() { urcu_mb_unregister_thread(); }
    registration(const registration&) = delete;
    registration& operator=(const registration&) = delete;
};
void ensure_registered() { thread_local registration r; }

struct read_section {
    read_section() {
        ensure_registered();
        urcu_mb_read_lock();
    }
    ~read_section() { urcu_mb_read_unlock(); }
    read_section(const read_section&) = delete;
    read_section& operator=(const read_section&) = delete;
};

lfht_node* node_of(cds_lfht_iter& it) {
    cds_lfht_node* n = cds_lfht_iter_get_node(&it);
    return n ? caa_container_of(n, lfht_node, node) : nullptr;
}

class lfht_map : public map_adapter {
public:
    lfht_map() {
        ensure_registered();
        table_ = cds_lfht_new_flavor(64, 64, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, &urcu_mb_flavor, nullptr);
        if (table_ == nullptr) throw std::bad_alloc();
    }
    ~lfht_map() override {
        {
            read_section rs;
            cds_lfht_iter it;
            cds_lfht_node* n;
            cds_lfht_for_each(table_, &it, n) {
                if (cds_lfht_del(table_, n) == 0) retire(caa_container_of(n, lfht_node, node));
            }
        }
        cds_lfht_destroy(table_, nullptr);
        urcu_mb_barrier();
    }

    [[nodiscard]] std::string name() const override { return "cds_lfht"; }
    [[nodiscard]] capabilities caps() const override {
        capabilities c;
        c.ops.fill(true);
        c.range = true;
        c.range_reentrant = true;  // updates are allowed during traversal
        c.range_stops_early = true;
        c.pending_bytes = true;
        return c;
    }
    [[nodiscard]] promise promises(clause c) const override {
        switch (c) {
            case clause::L1:
            case clause::W1:
            case clause::W3:
            case clause::W4: return promise::promised;
            case clause::W2: return promise::not_promised;
            default: return promise::not_supported;
        }
    }

    std::optional<value_type> load(key_type k) override {
        read_section rs;
        cds_lfht_iter it;
        cds_lfht_lookup(table_, hash_of(k), match, &k, &it);
        if (lfht_node* n = node_of(it)) return n->value;
        return std::nullopt;
    }
    void store(key_type k, value_type v) override {
        auto* fresh = new lfht_node{{}, k, v, {}};
        cds_lfht_node_init(&fresh->node);
        read_section rs;
        if (cds_lfht_node* old = cds_lfht_add_replace(table_, hash_of(k), match, &k, &fresh->node))
            retire(caa_container_of(old, lfht_node, node));
    }
    std::pair<value_type, bool> load_or_store(key_type k, value_type v) override {
        auto* fresh = new lfht_node{{}, k, v, {}};
        cds_lfht_node_init(&fresh->node);
        read_section rs;
        cds_lfht_node* got = cds_lfht_add_unique(table_, hash_of(k), match, &k, &fresh->node);
        if (got == &fresh->node) return {v, false};
        const value_type actual = caa_container_of(got, lfht_node, node)->value;
        delete fresh;  // never published: no grace period needed
        return {actual, true};
    }
    std::optional<value_type> load_and_delete(key_type k) override {
        read_section rs;
        for (;;) {
            cds_lfht_iter it;
            cds_lfht_lookup(table_, hash_of(k), match, &k, &it);
            lfht_node* n = node_of(it);
            if (n == nullptr) return std::nullopt;
            if (cds_lfht_del(table_, &n->node) == 0) {
                const value_type v = n->value;
                retire(n);
                return v;
            }
            // Replaced or deleted since the lookup: look again.
        }
    }
    bool erase(key_type k) override { return load_and_delete(k).has_value(); }
    std::optional<value_type> exchange(key_type k, value_type v) override {
        auto* fresh = new lfht_node{{}, k, v, {}};
        cds_lfht_node_init(&fresh->node);
        read_section rs;
        cds_lfht_node* old = cds_lfht_add_replace(table_, hash_of(k), match, &k, &fresh->node);
        if (old == nullptr) return std::nullopt;
        lfht_node* o = caa_container_of(old, lfht_node, node);
        const value_type previous = o->value;
        retire(o);
        return previous;
    }
    bool compare_and_swap(key_type k, value_type expected, value_type desired) override {
        read_section rs;
        lfht_node* fresh = nullptr;
        for (;;) {
            cds_lfht_iter it;
            cds_lfht_lookup(table_, hash_of(k), match, &k, &it);
            lfht_node* n = node_of(it);
            if (n == nullptr || n->value != expected) {
                delete fresh;
                return false;
            }
            if (fresh == nullptr) {
                fresh = new lfht_node{{}, k, desired, {}};
                cds_lfht_node_init(&fresh->node);
            }
            if (cds_lfht_replace(table_, &it, hash_of(k), match, &k, &fresh->node) == 0) {
                retire(n);
                return true;
            }
        }
    }
    bool compare_and_delete(key_type k, value_type expected) override {
        read_section rs;
        for (;;) {
            cds_lfht_iter it;
            cds_lfht_lookup(table_, hash_of(k), match, &k, &it);
            lfht_node* n = node_of(it);
            if (n == nullptr || n->value != expected) return false;
            if (cds_lfht_del(table_, &n->node) == 0) {
                retire(n);
                return true;
            }
        }
    }
    void range(range_callback f) override {
        read_section rs;
        cds_lfht_iter it;
        cds_lfht_node* n;
        cds_lfht_for_each(table_, &it, n) {
            const lfht_node* e = caa_container_of(n, lfht_node, node);
            if (!f(e->key, e->value)) return;
        }
    }
    [[nodiscard]] std::int64_t pending_bytes() const override {
        return lfht_pending_bytes.load(std::memory_order_relaxed);
    }
    void quiesce() override { urcu_mb_barrier(); }

private:
    cds_lfht* table_ = nullptr;
};

}  // namespace

adapter_entry lfht_entry() {
    return {"cds_lfht", "peer", "liburcu cds_lfht (urcu-mb flavour); range inside one RCU read-side section",
            [] { return std::make_unique<lfht_map>(); }};
}

}  // namespace syncmap::lab::peers
