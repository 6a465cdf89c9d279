// Scenario two-ranges: two traversals at once, under writes.
//
// Two threads range continuously while writers overwrite keys and (if the map can) erase
// and re-insert keys of [n/2, n). Every traversal is checked (W1-W4); for every pair of
// traversals from the two threads that overlapped in time, Spearman's rank correlation of
// their orders is measured: 1 means both saw the keys in the same order (a fixed order such
// as hash order), values near 0 mean unrelated orders (Go's randomized iteration).
#include <chrono>

#include "pitfall_measures.hpp"
#include "scenarios.hpp"

namespace syncmap::lab {

std::vector<scenario_result> run_two_ranges(const adapter_entry& e, const scenario_config& cfg) {
    auto map = e.make();
    const capabilities caps = map->caps();
    const char* name = "two-ranges";
    if (!caps.concurrent) return {unsupported(name, e, cfg.threads, "single-threaded map")};
    if (!caps.range) return {unsupported(name, e, cfg.threads, "no traversal safe under concurrent writes")};

    const std::size_t n = cfg.keys ? cfg.keys : 1024;
    const std::size_t half = n / 2;
    const bool can_delete = caps.can_delete();
    scenario_result r = result_for(name, e, cfg.threads);
    if (!can_delete) r.variant = "overwrites only";

    ranged_workload w;
    w.writers = cfg.threads;
    w.rangers = 2;
    w.max_traversals = cfg.max_traversals / 2;
    w.ops_per_writer = cfg.ops_per_thread;
    w.preload = [&](thread_recorder& rec) {
        for (key_type k = 0; k < n; ++k) rec.store(k);
    };
    w.write_once = [&](worker_context& ctx) {
        const key_type k = ctx.rng() % n;
        if (!can_delete || k < half) {
            ctx.rec.store(k);
        } else {
            if (caps.has(op_kind::erase))
                ctx.rec.erase(k);
            else
                ctx.rec.load_and_delete(k);
            ctx.rec.store(k);
        }
        return true;
    };
    w.range_once = plain_range;

    const auto t0 = std::chrono::steady_clock::now();
    history h = run_ranged(*map, w, cfg);
    map.reset();
    check_history(h, r, cfg.skew);
    measure_writer_latency(h, r, 0, static_cast<std::uint16_t>(w.writers));

    measure_rank_correlation(h, static_cast<std::uint16_t>(w.writers), r);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return {std::move(r)};
}

}  // namespace syncmap::lab
