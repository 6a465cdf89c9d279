// lab/scenarios/scenario.hpp - a scenario drives one map with a workload, checks the
// history it left, and reports clause tallies and measurements.
//
// Scenarios receive an adapter_entry (a factory: each run gets a fresh map) and a
// configuration, and return one scenario_result per run. A scenario that needs a
// capability the map lacks returns a result marked unsupported with the reason, and runs
// nothing: the lab never drives a map into undefined behaviour.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../core/adapter.hpp"
#include "../core/history.hpp"
#include "../core/tally.hpp"

namespace syncmap::lab {

struct scenario_config {
    unsigned threads = 2;               // worker threads (writers, for traversal scenarios)
    double seconds = 0.2;               // wall-clock budget of one run
    std::uint64_t ops_per_thread = 0;   // 0: no cap; runs end at the deadline
    std::size_t keys = 0;               // 0: the scenario's default key space
    double zipf = 0.99;                 // the skewed variant of point-ops
    std::uint64_t seed = 1;
    std::size_t max_traversals = 300;   // per run: bounds the recorded history's memory
    timestamp skew = default_clock_skew_ns;  // cross-thread real-time tolerance of the checkers
};

// A measured curve for the report's plots.
struct series {
    std::string name;
    std::string x_label, y_label;
    std::vector<double> x, y;
};

struct scenario_result {
    std::string scenario;
    std::string container;
    std::string variant;  // e.g. "uniform", "zipf 0.99", "inserts only"
    unsigned threads = 0;
    bool supported = true;
    std::string note;  // why unsupported, or what was reduced
    std::array<std::optional<clause_tally>, clause_count> clauses;
    std::vector<std::pair<std::string, double>> metrics;  // name, value (units in the name)
    std::vector<series> curves;
    std::uint64_t ops = 0;
    std::uint64_t traversals = 0;
    double seconds = 0;  // run plus check

    void add(clause c, const clause_tally& t) {
        auto& slot = clauses[static_cast<std::size_t>(c)];
        if (!slot) slot.emplace();
        slot->merge(t);
    }
    void metric(std::string name, double value) { metrics.emplace_back(std::move(name), value); }
};

struct scenario {
    std::string name;
    std::string summary;  // one line
    std::string details;  // what it does and measures, for --help
    bool single_thread_count = false;  // run once, with one worker
    std::function<std::vector<scenario_result>(const adapter_entry&, const scenario_config&)> run;
};

// Every scenario, in the order the lab runs them.
const std::vector<scenario>& all_scenarios();

// Shared steps: L1 over the history's point operations, W1-W4 over its traversals, and
// writer latency figures; each adds to `r`.
void check_history(const history& h, scenario_result& r, timestamp skew, bool check_l1 = true);
void measure_writer_latency(const history& h, scenario_result& r, std::uint16_t first_writer,
                            std::uint16_t end_writer);
// An empty result of `scenario` on e's container at `threads` threads, to fill in; or one
// marked unsupported, with the reason.
scenario_result result_for(const std::string& scenario, const adapter_entry& e, unsigned threads);
scenario_result unsupported(const std::string& scenario, const adapter_entry& e, unsigned threads,
                            std::string why);

}  // namespace syncmap::lab
