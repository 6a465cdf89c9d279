// syncmap/detail/rcu_reclaimer.hpp - the cold side of syncmap's RCU (included by rcu.hpp).
//
// Thread registration and exit, the reclaimer thread, grace periods, the waits of
// rcu_synchronize/rcu_barrier, and the drain at process exit. Nothing here is on a
// reader's path: rcu_attach runs once per thread (and again only after the thread's exit
// handler ran), rcu_push once per 64 retirements.
//
// Invariants:
// - Records are never freed and never leave the registry (a prepend-only list), so the
//   reclaimer may walk it without a lock while threads register. A free record's word is 0.
// - Only the reclaimer thread increments the grace-period counter and frees queued nodes;
//   it takes the whole queue, runs one grace period that begins after the take, then
//   runs every node's `reclaim` in push order.
// - A node the reclaimer has taken is always reachable from rcu_cold.in_hand until its
//   `reclaim` starts; moves into and out of in_hand happen under rcu_cold.fork_guard,
//   which fork() takes (the prepare handler), so a child sees every taken node either
//   still queued, or in in_hand, or already being freed.
// - Nothing the process's exit path runs waits without a time limit.
#pragma once

#include <syncmap/detail/rcu.hpp>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <ctime>

#include <linux/futex.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace syncmap::detail {

// Every record ever allocated (prepend-only; records are reused, never freed).
inline constinit std::atomic<rcu_record*> rcu_registry{nullptr};

// Process-wide cold state.
struct rcu_cold_state {
    std::atomic<int> reclaimer{0};  // 0: not running, 1: being started, 2: running
    bool use_membarrier = false;    // written once in rcu_init_process, before any record
    bool key_ok = false;            // likewise
    pthread_key_t key{};            // its destructor detaches an exiting thread
    // Set when a wait at exit timed out (a thread stayed inside a read-side section): later
    // waits at exit are skipped, so the process exits in bounded time.
    std::atomic<bool> gave_up{false};
    // What the reclaimer has taken from the queue and not yet begun to free, oldest first.
    // Guarded by fork_guard (never held while user code runs: only for the moves).
    rcu_node* in_hand = nullptr;
    pthread_mutex_t fork_guard = PTHREAD_MUTEX_INITIALIZER;
};
inline constinit rcu_cold_state rcu_cold;

inline void rcu_before_fork() noexcept;
inline void rcu_after_fork_parent() noexcept;
inline void rcu_after_fork_child() noexcept;

// How long the exit path waits for the reclaimer before leaving the rest unreclaimed.
inline constexpr long rcu_exit_wait_ms = 1000;

__attribute__((tls_model("initial-exec"))) inline constinit thread_local bool rcu_on_reclaimer = false;

[[noreturn, gnu::cold]] inline void rcu_fatal(const char* what) noexcept {
    std::fprintf(stderr, "syncmap: %s\n", what);
    std::abort();
}

// ---- Kernel interfaces ------------------------------------------------------------------

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
              std::atomic<std::uint32_t>::is_always_lock_free);

// Sleeps while `word` holds `expected` (or until `rel` elapses, or a spurious wake-up).
inline void rcu_futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected, const timespec* rel) noexcept {
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, rel, nullptr, 0);
}

// Takes an address only: waking through a word whose owner just returned is harmless.
inline void rcu_futex_wake(std::atomic<std::uint32_t>* word, int n) noexcept {
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAKE_PRIVATE, n, nullptr, nullptr, 0);
}

inline long rcu_membarrier([[maybe_unused]] int cmd) noexcept {
#ifdef SYS_membarrier
    return ::syscall(SYS_membarrier, cmd, 0, 0);
#else
    errno = ENOSYS;
    return -1;
#endif
}

inline void rcu_pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

