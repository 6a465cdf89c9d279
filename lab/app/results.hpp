// lab/app/results.hpp - everything one lab invocation measured, and the views of it the
// outputs share (the clause table's cells, the measurements table, the verdict).
#pragma once

#include <array>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "../scenarios/scenario.hpp"
#include "options.hpp"

namespace syncmap::lab {

struct container_info {
    adapter_entry entry;
    std::array<promise, clause_count> promises{};
};

struct lab_run {
    std::vector<container_info> containers;
    std::vector<scenario_result> results;
    options opts;
    double wall_seconds = 0;
};

struct cell {
    promise level = promise::not_supported;
    std::optional<clause_tally> tally;  // merged over every run of the container
    [[nodiscard]] std::string text() const;
};

cell clause_cell(const lab_run& run, const container_info& c, clause k);
// The clause table is printed in two parts, each with what one check is.
struct clause_group {
    std::string title;
    std::string unit;  // what a check is, for the caption
    std::vector<clause> clauses;
};
const std::vector<clause_group>& clause_groups();
// Every clause, in table order.
std::vector<clause> shown_clauses(const lab_run& run);
// Violations of clauses a syncmap container promises: the exit status depends on these.
std::uint64_t promised_violations(const lab_run& run);

// One figure of the measurements table: the mean over the container's runs of one
// scenario metric (optionally at one thread count).
struct measurement_column {
    enum class aggregate { mean, sum, max };
    std::string group;  // the table it belongs to
    std::string title;
    std::string scenario;
    std::string metric;
    unsigned threads = 0;  // 0: every thread count
    int decimals = 1;
    aggregate how = aggregate::mean;
};
const std::vector<measurement_column>& measurement_columns();
// The groups of measurement_columns(), in order.
std::vector<std::string> measurement_groups();
std::optional<double> measurement(const lab_run& run, const std::string& container, const measurement_column& col);

void print_clause_table(std::FILE* out, const lab_run& run);
void print_measurements(std::FILE* out, const lab_run& run);
void print_violations(std::FILE* out, const lab_run& run);

// The claims table (lab/app/claims.cpp), in markdown; its links point at run_anchor().
std::string claims_markdown(const lab_run& run);
// The id of the first row of a scenario's runs on a container in the report's Runs table.
std::string run_anchor(const std::string& scenario, const std::string& container);

std::string to_json(const lab_run& run);
// Writes DIR/results.json, DIR/README.md and (if `plots`) the PNGs; returns a one-line
// status for the terminal ("report written to ...; plots skipped: ...").
std::string write_report(const lab_run& run, const std::string& dir, bool plots);

}  // namespace syncmap::lab
