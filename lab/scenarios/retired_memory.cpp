// Scenario retired-memory: one long traversal under heavy overwrite churn, and the memory
// retired by writers but not yet freed, sampled over time.
//
// A map with deferred reclamation (RCU, epochs, hazard pointers) frees a replaced node only
// once no reader can still hold it. A traversal that stays inside one read-side section
// for its whole length pins every node retired meanwhile, so memory grows with the
// traversal's duration; a traversal that enters the read side per leaf (sync_map) or per
// chunk (scan) lets reclamation proceed. Writers overwrite n keys for the whole run, at up
// to a million stores per second (overwrite_until: faster, the reclaimer itself falls
// behind on a shared two-core machine and the figure stops measuring pinning); after a quiet baseline, one thread ranges with a callback that busy-waits
// so that the traversal lasts about a second; a sampler reads pending_bytes() every 2 ms.
// Then, as a control, the same thread busy-waits as long outside any traversal. Then, for
// maps with a cursor scan, it makes one full pass of scan calls of 64 entries each and does
// the same per-entry work on each batch after the call returns, as a consumer that fetches
// a batch and then processes it would: the pass lasts as long as the range, but between
// calls it holds nothing (C3), so memory should stay at the control's level.
//
// The writers' operations are not recorded: recording would throttle the churn this
// scenario exists to produce, and W1-W4 are checked by the other scenarios.
#include <algorithm>
#include <chrono>
#include <thread>

#include "scenarios.hpp"

