// Scenario snapshot-memory: what a live snapshot keeps alive under overwrite churn, and
// that destroying it releases it (clause S3's second half, measured).
//
// n keys are stored; writers overwrite them (up to 1M stores/s) for the whole run. After a
// quiet baseline one snapshot is taken, kept for a while, and destroyed; a sampler reads
// the map's own retention counter (counters().retained: sync_map's stats().versions_retained,
// entries held in preserved leaf copies; cow_map's retained table versions) and the memory
// retired but not yet freed (pending_bytes) every millisecond. In the second half of the
// held snapshot's life a stream of short snapshots is taken and released one at a time:
// S3 bounds what the map keeps by the snapshots alive, not by how many came and went
// (sync_map: at most one copy of each leaf per live snapshot, so at most 2n entries while
// one short snapshot lives beside the held one). Reported: the retention before, while the
// snapshot lives, during the stream, and after it is destroyed, and how much retired memory
// the release handed to RCU.
#include <algorithm>
#include <chrono>
#include <thread>

#include "scenarios.hpp"

namespace syncmap::lab {

std::vector<scenario_result> run_snapshot_memory(const adapter_entry& e, const scenario_config& cfg) {
    auto map = e.make();
    const capabilities caps = map->caps();
    const char* name = "snapshot-memory";
    if (!caps.concurrent) return {unsupported(name, e, cfg.threads, "single-threaded map")};
    if (!caps.snapshot) return {unsupported(name, e, cfg.threads, "no snapshot()")};
    if (!caps.counters || !map->counters().retained)
        return {unsupported(name, e, cfg.threads, "no retention counter to read")};

    using clock = std::chrono::steady_clock;
    const std::size_t n = cfg.keys ? cfg.keys : 4096;
    const double life_seconds = std::clamp(cfg.seconds * 2.5, 0.1, 0.5);
    const double quiet_seconds = life_seconds / 3;

    scenario_result r = result_for(name, e, cfg.threads);
    r.note = "retained counts " + std::string(map->counters().retained_unit);

    for (key_type k = 0; k < n; ++k) map->store(k, k + 1);
    map->quiesce();
    const std::int64_t pending_base = caps.pending_bytes ? map->pending_bytes() : 0;

    std::atomic<bool> done{false};
    std::atomic<std::uint64_t> overwrites{0};
    series retained_curve{"retained (" + e.name + ")", "seconds", std::string(map->counters().retained_unit), {}, {}};
    series pending_curve{"retired, not yet freed (" + e.name + ")", "seconds", "MiB", {}, {}};
    const auto t0 = clock::now();
    auto seconds_since_start = [&](clock::time_point t) { return std::chrono::duration<double>(t - t0).count(); };
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < cfg.threads; ++t)
        threads.emplace_back([&, t] {
            overwrite_until(*map, t, n, memory_scenario_overwrites_per_second / cfg.threads, done, overwrites);
        });
    threads.emplace_back([&] {  // the sampler
        while (!done.load(std::memory_order_relaxed)) {
            const double x = seconds_since_start(clock::now());
            retained_curve.x.push_back(x);
            retained_curve.y.push_back(static_cast<double>(map->counters().retained.value_or(0)));
            if (caps.pending_bytes) {
                pending_curve.x.push_back(x);
                pending_curve.y.push_back(static_cast<double>(map->pending_bytes() - pending_base) / (1024.0 * 1024.0));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    });

    std::this_thread::sleep_for(std::chrono::duration<double>(quiet_seconds));
    std::unique_ptr<snapshot_view> snap = map->snapshot();
    const auto taken = clock::now();
    const std::size_t snap_size = snap->size();
    std::this_thread::sleep_for(std::chrono::duration<double>(life_seconds / 2));
    // The stream of short snapshots beside the held one.
    const auto stream_start = clock::now();
    std::size_t short_snapshots = 0;
    double stream_max = 0;
    while (clock::now() - stream_start < std::chrono::duration<double>(life_seconds / 2)) {
        {
            std::unique_ptr<snapshot_view> brief = map->snapshot();
            std::this_thread::sleep_for(std::chrono::microseconds(200));
            stream_max = std::max(stream_max, static_cast<double>(map->counters().retained.value_or(0)));
        }
        ++short_snapshots;
        stream_max = std::max(stream_max, static_cast<double>(map->counters().retained.value_or(0)));
    }
    const std::int64_t retained_at_release = map->counters().retained.value_or(0);
    const auto released = clock::now();
    snap.reset();
    const std::int64_t retained_just_after = map->counters().retained.value_or(0);
    std::this_thread::sleep_for(std::chrono::duration<double>(life_seconds));
    done.store(true, std::memory_order_relaxed);
    for (auto& t : threads) t.join();
    const std::int64_t retained_end = map->counters().retained.value_or(0);
    map->quiesce();
    map.reset();

    const double taken_s = seconds_since_start(taken), released_s = seconds_since_start(released);
    double before_max = 0, during_max = 0, after_max = 0, pending_during = 0, pending_after = 0;
    for (std::size_t i = 0; i < retained_curve.x.size(); ++i) {
        const double x = retained_curve.x[i], y = retained_curve.y[i];
        if (x < taken_s) before_max = std::max(before_max, y);
        else if (x <= released_s) during_max = std::max(during_max, y);
        else if (x > released_s + 0.01) after_max = std::max(after_max, y);  // 10 ms for the release to finish
    }
    for (std::size_t i = 0; i < pending_curve.x.size(); ++i) {
        const double x = pending_curve.x[i], y = pending_curve.y[i];
        if (x >= taken_s && x <= released_s) pending_during = std::max(pending_during, y);
        if (x > released_s) pending_after = std::max(pending_after, y);
    }
    r.metric("keys", static_cast<double>(n));
    r.metric("snapshot entries", static_cast<double>(snap_size));
    r.metric("snapshot life s", released_s - taken_s);
    r.metric("overwrites per second", static_cast<double>(overwrites.load()) / seconds_since_start(clock::now()));
    r.metric("retained max before snapshot", before_max);
    r.metric("retained max while snapshot lives", during_max);
    r.metric("short snapshots taken beside it", static_cast<double>(short_snapshots));
    r.metric("retained max during the short snapshots", stream_max);
    r.metric("retained max during the short snapshots per key", stream_max / static_cast<double>(n));
    r.metric("retained at release", static_cast<double>(retained_at_release));
    r.metric("retained just after release", static_cast<double>(retained_just_after));
    r.metric("retained max 10 ms after release on", after_max);
    r.metric("retained at end", static_cast<double>(retained_end));
    if (caps.pending_bytes) {
        r.metric("retired MiB max while snapshot lives", pending_during);
        r.metric("retired MiB max after release", pending_after);
    }
    r.metric("snapshot taken s", taken_s);
    r.metric("snapshot released s", released_s);
    r.ops = overwrites.load();
    r.traversals = 1;
    r.curves.push_back(std::move(retained_curve));
    if (caps.pending_bytes) r.curves.push_back(std::move(pending_curve));
    r.seconds = seconds_since_start(clock::now());
    return {std::move(r)};
}

}  // namespace syncmap::lab
