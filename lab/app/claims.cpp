// The claims table of the report: folklore about concurrent maps and iteration, and what
// the lab measured for each container and peer, each figure linked to the runs of the
// scenario that produced it (the anchors of the report's Runs table).
#include <cstdio>

#include "results.hpp"

namespace syncmap::lab {

namespace {

struct claim_column {
    std::string claim;      // the folklore, as it is usually said
    std::string figure;     // what the cell shows
    std::string scenario;   // where it comes from
    std::string metric;
    measurement_column::aggregate how;
    int decimals;
    std::string fallback_scenario = {};  // used when the container did not run `scenario`
};

const std::vector<claim_column>& claim_columns() {
    using agg = measurement_column::aggregate;
    static const std::vector<claim_column> cols = {
        {"a key stored during Range may or may not be seen", "keys stored during a range that it yielded, %",
         "store-during-range", "stored during range and seen %", agg::mean, 1},
        {"deleted keys can still be visited",
         "keys the range callback erased ahead of the range and the range yielded after that erase returned (count)",
         "erase-during-range", "erased ahead yet yielded", agg::sum, 0},
        {"mixing Store and LoadAndDelete makes Range stop early",
         "stable keys missed by ranges while writers mix store and load_and_delete (count)", "churn-during-range",
         "stable keys missed", agg::sum, 0},
        {"two concurrent ranges visit keys in the same order", "Spearman rank correlation of overlapping ranges",
         "two-ranges", "mean rank correlation", agg::mean, 2},
        {"a full SCAN pass yields each key once", "keys yielded again, per full pass (scan-pass; else churn-during-range ranges)",
         "scan-pass", "duplicates per pass", agg::mean, 3, "churn-during-range"},
        {"SCAN never misses a key", "stable keys missed per full pass (scan-pass without clears; else churn-during-range ranges)",
         "scan-pass", "stable keys missed per range", agg::mean, 3, "churn-during-range"},
    };
    return cols;
}

}  // namespace

std::string run_anchor(const std::string& scenario, const std::string& container) {
    return "run-" + scenario + "-" + container;
}

std::string claims_markdown(const lab_run& run) {
    std::string md =
        "Each column is a claim often made about concurrent maps and their iteration, and the figure that "
        "tests it; each figure links to the runs that produced it. `-`: the container did not run that "
        "scenario (not supported, or not selected).\n\n";
    const auto& cols = claim_columns();
    for (std::size_t i = 0; i < cols.size(); ++i)
        md += std::to_string(i + 1) + ". \"" + cols[i].claim + "\": " + cols[i].figure + ".\n";
    md += "\n| container |";
    for (std::size_t i = 0; i < cols.size(); ++i) md += " " + std::to_string(i + 1) + " |";
    md += "\n|---|";
    for (std::size_t i = 0; i < cols.size(); ++i) md += "---|";
    md += "\n";
    for (const auto& c : run.containers) {
        md += "| " + c.entry.name + " |";
        for (const auto& col : cols) {
            measurement_column m{"", "", col.scenario, col.metric, 0, col.decimals, col.how};
            std::optional<double> v = measurement(run, c.entry.name, m);
            if (!v && !col.fallback_scenario.empty()) {
                m.scenario = col.fallback_scenario;
                v = measurement(run, c.entry.name, m);
            }
            if (!v) {
                md += " - |";
                continue;
            }
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.*f", col.decimals, *v);
            md += " [" + std::string(buf) + "](#" + run_anchor(m.scenario, c.entry.name) + ") |";
        }
        md += "\n";
    }
    return md;
}

}  // namespace syncmap::lab
