// Scenario store-during-range: keys stored while a range runs. Are they seen?
//
// Keys [0, n/2) are stored first and only overwritten; writers store keys of
// [n/2, n) that were absent (and erase them again, if the map can erase), while one
// thread ranges. Besides W1-W4, it measures how many keys that were certainly absent when
// a range started and certainly present when it ended were yielded ("seen %"): anything
// from 0 (Go's old sync.Map: keys fixed at start) to 100 is allowed by the contract.
#include <chrono>

#include "pitfall_measures.hpp"
#include "scenarios.hpp"

namespace syncmap::lab {

std::vector<scenario_result> run_store_during_range(const adapter_entry& e, const scenario_config& cfg) {
    auto map = e.make();
    const capabilities caps = map->caps();
    if (!caps.concurrent) return {unsupported("store-during-range", e, cfg.threads, "single-threaded map")};
    if (!caps.range) return {unsupported("store-during-range", e, cfg.threads, "no traversal safe under concurrent writes")};

    const std::size_t n = cfg.keys ? cfg.keys : 1024;
    const std::size_t half = n / 2;
    const bool can_delete = caps.can_delete();
    scenario_result r = result_for("store-during-range", e, cfg.threads);
    if (!can_delete) {
        r.variant = "inserts only";
        r.note = "the map cannot erase concurrently: fresh keys are only inserted";
    }

    ranged_workload w;
    w.writers = cfg.threads;
    w.max_traversals = cfg.max_traversals;
    w.ops_per_writer = cfg.ops_per_thread;
    w.preload = [&](thread_recorder& rec) {
        for (key_type k = 0; k < half; ++k) rec.store(k);
    };
    // Inserts only: fresh keys half, half+1, ... at 2 % of the operations, so that new keys
    // keep arriving for the whole run; the other operations overwrite stable keys.
    std::atomic<key_type> next_fresh{half};
    w.write_once = [&](worker_context& ctx) {
        const unsigned roll = ctx.rng() % 100;
        if (!can_delete) {
            if (roll < 2)
                ctx.rec.store(next_fresh.fetch_add(1, std::memory_order_relaxed));
            else
                ctx.rec.store(ctx.rng() % half);
        } else if (roll < 30) {
            ctx.rec.store(ctx.rng() % half);
        } else {
            const key_type k = half + ctx.rng() % (n - half);
            if (roll < 70)
                ctx.rec.store(k);
            else if (caps.has(op_kind::erase))
                ctx.rec.erase(k);
            else
                ctx.rec.load_and_delete(k);
        }
        return true;
    };
    w.range_once = plain_range;

    const auto t0 = std::chrono::steady_clock::now();
    history h = run_ranged(*map, w, cfg);
    map.reset();
    check_history(h, r, cfg.skew);
    measure_writer_latency(h, r, 0, static_cast<std::uint16_t>(w.writers));

    // Seen %: keys absent at the start, present at the end, and yielded.
    measure_stored_seen(h, half, can_delete ? n : next_fresh.load(), cfg.skew, r);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return {std::move(r)};
}

}  // namespace syncmap::lab
