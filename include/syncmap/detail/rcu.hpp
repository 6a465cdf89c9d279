// syncmap/detail/rcu.hpp - syncmap's own RCU: read-side sections, deferred frees.
//
// The names follow C++26's <rcu> (rcu_reader ~ std::rcu_reader's scoped lock,
// rcu_retire, rcu_synchronize, rcu_barrier) so the containers can move to the standard
// library when compilers ship it.
//
// Why our own, and why this shape (docs/DESIGN.md, "Reclamation"): every lookup enters and
// leaves a read-side section, so that pair must cost a few instructions. liburcu's memb
// flavour has the right algorithm but, used as a library, each enter and leave is an
// out-of-line call that reaches its thread-local record through __tls_get_addr; its
// inline fast path is LGPL code we may not copy into an MIT header. So this is a design
// of the same family, written for syncmap:
//
// - Read side (this header): each thread owns an `rcu_record`, reached through a
//   constant-initialised `thread_local` pointer in the initial-exec TLS model (one
//   %fs-relative load, even in -fPIC code). Entering the outermost section copies the
//   global grace-period counter into the record's word (a plain store) and issues a
//   compiler-only barrier; leaving stores 0 with release. Nested sections only count.
//   No call, no read-modify-write, no fence.
// - The missing StoreLoad ordering is supplied by the grace-period side, once per grace
//   period instead of once per reader: membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) runs a
//   full barrier on every CPU that runs one of our threads. Where membarrier is not
//   available (old kernels, seccomp sandboxes) readers issue a seq_cst fence instead; that
//   choice is made once, before any section, and readers test it with a relaxed load of a
//   read-mostly flag (a branch that always goes the same way).
// - Writers never wait for readers: a writer *retires* objects into a per-thread batch of
//   up to 64; a full batch is pushed onto one global lock-free list (one shared cache
//   line touched per batch), and a background reclaimer thread, started on the first push,
//   takes the whole list, runs one grace period for all of it and frees it. That matters
//   because a range() callback runs inside a read-side section and may call back into the
//   map (clause W5): no path reachable from a callback may wait for a grace period.
//   Writers reserve batch room first (rcu_retire_reserve, may throw) and retire after their
//   commit point (rcu_retire, noexcept): clause L4, strong exception safety.
//
// The cold paths (registration, thread exit, the reclaimer, exit) are in rcu_reclaimer.hpp,
// as out-of-line functions this header declares.
//
// Thread and process lifetime:
// - A thread's record is allocated on the heap on its first use and never freed: at
//   thread exit (a pthread key destructor, which runs after every C++ thread_local
//   destructor) its batch is handed over and the record is marked free for the next new
//   thread. A thread_local destructor that runs before that still has its record; a map
//   operation after it simply attaches the thread again (glibc reruns key destructors).
// - At process exit a static destructor hands over the exiting thread's batch and waits,
//   for a bounded time, until the reclaimer has freed everything queued, so leak checkers
//   see no queued memory; from then on every retirement is freed at once, after a bounded
//   wait for a grace period, so static destructors that write maps lose and leak nothing. If a
//   thread is still inside a read-side section (parked in a callback, say), what it may
//   use stays unreclaimed, reachable from the queue, and the process exits anyway.
//
// ThreadSanitizer cannot see membarrier and supports no fences. In TSan builds readers
// enter with a seq_cst store and the reclaimer publishes the counter with one (each a full
// barrier in hardware); leaving is a release store and the reclaimer reads every word
// with acquire before it frees, so TSan sees each reader's accesses happen before the
// free. Batches travel through release/acquire atomics. No annotation is needed.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <type_traits>

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
#endif

namespace syncmap::detail {

// Kept for code that hands objects between threads through channels TSan cannot see.
// The RCU itself no longer needs them.
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

#ifdef SYNCMAP_TSAN
inline constexpr bool rcu_tsan = true;
#else
inline constexpr bool rcu_tsan = false;
#endif

// Something queued for the reclaimer: a batch, a self-retiring object, or a waiter's
// marker. `reclaim` runs on the reclaimer thread after a grace period that began after
// the node was queued, in queue order (so a marker runs after everything queued before it).
struct rcu_node {
    rcu_node* next = nullptr;
    void (*reclaim)(rcu_node*) noexcept = nullptr;
};

// State every reader reads and (almost) nobody writes, on a line of its own.
struct alignas(64) rcu_read_mostly {
    // The grace-period counter, starting at 1 and only ever incremented (by the reclaimer
    // thread, the only writer): 64 bits never wrap, so a reader's word equal to it means
    // "entered after the current grace period began". 0 is never a counter value: a word
    // of 0 means "not in a read-side section".
    std::atomic<std::uint64_t> counter{1};
    // True when membarrier is unavailable: readers then fence themselves. Written once,
    // before the first record exists (so before any read-side section).
    std::atomic<bool> reader_fence{false};
    // True once the process has started exiting (the exit drain ran): every retirement is
    // then handed over and waited for at once.
    std::atomic<bool> exiting{false};
};
inline constinit rcu_read_mostly rcu_globals;

// The write-shared side: what writers push and the reclaimer takes, on a line of its own.
// Writers touch only this line once per batch (the push and the byte count).
struct alignas(64) rcu_queue {
    std::atomic<rcu_node*> head{nullptr};  // a LIFO list; the reclaimer reverses it
    // Bytes retired, handed over and not yet freed (the "memory retired but not yet
    // reclaimed" figure of the traversal stats). Relaxed: a statistic, not a guard.
    std::atomic<std::int64_t> pending_bytes{0};
    // 1 while the reclaimer sleeps (a futex word): a push that finds it set wakes it.
    std::atomic<std::uint32_t> sleeping{0};
};
inline constinit rcu_queue rcu_queue_state;

// Process-wide count of bytes retired, handed to the reclaimer and not yet freed; each
// thread also holds up to one batch of 64 retirements not yet handed over.
inline constinit std::atomic<std::int64_t>& rcu_pending_bytes = rcu_queue_state.pending_bytes;

struct retired_object {
    void* object;
    void (*destroy)(void*) noexcept;
    std::size_t bytes;
};

// A batch of retired objects, handed to the reclaimer as one node.
struct retire_batch : rcu_node {
    static constexpr std::size_t capacity = 64;
    std::size_t count = 0;
    std::int64_t bytes = 0;  // sum of objects[i].bytes, filled when handed over
    retired_object objects[capacity];