// The reclaimer's wait for one reader: spin briefly (sections are usually short), then
// yield, then sleep with growing naps up to 1 ms, so a long section costs no core.
inline void rcu_backoff(unsigned round) noexcept {
    if (round < 64) {
        rcu_pause();
    } else if (round < 80) {
        ::sched_yield();
    } else {
        const long ns = std::min(1'000'000L, 10'000L << std::min(round - 80, 7u));
        timespec ts{0, ns};
        ::nanosleep(&ts, nullptr);
    }
}

// ---- Threads ------------------------------------------------------------------------------

// pthread key destructor: runs at thread exit, after every C++ thread_local destructor of
// the thread (glibc runs key destructors last), so map operations in those destructors
// still find the record. Hands the batch over and frees the record for reuse. A later use
// on this thread (another key's destructor) attaches again, which sets the key again, and
// glibc runs this once more.
inline void rcu_thread_exit(void* p) noexcept {
    auto* r = static_cast<rcu_record*>(p);
    if (rcu_tls != r) return;
    r->flush();
    delete r->pending;  // an empty batch reserved but never used
    r->pending = nullptr;
    if (r->nesting != 0) {  // only if the thread ended without unwinding its sections
        r->nesting = 0;
        r->word.store(0, std::memory_order_release);
    }
    rcu_tls = nullptr;
    // Release: the next owner (acquire in rcu_attach) sees pending == nullptr, nesting == 0.
    r->in_use.store(false, std::memory_order_release);
}

struct rcu_exit_drain {
    ~rcu_exit_drain();
};

// Once per process, before the first record exists (so before any read-side section).
inline void rcu_init_process() noexcept {
    bool membarrier_ok = false;
    // SYNCMAP_RCU_NO_MEMBARRIER=1 forces the fallback, so tests can run both paths.
    // TSan builds always take it: TSan cannot see membarrier's ordering.
    if (!rcu_tsan && std::getenv("SYNCMAP_RCU_NO_MEMBARRIER") == nullptr) {
        const long cmds = rcu_membarrier(MEMBARRIER_CMD_QUERY);
        membarrier_ok = cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0 &&
                        rcu_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
    }
    rcu_cold.use_membarrier = membarrier_ok;
    // Relaxed: every thread reaches its first section through rcu_attach, whose static
    // initialisation guard (acquire) orders this store before the thread's loads.
    rcu_globals.reader_fence.store(!membarrier_ok, std::memory_order_relaxed);
    rcu_cold.key_ok = ::pthread_key_create(&rcu_cold.key, &rcu_thread_exit) == 0;
    ::pthread_atfork(&rcu_before_fork, &rcu_after_fork_parent, &rcu_after_fork_child);
    // Destroyed at exit, after every static object constructed before this point. Those
    // destroyed later (constructed before syncmap's first use) run in exit mode.
    static rcu_exit_drain drain;
}

// A thread's first use (or first after its exit handler). Never throws: a reader's
// constructor is noexcept.
[[gnu::cold]] inline rcu_record* rcu_attach() noexcept {
    static const bool initialised = (rcu_init_process(), true);
    (void)initialised;
    rcu_record* r = nullptr;
    for (rcu_record* p = rcu_registry.load(std::memory_order_acquire); p != nullptr; p = p->next) {
        bool expected = false;
        if (!p->in_use.load(std::memory_order_relaxed) &&
            p->in_use.compare_exchange_strong(expected, true, std::memory_order_acquire, std::memory_order_relaxed)) {
            r = p;
            break;
        }
    }
    if (r == nullptr) {
        // malloc, not operator new: a record lives for the process, and programs that
        // count or fail operator new (the exception tests) should not see it.
        void* mem = std::aligned_alloc(alignof(rcu_record), sizeof(rcu_record));
        if (mem == nullptr) rcu_fatal("out of memory registering a thread with RCU");
        r = new (mem) rcu_record;
        rcu_record* head = rcu_registry.load(std::memory_order_relaxed);
        // Release publishes the initialised record to the reclaimer. The record becomes
        // visible to a grace period before this thread's first word store can: both come
        // in program order before the section's loads, which membarrier (or the reader's
        // fence) orders against the reclaimer's scan.
        do {
            r->next = head;
        } while (!rcu_registry.compare_exchange_weak(head, r, std::memory_order_release, std::memory_order_relaxed));
    }
    rcu_tls = r;
    if (rcu_cold.key_ok) ::pthread_setspecific(rcu_cold.key, r);
    return r;
}

// ---- The reclaimer ------------------------------------------------------------------------

// One grace period: when it returns, every read-side section that was running when it
// began has ended.
inline void rcu_grace_period() noexcept {
    // Only this thread writes the counter. Release: a reader that loads the new value
    // (acquire) sees every unlink that preceded this grace period, so it cannot hold what
    // we are about to free, and we need not wait for it.
    // (Under TSan, seq_cst: with the readers' seq_cst stores it replaces the fences below.)
    const std::uint64_t target = rcu_globals.counter.load(std::memory_order_relaxed) + 1;
    rcu_globals.counter.store(target, rcu_tsan ? std::memory_order_seq_cst : std::memory_order_release);
    // StoreLoad against every reader: after membarrier, a reader's word store is visible
    // to the scan below, or that reader's section runs entirely after this point (and so
    // sees the unlinks and the new counter).
    if (rcu_cold.use_membarrier && rcu_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0)
        rcu_fatal("membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) failed after registration");
    // Pairs with the readers' fences when membarrier is unavailable.
    if constexpr (!rcu_tsan) std::atomic_thread_fence(std::memory_order_seq_cst);
    for (rcu_record* r = rcu_registry.load(std::memory_order_acquire); r != nullptr; r = r->next) {
        for (unsigned round = 0;; ++round) {
            // Acquire: pairs with the release store of 0 when the reader leaves, so its
            // section's loads happen before the frees that follow. (seq_cst under TSan, for
            // the store-load pairing with the readers' seq_cst stores.)
            const std::uint64_t w = r->word.load(rcu_tsan ? std::memory_order_seq_cst : std::memory_order_acquire);
            if (w == 0 || w == target) break;
            rcu_backoff(round);
        }
    }
}

inline void* rcu_reclaimer_main(void*) noexcept {
    rcu_on_reclaimer = true;
    rcu_queue& q = rcu_queue_state;
    for (;;) {
        // The take and its move into in_hand happen under fork_guard: a fork never sees
        // taken nodes held only by this thread's stack (gone in the child).
        ::pthread_mutex_lock(&rcu_cold.fork_guard);
        // Acquire: pairs with the pushes' release, so the queued nodes (and everything
        // their pushers did before retiring them) are visible here.
        rcu_node* list = q.head.exchange(nullptr, std::memory_order_acquire);
        if (list == nullptr) {
            ::pthread_mutex_unlock(&rcu_cold.fork_guard);
            // Sleep until a push. seq_cst store then seq_cst load, against the pusher's
            // seq_cst push then load of `sleeping`: one of us sees the other.
            q.sleeping.store(1, std::memory_order_seq_cst);
            if (q.head.load(std::memory_order_seq_cst) == nullptr) rcu_futex_wait(q.sleeping, 1, nullptr);
            q.sleeping.store(0, std::memory_order_relaxed);
            continue;
        }
        rcu_node* fifo = nullptr;  // the list was pushed LIFO: reverse it
        while (list != nullptr) {
            rcu_node* n = list->next;
            list->next = fifo;
            fifo = list;
            list = n;
        }
        rcu_cold.in_hand = fifo;
        ::pthread_mutex_unlock(&rcu_cold.fork_guard);
        rcu_grace_period();
        for (;;) {
            // One node at a time leaves in_hand, under the guard; its reclaim (user
            // destructors) runs without it, so a destructor that forks cannot deadlock.
            ::pthread_mutex_lock(&rcu_cold.fork_guard);
            rcu_node* n = rcu_cold.in_hand;
            if (n != nullptr) rcu_cold.in_hand = n->next;  // read first: reclaim frees the node
            ::pthread_mutex_unlock(&rcu_cold.fork_guard);
            if (n == nullptr) break;
            n->reclaim(n);
        }
        // Destructors run above may have retired objects into this thread's batch.
        if (rcu_record* self = rcu_tls) self->flush();
    }
}

inline void rcu_start_reclaimer() noexcept {
    int expected = 0;
    // Another thread is starting it (1) or it runs (2): our push will be found.
    if (!rcu_cold.reclaimer.compare_exchange_strong(expected, 1, std::memory_order_acq_rel,
                                                    std::memory_order_acquire))
        return;
    pthread_attr_t attr;
    ::pthread_attr_init(&attr);
    ::pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    // Detached, never joined, never in the way of exit. All signals blocked, so the
    // application's asynchronous signals go to its own threads.
    sigset_t all, old;
    ::sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t thread;
    const int rc = ::pthread_create(&thread, &attr, &rcu_reclaimer_main, nullptr);
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    ::pthread_attr_destroy(&attr);
    // On failure (thread limit) queued nodes wait for the next push or wait to retry.
    rcu_cold.reclaimer.store(rc == 0 ? 2 : 0, std::memory_order_release);
}

// Pushes first..last (linked through `next`) for the reclaimer. Lock-free; the only
// shared line it writes is the queue's.
inline void rcu_push(rcu_node* first, rcu_node* last) noexcept {
    if (rcu_cold.reclaimer.load(std::memory_order_acquire) != 2) [[unlikely]] rcu_start_reclaimer();
    rcu_queue& q = rcu_queue_state;
    rcu_node* head = q.head.load(std::memory_order_relaxed);
    // seq_cst (includes release): publishes the nodes, and orders the push before the
    // load of `sleeping` below (see the reclaimer's sleep).
    do {
        last->next = head;
    } while (!q.head.compare_exchange_weak(head, first, std::memory_order_seq_cst, std::memory_order_relaxed));
    if (q.sleeping.load(std::memory_order_seq_cst) != 0) [[unlikely]] {
        if (q.sleeping.exchange(0, std::memory_order_relaxed) != 0) rcu_futex_wake(&q.sleeping, 1);
    }
}

// A marker queued by a waiter. Heap-allocated (malloc) and shared by the waiter and the
// reclaimer, the last of the two frees it: a waiter that gives up (exit, time limit)
// leaves it in the queue safely.
struct rcu_waiter : rcu_node {
    std::atomic<std::uint32_t> done{0};
    std::atomic<std::uint32_t> refs{2};

    static void release(rcu_waiter* w) noexcept {
        // acq_rel: the other party's last access to *w happens before the free.
        if (w->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            w->~rcu_waiter();
            std::free(w);
        }
    }
    static void signal(rcu_node* n) noexcept {
        auto* w = static_cast<rcu_waiter*>(n);
        // Release: everything freed before this marker happens before the waiter returns.
        w->done.store(1, std::memory_order_release);
        rcu_futex_wake(&w->done, INT_MAX);
        release(w);
    }
};

// Queues a marker and waits until the reclaimer reaches it: a grace period that began
// after the call has ended, and everything queued before the marker is freed. With
// timeout_ms >= 0, gives up after that long and returns false.
inline bool rcu_wait_for_reclaimer(long timeout_ms) noexcept {
    void* mem = std::malloc(sizeof(rcu_waiter));
    if (mem == nullptr) rcu_fatal("out of memory waiting for a grace period");
    auto* w = new (mem) rcu_waiter;
    w->reclaim = &rcu_waiter::signal;
    rcu_push(w, w);
    timespec start{};
    ::clock_gettime(CLOCK_MONOTONIC, &start);
    bool done = false;
    for (;;) {
        if (w->done.load(std::memory_order_acquire) != 0) {
            done = true;
            break;
        }
        if (rcu_cold.reclaimer.load(std::memory_order_acquire) == 0) rcu_start_reclaimer();  // a start failed
        long nap_ms = 100;  // also bounds the retry period of a failed start
        if (timeout_ms >= 0) {
            timespec now{};
            ::clock_gettime(CLOCK_MONOTONIC, &now);
            const long elapsed_ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1'000'000;
            if (elapsed_ms >= timeout_ms) break;
            nap_ms = std::min(nap_ms, timeout_ms - elapsed_ms);
        }
        const timespec rel{nap_ms / 1000, (nap_ms % 1000) * 1'000'000};
        rcu_futex_wait(w->done, 0, &rel);
    }
    rcu_waiter::release(w);
    return done;
}

// ---- fork() ------------------------------------------------------------------------------

// Prepare: fork waits while the reclaimer moves nodes between the queue and in_hand
// (a few instructions, no user code), so the child inherits them in a consistent place.
inline void rcu_before_fork() noexcept { ::pthread_mutex_lock(&rcu_cold.fork_guard); }

inline void rcu_after_fork_parent() noexcept { ::pthread_mutex_unlock(&rcu_cold.fork_guard); }

// A waiter queued by a thread that does not exist in the child: drop that thread's
// reference, so the child's reclaimer frees the marker when it signals it. (A waiter
// that already gave up holds 1: the reclaimer's.) Single-threaded: plain accesses.
inline void rcu_forget_vanished_waiter(rcu_node* n) noexcept {
    if (n->reclaim != &rcu_waiter::signal) return;
    auto* w = static_cast<rcu_waiter*>(n);
    if (w->refs.load(std::memory_order_relaxed) == 2) w->refs.store(1, std::memory_order_relaxed);
}

// In a child after fork() only the forking thread exists (it cannot be waiting for the
// reclaimer: it is forking). The other records are freed for reuse (their threads'
// read-side sections are gone; a partly filled batch stays with the record and is handed
// over by its next owner); what the parent's reclaimer held goes back to the queue, behind
// everything queued (pushed later), for the child's own reclaimer, started on demand.
// Lost in the child: the one node the parent's reclaimer was freeing at that instant, and
// a batch another thread was between taking from its record and pushing.
inline void rcu_after_fork_child() noexcept {
    ::pthread_mutex_unlock(&rcu_cold.fork_guard);  // taken by this thread in rcu_before_fork
    rcu_record* self = rcu_tls;
    for (rcu_record* r = rcu_registry.load(std::memory_order_acquire); r != nullptr; r = r->next) {
        if (r == self) continue;
        r->nesting = 0;
        r->word.store(0, std::memory_order_relaxed);
        r->in_use.store(false, std::memory_order_release);
    }
    rcu_queue& q = rcu_queue_state;
    rcu_node* queued = q.head.load(std::memory_order_relaxed);  // newest first
    rcu_node* tail = nullptr;
    for (rcu_node* n = queued; n != nullptr; n = n->next) {
        rcu_forget_vanished_waiter(n);
        tail = n;
    }
    rcu_node* held = nullptr;  // in_hand reversed into the queue's order (newest first)
    for (rcu_node* n = rcu_cold.in_hand; n != nullptr;) {
        rcu_node* next = n->next;
        rcu_forget_vanished_waiter(n);
        n->next = held;
        held = n;
        n = next;
    }
    rcu_cold.in_hand = nullptr;
    if (tail != nullptr) {
        tail->next = held;
    } else {
        q.head.store(held, std::memory_order_relaxed);
    }
    q.sleeping.store(0, std::memory_order_relaxed);
    rcu_cold.reclaimer.store(0, std::memory_order_relaxed);
    if (rcu_cold.use_membarrier) rcu_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
}

inline void rcu_check_may_wait(const rcu_record& self) noexcept {
    if (self.nesting != 0)
        rcu_fatal("rcu_synchronize() or rcu_barrier() called inside a read-side section (it would wait for itself)");
    if (rcu_on_reclaimer) rcu_fatal("rcu_synchronize() or rcu_barrier() called from a reclamation callback");
}

// The exit path's wait: bounded, and skipped where it could only time out.
inline void rcu_exit_wait(const rcu_record* self) noexcept {
    if (rcu_cold.gave_up.load(std::memory_order_relaxed)) return;
    if (self != nullptr && self->nesting != 0) return;  // a grace period would wait for us
    if (rcu_on_reclaimer) return;
    if (rcu_cold.reclaimer.load(std::memory_order_acquire) == 0 &&
        rcu_queue_state.head.load(std::memory_order_acquire) == nullptr)
        return;  // nothing was ever retired
    if (!rcu_wait_for_reclaimer(rcu_exit_wait_ms)) rcu_cold.gave_up.store(true, std::memory_order_relaxed);
}

// A retirement after the exit drain ran (a static destructor after main returned): nothing
// will drain later, so free it now. The batch is not handed over (the operation may still
// retire into the room it reserved): wait for a grace period that began after the
// retirement (bounded), then destroy the batch's objects here and keep the emptied batch.
// If the wait is impossible or gives up, they stay in the batch, reachable.
[[gnu::cold]] inline void rcu_after_exit_retire(rcu_record* self) noexcept {
    if (rcu_cold.gave_up.load(std::memory_order_relaxed) || self->nesting != 0 || rcu_on_reclaimer) return;
    if (!rcu_wait_for_reclaimer(rcu_exit_wait_ms)) {
        rcu_cold.gave_up.store(true, std::memory_order_relaxed);
        return;
    }
    retire_batch* b = self->pending;
    for (std::size_t i = 0; i < b->count; ++i) b->objects[i].destroy(b->objects[i].object);
    b->count = 0;  // never handed over, so never counted in rcu_pending_bytes
}

inline rcu_exit_drain::~rcu_exit_drain() {
    rcu_globals.exiting.store(true, std::memory_order_relaxed);
    rcu_record* self = rcu_tls;
    if (self != nullptr) self->flush();
    rcu_exit_wait(self);
}

inline void rcu_synchronize() noexcept {
    rcu_record& self = rcu_this_thread();
    rcu_check_may_wait(self);
    if (rcu_globals.exiting.load(std::memory_order_relaxed)) {
        rcu_exit_wait(&self);
        return;
    }
    rcu_wait_for_reclaimer(-1);
}

inline void rcu_barrier() noexcept {
    rcu_record& self = rcu_this_thread();
    rcu_check_may_wait(self);
    self.flush();
    if (rcu_globals.exiting.load(std::memory_order_relaxed)) {
        rcu_exit_wait(&self);
        return;
    }
    rcu_wait_for_reclaimer(-1);
}

}  // namespace syncmap::detail
