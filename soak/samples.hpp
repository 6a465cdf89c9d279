// What the soak records over time: one sample per period, written to samples.csv.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "shared_state.hpp"

namespace syncmap::soak {

struct sample {
    double t = 0;                    // seconds since the start
    std::uint64_t heap_bytes = 0;    // malloc heap in use: mallinfo2 uordblks + hblkhd (every arena, and mmapped blocks)
    std::uint64_t rss_bytes = 0;     // resident set, /proc/self/statm
    std::size_t size_ints = 0;       // size() of the uint64 map
    std::size_t size_strings = 0;    // size() of the std::string map
    std::int64_t retained_ints = 0;  // stats().versions_retained
    std::int64_t retained_strings = 0;
    std::size_t live_snapshots = 0;  // both maps
    std::int64_t retired_pending = 0;  // stats().retired_bytes_pending (process-wide)
    double writer_ops_per_s = 0;     // owners' operations since the previous sample
    double reader_ops_per_s = 0;     // observers' point reads
    double traversal_entries_per_s = 0;  // entries yielded by live passes
    std::uint64_t snapshots = 0;     // cumulative
    std::uint64_t snapshot_checks = 0;
    std::uint64_t passes = 0;
    std::uint64_t clears = 0;
    std::uint64_t threads_started = 0;
};

class sampler {
public:
    explicit sampler(const soak_shared& sh);
    sample take(const soak_shared& sh);

private:
    double last_t_ = 0;
    std::uint64_t last_writer_ops_ = 0, last_reader_ops_ = 0, last_entries_ = 0;
};

// The allocator's bytes in use now (mallinfo2 uordblks + hblkhd); 0 where the allocator is
// not glibc's (sanitizer builds replace it).
std::uint64_t heap_in_use();

std::string csv_header();
std::string csv_row(const sample& s);

}  // namespace syncmap::soak
