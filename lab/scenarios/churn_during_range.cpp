// Scenario churn-during-range: store / load_and_delete churn on other keys during a range.
//
// Keys [0, n/2) are stored first and never touched again; writers churn keys [n/2, n)
// with store and load_and_delete (the pattern that made some maps end a traversal early
// or skip a bucket after a concurrent erase). Besides W1-W4 it counts, directly and
// without any inference from timestamps, ranges that missed a stable key.
#include <chrono>

#include "pitfall_measures.hpp"
#include "scenarios.hpp"

namespace syncmap::lab {

std::vector<scenario_result> run_churn_during_range(const adapter_entry& e, const scenario_config& cfg) {
    auto map = e.make();
    const capabilities caps = map->caps();
    const char* name = "churn-during-range";
    if (!caps.concurrent) return {unsupported(name, e, cfg.threads, "single-threaded map")};
    if (!caps.range) return {unsupported(name, e, cfg.threads, "no traversal safe under concurrent writes")};
    if (!caps.can_delete()) return {unsupported(name, e, cfg.threads, "no concurrent erase")};

    const std::size_t n = cfg.keys ? cfg.keys : 1024;
    const std::size_t half = n / 2;
    scenario_result r;
    r.scenario = name;
    r.container = e.name;
    r.threads = cfg.threads;

    ranged_workload w;
    w.writers = cfg.threads;
    w.max_traversals = cfg.max_traversals;
    w.ops_per_writer = cfg.ops_per_thread;
    w.preload = [&](thread_recorder& rec) {
        for (key_type k = 0; k < n; ++k) rec.store(k);
    };
    const bool has_lad = caps.has(op_kind::load_and_delete);
    w.write_once = [&](worker_context& ctx) {
        const key_type k = half + ctx.rng() % (n - half);
        if (ctx.rng() & 1)
            ctx.rec.store(k);
        else if (has_lad)
            ctx.rec.load_and_delete(k);
        else
            ctx.rec.erase(k);
        return true;
    };
    w.range_once = plain_range;

    const auto t0 = std::chrono::steady_clock::now();
    history h = run_ranged(*map, w, cfg);
    map.reset();
    check_history(h, r, cfg.skew);
    measure_writer_latency(h, r, 0, static_cast<std::uint16_t>(w.writers));

    measure_stable_missed(h, half, r);
    measure_duplicates(h, r);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return {std::move(r)};
}

}  // namespace syncmap::lab
