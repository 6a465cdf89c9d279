// syncmap/detail/writer_gate.hpp - makes "read the version clock, install" atomic with
// respect to snapshot creation.
//
// Why a gate (docs/DESIGN.md, "Why a version clock alone is not enough"): if a writer
// reads the clock, then a snapshot bumps it, then the writer installs its node with the
// old version, the snapshot would see that write or not depending on whether its reader
// reaches the slot before or after the install, and could show another key's later
// write without this earlier one: no single instant explains it (clause S1). Writers
// therefore hold the gate (shared) from reading the clock until their node is in its
// slot; snapshot() closes it (exclusive) only to bump the clock. Readers never touch it.
//
// Scalability: shared entry is one atomic increment on a per-thread stripe (a cache line
// of its own), not on one shared counter. Closing is Dekker-style: the closer publishes
// `closing_`, then waits for every stripe to drain; a writer publishes its increment,
// then checks `closing_`. Both sides use seq_cst so at least one sees the other.
//
// Lock order: a writer enters the gate only while holding its leaf lock, and never waits
// for a leaf lock inside the gate, so the closer (which waits for writers inside the
// gate) cannot deadlock with writers waiting for leaf locks.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

#include "leaf_lock.hpp"

namespace syncmap::detail {

class writer_gate {
public:
    static constexpr unsigned stripe_count = 16;

    // Returns the stripe to pass to leave(). Waits only while a snapshot() is bumping the
    // clock (a few hundred nanoseconds).
    unsigned enter() noexcept {
        const unsigned s = this_thread_stripe();
        for (;;) {
            stripes_[s].count.fetch_add(1, std::memory_order_seq_cst);
            if (closing_.load(std::memory_order_seq_cst) == 0) return s;
            leave(s);
            closing_.wait(1, std::memory_order_acquire);
        }
    }

    void leave(unsigned s) noexcept {
        // seq_cst: pairs with close()'s seq_cst store of closing_ and loads of the stripes.
        if (stripes_[s].count.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
            closing_.load(std::memory_order_seq_cst) != 0) {
            stripes_[s].count.notify_all();
        }
    }

    // Exclusive: returns once no writer is between reading the clock and installing, and
    // none can enter until open(). Callers serialise close/open among themselves.
    void close() noexcept {
        closing_.store(1, std::memory_order_seq_cst);
        for (stripe& st : stripes_) {
            for (int spins = 0;; ++spins) {
                const std::uint32_t c = st.count.load(std::memory_order_seq_cst);
                if (c == 0) break;
                if (spins < 128) {
                    cpu_relax();
                } else {
                    st.count.wait(c, std::memory_order_seq_cst);
                }
            }
        }
    }

    void open() noexcept {
        // release: writers that see the gate open also see the bumped clock.
        closing_.store(0, std::memory_order_release);
        closing_.notify_all();
    }

private:
    struct alignas(64) stripe {
        std::atomic<std::uint32_t> count{0};
    };

    static unsigned this_thread_stripe() noexcept {
        static std::atomic<unsigned> next{0};
        thread_local const unsigned mine = next.fetch_add(1, std::memory_order_relaxed) % stripe_count;
        return mine;
    }

    stripe stripes_[stripe_count];
    alignas(64) std::atomic<std::uint32_t> closing_{0};
};

// Scoped shared entry.
class writer_gate_pass {
public:
    explicit writer_gate_pass(writer_gate& g) noexcept : gate_(&g), stripe_(g.enter()) {}
    ~writer_gate_pass() { gate_->leave(stripe_); }
    writer_gate_pass(const writer_gate_pass&) = delete;
    writer_gate_pass& operator=(const writer_gate_pass&) = delete;

private:
    writer_gate* gate_;
    unsigned stripe_;
};

}  // namespace syncmap::detail