namespace syncmap::lab {

std::vector<scenario_result> run_retired_memory(const adapter_entry& e, const scenario_config& cfg) {
    auto map = e.make();
    const capabilities caps = map->caps();
    const char* name = "retired-memory";
    if (!caps.concurrent) return {unsupported(name, e, cfg.threads, "single-threaded map")};
    if (!caps.range) return {unsupported(name, e, cfg.threads, "no traversal safe under concurrent writes")};
    if (!caps.pending_bytes)
        return {unsupported(name, e, cfg.threads, "frees at once (no deferred reclamation to measure)")};

    using clock = std::chrono::steady_clock;
    const std::size_t n = cfg.keys ? cfg.keys : 4096;
    const double traversal_seconds = std::clamp(cfg.seconds * 4, 0.2, 2.0);
    const double quiet_seconds = traversal_seconds / 3;
    const auto per_item = std::chrono::duration_cast<clock::duration>(
        std::chrono::duration<double>(traversal_seconds / static_cast<double>(n)));

    scenario_result r = result_for(name, e, cfg.threads);
    if (!caps.scan) r.note = "no cursor scan: only range is measured";

    for (key_type k = 0; k < n; ++k) map->store(k, k + 1);
    map->quiesce();
    const std::int64_t base = map->pending_bytes();

    std::atomic<bool> done{false};
    std::atomic<std::uint64_t> overwrites{0};
    series curve{"retired, not yet freed (" + e.name + ")", "seconds", "MiB", {}, {}};
    timestamp range_start = 0, range_end = 0;
    std::size_t yielded = 0;
    const auto t0 = clock::now();  // the same clock as now(): steady_clock
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < cfg.threads; ++t)
        threads.emplace_back([&, t] {
            overwrite_until(*map, t, n, memory_scenario_overwrites_per_second / cfg.threads, done, overwrites);
        });
    threads.emplace_back([&] {  // the sampler
        while (!done.load(std::memory_order_relaxed)) {
            curve.x.push_back(std::chrono::duration<double>(clock::now() - t0).count());
            curve.y.push_back(static_cast<double>(map->pending_bytes() - base) / (1024.0 * 1024.0));
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    });
    std::this_thread::sleep_for(std::chrono::duration<double>(quiet_seconds));
    range_start = now();
    map->range([&](key_type, value_type) {
        ++yielded;
        const auto until = clock::now() + per_item;
        while (clock::now() < until) {
        }
        return true;
    });
    range_end = now();
    std::this_thread::sleep_for(std::chrono::duration<double>(quiet_seconds));
    const timestamp control_start = now();
    {
        const auto until = clock::now() + std::chrono::nanoseconds(range_end - range_start);
        while (clock::now() < until) {
        }
    }
    const timestamp control_end = now();
    std::this_thread::sleep_for(std::chrono::duration<double>(quiet_seconds));
    timestamp chunked_start = 0, chunked_end = 0;
    std::uint64_t chunked_calls = 0;
    std::size_t chunked_yielded = 0;
    if (caps.scan) {
        constexpr std::size_t chunk = 64;
        std::vector<std::pair<key_type, value_type>> batch;
        batch.reserve(2 * chunk);
        chunked_start = now();
        scan_cursor c;
        do {
            batch.clear();
            c = map->scan(c, chunk, [&](key_type k, value_type v) {
                batch.emplace_back(k, v);
                return true;
            }, false);
            ++chunked_calls;
            for (std::size_t i = 0; i < batch.size(); ++i) {  // the work, outside the call
                ++chunked_yielded;
                const auto until = clock::now() + per_item;
                while (clock::now() < until) {
                }
            }
        } while (!c.done);
        chunked_end = now();
        std::this_thread::sleep_for(std::chrono::duration<double>(quiet_seconds));
    }
    done.store(true, std::memory_order_relaxed);
    for (auto& t : threads) t.join();
    map->quiesce();
    map.reset();

    const timestamp t0_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t0.time_since_epoch()).count();
    const double start_s = static_cast<double>(range_start - t0_ns) / 1e9;
    const double end_s = start_s + static_cast<double>(range_end - range_start) / 1e9;
    const double control_start_s = static_cast<double>(control_start - t0_ns) / 1e9;
    const double control_end_s = static_cast<double>(control_end - t0_ns) / 1e9;
    const double chunked_start_s = static_cast<double>(chunked_start - t0_ns) / 1e9;
    const double chunked_end_s = static_cast<double>(chunked_end - t0_ns) / 1e9;
    // Max and mean of the samples inside [from, to].
    struct phase {
        double max = 0, sum = 0;
        std::size_t n = 0;
        [[nodiscard]] double mean() const { return n ? sum / static_cast<double>(n) : 0; }
    };
    auto over = [&](double from, double to) {
        phase p;
        for (std::size_t i = 0; i < curve.x.size(); ++i) {
            if (curve.x[i] < from || curve.x[i] > to) continue;
            p.max = std::max(p.max, curve.y[i]);
            p.sum += curve.y[i];
            ++p.n;
        }
        return p;
    };
    const phase before = over(0, start_s), during = over(start_s, end_s),
                control = over(control_start_s, control_end_s), chunked = over(chunked_start_s, chunked_end_s);
    r.metric("range seconds", static_cast<double>(range_end - range_start) / 1e9);
    r.metric("overwrites per second",
             static_cast<double>(overwrites.load()) / std::chrono::duration<double>(clock::now() - t0).count());
    r.metric("retired MiB max before range", before.max);
    r.metric("retired MiB max during range", during.max);
    r.metric("retired MiB mean during range", during.mean());
    r.metric("retired MiB max during control spin", control.max);
    r.metric("retired MiB mean during control spin", control.mean());
    r.metric("range start s", start_s);
    r.metric("range end s", end_s);
    r.metric("control start s", control_start_s);
    r.metric("control end s", control_end_s);
    if (caps.scan) {
        r.metric("retired MiB max during chunked pass", chunked.max);
        r.metric("retired MiB mean during chunked pass", chunked.mean());
        r.metric("chunked pass seconds", static_cast<double>(chunked_end - chunked_start) / 1e9);
        r.metric("chunked pass calls", static_cast<double>(chunked_calls));
        r.metric("chunked pass entries", static_cast<double>(chunked_yielded));
        r.metric("chunked start s", chunked_start_s);
        r.metric("chunked end s", chunked_end_s);
    }
    r.ops = overwrites.load();
    r.traversals = caps.scan ? 2 : 1;
    r.curves.push_back(std::move(curve));
    r.seconds = std::chrono::duration<double>(clock::now() - t0).count();
    return {std::move(r)};
}

}  // namespace syncmap::lab
