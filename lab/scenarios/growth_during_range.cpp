// Scenario growth-during-range: start with 16 keys and insert until the table has grown
// many times, while a range runs.
//
// Writers insert fresh keys 16 .. 16+n-1 (disjoint slices, ascending) while one thread
// ranges until the writers are done; the 16 first keys are present throughout every range
// (W1), and a key moved by a split or rehash must be yielded once (W2). Repeated on fresh
// maps until the run's time budget is spent, so that each figure rests on many ranges.
#include <chrono>
#include <thread>

#include "scenarios.hpp"

namespace syncmap::lab {

std::vector<scenario_result> run_growth_during_range(const adapter_entry& e, const scenario_config& cfg) {
    const char* name = "growth-during-range";
    {
        auto probe = e.make();
        const capabilities caps = probe->caps();
        if (!caps.concurrent) return {unsupported(name, e, cfg.threads, "single-threaded map")};
        if (!caps.range) return {unsupported(name, e, cfg.threads, "no traversal safe under concurrent writes")};
    }
    constexpr std::size_t initial = 16;
    const std::size_t inserted = cfg.keys ? cfg.keys : 32768;
    scenario_result r = result_for(name, e, cfg.threads);

    const auto t0 = std::chrono::steady_clock::now();
    std::uint64_t repetitions = 0;
    std::string before, after;
    std::size_t traversals_during_growth = 0;
    do {
        auto map = e.make();
        ranged_workload w;
        w.writers = cfg.threads;
        w.max_traversals = cfg.max_traversals;
        w.rangers_wait_for_writers = true;
        w.preload = [&](thread_recorder& rec) {
            for (key_type k = 0; k < initial; ++k) rec.store(k);
            if (before.empty()) before = map->structure();
        };
        // Writers pace their inserts over half the run's budget, so that growth spans many
        // traversals instead of finishing within the first few.
        std::vector<key_type> cursor(w.writers);
        const std::size_t slice = inserted / w.writers;
        const auto growth_start = std::chrono::steady_clock::now();
        const double growth_seconds = cfg.seconds / 2;
        w.write_once = [&](worker_context& ctx) {
            key_type& i = cursor[ctx.index];
            if (i >= slice) return false;
            if (i % 64 == 0) {
                const auto due = growth_start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                    std::chrono::duration<double>(growth_seconds * static_cast<double>(i) / slice));
                pace_until(due, ctx);
            }
            ctx.rec.store(initial + ctx.index * slice + i++);
            return true;
        };
        w.range_once = plain_range;
        scenario_config run_cfg = cfg;
        run_cfg.seed = cfg.seed + repetitions;
        run_cfg.seconds = growth_seconds;  // pacing of the rangers; the run ends when the writers are done
        w.max_traversals = std::max<std::size_t>(cfg.max_traversals / 2, 2);
        w.deadline_seconds = cfg.seconds * 10 + 5;  // a safety net only
        history h = run_ranged(*map, w, run_cfg);
        if (after.empty()) after = map->structure();
        map.reset();
        traversals_during_growth += h.traversals.size();
        check_history(h, r, cfg.skew, /*check_l1=*/false);  // inserts of fresh keys only: nothing for L1
        if (repetitions == 0) measure_writer_latency(h, r, 0, static_cast<std::uint16_t>(w.writers));
        ++repetitions;
    } while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < cfg.seconds);

    r.metric("maps grown", static_cast<double>(repetitions));
    r.metric("growth factor", static_cast<double>(initial + inserted) / initial);
    r.metric("ranges during growth", static_cast<double>(traversals_during_growth));
    if (!before.empty()) r.note = "structure: " + before + " -> " + after;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return {std::move(r)};
}

}  // namespace syncmap::lab
