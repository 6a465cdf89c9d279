#include <algorithm>
#include <stdexcept>

#include "../core/linearizability.hpp"
#include "../core/traversal_checker.hpp"
#include "scenario.hpp"

namespace syncmap::lab {

void check_history(const history& h, scenario_result& r, timestamp skew, bool check_l1) {
    if (!h.clears.empty())
        throw std::logic_error("check_history: L1 and W1-W4 do not model clear(); use window_checker");
    r.ops += h.ops.size();
    r.traversals += h.traversals.size();
    if (check_l1 && !h.ops.empty()) {
        l1_options options;
        options.skew = skew;
        const l1_report l1 = check_linearizability(h.ops, options);
        r.add(clause::L1, l1.tally);
    }
    if (!h.traversals.empty()) {
        const traversal_report w = check_traversals(h, skew);
        r.add(clause::W1, w.w1);
        r.add(clause::W2, w.w2);
        r.add(clause::W3, w.w3);
        r.add(clause::W4, w.w4);
    }
}

void measure_writer_latency(const history& h, scenario_result& r, std::uint16_t first_writer,
                            std::uint16_t end_writer) {
    std::vector<timestamp> latency;
    for (const op_record& op : h.ops) {
        if (op.thread < first_writer || op.thread >= end_writer) continue;
        if (op.kind == op_kind::load || op.kind == op_kind::contains) continue;
        latency.push_back(op.response - op.invoke);
    }
    if (latency.empty()) return;
    std::sort(latency.begin(), latency.end());
    auto at = [&](double q) {
        return static_cast<double>(latency[std::min(latency.size() - 1, static_cast<std::size_t>(q * latency.size()))]) / 1000.0;
    };
    r.metric("write p99 us", at(0.99));
    r.metric("write max us", static_cast<double>(latency.back()) / 1000.0);
}

scenario_result result_for(const std::string& scenario, const adapter_entry& e, unsigned threads) {
    scenario_result r;
    r.scenario = scenario;
    r.container = e.name;
    r.threads = threads;
    return r;
}

scenario_result unsupported(const std::string& scenario, const adapter_entry& e, unsigned threads, std::string why) {
    scenario_result r = result_for(scenario, e, threads);
    r.supported = false;
    r.note = std::move(why);
    return r;
}

}  // namespace syncmap::lab
