// Scenario point-ops: clause L1 under a mix of every point operation.
#include <chrono>

#include "../core/workload.hpp"
#include "scenario.hpp"
#include "scenarios.hpp"

namespace syncmap::lab {

std::vector<scenario_result> run_point_ops(const adapter_entry& e, const scenario_config& cfg) {
    std::vector<scenario_result> out;
    struct variant {
        const char* name;
        double zipf;
    };
    for (const variant v : {variant{"uniform", 0.0}, variant{"zipf", cfg.zipf}}) {
        auto map = e.make();
        const capabilities caps = map->caps();
        if (!caps.concurrent && cfg.threads > 1) {
            out.push_back(unsupported("point-ops", e, cfg.threads, "single-threaded map"));
            return out;
        }
        scenario_result r = result_for("point-ops", e, cfg.threads);
        r.variant = v.zipf > 0 ? "zipf " + std::to_string(v.zipf).substr(0, 4) : v.name;
        point_workload w;
        w.keys = cfg.keys ? cfg.keys : 256;
        w.zipf = v.zipf;
        w.mix = op_mix::all_point_ops().restricted_to(caps);
        w.threads = cfg.threads;
        // Bounded so that one run's history stays a few MB and is checked in well under a second.
        w.ops_per_thread = cfg.ops_per_thread ? cfg.ops_per_thread : 240000 / cfg.threads;
        w.preload = w.keys / 2;
        w.seed = cfg.seed + (v.zipf > 0);
        w.limits.seconds = cfg.ops_per_thread ? 600 : cfg.seconds;  // --ops: the count decides
        const auto t0 = std::chrono::steady_clock::now();
        history h = run_point_workload(*map, w);
        map.reset();
        check_history(h, r, cfg.skew);
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace syncmap::lab
