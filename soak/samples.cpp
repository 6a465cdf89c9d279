#include "samples.hpp"

#include <malloc.h>
#include <unistd.h>

#include <cstdio>

namespace syncmap::soak {

std::uint64_t heap_in_use() {
    // mallinfo2 walks every arena (per-thread arenas included) under their locks: fine once
    // a second. Blocks above the mmap threshold (large directories) are in hblkhd.
    const struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

namespace {

std::uint64_t rss_bytes() {
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    if (f == nullptr) return 0;
    unsigned long long size = 0, resident = 0;
    const int n = std::fscanf(f, "%llu %llu", &size, &resident);
    std::fclose(f);
    return n == 2 ? resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)) : 0;
}

}  // namespace

sampler::sampler(const soak_shared& sh) : last_t_(sh.now()) {}

sample sampler::take(const soak_shared& sh) {
    sample s;
    s.t = sh.now();
    s.heap_bytes = heap_in_use();
    s.rss_bytes = rss_bytes();
    s.size_ints = sh.ints.size();
    s.size_strings = sh.strings.size();
    const map_stats a = sh.ints.stats(), b = sh.strings.stats();
    s.retained_ints = a.versions_retained;
    s.retained_strings = b.versions_retained;
    s.live_snapshots = a.live_snapshots + b.live_snapshots;
    s.retired_pending = a.retired_bytes_pending;
    const soak_counters& c = sh.counters;
    const std::uint64_t w = c.writer_ops.load(std::memory_order_relaxed);
    const std::uint64_t r = c.reader_ops.load(std::memory_order_relaxed);
    const std::uint64_t e = c.traversal_entries.load(std::memory_order_relaxed);
    const double dt = s.t - last_t_;
    if (dt > 0) {
        s.writer_ops_per_s = static_cast<double>(w - last_writer_ops_) / dt;
        s.reader_ops_per_s = static_cast<double>(r - last_reader_ops_) / dt;
        s.traversal_entries_per_s = static_cast<double>(e - last_entries_) / dt;
    }
    last_t_ = s.t;
    last_writer_ops_ = w;
    last_reader_ops_ = r;
    last_entries_ = e;
    s.snapshots = c.snapshots.load(std::memory_order_relaxed);
    s.snapshot_checks = c.snapshot_checks.load(std::memory_order_relaxed);
    s.passes = c.passes.load(std::memory_order_relaxed);
    s.clears = c.clears.load(std::memory_order_relaxed);
    s.threads_started = c.threads_started.load(std::memory_order_relaxed);
    return s;
}

std::string csv_header() {
    return "t_s,heap_bytes,rss_bytes,size_uint64,size_string,versions_retained_uint64,versions_retained_string,"
           "live_snapshots,retired_bytes_pending,writer_ops_per_s,reader_ops_per_s,traversal_entries_per_s,"
           "snapshots,snapshot_checks,passes,clears,threads_started\n";
}

std::string csv_row(const sample& s) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "%.3f,%llu,%llu,%zu,%zu,%lld,%lld,%zu,%lld,%.0f,%.0f,%.0f,%llu,%llu,%llu,%llu,%llu\n", s.t,
                  static_cast<unsigned long long>(s.heap_bytes), static_cast<unsigned long long>(s.rss_bytes),
                  s.size_ints, s.size_strings, static_cast<long long>(s.retained_ints),
                  static_cast<long long>(s.retained_strings), s.live_snapshots, static_cast<long long>(s.retired_pending),
                  s.writer_ops_per_s, s.reader_ops_per_s, s.traversal_entries_per_s,
                  static_cast<unsigned long long>(s.snapshots), static_cast<unsigned long long>(s.snapshot_checks),
                  static_cast<unsigned long long>(s.passes), static_cast<unsigned long long>(s.clears),
                  static_cast<unsigned long long>(s.threads_started));
    return buf;
}

}  // namespace syncmap::soak
