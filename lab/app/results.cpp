#include "results.hpp"

#include <algorithm>

namespace syncmap::lab {

std::string cell::text() const {
    if (level == promise::not_supported || !tally) return "not supported";
    std::string s = std::to_string(tally->violations) + " / " + std::to_string(tally->checks);
    if (tally->unknown) s += " +" + std::to_string(tally->unknown) + " unknown";
    if (level == promise::not_promised) s += " not promised";
    return s;
}

cell clause_cell(const lab_run& run, const container_info& c, clause k) {
    cell out;
    out.level = c.promises[static_cast<std::size_t>(k)];
    for (const auto& r : run.results) {
        if (r.container != c.entry.name || !r.supported) continue;
        if (const auto& t = r.clauses[static_cast<std::size_t>(k)]) {
            if (!out.tally) out.tally.emplace();
            out.tally->merge(*t);
        }
    }
    return out;
}

std::vector<clause> shown_clauses(const lab_run& run) {
    std::vector<clause> out{clause::L1, clause::W1, clause::W2, clause::W3, clause::W4};
    for (clause k : {clause::S1, clause::C2, clause::G1})
        for (const auto& c : run.containers)
            if (clause_cell(run, c, k).tally) {
                out.push_back(k);
                break;
            }
    return out;
}

std::uint64_t promised_violations(const lab_run& run) {
    std::uint64_t n = 0;
    for (const auto& c : run.containers) {
        if (c.entry.origin != "syncmap") continue;
        for (std::size_t k = 0; k < clause_count; ++k) {
            if (c.promises[k] != promise::promised) continue;
            const cell x = clause_cell(run, c, static_cast<clause>(k));
            if (x.tally) n += x.tally->violations;
        }
    }
    return n;
}

const std::vector<measurement_column>& measurement_columns() {
    static const std::vector<measurement_column> cols = {
        {"stored-during seen %", "store-during-range", "stored during range and seen %", 0, 1},
        {"erased-ahead yielded %", "erase-during-range", "erased ahead yet yielded %", 0, 1},
        {"stable keys missed", "churn-during-range", "stable keys missed", 0, 0},
        {"two-ranges rank corr", "two-ranges", "mean rank correlation", 0, 2},
        {"ranges in growth", "growth-during-range", "ranges during growth", 0, 0},
        {"writer p99 us (t=1)", "store-during-range", "write p99 us", 1, 1},
        {"writer max us (t=1)", "store-during-range", "write max us", 1, 0},
        {"retired MiB in range", "retired-memory", "retired MiB max during range", 0, 1},
        {"retired MiB control", "retired-memory", "retired MiB max during control spin", 0, 1},
    };
    return cols;
}

std::optional<double> measurement(const lab_run& run, const std::string& container, const measurement_column& col) {
    double sum = 0;
    int n = 0;
    for (const auto& r : run.results) {
        if (r.container != container || r.scenario != col.scenario || !r.supported) continue;
        if (col.threads && r.threads != col.threads) continue;
        for (const auto& [name, v] : r.metrics)
            if (name == col.metric) {
                sum += v;
                ++n;
            }
    }
    if (n == 0) return std::nullopt;
    if (col.metric == "stable keys missed" || col.metric == "ranges during growth") return sum;  // totals
    return sum / n;
}

namespace {

void print_rule(std::FILE* out, const std::vector<std::size_t>& widths) {
    for (std::size_t w : widths) {
        std::fputc('+', out);
        for (std::size_t i = 0; i < w + 2; ++i) std::fputc('-', out);
    }
    std::fputs("+\n", out);
}

void print_row(std::FILE* out, const std::vector<std::string>& cells, const std::vector<std::size_t>& widths) {
    for (std::size_t i = 0; i < cells.size(); ++i) std::fprintf(out, "| %-*s ", static_cast<int>(widths[i]), cells[i].c_str());
    std::fputs("|\n", out);
}

void print_grid(std::FILE* out, const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> widths(rows.front().size(), 0);
    for (const auto& r : rows)
        for (std::size_t i = 0; i < r.size(); ++i) widths[i] = std::max(widths[i], r[i].size());
    print_rule(out, widths);
    print_row(out, rows.front(), widths);
    print_rule(out, widths);
    for (std::size_t i = 1; i < rows.size(); ++i) print_row(out, rows[i], widths);
    print_rule(out, widths);
}

std::string format(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

}  // namespace

void print_clause_table(std::FILE* out, const lab_run& run) {
    const auto clauses = shown_clauses(run);
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> head{"container"};
    for (clause k : clauses) head.emplace_back(to_string(k));
    rows.push_back(head);
    for (const auto& c : run.containers) {
        std::vector<std::string> row{c.entry.name + (c.entry.origin == "syncmap" ? "" : " (peer)")};
        for (clause k : clauses) row.push_back(clause_cell(run, c, k).text());
        rows.push_back(row);
    }
    std::fprintf(out, "Clauses: violations / checks (L1: per-key histories; W1-W4: traversals)\n");
    print_grid(out, rows);
    if (clauses.size() == 5)
        std::fprintf(out, "S1, C2, G1: not supported by any container in this build (snapshot, scan and\n"
                          "go_map iteration are not wired into the lab yet).\n");
}

void print_measurements(std::FILE* out, const lab_run& run) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> head{"container"};
    std::vector<const measurement_column*> cols;
    for (const auto& col : measurement_columns()) {
        bool any = false;
        for (const auto& c : run.containers) any = any || measurement(run, c.entry.name, col).has_value();
        if (!any) continue;
        cols.push_back(&col);
        head.push_back(col.title);
    }
    if (cols.empty()) return;
    rows.push_back(head);
    for (const auto& c : run.containers) {
        std::vector<std::string> row{c.entry.name};
        for (const auto* col : cols) {
            auto v = measurement(run, c.entry.name, *col);
            row.push_back(v ? format(*v, col->decimals) : "-");
        }
        rows.push_back(row);
    }
    std::fprintf(out, "\nMeasurements (means over thread counts; '-' = scenario not supported)\n");
    print_grid(out, rows);
}

void print_violations(std::FILE* out, const lab_run& run) {
    bool header = false;
    for (const auto& c : run.containers) {
        for (clause k : shown_clauses(run)) {
            const cell x = clause_cell(run, c, k);
            if (!x.tally || (x.tally->violations == 0 && x.tally->unknown == 0)) continue;
            if (!header) {
                std::fprintf(out, "\nViolations and undecided checks:\n");
                header = true;
            }
            std::fprintf(out, "  %s %s: %llu violations, %llu unknown (%s)\n", c.entry.name.c_str(),
                         std::string(to_string(k)).c_str(), static_cast<unsigned long long>(x.tally->violations),
                         static_cast<unsigned long long>(x.tally->unknown),
                         x.level == promise::promised ? "PROMISED" : "not promised");
            for (const auto& e : x.tally->examples) std::fprintf(out, "      e.g. %s\n", e.c_str());
        }
    }
}

}  // namespace syncmap::lab
