// Thread churn: a role is played by a succession of threads, each living a random while
// (0.5x to 1.5x options::thread_life) before it exits and a fresh thread takes over. Every
// exit hands the thread's RCU record and pending retirements back (detail/rcu.hpp), and
// every start attaches a new one, all through the run.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <thread>
#include <utility>

#include "shared_state.hpp"

namespace syncmap::soak {

// Starts the supervisor of one role: it runs body(until, rng) in a fresh thread at a time,
// and joins it (so the next thread sees everything the last one did), until the soak stops.
template <class Body>
std::thread start_role(soak_shared& sh, std::uint64_t seed, Body body) {
    return std::thread([&sh, seed, body = std::move(body)]() mutable {
        std::mt19937_64 rng(seed);
        std::uniform_real_distribution<double> life(0.5 * sh.opts.thread_life, 1.5 * sh.opts.thread_life);
        while (sh.running()) {
            const double until = sh.now() + life(rng);
            std::mt19937_64 thread_rng(rng());
            std::thread worker([&] { body(until, thread_rng); });
            sh.counters.threads_started.fetch_add(1, std::memory_order_relaxed);
            worker.join();
        }
    });
}

}  // namespace syncmap::soak
