#include "report.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/plot_script.hpp"

#ifndef SYNCMAP_SOAK_PLOT_SCRIPT
#define SYNCMAP_SOAK_PLOT_SCRIPT "soak/plot.py"
#endif

namespace syncmap::soak {

namespace {

std::string mib(double bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f MiB", bytes / 1048576.0);
    return buf;
}

std::string count(double v) {
    char buf[32];
    if (v >= 1e6) {
        std::snprintf(buf, sizeof buf, "%.2f M", v / 1e6);
    } else if (v >= 1e3) {
        std::snprintf(buf, sizeof buf, "%.1f k", v / 1e3);
    } else {
        std::snprintf(buf, sizeof buf, "%.0f", v);
    }
    return buf;
}

template <class F>
double max_of(const std::vector<sample>& s, F f) {
    double m = 0;
    for (const sample& x : s) m = std::max(m, static_cast<double>(f(x)));
    return m;
}

}  // namespace

std::string summary(const soak_outcome& r) {
    std::ostringstream o;
    const options& p = r.opts;
    const double secs = r.samples.empty() ? 0 : r.samples.back().t;
    o << "syncmap-soak: " << static_cast<long>(p.seconds) << " s asked, " << static_cast<long>(r.wall_seconds)
      << " s wall; seed " << p.seed << "; " << p.writers << " owners; keys " << p.keys << " (uint64, inline) + "
      << p.string_keys << " (std::string, nodes)\n";
    o << "  model checks:      " << (r.failure.empty() ? "passed" : "FAILED: " + r.failure) << "\n";
    const double per_s = secs > 0 ? 1 / secs : 0;
    o << "  throughput:        owners " << count(static_cast<double>(r.writer_ops) * per_s) << " ops/s ("
      << count(static_cast<double>(r.writer_ops)) << " ops, every result checked), readers "
      << count(static_cast<double>(r.reader_ops) * per_s) << " loads/s, live passes "
      << count(static_cast<double>(r.traversal_entries) * per_s) << " entries/s (" << r.passes << " passes)\n";
    o << "  snapshots:         " << r.snapshots << " taken, " << r.snapshot_checks
      << " checks (a long-held one is checked every second); " << r.clears
      << " clears; " << r.threads_started << " worker threads started\n";
    if (!r.samples.empty()) {
        const sample& first = r.samples.front();
        const sample& last = r.samples.back();
        o << "  heap in use:       start " << mib(static_cast<double>(first.heap_bytes)) << ", end of run "
          << mib(static_cast<double>(last.heap_bytes)) << ", max "
          << mib(max_of(r.samples, [](const sample& s) { return s.heap_bytes; })) << "; RSS start "
          << mib(static_cast<double>(first.rss_bytes)) << ", end " << mib(static_cast<double>(last.rss_bytes)) << ", max "
          << mib(max_of(r.samples, [](const sample& s) { return s.rss_bytes; })) << "\n";
        o << "  versions retained: max " << static_cast<long long>(max_of(r.samples, [](const sample& s) { return s.retained_ints; }))
          << " (uint64 map), " << static_cast<long long>(max_of(r.samples, [](const sample& s) { return s.retained_strings; }))
          << " (std::string map); after the last snapshot: " << r.retained_at_end << "\n";
        o << "  retired, unfreed:  max " << mib(max_of(r.samples, [](const sample& s) { return s.retired_pending; }))
          << "; after rcu_barrier at the end: " << r.retired_pending_at_end << " bytes\n";
    }
    const heap_verdict& h = r.heap;
    if (!h.judged) {
        o << "  heap verdict:      not judged (" << h.reason << ")\n";
    } else {
        char buf[300];
        std::snprintf(buf, sizeof buf,
                      "  heap verdict:      %s: mean %s over the second third, %s over the last (%+.2f MiB, tolerance "
                      "%.2f MiB); fitted slope %+.3f MiB/min\n",
                      h.flat ? "flat" : "GROWING", mib(h.second_third_mean).c_str(), mib(h.last_third_mean).c_str(),
                      h.growth / 1048576.0, h.tolerance / 1048576.0, h.slope_per_minute / 1048576.0);
        o << buf;
    }
    const bool pass = r.failure.empty() && (!h.judged || h.flat);
    o << "  verdict:           " << (pass ? "PASS" : "FAIL") << "\n";
    return o.str();
}

std::string write_report(const soak_outcome& r) {
    namespace fs = std::filesystem;
    const fs::path dir(r.opts.report_dir);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return "report not written: cannot create " + dir.string() + ": " + ec.message();
    {
        std::ofstream csv(dir / "samples.csv");
        csv << csv_header();
        for (const sample& s : r.samples) csv << csv_row(s);
    }
    std::error_code ignored;
    fs::remove(dir / "soak.png", ignored);  // never leave a plot of an earlier run
    const std::string plot_status =
        r.opts.plots ? syncmap::lab::run_plot_script(SYNCMAP_SOAK_PLOT_SCRIPT, dir) : "disabled by --no-plots";

    std::ofstream md(dir / "README.md");
    md << "# syncmap-soak report\n\n```\n" << summary(r) << "```\n\n";
    if (plot_status.empty()) md << "![heap, retained versions and throughput over time](soak.png)\n\n";
    md << "## What ran\n\n"
       << "One `sync_map<uint64_t, uint64_t>` (entries inline) and one `sync_map<uint64_t, std::string>` "
          "(entries in nodes), both under the whole workload at once for "
       << static_cast<long>(r.opts.seconds) << " s:\n\n"
       << "- " << r.opts.writers
       << " owner slots. Key k belongs to slot k % " << r.opts.writers
       << "; its owner runs load, store, load_or_store, load_and_delete, erase, exchange, compare_and_swap, "
          "compare_and_delete and visit on it and checks every result against its model. One key in eight is "
          "pinned: never erased between clears.\n"
       << "- Short snapshots taken by owners (held for up to 4096 more operations) and a long-held one per map "
          "(slot 0, replaced every "
       << r.opts.long_snapshot_every
       << " s, checked every second), each compared with the owner's model as it was when the snapshot was "
          "taken, walked by range, iterators or a scan whose cursor goes through its text form.\n"
       << "- Observers without a model: point reads; full passes over the live maps (range, a range stopped by a "
          "stop_token and finished by scan, scan passes with text cursors); short snapshots walked two ways.\n"
       << "- Every role is played by a succession of threads living about " << r.opts.thread_life
       << " s each, so per-thread RCU records come and go.\n"
       << "- Every " << r.opts.clear_every
       << " s the owners park; the coordinator compares each map with the union of the models, clears both "
          "(observers keep running) and stores the pinned keys back.\n\n"
       << "## What is judged\n\n"
       << "- Model checks (any failure exits 1): every owner operation's result; values name their keys; no key "
          "twice in a pass or snapshot; pinned keys in every pass and snapshot that no clear overlapped; an owner's "
          "snapshot equals its model at snapshot time for its keys; two walks of one snapshot agree and match its "
          "size() and load(); the maps equal the models whenever the owners are parked and at the end; after the "
          "last snapshot is gone `versions_retained` is 0, and after `rcu_barrier()` nothing retired is pending.\n"
       << "- Heap (exit 3 if it grows): the heap in use is glibc's `mallinfo2()` uordblks + hblkhd. The first third "
          "of the run is warm-up; the mean over the last third may exceed the mean over the second third by at "
          "most max("
       << static_cast<int>(heap_tolerance_fraction * 100) << "% of the second third's mean, "
       << heap_tolerance_floor_bytes / 1048576.0 << " MiB). Runs shorter than "
       << static_cast<int>(heap_verdict_min_seconds) << " s are not judged. The fitted slope is reported, not judged.\n\n"
       << "## Files\n\n- `samples.csv`: one row per sample (period " << r.opts.sample_seconds
       << " s): heap, RSS, size() of each map, `stats().versions_retained` of each, live snapshots, retired bytes "
          "pending, throughputs over the period, and cumulative counts.\n"
       << "- `soak.png`: " << (plot_status.empty() ? "heap, versions retained, size and throughput over time."
                                                     : "not drawn: " + plot_status)
       << "\n";
    return "report written to " + dir.string() + "/" + (plot_status.empty() ? "" : " (plot skipped: " + plot_status + ")");
}

}  // namespace syncmap::soak
