// syncmap/detail/rcu.hpp - the one place syncmap touches liburcu (urcu-memb flavour).
//
// The names follow C++26's <rcu> (rcu_reader ~ std::rcu_reader's scoped lock,
// rcu_retire, rcu_synchronize, rcu_barrier) so the containers can move to the standard
// library when compilers ship it. Nothing else in syncmap includes a liburcu header.
//
// Why liburcu's memb flavour: its read side is wait-free (a thread-local counter store;
// the grace-period side issues membarrier), it needs no quiescent-state calls from the
// application, and its call_rcu thread frees memory without any application thread
// waiting for a grace period. That last point matters: a range() callback may call back
// into the map (clause W5), and it runs inside a read-side section, so no path reachable
// from a callback may wait for a grace period. Writers therefore only ever *retire*.
//
// We do not include <urcu/urcu-memb.h>: it defines object-like macros (rcu_reader,
// rcu_barrier, call_rcu, ...) that would rewrite any C++ identifier of the same name in
// a user's program. We declare the handful of exported functions ourselves instead; they
// are liburcu's stable ABI (liburcu-memb.so.8).
//
// Registration: a thread registers lazily on its first read-side section or retire,
// through a thread_local guard, and unregisters at thread exit after handing its pending
// retirements to call_rcu.
//
// Batching: every retire would otherwise cost a call_rcu (an enqueue and a wake-up of
// the call_rcu thread). Each thread fills a batch of up to `retire_batch::capacity`
// objects and hands the whole batch to call_rcu at once. Writers reserve room first
// (rcu_retire_reserve, which may allocate and so may throw) and retire after their
// commit point (rcu_retire, noexcept): clause L4, strong exception safety.
//
// ThreadSanitizer cannot see the ordering a grace period provides (membarrier and
// liburcu's uninstrumented code). We annotate instead of suppressing: leaving a read-side
// section releases a sync object, and a batch's callback acquires it before freeing, so
// TSan learns that every reader's accesses happen before the free. A batch is also
// released before call_rcu and acquired in the callback, which covers the queue handoff.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <type_traits>

#include <urcu/call-rcu.h>  // struct rcu_head only; declares no macros we could collide with

extern "C" {
void urcu_memb_read_lock(void);
void urcu_memb_read_unlock(void);
int urcu_memb_read_ongoing(void);
void urcu_memb_register_thread(void);
void urcu_memb_unregister_thread(void);
void urcu_memb_synchronize_rcu(void);
void urcu_memb_call_rcu(struct rcu_head* head, void (*func)(struct rcu_head* head));
void urcu_memb_barrier(void);
}

#if defined(__SANITIZE_THREAD__)
#define SYNCMAP_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SYNCMAP_TSAN 1
#endif
#endif

#ifdef SYNCMAP_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
extern "C" void __tsan_ignore_thread_begin(void);
extern "C" void __tsan_ignore_thread_end(void);
#endif

namespace syncmap::detail {

inline void tsan_acquire([[maybe_unused]] void* addr) noexcept {
#ifdef SYNCMAP_TSAN
    __tsan_acquire(addr);
#endif
}

inline void tsan_release([[maybe_unused]] void* addr) noexcept {
#ifdef SYNCMAP_TSAN
    __tsan_release(addr);
#endif
}

// urcu_memb_barrier() allocates records that liburcu's call_rcu thread frees after
// synchronising in uninstrumented code; ThreadSanitizer would report the free as a race.
// Only liburcu's own bookkeeping runs inside, so we tell TSan to ignore this thread's
// accesses for the duration of the call.
inline void urcu_barrier_for_tsan() noexcept {
#ifdef SYNCMAP_TSAN
    __tsan_ignore_thread_begin();
#endif
    urcu_memb_barrier();
#ifdef SYNCMAP_TSAN
    __tsan_ignore_thread_end();
#endif
}

// The sync object every read-side section releases and every reclamation acquires
// (ThreadSanitizer builds only; elsewhere it is never touched).
inline char rcu_grace_period_sync;

// Process-wide count of bytes retired, handed to the call_rcu thread and not yet freed
// (the "memory retired but not yet reclaimed" figure of the traversal stats); each thread
// also holds up to one batch of 64 retirements not yet handed over. Relaxed: a
// statistic, not a guard.
inline std::atomic<std::int64_t> rcu_pending_bytes{0};

struct retired_object {
    void* object;
    void (*destroy)(void*) noexcept;
    std::size_t bytes;
};

// A batch of retired objects handed to call_rcu as one callback.
struct retire_batch {
    static constexpr std::size_t capacity = 64;
    rcu_head head;  // must stay first: the callback casts rcu_head* back to retire_batch*
    std::size_t count = 0;
    retired_object objects[capacity];

    static void reclaim(rcu_head* h) noexcept {
        auto* batch = reinterpret_cast<retire_batch*>(h);
        tsan_acquire(batch);
        tsan_acquire(&rcu_grace_period_sync);
        std::int64_t bytes = 0;
        for (std::size_t i = 0; i < batch->count; ++i) {
            batch->objects[i].destroy(batch->objects[i].object);
            bytes += static_cast<std::int64_t>(batch->objects[i].bytes);
        }
        rcu_pending_bytes.fetch_sub(bytes, std::memory_order_relaxed);
        delete batch;
    }
};

// Per-thread registration and pending batch. Registration happens in the constructor,
// so it precedes the thread's first read-side section.
class rcu_thread_state {
public:
    rcu_thread_state() noexcept { urcu_memb_register_thread(); }
    ~rcu_thread_state() {
        flush();
        delete pending_;  // a batch reserved but never used (flush keeps empty batches)
        urcu_memb_unregister_thread();
    }
    rcu_thread_state(const rcu_thread_state&) = delete;
    rcu_thread_state& operator=(const rcu_thread_state&) = delete;

