// Scenario erase-during-range: keys erased ahead of and behind the traversal's position.
//
// Keys [0, n/4) are stable. Writers erase and re-insert keys of [n/2, n) (erase then
// store: the re-inserted key must not be yielded twice, W2). If the map lets the range
// callback call it (W5), the callback itself, every 8th item, erases a key it already
// yielded and stores it again ("behind": must not come back, W2), and erases a key of
// [n/4, n/2) it has not yet met ("ahead"), restored after the range. Measured: how many
// erased-ahead keys were yielded anyway (allowed by W3, since they were present at the
// start; a range reading the live map yields none, a range over a snapshot yields them).
#include <chrono>
#include <thread>
#include <unordered_set>

#include "scenarios.hpp"

namespace syncmap::lab {

std::vector<scenario_result> run_erase_during_range(const adapter_entry& e, const scenario_config& cfg) {
    auto map = e.make();
    const capabilities caps = map->caps();
    const char* name = "erase-during-range";
    if (!caps.concurrent) return {unsupported(name, e, cfg.threads, "single-threaded map")};
    if (!caps.range) return {unsupported(name, e, cfg.threads, "no traversal safe under concurrent writes")};
    if (!caps.can_delete()) return {unsupported(name, e, cfg.threads, "no concurrent erase")};

    const std::size_t n = cfg.keys ? cfg.keys : 1024;
    const std::size_t quarter = n / 4, half = n / 2;
    scenario_result r = result_for(name, e, cfg.threads);
    const bool in_callback = caps.range_reentrant;
    r.variant = in_callback ? "writers + callback" : "writers only";
    if (!in_callback) r.note = "the range callback may not call the map: erasures come from writer threads only";

    auto erase = [&](thread_recorder& rec, key_type k) {
        if (caps.has(op_kind::erase))
            rec.erase(k);
        else
            rec.load_and_delete(k);
    };

    ranged_workload w;
    w.writers = cfg.threads;
    w.max_traversals = cfg.max_traversals;
    w.ops_per_writer = cfg.ops_per_thread;
    w.preload = [&](thread_recorder& rec) {
        for (key_type k = 0; k < n; ++k) rec.store(k);
    };
    w.write_once = [&](worker_context& ctx) {
        const key_type k = half + ctx.rng() % (n - half);
        erase(ctx.rec, k);
        ctx.rec.store(k);
        return true;
    };
    std::uint64_t erased_ahead = 0, erased_ahead_yielded = 0;
    w.range_once = [&](worker_context& ctx) {
        if (!in_callback) return plain_range(ctx);
        std::unordered_set<key_type> met;
        std::vector<std::pair<key_type, std::size_t>> ahead;  // key, index of the item at erase time
        std::vector<key_type> band_met;
        auto& t = ctx.rec.range([&](key_type k, value_type, std::size_t index) {
            item_work();
            met.insert(k);
            if (k >= quarter && k < half) band_met.push_back(k);
            if (index % 8 == 7) {
                if (!band_met.empty()) {  // behind: erase and re-insert a key already met
                    const key_type b = band_met[ctx.rng() % band_met.size()];
                    erase(ctx.rec, b);
                    ctx.rec.store(b);
                }
                for (int tries = 0; tries < 4; ++tries) {  // ahead: a band key not met yet
                    const key_type a = quarter + ctx.rng() % (half - quarter);
                    if (met.count(a)) continue;
                    erase(ctx.rec, a);
                    met.insert(a);  // never picked twice in one range
                    ahead.emplace_back(a, index);
                    break;
                }
            }
            return true;
        });
        for (const auto& [a, at] : ahead) {
            ++erased_ahead;
            for (std::size_t i = at + 1; i < t.items.size(); ++i)
                if (t.items[i].first == a) {
                    ++erased_ahead_yielded;
                    break;
                }
        }
        for (const auto& [a, at] : ahead) ctx.rec.store(a);
    };

    const auto t0 = std::chrono::steady_clock::now();
    history h = run_ranged(*map, w, cfg);
    map.reset();
    check_history(h, r, cfg.skew);
    measure_writer_latency(h, r, 0, static_cast<std::uint16_t>(w.writers));
    if (in_callback) {
        r.metric("erased ahead by the callback", static_cast<double>(erased_ahead));
        r.metric("erased ahead yet yielded", static_cast<double>(erased_ahead_yielded));
        if (erased_ahead)
            r.metric("erased ahead yet yielded %",
                     100.0 * static_cast<double>(erased_ahead_yielded) / static_cast<double>(erased_ahead));
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return {std::move(r)};
}

}  // namespace syncmap::lab
