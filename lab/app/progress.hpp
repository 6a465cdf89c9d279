// lab/app/progress.hpp - how far a lab invocation has got, on stderr.
//
// On a terminal: one status line redrawn in place (run i of n, elapsed time, an estimate
// of the time left, the run in progress). Anywhere else (a log, CI, a pipe): one plain line
// per finished scenario with the same figures and no escape codes, so logs stay readable.
// The estimate assumes the runs left take as long, on average, as the runs done so far.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace syncmap::lab {

class progress_display {
public:
    enum class style { status_line, plain_lines };

    progress_display(style s, std::size_t total_runs, std::FILE* out = stderr);

    // Run `index` (0-based) starts.
    void run_starting(std::size_t index, const std::string& container, const std::string& scenario, unsigned threads);
    // The last run of `scenario` has finished; `runs_done` runs in all, `scenario_runs` of them this scenario's.
    void scenario_finished(const std::string& scenario, std::size_t runs_done, std::size_t scenario_runs);
    // Every run has finished: clears the status line.
    void finish();

    // "42 s", "3 min 07 s": a duration as the progress lines print it.
    static std::string duration(double seconds);

private:
    double elapsed() const;
    std::string time_left(std::size_t runs_done) const;

    style style_;
    std::size_t total_;
    std::FILE* out_;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point scenario_start_ = start_;
};

}  // namespace syncmap::lab