    // Ensures room for `n` more retirements without allocating later. May throw
    // std::bad_alloc; call it before the operation's commit point.
    void reserve(std::size_t n) {
        if (pending_ != nullptr && retire_batch::capacity - pending_->count >= n) return;
        auto* fresh = new retire_batch;  // may throw: nothing has changed yet
        flush();
        pending_ = fresh;
    }

    // Requires a successful reserve() for this object since the last flush: a full batch is
    // handed over at once, so a retirement nobody reserved room for would find none.
    void retire(void* object, void (*destroy)(void*) noexcept, std::size_t bytes) noexcept {
        if (pending_ == nullptr || pending_->count == retire_batch::capacity) {
            std::fputs("syncmap: internal error: an object was retired without reserving room\n", stderr);
            std::abort();
        }
        pending_->objects[pending_->count++] = {object, destroy, bytes};
        if (pending_->count == retire_batch::capacity) flush();
    }

    // Hands the pending batch, if any, to liburcu's call_rcu thread. The process-wide byte
    // count is updated once per batch, not per retire: one shared cache line touched per
    // 64 retirements instead of every write.
    void flush() noexcept {
        if (pending_ == nullptr) return;
        if (pending_->count == 0) return;
        std::int64_t bytes = 0;
        for (std::size_t i = 0; i < pending_->count; ++i) bytes += static_cast<std::int64_t>(pending_->objects[i].bytes);
        rcu_pending_bytes.fetch_add(bytes, std::memory_order_relaxed);
        tsan_release(pending_);
        urcu_memb_call_rcu(&pending_->head, &retire_batch::reclaim);
        pending_ = nullptr;
    }

private:
    retire_batch* pending_ = nullptr;
};

// At exit, waits until everything retired has been freed, so that leak checkers
// (LeakSanitizer, valgrind) see no retired-but-queued memory and destructors of retired
// objects run before the process ends. Constructed on a thread's first RCU use, so it is
// destroyed after main() returns, after the main thread's thread_local state.
class rcu_exit_drain {
public:
    ~rcu_exit_drain() {
        urcu_memb_register_thread();
        urcu_barrier_for_tsan();
        urcu_memb_unregister_thread();
    }
};

inline rcu_thread_state& rcu_this_thread() {
    static rcu_exit_drain drain_at_exit;  // constructed before `state` below
    thread_local rcu_thread_state state;
    return state;
}

// Scoped read-side critical section. Wait-free; nests. While one is active, nothing
// retired after it began is freed.
class rcu_reader {
public:
    rcu_reader() noexcept {
        rcu_this_thread();
        urcu_memb_read_lock();
    }
    ~rcu_reader() {
        tsan_release(&rcu_grace_period_sync);
        urcu_memb_read_unlock();
    }
    rcu_reader(const rcu_reader&) = delete;
    rcu_reader& operator=(const rcu_reader&) = delete;
};

inline void rcu_retire_reserve(std::size_t n = 1) { rcu_this_thread().reserve(n); }

// Frees `object` with `destroy` after every read-side section that might still see it
// has ended. Never waits. Requires rcu_retire_reserve() for it beforehand.
inline void rcu_retire(void* object, void (*destroy)(void*) noexcept, std::size_t bytes) noexcept {
    rcu_this_thread().retire(object, destroy, bytes);
}


// An object that carries its own rcu_head, so that retiring it never allocates: used
// for whole trees unpublished by clear() and from destructors. `destroy` frees it.
struct rcu_retirable {
    rcu_head head;  // must stay first: reclaim casts rcu_head* back
    void (*destroy)(rcu_retirable*) noexcept = nullptr;
    std::size_t bytes = 0;

    static void reclaim(rcu_head* h) noexcept {
        auto* self = reinterpret_cast<rcu_retirable*>(h);
        tsan_acquire(self);
        tsan_acquire(&rcu_grace_period_sync);
        rcu_pending_bytes.fetch_sub(static_cast<std::int64_t>(self->bytes), std::memory_order_relaxed);
        self->destroy(self);
    }
};

inline void rcu_retire_object(rcu_retirable* object) noexcept {
    rcu_this_thread();
    rcu_pending_bytes.fetch_add(static_cast<std::int64_t>(object->bytes), std::memory_order_relaxed);
    tsan_release(object);
    urcu_memb_call_rcu(&object->head, &rcu_retirable::reclaim);
}

// Frees `object` with delete after a grace period. Requires rcu_retire_reserve(). (Types
// that carry their own rcu_head go through rcu_retire_object instead.)
template <class T>
    requires(!std::is_base_of_v<rcu_retirable, T>)
void rcu_retire(T* object) noexcept {
    rcu_retire(object, [](void* p) noexcept { delete static_cast<T*>(p); }, sizeof(T));
}

// Waits for a grace period. Never call it inside a read-side section (deadlock) or on
// a path a range() callback can reach.
inline void rcu_synchronize() {
    rcu_this_thread();
    urcu_memb_synchronize_rcu();
}

// Flushes this thread's pending retirements and waits until every retirement made so
// far, by any thread, has been freed. For tests and for measuring memory; same
// restrictions as rcu_synchronize().
inline void rcu_barrier() {
    rcu_this_thread().flush();
    urcu_barrier_for_tsan();
}

}  // namespace syncmap::detail
