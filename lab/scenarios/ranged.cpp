#include <algorithm>
#include <chrono>
#include <thread>

#include "scenarios.hpp"

namespace syncmap::lab {

void item_work() {
    const timestamp until = now() + item_work_ns;
    while (now() < until) {
    }
}

void pace_until(std::chrono::steady_clock::time_point due, const worker_context& ctx) {
    // Sleep in slices of at most 5 ms so that the stop flag is noticed promptly.
    for (auto now = std::chrono::steady_clock::now(); now < due && !ctx.stopping();
         now = std::chrono::steady_clock::now())
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(due - now, std::chrono::milliseconds(5)));
}

void overwrite_until(map_adapter& map, unsigned thread, std::size_t keys, double per_second,
                     const std::atomic<bool>& done, std::atomic<std::uint64_t>& count) {
    using clock = std::chrono::steady_clock;
    constexpr std::uint64_t batch = 256;
    const auto start = clock::now();
    std::uint64_t n = 0;
    value_type v = (static_cast<value_type>(thread) + 1) << 40;
    key_type k = thread % keys;
    while (!done.load(std::memory_order_relaxed)) {
        for (std::uint64_t i = 0; i < batch; ++i) {
            map.store(k, ++v);
            k = (k + 7) % keys;
        }
        n += batch;
        const auto due = start + std::chrono::duration_cast<clock::duration>(
                                     std::chrono::duration<double>(static_cast<double>(n) / per_second));
        if (due > clock::now()) std::this_thread::sleep_until(due);
    }
    count.fetch_add(n, std::memory_order_relaxed);
}

std::size_t random_chunk(std::mt19937_64& rng, std::size_t keys) {
    const unsigned roll = static_cast<unsigned>(rng() % 100);
    if (roll < 30) return 1 + rng() % 8;
    if (roll < 90) return 9 + rng() % 120;
    if (roll < 98) return 129 + rng() % 896;
    return std::max<std::size_t>(keys, 1) * 4;
}

timestamp random_pause(std::mt19937_64& rng) {
    const timestamp t0 = now();
    const unsigned roll = static_cast<unsigned>(rng() % 100);
    if (roll < 40) return 0;
    if (roll < 70) {
        const timestamp until = t0 + 1000 + static_cast<timestamp>(rng() % 19000);
        while (now() < until) {
        }
    } else if (roll < 90) {
        std::this_thread::yield();
    } else {
        std::this_thread::sleep_for(std::chrono::microseconds(50 + rng() % 250));
    }
    return now() - t0;
}

void plain_range(worker_context& ctx) {
    ctx.rec.range([](key_type, value_type, std::size_t) {
        item_work();
        return true;
    });
}

history run_ranged(map_adapter& map, const ranged_workload& w, const scenario_config& cfg) {
    std::atomic<unsigned> rangers_done{0};
    std::atomic<unsigned> writers_done{0};
    run_limits limits;
    limits.seconds = w.deadline_seconds > 0 ? w.deadline_seconds : cfg.seconds;
    return run_threads(map, w.writers + w.rangers, cfg.seed, limits, w.preload, [&](worker_context& ctx) {
        if (ctx.index < w.writers) {
            const std::uint64_t budget =
                w.ops_per_writer ? w.ops_per_writer : ranged_workload::default_ops_per_run / w.writers;
            const auto start = std::chrono::steady_clock::now();
            const double seconds_per_op = cfg.seconds * 0.9 / static_cast<double>(budget);
            std::uint64_t n = 0;
            while (!ctx.stopping() &&
                   (w.rangers_wait_for_writers || rangers_done.load(std::memory_order_relaxed) < w.rangers) &&
                   n < budget) {
                if (n % 32 == 0 && !w.rangers_wait_for_writers) {
                    const auto due = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                 std::chrono::duration<double>(seconds_per_op * static_cast<double>(n)));
                    pace_until(due, ctx);
                }
                if (!w.write_once(ctx)) break;
                ++n;
            }
            writers_done.fetch_add(1, std::memory_order_relaxed);
        } else {
            // Traversals are paced over the run (traversal i starts no earlier than
            // i/max_traversals of the way through), so that they meet the writers at every
            // stage of the run instead of all finishing in its first milliseconds; rangers
            // share the schedule, so theirs overlap.
            const auto start = std::chrono::steady_clock::now();
            const auto step = std::chrono::duration<double>(cfg.seconds * 0.9 / static_cast<double>(w.max_traversals));
            for (std::size_t i = 0; i < w.max_traversals && !ctx.stopping(); ++i) {
                if (w.rangers_wait_for_writers && writers_done.load(std::memory_order_relaxed) == w.writers) break;
                const auto due = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(step * static_cast<double>(i));
                pace_until(due, ctx);
                w.range_once(ctx);
            }
            rangers_done.fetch_add(1, std::memory_order_relaxed);
        }
    });
}

}  // namespace syncmap::lab
