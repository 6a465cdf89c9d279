// The report folder: results.json, README.md (the tables, per-run details, violations)
// and PNG plots drawn by lab/plots.py with matplotlib.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "plot_script.hpp"
#include "results.hpp"

#ifndef SYNCMAP_LAB_PLOTS_SCRIPT
#define SYNCMAP_LAB_PLOTS_SCRIPT "lab/plots.py"
#endif

namespace syncmap::lab {

namespace {

std::string markdown_table(const std::vector<std::vector<std::string>>& rows) {
    std::ostringstream s;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        s << "|";
        for (const auto& c : rows[i]) s << " " << c << " |";
        s << "\n";
        if (i == 0) {
            s << "|";
            for (std::size_t j = 0; j < rows[i].size(); ++j) s << "---|";
            s << "\n";
        }
    }
    return s.str();
}

}  // namespace

std::string write_report(const lab_run& run, const std::string& dir_name, bool plots) {
    namespace fs = std::filesystem;
    const fs::path dir(dir_name);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return "report not written: cannot create " + dir_name + ": " + ec.message();

    {
        std::ofstream json(dir / "results.json");
        json << to_json(run);
    }
    const std::string plot_status = plots ? run_plot_script(SYNCMAP_LAB_PLOTS_SCRIPT, dir) : "disabled by --no-plots";

    std::ostringstream md;
    md << "# syncmap-lab report\n\n";
    md << "Wall time " << static_cast<int>(run.wall_seconds) << " s; thread counts";
    for (unsigned t : run.opts.threads) md << " " << t;
    md << "; " << run.opts.config.seconds << " s per run; seed " << run.opts.config.seed << ".\n";
    md << "Promised clauses of syncmap containers violated: " << promised_violations(run) << ".\n\n";
    md << "How to read this: docs/LAB.md. A cell is `violations / checks`; `unknown` checks hit the search "
          "budget and are not passes; `not promised`: measured for comparison; `not supported`: the map has no "
          "such mode (or using it so would be undefined behaviour).\n\n";

    md << "## Clauses\n\n";
    for (const auto& g : clause_groups()) {
        md << "### " << g.title << "\n\nA check is: " << g.unit << ".\n\n";
        std::vector<std::vector<std::string>> rows;
        std::vector<std::string> head{"container"};
        for (clause k : g.clauses) head.emplace_back(to_string(k));
        rows.push_back(head);
        for (const auto& c : run.containers) {
            std::vector<std::string> row{c.entry.name + (c.entry.origin == "peer" ? " (peer)" : "")};
            for (clause k : g.clauses) row.push_back(clause_cell(run, c, k).text());
            rows.push_back(row);
        }
        md << markdown_table(rows) << "\n";
    }
    if (plot_status.empty()) md << "![clause table](clauses.png)\n\n";

    md << "## Containers\n\n";
    for (const auto& c : run.containers) md << "- **" << c.entry.name << "** (" << c.entry.origin << "): " << c.entry.description << "\n";
    md << "\n## Measurements\n\n";
    for (const std::string& group : measurement_groups()) {
        md << "### " << group << "\n\n";
        std::vector<std::vector<std::string>> rows;
        std::vector<std::string> head{"container"};
        for (const auto& col : measurement_columns())
            if (col.group == group) head.push_back(col.title);
        rows.push_back(head);
        for (const auto& c : run.containers) {
            std::vector<std::string> row{c.entry.name};
            for (const auto& col : measurement_columns()) {
                if (col.group != group) continue;
                auto v = measurement(run, c.entry.name, col);
                char buf[64];
                std::snprintf(buf, sizeof buf, "%.*f", col.decimals, v.value_or(0));
                row.emplace_back(v ? buf : "-");
            }
            rows.push_back(row);
        }
        md << markdown_table(rows) << "\n";
    }
    if (plot_status.empty()) {
        md << "![rank correlation of concurrent traversals](rank_correlation.png)\n\n";
        md << "![memory retired but not yet freed: long range, control, chunked scans](retired_memory.png)\n\n";
        md << "![what a live snapshot retains, and its release](snapshot_memory.png)\n\n";
        md << "![keys stored during a range and seen](stored_seen.png)\n\n";
        md << "![writer latency during ranges](writer_latency.png)\n\n";
    } else {
        md << "Plots skipped: " << plot_status << "\n\n";
    }

    md << "## Claims, as measured\n\n" << claims_markdown(run) << "\n";

    md << "## Runs\n\n";
    {
        std::vector<std::string> head{"scenario", "container", "threads", "variant", "ops", "traversals"};
        for (clause k : shown_clauses(run)) head.emplace_back(to_string(k));
        head.insert(head.end(), {"seconds", "notes"});
        std::vector<std::vector<std::string>> rows{head};
        std::string previous;
        for (const auto& r : run.results) {
            // The first row of each scenario's runs on a container carries the anchor the
            // claims table links to.
            const std::string anchor = run_anchor(r.scenario, r.container);
            std::string first = r.scenario;
            if (anchor != previous) first = "<a id=\"" + anchor + "\"></a>" + first;
            previous = anchor;
            std::vector<std::string> row{first, r.container, std::to_string(r.threads), r.variant};
            if (!r.supported) {
                while (row.size() + 1 < head.size()) row.emplace_back("-");
                row.push_back("not supported: " + r.note);
            } else {
                row.push_back(std::to_string(r.ops));
                row.push_back(std::to_string(r.traversals));
                for (clause k : shown_clauses(run)) {
                    const auto& t = r.clauses[static_cast<std::size_t>(k)];
                    row.push_back(t ? std::to_string(t->violations) + "/" + std::to_string(t->checks) +
                                          (t->unknown ? " +" + std::to_string(t->unknown) + "?" : "")
                                    : "-");
                }
                char buf[32];
                std::snprintf(buf, sizeof buf, "%.2f", r.seconds);
                row.emplace_back(buf);
                std::string notes = r.note;
                for (const auto& [name, v] : r.metrics) {
                    std::snprintf(buf, sizeof buf, "%.3g", v);
                    notes += (notes.empty() ? "" : "; ") + name + " " + buf;
                }
                row.push_back(notes);
            }
            rows.push_back(row);
        }
        md << markdown_table(rows) << "\n";
    }

    md << "## Violations\n\n";
    bool any = false;
    for (const auto& c : run.containers)
        for (clause k : shown_clauses(run)) {
            const cell x = clause_cell(run, c, k);
            if (!x.tally || x.tally->violations == 0) continue;
            any = true;
            md << "- " << c.entry.name << " " << to_string(k) << ": " << x.tally->violations << " of "
               << x.tally->checks << (x.level == promise::promised ? " (promised)" : " (not promised)") << "\n";
            for (const auto& e : x.tally->examples) md << "  - `" << e << "`\n";
        }
    if (!any) md << "None.\n";

    std::ofstream(dir / "README.md") << md.str();
    std::string status = "report written to " + dir_name + "/README.md";
    if (!plot_status.empty()) status += "; plots skipped: " + plot_status;
    return status;
}

}  // namespace syncmap::lab
