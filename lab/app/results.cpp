#include "results.hpp"

#include <algorithm>

namespace syncmap::lab {

std::string cell::text() const {
    if (level == promise::not_supported) return "not supported";
    if (!tally) return "not run";  // supported, but no selected scenario checked it
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

const std::vector<clause_group>& clause_groups() {
    static const std::vector<clause_group> groups = {
        {"Point operations and weakly consistent traversals",
         "L1: per-key histories; W1-W4: traversals (range)",
         {clause::L1, clause::W1, clause::W2, clause::W3, clause::W4}},
        {"Snapshots, cursors and go_map iteration",
         "S1: snapshots; S2: snapshot verifications; C2: full scan passes; C4: chunked snapshot walks; "
         "G1: go_map passes",
         {clause::S1, clause::S2, clause::C2, clause::C4, clause::G1}},
    };
    return groups;
}

std::vector<clause> shown_clauses(const lab_run&) {
    std::vector<clause> out;
    for (const auto& g : clause_groups()) out.insert(out.end(), g.clauses.begin(), g.clauses.end());
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
    using agg = measurement_column::aggregate;
    static const std::string pitfalls = "traversal pitfalls";
    static const std::string memory =
        "memory held back (retired-but-not-freed MiB during a long range, a control spin and a chunked scan "
        "pass; what one live snapshot retains, and after its release)";
    static const std::string views = "snapshots, cursors, go_map";
    static const std::vector<measurement_column> cols = {
        {pitfalls, "stored-during seen %", "store-during-range", "stored during range and seen %", 0, 1},
        {pitfalls, "erased-ahead yielded %", "erase-during-range", "erased ahead yet yielded %", 0, 1},
        {pitfalls, "stable keys missed", "churn-during-range", "stable keys missed", 0, 0, agg::sum},
        {pitfalls, "two-ranges rank corr", "two-ranges", "mean rank correlation", 0, 2},
        {pitfalls, "ranges in growth", "growth-during-range", "ranges during growth", 0, 0, agg::sum},
        {pitfalls, "writer p99 us (t=1)", "store-during-range", "write p99 us", 1, 1},
        {pitfalls, "writer max us (t=1)", "store-during-range", "write max us", 1, 0},
        {memory, "range max MiB", "retired-memory", "retired MiB max during range", 0, 1},
        {memory, "control max MiB", "retired-memory", "retired MiB max during control spin", 0, 1},
        {memory, "chunked max MiB", "retired-memory", "retired MiB max during chunked pass", 0, 1},
        {memory, "range mean MiB", "retired-memory", "retired MiB mean during range", 0, 1},
        {memory, "control mean MiB", "retired-memory", "retired MiB mean during control spin", 0, 1},
        {memory, "chunked mean MiB", "retired-memory", "retired MiB mean during chunked pass", 0, 1},
        {memory, "retained: snapshot alive", "snapshot-memory", "retained max while snapshot lives", 0, 0},
        {memory, "retained: after release", "snapshot-memory", "retained max 10 ms after release on", 0, 0},
        {memory, "MiB after release", "snapshot-memory", "retired MiB max after release", 0, 1},
        {views, "snapshot() ns median", "snapshot-under-churn", "snapshot() median ns", 0, 0},
        {views, "snapshot() ns max", "snapshot-under-churn", "snapshot() max ns", 0, 0, agg::max},
        {views, "C2 calls per pass", "scan-pass", "scan calls per pass", 0, 1},
        {views, "C2 passes racing restructuring %", "scan-pass", "passes racing restructuring %", 0, 0},
        {views, "C2 passes from stopped range", "scan-pass", "passes begun as a stopped range", 0, 0, agg::sum},
        {views, "G1 yields", "go-map-iteration", "yields", 0, 0, agg::sum},
        {views, "G1 passes across growth", "go-map-iteration", "passes across restructuring", 0, 0, agg::sum},
        {views, "Go race caught %", "go-map-iteration", "race detected %", 0, 0},
    };
    return cols;
}

std::vector<std::string> measurement_groups() {
    std::vector<std::string> out;
    for (const auto& c : measurement_columns())
        if (std::find(out.begin(), out.end(), c.group) == out.end()) out.push_back(c.group);
    return out;
}

std::optional<double> measurement(const lab_run& run, const std::string& container, const measurement_column& col) {
    double sum = 0, max = 0;
    int n = 0;
    for (const auto& r : run.results) {
        if (r.container != container || r.scenario != col.scenario || !r.supported) continue;
        if (col.threads && r.threads != col.threads) continue;
        for (const auto& [name, v] : r.metrics)
            if (name == col.metric) {
                sum += v;
                max = n == 0 ? v : std::max(max, v);
                ++n;
            }
    }
    if (n == 0) return std::nullopt;
    switch (col.how) {
        case measurement_column::aggregate::sum: return sum;
        case measurement_column::aggregate::max: return max;
        case measurement_column::aggregate::mean: break;
    }
    return sum / n;
}

namespace {

// The terminal tables fit in this many columns (a side-by-side terminal, a CI log).
constexpr std::size_t max_table_width = 120;

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

void print_grid_part(std::FILE* out, const std::vector<std::vector<std::string>>& rows,
                     const std::vector<std::size_t>& columns, const std::vector<std::size_t>& widths) {
    auto pick = [&](const std::vector<std::string>& row) {
        std::vector<std::string> cells;
        for (std::size_t c : columns) cells.push_back(row[c]);
        return cells;
    };
    std::vector<std::size_t> part_widths;
    for (std::size_t c : columns) part_widths.push_back(widths[c]);
    print_rule(out, part_widths);
    print_row(out, pick(rows.front()), part_widths);
    print_rule(out, part_widths);
    for (std::size_t i = 1; i < rows.size(); ++i) print_row(out, pick(rows[i]), part_widths);
    print_rule(out, part_widths);
}

// Prints rows (the first is the header) as a grid no wider than max_table_width: if the
// columns do not fit, the table is split into consecutive parts of about as many columns
// each, every part repeating the first column (the container).
void print_grid(std::FILE* out, const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> widths(rows.front().size(), 0);
    for (const auto& r : rows)
        for (std::size_t i = 0; i < r.size(); ++i) widths[i] = std::max(widths[i], r[i].size());
    auto drawn = [](std::size_t w) { return w + 3; };  // "| " + cell + " "; the closing '|' is counted once
    // Splits columns 1.. into parts: each takes as many as fit and at most `cap`, but one at least.
    auto split = [&](std::size_t cap) {
        std::vector<std::vector<std::size_t>> parts;
        for (std::size_t column = 1; column < widths.size();) {
            std::vector<std::size_t> part{0};
            std::size_t used = 1 + drawn(widths[0]);
            while (column < widths.size() && part.size() <= cap &&
                   (part.size() == 1 || used + drawn(widths[column]) <= max_table_width)) {
                used += drawn(widths[column]);
                part.push_back(column++);
            }
            parts.push_back(std::move(part));
        }
        return parts;
    };
    const std::size_t data_columns = widths.size() - 1;
    auto parts = split(data_columns);
    if (parts.size() > 1) {
        // Balance: the same number of parts, with their columns spread evenly.
        auto balanced = split((data_columns + parts.size() - 1) / parts.size());
        if (balanced.size() == parts.size()) parts = std::move(balanced);
    }
    for (const auto& part : parts) {
        if (&part != &parts.front()) std::fputc('\n', out);
        print_grid_part(out, rows, part, widths);
    }
}

// Prints text as lines of at most max_table_width columns, breaking at spaces; lines
// after the first are indented by `indent` more spaces than the first, whose own indent is
// `first_indent`.
void print_wrapped(std::FILE* out, const std::string& text, std::size_t first_indent = 0, std::size_t indent = 0) {
    std::size_t start = 0;
    std::size_t lead = first_indent;
    while (text.size() - start > max_table_width - lead) {
        const std::size_t room = max_table_width - lead;
        std::size_t cut = text.rfind(' ', start + room);
        if (cut == std::string::npos || cut <= start) cut = start + room;
        std::fprintf(out, "%*s%s\n", static_cast<int>(lead), "", text.substr(start, cut - start).c_str());
        start = cut < text.size() && text[cut] == ' ' ? cut + 1 : cut;
        lead = first_indent + indent;
    }
    std::fprintf(out, "%*s%s\n", static_cast<int>(lead), "", text.substr(start).c_str());
}

std::string format(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

}  // namespace

void print_clause_table(std::FILE* out, const lab_run& run) {
    for (const auto& g : clause_groups()) {
        std::vector<std::vector<std::string>> rows;
        std::vector<std::string> head{"container"};
        for (clause k : g.clauses) head.emplace_back(to_string(k));
        rows.push_back(head);
        for (const auto& c : run.containers) {
            std::vector<std::string> row{c.entry.name + (c.entry.origin == "syncmap" ? "" : " (peer)")};
            for (clause k : g.clauses) row.push_back(clause_cell(run, c, k).text());
            rows.push_back(row);
        }
        if (&g != &clause_groups().front()) std::fputc('\n', out);
        print_wrapped(out, g.title + ": violations / checks (" + g.unit + ")");
        print_grid(out, rows);
    }
}

void print_measurements(std::FILE* out, const lab_run& run) {
    for (const std::string& group : measurement_groups()) {
        std::vector<std::vector<std::string>> rows;
        std::vector<std::string> head{"container"};
        std::vector<const measurement_column*> cols;
        for (const auto& col : measurement_columns()) {
            if (col.group != group) continue;
            bool any = false;
            for (const auto& c : run.containers) any = any || measurement(run, c.entry.name, col).has_value();
            if (!any) continue;
            cols.push_back(&col);
            head.push_back(col.title);
        }
        if (cols.empty()) continue;
        rows.push_back(head);
        for (const auto& c : run.containers) {
            std::vector<std::string> row{c.entry.name};
            bool any = false;
            for (const auto* col : cols) {
                auto v = measurement(run, c.entry.name, *col);
                any = any || v.has_value();
                row.push_back(v ? format(*v, col->decimals) : "-");
            }
            if (any) rows.push_back(row);
        }
        std::fputc('\n', out);
        print_wrapped(out, "Measurements, " + group + " (means over thread counts unless a total; '-' = not supported)");
        print_grid(out, rows);
    }
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
            for (const auto& e : x.tally->examples) print_wrapped(out, "e.g. " + e, 6, 5);
        }
    }
}

}  // namespace syncmap::lab