    static void reclaim_batch(rcu_node* n) noexcept {
        auto* batch = static_cast<retire_batch*>(n);
        for (std::size_t i = 0; i < batch->count; ++i) batch->objects[i].destroy(batch->objects[i].object);
        rcu_pending_bytes.fetch_sub(batch->bytes, std::memory_order_relaxed);
        delete batch;
    }
};

// Out of line, cold (rcu_reclaimer.hpp).
struct rcu_record;
[[gnu::cold]] inline rcu_record* rcu_attach() noexcept;
inline void rcu_push(rcu_node* first, rcu_node* last) noexcept;
[[gnu::cold]] inline void rcu_after_exit_retire(rcu_record* self) noexcept;
inline void rcu_exit_wait(const rcu_record* self) noexcept;
[[noreturn]] inline void rcu_fatal(const char* what) noexcept;

// One thread's reader state and retire batch. Owned by one thread at a time (the one
// whose rcu_tls points at it); only `word` is read by others (the reclaimer).
struct alignas(64) rcu_record {
    // 0 outside read-side sections; inside, the grace-period counter the outermost section
    // read on entry. Written only by the owner; read by the reclaimer.
    std::atomic<std::uint64_t> word{0};
    std::uint32_t nesting = 0;          // owner only
    retire_batch* pending = nullptr;    // owner only
    // Set by the thread that takes the record (acquire) and cleared at its exit (release),
    // so the next owner sees the record as the last one left it.
    std::atomic<bool> in_use{true};
    rcu_record* next = nullptr;  // registry link: set before publication, never changed

    // Ensures room for `n` more retirements without allocating later. May throw
    // std::bad_alloc; call it before the operation's commit point.
    void reserve(std::size_t n) {
        if (pending != nullptr && retire_batch::capacity - pending->count >= n) return;
        auto* fresh = new retire_batch;  // may throw: nothing has changed yet
        flush();
        delete pending;  // an empty batch flush() kept (it was too small for n)
        pending = fresh;
    }

    // Requires a successful reserve() for this object since the last flush: a full batch is
    // handed over at once, so a retirement nobody reserved room for would find none.
    void retire(void* object, void (*destroy)(void*) noexcept, std::size_t bytes) noexcept {
        if (pending == nullptr || pending->count == retire_batch::capacity)
            rcu_fatal("an object was retired without reserving room");
        pending->objects[pending->count++] = {object, destroy, bytes};
        if (pending->count == retire_batch::capacity) {
            flush();
        } else if (rcu_globals.exiting.load(std::memory_order_relaxed)) [[unlikely]] {
            rcu_after_exit_retire(this);
        }
    }

