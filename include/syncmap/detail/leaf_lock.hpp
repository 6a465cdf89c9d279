// syncmap/detail/leaf_lock.hpp - the versioned lock that serialises writers of one leaf.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace syncmap::detail {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#elif defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#endif
}

// A mutex with a modification counter, one per leaf.
//
// Word layout (one std::atomic<uint32_t>, so that std::atomic::wait is a bare futex):
//   bit 0      locked: a writer holds the leaf
//   bit 1      waiters: some thread sleeps in wait() for this word
//   bits 2-31  version: incremented by every unlock, so a reader that sees the same
//              unlocked word before and after reading the leaf knows no writer touched it
//              in between (range() uses this to skip its duplicate filter).
//
// Waiting: a short spin (the critical sections are a few stores), then a futex wait.
// On an oversubscribed machine the holder may be preempted; sleeping instead of spinning
// lets it run.
class leaf_lock {
public:
    static constexpr std::uint32_t locked_bit = 1;
    static constexpr std::uint32_t waiters_bit = 2;
    static constexpr std::uint32_t version_unit = 4;
    static constexpr int spin_limit = 64;

    void lock() noexcept {
        std::uint32_t w = word_.load(std::memory_order_relaxed);
        for (int spins = 0;;) {
            if ((w & locked_bit) == 0) {
                // acquire: the critical section sees everything the previous holder wrote.
                if (word_.compare_exchange_weak(w, w | locked_bit, std::memory_order_acquire,
                                                std::memory_order_relaxed)) {
                    return;
                }
                continue;
            }
            if (spins < spin_limit) {
                ++spins;
                cpu_relax();
                w = word_.load(std::memory_order_relaxed);
                continue;
            }
            if ((w & waiters_bit) == 0 &&
                !word_.compare_exchange_weak(w, w | waiters_bit, std::memory_order_relaxed,
                                             std::memory_order_relaxed)) {
                continue;
            }
            word_.wait(w | waiters_bit, std::memory_order_relaxed);
            w = word_.load(std::memory_order_relaxed);
        }
    }

    void unlock() noexcept {
        // Only the holder changes the version and the locked bit; others may only set
        // waiters_bit, which the exchange below observes.
        const std::uint32_t w = word_.load(std::memory_order_relaxed);
        const std::uint32_t next = (w & ~(locked_bit | waiters_bit)) + version_unit;
        // release: publishes the critical section's stores to the next holder and to
        // readers comparing versions.
        const std::uint32_t prev = word_.exchange(next, std::memory_order_release);
        if ((prev & waiters_bit) != 0) word_.notify_all();
    }

    // The word as a lock-free reader sees it; acquire so that slot loads that follow are
    // not hoisted above it.
    std::uint32_t read_word() const noexcept { return word_.load(std::memory_order_acquire); }

    static constexpr bool is_locked(std::uint32_t word) noexcept { return (word & locked_bit) != 0; }

private:
    std::atomic<std::uint32_t> word_{0};
};

class leaf_lock_guard {
public:
    explicit leaf_lock_guard(leaf_lock& l) noexcept : lock_(&l) { lock_->lock(); }
    leaf_lock_guard(leaf_lock& l, std::adopt_lock_t) noexcept : lock_(&l) {}
    leaf_lock_guard(leaf_lock_guard&& other) noexcept : lock_(other.lock_) { other.lock_ = nullptr; }
    ~leaf_lock_guard() {
        if (lock_ != nullptr) lock_->unlock();
    }
    leaf_lock_guard(const leaf_lock_guard&) = delete;
    leaf_lock_guard& operator=(const leaf_lock_guard&) = delete;
    leaf_lock_guard& operator=(leaf_lock_guard&&) = delete;
    void unlock() noexcept {
        lock_->unlock();
        lock_ = nullptr;
    }

private:
    leaf_lock* lock_;
};

}  // namespace syncmap::detail
