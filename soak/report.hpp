// The soak's report folder (samples.csv, soak.png drawn by soak/plot.py, README.md) and
// its terminal summary.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "heap_verdict.hpp"
#include "options.hpp"
#include "samples.hpp"

namespace syncmap::soak {

struct soak_outcome {
    options opts;
    double wall_seconds = 0;
    std::vector<sample> samples;
    heap_verdict heap;
    std::string failure;              // the first failed check, empty if none
    std::uint64_t writer_ops = 0;     // totals over the run
    std::uint64_t reader_ops = 0;
    std::uint64_t traversal_entries = 0;
    std::uint64_t passes = 0;
    std::uint64_t snapshots = 0;
    std::uint64_t snapshot_checks = 0;
    std::uint64_t clears = 0;
    std::uint64_t threads_started = 0;
    std::int64_t retained_at_end = 0;       // both maps, after every snapshot is gone
    std::int64_t retired_pending_at_end = 0;  // after rcu_barrier()
    std::uint64_t heap_at_end = 0;           // maps still alive, RCU drained
};

// The summary printed at the end of the run and placed at the top of README.md.
std::string summary(const soak_outcome& r);
// Writes the folder; returns a line saying where (and whether the plot was drawn).
std::string write_report(const soak_outcome& r);

}  // namespace syncmap::soak
