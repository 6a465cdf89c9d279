// tests/liburcu_side.cpp - the liburcu (urcu-memb) half of sync_map_beside_liburcu_test:
// liburcu's own read-side sections, grace periods and deferred frees, as an application
// using it would make them, in a source that knows nothing of syncmap.
#include <urcu/urcu-memb.h>

#include <atomic>
#include <cstddef>

namespace liburcu_side {

struct object {
    rcu_head head;
};

std::atomic<int> freed{0};

void register_thread() { urcu_memb_register_thread(); }
void unregister_thread() { urcu_memb_unregister_thread(); }
void read_lock() { urcu_memb_read_lock(); }
void read_unlock() { urcu_memb_read_unlock(); }
void synchronize() { urcu_memb_synchronize_rcu(); }

// Defers freeing one object with call_rcu.
void retire_one() {
    auto* o = new object;
    urcu_memb_call_rcu(&o->head, [](rcu_head* h) {
        delete reinterpret_cast<object*>(reinterpret_cast<char*>(h) - offsetof(object, head));
        freed.fetch_add(1, std::memory_order_relaxed);
    });
}
// Waits until every call_rcu callback queued before has run.
void barrier() { urcu_memb_barrier(); }
int freed_count() { return freed.load(std::memory_order_relaxed); }

}  // namespace liburcu_side