    // Hands the pending batch, if it holds anything, to the reclaimer. An empty batch
    // stays (it is this thread's reserved room).
    void flush() noexcept {
        if (pending == nullptr || pending->count == 0) return;
        retire_batch* b = pending;
        pending = nullptr;
        b->reclaim = &retire_batch::reclaim_batch;
        for (std::size_t i = 0; i < b->count; ++i) b->bytes += static_cast<std::int64_t>(b->objects[i].bytes);
        rcu_pending_bytes.fetch_add(b->bytes, std::memory_order_relaxed);
        rcu_push(b, b);
    }
};

// The calling thread's record, or null before its first use (and after its exit).
// constinit + a trivial type: no guard, no TLS wrapper call. initial-exec: one
// %fs-relative load even in position-independent code (no __tls_get_addr).
__attribute__((tls_model("initial-exec"))) inline constinit thread_local rcu_record* rcu_tls = nullptr;

inline rcu_record& rcu_this_thread() noexcept {
    rcu_record* r = rcu_tls;
    if (r == nullptr) [[unlikely]] r = rcu_attach();
    return *r;
}

// Enters a read-side section; returns the record to pass to rcu_leave.
[[gnu::always_inline]] inline rcu_record* rcu_enter() noexcept {
    rcu_record* r = rcu_tls;
    if (r == nullptr) [[unlikely]] r = rcu_attach();
    if (r->nesting++ == 0) {
        // Acquire (a plain load on x86): if we read a counter value the current grace
        // period published, everything unlinked before it began is visible to this
        // section (the reclaimer then need not wait for us). The store needs no order of
        // its own: membarrier makes it visible before the reclaimer scans, or makes
        // this section's loads come after the unlink.
        const std::uint64_t c = rcu_globals.counter.load(std::memory_order_acquire);
        if constexpr (rcu_tsan) {
            // TSan supports no fences: a seq_cst store (a full barrier in hardware: xchg on
            // x86, stlr before the section's ldar on arm64) orders the section's loads,
            // and is a release TSan sees (with the grace period's acquire loads).
            r->word.store(c, std::memory_order_seq_cst);
        } else {
            r->word.store(c, std::memory_order_relaxed);
            // The section's loads must not be hoisted above the store by the compiler; the
            // CPU may still do so, which the grace period's membarrier accounts for.
            std::atomic_signal_fence(std::memory_order_seq_cst);
            if (rcu_globals.reader_fence.load(std::memory_order_relaxed)) [[unlikely]]
                std::atomic_thread_fence(std::memory_order_seq_cst);  // no membarrier: StoreLoad here
        }
    }
    return r;
}

[[gnu::always_inline]] inline void rcu_leave(rcu_record* r) noexcept {
    // Release: every load of the section happens before the reclaimer's acquire load
    // that sees 0, and so before the free.
    if (--r->nesting == 0) r->word.store(0, std::memory_order_release);
}

// Scoped read-side critical section. Wait-free; nests. While one is active, nothing
// retired after it began is freed.
class rcu_reader {
public:
    rcu_reader() noexcept : record_(rcu_enter()) {}
    ~rcu_reader() { rcu_leave(record_); }
    rcu_reader(const rcu_reader&) = delete;
    rcu_reader& operator=(const rcu_reader&) = delete;

private:
    rcu_record* record_;
};

// True while the calling thread is inside a read-side section (for tests and checks).
inline bool rcu_read_ongoing() noexcept {
    const rcu_record* r = rcu_tls;
    return r != nullptr && r->nesting != 0;
}

inline void rcu_retire_reserve(std::size_t n = 1) { rcu_this_thread().reserve(n); }

// Frees `object` with `destroy` after every read-side section that might still see it
// has ended. Never waits. Requires rcu_retire_reserve() for it beforehand.
inline void rcu_retire(void* object, void (*destroy)(void*) noexcept, std::size_t bytes) noexcept {
    rcu_this_thread().retire(object, destroy, bytes);
}

// An object that carries its own queue node, so that retiring it never allocates: used
// for whole trees unpublished by clear() and from destructors. `destroy` frees it.
struct rcu_retirable {
    rcu_node head;
    void (*destroy)(rcu_retirable*) noexcept = nullptr;
    std::size_t bytes = 0;

    static void reclaim_object(rcu_node* n) noexcept {
        auto* self = reinterpret_cast<rcu_retirable*>(reinterpret_cast<char*>(n) - offsetof(rcu_retirable, head));
        rcu_pending_bytes.fetch_sub(static_cast<std::int64_t>(self->bytes), std::memory_order_relaxed);
        self->destroy(self);
    }
};

inline void rcu_retire_object(rcu_retirable* object) noexcept {
    rcu_record& self = rcu_this_thread();
    rcu_pending_bytes.fetch_add(static_cast<std::int64_t>(object->bytes), std::memory_order_relaxed);
    object->head.reclaim = &rcu_retirable::reclaim_object;
    rcu_push(&object->head, &object->head);
    if (rcu_globals.exiting.load(std::memory_order_relaxed)) [[unlikely]] rcu_exit_wait(&self);
}

// Frees `object` with delete after a grace period. Requires rcu_retire_reserve(). (Types
// that carry their own queue node go through rcu_retire_object instead.)
template <class T>
    requires(!std::is_base_of_v<rcu_retirable, T>)
void rcu_retire(T* object) noexcept {
    rcu_retire(object, [](void* p) noexcept { delete static_cast<T*>(p); }, sizeof(T));
}

// Waits for a grace period: every read-side section that began before the call has
// ended. Never call it inside a read-side section (that would wait for itself; it aborts)
// or on a path a range() callback can reach.
inline void rcu_synchronize() noexcept;

// Hands this thread's pending retirements over and waits until everything handed over so
// far, by any thread, has been freed (other live threads' partly filled batches are
// theirs until full or until they exit). For tests and for measuring memory; same
// restrictions as rcu_synchronize().
inline void rcu_barrier() noexcept;

}  // namespace syncmap::detail

#include <syncmap/detail/rcu_reclaimer.hpp>
